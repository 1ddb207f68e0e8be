/*
 * network.c - /v0/network/<network>..., /v0/networks: networks, their
 * access lists and attachments (spec sections 4.4 and 6).
 *
 * A network has an owner (a project, or none: "admin"), an access list in
 * grant order (empty: public) and an id from the VLAN pool (vlan.h) or
 * chosen by an admin.  Attachments are made and removed by the engine
 * only; the networking actions that ask for them are in networking.c.
 */
#include "config.h"

#include "api/handlers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/networking.h"
#include "log.h"
#include "vlan.h"

/* The owner name of a network no project owns. */
#define NETWORK_ADMIN "admin"

/* Columns of Q_NETWORK_GET (0-3 also of Q_NETWORK_LOCK). */
enum {
	NET_COL_ID,
	NET_COL_OWNER_ID,
	NET_COL_NET_ID,
	NET_COL_ALLOCATED,
	NET_COL_OWNER,
};

/* Columns of Q_NETWORK_ACCESS. */
enum {
	ACC_COL_PROJECT_ID,
	ACC_COL_PROJECT,
};

/*
 * Look up the network named label, locked when lock (Q_NETWORK_LOCK).
 * Returns 0 with the row in *ret_res, or the status of the error reply it
 * set (404 when there is no such network).
 */
static int network_find(struct api_req *r, const char *label, bool lock,
			struct db_res **ret_res)
{
	struct db_res *res = NULL;
	int n;

	n = db_q(r->db, lock ? Q_NETWORK_LOCK : Q_NETWORK_GET, &res, label);
	if (n <= 0) {
		db_res_free(res);
		if (n < 0)
			return api_db_error(r, n);
		return api_error(r, API_E_NOT_FOUND, "no network '%s'", label);
	}
	*ret_res = res;
	return 0;
}

/* Refuse: 401 for an anonymous caller, 403 for the others. */
static int network_deny(struct api_req *r, const char *label)
{
	if (!r->who.authenticated)
		return api_error(r, API_E_UNAUTH, "authentication required");
	return api_error(r, API_E_FORBIDDEN, "no access to network '%s'",
			 label);
}

/* Whether project_id is on the access list acc (Q_NETWORK_ACCESS). */
static bool network_on_list(const struct db_res *acc, const char *project_id)
{
	for (int i = 0; i < db_res_rows(acc); i++)
		if (strcmp(db_res_get(acc, i, ACC_COL_PROJECT_ID),
			   project_id) == 0)
			return true;
	return false;
}

/* Give the new network (row id) its id: allocated from the pool when the
 * admin chose none (net_id ""), else the admin's, claimed when pooled. */
static int network_assign_id(struct api_req *r, const char *label,
			     const char *id, const char *net_id)
{
	char vlan[VLAN_ID_LEN];
	bool pooled = true;
	int err, n;

	if (!*net_id) {
		err = vlan_pool_alloc(r->db, id, vlan);
		if (err == -ENOSPC) {
			log_warn("no free VLAN left in the pool for network "
				 "'%s'",
				 label);
			return api_error(r, API_E_ALLOCATION,
					 "no free VLAN is left in the pool");
		}
		net_id = vlan;
	} else {
		err = vlan_pool_claim(r->db, id, net_id, &pooled);
		if (err == -EBUSY)
			return api_error(r, API_E_BLOCKED,
					 "VLAN %s is in use by another network",
					 net_id);
	}
	if (err < 0)
		return api_db_error(r, err);
	n = db_q(r->db, Q_NETWORK_SET_ID, NULL, id, net_id, pooled ? "1" : "0");
	return n < 0 ? api_db_error(r, n) : 0;
}

