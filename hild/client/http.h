/*
 * http.h - one HTTP exchange over libcurl, JSON in and out: the client
 * library's requests to hild (a kept connection, redirects handed back
 * to the caller, streamed answers) and the Keystone exchanges (one-off).
 *
 * The keystone auth plugin builds this file into itself, so it keeps no
 * state but the connections its callers own and calls nothing of hild's.
 * Header lines and bodies may be secrets: the copies made here are wiped.
 */
#ifndef HIL_HTTP_H
#define HIL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* libcurl's process-wide set-up, before any thread uses it; 0 or -EIO.
 * Each successful call is undone by one http_global_cleanup(). */
int http_global_init(void);
void http_global_cleanup(void);

/* http_global_init() once per process, for good: for a library that
 * cannot tell when its caller's threads start.  Its result. */
int http_global_init_once(void);

/* A kept connection: requests on it reuse the open socket. */
struct http_conn;

int http_conn_new(struct http_conn **ret_conn);
struct http_conn *http_conn_free(struct http_conn *conn);

/* Called with each piece of a 2xx answer's body as it arrives; non-zero
 * stops the transfer. */
typedef int (*http_stream_fn)(const char *data, size_t len, void *arg);

struct http_request {
	const char *method;	    /* GET, PUT, POST, DELETE, PATCH */
	const char *url;	    /* http:// or https:// only */
	const char *const *headers; /* extra "Name: value" lines,
				     * NULL-terminated (may be NULL) */
	const char *body;	    /* JSON, or NULL: none (a method other
				     * than GET sends an empty one) */
	const char *user;	    /* Basic authentication, or NULL */
	const char *password;
	const char *user_agent; /* or NULL */
	const char *cafile;	/* CA bundle for https, NULL: the system's */
	long timeout_ms;	/* the whole exchange, 0: no limit */
	long connect_timeout_ms;
	size_t max_body;	 /* bytes of an answer kept */
	const char *keep_header; /* keep this header's value, or NULL */
	http_stream_fn stream;	 /* NULL: keep the body */
	void *stream_arg;
};

struct http_reply {
	long status; /* HTTP status */
	char *body;  /* NUL-terminated (NULL: empty) */
	size_t len;
	char *location; /* a redirect's target (wiped when cleared), or NULL */
	char *header;	/* keep_header's value in the final answer (wiped
			 * when cleared), or NULL */
	bool stopped;	/* the stream function stopped the transfer */
};

/*
 * Send req on conn (NULL: a connection of its own), never following a
 * redirect.  Returns 0 with *rep filled, whatever the HTTP status (a
 * stopped stream too), or, with *rep empty and the reason in why:
 * -ECONNREFUSED (nobody listens), -ETIMEDOUT, -EHOSTUNREACH (no such
 * host), -ECONNRESET (the connection broke), -EPROTONOSUPPORT, -EINVAL
 * (a malformed URL), -EPROTO (TLS failed), -EMSGSIZE (an answer past
 * req->max_body), -ENOMEM, or -EIO for any other failure.
 */
int http_perform(struct http_conn *conn, const struct http_request *req,
		 struct http_reply *rep, char *why, size_t whylen);

/* Free a secret string after wiping it; accepts NULL. */
void http_secret_free(char *s);

/* Free what rep holds, wiping the kept header; rep is emptied. */
void http_reply_clear(struct http_reply *rep);

/*
 * "scheme://host:port" of an absolute http or https URL (the port
 * spelled out), or NULL when it is not one or out of memory.  A strict
 * URL may not carry credentials, a query or a fragment.  Free it.
 */
char *http_origin(const char *url, bool strict);

#endif /* HIL_HTTP_H */
