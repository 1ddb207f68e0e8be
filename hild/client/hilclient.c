/*
 * hilclient.c - the HIL v0 REST client: one kept HTTP connection per
 * client (http.c), JSON through jansson.
 */
#include "config.h"

#include "hilclient.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

#define CLIENT_API_PREFIX     "/v0/"
#define CLIENT_USER_AGENT     "hil-client/" PACKAGE_VERSION
#define CLIENT_MAX_ERROR_BODY (64 * 1024) /* kept of a streamed error */
#define CLIENT_POLL_MIN_MS    20
#define CLIENT_POLL_MAX_MS    500

struct hil_client {
	struct http_conn *conn;
	char *endpoint; /* without a trailing '/' */
	char *origin;	/* "scheme://host:port" of the endpoint */
	char *user;
	char *password;
	char *headers[HIL_CLIENT_MAX_HEADERS];
	size_t n_headers;
	hil_header_fn header_fn; /* a fresh header per request */
	void *header_arg;
	long timeout_ms;
};

/* Copy src into dst (size bytes), replacing control characters. */
static void client_copy_text(char *dst, size_t size, const char *src,
			     size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size && src[i]; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	dst[i] = '\0';
}

static void client_error_set(struct hil_error *err, long status,
			     const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void client_error_set(struct hil_error *err, long status,
			     const char *type, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err->status = status;
	client_copy_text(err->type, sizeof(err->type), type, strlen(type));
	client_copy_text(err->msg, sizeof(err->msg), msg, strlen(msg));
}

bool hil_error_is(const struct hil_error *err, const char *type)
{
	return err && type && strcmp(err->type, type) == 0;
}

/* Labels: the original client's character set. */
static bool client_label_char(unsigned char ch, bool allow_slash)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return true;
	if (ch == '/')
		return allow_slash;
	return ch != '\0' && strchr(" $_.+!*'(),-", ch) != NULL;
}

int hil_label_check(const char *label, bool allow_slash, struct hil_error *err)
{
	if (!label || !*label) {
		client_error_set(err, 0, HIL_ERR_BAD_ARGUMENT,
				 "empty name is not allowed");
		return -EINVAL;
	}
	for (const char *p = label; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (client_label_char(ch, allow_slash))
			continue;
		if (ch < 0x20 || ch >= 0x7f)
			client_error_set(err, 0, HIL_ERR_BAD_ARGUMENT,
					 "invalid byte 0x%02x in name", ch);
		else
			client_error_set(
				err, 0, HIL_ERR_BAD_ARGUMENT,
				"invalid character '%c' in name '%.64s'", ch,
				label);
		return -EINVAL;
	}
	return 0;
}

/* A growing string with a hard size limit. */
struct client_str {
	char *s;
	size_t len;
	size_t cap;
	size_t max;
};

static int client_str_add(struct client_str *b, const char *p, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -E2BIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static bool client_unreserved(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
	       ch == '.' || ch == '~';
}

/*
 * Append one label percent-encoded.  A path segment of only dots would
 * be taken as "." or ".." by whatever normalises the path on the way, so
 * its dots are encoded too.
 */
static int client_encode_label(struct client_str *b, const char *label,
			       bool allow_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *seg = label;
	int r;

	for (const char *p = label;; p++) {
		const char *end = p;
		bool dots;

		if (*p && !(allow_slash && *p == '/'))
			continue;
		dots = end > seg && strspn(seg, ".") >= (size_t)(end - seg);
		for (const char *q = seg; q < end; q++) {
			unsigned char ch = (unsigned char)*q;
			char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};

			if (client_unreserved(ch) && !dots)
				r = client_str_add(b, q, 1);
			else
				r = client_str_add(b, enc, 3);
			if (r < 0)
				return r;
		}
		if (!*p)
			return 0;
		r = client_str_add(b, "/", 1);
		if (r < 0)
			return r;
		seg = p + 1;
	}
}

static int client_path_vbuild(char **ret_path, struct hil_error *err,
			      const char *fmt, va_list ap)
{
	struct client_str b = {.max = HIL_CLIENT_MAX_PATH};
	int r = -EINVAL;

	if (!fmt)
		goto out;
	for (const char *p = fmt; *p; p++) {
		const char *arg;
		bool slash;

		if (*p != '%') {
			r = client_str_add(&b, p, 1);
			if (r < 0)
				goto out;
			continue;
		}
		p++;
		if (*p == '%') {
			r = client_str_add(&b, "%", 1);
			if (r < 0)
				goto out;
			continue;
		}
		if (*p != 'L' && *p != 'P') {
			r = -EINVAL;
			client_error_set(err, 0, HIL_ERR_BAD_ARGUMENT,
					 "bad path format '%s'", fmt);
			goto out;
		}
		slash = *p == 'P';
		arg = va_arg(ap, const char *);
		r = hil_label_check(arg, slash, err);
		if (r < 0)
			goto out;
		r = client_encode_label(&b, arg, slash);
		if (r < 0)
			goto out;
	}
	if (!b.s) {
		r = client_str_add(&b, "", 0);
		if (r < 0)
			goto out;
	}
	*ret_path = b.s;
	b.s = NULL;
	r = 0;
out:
	if (r == -E2BIG)
		client_error_set(err, 0, HIL_ERR_BAD_ARGUMENT,
				 "request path longer than %d bytes",
				 HIL_CLIENT_MAX_PATH);
	else if (r == -ENOMEM)
		client_error_set(err, 0, HIL_ERR_PROTOCOL, "out of memory");
	free(b.s);
	return r;
}

