/*
 * console-test.c - the console hub (hild/console.c) over a scripted OBM
 * driver and a real SQLite database: one BMC session per node shared by
 * its readers, the deferred reply while it opens, readers parked and woken
 * by new output, the ring buffer (a new reader starts at a line, a slow
 * reader skips what the ring lost), the reader limit, a failed open (502
 * or 504), a session the BMC drops (opened again), and the ends:
 * console_end(), a raised console generation in the node's row, an older
 * caller (-ESTALE), and console_stop().
 */
#include "config.h"

#include "console.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "db/db.h"
#include "log.h"
#include "tap.h"

#define WAIT_MS	     30000 /* what a wake-up may take, at most */
#define LINE_LEN     100   /* bytes of one line of the wrap test */
#define CHECK_WAIT_S 30	   /* the supervisor looks every second */

/* The scripted BMC console: output to hand out, failures to inject. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	char *out;
	size_t len, cap;
	int opens, closes, failures;
	int open_err; /* the next opens fail with it */
	bool drop;    /* the next read ends the session */
	bool hold;    /* opens wait until it is cleared */
} fake = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static void fake_write(const char *s, size_t n)
{
	pthread_mutex_lock(&fake.lock);
	if (fake.len + n > fake.cap) {
		fake.cap = (fake.len + n) * 2;
		fake.out = realloc(fake.out, fake.cap);
		if (!fake.out)
			abort();
	}
	memcpy(fake.out + fake.len, s, n);
	fake.len += n;
	pthread_cond_broadcast(&fake.cv);
	pthread_mutex_unlock(&fake.lock);
}

static int fake_open(const struct hil_host *host, struct hil_call *call,
		     void **ret)
{
	int r;

	pthread_mutex_lock(&fake.lock);
	while (fake.hold)
		pthread_cond_wait(&fake.cv, &fake.lock);
	r = fake.open_err;
	if (r < 0)
		fake.failures++;
	else
		fake.opens++;
	pthread_mutex_unlock(&fake.lock);
	if (r < 0) {
		host->set_error(call, "scripted open failure %d", r);
		return r;
	}
	*ret = &fake;
	return 0;
}

static long fake_read(void *console, struct hil_call *call, char *buf,
		      size_t len)
{
	struct timespec ts;
	long long left = call_deadline_left_ms(call);
	long n = 0;

	(void)console;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&fake.lock);
	while (left > 0 && !fake.len && !fake.drop &&
	       pthread_cond_timedwait(&fake.cv, &fake.lock, &ts) == 0)
		;
	if (fake.drop) {
		fake.drop = false;
		n = -ECONNRESET;
	} else if (fake.len) {
		n = (long)(fake.len < len ? fake.len : len);
		memcpy(buf, fake.out, (size_t)n);
		memmove(fake.out, fake.out + n, fake.len - (size_t)n);
		fake.len -= (size_t)n;
	}
	pthread_mutex_unlock(&fake.lock);
	return n;
}

static void fake_close(void *console)
{
	(void)console;
	pthread_mutex_lock(&fake.lock);
	fake.closes++;
	pthread_mutex_unlock(&fake.lock);
}

/* Hold the next opens (true) or let them go (false). */
static void fake_hold(bool hold)
{
	pthread_mutex_lock(&fake.lock);
	fake.hold = hold;
	pthread_cond_broadcast(&fake.cv);
	pthread_mutex_unlock(&fake.lock);
}

static int fake_count(const int *what)
{
	int n;

	pthread_mutex_lock(&fake.lock);
	n = *what;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

static const struct hil_obm_ops fake_ops = {
	.size = sizeof(struct hil_obm_ops),
	.console_open = fake_open,
	.console_read = fake_read,
	.console_close = fake_close,
};

/* A reader, with a waker that records its wake-ups. */
struct reader {
	struct api_defer *d;
	struct api_stream *s;
	struct api_waker w;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool parked;
	int wakes;
	char got[2 * CONSOLE_RING];
	size_t n;
	json_t *body; /* the deferred reply's body */
};

static bool reader_park(void *ctx)
{
	struct reader *rd = ctx;

	pthread_mutex_lock(&rd->lock);
	rd->parked = true;
	pthread_mutex_unlock(&rd->lock);
	return true;
}

static void reader_wake(void *ctx)
{
	struct reader *rd = ctx;

	pthread_mutex_lock(&rd->lock);
	rd->parked = false;
	rd->wakes++;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->lock);
}

