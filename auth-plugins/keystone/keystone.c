/*
 * keystone.c - the auth plugin for OpenStack Keystone tokens.
 *
 * A client sends "X-Auth-Token: <token>" with a token Keystone issued it.
 * The plugin asks Keystone whether the token is good (GET /v3/auth/tokens
 * with the token as X-Subject-Token), authenticating itself with a token
 * of its own, the service token, which it gets with the service user's
 * password and renews when it expires or Keystone stops taking it.  As in
 * the original HIL, a HIL project's label is the Keystone project id the
 * token is scoped to, and a token that carries the admin role is an
 * administrator's.
 *
 * Validated tokens are remembered, keyed by their SHA-256 (the tokens
 * themselves are not kept), until the token expires or cache_ttl passes,
 * whichever comes first: a token Keystone revokes stays usable here for
 * at most cache_ttl seconds.  The cache has a fixed number of slots.
 * Options, in hild.conf (plugin.keystone.<key>):
 *
 *	auth_url        Keystone's v3 endpoint, e.g. http://keystone:5000/v3
 *	username        the service user
 *	password        its password, or
 *	password_file   a file holding it (first line), readable by hild only
 *	project_name    the project the service token is scoped to
 *	user_domain     domain id of the service user (default "default")
 *	project_domain  domain id of that project (default "default")
 *	admin_role      the role that makes an administrator (default "admin")
 *	cache_size      validated tokens remembered (default 1024)
 *	cache_ttl       seconds a validation is trusted at most (default 300)
 *	timeout         seconds one call to Keystone may take (default 5)
 *	cafile          CA bundle for an https auth_url
 *
 * Neither passwords nor tokens are ever logged.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include <hil/plugin.h>

#include "client/http.h"
#include "client/keystone-proto.h"
#include "sha256.h"

#define KS_NAME		   "keystone"
#define KS_MAX_TOKEN	   8192 /* bytes of a token we accept */
#define KS_MAX_URL	   2048 /* bytes of auth_url */
#define KS_MAX_SECRET	   1024 /* bytes of the service password */
#define KS_MAX_LABEL	   64	/* a HIL label (user, project) */
#define KS_WAYS		   4	/* cache slots one token may use */
#define KS_DEFAULT_CACHE   1024
#define KS_MAX_CACHE	   (1 << 20)
#define KS_DEFAULT_TTL	   300 /* seconds */
#define KS_MAX_TTL	   86400
#define KS_DEFAULT_TIMEOUT 5 /* seconds */
#define KS_MAX_TIMEOUT	   300
#define KS_RENEW_MARGIN_S  60 /* renew the service token this early, */
#define KS_RENEW_FRACTION  4  /* or at most a quarter of its life */
#define KS_TOKEN_HEADER	   "X-Auth-Token"

struct ks_entry {
	uint8_t key[SHA256_LEN];
	int64_t expires_ms; /* monotonic; 0: free */
	bool admin;
	char user[KS_MAX_LABEL + 1];
	char project[KS_MAX_LABEL + 1]; /* "" when the token has none */
};

static struct {
	/* Options, set by init, read-only afterwards. */
	char url[KS_MAX_URL]; /* ".../v3", no trailing '/' */
	const char *username, *project_name, *user_domain, *project_domain;
	const char *admin_role, *cafile;
	char *password; /* ours, wiped by fini */
	long timeout_ms;
	int64_t ttl_ms;
	size_t nslots; /* a multiple of KS_WAYS */

	pthread_mutex_t cache_lock;
	struct ks_entry *cache;
	/* Logins hold svc_lock, so that one thread gets a new service
	 * token while the others wait for it; the cache stays usable. */
	pthread_mutex_t svc_lock;
	char *service_token;	  /* ours, wiped when replaced */
	int64_t service_renew_ms; /* monotonic: get a new one after this */
	uint64_t service_gen;	  /* bumped whenever the token is replaced */
	atomic_bool down;	  /* the last call to Keystone failed */
	bool http_ready;
} ks = {
	.cache_lock = PTHREAD_MUTEX_INITIALIZER,
	.svc_lock = PTHREAD_MUTEX_INITIALIZER,
};

