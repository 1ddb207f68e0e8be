/*
 * keystone-http.c - one HTTP exchange with Keystone (see keystone-http.h).
 */
#include "config.h"

#include "keystone-http.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ksh_state {
	struct ksh_reply *rep;
	bool too_big;
};

int ksh_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void ksh_global_cleanup(void)
{
	curl_global_cleanup();
}

void ksh_secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void ksh_reply_clear(struct ksh_reply *rep)
{
	free(rep->body);
	ksh_secret_free(rep->subject);
	memset(rep, 0, sizeof(*rep));
}

static size_t ksh_write(char *p, size_t size, size_t n, void *arg)
{
	struct ksh_state *st = arg;
	struct ksh_reply *rep = st->rep;
	size_t add = size * n;
	char *b;

	if (rep->len + add > KSH_MAX_REPLY) {
		st->too_big = true;
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

static size_t ksh_header(char *p, size_t size, size_t n, void *arg)
{
	struct ksh_reply *rep = ((struct ksh_state *)arg)->rep;
	size_t len = size * n, name = strlen(KSH_SUBJECT);
	const char *v, *end = p + len;

	if (len > name + 1 && strncasecmp(p, KSH_SUBJECT, name) == 0 &&
	    p[name] == ':') {
		for (v = p + name + 1; v < end && (*v == ' ' || *v == '\t');
		     v++)
			;
		while (end > v &&
		       (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		ksh_secret_free(rep->subject);
		rep->subject = strndup(v, (size_t)(end - v));
	}
	return len;
}

/* The header list: req's lines, then Accept and Content-Type. */
static struct curl_slist *ksh_headers(const struct ksh_request *req)
{
	struct curl_slist *list = NULL, *l;
	const char *fixed[] = {"Accept: application/json",
			       req->body ? "Content-Type: application/json"
					 : NULL};

	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		if (!(l = curl_slist_append(list, req->headers[i])))
			goto fail;
		list = l;
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (!fixed[i])
			continue;
		if (!(l = curl_slist_append(list, fixed[i])))
			goto fail;
		list = l;
	}
	return list;
fail:
	curl_slist_free_all(list);
	return NULL;
}

int ksh_exchange(const struct ksh_request *req, struct ksh_reply *rep,
		 char *why, size_t whylen)
{
	struct ksh_state st = {.rep = rep};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *list = NULL;
	CURLcode rc = CURLE_OK;
	CURL *h;
	int r = -ENOMEM;

	memset(rep, 0, sizeof(*rep));
	h = curl_easy_init();
	if (!h || !(list = ksh_headers(req)))
		goto out;
#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(h, opt, val);                    \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, req->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTPHEADER, list);
	SET(CURLOPT_WRITEFUNCTION, ksh_write);
	SET(CURLOPT_WRITEDATA, &st);
	SET(CURLOPT_HEADERFUNCTION, ksh_header);
	SET(CURLOPT_HEADERDATA, &st);
	if (req->cafile)
		SET(CURLOPT_CAINFO, req->cafile);
	if (req->body) {
		SET(CURLOPT_POSTFIELDS, req->body);
		SET(CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
	}
	SET(CURLOPT_CUSTOMREQUEST, req->method);
#undef SET
	if (rc != CURLE_OK)
		goto out;
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
		r = 0;
	} else if (st.too_big) {
		snprintf(why, whylen, "answer larger than %d bytes",
			 KSH_MAX_REPLY);
		r = -EMSGSIZE;
	} else if (rc != CURLE_WRITE_ERROR) { /* that one: no memory */
		snprintf(why, whylen, "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		r = rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
		    : rc == CURLE_COULDNT_CONNECT  ? -ECONNREFUSED
						   : -EIO;
	}
out:
	if (r < 0)
		ksh_reply_clear(rep);
	if (r == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	curl_slist_free_all(list);
	if (h)
		curl_easy_cleanup(h);
	return r;
}

char *ksh_password_body(const char *user, const char *user_domain,
			const char *password, const char *project_id,
			const char *project_name, const char *project_domain)
{
	json_t *req, *scope = NULL;
	char *body;

	if (project_id && *project_id)
		scope = json_pack("{s:{s:s}}", "project", "id", project_id);
	else if (project_name && *project_name)
		scope = json_pack("{s:{s:s, s:{s:s}}}", "project", "name",
				  project_name, "domain", "id", project_domain);
	req = json_pack("{s:{s:{s:[s], s:{s:{s:s, s:{s:s}, s:s}}}}}", "auth",
			"identity", "methods", "password", "password", "user",
			"name", user, "domain", "id", user_domain, "password",
			password);
	if (req && scope &&
	    json_object_set_new(json_object_get(req, "auth"), "scope", scope) ==
		    0)
		scope = NULL;
	body = req && !scope ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(scope);
	json_decref(req);
	return body;
}
