/*
 * hilbench - a small load generator for the HIL v0 API (libcurl,
 * keep-alive connections, one thread per client).
 *
 *   hilbench latency URL PREFIX REPS
 *       REPS times each, one client: project_create (PREFIX-p<i>),
 *       node_register (PREFIX-n<i>, mock OBM), project_connect_node,
 *       project_detach_node, project_delete.  The nodes stay, free.
 *   hilbench network URL PREFIX REPS
 *       Set up (untimed) a mock switch PREFIX-sw, a project PREFIX-np and
 *       REPS nodes in it, each with a NIC wired to a port; then REPS times
 *       each: network_create, node_connect_network until its operation is
 *       DONE, node_detach_network until DONE (polling every HB_POLL_MS),
 *       network_delete.  Needs hild with the mock switch driver and a VLAN
 *       pool of REPS ids.  The nodes are left free.
 *   hilbench get URL PATH REPS NAME
 *       GET PATH REPS times, one client; the first request is reported
 *       apart (first_ms), as it may pay for what later ones find cached
 *       (an anonymous request before it warms the connection).
 *   hilbench throughput URL PATH CLIENTS SECONDS
 *       CLIENTS threads GET PATH back to back for SECONDS.
 *   hilbench free-port
 *       print a TCP port free on 127.0.0.1.
 *
 * Every request must succeed (2xx); failures are counted and the first
 * one is shown on stderr.  Results are one line each, key=value:
 *   latency name=project_create n=200 errors=0 median_ms=.. p99_ms=.. ...
 *   throughput path=/v0/nodes/free clients=16 seconds=5.00 requests=..
 *       errors=0 rps=..
 * Latency is wall time around one request on a warm connection, measured
 * by the client.  Figures are printed, never judged: hilbench exits 0
 * unless it could not run, or requests failed.
 *
 * Credentials come from HIL_USERNAME and HIL_PASSWORD (HTTP Basic).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define HB_TIMEOUT_S	 30L
#define HB_MAX_CLIENTS	 1024
#define HB_MAX_REPS	 1000000
#define HB_MAX_SECONDS	 3600
#define HB_MAX_URL	 1024
#define HB_MAX_BODY	 512
#define HB_MAX_ERR_SHOWN 1024  /* bytes of a reply kept (and shown) */
#define HB_POLL_MS	 1     /* networking_action polling interval */
#define HB_OP_TIMEOUT_MS 60000 /* an operation that is not DONE by then fails */

struct hb_client {
	CURL *h;
	struct curl_slist *headers;
	const char *base;
	char url[HB_MAX_URL];
	/* The last reply's first bytes, kept for error messages. */
	char head[HB_MAX_ERR_SHOWN + 1];
	size_t headlen;
};

static atomic_int hb_errors_shown;

static double hb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t hb_sink(char *p, size_t size, size_t n, void *arg)
{
	struct hb_client *c = arg;
	size_t add = size * n, room = HB_MAX_ERR_SHOWN - c->headlen;

	if (room > add)
		room = add;
	memcpy(c->head + c->headlen, p, room);
	c->headlen += room;
	c->head[c->headlen] = '\0';
	return add;
}

static int hb_client_init(struct hb_client *c, const char *base)
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
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, HB_TIMEOUT_S);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, hb_sink);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	if (user && pw) {
		curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c->h, CURLOPT_USERNAME, user);
		curl_easy_setopt(c->h, CURLOPT_PASSWORD, pw);
	}
	return 0;
}

static void hb_client_fini(struct hb_client *c)
{
	curl_easy_cleanup(c->h);
	curl_slist_free_all(c->headers);
}

/* One request; 0 on a 2xx reply, -EIO otherwise (the first few failures
 * are shown). */
static int hb_request(struct hb_client *c, const char *method, const char *path,
		      const char *body)
{
	long status = 0;
	CURLcode rc;

	snprintf(c->url, sizeof(c->url), "%s%s", c->base, path);
	c->headlen = 0;
	c->head[0] = '\0';
	curl_easy_setopt(c->h, CURLOPT_URL, c->url);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(c->h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	if (atomic_fetch_add(&hb_errors_shown, 1) < 3)
		fprintf(stderr, "hilbench: %s %s: %s\n", method, path,
			rc != CURLE_OK ? curl_easy_strerror(rc) : c->head);
	return -EIO;
}

/* One request without credentials, whatever its answer: it opens the
 * connection, and hild's thread opens its database connection, so that
 * what follows measures neither. */
static void hb_warm_anonymous(struct hb_client *c, const char *path)
{
	struct curl_slist *h = curl_slist_append(NULL, "Authorization:");

	snprintf(c->url, sizeof(c->url), "%s%s", c->base, path);
	curl_easy_setopt(c->h, CURLOPT_URL, c->url);
	curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, h);
	curl_easy_perform(c->h);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
	curl_slist_free_all(h);
}

