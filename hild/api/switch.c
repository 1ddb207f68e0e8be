/*
 * switch.c - /v0/switch/<switch>..., /v0/switches: switches, their ports,
 * port <-> NIC wiring and port reverts (spec section 4.6; admins only).
 *
 * A switch's settings are its driver's (struct hil_setting table),
 * checked here and stored as JSON text; secret ones are never returned
 * nor logged.  Its type is the driver's name; the original's type URLs
 * are accepted for it.
 */
#include "config.h"

#include "api/handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/args.h"
#include "api/networking.h"
#include "plugin.h"
#include "settings.h"

/* The original HIL named switch types by URL; the last part is our
 * driver. */
#define SWITCH_TYPE_URL "http://schema.massopencloud.org/haas/v0/switches/"

/* Columns of Q_SWITCH_GET / Q_SWITCH_LOCK. */
enum {
	SW_COL_ID,
	SW_COL_TYPE,
};

/* Columns of Q_PORT_GET. */
enum {
	PORT_COL_ID,
	PORT_COL_NIC_ID,
	PORT_COL_NIC,
	PORT_COL_NODE,
};

/*
 * Look up the switch of the first path parameter (locked with lock, so
 * that adding a port and deleting the switch see one state).  Returns 0
 * with the row in *ret_res, or the status of the error reply it set (404
 * when there is no such switch).
 */
static int switch_find(struct api_req *r, bool lock, struct db_res **ret_res)
{
	struct db_res *res = NULL;
	int n;

	n = db_q(r->db, lock ? Q_SWITCH_LOCK : Q_SWITCH_GET, &res, r->param[0]);
	if (n <= 0) {
		db_res_free(res);
		if (n < 0)
			return api_db_error(r, n);
		return api_error(r, API_E_NOT_FOUND, "no switch '%s'",
				 r->param[0]);
	}
	*ret_res = res;
	return 0;
}

/*
 * Look up the port of the second path parameter on switch sw (a row of
 * Q_SWITCH_GET), with what is wired to it; locked with lock, so that the
 * calls that wire, unwire, delete or revert it see one state.  Returns 0
 * with the row (columns PORT_COL_*) in *ret_res, or the status of the
 * error reply (404).
 */
static int switch_find_port(struct api_req *r, const struct db_res *sw,
			    bool lock, struct db_res **ret_res)
{
	const char *sw_id = db_res_get(sw, 0, SW_COL_ID);
	struct db_res *res = NULL;
	int n;

	if (lock) {
		n = db_q(r->db, Q_PORT_LOCK, NULL, sw_id, r->param[1]);
		if (n < 0)
			return api_db_error(r, n);
	}
	n = db_q(r->db, Q_PORT_GET, &res, sw_id, r->param[1]);
	if (n <= 0) {
		db_res_free(res);
		if (n < 0)
			return api_db_error(r, n);
		return api_error(r, API_E_NOT_FOUND,
				 "switch '%s' has no port '%s'", r->param[0],
				 r->param[1]);
	}
	*ret_res = res;
	return 0;
}

/* The switch's driver from its "type": a driver name, or the original's
 * URL for it.  Returns it, or NULL with the error reply set (400). */
static const struct hil_plugin *switch_type(struct api_req *r, const char *type)
{
	const struct hil_plugin *p;
	char err[256];

	if (strncmp(type, SWITCH_TYPE_URL, strlen(SWITCH_TYPE_URL)) == 0)
		type += strlen(SWITCH_TYPE_URL);
	/* Quote the type only when it is a well-formed name. */
	if (args_check_label("switch type", type, false, err, sizeof(err)) <
	    0) {
		api_error(r, API_E_BAD_ARG, "unknown switch type");
		return NULL;
	}
	p = plugin_find(HIL_PLUGIN_SWITCH, type);
	if (!p || !p->switch_ops) {
		api_error(r, API_E_BAD_ARG, "unknown switch type '%s'", type);
		return NULL;
	}
	return p;
}

int switch_register(struct api_req *r)
{
	static const char *const ignore[] = {"type", NULL};
	const struct hil_plugin *p;
	json_t *settings = NULL;
	char *text = NULL, err[256];
	int n, ret;

	if (api_need_admin(r))
		return r->status;
	n = db_q(r->db, Q_SWITCH_GET, NULL, r->param[0]);
	if (n < 0)
		return api_db_error(r, n);
	if (n > 0)
		return api_error(r, API_E_DUPLICATE,
				 "switch '%s' already exists", r->param[0]);
	p = switch_type(r, api_arg_str(r, "type"));
	if (!p)
		return r->status;
	/* The messages name keys, never values. */
	if (settings_validate(p->switch_ops->settings, r->args, ignore, err,
			      sizeof(err)) < 0)
		return api_error(r, API_E_BAD_ARG, "%s", err);
	/* A shallow copy: no more copies of the secrets than needed. */
	settings = json_copy(r->args);
	if (settings)
		json_object_del(settings, "type");
	text = settings ? json_dumps(settings, JSON_COMPACT | JSON_SORT_KEYS)
			: NULL;
	if (!text) {
		ret = api_error(r, API_E_SERVER, "out of memory");
		goto out;
	}
	n = db_q(r->db, Q_SWITCH_INSERT, NULL, r->param[0], p->name, text);
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0)
		ret = api_error(r, API_E_DUPLICATE,
				"switch '%s' already exists", r->param[0]);
	else
		ret = api_reply_empty(r);