static const struct hil_host *ks_host;

static int64_t ks_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Options. */

static int ks_long_option(const char *key, long dflt, long min, long max,
			  long *ret)
{
	const char *v = ks_host->option(KS_NAME, key);
	char *end;
	long n;

	if (!v) {
		*ret = dflt;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max) {
		ks_host->log(HIL_LOG_ERR,
			     "auth plugin 'keystone': option '%s' must be a "
			     "number from %ld to %ld, not '%s'",
			     key, min, max, v);
		return -EINVAL;
	}
	*ret = n;
	return 0;
}

static const char *ks_required(const char *key, int *r)
{
	const char *v = ks_host->option(KS_NAME, key);

	if (!v || !*v) {
		ks_host->log(HIL_LOG_ERR,
			     "auth plugin 'keystone': option '%s' is required",
			     key);
		*r = -EINVAL;
		return NULL;
	}
	return v;
}

/* The service password: inline, or the first line of a file that only
 * hild's user may read. */
static int ks_read_password(void)
{
	const char *inline_pw = ks_host->option(KS_NAME, "password");
	const char *path = ks_host->option(KS_NAME, "password_file");
	char buf[KS_MAX_SECRET + 2];
	struct stat st;
	FILE *f = NULL;
	int r = -EINVAL;

	if (!!inline_pw == !!path) {
		ks_host->log(HIL_LOG_ERR,
			     "auth plugin 'keystone': set exactly one of the "
			     "options 'password' and 'password_file'");
		return -EINVAL;
	}
	if (inline_pw) {
		if (strlen(inline_pw) > KS_MAX_SECRET) {
			ks_host->log(
				HIL_LOG_ERR,
				"auth plugin 'keystone': option 'password' "
				"is longer than %d bytes",
				KS_MAX_SECRET);
			return -EINVAL;
		}
		ks.password = strdup(inline_pw);
		return ks.password ? 0 : -ENOMEM;
	}
	f = fopen(path, "re");
	if (!f || fstat(fileno(f), &st) < 0) {
		r = -errno;
		ks_host->log(HIL_LOG_ERR,
			     "auth plugin 'keystone': could not read "
			     "password_file '%s': %s",
			     path, strerror(errno));
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		ks_host->log(HIL_LOG_ERR,
			     "auth plugin 'keystone': password_file '%s' is "
			     "open to group or other (mode %04o)",
			     path, (unsigned)st.st_mode & 07777);
		r = -EPERM;
		goto out;
	}
	if (!fgets(buf, sizeof(buf), f) || !buf[0] || buf[0] == '\n') {
		ks_host->log(HIL_LOG_ERR,
			     "auth plugin 'keystone': password_file '%s' is "
			     "empty",
			     path);
		goto out;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) > KS_MAX_SECRET) {
		ks_host->log(HIL_LOG_ERR,
			     "auth plugin 'keystone': the password in '%s' is "
			     "longer than %d bytes",
			     path, KS_MAX_SECRET);
		goto out;
	}
	ks.password = strdup(buf);
	r = ks.password ? 0 : -ENOMEM;
out:
	explicit_bzero(buf, sizeof(buf));
	if (f)
		fclose(f);
	return r;
}

static int ks_set_url(const char *url)
{
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8))
		goto bad;
	while (n > 0 && url[n - 1] == '/')
		n--;
	/* Keystone's v3 API, named with or without its version. */
	if (n >= 3 && strncmp(url + n - 3, "/v3", 3) == 0)
		n -= 3;
	if (n + sizeof("/v3") > sizeof(ks.url))
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (url[i] <= 0x20 || url[i] > 0x7e || url[i] == '?' ||
		    url[i] == '#')
			goto bad;
	snprintf(ks.url, sizeof(ks.url), "%.*s/v3", (int)n, url);
	return 0;
bad:
	ks_host->log(HIL_LOG_ERR,
		     "auth plugin 'keystone': auth_url '%s' is not an http(s) "
		     "URL without query",
		     url);
	return -EINVAL;
}

