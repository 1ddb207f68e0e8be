/*
 * obm.c - the engine's node workers: OBM operations (power, boot device,
 * power status) applied through the node's OBM driver (see engine.h).
 *
 * A worker that holds a node claims its pending operations in id order
 * and applies them one at a time, each with a deadline of its own, so the
 * BMC sees one operation at a time and in the order they were accepted.
 * Each result is recorded in a transaction of its own, and the watches of
 * the HTTP requests that wait for it are called after the commit.
 *
 * Unlike a switch, a BMC that did not answer one operation is still asked
 * for the next: its operations are independent, and the ones queued when
 * a node is released (power off, boot device) must be tried whatever a
 * tenant's last call did.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "db/db.h"
#include "engine/engine-int.h"
#include "engine/engine.h"
#include "log.h"
#include "plugin.h"

#define OBM_MAX_RESULT 64 /* bytes of a power status, with the NUL */

/* Why an operation failed, as operations.error_kind records it. */
#define OBM_ERR_TIMEOUT "timeout" /* no answer: the outcome is unknown */
#define OBM_ERR_DRIVER	"driver"  /* the driver or the BMC refused */
#define OBM_ERR_SETUP	"setup"	  /* hild could not call the driver */

/* The node a worker serves. */
struct obm_node {
	struct db_conn *c;
	const char *id, *label; /* borrowed from the worker's rows */
	const struct hil_obm_ops *ops;
	json_t *settings;
	/* Why no operation of this holding can be applied ("" when they
	 * can): the driver is not loaded, the settings are unreadable. */
	char broken[CALL_MAX_ERROR];
	unsigned done, failed;
};

/* One claimed operation; text borrowed from the claim's rows. */
struct obm_op {
	const char *id, *uuid, *kind;
	const char *payload; /* the boot device */
	long long attempt;   /* claims so far, this one included */
};

/* What each kind of operation asks of the driver.  result (len bytes)
 * receives what the operation reports, if anything. */
struct obm_kind {
	const char *name;
	enum hil_power_action action; /* power kinds */
	int (*apply)(const struct obm_node *n, const struct obm_kind *k,
		     const struct obm_op *op, struct hil_call *call,
		     char *result, size_t len);
	bool quiet; /* logged at debug level: reads */
};

static int obm_apply_power(const struct obm_node *n, const struct obm_kind *k,
			   const struct obm_op *op, struct hil_call *call,
			   char *result, size_t len)
{
	(void)op;
	(void)result;
	(void)len;
	return n->ops->power(plugin_host(), call, k->action);
}

static int obm_apply_status(const struct obm_node *n, const struct obm_kind *k,
			    const struct obm_op *op, struct hil_call *call,
			    char *result, size_t len)
{
	int r;

	(void)k;
	(void)op;
	r = n->ops->power_status(plugin_host(), call, result, len);
	if (r < 0)
		return r;
	/* The driver's text goes into JSON replies: keep it printable. */
	result[len - 1] = '\0';
	for (char *p = result; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	if (!result[0]) {
		call_set_error(call, "the driver reported an empty power "
				     "status");
		return -EPROTO;
	}
	return 0;
}

static int obm_apply_bootdev(const struct obm_node *n, const struct obm_kind *k,
			     const struct obm_op *op, struct hil_call *call,
			     char *result, size_t len)
{
	(void)k;
	(void)result;
	(void)len;
	if (!op->payload || n->ops->bootdev_valid(op->payload) < 0) {
		call_set_error(call,
			       "OBM driver does not know boot device "
			       "'%.64s'",
			       op->payload ? op->payload : "");
		return -EINVAL;
	}
	return n->ops->set_bootdev(plugin_host(), call, op->payload);
}

static const struct obm_kind obm_kinds[] = {
	{"power_on", HIL_POWER_ON, obm_apply_power, false},
	{"power_off", HIL_POWER_OFF, obm_apply_power, false},
	{"power_cycle", HIL_POWER_CYCLE, obm_apply_power, false},
	{"power_reset", HIL_POWER_RESET, obm_apply_power, false},
	{"power_status", 0, obm_apply_status, true},
	{"set_bootdev", 0, obm_apply_bootdev, false},
};

static const struct obm_kind *obm_kind_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(obm_kinds) / sizeof(obm_kinds[0]);
	     i++)
		if (strcmp(obm_kinds[i].name, name) == 0)
			return &obm_kinds[i];
	return NULL;
}

