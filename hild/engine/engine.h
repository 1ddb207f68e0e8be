/*
 * engine.h - the operation engine: applies queued operations from the
 * database's operations table, switch operations and OBM operations.
 *
 * An API call that changes a switch or a node's power or boot device
 * writes its operation row (PENDING) in the same transaction as the state
 * it describes, calls engine_notify() on that transaction and, after the
 * commit, engine_kick().
 *
 * Switch operations: workers take every pending operation of one switch
 * at a time (in id order), apply them in one driver session, record each
 * result (DONE or ERROR with the driver's text) in one transaction
 * together with the attachments it changes, and save the switch
 * configuration once per session.  Switches are served in parallel, one
 * worker per switch.
 *
 * OBM operations (power on/off/cycle/reset, power status, boot device)
 * name a node.  Their own workers take the pending operations of one node
 * at a time and apply them one by one, in id order, so a BMC sees one
 * operation at a time; nodes are served in parallel.  A hung BMC holds
 * one OBM worker for one deadline per operation, and never a switch
 * worker.  An HTTP request that waits for the result of its operation
 * registers a watch (engine_watch_add) and is told when it is recorded.
 *
 * On PostgreSQL the workers of several hild processes share the queue (an
 * advisory lock per switch and per node, rows claimed with FOR UPDATE SKIP
 * LOCKED, LISTEN/NOTIFY wake-ups).  After a crash, pending operations are
 * simply still pending and are applied again: drivers apply changes
 * idempotently (a power cycle claimed before a crash may cycle twice).
 *
 * Every driver call has a deadline.  A switch call past it marks its
 * operation ERROR ("switch did not answer within N s"), and the rest of
 * that session's operations with it, so a hung switch holds a worker for
 * about one deadline, never longer, and other switches go on meanwhile.
 * An OBM call past it marks its operation ERROR with the outcome unknown.
 */
#ifndef HIL_ENGINE_H
#define HIL_ENGINE_H

struct db;
struct db_conn;

#include <stdbool.h>
#include <stdint.h>

#define ENGINE_MAX_WORKERS 256 /* engine_opts.workers, .obm_workers */

struct engine_opts {
	unsigned workers;	  /* switch worker threads, 1..MAX_WORKERS */
	unsigned call_timeout_ms; /* deadline of one switch driver call */
	unsigned obm_workers;	  /* OBM worker threads, 1..MAX_WORKERS */
	unsigned obm_timeout_ms;  /* deadline of one OBM driver call */
	bool verify_switches;	  /* check each switch once (verify.c) */
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

/*
 * Watch operation op_id (operations.id): fn(arg) is called, from an
 * engine thread, when this process records the operation's end, when
 * deadline_ms (call_clock_ms() time) passes, and, on PostgreSQL, where
 * another hild process may apply it, on each notification from another
 * process and every ENGINE_WATCH_POLL_MS in case one was lost.  fn only
 * hints that the caller should look at the operation's row again; it
 * must return quickly, must not block, and must not call the
 * engine_watch functions.  Returns 0 with the watch in *ret, -ENOTCONN
 * when the engine is not running, -ENOMEM.
 */
#define ENGINE_WATCH_POLL_MS 1000
struct engine_watch;
int engine_watch_add(int64_t op_id, long long deadline_ms,
		     void (*fn)(void *arg), void *arg,
		     struct engine_watch **ret);
/* Stop watching: once it returns, fn is neither running nor called
 * again.  Accepts NULL, returns NULL. */
struct engine_watch *engine_watch_free(struct engine_watch *w);

#endif /* HIL_ENGINE_H */
