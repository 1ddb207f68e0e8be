/* hsconf.c - the hil-slurm.conf keyword table and its parser. */
#include "config.h"

#include "hsconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"

#ifndef HILCONFDIR
#define HILCONFDIR "/etc/hil"
#endif

#define HSCONF_DEFAULT_PATH HILCONFDIR "/hil-slurm.conf"
#define HSCONF_MAX_LINE	    4096
#define HSCONF_MAX_VALUE    1024 /* one value, bytes */
#define HSCONF_MAX_PASSWORD 1024 /* a password file, bytes */
#define HSCONF_MAP_PREFIX   "map."

enum hsconf_type {
	HSCONF_STR,
	HSCONF_UINT,
	HSCONF_LEVEL,
	HSCONF_AUTHKIND,
};

/* How a string value is checked besides its length. */
enum hsconf_check {
	HSCONF_ANY,
	HSCONF_PATH,	 /* absolute path, or empty */
	HSCONF_URL,	 /* http:// or https:// */
	HSCONF_PROJECT,	 /* a HIL project name */
	HSCONF_PREFIX,	 /* a reservation prefix */
	HSCONF_TEMPLATE, /* %u, %U, %% and label characters */
	HSCONF_LABEL,	 /* a HIL label, or empty */
	HSCONF_WORD,	 /* letters, digits, -_. , or empty */
};

struct hsconf_kw {
	const char *name;
	enum hsconf_type type;
	enum hsconf_check check;
	size_t off;
	const char *dflt;
	unsigned min, max; /* HSCONF_UINT */
	bool secret;
	const char *help;
};

