/*
 * console.c - nodes' serial consoles (see console.h).
 *
 * One lock (console.lock) guards every console, reader and the list; it
 * is held for copies and bookkeeping only, never across a driver call or
 * a database query.  A reader parks its HTTP request (api_waker) under
 * that lock and is woken under it, so a wake-up never comes before its
 * park.  Consoles are freed by the supervisor thread alone (or by
 * console_stop once it is gone), so it may keep pointers to them while
 * it queries the database without the lock.
 */
#include "config.h"

#include "console.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "db/db.h"
#include "log.h"
#include "plugin.h"

#define CONSOLE_CHUNK	      4096  /* bytes read from the driver at once */
#define CONSOLE_DRAIN_MIN     512   /* room worth another read */
#define CONSOLE_REOPEN_MIN_MS 1000  /* pause before opening again */
#define CONSOLE_REOPEN_MAX_MS 30000 /* the pause doubles up to this */
#define CONSOLE_CONTENT_TYPE  "text/plain"

#define CONSOLE_OF(p, type, member)                                            \
	((type *)(void *)((char *)(p)-offsetof(type, member)))

enum console_state {
	CONSOLE_OPENING, /* the first console_open runs */
	CONSOLE_OPEN,
	CONSOLE_ENDED, /* the thread is done or about to be */
};

struct console_reader;

struct console {
	int64_t node_id, gen;
	char label[API_MAX_LABEL + 1];
	const struct hil_obm_ops *ops;
	json_t *settings; /* the node's OBM settings, owned */
	enum console_state state;
	bool opened;  /* was open at least once */
	bool stop;    /* the thread is to close the session and end */
	bool revoked; /* readers get nothing more */
	bool done;    /* the thread has ended: join it */
	bool joined;
	int err;		    /* why it could not open */
	char error[CALL_MAX_ERROR]; /* and the driver's words */
	uint64_t total;		    /* bytes received so far */
	unsigned char ring[CONSOLE_RING];
	struct console_reader *readers;
	unsigned nreaders;
	long long idle_since; /* call_clock_ms() when the last reader left */
	pthread_t thread;
	pthread_cond_t cv; /* the thread's pauses: the stop */
	struct console *next;
};

/* A reader: first a deferred reply (until the console is open), then
 * the body it streams.  Freed when both are released. */
struct console_reader {
	struct api_defer defer;
	struct api_stream stream;
	struct console *con;
	uint64_t pos; /* the next byte it gets */
	bool defer_held, stream_held;
	bool parked; /* w holds the request to wake */
	struct api_waker w;
	struct console_reader *next;
};

static struct {
	pthread_mutex_t lock; /* guards everything below and every console */
	pthread_cond_t cv;    /* the supervisor: the stop, a console done */
	bool running;
	struct db *db;
	unsigned open_timeout_ms;
	struct console *list;
	unsigned count; /* consoles in the list */
	pthread_t supervisor;
} console = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void console_timespec_in(struct timespec *ts, long long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Wake every parked reader; call with the lock held. */
static void console_wake_readers(struct console *con)
{
	for (struct console_reader *rd = con->readers; rd; rd = rd->next)
		if (rd->parked) {
			rd->parked = false;
			rd->w.wake(rd->w.ctx);
		}
}

/* Ask the console to end; revoke: its readers get nothing more.  Call
 * with the lock held. */
static void console_end_locked(struct console *con, bool revoke)
{
	if (!con->stop)
		log_debug("node '%s': ending the console%s", con->label,
			  revoke ? " for its readers" : "");
	con->stop = true;
	con->revoked = con->revoked || revoke;
	pthread_cond_signal(&con->cv);
	console_wake_readers(con);
}

/* Pause the console's thread up to ms, or until it is stopped; call with
 * the lock held.  Returns false when it is stopped. */
static bool console_pause(struct console *con, long long ms)
{
	struct timespec ts;

	console_timespec_in(&ts, ms);
	while (!con->stop)
		if (pthread_cond_timedwait(&con->cv, &console.lock, &ts) ==
		    ETIMEDOUT)
			break;
	return !con->stop;
}

/* The next byte of the ring a new reader gets: the start of the oldest
 * whole line it holds. */
static uint64_t console_start_pos(const struct console *con)
{
	uint64_t oldest, p;

	if (con->total <= CONSOLE_RING)
		return 0;
	oldest = con->total - CONSOLE_RING;
	for (p = oldest; p < con->total; p++)
		if (con->ring[p % CONSOLE_RING] == '\n')
			return p + 1;
	return oldest;
}

/* Keep received bytes and wake the readers; call with the lock held. */
static void console_append(struct console *con, const char *buf, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t at = (size_t)(con->total % CONSOLE_RING);
		size_t k =
			CONSOLE_RING - at < n - i ? CONSOLE_RING - at : n - i;

		memcpy(con->ring + at, buf + i, k);
		con->total += k;
		i += k;
	}
	console_wake_readers(con);
}

