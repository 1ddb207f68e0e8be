/*
 * hook.c - hil-slurmctld-hook, slurmctld's PrologSlurmctld and
 * EpilogSlurmctld for HIL loans.
 *
 *   hil-slurmctld-hook [-f FILE]
 *
 * slurmctld runs it (as SlurmUser, with only SLURM_* and SPANK_* in the
 * environment) when a job starts and when it ends.  A job without
 * SPANK_HIL_PROJECT or SPANK_HIL_RELEASE (set by the hil.so SPANK plugin)
 * is none of its business: it exits 0 at once, without reading anything,
 * so other jobs never wait on HIL.  Otherwise, in the prolog it asks the
 * loan manager (hil-slurm, over its socket) to lend the job's nodes or to
 * end a loan, and in the epilog it tells the manager that the job left
 * its nodes.
 *
 * Exit status (prolog): 0 when the manager accepted; otherwise 1, which
 * makes slurmctld requeue the job or cancel it.  The hook decides which
 * by setting the job's requeue flag first: a refusal (no access to the
 * project, a foreign loan, ...) cancels the job; a transient failure (the
 * manager or hild unreachable for hook_timeout seconds) requeues it, at
 * most max_requeue times.  Either way the reason is in the job's
 * AdminComment ("scontrol show job").
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "hslog.h"
#include "hsconf.h"
#include "hstime.h"
#include "names.h"
#include "slurmapi.h"

#define HOOK_CONNECT_MS	 2000 /* one connection attempt */
#define HOOK_POKE_MS	 3000 /* the epilog's whole budget */
#define HOOK_BACKOFF_MIN 200  /* ms between attempts, doubling */
#define HOOK_BACKOFF_MAX 3000
#define HOOK_MAX_COMMENT 1024

enum hook_answer {
	HOOK_OK,
	HOOK_REFUSED,
	HOOK_FAILED,
};

/*
 * Send request and read the answer into text (the words after ok,
 * refused or error), trying again on transient failures until budget_ms
 * has passed.
 */
static enum hook_answer hook_ask(const char *socket, const char *request,
				 long long budget_ms, char *text, size_t len)
{
	long long deadline = hs_now_ms() + budget_ms;
	long backoff = HOOK_BACKOFF_MIN;
	char line[CTL_MAX_LINE];

	snprintf(text, len, "the loan manager did not answer");
	for (;;) {
		long long left = deadline - hs_now_ms();
		int fd, r;

		if (left <= 0)
			return HOOK_FAILED;
		fd = ctl_connect(socket, left < HOOK_CONNECT_MS
						 ? (int)left
						 : HOOK_CONNECT_MS);
		if (fd < 0) {
			snprintf(text, len,
				 "could not reach the loan manager at '%s': "
				 "%s",
				 socket, strerror(-fd));
		} else {
			left = deadline - hs_now_ms();
			r = ctl_write_all(fd, request, strlen(request),
					  left > 0 ? (int)left : 0);
			if (r >= 0)
				r = ctl_read_line(fd, line, sizeof(line),
						  left > 0 ? (int)left : 0);
			close(fd);
			if (r < 0) {
				snprintf(text, len,
					 "the loan manager did not answer: %s",
					 strerror(-r));
			} else if (strncmp(line, "ok", 2) == 0 &&
				   (!line[2] || line[2] == ' ')) {
				snprintf(text, len, "%s",
					 line[2] ? line + 3 : "");
				return HOOK_OK;
			} else if (strncmp(line, "refused ", 8) == 0) {
				snprintf(text, len, "%s", line + 8);
				return HOOK_REFUSED;
			} else if (strncmp(line, "error ", 6) == 0) {
				snprintf(text, len, "%s", line + 6);
			} else {
				snprintf(text, len,
					 "unexpected answer from the loan "
					 "manager");
			}
		}
		hslog_debug("%s; trying again", text);
		left = deadline - hs_now_ms();
		if (left <= 0)
			return HOOK_FAILED;
		hs_sleep_ms(backoff < left ? backoff : (long)left);
		backoff = backoff * 2 > HOOK_BACKOFF_MAX ? HOOK_BACKOFF_MAX
							 : backoff * 2;
	}
}

/* Say why in the job's AdminComment and choose what slurmctld does
 * after our non-zero exit: requeue (transient trouble) or cancel. */
