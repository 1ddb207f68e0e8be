/*
 * verify.c - the engine's switch check: the first time this hild process
 * serves a switch, it reads the switch's ports back and repairs the ones
 * that differ from the database.
 *
 * A switch can drift from what HIL recorded while no hild ran (a change
 * made by hand, a switch restored from an old configuration) or through
 * a change whose outcome was unknown (a call past its deadline).  The
 * database says what each port must carry: the attachments of the NIC
 * wired to it, each a channel and its network's VLAN, written only when
 * the switch operation that made them is DONE.  So a port with no
 * pending operation (on the port or on its NIC) must carry exactly those:
 * the check reads it back with the driver's get_port and, when it
 * carries something else, or something the driver cannot describe in
 * channels (-EPROTO: traffic HIL did not put there), reverts it and sets
 * each attachment again (then commits, for a driver with session_commit).
 * Ports with pending operations are left to those operations; ports with
 * no NIC are not HIL's to judge.  A driver without get_port cannot be
 * checked.
 *
 * The check runs on the worker that holds the switch (and, on
 * PostgreSQL, its advisory lock), before the switch's pending
 * operations.  engine_start lists every switch; workers take the ones
 * with nothing pending when they have nothing else to do, so every switch
 * is checked soon after a start, not only when an operation arrives.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "db/db.h"
#include "engine/engine-int.h"
#include "log.h"

#define VERIFY_MAX_TEXT	    512	 /* bytes of a port's channels, as logged */
#define VERIFY_MAX_CHANNELS 4096 /* channels of one port */

/* Switches this process has yet to check, each not before due_ms (on
 * CLOCK_MONOTONIC): 0 at start, later for a check again. */
struct verify_entry {
	int64_t id;
	long long due_ms;
};

