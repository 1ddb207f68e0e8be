/*
 * client-test.c - libhilclient without a server: label rules, path
 * building and encoding, error answers, endpoint and header checks, and
 * the exact request the library puts on the wire, read from a listening
 * socket that never answers, and redirects followed by hand, answered by
 * a scripted server.
 */
#include "config.h"

#include "client/hilclient.h"
#include "client/http.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* The client's wait for an answer that never comes: its request must be
 * written within it, on a loaded machine too. */
#define TEST_TIMEOUT_MS 1000

static void test_labels(void)
{
	static const char *const good[] = {
		"node1", "A-z_0.9", "with space", "$_.+!*'(),-", "..", "x",
	};
	static const char *const bad[] = {
		"",	     "a/b",	  "a?b",  "a#b", "a%b",
		"a&b",	     "a=b",	  "a\"b", "a;b", "caf\xc3\xa9",
		"tab\there", "new\nline", "a:b",  "a@b", "~",
	};
	struct hil_error err;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		is_int(hil_label_check(good[i], false, NULL), 0,
		       "label '%s' is accepted", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		is_int(hil_label_check(bad[i], false, &err), -EINVAL,
		       "label %zu is refused", i);
		ok(hil_error_is(&err, HIL_ERR_BAD_ARGUMENT) && err.status == 0,
		   "label %zu gives a local BadArgumentError", i);
	}
	is_int(hil_label_check(NULL, false, NULL), -EINVAL,
	       "a missing label is refused");
	is_int(hil_label_check("gi1/0/3", true, NULL), 0,
	       "'/' is accepted where allowed");
	is_int(hil_label_check("vlan/native", false, NULL), -EINVAL,
	       "'/' is refused elsewhere");
	memset(&err, 0, sizeof(err));
	hil_label_check("tab\there", false, &err);
	ok(!strchr(err.msg, '\t'), "a control character is not echoed");
}

static void path_is(const char *want, const char *fmt, const char *a,
		    const char *b, const char *desc)
{
	char *path = NULL;
	int r;

	r = hil_path_build(&path, NULL, fmt, a, b);
	is_int(r, 0, "%s: built", desc);
	is_str(path, want, "%s: path", desc);
	free(path);
}

static void test_paths(void)
{
	struct hil_error err;
	char *path = NULL, *big;
	int r;

	path_is("projects", "projects", NULL, NULL, "no argument");
	path_is("project/p1/connect_node", "project/%L/connect_node", "p1",
		NULL, "one label");
	path_is("project/a%20b", "project/%L", "a b", NULL, "space encoded");
	path_is("node/%24_.%2B%21%2A%27%28%29%2C-", "node/%L", "$_.+!*'(),-",
		NULL, "reserved label characters encoded");
	path_is("switch/sw0/port/gi1/0/3/revert", "switch/%L/port/%P/revert",
		"sw0", "gi1/0/3", "port slashes passed raw");
	path_is("switch/sw%200/port/te%201/2", "switch/%L/port/%P", "sw 0",
		"te 1/2", "port characters encoded around slashes");
	path_is("node/%2E%2E", "node/%L", "..", NULL, "dot segment encoded");
	path_is("node/.a.", "node/%L", ".a.", NULL, "dots inside a name kept");
	path_is("switch/s/port/gi1/%2E%2E/x", "switch/%L/port/%P", "s",
		"gi1/../x", "dot segment in a port encoded");
	path_is("network/n/attachments?project=p%2Bq",
		"network/%L/attachments?project=%L", "n", "p+q",
		"query value encoded");
	path_is("a%b", "a%%b", NULL, NULL, "%% is a percent sign");

	memset(&err, 0, sizeof(err));
	r = hil_path_build(&path, &err, "node/%L", "a/b");
	is_int(r, -EINVAL, "a '/' in a label is refused");
	ok(hil_error_is(&err, HIL_ERR_BAD_ARGUMENT),
	   "the refusal is a BadArgumentError");
	is_int(hil_path_build(&path, NULL, "node/%s", "x"), -EINVAL,
	       "an unknown format directive is refused");
	is_int(hil_path_build(&path, NULL, "node/%L", NULL), -EINVAL,
	       "a missing argument is refused");

	big = malloc(HIL_CLIENT_MAX_PATH + 2);
	if (!big)
		abort();
	memset(big, 'a', HIL_CLIENT_MAX_PATH + 1);
	big[HIL_CLIENT_MAX_PATH + 1] = '\0';
	is_int(hil_path_build(&path, NULL, "node/%L", big), -E2BIG,
	       "a path past HIL_CLIENT_MAX_PATH is refused");
	free(big);
}

