/* hslog.c - stderr (and syslog) logging for hil-slurm and its hook. */
#include "hslog.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define HSLOG_MAX_MSG 2048

static const char *hslog_ident = "hil-slurm";
static int hslog_max = LOG_INFO;
static bool hslog_syslog;

static const char *const hslog_names[] = {
	[LOG_EMERG] = "emerg",	   [LOG_ALERT] = "alert",
	[LOG_CRIT] = "crit",	   [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",	   [LOG_DEBUG] = "debug",
};

void hslog_setup(const char *ident, int max_level, bool use_syslog)
{
	hslog_ident = ident;
	hslog_max = max_level;
	hslog_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void hslog(int level, const char *fmt, ...)
{
	char msg[HSLOG_MAX_MSG], stamp[32];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (level > hslog_max || level < 0 || level > LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line per message, whatever a value held. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s: %s: %s\n", stamp,
		(long)(tv.tv_usec / 1000), hslog_ident, hslog_names[level],
		msg);
	fflush(stderr);
	if (hslog_syslog)
		syslog(level, "%s", msg);
}
