/*
 * apitest - a table-driven HTTP test runner for the hild REST API.
 *
 *   apitest -u http://127.0.0.1:PORT [--admin USER:PASS] SCRIPT...
 *   apitest --probe URL      exit 0 once anything answers HTTP at URL
 *   apitest --free-port      print a TCP port free on 127.0.0.1
 *
 * A script holds one request per line and every request line is one TAP
 * test point.  The format (see tests/integration/api/README):
 *
 *   # comment
 *   user NAME PASSWORD            a caller (HTTP Basic) named after its login
 *   cred ALIAS LOGIN PASSWORD     a caller whose login differs from its alias
 *   set NAME VALUE                a variable; ${NAME} expands on later lines
 *   header NAME: VALUE            an extra header for the next request only
 *   as WHO METHOD PATH [BODY] -> STATUS [ErrorType] [CLAUSE...]
 *   wait as ...                   the same request, sent again until the
 *                                 reply is as expected (for what the
 *                                 engine does after a 202)
 *
 * WHO is a caller, "admin" (from --admin) or "anon" (no credentials).  PATH
 * is sent as written (percent-encode what needs it).  BODY is sent verbatim,
 * or built by "@pad N TEMPLATE" (the '%' of TEMPLATE filled with 'a' up to
 * N bytes), "@nest N TEMPLATE" (the '%' replaced by N nested arrays) or
 * "@raw TEXT" (C escapes \xHH \n \r \t \\ decoded).  STATUS may list
 * alternatives ("400|414").  The clauses check the reply:
 *
 *   JSON            the body equals JSON (object key order ignored)
 *   ~ JSON          the body contains JSON: objects recursively by key
 *   sorted JSON     the body is an array equal to JSON as a multiset
 *   has "TEXT"      the raw body contains TEXT; !has: does not
 *   hdr "NAME" "TEXT"  reply header NAME exists and its value contains TEXT
 *   save NAME PATH  store the value at PATH (".", ".key", ".0.key") in NAME
 *   empty           the body is empty; * accepts any body
 *
 * A 2xx reply with no body clause must have an empty body.  Whatever the
 * clauses say, every non-empty reply must be JSON with Content-Type
 * application/json, every error body must be {"type": str, "msg": str}, a
 * 401 must carry WWW-Authenticate and a 405 must carry Allow.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#else
#define _GNU_SOURCE /* asprintf, strndup outside the build system */
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "tap.h"

#define APITEST_TIMEOUT_S  30L	     /* one request, seconds */
#define APITEST_MAX_BODY   (1 << 24) /* a reply we keep, bytes */
#define APITEST_MAX_PAD	   (1 << 24) /* @pad / @nest size */
#define APITEST_DIAG_BODY  1500	     /* reply bytes shown on failure */
#define APITEST_DESC_MAX   160	     /* request text in a test name */
#define APITEST_MAX_STATUS 4	     /* alternatives in "-> 400|414" */
#define APITEST_ARROW	   " -> "
#define APITEST_WAIT_S	   30 /* "wait as": how long to try */
#define APITEST_WAIT_MS	   20 /* "wait as": pause between tries */

struct kv {
	char *name;
	char *value;
	char *extra; /* cred: the password */
	struct kv *next;
};

struct reply {
	long status;
	char *body;
	size_t len;
	bool truncated;
	struct kv *headers; /* name (lowercase) -> value */
};

struct runner {
	CURL *curl;
	const char *base_url;
	struct kv *creds; /* alias -> login, password in extra */
	struct kv *vars;
	struct curl_slist *next_headers;
	char failure[2048]; /* why the current test failed */
};

static void kv_free_all(struct kv *l)
{
	while (l) {
		struct kv *next = l->next;

		free(l->name);
		free(l->value);
		free(l->extra);
		free(l);
		l = next;
	}
}

