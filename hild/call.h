/*
 * call.h (internal) - one call from hild into a switch or OBM driver: the
 * settings of the object it concerns, a deadline, room for the reason it
 * failed, and the shell-free command runner.  The functions below are the
 * ones the host table (plugin.c) lends to plugins; hild's engine makes and
 * frees the calls.
 *
 * A call is used by one thread at a time.
 */
#ifndef HILD_CALL_H
#define HILD_CALL_H

#include <jansson.h>
#include <stddef.h>

#include "hil/plugin.h"

#define CALL_MAX_ERROR 512	     /* error text, bytes with the NUL */
#define CALL_MAX_ARGS  64	     /* argv entries of one command */
#define CALL_MAX_INPUT (1024 * 1024) /* bytes fed to a command's stdin */

/* Milliseconds on CLOCK_MONOTONIC, the clock deadlines are measured on;
 * a deadline 30 s from now is call_clock_ms() + 30000. */
long long call_clock_ms(void);

/*
 * Make a call.  decl is the driver's settings table (may be NULL: then
 * no setting is readable); settings is the object's settings as
 * settings_validate() accepted them, borrowed: it must outlive the call.
 * deadline_ms is on call_clock_ms()'s clock.  Returns 0 with the call in
 * *ret, or -EINVAL, or -ENOMEM.
 */
int call_new(const struct hil_setting *decl, json_t *settings,
	     long long deadline_ms, struct hil_call **ret);

/* Free a call; accepts NULL, returns NULL. */
struct hil_call *call_free(struct hil_call *call);

/* The error text the driver set with set_error, or NULL if it set none.
 * It is valid UTF-8 on one line (see utf8_clean_line()); borrowed from
 * the call. */
const char *call_error(const struct hil_call *call);

/*
 * Host-table entries, with the contracts hil/plugin.h gives them.  A
 * setting is readable only when decl declares it, and only through the
 * accessor of its declared type: the others answer as if it were absent
 * (NULL) or return -EINVAL.
 */
const char *call_setting_str(const struct hil_call *call, const char *key);
int call_setting_int(const struct hil_call *call, const char *key,
		     long long *ret);
int call_setting_bool(const struct hil_call *call, const char *key, int *ret);
long long call_deadline_left_ms(const struct hil_call *call);
void call_set_error(struct hil_call *call, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Run argv[0] (an absolute path) with argv, without a shell, in its own
 * process group, with a minimal environment (PATH and LC_ALL=C), input (may
 * be NULL, at most CALL_MAX_INPUT bytes) on its stdin, its stderr on
 * /dev/null, and at most outlen-1 bytes of its stdout kept in out
 * (NUL-terminated; out may be NULL with outlen 0 to discard it).  At the
 * call's deadline the process group is killed with SIGKILL.  hild must
 * neither ignore SIGCHLD nor reap children it did not start.  Returns the
 * exit status (>= 0; 128 + the signal number when a signal ended it),
 * -ETIMEDOUT, -E2BIG, -EINVAL, or the errno of a failed exec (-ENOENT,
 * -EACCES, ...).
 */
int call_run(struct hil_call *call, const char *const argv[], const char *input,
	     char *out, size_t outlen);

#endif /* HILD_CALL_H */