int hil_path_build(char **ret_path, struct hil_error *err, const char *path_fmt,
		   ...)
{
	va_list ap;
	int r;

	va_start(ap, path_fmt);
	r = client_path_vbuild(ret_path, err, path_fmt, ap);
	va_end(ap);
	return r;
}

/* API errors to errno values; the first matching row wins. */
static const struct {
	long status;	  /* 0: any 5xx */
	const char *type; /* NULL: any */
	int err;
} client_status_errs[] = {
	{409, "DuplicateError", -EEXIST},
	{409, NULL, -EBUSY},
	{400, NULL, -EINVAL},
	{401, NULL, -EACCES},
	{403, NULL, -EPERM},
	{404, NULL, -ENOENT},
	{405, NULL, -EOPNOTSUPP},
	{413, NULL, -E2BIG},
	{0, NULL, -EREMOTEIO},
};

int hil_error_from_reply(long status, const char *body, size_t len,
			 struct hil_error *err)
{
	struct hil_error e = {.status = status};
	json_t *j = NULL, *type, *msg;

	if (body && len)
		j = json_loadb(body, len, 0, NULL);
	type = json_object_get(j, "type");
	msg = json_object_get(j, "msg");
	if (json_is_string(type) && json_string_length(type) > 0) {
		client_copy_text(e.type, sizeof(e.type),
				 json_string_value(type),
				 json_string_length(type));
		if (json_is_string(msg))
			client_copy_text(e.msg, sizeof(e.msg),
					 json_string_value(msg),
					 json_string_length(msg));
	} else {
		client_error_set(&e, status, HIL_ERR_UNKNOWN,
				 "server answered HTTP %ld", status);
	}
	json_decref(j);
	if (err)
		*err = e;

	for (size_t i = 0;
	     i < sizeof(client_status_errs) / sizeof(client_status_errs[0]);
	     i++) {
		long s = client_status_errs[i].status;
		const char *t = client_status_errs[i].type;

		if (s ? s != status : status < 500 || status > 599)
			continue;
		if (t && strcmp(t, e.type) != 0)
			continue;
		return client_status_errs[i].err;
	}
	return -EPROTO;
}

int hil_client_new(const char *endpoint, const char *user, const char *password,
		   struct hil_client **ret_client)
{
	struct hil_client *c = NULL;
	size_t len;
	int r = -EINVAL;

