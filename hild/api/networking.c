/*
 * networking.c - /v0/node/<node>/nic/<nic>/connect_network and
 * detach_network, /v0/networking_action/<id> (spec sections 4.5 and 5).
 *
 * Both calls only queue an operation (the engine applies it and records
 * the attachment); they answer 202 with the operation's id, which
 * networking_action shows until the NIC's next action replaces it.
 */
#include "config.h"

#include "api/networking.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "log.h"
#include "plugin.h"
#include "uuid.h"

/* Columns of Q_NODE_LOCK. */
enum {
	NODE_COL_ID,
	NODE_COL_PROJECT_ID,
};

/* Columns of Q_NETWORK_LOCK. */
enum {
	NET_COL_ID,
	NET_COL_OWNER_ID,
	NET_COL_NET_ID,
};

/* Columns of Q_NIC_ATTACHMENTS. */
enum {
	ATT_COL_NETWORK,
	ATT_COL_CHANNEL,
};

/* Columns of Q_OP_SHOW. */
enum {
	OP_COL_STATUS,
	OP_COL_NODE,
	OP_COL_NIC,
	OP_COL_KIND,
	OP_COL_CHANNEL,
	OP_COL_NETWORK,
	OP_COL_ERROR,
	OP_COL_PROJECT_ID,
};

/* Set once before serving; read by the request threads. */
static unsigned networking_max_pending = NETWORKING_MAX_PENDING;

void networking_setup(unsigned max_pending)
{
	networking_max_pending =
		max_pending ? max_pending : NETWORKING_MAX_PENDING;
}

int networking_check_idle(struct api_req *r, const char *nic_id)
{
	int n = db_q(r->db, Q_OP_NIC_PENDING, NULL, nic_id);

	if (n < 0)
		return api_db_error(r, n);
	if (n > 0)
		return api_error(r, API_E_BLOCKED,
				 "the NIC has a pending networking action");
	return 0;
}

