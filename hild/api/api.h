/*
 * api.h - what a REST resource file (api/project.c, api/node.c, ...) sees.
 *
 * The router matches a request against the one route table (api/router.c),
 * gathers and validates its arguments against the route's schema, opens a
 * database transaction, authenticates the caller, and then calls the
 * handler.  A handler runs its checks in the order the v0 spec gives,
 * answers with api_reply_*() or api_error(), and returns that function's
 * result.  The router commits when the reply is a success and rolls back
 * otherwise, so a handler never commits by itself.
 */
#ifndef HIL_API_H
#define HIL_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* Limits on what a client controls (DESIGN.md section 7). */
#define API_MAX_BODY   (64 * 1024) /* request body, bytes */
#define API_MAX_DEPTH  8	   /* JSON nesting */
#define API_MAX_LABEL  64	   /* a label (name), bytes */
#define API_MAX_STRING 1024	   /* any other string argument, bytes */
#define API_MAX_KEYS   64	   /* keys of an object argument */
#define API_MAX_PATH   1024	   /* URL path, bytes */
#define API_MAX_PARAMS 4	   /* path parameters of one route */

enum api_method {
	API_GET = 1 << 0,
	API_PUT = 1 << 1,
	API_POST = 1 << 2,
	API_DELETE = 1 << 3,
	API_PATCH = 1 << 4,
};

/* The error types of the v0 API, each with its status. */
enum api_err {
	API_E_VALIDATION,  /* 400 ValidationError */
	API_E_BAD_ARG,	   /* 400 BadArgumentError */
	API_E_UNAUTH,	   /* 401 AuthorizationError (not authenticated) */
	API_E_FORBIDDEN,   /* 403 AuthorizationError (not allowed) */
	API_E_NOT_FOUND,   /* 404 NotFoundError */
	API_E_DUPLICATE,   /* 409 DuplicateError */
	API_E_MISMATCH,	   /* 409 ProjectMismatchError */
	API_E_BLOCKED,	   /* 409 BlockedError */
	API_E_ILLEGAL,	   /* 409 IllegalStateError */
	API_E_ALLOCATION,  /* 500 AllocationError */
	API_E_SERVER,	   /* 500 ServerError */
	API_E_UNAVAILABLE, /* 503 ServiceUnavailableError */
	API_E_OBM,	   /* 502 OBMError (a BMC or OBM driver failed) */
	API_E_OBM_TIMEOUT, /* 504 OBMError (a BMC did not answer in time) */
};

struct api_req;

/*
 * Replies that are not known when the handler returns (DESIGN.md section
 * 2: an OBM operation the engine applies, a serial console).  The HTTP
 * layer lends a waker: park() pauses the request and returns true, or
 * returns false when the request cannot wait (the server is stopping, or
 * the caller is no HTTP connection), and then the answer must be given at
 * once.  wake() resumes a parked request; any thread may call it, and it
 * does nothing unless the request is parked.  Whoever calls park and wake
 * serialises the two with a lock of its own, so that no wake-up can come
 * before the park it answers.
 */
struct api_waker {
	bool (*park)(void *ctx);
	void (*wake)(void *ctx);
	void *ctx;
};

/* A reply completed later.  poll sets the reply on r (r->db is the
 * calling thread's connection, outside any transaction) and returns 1,
 * or parks the request with w and returns 0; it is called again after
 * each wake-up, by one thread at a time.  free releases it, whether or
 * not the reply was given (a client that went away). */
struct api_defer {
	int (*poll)(struct api_defer *d, struct api_req *r,
		    const struct api_waker *w);
	void (*free)(struct api_defer *d);
};

/* A body streamed as it is produced.  read copies up to len bytes into
 * buf and returns the count, or returns 0 after parking the request with
 * w (a wake-up follows when there is more), or -1 at the end of the
 * stream (also when w could not park).  free detaches it, at the end or
 * when the client went away. */
struct api_stream {
	const char *content_type; /* static */
	long (*read)(struct api_stream *s, char *buf, size_t len,
		     const struct api_waker *w);
	void (*free)(struct api_stream *s);
};

/* The caller, as authentication established it. */
struct api_ident {
	bool authenticated;
	bool admin;
	char user[API_MAX_LABEL + 1]; /* "" when anonymous */
	char user_id[24];	      /* local users: users.id; else "" */
	/* Auth plugins name the caller's projects; local users are looked up
	 * in user_projects instead. */
	char **projects;
	size_t nprojects;
};

struct api_req {
	enum api_method method;
	const char *param[API_MAX_PARAMS]; /* path parameters, in order */
	json_t *args;			   /* validated arguments (borrowed) */
	struct api_ident who;
	struct db_conn *db;

	/* The reply, filled by api_reply_* / api_error. */
	int status;
	json_t *body;	      /* owned; NULL = empty body */
	const char *location; /* for redirects; static or owned by caller */
	bool retry;	      /* a transient database failure: run again */
	bool queued; /* the handler queued operations: wake the engine after
		      * the commit */
	bool async;  /* the caller can wait and take a stream (HTTP) */
	/* Set by a handler whose reply comes later: polled after the
	 * commit (and freed when the request fails).  Owned. */
	struct api_defer *defer;
	/* With a 200: the body, streamed instead of r->body.  Owned. */
	struct api_stream *stream;
};

/* Argument types a route schema names. */
enum api_type {
	API_T_STRING = 1, /* a label-sized string */
	API_T_TEXT,	  /* any string up to API_MAX_STRING */
	API_T_BOOL,
	API_T_OBJECT,
	API_T_ANY, /* any JSON value (metadata values) */
};

struct api_arg {
	const char *name;
	enum api_type type;
	bool required;
};

/* A schema row with this name lets any other key through (of its type),
 * for bodies whose keys a driver declares (switch settings). */
#define API_ARG_OTHERS "*"

/* Handler results: what api_reply_* and api_error return. */
#define API_DONE 0

/* Success replies.  api_reply_json steals body. */
int api_reply_empty(struct api_req *r);
int api_reply_json(struct api_req *r, int status, json_t *body);

/* An error reply {"type": ..., "msg": ...}; the message is formatted. */
int api_error(struct api_req *r, enum api_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A database failure: 409 Duplicate for -EEXIST, else 500 (the database
 * layer logged it); -EAGAIN makes the router run the request again. */
int api_db_error(struct api_req *r, int err);
/* {"type": type, "msg": msg}, new reference. */
json_t *api_error_body(const char *type, const char *msg);

/*
 * Authorization.  Each returns 0 when allowed, or sets the error reply
 * (401 when the caller is anonymous, 403 otherwise) and returns
 * non-zero, so a handler writes:  if (api_need_admin(r)) return r->status;
 */
int api_need_admin(struct api_req *r);
/* Admin, or access to the project with this id (NULL: admin only). */
int api_need_project(struct api_req *r, const char *project_id);
/* The same test, without setting a reply. */
bool api_has_project(struct api_req *r, const char *project_id);

/* Arguments, borrowed from r->args; NULL / false when absent. */
const char *api_arg_str(const struct api_req *r, const char *name);
json_t *api_arg(const struct api_req *r, const char *name);
bool api_arg_bool(const struct api_req *r, const char *name, bool dflt);

/* The names of the loaded extensions (auth, switch and OBM plugins), for
 * GET /active_extensions. */
json_t *api_extensions(void);

#endif /* HIL_API_H */
