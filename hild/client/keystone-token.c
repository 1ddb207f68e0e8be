/*
 * keystone-token.c - get a Keystone token with a password, for clients
 * of a hild that authenticates with the keystone plugin.
 *
 * It speaks Keystone's protocol, not HIL's, so it keeps its own libcurl
 * handle instead of going through hilclient.c.  Passwords and tokens are
 * wiped from memory this file owns once used.
 */
#include "config.h"

#include "hilclient.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KT_MAX_REPLY	(1 << 20) /* bytes of Keystone's answer */
#define KT_MAX_URL	2048
#define KT_MAX_TOKEN	8192
#define KT_SUBJECT	"X-Subject-Token"
#define KT_ERR_KEYSTONE "KeystoneError"

struct kt_reply {
	char *body;
	size_t len;
	bool too_big;
	char *token;
};

static void kt_secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

__attribute__((format(printf, 4, 5))) static int
kt_error(struct hil_error *err, long status, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return r;
	err->status = status;
	snprintf(err->type, sizeof(err->type), "%s",
		 r == -ECONNREFUSED || r == -ETIMEDOUT || r == -EIO
			 ? HIL_ERR_CONNECTION
			 : KT_ERR_KEYSTONE);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return r;
}

static size_t kt_write(char *p, size_t size, size_t n, void *arg)
{
	struct kt_reply *rep = arg;
	size_t add = size * n;
	char *b;

	if (rep->len + add > KT_MAX_REPLY) {
		rep->too_big = true;
		return 0;
	}
	b = realloc(rep->body, rep->len + add + 1);
	if (!b)
		return 0;
	memcpy(b + rep->len, p, add);
	rep->len += add;
	b[rep->len] = '\0';
	rep->body = b;
	return add;
}

static size_t kt_header(char *p, size_t size, size_t n, void *arg)
{
	struct kt_reply *rep = arg;
	size_t len = size * n, name = strlen(KT_SUBJECT);
	const char *v, *end = p + len;

	if (len > name + 1 && strncasecmp(p, KT_SUBJECT, name) == 0 &&
	    p[name] == ':') {
		for (v = p + name + 1; v < end && (*v == ' ' || *v == '\t');
		     v++)
			;
		while (end > v &&
		       (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		kt_secret_free(rep->token);
		rep->token = strndup(v, (size_t)(end - v));
	}
	return len;
}

/* The request body; NULL when out of memory. */
static char *kt_body(const struct hil_keystone_auth *a)
{
	const char *ud = a->user_domain_id && *a->user_domain_id
				 ? a->user_domain_id
				 : "default";
	const char *pd = a->project_domain_id && *a->project_domain_id
				 ? a->project_domain_id
				 : "default";
	json_t *req, *scope = NULL;
	char *body;

	if (a->project_id && *a->project_id)
		scope = json_pack("{s:{s:s}}", "project", "id", a->project_id);
	else if (a->project_name && *a->project_name)
		scope = json_pack("{s:{s:s, s:{s:s}}}", "project", "name",
				  a->project_name, "domain", "id", pd);
	req = json_pack("{s:{s:{s:[s], s:{s:{s:s, s:{s:s}, s:s}}}}}", "auth",
			"identity", "methods", "password", "password", "user",
			"name", a->username, "domain", "id", ud, "password",
			a->password);
	if (req && scope &&
	    json_object_set_new(json_object_get(req, "auth"), "scope", scope) ==
		    0)
		scope = NULL;
	body = req && !scope ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(scope);
	json_decref(req);
	return body;
}

int hil_keystone_token(const struct hil_keystone_auth *a, char **ret_token,
		       struct hil_error *err)
{
	char url[KT_MAX_URL], errbuf[CURL_ERROR_SIZE] = "", *body = NULL;
	struct curl_slist *list = NULL, *l;
	struct kt_reply rep = {0};
	CURLcode rc = CURLE_OK;
	CURL *h = NULL;
	long status = 0;
	size_t n;
	int r;

	if (!a || !ret_token || !a->auth_url || !a->username || !a->password)
		return kt_error(err, 0, -EINVAL,
				"OS_AUTH_URL, OS_USERNAME and OS_PASSWORD "
				"are needed to get a Keystone token");
	n = strlen(a->auth_url);
	while (n > 0 && a->auth_url[n - 1] == '/')
		n--;
	if (n >= 3 && strncmp(a->auth_url + n - 3, "/v3", 3) == 0)
		n -= 3;
	if ((strncmp(a->auth_url, "http://", 7) != 0 &&
	     strncmp(a->auth_url, "https://", 8) != 0) ||
	    n + 32 > sizeof(url) || strpbrk(a->auth_url, "?# \t\r\n"))
		return kt_error(err, 0, -EINVAL,
				"OS_AUTH_URL must be an http or https URL "
				"without query");
	snprintf(url, sizeof(url), "%.*s/v3/auth/tokens?nocatalog", (int)n,
		 a->auth_url);
	body = kt_body(a);
	r = -ENOMEM;
	if (!body)
		goto nomem;
	h = curl_easy_init();
	if (!h)
		goto nomem;
	l = curl_slist_append(NULL, "Content-Type: application/json");
	if (!l)
		goto nomem;
	list = l;
	l = curl_slist_append(list, "Accept: application/json");
	if (!l)
		goto nomem;
	list = l;
#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(h, opt, val);                    \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS,
	    a->timeout_ms > 0 ? a->timeout_ms : HIL_CLIENT_DEFAULT_TIMEOUT);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)HIL_CLIENT_CONNECT_TIMEOUT);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTPHEADER, list);
	SET(CURLOPT_POSTFIELDS, body);
	SET(CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	SET(CURLOPT_WRITEFUNCTION, kt_write);
	SET(CURLOPT_WRITEDATA, &rep);
	SET(CURLOPT_HEADERFUNCTION, kt_header);
	SET(CURLOPT_HEADERDATA, &rep);
#undef SET
	if (rc != CURLE_OK)
		goto nomem;
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		r = rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
		    : rc == CURLE_COULDNT_CONNECT  ? -ECONNREFUSED
						   : -EIO;
		kt_error(err, 0, r, "could not reach Keystone at '%.*s': %s",
			 (int)n, a->auth_url,
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401 || status == 403) {
		r = kt_error(err, status, -EACCES,
			     "Keystone refused the credentials of '%s' "
			     "(HTTP %ld)",
			     a->username, status);
		goto out;
	}
	if (status != 201 || !rep.token || !*rep.token ||
	    strlen(rep.token) > KT_MAX_TOKEN) {
		r = kt_error(err, status, -EPROTO,
			     "Keystone answered HTTP %ld without a token",
			     status);
		goto out;
	}
	*ret_token = rep.token;
	rep.token = NULL;
	r = 0;
	goto out;
nomem:
	kt_error(err, 0, -ENOMEM, "out of memory");
out:
	kt_secret_free(body);
	kt_secret_free(rep.token);
	free(rep.body);
	curl_slist_free_all(list);
	if (h)
		curl_easy_cleanup(h);
	return r;
}
