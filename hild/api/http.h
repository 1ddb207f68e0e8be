/*
 * http.h - the HTTP server (libmicrohttpd): a thread pool that hands each
 * complete request to the router.
 */
#ifndef HIL_API_HTTP_H
#define HIL_API_HTTP_H

struct http;

/* Listen on addr:port ("127.0.0.1", "::1", "0.0.0.0") with threads
 * worker threads.  Returns 0 or a negative errno (logged). */
int http_start(const char *addr, unsigned port, unsigned threads,
	       struct http **ret);
struct http *http_stop(struct http *h);

#endif /* HIL_API_HTTP_H */
