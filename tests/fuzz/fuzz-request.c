/*
 * fuzz-request.c - libFuzzer target for the request path that does not
 * depend on the HTTP library (api/router.c): route match, argument
 * gathering and validation, authentication and the handlers, against a
 * real SQLite database with local users.
 *
 * An input is one or more requests separated by a line holding "%%":
 *
 *     METHOD SP PATH[?QUERY] LF
 *     Header-Name: value LF        (zero or more)
 *     LF
 *     body
 *
 * The requests of one input run in order against one database, so that a
 * sequence (create a project, register a node, connect it) reaches the
 * handlers' deeper checks.  Before an input that follows a change, the
 * database is put back to its initial state (one admin user "admin" with
 * password FUZZ_ADMIN_PASSWORD, a pool of four VLANs, nothing else), so every finding replays
 * from its input alone.  (The credential cache needs no reset: an entry
 * holds the stored hash it was checked against.)
 *
 * Besides crashes and sanitizer reports, every reply is held to what
 * DESIGN.md promises of any response: a status in 200..599, a body only
 * with a content type, JSON that parses, errors as {"type", "msg"} objects
 * whose type matches the status, a challenge with every 401, an Allow list
 * with every 405, and no 500 ServerError whatever the client sends.
 *
 * Environment:
 *   HIL_FUZZ_PLUGIN_DIR  a plugin directory holding obm/mock.so and
 *                        switch/mock.so (run-fuzz.sh makes one)
 *   HIL_FUZZ_LOG         hild's log level (default "error")
 *   HIL_FUZZ_TRACE       print every request and its reply on stderr
 *   HIL_FUZZ_ALLOW_500=1 do not count a 500 ServerError as a finding
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/router.h"
#include "db/db.h"
#include "log.h"
#include "plugin.h"
#include "vlan.h"

#define FUZZ_MAX_REQUESTS   16
#define FUZZ_MAX_HEADERS    16
#define FUZZ_MAX_QUERY	    16
#define FUZZ_SEPARATOR	    "\n%%\n"
#define FUZZ_ADMIN	    "admin"
#define FUZZ_ADMIN_PASSWORD "fuzz-admin-pw"
#define FUZZ_DUMP_MAX	    512 /* bytes of a body shown with a finding */
/* A small VLAN pool, so that running out of it is reachable too. */
#define FUZZ_VLANS "100-103"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_kv {
	char *k;
	char *v;
};

struct fuzz_req {
	char *method;
	char *path;
	struct fuzz_kv query[FUZZ_MAX_QUERY];
	size_t nquery;
	struct fuzz_kv header[FUZZ_MAX_HEADERS];
	size_t nheader;
	char *body; /* exactly body_len bytes, no terminator */
	size_t body_len;
};

static struct {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	char pristine[PATH_MAX];
	char uri[PATH_MAX + 16];
	struct db *db;
	bool dirty;	/* the database may differ from the pristine copy */
	bool allow_500; /* HIL_FUZZ_ALLOW_500 */
	bool trace;	/* HIL_FUZZ_TRACE */
} fz;

/* Error types and the statuses each may come with. */
static const struct {
	const char *type;
	int status;
	int status2;
} fuzz_errors[] = {
	{"ValidationError", 400, 400},	  {"BadArgumentError", 400, 400},
	{"AuthorizationError", 401, 403}, {"NotFoundError", 404, 404},
	{"DuplicateError", 409, 409},	  {"ProjectMismatchError", 409, 409},
	{"BlockedError", 409, 409},	  {"IllegalStateError", 409, 409},
	{"AllocationError", 500, 500},	  {"ServerError", 500, 500},
};

static void *fuzz_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "fuzz-request: out of memory\n");
		abort();
	}
	return p;
}

static char *fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = fuzz_xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Length of the line at p (without CR LF); *ret_next is where the next
 * line starts (n when there is none). */
static size_t fuzz_line(const uint8_t *p, size_t n, size_t *ret_next)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t len = lf ? (size_t)(lf - p) : n;

	*ret_next = lf ? len + 1 : n;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

