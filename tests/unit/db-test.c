/*
 * db-test.c - the database layer on SQLite (a temporary file) and on
 * PostgreSQL (HIL_TEST_PG_URI, in a schema of its own): opening, the
 * migrations, parameters, NULLs, errors, transactions, one connection per
 * thread, and every query of queries.def prepared on both.
 *
 * Built with HIL_DB_TEST_QUERIES, which adds q_core.def's T_* queries.
 */
#include "config.h"

#include "db/db.h"
#include "db/db_backend.h"
#include "tap.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREAD_INSERTS 100
#define BULK_NODES     300

struct thread_arg {
	struct db *db;
	pthread_barrier_t *barrier;
	int id;
	struct db_conn *first, *again;
	int result; /* db_upgrade's, or the inserts that succeeded */
};

static int project_count(struct db_conn *c)
{
	struct db_res *res = NULL;
	int n = -1;

	if (db_q0(c, Q_T_PROJECT_COUNT, &res) == 1)
		n = (int)db_res_int(res, 0, 0);
	db_res_free(res);
	return n;
}

/* 1 if the project exists, 0 if not, <0 on error. */
static int project_exists(struct db_conn *c, const char *label)
{
	return db_q(c, Q_T_PROJECT_GET, NULL, label);
}

static void *thread_upgrade(void *p)
{
	struct thread_arg *a = p;

	pthread_barrier_wait(a->barrier);
	a->result = db_upgrade(a->db);
	return NULL;
}

static void *thread_insert(void *p)
{
	struct thread_arg *a = p;
	char label[64];

	a->first = db_conn(a->db);
	/* Both threads hold their connection at once from here. */
	pthread_barrier_wait(a->barrier);
	a->again = db_conn(a->db);
	for (int i = 0; a->first && i < THREAD_INSERTS; i++) {
		snprintf(label, sizeof(label), "thread%d-%d", a->id, i);
		if (db_begin(a->first, true) < 0)
			continue;
		if (db_q(a->first, Q_T_PROJECT_ADD, NULL, label) == 1 &&
		    db_commit(a->first) == 0)
			a->result++;
		db_rollback(a->first);
	}
	pthread_barrier_wait(a->barrier);
	return NULL;
}

/* Run fn in two threads started together. */
static void two_threads(struct db *db, void *(*fn)(void *),
			struct thread_arg a[2])
{
	pthread_barrier_t barrier;
	pthread_t t[2];

	pthread_barrier_init(&barrier, NULL, 2);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct thread_arg){
			.db = db, .barrier = &barrier, .id = i};
		pthread_create(&t[i], NULL, fn, &a[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&barrier);
}

static int conn_count(struct db *db)
{
	int n = 0;

	pthread_mutex_lock(&db->conns_lock);
	for (struct db_conn *c = db->conns; c; c = c->next)
		n++;
	pthread_mutex_unlock(&db->conns_lock);
	return n;
}

static void test_schema(struct db *db, const char *be)
{
	struct thread_arg a[2];
	struct db_res *res = NULL;
	int have = -1, want = -1, r;
	bool ordered = true;

	r = db_schema_version(db, &have, &want);
	is_int(r, 0, "%s: schema version of a new database", be);
	is_int(have, 0, "%s: a new database has version 0", be);
	is_int(want, db_migrations[db_migrations_count - 1].version,
	       "%s: hild wants the last migration's version", be);
	is_int(want, db_migrations_count, "%s: migrations are numbered 1..N",
	       be);

	/* Two upgraders at once: one applies, the other finds it done. */
	two_threads(db, thread_upgrade, a);
	is_int(a[0].result, 0, "%s: first concurrent upgrade succeeds", be);
	is_int(a[1].result, 0, "%s: second concurrent upgrade succeeds", be);
	is_int(conn_count(db), 1, "%s: connections of ended threads are closed",
	       be);

	r = db_schema_version(db, &have, &want);
	ok(r == 0 && have == want, "%s: upgraded to version %d (have %d)", be,
	   want, have);
	r = db_q0(db_conn(db), Q_SCHEMA_VERSION_GET, &res);
	is_int(r, want, "%s: each migration recorded once", be);
	for (int i = 0; i < db_res_rows(res); i++)
		ordered &= db_res_int(res, i, 0) == i + 1;
	ok(ordered, "%s: recorded versions are 1..%d", be, want);
	res = db_res_free(res);

	is_int(db_upgrade(db), 0, "%s: upgrading again succeeds", be);
	r = db_q0(db_conn(db), Q_SCHEMA_VERSION_GET, NULL);
	is_int(r, want, "%s: upgrading again records nothing", be);

	is_int(db_prepare_all(db_conn(db)), 0,
	       "%s: all %d queries of the table prepare", be, (int)Q__COUNT);
}

