/* daemon.h - detaching, the pid file, and waiting for a stop signal. */
#ifndef HIL_DAEMON_H
#define HIL_DAEMON_H

#include <stdbool.h>

/* Detach from the terminal (double fork, setsid, stdin and stdout to
 * /dev/null).  Returns 0 in the daemon, a negative errno on failure.  The
 * process that called it waits until the daemon calls daemon_ready() and
 * exits with its status, or with 1 when the daemon dies first, so that
 * startup errors reach the terminal and the exit status. */
int daemon_detach(void);
/* Tell the waiting parent that startup succeeded (ok) or failed, and
 * send stderr to /dev/null.  A no-op when not detached. */
void daemon_ready(bool ok);

/* Write our pid to path, refusing when a live hild holds it.  Returns 0
 * or a negative errno (logged). */
int daemon_pid_write(const char *path);
void daemon_pid_remove(const char *path);

/* Block SIGTERM, SIGINT and SIGHUP in every thread created from now on;
 * call before starting threads.  Ignores SIGPIPE. */
int daemon_signals_block(void);
/* Wait for SIGTERM or SIGINT (SIGHUP is logged and ignored for now);
 * returns the signal number. */
int daemon_signals_wait(void);

#endif /* HIL_DAEMON_H */
