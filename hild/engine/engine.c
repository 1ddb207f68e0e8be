/*
 * engine.c - the operation engine's threads (see engine.h).
 *
 * Workers come in two classes, one per kind of target: switch workers
 * serve switches, OBM workers serve nodes (their BMCs, engine/obm.c).  A
 * worker looks for the target whose oldest pending operation has waited
 * longest among those nobody serves, takes it (in this process: its slot
 * in engine.held; across processes: the target's advisory lock), and
 * serves it.  A switch worker claims the switch's pending operations in
 * id order, a batch of at most ENGINE_MAX_BATCH, applies them in one
 * driver session, records each result in a transaction of its own, claims
 * again until none is left, then saves and closes the session and lets
 * the switch go.  It then looks again, and sleeps only when it finds
 * nothing it could take.
 *
 * How a batch reaches the switch depends on the driver.  Without
 * session_commit, set_port and revert_port change the switch, and each
 * operation is recorded right after its call.  With session_commit (the
 * ovs driver: one OVSDB transaction), they only queue: an operation
 * whose call fails is recorded ERROR at once, the others are held until
 * the batch's one session_commit, then all recorded DONE, or all ERROR
 * with the commit's text.  Either way an operation is DONE only once the
 * switch has it: a crash before the record leaves it pending, and
 * applying it again is harmless (drivers are idempotent).
 *
 * Nothing is left behind: a worker that lets a switch go always looks at
 * the table again afterwards, so an operation queued while its switch was
 * held is taken by that worker or by whoever holds the switch next; a
 * worker that sees more waiting targets than the one it takes wakes
 * another worker of its class.  Idle workers sleep on their class's
 * condition variable that engine_kick() signals (and, on PostgreSQL, the
 * listener thread on another process's NOTIFY); they also look every
 * ENGINE_RESCAN_MS in case a wake-up was lost, which is a safety net, not
 * the mechanism.
 *
 * Watches (engine_watch_add) tell an HTTP request waiting for its
 * operation that the result is recorded; a watcher thread calls them at
 * their deadlines and, on PostgreSQL, every ENGINE_WATCH_POLL_MS.
 */
#include "config.h"

#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "db/db.h"
#include "engine/engine-int.h"
#include "log.h"
#include "plugin.h"

#define ENGINE_SCAN_EXTRA 16   /* targets read per look, past workers */
#define ENGINE_RESCAN_MS  5000 /* idle workers look this often anyway */
#define ENGINE_RETRY_MS	  1000 /* pause after a database failure */

static int engine_serve(struct db_conn *c, const char *id);
static void engine_watch_poke(void);

/* The classes of workers, one per kind of target. */
enum engine_class_id {
	ENGINE_SWITCHES,
	ENGINE_NODES,
	ENGINE_NCLASSES
};

struct engine_class {
	/* Targets with pending operations; a target's lock across
	 * processes (-EOPNOTSUPP: none needed). */
	enum db_query pending, trylock, unlock;
	int (*serve)(struct db_conn *c, const char *id);
	/* Set before the threads start: its workers are
	 * engine.workers[first .. first + count - 1]. */
	unsigned first, count;
	bool work;	     /* a kick none of its workers has taken up yet */
	pthread_cond_t wake; /* its idle workers: kicks and the stop */
};

static struct {
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t halt;  /* workers pausing after a failure: the stop */
	bool running;
	struct engine_class cls[ENGINE_NCLASSES];
	/* Set before the threads start, read-only while they run. */
	struct db *db;
	struct engine_opts opts;
	int64_t *held; /* per worker: the target it serves, 0 = none */
	pthread_t *workers;
	unsigned nworkers; /* started */
	unsigned total;	   /* workers of every class */
	pthread_t listener;
	bool listening;	  /* the listener thread was started */
	int stop_pipe[2]; /* the write end is closed to stop the listener */
} engine = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.stop_pipe = {-1, -1},
};

/* What each class serves; copied into engine.cls at the start. */
static const struct engine_class engine_classes[ENGINE_NCLASSES] = {
	[ENGINE_SWITCHES] = {.pending = Q_ENGINE_SWITCHES_PENDING,
			     .trylock = Q_ENGINE_SWITCH_TRYLOCK,
			     .unlock = Q_ENGINE_SWITCH_UNLOCK,
			     .serve = engine_serve},
	[ENGINE_NODES] = {.pending = Q_ENGINE_NODES_PENDING,
			  .trylock = Q_ENGINE_NODE_TRYLOCK,
			  .unlock = Q_ENGINE_NODE_UNLOCK,
			  .serve = engine_obm_serve},
};

/* Watches of operations that HTTP requests wait for. */
struct engine_watch {
	int64_t op;
	long long deadline;  /* call_clock_ms(); LLONG_MAX once called */
	long long next_poll; /* PostgreSQL: the next look */
	void (*fn)(void *arg);
	void *arg;
	struct engine_watch *next;
};

