/*
 * vlan-test.c - the VLAN pool (hild/vlan.c): the "vlans" setting, the
 * startup sync of the vlans table (new VLANs join, free ones leave, held
 * ones are refused naming their networks, admin-chosen ones are taken
 * over), allocation lowest first, explicit claims, release, and
 * concurrent allocations never sharing a VLAN; on SQLite and, with
 * HIL_TEST_PG_URI, on PostgreSQL in a schema of its own.
 */
#include "config.h"

#include "vlan.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/db_backend.h"
#include "log.h"
#include "tap.h"

#define THREADS		4
#define ALLOCS_EACH	5
#define LOG_CAPTURE_MAX 8192

/* --- parsing */

static void test_parse(void)
{
	static const struct {
		const char *spec;
		unsigned count;
	} good[] = {
		{"", 0},
		{"   ", 0},
		{"100-200, 300, 702", 103},
		{"5", 1},
		{"1-4094", 4094},
		{"100-102,101-103", 4},
		{"\t7 - 9 , 4094", 4},
		{"300,300", 1},
	};
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{"0", "outside"},
		{"4095", "outside"},
		{"4000-4095", "outside"},
		{"0-5", "outside"},
		{"abc", "not a VLAN id"},
		{"100-", "not a VLAN id"},
		{"-5", "not a VLAN id"},
		{"200-100", "ends before it starts"},
		{"1,,2", "empty"},
		{",", "empty"},
		{"1,", "empty"},
		{"10 20", "not a VLAN id"},
		{"+5", "not a VLAN id"},
		{"0100", "not a VLAN id"},
		{"1-2-3", "not a VLAN id"},
		{"99999999999", "not a VLAN id"},
		{"100;200", "not a VLAN id"},
	};
	struct vlan_set *set = calloc(1, sizeof(*set));
	char err[160];
	int r;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r = vlan_pool_parse(good[i].spec, set, err, sizeof(err));
		is_int(r, 0, "parse: '%s' is a pool", good[i].spec);
		if (r == 0)
			is_int(set->count, good[i].count,
			       "parse: '%s' has %u VLANs", good[i].spec,
			       good[i].count);
	}
	r = vlan_pool_parse("100-102, 4094", set, err, sizeof(err));
	ok(r == 0 && set->has[100] && set->has[101] && set->has[102] &&
		   !set->has[99] && !set->has[103] && set->has[4094],
	   "parse: the set holds exactly the VLANs named");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		r = vlan_pool_parse(bad[i].spec, set, err, sizeof(err));
		ok(r == -EINVAL && strstr(err, bad[i].msg),
		   "parse: '%s' is refused: %s", bad[i].spec, err);
	}
	free(set);
}