static void test_params(struct db_conn *c, const char *be)
{
	struct db_res *res = NULL;
	char pid[32] = "";
	int r;

	r = db_q(c, Q_T_PROJECT_ADD, &res, "p1");
	is_int(r, 1, "%s: INSERT ... RETURNING returns its row", be);
	ok(db_res_rows(res) == 1 && db_res_cols(res) == 1 &&
		   db_res_int(res, 0, 0) > 0,
	   "%s: new id is a positive integer ('%s')", be,
	   db_res_get(res, 0, 0) ? db_res_get(res, 0, 0) : "NULL");
	if (db_res_get(res, 0, 0))
		snprintf(pid, sizeof(pid), "%s", db_res_get(res, 0, 0));
	res = db_res_free(res);

	/* $3, $1, $2, $4 in the SQL; NULL for the project. */
	r = db_q(c, Q_T_NODE_ADD, &res, "n1", "ipmi", "{\"host\": \"b1\"}",
		 NULL);
	is_int(r, 1, "%s: insert with parameters out of order", be);
	ok(db_res_get(res, 0, 1) == NULL, "%s: NULL comes back as NULL", be);
	is_int(db_res_int(res, 0, 1), 0, "%s: NULL reads as integer 0", be);
	ok(db_res_get(res, 0, 2) == NULL && db_res_get(res, 1, 0) == NULL &&
		   db_res_get(res, -1, 0) == NULL,
	   "%s: cells outside the result are NULL", be);
	res = db_res_free(res);

	r = db_q(c, Q_T_NODE_GET, &res, "n1");
	is_int(r, 1, "%s: select by label", be);
	is_str(db_res_get(res, 0, 0), "n1", "%s: label", be);
	ok(db_res_get(res, 0, 1) == NULL, "%s: project_id is NULL", be);
	is_str(db_res_get(res, 0, 2), "ipmi", "%s: $2 went to obm_type", be);
	is_str(db_res_get(res, 0, 3), "{\"host\": \"b1\"}",
	       "%s: $3 went to obm_settings", be);
	is_str(db_res_get(res, 0, 4), "0", "%s: integer as decimal text", be);
	res = db_res_free(res);

	r = db_q(c, Q_T_NODE_SET_PROJECT, NULL, "n1", pid);
	is_int(r, 1, "%s: update returns the rows changed", be);
	r = db_q(c, Q_T_NODE_GET, &res, "n1");
	is_str(db_res_get(res, 0, 1), pid, "%s: project_id set", be);
	res = db_res_free(res);

	r = db_q(c, Q_T_NODE_ADD, NULL, "n2", "mock", "{}", pid);
	is_int(r, 1, "%s: insert without a result still counts rows", be);
	/* $1 twice: obm_type = $1 OR label = $1. */
	r = db_q(c, Q_T_NODE_RETYPE, NULL, "ipmi", "m", "1");
	is_int(r, 1, "%s: a parameter used twice (first use)", be);
	r = db_q(c, Q_T_NODE_RETYPE, NULL, "n2", "m", "1");
	is_int(r, 1, "%s: a parameter used twice (second use)", be);
	r = db_q(c, Q_T_NODE_RETYPE, NULL, "m", "x", "0");
	is_int(r, 2, "%s: update of two rows returns 2", be);
	r = db_q(c, Q_T_NODE_RETYPE, NULL, "none", "x", "0");
	is_int(r, 0, "%s: update of no row returns 0", be);
	r = db_q0(c, Q_T_NODE_LIST, NULL);
	is_int(r, 2, "%s: select without a result counts rows", be);

	r = db_q(c, Q_T_NODE_SET_PROJECT, NULL, "n1", NULL);
	is_int(r, 1, "%s: set to NULL", be);
	r = db_q(c, Q_T_NODE_GET, &res, "n1");
	ok(r == 1 && db_res_get(res, 0, 1) == NULL,
	   "%s: NULL parameter stored as NULL", be);
	is_str(db_res_get(res, 0, 2), "x", "%s: other columns unchanged", be);
	res = db_res_free(res);
}