out:
	/* The settings hold secrets: wipe the text before freeing it. */
	if (text)
		explicit_bzero(text, strlen(text));
	free(text);
	json_decref(settings);
	return ret;
}

int switch_delete(struct api_req *r)
{
	struct db_res *sw = NULL;
	const char *id;
	int n, ret;

	if (api_need_admin(r) || switch_find(r, true, &sw))
		return r->status;
	id = db_res_get(sw, 0, SW_COL_ID);
	n = db_q(r->db, Q_SWITCH_HAS_PORTS, NULL, id);
	if (n != 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_BLOCKED,
					"switch '%s' still has ports",
					r->param[0]);
		goto out;
	}
	n = db_q(r->db, Q_SWITCH_FORGET_OPERATIONS, NULL, id);
	if (n >= 0)
		n = db_q(r->db, Q_SWITCH_DELETE, NULL, id);
	ret = n < 0 ? api_db_error(r, n) : api_reply_empty(r);
out:
	db_res_free(sw);
	return ret;
}

int switch_list(struct api_req *r)
{
	struct db_res *res = NULL;
	int n, ret;

	if (api_need_admin(r))
		return r->status;
	n = db_q0(r->db, Q_SWITCH_LIST, &res);
	if (n < 0)
		ret = api_db_error(r, n);
	else
		ret = api_reply_json(r, 200, misc_column_array(res, 0, true));
	db_res_free(res);
	return ret;
}

/* The driver's capabilities; [] when the driver is not loaded. */
static json_t *switch_capabilities(const char *type)
{
	const struct hil_plugin *p = plugin_find(HIL_PLUGIN_SWITCH, type);
	json_t *caps = json_array();

	if (!caps || !p || !p->switch_ops)
		return caps;
	for (const char *const *c = p->switch_ops->capabilities; c && *c; c++)
		if (json_array_append_new(caps, json_string(*c)) < 0) {
			json_decref(caps);
			return NULL;
		}
	return caps;
}

/* show_switch: the original's keys, and the driver's name as "type"
 * (never the settings). */
int switch_show(struct api_req *r)
{
	struct db_res *sw = NULL, *ports = NULL;
	json_t *jports = NULL, *caps = NULL;
	const char *type;
	int n, ret;

	if (api_need_admin(r) || switch_find(r, false, &sw))
		return r->status;
	type = db_res_get(sw, 0, SW_COL_TYPE);
	n = db_q(r->db, Q_SWITCH_PORTS, &ports, db_res_get(sw, 0, SW_COL_ID));
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	jports = json_array();
	for (int i = 0; jports && i < n; i++)
		if (json_array_append_new(
			    jports, json_pack("{s:s}", "label",
					      db_res_get(ports, i, 0))) < 0) {
			json_decref(jports);
			jports = NULL;
		}
	caps = switch_capabilities(type);
	if (!jports || !caps) {
		ret = api_error(r, API_E_SERVER, "out of memory");
		goto out;
	}
	ret = api_reply_json(r, 200,
			     json_pack("{s:s, s:s, s:o, s:o}", "name",
				       r->param[0], "type", type, "ports",
				       jports, "capabilities", caps));
	jports = caps = NULL; /* json_pack took them */
out:
	json_decref(jports);
	json_decref(caps);
	db_res_free(ports);
	db_res_free(sw);
	return ret;
}

