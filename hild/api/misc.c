/*
 * misc.c - GET /active_extensions, and the lookup and list helpers the
 * handler files share.
 */
#include "config.h"

#include "api/handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

static const char *const misc_kind_names[] = {
	[HIL_PLUGIN_SWITCH] = "switch",
	[HIL_PLUGIN_OBM] = "obm",
	[HIL_PLUGIN_AUTH] = "auth",
};

#define MISC_N_KINDS (sizeof(misc_kind_names) / sizeof(misc_kind_names[0]))

static int misc_cmp_json_strings(const void *a, const void *b)
{
	const char *x = json_string_value(*(json_t *const *)a);
	const char *y = json_string_value(*(json_t *const *)b);

	/* strcmp on UTF-8 is code point order, which is what the original's
	 * sorted() gives; the database's collation may differ. */
	return strcmp(x ? x : "", y ? y : "");
}

int misc_sort_strings(json_t *array)
{
	size_t n = json_array_size(array);
	json_t **v;

	if (n < 2)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(array, i));
	qsort(v, n, sizeof(*v), misc_cmp_json_strings);
	/* Clearing keeps the array's storage, so appending cannot fail. */
	json_array_clear(array);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(array, v[i]);
	free(v);
	return 0;
}

json_t *misc_column_array(const struct db_res *res, int col, bool sort)
{
	int rows = db_res_rows(res);
	json_t *a = json_array();
	const char *s;

	for (int i = 0; a && i < rows; i++) {
		s = db_res_get(res, i, col);
		if (s && json_array_append_new(a, json_string(s)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	if (a && sort && misc_sort_strings(a) < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

int misc_find_id(struct api_req *r, enum db_query q, const char *what,
		 const char *label, char ret_id[MISC_ID_LEN])
{
	struct db_res *res = NULL;
	int n, ret = 0;

	n = db_q(r->db, q, &res, label);
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0)
		ret = api_error(r, API_E_NOT_FOUND, "no %s '%s'", what, label);
	else
		snprintf(ret_id, MISC_ID_LEN, "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	return ret;
}

struct misc_ext_ctx {
	json_t *names;
	int err;
};

static void misc_add_extension(const struct hil_plugin *p, void *arg)
{
	struct misc_ext_ctx *ctx = arg;
	char name[160];

	if (ctx->err || p->kind >= MISC_N_KINDS || !misc_kind_names[p->kind])
		return;
	snprintf(name, sizeof(name), "%s/%s", misc_kind_names[p->kind],
		 p->name);
	if (json_array_append_new(ctx->names, json_string(name)) < 0)
		ctx->err = -ENOMEM;
}

/* Every loaded plugin as "<kind>/<name>", sorted.  Local users are part
 * of hild's core and are not an extension. */
json_t *api_extensions(void)
{
	struct misc_ext_ctx ctx = {.names = json_array()};

	if (!ctx.names)
		return NULL;
	plugin_foreach(misc_add_extension, &ctx);
	if (ctx.err || misc_sort_strings(ctx.names) < 0) {
		json_decref(ctx.names);
		return NULL;
	}
	return ctx.names;
}

int misc_list_extensions(struct api_req *r)
{
	if (api_need_admin(r))
		return r->status;
	return api_reply_json(r, 200, api_extensions());
}