/* One driver call's context, due ms from now (NULL: out of memory). */
static struct hil_call *console_call(const struct console *con, long long ms)
{
	struct hil_call *call = NULL;

	if (call_new(con->ops->settings, con->settings, call_clock_ms() + ms,
		     &call) < 0)
		return NULL;
	return call;
}

static int console_bmc_open(struct console *con, void **ret_h, char *err,
			    size_t errlen)
{
	struct hil_call *call = console_call(con, console.open_timeout_ms);
	int r;

	if (!call) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = con->ops->console_open(plugin_host(), call, ret_h);
	if (r < 0) {
		if (call_error(call))
			snprintf(err, errlen, "%s", call_error(call));
		else if (r == -ETIMEDOUT)
			snprintf(err, errlen,
				 "the BMC did not answer within %u s",
				 console.open_timeout_ms / 1000);
		else
			snprintf(err, errlen, "could not open the console: %s",
				 strerror(-r));
	}
	call_free(call);
	return r < 0 ? r : 0;
}

/* Read what arrived, waiting up to ms for something.  Returns the byte
 * count, 0, or a negative errno with the reason in err. */
static long console_bmc_read(struct console *con, void *h, char *buf,
			     size_t len, long long ms, char *err, size_t errlen)
{
	struct hil_call *call = console_call(con, ms);
	long n;

	if (!call) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n = con->ops->console_read(h, call, buf, len);
	if (n < 0)
		snprintf(err, errlen, "%s",
			 call_error(call) ? call_error(call) : strerror(-n));
	else if ((size_t)n > len)
		n = (long)len;
	call_free(call);
	return n;
}

/* The console's thread: open, read into the ring, open again when the
 * session ends, close when asked to stop. */
static void *console_run(void *arg)
{
	struct console *con = arg;
	char buf[CONSOLE_CHUNK], err[CALL_MAX_ERROR];
	long long pause = CONSOLE_REOPEN_MIN_MS, wstart = call_clock_ms();
	unsigned failures = 0;
	size_t wbytes = 0;
	void *h = NULL;
	long n, m;
	int r;

	pthread_mutex_lock(&console.lock);
	while (!con->stop) {
		if (!h) {
			pthread_mutex_unlock(&console.lock);
			r = console_bmc_open(con, &h, err, sizeof(err));
			pthread_mutex_lock(&console.lock);
			if (r == 0) {
				log_info("node '%s': console %s", con->label,
					 con->opened ? "open again" : "open");
				con->state = CONSOLE_OPEN;
				con->opened = true;
				failures = 0;
				pause = CONSOLE_REOPEN_MIN_MS;
				console_wake_readers(con);
				continue;
			}
			failures++;
			if (!con->opened || failures >= CONSOLE_MAX_FAILURES) {
				con->err = r;
				snprintf(con->error, sizeof(con->error), "%s",
					 err);
				log_warn("node '%s': could not open the "
					 "console: %s",
					 con->label, err);
				break;
			}
			log_notice("node '%s': could not open the console "
				   "again (%s), next try in %lld s",
				   con->label, err, pause / 1000);
			console_pause(con, pause);
			pause = pause * 2 < CONSOLE_REOPEN_MAX_MS
					? pause * 2
					: CONSOLE_REOPEN_MAX_MS;
			continue;
		}
		pthread_mutex_unlock(&console.lock);
		n = console_bmc_read(con, h, buf, sizeof(buf), CONSOLE_READ_MS,
				     err, sizeof(err));
		/* Take what else is there without waiting, so that a
		 * chatty console wakes its readers once per chunk.  A
		 * driver may refuse a buffer too small for what it holds
		 * (-ENOBUFS): that is for the next read. */
		m = 0;
		while (n > 0 && sizeof(buf) - (size_t)n >= CONSOLE_DRAIN_MIN &&
		       (m = console_bmc_read(con, h, buf + n,
					     sizeof(buf) - (size_t)n, 0, err,
					     sizeof(err))) > 0)
			n += m;
		if (m == -ENOBUFS)
			m = 0;
		if (n < 0 || m < 0) {
			/* Whatever was read first is kept below. */
			log_notice("node '%s': the console session ended (%s); "
				   "opening it again",
				   con->label, err);
			con->ops->console_close(h);
			h = NULL;
		}
		pthread_mutex_lock(&console.lock);
		if (n > 0) {
			long long now = call_clock_ms();

			console_append(con, buf, (size_t)n);
			if (now - wstart >= 1000) {
				wstart = now;
				wbytes = 0;
			}
			wbytes += (size_t)n;
			/* A flood (a broken BMC, a driver that returns at
			 * once) is paced, not buffered. */
			if (wbytes >= CONSOLE_MAX_RATE)
				console_pause(con, 1000 - (now - wstart));
		} else if (!h) {
			console_pause(con, pause);
			pause = pause * 2 < CONSOLE_REOPEN_MAX_MS
					? pause * 2
					: CONSOLE_REOPEN_MAX_MS;
		}
	}
	pthread_mutex_unlock(&console.lock);
	if (h)
		con->ops->console_close(h);
	pthread_mutex_lock(&console.lock);
	if (con->opened)
		log_info("node '%s': console closed", con->label);
	/* A console that could not open (again) is not found any more:
	 * the next reader opens a new one. */
	con->stop = true;
	con->state = CONSOLE_ENDED;
	con->done = true;
	console_wake_readers(con);
	pthread_cond_signal(&console.cv);
	pthread_mutex_unlock(&console.lock);
	return NULL;
}

