/*
 * router.c - the one route table, and the request path of spec section
 * 1.3: route match (404/405), arguments (400), authentication (401), then
 * the handler inside one database transaction.
 */
#include "config.h"

#include "api/router.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/args.h"
#include "api/auth.h"
#include "api/handlers.h"
#include "engine/engine.h"
#include "log.h"

#define ROUTE_MAX_SEGS 32 /* segments of a request path */
#define ROUTE_RETRIES  3  /* runs of a request whose transaction conflicted */

enum route_flags {
	ROUTE_LOCAL_AUTH = 1 << 0, /* only when users are local */
	ROUTE_WRITES = 1 << 1,	   /* a GET that writes (queues an operation) */
};

struct route {
	enum api_method method;
	/* "/v0/..." with <name> for one segment and <name:path> for one or
	 * more segments (a switch port, which may hold '/'). */
	const char *pattern;
	int (*handler)(struct api_req *r);
	const struct api_arg *args; /* body or query schema; NULL: none */
	unsigned flags;
	/* Validation beyond the schema that the spec puts before
	 * authentication; 0 or -EINVAL with a message.  Optional. */
	int (*check)(const json_t *args, char *err, size_t errlen);
};

#define ARGS(...) ((const struct api_arg[]){__VA_ARGS__, {NULL, 0, false}})
#define REQ(n, t)                                                              \
	{                                                                      \
		n, API_T_##t, true                                             \
	}
#define OPT(n, t)                                                              \
	{                                                                      \
		n, API_T_##t, false                                            \
	}