/* Wait until the reader is woken (it was parked). */
static bool reader_wait(struct reader *rd)
{
	struct timespec ts;
	bool woken;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&rd->lock);
	while (rd->parked &&
	       pthread_cond_timedwait(&rd->cv, &rd->lock, &ts) == 0)
		;
	woken = !rd->parked;
	pthread_mutex_unlock(&rd->lock);
	return woken;
}

static struct reader *reader_new(void)
{
	struct reader *rd = calloc(1, sizeof(*rd));

	if (!rd)
		abort();
	pthread_mutex_init(&rd->lock, NULL);
	pthread_cond_init(&rd->cv, NULL);
	rd->w = (struct api_waker){reader_park, reader_wake, rd};
	return rd;
}

static void reader_free(struct reader *rd)
{
	if (rd->d)
		rd->d->free(rd->d);
	if (rd->s)
		rd->s->free(rd->s);
	json_decref(rd->body);
	pthread_cond_destroy(&rd->cv);
	pthread_mutex_destroy(&rd->lock);
	free(rd);
}

/* Attach to node id's console (generation gen). */
static int reader_attach(struct reader *rd, int64_t id, int64_t gen)
{
	const struct console_target t = {id, "n", gen, &fake_ops};

	return console_attach(&t, json_object(), &rd->d);
}

/* Poll the deferred reply until it is given; its status, its body in
 * rd->body, and the stream in rd->s on a 200. */
static int reader_poll(struct reader *rd)
{
	struct api_req r = {0};

	while (rd->d->poll(rd->d, &r, &rd->w) == 0)
		if (!reader_wait(rd))
			return 0;
	rd->s = r.stream;
	rd->body = r.body;
	return r.status;
}

/* Read what is there (until parked or the end); returns the last read's
 * result: 0 parked, -1 ended. */
static long reader_drain(struct reader *rd)
{
	long n;

	while ((n = rd->s->read(rd->s, rd->got + rd->n, sizeof(rd->got) - rd->n,
				&rd->w)) > 0)
		rd->n += (size_t)n;
	return n;
}

/* Read until text has arrived or the stream ended. */
static bool reader_until(struct reader *rd, const char *text)
{
	for (;;) {
		long n = reader_drain(rd);

		rd->got[rd->n < sizeof(rd->got) ? rd->n : sizeof(rd->got) - 1] =
			'\0';
		if (strstr(rd->got, text))
			return true;
		if (n < 0 || !reader_wait(rd))
			return false;
	}
}

static int64_t node_add(struct db_conn *c, const char *label)
{
	struct db_res *res = NULL;
	int64_t id = -1;
	char idtext[24];

	if (db_q(c, Q_NODE_INSERT, &res, label, "fake", "{}") == 1) {
		id = db_res_int(res, 0, 0);
		snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
		if (db_q(c, Q_NODE_SET_OBM_ENABLED, NULL, idtext, "1") != 1)
			id = -1;
	}
	db_res_free(res);
	return id;
}

static void node_bump(struct db_conn *c, int64_t id)
{
	char idtext[24];

	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	db_q(c, Q_OBM_CONSOLE_BUMP, NULL, idtext);
}