int networking_queue(struct api_req *r, const struct networking_op *op,
		     int status)
{
	char uuid[UUID_TEXT_LEN], limit[16], now[24];
	struct db_res *res = NULL;
	struct timespec ts;
	int n;

	snprintf(limit, sizeof(limit), "%u", networking_max_pending);
	n = db_q(r->db, Q_OP_PENDING_COUNT, &res, limit);
	if (n > 0 && db_res_int(res, 0, 0) >= networking_max_pending)
		n = -ENOSPC;
	db_res_free(res);
	if (n == -ENOSPC)
		return api_error(r, API_E_VALIDATION,
				 "%u networking actions are pending already, "
				 "the most hild accepts; try again when some "
				 "are done",
				 networking_max_pending);
	if (n <= 0)
		return api_db_error(r, n < 0 ? n : -EIO);
	if (uuid_new(uuid) < 0) {
		log_err("could not read random bytes for an action id");
		return api_error(r, API_E_SERVER,
				 "could not make an action id");
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(now, sizeof(now), "%lld",
		 (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	n = db_q(r->db, Q_OP_DISCARD_FINISHED, NULL, op->nic_id);
	if (n >= 0)
		n = db_q(r->db, Q_OP_INSERT, NULL, uuid, op->kind, op->nic_id,
			 op->switch_id, op->port_id, op->channel,
			 op->network_id, now);
	if (n < 0)
		return api_db_error(r, n);
	r->queued = true;
	return api_reply_json(r, status, json_pack("{s:s}", "status_id", uuid));
}

const struct hil_switch_ops *networking_driver(struct api_req *r,
					       const char *sw, const char *type)
{
	const struct hil_plugin *p = plugin_find(HIL_PLUGIN_SWITCH, type);

	if (p && p->switch_ops)
		return p->switch_ops;
	api_error(r, API_E_SERVER,
		  "switch '%s' needs driver '%s', which is not loaded", sw,
		  type);
	return NULL;
}

bool networking_driver_can(const struct hil_switch_ops *ops, const char *cap)
{
	for (const char *const *c = ops->capabilities; c && *c; c++)
		if (strcmp(*c, cap) == 0)
			return true;
	return false;
}

/* What connect and detach look up: the node (locked), its NIC with the
 * wiring, the network (locked). */
struct networking_ctx {
	struct db_res *node, *nic, *net, *att;
	const char *node_label, *nic_label, *net_label;
};

static void networking_ctx_clear(struct networking_ctx *x)
{
	db_res_free(x->att);
	db_res_free(x->net);
	db_res_free(x->nic);
	db_res_free(x->node);
}

/* One lookup by label of the context: 404 "no <what> '<label>'" when
 * absent.  Returns 0 or the status of the error reply. */
static int networking_lookup(struct api_req *r, enum db_query q,
			     struct db_res **ret_res, const char *what,
			     const char *label)
{
	int n;

	n = db_q(r->db, q, ret_res, label);
	if (n < 0)
		return api_db_error(r, n);
	if (n == 0)
		return api_error(r, API_E_NOT_FOUND, "no %s '%s'", what, label);
	return 0;
}

static int networking_find_node(struct api_req *r, struct networking_ctx *x)
{
	x->node_label = r->param[0];
	x->nic_label = r->param[1];
	x->net_label = api_arg_str(r, "network");
	/* The node's row lock orders this call with the others that change
	 * its NICs' actions or its project. */
	return networking_lookup(r, Q_NODE_LOCK, &x->node, "node",
				 x->node_label);
}

static int networking_find_nic(struct api_req *r, struct networking_ctx *x)
{
	int n;

	n = db_q(r->db, Q_NIC_WIRING, &x->nic,
		 db_res_get(x->node, 0, NODE_COL_ID), x->nic_label);
	if (n < 0)
		return api_db_error(r, n);
	if (n == 0)
		return api_error(r, API_E_NOT_FOUND,
				 "node '%s' has no NIC '%s'", x->node_label,
				 x->nic_label);
	return 0;
}

static int networking_find_network(struct api_req *r, struct networking_ctx *x)
{
	return networking_lookup(r, Q_NETWORK_LOCK, &x->net, "network",
				 x->net_label);
}

/* Checks 2 and 3 of both calls: the node is in a project (409), the
 * caller may use it (401/403). */
static int networking_check_project(struct api_req *r, struct networking_ctx *x)
{
	const char *pid = db_res_get(x->node, 0, NODE_COL_PROJECT_ID);

	if (!pid)
		return api_error(r, API_E_MISMATCH,
				 "node '%s' is not in a project",
				 x->node_label);
	return api_need_project(r, pid);
}

static int networking_check_wired(struct api_req *r, struct networking_ctx *x)
{
	if (db_res_get(x->nic, 0, WIRE_COL_PORT))
		return 0;
	return api_error(r, API_E_NOT_FOUND,
			 "NIC '%s' of node '%s' is not wired to a switch port",
			 x->nic_label, x->node_label);
}

/* Check 6 of connect: the network is public or the node's project is on
 * its list (409 ProjectMismatchError). */
static int networking_check_usable(struct api_req *r, struct networking_ctx *x)
{
	struct db_res *res = NULL;
	int n, ret = 0;

	n = db_q(r->db, Q_NETWORK_USABLE_BY, &res,
		 db_res_get(x->net, 0, NET_COL_ID),
		 db_res_get(x->node, 0, NODE_COL_PROJECT_ID));
	if (n <= 0)
		ret = api_db_error(r, n < 0 ? n : -EIO);
	else if (!db_res_int(res, 0, 0))
		ret = api_error(r, API_E_MISMATCH,
				"the project of node '%s' has no access to "
				"network '%s'",
				x->node_label, x->net_label);
	db_res_free(res);
	return ret;
}

static int networking_read_attachments(struct api_req *r,
				       struct networking_ctx *x)
{
	int n = db_q(r->db, Q_NIC_ATTACHMENTS, &x->att,
		     db_res_get(x->nic, 0, WIRE_COL_NIC));

	return n < 0 ? api_db_error(r, n) : 0;
}

/* The NIC's attachment row on the network (row id), or -1. */
static int networking_attached(const struct networking_ctx *x, const char *net)
{
	for (int i = 0; i < db_res_rows(x->att); i++)
		if (strcmp(db_res_get(x->att, i, ATT_COL_NETWORK), net) == 0)
			return i;
	return -1;
}

static bool networking_channel_used(const struct networking_ctx *x,
				    const char *channel)
{
	for (int i = 0; i < db_res_rows(x->att); i++)
		if (strcmp(db_res_get(x->att, i, ATT_COL_CHANNEL), channel) ==
		    0)
			return true;
	return false;
}

/* The VLAN pool's legal channels for a network: the native slot, and its
 * own id tagged. */
static bool networking_channel_legal(const char *channel, const char *net_id)
{
	size_t np = strlen(NETWORKING_VLAN_PREFIX);

	return strcmp(channel, NETWORKING_NATIVE) == 0 ||
	       (strncmp(channel, NETWORKING_VLAN_PREFIX, np) == 0 &&
		strcmp(channel + np, net_id) == 0);
}

/* The driver of the NIC's switch; NULL with the error reply set. */
static const struct hil_switch_ops *
networking_nic_driver(struct api_req *r, const struct networking_ctx *x)
{
	return networking_driver(r,
				 db_res_get(x->nic, 0, WIRE_COL_SWITCH_LABEL),
				 db_res_get(x->nic, 0, WIRE_COL_TYPE));
}

static struct networking_op networking_op_of(const struct networking_ctx *x,
					     const char *channel,
					     const char *network_id)
{
	return (struct networking_op){
		.kind = NETWORKING_MODIFY_PORT,
		.nic_id = db_res_get(x->nic, 0, WIRE_COL_NIC),
		.switch_id = db_res_get(x->nic, 0, WIRE_COL_SWITCH),
		.port_id = db_res_get(x->nic, 0, WIRE_COL_PORT),
		.channel = channel,
		.network_id = network_id,
	};
}

int node_connect_network(struct api_req *r)
{
	struct networking_ctx x = {0};
	const struct hil_switch_ops *drv;
	const char *channel = api_arg_str(r, "channel"), *net, *net_id;
	struct networking_op op;
	int ret;

	if (networking_find_node(r, &x) || networking_find_nic(r, &x) ||
	    networking_find_network(r, &x) || networking_check_project(r, &x) ||
	    networking_check_wired(r, &x) ||
	    networking_check_idle(r, db_res_get(x.nic, 0, WIRE_COL_NIC))) {
		ret = r->status;
		goto out;
	}
	net = db_res_get(x.net, 0, NET_COL_ID);
	net_id = db_res_get(x.net, 0, NET_COL_NET_ID);
	if (networking_check_usable(r, &x) ||
	    networking_read_attachments(r, &x)) {
		ret = r->status;
		goto out;
	}
	if (networking_attached(&x, net) >= 0) {
		ret = api_error(r, API_E_BLOCKED,
				"network '%s' is already attached to NIC '%s' "
				"of node '%s'",
				x.net_label, x.nic_label, x.node_label);
		goto out;
	}
	/* An explicit "" is not replaced: it fails as illegal below. */
	if (!channel)
		channel = NETWORKING_NATIVE;
	if (networking_channel_used(&x, channel)) {
		ret = api_error(r, API_E_BLOCKED,
				"channel '%s' of NIC '%s' of node '%s' is in "
				"use",
				channel, x.nic_label, x.node_label);
		goto out;
	}
	if (!networking_channel_legal(channel, net_id)) {
		ret = api_error(
			r, API_E_BAD_ARG,
			"channel '%.64s' is not legal for network '%s': "
			"use '%s' or '%s%s'",
			channel, x.net_label, NETWORKING_NATIVE,
			NETWORKING_VLAN_PREFIX, net_id);
		goto out;
	}
	drv = networking_nic_driver(r, &x);
	if (!drv) {
		ret = r->status;
		goto out;
	}
	/* Drivers without a nativeless trunk mode tag VLANs only on a port
	 * that has its native network. */
	if (!networking_driver_can(drv, NETWORKING_NATIVELESS) &&
	    strcmp(channel, NETWORKING_NATIVE) != 0 &&
	    !networking_channel_used(&x, NETWORKING_NATIVE)) {
		ret = api_error(r, API_E_BLOCKED,
				"switch '%s' needs a network on '%s' before "
				"tagged ones",
				db_res_get(x.nic, 0, WIRE_COL_SWITCH_LABEL),
				NETWORKING_NATIVE);
		goto out;
	}
	op = networking_op_of(&x, channel, net);
	ret = networking_queue(r, &op, 202);
out:
	networking_ctx_clear(&x);
	return ret;
}

int node_detach_network(struct api_req *r)
{
	struct networking_ctx x = {0};
	const struct hil_switch_ops *drv;
	const char *channel;
	struct networking_op op;
	int i, ret;

	/* The spec's order: node, network, then the NIC. */
	if (networking_find_node(r, &x) || networking_find_network(r, &x) ||
	    networking_find_nic(r, &x) || networking_check_project(r, &x) ||
	    networking_check_idle(r, db_res_get(x.nic, 0, WIRE_COL_NIC)) ||
	    networking_read_attachments(r, &x)) {
		ret = r->status;
		goto out;
	}
	i = networking_attached(&x, db_res_get(x.net, 0, NET_COL_ID));
	if (i < 0) {
		ret = api_error(r, API_E_BAD_ARG,
				"network '%s' is not attached to NIC '%s' of "
				"node '%s'",
				x.net_label, x.nic_label, x.node_label);
		goto out;
	}
	channel = db_res_get(x.att, i, ATT_COL_CHANNEL);
	/* Attachments are made through a port, and a port is unwired only
	 * from a free node, which has none: this holds unless the database
	 * was changed behind hild's back. */
	if (networking_check_wired(r, &x)) {
		ret = r->status;
		goto out;
	}
	drv = networking_nic_driver(r, &x);
	if (!drv) {
		ret = r->status;
		goto out;
	}
	if (!networking_driver_can(drv, NETWORKING_NATIVELESS) &&
	    strcmp(channel, NETWORKING_NATIVE) == 0 && db_res_rows(x.att) > 1) {
		ret = api_error(r, API_E_BLOCKED,
				"switch '%s' keeps the network on '%s' while "
				"tagged ones remain: detach those first",
				db_res_get(x.nic, 0, WIRE_COL_SWITCH_LABEL),
				NETWORKING_NATIVE);
		goto out;
	}
	op = networking_op_of(&x, channel, NULL);
	ret = networking_queue(r, &op, 202);
out:
	networking_ctx_clear(&x);
	return ret;
}

/*
 * GET /v0/networking_action/<id>.  Beside the spec's keys, an ERROR
 * action has "error": the driver's reason ("" when it gave none).
 */
int networking_action_show(struct api_req *r)
{
	struct db_res *res = NULL;
	const char *status;
	json_t *body;
	int n, ret;

	n = db_q(r->db, Q_OP_SHOW, &res, r->param[0]);
	if (n <= 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_NOT_FOUND,
					"no networking action '%s'",
					r->param[0]);
		goto out;
	}
	/* A free node's actions (reverts) are the admins'. */
	if (api_need_project(r, db_res_get(res, 0, OP_COL_PROJECT_ID))) {
		ret = r->status;
		goto out;
	}
	status = db_res_get(res, 0, OP_COL_STATUS);
	body = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s?}", "status", status,
			 "node", db_res_get(res, 0, OP_COL_NODE), "nic",
			 db_res_get(res, 0, OP_COL_NIC), "type",
			 db_res_get(res, 0, OP_COL_KIND), "channel",
			 db_res_get(res, 0, OP_COL_CHANNEL), "new_network",
			 db_res_get(res, 0, OP_COL_NETWORK));
	if (body && strcmp(status, "ERROR") == 0) {
		const char *err = db_res_get(res, 0, OP_COL_ERROR);

		json_t *text = json_string(err ? err : "");

		/* The driver's text may not be UTF-8. */
		if (!text)
			text = json_string("(the driver's message is not "
					   "UTF-8 text)");
		if (json_object_set_new(body, "error", text) < 0) {
			json_decref(body);
			body = NULL;
		}
	}
	ret = api_reply_json(r, 200, body);
out:
	db_res_free(res);
	return ret;
}
