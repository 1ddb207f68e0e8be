/*
 * db-engine-test.c - what the operation engine asks of the database
 * layer, on SQLite (a temporary file) and on PostgreSQL (HIL_TEST_PG_URI,
 * in a schema of its own): statements that exist on one backend only
 * (db_supports, -EOPNOTSUPP), the claim of pending operations in queue
 * order, the guarded finish, and on PostgreSQL LISTEN/NOTIFY through
 * db_wait_notify, the per-switch advisory lock and FOR UPDATE SKIP
 * LOCKED, each seen from two connections.
 */
#include "config.h"

#include "db/db.h"
#include "db/db_backend.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A switch id no hild on a shared test database uses for its lock. */
#define TEST_LOCK_ID "2000000001"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A switch with three pending operations; its id into sw. */
static int make_queue(struct db_conn *c, char *sw, size_t len)
{
	struct db_res *res = NULL;
	int r;

	r = db_exec_sql(c,
			"INSERT INTO switches (label, type, settings) VALUES "
			"('sw-engine-test', 'mock', '{}')",
			NULL);
	if (r < 0)
		return r;
	r = db_exec_sql(c,
			"SELECT id FROM switches WHERE label = "
			"'sw-engine-test'",
			&res);
	if (r != 1) {
		db_res_free(res);
		return -EIO;
	}
	snprintf(sw, len, "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	for (int i = 1; i <= 3; i++) {
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO operations (uuid, kind, status, "
			 "switch_id, channel, created_at) VALUES ('op%d', "
			 "'modify_port', 'PENDING', %s, 'vlan/native', 0)",
			 i, sw);
		r = db_exec_sql(c, sql, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* What both backends answer alike. */
static void test_common(struct db *db, const char *be)
{
	struct db_conn *c = db_conn(db);
	struct db_res *res = NULL;
	char sw[32] = "";
	int r;

	ok(db_supports(db, Q_ENGINE_CLAIM), "%s: the claim exists", be);
	is_int(make_queue(c, sw, sizeof(sw)), 0,
	       "%s: a switch with 3 pending operations", be);
	r = db_q(c, Q_ENGINE_SWITCHES_PENDING, &res, "10");
	ok(r == 1 && strcmp(db_res_get(res, 0, 0), sw) == 0,
	   "%s: the switch is listed as having pending operations", be);
	res = db_res_free(res);

	is_int(db_begin(c, true), 0, "%s: claim transaction", be);
	r = db_q(c, Q_ENGINE_CLAIM, &res, sw, "2");
	is_int(r, 2, "%s: the claim takes at most the limit", be);
	is_str(db_res_get(res, 0, 1), "op1", "%s: in queue order (first)", be);
	is_str(db_res_get(res, 1, 1), "op2", "%s: in queue order (second)", be);
	is_int(db_res_cols(res), 11, "%s: the claim's columns", be);
	is_int(db_q(c, Q_ENGINE_OP_ATTEMPT, NULL, db_res_get(res, 0, 0)), 1,
	       "%s: the attempt is counted", be);
	is_int(db_commit(c), 0, "%s: claim committed", be);

	r = db_q(c, Q_ENGINE_OP_FINISH, NULL, db_res_get(res, 0, 0), "DONE",
		 NULL, "12345");
	is_int(r, 1, "%s: a pending operation is finished", be);
	r = db_q(c, Q_ENGINE_OP_FINISH, NULL, db_res_get(res, 0, 0), "ERROR",
		 "late", "12346");
	is_int(r, 0, "%s: a finished one is not finished again", be);
	res = db_res_free(res);
	r = db_q(c, Q_ENGINE_CLAIM, &res, sw, "64");
	ok(r == 2 && strcmp(db_res_get(res, 0, 1), "op2") == 0,
	   "%s: the next claim starts after the finished one", be);
	ok(db_res_int(res, 0, 10) == 0, "%s: claims so far read back (%s)", be,
	   db_res_get(res, 0, 10) ? db_res_get(res, 0, 10) : "NULL");
	db_res_free(res);
}

/* What an SQLite database leaves next to its path. */
static const char *const sqlite_files[] = {"", "-wal", "-shm", ".lock"};

static void test_sqlite(void)
{
	char dir[] = "/tmp/hil-db-engine-test.XXXXXX", uri[128], path[96];
	struct db *db = NULL;
	const char *err = NULL;
	int r;

	if (!mkdtemp(dir)) {
		ok(0, "sqlite: temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	snprintf(uri, sizeof(uri), "sqlite://%s", path);
	r = db_open(uri, &db, &err);
	if (!is_int(r, 0, "sqlite: open") ||
	    !is_int(db_upgrade(db), 0, "sqlite: schema")) {
		diag("%s", err ? err : "");
		goto out;
	}
	ok(!db_supports(db, Q_ENGINE_LISTEN) &&
		   !db_supports(db, Q_ENGINE_NOTIFY) &&
		   !db_supports(db, Q_ENGINE_SWITCH_TRYLOCK) &&
		   !db_supports(db, Q_ENGINE_SWITCH_UNLOCK),
	   "sqlite: no notifications nor advisory locks");
	is_int(db_q0(db_conn(db), Q_ENGINE_NOTIFY, NULL), -EOPNOTSUPP,
	       "sqlite: a statement the backend lacks is -EOPNOTSUPP");
	is_int(db_q(db_conn(db), Q_ENGINE_SWITCH_TRYLOCK, NULL, "1"),
	       -EOPNOTSUPP, "sqlite: ... with parameters too");
	is_int(db_wait_notify(db_conn(db), -1, 0), -EOPNOTSUPP,
	       "sqlite: db_wait_notify is -EOPNOTSUPP");
	is_int(db_prepare_all(db_conn(db)), 0,
	       "sqlite: every statement it has prepares");
	test_common(db, "sqlite");
out:
	db = db_free(db);
	for (size_t i = 0; i < sizeof(sqlite_files) / sizeof(*sqlite_files);
	     i++) {
		char f[128];

		snprintf(f, sizeof(f), "%s%s", path, sqlite_files[i]);
		unlink(f);
	}
	rmdir(dir);
}

/* 1 when the lock was taken, 0 when not, -1 on error. */
static int trylock(struct db_conn *c, const char *id)
{
	struct db_res *res = NULL;
	int r = db_q(c, Q_ENGINE_SWITCH_TRYLOCK, &res, id);

	r = r == 1 ? (int)db_res_int(res, 0, 0) : -1;
	db_res_free(res);
	return r;
}

static void test_pg_two(struct db *a_db, struct db *b_db)
{
	struct db_conn *a = db_conn(a_db), *b = db_conn(b_db);
	struct db_res *res = NULL, *res2 = NULL;
	int fds[2] = {-1, -1}, r;
	double t;
	char sw[32];

	ok(db_supports(a_db, Q_ENGINE_LISTEN) &&
		   db_supports(a_db, Q_ENGINE_SWITCH_TRYLOCK),
	   "postgresql: notifications and advisory locks exist");
	is_int(db_prepare_all(a), 0, "postgresql: every statement prepares");

	/* LISTEN on a, NOTIFY from b's transaction. */
	ok(db_q0(a, Q_ENGINE_LISTEN, NULL) >= 0, "postgresql: LISTEN");
	ok(db_begin(b, true) == 0 && db_q0(b, Q_ENGINE_NOTIFY, NULL) == 1 &&
		   db_commit(b) == 0,
	   "postgresql: NOTIFY in a committed transaction");
	is_int(db_wait_notify(a, -1, 5000), 1,
	       "postgresql: the listener is notified");
	ok(pipe(fds) == 0 && write(fds[1], "x", 1) == 1, "a wake-up pipe");
	t = now_ms();
	r = db_wait_notify(a, fds[0], -1);
	ok(r >= 0 && now_ms() - t < 2500,
	   "postgresql: a readable wake fd ends the wait (%d, %.0f ms)", r,
	   now_ms() - t);
	close(fds[0]);
	close(fds[1]);

	/* One holder per switch across connections (processes). */
	is_int(trylock(a, TEST_LOCK_ID), 1, "postgresql: a takes the lock");
	is_int(trylock(b, TEST_LOCK_ID), 0, "postgresql: b cannot take it");
	ok(db_q(a, Q_ENGINE_SWITCH_UNLOCK, NULL, TEST_LOCK_ID) == 1,
	   "postgresql: a lets it go");
	is_int(trylock(b, TEST_LOCK_ID), 1, "postgresql: now b takes it");
	db_q(b, Q_ENGINE_SWITCH_UNLOCK, NULL, TEST_LOCK_ID);

	/* Claims pass over rows another claim holds instead of waiting. */
	if (!is_int(make_queue(a, sw, sizeof(sw)), 0,
		    "postgresql: a switch with 3 pending operations"))
		return;
	db_exec_sql(b, "SET lock_timeout = '3s'", NULL);
	ok(db_begin(a, true) == 0 &&
		   db_q(a, Q_ENGINE_CLAIM, &res, sw, "2") == 2,
	   "postgresql: a claims the first 2");
	ok(db_begin(b, true) == 0, "postgresql: b begins");
	t = now_ms();
	r = db_q(b, Q_ENGINE_CLAIM, &res2, sw, "64");
	ok(r == 1 && strcmp(db_res_get(res2, 0, 1), "op3") == 0 &&
		   now_ms() - t < 2500, /* lock_timeout: 3 s */
	   "postgresql: b's claim skips a's rows at once (%d rows)", r);
	db_rollback(b);
	is_int(db_commit(a), 0, "postgresql: a commits its claim");
	res2 = db_res_free(res2);
	r = db_q(b, Q_ENGINE_CLAIM, &res2, sw, "64");
	is_int(r, 3, "postgresql: released rows are claimable again");
	db_res_free(res2);
	db_res_free(res);
}

/* The schema test: a private schema, two databases opened on it. */
static void test_pg(const char *base)
{
	char schema[40], sql[160], *uri = NULL;
	struct db *db = NULL, *a = NULL, *b = NULL;
	const char *err = NULL;
	int r;

	snprintf(schema, sizeof(schema), "hil_db_engine_test_%ld",
		 (long)getpid());
	r = db_open(base, &db, &err);
	if (!is_int(r, 0, "postgresql: open HIL_TEST_PG_URI")) {
		diag("%s", err ? err : "(no message)");
		return;
	}
	snprintf(sql, sizeof(sql),
		 "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
		 schema);
	r = db_exec_sql(db_conn(db), sql, NULL);
	if (asprintf(&uri, "%s%coptions=-c%%20search_path%%3D%s", base,
		     strchr(base, '?') ? '&' : '?', schema) < 0)
		uri = NULL;
	if (r >= 0 && uri && db_open(uri, &a, &err) == 0 &&
	    db_open(uri, &b, &err) == 0 && db_upgrade(a) == 0) {
		test_common(a, "postgresql");
		db_exec_sql(db_conn(a), "DELETE FROM operations", NULL);
		db_exec_sql(db_conn(a), "DELETE FROM switches", NULL);
		test_pg_two(a, b);
	} else {
		ok(0, "postgresql: a private schema '%s' opened twice", schema);
	}
	db_free(a);
	db_free(b);
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
	db_exec_sql(db_conn(db), sql, NULL);
	db_free(db);
	free(uri);
}

int main(void)
{
	const char *pg = getenv("HIL_TEST_PG_URI");
	const char *ci = getenv("CI");

	test_sqlite();
	if (pg && *pg)
		test_pg(pg);
	else if (ci && strcmp(ci, "true") == 0)
		ok(0, "postgresql: HIL_TEST_PG_URI must be set when CI=true");
	else
		tap_skip("postgresql: HIL_TEST_PG_URI is not set");
	return tap_done();
}
