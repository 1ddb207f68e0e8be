/*
 * node.c - /v0/node/<node>..., /v0/nodes/<is_free>: nodes, their NICs,
 * metadata and OBM flag (spec sections 4.2 and 4.3, DESIGN.md section 2).
 */
#include "config.h"

#include "api/handlers.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/args.h"
#include "api/obm.h"
#include "plugin.h"
#include "settings.h"
#include "utf8.h"

/* Columns of Q_NODE_GET (and, 0-2, of Q_NODE_LOCK). */
enum {
	NODE_COL_ID,
	NODE_COL_PROJECT_ID,
	NODE_COL_OBM_ENABLED,
	NODE_COL_PROJECT,
};

/* Columns of Q_NODE_NICS and Q_NODE_NIC_NETWORKS. */
enum {
	NIC_COL_ID,
	NIC_COL_LABEL,
	NIC_COL_MAC,
	NIC_COL_PORT,
	NIC_COL_SWITCH
};
enum {
	ATT_COL_NIC,
	ATT_COL_CHANNEL,
	ATT_COL_NETWORK
};

/* The original HIL named OBM types by URL; the last part is our plugin. */
#define NODE_OBM_TYPE_URL "http://schema.massopencloud.org/haas/v0/obm/"
/* The OBM type the {"obmd": ...} body is stored as. */
#define NODE_OBMD_TYPE "obmd"

/*
 * Metadata values are stored as the original stores them: the text
 * Python's json.dumps() gives with its defaults (separators ", " and ": ",
 * ASCII only with lowercase \u escapes, floats as repr()).  Clients read
 * that text back verbatim, so it has to match byte for byte.
 */
