/*
 * user.c - /v0/auth/basic/...: local users and their projects (spec
 * section 4.9).  Admin only; the admin check comes before any lookup.
 */
#include "config.h"

#include "api/handlers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/auth.h"
#include "log.h"

#define USER_MAX_HASH 512 /* a crypt(3) hash, with room to spare */

/* Columns of Q_USER_LIST. */
enum {
	USER_COL_LABEL,
	USER_COL_ADMIN,
	USER_COL_PROJECT
};

/* {"<user>": {"is_admin": bool, "projects": [sorted labels]}}, from rows
 * grouped by user. */
static json_t *user_list_json(const struct db_res *res)
{
	json_t *all = json_object(), *projects = NULL;
	const char *label, *prev = NULL, *project;

	for (int i = 0; all && i < db_res_rows(res); i++) {
		label = db_res_get(res, i, USER_COL_LABEL);
		if (!prev || strcmp(prev, label) != 0) {
			projects = json_array();
			if (json_object_set_new(
				    all, label,
				    json_pack("{s:b, s:o}", "is_admin",
					      (int)db_res_int(res, i,
							      USER_COL_ADMIN),
					      "projects", projects)) < 0)
				goto fail;
			prev = label;
		}
		project = db_res_get(res, i, USER_COL_PROJECT);
		if (project &&
		    json_array_append_new(projects, json_string(project)) < 0)
			goto fail;
	}
	/* Sort every user's projects now that all are in. */
	if (all) {
		const char *k;
		json_t *v;

		json_object_foreach(all, k, v)
		{
			if (misc_sort_strings(json_object_get(v, "projects")) <
			    0)
				goto fail;
		}
	}
	return all;
fail:
	json_decref(all);
	return NULL;
}

int user_list(struct api_req *r)
{
	struct db_res *res = NULL;
	int n, ret;

	if (api_need_admin(r))
		return r->status;
	n = db_q0(r->db, Q_USER_LIST, &res);
	if (n < 0)
		ret = api_db_error(r, n);
	else
		ret = api_reply_json(r, 200, user_list_json(res));
	db_res_free(res);
	return ret;
}

int user_create(struct api_req *r)
{
	struct db_res *res = NULL;
	char hash[USER_MAX_HASH];
	int n, err;

	if (api_need_admin(r))
		return r->status;
	/* Before hashing: a hash costs far more than the lookup. */
	n = db_q(r->db, Q_USER_GET, &res, r->param[0]);
	db_res_free(res);
	if (n < 0)
		return api_db_error(r, n);
	if (n > 0)
		return api_error(r, API_E_DUPLICATE, "user '%s' already exists",
				 r->param[0]);
	err = auth_hash_password(api_arg_str(r, "password"), hash,
				 sizeof(hash));
	if (err < 0) {
		log_err("could not hash the password of new user '%s': %s",
			r->param[0], strerror(-err));
		return api_error(r, API_E_SERVER,
				 "could not hash the password");
	}
	n = db_q(r->db, Q_USER_INSERT, NULL, r->param[0], hash,
		 api_arg_bool(r, "is_admin", false) ? "1" : "0");
	explicit_bzero(hash, sizeof(hash));
	if (n < 0)
		return api_db_error(r, n);
	auth_cache_forget(r->param[0]);
	return api_reply_empty(r);
}

int user_delete(struct api_req *r)
{
	char id[MISC_ID_LEN];
	int n;

	if (api_need_admin(r) ||
	    misc_find_id(r, Q_USER_GET, "user", r->param[0], id))
		return r->status;
	n = db_q(r->db, Q_USER_DELETE_PROJECTS, NULL, id);
	if (n >= 0)
		n = db_q(r->db, Q_USER_DELETE, NULL, id);
	if (n < 0)
		return api_db_error(r, n);
	auth_cache_forget(r->param[0]);
	return api_reply_empty(r);
}

/* The prologue of add_project and remove_project: admin, then the user
 * and the project (404).  Returns 0 or the status of the error reply. */
static int user_find_membership(struct api_req *r, char uid[MISC_ID_LEN],
				char pid[MISC_ID_LEN])
{
	if (api_need_admin(r) ||
	    misc_find_id(r, Q_USER_GET, "user", r->param[0], uid) ||
	    misc_find_id(r, Q_PROJECT_GET, "project", api_arg_str(r, "project"),
			 pid))
		return r->status;
	return 0;
}

int user_add_project(struct api_req *r)
{
	char uid[MISC_ID_LEN], pid[MISC_ID_LEN];
	int n;

	if (user_find_membership(r, uid, pid))
		return r->status;
	n = db_q(r->db, Q_USER_ADD_PROJECT, NULL, uid, pid);
	if (n < 0)
		return api_db_error(r, n);
	if (n == 0)
		return api_error(r, API_E_DUPLICATE,
				 "user '%s' is already in project '%s'",
				 r->param[0], api_arg_str(r, "project"));
	return api_reply_empty(r);
}

int user_remove_project(struct api_req *r)
{
	char uid[MISC_ID_LEN], pid[MISC_ID_LEN];
	int n;

	if (user_find_membership(r, uid, pid))
		return r->status;
	n = db_q(r->db, Q_USER_REMOVE_PROJECT, NULL, uid, pid);
	if (n < 0)
		return api_db_error(r, n);
	if (n == 0)
		return api_error(r, API_E_NOT_FOUND,
				 "user '%s' is not in project '%s'",
				 r->param[0], api_arg_str(r, "project"));
	return api_reply_empty(r);
}

int user_set_admin(struct api_req *r)
{
	char id[MISC_ID_LEN];
	int n;

	if (api_need_admin(r) ||
	    misc_find_id(r, Q_USER_GET, "user", r->param[0], id))
		return r->status;
	/* An admin who demoted themselves could leave no admin at all. */
	if (strcmp(r->who.user, r->param[0]) == 0)
		return api_error(r, API_E_ILLEGAL,
				 "a user cannot change their own admin flag");
	n = db_q(r->db, Q_USER_SET_ADMIN, NULL, id,
		 api_arg_bool(r, "is_admin", false) ? "1" : "0");
	if (n < 0)
		return api_db_error(r, n);
	auth_cache_forget(r->param[0]);
	return api_reply_empty(r);
}
