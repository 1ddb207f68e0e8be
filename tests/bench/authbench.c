/*
 * authbench - requests per second of one GET under each way of
 * authenticating (libcurl, one keep-alive connection per client thread).
 *
 *   authbench MODE URL PATH CLIENTS SECONDS
 *
 * MODE:
 *   basic          HTTP Basic from HIL_USERNAME / HIL_PASSWORD (hild
 *                  caches the verified credential)
 *   token          X-Auth-Token from OS_TOKEN (the keystone plugin caches
 *                  the validated token)
 *   munge          a fresh MUNGE credential per request, encoded by the
 *                  client thread before it (what a real client pays)
 *   munge-premade  MUNGE credentials encoded before the clock starts, so
 *                  that only hild's side is measured (a pool of
 *                  AUTHBENCH_POOL credentials per client; the run ends
 *                  early when a pool runs out)
 * munged's socket comes from HIL_MUNGE_SOCKET (default: libmunge's).
 *
 * Every request must answer 2xx.  Prints one line:
 *   throughput mode=.. clients=.. seconds=.. requests=.. errors=.. rps=..
 * and exits 1 when a request failed (a benchmark of errors measures
 * nothing), 2 when it could not run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <munge.h>

#define AB_TIMEOUT_S   30L
#define AB_MAX_CLIENTS 256
#define AB_MAX_SECONDS 600
#define AB_MAX_URL     1024
#define AB_MAX_HEADER  8192
#define AB_POOL	       5000 /* premade credentials per client */
#define AB_ERR_SHOWN   3

enum ab_mode {
	AB_BASIC,
	AB_TOKEN,
	AB_MUNGE,
	AB_MUNGE_PREMADE,
};

static const struct {
	const char *name;
	enum ab_mode mode;
} ab_modes[] = {
	{"basic", AB_BASIC},
	{"token", AB_TOKEN},
	{"munge", AB_MUNGE},
	{"munge-premade", AB_MUNGE_PREMADE},
};

struct ab_worker {
	pthread_t tid;
	enum ab_mode mode;
	char url[AB_MAX_URL];
	pthread_barrier_t *start;
	const double *deadline;
	char **pool; /* premade credentials */
	size_t npool, used;
	long requests, errors;
	int failed; /* could not set up */
};

static atomic_int ab_errors_shown;

static double ab_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t ab_sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* A MUNGE credential from the local munged, or NULL. */
static char *ab_munge_encode(void)
{
	const char *sock = getenv("HIL_MUNGE_SOCKET");
	munge_ctx_t ctx = munge_ctx_create();
	char *cred = NULL;

	if (!ctx)
		return NULL;
	if ((!sock ||
	     munge_ctx_set(ctx, MUNGE_OPT_SOCKET, sock) == EMUNGE_SUCCESS) &&
	    munge_encode(&cred, ctx, NULL, 0) != EMUNGE_SUCCESS)
		cred = NULL;
	munge_ctx_destroy(ctx);
	return cred;
}

/* One GET with the mode's credential; 0 on 2xx. */
static int ab_request(struct ab_worker *w, CURL *h)
{
	struct curl_slist *hdrs = NULL;
	char line[AB_MAX_HEADER];
	char *cred = NULL;
	long status = 0;
	CURLcode rc;

	if (w->mode == AB_MUNGE || w->mode == AB_MUNGE_PREMADE) {
		if (w->mode == AB_MUNGE)
			cred = ab_munge_encode();
		else if (w->used < w->npool)
			cred = w->pool[w->used++];
		if (!cred)
			return -ENOENT;
		snprintf(line, sizeof(line), "Authorization: MUNGE %s", cred);
		if (w->mode == AB_MUNGE)
			free(cred);
		hdrs = curl_slist_append(NULL, line);
		if (!hdrs)
			return -ENOMEM;
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	}
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	if (atomic_fetch_add(&ab_errors_shown, 1) < AB_ERR_SHOWN)
		fprintf(stderr, "authbench: GET %s: %s (HTTP %ld)\n", w->url,
			rc != CURLE_OK ? curl_easy_strerror(rc) : "refused",
			status);
	return -EIO;
}

