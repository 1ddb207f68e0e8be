/* conf.c - the keyword table and its parser. */
#include "config.h"

#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define CONF_MAX_LINE 4096
#define CONF_MAX_OPTS 256

enum conf_type {
	CONF_STR,
	CONF_UINT,
	CONF_BOOL,
	CONF_LIST,
	CONF_LEVEL,
};

struct conf_kw {
	const char *name;
	enum conf_type type;
	size_t off;
	size_t count_off; /* CONF_LIST: where the count lives */
	const char *dflt;
	unsigned min, max; /* CONF_UINT */
	const char *help;
};

/* clang-format off */
#define KW(n, t, f, d, m, h) \
	{n, t, offsetof(struct conf, f), 0, d, 0, m, h}
#define KWN(n, f, d, lo, hi, h) \
	{n, CONF_UINT, offsetof(struct conf, f), 0, d, lo, hi, h}
#define KWL(n, f, d, h) \
	{n, CONF_LIST, offsetof(struct conf, f), \
	 offsetof(struct conf, n_##f), d, 0, 0, h}
/* clang-format on */

static const struct conf_kw conf_kws[] = {
	KW("listen", CONF_STR, listen, "127.0.0.1", 0,
	   "address to serve the API on"),
	KW("port", CONF_UINT, port, "5000", 65535, "TCP port of the API"),
	KW("database", CONF_STR, database, "sqlite://" HILSTATEDIR "/hil.db", 0,
	   "sqlite:///path or postgresql://user:pw@host:port/db"),
	KW("auth", CONF_STR, auth, "local", 0,
	   "'local' (HTTP Basic users) or an auth plugin's name"),
	KW("require_authentication", CONF_BOOL, require_authentication, "yes",
	   0, "refuse anonymous callers"),
	KW("allow_insecure_auth", CONF_BOOL, allow_insecure_auth, "no", 0,
	   "allow the 'null' auth plugin (everyone is admin)"),
	KW("plugin_dir", CONF_STR, plugin_dir, PLUGINDIR, 0,
	   "where plugins live: <dir>/<kind>/<name>.so"),
	KWL("switch_drivers", switch_drivers, "", "switch plugins to load"),
	KWL("obm_drivers", obm_drivers, "", "OBM plugins to load"),
	KW("log_level", CONF_LEVEL, log_level, "info", 0,
	   "error, warning, notice, info or debug"),
	KW("threads", CONF_UINT, threads, "0", 1024,
	   "HTTP worker threads; 0 = one per core"),
	KW("pid_file", CONF_STR, pid_file, HILRUNDIR "/hild.pid", 0,
	   "written when daemonized"),
	KW("vlans", CONF_STR, vlans, "", 0,
	   "VLAN pool for allocated network ids, e.g. 100-200, 300"),
	KWN("engine_workers", engine_workers, "4", 1, 256,
	    "threads applying switch operations"),
	KWN("switch_timeout", switch_timeout, "30", 1, 3600,
	    "seconds a switch driver call may take"),
	KW("verify_switches", CONF_BOOL, verify_switches, "yes", 0,
	   "at start, read each switch's ports back and repair what differs"),
	KWN("max_pending_actions", max_pending_actions, "10000", 1, 1000000,
	    "networking actions pending at once; past it more are refused"),
	KWN("obm_workers", obm_workers, "8", 1, 256,
	    "threads applying OBM operations (power, boot device)"),
	KWN("obm_timeout", obm_timeout, "15", 1, 600,
	    "seconds an OBM driver call (a BMC) may take"),
	KW("release_power", CONF_STR, release_power, "off", 0,
	   "a node leaving its project is powered 'off', or 'keep' as is"),
	KW("release_bootdev", CONF_STR, release_bootdev, "keep", 0,
	   "boot device a node leaving its project is set to, or 'keep'"),
};

#define N_KWS (sizeof(conf_kws) / sizeof(conf_kws[0]))

static char *conf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int conf_bool(const char *v, bool *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int conf_set(struct conf *c, const struct conf_kw *kw, const char *v,
		    char *err, size_t errlen)
{
	void *field = (char *)c + kw->off;
	char *copy, *tok, *save = NULL, *end;
	unsigned long n;
	size_t *count;
	int lvl;

	switch (kw->type) {
	case CONF_STR:
		copy = strdup(v);
		if (!copy)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case CONF_UINT:
		errno = 0;
		n = strtoul(v, &end, 10);
		if (!*v || *end || errno || n < kw->min || n > kw->max ||
		    v[0] == '-') {
			snprintf(err, errlen, "'%s' wants a number %u..%u",
				 kw->name, kw->min, kw->max);
			return -EINVAL;
		}
		*(unsigned *)field = (unsigned)n;
		return 0;
	case CONF_BOOL:
		if (conf_bool(v, (bool *)field) < 0) {
			snprintf(err, errlen, "'%s' wants yes or no", kw->name);
			return -EINVAL;
		}
		return 0;
	case CONF_LEVEL:
		lvl = log_level_parse(v);
		if (lvl < 0) {
			snprintf(err, errlen, "unknown log level '%s'", v);
			return -EINVAL;
		}
		*(int *)field = lvl;
		return 0;
	case CONF_LIST:
		count = (size_t *)((char *)c + kw->count_off);
		for (size_t i = 0; i < *count; i++)
			free(((char **)field)[i]);
		*count = 0;
		copy = strdup(v);
		if (!copy)
			return -ENOMEM;
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			tok = conf_trim(tok);
			if (!*tok)
				continue;
			if (*count == CONF_MAX_LIST) {
				free(copy);
				snprintf(err, errlen,
					 "'%s' has more than %d "
					 "entries",
					 kw->name, CONF_MAX_LIST);
				return -E2BIG;
			}
			tok = strdup(tok);
			if (!tok) {
				free(copy);
				return -ENOMEM;
			}
			((char **)field)[(*count)++] = tok;
		}
		free(copy);
		return 0;
	}
	return -EINVAL;
}

static int conf_add_opt(struct conf *c, const char *key, const char *v,
			char *err, size_t errlen)
{
	const char *dot = strchr(key + 7, '.');
	struct conf_opt *o;

	if (!dot || dot == key + 7 || !dot[1]) {
		snprintf(err, errlen, "'%s' is not plugin.<name>.<key>", key);
		return -EINVAL;
	}
	if (c->nopts == CONF_MAX_OPTS) {
		snprintf(err, errlen, "more than %d plugin options",
			 CONF_MAX_OPTS);
		return -E2BIG;
	}
	o = realloc(c->opts, (c->nopts + 1) * sizeof(*o));
	if (!o)
		return -ENOMEM;
	c->opts = o;
	o = &c->opts[c->nopts++];
	o->plugin = strndup(key + 7, (size_t)(dot - key - 7));
	o->key = strdup(dot + 1);
	o->value = strdup(v);
	return o->plugin && o->key && o->value ? 0 : -ENOMEM;
}

static int conf_defaults(struct conf *c)
{
	char err[128];

	for (size_t i = 0; i < N_KWS; i++)
		if (conf_set(c, &conf_kws[i], conf_kws[i].dflt, err,
			     sizeof(err)) < 0)
			return -EINVAL;
	return 0;
}

static int conf_check_file(FILE *f, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fileno(f), &st) < 0)
		return -errno;
	/* Whoever owns it can rewrite it, plugin_dir and database included. */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "'%s' is owned by uid %u, neither root nor the user "
			 "hild runs as",
			 path, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH | S_IROTH)) {
		snprintf(err, errlen,
			 "'%s' is readable by others or writable by group "
			 "or others (mode %04o); it may hold secrets, use "
			 "chmod 640",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int conf_load(const char *path, struct conf **ret, char *err, size_t errlen)
{
	char line[CONF_MAX_LINE], msg[256];
	struct conf *c = NULL;
	unsigned lineno = 0;
	FILE *f = NULL;
	int r = -ENOMEM;

	c = calloc(1, sizeof(*c));
	if (!c || conf_defaults(c) < 0)
		goto out;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "could not open '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	r = conf_check_file(f, path, err, errlen);
	if (r < 0)
		goto out;
	while (fgets(line, sizeof(line), f)) {
		char *k, *v, *eq;
		size_t i;

		lineno++;
		r = -EINVAL;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path,
				 lineno);
			goto out;
		}
		k = conf_trim(line);
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen,
				 "%s:%u: expected 'keyword = "
				 "value'",
				 path, lineno);
			goto out;
		}
		*eq = '\0';
		k = conf_trim(k);
		v = conf_trim(eq + 1);
		msg[0] = '\0';
		if (strncmp(k, "plugin.", 7) == 0) {
			r = conf_add_opt(c, k, v, msg, sizeof(msg));
		} else {
			for (i = 0; i < N_KWS; i++)
				if (strcmp(conf_kws[i].name, k) == 0)
					break;
			if (i == N_KWS) {
				snprintf(err, errlen,
					 "%s:%u: unknown keyword '%s'", path,
					 lineno, k);
				goto out;
			}
			r = conf_set(c, &conf_kws[i], v, msg, sizeof(msg));
		}
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
				 msg[0] ? msg : strerror(-r));
			goto out;
		}
	}
	*ret = c;
	c = NULL;
	r = 0;
