/*
 * engine-bench - how long hild takes to apply networking actions: the
 * load generator behind tests/bench/engine-bench.sh.
 *
 *   engine-bench free-port
 *   engine-bench setup URL PREFIX SWITCHES NICS
 *   engine-bench latency URL PREFIX REPS
 *   engine-bench burst URL PREFIX SWITCHES NICS
 *
 * setup makes, through the API, a project PREFIXp, a public network
 * PREFIXnet, and SWITCHES mock switches PREFIXs<i>, each with NICS ports
 * whose NICs (nodes PREFIXs<i>n<j>, in the project) are wired to them.
 * latency connects the NIC of PREFIXs1n1 to the network and polls the
 * action until DONE, then detaches it the same way, REPS times.  burst
 * sends the connects of all SWITCHES x NICS NICs at once, one client
 * thread each, and waits until every one is DONE.
 *
 * Credentials come from HIL_USERNAME / HIL_PASSWORD (none: the server
 * runs the null auth plugin).  Prints one key=value line per figure and
 * exits non-zero when a request failed: a benchmark of errors measures
 * nothing.  It never judges the figures.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_BODY	     65536
#define BENCH_MAX_NICS	     1024 /* NICs of one burst */
#define BENCH_MAX_REPS	     100000
#define BENCH_POLL_FIRST_US  500   /* first pause between two polls */
#define BENCH_POLL_MAX_US    5000  /* longest pause between two polls */
#define BENCH_ACTION_TIMEOUT 120.0 /* seconds an action may stay PENDING */

struct client {
	CURL *h;
	const char *base;
	char body[BENCH_MAX_BODY];
	size_t len;
	long status;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t client_write(char *p, size_t size, size_t n, void *arg)
{
	struct client *c = arg;
	size_t len = size * n, room = sizeof(c->body) - 1 - c->len;

	if (len > room)
		len = room;
	memcpy(c->body + c->len, p, len);
	c->len += len;
	c->body[c->len] = '\0';
	return size * n;
}

static int client_init(struct client *c, const char *base)
{
	const char *user = getenv("HIL_USERNAME");
	const char *pw = getenv("HIL_PASSWORD");

	memset(c, 0, sizeof(*c));
	c->base = base;
	c->h = curl_easy_init();
	if (!c->h)
		return -ENOMEM;
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, client_write);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
	if (user && pw) {
		curl_easy_setopt(c->h, CURLOPT_USERNAME, user);
		curl_easy_setopt(c->h, CURLOPT_PASSWORD, pw);
	}
	return 0;
}

static void client_free(struct client *c)
{
	if (c->h)
		curl_easy_cleanup(c->h);
	c->h = NULL;
}

/* One request on the client's keep-alive connection; the status is in
 * c->status, the body in c->body.  0, or -EIO when no answer came. */
static int client_do(struct client *c, const char *method, const char *path,
		     const char *body)
{
	struct curl_slist *hdr = NULL;
	char url[2048];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s/v0%s", c->base, path);
	c->len = 0;
	c->body[0] = '\0';
	c->status = 0;
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		hdr = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(c->h);
	curl_slist_free_all(hdr);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK) {
		fprintf(stderr, "engine-bench: %s %s: %s\n", method, path,
			curl_easy_strerror(rc));
		return -EIO;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	return 0;
}

/* client_do, and a 2xx (or 409 when dup_ok: it exists) is required. */
static int client_must(struct client *c, const char *method, const char *path,
		       const char *body, bool dup_ok)
{
	if (client_do(c, method, path, body) < 0)
		return -EIO;
	if (c->status / 100 == 2 || (dup_ok && c->status == 409))
		return 0;
	fprintf(stderr, "engine-bench: %s %s: HTTP %ld %s\n", method, path,
		c->status, c->body);
	return -EIO;
}

/* The string member key of the JSON object in the last body, into buf. */
static int client_field(const struct client *c, const char *key, char *buf,
			size_t len)
{
	json_t *j = json_loads(c->body, 0, NULL);
	const char *v = json_string_value(json_object_get(j, key));
	int r = -ENOENT;

	if (v) {
		snprintf(buf, len, "%s", v);
		r = 0;
	}
	json_decref(j);
	return r;
}

/* Queue an action (POST path body) and poll it until it is no longer
 * PENDING.  0 when it ended DONE; the times of the answer to the POST and
 * of the end are written to *ret_queued and *ret_done. */