static struct kv *kv_find(struct kv *l, const char *name)
{
	for (; l; l = l->next)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/* Insert or replace; returns 0 or -ENOMEM. */
static int kv_set(struct kv **l, const char *name, const char *value,
		  const char *extra)
{
	struct kv *e = kv_find(*l, name);
	char *v = strdup(value), *x = extra ? strdup(extra) : NULL;

	if (!v || (extra && !x)) {
		free(v);
		free(x);
		return -ENOMEM;
	}
	if (e) {
		free(e->value);
		free(e->extra);
		e->value = v;
		e->extra = x;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(name))) {
		free(e);
		free(v);
		free(x);
		return -ENOMEM;
	}
	e->value = v;
	e->extra = x;
	e->next = *l;
	*l = e;
	return 0;
}

static __attribute__((format(printf, 2, 3))) bool fail(struct runner *t,
						       const char *fmt, ...)
{
	size_t used = strlen(t->failure);
	va_list ap;

	if (used && used < sizeof(t->failure) - 1)
		t->failure[used++] = '\n';
	va_start(ap, fmt);
	vsnprintf(t->failure + used, sizeof(t->failure) - used, fmt, ap);
	va_end(ap);
	return false;
}

/* Like strchr(), takes a const string and returns a pointer into it. */
static char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return (char *)s;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* Cut the next whitespace-separated word off *s; NULL at the end. */
static char *next_word(char **s)
{
	char *w = skip_ws(*s), *e;

	if (!*w)
		return NULL;
	e = w + strcspn(w, " \t");
	if (*e)
		*e++ = '\0';
	*s = e;
	return w;
}

/* Expand ${NAME}; a bare '$' stays.  Returns a malloc()ed line or NULL. */
static char *expand_vars(struct runner *t, const char *in)
{
	size_t cap = strlen(in) + 1, len = 0;
	char *out = malloc(cap);
	const char *p = in;

	if (!out)
		return NULL;
	while (*p) {
		const char *end;
		struct kv *v;
		size_t add;
		const char *src;
		char name[128];

		if (p[0] != '$' || p[1] != '{' || !(end = strchr(p + 2, '}'))) {
			src = p;
			add = 1;
			p++;
		} else {
			size_t n = (size_t)(end - p - 2);

			if (n >= sizeof(name)) {
				fail(t, "variable name too long");
				free(out);
				return NULL;
			}
			memcpy(name, p + 2, n);
			name[n] = '\0';
			v = kv_find(t->vars, name);
			if (!v) {
				fail(t, "undefined variable '%s'", name);
				free(out);
				return NULL;
			}
			src = v->value;
			add = strlen(v->value);
			p = end + 1;
		}
		if (len + add + 1 > cap) {
			char *n2;

			cap = (len + add + 1) * 2;
			n2 = realloc(out, cap);
			if (!n2) {
				free(out);
				return NULL;
			}
			out = n2;
		}
		memcpy(out + len, src, add);
		len += add;
	}
	out[len] = '\0';
	return out;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = size * n;
	char *nb;

	if (r->len + add > APITEST_MAX_BODY) {
		r->truncated = true;
		return add;
	}
	nb = realloc(r->body, r->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, data, add);
	r->body = nb;
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;
	char *line, *colon, *v;

	line = strndup(data, len);
	if (!line)
		return 0;
	/* A new status line (after a 100 Continue, say) starts over. */
	if (strncmp(line, "HTTP/", 5) == 0) {
		kv_free_all(r->headers);
		r->headers = NULL;
	}
	colon = strchr(line, ':');
	if (colon) {
		*colon = '\0';
		for (v = line; *v; v++)
			*v = (char)tolower((unsigned char)*v);
		v = skip_ws(colon + 1);
		rtrim(v);
		if (kv_set(&r->headers, line, v, NULL) < 0) {
			free(line);
			return 0;
		}
	}
	free(line);
	return len;
}

static void reply_clear(struct reply *r)
{
	free(r->body);
	kv_free_all(r->headers);
	memset(r, 0, sizeof(*r));
}