	if (!endpoint || !ret_client)
		goto out;
	for (const char *p = endpoint; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
			goto out;
	for (const char *p = user; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == ':')
			goto out;
	for (const char *p = password; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			goto out;
	r = -EIO;
	if (http_global_init_once() < 0)
		goto out;

	r = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	c->timeout_ms = HIL_CLIENT_DEFAULT_TIMEOUT;
	len = strlen(endpoint);
	while (len > 0 && endpoint[len - 1] == '/')
		len--;
	c->endpoint = strndup(endpoint, len);
	if (!c->endpoint)
		goto out;
	r = -EINVAL;
	c->origin = http_origin(c->endpoint, true);
	if (!c->origin)
		goto out;
	r = -ENOMEM;
	if (user && *user) {
		c->user = strdup(user);
		c->password = strdup(password ? password : "");
		if (!c->user || !c->password)
			goto out;
	}
	if (http_conn_new(&c->conn) < 0)
		goto out;
	*ret_client = c;
	c = NULL;
	r = 0;
out:
	hil_client_free(c);
	return r;
}

struct hil_client *hil_client_free(struct hil_client *c)
{
	if (!c)
		return NULL;
	http_conn_free(c->conn);
	for (size_t i = 0; i < c->n_headers; i++)
		http_secret_free(c->headers[i]);
	http_secret_free(c->password);
	free(c->user);
	free(c->origin);
	free(c->endpoint);
	free(c);
	return NULL;
}

int hil_client_set_timeout(struct hil_client *c, long timeout_ms)
{
	if (!c || timeout_ms < 0)
		return -EINVAL;
	c->timeout_ms = timeout_ms;
	return 0;
}

/* A header line we may send: "Name: value", no control characters. */
static bool client_header_valid(const char *header)
{
	const char *colon = strchr(header, ':');

	if (!colon || colon == header || strlen(header) > HIL_CLIENT_MAX_HEADER)
		return false;
	for (const char *p = header; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return false;
		if (p < colon && (ch <= 0x20 || ch >= 0x7f))
			return false;
	}
	return true;
}

int hil_client_set_header(struct hil_client *c, const char *header)
{
	const char *colon;
	size_t name_len, i;
	bool removing;
	char *copy = NULL;

	if (!c || !header || !client_header_valid(header))
		return -EINVAL;
	colon = strchr(header, ':');
	name_len = (size_t)(colon - header);
	removing = colon[1 + strspn(colon + 1, " \t")] == '\0';
	if (!removing) {
		copy = strdup(header);
		if (!copy)
			return -ENOMEM;
	}
	for (i = 0; i < c->n_headers; i++)
		if (strncasecmp(c->headers[i], header, name_len) == 0 &&
		    c->headers[i][name_len] == ':')
			break;
	if (i < c->n_headers) {
		http_secret_free(c->headers[i]);
		if (copy) {
			c->headers[i] = copy;
			return 0;
		}
		c->headers[i] = c->headers[--c->n_headers];
		c->headers[c->n_headers] = NULL;
		return 0;
	}
	if (!copy)
		return 0;
	if (c->n_headers >= HIL_CLIENT_MAX_HEADERS) {
		http_secret_free(copy);
		return -E2BIG;
	}
	c->headers[c->n_headers++] = copy;
	return 0;
}

int hil_client_set_header_fn(struct hil_client *c, hil_header_fn fn, void *arg)
{
	if (!c)
		return -EINVAL;
	c->header_fn = fn;
	c->header_arg = fn ? arg : NULL;
	return 0;
}

static bool client_status_ok(long status)
{
	return status >= 200 && status < 300;
}

static const char *const client_methods[] = {
	"GET", "PUT", "POST", "DELETE", "PATCH",
};

static bool client_method_known(const char *method)
{
	for (size_t i = 0;
	     i < sizeof(client_methods) / sizeof(client_methods[0]); i++)
		if (strcmp(method, client_methods[i]) == 0)
			return true;
	return false;
}

/* The extra header lines of one request, NULL-terminated, in lines;
 * with_secrets is false for another origin.  A fresh credential line is
 * left in *ret_fresh (a secret: wipe it). */
static int client_headers(const struct hil_client *c, bool with_secrets,
			  const char **lines, char **ret_fresh,
			  struct hil_error *err)
{
	char *fresh = NULL, why[256] = "";
	size_t n = 0;
	int r;

	for (size_t i = 0; with_secrets && i < c->n_headers; i++)
		lines[n++] = c->headers[i];
	if (with_secrets && c->header_fn) {
		r = c->header_fn(c->header_arg, &fresh, why, sizeof(why));
		if (r >= 0 && (!fresh || !client_header_valid(fresh))) {
			r = -EINVAL;
			snprintf(why, sizeof(why), "not a header line");
		}
		if (r < 0) {
			http_secret_free(fresh);
			client_error_set(err, 0, HIL_ERR_CREDENTIAL,
					 "could not make a credential: %s",
					 why[0] ? why : strerror(-r));
			return r;
		}
		lines[n++] = fresh;
	}
	lines[n] = NULL;
	*ret_fresh = fresh;
	return 0;
}

/*
 * Perform method on url (following 307/308 redirects by hand, so that
 * credentials only ever go to the endpoint's origin; a stream function
 * gets only a 2xx answer's body) and leave the final answer in rep.
 */
static int client_perform(struct hil_client *c, const char *method,
			  const char *url, const char *body, hil_stream_fn fn,
			  void *userdata, struct http_reply *rep,
			  struct hil_error *err)
{
	const char *lines[HIL_CLIENT_MAX_HEADERS + 2];
	struct http_request req = {
		.method = method,
		.body = body,
		.headers = lines,
		.user_agent = CLIENT_USER_AGENT,
		.connect_timeout_ms = HIL_CLIENT_CONNECT_TIMEOUT,
		.timeout_ms = fn ? 0 : c->timeout_ms,
		.max_body = fn ? CLIENT_MAX_ERROR_BODY
			       : (size_t)HIL_CLIENT_MAX_REPLY,
		.stream = fn,
		.stream_arg = userdata,
	};
	char *next = NULL, *origin = NULL, *fresh = NULL, why[256];
	const char *target = url;
	int r;

	for (int hops = 0;; hops++) {
		bool same = true;

		if (target != url) {
			free(origin);
			origin = http_origin(target, false);
			if (!origin) {
				r = -EPROTO;
				client_error_set(err, rep->status,
						 HIL_ERR_PROTOCOL,
						 "redirect to an unusable "
						 "location");
				goto out;
			}
			same = strcmp(origin, c->origin) == 0;
		}
		http_reply_clear(rep);
		r = client_headers(c, same, lines, &fresh, err);
		if (r < 0)
			goto out;
		req.url = target;
		req.user = same ? c->user : NULL;
		req.password = same ? c->password : NULL;
		r = http_perform(c->conn, &req, rep, why, sizeof(why));
		http_secret_free(fresh);
		fresh = NULL;
		if (r < 0) {
			client_error_set(err, 0,
					 r == -EMSGSIZE || r == -ENOMEM
						 ? HIL_ERR_PROTOCOL
						 : HIL_ERR_CONNECTION,
					 "%s", why);
			goto out;
		}
		if (rep->stopped || (rep->status != 307 && rep->status != 308))
			break;
		if (hops >= HIL_CLIENT_MAX_REDIRECTS) {
			r = -ELOOP;
			client_error_set(err, rep->status, HIL_ERR_PROTOCOL,
					 "more than %d redirects",
					 HIL_CLIENT_MAX_REDIRECTS);
			goto out;
		}
		if (!rep->location) {
			r = -EPROTO;
			client_error_set(err, rep->status, HIL_ERR_PROTOCOL,
					 "redirect without a location");
			goto out;
		}
		http_secret_free(next);
		next = rep->location;
		rep->location = NULL;
		target = next;
	}
	r = 0;
out:
	http_secret_free(next);
	free(origin);
	return r;
}

static int client_vrequest(struct hil_client *c, const char *method,
			   const struct json_t *body, json_t **ret_reply,
			   hil_stream_fn fn, void *userdata,
			   struct hil_error *err, const char *path_fmt,
			   va_list ap)
{
	struct http_reply rep = {0};
	char *path = NULL, *url = NULL, *text = NULL;
	json_t *reply = NULL;
	int r = -EINVAL;

	if (!c || !method || !client_method_known(method) ||
	    (body && strcmp(method, "GET") == 0)) {
		client_error_set(err, 0, HIL_ERR_BAD_ARGUMENT,
				 "bad request method");
		goto out;
	}
	r = client_path_vbuild(&path, err, path_fmt, ap);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	if (asprintf(&url, "%s" CLIENT_API_PREFIX "%s", c->endpoint, path) <
	    0) {
		url = NULL;
		goto nomem;
	}
	if (body) {
		text = json_dumps((const json_t *)body,
				  JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text)
			goto nomem;
	}
	r = client_perform(c, method, url, text, fn, userdata, &rep, err);
	if (r < 0 || rep.stopped)
		goto out;
	if (!client_status_ok(rep.status)) {
		r = hil_error_from_reply(rep.status, rep.body, rep.len, err);
		goto out;
	}
	if (ret_reply && rep.len > 0) {
		json_error_t jerr;

		reply = json_loadb(rep.body, rep.len, JSON_DECODE_ANY, &jerr);
		if (!reply) {
			r = -EBADMSG;
			client_error_set(err, rep.status, HIL_ERR_PROTOCOL,
					 "answer is not JSON: %s", jerr.text);
			goto out;
		}
	}
	if (ret_reply)
		*ret_reply = reply;
	reply = NULL;
	r = 0;
	goto out;
nomem:
	client_error_set(err, 0, HIL_ERR_PROTOCOL, "out of memory");
out:
	json_decref(reply);
	http_reply_clear(&rep);
	/* A body may carry a password (user create, OBM settings). */
	http_secret_free(text);
	free(url);
	free(path);
	return r;
}

int hil_client_call(struct hil_client *c, const char *method,
		    const struct json_t *body, struct json_t **ret_reply,
		    struct hil_error *err, const char *path_fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, path_fmt);
	r = client_vrequest(c, method, body, ret_reply, NULL, NULL, err,
			    path_fmt, ap);
	va_end(ap);
	return r;
}

int hil_client_stream(struct hil_client *c, hil_stream_fn fn, void *userdata,
		      struct hil_error *err, const char *path_fmt, ...)
{
	va_list ap;
	int r;