static struct {
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cv;    /* the watcher: a new watch, the stop */
	struct engine_watch *list;
	bool running;
	bool poll; /* other processes may apply operations */
	pthread_t thread;
} watch = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* One pending operation as claimed: text borrowed from the claim's rows. */
struct engine_op {
	const char *id, *uuid, *kind, *nic_id;
	const char *port_id;	 /* the port it was queued for */
	const char *port;	 /* that port's label */
	const char *nic_port_id; /* the port the NIC has now */
	const char *channel;
	const char *network_id; /* target network row; NULL: take off */
	const char *vlan;	/* its network id, what the driver gets */
	long long attempt;	/* claims so far, this one included */
};

/* What each kind of operation does: apply changes the switch; record, in
 * the transaction that marks the operation DONE, changes the database to
 * match. */
struct engine_kind {
	const char *name;
	int (*apply)(const struct engine_switch *s, const struct engine_op *op,
		     struct hil_call *call);
	int (*record)(struct db_conn *c, const struct engine_op *op);
};

bool engine_running(void)
{
	bool r;

	pthread_mutex_lock(&engine.lock);
	r = engine.running;
	pthread_mutex_unlock(&engine.lock);
	return r;
}

long long engine_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void engine_timespec_in(struct timespec *ts, long long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

unsigned engine_obm_timeout_ms(void)
{
	return engine.opts.obm_timeout_ms;
}

/*
 * Sleep up to ms: on the class's wake (a kick ends it, and is taken up)
 * or on halt (only the stop ends it early).  Returns false when the
 * engine stops.
 */
static bool engine_sleep(struct engine_class *k, long long ms, bool kickable)
{
	pthread_cond_t *cv = kickable ? &k->wake : &engine.halt;
	struct timespec ts;
	bool running;

	engine_timespec_in(&ts, ms);
	pthread_mutex_lock(&engine.lock);
	while (engine.running && ms > 0 && !(kickable && k->work))
		if (pthread_cond_timedwait(cv, &engine.lock, &ts) == ETIMEDOUT)
			break;
	if (kickable)
		k->work = false;
	running = engine.running;
	pthread_mutex_unlock(&engine.lock);
	return running;
}

/* Wake one idle worker of class k; call with engine.lock held. */
static void engine_kick_class(struct engine_class *k)
{
	if (engine.running && k->count) {
		k->work = true;
		pthread_cond_signal(&k->wake);
	}
}

void engine_kick(void)
{
	pthread_mutex_lock(&engine.lock);
	for (int i = 0; i < ENGINE_NCLASSES; i++)
		engine_kick_class(&engine.cls[i]);
	pthread_mutex_unlock(&engine.lock);
}

/* The class worker self belongs to. */
static struct engine_class *engine_class_of(unsigned self)
{
	for (int i = 0; i < ENGINE_NCLASSES; i++)
		if (self >= engine.cls[i].first &&
		    self < engine.cls[i].first + engine.cls[i].count)
			return &engine.cls[i];
	return &engine.cls[0];
}

int engine_notify(struct db_conn *c)
{
	int r = db_q0(c, Q_ENGINE_NOTIFY, NULL);

	if (r == -EOPNOTSUPP)
		return 0;
	return r < 0 ? r : 0;
}

/* Take target id for worker self unless another worker of its class in
 * this process serves it. */
static bool engine_hold(const struct engine_class *k, unsigned self, int64_t id)
{
	bool ok = true;

	pthread_mutex_lock(&engine.lock);
	for (unsigned i = k->first; i < k->first + k->count; i++)
		if (i != self && engine.held[i] == id)
			ok = false;
	if (ok)
		engine.held[self] = id;
	pthread_mutex_unlock(&engine.lock);
	return ok;
}

static bool engine_held(const struct engine_class *k, int64_t id)
{
	bool held = false;

	pthread_mutex_lock(&engine.lock);
	for (unsigned i = k->first; i < k->first + k->count; i++)
		if (engine.held[i] == id)
			held = true;
	pthread_mutex_unlock(&engine.lock);
	return held;
}

static void engine_release(unsigned self)
{
	pthread_mutex_lock(&engine.lock);
	engine.held[self] = 0;
	pthread_mutex_unlock(&engine.lock);
}

/* The target's lock across processes: 1 taken, 0 another process has
 * it, or a negative errno. */
static int engine_target_lock(const struct engine_class *k, struct db_conn *c,
			      const char *id)
{
	struct db_res *res = NULL;
	int r;

	r = db_q(c, k->trylock, &res, id);
	if (r == -EOPNOTSUPP)
		return 1; /* one process per database: engine.held is enough */
	if (r >= 0)
		r = r == 1 && db_res_int(res, 0, 0) == 1;
	db_res_free(res);
	return r;
}

static void engine_target_unlock(const struct engine_class *k,
				 struct db_conn *c, const char *id)
{
	/* On failure the connection is gone, and the lock with it. */
	db_q(c, k->unlock, NULL, id);
}

/* The switch driver a switches.type names: a plugin name, or the
 * original's URL name, which ends with it. */
static const struct hil_switch_ops *engine_driver(const char *type)
{
	const struct hil_plugin *p;
	const char *slash;

	if (!type)
		return NULL;
	p = plugin_find(HIL_PLUGIN_SWITCH, type);
	slash = strrchr(type, '/');
	if (!p && slash)
		p = plugin_find(HIL_PLUGIN_SWITCH, slash + 1);
	return p ? p->switch_ops : NULL;
}

/* A new call to the switch's driver, due timeout_ms from now. */
static struct hil_call *engine_call(const struct engine_switch *s,
				    long long timeout_ms)
{
	struct hil_call *call = NULL;

	if (call_new(s->ops->settings, s->settings,
		     call_clock_ms() + timeout_ms, &call) < 0)
		return NULL;
	return call;
}

struct hil_call *engine_switch_call(const struct engine_switch *s)
{
	return engine_call(s, engine.opts.call_timeout_ms);
}

/* The text an operation records for driver result r. */
static void engine_error_text(const struct hil_call *call, int r,
			      const char *what, char *buf, size_t len)
{
	unsigned ms = engine.opts.call_timeout_ms;

	if (r == -ETIMEDOUT && ms % 1000 == 0)
		snprintf(buf, len, "switch did not answer within %u s",
			 ms / 1000);
	else if (r == -ETIMEDOUT)
		snprintf(buf, len, "switch did not answer within %u ms", ms);
	else if (call && call_error(call))
		snprintf(buf, len, "%s", call_error(call));
	else
		snprintf(buf, len, "%s: %s", what, strerror(r < 0 ? -r : EIO));
}

static int engine_apply_modify(const struct engine_switch *s,
			       const struct engine_op *op,
			       struct hil_call *call)
{
	if (!op->channel || !*op->channel) {
		call_set_error(call, "the operation names no channel");
		return -EINVAL;
	}
	return s->ops->set_port(s->session, call, op->port, op->channel,
				op->network_id ? op->vlan : NULL);
}

static int engine_record_modify(struct db_conn *c, const struct engine_op *op)
{
	int r;

	r = db_q(c, Q_ENGINE_ATTACH_CLEAR_CHANNEL, NULL, op->nic_id,
		 op->channel);
	if (r < 0 || !op->network_id)
		return r;
	return db_q(c, Q_ENGINE_ATTACH_ADD, NULL, op->nic_id, op->network_id,
		    op->channel);
}

static int engine_apply_revert(const struct engine_switch *s,
			       const struct engine_op *op,
			       struct hil_call *call)
{
	return s->ops->revert_port(s->session, call, op->port);
}

static int engine_record_revert(struct db_conn *c, const struct engine_op *op)
{
	return db_q(c, Q_ENGINE_ATTACH_CLEAR_NIC, NULL, op->nic_id);
}

static const struct engine_kind engine_kinds[] = {
	{"modify_port", engine_apply_modify, engine_record_modify},
	{"revert_port", engine_apply_revert, engine_record_revert},
};

static const struct engine_kind *engine_kind_find(const char *name)
{
	for (size_t i = 0;
	     name && i < sizeof(engine_kinds) / sizeof(engine_kinds[0]); i++)
		if (strcmp(engine_kinds[i].name, name) == 0)
			return &engine_kinds[i];
	return NULL;
}

/*
 * Record an operation's end: DONE (error NULL), with what its kind
 * changes in the database, or ERROR with the text.  One transaction, run
 * again when it conflicts.  An operation deleted meanwhile (with its NIC)
 * is skipped.  Returns 0, or -EIO / -EAGAIN when the database failed: the
 * operation then stays pending and is applied again later.
 */
static int engine_finish(struct engine_switch *s, const struct engine_op *op,
			 const struct engine_kind *k, const char *error)
{
	const char *status = error ? "ERROR" : "DONE";
	bool gone = false;
	char now[24];
	int r = -EAGAIN;

	snprintf(now, sizeof(now), "%lld", engine_now_ms());
	for (int t = 0; t < ENGINE_TXN_RETRIES && r == -EAGAIN; t++) {
		r = db_begin(s->c, true);
		if (r < 0)
			continue;
		r = db_q(s->c, Q_ENGINE_OP_FINISH, NULL, op->id, status, error,
			 now);
		gone = r == 0;
		if (r > 0 && !error)
			r = k->record(s->c, op);
		if (r >= 0 && !gone)
			r = db_commit(s->c);
		if (r < 0 || gone)
			db_rollback(s->c);
	}
	if (r == -EIO || r == -EAGAIN)
		return r;
	if (r < 0 && !error) {
		/* The switch changed and the database refuses the change
		 * (a constraint): say so rather than apply it forever. */
		log_err("operation '%s': could not record its result: %s",
			op->uuid, strerror(-r));
		return engine_finish(s, op, NULL,
				     "the switch was changed but the result "
				     "could not be recorded");
	}
	if (r < 0)
		return r;
	if (gone) {
		log_debug("operation '%s' was deleted while it ran", op->uuid);
		return 0;
	}
	engine_watch_fire(strtoll(op->id, NULL, 10));
	if (error) {
		s->failed++;
		log_warn("operation '%s' (%s on port '%s' of switch '%s') "
			 "failed: %s",
			 op->uuid, op->kind, op->port ? op->port : "", s->label,
			 error);
	} else {
		s->done++;
		log_debug("operation '%s' (%s on port '%s' of switch '%s') "
			  "done",
			  op->uuid, op->kind, op->port, s->label);
	}
	return 0;
}

__attribute__((format(printf, 3, 4))) static int
engine_fail(struct engine_switch *s, const struct engine_op *op,
	    const char *fmt, ...)
{
	char error[CALL_MAX_ERROR];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error, sizeof(error), fmt, ap);
	va_end(ap);
	return engine_finish(s, op, NULL, error);
}