static const char *reply_header(const struct reply *r, const char *name)
{
	char low[128];
	struct kv *h;
	size_t i;

	for (i = 0; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	h = kv_find(r->headers, low);
	return h ? h->value : NULL;
}

/* Decode \xHH \n \r \t \\ in place; returns the new length. */
static size_t unescape(char *s)
{
	char *in = s, *out = s;

	while (*in) {
		if (in[0] != '\\' || !in[1]) {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case 'n':
			*out++ = '\n';
			in++;
			break;
		case 'r':
			*out++ = '\r';
			in++;
			break;
		case 't':
			*out++ = '\t';
			in++;
			break;
		case 'x':
			if (isxdigit((unsigned char)in[1]) &&
			    isxdigit((unsigned char)in[2])) {
				char hex[3] = {in[1], in[2], '\0'};

				*out++ = (char)strtol(hex, NULL, 16);
				in += 3;
				break;
			}
			/* fall through */
		default:
			*out++ = *in++;
			break;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/* Does the header list already name a Content-Type? */
static bool headers_have(const struct curl_slist *h, const char *name)
{
	size_t n = strlen(name);

	for (; h; h = h->next)
		if (strncasecmp(h->data, name, n) == 0 && h->data[n] == ':')
			return true;
	return false;
}

/*
 * Build the request body from the script's text.  Returns 0 and sets
 * *ret_body (malloc()ed, may hold NULs) and *ret_len, or a negative errno
 * with the failure recorded.
 */
static int make_body(struct runner *t, const char *text, char **ret_body,
		     size_t *ret_len)
{
	const char *tmpl, *pct, *num;
	char *body, *end;
	bool pad;
	size_t n, len;
	long count;

	if (strncmp(text, "@raw ", 5) == 0) {
		body = strdup(text + 5);
		if (!body)
			return -ENOMEM;
		*ret_len = unescape(body);
		*ret_body = body;
		return 0;
	}
	pad = strncmp(text, "@pad ", 5) == 0;
	if (!pad && strncmp(text, "@nest ", 6) != 0) {
		body = strdup(text);
		if (!body)
			return -ENOMEM;
		*ret_len = strlen(body);
		*ret_body = body;
		return 0;
	}
	num = text + (pad ? 5 : 6);
	count = strtol(num, &end, 10);
	if (end == num || count < 0 || count > APITEST_MAX_PAD) {
		fail(t, "%s needs a count", pad ? "@pad" : "@nest");
		return -EINVAL;
	}
	tmpl = skip_ws(end);
	pct = strchr(tmpl, '%');
	if (!pct) {
		fail(t, "the template has no '%%'");
		return -EINVAL;
	}
	len = strlen(tmpl) - 1;
	if (pad && (size_t)count < len) {
		fail(t, "@pad %ld is shorter than its template", count);
		return -EINVAL;
	}
	n = pad ? (size_t)count - len : 2 * (size_t)count;
	body = malloc(len + n + 1);
	if (!body)
		return -ENOMEM;
	memcpy(body, tmpl, (size_t)(pct - tmpl));
	end = body + (pct - tmpl);
	if (pad) {
		memset(end, 'a', n);
	} else {
		memset(end, '[', n / 2);
		memset(end + n / 2, ']', n / 2);
	}
	memcpy(end + n, pct + 1, strlen(pct + 1) + 1);
	*ret_body = body;
	*ret_len = len + n;
	return 0;
}

/* Perform one request.  Returns 0 or a negative errno (failure recorded). */
static int do_request(struct runner *t, const char *who, const char *method,
		      const char *path, const char *body, size_t body_len,
		      bool has_body, struct reply *ret)
{
	struct curl_slist *hdrs = t->next_headers;
	CURLcode rc;
	char *url = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	int r = -EIO;

	t->next_headers = NULL;
	if (asprintf(&url, "%s%s", t->base_url, path) < 0) {
		url = NULL;
		r = -ENOMEM;
		goto out;
	}
	curl_easy_reset(t->curl);
	curl_easy_setopt(t->curl, CURLOPT_URL, url);
	curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(t->curl, CURLOPT_TIMEOUT, APITEST_TIMEOUT_S);
	curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, ret);
	curl_easy_setopt(t->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->curl, CURLOPT_HEADERDATA, ret);
	curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(t->curl, CURLOPT_NOBODY, 1L);
	if (has_body) {
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)body_len);
		curl_easy_setopt(t->curl, CURLOPT_COPYPOSTFIELDS, body);
		/* A header given in the script comes later and wins. */
		hdrs = curl_slist_append(hdrs, "Expect:");
		if (!headers_have(hdrs, "Content-Type"))
			hdrs = curl_slist_append(
				hdrs, "Content-Type: application/json");
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		/* PUT/POST/DELETE/PATCH without a body: Content-Length: 0 */
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, "");
	}
	if (hdrs)
		curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(who, "anon") != 0) {
		struct kv *c = kv_find(t->creds, who);

		if (!c) {
			fail(t, "unknown caller '%s' (define it with 'user')",
			     who);
			r = -EINVAL;
			goto out;
		}
		curl_easy_setopt(t->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(t->curl, CURLOPT_USERNAME, c->value);
		curl_easy_setopt(t->curl, CURLOPT_PASSWORD, c->extra);
	}
	rc = curl_easy_perform(t->curl);
	if (rc != CURLE_OK) {
		fail(t, "request failed: %s",
		     errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &ret->status);
	r = 0;
out:
	curl_slist_free_all(hdrs);
	free(url);
	return r;
}

/* Objects match when every expected key matches; arrays element-wise. */
static bool json_contains(json_t *want, json_t *got)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(want) && json_is_object(got)) {
		json_object_foreach(want, key, v)
		{
			json_t *g = json_object_get(got, key);

			if (!g || !json_contains(v, g))
				return false;
		}
		return true;
	}
	if (json_is_array(want) && json_is_array(got)) {
		if (json_array_size(want) != json_array_size(got))
			return false;
		json_array_foreach(want, i, v)
		{
			if (!json_contains(v, json_array_get(got, i)))
				return false;
		}
		return true;
	}
	return json_equal(want, got);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Canonical texts of an array's elements, sorted; NULL on error. */
