/*
 * db.c - what both database backends share: the URI dispatch, the query
 * table, one connection per thread, results and the schema migrations.
 */
#include "config.h"

#include "db/db.h"
#include "db/db_backend.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	const char *sql[DB_DIALECT__COUNT];
} db_queries[Q__COUNT] = {
#define Q(name, sql)		     [Q_##name] = {#name, {sql, sql}},
#define QD(name, sqlite_sql, pg_sql) [Q_##name] = {#name, {sqlite_sql, pg_sql}},
#include "db/queries.def"
#undef QD
#undef Q
};

/* The scheme picks the backend; libpq parses its own URIs whole. */
static const struct {
	const char *prefix;
	const struct db_backend *be;
	bool whole_uri;
} db_schemes[] = {
	{"sqlite://", &db_backend_sqlite, false},
	{"postgresql://", &db_backend_pg, true},
	{"postgres://", &db_backend_pg, true},
};

/* The token a schema file uses for the surrogate key type. */
#define DB_ID_TOKEN "%ID%"

const char *db_query_name(enum db_query q)
{
	if ((unsigned)q >= Q__COUNT)
		return "?";
	return db_queries[q].name;
}

const char *db_query_sql(enum db_query q, enum db_dialect d)
{
	if ((unsigned)q >= Q__COUNT || (unsigned)d >= DB_DIALECT__COUNT)
		return NULL;
	return db_queries[q].sql[d];
}

bool db_supports(const struct db *db, enum db_query q)
{
	return db_query_sql(q, db->be->dialect) != NULL;
}

const char *db_backend(const struct db *db)
{
	return db->be->name;
}

/* Closes a connection whose thread has ended, or that db_free finds. */
static void db_conn_release(void *p)
{
	struct db_conn *c = p;
	struct db *db = c->db;

	pthread_mutex_lock(&db->conns_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		db->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&db->conns_lock);
	db->be->conn_free(c);
}

/* Open the calling thread's connection; the error goes to err. */
static int db_conn_open(struct db *db, struct db_conn **ret_c, char *err,
			size_t errsz)
{
	struct db_conn *c = NULL;
	int r;

	r = db->be->conn_new(db, &c, err, errsz);
	if (r < 0)
		return r;
	c->db = db;
	c->prev = NULL;
	pthread_mutex_lock(&db->conns_lock);
	c->next = db->conns;
	if (db->conns)
		db->conns->prev = c;
	db->conns = c;
	pthread_mutex_unlock(&db->conns_lock);
	r = pthread_setspecific(db->key, c);
	if (r != 0) {
		db_conn_release(c);
		snprintf(err, errsz,
			 "could not keep the thread's connection: %s",
			 strerror(r));
		return -r;
	}
	*ret_c = c;
	return 0;
}

struct db_conn *db_conn(struct db *db)
{
	char err[DB_ERR_MAX] = "";
	struct db_conn *c;

	c = pthread_getspecific(db->key);
	if (c)
		return c;
	if (db_conn_open(db, &c, err, sizeof(err)) < 0) {
		log_err("could not connect to the %s database: %s",
			db->be->name, err);
		return NULL;
	}
	return c;
}