static int hb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted sample. */
static double hb_pct(const double *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	return n ? v[rank ? rank - 1 : 0] : NAN;
}

static void hb_report(const char *name, double *ms, size_t n, int errors,
		      double first)
{
	double sum = 0, median;

	qsort(ms, n, sizeof(*ms), hb_cmp);
	for (size_t i = 0; i < n; i++)
		sum += ms[i];
	median = n == 0	      ? NAN
		 : n % 2 == 1 ? ms[n / 2]
			      : (ms[n / 2 - 1] + ms[n / 2]) / 2;
	printf("latency name=%s n=%zu errors=%d median_ms=%.3f p99_ms=%.3f "
	       "mean_ms=%.3f min_ms=%.3f max_ms=%.3f",
	       name, n, errors, median, hb_pct(ms, n, 99),
	       n ? sum / (double)n : NAN, n ? ms[0] : NAN, n ? ms[n - 1] : NAN);
	if (!isnan(first))
		printf(" first_ms=%.3f", first);
	printf("\n");
	fflush(stdout);
}

enum hb_call {
	HB_PROJECT_CREATE,
	HB_NODE_REGISTER,
	HB_CONNECT,
	HB_DETACH,
	HB_PROJECT_DELETE,
	HB_NCALLS,
};

static const char *const hb_call_names[HB_NCALLS] = {
	[HB_PROJECT_CREATE] = "project_create",
	[HB_NODE_REGISTER] = "node_register",
	[HB_CONNECT] = "project_connect_node",
	[HB_DETACH] = "project_detach_node",
	[HB_PROJECT_DELETE] = "project_delete",
};

static void hb_call(enum hb_call k, const char *prefix, int i,
		    const char **method, char *path, char *body)
{
	body[0] = '\0';
	switch (k) {
	case HB_PROJECT_CREATE:
		*method = "PUT";
		snprintf(path, HB_MAX_URL, "/v0/project/%s-p%d", prefix, i);
		break;
	case HB_NODE_REGISTER:
		*method = "PUT";
		snprintf(path, HB_MAX_URL, "/v0/node/%s-n%d", prefix, i);
		snprintf(body, HB_MAX_BODY,
			 "{\"obm\": {\"type\": \"mock\", \"host\": \"bmc-%d\", "
			 "\"user\": \"root\", \"password\": \"pw\"}}",
			 i);
		break;
	case HB_CONNECT:
	case HB_DETACH:
		*method = "POST";
		snprintf(path, HB_MAX_URL, "/v0/project/%s-p%d/%s", prefix, i,
			 k == HB_CONNECT ? "connect_node" : "detach_node");
		snprintf(body, HB_MAX_BODY, "{\"node\": \"%s-n%d\"}", prefix,
			 i);
		break;
	default:
		*method = "DELETE";
		snprintf(path, HB_MAX_URL, "/v0/project/%s-p%d", prefix, i);
		break;
	}
}

static int hb_latency(const char *base, const char *prefix, int reps)
{
	char path[HB_MAX_URL], body[HB_MAX_BODY];
	int errors[HB_NCALLS] = {0}, failed = 0;
	const char *method;
	struct hb_client c;
	double *ms;

	ms = calloc((size_t)reps * HB_NCALLS, sizeof(*ms));
	if (!ms || hb_client_init(&c, base) < 0)
		return 2;
	/* Open the connection (and let hild cache the credential). */
	hb_request(&c, "GET", "/v0/nodes/free", NULL);
	/* Call by call, so that each measures one kind of transaction. */
	for (int k = 0; k < HB_NCALLS; k++) {
		for (int i = 0; i < reps; i++) {
			double t0;

			hb_call(k, prefix, i, &method, path, body);
			t0 = hb_now_ms();
			if (hb_request(&c, method, path, body) < 0)
				errors[k]++;
			ms[(size_t)k * reps + i] = hb_now_ms() - t0;
		}
	}
	for (int k = 0; k < HB_NCALLS; k++) {
		hb_report(hb_call_names[k], ms + (size_t)k * reps, (size_t)reps,
			  errors[k], NAN);
		failed += errors[k];
	}
	hb_client_fini(&c);
	free(ms);
	return failed ? 1 : 0;
}