struct node_buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void node_buf_add(struct node_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 64; cap < b->len + n + 1; cap *= 2)
			;
		p = realloc(b->s, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void node_buf_str(struct node_buf *b, const char *s)
{
	node_buf_add(b, s, strlen(s));
}

/* Python's short escapes; every other character outside ' '..'~' becomes
 * \uXXXX. */
static const char *const node_py_escapes[0x80] = {
	['"'] = "\\\"", ['\\'] = "\\\\", ['\b'] = "\\b", ['\f'] = "\\f",
	['\n'] = "\\n", ['\r'] = "\\r",	 ['\t'] = "\\t",
};

static void node_py_string(struct node_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[16];
	uint32_t cp;
	size_t i = 0, len;

	node_buf_add(b, "\"", 1);
	while (i < n) {
		len = utf8_next(u + i, n - i, &cp);
		if (cp < 0x80 && node_py_escapes[cp]) {
			node_buf_str(b, node_py_escapes[cp]);
		} else if (cp >= 0x20 && cp <= 0x7e) {
			node_buf_add(b, s + i, 1);
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			snprintf(esc, sizeof(esc), "\\u%04x\\u%04x",
				 0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
			node_buf_str(b, esc);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			node_buf_str(b, esc);
		}
		i += len;
	}
	node_buf_add(b, "\"", 1);
}

/* repr() of a finite double: the shortest digits that read back as the
 * same value, in exponent form when the decimal point falls outside
 * (-4, 16], as Python's float_repr_style 'short' writes them. */
static void node_py_real(struct node_buf *b, double v)
{
	char tmp[40], digits[24], e[16];
	int ndig = 0, exp, decpt, prec;
	const char *p;

	if (signbit(v))
		node_buf_add(b, "-", 1);
	if (v == 0) {
		node_buf_str(b, "0.0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, fabs(v));
		if (strtod(tmp, NULL) == fabs(v))
			break;
	}
	for (p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && ndig < (int)sizeof(digits) - 1)
			digits[ndig++] = *p;
	exp = *p == 'e' ? atoi(p + 1) : 0;
	while (ndig > 1 && digits[ndig - 1] == '0')
		ndig--;
	digits[ndig] = '\0';
	decpt = exp + 1; /* v = 0.<digits> * 10^decpt */
	if (decpt <= -4 || decpt > 16) {
		node_buf_add(b, digits, 1);
		if (ndig > 1) {
			node_buf_add(b, ".", 1);
			node_buf_str(b, digits + 1);
		}
		snprintf(e, sizeof(e), "e%c%02d", exp < 0 ? '-' : '+',
			 abs(exp));
		node_buf_str(b, e);
	} else if (decpt <= 0) {
		node_buf_add(b, "0.", 2);
		for (int i = decpt; i < 0; i++)
			node_buf_add(b, "0", 1);
		node_buf_str(b, digits);
	} else if (decpt >= ndig) {
		node_buf_str(b, digits);
		for (int i = ndig; i < decpt; i++)
			node_buf_add(b, "0", 1);
		node_buf_add(b, ".0", 2);
	} else {
		node_buf_add(b, digits, (size_t)decpt);
		node_buf_add(b, ".", 1);
		node_buf_str(b, digits + decpt);
	}
}

static void node_py_dump(struct node_buf *b, const json_t *v)
{
	const char *key;
	char num[32];
	json_t *e;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		node_buf_add(b, "{", 1);
		i = 0;
		json_object_foreach((json_t *)v, key, e)
		{
			if (i++)
				node_buf_add(b, ", ", 2);
			node_py_string(b, key, strlen(key));
			node_buf_add(b, ": ", 2);
			node_py_dump(b, e);
		}
		node_buf_add(b, "}", 1);
		break;
	case JSON_ARRAY:
		node_buf_add(b, "[", 1);
		json_array_foreach(v, i, e)
		{
			if (i)
				node_buf_add(b, ", ", 2);
			node_py_dump(b, e);
		}
		node_buf_add(b, "]", 1);
		break;
	case JSON_STRING:
		node_py_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		node_buf_str(b, num);
		break;
	case JSON_REAL:
		node_py_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		node_buf_str(b, "true");
		break;
	case JSON_FALSE:
		node_buf_str(b, "false");
		break;
	case JSON_NULL:
		node_buf_str(b, "null");
		break;
	}
}

/* The stored text of a metadata value (free()), or NULL when out of
 * memory. */
static char *node_metadata_text(const json_t *v)
{
	struct node_buf b = {0};

	node_py_dump(&b, v);
	if (b.failed || !b.s) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/*
 * Look up the node of the first path parameter (locked with lock, see
 * Q_NODE_LOCK).  Returns 0 with the row in *ret_res, or the status of the
 * error reply it set (404 when there is no such node).
 */
static int node_find(struct api_req *r, bool lock, struct db_res **ret_res)
{
	struct db_res *res = NULL;
	int n;

	n = db_q(r->db, lock ? Q_NODE_LOCK : Q_NODE_GET, &res, r->param[0]);
	if (n <= 0) {
		db_res_free(res);
		if (n < 0)
			return api_db_error(r, n);
		return api_error(r, API_E_NOT_FOUND, "no node '%s'",
				 r->param[0]);
	}
	*ret_res = res;
	return 0;
}

/* {"obmd": {"uri": ..., "admin_token": ...}}: exactly those keys, an
 * http(s) URL without spaces or control characters. */
static int node_check_obmd(const json_t *obmd, char *err, size_t errlen)
{
	static const struct hil_setting decl[] = {
		{"uri", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 0, -1, NULL},
		{"admin_token", HIL_SETTING_STRING,
		 HIL_SETTING_REQUIRED | HIL_SETTING_SECRET, 0, -1, NULL},
		{NULL, 0, 0, 0, 0, NULL},
	};
	const char *u, *host;
	char why[200];

	if (settings_validate(decl, obmd, NULL, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "obmd: %s", why);
		return -EINVAL;
	}
	u = json_string_value(json_object_get(obmd, "uri"));
	if (strncasecmp(u, "http://", 7) == 0) {
		host = u + 7;
	} else if (strncasecmp(u, "https://", 8) == 0) {
		host = u + 8;
	} else {
		snprintf(err, errlen,
			 "obmd: 'uri' must be an http or https URL");
		return -EINVAL;
	}
	if (!*host || *host == '/' || strpbrk(u, " \x7f")) {
		snprintf(err, errlen, "obmd: 'uri' is not a valid URL");
		return -EINVAL;
	}
	return 0;
}

/* The body's shape is request validation (spec 1.3: before
 * authentication): exactly one of obm and obmd, and obmd complete.  The
 * obm settings depend on the plugin and are checked by the handler. */
int node_register_check(const json_t *args, char *err, size_t errlen)
{
	const json_t *obm = json_object_get(args, "obm");
	const json_t *obmd = json_object_get(args, "obmd");

	if (!obm == !obmd) {
		snprintf(err, errlen, "give exactly one of 'obm' and 'obmd'");
		return -EINVAL;
	}
	return obmd ? node_check_obmd(obmd, err, errlen) : 0;
}

/* {"obm": {"type": <OBM plugin>, <that plugin's settings>...}}. */
static int node_check_obm(struct api_req *r, const json_t *obm,
			  const char **ret_type, json_t **ret_settings)
{
	static const char *const ignore[] = {"type", NULL};
	const struct hil_plugin *p;
	const char *type;
	char err[256];
	json_t *settings;

	type = json_string_value(json_object_get(obm, "type"));
	if (!type)
		return api_error(r, API_E_VALIDATION,
				 "obm: 'type' must be a string");
	if (strncmp(type, NODE_OBM_TYPE_URL, strlen(NODE_OBM_TYPE_URL)) == 0)
		type += strlen(NODE_OBM_TYPE_URL);
	/* Quote the type only when it is a well-formed name. */
	if (args_check_label("OBM type", type, false, err, sizeof(err)) < 0)
		return api_error(r, API_E_BAD_ARG, "obm: unknown OBM type");
	p = plugin_find(HIL_PLUGIN_OBM, type);
	if (!p || !p->obm_ops)
		return api_error(r, API_E_BAD_ARG, "obm: unknown OBM type '%s'",
				 type);
	if (settings_validate(p->obm_ops->settings, obm, ignore, err,
			      sizeof(err)) < 0)
		return api_error(r, API_E_VALIDATION, "obm: %s", err);
	settings = json_deep_copy(obm);
	if (!settings)
		return api_error(r, API_E_SERVER, "out of memory");
	json_object_del(settings, "type");
	*ret_type = p->name;
	*ret_settings = settings;
	return 0;
}

/* Metadata keys given in a body follow the label rules the router
 * applies to path parameters. */
static int node_check_metadata(struct api_req *r, const json_t *meta)
{
	const char *key;
	char err[256];
	json_t *v;

	if (!meta)
		return 0;
	json_object_foreach((json_t *)meta, key, v)
	{
		if (args_check_label("metadata key", key, false, err,
				     sizeof(err)) < 0)
			return api_error(r, API_E_VALIDATION, "%s", err);
	}
	return 0;
}

/* Store one metadata value (upsert). Returns 0 or the error status. */
static int node_store_metadata(struct api_req *r, const char *node_id,
			       const char *key, const json_t *value)
{
	char *text = node_metadata_text(value);
	int n;

	if (!text)
		return api_error(r, API_E_SERVER, "out of memory");
	n = db_q(r->db, Q_METADATA_SET, NULL, node_id, key, text);
	free(text);
	return n < 0 ? api_db_error(r, n) : 0;
}

int node_register(struct api_req *r)
{
	const json_t *obm = api_arg(r, "obm"), *obmd = api_arg(r, "obmd");
	const json_t *meta = api_arg(r, "metadata");
	struct db_res *res = NULL;
	json_t *settings = NULL, *v;
	const char *type = NODE_OBMD_TYPE, *key;
	char *text = NULL;
	int n, ret;

	if (api_need_admin(r))
		return r->status;
	n = db_q(r->db, Q_NODE_GET, &res, r->param[0]);
	res = db_res_free(res);
	if (n < 0)
		return api_db_error(r, n);
	if (n > 0)
		return api_error(r, API_E_DUPLICATE, "node '%s' already exists",
				 r->param[0]);
	if (obm) {
		ret = node_check_obm(r, obm, &type, &settings);
	} else {
		settings = json_pack(
			"{s:O, s:O}", "uri", json_object_get(obmd, "uri"),
			"admin_token", json_object_get(obmd, "admin_token"));
		ret = settings ? 0
			       : api_error(r, API_E_SERVER, "out of memory");
	}
	if (!ret)
		ret = node_check_metadata(r, meta);
	if (ret)
		goto out;
	text = json_dumps(settings, JSON_COMPACT);
	if (!text) {
		ret = api_error(r, API_E_SERVER, "out of memory");
		goto out;
	}
	n = db_q(r->db, Q_NODE_INSERT, &res, r->param[0], type, text);
	if (n <= 0) {
		ret = api_db_error(r, n < 0 ? n : -EIO);
		goto out;
	}
	if (meta)
		json_object_foreach((json_t *)meta, key, v)
		{
			ret = node_store_metadata(r, db_res_get(res, 0, 0), key,
						  v);
			if (ret)
				goto out;
		}
	ret = api_reply_empty(r);
out:
	/* The settings hold secrets: wipe the text before freeing it. */
	if (text)
		explicit_bzero(text, strlen(text));
	free(text);
	json_decref(settings);
	db_res_free(res);
	return ret;
}

int node_delete(struct api_req *r)
{
	struct db_res *node = NULL;
	const char *id;
	int n, ret;

	if (api_need_admin(r) || node_find(r, true, &node))
		return r->status;
	id = db_res_get(node, 0, NODE_COL_ID);
	if (db_res_get(node, 0, NODE_COL_PROJECT_ID)) {
		ret = api_error(r, API_E_BLOCKED, "node '%s' is in a project",
				r->param[0]);
		goto out;
	}
	n = db_q(r->db, Q_NODE_HAS_NICS, NULL, id);
	if (n != 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_BLOCKED,
					"node '%s' still has NICs",
					r->param[0]);
		goto out;
	}
	n = db_q(r->db, Q_NODE_DELETE_METADATA, NULL, id);
	if (n >= 0)
		n = db_q(r->db, Q_NODE_DELETE, NULL, id);
	ret = n < 0 ? api_db_error(r, n) : api_reply_empty(r);
out:
	db_res_free(node);
	return ret;
}

/* The "nics" list of show_node: storage order; port and switch for
 * admins only; networks from the attachments (both ordered by NIC id). */
static json_t *node_nics_json(const struct db_res *nics,
			      const struct db_res *att, bool admin)
{
	int nn = db_res_rows(nics), na = db_res_rows(att), j = 0;
	json_t *list = json_array(), *nic, *nets;
	int64_t id;

	for (int i = 0; list && i < nn; i++) {
		nets = json_object();
		if (!nets)
			goto fail;
		id = db_res_int(nics, i, NIC_COL_ID);
		while (j < na && db_res_int(att, j, ATT_COL_NIC) < id)
			j++;
		for (; j < na && db_res_int(att, j, ATT_COL_NIC) == id; j++)
			if (json_object_set_new(
				    nets, db_res_get(att, j, ATT_COL_CHANNEL),
				    json_string(db_res_get(
					    att, j, ATT_COL_NETWORK))) < 0) {
				json_decref(nets);
				goto fail;
			}
		if (admin)
			nic = json_pack(
				"{s:s, s:s, s:o, s:s?, s:s?}", "label",
				db_res_get(nics, i, NIC_COL_LABEL), "macaddr",
				db_res_get(nics, i, NIC_COL_MAC), "networks",
				nets, "port", db_res_get(nics, i, NIC_COL_PORT),
				"switch", db_res_get(nics, i, NIC_COL_SWITCH));
		else
			nic = json_pack("{s:s, s:s, s:o}", "label",
					db_res_get(nics, i, NIC_COL_LABEL),
					"macaddr",
					db_res_get(nics, i, NIC_COL_MAC),
					"networks", nets);
		if (json_array_append_new(list, nic) < 0)
			goto fail;
	}
	return list;
fail:
	json_decref(list);
	return NULL;
}

/* Metadata values go out as the text they are stored as (spec quirk). */
static json_t *node_metadata_json(const struct db_res *meta)
{
	json_t *obj = json_object();

	for (int i = 0; obj && i < db_res_rows(meta); i++)
		if (json_object_set_new(obj, db_res_get(meta, i, 0),
					json_string(db_res_get(meta, i, 1))) <
		    0) {
			json_decref(obj);
			return NULL;
		}
	return obj;
}

int node_show(struct api_req *r)
{
	struct db_res *node = NULL, *nics = NULL, *att = NULL, *meta = NULL;
	const char *id, *pid;
	json_t *jnics = NULL, *jmeta = NULL;
	int n, ret;

	if (node_find(r, false, &node))
		return r->status;
	id = db_res_get(node, 0, NODE_COL_ID);
	pid = db_res_get(node, 0, NODE_COL_PROJECT_ID);
	if (pid && api_need_project(r, pid)) {
		ret = r->status;
		goto out;
	}
	n = db_q(r->db, Q_NODE_NICS, &nics, id);
	if (n >= 0)
		n = db_q(r->db, Q_NODE_NIC_NETWORKS, &att, id);
	if (n >= 0)
		n = db_q(r->db, Q_NODE_METADATA, &meta, id);
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	jnics = node_nics_json(nics, att, r->who.admin);
	jmeta = node_metadata_json(meta);
	if (!jnics || !jmeta) {
		ret = api_error(r, API_E_SERVER, "out of memory");
		goto out;
	}
	ret = api_reply_json(r, 200,
			     json_pack("{s:s, s:s?, s:o, s:o}", "name",
				       r->param[0], "project",
				       db_res_get(node, 0, NODE_COL_PROJECT),
				       "nics", jnics, "metadata", jmeta));
	jnics = jmeta = NULL; /* json_pack took them, even on failure */
out:
	json_decref(jnics);
	json_decref(jmeta);
	db_res_free(meta);
	db_res_free(att);
	db_res_free(nics);
	db_res_free(node);
	return ret;
}

int node_list(struct api_req *r)
{
	struct db_res *res = NULL;
	bool free_only = strcmp(r->param[0], "free") == 0;
	int n, ret;

	/* Anything but "free" lists every node, as the original does. */
	n = db_q0(r->db, free_only ? Q_NODE_LIST_FREE : Q_NODE_LIST_ALL, &res);
	if (n < 0)
		ret = api_db_error(r, n);
	else
		ret = api_reply_json(r, 200, misc_column_array(res, 0, true));
	db_res_free(res);
	return ret;
}

int node_register_nic(struct api_req *r)
{
	struct db_res *node = NULL;
	int n, ret;

	if (api_need_admin(r) || node_find(r, false, &node))
		return r->status;
	n = db_q(r->db, Q_NIC_INSERT, NULL, db_res_get(node, 0, NODE_COL_ID),
		 r->param[1], api_arg_str(r, "macaddr"));
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0)
		ret = api_error(r, API_E_DUPLICATE,
				"node '%s' already has a NIC '%s'", r->param[0],
				r->param[1]);
	else
		ret = api_reply_empty(r);
	db_res_free(node);
	return ret;
}

int node_delete_nic(struct api_req *r)
{
	struct db_res *node = NULL, *nic = NULL;
	const char *nic_id;
	int n, ret;

	if (api_need_admin(r) || node_find(r, true, &node))
		return r->status;
	n = db_q(r->db, Q_NIC_GET, &nic, db_res_get(node, 0, NODE_COL_ID),
		 r->param[1]);
	if (n <= 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_NOT_FOUND,
					"node '%s' has no NIC '%s'",
					r->param[0], r->param[1]);
		goto out;
	}
	if (db_res_get(node, 0, NODE_COL_PROJECT_ID)) {
		ret = api_error(r, API_E_BLOCKED, "node '%s' is in a project",
				r->param[0]);
		goto out;
	}
	nic_id = db_res_get(nic, 0, 0);
	n = db_q(r->db, Q_NIC_DELETE_OPERATIONS, NULL, nic_id);
	if (n >= 0)
		n = db_q(r->db, Q_NIC_DELETE, NULL, nic_id);
	ret = n < 0 ? api_db_error(r, n) : api_reply_empty(r);
out:
	db_res_free(nic);
	db_res_free(node);
	return ret;
}

