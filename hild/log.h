/*
 * log.h - hild's one logger: stderr (foreground) or syslog (daemon).
 *
 * Messages are lowercase, without a final period, values quoted, cause
 * after a colon: "could not open switch 'sw0': connection refused".
 * Never pass a secret to these functions.
 */
#ifndef HIL_LOG_H
#define HIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

/* Send messages to syslog (true) or stderr (false); drop those above
 * max_level (LOG_ERR .. LOG_DEBUG). */
void log_setup(bool use_syslog, int max_level);
/* Parse "debug", "info", "notice", "warning", "error"; -EINVAL if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(int level);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* HIL_LOG_H */