static struct console *console_free(struct console *con)
{
	if (!con)
		return NULL;
	json_decref(con->settings);
	pthread_cond_destroy(&con->cv);
	free(con);
	return NULL;
}

/* Unlink and free a console whose thread is joined and which has no
 * reader; call with the lock held. */
static void console_reap(struct console *con)
{
	for (struct console **p = &console.list; *p; p = &(*p)->next)
		if (*p == con) {
			*p = con->next;
			console.count--;
			break;
		}
	console_free(con);
}

/* Drop one of the reader's two references; call with the lock held. */
static void console_reader_release(struct console_reader *rd)
{
	struct console *con = rd->con;

	if (rd->defer_held || rd->stream_held)
		return;
	for (struct console_reader **p = &con->readers; *p; p = &(*p)->next)
		if (*p == rd) {
			*p = rd->next;
			break;
		}
	free(rd);
	if (--con->nreaders > 0)
		return;
	con->idle_since = call_clock_ms();
	log_debug("node '%s': the console's last reader left", con->label);
	if (!console.running && con->joined)
		console_reap(con);
}

static int console_defer_poll(struct api_defer *d, struct api_req *r,
			      const struct api_waker *w)
{
	struct console_reader *rd = CONSOLE_OF(d, struct console_reader, defer);
	struct console *con = rd->con;

	pthread_mutex_lock(&console.lock);
	if (con->state == CONSOLE_OPENING) {
		if (w->park(w->ctx)) {
			rd->parked = true;
			rd->w = *w;
			pthread_mutex_unlock(&console.lock);
			return 0;
		}
		api_error(r, API_E_UNAVAILABLE,
			  "the console of node '%s' is not open yet",
			  con->label);
	} else if (!con->opened) {
		api_error(r,
			  con->err == -ETIMEDOUT ? API_E_OBM_TIMEOUT
						 : API_E_OBM,
			  "%s", con->error[0] ? con->error : "no console");
	} else if (con->revoked) {
		api_error(r, API_E_ILLEGAL,
			  "the console of node '%s' was "
			  "closed",
			  con->label);
	} else {
		rd->stream_held = true;
		r->stream = &rd->stream;
		api_reply_empty(r);
	}
	pthread_mutex_unlock(&console.lock);
	return 1;
}

static void console_defer_free(struct api_defer *d)
{
	struct console_reader *rd = CONSOLE_OF(d, struct console_reader, defer);

	pthread_mutex_lock(&console.lock);
	rd->parked = false;
	rd->defer_held = false;
	console_reader_release(rd);
	pthread_mutex_unlock(&console.lock);
}

static long console_stream_read(struct api_stream *s, char *buf, size_t len,
				const struct api_waker *w)
{
	struct console_reader *rd =
		CONSOLE_OF(s, struct console_reader, stream);
	struct console *con = rd->con;
	uint64_t oldest, avail;
	size_t at, n;
	long ret = -1;

	pthread_mutex_lock(&console.lock);
	if (con->revoked)
		goto out;
	oldest = con->total > CONSOLE_RING ? con->total - CONSOLE_RING : 0;
	if (rd->pos < oldest)
		rd->pos = oldest; /* too slow: what the ring lost is gone */
	avail = con->total - rd->pos;
	if (avail > 0) {
		at = (size_t)(rd->pos % CONSOLE_RING);
		n = CONSOLE_RING - at;
		if (n > avail)
			n = (size_t)avail;
		if (n > len)
			n = len;
		memcpy(buf, con->ring + at, n);
		rd->pos += n;
		ret = (long)n;
	} else if (con->state != CONSOLE_ENDED && w->park(w->ctx)) {
		rd->parked = true;
		rd->w = *w;
		ret = 0;
	}
out:
	pthread_mutex_unlock(&console.lock);
	return ret;
}