	if (!fn) {
		client_error_set(err, 0, HIL_ERR_BAD_ARGUMENT,
				 "no stream callback");
		return -EINVAL;
	}
	va_start(ap, path_fmt);
	r = client_vrequest(c, "GET", NULL, NULL, fn, userdata, err, path_fmt,
			    ap);
	va_end(ap);
	return r;
}

char **hil_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	return NULL;
}

size_t hil_strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static int client_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A reply that must be an array of strings, as a sorted string list. */
static int client_reply_strv(json_t *reply, char ***ret_v,
			     struct hil_error *err)
{
	size_t n = json_array_size(reply), i;
	char **v;
	json_t *item;

	if (!json_is_array(reply)) {
		client_error_set(err, 200, HIL_ERR_PROTOCOL,
				 "answer is not a list");
		return -EBADMSG;
	}
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		goto nomem;
	json_array_foreach(reply, i, item)
	{
		if (!json_is_string(item)) {
			hil_strv_free(v);
			client_error_set(err, 200, HIL_ERR_PROTOCOL,
					 "answer is not a list of names");
			return -EBADMSG;
		}
		v[i] = strdup(json_string_value(item));
		if (!v[i]) {
			hil_strv_free(v);
			goto nomem;
		}
	}
	qsort(v, n, sizeof(*v), client_strcmp);
	*ret_v = v;
	return 0;
nomem:
	client_error_set(err, 0, HIL_ERR_PROTOCOL, "out of memory");
	return -ENOMEM;
}