static void test_errors(struct db_conn *c, const char *be)
{
	const char *two[] = {"p1", "p2"};
	int r;

	r = db_q(c, Q_T_PROJECT_ADD, NULL, "p1");
	is_int(r, -EEXIST, "%s: duplicate label is -EEXIST", be);
	is_int(project_exists(c, "p1"), 1, "%s: usable after -EEXIST", be);
	r = db_q(c, Q_T_NODE_ADD, NULL, "n3", "x", "{}", "999999");
	is_int(r, -EIO, "%s: foreign key violation is -EIO", be);
	r = db_q(c, Q_T_NODE_ADD, NULL, "n3", NULL, "{}", NULL);
	is_int(r, -EIO, "%s: NOT NULL violation is -EIO", be);
	r = db_exec(c, Q_T_PROJECT_GET, NULL, 2, two);
	is_int(r, -EIO, "%s: wrong parameter count is -EIO", be);
	r = db_exec(c, Q__COUNT, NULL, 0, NULL);
	is_int(r, -EINVAL, "%s: query outside the table is -EINVAL", be);
	is_int(project_exists(c, "p1"), 1, "%s: usable after errors", be);
}

static void test_transactions(struct db_conn *c, const char *be)
{
	int before, r;

	db_rollback(c);
	is_int(project_exists(c, "p1"), 1,
	       "%s: rollback without a transaction is harmless", be);

	r = db_begin(c, true);
	is_int(r, 0, "%s: begin write", be);
	is_int(db_begin(c, false), -EINVAL, "%s: no nested transaction", be);
	is_int(db_q(c, Q_T_PROJECT_ADD, NULL, "rolled"), 1,
	       "%s: insert in a transaction", be);
	is_int(project_exists(c, "rolled"), 1,
	       "%s: the transaction sees its insert", be);
	db_rollback(c);
	is_int(project_exists(c, "rolled"), 0, "%s: rollback discards", be);

	r = db_begin(c, true);
	r = r < 0 ? r : db_q(c, Q_T_PROJECT_ADD, NULL, "kept");
	r = r < 0 ? r : db_commit(c);
	is_int(r, 0, "%s: insert and commit", be);
	is_int(project_exists(c, "kept"), 1, "%s: commit keeps", be);

	/* PostgreSQL aborts the transaction at the error: rollback must
	 * still leave the connection usable. */
	r = db_begin(c, true);
	is_int(r == 0 ? db_q(c, Q_T_PROJECT_ADD, NULL, "kept") : r, -EEXIST,
	       "%s: -EEXIST inside a transaction", be);
	db_rollback(c);
	is_int(project_exists(c, "kept"), 1,
	       "%s: usable after a failed transaction", be);

	before = project_count(c);
	r = db_begin(c, false);
	is_int(r, 0, "%s: begin read", be);
	is_int(project_count(c), before, "%s: read in a read transaction", be);
	is_int(db_commit(c), 0, "%s: commit a read transaction", be);
}