static void fuzz_parse_query(struct fuzz_req *req, char *qs)
{
	char *save = NULL;

	for (char *kv = strtok_r(qs, "&", &save);
	     kv && req->nquery < FUZZ_MAX_QUERY;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		struct fuzz_kv *q = &req->query[req->nquery++];

		if (eq)
			*eq = '\0';
		q->k = strdup(kv);
		q->v = strdup(eq ? eq + 1 : "");
		if (!q->k || !q->v)
			abort();
	}
}

static void fuzz_parse(const uint8_t *p, size_t n, struct fuzz_req *req)
{
	size_t next, len = fuzz_line(p, n, &next);
	const uint8_t *sp = memchr(p, ' ', len);
	char *target, *qs;

	memset(req, 0, sizeof(*req));
	req->method = fuzz_strndup(p, sp ? (size_t)(sp - p) : len);
	target = sp ? fuzz_strndup(sp + 1, len - (size_t)(sp - p) - 1)
		    : fuzz_strndup(p, 0);
	qs = strchr(target, '?');
	if (qs)
		*qs++ = '\0';
	req->path = strdup(target);
	if (!req->path)
		abort();
	if (qs)
		fuzz_parse_query(req, qs);
	free(target);
	p += next;
	n -= next;

	/* Headers up to an empty line; without one, the rest is headers. */
	while (n > 0) {
		const uint8_t *colon, *v;

		len = fuzz_line(p, n, &next);
		if (len == 0) {
			p += next;
			n -= next;
			break;
		}
		colon = memchr(p, ':', len);
		if (colon && req->nheader < FUZZ_MAX_HEADERS) {
			struct fuzz_kv *h = &req->header[req->nheader++];

			v = colon + 1;
			while (v < p + len && (*v == ' ' || *v == '\t'))
				v++;
			h->k = fuzz_strndup(p, (size_t)(colon - p));
			h->v = fuzz_strndup(v, (size_t)(p + len - v));
		}
		p += next;
		n -= next;
		if (n == 0)
			return;
	}
	if (n > 0) {
		/* No terminator, so that a read past body_len is caught. */
		req->body = fuzz_xmalloc(n);
		memcpy(req->body, p, n);
		req->body_len = n;
	}
}

static void fuzz_req_clear(struct fuzz_req *req)
{
	for (size_t i = 0; i < req->nquery; i++) {
		free(req->query[i].k);
		free(req->query[i].v);
	}
	for (size_t i = 0; i < req->nheader; i++) {
		free(req->header[i].k);
		free(req->header[i].v);
	}
	free(req->method);
	free(req->path);
	free(req->body);
}

static const char *fuzz_query(void *ctx, const char *name)
{
	const struct fuzz_req *req = ctx;

	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].k, name) == 0)
			return req->query[i].v;
	return NULL;
}

static int fuzz_query_each(void *ctx,
			   int (*fn)(void *arg, const char *k, const char *v),
			   void *arg)
{
	const struct fuzz_req *req = ctx;

	for (size_t i = 0; i < req->nquery; i++) {
		int r = fn(arg, req->query[i].k, req->query[i].v);

		if (r != 0)
			return r;
	}
	return 0;
}

static const char *fuzz_header(void *ctx, const char *name)
{
	const struct fuzz_req *req = ctx;

	for (size_t i = 0; i < req->nheader; i++)
		if (strcasecmp(req->header[i].k, name) == 0)
			return req->header[i].v;
	return NULL;
}

static void fuzz_dump(const struct fuzz_req *req, const struct router_out *out,
		      const char *why)
{
	fprintf(stderr,
		"fuzz-request: %s\n  request: %s '%s' (%zu body bytes)\n", why,
		req->method, req->path, req->body_len);
	fprintf(stderr, "  reply: %d, content type '%s', body '%.*s'\n",
		out->status, out->content_type ? out->content_type : "(none)",
		out->body ? (int)(out->body_len < FUZZ_DUMP_MAX ? out->body_len
								: FUZZ_DUMP_MAX)
			  : 0,
		out->body ? out->body : "");
}