static const struct route routes[] = {
	/* projects */
	{API_GET, "/v0/projects", project_list, NULL, 0},
	{API_PUT, "/v0/project/<project>", project_create, NULL, 0},
	{API_DELETE, "/v0/project/<project>", project_delete, NULL, 0},
	{API_POST, "/v0/project/<project>/connect_node", project_connect_node,
	 ARGS(REQ("node", STRING)), 0},
	{API_POST, "/v0/project/<project>/detach_node", project_detach_node,
	 ARGS(REQ("node", STRING)), 0},
	{API_GET, "/v0/project/<project>/nodes", project_list_nodes, NULL, 0},
	{API_GET, "/v0/project/<project>/networks", project_list_networks, NULL,
	 0},
	/* nodes */
	{API_PUT, "/v0/node/<node>", node_register,
	 ARGS(OPT("obm", OBJECT), OPT("obmd", OBJECT), OPT("metadata", OBJECT)),
	 0, node_register_check},
	{API_DELETE, "/v0/node/<node>", node_delete, NULL, 0},
	{API_GET, "/v0/node/<node>", node_show, NULL, 0},
	{API_GET, "/v0/nodes/<is_free>", node_list, NULL, 0},
	{API_PUT, "/v0/node/<node>/nic/<nic>", node_register_nic,
	 ARGS(REQ("macaddr", TEXT)), 0},
	{API_DELETE, "/v0/node/<node>/nic/<nic>", node_delete_nic, NULL, 0},
	{API_PUT, "/v0/node/<node>/metadata/<label>", node_set_metadata,
	 ARGS(REQ("value", ANY)), 0},
	{API_DELETE, "/v0/node/<node>/metadata/<label>", node_delete_metadata,
	 NULL, 0},
	{API_PUT, "/v0/node/<node>/obm", node_set_obm,
	 ARGS(REQ("enabled", BOOL)), 0},
	/* local users */
	{API_GET, "/v0/auth/basic/users", user_list, NULL, ROUTE_LOCAL_AUTH},
	{API_PUT, "/v0/auth/basic/user/<user>", user_create,
	 ARGS(REQ("password", TEXT), OPT("is_admin", BOOL)), ROUTE_LOCAL_AUTH},
	{API_DELETE, "/v0/auth/basic/user/<user>", user_delete, NULL,
	 ROUTE_LOCAL_AUTH},
	{API_POST, "/v0/auth/basic/user/<user>/add_project", user_add_project,
	 ARGS(REQ("project", STRING)), ROUTE_LOCAL_AUTH},
	{API_POST, "/v0/auth/basic/user/<user>/remove_project",
	 user_remove_project, ARGS(REQ("project", STRING)), ROUTE_LOCAL_AUTH},
	{API_PATCH, "/v0/auth/basic/user/<user>", user_set_admin,
	 ARGS(REQ("is_admin", BOOL)), ROUTE_LOCAL_AUTH},
	/* networks */
	{API_PUT, "/v0/network/<network>", network_create,
	 ARGS(REQ("owner", STRING), REQ("access", TEXT), REQ("net_id", TEXT)),
	 0},
	{API_DELETE, "/v0/network/<network>", network_delete, NULL, 0},
	{API_GET, "/v0/network/<network>", network_show, NULL, 0},
	{API_GET, "/v0/networks", network_list, NULL, 0},
	{API_GET, "/v0/network/<network>/attachments", network_list_attachments,
	 ARGS(OPT("project", STRING)), 0},
	{API_PUT, "/v0/network/<network>/access/<project>",
	 network_grant_access, NULL, 0},
	{API_DELETE, "/v0/network/<network>/access/<project>",
	 network_revoke_access, NULL, 0},
	{API_POST, "/v0/node/<node>/nic/<nic>/connect_network",
	 node_connect_network,
	 ARGS(REQ("network", STRING), OPT("channel", TEXT)), 0},
	{API_POST, "/v0/node/<node>/nic/<nic>/detach_network",
	 node_detach_network, ARGS(REQ("network", STRING)), 0},
	/* Addition: an ERROR action also has "error", the driver's reason. */
	{API_GET, "/v0/networking_action/<status_id>", networking_action_show,
	 NULL, 0},
	/* switches and ports; a switch's settings are its driver's, checked
	 * by the handler against the driver's table */
	{API_PUT, "/v0/switch/<switch>", switch_register,
	 ARGS(REQ("type", TEXT), OPT(API_ARG_OTHERS, ANY)), 0},
	{API_DELETE, "/v0/switch/<switch>", switch_delete, NULL, 0},
	{API_GET, "/v0/switches", switch_list, NULL, 0},
	{API_GET, "/v0/switch/<switch>", switch_show, NULL, 0},
	{API_PUT, "/v0/switch/<switch>/port/<port:path>", switch_register_port,
	 NULL, 0},
	{API_DELETE, "/v0/switch/<switch>/port/<port:path>", switch_delete_port,
	 NULL, 0},
	{API_GET, "/v0/switch/<switch>/port/<port:path>", switch_show_port,
	 NULL, 0},
	{API_POST, "/v0/switch/<switch>/port/<port:path>/connect_nic",
	 port_connect_nic, ARGS(REQ("node", STRING), REQ("nic", STRING)), 0},
	{API_POST, "/v0/switch/<switch>/port/<port:path>/detach_nic",
	 port_detach_nic, NULL, 0},
	{API_POST, "/v0/switch/<switch>/port/<port:path>/revert", port_revert,
	 NULL, 0},
	/* OBM: power, boot device and serial console, applied by the
	 * engine's OBM workers (api/obm.c says what each answers).
	 * Checks: node exists (404) -> admin or the node's project (401/403;
	 * a free node: admin only) -> OBM enabled (409 BlockedError).  A
	 * failing BMC is a 502 OBMError with the driver's text, one that did
	 * not answer in time a 504 OBMError (the outcome is unknown); an
	 * operation still queued after obm_timeout plus a margin is a 202
	 * {"status_id"} to poll at /v0/obm_action/<status_id>. */
	{API_POST, "/v0/node/<node>/power_on", obm_power_on, NULL, 0},
	{API_POST, "/v0/node/<node>/power_off", obm_power_off, NULL, 0},
	/* {"force": true} is a hard reset. */
	{API_POST, "/v0/node/<node>/power_cycle", obm_power_cycle,
	 ARGS(OPT("force", BOOL)), 0},
	/* 200 {"power_status": "On"|"Off"|...}, the driver's words; an
	 * operation too, so that a BMC sees one request at a time. */
	{API_GET, "/v0/node/<node>/power_status", obm_power_status, NULL,
	 ROUTE_WRITES},
	/* 400 BadArgumentError for a device the node's driver does not
	 * know. */
	{API_PUT, "/v0/node/<node>/boot_device", obm_set_bootdev,
	 ARGS(REQ("bootdev", STRING)), 0},
	/* A chunked stream of the serial console: the recent output kept
	 * in a ring buffer, then live output, until the console ends.  One
	 * BMC session per node, shared by every reader; 503 past the limits
	 * on readers per node and open consoles. */
	{API_GET, "/v0/node/<node>/console", obm_console_show, NULL, 0},
	/* Admin: end the node's console session (every reader's stream
	 * ends).  200 also when none is open. */
	{API_DELETE, "/v0/node/<node>/console", obm_console_end, NULL, 0},
	/* Addition: an OBM operation a 202 named: {"status": "PENDING" |
	 * "DONE" | "ERROR", "node", "type", "power_status"?, "error"?}.
	 * Admin or the node's project. */
	{API_GET, "/v0/obm_action/<status_id>", obm_action_show, NULL, 0},
	/* misc */
	{API_GET, "/v0/active_extensions", misc_list_extensions, NULL, 0},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static const struct {
	const char *name;
	enum api_method method;
} route_methods[] = {
	{"GET", API_GET},	{"PUT", API_PUT},     {"POST", API_POST},
	{"DELETE", API_DELETE}, {"PATCH", API_PATCH},
};

/* Route patterns split once at setup. */
struct route_seg {
	const char *text; /* literal, or parameter name */
	size_t len;
	bool param, path;
};

static struct route_compiled {
	struct route_seg seg[ROUTE_MAX_SEGS];
	size_t nseg;
	const char *pnames[API_MAX_PARAMS];
	bool pslash[API_MAX_PARAMS]; /* the parameter may hold '/' */
	size_t np;
} compiled[N_ROUTES];

static struct db *router_db;
static bool router_local_auth;

static void route_compile(const struct route *rt, struct route_compiled *c)
{
	const char *p = rt->pattern + 1;

	while (*p) {
		const char *end = strchrnul(p, '/');
		struct route_seg *s = &c->seg[c->nseg++];

		s->text = p;
		s->len = (size_t)(end - p);
		if (*p == '<') {
			s->param = true;
			s->text = p + 1;
			s->len = strcspn(s->text, ":>");
			s->path = s->text[s->len] == ':';
			c->pslash[c->np] = s->path;
			c->pnames[c->np++] = strndup(s->text, s->len);
		}
		p = *end ? end + 1 : end;
	}
}

void router_setup(struct db *db, bool local_auth)
{
	router_db = db;
	router_local_auth = local_auth;
	for (size_t i = 0; i < N_ROUTES; i++)
		if (compiled[i].nseg == 0)
			route_compile(&routes[i], &compiled[i]);
}

void router_foreach(void (*fn)(const char *method, const char *pattern,
			       void *arg),
		    void *arg)
{
	for (size_t i = 0; i < N_ROUTES; i++)
		for (size_t m = 0;
		     m < sizeof(route_methods) / sizeof(route_methods[0]); m++)
			if (route_methods[m].method == routes[i].method)
				fn(route_methods[m].name, routes[i].pattern,
				   arg);
}

/* A request path split into percent-decoded segments. */
struct route_path {
	char *seg[ROUTE_MAX_SEGS];
	size_t nseg;
	char buf[API_MAX_PATH + 1];
};

static int route_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX in place; a NUL byte or a bad escape is refused. */
static int route_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '%') {
			int hi = route_hex(s[1]),
			    lo = hi < 0 ? -1 : route_hex(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			*w++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return 0;
}

static int route_split(const char *path, struct route_path *rp)
{
	char *p, *save = NULL;
	size_t n = strlen(path);

	if (n > API_MAX_PATH || path[0] != '/')
		return -EINVAL;
	memcpy(rp->buf, path, n + 1);
	rp->nseg = 0;
	/* Empty segments ("//", trailing '/') match no route. */
	if (n > 1 && (path[n - 1] == '/' || strstr(path, "//")))
		return -ENOENT;
	for (p = strtok_r(rp->buf, "/", &save); p;
	     p = strtok_r(NULL, "/", &save)) {
		if (rp->nseg == ROUTE_MAX_SEGS)
			return -ENOENT;
		if (route_unescape(p) < 0)
			return -EINVAL;
		rp->seg[rp->nseg++] = p;
	}
	return 0;
}

/* Match; path parameters are written into param (the <x:path> one joined
 * into pathbuf). */
static bool route_match(const struct route_compiled *c, struct route_path *rp,
			const char **param, char *pathbuf, size_t pathlen)
{
	size_t np = 0, head = 0, rest;

	/* Segments before a path parameter match from the front, those
	 * after it from the back. */
	while (head < c->nseg && !c->seg[head].path)
		head++;
	if (head == c->nseg) {
		if (rp->nseg != c->nseg)
			return false;
	} else if (rp->nseg < c->nseg) {
		return false;
	}
	for (size_t i = 0; i < c->nseg; i++) {
		const struct route_seg *s = &c->seg[i];
		size_t ri = i < head ? i : rp->nseg - (c->nseg - i);

		if (s->path)
			continue;
		if (!s->param) {
			if (strlen(rp->seg[ri]) != s->len ||
			    memcmp(rp->seg[ri], s->text, s->len) != 0)
				return false;
		}
	}
	for (size_t i = 0; i < c->nseg; i++) {
		const struct route_seg *s = &c->seg[i];
		size_t ri = i < head ? i : rp->nseg - (c->nseg - i);

		if (!s->param)
			continue;
		if (!s->path) {
			param[np++] = rp->seg[ri];
			continue;
		}
		rest = rp->nseg - c->nseg + 1; /* segments it spans */
		pathbuf[0] = '\0';
		for (size_t k = 0; k < rest; k++) {
			if (k)
				strncat(pathbuf, "/",
					pathlen - strlen(pathbuf) - 1);
			strncat(pathbuf, rp->seg[i + k],
				pathlen - strlen(pathbuf) - 1);
		}
		param[np++] = pathbuf;
	}
	return true;
}

static void router_reply_error(struct router_out *out, int status,
			       const char *type, const char *msg)
{
	json_t *body = api_error_body(type, msg);

	out->status = status;
	out->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
	out->body_len = out->body ? strlen(out->body) : 0;
	json_decref(body);
}

static enum api_method router_method(const char *name)
{
	for (size_t m = 0; m < sizeof(route_methods) / sizeof(route_methods[0]);
	     m++)
		if (strcmp(route_methods[m].name, name) == 0)
			return route_methods[m].method;
	return 0;
}

/* Drop what a failed or repeated run of a handler left. */
static void router_req_reset(struct api_req *r)
{
	json_decref(r->body);
	r->body = NULL;
	r->status = 0;
	if (r->defer)
		r->defer->free(r->defer);
	r->defer = NULL;
	if (r->stream)
		r->stream->free(r->stream);
	r->stream = NULL;
}

/* Run the handler in a transaction; commit a success, roll back the rest. */
static void router_run(const struct route *rt, struct api_req *r)
{
	int err;

	for (int attempt = 0; attempt < ROUTE_RETRIES; attempt++) {
		r->retry = false;
		r->queued = false;
		router_req_reset(r);
		err = db_begin(r->db, rt->method != API_GET ||
					      (rt->flags & ROUTE_WRITES));
		if (err < 0) {
			api_db_error(r, err);
		} else {
			rt->handler(r);
			if (r->status == 0)
				api_error(r, API_E_SERVER, "no reply");
			/* Operations queued: other hild processes learn of
			 * them at the commit, this one's engine after it. */
			if (r->status < 400 && r->queued &&
			    (err = engine_notify(r->db)) < 0)
				api_db_error(r, err);
			if (r->status < 400) {
				err = db_commit(r->db);
				if (err < 0)
					api_db_error(r, err);
				else if (r->queued)
					engine_kick();
			}
			if (r->status >= 400)
				db_rollback(r->db);
		}
		if (r->status >= 400 && (r->defer || r->stream)) {
			/* The error reply stands; what the handler prepared
			 * for a success goes. */
			json_t *body = json_incref(r->body);
			int status = r->status;

			router_req_reset(r);
			r->status = status;
			r->body = body;
		}
		if (!r->retry)
			return;
	}
}

/* The waker of a caller that cannot wait. */
static bool router_park_never(void *ctx)
{
	(void)ctx;
	return false;
}

static void router_wake_never(void *ctx)
{
	(void)ctx;
}

static const struct api_waker router_nowait = {
	router_park_never,
	router_wake_never,
	NULL,
};

/* Turn a finished api_req into the HTTP layer's reply; takes the stream
 * and the body. */
static void router_out_set(struct api_req *r, struct router_out *out)
{
	if (r->status == 401)
		out->www_authenticate = auth_challenge();
	out->status = r->status;
	if (r->stream) {
		json_decref(r->body);
		r->body = NULL;
		out->stream = r->stream;
		out->content_type = r->stream->content_type;
		r->stream = NULL;
	}
	if (r->body) {
		out->body = json_dumps(r->body, JSON_COMPACT | JSON_ENCODE_ANY);
		out->body_len = out->body ? strlen(out->body) : 0;
	}
	json_decref(r->body);
	r->body = NULL;
}

/* Poll d for r's reply; returns true when r holds it, false when the
 * request is parked. */
static bool router_defer_poll(struct api_defer *d, struct api_req *r,
			      const struct api_waker *w)
{
	json_decref(r->body);
	r->body = NULL;
	r->status = 0;
	if (!r->db) {
		api_error(r, API_E_SERVER, "the database is not available");
		return true;
	}
	if (d->poll(d, r, w ? w : &router_nowait) == 0)
		return false;
	if (r->status == 0)
		api_error(r, API_E_SERVER, "no reply");
	if (r->stream && (!w || r->status != 200)) {
		r->stream->free(r->stream);
		r->stream = NULL;
		if (r->status == 200)
			api_error(r, API_E_UNAVAILABLE,
				  "this reply is streamed over HTTP only");
	}
	return true;
}

void router_poll(struct api_defer *d, const struct api_waker *w,
		 struct router_out *out)
{
	struct api_req r = {0};

	memset(out, 0, sizeof(*out));
	out->content_type = "application/json";
	r.async = w != NULL;
	r.db = db_conn(router_db);
	if (!router_defer_poll(d, &r, w))
		return; /* status 0: parked */
	router_out_set(&r, out);
}

void router_handle(const struct router_in *in, struct router_out *out)
{
	const char *params[API_MAX_PARAMS] = {0};
	char pathbuf[API_MAX_PATH + 1], err[256];
	const struct route *rt = NULL;
	struct route_path rp;
	struct api_req r = {0};
	enum api_method method = router_method(in->method);
	unsigned allowed = 0;
	size_t i, ri = N_ROUTES;

	memset(out, 0, sizeof(*out));
	out->content_type = "application/json";
	if (route_split(in->path, &rp) == -EINVAL) {
		router_reply_error(out, 400, "ValidationError",
				   "the URL path is malformed or too long");
		return;
	}
	for (i = 0; i < N_ROUTES; i++) {
		if ((routes[i].flags & ROUTE_LOCAL_AUTH) && !router_local_auth)
			continue;
		if (!route_match(&compiled[i], &rp, params, pathbuf,
				 sizeof(pathbuf)))
			continue;
		allowed |= routes[i].method;
		if (routes[i].method == method && ri == N_ROUTES) {
			ri = i;
			memcpy(r.param, params, sizeof(params));
		}
	}
	if (!allowed) {
		router_reply_error(out, 404, "NotFoundError",
				   "no such API path");
		return;
	}
	if (ri == N_ROUTES) {
		/* The Allow header names the methods this path has. */
		static __thread char allow_tls[64];

		allow_tls[0] = '\0';
		for (size_t m = 0;
		     m < sizeof(route_methods) / sizeof(route_methods[0]); m++)
			if (allowed & route_methods[m].method) {
				if (allow_tls[0])
					strcat(allow_tls, ", ");
				strcat(allow_tls, route_methods[m].name);
			}
		out->allow = allow_tls;
		router_reply_error(out, 405, "MethodNotAllowedError",
				   "the method is not allowed on this path");
		return;
	}
	rt = &routes[ri];
	r.method = rt->method;

	/* Path labels: '/' only in a port (the one <x:path> parameter). */
	for (i = 0; i < compiled[ri].np; i++) {
		char what[48];

		snprintf(what, sizeof(what), "%s name", compiled[ri].pnames[i]);
		if (args_check_label(what, r.param[i], compiled[ri].pslash[i],
				     err, sizeof(err)) < 0) {
			router_reply_error(out, 400, "ValidationError", err);
			return;
		}
	}
	if (args_gather(in, rt->method == API_GET, rt->args,
			compiled[ri].pnames, compiled[ri].np, &r.args, err,
			sizeof(err)) < 0) {
		router_reply_error(out, 400, "ValidationError", err);
		return;
	}
	if (rt->check && rt->check(r.args, err, sizeof(err)) < 0) {
		router_reply_error(out, 400, "ValidationError", err);
		json_decref(r.args);
		return;
	}
	r.async = in->waker != NULL;
	r.db = db_conn(router_db);
	if (!r.db) {
		api_error(&r, API_E_SERVER, "the database is not available");
	} else if (auth_identify(&r, in->header, in->ctx) == 0) {
		router_run(rt, &r);
	}
	/* A reply that comes later: ask for it once now, outside the
	 * transaction; it may be there already. */
	if (r.defer && !router_defer_poll(r.defer, &r, in->waker)) {
		out->status = 0;
		out->defer = r.defer;
		r.defer = NULL;
	} else {
		if (r.defer)
			r.defer->free(r.defer);
		r.defer = NULL;
		if (r.stream && !in->waker) {
			r.stream->free(r.stream);
			r.stream = NULL;
			api_error(&r, API_E_UNAVAILABLE,
				  "this reply is streamed over HTTP only");
		}
		router_out_set(&r, out);
	}
	json_decref(r.body);
	json_decref(r.args);
	auth_ident_clear(&r.who);
}