static void reply_is(long status, const char *body, int want_r,
		     const char *want_type, const char *want_msg)
{
	struct hil_error err;
	int r;

	memset(&err, 0, sizeof(err));
	r = hil_error_from_reply(status, body, body ? strlen(body) : 0, &err);
	is_int(r, want_r, "HTTP %ld '%.30s': errno", status, body ? body : "");
	is_str(err.type, want_type, "HTTP %ld: type", status);
	if (want_msg)
		is_str(err.msg, want_msg, "HTTP %ld: message", status);
	is_int(err.status, status, "HTTP %ld: status kept", status);
}

static void test_error_replies(void)
{
	char long_msg[2048];
	struct hil_error err;
	int len;

	reply_is(404, "{\"type\": \"NotFoundError\", \"msg\": \"no node\"}",
		 -ENOENT, "NotFoundError", "no node");
	reply_is(409, "{\"type\": \"DuplicateError\", \"msg\": \"\"}", -EEXIST,
		 "DuplicateError", "");
	reply_is(409, "{\"type\": \"BlockedError\", \"msg\": \"busy\"}", -EBUSY,
		 "BlockedError", "busy");
	reply_is(400, "{\"type\": \"ValidationError\", \"msg\": \"x\"}",
		 -EINVAL, "ValidationError", "x");
	reply_is(401, "{\"type\": \"AuthorizationError\", \"msg\": \"\"}",
		 -EACCES, "AuthorizationError", NULL);
	reply_is(403, "{\"type\": \"AuthorizationError\", \"msg\": \"\"}",
		 -EPERM, "AuthorizationError", NULL);
	reply_is(405, "{\"type\": \"MethodNotAllowed\", \"msg\": \"\"}",
		 -EOPNOTSUPP, "MethodNotAllowed", NULL);
	reply_is(500, "<html>Internal Server Error</html>", -EREMOTEIO,
		 HIL_ERR_UNKNOWN, "server answered HTTP 500");
	reply_is(502, "", -EREMOTEIO, HIL_ERR_UNKNOWN, NULL);
	reply_is(404, "{\"msg\": \"no type\"}", -ENOENT, HIL_ERR_UNKNOWN, NULL);
	reply_is(400, "[\"not\", \"an\", \"object\"]", -EINVAL, HIL_ERR_UNKNOWN,
		 NULL);
	reply_is(418, "{\"type\": \"Teapot\", \"msg\": \"\"}", -EPROTO,
		 "Teapot", NULL);
	reply_is(400,
		 "{\"type\": \"BadArgumentError\", \"msg\": \"a\\u001b[31mb\"}",
		 -EINVAL, "BadArgumentError", "a?[31mb");

	len = snprintf(long_msg, sizeof(long_msg),
		       "{\"type\": \"T\", \"msg\": \"");
	memset(long_msg + len, 'm', 1500);
	strcpy(long_msg + len + 1500, "\"}");
	memset(&err, 0, sizeof(err));
	hil_error_from_reply(400, long_msg, strlen(long_msg), &err);
	is_int(strlen(err.msg), sizeof(err.msg) - 1,
	       "a long message is truncated to fit");
	is_int(hil_error_from_reply(404, NULL, 0, NULL), -ENOENT,
	       "err may be NULL");
}

