/*
 * db.h - hild's database, one interface over two backends.
 *
 * SQLite (embedded default) and PostgreSQL (libpq) answer the same named
 * queries: every statement hild runs is a row of db/queries.def, written in
 * the SQL both backends accept, with parameters $1..$N (or, for the few
 * that cannot be, once per backend).  No SQL lives outside db/.  Parameters and results travel as text (NULL for SQL NULL);
 * integers are decimal, booleans "0"/"1".
 *
 * A struct db is shared by all threads.  Each thread gets its own
 * connection from db_conn() and uses it for one request at a time; a
 * connection is never used by two threads.
 */
#ifndef HIL_DB_H
#define HIL_DB_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct db_conn;
struct db_res;

enum db_query {
#define Q(name, sql)		     Q_##name,
#define QD(name, sqlite_sql, pg_sql) Q_##name,
#include "db/queries.def"
#undef QD
#undef Q
	Q__COUNT
};

/* Name of a query, for logs and tests. */
const char *db_query_name(enum db_query q);

/* Whether db's backend has statement q: false for a QD row of
 * queries.def that has no text in the backend's dialect (PostgreSQL's
 * advisory locks and notifications have none on SQLite). */
bool db_supports(const struct db *db, enum db_query q);

/*
 * Open the database a URI names: "sqlite:///abs/path.db",
 * "sqlite://relative.db" or a libpq URI "postgresql://..." /
 * "postgres://...".  For SQLite, takes an exclusive lock on "<path>.lock"
 * so that one hild serves one file (-EBUSY when another holds it).  Does
 * not check the schema.  Returns 0 or a negative errno; on error
 * *ret_err (if not NULL) points at a static or db-owned message.
 */
int db_open(const char *uri, struct db **ret_db, const char **ret_err);
struct db *db_free(struct db *db);

/* "sqlite" or "postgresql". */
const char *db_backend(const struct db *db);

/* The schema version the database has (0 = not initialised) and the one
 * this hild expects. */
int db_schema_version(struct db *db, int *ret_have, int *ret_want);
/* Apply every numbered migration the database lacks, in one transaction
 * each.  Returns 0 or a negative errno. */
int db_upgrade(struct db *db);

/* The calling thread's connection, opened on first use.  NULL on error
 * (logged).  Released by db_free. */
struct db_conn *db_conn(struct db *db);

/* Transactions.  db_begin(write=true) takes the write lock at once
 * (SQLite BEGIN IMMEDIATE) so that checks and changes see one state.
 * db_rollback accepts a connection with no open transaction. */
int db_begin(struct db_conn *c, bool write);
int db_commit(struct db_conn *c);
void db_rollback(struct db_conn *c);

/*
 * Run query q with nparams text parameters.  When ret_res is not NULL the
 * rows are returned in *ret_res (free with db_res_free).  Returns the
 * number of rows changed (INSERT/UPDATE/DELETE) or returned (SELECT, and
 * RETURNING), or:
 *   -EEXIST      a unique constraint was violated
 *   -EAGAIN      serialization failure / database busy past the timeout
 *   -EOPNOTSUPP  the backend has no such statement (db_supports), not
 *                logged: the caller decides what that means
 *   -EIO         anything else (logged with the database's message)
 */
int db_exec(struct db_conn *c, enum db_query q, struct db_res **ret_res,
	    int nparams, const char *const *params);

#define DB_NARGS(...)                                                          \
	((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))
/* db_q(c, Q_X, &res, "a", id) - db_exec with the parameters inline. */
#define db_q(c, q, ret_res, ...)                                               \
	db_exec((c), (q), (ret_res), DB_NARGS(__VA_ARGS__),                    \
		(const char *const[]){__VA_ARGS__})
/* db_q0(c, Q_X, &res) - a query without parameters. */
#define db_q0(c, q, ret_res) db_exec((c), (q), (ret_res), 0, NULL)

/* Prepare every query of the table on c without running any; each one
 * that fails is logged with its name.  For the tests, which prove that all
 * of queries.def is valid on both backends.  Returns 0 or -EIO. */
int db_prepare_all(struct db_conn *c);

/*
 * Wait for a notification on c, a connection that ran a LISTEN statement
 * (PostgreSQL), for at most timeout_ms (< 0: no limit) or until wake_fd
 * (-1: none) is readable; wake_fd is not read.  Every notification that
 * arrived is consumed.  Returns 1 when at least one arrived, 0 on timeout
 * or wake_fd, -EOPNOTSUPP when the backend has no notifications, -EIO when
 * the connection is lost (logged; the next statement on c reconnects, and
 * the caller listens again).
 */
int db_wait_notify(struct db_conn *c, int wake_fd, int timeout_ms);

int db_res_rows(const struct db_res *r);
int db_res_cols(const struct db_res *r);
/* Borrowed text of one cell, valid until db_res_free; NULL for SQL NULL. */
const char *db_res_get(const struct db_res *r, int row, int col);
/* A cell as an integer (0 for NULL); booleans read as 0/1. */
int64_t db_res_int(const struct db_res *r, int row, int col);
struct db_res *db_res_free(struct db_res *r);

#endif /* HIL_DB_H */
