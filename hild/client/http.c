/*
 * http.c - one HTTP exchange over libcurl (see http.h).  The only file
 * that includes <curl/curl.h>.
 */
#include "config.h"

#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http_conn {
	CURL *curl;
};

/* One transfer: the request, the reply being filled, what went wrong. */
struct http_xfer {
	CURL *curl;
	const struct http_request *req;
	struct http_reply *rep;
	bool too_big;
	size_t cap;
};

/* Transport failures to errno values; anything else is -EIO. */
static const struct {
	CURLcode code;
	int err;
} http_errs[] = {
	{CURLE_COULDNT_CONNECT, -ECONNREFUSED},
	{CURLE_OPERATION_TIMEDOUT, -ETIMEDOUT},
	{CURLE_COULDNT_RESOLVE_HOST, -EHOSTUNREACH},
	{CURLE_COULDNT_RESOLVE_PROXY, -EHOSTUNREACH},
	{CURLE_GOT_NOTHING, -ECONNRESET},
	{CURLE_SEND_ERROR, -ECONNRESET},
	{CURLE_RECV_ERROR, -ECONNRESET},
	{CURLE_UNSUPPORTED_PROTOCOL, -EPROTONOSUPPORT},
	{CURLE_URL_MALFORMAT, -EINVAL},
	{CURLE_OUT_OF_MEMORY, -ENOMEM},
	{CURLE_WRITE_ERROR, -ENOMEM}, /* the body could not be kept */
	{CURLE_SSL_CONNECT_ERROR, -EPROTO},
	{CURLE_PEER_FAILED_VERIFICATION, -EPROTO},
};

static int http_errno(CURLcode rc)
{
	for (size_t i = 0; i < sizeof(http_errs) / sizeof(http_errs[0]); i++)
		if (http_errs[i].code == rc)
			return http_errs[i].err;
	return -EIO;
}

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static int http_once_rc = -EIO;

static void http_once_init(void)
{
	http_once_rc = http_global_init();
}

int http_global_init_once(void)
{
	pthread_once(&http_once, http_once_init);
	return http_once_rc;
}

int http_conn_new(struct http_conn **ret_conn)
{
	struct http_conn *conn = calloc(1, sizeof(*conn));

	if (!conn)
		return -ENOMEM;
	conn->curl = curl_easy_init();
	if (!conn->curl) {
		free(conn);
		return -ENOMEM;
	}
	*ret_conn = conn;
	return 0;
}

struct http_conn *http_conn_free(struct http_conn *conn)
{
	if (!conn)
		return NULL;
	curl_easy_cleanup(conn->curl);
	free(conn);
	return NULL;
}

void http_secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void http_reply_clear(struct http_reply *rep)
{
	free(rep->body);
	http_secret_free(rep->location); /* may carry a token in its query */
	http_secret_free(rep->header);
	memset(rep, 0, sizeof(*rep));
}

static size_t http_write(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	struct http_reply *rep = x->rep;
	size_t add = size * n;

	if (x->req->stream) {
		long status = 0;

		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			if (x->req->stream(p, add, x->req->stream_arg) != 0) {
				rep->stopped = true;
				return 0;
			}
			return add;
		}
	}
	if (add > x->req->max_body || rep->len > x->req->max_body - add) {
		x->too_big = true;
		return 0;
	}
	if (rep->len + add + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		char *b;

		while (cap < rep->len + add + 1)
			cap *= 2;
		b = realloc(rep->body, cap);
		if (!b)
			return 0;
		rep->body = b;
		x->cap = cap;
	}
	memcpy(rep->body + rep->len, p, add);
	rep->len += add;
	rep->body[rep->len] = '\0';
	return add;
}

static size_t http_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	const char *name = x->req->keep_header, *v, *end;
	size_t len = size * n, nlen;

	if (!name)
		return len;
	/* A new status line (after a 1xx answer, say): what an earlier
	 * answer said is not this one's. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		http_secret_free(x->rep->header);
		x->rep->header = NULL;
		return len;
	}
	nlen = strlen(name);
	if (len <= nlen || strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
		return len;
	end = p + len;
	for (v = p + nlen + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	http_secret_free(x->rep->header);
	x->rep->header = strndup(v, (size_t)(end - v));
	return x->rep->header ? len : 0;
}

/* Free a header list, wiping the copies curl made of secret lines. */
static void http_slist_free(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

/* JSON both ways; curl's own Expect and form Content-Type are dropped. */
static struct curl_slist *http_headers(const struct http_request *req)
{
	const char *const fixed[] = {
		"Accept: application/json",
		"Expect:",
		req->body ? "Content-Type: application/json" : "Content-Type:",
	};
	struct curl_slist *list = NULL, *l;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (!(l = curl_slist_append(list, fixed[i])))
			goto fail;
		list = l;
	}
	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		if (!(l = curl_slist_append(list, req->headers[i])))
			goto fail;
		list = l;
	}
	return list;