enum hb_net_call {
	HB_NETWORK_CREATE,
	HB_NODE_CONNECT_NETWORK,
	HB_NODE_DETACH_NETWORK,
	HB_NETWORK_DELETE,
	HB_NNETCALLS,
};

static const char *const hb_net_call_names[HB_NNETCALLS] = {
	[HB_NETWORK_CREATE] = "network_create",
	[HB_NODE_CONNECT_NETWORK] = "node_connect_network_done",
	[HB_NODE_DETACH_NETWORK] = "node_detach_network_done",
	[HB_NETWORK_DELETE] = "network_delete",
};

/* The untimed setup of "network": one switch, one project, and per
 * repetition a node in it with a NIC wired to a port of its own. */
static int hb_network_setup(struct hb_client *c, const char *prefix, int reps)
{
	char path[HB_MAX_URL], body[HB_MAX_BODY];
	int errors = 0;

	snprintf(path, sizeof(path), "/v0/switch/%s-sw", prefix);
	snprintf(body, sizeof(body),
		 "{\"type\": \"mock\", \"hostname\": \"%s-sw\", "
		 "\"username\": \"u\", \"password\": \"p\"}",
		 prefix);
	errors += hb_request(c, "PUT", path, body) < 0;
	snprintf(path, sizeof(path), "/v0/project/%s-np", prefix);
	errors += hb_request(c, "PUT", path, NULL) < 0;
	for (int i = 0; i < reps && !errors; i++) {
		snprintf(path, sizeof(path), "/v0/node/%s-nn%d", prefix, i);
		snprintf(body, sizeof(body),
			 "{\"obm\": {\"type\": \"mock\", \"host\": "
			 "\"bmc-%d\", \"user\": \"u\", \"password\": \"p\"}}",
			 i);
		errors += hb_request(c, "PUT", path, body) < 0;
		snprintf(path, sizeof(path), "/v0/node/%s-nn%d/nic/eth0",
			 prefix, i);
		snprintf(body, sizeof(body),
			 "{\"macaddr\": \"02:00:00:00:%02x:%02x\"}",
			 (i >> 8) & 0xff, i & 0xff);
		errors += hb_request(c, "PUT", path, body) < 0;
		snprintf(path, sizeof(path), "/v0/switch/%s-sw/port/gi1/0/%d",
			 prefix, i);
		errors += hb_request(c, "PUT", path, NULL) < 0;
		snprintf(path, sizeof(path),
			 "/v0/switch/%s-sw/port/gi1/0/%d/connect_nic", prefix,
			 i);
		snprintf(body, sizeof(body),
			 "{\"node\": \"%s-nn%d\", \"nic\": \"eth0\"}", prefix,
			 i);
		errors += hb_request(c, "POST", path, body) < 0;
		snprintf(path, sizeof(path), "/v0/project/%s-np/connect_node",
			 prefix);
		snprintf(body, sizeof(body), "{\"node\": \"%s-nn%d\"}", prefix,
			 i);
		errors += hb_request(c, "POST", path, body) < 0;
	}
	return errors ? -EIO : 0;
}

/* The value of key in the JSON object of the last reply, into out. */
static int hb_reply_str(const struct hb_client *c, const char *key, char *out,
			size_t outlen)
{
	json_t *j = json_loadb(c->head, c->headlen, 0, NULL);
	const char *v = json_string_value(json_object_get(j, key));
	int r = -EINVAL;

	if (v && strlen(v) < outlen) {
		strcpy(out, v);
		r = 0;
	}
	json_decref(j);
	return r;
}