static void test_bulk(struct db_conn *c, const char *be)
{
	struct db_res *res = NULL;
	char label[32], settings[64];
	int added = 0, r;
	bool same = true;

	r = db_begin(c, true);
	for (int i = 0; r == 0 && i < BULK_NODES; i++) {
		snprintf(label, sizeof(label), "bulk%04d", i);
		snprintf(settings, sizeof(settings), "{\"n\": %d}", i);
		if (db_q(c, Q_T_NODE_ADD, NULL, label, "x", settings, NULL) ==
		    1)
			added++;
	}
	r = r < 0 ? r : db_commit(c);
	ok(r == 0 && added == BULK_NODES, "%s: %d inserts in one transaction",
	   be, added);
	r = db_q0(c, Q_T_NODE_LIST, &res);
	is_int(r, BULK_NODES + 2, "%s: all rows returned", be);
	is_int(db_res_rows(res), BULK_NODES + 2, "%s: all rows in result", be);
	for (int i = 0; i < BULK_NODES; i++) {
		snprintf(label, sizeof(label), "bulk%04d", i);
		same &= db_res_get(res, i, 0) &&
			strcmp(db_res_get(res, i, 0), label) == 0;
	}
	ok(same, "%s: every row of a large result intact", be);
	res = db_res_free(res);
}

static void test_threads(struct db *db, const char *be)
{
	struct db_conn *mine = db_conn(db);
	struct thread_arg a[2];
	int before = project_count(mine);

	ok(mine && db_conn(db) == mine, "%s: a thread keeps its connection",
	   be);
	two_threads(db, thread_insert, a);
	ok(a[0].first && a[1].first && a[0].first != a[1].first &&
		   a[0].first != mine && a[1].first != mine,
	   "%s: each thread has a connection of its own", be);
	ok(a[0].again == a[0].first && a[1].again == a[1].first,
	   "%s: each thread keeps its connection", be);
	is_int(a[0].result + a[1].result, 2 * THREAD_INSERTS,
	       "%s: concurrent write transactions all commit", be);
	is_int(project_count(mine), before + 2 * THREAD_INSERTS,
	       "%s: the main thread sees them", be);
	is_int(conn_count(db), 1, "%s: ended threads' connections are closed",
	       be);
}

static void run_suite(const char *uri, const char *be)
{
	struct db *db = NULL;
	struct db_conn *c;
	const char *err = NULL;
	int r;

	r = db_open(uri, &db, &err);
	if (!is_int(r, 0, "%s: open", be)) {
		diag("%s", err ? err : "(no message)");
		return;
	}
	is_str(db_backend(db), be, "%s: backend name", be);
	test_schema(db, be);
	c = db_conn(db);
	test_params(c, be);
	test_errors(c, be);
	test_transactions(c, be);
	test_bulk(c, be);
	test_threads(db, be);
	db_free(db);
}