static char **sorted_elements(json_t *a)
{
	size_t i, n = json_array_size(a);
	char **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		v[i] = json_dumps(json_array_get(a, i), JSON_ENCODE_ANY |
								JSON_COMPACT |
								JSON_SORT_KEYS);
		if (!v[i])
			goto fail;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
fail:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}

static bool json_same_multiset(json_t *want, json_t *got)
{
	char **a, **b;
	size_t i, n;
	bool same;

	if (!json_is_array(want) || !json_is_array(got) ||
	    json_array_size(want) != json_array_size(got))
		return false;
	n = json_array_size(want);
	a = sorted_elements(want);
	b = sorted_elements(got);
	same = a && b;
	for (i = 0; same && i < n; i++)
		same = strcmp(a[i], b[i]) == 0;
	for (i = 0; i < n; i++) {
		if (a)
			free(a[i]);
		if (b)
			free(b[i]);
	}
	free(a);
	free(b);
	return same;
}

/* Follow ".a.0.b" from root; "." is root itself.  Borrowed or NULL. */
static json_t *json_path(json_t *root, const char *path)
{
	char seg[256];
	const char *p = path, *e;
	json_t *cur = root;

	if (*p != '.')
		return NULL;
	p++;
	while (*p && cur) {
		size_t n;

		e = strchr(p, '.');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (json_is_array(cur)) {
			char *end;
			long i = strtol(seg, &end, 10);

			cur = *end || i < 0 ? NULL
					    : json_array_get(cur, (size_t)i);
		} else {
			cur = json_object_get(cur, seg);
		}
		p = e ? e + 1 : p + n;
	}
	return cur;
}

/*
 * Parse one JSON value at the start of *s and advance past it.  Returns a
 * new reference or NULL with the failure recorded.
 */
static json_t *take_json(struct runner *t, char **s)
{
	json_error_t err;
	json_t *v;
	char *p = skip_ws(*s);

	v = json_loadb(p, strlen(p), JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK,
		       &err);
	if (!v) {
		fail(t, "bad JSON in the script at '%.40s': %s", p, err.text);
		return NULL;
	}
	*s = p + err.position;
	return v;
}

/* As take_json(), for a JSON string; returns a malloc()ed copy. */
static char *take_string(struct runner *t, char **s)
{
	json_t *v = take_json(t, s);
	char *r = NULL;

	if (v && json_is_string(v))
		r = strndup(json_string_value(v), json_string_length(v));
	else if (v)
		fail(t, "a JSON string was expected in the script");
	json_decref(v);
	return r;
}