/* A request whose answer is a list of names. */
static int client_get_strv(struct hil_client *c, char ***ret_v,
			   struct hil_error *err, const char *path_fmt,
			   const char *arg)
{
	json_t *reply = NULL;
	int r;

	r = hil_client_call(c, "GET", NULL, &reply, err, path_fmt, arg);
	if (r < 0)
		return r;
	r = client_reply_strv(reply, ret_v, err);
	json_decref(reply);
	return r;
}

static int client_nomem(struct hil_error *err)
{
	client_error_set(err, 0, HIL_ERR_PROTOCOL, "out of memory");
	return -ENOMEM;
}

int hil_project_create(struct hil_client *c, const char *project,
		       struct hil_error *err)
{
	return hil_client_call(c, "PUT", NULL, NULL, err, "project/%L",
			       project);
}

int hil_project_delete(struct hil_client *c, const char *project,
		       struct hil_error *err)
{
	return hil_client_call(c, "DELETE", NULL, NULL, err, "project/%L",
			       project);
}

int hil_project_list(struct hil_client *c, char ***ret_projects,
		     struct hil_error *err)
{
	return client_get_strv(c, ret_projects, err, "projects", NULL);
}

int hil_project_nodes(struct hil_client *c, const char *project,
		      char ***ret_nodes, struct hil_error *err)
{
	return client_get_strv(c, ret_nodes, err, "project/%L/nodes", project);
}

int hil_project_networks(struct hil_client *c, const char *project,
			 char ***ret_networks, struct hil_error *err)
{
	return client_get_strv(c, ret_networks, err, "project/%L/networks",
			       project);
}

/* POST a body with one label field to a path with one label. */
static int client_post_label(struct hil_client *c, const char *path_fmt,
			     const char *path_arg, const char *key,
			     const char *value, struct hil_error *err)
{
	json_t *body;
	int r;

	r = hil_label_check(value, false, err);
	if (r < 0)
		return r;
	body = json_pack("{ss}", key, value);
	if (!body)
		return client_nomem(err);
	r = hil_client_call(c, "POST", body, NULL, err, path_fmt, path_arg);
	json_decref(body);
	return r;
}

int hil_project_connect_node(struct hil_client *c, const char *project,
			     const char *node, struct hil_error *err)
{
	return client_post_label(c, "project/%L/connect_node", project, "node",
				 node, err);
}

int hil_project_detach_node(struct hil_client *c, const char *project,
			    const char *node, struct hil_error *err)
{
	return client_post_label(c, "project/%L/detach_node", project, "node",
				 node, err);
}