static void test_endpoints(void)
{
	static const char *const good[] = {
		"http://127.0.0.1:5000",
		"http://127.0.0.1:5000/",
		"https://hil.example.com/api",
		"http://[::1]:8080",
	};
	static const char *const bad[] = {
		"",
		"127.0.0.1:5000",
		"ftp://host/",
		"http://user:pw@host/",
		"http://host/?q=1",
		"http://host/#frag",
		"http://host /",
		"file:///etc/passwd",
	};
	struct hil_client *c = NULL;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c = NULL;
		is_int(hil_client_new(good[i], "u", "p", &c), 0,
		       "endpoint '%s' is accepted", good[i]);
		ok(c != NULL, "endpoint '%s' gives a client", good[i]);
		c = hil_client_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = NULL;
		is_int(hil_client_new(bad[i], NULL, NULL, &c), -EINVAL,
		       "endpoint '%s' is refused", bad[i]);
		ok(c == NULL, "a refused endpoint gives no client");
	}
	is_int(hil_client_new("http://h", "a:b", "p", &c), -EINVAL,
	       "a user name with ':' is refused");
	is_int(hil_client_new("http://h", "a\nb", "p", &c), -EINVAL,
	       "a user name with a newline is refused");
	ok(hil_client_free(NULL) == NULL, "freeing NULL is fine");
}

static void test_headers(void)
{
	struct hil_client *c = NULL;
	char name[32];
	int r = 0;

	if (hil_client_new("http://127.0.0.1:1", NULL, NULL, &c) < 0)
		abort();
	is_int(hil_client_set_header(c, "X-Auth-Token: abc"), 0,
	       "a header is accepted");
	is_int(hil_client_set_header(c, "x-auth-token: def"), 0,
	       "a header of the same name replaces it");
	is_int(hil_client_set_header(c, "X-Auth-Token:"), 0,
	       "'Name:' removes a header");
	is_int(hil_client_set_header(c, "X-Gone:"), 0,
	       "removing an absent header is fine");
	is_int(hil_client_set_header(c, "X-A: 1\r\nX-B: 2"), -EINVAL,
	       "a header with CR LF is refused");
	is_int(hil_client_set_header(c, "no colon"), -EINVAL,
	       "a header without a colon is refused");
	is_int(hil_client_set_header(c, ": value"), -EINVAL,
	       "a header without a name is refused");
	is_int(hil_client_set_header(c, "Bad Name: v"), -EINVAL,
	       "a header name with a space is refused");
	for (int i = 0; i < HIL_CLIENT_MAX_HEADERS && r == 0; i++) {
		snprintf(name, sizeof(name), "X-H%d: v", i);
		r = hil_client_set_header(c, name);
	}
	is_int(r, 0, "HIL_CLIENT_MAX_HEADERS headers are accepted");
	is_int(hil_client_set_header(c, "X-One-More: v"), -E2BIG,
	       "one more header is refused");
	is_int(hil_client_set_header(c, "X-H0: w"), 0,
	       "a full set may still be replaced");
	is_int(hil_client_set_timeout(c, -1), -EINVAL,
	       "a negative timeout is refused");
	hil_client_free(c);
}

static void test_metadata_decode(void)
{
	char *v = NULL;

	is_int(hil_metadata_decode_string("\"pk\"", &v), 0,
	       "a stored JSON string decodes");
	is_str(v, "pk", "to its text");
	free(v);
	is_int(hil_metadata_decode_string("{\"a\": 1}", &v), -EINVAL,
	       "stored JSON that is not a string is refused");
	is_int(hil_metadata_decode_string("pk", &v), -EINVAL,
	       "stored text that is not JSON is refused");
}

