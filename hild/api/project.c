/*
 * project.c - /v0/projects and /v0/project/<project>/...: create, delete,
 * list, and moving nodes in and out of a project (spec section 4.1).
 */
#include "config.h"

#include "api/handlers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/obm.h"

/* The project of the first path parameter (404 when missing). */
static int project_find(struct api_req *r, char ret_id[MISC_ID_LEN])
{
	return misc_find_id(r, Q_PROJECT_GET, "project", r->param[0], ret_id);
}

/* Reply with column 0 of query q (one parameter) as a JSON array. */
static int project_reply_list(struct api_req *r, enum db_query q,
			      const char *param, bool sort)
{
	struct db_res *res = NULL;
	int n, ret;

	n = param ? db_q(r->db, q, &res, param) : db_q0(r->db, q, &res);
	if (n < 0)
		ret = api_db_error(r, n);
	else
		ret = api_reply_json(r, 200, misc_column_array(res, 0, sort));
	db_res_free(res);
	return ret;
}

int project_list(struct api_req *r)
{
	if (api_need_admin(r))
		return r->status;
	return project_reply_list(r, Q_PROJECT_LIST, NULL, true);
}

int project_create(struct api_req *r)
{
	int n;

	if (api_need_admin(r))
		return r->status;
	n = db_q(r->db, Q_PROJECT_INSERT, NULL, r->param[0]);
	if (n < 0)
		return api_db_error(r, n);
	if (n == 0)
		return api_error(r, API_E_DUPLICATE,
				 "project '%s' already exists", r->param[0]);
	return api_reply_empty(r);
}

/* What blocks a delete, in the order the spec checks it (columns of
 * Q_PROJECT_DELETE_BLOCKERS). */
static const char *const project_blockers[] = {
	"it has nodes",
	"it owns networks",
	"it is on a network's access list",
};

int project_delete(struct api_req *r)
{
	struct db_res *res = NULL;
	char id[MISC_ID_LEN];
	int n, ret;

	if (api_need_admin(r) || project_find(r, id))
		return r->status;
	n = db_q(r->db, Q_PROJECT_DELETE_BLOCKERS, &res, id);
	if (n <= 0) {
		ret = api_db_error(r, n < 0 ? n : -EIO);
		goto out;
	}
	for (size_t i = 0;
	     i < sizeof(project_blockers) / sizeof(project_blockers[0]); i++)
		if (db_res_int(res, 0, (int)i)) {
			ret = api_error(r, API_E_BLOCKED,
					"project '%s' cannot be deleted: %s",
					r->param[0], project_blockers[i]);
			goto out;
		}
	n = db_q(r->db, Q_PROJECT_DELETE_MEMBERS, NULL, id);
	if (n >= 0)
		n = db_q(r->db, Q_PROJECT_DELETE, NULL, id);
	ret = n < 0 ? api_db_error(r, n) : api_reply_empty(r);
out:
	db_res_free(res);
	return ret;
}

/*
 * The checks connect_node and detach_node share: project exists (404),
 * the caller may use it (401/403), the node in the body exists (404).
 * The node's row is locked; *ret_node holds id, project_id, obm_enabled.
 * Returns 0 or the status of the error reply it set.
 */
static int project_node_prologue(struct api_req *r, char ret_pid[MISC_ID_LEN],
				 struct db_res **ret_node)
{
	const char *node = api_arg_str(r, "node");
	struct db_res *res = NULL;
	int n;

	if (project_find(r, ret_pid) || api_need_project(r, ret_pid))
		return r->status;
	n = db_q(r->db, Q_NODE_LOCK, &res, node);
	if (n <= 0) {
		db_res_free(res);
		if (n < 0)
			return api_db_error(r, n);
		return api_error(r, API_E_NOT_FOUND, "no node '%s'", node);
	}
	*ret_node = res;
	return 0;
}

int project_connect_node(struct api_req *r)
{
	const char *node = api_arg_str(r, "node");
	struct db_res *res = NULL;
	char pid[MISC_ID_LEN];
	int n, ret;

	if (project_node_prologue(r, pid, &res))
		return r->status;
	if (db_res_get(res, 0, 1)) {
		ret = api_error(r, API_E_BLOCKED,
				"node '%s' is already in a project", node);
		goto out;
	}
	n = db_q(r->db, Q_PROJECT_CONNECT_NODE, NULL, db_res_get(res, 0, 0),
		 pid);
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0)
		ret = api_error(r, API_E_BLOCKED,
				"node '%s' is already in a project", node);
	else
		ret = api_reply_empty(r);
out:
	db_res_free(res);
	return ret;
}

int project_detach_node(struct api_req *r)
{
	const char *node = api_arg_str(r, "node");
	struct db_res *res = NULL, *blk = NULL;
	const char *node_pid, *node_id;
	char pid[MISC_ID_LEN];
	int n, ret;

	if (project_node_prologue(r, pid, &res))
		return r->status;
	node_id = db_res_get(res, 0, 0);
	node_pid = db_res_get(res, 0, 1);
	if (!node_pid || strcmp(node_pid, pid) != 0) {
		ret = api_error(r, API_E_NOT_FOUND,
				"node '%s' is not in project '%s'", node,
				r->param[0]);
		goto out;
	}
	if (db_res_int(res, 0, 2)) {
		ret = api_error(r, API_E_BLOCKED,
				"node '%s' has its OBM enabled; disable it "
				"first",
				node);
		goto out;
	}
	n = db_q(r->db, Q_NODE_DETACH_BLOCKERS, &blk, node_id);
	if (n <= 0) {
		ret = api_db_error(r, n < 0 ? n : -EIO);
		goto out;
	}
	if (db_res_int(blk, 0, 0)) {
		ret = api_error(r, API_E_BLOCKED,
				"node '%s' has NICs attached to networks",
				node);
		goto out;
	}
	if (db_res_int(blk, 0, 1)) {
		ret = api_error(r, API_E_BLOCKED,
				"node '%s' has pending networking actions",
				node);
		goto out;
	}
	n = db_q(r->db, Q_PROJECT_DETACH_NODE, NULL, node_id, pid);
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0) /* cannot happen: the row is locked */
		ret = api_db_error(r, -EIO);
	else if ((ret = obm_release(r, node_id, node)) == 0)
		ret = api_reply_empty(r); /* the next tenant starts clean */
out:
	db_res_free(blk);
	db_res_free(res);
	return ret;
}

int project_list_nodes(struct api_req *r)
{
	char id[MISC_ID_LEN];

	if (project_find(r, id) || api_need_project(r, id))
		return r->status;
	return project_reply_list(r, Q_PROJECT_NODES, id, false);
}

int project_list_networks(struct api_req *r)
{
	char id[MISC_ID_LEN];

	if (project_find(r, id) || api_need_project(r, id))
		return r->status;
	return project_reply_list(r, Q_PROJECT_NETWORKS, id, true);
}
