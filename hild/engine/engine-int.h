/*
 * engine-int.h (engine internal) - what the engine's threads (engine.c)
 * share with the OBM operations they apply (obm.c) and the switch check
 * (verify.c).
 */
#ifndef HIL_ENGINE_INT_H
#define HIL_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "plugin.h"

struct db_conn;
struct json_t;

#define ENGINE_MAX_BATCH       64    /* operations claimed at once */
#define ENGINE_MAX_SESSION_OPS 1024  /* then a holding is let go */
#define ENGINE_MAX_ATTEMPTS    10    /* claims of one operation, at most */
#define ENGINE_TXN_RETRIES     3     /* runs of a transaction that conflicted */
#define ENGINE_VERIFY_RETRY_MS 15000 /* a switch check that failed: again */

/* Whether the engine is running (false once engine_stop began). */
bool engine_running(void);

/* Unix time in milliseconds, as operations.created_at has it. */
long long engine_now_ms(void);

/* The deadline of one OBM driver call, ms. */
unsigned engine_obm_timeout_ms(void);

/* Operation op_id's end is committed: call its watches. */
void engine_watch_fire(int64_t op_id);

/* The switch a worker serves, and its driver session. */
struct engine_switch {
	struct db_conn *c;
	const char *id, *label; /* borrowed from the worker's rows */
	const struct hil_switch_ops *ops;
	struct json_t *settings; /* jansson's json_t */
	void *session;
	bool opened;
	/* Why every further operation of this holding fails without a
	 * driver call ("" while the switch works): a session that could not
	 * be opened, or a call past its deadline (timed_out). */
	char broken[CALL_MAX_ERROR];
	bool timed_out;
	unsigned done, failed, applied;
	/* Operations of this batch that wait for the driver's
	 * session_commit (NULL in ops: changes apply at once). */
	unsigned held;
};

/* A new call to the switch's driver with the engine's deadline; NULL
 * when out of memory. */
struct hil_call *engine_switch_call(const struct engine_switch *s);

/* Open the driver session on first use.  0, or a negative errno with the
 * reason in s->broken (logged). */
int engine_session_open(struct engine_switch *s);

/* The text an operation records for driver result r, written to buf.
 * -ETIMEDOUT (a hung switch, and an outcome nobody knows) breaks the
 * session: every further operation of this holding fails with that text,
 * and the switch is checked again (verify.c) once it answers. */
void engine_switch_failed(struct engine_switch *s, const struct hil_call *call,
			  int r, const char *what, char *buf, size_t len);

/* Close the session, dropping what a driver with session_commit still
 * holds queued; the next operation opens a new one. */
void engine_session_drop(struct engine_switch *s);

/* verify.c: the switch check, once per switch in this process, before
 * its first operations, and again after a change whose outcome is
 * unknown (when verify_switches is on).  engine_verify_start lists every
 * switch (on engine_start), engine_verify_again lists switch id again,
 * due in delay_ms, engine_verify_pending copies up to max ids due now,
 * engine_verify_due says whether switch id is due and forgets it,
 * engine_verify checks the switch a worker holds (and lists it again
 * when it could not finish).  engine_verify_stop forgets the list. */
int engine_verify_start(struct db_conn *c);
void engine_verify_again(const char *id, long long delay_ms);
size_t engine_verify_pending(int64_t *ids, size_t max);
bool engine_verify_due(const char *id);
int engine_verify(struct engine_switch *s);
void engine_verify_stop(void);

/* obm.c: serve node id (held by the calling worker): apply its pending
 * OBM operations one at a time until none is left.  Returns 0 or a
 * negative errno (database). */
int engine_obm_serve(struct db_conn *c, const char *node_id);

#endif /* HIL_ENGINE_INT_H */