fail:
	http_slist_free(list);
	return NULL;
}

/* Set every option of this request on a handle that is fresh or was
 * reset after its last request (http_perform), so nothing of an earlier
 * request leaks into this one. */
static CURLcode http_setup(struct http_xfer *x, struct curl_slist *headers,
			   char *errbuf)
{
	const struct http_request *req = x->req;
	CURL *h = x->curl;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(h, opt, val);                    \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PATH_AS_IS, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, req->timeout_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, http_write);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, http_header);
	SET(CURLOPT_HEADERDATA, x);
	if (req->user_agent)
		SET(CURLOPT_USERAGENT, req->user_agent);
	if (req->cafile)
		SET(CURLOPT_CAINFO, req->cafile);
	if (req->user) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, req->user);
		SET(CURLOPT_PASSWORD, req->password ? req->password : "");
	}
	if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		/* A body, even an empty one, gives a Content-Length. */
		SET(CURLOPT_POSTFIELDSIZE,
		    (long)(req->body ? strlen(req->body) : 0));
		SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
#undef SET
	return rc;
}

int http_perform(struct http_conn *conn, const struct http_request *req,
		 struct http_reply *rep, char *why, size_t whylen)
{
	struct http_xfer x = {.req = req, .rep = rep};
	char errbuf[CURL_ERROR_SIZE] = "", *loc = NULL;
	struct curl_slist *headers = NULL;
	CURLcode rc;
	int r = -ENOMEM;

	memset(rep, 0, sizeof(*rep));
	if (whylen)
		why[0] = '\0';
	x.curl = conn ? conn->curl : curl_easy_init();
	if (!x.curl || !(headers = http_headers(req)))
		goto out;
	rc = http_setup(&x, headers, errbuf);
	if (rc != CURLE_OK) { /* an option this libcurl lacks, say */
		r = http_errno(rc);
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(x.curl);
	if (rc == CURLE_OK || rep->stopped) {
		curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &rep->status);
		if (rep->status >= 300 && rep->status < 400 &&
		    curl_easy_getinfo(x.curl, CURLINFO_REDIRECT_URL, &loc) ==
			    CURLE_OK &&
		    loc && !(rep->location = strdup(loc)))
			goto out;
		r = 0;
	} else if (x.too_big) {
		snprintf(why, whylen, "answer larger than %zu bytes",
			 req->max_body);
		r = -EMSGSIZE;
	} else {
		r = http_errno(rc);
		snprintf(why, whylen, "%s",
			 r == -ENOMEM ? "out of memory"
			 : errbuf[0]  ? errbuf
				      : curl_easy_strerror(rc));
	}
out:
	if (r < 0)
		http_reply_clear(rep);
	if (r == -ENOMEM && whylen && why[0] == '\0')
		snprintf(why, whylen, "out of memory");
	/* The handle points at this call's error buffer, header list and
	 * transfer: a kept one forgets them, and every option, before its
	 * next request (and keeps its connection). */
	if (conn)
		curl_easy_reset(x.curl);
	else if (x.curl)
		curl_easy_cleanup(x.curl);
	http_slist_free(headers);
	return r;
}

char *http_origin(const char *url, bool strict)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *origin = NULL;
	char *extra[3] = {NULL, NULL, NULL};

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK)
		goto out;
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto out;
	curl_url_get(u, CURLUPART_USER, &extra[0], 0);
	curl_url_get(u, CURLUPART_QUERY, &extra[1], 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &extra[2], 0);
	if (strict && (extra[0] || extra[1] || extra[2]))
		goto out;
	if (asprintf(&origin, "%s://%s:%s", scheme, host, port) < 0)
		origin = NULL;
out:
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		curl_free(extra[i]);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return origin;
}