static int action_run(struct client *c, const char *path, const char *body,
		      double *ret_queued, double *ret_done)
{
	char id[128], status[32], get[256];
	unsigned pause = BENCH_POLL_FIRST_US;
	double start = now_ms();

	if (client_must(c, "POST", path, body, false) < 0 ||
	    client_field(c, "status_id", id, sizeof(id)) < 0)
		return -EIO;
	*ret_queued = now_ms();
	snprintf(get, sizeof(get), "/networking_action/%s", id);
	for (;;) {
		if (client_must(c, "GET", get, NULL, false) < 0 ||
		    client_field(c, "status", status, sizeof(status)) < 0)
			return -EIO;
		if (strcmp(status, "PENDING") != 0)
			break;
		if (now_ms() - start > BENCH_ACTION_TIMEOUT * 1e3) {
			fprintf(stderr,
				"engine-bench: action %s still "
				"pending\n",
				id);
			return -ETIMEDOUT;
		}
		usleep(pause);
		pause = pause * 2 > BENCH_POLL_MAX_US ? BENCH_POLL_MAX_US
						      : pause * 2;
	}
	*ret_done = now_ms();
	if (strcmp(status, "DONE") != 0) {
		fprintf(stderr, "engine-bench: action %s ended %s: %s\n", id,
			status, c->body);
		return -EIO;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values. */
static double percentile(const double *v, int n, double p)
{
	int rank = (int)(p / 100.0 * n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static int cmd_setup(const char *url, const char *pre, int nsw, int nnic)
{
	struct client c;
	char path[512], body[512];
	int r = -EIO;

	if (client_init(&c, url) < 0)
		return 1;
	snprintf(path, sizeof(path), "/project/%sp", pre);
	if (client_must(&c, "PUT", path, NULL, true) < 0)
		goto out;
	snprintf(path, sizeof(path), "/network/%snet", pre);
	/* An id outside any pool: no allocator needed. */
	if (client_must(&c, "PUT", path,
			"{\"owner\": \"admin\", \"access\": \"\", "
			"\"net_id\": \"3001\"}",
			true) < 0)
		goto out;
	for (int s = 1; s <= nsw; s++) {
		snprintf(path, sizeof(path), "/switch/%ss%d", pre, s);
		snprintf(body, sizeof(body),
			 "{\"type\": \"mock\", \"hostname\": \"%ss%d\", "
			 "\"username\": \"u\", \"password\": \"p\"}",
			 pre, s);
		if (client_must(&c, "PUT", path, body, false) < 0)
			goto out;
		for (int n = 1; n <= nnic; n++) {
			snprintf(path, sizeof(path),
				 "/switch/%ss%d/port/gi1/0/%d", pre, s, n);
			if (client_must(&c, "PUT", path, NULL, false) < 0)
				goto out;
			snprintf(path, sizeof(path), "/node/%ss%dn%d", pre, s,
				 n);
			if (client_must(&c, "PUT", path,
					"{\"obm\": {\"type\": \"mock\", "
					"\"host\": \"h\", \"user\": \"u\", "
					"\"password\": \"p\"}}",
					false) < 0)
				goto out;
			snprintf(path, sizeof(path), "/node/%ss%dn%d/nic/eth0",
				 pre, s, n);
			snprintf(body, sizeof(body),
				 "{\"macaddr\": \"02:00:00:%02x:%02x:%02x\"}",
				 s & 0xff, (n >> 8) & 0xff, n & 0xff);
			if (client_must(&c, "PUT", path, body, false) < 0)
				goto out;
			snprintf(path, sizeof(path),
				 "/switch/%ss%d/port/gi1/0/%d/connect_nic", pre,
				 s, n);
			snprintf(body, sizeof(body),
				 "{\"node\": \"%ss%dn%d\", \"nic\": \"eth0\"}",
				 pre, s, n);
			if (client_must(&c, "POST", path, body, false) < 0)
				goto out;
			snprintf(path, sizeof(path),
				 "/project/%sp/connect_node", pre);
			snprintf(body, sizeof(body), "{\"node\": \"%ss%dn%d\"}",
				 pre, s, n);
			if (client_must(&c, "POST", path, body, false) < 0)
				goto out;
		}
	}
	r = 0;
out:
	client_free(&c);
	return r < 0 ? 1 : 0;
}

static int cmd_latency(const char *url, const char *pre, int reps)
{
	double *con = calloc((size_t)reps, sizeof(double));
	double *det = calloc((size_t)reps, sizeof(double));
	char path[512], body[256];
	struct client c;
	double t0, q, d;
	int r = 1;

	if (!con || !det || client_init(&c, url) < 0)
		goto out_free;
	snprintf(body, sizeof(body), "{\"network\": \"%snet\"}", pre);
	for (int i = 0; i < reps; i++) {
		snprintf(path, sizeof(path),
			 "/node/%ss1n1/nic/eth0/connect_network", pre);
		t0 = now_ms();
		if (action_run(&c, path, body, &q, &d) < 0)
			goto out;
		con[i] = d - t0;
		snprintf(path, sizeof(path),
			 "/node/%ss1n1/nic/eth0/detach_network", pre);
		t0 = now_ms();
		if (action_run(&c, path, body, &q, &d) < 0)
			goto out;
		det[i] = d - t0;
	}
	qsort(con, (size_t)reps, sizeof(double), cmp_double);
	qsort(det, (size_t)reps, sizeof(double), cmp_double);
	printf("name=connect_until_done reps=%d median_ms=%.2f p99_ms=%.2f\n",
	       reps, percentile(con, reps, 50), percentile(con, reps, 99));
	printf("name=detach_until_done reps=%d median_ms=%.2f p99_ms=%.2f\n",
	       reps, percentile(det, reps, 50), percentile(det, reps, 99));
	r = 0;
out:
	client_free(&c);
out_free:
	free(con);
	free(det);
	return r;
}

struct burst_arg {
	const char *url, *pre;
	int s, n;
	pthread_barrier_t *go;
	double queued, done;
	int r;
};

static void *burst_one(void *p)
{
	struct burst_arg *a = p;
	char path[512], body[256];
	struct client c;

	a->r = client_init(&c, a->url);
	snprintf(path, sizeof(path), "/node/%ss%dn%d/nic/eth0/connect_network",
		 a->pre, a->s, a->n);
	snprintf(body, sizeof(body), "{\"network\": \"%snet\"}", a->pre);
	/* Connected before the clock starts, as a client pool would be. */
	if (a->r == 0)
		a->r = client_do(&c, "GET", "/networks", NULL);
	pthread_barrier_wait(a->go);
	if (a->r == 0)
		a->r = action_run(&c, path, body, &a->queued, &a->done);
	client_free(&c);
	return NULL;
}

static int cmd_burst(const char *url, const char *pre, int nsw, int nnic)
{
	int total = nsw * nnic, started = 0, r = 0;
	struct burst_arg *args = calloc((size_t)total, sizeof(*args));
	pthread_t *th = calloc((size_t)total, sizeof(*th));
	double t0, last_q = 0, last_d = 0;
	pthread_barrier_t go;

	if (!args || !th || total > BENCH_MAX_NICS) {
		free(args);
		free(th);
		return 1;
	}
	pthread_barrier_init(&go, NULL, (unsigned)total + 1);
	for (int i = 0; i < total; i++) {
		args[i] = (struct burst_arg){url, pre, i % nsw + 1, i / nsw + 1,
					     &go, 0,   0,	    0};
		if (pthread_create(&th[i], NULL, burst_one, &args[i]) != 0) {
			fprintf(stderr, "engine-bench: too many threads\n");
			exit(1); /* the barrier would wait forever */
		}
		started++;
	}
	pthread_barrier_wait(&go);
	t0 = now_ms();
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		if (args[i].r < 0)
			r = 1;
		if (args[i].queued - t0 > last_q)
			last_q = args[i].queued - t0;
		if (args[i].done - t0 > last_d)
			last_d = args[i].done - t0;
	}
	pthread_barrier_destroy(&go);
	if (r == 0)
		printf("name=burst switches=%d actions=%d all_queued_ms=%.1f "
		       "all_done_ms=%.1f per_action_ms=%.2f\n",
		       nsw, total, last_q, last_d, last_d / total);
	free(args);
	free(th);
	return r;
}

/* A TCP port nobody listens on now, for the server to take. */
static int cmd_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return 1;
	printf("%d\n", ntohs(a.sin_port));
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: engine-bench free-port\n"
			"       engine-bench setup URL PREFIX SWITCHES NICS\n"
			"       engine-bench latency URL PREFIX REPS\n"
			"       engine-bench burst URL PREFIX SWITCHES NICS\n");
	return 2;
}

static int number(const char *s, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *end || v < 1 || v > max ? -1 : (int)v;
}

int main(int argc, char **argv)
{
	int a, b, r;

	if (argc == 2 && strcmp(argv[1], "free-port") == 0)
		return cmd_free_port();
	if (argc < 5)
		return usage();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	a = number(argv[4], BENCH_MAX_NICS);
	b = argc > 5 ? number(argv[5], BENCH_MAX_NICS) : 0;
	if (strcmp(argv[1], "setup") == 0 && argc == 6 && a > 0 && b > 0)
		r = cmd_setup(argv[2], argv[3], a, b);
	else if (strcmp(argv[1], "latency") == 0 && argc == 5 &&
		 (a = number(argv[4], BENCH_MAX_REPS)) > 0)
		r = cmd_latency(argv[2], argv[3], a);
	else if (strcmp(argv[1], "burst") == 0 && argc == 6 && a > 0 && b > 0 &&
		 a * b <= BENCH_MAX_NICS)
		r = cmd_burst(argv[2], argv[3], a, b);
	else
		r = usage();
	curl_global_cleanup();
	return r;
}