void engine_switch_failed(struct engine_switch *s, const struct hil_call *call,
			  int r, const char *what, char *buf, size_t len)
{
	engine_error_text(call, r, what, buf, len);
	if (r == -ETIMEDOUT) {
		/* A hung switch: give up on this session and let the other
		 * switches go first.  Whether the change reached the switch
		 * is unknown: check the switch against the database again
		 * later. */
		s->timed_out = true;
		snprintf(s->broken, sizeof(s->broken), "%s", buf);
		engine_verify_again(s->id, ENGINE_VERIFY_RETRY_MS);
	}
}

/* Open the driver session on first use; on failure every operation of
 * this holding fails with the reason. */
int engine_session_open(struct engine_switch *s)
{
	struct hil_call *call;
	int r;

	if (s->session)
		return 0;
	call = engine_call(s, engine.opts.call_timeout_ms);
	if (!call) {
		snprintf(s->broken, sizeof(s->broken), "out of memory");
		return -ENOMEM;
	}
	r = s->ops->session_open(plugin_host(), call, &s->session);
	if (r < 0) {
		s->session = NULL;
		s->timed_out = r == -ETIMEDOUT;
		engine_error_text(call, r, "could not connect to the switch",
				  s->broken, sizeof(s->broken));
		log_warn("could not open a session to switch '%s': %s",
			 s->label, s->broken);
	} else {
		s->opened = true;
	}
	call_free(call);
	return r < 0 ? r : 0;
}