/* Queue a connect or detach and poll its operation until it is DONE. */
static int hb_network_op(struct hb_client *c, const char *path,
			 const char *body)
{
	struct timespec poll = {0, HB_POLL_MS * 1000000L};
	char id[128], status[32], spath[HB_MAX_URL];
	double deadline = hb_now_ms() + HB_OP_TIMEOUT_MS;

	if (hb_request(c, "POST", path, body) < 0 ||
	    hb_reply_str(c, "status_id", id, sizeof(id)) < 0)
		return -EIO;
	snprintf(spath, sizeof(spath), "/v0/networking_action/%s", id);
	while (hb_now_ms() < deadline) {
		if (hb_request(c, "GET", spath, NULL) < 0 ||
		    hb_reply_str(c, "status", status, sizeof(status)) < 0)
			return -EIO;
		if (strcmp(status, "DONE") == 0)
			return 0;
		if (strcmp(status, "PENDING") != 0) {
			fprintf(stderr, "hilbench: %s: %s\n", path, c->head);
			return -EIO;
		}
		nanosleep(&poll, NULL);
	}
	fprintf(stderr, "hilbench: %s: not done after %d ms\n", path,
		HB_OP_TIMEOUT_MS);
	return -ETIMEDOUT;
}

static int hb_network_call(struct hb_client *c, enum hb_net_call k,
			   const char *prefix, int i)
{
	char path[HB_MAX_URL], body[HB_MAX_BODY];

	switch (k) {
	case HB_NETWORK_CREATE:
		snprintf(path, sizeof(path), "/v0/network/%s-net%d", prefix, i);
		snprintf(body, sizeof(body),
			 "{\"owner\": \"%s-np\", \"access\": \"%s-np\", "
			 "\"net_id\": \"\"}",
			 prefix, prefix);
		return hb_request(c, "PUT", path, body);
	case HB_NODE_CONNECT_NETWORK:
	case HB_NODE_DETACH_NETWORK:
		snprintf(path, sizeof(path), "/v0/node/%s-nn%d/nic/eth0/%s",
			 prefix, i,
			 k == HB_NODE_CONNECT_NETWORK ? "connect_network"
						      : "detach_network");
		snprintf(body, sizeof(body), "{\"network\": \"%s-net%d\"%s}",
			 prefix, i,
			 k == HB_NODE_CONNECT_NETWORK
				 ? ", \"channel\": \"vlan/native\""
				 : "");
		return hb_network_op(c, path, body);
	default:
		snprintf(path, sizeof(path), "/v0/network/%s-net%d", prefix, i);
		return hb_request(c, "DELETE", path, NULL);
	}
}

static int hb_network(const char *base, const char *prefix, int reps)
{
	int errors[HB_NNETCALLS] = {0}, failed = 0;
	char path[HB_MAX_URL], body[HB_MAX_BODY];
	struct hb_client c;
	double *ms;

	ms = calloc((size_t)reps * HB_NNETCALLS, sizeof(*ms));
	if (!ms || hb_client_init(&c, base) < 0)
		return 2;
	if (hb_network_setup(&c, prefix, reps) < 0) {
		fprintf(stderr, "hilbench: network: setup failed\n");
		hb_client_fini(&c);
		free(ms);
		return 1;
	}
	for (int k = 0; k < HB_NNETCALLS; k++) {
		for (int i = 0; i < reps; i++) {
			double t0 = hb_now_ms();

			if (hb_network_call(&c, k, prefix, i) < 0)
				errors[k]++;
			ms[(size_t)k * reps + i] = hb_now_ms() - t0;
		}
	}
	for (int k = 0; k < HB_NNETCALLS; k++) {
		hb_report(hb_net_call_names[k], ms + (size_t)k * reps,
			  (size_t)reps, errors[k], NAN);
		failed += errors[k];
	}
	/* Leave the nodes free, as the other runs do. */
	for (int i = 0; i < reps; i++) {
		snprintf(path, sizeof(path), "/v0/project/%s-np/detach_node",
			 prefix);
		snprintf(body, sizeof(body), "{\"node\": \"%s-nn%d\"}", prefix,
			 i);
		hb_request(&c, "POST", path, body);
	}
	hb_client_fini(&c);
	free(ms);
	return failed ? 1 : 0;
}

static int hb_get(const char *base, const char *path, int reps,
		  const char *name)
{
	struct hb_client c;
	int errors = 0;
	double first, t0, *ms;

	ms = calloc((size_t)reps, sizeof(*ms));
	if (!ms || hb_client_init(&c, base) < 0)
		return 2;
	hb_warm_anonymous(&c, path);
	t0 = hb_now_ms();
	if (hb_request(&c, "GET", path, NULL) < 0)
		errors++;
	first = hb_now_ms() - t0;
	for (int i = 0; i < reps; i++) {
		t0 = hb_now_ms();
		if (hb_request(&c, "GET", path, NULL) < 0)
			errors++;
		ms[i] = hb_now_ms() - t0;
	}
	hb_report(name, ms, (size_t)reps, errors, first);
	hb_client_fini(&c);
	free(ms);
	return errors ? 1 : 0;
}