static void test_shared_session(int64_t node)
{
	struct reader *a = reader_new(), *b = reader_new(), *c = reader_new();
	struct reader *more[CONSOLE_MAX_READERS];
	char line[LINE_LEN + 1];
	struct api_req req = {0};
	int opens = fake_count(&fake.opens), r, i;

	fake_hold(true);
	is_int(reader_attach(a, node, 0), 0, "a first reader attaches");
	is_int(a->d->poll(a->d, &req, &a->w), 0,
	       "while the BMC session opens, its reply waits");
	fake_hold(false);
	is_int(reader_poll(a), 200, "then it is a 200 stream");
	ok(a->s && a->wakes == 1, "woken once, when the console opened");
	is_int(reader_attach(b, node, 0), 0, "a second reader attaches");
	is_int(reader_poll(b), 200, "and has its stream at once");
	is_int(fake_count(&fake.opens) - opens, 1, "one BMC session for both");

	is_int(reader_drain(a), 0, "nothing to read yet: parked");
	reader_drain(b);
	fake_write("boot line one\r\nlogin: ", 22);
	ok(reader_until(a, "login: "), "the first reader gets the output");
	ok(reader_until(b, "login: "), "so does the second");
	ok(a->wakes >= 2, "a parked reader is woken by new output");

	is_int(reader_attach(c, node, 0), 0, "a late reader attaches");
	is_int(reader_poll(c), 200, "its stream");
	reader_drain(c);
	ok(c->n == 22 && memcmp(c->got, "boot line one\r\nlogin: ", 22) == 0,
	   "it starts with what the ring holds");

	/* More than the ring: b reads along, a does not read at all. */
	for (i = 0; i < CONSOLE_RING / LINE_LEN + 50; i++) {
		snprintf(line, sizeof(line), "%-*d\n", LINE_LEN - 1, i);
		fake_write(line, LINE_LEN);
		/* b keeps up: it reads each line before the next one is
		 * written, whatever the console thread's timing. */
		if (!reader_until(b, line))
			break;
	}
	fake_write("END\n", 4);
	ok(reader_until(b, "END\n"), "a reader that keeps up gets it all");
	is_int((int)b->n, 22 + (CONSOLE_RING / LINE_LEN + 50) * LINE_LEN + 4,
	       "every byte");
	a->n = 0;
	reader_drain(a);
	is_int((int)a->n, CONSOLE_RING,
	       "a reader that fell behind gets what the ring still holds");
	ok(a->n >= 4 && memcmp(a->got + a->n - 4, "END\n", 4) == 0,
	   "up to the last byte");

	for (i = 3; i < CONSOLE_MAX_READERS; i++) {
		more[i] = reader_new();
		r = reader_attach(more[i], node, 0);
		if (r < 0)
			break;
	}
	is_int(i, CONSOLE_MAX_READERS, "%d readers attach",
	       CONSOLE_MAX_READERS);
	more[0] = reader_new();
	is_int(reader_attach(more[0], node, 0), -EUSERS,
	       "one more is refused (-EUSERS)");
	reader_free(more[0]);
	is_int(reader_poll(more[3]), 200, "a new reader of a wrapped ring");
	reader_drain(more[3]);
	ok(more[3]->n > 0 && more[3]->n <= CONSOLE_RING &&
		   isdigit((unsigned char)more[3]->got[0]),
	   "starts at the beginning of a line");
	for (i = 3; i < CONSOLE_MAX_READERS; i++)
		reader_free(more[i]);

	/* The BMC drops the session: it is opened again (after a pause),
	 * and the readers go on. */
	opens = fake_count(&fake.opens);
	pthread_mutex_lock(&fake.lock);
	fake.drop = true;
	pthread_cond_broadcast(&fake.cv);
	pthread_mutex_unlock(&fake.lock);
	reader_drain(b);
	/* after the reopen pause (a second) */
	for (i = 0; i < 300 && fake_count(&fake.opens) == opens; i++)
		usleep(100000);
	is_int(fake_count(&fake.opens) - opens, 1,
	       "a dropped session is opened again");
	fake_write("after the drop\n", 15);
	ok(reader_until(b, "after the drop\n"), "and the readers go on");

	/* console_end: readers get nothing more, even what is buffered. */
	reader_drain(c);
	fake_write("never read\n", 11);
	usleep(200000);
	console_end(node);
	is_int(reader_drain(c), -1, "after console_end, the stream ends");
	ok(!strstr(c->got, "never read"), "without what it had not read");
	is_int(reader_drain(b), -1, "for every reader");

	reader_free(a);
	reader_free(b);
	reader_free(c);
}