int network_create(struct api_req *r)
{
	const char *label = r->param[0];
	const char *owner = api_arg_str(r, "owner");
	const char *access = api_arg_str(r, "access");
	const char *net_id = api_arg_str(r, "net_id");
	char owner_id[MISC_ID_LEN], access_id[MISC_ID_LEN], id[MISC_ID_LEN];
	const char *owner_p = NULL, *access_p = NULL;
	struct db_res *res = NULL;
	int n;

	/* The original checks the label before the caller's rights. */
	n = db_q(r->db, Q_NETWORK_GET, NULL, label);
	if (n < 0)
		return api_db_error(r, n);
	if (n > 0)
		return api_error(r, API_E_DUPLICATE,
				 "network '%s' already exists", label);
	if (strcmp(owner, NETWORK_ADMIN) != 0) {
		if (misc_find_id(r, Q_PROJECT_GET, "project", owner,
				 owner_id) ||
		    api_need_project(r, owner_id))
			return r->status;
		if (strcmp(access, owner) != 0)
			return api_error(r, API_E_BAD_ARG,
					 "a project's new network is open to "
					 "that project only: 'access' must be "
					 "'%s'",
					 owner);
		if (*net_id)
			return api_error(r, API_E_BAD_ARG,
					 "only administrators choose network "
					 "ids: 'net_id' must be empty");
		owner_p = access_p = owner_id;
	} else {
		if (api_need_admin(r))
			return r->status;
		if (*access) {
			if (misc_find_id(r, Q_PROJECT_GET, "project", access,
					 access_id))
				return r->status;
			access_p = access_id;
		}
	}
	if (*net_id && !vlan_id_valid(net_id))
		return api_error(r, API_E_BAD_ARG,
				 "network id '%.64s' is not a VLAN id "
				 "(%d..%d)",
				 net_id, VLAN_MIN, VLAN_EXPLICIT_MAX);
	n = db_q(r->db, Q_NETWORK_INSERT, &res, label, owner_p);
	if (n > 0)
		snprintf(id, sizeof(id), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	if (n < 0)
		return api_db_error(r, n);
	if (n == 0)
		return api_error(r, API_E_DUPLICATE,
				 "network '%s' already exists", label);
	if (network_assign_id(r, label, id, net_id))
		return r->status;
	if (access_p) {
		n = db_q(r->db, Q_NETWORK_ACCESS_ADD, NULL, id, access_p);
		if (n < 0)
			return api_db_error(r, n);
	}
	return api_reply_empty(r);
}

/* What blocks a delete, in the spec's order (columns of
 * Q_NETWORK_DELETE_BLOCKERS). */
static const char *const network_delete_blockers[] = {
	"it is attached to NICs",
	"a networking action targets it (kept until the NIC's next action)",
};

int network_delete(struct api_req *r)
{
	struct db_res *net = NULL, *blk = NULL;
	const char *id;
	int n, ret;

	if (network_find(r, r->param[0], true, &net))
		return r->status;
	id = db_res_get(net, 0, NET_COL_ID);
	if (api_need_project(r, db_res_get(net, 0, NET_COL_OWNER_ID))) {
		ret = r->status;
		goto out;
	}
	n = db_q(r->db, Q_NETWORK_DELETE_BLOCKERS, &blk, id);
	if (n <= 0) {
		ret = api_db_error(r, n < 0 ? n : -EIO);
		goto out;
	}
	for (size_t i = 0; i < sizeof(network_delete_blockers) /
				       sizeof(network_delete_blockers[0]);
	     i++)
		if (db_res_int(blk, 0, (int)i)) {
			ret = api_error(r, API_E_BLOCKED,
					"network '%s' cannot be deleted: %s",
					r->param[0],
					network_delete_blockers[i]);
			goto out;
		}
	n = vlan_pool_release(r->db, id);
	if (n >= 0)
		n = db_q(r->db, Q_NETWORK_DELETE_ACCESS, NULL, id);
	if (n >= 0)
		n = db_q(r->db, Q_NETWORK_DELETE, NULL, id);
	ret = n < 0 ? api_db_error(r, n) : api_reply_empty(r);
out:
	db_res_free(blk);
	db_res_free(net);
	return ret;
}

/* The "connected-nodes" of show_network: an attachment is shown to those
 * with access to the network's owner, or to the attached node's project.
 * Rows come grouped by project, so each project is tested once. */
static json_t *network_connected_json(struct api_req *r, const char *owner_id,
				      const struct db_res *att)
{
	bool owner_ok = api_has_project(r, owner_id), ok = false;
	const char *pid, *last = NULL, *node;
	json_t *obj = json_object(), *nics;

	for (int i = 0; obj && i < db_res_rows(att); i++) {
		pid = db_res_get(att, i, 0);
		if (i == 0 || (pid == NULL) != (last == NULL) ||
		    (pid && strcmp(pid, last) != 0))
			ok = owner_ok || api_has_project(r, pid);
		last = pid;
		if (!ok)
			continue;
		node = db_res_get(att, i, 1);
		nics = json_object_get(obj, node);
		if (!nics) {
			nics = json_array();
			if (json_object_set_new(obj, node, nics) < 0)
				goto fail;
		}
		if (json_array_append_new(
			    nics, json_string(db_res_get(att, i, 2))) < 0)
			goto fail;
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

int network_show(struct api_req *r)
{
	struct db_res *net = NULL, *acc = NULL, *att = NULL;
	json_t *access = NULL, *connected = NULL, *channels = NULL;
	char tagged[sizeof(NETWORKING_VLAN_PREFIX) + API_MAX_STRING];
	const char *id, *owner;
	bool ok;
	int n, ret;

	if (network_find(r, r->param[0], false, &net))
		return r->status;
	id = db_res_get(net, 0, NET_COL_ID);
	n = db_q(r->db, Q_NETWORK_ACCESS, &acc, id);
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	/* Public networks are for everyone; the others for their list. */
	ok = n == 0 || r->who.admin;
	for (int i = 0; !ok && i < n; i++)
		ok = api_has_project(r, db_res_get(acc, i, ACC_COL_PROJECT_ID));
	if (!ok) {
		ret = network_deny(r, r->param[0]);
		goto out;
	}
	n = db_q(r->db, Q_NETWORK_CONNECTED, &att, id);
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	access = db_res_rows(acc)
			 ? misc_column_array(acc, ACC_COL_PROJECT, false)
			 : json_null();
	connected = network_connected_json(
		r, db_res_get(net, 0, NET_COL_OWNER_ID), att);
	snprintf(tagged, sizeof(tagged), "%s%s", NETWORKING_VLAN_PREFIX,
		 db_res_get(net, 0, NET_COL_NET_ID));
	channels = json_pack("[s, s]", NETWORKING_NATIVE, tagged);
	if (!access || !connected || !channels) {
		ret = api_error(r, API_E_SERVER, "out of memory");
		goto out;
	}
	owner = db_res_get(net, 0, NET_COL_OWNER);
	ret = api_reply_json(r, 200,
			     json_pack("{s:s, s:s, s:o, s:o, s:o}", "name",
				       r->param[0], "owner",
				       owner ? owner : NETWORK_ADMIN, "access",
				       access, "channels", channels,
				       "connected-nodes", connected));
	access = channels = connected = NULL; /* json_pack took them */
out:
	json_decref(access);
	json_decref(channels);
	json_decref(connected);
	db_res_free(att);
	db_res_free(acc);
	db_res_free(net);
	return ret;
}

/* Add one row of Q_NETWORK_LIST_ALL or _PUBLIC (label, network id,
 * project or NULL) to the list_networks object. */
static int network_list_add(json_t *out, const struct db_res *res, int i,
			    bool with_projects)
{
	const char *label = db_res_get(res, i, 0);
	const char *project = with_projects ? db_res_get(res, i, 2) : NULL;
	json_t *net = json_object_get(out, label), *projects;

	if (!net) {
		net = json_pack("{s:s, s:n}", "network_id",
				db_res_get(res, i, 1), "projects");
		if (json_object_set_new(out, label, net) < 0)
			return -ENOMEM;
	}
	if (!project)
		return 0;
	projects = json_object_get(net, "projects");
	if (!json_is_array(projects)) {
		projects = json_array();
		if (json_object_set_new(net, "projects", projects) < 0)
			return -ENOMEM;
	}
	return json_array_append_new(projects, json_string(project)) < 0
		       ? -ENOMEM
		       : 0;
}

int network_list(struct api_req *r)
{
	struct db_res *res = NULL;
	const char *key;
	json_t *out = NULL, *net;
	int n, ret, err = 0;

	/* Admins see every network, the others the public ones. */
	n = db_q0(r->db,
		  r->who.admin ? Q_NETWORK_LIST_ALL : Q_NETWORK_LIST_PUBLIC,
		  &res);
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	out = json_object();
	for (int i = 0; out && !err && i < n; i++)
		err = network_list_add(out, res, i, r->who.admin);
	if (out && !err)
		json_object_foreach(out, key, net)
		{
			if (misc_sort_strings(
				    json_object_get(net, "projects")) < 0)
				err = -ENOMEM;
		}
	if (!out || err) {
		ret = api_error(r, API_E_SERVER, "out of memory");
		goto out;
	}
	ret = api_reply_json(r, 200, out);
	out = NULL;
out:
	json_decref(out);
	db_res_free(res);
	return ret;
}

int network_list_attachments(struct api_req *r)
{
	const char *project = api_arg_str(r, "project"), *node;
	struct db_res *net = NULL, *acc = NULL, *att = NULL;
	char pid[MISC_ID_LEN];
	json_t *out = NULL;
	bool owner_ok;
	int n, ret;

	if (network_find(r, r->param[0], false, &net))
		return r->status;
	owner_ok = api_has_project(r, db_res_get(net, 0, NET_COL_OWNER_ID));
	if (!project) {
		if (!owner_ok) {
			ret = network_deny(r, r->param[0]);
			goto out;
		}
	} else {
		if (misc_find_id(r, Q_PROJECT_GET, "project", project, pid)) {
			ret = r->status;
			goto out;
		}
		if (!owner_ok) {
			/* A project on the list may see its own nodes. */
			n = db_q(r->db, Q_NETWORK_ACCESS, &acc,
				 db_res_get(net, 0, NET_COL_ID));
			if (n < 0) {
				ret = api_db_error(r, n);
				goto out;
			}
			if (!network_on_list(acc, pid) ||
			    !api_has_project(r, pid)) {
				ret = network_deny(r, r->param[0]);
				goto out;
			}
		}
	}
	n = db_q(r->db, Q_NETWORK_ATTACHMENTS, &att,
		 db_res_get(net, 0, NET_COL_ID));
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	out = json_object();
	for (int i = 0; out && i < n; i++) {
		const char *node_pid = db_res_get(att, i, 0);

		if (project && (!node_pid || strcmp(node_pid, pid) != 0))
			continue;
		node = db_res_get(att, i, 1);
		/* One entry per node: a later NIC replaces an earlier one,
		 * as in the original. */
		if (json_object_set_new(
			    out, node,
			    json_pack("{s:s, s:s, s:s?}", "nic",
				      db_res_get(att, i, 2), "channel",
				      db_res_get(att, i, 3), "project",
				      db_res_get(att, i, 4))) < 0) {
			json_decref(out);
			out = NULL;
		}
	}
	ret = api_reply_json(r, 200, out);
	out = NULL;
out:
	db_res_free(att);
	db_res_free(acc);
	db_res_free(net);
	return ret;
}

int network_grant_access(struct api_req *r)
{
	struct db_res *net = NULL;
	char pid[MISC_ID_LEN];
	int n, ret;

	if (network_find(r, r->param[0], true, &net))
		return r->status;
	if (misc_find_id(r, Q_PROJECT_GET, "project", r->param[1], pid) ||
	    api_need_project(r, db_res_get(net, 0, NET_COL_OWNER_ID))) {
		ret = r->status;
		goto out;
	}
	n = db_q(r->db, Q_NETWORK_ACCESS_ADD, NULL,
		 db_res_get(net, 0, NET_COL_ID), pid);
	if (n < 0)
		ret = api_db_error(r, n);
	else if (n == 0)
		ret = api_error(r, API_E_DUPLICATE,
				"project '%s' already has access to network "
				"'%s'",
				r->param[1], r->param[0]);
	else
		ret = api_reply_empty(r);
out:
	db_res_free(net);
	return ret;
}

/* What keeps a project on the list (columns of
 * Q_NETWORK_REVOKE_BLOCKERS).  The second is stricter than the original,
 * which let an attachment queued before the revoke complete after it. */
static const char *const network_revoke_blockers[] = {
	"NICs of its nodes are attached to the network",
	"NICs of its nodes are being attached to the network",
};

int network_revoke_access(struct api_req *r)
{
	struct db_res *net = NULL, *acc = NULL, *blk = NULL;
	const char *id, *owner_id;
	char pid[MISC_ID_LEN];
	int n, ret;

	if (network_find(r, r->param[0], true, &net))
		return r->status;
	id = db_res_get(net, 0, NET_COL_ID);
	owner_id = db_res_get(net, 0, NET_COL_OWNER_ID);
	if (misc_find_id(r, Q_PROJECT_GET, "project", r->param[1], pid)) {
		ret = r->status;
		goto out;
	}
	n = db_q(r->db, Q_NETWORK_ACCESS, &acc, id);
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	/* The owner's side may remove anyone, a project itself. */
	if (n > 0 && !api_has_project(r, owner_id) &&
	    !(network_on_list(acc, pid) && api_has_project(r, pid))) {
		ret = network_deny(r, r->param[0]);
		goto out;
	}
	if (!network_on_list(acc, pid)) {
		ret = api_error(r, API_E_NOT_FOUND,
				"project '%s' is not on the access list of "
				"network '%s'",
				r->param[1], r->param[0]);
		goto out;
	}
	if (owner_id && strcmp(owner_id, pid) == 0) {
		ret = api_error(r, API_E_BLOCKED,
				"project '%s' owns network '%s' and keeps its "
				"access",
				r->param[1], r->param[0]);
		goto out;
	}
	n = db_q(r->db, Q_NETWORK_REVOKE_BLOCKERS, &blk, id, pid);
	if (n <= 0) {
		ret = api_db_error(r, n < 0 ? n : -EIO);
		goto out;
	}
	for (size_t i = 0; i < sizeof(network_revoke_blockers) /
				       sizeof(network_revoke_blockers[0]);
	     i++)
		if (db_res_int(blk, 0, (int)i)) {
			ret = api_error(r, API_E_BLOCKED,
					"project '%s' keeps its access to "
					"network '%s': %s",
					r->param[1], r->param[0],
					network_revoke_blockers[i]);
			goto out;
		}
	n = db_q(r->db, Q_NETWORK_ACCESS_REMOVE, NULL, id, pid);
	ret = n < 0 ? api_db_error(r, n) : api_reply_empty(r);
out:
	db_res_free(blk);
	db_res_free(acc);
	db_res_free(net);
	return ret;
}