/* What is wrong with a reply, or NULL. */
static const char *fuzz_reply_fault(const struct router_out *out)
{
	const char *why = NULL, *type;
	json_t *body = NULL;
	size_t i;

	if (out->status < 200 || out->status > 599)
		return "status out of range";
	if (out->body_len > 0 && !out->body)
		return "body length without a body";
	if (out->body && !out->content_type)
		return "body without a content type";
	if (out->status == 401 && !out->www_authenticate)
		return "401 without a challenge";
	if (out->status == 405 && !out->allow)
		return "405 without an allow list";
	if (out->body && strstr(out->content_type, "json")) {
		body = json_loadb(out->body, out->body_len, JSON_DECODE_ANY,
				  NULL);
		if (!body)
			return "body is not json";
	}
	if (out->status < 400)
		goto out;
	why = "error without a {\"type\", \"msg\"} body";
	if (!json_is_object(body) ||
	    !json_is_string(json_object_get(body, "msg")) ||
	    !json_is_string(json_object_get(body, "type")))
		goto out;
	type = json_string_value(json_object_get(body, "type"));
	for (i = 0; i < sizeof(fuzz_errors) / sizeof(fuzz_errors[0]); i++)
		if (strcmp(type, fuzz_errors[i].type) == 0)
			break;
	why = NULL;
	if (i == sizeof(fuzz_errors) / sizeof(fuzz_errors[0])) {
		/* Route-level 404 and 405 may name their own types. */
		if (out->status != 404 && out->status != 405)
			why = "unknown error type";
	} else if (out->status != fuzz_errors[i].status &&
		   out->status != fuzz_errors[i].status2) {
		why = "error type does not match the status";
	} else if (strcmp(type, "ServerError") == 0 && !fz.allow_500) {
		why = "internal server error";
	}
out:
	json_decref(body);
	return why;
}

static void fuzz_cleanup(void);

static void fuzz_run(struct fuzz_req *req)
{
	struct router_in in = {
		.method = req->method,
		.path = req->path,
		.body = req->body,
		.body_len = req->body_len,
		.query = fuzz_query,
		.query_each = fuzz_query_each,
		.header = fuzz_header,
		.ctx = req,
	};
	struct router_out out = {0};
	const char *why;

	router_handle(&in, &out);
	if (fz.trace)
		fprintf(stderr, "%s %s -> %d %.*s\n", req->method, req->path,
			out.status, out.body ? (int)out.body_len : 0,
			out.body ? out.body : "");
	why = fuzz_reply_fault(&out);
	if (why) {
		fuzz_dump(req, &out, why);
		fuzz_cleanup(); /* abort() skips atexit */
		abort();
	}
	if (out.status < 300 && strcmp(req->method, "GET") != 0)
		fz.dirty = true;
	free(out.body);
}

static int fuzz_copy(const char *from, const char *to)
{
	char buf[65536];
	int in, out, r;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	r = 0;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			r = -EIO;
			break;
		}
	}
	close(in);
	if (close(out) < 0 && r == 0)
		r = -errno;
	return r;
}

static void fuzz_die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz-request: %s: %s\n", what, why);
	exit(2);
}