/*
 * Record an operation's end: DONE with its result (may be NULL), or ERROR
 * with the text and its kind (OBM_ERR_*).  One transaction, run again
 * when it conflicts; then the watches are called.  An operation deleted
 * meanwhile (with its node) is skipped.  Returns 0, or -EIO / -EAGAIN
 * when the database failed: the operation then stays pending and is
 * applied again later.
 */
static int obm_finish(struct obm_node *n, const struct obm_op *op,
		      const struct obm_kind *k, const char *result,
		      const char *error, const char *error_kind)
{
	const char *status = error ? "ERROR" : "DONE";
	bool gone = false;
	char now[24];
	int r = -EAGAIN;

	snprintf(now, sizeof(now), "%lld", engine_now_ms());
	for (int t = 0; t < ENGINE_TXN_RETRIES && r == -EAGAIN; t++) {
		r = db_begin(n->c, true);
		if (r < 0)
			continue;
		r = db_q(n->c, Q_ENGINE_OBM_FINISH, NULL, op->id, status,
			 result, error, error_kind, now);
		gone = r == 0;
		/* Another hild process may have a request waiting for it. */
		if (r > 0)
			r = engine_notify(n->c);
		if (r >= 0 && !gone)
			r = db_commit(n->c);
		if (r < 0 || gone)
			db_rollback(n->c);
	}
	if (r < 0)
		return r;
	if (gone) {
		log_debug("operation '%s' was deleted while it ran", op->uuid);
		return 0;
	}
	engine_watch_fire(strtoll(op->id, NULL, 10));
	if (error) {
		n->failed++;
		log_warn("node '%s': %s failed (operation '%s'): %s", n->label,
			 op->kind ? op->kind : "", op->uuid, error);
	} else {
		n->done++;
		log_msg(k && k->quiet ? LOG_DEBUG : LOG_INFO,
			"node '%s': %s%s%s done (operation '%s')", n->label,
			op->kind, op->payload ? " " : "",
			op->payload ? op->payload : "", op->uuid);
	}
	return 0;
}

__attribute__((format(printf, 4, 5))) static int
obm_fail(struct obm_node *n, const struct obm_op *op, const char *error_kind,
	 const char *fmt, ...)
{
	char error[CALL_MAX_ERROR];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error, sizeof(error), fmt, ap);
	va_end(ap);
	return obm_finish(n, op, NULL, NULL, error, error_kind);
}

/* Apply one claimed operation and record its result.  Returns 0, or a
 * negative errno when the database failed. */
static int obm_op_run(struct obm_node *n, const struct obm_op *op)
{
	const struct obm_kind *k = obm_kind_find(op->kind);
	unsigned ms = engine_obm_timeout_ms();
	char result[OBM_MAX_RESULT] = "", error[CALL_MAX_ERROR];
	struct hil_call *call = NULL;
	const char *why;
	int r;

	if (op->attempt > ENGINE_MAX_ATTEMPTS)
		return obm_fail(n, op, OBM_ERR_SETUP,
				"given up after %d attempts",
				ENGINE_MAX_ATTEMPTS);
	if (!k)
		return obm_fail(n, op, OBM_ERR_SETUP,
				"unknown operation kind '%.64s'",
				op->kind ? op->kind : "");
	if (n->broken[0])
		return obm_finish(n, op, k, NULL, n->broken, OBM_ERR_SETUP);
	if (call_new(n->ops->settings, n->settings, call_clock_ms() + ms,
		     &call) < 0)
		return obm_fail(n, op, OBM_ERR_SETUP, "out of memory");
	/* Claimed before, by a process that stopped or died. */
	if (op->attempt > 1)
		log_notice("operation '%s': claimed before an interruption, "
			   "applying it (claim %lld)",
			   op->uuid, op->attempt);
	r = k->apply(n, k, op, call, result, sizeof(result));
	if (r == 0) {
		r = obm_finish(n, op, k,
			       k->apply == obm_apply_status ? result : NULL,
			       NULL, NULL);
		goto out;
	}
	why = call_error(call);
	if (r == -ETIMEDOUT || r == -ECONNRESET) {
		/* No answer (in time, or before the session was lost): the
		 * BMC may have carried it out, or still do so. */
		if (why)
			snprintf(error, sizeof(error),
				 "%s; the outcome is unknown", why);
		else if (ms % 1000 == 0)
			snprintf(error, sizeof(error),
				 "the BMC did not answer within %u s; the "
				 "outcome is unknown",
				 ms / 1000);
		else
			snprintf(error, sizeof(error),
				 "the BMC did not answer within %u ms; the "
				 "outcome is unknown",
				 ms);
		r = obm_finish(n, op, k, NULL, error, OBM_ERR_TIMEOUT);
	} else {
		if (why)
			snprintf(error, sizeof(error), "%s", why);
		else
			snprintf(error, sizeof(error), "%s: %s", op->kind,
				 strerror(-r));
		r = obm_finish(n, op, k, NULL, error, OBM_ERR_DRIVER);
	}
out:
	call_free(call);
	return r;
}