/* A raw body contains a string, NULs and all. */
static bool body_has(const struct reply *r, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0)
		return true;
	for (i = 0; r->body && i + n <= r->len; i++)
		if (memcmp(r->body + i, needle, n) == 0)
			return true;
	return false;
}

static bool is_error_type(const char *w)
{
	size_t n = strlen(w);

	return n > 5 && isupper((unsigned char)w[0]) &&
	       strcmp(w + n - 5, "Error") == 0;
}

/* Checks every reply gets whatever the script says. */
static bool check_conventions(struct runner *t, const struct reply *r,
			      json_t *doc)
{
	const char *ct = reply_header(r, "Content-Type");
	bool good = true;

	if (r->truncated)
		good = fail(t, "reply body larger than %d bytes",
			    APITEST_MAX_BODY);
	if (r->len) {
		if (!ct || strncasecmp(ct, "application/json", 16) != 0)
			good = fail(t, "Content-Type is '%s', not JSON",
				    ct ? ct : "(none)");
		if (!doc)
			good = fail(t, "reply body is not JSON");
	}
	if (r->status >= 400) {
		json_t *type = json_object_get(doc, "type");
		json_t *msg = json_object_get(doc, "msg");

		if (!json_is_object(doc) || !json_is_string(type) ||
		    !json_is_string(msg))
			good = fail(t, "error body is not "
				       "{\"type\": string, \"msg\": string}");
	}
	if (r->status == 401 && !reply_header(r, "WWW-Authenticate"))
		good = fail(t, "401 without WWW-Authenticate");
	if (r->status == 405 && !reply_header(r, "Allow"))
		good = fail(t, "405 without Allow");
	return good;
}

/*
 * Check the reply against "STATUS [Type] [CLAUSE...]".  Returns whether
 * everything held; failures are recorded.
 */
