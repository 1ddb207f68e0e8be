/*
 * db_pg.c - the PostgreSQL backend, the only file that includes libpq-fe.h.
 *
 * One libpq connection per thread; each named query is prepared once per
 * connection ("q<N>") on first use, then runs in one round trip with text
 * parameters.  A connection lost outside a transaction is reopened on its
 * next use; inside one, the caller sees -EIO and rolls back.
 */
#include "config.h"

#include "db/db_backend.h"
#include "log.h"

#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds to wait for the server, unless the URI says otherwise. */
#define PG_CONNECT_TIMEOUT "10"
/* Room for a prepared statement's name, "q<N>". */
#define PG_NAME_MAX 16
/* The advisory lock upgraders take turns on ("HILd" in ASCII). */
#define PG_MIGRATION_LOCK "1212763236"

struct pg_db {
	char *uri;
};

struct pg_conn {
	struct db_conn base;
	PGconn *pg;
	bool in_txn;
	bool prepared[Q__COUNT];
};

struct pg_res {
	struct db_res base;
	PGresult *pg;
	union db_cell cells[];
};

/* SQLSTATEs that are answers rather than failures. */
static const struct {
	const char *state;
	int err;
} pg_errors[] = {
	{"23505", -EEXIST}, /* unique_violation */
	{"40001", -EAGAIN}, /* serialization_failure */
	{"40P01", -EAGAIN}, /* deadlock_detected */
	{"55P03", -EAGAIN}, /* lock_not_available */
};

static long long pg_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct pg_conn *pg_conn_of(struct db_conn *c)
{
	return (struct pg_conn *)c;
}

/* Map a failed result of query what (NULL: other SQL; res NULL: the
 * connection failed); log what the caller does not expect. */
static int pg_error(struct pg_conn *pc, const PGresult *res, const char *what)
{
	const char *state = NULL, *msg = NULL;
	int len;

	if (res) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	for (size_t i = 0;
	     state && i < sizeof(pg_errors) / sizeof(pg_errors[0]); i++) {
		if (strcmp(state, pg_errors[i].state) == 0) {
			log_debug(DB_WHAT_FMT " on postgresql: sqlstate %s",
				  DB_WHAT(what), state);
			return pg_errors[i].err;
		}
	}
	/* Data exceptions (class 22) quote the offending value, which may be
	 * a secret; the DETAIL field, never logged, quotes whole rows. */
	if (state && strncmp(state, "22", 2) == 0)
		msg = "a parameter has an invalid value";
	if (!msg)
		msg = PQerrorMessage(pc->pg);
	len = (int)strcspn(msg, "\n");
	log_err(DB_WHAT_FMT " failed on postgresql: %.*s%s%s%s", DB_WHAT(what),
		len, msg, state ? " (sqlstate " : "", state ? state : "",
		state ? ")" : "");
	return -EIO;
}

static void pg_res_release(struct db_res *r)
{
	struct pg_res *res = (struct pg_res *)r;

	PQclear(res->pg);
	free(res);
}

/* Wrap res: the cells point into libpq's own copy of the rows. */
static int pg_res_wrap(PGresult *pg, struct db_res **ret_res)
{
	int rows = PQntuples(pg), cols = PQnfields(pg);
	size_t n = (size_t)rows * (size_t)cols;
	struct pg_res *res;

	if (n > (SIZE_MAX - sizeof(*res)) / sizeof(union db_cell))
		return -ENOMEM;
	res = malloc(sizeof(*res) + n * sizeof(union db_cell));
	if (!res)
		return -ENOMEM;
	res->pg = pg;
	res->base.rows = rows;
	res->base.cols = cols;
	res->base.cells = res->cells;
	res->base.release = pg_res_release;
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++)
			res->cells[(size_t)i * (size_t)cols + (size_t)j].s =
				PQgetisnull(pg, i, j) ? NULL
						      : PQgetvalue(pg, i, j);
	*ret_res = &res->base;
	return 0;
}

/* Turn res (which this takes) into db_exec's return value and rows. */
static int pg_result(struct pg_conn *pc, PGresult *res, const char *what,
		     struct db_res **ret_res)
{
	long n;
	int r;

	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		n = PQntuples(res);
		break;
	case PGRES_COMMAND_OK:
		/* "" for commands that count no rows. */
		n = strtol(PQcmdTuples(res), NULL, 10);
		break;
	default:
		r = pg_error(pc, res, what);
		PQclear(res);
		return r;
	}
	if (n > INT_MAX)
		n = INT_MAX;
	if (!ret_res) {
		PQclear(res);
		return (int)n;
	}
	r = pg_res_wrap(res, ret_res);
	if (r < 0) {
		log_err(DB_WHAT_FMT " failed on postgresql: %s", DB_WHAT(what),
			strerror(-r));
		PQclear(res);
		return -EIO;
	}
	return (int)n;
}