/* Save (when something changed) and close the session.  After a call
 * timed out, the close gets a deadline already past: a driver that
 * honours it lets go at once rather than wait on a hung switch again. */
static void engine_session_close(struct engine_switch *s)
{
	struct hil_call *call;
	int save = s->applied > 0, r;

	if (!s->session)
		return;
	call = engine_call(s, s->timed_out ? 0 : engine.opts.call_timeout_ms);
	/* Without a call (out of memory) the driver still releases. */
	r = s->ops->session_close(s->session, call, save);
	s->session = NULL;
	if (r < 0) {
		char error[CALL_MAX_ERROR];

		engine_error_text(call, r, "could not close the session", error,
				  sizeof(error));
		log_warn("switch '%s': %s%s", s->label,
			 save ? "configuration not saved: " : "", error);
	}
	call_free(call);
}

void engine_session_drop(struct engine_switch *s)
{
	engine_session_close(s);
	s->held = 0;
}

/*
 * Apply one claimed operation and record its result, or, for a driver
 * with session_commit, queue it and set *ret_held: engine_commit records
 * it.  Returns 0, or a negative errno when the database failed.
 */
static int engine_op_run(struct engine_switch *s, const struct engine_op *op,
			 bool *ret_held)
{
	const struct engine_kind *k = engine_kind_find(op->kind);
	char error[CALL_MAX_ERROR];
	struct hil_call *call;
	int r;

	if (op->attempt > ENGINE_MAX_ATTEMPTS)
		return engine_fail(s, op, "given up after %d attempts",
				   ENGINE_MAX_ATTEMPTS);
	if (!k)
		return engine_fail(s, op, "unknown operation kind '%s'",
				   op->kind ? op->kind : "");
	/* The original left such an operation pending forever. */
	if (!op->port_id || !op->nic_port_id ||
	    strcmp(op->port_id, op->nic_port_id) != 0)
		return engine_fail(s, op,
				   "the NIC is no longer connected to port "
				   "'%s'",
				   op->port ? op->port : "");
	if (op->network_id && !op->vlan)
		return engine_fail(s, op, "the network no longer exists");
	if (s->broken[0] || engine_session_open(s) < 0)
		return engine_finish(s, op, NULL, s->broken);

	call = engine_call(s, engine.opts.call_timeout_ms);
	if (!call)
		return engine_fail(s, op, "out of memory");
	/* Claimed before, by a process that stopped or died: the switch
	 * may have the change already, which drivers take in their stride. */
	if (op->attempt > 1)
		log_notice("operation '%s': claimed before an interruption, "
			   "applying it (claim %lld)",
			   op->uuid, op->attempt);
	r = k->apply(s, op, call);
	if (r == 0 && s->ops->session_commit) {
		/* Queued: the switch has it only after the commit. */
		s->held++;
		*ret_held = true;
	} else if (r == 0) {
		s->applied++;
		r = engine_finish(s, op, k, NULL);
	} else {
		engine_switch_failed(s, call, r, "could not change the port",
				     error, sizeof(error));
		r = engine_finish(s, op, NULL, error);
	}
	call_free(call);
	return r;
}

