/*
 * obm.c - /v0/node/<node>/power_*, boot_device and console, and
 * /v0/obm_action/<id>: a node's power, boot device and serial console
 * through its OBM driver (DESIGN.md section 2; the route table in
 * api/router.c says what each call answers).
 *
 * A power or boot-device call queues an operation for the engine's OBM
 * workers in the transaction that checked the caller, commits, and waits
 * for the result without holding an HTTP thread (a deferred reply woken
 * by an engine watch) up to the driver's deadline plus a margin:
 *   200 (power_status: {"power_status": ...}) when it is done,
 *   502 OBMError with the driver's text when the BMC or driver refused,
 *   504 OBMError when the BMC did not answer in time (the outcome is
 *       unknown: a BMC may still carry a late request out),
 *   500 ServerError when hild could not call the driver at all,
 *   202 {"status_id"} when the operation is still queued (behind others
 *       on the same BMC, or hild is stopping); GET /v0/obm_action/<id>
 *       then tells how it ended.
 * Because the operation is in the database before the reply, a crash
 * loses nothing accepted: the engine applies it after the restart.
 *
 * The console is a deferred reply too: it answers once the node's one
 * BMC console session (console.c) is open.
 */
#include "config.h"

#include "api/obm.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "call.h"
#include "console.h"
#include "engine/engine.h"
#include "log.h"
#include "plugin.h"
#include "uuid.h"

#define OBM_MAX_VALUE 64 /* a release setting, bytes with the NUL */

/* Columns of Q_OBM_NODE_LOCK and Q_OBM_NODE_GET. */
enum {
	OBM_COL_ID,
	OBM_COL_PROJECT_ID,
	OBM_COL_ENABLED,
	OBM_COL_TYPE,
	OBM_COL_GEN,
};

/* Columns of Q_OBM_OP_GET. */
enum {
	OP_COL_STATUS,
	OP_COL_RESULT,
	OP_COL_ERROR,
	OP_COL_ERROR_KIND,
	OP_COL_UUID,
	OP_COL_KIND,
};

/* Columns of Q_OBM_OP_SHOW. */
enum {
	SHOW_COL_STATUS,
	SHOW_COL_NODE,
	SHOW_COL_KIND,
	SHOW_COL_RESULT,
	SHOW_COL_ERROR,
	SHOW_COL_ERROR_KIND,
	SHOW_COL_PROJECT_ID,
};

/* Operation kinds (engine/obm.c applies them). */
#define OBM_POWER_ON	 "power_on"
#define OBM_POWER_OFF	 "power_off"
#define OBM_POWER_CYCLE	 "power_cycle"
#define OBM_POWER_RESET	 "power_reset"
#define OBM_POWER_STATUS "power_status"
#define OBM_SET_BOOTDEV	 "set_bootdev"

/* How an operation that ended in ERROR is answered, by
 * operations.error_kind; anything else is a 500. */
static const struct {
	const char *kind;
	enum api_err err;
} obm_error_replies[] = {
	{"driver", API_E_OBM},
	{"timeout", API_E_OBM_TIMEOUT},
	{"setup", API_E_SERVER},
};

static struct {
	bool release_off;
	char release_bootdev[OBM_MAX_VALUE]; /* "" = keep */
	unsigned timeout_ms;
} obm = {
	.release_off = true,
	.timeout_ms = 15000,
};

struct obm_setup_ctx {
	const char *dev;
	const char *refused_by;
};

static void obm_check_bootdev(const struct hil_plugin *p, void *arg)
{
	struct obm_setup_ctx *x = arg;

	if (p->kind == HIL_PLUGIN_OBM && p->obm_ops &&
	    p->obm_ops->bootdev_valid(x->dev) < 0 && !x->refused_by)
		x->refused_by = p->name;
}

int obm_setup(const struct obm_conf *c, char *err, size_t errlen)
{
	struct obm_setup_ctx x = {0};
	const char *power = c->release_power ? c->release_power : "off";
	const char *dev = c->release_bootdev ? c->release_bootdev : "keep";

	if (strcmp(power, "off") != 0 && strcmp(power, "keep") != 0) {
		snprintf(err, errlen,
			 "release_power must be 'off' or 'keep', not '%.64s'",
			 power);
		return -EINVAL;
	}
	if (strlen(dev) >= sizeof(obm.release_bootdev)) {
		snprintf(err, errlen, "release_bootdev is too long");
		return -EINVAL;
	}
	if (strcmp(dev, "keep") != 0) {
		x.dev = dev;
		plugin_foreach(obm_check_bootdev, &x);
		if (x.refused_by) {
			snprintf(err, errlen,
				 "release_bootdev '%s' is not a boot device "
				 "of OBM driver '%s' (or use 'keep')",
				 dev, x.refused_by);
			return -EINVAL;
		}
	}
	obm.release_off = strcmp(power, "off") == 0;
	snprintf(obm.release_bootdev, sizeof(obm.release_bootdev), "%s",
		 strcmp(dev, "keep") == 0 ? "" : dev);
	obm.timeout_ms = c->timeout_ms ? c->timeout_ms : obm.timeout_ms;
	return 0;
}

