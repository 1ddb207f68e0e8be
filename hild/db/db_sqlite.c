/*
 * db_sqlite.c - the SQLite backend, the only file that includes sqlite3.h.
 *
 * One hild per database file (a lock on "<path>.lock"), so every writer is
 * a thread of this process: writers take turns, in the order they came,
 * instead of SQLite's sleeping busy handler, which keeps write latency
 * flat under load.  The busy timeout still covers other processes (an admin's sqlite3
 * shell, say).
 */
#include "config.h"

#include "db/db_backend.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* How long a writer waits for another before -EAGAIN. */
#define SQLITE_BUSY_MS 5000
/* First sizes of a result's arrays; they double as rows come. */
#define SQLITE_RES_CELLS 16
#define SQLITE_RES_TEXT	 256

/* A writer waiting for its turn. */
struct sqlite_waiter {
	struct sqlite_waiter *next;
	pthread_cond_t cv;
	bool granted; /* the turn was handed to it */
};

struct sqlite_db {
	char *path;
	int lock_fd;
	/* Writers' turns, first come first served: a plain mutex lets the
	 * thread that just let go take it again at once, so a busy writer
	 * could starve another past SQLITE_BUSY_MS. */
	pthread_mutex_t turn_lock;
	pthread_condattr_t turn_clock; /* waits on CLOCK_MONOTONIC */
	bool turn_held;		       /* a writer has the turn */
	struct sqlite_waiter *waiters, **waiters_tail; /* oldest first */
};

enum sqlite_txn {
	TXN_BEGIN_READ,
	TXN_BEGIN_WRITE,
	TXN_COMMIT,
	TXN_ROLLBACK,
	TXN__COUNT
};

