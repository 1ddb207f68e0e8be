/*
 * crash-writer - the client side of tests/integration/crash-test.sh.
 *
 *   crash-writer write URL PREFIX ACKFILE [COUNT]
 *   crash-writer verify URL ACKFILE...
 *   crash-writer free-port
 *
 * write issues a stream of writes over one keep-alive connection, for
 * i = 0..COUNT-1: create project PREFIX-p<i>, register node PREFIX-n<i>
 * (mock OBM), register its NIC eth0, connect the node to the project.
 * Each write the server acknowledged (2xx) is appended to ACKFILE as one
 * line before the next write is sent.  It stops at the first transport
 * failure (the server went away) and prints
 *   acked N refused N stopped transport|count
 * A refusal (an HTTP error) before that stops it too, with exit status 3:
 * the stream is valid, so a refusal is a server bug.
 *
 * verify checks that every acknowledged write in the ACKFILEs is visible,
 * prints "checked N missing N" (each missing write on stderr) and exits 0
 * only when nothing is missing.
 *
 * free-port prints a TCP port that is free on 127.0.0.1.
 *
 * Credentials come from HIL_USERNAME and HIL_PASSWORD (HTTP Basic), never
 * from the command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define CW_TIMEOUT_S	     10L /* one request */
#define CW_CONNECT_TIMEOUT_S 2L
#define CW_MAX_BODY	     (1 << 22) /* a reply we keep, bytes */
#define CW_MAX_LINE	     512
#define CW_DEFAULT_COUNT     1000000L

struct cw_reply {
	long status;
	char *body;
	size_t len;
};

struct cw {
	CURL *h;
	struct curl_slist *headers;
	const char *base;
};

static size_t cw_sink(char *p, size_t size, size_t n, void *arg)
{
	struct cw_reply *r = arg;
	size_t add = size * n;
	char *b;

	if (r->len + add > CW_MAX_BODY)
		return 0;
	b = realloc(r->body, r->len + add + 1);
	if (!b)
		return 0;
	memcpy(b + r->len, p, add);
	r->len += add;
	b[r->len] = '\0';
	r->body = b;
	return add;
}

static void cw_reply_clear(struct cw_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int cw_init(struct cw *c, const char *base)
{
	const char *user = getenv("HIL_USERNAME");
	const char *pw = getenv("HIL_PASSWORD");

	memset(c, 0, sizeof(*c));
	c->base = base;
	c->h = curl_easy_init();
	if (!c->h)
		return -ENOMEM;
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	c->headers = curl_slist_append(c->headers, "Expect:");
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, CW_TIMEOUT_S);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, CW_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, cw_sink);
	if (user && pw) {
		curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c->h, CURLOPT_USERNAME, user);
		curl_easy_setopt(c->h, CURLOPT_PASSWORD, pw);
	}
	return 0;
}

static void cw_fini(struct cw *c)
{
	curl_easy_cleanup(c->h);
	curl_slist_free_all(c->headers);
}

/* One request; 0 when an HTTP reply came back (any status), -EIO when
 * the exchange failed. */
static int cw_request(struct cw *c, const char *method, const char *path,
		      const char *body, struct cw_reply *ret)
{
	char url[1024];
	CURLcode rc;

	memset(ret, 0, sizeof(*ret));
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, ret);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(c->h);
	if (rc != CURLE_OK) {
		cw_reply_clear(ret);
		return -EIO;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &ret->status);
	return 0;
}