static void ks_fini(void)
{
	if (ks.cache)
		explicit_bzero(ks.cache, ks.nslots * sizeof(*ks.cache));
	free(ks.cache);
	ks.cache = NULL;
	http_secret_free(ks.password);
	ks.password = NULL;
	http_secret_free(ks.service_token);
	ks.service_token = NULL;
	if (ks.http_ready)
		http_global_cleanup();
	ks.http_ready = false;
}

static int ks_init(const struct hil_host *host)
{
	long size, ttl, timeout;
	const char *url;
	int r = 0;

	ks_host = host;
	url = ks_required("auth_url", &r);
	ks.username = ks_required("username", &r);
	ks.project_name = ks_required("project_name", &r);
	if (r < 0)
		return r;
	r = ks_set_url(url);
	if (r < 0)
		return r;
	ks.user_domain = host->option(KS_NAME, "user_domain");
	if (!ks.user_domain)
		ks.user_domain = "default";
	ks.project_domain = host->option(KS_NAME, "project_domain");
	if (!ks.project_domain)
		ks.project_domain = "default";
	ks.admin_role = host->option(KS_NAME, "admin_role");
	if (!ks.admin_role)
		ks.admin_role = "admin";
	ks.cafile = host->option(KS_NAME, "cafile");
	if (ks_long_option("cache_size", KS_DEFAULT_CACHE, KS_WAYS,
			   KS_MAX_CACHE, &size) < 0 ||
	    ks_long_option("cache_ttl", KS_DEFAULT_TTL, 0, KS_MAX_TTL, &ttl) <
		    0 ||
	    ks_long_option("timeout", KS_DEFAULT_TIMEOUT, 1, KS_MAX_TIMEOUT,
			   &timeout) < 0)
		return -EINVAL;
	ks.nslots = (size_t)(size + KS_WAYS - 1) / KS_WAYS * KS_WAYS;
	ks.ttl_ms = (int64_t)ttl * 1000;
	ks.timeout_ms = timeout * 1000;
	r = ks_read_password();
	if (r < 0)
		return r;
	r = -ENOMEM;
	ks.cache = calloc(ks.nslots, sizeof(*ks.cache));
	if (!ks.cache)
		goto fail;
	/* Before hild starts its threads. */
	if (http_global_init() < 0)
		goto fail;
	ks.http_ready = true;
	/* Keystone is asked at the first request, not here: hild also runs
	 * this for -t and --upgrade-db. */
	return 0;
fail:
	/* hild calls fini only after a good init: wipe the password now. */
	ks_fini();
	return r;
}

/* HTTP. */

/*
 * One call to Keystone: method on ks.url + path with the given extra
 * header lines (NULL-terminated, secrets) and JSON body (may be NULL).
 * Returns 0 with rep filled (any HTTP status), or -EHOSTDOWN /
 * -ETIMEDOUT / -ENOMEM when no answer came, with the reason in why.
 */
static int ks_http(const char *method, const char *path,
		   const char *const *headers, const char *body,
		   struct http_reply *rep, char *why, size_t whylen)
{
	char url[KS_MAX_URL + 64];
	struct http_request req = {
		.method = method,
		.url = url,
		.headers = headers,
		.body = body,
		.timeout_ms = ks.timeout_ms,
		.connect_timeout_ms = ks.timeout_ms,
		.cafile = ks.cafile,
		.max_body = KSH_MAX_REPLY,
		.keep_header = KSH_SUBJECT,
	};
	int r;

	snprintf(url, sizeof(url), "%s%s", ks.url, path);
	r = http_perform(NULL, &req, rep, why, whylen);
	return r == -ENOMEM || r == -ETIMEDOUT || r >= 0 ? r : -EHOSTDOWN;
}

/* Keystone's times: "2024-05-01T12:34:56.000000Z" (UTC). */
static int ks_parse_time(const char *s, time_t *ret)
{
	struct tm tm = {0};
	int n = 0;

	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ret = timegm(&tm);
	return *ret == (time_t)-1 ? -EINVAL : 0;
}