static void engine_op_get(const struct db_res *res, int i, struct engine_op *op)
{
	op->id = db_res_get(res, i, 0);
	op->uuid = db_res_get(res, i, 1);
	op->kind = db_res_get(res, i, 2);
	op->nic_id = db_res_get(res, i, 3);
	op->port_id = db_res_get(res, i, 4);
	op->port = db_res_get(res, i, 5);
	op->nic_port_id = db_res_get(res, i, 6);
	op->channel = db_res_get(res, i, 7);
	op->network_id = db_res_get(res, i, 8);
	op->vlan = db_res_get(res, i, 9);
	op->attempt = db_res_int(res, i, 10) + 1;
}

/* Send what the batch queued: 0, or a negative errno with the text the
 * held operations record in error. */
static int engine_commit_send(struct engine_switch *s, char *error, size_t len)
{
	struct hil_call *call;
	int r;

	if (s->broken[0]) {
		snprintf(error, len, "%s", s->broken);
		return -EIO;
	}
	call = engine_call(s, engine.opts.call_timeout_ms);
	if (!call) {
		/* The queue stays with the driver: end the holding, so that
		 * closing the session drops it. */
		snprintf(error, len, "out of memory");
		snprintf(s->broken, sizeof(s->broken), "out of memory");
		return -ENOMEM;
	}
	r = s->ops->session_commit(s->session, call);
	if (r < 0)
		engine_switch_failed(s, call, r, "could not apply the changes",
				     error, len);
	call_free(call);
	return r;
}

static int engine_commit(struct engine_switch *s, const struct db_res *res,
			 const bool *held, int n);

/* A commit the switch refused applied nothing (plugin.h), and one bad
 * change need not fail the others: queue and commit each held operation
 * of the batch alone.  Returns 0, or a negative errno (database). */
static int engine_commit_each(struct engine_switch *s, const struct db_res *res,
			      const bool *held, int n)
{
	bool alone[ENGINE_MAX_BATCH];
	struct engine_op op;
	int r = 0;

	for (int i = 0; i < n && r == 0; i++) {
		if (!held[i])
			continue;
		memset(alone, 0, sizeof(alone));
		engine_op_get(res, i, &op);
		r = engine_op_run(s, &op, &alone[i]);
		if (r == 0)
			r = engine_commit(s, res, alone, n);
	}
	return r;
}

/*
 * The batch's commit point, for a driver with session_commit: apply what
 * its operations queued (held[i] set) in one call, then record each of
 * them DONE, or ERROR with the commit's text.  A commit of several that
 * failed, except past its deadline, is tried again one operation at a
 * time.  A switch that broke during the batch (a call past its deadline)
 * is not asked again: the held operations fail with its reason.  Returns
 * 0, or a negative errno when the database failed (the operations not
 * recorded yet stay pending and are applied again later).
 */
static int engine_commit(struct engine_switch *s, const struct db_res *res,
			 const bool *held, int n)
{
	char error[CALL_MAX_ERROR] = "";
	unsigned count = s->held;
	struct engine_op op;
	int r;

	if (count == 0)
		return 0;
	s->held = 0;
	r = engine_commit_send(s, error, sizeof(error));
	if (r < 0 && r != -ETIMEDOUT && count > 1 && !s->broken[0]) {
		log_notice("switch '%s': %s; applying the batch's %u "
			   "operations one at a time",
			   s->label, error, count);
		return engine_commit_each(s, res, held, n);
	}
	if (r == 0)
		s->applied += count;
	/* Each failed operation is logged as it is recorded. */
	r = 0;
	for (int i = 0; i < n && r == 0; i++) {
		if (!held[i])
			continue;
		engine_op_get(res, i, &op);
		r = engine_finish(s, &op, engine_kind_find(op.kind),
				  error[0] ? error : NULL);
	}
	return r;
}

/*
 * Claim the next pending operations of switch sw, in queue order, and
 * count the attempt.  Returns how many (0: none left), with their rows in
 * *ret_res, or a negative errno.
 */
static int engine_claim(struct db_conn *c, const char *sw,
			struct db_res **ret_res)
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
		n = db_q(c, Q_ENGINE_CLAIM, &res, sw, limit);
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

/* The driver and settings of the switch, or the reason it cannot be
 * served in s->broken. */
static void engine_switch_setup(struct engine_switch *s, const char *type,
				const char *settings)
{
	s->ops = engine_driver(type);
	if (!s->ops) {
		snprintf(s->broken, sizeof(s->broken),
			 "switch driver '%.64s' is not loaded",
			 type ? type : "");
		return;
	}
	s->settings = settings ? json_loads(settings, 0, NULL) : NULL;
	if (!json_is_object(s->settings))
		snprintf(s->broken, sizeof(s->broken),
			 "the settings of switch '%s' are unreadable",
			 s->label);
}

/*
 * Serve switch id (held by this worker): apply its pending operations in
 * one session until none is left, the session has run long enough, or
 * the switch is broken.  Returns 0 or a negative errno (database).
 */