static CURL *ab_handle(struct ab_worker *w, struct curl_slist **ret_fixed)
{
	const char *user = getenv("HIL_USERNAME"), *pw = getenv("HIL_PASSWORD");
	const char *token = getenv("OS_TOKEN");
	struct curl_slist *fixed = NULL;
	char line[AB_MAX_HEADER];
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, w->url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, AB_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ab_sink);
	if (w->mode == AB_BASIC && user && pw) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, pw);
	}
	if (w->mode == AB_TOKEN && token) {
		snprintf(line, sizeof(line), "X-Auth-Token: %s", token);
		fixed = curl_slist_append(NULL, line);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, fixed);
	}
	*ret_fixed = fixed;
	return h;
}

static void *ab_worker_run(void *arg)
{
	struct ab_worker *w = arg;
	struct curl_slist *fixed = NULL;
	CURL *h = ab_handle(w, &fixed);

	w->failed = !h;
	for (size_t i = 0; !w->failed && i < w->npool; i++) {
		w->pool[i] = ab_munge_encode();
		w->failed = !w->pool[i];
	}
	/* Warm the connection (and hild's caches) before the clock. */
	if (!w->failed && ab_request(w, h) < 0)
		w->failed = 1;
	pthread_barrier_wait(w->start);
	pthread_barrier_wait(w->start);
	while (!w->failed && ab_now_ms() < *w->deadline) {
		int r = ab_request(w, h);

		if (r == -ENOENT && w->mode == AB_MUNGE_PREMADE)
			break; /* the pool ran out */
		if (r < 0)
			w->errors++;
		else
			w->requests++;
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(fixed);
	for (size_t i = 0; i < w->npool; i++)
		free(w->pool[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	struct ab_worker *w = NULL;
	pthread_barrier_t start;
	double deadline = 0, t0, elapsed;
	long requests = 0, errors = 0;
	int clients, seconds, mode = -1, failed = 0, rc = 2;

	if (argc != 6) {
		fprintf(stderr, "usage: authbench basic|token|munge|munge-"
				"premade URL PATH CLIENTS SECONDS\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(ab_modes) / sizeof(ab_modes[0]); i++)
		if (strcmp(argv[1], ab_modes[i].name) == 0)
			mode = (int)ab_modes[i].mode;
	clients = atoi(argv[4]);
	seconds = atoi(argv[5]);
	if (mode < 0 || clients < 1 || clients > AB_MAX_CLIENTS ||
	    seconds < 1 || seconds > AB_MAX_SECONDS) {
		fprintf(stderr,
			"authbench: bad mode, clients (1-%d) or "
			"seconds (1-%d)\n",
			AB_MAX_CLIENTS, AB_MAX_SECONDS);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 2;
	w = calloc((size_t)clients, sizeof(*w));
	if (!w || pthread_barrier_init(&start, NULL, (unsigned)clients + 1))
		return 2;
	for (int i = 0; i < clients; i++) {
		w[i].mode = (enum ab_mode)mode;
		snprintf(w[i].url, sizeof(w[i].url), "%s%s", argv[2], argv[3]);
		w[i].start = &start;
		w[i].deadline = &deadline;
		if (mode == AB_MUNGE_PREMADE) {
			w[i].npool = AB_POOL;
			w[i].pool = calloc(AB_POOL, sizeof(char *));
			if (!w[i].pool)
				return 2;
		}
		if (pthread_create(&w[i].tid, NULL, ab_worker_run, &w[i]))
			return 2;
	}
	pthread_barrier_wait(&start);
	t0 = ab_now_ms();
	deadline = t0 + seconds * 1000.0;
	pthread_barrier_wait(&start);
	for (int i = 0; i < clients; i++) {
		pthread_join(w[i].tid, NULL);
		requests += w[i].requests;
		errors += w[i].errors;
		failed += w[i].failed;
	}
	elapsed = (ab_now_ms() - t0) / 1000.0;
	if (elapsed > seconds)
		elapsed = seconds;
	if (!failed) {
		printf("throughput mode=%s clients=%d seconds=%.2f "
		       "requests=%ld "
		       "errors=%ld rps=%.1f\n",
		       argv[1], clients, elapsed, requests, errors,
		       elapsed > 0 ? (double)requests / elapsed : 0.0);
		rc = errors ? 1 : 0;
	} else {
		fprintf(stderr, "authbench: %d clients could not start\n",
			failed);
	}
	for (int i = 0; i < clients; i++)
		free(w[i].pool);
	free(w);
	pthread_barrier_destroy(&start);
	curl_global_cleanup();
	return rc;
}