int db_open(const char *uri, struct db **ret_db, const char **ret_err)
{
	/* db_open's callers read the message before the thread opens
	 * another database. */
	static _Thread_local char err[DB_ERR_MAX];
	const struct db_backend *be = NULL;
	const char *target = NULL;
	struct db_conn *c;
	struct db *db = NULL;
	int r = -EINVAL;

	err[0] = '\0';
	for (size_t i = 0;
	     uri && i < sizeof(db_schemes) / sizeof(db_schemes[0]); i++) {
		size_t n = strlen(db_schemes[i].prefix);

		if (strncmp(uri, db_schemes[i].prefix, n) == 0) {
			be = db_schemes[i].be;
			target = db_schemes[i].whole_uri ? uri : uri + n;
			break;
		}
	}
	/* The URI itself may hold a password: never repeat it. */
	if (!be) {
		snprintf(err, sizeof(err),
			 "database uri must start with 'sqlite://', "
			 "'postgresql://' or 'postgres://'");
		goto out;
	}

	r = -ENOMEM;
	db = calloc(1, sizeof(*db));
	if (!db)
		goto out;
	pthread_mutex_init(&db->conns_lock, NULL);
	r = -pthread_key_create(&db->key, db_conn_release);
	if (r < 0)
		goto out;
	db->key_ok = true;
	db->be = be;
	r = be->open(db, target, err, sizeof(err));
	if (r < 0)
		goto out;
	/* Connect now so that a bad path, host or password shows at start. */
	r = db_conn_open(db, &c, err, sizeof(err));
	if (r < 0)
		goto out;
	*ret_db = db;
	db = NULL;
	r = 0;
out:
	if (r < 0 && ret_err) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-r));
		*ret_err = err;
	}
	db_free(db);
	return r;
}

struct db *db_free(struct db *db)
{
	if (!db)
		return NULL;
	/* No thread may use db from here on, so no destructor will run. */
	if (db->key_ok)
		pthread_key_delete(db->key);
	while (db->conns)
		db_conn_release(db->conns);
	if (db->be)
		db->be->close(db);
	pthread_mutex_destroy(&db->conns_lock);
	free(db);
	return NULL;
}

int db_begin(struct db_conn *c, bool write)
{
	return c->db->be->begin(c, write);
}

int db_commit(struct db_conn *c)
{
	return c->db->be->commit(c);
}

void db_rollback(struct db_conn *c)
{
	if (c)
		c->db->be->rollback(c);
}

int db_exec(struct db_conn *c, enum db_query q, struct db_res **ret_res,
	    int nparams, const char *const *params)
{
	if (!c || (unsigned)q >= Q__COUNT || nparams < 0 ||
	    (nparams > 0 && !params))
		return -EINVAL;
	if (!db_supports(c->db, q))
		return -EOPNOTSUPP;
	return c->db->be->exec(c, q, ret_res, nparams, params);
}

int db_exec_sql(struct db_conn *c, const char *sql, struct db_res **ret_res)
{
	return c->db->be->exec_sql(c, sql, ret_res);
}

int db_prepare_all(struct db_conn *c)
{
	int failed = 0;

	/* Each failure is logged with the query's name and the reason. */
	for (int q = 0; q < Q__COUNT; q++)
		if (db_supports(c->db, (enum db_query)q) &&
		    c->db->be->prepare(c, (enum db_query)q) < 0)
			failed++;
	return failed ? -EIO : 0;
}

int db_wait_notify(struct db_conn *c, int wake_fd, int timeout_ms)
{
	if (!c)
		return -EINVAL;
	if (!c->db->be->wait_notify)
		return -EOPNOTSUPP;
	return c->db->be->wait_notify(c, wake_fd, timeout_ms);
}

int db_res_rows(const struct db_res *r)
{
	return r ? r->rows : 0;
}

int db_res_cols(const struct db_res *r)
{
	return r ? r->cols : 0;
}

const char *db_res_get(const struct db_res *r, int row, int col)
{
	if (!r || row < 0 || row >= r->rows || col < 0 || col >= r->cols)
		return NULL;
	return r->cells[(size_t)row * (size_t)r->cols + (size_t)col].s;
}

int64_t db_res_int(const struct db_res *r, int row, int col)
{
	const char *s = db_res_get(r, row, col);

	if (!s)
		return 0;
	/* PostgreSQL spells a boolean expression's value t or f. */
	if (s[0] == 't' && !s[1])
		return 1;
	if (s[0] == 'f' && !s[1])
		return 0;
	return strtoll(s, NULL, 10);
}

struct db_res *db_res_free(struct db_res *r)
{
	if (r)
		r->release(r);
	return NULL;
}

/* The version recorded in c's database, 0 when it has no schema_version
 * table. */