static void test_open_fails(int64_t node)
{
	struct reader *a = reader_new(), *b = reader_new();
	const char *msg;

	pthread_mutex_lock(&fake.lock);
	fake.open_err = -ETIMEDOUT;
	pthread_mutex_unlock(&fake.lock);
	is_int(reader_attach(a, node, 0), 0,
	       "a reader of a BMC that times out");
	is_int(reader_poll(a), 504, "gets 504 once the open failed");
	reader_free(a);
	pthread_mutex_lock(&fake.lock);
	fake.open_err = -EACCES;
	pthread_mutex_unlock(&fake.lock);
	is_int(reader_attach(b, node, 0), 0, "a reader of a BMC that refuses");
	is_int(reader_poll(b), 502, "gets 502");
	msg = json_string_value(json_object_get(b->body, "msg"));
	ok(msg && strstr(msg, "scripted open failure"),
	   "with the driver's words");
	is_str(json_string_value(json_object_get(b->body, "type")), "OBMError",
	       "an OBMError");
	reader_free(b);
	pthread_mutex_lock(&fake.lock);
	fake.open_err = 0;
	pthread_mutex_unlock(&fake.lock);
}

static void test_generation(struct db_conn *db, int64_t node)
{
	struct reader *a = reader_new(), *b = reader_new(), *c = reader_new();
	long n = 0;
	int i;

	is_int(reader_attach(a, node, 0), 0, "a reader at generation 0");
	is_int(reader_poll(a), 200, "its stream");
	reader_drain(a);
	node_bump(db, node);
	/* the supervisor looks at the node every second */
	for (i = 0; i < CHECK_WAIT_S * 10 && (n = reader_drain(a)) == 0; i++)
		usleep(100000);
	is_int(n, -1, "a raised console generation ends the console");
	is_int(reader_attach(b, node, 1), 0,
	       "a caller that saw the new generation gets a new console");
	is_int(reader_poll(b), 200, "its stream");
	is_int(reader_attach(c, node, 0), -ESTALE,
	       "a caller that saw an older one is refused (-ESTALE)");
	reader_free(a);
	reader_free(b);
	reader_free(c);
}

int main(void)
{
	char dir[] = "/tmp/hil-console-test.XXXXXX", uri[256];
	struct db *db = NULL;
	struct db_conn *c;
	const char *err = NULL;
	int64_t n1, n2, n3;

	log_setup(false, getenv("HIL_TEST_DEBUG") ? LOG_DEBUG : LOG_ERR);
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	snprintf(uri, sizeof(uri), "sqlite://%s/console.db", dir);
	if (db_open(uri, &db, &err) < 0 || db_upgrade(db) < 0 ||
	    !(c = db_conn(db))) {
		printf("Bail out! no database: %s\n", err ? err : "");
		return 1;
	}
	n1 = node_add(c, "n1");
	n2 = node_add(c, "n2");
	n3 = node_add(c, "n3");
	ok(n1 > 0 && n2 > 0 && n3 > 0, "three nodes, their OBM enabled");
	is_int(console_start(db, 2000), 0, "the console hub starts");

	test_shared_session(n1);
	test_open_fails(n2);
	test_generation(c, n3);

	console_stop();
	is_int(fake_count(&fake.opens) - fake_count(&fake.closes), 0,
	       "every BMC session opened was closed");
	db_free(db);
	free(fake.out);
	snprintf(uri, sizeof(uri), "%s/console.db", dir);
	unlink(uri);
	snprintf(uri, sizeof(uri), "%s/console.db-wal", dir);
	unlink(uri);
	snprintf(uri, sizeof(uri), "%s/console.db-shm", dir);
	unlink(uri);
	snprintf(uri, sizeof(uri), "%s/console.db.lock", dir);
	unlink(uri);
	rmdir(dir);
	return tap_done();
}