static void obm_op_get(const struct db_res *res, int i, struct obm_op *op)
{
	op->id = db_res_get(res, i, 0);
	op->uuid = db_res_get(res, i, 1);
	op->kind = db_res_get(res, i, 2);
	op->payload = db_res_get(res, i, 3);
	op->attempt = db_res_int(res, i, 4) + 1;
}

/* Claim the next pending operations of node id in queue order and count
 * the attempt.  Returns how many (0: none left), with their rows in
 * *ret_res, or a negative errno. */
static int obm_claim(struct db_conn *c, const char *id, struct db_res **ret_res)
{
	struct db_res *res = NULL;
	char limit[16];
	int n = -EAGAIN, r;

	snprintf(limit, sizeof(limit), "%d", ENGINE_MAX_BATCH);
	for (int t = 0; t < ENGINE_TXN_RETRIES && n == -EAGAIN; t++) {
		res = db_res_free(res);
		n = db_begin(c, true);
		if (n < 0)
			continue;
		n = db_q(c, Q_ENGINE_OBM_CLAIM, &res, id, limit);
		for (int i = 0; n > 0 && i < db_res_rows(res); i++) {
			r = db_q(c, Q_ENGINE_OP_ATTEMPT, NULL,
				 db_res_get(res, i, 0));
			if (r < 0)
				n = r;
		}
		if (n >= 0 && (r = db_commit(c)) < 0)
			n = r;
		if (n < 0)
			db_rollback(c);
	}
	if (n < 0) {
		db_res_free(res);
		return n;
	}
	*ret_res = res;
	return n;
}

/* The driver and settings of the node, or the reason it cannot be served
 * in n->broken. */
static void obm_node_setup(struct obm_node *n, const char *type,
			   const char *settings)
{
	const struct hil_plugin *p =
		type ? plugin_find(HIL_PLUGIN_OBM, type) : NULL;

	n->ops = p ? p->obm_ops : NULL;
	if (!n->ops) {
		snprintf(n->broken, sizeof(n->broken),
			 "OBM driver '%.64s' is not loaded", type ? type : "");
		return;
	}
	n->settings = settings ? json_loads(settings, 0, NULL) : NULL;
	if (!json_is_object(n->settings))
		snprintf(n->broken, sizeof(n->broken),
			 "the OBM settings of node '%s' are unreadable",
			 n->label);
}

int engine_obm_serve(struct db_conn *c, const char *node_id)
{
	struct obm_node n = {.c = c, .id = node_id};
	struct db_res *node = NULL, *ops = NULL;
	unsigned ran = 0;
	struct obm_op op;
	int k, r;

	r = db_q(c, Q_ENGINE_NODE_GET, &node, node_id);
	if (r <= 0)
		goto out; /* a deleted node took its operations with it */
	n.label = db_res_get(node, 0, 0);
	obm_node_setup(&n, db_res_get(node, 0, 1), db_res_get(node, 0, 2));
	r = 0;
	while (ran < ENGINE_MAX_SESSION_OPS && engine_running()) {
		k = obm_claim(c, node_id, &ops);
		if (k <= 0) {
			r = k;
			break;
		}
		for (int i = 0; i < k && engine_running(); i++, ran++) {
			obm_op_get(ops, i, &op);
			r = obm_op_run(&n, &op);
			if (r < 0)
				goto out;
		}
		ops = db_res_free(ops);
	}
out:
	if (n.failed)
		log_info("node '%s': %u OBM operation%s done, %u failed",
			 n.label, n.done, n.done == 1 ? "" : "s", n.failed);
	if (r < 0)
		log_warn("node '%s': stopped on a database failure; pending "
			 "operations are applied again later",
			 n.label ? n.label : node_id);
	json_decref(n.settings);
	db_res_free(ops);
	db_res_free(node);
	return r;
}
