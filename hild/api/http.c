/*
 * http.c - libmicrohttpd glue: the only file that includes
 * <microhttpd.h>.  Bodies are collected up to a limit, the complete
 * request goes to router_handle(), and the router's answer goes back with
 * Content-Type, WWW-Authenticate and Allow as it says.  Per-request state
 * is freed in the completion callback, which runs for finished and for
 * abandoned requests alike, so a client that disconnects mid-request
 * leaks nothing.
 *
 * Replies that take time (an OBM operation, a console being opened) and
 * streamed bodies (the console) never hold a thread of the pool: the
 * request is suspended (MHD_suspend_connection) while there is nothing to
 * send, and resumed by whoever has something (the engine, the console's
 * reader thread).  Thread-per-connection would have blocked one thread per
 * console reader and given each its own database connection; a blocking
 * content callback would have stalled every other connection of its pool
 * thread.  A suspended connection does not notice that its client went
 * away, so the console wakes its readers now and then, and each wake-up
 * looks at the socket first (http_peer_gone).
 */
#include "config.h"

#include "api/http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/api.h"
#include "api/router.h"
#include "log.h"

#define HTTP_CONN_LIMIT	  1024
#define HTTP_TIMEOUT_S	  30
#define HTTP_STREAM_BLOCK 4096 /* bytes asked of a stream at once */

struct http_req;

struct http {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;	 /* guards stopping, parked and every parked */
	bool stopping;		 /* no request may be parked any more */
	struct http_req *parked; /* suspended requests */
};

/* What one request accumulates between callbacks. */
struct http_req {
	char *body;
	size_t len, cap;
	bool too_big;
	struct http *h;
	struct MHD_Connection *conn;
	struct api_waker waker;	      /* parks and wakes this request */
	bool parked;		      /* suspended by http_park */
	struct http_req *prev, *next; /* in h->parked */
	struct api_defer *defer;      /* a reply that comes later */
	struct api_stream *stream;    /* the body being streamed */
};

/* The one daemon (http_start is called once). */
static struct http *http_server;

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
		/* Bodies carry passwords: grow by copy, wiping the old
		 * buffer, rather than leave copies behind in realloc. */
		b = malloc(cap);
		if (!b)
			return -ENOMEM;
		if (q->body) {
			memcpy(b, q->body, q->len);
			explicit_bzero(q->body, q->cap);
			free(q->body);
		}
		q->body = b;
		q->cap = cap;
	}
	memcpy(q->body + q->len, data, n);
	q->len += n;
	return 0;
}

/* Suspend the request (from its access handler or content callback);
 * false when hild is stopping or libmicrohttpd did not suspend it (a
 * client that closed its side). */
static bool http_park(void *ctx)
{
	struct http_req *q = ctx;
	const union MHD_ConnectionInfo *ci;
	bool ok = false;

	pthread_mutex_lock(&q->h->lock);
	if (q->h->stopping || q->parked)
		goto out;
	MHD_suspend_connection(q->conn);
	ci = MHD_get_connection_info(q->conn,
				     MHD_CONNECTION_INFO_CONNECTION_SUSPENDED);
	if (!ci || ci->suspended != MHD_YES)
		goto out;
	q->parked = true;
	q->prev = NULL;
	q->next = q->h->parked;
	if (q->next)
		q->next->prev = q;
	q->h->parked = q;
	ok = true;
out:
	pthread_mutex_unlock(&q->h->lock);
	return ok;
}

/* Resume a parked request; call with h->lock held. */
static void http_unpark(struct http_req *q)
{
	if (!q->parked)
		return;
	q->parked = false;
	if (q->prev)
		q->prev->next = q->next;
	else
		q->h->parked = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	MHD_resume_connection(q->conn);
}

static void http_wake(void *ctx)
{
	struct http_req *q = ctx;

	pthread_mutex_lock(&q->h->lock);
	http_unpark(q);
	pthread_mutex_unlock(&q->h->lock);
}

/* Whether the client closed the connection: a suspended connection does
 * not notice, and a streamed body may have nothing to send for long. */
static bool http_peer_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	char c;
	ssize_t n;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			  errno != EINTR);
}

/* libmicrohttpd asks for the next piece of a streamed body. */
static ssize_t http_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_req *q = cls;
	long n;

	(void)pos;
	if (!q->stream || http_peer_gone(q->conn))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = q->stream->read(q->stream, buf, max, &q->waker);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n; /* 0: parked, called again after the wake-up */
}

static enum MHD_Result http_send(struct MHD_Connection *conn,
				 struct http_req *q,
				 const struct router_out *out)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (out->stream) {
		/* The request owns the stream and frees it when it
		 * completes, after libmicrohttpd is done with the
		 * response. */
		q->stream = out->stream;
		resp = MHD_create_response_from_callback(
			MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK, http_stream_read,
			q, NULL);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					out->content_type);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
					"no-store");
		MHD_add_response_header(resp, "X-Content-Type-Options",
					"nosniff");
		ret = MHD_queue_response(conn, (unsigned)out->status, resp);
		MHD_destroy_response(resp);
		return ret;
	}
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
		q->h = http_server;
		q->conn = conn;
		q->waker = (struct api_waker){http_park, http_wake, q};
		*con_cls = q;
		return MHD_YES;
	}
	if (q->defer) {
		/* Woken up: is the reply there? */
		router_poll(q->defer, &q->waker, &out);
		if (out.status == 0)
			return MHD_YES; /* parked again */
		q->defer->free(q->defer);
		q->defer = NULL;
		return http_send(conn, q, &out);
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
		return http_send(conn, q, &out);
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
		.waker = &q->waker,
	};
	router_handle(&in, &out);
	if (out.status == 0) {
		/* Parked: called again after the wake-up. */
		q->defer = out.defer;
		return MHD_YES;
	}
	return http_send(conn, q, &out);
}

static void http_completed(void *cls, struct MHD_Connection *conn,
			   void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!q)
		return;
	/* Detach from whoever could wake it before it goes. */
	if (q->defer)
		q->defer->free(q->defer);
	if (q->stream)
		q->stream->free(q->stream);
	pthread_mutex_lock(&q->h->lock);
	if (q->parked) {
		/* Cannot happen: a suspended request does not complete. */
		http_unpark(q);
	}
	pthread_mutex_unlock(&q->h->lock);
	if (q->body)
		explicit_bzero(q->body, q->cap);
	free(q->body);
	free(q);
	*con_cls = NULL;
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
	pthread_mutex_init(&h->lock, NULL);
	http_server = h;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
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
	if (h) {
		http_server = NULL;
		pthread_mutex_destroy(&h->lock);
		free(h);
	}
	freeaddrinfo(ai);
	return r;
}

struct http *http_stop(struct http *h)
{
	if (!h)
		return NULL;
	/* libmicrohttpd must not stop with a suspended connection: resume
	 * them all, and park none from now on (their replies are given at
	 * once: a 202 for an operation, the end of a stream). */
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	while (h->parked)
		http_unpark(h->parked);
	pthread_mutex_unlock(&h->lock);
	MHD_stop_daemon(h->mhd);
	http_server = NULL;
	pthread_mutex_destroy(&h->lock);
	free(h);
	return NULL;
}