static int engine_serve(struct db_conn *c, const char *id)
{
	struct engine_switch s = {.c = c, .id = id};
	struct db_res *sw = NULL, *ops = NULL;
	bool held[ENGINE_MAX_BATCH], verify_due;
	unsigned ran = 0;
	struct engine_op op;
	int n, r;

	verify_due = engine_verify_due(id);
	r = db_q(c, Q_ENGINE_SWITCH_GET, &sw, id);
	if (r < 0 && verify_due)
		engine_verify_again(id, ENGINE_VERIFY_RETRY_MS);
	if (r <= 0)
		goto out; /* a pending operation keeps its switch */
	s.label = db_res_get(sw, 0, 0);
	engine_switch_setup(&s, db_res_get(sw, 0, 1), db_res_get(sw, 0, 2));
	/* The first time this process serves the switch: repair what
	 * differs from the database before applying anything new. */
	if (verify_due) {
		r = engine_verify(&s);
		if (r < 0)
			goto out;
	}
	r = 0;
	while (ran < ENGINE_MAX_SESSION_OPS && engine_running()) {
		n = engine_claim(c, id, &ops);
		if (n <= 0) {
			r = n;
			break;
		}
		/* ran only ends the holding between batches, and with
		 * session_commit one batch is one commit; a stop ends the
		 * batch early: what was queued is committed and recorded,
		 * the rest stays pending. */
		memset(held, 0, sizeof(held));
		for (int i = 0; i < n && engine_running(); i++, ran++) {
			engine_op_get(ops, i, &op);
			r = engine_op_run(&s, &op, &held[i]);
			if (r < 0)
				goto out;
		}
		r = engine_commit(&s, ops, held, n);
		if (r < 0)
			goto out;
		/* A broken switch (hung, refusing) goes on claiming: every
		 * operation pending now fails at once, so it holds this
		 * worker for one deadline at most.  What is queued later
		 * gets a fresh session. */
		ops = db_res_free(ops);
	}
out:
	engine_session_close(&s);
	if (s.done || s.failed)
		log_info("switch '%s': %u operation%s done, %u failed%s",
			 s.label, s.done, s.done == 1 ? "" : "s", s.failed,
			 s.opened ? " in one session" : "");
	if (r < 0)
		log_warn("switch '%s': stopped on a database failure; pending "
			 "operations are applied again later",
			 s.label ? s.label : id);
	json_decref(s.settings);
	db_res_free(ops);
	db_res_free(sw);
	return r;
}

/*
 * Take a switch due for a check (verify.c) that nobody holds, its id in
 * buf.  Returns 1 when taken (*ret_others
 * set when more are left), 0 when none could be, or a negative errno.
 */