static int db_version_read(struct db_conn *c, int *ret_have)
{
	struct db_res *res = NULL;
	int r;

	r = db_exec_sql(c, c->db->be->sql_has_version_table, &res);
	if (r < 0)
		goto out;
	if (db_res_int(res, 0, 0) == 0) {
		*ret_have = 0;
		r = 0;
		goto out;
	}
	res = db_res_free(res);
	r = db_q0(c, Q_SCHEMA_VERSION_GET, &res);
	if (r < 0)
		goto out;
	*ret_have = r > 0 ? (int)db_res_int(res, r - 1, 0) : 0;
	r = 0;
out:
	db_res_free(res);
	return r;
}

int db_schema_version(struct db *db, int *ret_have, int *ret_want)
{
	struct db_conn *c = db_conn(db);
	int have, r;

	if (!c)
		return -EIO;
	r = db_version_read(c, &have);
	if (r < 0)
		return r;
	*ret_have = have;
	*ret_want = db_migrations_count > 0
			    ? db_migrations[db_migrations_count - 1].version
			    : 0;
	return 0;
}

/* The migration's SQL with the backend's key type for each %ID%. */
static char *db_migration_sql(const struct db_migration *m, const char *id_type)
{
	size_t tok = strlen(DB_ID_TOKEN), idn = strlen(id_type), n = 0;
	const char *p, *hit;
	char *sql, *o;

	for (p = m->sql; (hit = strstr(p, DB_ID_TOKEN)); p = hit + tok)
		n++;
	sql = malloc(strlen(m->sql) + n * idn + 1);
	if (!sql)
		return NULL;
	o = sql;
	for (p = m->sql; (hit = strstr(p, DB_ID_TOKEN)); p = hit + tok) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, id_type, idn);
		o += idn;
	}
	strcpy(o, p);
	return sql;
}

/* Apply m in its own transaction unless another process did meanwhile. */
static int db_migrate(struct db_conn *c, const struct db_migration *m)
{
	const struct db_backend *be = c->db->be;
	char version[16];
	char *sql = NULL;
	int have, r;

	r = db_begin(c, true);
	if (r < 0)
		return r;
	if (be->sql_migration_lock) {
		r = db_exec_sql(c, be->sql_migration_lock, NULL);
		if (r < 0)
			goto out;
	}
	r = db_version_read(c, &have);
	if (r < 0 || have >= m->version)
		goto out;
	if (have == 0) {
		r = db_exec_sql(c,
				"CREATE TABLE IF NOT EXISTS schema_version "
				"(version INTEGER NOT NULL)",
				NULL);
		if (r < 0)
			goto out;
	}
	r = -ENOMEM;
	sql = db_migration_sql(m, be->id_type);
	if (!sql)
		goto out;
	r = db_exec_sql(c, sql, NULL);
	if (r < 0)
		goto out;
	snprintf(version, sizeof(version), "%d", m->version);
	r = db_q(c, Q_SCHEMA_VERSION_ADD, NULL, version);
	if (r < 0)
		goto out;
	r = db_commit(c);
	if (r < 0)
		goto out;
	log_notice("applied schema migration '%s' to the %s database", m->name,
		   be->name);
out:
	/* Also ends the transaction when another process was first. */
	db_rollback(c);
	free(sql);
	return r < 0 ? r : 0;
}

int db_upgrade(struct db *db)
{
	struct db_conn *c = db_conn(db);
	int have, r;

	if (!c)
		return -EIO;
	/* Outside a transaction first: an up-to-date database costs one
	 * read and takes no lock. */
	r = db_version_read(c, &have);
	if (r < 0)
		return r;
	for (int i = 0; i < db_migrations_count; i++) {
		if (db_migrations[i].version <= have)
			continue;
		r = db_migrate(c, &db_migrations[i]);
		if (r < 0) {
			log_err("could not apply schema migration '%s'",
				db_migrations[i].name);
			return r;
		}
	}
	return 0;
}