/* Seconds from now until the token's expires_at; <= 0 when past. */
static int ks_seconds_left(json_t *token, long long *ret)
{
	time_t t;

	if (ks_parse_time(
		    json_string_value(json_object_get(token, "expires_at")),
		    &t) < 0)
		return -EINVAL;
	*ret = (long long)t - (long long)time(NULL);
	return 0;
}

/* Keystone's state changes are logged once each: down, then up again
 * (a Keystone that is down would otherwise log at every request). */
__attribute__((format(printf, 1, 2))) static void ks_down(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (atomic_exchange(&ks.down, true))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ks_host->log(HIL_LOG_ERR, "auth plugin 'keystone': %s", msg);
}

static void ks_up(void)
{
	if (atomic_exchange(&ks.down, false))
		ks_host->log(HIL_LOG_NOTICE,
			     "auth plugin 'keystone': keystone at '%s' answers "
			     "again",
			     ks.url);
}

/* The service token. */

/* A new service token, with the service user's password, and when to
 * renew it. */
static int ks_service_login(char **ret_token, int64_t *ret_renew_ms)
{
	struct http_reply rep;
	json_t *reply = NULL;
	char *body = NULL, why[256] = "";
	long long left = 0;
	int r;

	body = ksh_password_body(ks.username, ks.user_domain, ks.password, NULL,
				 ks.project_name, ks.project_domain);
	if (!body)
		return -ENOMEM;
	r = ks_http("POST", "/auth/tokens?nocatalog", NULL, body, &rep, why,
		    sizeof(why));
	http_secret_free(body);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		ks_down("could not reach keystone at '%s': %s", ks.url, why);
		return r;
	}
	if (rep.status != 201 || !rep.header || !*rep.header) {
		ks_down("keystone at '%s' refused the service credentials of "
			"'%s' (HTTP %ld)",
			ks.url, ks.username, rep.status);
		r = -EHOSTDOWN;
		goto out;
	}
	reply = json_loadb(rep.body ? rep.body : "", rep.len, 0, NULL);
	if (ks_seconds_left(json_object_get(reply, "token"), &left) < 0 ||
	    left <= 0) {
		ks_down("keystone at '%s' gave a service token without a "
			"usable expiry",
			ks.url);
		r = -EHOSTDOWN;
		goto out;
	}
	*ret_token = rep.header;
	rep.header = NULL;
	*ret_renew_ms = ks_now_ms() + left * 1000 -
			(left / KS_RENEW_FRACTION < KS_RENEW_MARGIN_S
				 ? left / KS_RENEW_FRACTION
				 : KS_RENEW_MARGIN_S) *
				1000;
	r = 0;
out:
	json_decref(reply);
	http_reply_clear(&rep);
	return r;
}

/*
 * A copy of the service token (the caller wipes and frees it), renewed
 * first when it is about to expire or when stale_gen names the one
 * Keystone just refused.
 */
static int ks_service_token(uint64_t stale_gen, bool renew, char **ret_token,
			    uint64_t *ret_gen)
{
	char *fresh = NULL, *copy = NULL;
	int64_t renew_ms = 0;
	int r = 0;

	pthread_mutex_lock(&ks.svc_lock);
	if (!ks.service_token || ks.service_renew_ms <= ks_now_ms() ||
	    (renew && ks.service_gen == stale_gen)) {
		r = ks_service_login(&fresh, &renew_ms);
		if (r == 0) {
			http_secret_free(ks.service_token);
			ks.service_token = fresh;
			ks.service_renew_ms = renew_ms;
			ks.service_gen++;
		}
	}
	if (r == 0) {
		copy = strdup(ks.service_token);
		r = copy ? 0 : -ENOMEM;
		*ret_gen = ks.service_gen;
	}
	pthread_mutex_unlock(&ks.svc_lock);
	if (r == 0)
		*ret_token = copy;
	return r;
}

/* The cache. */

static struct ks_entry *ks_set(const uint8_t key[SHA256_LEN])
{
	uint32_t h;

