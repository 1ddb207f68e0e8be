/*
 * router.h - the one route table and the request path that does not
 * depend on the HTTP library: match, gather and validate arguments,
 * authenticate, run the handler inside a transaction.
 */
#ifndef HIL_API_ROUTER_H
#define HIL_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"

struct db;

/* One request as the HTTP layer hands it over.  All borrowed. */
struct router_in {
	const char *method; /* "GET", "PUT", ... */
	const char *path;   /* URL path, percent-decoded, e.g. "/v0/projects" */
	const char *body;   /* may be NULL */
	size_t body_len;
	/* Query arguments (GET only) and request headers, looked up by name;
	 * NULL when absent. */
	const char *(*query)(void *ctx, const char *name);
	/* Visit every query argument (to reject unknown ones). */
	int (*query_each)(void *ctx,
			  int (*fn)(void *arg, const char *k, const char *v),
			  void *arg);
	const char *(*header)(void *ctx, const char *name);
	void *ctx;
	/* How this request is paused and resumed while its reply is not
	 * ready (see struct api_waker); NULL when the caller cannot wait
	 * nor take a streamed body: then every reply is complete at once. */
	const struct api_waker *waker;
};

/* What the HTTP layer sends back. */
struct router_out {
	int status; /* 0: parked, the reply comes later (defer) */
	char *body; /* owned (free()); NULL = empty */
	size_t body_len;
	const char *content_type;     /* static */
	const char *www_authenticate; /* static, for 401 */
	const char *allow;	      /* static list of methods, for 405 */
	/* Status 0: the request is parked; after its wake-up, the HTTP
	 * layer asks again with router_poll().  Owned: free it with its
	 * free function once a reply was given or the client went away. */
	struct api_defer *defer;
	/* A 200 whose body is streamed (body is NULL): read it until it
	 * ends, free it with its free function.  Owned. */
	struct api_stream *stream;
};

/* Set the database the handlers use, and whether users are local (the
 * /v0/auth/basic routes exist only then).  Call once before serving. */
void router_setup(struct db *db, bool local_auth);

/*
 * Handle one request completely.  Never fails: every outcome, including
 * internal errors, becomes a status and a JSON body in *out.  Free the
 * body with free().
 */
void router_handle(const struct router_in *in, struct router_out *out);

/*
 * Ask a parked request's deferred reply again (after a wake-up): fills
 * *out with the reply, or with status 0 when w parked the request again.
 * Never fails, as router_handle.  d stays the caller's.
 */
void router_poll(struct api_defer *d, const struct api_waker *w,
		 struct router_out *out);

/* Visit the route table (tests walk it). */
void router_foreach(void (*fn)(const char *method, const char *pattern,
			       void *arg),
		    void *arg);

#endif /* HIL_API_ROUTER_H */