static void test_sqlite(void)
{
	char dir[] = "/tmp/hil-db-test.XXXXXX", uri[PATH_MAX + 16];
	char path[PATH_MAX];
	struct db *db = NULL, *db2 = NULL;
	const char *err = NULL;
	int have = 0, want = 0, r;

	if (!ok(mkdtemp(dir), "sqlite: temporary directory"))
		return;
	snprintf(path, sizeof(path), "%s/hil.db", dir);
	snprintf(uri, sizeof(uri), "sqlite://%s", path);
	run_suite(uri, "sqlite");

	r = db_open(uri, &db, &err);
	is_int(r, 0, "sqlite: reopen after db_free (lock released)");
	r = db_open(uri, &db2, &err);
	is_int(r, -EBUSY, "sqlite: a second open of the file is refused");
	ok(r < 0 && err && strstr(err, "in use"), "sqlite: and says why: %s",
	   r < 0 && err ? err : "");
	if (db) {
		r = db_schema_version(db, &have, &want);
		ok(r == 0 && have == want && want > 0,
		   "sqlite: the schema persisted");
		is_int(project_exists(db_conn(db), "kept"), 1,
		       "sqlite: committed data persisted");
	}
	db = db_free(db);
	db2 = db_free(db2);

	/* Relative to the working directory at open time, also for the
	 * connections threads open after a chdir. */
	if (chdir(dir) == 0) {
		struct thread_arg a[2];

		r = db_open("sqlite://rel.db", &db, &err);
		is_int(r, 0, "sqlite: relative path");
		ok(access("rel.db", F_OK) == 0 &&
			   access("rel.db.lock", F_OK) == 0,
		   "sqlite: relative file and its lock created");
		if (chdir("/") != 0)
			diag("could not leave '%s'", dir);
		if (db) {
			two_threads(db, thread_upgrade, a);
			r = db_schema_version(db, &have, &want);
			ok(r == 0 && a[0].result == 0 && a[1].result == 0 &&
				   have == want,
			   "sqlite: threads after a chdir use the same file");
		}
		db = db_free(db);
	}
	r = db_open("sqlite://", &db, &err);
	is_int(r, -EINVAL, "sqlite: empty path refused");

	for (const char *const *f =
		     (const char *const[]){"hil.db", "hil.db-wal", "hil.db-shm",
					   "hil.db.lock", "rel.db",
					   "rel.db-wal", "rel.db-shm",
					   "rel.db.lock", NULL};
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	ok(rmdir(dir) == 0, "sqlite: no file left behind but the known ones");
}

static void test_uris(void)
{
	struct db *db = NULL;
	const char *err = NULL;
	int r;

	r = db_open("mysql://u:pw@h/db", &db, &err);
	ok(r == -EINVAL && err && !strstr(err, "pw"),
	   "unknown scheme refused without quoting the uri: %s",
	   err ? err : "");
	r = db_open("postgresql://u:secretpw@%zz/db", &db, &err);
	ok(r == -EINVAL && err && !strstr(err, "secretpw"),
	   "bad postgresql uri refused without quoting it: %s", err ? err : "");
	ok(db == NULL, "failed opens return no database");
}

/* Run the suite in a schema of its own, so that the database may hold
 * other data (another test's hild, say). */
static void test_pg(const char *base)
{
	char schema[32], sql[160], *uri = NULL;
	struct db *db = NULL;
	const char *err = NULL;
	int r;

	snprintf(schema, sizeof(schema), "hil_db_test_%ld", (long)getpid());
	r = db_open(base, &db, &err);
	if (!is_int(r, 0, "postgresql: open HIL_TEST_PG_URI")) {
		diag("%s", err ? err : "(no message)");
		return;
	}
	snprintf(sql, sizeof(sql),
		 "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
		 schema);
	r = db_exec_sql(db_conn(db), sql, NULL);
	is_int(r < 0 ? r : 0, 0, "postgresql: private schema '%s'", schema);
	if (asprintf(&uri, "%s%coptions=-c%%20search_path%%3D%s", base,
		     strchr(base, '?') ? '&' : '?', schema) < 0)
		uri = NULL;
	if (r >= 0 && uri)
		run_suite(uri, "postgresql");
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
	r = db_exec_sql(db_conn(db), sql, NULL);
	is_int(r < 0 ? r : 0, 0, "postgresql: private schema dropped");
	db_free(db);
	free(uri);
}

int main(void)
{
	const char *pg = getenv("HIL_TEST_PG_URI");
	const char *ci = getenv("CI");

	test_uris();
	test_sqlite();
	if (pg && *pg)
		test_pg(pg);
	else if (ci && strcmp(ci, "true") == 0)
		ok(0, "postgresql: HIL_TEST_PG_URI must be set when CI=true");
	else
		tap_skip("postgresql: HIL_TEST_PG_URI is not set");
	return tap_done();
}