static void client_kv_free(struct hil_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

struct hil_node *hil_node_free(struct hil_node *node)
{
	if (!node)
		return NULL;
	for (size_t i = 0; node->nics && i < node->n_nics; i++) {
		struct hil_nic *nic = &node->nics[i];

		free(nic->label);
		free(nic->macaddr);
		free(nic->port);
		free(nic->switch_name);
		client_kv_free(nic->networks, nic->n_networks);
	}
	free(node->nics);
	client_kv_free(node->metadata, node->n_metadata);
	free(node->project);
	free(node->name);
	free(node);
	return NULL;
}

const char *hil_node_metadata(const struct hil_node *node, const char *key)
{
	for (size_t i = 0; node && key && i < node->n_metadata; i++)
		if (strcmp(node->metadata[i].key, key) == 0)
			return node->metadata[i].value;
	return NULL;
}

/* A copy of a string member, NULL for null or absent; -EBADMSG else. */
static int client_dup_member(json_t *obj, const char *key, bool required,
			     char **ret)
{
	json_t *v = json_object_get(obj, key);

	*ret = NULL;
	if (!v || json_is_null(v))
		return required ? -EBADMSG : 0;
	if (!json_is_string(v))
		return -EBADMSG;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

/* An object of strings (or, for metadata, any values) as pairs. */
static int client_parse_kv(json_t *obj, struct hil_kv **ret_kv, size_t *ret_n)
{
	size_t n = json_object_size(obj), i = 0;
	struct hil_kv *kv;
	const char *key;
	json_t *v;

	*ret_kv = NULL;
	*ret_n = 0;
	if (!obj || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return -EBADMSG;
	kv = calloc(n ? n : 1, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	json_object_foreach(obj, key, v)
	{
		kv[i].key = strdup(key);
		if (json_is_string(v))
			kv[i].value = strdup(json_string_value(v));
		else
			kv[i].value =
				json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		i++;
		if (!kv[i - 1].key || !kv[i - 1].value) {
			client_kv_free(kv, i);
			return -ENOMEM;
		}
	}
	*ret_kv = kv;
	*ret_n = i;
	return 0;
}

static int client_parse_node(json_t *j, struct hil_node **ret_node)
{
	struct hil_node *node;
	json_t *nics, *nic;
	size_t i;
	int r;

	if (!json_is_object(j))
		return -EBADMSG;
	node = calloc(1, sizeof(*node));
	if (!node)
		return -ENOMEM;
	r = client_dup_member(j, "name", true, &node->name);
	if (r < 0)
		goto out;
	r = client_dup_member(j, "project", false, &node->project);
	if (r < 0)
		goto out;
	r = client_parse_kv(json_object_get(j, "metadata"), &node->metadata,
			    &node->n_metadata);
	if (r < 0)
		goto out;
	nics = json_object_get(j, "nics");
	r = -EBADMSG;
	if (nics && !json_is_array(nics))
		goto out;
	r = -ENOMEM;
	node->nics = calloc(json_array_size(nics) + 1, sizeof(*node->nics));
	if (!node->nics)
		goto out;
	json_array_foreach(nics, i, nic)
	{
		struct hil_nic *n = &node->nics[i];

		node->n_nics = i + 1;
		r = -EBADMSG;
		if (!json_is_object(nic))
			goto out;
		r = client_dup_member(nic, "label", true, &n->label);
		if (r >= 0)
			r = client_dup_member(nic, "macaddr", false,
					      &n->macaddr);
		if (r >= 0)
			r = client_dup_member(nic, "port", false, &n->port);
		if (r >= 0)
			r = client_dup_member(nic, "switch", false,
					      &n->switch_name);
		if (r >= 0)
			r = client_parse_kv(json_object_get(nic, "networks"),
					    &n->networks, &n->n_networks);
		if (r < 0)
			goto out;
	}
	*ret_node = node;
	node = NULL;
	r = 0;
out:
	hil_node_free(node);
	return r;
}

int hil_node_list(struct hil_client *c, bool free_only, char ***ret_nodes,
		  struct hil_error *err)
{
	return client_get_strv(c, ret_nodes, err, "nodes/%L",
			       free_only ? "free" : "all");
}

int hil_node_show(struct hil_client *c, const char *node,
		  struct hil_node **ret_node, struct hil_error *err)
{
	json_t *reply = NULL;
	int r;

	r = hil_client_call(c, "GET", NULL, &reply, err, "node/%L", node);
	if (r < 0)
		return r;
	r = client_parse_node(reply, ret_node);
	json_decref(reply);
	if (r == -ENOMEM)
		client_nomem(err);
	else if (r < 0)
		client_error_set(err, 200, HIL_ERR_PROTOCOL,
				 "answer is not a node description");
	return r;
}

int hil_node_obm_set(struct hil_client *c, const char *node, bool enabled,
		     struct hil_error *err)
{
	json_t *body = json_pack("{sb}", "enabled", enabled);
	int r;

	if (!body)
		return client_nomem(err);
	r = hil_client_call(c, "PUT", body, NULL, err, "node/%L/obm", node);
	json_decref(body);
	return r;
}

int hil_node_power_on(struct hil_client *c, const char *node,
		      struct hil_error *err)
{
	return hil_client_call(c, "POST", NULL, NULL, err, "node/%L/power_on",
			       node);
}

int hil_node_power_off(struct hil_client *c, const char *node,
		       struct hil_error *err)
{
	return hil_client_call(c, "POST", NULL, NULL, err, "node/%L/power_off",
			       node);
}

int hil_node_power_cycle(struct hil_client *c, const char *node, bool force,
			 struct hil_error *err)
{
	json_t *body = json_pack("{sb}", "force", force);
	int r;

	if (!body)
		return client_nomem(err);
	r = hil_client_call(c, "POST", body, NULL, err, "node/%L/power_cycle",
			    node);
	json_decref(body);
	return r;
}

int hil_node_power_status(struct hil_client *c, const char *node,
			  char **ret_status, struct hil_error *err)
{
	json_t *reply = NULL;
	char *status = NULL;
	int r;

	r = hil_client_call(c, "GET", NULL, &reply, err, "node/%L/power_status",
			    node);
	if (r < 0)
		return r;
	r = client_dup_member(reply, "power_status", true, &status);
	json_decref(reply);
	if (r == -ENOMEM)
		return client_nomem(err);
	if (r < 0) {
		client_error_set(err, 200, HIL_ERR_PROTOCOL,
				 "answer has no power status");
		return r;
	}
	*ret_status = status;
	return 0;
}

int hil_node_set_bootdev(struct hil_client *c, const char *node,
			 const char *bootdev, struct hil_error *err)
{
	json_t *body;
	int r;

	r = hil_label_check(bootdev, false, err);
	if (r < 0)
		return r;
	body = json_pack("{ss}", "bootdev", bootdev);
	if (!body)
		return client_nomem(err);
	r = hil_client_call(c, "PUT", body, NULL, err, "node/%L/boot_device",
			    node);
	json_decref(body);
	return r;
}

int hil_node_metadata_set(struct hil_client *c, const char *node,
			  const char *key, const char *value,
			  struct hil_error *err)
{
	json_t *body;
	int r;

	if (!value) {
		client_error_set(err, 0, HIL_ERR_BAD_ARGUMENT,
				 "no metadata value");
		return -EINVAL;
	}
	body = json_pack("{ss}", "value", value);
	if (!body) {
		/* json_pack refuses strings that are not UTF-8. */
		client_error_set(err, 0, HIL_ERR_BAD_ARGUMENT,
				 "metadata value is not UTF-8 text");
		return -EINVAL;
	}
	r = hil_client_call(c, "PUT", body, NULL, err, "node/%L/metadata/%L",
			    node, key);
	json_decref(body);
	return r;
}

int hil_node_metadata_delete(struct hil_client *c, const char *node,
			     const char *key, struct hil_error *err)
{
	return hil_client_call(c, "DELETE", NULL, NULL, err,
			       "node/%L/metadata/%L", node, key);
}

int hil_metadata_decode_string(const char *stored, char **ret_value)
{
	json_t *j;
	char *v;

	if (!stored)
		return -EINVAL;
	j = json_loads(stored, JSON_DECODE_ANY, NULL);
	if (!json_is_string(j)) {
		json_decref(j);
		return -EINVAL;
	}
	v = strdup(json_string_value(j));
	json_decref(j);
	if (!v)
		return -ENOMEM;
	*ret_value = v;
	return 0;
}

/* The status id of a queued action from its answer. */
static int client_action_id(json_t *reply, char **ret_action,
			    struct hil_error *err)
{
	char *id = NULL;
	int r;

	r = client_dup_member(reply, "status_id", true, &id);
	if (r == -ENOMEM)
		return client_nomem(err);
	if (r < 0) {
		client_error_set(err, 200, HIL_ERR_PROTOCOL,
				 "answer has no status id");
		return r;
	}
	if (ret_action)
		*ret_action = id;
	else
		free(id);
	return 0;
}

static int client_queue(struct hil_client *c, json_t *body, char **ret_action,
			struct hil_error *err, const char *path_fmt,
			const char *a, const char *b)
{
	json_t *reply = NULL;
	int r;

	r = hil_client_call(c, "POST", body, &reply, err, path_fmt, a, b);
	if (r < 0)
		return r;
	r = client_action_id(reply, ret_action, err);
	json_decref(reply);
	return r;
}

int hil_node_connect_network(struct hil_client *c, const char *node,
			     const char *nic, const char *network,
			     const char *channel, char **ret_action,
			     struct hil_error *err)
{
	json_t *body;
	int r;

	r = hil_label_check(network, false, err);
	if (r == 0 && channel)
		r = hil_label_check(channel, true, err);
	if (r < 0)
		return r;
	body = channel ? json_pack("{ssss}", "network", network, "channel",
				   channel)
		       : json_pack("{ss}", "network", network);
	if (!body)
		return client_nomem(err);
	r = client_queue(c, body, ret_action, err,
			 "node/%L/nic/%L/connect_network", node, nic);
	json_decref(body);
	return r;
}

int hil_node_detach_network(struct hil_client *c, const char *node,
			    const char *nic, const char *network,
			    char **ret_action, struct hil_error *err)
{
	json_t *body;
	int r;

	r = hil_label_check(network, false, err);
	if (r < 0)
		return r;
	body = json_pack("{ss}", "network", network);
	if (!body)
		return client_nomem(err);
	r = client_queue(c, body, ret_action, err,
			 "node/%L/nic/%L/detach_network", node, nic);
	json_decref(body);
	return r;
}

int hil_port_revert(struct hil_client *c, const char *switch_name,
		    const char *port, char **ret_action, struct hil_error *err)
{
	return client_queue(c, NULL, ret_action, err,
			    "switch/%L/port/%P/revert", switch_name, port);
}

static const struct {
	const char *name;
	enum hil_action_status status;
} client_action_states[] = {
	{"PENDING", HIL_ACTION_PENDING},
	{"DONE", HIL_ACTION_DONE},
	{"ERROR", HIL_ACTION_ERROR},
};

/* The two kinds of queued operation: where each is read, and what it is
 * called in messages. */
struct client_action_kind {
	const char *path;
	const char *what;
};

static const struct client_action_kind client_networking_action = {
	"networking_action/%L", "action"};
static const struct client_action_kind client_obm_action = {"obm_action/%L",
							    "OBM action"};

/* Read the status of action of kind k.  An OBM action in ERROR leaves
 * hild's reason in err. */
static int client_action_get(struct hil_client *c,
			     const struct client_action_kind *k,
			     const char *action,
			     enum hil_action_status *ret_status,
			     struct hil_error *err)
{
	json_t *reply = NULL;
	const char *s, *why;
	int r;

	r = hil_client_call(c, "GET", NULL, &reply, err, k->path, action);
	if (r < 0)
		return r;
	s = json_string_value(json_object_get(reply, "status"));
	r = -EBADMSG;
	for (size_t i = 0; s && i < sizeof(client_action_states) /
						sizeof(client_action_states[0]);
	     i++) {
		if (strcmp(s, client_action_states[i].name) == 0) {
			*ret_status = client_action_states[i].status;
			r = 0;
			break;
		}
	}
	why = json_string_value(json_object_get(reply, "error"));
	if (r < 0)
		client_error_set(err, 200, HIL_ERR_PROTOCOL,
				 "%s '%.64s' has unknown status '%.32s'",
				 k->what, action, s ? s : "(none)");
	else if (*ret_status == HIL_ACTION_ERROR && k == &client_obm_action)
		client_error_set(err, 200, HIL_ERR_OBM, "%s",
				 why ? why : "(no reason given)");
	json_decref(reply);
	return r;
}

int hil_action_status(struct hil_client *c, const char *action,
		      enum hil_action_status *ret_status, struct hil_error *err)
{
	return client_action_get(c, &client_networking_action, action,
				 ret_status, err);
}

int hil_obm_action_status(struct hil_client *c, const char *action,
			  enum hil_action_status *ret_status,
			  struct hil_error *err)
{
	return client_action_get(c, &client_obm_action, action, ret_status,
				 err);
}

static int64_t client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int client_action_wait(struct hil_client *c,
			      const struct client_action_kind *k,
			      const char *action, long timeout_ms,
			      bool (*stop)(void *arg), void *arg,
			      enum hil_action_status *ret_status,
			      struct hil_error *err)
{
	int64_t deadline = client_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	long pause = CLIENT_POLL_MIN_MS;

	for (;;) {
		enum hil_action_status st;
		int64_t left;
		int r;

		r = client_action_get(c, k, action, &st, err);
		if (r < 0)
			return r;
		if (st != HIL_ACTION_PENDING) {
			*ret_status = st;
			return 0;
		}
		left = deadline - client_now_ms();
		if (left <= 0) {
			client_error_set(err, 0, HIL_ERR_TIMEOUT,
					 "%s '%.64s' still pending after "
					 "%ld ms",
					 k->what, action, timeout_ms);
			return -ETIMEDOUT;
		}
		if (stop && stop(arg))
			return -EINTR;
		if (pause > left)
			pause = (long)left;
		struct timespec ts = {
			.tv_sec = pause / 1000,
			.tv_nsec = (pause % 1000) * 1000000L,
		};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		pause = pause * 2 > CLIENT_POLL_MAX_MS ? CLIENT_POLL_MAX_MS
						       : pause * 2;
	}
}

int hil_action_wait_stop(struct hil_client *c, const char *action,
			 long timeout_ms, bool (*stop)(void *arg), void *arg,
			 enum hil_action_status *ret_status,
			 struct hil_error *err)
{
	return client_action_wait(c, &client_networking_action, action,
				  timeout_ms, stop, arg, ret_status, err);
}

int hil_obm_action_wait_stop(struct hil_client *c, const char *action,
			     long timeout_ms, bool (*stop)(void *arg),
			     void *arg, enum hil_action_status *ret_status,
			     struct hil_error *err)
{
	return client_action_wait(c, &client_obm_action, action, timeout_ms,
				  stop, arg, ret_status, err);
}

int hil_action_wait(struct hil_client *c, const char *action, long timeout_ms,
		    enum hil_action_status *ret_status, struct hil_error *err)
{
	return hil_action_wait_stop(c, action, timeout_ms, NULL, NULL,
				    ret_status, err);
}