static void fuzz_unlink_db(void)
{
	char p[PATH_MAX + 8];

	snprintf(p, sizeof(p), "%s-wal", fz.path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fz.path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", fz.path);
	unlink(p);
	unlink(fz.path);
}

static void fuzz_db_open(void)
{
	const char *err = NULL;
	int r;

	r = db_open(fz.uri, &fz.db, &err);
	if (r < 0)
		fuzz_die("could not open the database",
			 err ? err : strerror(-r));
	router_setup(fz.db, true);
}

static void fuzz_reset(void)
{
	int r;

	fz.db = db_free(fz.db);
	fuzz_unlink_db();
	r = fuzz_copy(fz.pristine, fz.path);
	if (r < 0)
		fuzz_die("could not restore the database", strerror(-r));
	fuzz_db_open();
	fz.dirty = false;
}

static void fuzz_cleanup(void)
{
	char p[PATH_MAX + 8];

	fz.db = db_free(fz.db);
	plugin_unload_all();
	fuzz_unlink_db();
	unlink(fz.pristine);
	snprintf(p, sizeof(p), "%s.lock", fz.path);
	unlink(p);
	rmdir(fz.dir);
}

/* The mock OBM and switch plugins, when built, so that nodes and switches
 * can be registered. */
static void fuzz_load_plugins(void)
{
	static const struct {
		const char *sub;
		enum hil_plugin_kind kind;
	} kinds[] = {
		{"obm", HIL_PLUGIN_OBM},
		{"switch", HIL_PLUGIN_SWITCH},
	};
	const char *base = getenv("HIL_FUZZ_PLUGIN_DIR");
	char dir[PATH_MAX], so[PATH_MAX + 16];

	if (!base) {
		fprintf(stderr, "fuzz-request: HIL_FUZZ_PLUGIN_DIR not set: "
				"node and switch calls stop at validation\n");
		return;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", base, kinds[i].sub);
		snprintf(so, sizeof(so), "%s/mock.so", dir);
		if (access(so, R_OK) != 0) {
			fprintf(stderr,
				"fuzz-request: no '%s': %s calls stop "
				"at validation\n",
				so, kinds[i].sub);
			continue;
		}
		if (plugin_load(dir, "mock", kinds[i].kind) < 0)
			fuzz_die("could not load", so);
	}
	if (plugin_init_all() < 0)
		fuzz_die("could not initialise plugins", base);
}

static void fuzz_create_admin(struct db *db)
{
	struct db_conn *c = db_conn(db);

	if (!c || db_begin(c, true) < 0)
		fuzz_die("could not open a transaction", fz.uri);
	if (auth_create_admin(c, FUZZ_ADMIN, FUZZ_ADMIN_PASSWORD) < 0 ||
	    db_commit(c) < 0)
		fuzz_die("could not create the admin user", fz.uri);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR"), *lvl = getenv("HIL_FUZZ_LOG");
	const char *allow = getenv("HIL_FUZZ_ALLOW_500");
	int level = lvl ? log_level_parse(lvl) : LOG_ERR;
	struct db *db = NULL;
	const char *err = NULL;
	int r;

	log_setup(false, level < 0 ? LOG_ERR : level);
	fz.allow_500 = allow && strcmp(allow, "1") == 0;
	fz.trace = getenv("HIL_FUZZ_TRACE") != NULL;

	/* tmpfs when there is one: SQLite syncs every commit. */
	if (!tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fz.dir, sizeof(fz.dir), "%s/hil-fuzz-XXXXXX", tmp);
	if (!mkdtemp(fz.dir))
		fuzz_die("could not create a directory", fz.dir);
	snprintf(fz.path, sizeof(fz.path), "%s/hil.db", fz.dir);
	snprintf(fz.pristine, sizeof(fz.pristine), "%s/pristine.db", fz.dir);
	snprintf(fz.uri, sizeof(fz.uri), "sqlite://%s", fz.path);
	atexit(fuzz_cleanup);

	fuzz_load_plugins();
	r = db_open(fz.uri, &db, &err);
	if (r < 0)
		fuzz_die("could not open the database",
			 err ? err : strerror(-r));
	if (db_upgrade(db) < 0)
		fuzz_die("could not create the schema", fz.uri);
	if (vlan_pool_sync(db, FUZZ_VLANS) < 0)
		fuzz_die("could not fill the VLAN pool", FUZZ_VLANS);
	fuzz_create_admin(db);
	db_free(db);
	r = fuzz_copy(fz.path, fz.pristine);
	if (r < 0)
		fuzz_die("could not copy the database", strerror(-r));

	if (auth_setup("local", false) < 0)
		fuzz_die("could not set up authentication", "local");
	fuzz_db_open();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_req reqs[FUZZ_MAX_REQUESTS];
	size_t n = 0, pos = 0, seplen = strlen(FUZZ_SEPARATOR);

	if (fz.dirty)
		fuzz_reset();
	while (n < FUZZ_MAX_REQUESTS) {
		const uint8_t *sep =
			memmem(data + pos, size - pos, FUZZ_SEPARATOR, seplen);
		size_t end = sep ? (size_t)(sep - data) : size;

		fuzz_parse(data + pos, end - pos, &reqs[n++]);
		if (!sep)
			break;
		pos = end + seplen;
	}
	for (size_t i = 0; i < n; i++)
		fuzz_run(&reqs[i]);
	for (size_t i = 0; i < n; i++)
		fuzz_req_clear(&reqs[i]);
	return 0;
}
