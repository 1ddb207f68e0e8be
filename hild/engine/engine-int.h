/*
 * engine-int.h (engine internal) - what the engine's threads (engine.c)
 * share with the OBM operations they apply (obm.c).
 */
#ifndef HIL_ENGINE_INT_H
#define HIL_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

struct db_conn;

#define ENGINE_MAX_BATCH       64   /* operations claimed at once */
#define ENGINE_MAX_SESSION_OPS 1024 /* then a holding is let go */
#define ENGINE_MAX_ATTEMPTS    10   /* claims of one operation, at most */
#define ENGINE_TXN_RETRIES     3    /* runs of a transaction that conflicted */

/* Whether the engine is running (false once engine_stop began). */
bool engine_running(void);

/* Unix time in milliseconds, as operations.created_at has it. */
long long engine_now_ms(void);

/* The deadline of one OBM driver call, ms. */
unsigned engine_obm_timeout_ms(void);

/* Operation op_id's end is committed: call its watches. */
void engine_watch_fire(int64_t op_id);

/* obm.c: serve node id (held by the calling worker): apply its pending
 * OBM operations one at a time until none is left.  Returns 0 or a
 * negative errno (database). */
int engine_obm_serve(struct db_conn *c, const char *node_id);

#endif /* HIL_ENGINE_INT_H */