static void console_stream_free(struct api_stream *s)
{
	struct console_reader *rd =
		CONSOLE_OF(s, struct console_reader, stream);

	pthread_mutex_lock(&console.lock);
	rd->parked = false;
	rd->stream_held = false;
	console_reader_release(rd);
	pthread_mutex_unlock(&console.lock);
}

/* The node's console still serving readers, or NULL; call with the lock
 * held. */
static struct console *console_find(int64_t node_id)
{
	for (struct console *con = console.list; con; con = con->next)
		if (con->node_id == node_id && !con->stop &&
		    con->state != CONSOLE_ENDED)
			return con;
	return NULL;
}

/* A new console for t, its thread started; call with the lock held. */
static int console_new(const struct console_target *t, json_t *settings,
		       struct console **ret)
{
	pthread_condattr_t attr;
	struct console *con;
	int r;

	if (console.count >= CONSOLE_MAX_OPEN)
		return -EMFILE;
	con = calloc(1, sizeof(*con));
	if (!con)
		return -ENOMEM;
	con->node_id = t->node_id;
	con->gen = t->gen;
	snprintf(con->label, sizeof(con->label), "%s", t->label);
	con->ops = t->ops;
	con->settings = settings;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&con->cv, &attr);
	pthread_condattr_destroy(&attr);
	r = -pthread_create(&con->thread, NULL, console_run, con);
	if (r < 0) {
		con->settings = NULL; /* the caller's still */
		console_free(con);
		log_err("node '%s': could not start a console thread: %s",
			t->label, strerror(-r));
		return -EAGAIN;
	}
	con->next = console.list;
	console.list = con;
	console.count++;
	*ret = con;
	return 0;
}

int console_attach(const struct console_target *t, json_t *settings,
		   struct api_defer **ret)
{
	struct console_reader *rd = NULL;
	struct console *con;
	int r;

	pthread_mutex_lock(&console.lock);
	r = -ESHUTDOWN;
	if (!console.running)
		goto out;
	con = console_find(t->node_id);
	if (con && con->gen < t->gen) {
		/* Opened before its node was released or its OBM
		 * disabled: that session is not this caller's. */
		console_end_locked(con, true);
		con = NULL;
	}
	r = -ESTALE;
	if (con && con->gen > t->gen)
		goto out;
	r = -EUSERS;
	if (con && con->nreaders >= CONSOLE_MAX_READERS)
		goto out;
	r = -ENOMEM;
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		goto out;
	if (!con) {
		r = console_new(t, settings, &con);
		if (r < 0)
			goto out;
		settings = NULL;
	}
	rd->defer = (struct api_defer){console_defer_poll, console_defer_free};
	rd->stream = (struct api_stream){
		CONSOLE_CONTENT_TYPE, console_stream_read, console_stream_free};
	rd->con = con;
	rd->pos = console_start_pos(con);
	rd->defer_held = true;
	rd->next = con->readers;
	con->readers = rd;
	con->nreaders++;
	con->idle_since = 0;
	log_debug("node '%s': console reader %u attached", con->label,
		  con->nreaders);
	*ret = &rd->defer;
	rd = NULL;
	r = 0;
out:
	pthread_mutex_unlock(&console.lock);
	free(rd);
	json_decref(settings);
	return r;
}

void console_end(int64_t node_id)
{
	pthread_mutex_lock(&console.lock);
	for (struct console *con = console.list; con; con = con->next)
		if (con->node_id == node_id)
			console_end_locked(con, true);
	pthread_mutex_unlock(&console.lock);
}

/* What the supervisor checks of one console's node. */
struct console_check {
	struct console *con;
	int64_t node_id, gen;
};

/* End the consoles whose node is gone, has its OBM disabled or a newer
 * console generation.  Called with the lock held; drops it meanwhile. */