/* The loaded OBM driver of type, or NULL. */
static const struct hil_obm_ops *obm_driver(const char *type)
{
	const struct hil_plugin *p =
		type ? plugin_find(HIL_PLUGIN_OBM, type) : NULL;

	return p ? p->obm_ops : NULL;
}

/*
 * The checks every OBM call of a tenant makes, in order: the node of the
 * first path parameter exists (404, row locked when lock), the caller is
 * an admin or in its project (401/403; a free node: admins only), its OBM
 * is enabled (409 BlockedError), its driver is loaded (503).  Returns 0
 * with the node's row in *ret_node and its driver in *ret_ops, or the
 * status of the error reply it set.
 */
static int obm_node_checks(struct api_req *r, bool lock,
			   struct db_res **ret_node,
			   const struct hil_obm_ops **ret_ops)
{
	struct db_res *res = NULL;
	const struct hil_obm_ops *ops;
	int n, ret;

	n = db_q(r->db, lock ? Q_OBM_NODE_LOCK : Q_OBM_NODE_GET, &res,
		 r->param[0]);
	if (n <= 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_NOT_FOUND, "no node '%s'",
					r->param[0]);
		goto fail;
	}
	if (api_need_project(r, db_res_get(res, 0, OBM_COL_PROJECT_ID))) {
		ret = r->status;
		goto fail;
	}
	if (!db_res_int(res, 0, OBM_COL_ENABLED)) {
		ret = api_error(r, API_E_BLOCKED,
				"node '%s' has its OBM disabled", r->param[0]);
		goto fail;
	}
	ops = obm_driver(db_res_get(res, 0, OBM_COL_TYPE));
	if (!ops) {
		ret = api_error(r, API_E_UNAVAILABLE,
				"OBM driver '%s' of node '%s' is not loaded",
				db_res_get(res, 0, OBM_COL_TYPE), r->param[0]);
		goto fail;
	}
	*ret_node = res;
	*ret_ops = ops;
	return 0;
fail:
	db_res_free(res);
	return ret;
}

/*
 * Queue an operation of kind on node node_id, labelled label (payload
 * may be NULL),
 * dropping the node's oldest finished records.  limit: refuse (400) past
 * OBM_MAX_PENDING pending operations on the node.  Returns 0 with the
 * operation's row id and uuid, or the status of the error reply it set.
 */