int node_set_metadata(struct api_req *r)
{
	struct db_res *node = NULL;
	int ret;

	if (api_need_admin(r) || node_find(r, false, &node))
		return r->status;
	ret = node_store_metadata(r, db_res_get(node, 0, NODE_COL_ID),
				  r->param[1], api_arg(r, "value"));
	if (!ret)
		ret = api_reply_empty(r);
	db_res_free(node);
	return ret;
}

int node_delete_metadata(struct api_req *r)
{
	struct db_res *node = NULL;
	int n, ret;

	if (api_need_admin(r) || node_find(r, false, &node))
		return r->status;
	n = db_q(r->db, Q_METADATA_DELETE, NULL,
		 db_res_get(node, 0, NODE_COL_ID), r->param[1]);
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0)
		ret = api_error(r, API_E_NOT_FOUND,
				"node '%s' has no metadata '%s'", r->param[0],
				r->param[1]);
	else
		ret = api_reply_empty(r);
	db_res_free(node);
	return ret;
}

/* The flag lives in the database; power and console calls read it.
 * Disabling ends the node's console sessions. */
int node_set_obm(struct api_req *r)
{
	struct db_res *node = NULL;
	bool enabled = api_arg_bool(r, "enabled", false);
	int n, ret;

	if (node_find(r, false, &node))
		return r->status;
	if (api_need_project(r, db_res_get(node, 0, NODE_COL_PROJECT_ID))) {
		ret = r->status;
		goto out;
	}
	n = db_q(r->db, Q_NODE_SET_OBM_ENABLED, NULL,
		 db_res_get(node, 0, NODE_COL_ID), enabled ? "1" : "0");
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	if (!enabled &&
	    obm_console_revoke(r, db_res_get(node, 0, NODE_COL_ID))) {
		ret = r->status;
		goto out;
	}
	ret = api_reply_empty(r);
out:
	db_res_free(node);
	return ret;
}