/* Reopen a connection the server or network dropped, unless a transaction
 * died with it. */
static int pg_ready(struct pg_conn *pc)
{
	if (PQstatus(pc->pg) == CONNECTION_OK)
		return 0;
	if (pc->in_txn) {
		log_err("postgresql connection lost inside a transaction");
		return -EIO;
	}
	PQreset(pc->pg);
	if (PQstatus(pc->pg) != CONNECTION_OK) {
		log_err("could not reconnect to postgresql: %.*s",
			(int)strcspn(PQerrorMessage(pc->pg), "\n"),
			PQerrorMessage(pc->pg));
		return -EIO;
	}
	/* A new session: the prepared statements went with the old one. */
	memset(pc->prepared, 0, sizeof(pc->prepared));
	log_notice("reconnected to postgresql");
	return 0;
}

/* Get q ready to run on pc: the connection up, the statement prepared
 * (once per session), its name in name. */
static int pg_statement(struct pg_conn *pc, enum db_query q,
			char name[PG_NAME_MAX])
{
	int r;

	r = pg_ready(pc);
	if (r < 0)
		return r;
	snprintf(name, PG_NAME_MAX, "q%d", (int)q);
	if (pc->prepared[q])
		return 0;
	/* No parameter types: the server infers them from the SQL. */
	r = pg_result(pc,
		      PQprepare(pc->pg, name, db_query_sql(q, DB_DIALECT_PG), 0,
				NULL),
		      db_query_name(q), NULL);
	if (r < 0)
		return r;
	pc->prepared[q] = true;
	return 0;
}

static int pg_exec(struct db_conn *c, enum db_query q, struct db_res **ret_res,
		   int nparams, const char *const *params)
{
	struct pg_conn *pc = pg_conn_of(c);
	char name[PG_NAME_MAX];
	int r;

	r = pg_statement(pc, q, name);
	if (r < 0)
		return r;
	return pg_result(
		pc,
		PQexecPrepared(pc->pg, name, nparams, params, NULL, NULL, 0),
		db_query_name(q), ret_res);
}

static int pg_exec_sql(struct db_conn *c, const char *sql,
		       struct db_res **ret_res)
{
	struct pg_conn *pc = pg_conn_of(c);
	int r;

	r = pg_ready(pc);
	if (r < 0)
		return r;
	/* Several statements run at once; the last one's result comes. */
	return pg_result(pc, PQexec(pc->pg, sql), NULL, ret_res);
}

static int pg_prepare(struct db_conn *c, enum db_query q)
{
	struct pg_conn *pc = pg_conn_of(c);
	char name[PG_NAME_MAX];
	int r;

	r = pg_statement(pc, q, name);
	if (r < 0)
		return r;
	r = pg_result(pc, PQdescribePrepared(pc->pg, name), db_query_name(q),
		      NULL);
	return r < 0 ? r : 0;
}