static void console_check_nodes(struct db_conn *c)
{
	struct console_check chk[CONSOLE_MAX_OPEN];
	struct db_res *res = NULL;
	const char *why;
	char id[24];
	size_t n = 0;
	int k;

	for (struct console *con = console.list; con && n < CONSOLE_MAX_OPEN;
	     con = con->next)
		if (!con->stop)
			chk[n++] = (struct console_check){con, con->node_id,
							  con->gen};
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_unlock(&console.lock);
		snprintf(id, sizeof(id), "%lld", (long long)chk[i].node_id);
		k = c ? db_q(c, Q_OBM_CONSOLE_CHECK, &res, id) : -EIO;
		why = NULL;
		if (k == 0)
			why = "the node is gone";
		else if (k > 0 && db_res_int(res, 0, 0) == 0)
			why = "its OBM is disabled";
		else if (k > 0 && db_res_int(res, 0, 1) != chk[i].gen)
			why = "it was ended or its node released";
		res = db_res_free(res);
		pthread_mutex_lock(&console.lock);
		/* Only this thread frees consoles: chk[i].con is alive. */
		if (why && !chk[i].con->stop) {
			log_info("node '%s': ending the console: %s",
				 chk[i].con->label, why);
			console_end_locked(chk[i].con, true);
		}
	}
}

/* Grace periods, joins, the nodes' rows, and now and then a wake-up of
 * idle readers so that those whose client left notice it. */
static void *console_supervise(void *arg)
{
	long long now, probed = call_clock_ms();
	struct db_conn *c = NULL;
	struct timespec ts;
	bool again;

	(void)arg;
	pthread_mutex_lock(&console.lock);
	while (console.running) {
		console_timespec_in(&ts, CONSOLE_CHECK_MS);
		pthread_cond_timedwait(&console.cv, &console.lock, &ts);
		if (!console.running)
			break;
		now = call_clock_ms();
		do {
			again = false;
			for (struct console *con = console.list; con;
			     con = con->next) {
				if (con->done && !con->joined) {
					pthread_join(con->thread, NULL);
					con->joined = true;
				}
				if (con->joined && con->nreaders == 0) {
					console_reap(con);
					again = true;
					break;
				}
				if (!con->stop && con->nreaders == 0 &&
				    con->idle_since &&
				    now - con->idle_since >= CONSOLE_GRACE_MS)
					console_end_locked(con, false);
				if (now - probed >= CONSOLE_PROBE_MS)
					console_wake_readers(con);
			}
		} while (again);
		if (now - probed >= CONSOLE_PROBE_MS)
			probed = now;
		if (console.list) {
			if (!c) {
				pthread_mutex_unlock(&console.lock);
				c = db_conn(console.db);
				pthread_mutex_lock(&console.lock);
			}
			console_check_nodes(c);
		}
	}
	pthread_mutex_unlock(&console.lock);
	return NULL;
}

int console_start(struct db *db, unsigned open_timeout_ms)
{
	pthread_condattr_t attr;
	int r;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&console.cv, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_lock(&console.lock);
	console.db = db;
	console.open_timeout_ms = open_timeout_ms ? open_timeout_ms : 1;
	console.running = true;
	pthread_mutex_unlock(&console.lock);
	r = -pthread_create(&console.supervisor, NULL, console_supervise, NULL);
	if (r < 0) {
		log_err("could not start the console supervisor: %s",
			strerror(-r));
		pthread_mutex_lock(&console.lock);
		console.running = false;
		pthread_mutex_unlock(&console.lock);
		pthread_cond_destroy(&console.cv);
		return r;
	}
	return 0;
}

void console_stop(void)
{
	struct console *con;
	bool again;

	pthread_mutex_lock(&console.lock);
	if (!console.running) {
		pthread_mutex_unlock(&console.lock);
		return;
	}
	console.running = false;
	for (con = console.list; con; con = con->next)
		console_end_locked(con, true);
	pthread_cond_broadcast(&console.cv);
	pthread_mutex_unlock(&console.lock);
	pthread_join(console.supervisor, NULL);

	/* Join the threads without the lock: they take it to finish.  A
	 * console is reaped only once joined, so con outlives the join. */
	for (;;) {
		pthread_mutex_lock(&console.lock);
		for (con = console.list; con && con->joined; con = con->next)
			;
		pthread_mutex_unlock(&console.lock);
		if (!con)
			break;
		pthread_join(con->thread, NULL);
		pthread_mutex_lock(&console.lock);
		con->joined = true;
		pthread_mutex_unlock(&console.lock);
	}

	pthread_mutex_lock(&console.lock);
	do {
		again = false;
		for (con = console.list; con; con = con->next)
			if (con->nreaders == 0) {
				console_reap(con);
				again = true;
				break;
			}
	} while (again);
	/* Consoles with readers left go with their last reader. */
	pthread_mutex_unlock(&console.lock);
	pthread_cond_destroy(&console.cv);
}