static const char *const sqlite_txn_sql[TXN__COUNT] = {
	[TXN_BEGIN_READ] = "BEGIN",
	[TXN_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[TXN_COMMIT] = "COMMIT",
	[TXN_ROLLBACK] = "ROLLBACK",
};

struct sqlite_conn {
	struct db_conn base;
	struct sqlite_db *sd;
	sqlite3 *h;
	bool writing; /* has the writers' turn */
	sqlite3_stmt *txn[TXN__COUNT];
	sqlite3_stmt *stmt[Q__COUNT];	 /* prepared on first use */
	unsigned char nparams[Q__COUNT]; /* N of the query's $1..$N */
};

struct sqlite_res {
	struct db_res base;
	size_t ncells_max;
	char *text;
	size_t len, max;
};

/* Result codes that are not failures of the database; a primary code
 * stands for all of its extended codes. */
static const struct {
	int code;
	int err;
} sqlite_errors[] = {
	{SQLITE_CONSTRAINT_UNIQUE, -EEXIST},
	{SQLITE_CONSTRAINT_PRIMARYKEY, -EEXIST},
	{SQLITE_BUSY, -EAGAIN},
	{SQLITE_LOCKED, -EAGAIN},
};

static struct sqlite_conn *sqlite_conn_of(struct db_conn *c)
{
	return (struct sqlite_conn *)c;
}

/* Map rc; log it unless it is an answer the caller expects. */
static int sqlite_error(struct sqlite_conn *sc, int rc, const char *what)
{
	for (size_t i = 0; i < sizeof(sqlite_errors) / sizeof(sqlite_errors[0]);
	     i++) {
		int code = sqlite_errors[i].code;

		if (rc == code || (code <= 0xff && (rc & 0xff) == code)) {
			log_debug(DB_WHAT_FMT " on sqlite: %s", DB_WHAT(what),
				  sqlite3_errmsg(sc->h));
			return sqlite_errors[i].err;
		}
	}
	/* SQLite's messages name tables and columns, never values. */
	log_err(DB_WHAT_FMT " failed on sqlite: %s", DB_WHAT(what),
		sqlite3_errmsg(sc->h));
	return -EIO;
}

/* Wait for the writers' turn until the time until (CLOCK_MONOTONIC);
 * 0 or -EAGAIN. */
static int sqlite_turn_take(struct sqlite_db *sd, const struct timespec *until)
{
	struct sqlite_waiter w = {0}, **p;
	int r = 0;

	pthread_mutex_lock(&sd->turn_lock);
	if (!sd->turn_held && !sd->waiters) {
		sd->turn_held = true;
		goto out;
	}
	pthread_cond_init(&w.cv, &sd->turn_clock);
	*sd->waiters_tail = &w;
	sd->waiters_tail = &w.next;
	while (!w.granted && r == 0)
		r = pthread_cond_timedwait(&w.cv, &sd->turn_lock, until);
	if (!w.granted) {
		for (p = &sd->waiters; *p != &w; p = &(*p)->next)
			;
		*p = w.next;
		if (sd->waiters_tail == &w.next)
			sd->waiters_tail = p;
	}
	pthread_cond_destroy(&w.cv);
	r = w.granted ? 0 : -EAGAIN;
out:
	pthread_mutex_unlock(&sd->turn_lock);
	return r;
}

/* Hand the turn to the oldest waiter, if any. */
static void sqlite_turn_give(struct sqlite_db *sd)
{
	struct sqlite_waiter *w;

	pthread_mutex_lock(&sd->turn_lock);
	w = sd->waiters;
	if (w) {
		sd->waiters = w->next;
		if (!sd->waiters)
			sd->waiters_tail = &sd->waiters;
		w->granted = true;
		pthread_cond_signal(&w->cv);
	} else {
		sd->turn_held = false;
	}
	pthread_mutex_unlock(&sd->turn_lock);
}

static int sqlite_write_lock(struct sqlite_conn *sc)
{
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += SQLITE_BUSY_MS / 1000;
	ts.tv_nsec += (SQLITE_BUSY_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	r = sqlite_turn_take(sc->sd, &ts);
	if (r < 0) {
		log_debug("sqlite writer waited %d ms for another",
			  SQLITE_BUSY_MS);
		return r;
	}
	sc->writing = true;
	return 0;
}

/* Let the next writer in once this connection's transaction is over. */
static void sqlite_write_settle(struct sqlite_conn *sc)
{
	if (sc->writing && sqlite3_get_autocommit(sc->h)) {
		sc->writing = false;
		sqlite_turn_give(sc->sd);
	}
}

static struct sqlite_res *sqlite_res_new(int cols)
{
	struct sqlite_res *res = calloc(1, sizeof(*res));

	if (!res)
		return NULL;
	res->base.cols = cols;
	return res;
}

static void sqlite_res_release(struct db_res *r)
{
	struct sqlite_res *res = (struct sqlite_res *)r;

	free(res->base.cells);
	free(res->text);
	free(res);
}

static int sqlite_grow(void **p, size_t *max, size_t need, size_t size,
		       size_t first)
{
	size_t n = *max ? *max : first;
	void *np;

	if (need <= *max)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return -ENOMEM;
		n *= 2;
	}
	np = realloc(*p, n * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*max = n;
	return 0;
}

/* Copy the statement's current row into res as offsets into res->text. */
static int sqlite_res_add_row(struct sqlite_res *res, sqlite3_stmt *st)
{
	int cols = res->base.cols;
	size_t first = (size_t)res->base.rows * (size_t)cols;
	union db_cell *cells;
	int r;

	if (res->base.rows == INT_MAX)
		return -E2BIG;
	r = sqlite_grow((void **)&res->base.cells, &res->ncells_max,
			first + (size_t)cols, sizeof(union db_cell),
			SQLITE_RES_CELLS);
	if (r < 0)
		return r;
	cells = res->base.cells + first;
	for (int i = 0; i < cols; i++) {
		const unsigned char *s;
		size_t n;

		if (sqlite3_column_type(st, i) == SQLITE_NULL) {
			cells[i].off = SIZE_MAX;
			continue;
		}
		s = sqlite3_column_text(st, i);
		if (!s)
			return -ENOMEM;
		n = (size_t)sqlite3_column_bytes(st, i);
		r = sqlite_grow((void **)&res->text, &res->max,
				res->len + n + 1, 1, SQLITE_RES_TEXT);
		if (r < 0)
			return r;
		memcpy(res->text + res->len, s, n);
		res->text[res->len + n] = '\0';
		cells[i].off = res->len;
		res->len += n + 1;
	}
	res->base.rows++;
	return 0;
}

/* The text cannot move any more: turn offsets into pointers. */
static void sqlite_res_seal(struct sqlite_res *res)
{
	size_t n = (size_t)res->base.rows * (size_t)res->base.cols;

	for (size_t i = 0; i < n; i++) {
		size_t off = res->base.cells[i].off;

		res->base.cells[i].s = off == SIZE_MAX ? NULL : res->text + off;
	}
	res->base.release = sqlite_res_release;
}

/*
 * Step st (query what, NULL for other SQL) to its end with its parameters
 * bound, and reset it.  A write outside a transaction takes the write lock
 * for its own implicit one.
 * Returns the rows returned, or changed when st returns no columns.
 */
static int sqlite_run(struct sqlite_conn *sc, sqlite3_stmt *st,
		      const char *what, struct db_res **ret_res)
{
	struct sqlite_res *res = NULL;
	int cols = sqlite3_column_count(st);
	bool locked = false;
	int rows = 0, rc, r;

	if (!sqlite3_stmt_readonly(st) && sqlite3_get_autocommit(sc->h)) {
		r = sqlite_write_lock(sc);
		if (r < 0)
			return r;
		locked = true;
	}
	r = -ENOMEM;
	if (ret_res) {
		res = sqlite_res_new(cols);
		if (!res)
			goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (res) {
			r = sqlite_res_add_row(res, st);
			if (r < 0) {
				log_err(DB_WHAT_FMT " failed on sqlite: %s",
					DB_WHAT(what), strerror(-r));
				r = -EIO;
				goto out;
			}
		}
		if (rows == INT_MAX) {
			r = -EIO;
			goto out;
		}
		rows++;
	}
	if (rc != SQLITE_DONE) {
		r = sqlite_error(sc, rc, what);
		goto out;
	}
	r = cols > 0 ? rows : sqlite3_changes(sc->h);
	if (res) {
		sqlite_res_seal(res);
		*ret_res = &res->base;
		res = NULL;
	}
out:
	/* Ends the implicit transaction before the next writer goes. */
	sqlite3_reset(st);
	if (locked) {
		sc->writing = false;
		sqlite_turn_give(sc->sd);
	}
	if (res)
		sqlite_res_release(&res->base);
	return r;
}

/* N for a parameter named "$N" (1..255), else -1. */
static int sqlite_param_number(const char *name)
{
	int n = 0;

	if (!name || name[0] != '$' || name[1] < '1' || name[1] > '9')
		return -1;
	for (name++; *name; name++) {
		if (*name < '0' || *name > '9' || n > UCHAR_MAX)
			return -1;
		n = n * 10 + (*name - '0');
	}
	return n <= UCHAR_MAX ? n : -1;
}

/* The query's statement, prepared once per connection. */
static int sqlite_stmt(struct sqlite_conn *sc, enum db_query q,
		       sqlite3_stmt **ret_st)
{
	const char *name = db_query_name(q), *tail = NULL;
	sqlite3_stmt *st = NULL;
	int count, max = 0, rc, r = -EIO;

	if (sc->stmt[q]) {
		*ret_st = sc->stmt[q];
		return 0;
	}
	rc = sqlite3_prepare_v3(sc->h, db_query_sql(q, DB_DIALECT_SQLITE), -1,
				SQLITE_PREPARE_PERSISTENT, &st, &tail);
	if (rc != SQLITE_OK) {
		log_err("query '%s' does not prepare on sqlite: %s", name,
			sqlite3_errmsg(sc->h));
		goto out;
	}
	if (!st || tail[strspn(tail, " \t\n;")]) {
		log_err("query '%s' must be exactly one statement", name);
		goto out;
	}
	/* $1..$N, each at least once: what PostgreSQL accepts too. */
	count = sqlite3_bind_parameter_count(st);
	for (int i = 1; i <= count; i++) {
		int n = sqlite_param_number(sqlite3_bind_parameter_name(st, i));

		if (n < 0) {
			log_err("query '%s' has a parameter other than $1..$N",
				name);
			goto out;
		}
		if (n > max)
			max = n;
	}
	if (max != count) {
		log_err("query '%s' skips one of its parameters $1..$%d", name,
			max);
		goto out;
	}
	sc->stmt[q] = st;
	sc->nparams[q] = (unsigned char)max;
	st = NULL;
	*ret_st = sc->stmt[q];
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

static int sqlite_exec(struct db_conn *c, enum db_query q,
		       struct db_res **ret_res, int nparams,
		       const char *const *params)
{
	struct sqlite_conn *sc = sqlite_conn_of(c);
	sqlite3_stmt *st;
	int r;

	r = sqlite_stmt(sc, q, &st);
	if (r < 0)
		return r;
	if (nparams != sc->nparams[q]) {
		log_err("query '%s' takes %d parameters, not %d",
			db_query_name(q), sc->nparams[q], nparams);
		return -EIO;
	}
	/* SQLite numbers parameters by first appearance; map them back. */
	for (int i = 1; i <= nparams; i++) {
		int n = sqlite_param_number(sqlite3_bind_parameter_name(st, i));
		const char *v = params[n - 1];
		int rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC)
			   : sqlite3_bind_null(st, i);

		if (rc != SQLITE_OK) {
			r = sqlite_error(sc, rc, db_query_name(q));
			goto out;
		}
	}
	r = sqlite_run(sc, st, db_query_name(q), ret_res);
out:
	/* The caller's strings are not ours to keep. */
	sqlite3_clear_bindings(st);
	sqlite_write_settle(sc);
	return r;
}

static int sqlite_exec_sql(struct db_conn *c, const char *sql,
			   struct db_res **ret_res)
{
	struct sqlite_conn *sc = sqlite_conn_of(c);
	struct db_res *res = NULL;
	int r = 0;

	/* Statement by statement; the last one's rows are the result. */
	while (*sql) {
		sqlite3_stmt *st = NULL;
		const char *tail;
		int rc;

		rc = sqlite3_prepare_v2(sc->h, sql, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			r = sqlite_error(sc, rc, NULL);
			break;
		}
		sql = tail;
		if (!st)
			continue;
		res = db_res_free(res);
		r = sqlite_run(sc, st, NULL, ret_res ? &res : NULL);
		sqlite3_finalize(st);
		if (r < 0)
			break;
	}
	sqlite_write_settle(sc);
	if (r >= 0 && ret_res) {
		if (!res) {
			log_err("statement returned no result on sqlite");
			return -EIO;
		}
		*ret_res = res;
		res = NULL;
	}
	db_res_free(res);
	return r;
}

static int sqlite_prepare(struct db_conn *c, enum db_query q)
{
	sqlite3_stmt *st;

	return sqlite_stmt(sqlite_conn_of(c), q, &st);
}

static int sqlite_txn(struct sqlite_conn *sc, enum sqlite_txn t)
{
	sqlite3_stmt *st = sc->txn[t];
	int rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sqlite_error(sc, rc, NULL);
	return 0;
}

static int sqlite_begin(struct db_conn *c, bool write)
{
	struct sqlite_conn *sc = sqlite_conn_of(c);
	int r;

	if (!sqlite3_get_autocommit(sc->h)) {
		log_err("sqlite transaction begun inside another");
		return -EINVAL;
	}
	if (write) {
		r = sqlite_write_lock(sc);
		if (r < 0)
			return r;
	}
	r = sqlite_txn(sc, write ? TXN_BEGIN_WRITE : TXN_BEGIN_READ);
	sqlite_write_settle(sc);
	return r;
}

static int sqlite_commit(struct db_conn *c)
{
	struct sqlite_conn *sc = sqlite_conn_of(c);
	int r;

	/* A failed COMMIT leaves the transaction open for db_rollback. */
	r = sqlite_txn(sc, TXN_COMMIT);
	sqlite_write_settle(sc);
	return r;
}

static void sqlite_rollback(struct db_conn *c)
{
	struct sqlite_conn *sc = sqlite_conn_of(c);

	if (!sqlite3_get_autocommit(sc->h))
		sqlite_txn(sc, TXN_ROLLBACK);
	sqlite_write_settle(sc);
}

static void sqlite_conn_free(struct db_conn *c)
{
	struct sqlite_conn *sc = sqlite_conn_of(c);

	if (!sc)
		return;
	if (sc->h)
		sqlite_rollback(c);
	for (int i = 0; i < TXN__COUNT; i++)
		sqlite3_finalize(sc->txn[i]);
	for (int q = 0; q < Q__COUNT; q++)
		sqlite3_finalize(sc->stmt[q]);
	sqlite3_close(sc->h);
	free(sc);
}

static int sqlite_conn_new(struct db *db, struct db_conn **ret_c, char *err,
			   size_t errsz)
{
	struct sqlite_db *sd = db->be_data;
	struct sqlite_conn *sc;
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc, r = -ENOMEM;

	sc = calloc(1, sizeof(*sc));
	if (!sc)
		goto out;
	sc->base.db = db;
	sc->sd = sd;
	/* Each connection serves one thread at a time: no SQLite mutex. */
	rc = sqlite3_open_v2(sd->path, &sc->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	r = -EIO;
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "could not open '%s': %s", sd->path,
			 sc->h ? sqlite3_errmsg(sc->h) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(sc->h, 1);
	sqlite3_busy_timeout(sc->h, SQLITE_BUSY_MS);
	/* WAL: readers never wait for the writer.  Not every file system
	 * allows it, and SQLite then says so only by answering another
	 * mode. */
	rc = sqlite3_prepare_v2(sc->h, "PRAGMA journal_mode = WAL", -1, &st,
				NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		snprintf(err, errsz, "could not use '%s': %s", sd->path,
			 sqlite3_errmsg(sc->h));
		goto out;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (!mode || strcmp(mode, "wal") != 0) {
		snprintf(err, errsz,
			 "could not put '%s' in write-ahead log mode (got "
			 "'%s')",
			 sd->path, mode ? mode : "");
		goto out;
	}
	rc = sqlite3_exec(sc->h,
			  "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
			  NULL, NULL, NULL);
	for (int i = 0; rc == SQLITE_OK && i < TXN__COUNT; i++)
		rc = sqlite3_prepare_v3(sc->h, sqlite_txn_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &sc->txn[i],
					NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "could not set up '%s': %s", sd->path,
			 sqlite3_errmsg(sc->h));
		goto out;
	}
	*ret_c = &sc->base;
	sc = NULL;
	r = 0;
out:
	sqlite3_finalize(st);
	sqlite_conn_free(sc ? &sc->base : NULL);
	return r;
}

static void sqlite_close(struct db *db)
{
	struct sqlite_db *sd = db->be_data;

	if (!sd)
		return;
	if (sd->lock_fd >= 0)
		close(sd->lock_fd);
	pthread_mutex_destroy(&sd->turn_lock);
	pthread_condattr_destroy(&sd->turn_clock);
	free(sd->path);
	free(sd);
	db->be_data = NULL;
}

static int sqlite_open(struct db *db, const char *path, char *err, size_t errsz)
{
	struct sqlite_db *sd;
	char *lock = NULL, *abs;
	int fd, r = -EINVAL;

	if (!*path || strcmp(path, ":memory:") == 0) {
		snprintf(err, errsz, "sqlite database needs a file path");
		return -EINVAL;
	}
	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return -ENOMEM;
	sd->lock_fd = -1;
	pthread_mutex_init(&sd->turn_lock, NULL);
	pthread_condattr_init(&sd->turn_clock);
	pthread_condattr_setclock(&sd->turn_clock, CLOCK_MONOTONIC);
	sd->waiters_tail = &sd->waiters;
	db->be_data = sd;
	r = -ENOMEM;
	sd->path = strdup(path);
	if (!sd->path || asprintf(&lock, "%s.lock", path) < 0) {
		lock = NULL;
		goto out;
	}
	/* flock, not fcntl: it also refuses a second open in this process,
	 * and closing some other descriptor of the file cannot drop it. */
	sd->lock_fd =
		open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sd->lock_fd < 0) {
		r = -errno;
		snprintf(err, errsz, "could not open lock file '%s': %s", lock,
			 strerror(errno));
		goto out;
	}
	if (flock(sd->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errsz,
			 "database '%s' is in use by another hild (lock file "
			 "'%s' is held)",
			 path, lock);
		goto out;
	}
	/* Users' password hashes live here: create it private. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errsz, "could not open database '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	close(fd);
	/* Threads open their connections later, maybe after a chdir. */
	abs = realpath(path, NULL);
	if (!abs) {
		r = -errno;
		snprintf(err, errsz, "could not resolve '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	free(sd->path);
	sd->path = abs;
	r = 0;
out:
	free(lock);
	return r;
}

const struct db_backend db_backend_sqlite = {
	.name = "sqlite",
	.dialect = DB_DIALECT_SQLITE,
	.id_type = "INTEGER PRIMARY KEY",
	.sql_has_version_table = "SELECT COUNT(*) FROM sqlite_master WHERE "
				 "type = 'table' AND name = 'schema_version'",
	/* BEGIN IMMEDIATE and the lock file exclude other upgraders. */
	.sql_migration_lock = NULL,
	.open = sqlite_open,
	.close = sqlite_close,
	.conn_new = sqlite_conn_new,
	.conn_free = sqlite_conn_free,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.exec = sqlite_exec,
	.exec_sql = sqlite_exec_sql,
	.prepare = sqlite_prepare,
};