/* The writes of step i, in order; ack is the line recorded for it. */
static void cw_step(int step, const char *prefix, long i, const char **method,
		    char *path, size_t plen, char *body, size_t blen, char *ack,
		    size_t alen)
{
	switch (step) {
	case 0:
		*method = "PUT";
		snprintf(path, plen, "/v0/project/%s-p%ld", prefix, i);
		body[0] = '\0';
		snprintf(ack, alen, "project %s-p%ld", prefix, i);
		break;
	case 1:
		*method = "PUT";
		snprintf(path, plen, "/v0/node/%s-n%ld", prefix, i);
		snprintf(
			body, blen,
			"{\"obm\": {\"type\": \"mock\", \"host\": \"bmc-%ld\", "
			"\"user\": \"root\", \"password\": \"pw\"}}",
			i);
		snprintf(ack, alen, "node %s-n%ld", prefix, i);
		break;
	case 2:
		*method = "PUT";
		snprintf(path, plen, "/v0/node/%s-n%ld/nic/eth0", prefix, i);
		snprintf(body, blen,
			 "{\"macaddr\": \"02:00:00:%02lx:%02lx:%02lx\"}",
			 (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
		snprintf(ack, alen,
			 "nic %s-n%ld eth0 02:00:00:%02lx:%02lx:%02lx", prefix,
			 i, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
		break;
	default:
		*method = "POST";
		snprintf(path, plen, "/v0/project/%s-p%ld/connect_node", prefix,
			 i);
		snprintf(body, blen, "{\"node\": \"%s-n%ld\"}", prefix, i);
		snprintf(ack, alen, "connect %s-p%ld %s-n%ld", prefix, i,
			 prefix, i);
		break;
	}
}

#define CW_STEPS 4

static int cw_write(const char *base, const char *prefix, const char *ackfile,
		    long count)
{
	char path[CW_MAX_LINE], body[CW_MAX_LINE], ack[CW_MAX_LINE + 1];
	long acked = 0, refused = 0;
	const char *method, *stopped = "count";
	struct cw c;
	int fd, r = 0;

	fd = open(ackfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || cw_init(&c, base) < 0) {
		perror(ackfile);
		return 2;
	}
	for (long i = 0; i < count && r == 0; i++) {
		for (int s = 0; s < CW_STEPS; s++) {
			struct cw_reply rep;
			size_t n;

			cw_step(s, prefix, i, &method, path, sizeof(path), body,
				sizeof(body), ack, sizeof(ack) - 1);
			if (cw_request(&c, method, path, body, &rep) < 0) {
				stopped = "transport";
				r = 1;
				break;
			}
			if (rep.status < 200 || rep.status > 299) {
				fprintf(stderr, "refused: %s %s -> %ld %s\n",
					method, path, rep.status,
					rep.body ? rep.body : "");
				cw_reply_clear(&rep);
				refused++;
				stopped = "refused";
				r = 3;
				break;
			}
			cw_reply_clear(&rep);
			/* Recorded before the next write goes out. */
			n = strlen(ack);
			ack[n] = '\n';
			if (write(fd, ack, n + 1) != (ssize_t)(n + 1)) {
				perror(ackfile);
				r = 2;
				break;
			}
			acked++;
		}
	}
	printf("acked %ld refused %ld stopped %s\n", acked, refused, stopped);
	cw_fini(&c);
	close(fd);
	return r == 3 || r == 2 ? r : 0;
}

/* GET path as JSON; NULL unless the reply is a 200 with JSON. */
static json_t *cw_get_json(struct cw *c, const char *path)
{
	struct cw_reply rep;
	json_t *j = NULL;

	if (cw_request(c, "GET", path, NULL, &rep) == 0 && rep.status == 200 &&
	    rep.body)
		j = json_loadb(rep.body, rep.len, 0, NULL);
	cw_reply_clear(&rep);
	return j;
}

static bool cw_array_has(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) if (json_is_string(v) &&
					strcmp(json_string_value(v), s) ==
						0) return true;
	return false;
}

static bool cw_node_has_nic(const json_t *node, const char *nic,
			    const char *mac)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(node, "nics"), i, v)
	{
		const char *l = json_string_value(json_object_get(v, "label"));
		const char *m =
			json_string_value(json_object_get(v, "macaddr"));

		if (l && m && strcmp(l, nic) == 0 && strcmp(m, mac) == 0)
			return true;
	}
	return false;
}

/* Is the acknowledged write on this line visible?  -EINVAL: bad line. */
static int cw_check(struct cw *c, const json_t *projects, const char *line)
{
	char kind[16], a[256], b[256], d[256], path[CW_MAX_LINE];
	json_t *node;
	int n, ok;

	n = sscanf(line, "%15s %255s %255s %255s", kind, a, b, d);
	if (n < 2)
		return -EINVAL;
	if (strcmp(kind, "project") == 0)
		return cw_array_has(projects, a);
	snprintf(path, sizeof(path), "/v0/node/%s",
		 strcmp(kind, "connect") == 0 ? b : a);
	node = cw_get_json(c, path);
	if (!node)
		return 0;
	if (strcmp(kind, "node") == 0)
		ok = 1;
	else if (strcmp(kind, "nic") == 0 && n == 4)
		ok = cw_node_has_nic(node, b, d);
	else if (strcmp(kind, "connect") == 0 && n == 3)
		ok = json_is_string(json_object_get(node, "project")) &&
		     strcmp(json_string_value(json_object_get(node, "project")),
			    a) == 0;
	else
		ok = -EINVAL;
	json_decref(node);
	return ok;
}

static int cw_verify(const char *base, char **files, int nfiles)
{
	long checked = 0, missing = 0;
	char line[CW_MAX_LINE + 64];
	json_t *projects;
	struct cw c;

	if (cw_init(&c, base) < 0)
		return 2;
	projects = cw_get_json(&c, "/v0/projects");
	if (!json_is_array(projects)) {
		fprintf(stderr, "could not list projects\n");
		cw_fini(&c);
		return 2;
	}
	for (int i = 0; i < nfiles; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f) {
			perror(files[i]);
			missing++;
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			int ok;

			line[strcspn(line, "\n")] = '\0';
			ok = cw_check(&c, projects, line);
			checked++;
			if (ok != 1) {
				fprintf(stderr, "missing: %s%s\n", line,
					ok < 0 ? " (unreadable line)" : "");
				missing++;
			}
		}
		fclose(f);
	}
	printf("checked %ld missing %ld\n", checked, missing);
	json_decref(projects);
	cw_fini(&c);
	return missing ? 1 : 0;
}

static int cw_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("free-port");
		return 2;
	}
	printf("%u\n", ntohs(sa.sin_port));
	close(fd);
	return 0;
}

static int cw_usage(void)
{
	fprintf(stderr, "usage: crash-writer write URL PREFIX ACKFILE [COUNT]\n"
			"       crash-writer verify URL ACKFILE...\n"
			"       crash-writer free-port\n");
	return 2;
}

int main(int argc, char **argv)
{
	int r;

	if (argc >= 2 && strcmp(argv[1], "free-port") == 0)
		return cw_free_port();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 2;
	if (argc >= 5 && argc <= 6 && strcmp(argv[1], "write") == 0)
		r = cw_write(argv[2], argv[3], argv[4],
			     argc == 6 ? atol(argv[5]) : CW_DEFAULT_COUNT);
	else if (argc >= 4 && strcmp(argv[1], "verify") == 0)
		r = cw_verify(argv[2], argv + 3, argc - 3);
	else
		r = cw_usage();
	curl_global_cleanup();
	return r;
}