int switch_register_port(struct api_req *r)
{
	const struct hil_switch_ops *drv;
	struct db_res *sw = NULL;
	const char *sw_id;
	int n, ret;

	if (api_need_admin(r) || switch_find(r, true, &sw))
		return r->status;
	sw_id = db_res_get(sw, 0, SW_COL_ID);
	n = db_q(r->db, Q_PORT_GET, NULL, sw_id, r->param[1]);
	if (n != 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_DUPLICATE,
					"switch '%s' already has a port '%s'",
					r->param[0], r->param[1]);
		goto out;
	}
	drv = networking_driver(r, r->param[0], db_res_get(sw, 0, SW_COL_TYPE));
	if (!drv) {
		ret = r->status;
		goto out;
	}
	if (drv->port_valid(r->param[1]) < 0) {
		ret = api_error(r, API_E_BAD_ARG,
				"switch '%s' has no port named '%s' (driver "
				"'%s')",
				r->param[0], r->param[1],
				db_res_get(sw, 0, SW_COL_TYPE));
		goto out;
	}
	n = db_q(r->db, Q_PORT_INSERT, NULL, sw_id, r->param[1]);
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0)
		ret = api_error(r, API_E_DUPLICATE,
				"switch '%s' already has a port '%s'",
				r->param[0], r->param[1]);
	else
		ret = api_reply_empty(r);
out:
	db_res_free(sw);
	return ret;
}

int switch_delete_port(struct api_req *r)
{
	struct db_res *sw = NULL, *port = NULL;
	const char *id;
	int n, ret;

	if (api_need_admin(r) || switch_find(r, false, &sw))
		return r->status;
	if (switch_find_port(r, sw, true, &port)) {
		ret = r->status;
		goto out;
	}
	id = db_res_get(port, 0, PORT_COL_ID);
	if (db_res_get(port, 0, PORT_COL_NIC_ID)) {
		ret = api_error(r, API_E_BLOCKED,
				"port '%s' of switch '%s' is wired to NIC '%s' "
				"of node '%s'",
				r->param[1], r->param[0],
				db_res_get(port, 0, PORT_COL_NIC),
				db_res_get(port, 0, PORT_COL_NODE));
		goto out;
	}
	/* A revert queued for a NIC that was unwired since still names the
	 * port; the engine ends it (in ERROR) soon. */
	n = db_q(r->db, Q_PORT_PENDING, NULL, id);
	if (n != 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(
				      r, API_E_BLOCKED,
				      "port '%s' of switch '%s' has a pending "
				      "networking action",
				      r->param[1], r->param[0]);
		goto out;
	}
	n = db_q(r->db, Q_PORT_FORGET_OPERATIONS, NULL, id);
	if (n >= 0)
		n = db_q(r->db, Q_PORT_DELETE, NULL, id);
	ret = n < 0 ? api_db_error(r, n) : api_reply_empty(r);
out:
	db_res_free(port);
	db_res_free(sw);
	return ret;
}

int switch_show_port(struct api_req *r)
{
	struct db_res *sw = NULL, *port = NULL, *nets = NULL;
	json_t *jnets = NULL;
	int n, ret;

	if (api_need_admin(r) || switch_find(r, false, &sw))
		return r->status;
	if (switch_find_port(r, sw, false, &port)) {
		ret = r->status;
		goto out;
	}
	if (!db_res_get(port, 0, PORT_COL_NIC_ID)) {
		ret = api_reply_json(r, 200, json_object());
		goto out;
	}
	n = db_q(r->db, Q_PORT_NETWORKS, &nets,
		 db_res_get(port, 0, PORT_COL_NIC_ID));
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	jnets = json_object();
	for (int i = 0; jnets && i < n; i++)
		if (json_object_set_new(jnets, db_res_get(nets, i, 0),
					json_string(db_res_get(nets, i, 1))) <
		    0) {
			json_decref(jnets);
			jnets = NULL;
		}
	if (!jnets) {
		ret = api_error(r, API_E_SERVER, "out of memory");
		goto out;
	}
	ret = api_reply_json(r, 200,
			     json_pack("{s:s, s:s, s:o}", "node",
				       db_res_get(port, 0, PORT_COL_NODE),
				       "nic", db_res_get(port, 0, PORT_COL_NIC),
				       "networks", jnets));
out:
	db_res_free(nets);
	db_res_free(port);
	db_res_free(sw);
	return ret;
}