static bool check_reply(struct runner *t, char *expect, const struct reply *r)
{
	json_t *doc = NULL, *want = NULL;
	char *word, *s = expect, *text = NULL, *name = NULL;
	bool good = true, status_ok = false, described = false;
	long statuses[APITEST_MAX_STATUS];
	int nstatus = 0, i;
	char type[64];
	size_t n;

	word = next_word(&s);
	if (!word)
		return fail(t, "no expected status after '->'");
	for (char *p = word; *p && nstatus < APITEST_MAX_STATUS;) {
		char *end;

		statuses[nstatus++] = strtol(p, &end, 10);
		if (end == p || (*end && *end != '|'))
			return fail(t, "bad expected status '%s'", word);
		p = *end ? end + 1 : end;
	}
	for (i = 0; i < nstatus; i++)
		status_ok |= statuses[i] == r->status;
	if (!status_ok)
		good = fail(t, "status %ld, expected %s", r->status, word);

	if (r->len)
		doc = json_loadb(r->body, r->len, JSON_DECODE_ANY, NULL);
	if (!check_conventions(t, r, doc))
		good = false;

	s = skip_ws(s);
	word = NULL;
	n = strcspn(s, " \t");
	if (n && n < sizeof(type)) {
		memcpy(type, s, n);
		type[n] = '\0';
		if (is_error_type(type)) {
			word = type;
			s += n;
		}
	}
	if (word) {
		const char *got =
			json_string_value(json_object_get(doc, "type"));

		if (!got || strcmp(got, word) != 0)
			good = fail(t, "error type '%s', expected '%s'",
				    got ? got : "(none)", word);
	}

	while (*(s = skip_ws(s))) {
		bool negate = false;

		if (strncmp(s, "empty", 5) == 0 &&
		    (!s[5] || isspace((unsigned char)s[5]))) {
			s += 5;
			described = true;
			if (r->len)
				good = fail(t, "body is not empty");
		} else if (*s == '*') {
			s++;
			described = true;
		} else if (*s == '~' || strncmp(s, "sorted ", 7) == 0) {
			bool subset = *s == '~';

			s += subset ? 1 : 7;
			described = true;
			want = take_json(t, &s);
			if (!want)
				goto bad_script;
			if (subset && !json_contains(want, doc))
				good = fail(t, "body does not contain the "
					       "expected JSON");
			if (!subset && !json_same_multiset(want, doc))
				good = fail(t, "body is not the expected "
					       "array (in any order)");
			want = (json_decref(want), NULL);
		} else if (strncmp(s, "has ", 4) == 0 ||
			   strncmp(s, "!has ", 5) == 0) {
			negate = *s == '!';
			s += negate ? 5 : 4;
			described = true;
			text = take_string(t, &s);
			if (!text)
				goto bad_script;
			if (body_has(r, text) == negate)
				good = fail(t, "body %s '%s'",
					    negate ? "contains" : "lacks",
					    text);
			text = (free(text), NULL);
		} else if (strncmp(s, "hdr ", 4) == 0) {
			const char *v;

			s += 4;
			name = take_string(t, &s);
			text = name ? take_string(t, &s) : NULL;
			if (!text)
				goto bad_script;
			v = reply_header(r, name);
			if (!v || !strstr(v, text))
				good = fail(t,
					    "header %s is '%s', expected "
					    "it to contain '%s'",
					    name, v ? v : "(none)", text);
			name = (free(name), NULL);
			text = (free(text), NULL);
		} else if (strncmp(s, "save ", 5) == 0) {
			char *var, *path;
			json_t *v;

			s += 5;
			described = true;
			var = next_word(&s);
			path = var ? next_word(&s) : NULL;
			if (!path) {
				fail(t, "save needs NAME and PATH");
				goto bad_script;
			}
			v = doc ? json_path(doc, path) : NULL;
			if (!v) {
				good = fail(t, "no value at '%s' to save",
					    path);
			} else {
				char *val =
					json_is_string(v)
						? strdup(json_string_value(v))
						: json_dumps(
							  v,
							  JSON_ENCODE_ANY |
								  JSON_COMPACT);

				if (!val ||
				    kv_set(&t->vars, var, val, NULL) < 0)
					good = fail(t, "out of memory");
				free(val);
			}
		} else {
			described = true;
			want = take_json(t, &s);
			if (!want)
				goto bad_script;
			if (!doc || !json_equal(want, doc))
				good = fail(t, "body is not the expected JSON");
			want = (json_decref(want), NULL);
		}
	}
	if (!described && r->status >= 200 && r->status < 300 && r->len)
		good = fail(t, "body is not empty");
	json_decref(doc);
	return good;
bad_script:
	free(name);
	free(text);
	json_decref(want);
	json_decref(doc);
	return false;
}

/* A test name: "file:line: request", shortened. */
static void test_name(char *buf, size_t size, const char *file, int line,
		      const char *text)
{
	const char *base = strrchr(file, '/');
	size_t n = strlen(text);

	base = base ? base + 1 : file;
	if (n > APITEST_DESC_MAX)
		snprintf(buf, size, "%s:%d: %.*s...", base, line,
			 APITEST_DESC_MAX, text);
	else
		snprintf(buf, size, "%s:%d: %s", base, line, text);
}

static void diag_reply(const struct reply *r)
{
	size_t n = r->len < APITEST_DIAG_BODY ? r->len : APITEST_DIAG_BODY;

	diag("  got status %ld, body: %.*s%s", r->status, (int)n,
	     r->body ? r->body : "", n < r->len ? "..." : "");
}

/* "as WHO METHOD PATH [BODY] -> EXPECT": one request, its reply in *r.
 * Returns whether the reply is as expected (failures recorded). */
