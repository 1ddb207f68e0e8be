/*
 * console.h - nodes' serial consoles: one BMC console session per node,
 * opened by its first reader and shared by every reader of the node.
 *
 * Each open console has a thread of its own that reads the BMC (the OBM
 * driver's console_read, a long poll) into a ring buffer of recent output
 * and wakes the readers; a reader first gets what the ring holds, from
 * the start of a line, then live output.  A reader that falls more than
 * the ring behind skips what it missed.  When the session ends by itself
 * (the BMC dropped it), it is opened again with a growing pause, and the
 * console ends after CONSOLE_MAX_FAILURES failures in a row.  The last
 * reader leaving closes it after CONSOLE_GRACE_MS.
 *
 * console_end() ends a node's console at once (OBM disabled, node
 * released, DELETE /node/<n>/console): its readers get nothing more.
 * Every CONSOLE_CHECK_MS each open console also checks the node's row,
 * and ends when the node is gone, its OBM disabled or its console
 * generation (nodes.console_gen) raised, which is how the consoles other
 * hild processes opened end too.
 */
#ifndef HIL_CONSOLE_H
#define HIL_CONSOLE_H

#include <jansson.h>
#include <stdint.h>

#include "api/api.h"
#include "hil/plugin.h"

struct db;

#define CONSOLE_RING	    (64 * 1024) /* recent output kept, bytes */
#define CONSOLE_MAX_OPEN    64		/* consoles open at once */
#define CONSOLE_MAX_READERS 8		/* readers of one console */
#define CONSOLE_MAX_RATE    (64 * 1024) /* bytes read per second, at most */
#define CONSOLE_GRACE_MS    10000	/* open after the last reader */
#define CONSOLE_CHECK_MS    1000	/* look at the node's row */
#define CONSOLE_PROBE_MS                                                       \
	5000			 /* have idle readers check their
					  * connection */
#define CONSOLE_READ_MS	     500 /* one console_read, at most */
#define CONSOLE_MAX_FAILURES 5	 /* opens in a row, then it ends */

/* The node whose console a reader asks for. */
struct console_target {
	int64_t node_id;
	const char *label;
	int64_t gen; /* nodes.console_gen as the reader's checks saw it */
	const struct hil_obm_ops *ops;
};

/* Start the supervisor (grace periods, checks of the nodes' rows).
 * open_timeout_ms is the deadline of a console_open.  Returns 0 or a
 * negative errno (logged). */
int console_start(struct db *db, unsigned open_timeout_ms);

/* End every console, join the threads.  Readers still attached get the
 * end of their stream; their objects are freed when the HTTP layer frees
 * them.  Call after the HTTP server is stopped. */
void console_stop(void);

/*
 * Add a reader to the node's console, opening it (on its own thread)
 * when the node has none.  settings are the node's OBM settings (taken,
 * also on failure).  The reader is a deferred reply: it answers 200 with
 * the console stream once the console is open, or the error that kept it
 * from opening (502/504 OBMError).  Returns 0 with it in *ret, or
 * -EUSERS (CONSOLE_MAX_READERS readers already), -EMFILE
 * (CONSOLE_MAX_OPEN consoles open), -ESTALE (the console was ended after
 * the caller's checks), -ESHUTDOWN (hild is stopping), -EAGAIN (no
 * thread), -ENOMEM.
 */
int console_attach(const struct console_target *t, json_t *settings,
		   struct api_defer **ret);

/* End the node's console in this process now: its readers' streams end
 * and the BMC session is closed.  No-op when it has none. */
void console_end(int64_t node_id);

#endif /* HIL_CONSOLE_H */
