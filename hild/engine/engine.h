/*
 * engine.h - the operation engine: applies queued switch operations from
 * the database's operations table.
 *
 * An API call that changes a switch writes its operation row (PENDING) in
 * the same transaction as the state it describes, calls engine_notify()
 * on that transaction and, after the commit, engine_kick().  Workers take
 * every pending operation of one switch at a time (in id order), apply
 * them in one driver session, record each result (DONE or ERROR with the
 * driver's text) in one transaction together with the attachments it
 * changes, and save the switch configuration once per session.  Switches
 * are served in parallel, one worker per switch; on PostgreSQL the
 * workers of several hild processes share the queue (an advisory lock per
 * switch, rows claimed with FOR UPDATE SKIP LOCKED, LISTEN/NOTIFY
 * wake-ups).  After a crash, pending operations are simply still pending
 * and are applied again: drivers apply changes idempotently.
 *
 * Every driver call has a deadline.  A call past it marks its operation
 * ERROR ("switch did not answer within N s"), and the rest of that
 * session's operations with it, so a hung switch holds a worker for about
 * one deadline, never longer, and other switches go on meanwhile.
 */
#ifndef HIL_ENGINE_H
#define HIL_ENGINE_H

struct db;
struct db_conn;

#define ENGINE_MAX_WORKERS 256 /* engine_opts.workers */

struct engine_opts {
	unsigned workers;	  /* worker threads, 1..ENGINE_MAX_WORKERS */
	unsigned call_timeout_ms; /* deadline of one driver call, > 0 */
};

/* Start the workers (and, on PostgreSQL, the thread that listens for
 * other processes' operations); they apply what is pending at once.  Call
 * after plugins are initialised and the schema is checked, before serving.
 * Returns 0 or a negative errno (logged): -EINVAL for bad options,
 * -EALREADY when running. */
int engine_start(struct db *db, const struct engine_opts *opts);

/* Stop the threads, letting a driver call in progress finish or time out;
 * operations not yet applied stay pending for the next start.  Call before
 * the database is freed.  Safe to call when the engine never started. */
void engine_stop(void);

/* Inside the transaction that queued operations, before its commit: on
 * PostgreSQL, have every hild process's engine woken when it commits.
 * Returns 0 (also on SQLite, where there is nothing to do) or the
 * database's negative errno. */
int engine_notify(struct db_conn *c);

/* New operations were committed: wake a worker now.  Cheap, callable
 * from any thread, a no-op when the engine is not running. */
void engine_kick(void);

#endif /* HIL_ENGINE_H */