static struct {
	pthread_mutex_t lock; /* guards everything below */
	bool on;	      /* verify_switches, and the engine runs */
	struct verify_entry *v;
	size_t n;
} verify = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static long long verify_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int engine_verify_start(struct db_conn *c)
{
	struct verify_entry *v = NULL;
	struct db_res *res = NULL;
	int n;

	n = db_q(c, Q_ENGINE_SWITCHES_ALL, &res);
	if (n > 0) {
		v = calloc((size_t)n, sizeof(*v));
		if (!v)
			n = -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		v[i].id = db_res_int(res, i, 0);
	db_res_free(res);
	pthread_mutex_lock(&verify.lock);
	free(verify.v);
	verify.on = true;
	verify.v = v;
	verify.n = n > 0 ? (size_t)n : 0;
	pthread_mutex_unlock(&verify.lock);
	if (n < 0) {
		log_warn("engine: could not list the switches to check: %s",
			 strerror(-n));
		return n;
	}
	if (n > 0)
		log_info("engine: checking %d switch%s against the database", n,
			 n == 1 ? "" : "es");
	return 0;
}

void engine_verify_stop(void)
{
	pthread_mutex_lock(&verify.lock);
	free(verify.v);
	verify.v = NULL;
	verify.n = 0;
	verify.on = false;
	pthread_mutex_unlock(&verify.lock);
}

void engine_verify_again(const char *id, long long delay_ms)
{
	int64_t key = id ? strtoll(id, NULL, 10) : 0;
	long long due = verify_now_ms() + delay_ms;
	struct verify_entry *grown;
	size_t i;

	pthread_mutex_lock(&verify.lock);
	for (i = 0; i < verify.n && verify.v[i].id != key; i++)
		;
	if (!verify.on || key <= 0) {
		/* Checks are off: nothing to do. */
	} else if (i < verify.n) {
		if (due < verify.v[i].due_ms)
			verify.v[i].due_ms = due;
	} else if ((grown = realloc(verify.v,
				    (verify.n + 1) * sizeof(*grown)))) {
		verify.v = grown;
		verify.v[verify.n++] = (struct verify_entry){key, due};
	} else {
		log_warn("engine: out of memory: switch %lld is not checked "
			 "again",
			 (long long)key);
	}
	pthread_mutex_unlock(&verify.lock);
}

size_t engine_verify_pending(int64_t *ids, size_t max)
{
	long long now = verify_now_ms();
	size_t n = 0;

	pthread_mutex_lock(&verify.lock);
	for (size_t i = 0; i < verify.n && n < max; i++)
		if (verify.v[i].due_ms <= now)
			ids[n++] = verify.v[i].id;
	pthread_mutex_unlock(&verify.lock);
	return n;
}

bool engine_verify_due(const char *id)
{
	int64_t key = id ? strtoll(id, NULL, 10) : 0;
	long long now = verify_now_ms();
	bool due = false;

	pthread_mutex_lock(&verify.lock);
	for (size_t i = 0; i < verify.n; i++)
		if (verify.v[i].id == key) {
			due = verify.v[i].due_ms <= now;
			if (due)
				verify.v[i] = verify.v[--verify.n];
			break;
		}
	pthread_mutex_unlock(&verify.lock);
	return due;
}

/* A port's channels, "channel=vlan" each, sorted: what is compared;
 * and as one line for the log (cut short past VERIFY_MAX_TEXT). */
struct verify_set {
	char **v;
	size_t n;
	bool failed; /* out of memory or over the limit: never "equal" */
	char text[VERIFY_MAX_TEXT];
};

static void verify_add(struct verify_set *t, const char *channel,
		       const char *vlan)
{
	char **grown;
	size_t len;

	if (t->failed || t->n == VERIFY_MAX_CHANNELS) {
		t->failed = true;
		return;
	}
	grown = realloc(t->v, (t->n + 1) * sizeof(*grown));
	if (!grown) {
		t->failed = true;
		return;
	}
	t->v = grown;
	len = strlen(channel ? channel : "") + strlen(vlan ? vlan : "") + 2;
	t->v[t->n] = malloc(len);
	if (!t->v[t->n]) {
		t->failed = true;
		return;
	}
	snprintf(t->v[t->n], len, "%s=%s", channel ? channel : "",
		 vlan ? vlan : "");
	t->n++;
}

static void verify_sink(void *arg, const char *channel, const char *vlan)
{
	verify_add(arg, channel, vlan);
}

static int verify_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort, and write the log line. */
static const char *verify_done(struct verify_set *t)
{
	size_t off = 0;
	int n;

	if (t->n)
		qsort(t->v, t->n, sizeof(t->v[0]), verify_cmp);
	snprintf(t->text, sizeof(t->text), "%s", t->n ? "" : "nothing");
	for (size_t i = 0; i < t->n && off < sizeof(t->text); i++) {
		n = snprintf(t->text + off, sizeof(t->text) - off, "%s%s",
			     i ? " " : "", t->v[i]);
		off += n > 0 ? (size_t)n : 0;
	}
	return t->text;
}

static bool verify_equal(const struct verify_set *a, const struct verify_set *b)
{
	if (a->failed || b->failed || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static void verify_free(struct verify_set *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* Revert the port, set each attachment (rows first .. end-1 of res),
 * commit; each driver call with a deadline of its own.  0 or the
 * driver's negative errno, its text in error. */
static int verify_repair(struct engine_switch *s, const char *port,
			 const struct db_res *res, int first, int end,
			 char *error, size_t len)
{
	const char *what = "could not revert the port";
	struct hil_call *call = NULL;
	bool queued = false;
	int r = 0;

	for (int i = first - 1; r == 0 && i <= end; i++) {
		if (i >= first && i < end && !db_res_get(res, i, 1))
			continue; /* a NIC with no attachment */
		if (i == end && !s->ops->session_commit)
			break;
		call_free(call);
		if (!(call = engine_switch_call(s))) {
			snprintf(error, len, "out of memory");
			r = -ENOMEM;
			break;
		}
		if (i < first) {
			r = s->ops->revert_port(s->session, call, port);
		} else if (i < end) {
			what = "could not set the port";
			r = s->ops->set_port(s->session, call, port,
					     db_res_get(res, i, 1),
					     db_res_get(res, i, 2));
		} else {
			what = "could not apply the changes";
			r = s->ops->session_commit(s->session, call);
		}
		if (i == end)
			queued = false; /* a commit empties the queue */
		else if (r == 0 && s->ops->session_commit)
			queued = true;
	}
	if (r < 0 && call)
		engine_switch_failed(s, call, r, what, error, len);
	else if (r == 0)
		s->applied++;
	/* What the repair queued before it failed must not ride along with
	 * the next commit: a new session starts with an empty queue. */
	if (r < 0 && queued && !s->broken[0])
		engine_session_drop(s);
	call_free(call);
	return r;
}

/*
 * Check one port: rows first .. end-1 of res are its attachments.
 * Returns 0 (the same, or repaired), or a negative errno when it could
 * not be read or repaired (-ETIMEDOUT: the switch hung).
 */
static int verify_port(struct engine_switch *s, const struct db_res *res,
		       int first, int end)
{
	const char *port = db_res_get(res, first, 0);
	struct verify_set want = {0}, got = {0};
	char found[CALL_MAX_ERROR], error[CALL_MAX_ERROR];
	struct hil_call *call = engine_switch_call(s);
	bool differs;
	int r;

	if (!call)
		return -ENOMEM;
	for (int i = first; i < end; i++)
		if (db_res_get(res, i, 1))
			verify_add(&want, db_res_get(res, i, 1),
				   db_res_get(res, i, 2));
	verify_done(&want);
	r = s->ops->get_port(s->session, call, port, verify_sink, &got);
	if (r == -EPROTO) {
		/* Traffic no channel describes: the driver says what. */
		snprintf(found, sizeof(found), "%s",
			 call_error(call) ? call_error(call)
					  : "what the driver cannot describe");
		differs = true;
	} else if (r < 0) {
		engine_switch_failed(s, call, r, "could not read the port",
				     error, sizeof(error));
		log_warn("switch '%s': could not check port '%s': %s", s->label,
			 port, error);
		goto out;
	} else {
		snprintf(found, sizeof(found), "it carries '%s'",
			 verify_done(&got));
		differs = !verify_equal(&got, &want);
	}
	if (!differs) {
		log_debug("switch '%s': port '%s' carries what the database "
			  "says",
			  s->label, port);
		goto out;
	}
	r = verify_repair(s, port, res, first, end, error, sizeof(error));
	if (r == 0)
		log_warn("switch '%s': port '%s' differs: %s; the database "
			 "says '%s'; repaired",
			 s->label, port, found, want.text);
	else
		log_warn("switch '%s': port '%s' differs: %s; the database "
			 "says '%s'; could not repair it: %s",
			 s->label, port, found, want.text, error);
out:
	verify_free(&want);
	verify_free(&got);
	call_free(call);
	return r;
}

int engine_verify(struct engine_switch *s)
{
	struct db_res *res = NULL;
	int n, first = 0, r = 0, failed = 0;
	bool whole = true;

	if (!s->ops || !s->ops->get_port || s->broken[0])
		return 0;
	n = db_q(s->c, Q_ENGINE_VERIFY_PORTS, &res, s->id);
	if (n < 0) {
		db_res_free(res);
		engine_verify_again(s->id, ENGINE_VERIFY_RETRY_MS);
		return n;
	}
	if (n > 0 && engine_session_open(s) < 0) {
		n = 0; /* the reason is logged; operations fail with it */
		whole = false;
	}
	/* Rows come in port order, one per attachment.  A hung switch ends
	 * the check; other failures only skip their port. */
	for (int i = 1; i <= n && r != -ETIMEDOUT; i++) {
		if (!engine_running()) {
			whole = false;
			break;
		}
		if (i < n && strcmp(db_res_get(res, i, 0),
				    db_res_get(res, first, 0)) == 0)
			continue;
		r = verify_port(s, res, first, i);
		failed += r < 0;
		first = i;
	}
	db_res_free(res);
	if (failed || !whole) {
		log_notice("switch '%s': %s; checking it again in %d s",
			   s->label,
			   failed ? "some ports could not be checked or "
				    "repaired"
				  : "the check did not finish",
			   ENGINE_VERIFY_RETRY_MS / 1000);
		engine_verify_again(s->id, ENGINE_VERIFY_RETRY_MS);
	}
	return 0;
}