int port_connect_nic(struct api_req *r)
{
	const char *node = api_arg_str(r, "node"), *nic = api_arg_str(r, "nic");
	struct db_res *sw = NULL, *port = NULL, *nd = NULL, *nc = NULL;
	int n, ret;

	if (api_need_admin(r) || switch_find(r, false, &sw))
		return r->status;
	if (switch_find_port(r, sw, true, &port)) {
		ret = r->status;
		goto out;
	}
	n = db_q(r->db, Q_NODE_GET, &nd, node);
	if (n <= 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_NOT_FOUND, "no node '%s'",
					node);
		goto out;
	}
	n = db_q(r->db, Q_NIC_WIRING, &nc, db_res_get(nd, 0, 0), nic);
	if (n <= 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_NOT_FOUND,
					"node '%s' has no NIC '%s'", node, nic);
		goto out;
	}
	if (db_res_get(nc, 0, WIRE_COL_PORT)) {
		ret = api_error(r, API_E_DUPLICATE,
				"NIC '%s' of node '%s' is already wired to "
				"port '%s' of switch '%s'",
				nic, node,
				db_res_get(nc, 0, WIRE_COL_PORT_LABEL),
				db_res_get(nc, 0, WIRE_COL_SWITCH_LABEL));
		goto out;
	}
	if (db_res_get(port, 0, PORT_COL_NIC_ID)) {
		ret = api_error(r, API_E_DUPLICATE,
				"port '%s' of switch '%s' is already wired to "
				"NIC '%s' of node '%s'",
				r->param[1], r->param[0],
				db_res_get(port, 0, PORT_COL_NIC),
				db_res_get(port, 0, PORT_COL_NODE));
		goto out;
	}
	n = db_q(r->db, Q_PORT_WIRE, NULL, db_res_get(nc, 0, WIRE_COL_NIC),
		 db_res_get(port, 0, PORT_COL_ID));
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0)
		ret = api_error(r, API_E_DUPLICATE,
				"NIC '%s' of node '%s' was wired concurrently",
				nic, node);
	else
		ret = api_reply_empty(r);
out:
	db_res_free(nc);
	db_res_free(nd);
	db_res_free(port);
	db_res_free(sw);
	return ret;
}

/*
 * The prologue of detach_nic and revert: switch (404), port (404, locked),
 * a NIC wired to it (404), that NIC's node locked (its id and project in
 * *ret_node).  Returns 0 or the status of the error reply.
 */
static int switch_wired_prologue(struct api_req *r, struct db_res **ret_sw,
				 struct db_res **ret_port,
				 struct db_res **ret_node)
{
	int n;

	if (switch_find(r, false, ret_sw) ||
	    switch_find_port(r, *ret_sw, true, ret_port))
		return r->status;
	if (!db_res_get(*ret_port, 0, PORT_COL_NIC_ID))
		return api_error(r, API_E_NOT_FOUND,
				 "port '%s' of switch '%s' is not wired to a "
				 "NIC",
				 r->param[1], r->param[0]);
	n = db_q(r->db, Q_PORT_NODE_LOCK, ret_node,
		 db_res_get(*ret_port, 0, PORT_COL_ID));
	if (n < 0)
		return api_db_error(r, n);
	/* Read the wiring again under the node's lock: the NIC may have
	 * been deleted meanwhile. */
	*ret_port = db_res_free(*ret_port);
	if (switch_find_port(r, *ret_sw, false, ret_port))
		return r->status;
	if (n == 0 || !db_res_get(*ret_port, 0, PORT_COL_NIC_ID))
		return api_error(r, API_E_NOT_FOUND,
				 "port '%s' of switch '%s' is not wired to a "
				 "NIC",
				 r->param[1], r->param[0]);
	return 0;
}

int port_detach_nic(struct api_req *r)
{
	struct db_res *sw = NULL, *port = NULL, *node = NULL;
	int n, ret;

	if (api_need_admin(r))
		return r->status;
	if (switch_wired_prologue(r, &sw, &port, &node)) {
		ret = r->status;
		goto out;
	}
	if (db_res_get(node, 0, 1)) {
		ret = api_error(r, API_E_BLOCKED,
				"node '%s' is in a project; only a free node's "
				"NIC is unwired",
				db_res_get(port, 0, PORT_COL_NODE));
		goto out;
	}
	n = db_q(r->db, Q_PORT_UNWIRE, NULL,
		 db_res_get(port, 0, PORT_COL_NIC_ID),
		 db_res_get(port, 0, PORT_COL_ID));
	ret = n <= 0 ? api_db_error(r, n < 0 ? n : -EIO) : api_reply_empty(r);
out:
	db_res_free(node);
	db_res_free(port);
	db_res_free(sw);
	return ret;
}

/* Answers 200 (not 202) with the action's id, as the original does. */
int port_revert(struct api_req *r)
{
	struct db_res *sw = NULL, *port = NULL, *node = NULL;
	struct networking_op op = {
		.kind = NETWORKING_REVERT_PORT,
		.channel = "",
	};
	int ret;

	if (api_need_admin(r))
		return r->status;
	if (switch_wired_prologue(r, &sw, &port, &node) ||
	    networking_check_idle(r, db_res_get(port, 0, PORT_COL_NIC_ID))) {
		ret = r->status;
		goto out;
	}
	op.nic_id = db_res_get(port, 0, PORT_COL_NIC_ID);
	op.switch_id = db_res_get(sw, 0, SW_COL_ID);
	op.port_id = db_res_get(port, 0, PORT_COL_ID);
	ret = networking_queue(r, &op, 200);
out:
	db_res_free(node);
	db_res_free(port);
	db_res_free(sw);
	return ret;
}