out:
	if (f)
		fclose(f);
	conf_free(c);
	return r;
}

struct conf *conf_free(struct conf *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < N_KWS; i++) {
		void *field = (char *)c + conf_kws[i].off;

		if (conf_kws[i].type == CONF_STR) {
			free(*(char **)field);
		} else if (conf_kws[i].type == CONF_LIST) {
			size_t n =
				*(size_t *)((char *)c + conf_kws[i].count_off);

			for (size_t j = 0; j < n; j++)
				free(((char **)field)[j]);
		}
	}
	for (size_t i = 0; i < c->nopts; i++) {
		free(c->opts[i].plugin);
		free(c->opts[i].key);
		free(c->opts[i].value);
	}
	free(c->opts);
	free(c);
	return NULL;
}

/* Plugin options whose names say they hold a secret are masked. */
static bool conf_secret_key(const char *key)
{
	static const char *const words[] = {"password", "secret", "token",
					    "key"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(key, words[i]))
			return true;
	return false;
}

/* A libpq URI with its password, in the user info or as a "password="
 * parameter, replaced by "****". */
static void conf_print_uri(FILE *f, const char *uri)
{
	const char *scheme = strstr(uri, "://"), *p = uri, *at, *colon, *q;

	if (scheme && (at = strchr(scheme + 3, '@')) &&
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3)))) {
		fprintf(f, "%.*s****", (int)(colon + 1 - uri), uri);
		p = at;
	}
	for (q = strchr(p, '?'); q; q = strchr(q + 1, '&')) {
		if (strncmp(q + 1, "password=", 9) != 0)
			continue;
		fprintf(f, "%.*s****", (int)(q + 10 - p), p);
		p = q + 10 + strcspn(q + 10, "&");
		q = p - 1;
	}
	fputs(p, f);
}

