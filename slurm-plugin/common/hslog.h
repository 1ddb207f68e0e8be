/*
 * hslog.h - the logger of the loan manager and the controller hook: stderr
 * with a timestamp, the program's name and the level, and optionally
 * syslog as well.  Messages are lowercase, values quoted, cause after a
 * colon.  Never pass a secret.
 */
#ifndef HIL_SLURM_HSLOG_H
#define HIL_SLURM_HSLOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

/* Name messages after ident; drop those above max_level (LOG_ERR ..
 * LOG_DEBUG); copy them to syslog when use_syslog. */
void hslog_setup(const char *ident, int max_level, bool use_syslog);

void hslog(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define hslog_err(...)	  hslog(LOG_ERR, __VA_ARGS__)
#define hslog_warn(...)	  hslog(LOG_WARNING, __VA_ARGS__)
#define hslog_notice(...) hslog(LOG_NOTICE, __VA_ARGS__)
#define hslog_info(...)	  hslog(LOG_INFO, __VA_ARGS__)
#define hslog_debug(...)  hslog(LOG_DEBUG, __VA_ARGS__)

#endif /* HIL_SLURM_HSLOG_H */