struct hb_worker {
	pthread_t tid;
	const char *base, *path;
	pthread_barrier_t *start;
	const double *deadline;
	long requests, errors;
	int failed; /* could not set up */
};

static void *hb_worker_run(void *arg)
{
	struct hb_worker *w = arg;
	struct hb_client c;

	w->failed = hb_client_init(&c, w->base) < 0;
	/* Warm the connection before the clock starts. */
	if (!w->failed && hb_request(&c, "GET", w->path, NULL) < 0)
		w->failed = 1;
	pthread_barrier_wait(w->start);
	pthread_barrier_wait(w->start);
	while (!w->failed && hb_now_ms() < *w->deadline) {
		if (hb_request(&c, "GET", w->path, NULL) < 0)
			w->errors++;
		else
			w->requests++;
	}
	if (c.h)
		hb_client_fini(&c);
	return NULL;
}

static int hb_throughput(const char *base, const char *path, int clients,
			 int seconds)
{
	struct hb_worker *w = calloc((size_t)clients, sizeof(*w));
	pthread_barrier_t start;
	long requests = 0, errors = 0;
	double deadline = 0, t0, elapsed;
	int failed = 0, started = 0;

	if (!w ||
	    pthread_barrier_init(&start, NULL, (unsigned)clients + 1) != 0)
		return 2;
	for (int i = 0; i < clients; i++) {
		w[i].base = base;
		w[i].path = path;
		w[i].start = &start;
		w[i].deadline = &deadline;
		if (pthread_create(&w[i].tid, NULL, hb_worker_run, &w[i]) !=
		    0) {
			fprintf(stderr, "hilbench: cannot start thread %d\n",
				i);
			exit(2); /* the barrier would never open */
		}
		started++;
	}
	/* Every client is connected; set the deadline, then open the gate. */
	pthread_barrier_wait(&start);
	t0 = hb_now_ms();
	deadline = t0 + seconds * 1e3;
	pthread_barrier_wait(&start);
	for (int i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		requests += w[i].requests;
		errors += w[i].errors;
		failed += w[i].failed;
	}
	elapsed = (hb_now_ms() - t0) / 1e3;
	printf("throughput path=%s clients=%d seconds=%.2f requests=%ld "
	       "errors=%ld rps=%.1f\n",
	       path, clients, elapsed, requests, errors + failed,
	       (double)requests / elapsed);
	pthread_barrier_destroy(&start);
	free(w);
	return errors || failed ? 1 : 0;
}

static int hb_free_port(void)
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

/* A decimal in [1, max], or -1. */
static int hb_int(const char *s, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > max)
		return -1;
	return (int)v;
}

static int hb_usage(void)
{
	fprintf(stderr, "usage: hilbench latency URL PREFIX REPS\n"
			"       hilbench get URL PATH REPS NAME\n"
			"       hilbench throughput URL PATH CLIENTS SECONDS\n"
			"       hilbench free-port\n");
	return 2;
}

int main(int argc, char **argv)
{
	int r, a, b;

	if (argc == 2 && strcmp(argv[1], "free-port") == 0)
		return hb_free_port();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 2;
	if (argc == 5 && strcmp(argv[1], "latency") == 0 &&
	    (a = hb_int(argv[4], HB_MAX_REPS)) > 0)
		r = hb_latency(argv[2], argv[3], a);
	else if (argc == 5 && strcmp(argv[1], "network") == 0 &&
		 (a = hb_int(argv[4], HB_MAX_REPS)) > 0)
		r = hb_network(argv[2], argv[3], a);
	else if (argc == 6 && strcmp(argv[1], "get") == 0 &&
		 (a = hb_int(argv[4], HB_MAX_REPS)) > 0)
		r = hb_get(argv[2], argv[3], a, argv[5]);
	else if (argc == 6 && strcmp(argv[1], "throughput") == 0 &&
		 (a = hb_int(argv[4], HB_MAX_CLIENTS)) > 0 &&
		 (b = hb_int(argv[5], HB_MAX_SECONDS)) > 0)
		r = hb_throughput(argv[2], argv[3], a, b);
	else
		r = hb_usage();
	curl_global_cleanup();
	return r;
}