void conf_print(const struct conf *c, FILE *f)
{
	for (size_t i = 0; i < N_KWS; i++) {
		const struct conf_kw *kw = &conf_kws[i];
		const void *field = (const char *)c + kw->off;

		fprintf(f, "%s = ", kw->name);
		switch (kw->type) {
		case CONF_STR:
			if (strcmp(kw->name, "database") == 0)
				conf_print_uri(f, *(char *const *)field);
			else
				fputs(*(char *const *)field, f);
			break;
		case CONF_UINT:
			fprintf(f, "%u", *(const unsigned *)field);
			break;
		case CONF_BOOL:
			fputs(*(const bool *)field ? "yes" : "no", f);
			break;
		case CONF_LEVEL:
			fputs(log_level_name(*(const int *)field), f);
			break;
		case CONF_LIST: {
			size_t n = *(const size_t *)((const char *)c +
						     kw->count_off);

			for (size_t j = 0; j < n; j++)
				fprintf(f, "%s%s", j ? ", " : "",
					((char *const *)field)[j]);
			break;
		}
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < c->nopts; i++)
		fprintf(f, "plugin.%s.%s = %s\n", c->opts[i].plugin,
			c->opts[i].key,
			conf_secret_key(c->opts[i].key) ? "****"
							: c->opts[i].value);
}

const char *conf_plugin_option(const struct conf *c, const char *plugin,
			       const char *key)
{
	for (size_t i = c->nopts; i-- > 0;)
		if (strcmp(c->opts[i].plugin, plugin) == 0 &&
		    strcmp(c->opts[i].key, key) == 0)
			return c->opts[i].value;
	return NULL;
}
