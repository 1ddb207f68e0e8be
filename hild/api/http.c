/*
 * http.c - libmicrohttpd glue: the only file that includes
 * <microhttpd.h>.  Bodies are collected up to a limit, the complete
 * request goes to router_handle(), and the router's answer goes back with
 * Content-Type, WWW-Authenticate and Allow as it says.  Per-request state
 * is freed in the completion callback, which runs for finished and for
 * abandoned requests alike, so a client that disconnects mid-request
 * leaks nothing.
 */
#include "config.h"

#include "api/http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/api.h"
#include "api/router.h"
#include "log.h"

#define HTTP_CONN_LIMIT 1024
#define HTTP_TIMEOUT_S	30

struct http {
	struct MHD_Daemon *mhd;
};

/* What one request accumulates between callbacks. */
struct http_req {
	char *body;
	size_t len, cap;
	bool too_big;
};

struct http_kv_ctx {
	int (*fn)(void *arg, const char *k, const char *v);
	void *arg;
	int r;
};

static const char *http_header(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static const char *http_query(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* Query values arrive raw (see http_unescape_none); decode them here. */
static int http_decode(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '+') {
			*w++ = ' ';
		} else if (*s == '%') {
			char hex[3] = {s[1], s[1] ? s[2] : 0, 0};
			char *end;
			long v = strtol(hex, &end, 16);

			if (end != hex + 2 || v == 0)
				return -EINVAL;
			*w++ = (char)v;
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return 0;
}

static enum MHD_Result http_kv(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	struct http_kv_ctx *c = cls;
	char k[API_MAX_LABEL + 1], v[API_MAX_STRING + 1];

	(void)kind;
	if (strlen(key) >= sizeof(k) || (value && strlen(value) >= sizeof(v)) ||
	    (strcpy(k, key), http_decode(k) < 0) ||
	    (value && (strcpy(v, value), http_decode(v) < 0))) {
		c->r = c->fn(c->arg, "(malformed)", "");
		return MHD_NO;
	}
	c->r = c->fn(c->arg, k, value ? v : NULL);
	return c->r < 0 ? MHD_NO : MHD_YES;
}

static int http_query_each(void *ctx,
			   int (*fn)(void *arg, const char *k, const char *v),
			   void *arg)
{
	struct http_kv_ctx c = {fn, arg, 0};

	MHD_get_connection_values(ctx, MHD_GET_ARGUMENT_KIND, http_kv, &c);
	return c.r;
}

/* Keep the URL as sent: the router splits the path before decoding, so
 * an encoded '/' stays inside its label. */
static size_t http_unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static int http_append(struct http_req *q, const char *data, size_t n)
{
	char *b;
	size_t cap;

	if (q->too_big || q->len + n > API_MAX_BODY) {
		q->too_big = true;
		return 0;
	}
	if (q->len + n > q->cap) {
		cap = q->cap ? q->cap * 2 : 1024;
		while (cap < q->len + n)
			cap *= 2;
		if (cap > API_MAX_BODY)
			cap = API_MAX_BODY;
		b = realloc(q->body, cap);
		if (!b)
			return -ENOMEM;
		q->body = b;
		q->cap = cap;
	}
	memcpy(q->body + q->len, data, n);
	q->len += n;
	return 0;
}

static enum MHD_Result http_send(struct MHD_Connection *conn,
				 const struct router_out *out)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(out->body_len, out->body,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(out->body);
		return MHD_NO;
	}
	if (out->body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					out->content_type);
	if (out->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					out->www_authenticate);
	if (out->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					out->allow);
	ret = MHD_queue_response(conn, (unsigned)out->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn,
				   const char *url, const char *method,
				   const char *version, const char *upload,
				   size_t *upload_size, void **con_cls)
{
	struct http_req *q = *con_cls;
	struct router_out out;
	struct router_in in;

	(void)cls;
	(void)version;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		if (http_append(q, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->too_big) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "{\"type\":\"ValidationError\",\"msg\":\"the body is "
			 "larger than %d bytes\"}",
			 API_MAX_BODY);
		out = (struct router_out){.status = 400,
					  .body = strdup(msg),
					  .content_type = "application/json"};
		out.body_len = out.body ? strlen(out.body) : 0;
		return http_send(conn, &out);
	}
	in = (struct router_in){
		.method = method,
		.path = url,
		.body = q->body,
		.body_len = q->len,
		.query = http_query,
		.query_each = http_query_each,
		.header = http_header,
		.ctx = conn,
	};
	router_handle(&in, &out);
	return http_send(conn, &out);
}

static void http_completed(void *cls, struct MHD_Connection *conn,
			   void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

static void http_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_WARNING, fmt, ap);
}

int http_start(const char *addr, unsigned port, unsigned threads,
	       struct http **ret)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	struct http *h = NULL;
	unsigned flags;
	int r, e;

	e = getaddrinfo(addr, NULL, &hints, &ai);
	if (e != 0) {
		log_err("invalid listen address '%s': %s", addr,
			gai_strerror(e));
		return -EINVAL;
	}
	if (ai->ai_family == AF_INET6)
		((struct sockaddr_in6 *)ai->ai_addr)->sin6_port =
			htons((uint16_t)port);
	else
		((struct sockaddr_in *)ai->ai_addr)->sin_port =
			htons((uint16_t)port);
	h = calloc(1, sizeof(*h));
	if (!h) {
		r = -ENOMEM;
		goto out;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, http_access, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
		threads, MHD_OPTION_CONNECTION_LIMIT, HTTP_CONN_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, HTTP_TIMEOUT_S,
		MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, http_unescape_none, NULL,
		MHD_OPTION_END);
	if (!h->mhd) {
		log_err("could not listen on %s port %u", addr, port);
		r = -EADDRINUSE;
		goto out;
	}
	*ret = h;
	h = NULL;
	r = 0;
out:
	free(h);
	freeaddrinfo(ai);
	return r;
}

struct http *http_stop(struct http *h)
{
	if (!h)
		return NULL;
	MHD_stop_daemon(h->mhd);
	free(h);
	return NULL;
}
