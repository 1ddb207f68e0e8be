/*
 * db_backend.h - what db.c and the two backends (db_sqlite.c, db_pg.c)
 * share.  Not for the rest of hild: everything outside db/ uses db.h.
 *
 * db.c owns the parts both backends have in common: the URI dispatch, one
 * connection per thread, results and the migrations.  A backend opens its
 * connections, runs the named queries and transactions, and maps its
 * errors to -EEXIST / -EAGAIN / -EIO.
 */
#ifndef HIL_DB_BACKEND_H
#define HIL_DB_BACKEND_H

#include "db/db.h"

#include <pthread.h>
#include <stddef.h>

/* Room for an error message from opening a database or a connection. */
#define DB_ERR_MAX 256

/* What failed, for logs: "query 'NAME'" for a named query, "sql" for
 * other statements (what == NULL). */
#define DB_WHAT_FMT "%s%s%s"
#define DB_WHAT(what)                                                          \
	(what) ? "query '" : "sql", (what) ? (what) : "", (what) ? "'" : ""

/* A connection: the first member of each backend's own connection. */
struct db_conn {
	struct db *db;
	struct db_conn *prev, *next; /* db->conns, under db->conns_lock */
};

struct db {
	const struct db_backend *be;
	void *be_data; /* the backend's, from open() */
	pthread_key_t key;
	bool key_ok;
	pthread_mutex_t conns_lock;
	struct db_conn *conns; /* every open connection, for db_free */
};

/* A cell is an offset into the text while a backend fills a result, then a
 * pointer into it (NULL for SQL NULL) once complete. */
union db_cell {
	size_t off;
	const char *s;
};

struct db_res {
	int rows, cols;
	union db_cell *cells; /* rows * cols, row-major */
	/* Frees the result and whatever its cells point into. */
	void (*release)(struct db_res *r);
};

/* Which text of a query a backend runs (db/queries.def: Q rows have one
 * text for all, QD rows one per dialect). */
enum db_dialect {
	DB_DIALECT_SQLITE,
	DB_DIALECT_PG,
	DB_DIALECT__COUNT
};

struct db_backend {
	const char *name;    /* db_backend() */
	const char *id_type; /* what %ID% becomes in the schema files */
	enum db_dialect dialect;
	/* One row, one cell: the number of schema_version tables visible. */
	const char *sql_has_version_table;
	/* Run first in each migration's transaction so that concurrent
	 * upgraders take turns; NULL when the write transaction does. */
	const char *sql_migration_lock;

	/* Set up db->be_data for the backend-specific part of the URI (a
	 * path or the libpq URI).  -errno with a message in err. */
	int (*open)(struct db *db, const char *target, char *err, size_t errsz);
	void (*close)(struct db *db);
	/* A new connection, not yet linked into db->conns. */
	int (*conn_new)(struct db *db, struct db_conn **ret_c, char *err,
			size_t errsz);
	/* Rolls back an open transaction, then closes. */
	void (*conn_free)(struct db_conn *c);

	int (*begin)(struct db_conn *c, bool write);
	int (*commit)(struct db_conn *c);
	void (*rollback)(struct db_conn *c);
	/* db_exec() after db.c's argument checks. */
	int (*exec)(struct db_conn *c, enum db_query q, struct db_res **ret_res,
		    int nparams, const char *const *params);
	/* Unnamed SQL without parameters: several statements when ret_res is
	 * NULL, else one statement whose rows go to *ret_res. */
	int (*exec_sql)(struct db_conn *c, const char *sql,
			struct db_res **ret_res);
	/* Prepare (and on PostgreSQL describe) q without running it. */
	int (*prepare)(struct db_conn *c, enum db_query q);
	/* db_wait_notify(); NULL when the backend has no notifications. */
	int (*wait_notify)(struct db_conn *c, int wake_fd, int timeout_ms);
};

extern const struct db_backend db_backend_sqlite;
extern const struct db_backend db_backend_pg;

/* The text of query q in a dialect (db.c's table); NULL when the dialect
 * has no such statement.  db.c answers db_exec and db_prepare_all for
 * those itself, so a backend is never asked to run one. */
const char *db_query_sql(enum db_query q, enum db_dialect d);

/* db_exec's SQL-free sibling for the migrations and white-box tests: run
 * sql through the connection's backend.  Returns as db_exec does. */
int db_exec_sql(struct db_conn *c, const char *sql, struct db_res **ret_res);

/* The numbered schema files, compiled in (db-schema.c, generated from
 * db/schema/NNNN-*.sql): versions 1..db_migrations_count in order. */
struct db_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct db_migration db_migrations[];
extern const int db_migrations_count;

#endif /* HIL_DB_BACKEND_H */