/* Consume what the server sent; 1 when it held a notification. */
static int pg_notifies(struct pg_conn *pc)
{
	PGnotify *n;
	int got = 0;

	if (!PQconsumeInput(pc->pg)) {
		log_err("postgresql notification connection failed: %.*s",
			(int)strcspn(PQerrorMessage(pc->pg), "\n"),
			PQerrorMessage(pc->pg));
		return -EIO;
	}
	/* The payload is not used: a notification only says "look". */
	while ((n = PQnotifies(pc->pg))) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

static int pg_wait_notify(struct db_conn *c, int wake_fd, int timeout_ms)
{
	struct pg_conn *pc = pg_conn_of(c);
	long long end = timeout_ms < 0 ? 0 : pg_clock_ms() + timeout_ms;
	struct pollfd pfd[2];
	int nfd, r, wait;

	if (PQstatus(pc->pg) != CONNECTION_OK || PQsocket(pc->pg) < 0) {
		log_err("postgresql notification connection is lost");
		return -EIO;
	}
	for (;;) {
		r = pg_notifies(pc);
		if (r != 0)
			return r;
		wait = -1;
		if (timeout_ms >= 0) {
			long long left = end - pg_clock_ms();

			if (left <= 0)
				return 0;
			wait = left > INT_MAX ? INT_MAX : (int)left;
		}
		nfd = 0;
		pfd[nfd++] = (struct pollfd){.fd = PQsocket(pc->pg),
					     .events = POLLIN};
		if (wake_fd >= 0)
			pfd[nfd++] = (struct pollfd){.fd = wake_fd,
						     .events = POLLIN};
		r = poll(pfd, (nfds_t)nfd, wait);
		if (r < 0 && errno != EINTR) {
			log_err("could not wait for postgresql: %s",
				strerror(errno));
			return -EIO;
		}
		if (nfd > 1 && pfd[1].revents)
			return 0;
		/* Socket readable (or a signal): consume and look again. */
	}
}

static int pg_begin(struct db_conn *c, bool write)
{
	struct pg_conn *pc = pg_conn_of(c);
	int r;

	r = pg_ready(pc);
	if (r < 0)
		return r;
	if (pc->in_txn || PQtransactionStatus(pc->pg) != PQTRANS_IDLE) {
		log_err("postgresql transaction begun inside another");
		return -EINVAL;
	}
	/* Writers rely on row locks and constraints, not on isolation. */
	r = pg_result(pc,
		      PQexec(pc->pg, "BEGIN ISOLATION LEVEL READ COMMITTED"),
		      NULL, NULL);
	if (r < 0)
		return r;
	pc->in_txn = true;
	return 0;
}

static int pg_commit(struct db_conn *c)
{
	struct pg_conn *pc = pg_conn_of(c);
	PGresult *res;
	int r;

	/* Whatever COMMIT answers, the transaction is over. */
	pc->in_txn = false;
	res = PQexec(pc->pg, "COMMIT");
	if (PQresultStatus(res) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		PQclear(res);
		log_err("commit of a failed transaction rolled it back");
		return -EIO;
	}
	r = pg_result(pc, res, NULL, NULL);
	return r < 0 ? r : 0;
}

static void pg_rollback(struct db_conn *c)
{
	struct pg_conn *pc = pg_conn_of(c);

	pc->in_txn = false;
	if (PQstatus(pc->pg) != CONNECTION_OK ||
	    PQtransactionStatus(pc->pg) == PQTRANS_IDLE)
		return;
	PQclear(PQexec(pc->pg, "ROLLBACK"));
}

/* Server notices (e.g. "... already exists, skipping") are not errors. */
static void pg_notice(void *arg, const char *msg)
{
	log_debug("postgresql: %.*s", (int)strcspn(msg, "\n"), msg);
}

static void pg_conn_free(struct db_conn *c)
{
	struct pg_conn *pc = pg_conn_of(c);

	if (!pc)
		return;
	/* The server rolls back whatever was open. */
	PQfinish(pc->pg);
	free(pc);
}

static int pg_conn_new(struct db *db, struct db_conn **ret_c, char *err,
		       size_t errsz)
{
	struct pg_db *pd = db->be_data;
	/* Keywords before dbname are defaults the URI may override. */
	const char *const keys[] = {"connect_timeout", "client_encoding",
				    "fallback_application_name", "dbname",
				    NULL};
	const char *const values[] = {PG_CONNECT_TIMEOUT, "UTF8", "hild",
				      pd->uri, NULL};
	struct pg_conn *pc;
	int r = -ENOMEM;

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		goto out;
	pc->base.db = db;
	pc->pg = PQconnectdbParams(keys, values, 1);
	if (!pc->pg)
		goto out;
	if (PQstatus(pc->pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(pc->pg);

		/* libpq's message names host and user, not the password. */
		snprintf(err, errsz, "%.*s", (int)strcspn(msg, "\n"), msg);
		r = -EIO;
		goto out;
	}
	PQsetNoticeProcessor(pc->pg, pg_notice, NULL);
	*ret_c = &pc->base;
	pc = NULL;
	r = 0;
out:
	pg_conn_free(pc ? &pc->base : NULL);
	return r;
}

static void pg_close(struct db *db)
{
	struct pg_db *pd = db->be_data;

	if (!pd)
		return;
	if (pd->uri) {
		/* It may hold a password. */
		explicit_bzero(pd->uri, strlen(pd->uri));
		free(pd->uri);
	}
	free(pd);
	db->be_data = NULL;
}

static int pg_open(struct db *db, const char *uri, char *err, size_t errsz)
{
	struct pg_db *pd;
	char *msg = NULL;
	PQconninfoOption *opts;

	/* Check the syntax here, where the message can say so; libpq's own
	 * message would quote the URI, password and all. */
	opts = PQconninfoParse(uri, &msg);
	if (!opts) {
		PQfreemem(msg);
		snprintf(err, errsz, "postgresql uri is not valid");
		return -EINVAL;
	}
	PQconninfoFree(opts);
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return -ENOMEM;
	db->be_data = pd;
	pd->uri = strdup(uri);
	return pd->uri ? 0 : -ENOMEM;
}

const struct db_backend db_backend_pg = {
	.name = "postgresql",
	.dialect = DB_DIALECT_PG,
	.id_type = "BIGSERIAL PRIMARY KEY",
	/* A scan of the catalog, not to_regclass(): that may answer from a
	 * cache that has not yet seen another upgrader's commit. */
	.sql_has_version_table =
		"SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = "
		"current_schema() AND tablename = 'schema_version'",
	.sql_migration_lock =
		"SELECT pg_advisory_xact_lock(" PG_MIGRATION_LOCK ")",
	.open = pg_open,
	.close = pg_close,
	.conn_new = pg_conn_new,
	.conn_free = pg_conn_free,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.exec_sql = pg_exec_sql,
	.prepare = pg_prepare,
	.wait_notify = pg_wait_notify,
};