static int obm_queue(struct api_req *r, const char *node_id, const char *label,
		     const char *kind, const char *payload, bool limit,
		     char ret_id[MISC_ID_LEN], char ret_uuid[UUID_TEXT_LEN])
{
	struct db_res *res = NULL;
	char keep[16], now[24];
	struct timespec ts;
	int n;

	if (limit) {
		n = db_q(r->db, Q_OBM_PENDING_COUNT, &res, node_id);
		if (n > 0 && db_res_int(res, 0, 0) >= OBM_MAX_PENDING)
			n = -ENOSPC;
		res = db_res_free(res);
		if (n == -ENOSPC)
			return api_error(
				r, API_E_VALIDATION,
				"node '%s' has %d OBM operations "
				"queued already, the most hild "
				"accepts; try again when some are done",
				label, OBM_MAX_PENDING);
		if (n <= 0)
			return api_db_error(r, n < 0 ? n : -EIO);
	}
	if (uuid_new(ret_uuid) < 0) {
		log_err("could not read random bytes for an operation id");
		return api_error(r, API_E_SERVER,
				 "could not make an operation id");
	}
	snprintf(keep, sizeof(keep), "%d", OBM_KEEP_FINISHED);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(now, sizeof(now), "%lld",
		 (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	n = db_q(r->db, Q_OBM_DISCARD_OLD, NULL, node_id, keep);
	if (n >= 0)
		n = db_q(r->db, Q_OBM_OP_INSERT, &res, ret_uuid, kind, node_id,
			 payload, now);
	if (n <= 0) {
		db_res_free(res);
		return api_db_error(r, n < 0 ? n : -EIO);
	}
	snprintf(ret_id, MISC_ID_LEN, "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	r->queued = true;
	return 0;
}

/* The reply for an operation's row (Q_OBM_OP_GET or Q_OBM_OP_SHOW
 * columns given): 200 with its result, or its error. */
static int obm_reply_done(struct api_req *r, const char *status,
			  const char *kind, const char *result,
			  const char *error, const char *error_kind)
{
	enum api_err e = API_E_SERVER;

	if (strcmp(status, "DONE") == 0) {
		if (kind && strcmp(kind, OBM_POWER_STATUS) == 0)
			return api_reply_json(r, 200,
					      json_pack("{s:s}", "power_status",
							result ? result : ""));
		return api_reply_empty(r);
	}
	for (size_t i = 0;
	     i < sizeof(obm_error_replies) / sizeof(obm_error_replies[0]); i++)
		if (error_kind &&
		    strcmp(obm_error_replies[i].kind, error_kind) == 0)
			e = obm_error_replies[i].err;
	return api_error(r, e, "%s", error ? error : "the operation failed");
}

/* An HTTP request waiting for its operation. */
struct obm_wait {
	struct api_defer defer;
	pthread_mutex_t lock; /* guards fired, parked, w */
	char id[MISC_ID_LEN];
	char uuid[UUID_TEXT_LEN];
	long long deadline; /* call_clock_ms(): then answer 202 */
	struct engine_watch *watch;
	bool unwatched; /* no watch: answer at once */
	bool fired;	/* the watch was called since the last look */
	bool parked;
	struct api_waker w;
};

/* The engine's watch: the operation may be done (an engine thread). */
static void obm_wait_fire(void *arg)
{
	struct obm_wait *ow = arg;

	pthread_mutex_lock(&ow->lock);
	ow->fired = true;
	if (ow->parked) {
		ow->parked = false;
		ow->w.wake(ow->w.ctx);
	}
	pthread_mutex_unlock(&ow->lock);
}

/*
 * Look at the operation's row: set the reply and return 1 when it ended
 * (or is gone, or the database failed), return 0 while it is pending.
 */
static int obm_wait_look(struct obm_wait *ow, struct api_req *r)
{
	struct db_res *res = NULL;
	int n;

	n = db_q(r->db, Q_OBM_OP_GET, &res, ow->id);
	if (n < 0)
		api_db_error(r, n);
	else if (n == 0) /* deleted with its node meanwhile */
		api_error(r, API_E_NOT_FOUND, "operation '%s' no longer exists",
			  ow->uuid);
	else if (strcmp(db_res_get(res, 0, OP_COL_STATUS), "PENDING") != 0)
		obm_reply_done(r, db_res_get(res, 0, OP_COL_STATUS),
			       db_res_get(res, 0, OP_COL_KIND),
			       db_res_get(res, 0, OP_COL_RESULT),
			       db_res_get(res, 0, OP_COL_ERROR),
			       db_res_get(res, 0, OP_COL_ERROR_KIND));
	else
		n = 0;
	db_res_free(res);
	return n != 0;
}

static int obm_wait_poll(struct api_defer *d, struct api_req *r,
			 const struct api_waker *w)
{
	struct obm_wait *ow = (struct obm_wait *)(void *)d;
	bool parked = false, again;

	if (!ow->watch && !ow->unwatched &&
	    engine_watch_add(strtoll(ow->id, NULL, 10), ow->deadline,
			     obm_wait_fire, ow, &ow->watch) < 0)
		ow->unwatched = true;
	do {
		pthread_mutex_lock(&ow->lock);
		ow->fired = false;
		pthread_mutex_unlock(&ow->lock);
		if (obm_wait_look(ow, r))
			return 1;
		if (ow->unwatched || call_clock_ms() >= ow->deadline)
			break;
		pthread_mutex_lock(&ow->lock);
		/* Called while we looked: look again. */
		again = ow->fired;
		if (!again && w->park(w->ctx)) {
			ow->parked = parked = true;
			ow->w = *w;
		}
		pthread_mutex_unlock(&ow->lock);
	} while (again);
	if (parked)
		return 0;
	/* Still queued: the caller asks again later. */
	api_reply_json(r, 202, json_pack("{s:s}", "status_id", ow->uuid));
	return 1;
}

static void obm_wait_free(struct api_defer *d)
{
	struct obm_wait *ow = (struct obm_wait *)(void *)d;

	/* After this the watch is not called any more. */
	engine_watch_free(ow->watch);
	pthread_mutex_destroy(&ow->lock);
	free(ow);
}

/* Have the request wait for operation id after the commit.  Returns the
 * status of the provisional reply (202), or of the error reply. */
static int obm_wait_for(struct api_req *r, const char *id, const char *uuid)
{
	struct obm_wait *ow = calloc(1, sizeof(*ow));

	if (!ow)
		return api_error(r, API_E_SERVER, "out of memory");
	ow->defer = (struct api_defer){obm_wait_poll, obm_wait_free};
	pthread_mutex_init(&ow->lock, NULL);
	snprintf(ow->id, sizeof(ow->id), "%s", id);
	snprintf(ow->uuid, sizeof(ow->uuid), "%s", uuid);
	ow->deadline = call_clock_ms() + obm.timeout_ms + OBM_WAIT_MARGIN_MS;
	r->defer = &ow->defer;
	/* What stands if the request cannot wait. */
	return api_reply_json(r, 202, json_pack("{s:s}", "status_id", uuid));
}

/* A tenant's OBM operation: checks, queue, wait. */
static int obm_operation(struct api_req *r, const char *kind,
			 const char *payload)
{
	const struct hil_obm_ops *ops;
	struct db_res *node = NULL;
	char id[MISC_ID_LEN], uuid[UUID_TEXT_LEN];
	int ret;

	if (obm_node_checks(r, true, &node, &ops))
		return r->status;
	if (payload && ops->bootdev_valid(payload) < 0) {
		ret = api_error(r, API_E_BAD_ARG,
				"OBM driver '%s' does not know boot device "
				"'%s'",
				db_res_get(node, 0, OBM_COL_TYPE), payload);
		goto out;
	}
	ret = obm_queue(r, db_res_get(node, 0, OBM_COL_ID), r->param[0], kind,
			payload, true, id, uuid);
	if (ret == 0)
		ret = obm_wait_for(r, id, uuid);
out:
	db_res_free(node);
	return ret;
}

int obm_power_on(struct api_req *r)
{
	return obm_operation(r, OBM_POWER_ON, NULL);
}

int obm_power_off(struct api_req *r)
{
	return obm_operation(r, OBM_POWER_OFF, NULL);
}

int obm_power_cycle(struct api_req *r)
{
	return obm_operation(r,
			     api_arg_bool(r, "force", false) ? OBM_POWER_RESET
							     : OBM_POWER_CYCLE,
			     NULL);
}

int obm_power_status(struct api_req *r)
{
	return obm_operation(r, OBM_POWER_STATUS, NULL);
}

int obm_set_bootdev(struct api_req *r)
{
	return obm_operation(r, OBM_SET_BOOTDEV, api_arg_str(r, "bootdev"));
}

int obm_console_show(struct api_req *r)
{
	const struct hil_obm_ops *ops;
	struct db_res *node = NULL, *res = NULL;
	struct console_target t;
	struct api_defer *d = NULL;
	json_t *settings = NULL;
	int n, ret;

	if (obm_node_checks(r, false, &node, &ops))
		return r->status;
	if (!ops->console_open || !ops->console_read || !ops->console_close) {
		ret = api_error(r, API_E_ILLEGAL,
				"OBM driver '%s' has no serial console",
				db_res_get(node, 0, OBM_COL_TYPE));
		goto out;
	}
	if (!r->async) {
		ret = api_error(r, API_E_UNAVAILABLE,
				"the console is streamed over HTTP only");
		goto out;
	}
	n = db_q(r->db, Q_OBM_NODE_SETTINGS, &res,
		 db_res_get(node, 0, OBM_COL_ID));
	if (n <= 0) {
		ret = api_db_error(r, n < 0 ? n : -EIO);
		goto out;
	}
	settings = json_loads(db_res_get(res, 0, 0), 0, NULL);
	if (!json_is_object(settings)) {
		log_err("node '%s': its OBM settings are unreadable",
			r->param[0]);
		ret = api_error(r, API_E_SERVER,
				"the OBM settings of node '%s' are unreadable",
				r->param[0]);
		goto out;
	}
	t = (struct console_target){
		.node_id = db_res_int(node, 0, OBM_COL_ID),
		.label = r->param[0],
		.gen = db_res_int(node, 0, OBM_COL_GEN),
		.ops = ops,
	};
	n = console_attach(&t, settings, &d);
	settings = NULL; /* taken */
	switch (n) {
	case 0:
		r->defer = d;
		ret = api_reply_empty(r);
		break;
	case -EUSERS:
		ret = api_error(r, API_E_UNAVAILABLE,
				"the console of node '%s' has %d readers "
				"already, the most hild allows",
				r->param[0], CONSOLE_MAX_READERS);
		break;
	case -EMFILE:
		ret = api_error(r, API_E_UNAVAILABLE,
				"%d consoles are open already, the most hild "
				"allows",
				CONSOLE_MAX_OPEN);
		break;
	case -ESTALE:
		ret = api_error(r, API_E_ILLEGAL,
				"the console of node '%s' was just closed; "
				"try again",
				r->param[0]);
		break;
	case -ESHUTDOWN:
		ret = api_error(r, API_E_UNAVAILABLE, "hild is stopping");
		break;
	default:
		ret = api_error(r, API_E_UNAVAILABLE,
				"could not open a console: %s", strerror(-n));
		break;
	}
out:
	json_decref(settings);
	db_res_free(res);
	db_res_free(node);
	return ret;
}

/* Raise the node's console generation and end its consoles here. */
static int obm_console_bump(struct api_req *r, const char *node_id)
{
	int n = db_q(r->db, Q_OBM_CONSOLE_BUMP, NULL, node_id);

	if (n < 0)
		return api_db_error(r, n);
	console_end(strtoll(node_id, NULL, 10));
	return 0;
}

int obm_console_revoke(struct api_req *r, const char *node_id)
{
	return obm_console_bump(r, node_id);
}

int obm_console_end(struct api_req *r)
{
	struct db_res *node = NULL;
	int n, ret;

	n = db_q(r->db, Q_OBM_NODE_LOCK, &node, r->param[0]);
	if (n <= 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_NOT_FOUND, "no node '%s'",
					r->param[0]);
		goto out;
	}
	if (api_need_admin(r)) {
		ret = r->status;
		goto out;
	}
	ret = obm_console_bump(r, db_res_get(node, 0, OBM_COL_ID));
	if (ret == 0)
		ret = api_reply_empty(r);
out:
	db_res_free(node);
	return ret;
}

int obm_release(struct api_req *r, const char *node_id, const char *label)
{
	char id[MISC_ID_LEN], uuid[UUID_TEXT_LEN];
	struct db_res *res = NULL;
	int n, ret;

	ret = obm_console_bump(r, node_id);
	if (ret || (!obm.release_off && !obm.release_bootdev[0]))
		return ret;
	n = db_q(r->db, Q_OBM_NODE_TYPE, &res, node_id);
	if (n <= 0) {
		db_res_free(res);
		return api_db_error(r, n < 0 ? n : -EIO);
	}
	if (!obm_driver(db_res_get(res, 0, 0))) {
		log_warn("node '%s' released without power off or boot device "
			 "reset: its OBM driver '%s' is not loaded",
			 label, db_res_get(res, 0, 0));
		db_res_free(res);
		return 0;
	}
	db_res_free(res);
	if (obm.release_off)
		ret = obm_queue(r, node_id, label, OBM_POWER_OFF, NULL, false,
				id, uuid);
	if (ret == 0 && obm.release_bootdev[0])
		ret = obm_queue(r, node_id, label, OBM_SET_BOOTDEV,
				obm.release_bootdev, false, id, uuid);
	return ret;
}

int obm_action_show(struct api_req *r)
{
	struct db_res *res = NULL;
	const char *status, *kind, *result, *error;
	json_t *body;
	int n, ret;

	n = db_q(r->db, Q_OBM_OP_SHOW, &res, r->param[0]);
	if (n <= 0) {
		ret = n < 0 ? api_db_error(r, n)
			    : api_error(r, API_E_NOT_FOUND,
					"no OBM action '%s'", r->param[0]);
		goto out;
	}
	/* A free node's actions (releases) are the admins'. */
	if (api_need_project(r, db_res_get(res, 0, SHOW_COL_PROJECT_ID))) {
		ret = r->status;
		goto out;
	}
	status = db_res_get(res, 0, SHOW_COL_STATUS);
	kind = db_res_get(res, 0, SHOW_COL_KIND);
	result = db_res_get(res, 0, SHOW_COL_RESULT);
	error = db_res_get(res, 0, SHOW_COL_ERROR);
	body = json_pack("{s:s, s:s, s:s}", "status", status, "node",
			 db_res_get(res, 0, SHOW_COL_NODE), "type", kind);
	n = body ? 0 : -ENOMEM;
	if (n == 0 && result && strcmp(kind, OBM_POWER_STATUS) == 0)
		n = json_object_set_new(body, "power_status",
					json_string(result));
	if (n == 0 && strcmp(status, "ERROR") == 0) {
		json_t *text = json_string(error ? error : "");

		/* The driver's text may not be UTF-8. */
		if (!text)
			text = json_string("(the driver's message is not "
					   "UTF-8 text)");
		n = json_object_set_new(body, "error", text);
	}
	if (n < 0) {
		json_decref(body);
		body = NULL;
	}
	ret = api_reply_json(r, 200, body);
out:
	db_res_free(res);
	return ret;
}