static void test_id_valid(void)
{
	static const char *const yes[] = {"1", "100", "4094", "4095", "4096"};
	static const char *const no[] = {"",	 "0",	"4097", "5023",
					 "-2",	 "yes", "007",	" 100",
					 "100 ", "1e3", "+100", "99999999999"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ok(vlan_id_valid(yes[i]), "an admin may choose id '%s'",
		   yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok(!vlan_id_valid(no[i]), "id '%s' is refused", no[i]);
}

/* --- the table */

/* Run fn with stderr (where hild logs) going to a file; the log text
 * lands in buf. */
static int with_log(int (*fn)(struct db *, const char *), struct db *db,
		    const char *spec, char *buf, size_t len)
{
	FILE *f = tmpfile();
	int saved, r;
	size_t n;

	fflush(stderr);
	saved = dup(2);
	if (!f || saved < 0 || dup2(fileno(f), 2) < 0) {
		buf[0] = '\0';
		return fn(db, spec);
	}
	r = fn(db, spec);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return r;
}

/* Make a network: an allocated VLAN (net_id NULL) or the admin's id.
 * Returns 0 with its row id, or the allocator's error. */
static int net_add(struct db *db, const char *label, const char *net_id,
		   char ret_id[24])
{
	struct db_conn *c = db_conn(db);
	struct db_res *res = NULL;
	char vlan[VLAN_ID_LEN];
	bool pooled = true;
	int r;

	r = db_begin(c, true);
	if (r < 0)
		return r;
	r = db_q(c, Q_NETWORK_INSERT, &res, label, NULL);
	if (r == 1)
		snprintf(ret_id, 24, "%s", db_res_get(res, 0, 0));
	res = db_res_free(res);
	if (r != 1) {
		r = r < 0 ? r : -EEXIST;
		goto out;
	}
	if (net_id) {
		r = vlan_pool_claim(c, ret_id, net_id, &pooled);
	} else {
		r = vlan_pool_alloc(c, ret_id, vlan);
		net_id = vlan;
	}
	if (r == 0)
		r = db_q(c, Q_NETWORK_SET_ID, NULL, ret_id, net_id,
			 pooled ? "1" : "0");
out:
	if (r >= 0)
		return db_commit(c);
	db_rollback(c);
	return r;
}

static int net_del(struct db *db, const char *id)
{
	struct db_conn *c = db_conn(db);
	int r = db_begin(c, true);

	if (r < 0)
		return r;
	r = vlan_pool_release(c, id);
	if (r >= 0)
		r = db_q(c, Q_NETWORK_DELETE, NULL, id);
	if (r >= 0)
		return db_commit(c);
	db_rollback(c);
	return r;
}

/* The pool as text: "100:a 101 102" (VLAN, ':' and the holder). */
static const char *pool_text(struct db *db)
{
	static char buf[4096];
	struct db_res *res = NULL;
	size_t len = 0;
	int n;

	buf[0] = '\0';
	n = db_q0(db_conn(db), Q_VLAN_LIST, &res);
	for (int i = 0; i < n && len < sizeof(buf) - 32; i++) {
		const char *who = db_res_get(res, i, 2);

		len += (size_t)snprintf(
			buf + len, sizeof(buf) - len, "%s%s%s%s", i ? " " : "",
			db_res_get(res, i, 0), who ? ":" : "", who ? who : "");
	}
	db_res_free(res);
	return n < 0 ? "(error)" : buf;
}

/* The network's id and allocated flag: "102/1". */
static const char *net_text(struct db *db, const char *label)
{
	static char buf[64];
	struct db_res *res = NULL;

	if (db_q(db_conn(db), Q_NETWORK_GET, &res, label) == 1)
		snprintf(buf, sizeof(buf), "%s/%s", db_res_get(res, 0, 2),
			 db_res_get(res, 0, 3));
	else
		snprintf(buf, sizeof(buf), "(none)");
	db_res_free(res);
	return buf;
}

struct alloc_arg {
	struct db *db;
	int id;
	pthread_barrier_t *barrier;
	int done;
};

static void *alloc_thread(void *p)
{
	struct alloc_arg *a = p;
	char label[32], id[24];
	int r;

	pthread_barrier_wait(a->barrier);
	for (int i = 0; i < ALLOCS_EACH; i++) {
		snprintf(label, sizeof(label), "t%d-%d", a->id, i);
		do
			r = net_add(a->db, label, NULL, id);
		while (r == -EAGAIN);
		if (r == 0)
			a->done++;
	}
	return NULL;
}

/* THREADS x ALLOCS_EACH networks at once from a pool that has exactly as
 * many free VLANs: each gets one, none twice. */
static void test_concurrent(struct db *db, const char *be)
{
	pthread_t t[THREADS];
	struct alloc_arg a[THREADS];
	pthread_barrier_t barrier;
	struct db_res *res = NULL;
	char id[24];
	int total = 0, n, held = 0;

	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		a[i] = (struct alloc_arg){
			.db = db, .id = i, .barrier = &barrier};
		pthread_create(&t[i], NULL, alloc_thread, &a[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		total += a[i].done;
	}
	pthread_barrier_destroy(&barrier);
	is_int(total, THREADS * ALLOCS_EACH,
	       "%s: %d concurrent allocations all succeed", be,
	       THREADS * ALLOCS_EACH);
	/* A VLAN given twice would leave another one of the range free. */
	n = db_q0(db_conn(db), Q_VLAN_LIST, &res);
	for (int i = 0; i < n; i++)
		if (db_res_int(res, i, 0) >= 1000 && db_res_get(res, i, 1))
			held++;
	is_int(held, THREADS * ALLOCS_EACH,
	       "%s: every VLAN went to exactly one network", be);
	db_res_free(res);
	is_int(net_add(db, "one-more", NULL, id), -ENOSPC,
	       "%s: and the pool is empty", be);
}

static void run_suite(const char *uri, const char *be)
{
	struct db *db = NULL;
	char id_a[24], id_b[24], id_c[24], id_e[24], id_e2[24], id[24];
	char log[LOG_CAPTURE_MAX], spec[32];
	const char *err = NULL;
	int r;

	r = db_open(uri, &db, &err);
	if (!is_int(r, 0, "%s: open", be)) {
		diag("%s", err ? err : "");
		return;
	}
	is_int(db_upgrade(db), 0, "%s: schema", be);

	is_int(vlan_pool_sync(db, "100-102"), 0, "%s: first sync", be);
	is_str(pool_text(db), "100 101 102", "%s: three free VLANs", be);
	is_int(vlan_pool_sync(db, "100-102"), 0, "%s: sync again", be);
	is_str(pool_text(db), "100 101 102", "%s: nothing changed", be);

	is_int(net_add(db, "a", NULL, id_a), 0, "%s: allocate", be);
	is_str(net_text(db, "a"), "100/1", "%s: the lowest VLAN first", be);
	is_int(net_add(db, "b", NULL, id_b), 0, "%s: allocate", be);
	is_str(net_text(db, "b"), "101/1", "%s: then the next", be);
	is_int(net_add(db, "c", "102", id_c), 0, "%s: claim a free one", be);
	is_str(net_text(db, "c"), "102/1", "%s: a claimed VLAN is allocated",
	       be);
	is_int(net_add(db, "d", NULL, id), -ENOSPC, "%s: pool exhausted", be);
	is_str(net_text(db, "d"), "(none)", "%s: nothing left behind", be);
	is_int(net_add(db, "f", "100", id), -EBUSY,
	       "%s: a held VLAN is not claimed", be);
	is_int(net_add(db, "e", "500", id_e), 0,
	       "%s: an id outside the pool is taken as is", be);
	is_str(net_text(db, "e"), "500/0", "%s: and not allocated", be);
	is_int(net_add(db, "e2", "500", id_e2), 0,
	       "%s: by several networks at once", be);
	is_str(pool_text(db), "100:a 101:b 102:c", "%s: the pool's holders",
	       be);

	/* New VLANs join; the used ones stay as they are. */
	is_int(vlan_pool_sync(db, "100-104"), 0, "%s: grow the pool", be);
	is_str(pool_text(db), "100:a 101:b 102:c 103 104", "%s: grown", be);
	is_int(net_add(db, "g", NULL, id), 0, "%s: allocate", be);
	is_str(net_text(db, "g"), "103/1", "%s: from the new VLANs", be);
	/* Free VLANs leave silently. */
	is_int(vlan_pool_sync(db, "100-103"), 0, "%s: shrink the pool", be);
	is_str(pool_text(db), "100:a 101:b 102:c 103:g", "%s: shrunk", be);
	/* Held ones are refused, naming each network; nothing changes. */
	r = with_log(vlan_pool_sync, db, "101-103, 110", log, sizeof(log));
	is_int(r, -EBUSY, "%s: a held VLAN cannot leave", be);
	ok(strstr(log, "VLAN 100") && strstr(log, "network 'a'"),
	   "%s: the log names the VLAN and its network", be);
	is_str(pool_text(db), "100:a 101:b 102:c 103:g",
	       "%s: the pool is unchanged (110 not added)", be);
	r = with_log(vlan_pool_sync, db, "103", log, sizeof(log));
	ok(r == -EBUSY && strstr(log, "network 'a'") &&
		   strstr(log, "network 'b'") && strstr(log, "network 'c'") &&
		   !strstr(log, "network 'g'"),
	   "%s: every held VLAN that would leave is named", be);
	r = with_log(vlan_pool_sync, db, "100-abc", log, sizeof(log));
	ok(r == -EINVAL && strstr(log, "bad 'vlans' setting"),
	   "%s: a bad setting is refused with a message", be);

	/* A VLAN joining the pool that one network uses already: it holds
	 * it from now on.  Two networks: refused. */
	is_int(vlan_pool_sync(db, "100-103, 500"), -EBUSY,
	       "%s: a VLAN two networks use cannot join", be);
	is_int(net_del(db, id_e2), 0, "%s: delete one of them", be);
	net_add(db, "e3", "600", id);
	r = with_log(vlan_pool_sync, db, "100-103, 500, 600-601", log,
		     sizeof(log));
	is_int(r, 0, "%s: VLANs in use join the pool", be);
	is_str(pool_text(db), "100:a 101:b 102:c 103:g 500:e 600:e3 601",
	       "%s: held by the networks that use them", be);
	is_str(net_text(db, "e"), "500/1", "%s: which are now allocated", be);
	ok(strstr(log, "VLAN 500") != NULL, "%s: and it is logged", be);
	is_int(net_add(db, "h", "500", id), -EBUSY,
	       "%s: so nobody else claims it", be);

	/* Release: deleting a network frees its VLAN, lowest goes first. */
	is_int(net_del(db, id_b), 0, "%s: delete b", be);
	is_int(net_del(db, id_e), 0, "%s: delete e", be);
	is_str(pool_text(db), "100:a 101 102:c 103:g 500 600:e3 601",
	       "%s: their VLANs are free", be);
	is_int(net_add(db, "i", NULL, id), 0, "%s: allocate", be);
	is_str(net_text(db, "i"), "101/1", "%s: the lowest free one", be);
	is_int(vlan_pool_sync(db, "100-103, 600"), 0,
	       "%s: drop free 500 and 601", be);
	is_str(pool_text(db), "100:a 101:i 102:c 103:g 600:e3", "%s: dropped",
	       be);

	/* A fresh pool for the concurrent allocations. */
	snprintf(spec, sizeof(spec), "100-103, 600, 1000-%d",
		 1000 + THREADS * ALLOCS_EACH - 1);
	is_int(vlan_pool_sync(db, spec), 0, "%s: %s", be, spec);
	test_concurrent(db, be);
	db_free(db);
}

static void test_sqlite(void)
{
	char dir[] = "/tmp/vlan-test.XXXXXX", uri[96], path[64];

	if (!mkdtemp(dir)) {
		ok(0, "sqlite: temporary directory");
		return;
	}
	snprintf(uri, sizeof(uri), "sqlite://%s/hil.db", dir);
	run_suite(uri, "sqlite");
	snprintf(path, sizeof(path), "%s/hil.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hil.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hil.db-shm", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hil.db.lock", dir);
	unlink(path);
	rmdir(dir);
}

static void test_pg(const char *base)
{
	char schema[32], sql[160], *uri = NULL;
	struct db *db = NULL;
	const char *err = NULL;
	int r;

	snprintf(schema, sizeof(schema), "hil_vlan_test_%ld", (long)getpid());
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

	log_setup(false, LOG_INFO);
	test_parse();
	test_id_valid();
	test_sqlite();
	if (pg && *pg)
		test_pg(pg);
	else
		tap_skip("postgresql: HIL_TEST_PG_URI is not set");
	return tap_done();
}