	memcpy(&h, key, sizeof(h));
	return &ks.cache[(h % (ks.nslots / KS_WAYS)) * KS_WAYS];
}

static bool ks_cache_get(const uint8_t key[SHA256_LEN], struct ks_entry *ret)
{
	struct ks_entry *set = ks_set(key);
	int64_t now = ks_now_ms();
	bool hit = false;

	pthread_mutex_lock(&ks.cache_lock);
	for (int i = 0; i < KS_WAYS && !hit; i++)
		if (set[i].expires_ms > now &&
		    memcmp(set[i].key, key, SHA256_LEN) == 0) {
			*ret = set[i];
			hit = true;
		}
	pthread_mutex_unlock(&ks.cache_lock);
	return hit;
}

/* Into the free slot of its set, or over the one that expires first. */
static void ks_cache_put(const struct ks_entry *e)
{
	struct ks_entry *set = ks_set(e->key), *victim = &set[0];
	int64_t now = ks_now_ms();

	pthread_mutex_lock(&ks.cache_lock);
	for (int i = 0; i < KS_WAYS; i++) {
		if (set[i].expires_ms <= now ||
		    memcmp(set[i].key, e->key, SHA256_LEN) == 0) {
			victim = &set[i];
			break;
		}
		if (set[i].expires_ms < victim->expires_ms)
			victim = &set[i];
	}
	*victim = *e;
	pthread_mutex_unlock(&ks.cache_lock);
}

/* Validation. */

static bool ks_token_valid(const char *t)
{
	size_t n = 0;

	for (; t[n]; n++)
		if (n == KS_MAX_TOKEN || t[n] <= 0x20 || t[n] > 0x7e)
			return false;
	return n > 0;
}

/* The identity in a validated token (GET /v3/auth/tokens' answer). */
static int ks_identity(const struct http_reply *rep, struct ks_entry *e)
{
	json_t *reply, *token, *user, *roles, *role;
	const char *name, *id, *project;
	long long left = 0;
	size_t i;
	int r = -EACCES;

	reply = json_loadb(rep->body ? rep->body : "", rep->len, 0, NULL);
	token = json_object_get(reply, "token");
	user = json_object_get(token, "user");
	name = json_string_value(json_object_get(user, "name"));
	id = json_string_value(json_object_get(user, "id"));
	if (!json_is_object(token) || !id ||
	    ks_seconds_left(token, &left) < 0) {
		ks_down("keystone at '%s' validated a token with an "
			"answer that is not a token",
			ks.url);
		r = -EHOSTDOWN;
		goto out;
	}
	if (left <= 0) {
		ks_host->log(HIL_LOG_NOTICE,
			     "auth plugin 'keystone': refused an expired "
			     "token");
		goto out;
	}
	/* A HIL label is at most KS_MAX_LABEL bytes; Keystone's names may
	 * be longer, its ids are not. */
	if (name && strlen(name) <= KS_MAX_LABEL)
		strcpy(e->user, name);
	else if (strlen(id) <= KS_MAX_LABEL)
		strcpy(e->user, id);
	else
		goto out;
	project = json_string_value(
		json_object_get(json_object_get(token, "project"), "id"));
	if (project && strlen(project) > KS_MAX_LABEL) {
		ks_host->log(HIL_LOG_NOTICE,
			     "auth plugin 'keystone': refused a token of '%s': "
			     "its project id is longer than %d bytes",
			     e->user, KS_MAX_LABEL);
		goto out;
	}
	e->project[0] = '\0';
	if (project)
		strcpy(e->project, project);
	e->admin = false;
	roles = json_object_get(token, "roles");
	json_array_foreach(roles, i, role)
	{
		const char *rn =
			json_string_value(json_object_get(role, "name"));

		if (rn && strcmp(rn, ks.admin_role) == 0)
			e->admin = true;
	}
	if (!e->admin && !e->project[0]) {
		ks_host->log(HIL_LOG_NOTICE,
			     "auth plugin 'keystone': refused a token of '%s': "
			     "scoped to no project and without role '%s'",
			     e->user, ks.admin_role);
		goto out;
	}
	e->expires_ms = ks_now_ms() +
			(left * 1000 < ks.ttl_ms ? left * 1000 : ks.ttl_ms);
	r = 0;
out:
	json_decref(reply);
	return r;
}