static bool request_once(struct runner *t, char *s, struct reply *r)
{
	char *who, *method, *path, *arrow, *rest, *body = NULL;
	size_t body_len = 0;
	bool good = false;

	who = next_word(&s);
	method = who ? next_word(&s) : NULL;
	arrow = method ? strstr(s, APITEST_ARROW) : NULL;
	if (!arrow) {
		fail(t, "expected 'as WHO METHOD PATH [BODY] -> STATUS'");
		goto out;
	}
	*arrow = '\0';
	rest = s;
	path = next_word(&rest);
	if (!path) {
		fail(t, "no path");
		goto out;
	}
	rest = skip_ws(rest);
	rtrim(rest);
	if (*rest && make_body(t, rest, &body, &body_len) < 0)
		goto out;
	if (do_request(t, who, method, path, body, body_len, *rest != '\0', r) <
	    0)
		goto out;
	good = check_reply(t, arrow + strlen(APITEST_ARROW), r);
out:
	free(body);
	return good;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One test point: the request once, or with wait again every
 * APITEST_WAIT_MS until the reply is as expected, for at most
 * APITEST_WAIT_S (a "header" line applies to the first try only). */
static void run_request(struct runner *t, const char *s, const char *name,
			bool wait)
{
	long long deadline = now_ms() + APITEST_WAIT_S * 1000LL;
	struct reply r = {0};
	char *copy;
	bool good;

	for (;;) {
		copy = strdup(s);
		if (!copy) {
			good = fail(t, "out of memory");
			break;
		}
		good = request_once(t, copy, &r);
		free(copy);
		if (good || !wait || now_ms() >= deadline)
			break;
		reply_clear(&r);
		t->failure[0] = '\0';
		usleep(APITEST_WAIT_MS * 1000);
	}
	ok(good, "%s", name);
	if (!good) {
		diag("  %s", t->failure);
		if (r.status)
			diag_reply(&r);
	}
	curl_slist_free_all(t->next_headers);
	t->next_headers = NULL;
	reply_clear(&r);
}

/* A directive that is not a test.  Returns 0 or -EINVAL (failure noted). */
static int run_directive(struct runner *t, const char *cmd, char *s)
{
	char *a, *b, *c;

	if (strcmp(cmd, "user") == 0 || strcmp(cmd, "cred") == 0) {
		a = next_word(&s);
		b = a && strcmp(cmd, "cred") == 0 ? next_word(&s) : a;
		c = b ? next_word(&s) : NULL;
		if (!c || next_word(&s))
			return fail(t, "usage: user NAME PASSWORD | "
				       "cred ALIAS LOGIN PASSWORD"),
			       -EINVAL;
		return kv_set(&t->creds, a, b, c);
	}
	if (strcmp(cmd, "set") == 0) {
		a = next_word(&s);
		if (!a)
			return fail(t, "usage: set NAME VALUE"), -EINVAL;
		s = skip_ws(s);
		rtrim(s);
		return kv_set(&t->vars, a, s, NULL);
	}
	if (strcmp(cmd, "header") == 0) {
		struct curl_slist *l;

		s = skip_ws(s);
		rtrim(s);
		if (!strchr(s, ':'))
			return fail(t, "usage: header NAME: VALUE"), -EINVAL;
		l = curl_slist_append(t->next_headers, s);
		if (!l)
			return -ENOMEM;
		t->next_headers = l;
		return 0;
	}
	return fail(t, "unknown directive '%s'", cmd), -EINVAL;
}

/* Read one logical line (joining lines that end in '\'). */
static ssize_t read_logical(FILE *f, char **buf, size_t *cap, int *lineno,
			    int *ret_first)
{
	char *part = NULL;
	size_t pcap = 0, len = 0;
	ssize_t n;
	bool more = true;

	*ret_first = *lineno + 1;
	if (!*buf && !(*buf = malloc(*cap = 256)))
		return -ENOMEM;
	(*buf)[0] = '\0';
	while (more && (n = getline(&part, &pcap, f)) >= 0) {
		(*lineno)++;
		while (n && (part[n - 1] == '\n' || part[n - 1] == '\r'))
			part[--n] = '\0';
		more = n && part[n - 1] == '\\';
		if (more)
			part[--n] = '\0';
		if (len + (size_t)n + 2 > *cap) {
			char *nb =
				realloc(*buf, *cap = (len + (size_t)n) * 2 + 2);

			if (!nb) {
				free(part);
				return -ENOMEM;
			}
			*buf = nb;
		}
		if (len) {
			/* a continuation line's indentation is layout only */
			size_t ws = strspn(part, " \t");

			(*buf)[len++] = ' ';
			memmove(part, part + ws, (size_t)n - ws + 1);
			n -= (ssize_t)ws;
		}
		memcpy(*buf + len, part, (size_t)n + 1);
		len += (size_t)n;
	}
	free(part);
	if (len == 0 && feof(f) && *ret_first > *lineno)
		return -1;
	return (ssize_t)len;
}

/* Run one script.  Returns 0, or -errno if it could not be read. */
static int run_script(struct runner *t, const char *file)
{
	FILE *f = fopen(file, "r");
	char *buf = NULL, name[APITEST_DESC_MAX + 256];
	size_t cap = 0;
	int lineno = 0, first;
	int r = 0;

	if (!f) {
		r = -errno;
		ok(0, "%s: open", file);
		diag("  could not open '%s': %s", file, strerror(-r));
		return r;
	}
	while (read_logical(f, &buf, &cap, &lineno, &first) >= 0) {
		char *line = skip_ws(buf), *expanded, *s, *cmd;

		rtrim(line);
		if (!*line || *line == '#')
			continue;
		t->failure[0] = '\0';
		test_name(name, sizeof(name), file, first, line);
		expanded = expand_vars(t, line);
		if (!expanded) {
			ok(0, "%s", name);
			diag("  %s",
			     t->failure[0] ? t->failure : "out of memory");
			continue;
		}
		s = expanded;
		cmd = next_word(&s);
		if (strcmp(cmd, "as") == 0) {
			run_request(t, s, name, false);
		} else if (strcmp(cmd, "wait") == 0) {
			char *as = next_word(&s);

			if (as && strcmp(as, "as") == 0) {
				run_request(t, s, name, true);
			} else {
				ok(0, "%s", name);
				diag("  usage: wait as WHO METHOD PATH ...");
			}
		} else if (run_directive(t, cmd, s) < 0) {
			ok(0, "%s", name);
			diag("  %s",
			     t->failure[0] ? t->failure : "out of memory");
		}
		free(expanded);
	}
	free(buf);
	fclose(f);
	return r;
}

/* Exit 0 once anything answers HTTP at url. */
static int probe(const char *url)
{
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (!c)
		return 2;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	{
		struct reply r = {0};

		curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
		rc = curl_easy_perform(c);
		reply_clear(&r);
	}
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : 1;
}

/* Print a port that nothing listens on now (the caller retries on races). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return 1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return 1;
	}
	printf("%u\n", ntohs(a.sin_port));
	close(fd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: apitest -u BASE_URL [--admin USER:PASS] SCRIPT...\n"
		"       apitest --probe URL\n"
		"       apitest --free-port\n");
}

int main(int argc, char **argv)
{
	struct runner t = {0};
	const char *admin = getenv("APITEST_ADMIN");
	int i, first_script = 0, ret;

	t.base_url = getenv("APITEST_URL");
	if (argc == 3 && strcmp(argv[1], "--probe") == 0) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		ret = probe(argv[2]);
		curl_global_cleanup();
		return ret;
	}
	if (argc == 2 && strcmp(argv[1], "--free-port") == 0)
		return free_port();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-u") == 0 && i + 1 < argc) {
			t.base_url = argv[++i];
		} else if (strcmp(argv[i], "--admin") == 0 && i + 1 < argc) {
			admin = argv[++i];
		} else if (argv[i][0] == '-') {
			usage();
			return 2;
		} else {
			first_script = i;
			break;
		}
	}
	if (!t.base_url || !first_script) {
		usage();
		return 2;
	}
	if (admin) {
		const char *colon = strchr(admin, ':');
		char *login;

		if (!colon) {
			usage();
			return 2;
		}
		login = strndup(admin, (size_t)(colon - admin));
		if (!login || kv_set(&t.creds, "admin", login, colon + 1) < 0) {
			free(login);
			return 2;
		}
		free(login);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t.curl = curl_easy_init();
	if (!t.curl)
		return 2;
	for (i = first_script; i < argc; i++)
		run_script(&t, argv[i]);
	curl_easy_cleanup(t.curl);
	curl_slist_free_all(t.next_headers);
	kv_free_all(t.creds);
	kv_free_all(t.vars);
	curl_global_cleanup();
	return tap_done();
}