static int engine_take_unchecked(const struct engine_class *k, unsigned self,
				 struct db_conn *c, char *buf, size_t len,
				 bool *ret_others)
{
	int64_t ids[ENGINE_SCAN_EXTRA];
	size_t n = engine_verify_pending(ids, ENGINE_SCAN_EXTRA);
	int r;

	for (size_t i = 0; i < n; i++) {
		if (!engine_hold(k, self, ids[i]))
			continue;
		snprintf(buf, len, "%lld", (long long)ids[i]);
		r = engine_target_lock(k, c, buf);
		if (r > 0) {
			*ret_others = *ret_others || i + 1 < n;
			return 1;
		}
		engine_release(self);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Look for a target of its class this worker can take and serve it.
 * Returns 1 when it served one, 0 when there was none to take, or a
 * negative errno.
 */
static int engine_round(struct engine_class *k, unsigned self)
{
	struct db_conn *c = db_conn(engine.db);
	struct db_res *res = NULL;
	const char *taken = NULL;
	char limit[16], unchecked[24];
	bool others = false;
	int n, r;

	if (!c)
		return -EIO;
	snprintf(limit, sizeof(limit), "%u", k->count + ENGINE_SCAN_EXTRA);
	n = db_q(c, k->pending, &res, limit);
	if (n < 0) {
		r = n;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const char *id = db_res_get(res, i, 0);
		int64_t key = db_res_int(res, i, 0);

		if (taken) {
			others = others || !engine_held(k, key);
			continue;
		}
		if (!engine_hold(k, self, key))
			continue;
		r = engine_target_lock(k, c, id);
		if (r > 0) {
			taken = id;
			continue;
		}
		engine_release(self);
		if (r < 0)
			goto out;
	}
	if (!taken && k == &engine.cls[ENGINE_SWITCHES]) {
		r = engine_take_unchecked(k, self, c, unchecked,
					  sizeof(unchecked), &others);
		if (r < 0)
			goto out;
		if (r > 0)
			taken = unchecked;
	}
	/* More targets wait than this worker takes: wake another. */
	if (others) {
		pthread_mutex_lock(&engine.lock);
		engine_kick_class(k);
		pthread_mutex_unlock(&engine.lock);
	}
	r = 0;
	if (!taken)
		goto out;
	r = k->serve(c, taken);
	engine_target_unlock(k, c, taken);
	engine_release(self);
	if (r == 0)
		r = 1;
out:
	db_res_free(res);
	return r;
}

static void *engine_worker(void *arg)
{
	unsigned self = (unsigned)(uintptr_t)arg;
	struct engine_class *k = engine_class_of(self);
	bool go;
	int r = 1; /* first look at once: what a crash or a stop left */

	for (;;) {
		if (r > 0)
			go = engine_sleep(k, 0, true);
		else if (r == 0)
			go = engine_sleep(k, ENGINE_RESCAN_MS, true);
		else
			go = engine_sleep(k, ENGINE_RETRY_MS, false);
		if (!go)
			return NULL;
		r = engine_round(k, self);
	}
}

/* PostgreSQL: turn other processes' NOTIFY into kicks. */
static void *engine_listen(void *arg)
{
	struct db_conn *c = NULL;
	bool listening = false, warned = false;
	int r;

	(void)arg;
	while (engine_running()) {
		if (!listening) {
			c = c ? c : db_conn(engine.db);
			r = c ? db_q0(c, Q_ENGINE_LISTEN, NULL) : -EIO;
			if (r < 0) {
				if (!warned)
					log_warn("engine: not listening for "
						 "other processes' operations, "
						 "looking every %d s meanwhile",
						 ENGINE_RESCAN_MS / 1000);
				warned = true;
				engine_sleep(&engine.cls[0], ENGINE_RETRY_MS,
					     false);
				continue;
			}
			if (warned)
				log_notice("engine: listening for other "
					   "processes' operations again");
			listening = true;
			warned = false;
			/* What was queued while nobody listened. */
			engine_kick();
		}
		r = db_wait_notify(c, engine.stop_pipe[0], ENGINE_RESCAN_MS);
		if (r > 0) {
			/* Operations queued or finished elsewhere: work for
			 * the workers, news for the waiting requests. */
			log_debug("engine: woken by a notification");
			engine_kick();
			engine_watch_poke();
		} else if (r < 0)
			listening = false;
	}
	return NULL;
}

/* Watches. */

int engine_watch_add(int64_t op_id, long long deadline_ms,
		     void (*fn)(void *arg), void *arg,
		     struct engine_watch **ret)
{
	struct engine_watch *w = calloc(1, sizeof(*w));
	int r = -ENOTCONN;

	if (!w)
		return -ENOMEM;
	w->op = op_id;
	w->deadline = deadline_ms;
	w->fn = fn;
	w->arg = arg;
	pthread_mutex_lock(&watch.lock);
	if (watch.running) {
		w->next_poll = call_clock_ms() + ENGINE_WATCH_POLL_MS;
		w->next = watch.list;
		watch.list = w;
		pthread_cond_signal(&watch.cv);
		r = 0;
	}
	pthread_mutex_unlock(&watch.lock);
	if (r < 0) {
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

struct engine_watch *engine_watch_free(struct engine_watch *w)
{
	struct engine_watch **p;

	if (!w)
		return NULL;
	pthread_mutex_lock(&watch.lock);
	for (p = &watch.list; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	pthread_mutex_unlock(&watch.lock);
	free(w);
	return NULL;
}

void engine_watch_fire(int64_t op_id)
{
	pthread_mutex_lock(&watch.lock);
	for (struct engine_watch *w = watch.list; w; w = w->next)
		if (w->op == op_id)
			w->fn(w->arg);
	pthread_mutex_unlock(&watch.lock);
}

/* Call every watch: another process queued or finished operations. */
static void engine_watch_poke(void)
{
	pthread_mutex_lock(&watch.lock);
	for (struct engine_watch *w = watch.list; w; w = w->next)
		w->fn(w->arg);
	pthread_mutex_unlock(&watch.lock);
}

/* Call the watches whose deadline passed (once) and, when other
 * processes may apply operations, each watch every poll interval. */
static void *engine_watcher(void *arg)
{
	struct timespec ts;
	long long now, next;

	(void)arg;
	pthread_mutex_lock(&watch.lock);
	while (watch.running) {
		now = call_clock_ms();
		next = now + ENGINE_RESCAN_MS;
		for (struct engine_watch *w = watch.list; w; w = w->next) {
			if (now >= w->deadline) {
				w->deadline = LLONG_MAX;
				w->fn(w->arg);
			} else if (watch.poll && now >= w->next_poll) {
				w->next_poll = now + ENGINE_WATCH_POLL_MS;
				w->fn(w->arg);
			}
			if (w->deadline < next)
				next = w->deadline;
			if (watch.poll && w->next_poll < next)
				next = w->next_poll;
		}
		engine_timespec_in(&ts, next > now ? next - now : 0);
		pthread_cond_timedwait(&watch.cv, &watch.lock, &ts);
	}
	pthread_mutex_unlock(&watch.lock);
	return NULL;
}

/* Join every thread and free what engine_start made.  Called with the
 * engine stopped (running false). */
static void engine_teardown(void)
{
	bool watcher;

	pthread_mutex_lock(&watch.lock);
	watcher = watch.running;
	watch.running = false;
	pthread_cond_broadcast(&watch.cv);
	pthread_mutex_unlock(&watch.lock);
	if (watcher)
		pthread_join(watch.thread, NULL);
	if (engine.stop_pipe[1] >= 0)
		close(engine.stop_pipe[1]);
	engine.stop_pipe[1] = -1;
	for (unsigned i = 0; i < engine.nworkers; i++)
		pthread_join(engine.workers[i], NULL);
	if (engine.listening)
		pthread_join(engine.listener, NULL);
	engine.listening = false;
	engine.nworkers = 0;
	if (engine.stop_pipe[0] >= 0)
		close(engine.stop_pipe[0]);
	engine.stop_pipe[0] = -1;
	free(engine.workers);
	free(engine.held);
	engine.workers = NULL;
	engine.held = NULL;
	for (int i = 0; i < ENGINE_NCLASSES; i++)
		pthread_cond_destroy(&engine.cls[i].wake);
	pthread_cond_destroy(&engine.halt);
	pthread_cond_destroy(&watch.cv);
	engine_verify_stop();
	pthread_mutex_lock(&engine.lock);
	engine.db = NULL;
	pthread_mutex_unlock(&engine.lock);
}

/* Wake every thread for the stop; called with engine.lock held. */
static void engine_wake_all(void)
{
	for (int i = 0; i < ENGINE_NCLASSES; i++)
		pthread_cond_broadcast(&engine.cls[i].wake);
	pthread_cond_broadcast(&engine.halt);
}

int engine_start(struct db *db, const struct engine_opts *opts)
{
	pthread_condattr_t attr;
	bool busy;
	int r;

	if (!db || !opts || opts->workers < 1 ||
	    opts->workers > ENGINE_MAX_WORKERS || opts->call_timeout_ms == 0 ||
	    opts->obm_workers < 1 || opts->obm_workers > ENGINE_MAX_WORKERS ||
	    opts->obm_timeout_ms == 0) {
		log_err("engine: needs 1..%d switch and OBM workers and their "
			"timeouts",
			ENGINE_MAX_WORKERS);
		return -EINVAL;
	}
	pthread_mutex_lock(&engine.lock);
	busy = engine.db != NULL;
	pthread_mutex_unlock(&engine.lock);
	if (busy)
		return -EALREADY;

	r = -ENOMEM;
	engine.total = opts->workers + opts->obm_workers;
	engine.held = calloc(engine.total, sizeof(*engine.held));
	engine.workers = calloc(engine.total, sizeof(*engine.workers));
	if (!engine.held || !engine.workers)
		goto fail_alloc;
	if (pipe2(engine.stop_pipe, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail_alloc;
	}
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	for (int i = 0; i < ENGINE_NCLASSES; i++) {
		engine.cls[i] = engine_classes[i];
		pthread_cond_init(&engine.cls[i].wake, &attr);
	}
	pthread_cond_init(&engine.halt, &attr);
	pthread_cond_init(&watch.cv, &attr);
	pthread_condattr_destroy(&attr);

	pthread_mutex_lock(&engine.lock);
	engine.db = db;
	engine.opts = *opts;
	engine.cls[ENGINE_SWITCHES].first = 0;
	engine.cls[ENGINE_SWITCHES].count = opts->workers;
	engine.cls[ENGINE_NODES].first = opts->workers;
	engine.cls[ENGINE_NODES].count = opts->obm_workers;
	engine.running = true;
	for (int i = 0; i < ENGINE_NCLASSES; i++)
		engine.cls[i].work = true;
	pthread_mutex_unlock(&engine.lock);
	pthread_mutex_lock(&watch.lock);
	watch.running = true;
	watch.poll = db_supports(db, Q_ENGINE_LISTEN);
	pthread_mutex_unlock(&watch.lock);
	/* Without the list (a database failure, logged) switches are simply
	 * not checked. */
	if (opts->verify_switches && db_conn(db))
		engine_verify_start(db_conn(db));
	r = -pthread_create(&watch.thread, NULL, engine_watcher, NULL);
	if (r < 0) {
		pthread_mutex_lock(&watch.lock);
		watch.running = false;
		pthread_mutex_unlock(&watch.lock);
		goto fail;
	}
	for (unsigned i = 0; i < engine.total; i++) {
		r = -pthread_create(&engine.workers[i], NULL, engine_worker,
				    (void *)(uintptr_t)i);
		if (r < 0)
			goto fail;
		engine.nworkers++;
	}
	if (db_supports(db, Q_ENGINE_LISTEN)) {
		r = -pthread_create(&engine.listener, NULL, engine_listen,
				    NULL);
		if (r < 0)
			goto fail;
		engine.listening = true;
	}
	log_info("engine: %u switch worker%s (driver calls time out after %u "
		 "ms), %u OBM worker%s (after %u ms)%s%s",
		 opts->workers, opts->workers == 1 ? "" : "s",
		 opts->call_timeout_ms, opts->obm_workers,
		 opts->obm_workers == 1 ? "" : "s", opts->obm_timeout_ms,
		 engine.listening ? ", listening for other processes" : "",
		 opts->verify_switches ? "" : ", switches not checked");
	return 0;

fail:
	log_err("engine: could not start a thread: %s", strerror(-r));
	pthread_mutex_lock(&engine.lock);
	engine.running = false;
	engine_wake_all();
	pthread_mutex_unlock(&engine.lock);
	engine_teardown();
	return r;
fail_alloc:
	log_err("engine: could not start: %s", strerror(-r));
	free(engine.held);
	free(engine.workers);
	engine.held = NULL;
	engine.workers = NULL;
	return r;
}

void engine_stop(void)
{
	pthread_mutex_lock(&engine.lock);
	if (!engine.db) {
		pthread_mutex_unlock(&engine.lock);
		return;
	}
	engine.running = false;
	engine_wake_all();
	pthread_mutex_unlock(&engine.lock);
	engine_teardown();
	log_info("engine: stopped");
}