/* clang-format off */
#define KS(f, c, d, h) \
	{#f, HSCONF_STR, c, offsetof(struct hsconf, f), d, 0, 0, false, h}
#define KN(f, d, lo, hi, h) \
	{#f, HSCONF_UINT, HSCONF_ANY, offsetof(struct hsconf, f), d, lo, hi, \
	 false, h}
/* clang-format on */

static const struct hsconf_kw hsconf_kws[] = {
	KS(endpoint, HSCONF_URL, "http://127.0.0.1:5000",
	   "hild's URL (http://host:port)"),
	{"auth", HSCONF_AUTHKIND, HSCONF_ANY, offsetof(struct hsconf, auth),
	 "basic", 0, 0, false, "'basic' (user and password) or 'munge'"},
	KS(user, HSCONF_LABEL, "", "HIL admin user for auth = basic"),
	{"password", HSCONF_STR, HSCONF_ANY, offsetof(struct hsconf, password),
	 "", 0, 0, true, "its password (the file must then be private)"},
	KS(password_file, HSCONF_PATH, "",
	   "a private file holding the password instead"),
	KS(munge_socket, HSCONF_PATH, "",
	   "munged's socket for auth = munge (empty: libmunge's default)"),
	KS(slurm_conf, HSCONF_PATH, "",
	   "slurm.conf to use (empty: SLURM's default)"),
	KS(project, HSCONF_PROJECT, "slurm",
	   "the HIL project holding every node SLURM runs"),
	KS(prefix, HSCONF_PREFIX, NAMES_DEFAULT_PREFIX,
	   "prefix of the reservations the loan manager owns"),
	KS(socket, HSCONF_PATH, "/run/hil-slurm/hil-slurm.sock",
	   "where the loan manager listens for the controller hook"),
	KS(hil_user, HSCONF_TEMPLATE, "%u",
	   "HIL user of a SLURM user: %u its name, %U its uid"),
	KS(partition, HSCONF_WORD, "",
	   "job_submit/hil: the partition HIL jobs must use (empty: any)"),
	KS(boot_device, HSCONF_LABEL, "disk",
	   "boot device set before a returned node is powered on (empty: "
	   "none)"),
	KS(pid_file, HSCONF_PATH, "", "pid file of the loan manager"),
	{"log_level", HSCONF_LEVEL, HSCONF_ANY,
	 offsetof(struct hsconf, log_level), "info", 0, 0, false,
	 "error, warning, notice, info or debug"},
	KN(interval, "5", 1, 3600, "seconds between passes"),
	KN(full_scan, "60", 1, 86400,
	   "seconds between passes that read every node from HIL"),
	KN(max_loan, "1440", 1, 525600,
	   "longest loan, minutes (also for jobs without a time limit)"),
	KN(min_loan, "10", 0, 3600,
	   "seconds of loan that must be left to start lending"),
	KN(action_timeout, "60", 1, 3600,
	   "seconds to wait for a networking action or a queued OBM "
	   "operation"),
	KN(boot_timeout, "600", 5, 86400,
	   "seconds for a returned node's slurmd to register before it is "
	   "powered on again"),
	KN(request_timeout, "120", 1, 3600,
	   "seconds one call to hild may take (power calls wait for the BMC)"),
	KN(hook_timeout, "60", 1, 3600,
	   "seconds the hook keeps trying to reach the loan manager"),
	KN(max_requeue, "3", 0, 100,
	   "times the hook lets SLURM requeue a job after transient failures"),
};

#define N_KWS (sizeof(hsconf_kws) / sizeof(hsconf_kws[0]))

static const char *const hsconf_levels[] = {
	[3] = "error", [4] = "warning", [5] = "notice",
	[6] = "info",  [7] = "debug",
};

static const char *const hsconf_auths[] = {
	[HSCONF_AUTH_BASIC] = "basic",
	[HSCONF_AUTH_MUNGE] = "munge",
};

const char *hsconf_level_name(int level)
{
	if (level < 3 || level > 7)
		return "?";
	return hsconf_levels[level];
}

static void hsconf_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hsconf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool hsconf_label_char(char c)
{
	return isalnum((unsigned char)c) || strchr("$_.+!*'(),-", c);
}

static int hsconf_check_value(enum hsconf_check check, const char *v)
{
	switch (check) {
	case HSCONF_ANY:
		return 0;
	case HSCONF_PATH:
		return !*v || v[0] == '/' ? 0 : -EINVAL;
	case HSCONF_URL:
		return strncmp(v, "http://", 7) == 0 ||
				       strncmp(v, "https://", 8) == 0
			       ? 0
			       : -EINVAL;
	case HSCONF_PROJECT:
		return names_project_check(v);
	case HSCONF_PREFIX:
		return names_prefix_check(v);
	case HSCONF_LABEL:
		for (const char *p = v; *p; p++)
			if (!hsconf_label_char(*p))
				return -EINVAL;
		return 0;
	case HSCONF_WORD:
		for (const char *p = v; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
				return -EINVAL;
		return 0;
	case HSCONF_TEMPLATE:
		if (!*v)
			return -EINVAL;
		for (const char *p = v; *p; p++) {
			if (*p == '%') {
				if (p[1] != 'u' && p[1] != 'U' && p[1] != '%')
					return -EINVAL;
				p++;
			} else if (!hsconf_label_char(*p)) {
				return -EINVAL;
			}
		}
		return 0;
	}
	return -EINVAL;
}

/* Set one keyword from its text; err gets why not. */
static int hsconf_set(struct hsconf *c, const struct hsconf_kw *kw,
		      const char *v, char *err, size_t errlen)
{
	char *p = (char *)c + kw->off;
	unsigned long n;
	char *end;

	switch (kw->type) {
	case HSCONF_STR:
		if (hsconf_check_value(kw->check, v) < 0) {
			hsconf_err(err, errlen, "invalid value for '%s'",
				   kw->name);
			return -EINVAL;
		}
		free(*(char **)p);
		*(char **)p = strdup(v);
		return *(char **)p ? 0 : -ENOMEM;
	case HSCONF_UINT:
		errno = 0;
		n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || errno ||
		    n < kw->min || n > kw->max) {
			hsconf_err(err, errlen,
				   "'%s' wants a number from %u to %u, not "
				   "'%s'",
				   kw->name, kw->min, kw->max, v);
			return -EINVAL;
		}
		*(unsigned *)p = (unsigned)n;
		return 0;
	case HSCONF_LEVEL:
		for (int i = 3; i <= 7; i++)
			if (strcasecmp(v, hsconf_levels[i]) == 0) {
				*(int *)p = i;
				return 0;
			}
		hsconf_err(err, errlen, "unknown log level '%s'", v);
		return -EINVAL;
	case HSCONF_AUTHKIND:
		for (size_t i = 0; i < 2; i++)
			if (strcasecmp(v, hsconf_auths[i]) == 0) {
				*(enum hsconf_auth *)p = (enum hsconf_auth)i;
				return 0;
			}
		hsconf_err(err, errlen, "unknown auth '%s' (basic or munge)",
			   v);
		return -EINVAL;
	}
	return -EINVAL;
}

/* "map.<uid> = <user>" */
static int hsconf_add_map(struct hsconf *c, const char *key, const char *v,
			  char *err, size_t errlen)
{
	const char *digits = key + strlen(HSCONF_MAP_PREFIX);
	struct hsconf_map *m;
	unsigned long uid;
	char *end;

	errno = 0;
	uid = strtoul(digits, &end, 10);
	if (!isdigit((unsigned char)*digits) || *end || errno ||
	    uid > NAMES_UID_MAX) {
		hsconf_err(err, errlen, "'%s' does not name a uid", key);
		return -EINVAL;
	}
	if (!*v || hsconf_check_value(HSCONF_LABEL, v) < 0 ||
	    strlen(v) > NAMES_PROJECT_MAX) {
		hsconf_err(err, errlen, "'%s' wants a HIL user name", key);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->n_maps; i++)
		if (c->maps[i].uid == uid) {
			hsconf_err(err, errlen, "uid %lu is mapped twice", uid);
			return -EINVAL;
		}
	if (c->n_maps == HSCONF_MAX_MAPS) {
		hsconf_err(err, errlen, "more than %d map lines",
			   HSCONF_MAX_MAPS);
		return -E2BIG;
	}
	m = realloc(c->maps, (c->n_maps + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	c->maps = m;
	m[c->n_maps].uid = uid;
	m[c->n_maps].user = strdup(v);
	if (!m[c->n_maps].user)
		return -ENOMEM;
	c->n_maps++;
	return 0;
}

static char *hsconf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int hsconf_line(struct hsconf *c, char *line, char *err, size_t errlen)
{
	char *key, *v, *eq;

	key = hsconf_trim(line);
	if (!*key || *key == '#')
		return 0;
	eq = strchr(key, '=');
	if (!eq) {
		hsconf_err(err, errlen, "expected 'key = value'");
		return -EINVAL;
	}
	*eq = '\0';
	v = hsconf_trim(eq + 1);
	key = hsconf_trim(key);
	if (strlen(v) > HSCONF_MAX_VALUE) {
		hsconf_err(err, errlen, "value of '%s' is too long", key);
		return -EINVAL;
	}
	if (strncmp(key, HSCONF_MAP_PREFIX, strlen(HSCONF_MAP_PREFIX)) == 0)
		return hsconf_add_map(c, key, v, err, errlen);
	for (size_t i = 0; i < N_KWS; i++)
		if (strcmp(hsconf_kws[i].name, key) == 0)
			return hsconf_set(c, &hsconf_kws[i], v, err, errlen);
	hsconf_err(err, errlen, "unknown keyword '%.64s'", key);
	return -EINVAL;
}

/* A file holding secrets: a regular file of ours or root's, not readable
 * by group or others. */
static int hsconf_private(int fd, const char *what, const char *path, char *err,
			  size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		hsconf_err(err, errlen, "%s '%s' is not a regular file", what,
			   path);
		return -EINVAL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		hsconf_err(err, errlen, "%s '%s' is owned by uid %u", what,
			   path, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		hsconf_err(err, errlen,
			   "%s '%s' holds a password but group or others may "
			   "read it (chmod 600)",
			   what, path);
		return -EPERM;
	}
	return 0;
}

static int hsconf_read_password(struct hsconf *c, char *err, size_t errlen)
{
	char buf[HSCONF_MAX_PASSWORD + 2];
	ssize_t n;
	size_t got = 0;
	int fd, r;

	fd = open(c->password_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		hsconf_err(err, errlen, "could not open password file '%s': %s",
			   c->password_file, strerror(errno));
		return r;
	}
	r = hsconf_private(fd, "password file", c->password_file, err, errlen);
	if (r < 0)
		goto out;
	while (got < sizeof(buf) - 1) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (got > HSCONF_MAX_PASSWORD) {
		hsconf_err(err, errlen, "password file '%s' is too long",
			   c->password_file);
		r = -E2BIG;
		goto out;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	free(c->password);
	c->password = strdup(buf);
	r = c->password ? 0 : -ENOMEM;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return r;
}

/* Rules between keywords. */
static int hsconf_validate(struct hsconf *c, char *err, size_t errlen)
{
	if (c->auth == HSCONF_AUTH_BASIC && !*c->user) {
		hsconf_err(err, errlen, "auth = basic needs 'user'");
		return -EINVAL;
	}
	if (*c->password && *c->password_file) {
		hsconf_err(err, errlen,
			   "set 'password' or 'password_file', not both");
		return -EINVAL;
	}
	if (!*c->socket) {
		hsconf_err(err, errlen, "'socket' must not be empty");
		return -EINVAL;
	}
	return 0;
}

int hsconf_load(const char *path, struct hsconf **ret_conf, char *err,
		size_t errlen)
{
	char line[HSCONF_MAX_LINE + 2], msg[512] = "";
	struct hsconf *c;
	unsigned lineno = 0;
	FILE *f = NULL;
	int r = -ENOMEM;

	if (!path)
		path = HSCONF_DEFAULT_PATH;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->path = strdup(path);
	if (!c->path)
		goto out;
	for (size_t i = 0; i < N_KWS; i++) {
		r = hsconf_set(c, &hsconf_kws[i], hsconf_kws[i].dflt, msg,
			       sizeof(msg));
		if (r < 0)
			goto out;
	}
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		hsconf_err(err, errlen, "could not open '%s': %s", path,
			   strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			hsconf_err(err, errlen, "%s:%u: line too long", path,
				   lineno);
			r = -EINVAL;
			goto out;
		}
		r = hsconf_line(c, line, msg, sizeof(msg));
		if (r < 0) {
			hsconf_err(err, errlen, "%s:%u: %s", path, lineno, msg);
			goto out;
		}
	}
	if (ferror(f)) {
		r = -EIO;
		hsconf_err(err, errlen, "could not read '%s'", path);
		goto out;
	}
	r = hsconf_validate(c, msg, sizeof(msg));
	if (r < 0) {
		hsconf_err(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	if (*c->password) {
		r = hsconf_private(fileno(f), "configuration file", path, err,
				   errlen);
		if (r < 0)
			goto out;
	}
	if (*c->password_file) {
		r = hsconf_read_password(c, err, errlen);
		if (r < 0)
			goto out;
	}
	*ret_conf = c;
	c = NULL;
	r = 0;
out:
	explicit_bzero(line, sizeof(line));
	if (f)
		fclose(f);
	hsconf_free(c);
	return r;
}

struct hsconf *hsconf_free(struct hsconf *c)
{
	if (!c)
		return NULL;
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	for (size_t i = 0; i < N_KWS; i++)
		if (hsconf_kws[i].type == HSCONF_STR)
			free(*(char **)((char *)c + hsconf_kws[i].off));
	for (size_t i = 0; i < c->n_maps; i++)
		free(c->maps[i].user);
	free(c->maps);
	free(c->path);
	free(c);
	return NULL;
}

void hsconf_print(const struct hsconf *c, FILE *f)
{
	for (size_t i = 0; i < N_KWS; i++) {
		const struct hsconf_kw *kw = &hsconf_kws[i];
		const char *p = (const char *)c + kw->off;

		fprintf(f, "%s = ", kw->name);
		switch (kw->type) {
		case HSCONF_STR:
			if (kw->secret && **(char *const *)p)
				fputs("(set)", f);
			else
				fputs(*(char *const *)p, f);
			break;
		case HSCONF_UINT:
			fprintf(f, "%u", *(const unsigned *)p);
			break;
		case HSCONF_LEVEL:
			fputs(hsconf_level_name(*(const int *)p), f);
			break;
		case HSCONF_AUTHKIND:
			fputs(hsconf_auths[*(const enum hsconf_auth *)p], f);
			break;
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < c->n_maps; i++)
		fprintf(f, HSCONF_MAP_PREFIX "%lu = %s\n", c->maps[i].uid,
			c->maps[i].user);
}

int hsconf_hil_user(const struct hsconf *c, unsigned long uid, const char *user,
		    char *buf, size_t len)
{
	size_t n = 0;
	int w;

	if (!buf || !len)
		return -EINVAL;
	for (size_t i = 0; i < c->n_maps; i++)
		if (c->maps[i].uid == uid) {
			if (strlen(c->maps[i].user) >= len)
				return -ENAMETOOLONG;
			strcpy(buf, c->maps[i].user);
			return 0;
		}
	for (const char *p = c->hil_user; *p; p++) {
		if (*p != '%') {
			w = snprintf(buf + n, len - n, "%c", *p);
		} else {
			p++;
			if (*p == 'u')
				w = snprintf(buf + n, len - n, "%s",
					     user ? user : "");
			else if (*p == 'U')
				w = snprintf(buf + n, len - n, "%lu", uid);
			else
				w = snprintf(buf + n, len - n, "%%");
		}
		if (w < 0 || (size_t)w >= len - n)
			return -ENAMETOOLONG;
		n += (size_t)w;
	}
	if (n == 0 || n > NAMES_PROJECT_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!hsconf_label_char(buf[i]))
			return -EINVAL;
	return 0;
}