/* Ask Keystone about token; on success e holds the identity. */
static int ks_validate(const char *token, struct ks_entry *e)
{
	char *svc = NULL, *auth_line = NULL, *subject_line = NULL;
	char why[256] = "";
	struct http_reply rep = {0};
	uint64_t gen = 0;
	int r;

	if (asprintf(&subject_line, KSH_SUBJECT ": %s", token) < 0)
		return -ENOMEM;
	for (int attempt = 0; attempt < 2; attempt++) {
		const char *headers[3];

		r = ks_service_token(gen, attempt > 0, &svc, &gen);
		if (r < 0)
			goto out;
		if (asprintf(&auth_line, KS_TOKEN_HEADER ": %s", svc) < 0) {
			r = -ENOMEM;
			goto out;
		}
		headers[0] = auth_line;
		headers[1] = subject_line;
		headers[2] = NULL;
		http_reply_clear(&rep);
		r = ks_http("GET", "/auth/tokens?nocatalog", headers, NULL,
			    &rep, why, sizeof(why));
		http_secret_free(auth_line);
		auth_line = NULL;
		http_secret_free(svc);
		svc = NULL;
		if (r < 0) {
			if (r != -ENOMEM)
				ks_down("could not reach keystone at '%s': %s",
					ks.url, why);
			goto out;
		}
		/* 401: our service token is no longer good; renew it once. */
		if (rep.status != 401)
			break;
	}
	switch (rep.status) {
	case 200:
		ks_up();
		r = ks_identity(&rep, e);
		break;
	case 404:
		/* Keystone's answer for a bad, expired or revoked token. */
		ks_up();
		ks_host->log(HIL_LOG_NOTICE,
			     "auth plugin 'keystone': refused a token keystone "
			     "does not accept (invalid, expired or revoked)");
		r = -EACCES;
		break;
	case 401:
	case 403:
		ks_down("keystone at '%s' does not let '%s' validate tokens "
			"(HTTP %ld)",
			ks.url, ks.username, rep.status);
		r = -EHOSTDOWN;
		break;
	default:
		ks_down("keystone at '%s' answered HTTP %ld to a token "
			"validation",
			ks.url, rep.status);
		r = -EHOSTDOWN;
		break;
	}
out:
	http_reply_clear(&rep);
	http_secret_free(auth_line);
	http_secret_free(svc);
	http_secret_free(subject_line);
	return r;
}

static int ks_authenticate(const struct hil_host *host,
			   struct hil_auth_request *req)
{
	const char *token = host->auth_header(req, KS_TOKEN_HEADER);
	struct ks_entry e = {0};
	struct sha256 s;
	int r;

	if (!token)
		return 0;
	if (!ks_token_valid(token)) {
		host->log(HIL_LOG_NOTICE,
			  "auth plugin 'keystone': refused a malformed token");
		return -EINVAL;
	}
	sha256_init(&s);
	sha256_update(&s, token, strlen(token));
	sha256_final(&s, e.key);
	if (!ks_cache_get(e.key, &e)) {
		r = ks_validate(token, &e);
		if (r < 0)
			return r;
		ks_cache_put(&e);
	}
	r = host->auth_set_user(req, e.user);
	if (r == 0)
		r = host->auth_set_admin(req, e.admin);
	if (r == 0 && e.project[0])
		r = host->auth_add_project(req, e.project);
	return r < 0 ? r : 1;
}

static const struct hil_auth_ops ks_ops = {
	.size = sizeof(struct hil_auth_ops),
	.authenticate = ks_authenticate,
	.challenge = "Keystone",
	.flags = 0,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_AUTH,
	.name = KS_NAME,
	.description = "OpenStack Keystone tokens (X-Auth-Token)",
	.init = ks_init,
	.fini = ks_fini,
	.auth_ops = &ks_ops,
};