/* A loopback socket that listens but never answers. */
static int listener_new(int *ret_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 8) < 0 || getsockname(fd, (struct sockaddr *)&a, &len))
		abort();
	*ret_port = ntohs(a.sin_port);
	return fd;
}

/* What one connection sent, or NULL when nothing connected. */
static char *listener_take(int fd)
{
	struct timeval tv = {.tv_sec = 2};
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t n;
	int conn;

	conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return NULL;
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	buf = calloc(1, cap);
	if (!buf)
		abort();
	while (len + 1 < cap && (n = read(conn, buf + len, cap - len - 1)) > 0)
		len += (size_t)n;
	close(conn);
	return buf;
}

static void test_wire(void)
{
	struct hil_client *c = NULL;
	struct hil_error err;
	char endpoint[64], *req;
	int fd, port, r;

	fd = listener_new(&port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/hil/", port);
	if (hil_client_new(endpoint, "alice", "s3cret", &c) < 0)
		abort();
	hil_client_set_timeout(c, TEST_TIMEOUT_MS);

	memset(&err, 0, sizeof(err));
	r = hil_project_create(c, "bad/name", &err);
	is_int(r, -EINVAL, "a bad label fails locally");
	ok(hil_error_is(&err, HIL_ERR_BAD_ARGUMENT) && err.status == 0,
	   "with a local BadArgumentError");
	req = listener_take(fd);
	ok(req == NULL, "and no connection was made");
	free(req);

	memset(&err, 0, sizeof(err));
	r = hil_project_create(c, "a b", &err);
	is_int(r, -ETIMEDOUT, "a request nobody answers times out");
	ok(hil_error_is(&err, HIL_ERR_CONNECTION) && err.status == 0,
	   "with a ConnectionError");
	req = listener_take(fd);
	ok(req != NULL, "the request reached the socket");
	if (req) {
		ok(strncmp(req, "PUT /hil/v0/project/a%20b HTTP/1.1\r\n", 36) ==
			   0,
		   "request line has the prefix, /v0 and the encoded label");
		/* base64("alice:s3cret") */
		ok(strstr(req,
			  "\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\n") !=
			   NULL,
		   "HTTP Basic credentials are sent");
		ok(strstr(req, "\r\nContent-Length: 0\r\n") != NULL,
		   "an empty body has a zero length");
		ok(strstr(req, "Content-Type") == NULL,
		   "an empty body has no content type");
		ok(strstr(req, "\r\nAccept: application/json\r\n") != NULL,
		   "JSON is asked for");
	}
	free(req);

	if (hil_client_set_header(c, "Authorization: MUNGE Y3JlZA==") < 0 ||
	    hil_client_set_header(c, "X-Auth-Token: tok") < 0)
		abort();
	r = hil_node_connect_network(c, "n1", "eth0", "net1", NULL, NULL, &err);
	is_int(r, -ETIMEDOUT, "a connect request was sent");
	req = listener_take(fd);
	ok(req != NULL, "the connect request reached the socket");
	if (req) {
		const char *body = strstr(req, "\r\n\r\n");

		ok(strncmp(req,
			   "POST /hil/v0/node/n1/nic/eth0/connect_network "
			   "HTTP/1.1\r\n",
			   55) == 0,
		   "connect request line");
		ok(strstr(req, "\r\nAuthorization: MUNGE Y3JlZA==\r\n") &&
			   !strstr(req, "Basic"),
		   "a caller's Authorization header replaces HTTP Basic");
		ok(strstr(req, "\r\nX-Auth-Token: tok\r\n") != NULL,
		   "an extra header is sent");
		ok(strstr(req, "\r\nContent-Type: application/json\r\n") !=
			   NULL,
		   "a JSON body is labelled so");
		is_str(body ? body + 4 : NULL, "{\"network\":\"net1\"}",
		       "no channel given: the body has no channel key");
	}
	free(req);

	r = hil_node_connect_network(c, "n1", "eth0", "net1", "vlan/100", NULL,
				     &err);
	req = listener_take(fd);
	if (req) {
		const char *body = strstr(req, "\r\n\r\n");

		is_str(body ? body + 4 : NULL,
		       "{\"network\":\"net1\",\"channel\":\"vlan/100\"}",
		       "a channel given is sent");
	} else {
		ok(0, "a channel given is sent");
	}
	free(req);

	r = hil_port_revert(c, "sw0", "gi1/0/3", NULL, &err);
	req = listener_take(fd);
	ok(req && strncmp(req,
			  "POST /hil/v0/switch/sw0/port/gi1/0/3/revert "
			  "HTTP/1.1\r\n",
			  53) == 0,
	   "a port name goes into the path with its slashes");
	free(req);

	r = hil_client_call(c, "GET", NULL, NULL, &err,
			    "network/%L/attachments?project=%L", "n", "p q");
	req = listener_take(fd);
	ok(req && strncmp(req,
			  "GET /hil/v0/network/n/attachments?project=p%20q "
			  "HTTP/1.1\r\n",
			  57) == 0,
	   "a query value is encoded");
	ok(req && !strstr(req, "Content-Length"), "a GET has no body");
	free(req);

	memset(&err, 0, sizeof(err));
	r = hil_client_call(c, "TRACE", NULL, NULL, &err, "projects");
	is_int(r, -EINVAL, "an unknown method is refused");
	req = listener_take(fd);
	ok(req == NULL, "without a request");
	free(req);

	c = hil_client_free(c);
	close(fd);

	/* Nothing listens on a port just released. */
	fd = listener_new(&port);
	close(fd);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	if (hil_client_new(endpoint, NULL, NULL, &c) < 0)
		abort();
	memset(&err, 0, sizeof(err));
	r = hil_project_delete(c, "p1", &err);
	is_int(r, -ECONNREFUSED, "a closed port is a refused connection");
	ok(hil_error_is(&err, HIL_ERR_CONNECTION) && err.msg[0],
	   "with a ConnectionError and a message");
	hil_client_free(c);
}

/* A scripted server: each step answers one connection on a listener. */
struct serve_step {
	int fd;
	const char *reply; /* a whole HTTP answer */
	char *req;	   /* what the client sent (filled) */
};

struct serve_script {
	struct serve_step *steps;
	size_t n;
};

/* Read one request (headers and a Content-Length body) from conn. */
static char *serve_read(int conn)
{
	size_t len = 0, cap = 65536, want = 0;
	char *buf = calloc(1, cap), *end;
	ssize_t n;

	if (!buf)
		abort();
	while (len + 1 < cap &&
	       (n = read(conn, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		if (!want) {
			const char *cl = strstr(buf, "\r\nContent-Length: ");

			want = (size_t)(end + 4 - buf) +
			       (cl && cl < end ? strtoul(cl + 18, NULL, 10)
					       : 0);
		}
		if (len >= want)
			break;
	}
	return buf;
}

static void *serve_run(void *arg)
{
	struct serve_script *s = arg;
	struct timeval tv = {.tv_sec = 5};

	for (size_t i = 0; i < s->n; i++) {
		struct pollfd p = {.fd = s->steps[i].fd, .events = POLLIN};
		int conn;

		if (poll(&p, 1, 10000) != 1)
			break;
		conn = accept4(s->steps[i].fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			break;
		setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		s->steps[i].req = serve_read(conn);
		if (write(conn, s->steps[i].reply, strlen(s->steps[i].reply)) <
		    0)
			s->steps[i].req[0] = '\0';
		close(conn);
	}
	return NULL;
}

/* Run method on path against the script; returns the call's result. */
static int serve_call(struct hil_client *c, struct serve_step *steps, size_t n,
		      const char *method, json_t *body, json_t **ret_reply,
		      struct hil_error *err)
{
	struct serve_script s = {steps, n};
	pthread_t t;
	int r;

	if (pthread_create(&t, NULL, serve_run, &s) != 0)
		abort();
	memset(err, 0, sizeof(*err));
	r = hil_client_call(c, method, body, ret_reply, err, "thing");
	pthread_join(t, NULL);
	return r;
}

static bool starts_with(const char *req, const char *prefix)
{
	return req && strncmp(req, prefix, strlen(prefix)) == 0;
}

static bool has_line(const char *req, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	return req && strstr(req, want);
}

#define REDIRECT(code, to)                                                     \
	"HTTP/1.1 " code " Redirect\r\nLocation: " to                          \
	"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#define ANSWER_OK                                                              \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"                \
	"Content-Length: 8\r\nConnection: close\r\n\r\n{\"x\": 1}"

static void steps_free(struct serve_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(steps[i].req);
		steps[i].req = NULL;
	}
}

/* 307 and 308 are followed by hand: credentials go only to the
 * endpoint's origin, the method and body go along, and the hops are
 * counted. */
static void test_redirects(void)
{
	struct hil_client *c = NULL;
	struct hil_error err;
	char endpoint[64], away[128], self[128];
	json_t *reply = NULL, *body = json_pack("{s:s}", "k", "v");
	int a, b, pa, pb, r;

	a = listener_new(&pa);
	b = listener_new(&pb);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/hil", pa);
	snprintf(away, sizeof(away),
		 REDIRECT("307", "http://127.0.0.1:%d/there?token=1"), pb);
	snprintf(self, sizeof(self),
		 REDIRECT("307", "http://127.0.0.1:%d/hil/v0/again"), pa);
	if (!body || hil_client_new(endpoint, "alice", "s3cret", &c) < 0 ||
	    hil_client_set_header(c, "X-Auth-Token: tok") < 0)
		abort();
	hil_client_set_timeout(c, 5000);

	{
		struct serve_step st[] = {{a, away, NULL},
					  {b, ANSWER_OK, NULL}};

		r = serve_call(c, st, 2, "GET", NULL, &reply, &err);
		is_int(r, 0, "a redirect to another origin is followed");
		ok(json_integer_value(json_object_get(reply, "x")) == 1,
		   "and its answer is the call's");
		ok(has_line(st[0].req,
			    "Authorization: Basic YWxpY2U6czNjcmV0") &&
			   has_line(st[0].req, "X-Auth-Token: tok"),
		   "the endpoint got the credentials");
		ok(starts_with(st[1].req, "GET /there?token=1 HTTP/1.1\r\n"),
		   "the other origin got the request, with its query");
		ok(st[1].req && !strstr(st[1].req, "Authorization") &&
			   !strstr(st[1].req, "X-Auth-Token"),
		   "but neither the password nor the extra headers");
		json_decref(reply);
		reply = NULL;
		steps_free(st, 2);
	}
	{
		struct serve_step st[] = {{a, self, NULL},
					  {a, ANSWER_OK, NULL}};

		r = serve_call(c, st, 2, "GET", NULL, &reply, &err);
		is_int(r, 0, "a redirect within the endpoint's origin");
		ok(has_line(st[1].req,
			    "Authorization: Basic YWxpY2U6czNjcmV0") &&
			   has_line(st[1].req, "X-Auth-Token: tok"),
		   "keeps the credentials");
		json_decref(reply);
		reply = NULL;
		steps_free(st, 2);
	}
	{
		char away308[128];
		struct serve_step st[] = {{a, away308, NULL},
					  {b, ANSWER_OK, NULL}};

		snprintf(away308, sizeof(away308),
			 REDIRECT("308", "http://127.0.0.1:%d/post-here"), pb);
		r = serve_call(c, st, 2, "POST", body, NULL, &err);
		is_int(r, 0, "a 308 answer to a POST is followed");
		ok(starts_with(st[1].req, "POST /post-here HTTP/1.1\r\n") &&
			   strstr(st[1].req, "\r\n\r\n{\"k\":\"v\"}"),
		   "with the method and the body");
		steps_free(st, 2);
	}
	{
		struct serve_step st[] = {
			{a,
			 "HTTP/1.1 307 Redirect\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n",
			 NULL}};

		r = serve_call(c, st, 1, "GET", NULL, NULL, &err);
		is_int(r, -EPROTO, "a redirect without a location is refused");
		ok(hil_error_is(&err, HIL_ERR_PROTOCOL) && err.status == 307,
		   "as a ProtocolError of the 307 (%s)", err.msg);
		steps_free(st, 1);
	}
	{
		struct serve_step st[] = {
			{a, REDIRECT("307", "ftp://127.0.0.1/x"), NULL}};

		r = serve_call(c, st, 1, "GET", NULL, NULL, &err);
		ok(r == -EPROTO && hil_error_is(&err, HIL_ERR_PROTOCOL),
		   "a redirect to something other than http(s) is refused "
		   "(%s)",
		   err.msg);
		steps_free(st, 1);
	}
	{
		struct serve_step st[HIL_CLIENT_MAX_REDIRECTS + 1];
		size_t n = sizeof(st) / sizeof(st[0]);

		for (size_t i = 0; i < n; i++)
			st[i] = (struct serve_step){a, self, NULL};
		r = serve_call(c, st, n, "GET", NULL, NULL, &err);
		is_int(r, -ELOOP, "past %d redirects the call ends",
		       HIL_CLIENT_MAX_REDIRECTS);
		ok(st[n - 1].req != NULL, "after following each of them");
		steps_free(st, n);
	}
	json_decref(body);
	hil_client_free(c);
	close(a);
	close(b);
}

/* The exchange under the library: a header is kept from the final answer
 * only (Keystone's token), not from a 1xx answer before it. */
static void test_http_keep_header(void)
{
	static const char early[] =
		"HTTP/1.1 100 Continue\r\nX-Subject-Token: early\r\n\r\n"
		"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n"
		"Connection: close\r\n\r\n{}";
	static const char final[] =
		"HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 201 Created\r\nX-Subject-Token:  tok-1 \r\n"
		"Content-Length: 2\r\nConnection: close\r\n\r\n{}";
	const char *const replies[] = {early, final};
	const char *const want[] = {NULL, "tok-1"};
	const char *const what[] = {"a 1xx answer's header is not kept",
				    "the final answer's header is kept"};
	char url[64], why[256];
	struct http_reply rep;
	struct http_request req = {
		.method = "POST",
		.url = url,
		.body = "{}",
		.timeout_ms = 5000,
		.connect_timeout_ms = 5000,
		.max_body = 1024,
		.keep_header = "X-Subject-Token",
	};
	int fd, port, r;

	fd = listener_new(&port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v3/auth/tokens", port);
	is_int(http_global_init_once(), 0, "libcurl is set up");
	for (size_t i = 0; i < 2; i++) {
		struct serve_step st[] = {{fd, replies[i], NULL}};
		struct serve_script s = {st, 1};
		pthread_t t;

		if (pthread_create(&t, NULL, serve_run, &s) != 0)
			abort();
		r = http_perform(NULL, &req, &rep, why, sizeof(why));
		pthread_join(t, NULL);
		ok(r == 0 && rep.status == 201, "an answer after a 100 (%d %s)",
		   r, why);
		if (want[i])
			is_str(rep.header, want[i], "%s", what[i]);
		else
			ok(rep.header == NULL, "%s", what[i]);
		http_reply_clear(&rep);
		steps_free(st, 1);
	}
	close(fd);
}

int main(void)
{
	test_labels();
	test_paths();
	test_error_replies();
	test_endpoints();
	test_headers();
	test_metadata_decode();
	test_wire();
	test_redirects();
	test_http_keep_header();
	return tap_done();
}