static void hook_fail_job(const struct hsconf *conf, unsigned long job,
			  unsigned restarts, enum hook_answer a,
			  const char *text)
{
	char comment[HOOK_MAX_COMMENT];
	bool requeue = a == HOOK_FAILED && restarts < conf->max_requeue;

	if (a == HOOK_REFUSED)
		snprintf(comment, sizeof(comment), "hil: refused: %.900s",
			 text);
	else if (requeue)
		snprintf(comment, sizeof(comment),
			 "hil: will try again (%u of %u): %.900s", restarts + 1,
			 conf->max_requeue, text);
	else
		snprintf(comment, sizeof(comment),
			 "hil: failed after %u tries: %.900s", restarts + 1,
			 text);
	slurmapi_init(conf->slurm_conf);
	if (slurmapi_job_update((uint32_t)job, comment, requeue ? 1 : 0) < 0)
		hslog_err("job %lu: could not set its comment: %s", job,
			  slurmapi_error());
	slurmapi_fini();
	hslog_err("job %lu: %s", job, comment);
}

static int hook_number(const char *s, unsigned long *ret)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*ret = strtoul(s, &end, 10);
	return errno || *end || *ret > NAMES_UID_MAX ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *ctx, *project, *release, *user, *nodes;
	char request[CTL_MAX_LINE], text[CTL_MAX_LINE], err[1024];
	unsigned long job, uid, restarts = 0;
	struct hsconf *conf = NULL;
	enum hook_answer a;
	bool prolog;
	int c, n;

	while ((c = getopt(argc, argv, "f:")) != -1) {
		if (c != 'f') {
			fputs("usage: hil-slurmctld-hook [-f FILE]\n", stderr);
			return 2;
		}
		path = optarg;
	}
	project = getenv("SPANK_HIL_PROJECT");
	release = getenv("SPANK_HIL_RELEASE");
	if ((!project || !*project) && (!release || !*release))
		return 0;
	hslog_setup("hil-slurmctld-hook", LOG_INFO, true);
	ctx = getenv("SLURM_SCRIPT_CONTEXT");
	prolog = ctx && strcmp(ctx, "prolog_slurmctld") == 0;
	if (!prolog && (!ctx || strcmp(ctx, "epilog_slurmctld") != 0)) {
		hslog_err("not run by slurmctld as PrologSlurmctld or "
			  "EpilogSlurmctld");
		return 1;
	}
	if (hook_number(getenv("SLURM_JOB_ID"), &job) < 0 ||
	    hook_number(getenv("SLURM_JOB_UID"), &uid) < 0) {
		hslog_err("SLURM_JOB_ID or SLURM_JOB_UID is missing");
		return prolog ? 1 : 0;
	}
	hook_number(getenv("SLURM_JOB_RESTART_COUNT"), &restarts);
	if (hsconf_load(path, &conf, err, sizeof(err)) < 0) {
		hslog_err("job %lu: %s", job, err);
		/* Without a configuration nothing can be done but fail. */
		return prolog ? 1 : 0;
	}
	hslog_setup("hil-slurmctld-hook", conf->log_level, true);
	if (!prolog) {
		/* The job left its nodes: the lend can go on now. */
		if (project && *project) {
			snprintf(request, sizeof(request), "poke job=%lu\n",
				 job);
			hook_ask(conf->socket, request, HOOK_POKE_MS, text,
				 sizeof(text));
		}
		hsconf_free(conf);
		return 0;
	}
	if (project && *project) {
		user = getenv("SLURM_JOB_USER");
		nodes = getenv("SLURM_JOB_NODELIST");
		if (names_project_check(project) < 0 || !user || !nodes ||
		    strchr(user, ' ') || strchr(nodes, ' ')) {
			a = HOOK_REFUSED;
			snprintf(text, sizeof(text),
				 "invalid HIL project name or job environment");
			goto fail;
		}
		n = snprintf(request, sizeof(request),
			     "lend job=%lu uid=%lu user=%s project=%s "
			     "nodes=%s\n",
			     job, uid, user, project, nodes);
	} else {
		struct names_loan nl;

		if (names_loan_parse(release, conf->prefix, &nl) < 0) {
			a = HOOK_REFUSED;
			snprintf(text, sizeof(text), "'%.200s' is not a loan",
				 release);
			goto fail;
		}
		n = snprintf(request, sizeof(request),
			     "release job=%lu uid=%lu loan=%s\n", job, uid,
			     release);
	}
	if (n < 0 || (size_t)n >= sizeof(request)) {
		a = HOOK_REFUSED;
		snprintf(text, sizeof(text), "the request is too long");
		goto fail;
	}
	a = hook_ask(conf->socket, request,
		     (long long)conf->hook_timeout * 1000, text, sizeof(text));
	if (a == HOOK_OK) {
		hslog_info("job %lu: %s", job, *text ? text : "ok");
		hsconf_free(conf);
		return 0;
	}
fail:
	hook_fail_job(conf, job, (unsigned)restarts, a, text);
	hsconf_free(conf);
	return 1;
}
