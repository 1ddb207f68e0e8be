/*
 * main.c - hil-slurm, the loan manager: lends SLURM's nodes to HIL
 * projects and takes them back (SLURM.md).  Runs in the foreground as
 * SlurmUser on the controller host, talks to slurmctld through libslurm
 * and to hild as a HIL administrator, and listens on a UNIX socket for
 * the controller hook.
 *
 *   hil-slurm [-f FILE] [-t] [-T]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "client/hilclient.h"
#include "ctl.h"
#include "hslog.h"
#include "hstime.h"
#include "hsconf.h"
#include "loan.h"
#include "slurmapi.h"

#define MAIN_REQUEST_MS 5000 /* a hook has this long to send its line */

struct main_ctx {
	int listen_fd;
	int sig_fd;
};

static void main_usage(FILE *f)
{
	fputs("usage: hil-slurm [-f FILE] [-t] [-T]\n"
	      "  -f FILE  configuration (default " HILCONFDIR
	      "/hil-slurm.conf)\n"
	      "  -t       check the configuration and exit\n"
	      "  -T       print the effective configuration and exit\n",
	      f);
}

/* Asked by a pass between its steps: stop for a request or a signal. */
static bool main_interrupted(void *arg)
{
	struct main_ctx *ctx = arg;
	struct pollfd pfd[2] = {
		{.fd = ctx->listen_fd, .events = POLLIN},
		{.fd = ctx->sig_fd, .events = POLLIN},
	};

	return poll(pfd, 2, 0) > 0;
}

static int main_client(const struct hsconf *conf, struct hil_client **ret)
{
	struct hil_client *c = NULL;
	int r;

	if (conf->auth == HSCONF_AUTH_MUNGE)
		r = hil_client_new(conf->endpoint, NULL, NULL, &c);
	else
		r = hil_client_new(conf->endpoint, conf->user, conf->password,
				   &c);
	if (r < 0)
		return r;
	if (conf->auth == HSCONF_AUTH_MUNGE)
		r = hil_client_use_munge(
			c, *conf->munge_socket ? conf->munge_socket : NULL);
	if (r >= 0)
		r = hil_client_set_timeout(c,
					   (long)conf->request_timeout * 1000);
	if (r < 0) {
		hil_client_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* Answer one connection; returns the delay of the next pass or -1. */
static int main_serve(struct loan_mgr *m, int fd, uid_t peer)
{
	char line[CTL_MAX_LINE], reply[CTL_MAX_LINE];
	struct ctl_req req;
	int r, next = -1;
	size_t n;

	r = ctl_read_line(fd, line, sizeof(line), MAIN_REQUEST_MS);
	if (r < 0) {
		hslog_warn("request from uid %u: could not read it: %s",
			   (unsigned)peer, strerror(-r));
		return -1;
	}
	if (ctl_parse(line, &req) < 0) {
		snprintf(reply, sizeof(reply), "refused malformed request");
	} else {
		hslog_debug("request from uid %u: %s", (unsigned)peer, line);
		next = loan_request(m, &req, peer, fd, reply, sizeof(reply));
	}
	if (strncmp(reply, "ok", 2) != 0)
		hslog_info("request '%.*s' answered: %s", 200, line, reply);
	/* One line: a reply cut short still ends with its newline. */
	n = strnlen(reply, sizeof(reply) - 2);
	reply[n++] = '\n';
	reply[n] = '\0';
	r = ctl_write_all(fd, reply, strlen(reply), MAIN_REQUEST_MS);
	if (r < 0)
		hslog_warn("request from uid %u: could not answer: %s",
			   (unsigned)peer, strerror(-r));
	return next;
}

static int main_pid_file(const char *path)
{
	char buf[32];
	int fd, n, r = 0;

	if (!*path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		r = -EIO;
	close(fd);
	return r;
}

static int main_loop(const struct hsconf *conf, struct loan_mgr *m,
		     struct main_ctx *ctx)
{
	long long now, next_pass = hs_now_ms(), next_full = next_pass;
	bool stop = false;

	while (!stop) {
		struct pollfd pfd[2] = {
			{.fd = ctx->listen_fd, .events = POLLIN},
			{.fd = ctx->sig_fd, .events = POLLIN},
		};
		long long wait;
		bool full;
		int r;

		now = hs_now_ms();
		wait = next_pass - now;
		r = poll(pfd, 2,
			 wait < 0	? 0
			 : wait > 60000 ? 60000
					: (int)wait);
		if (r < 0 && errno != EINTR) {
			hslog_err("poll failed: %s", strerror(errno));
			return -errno;
		}
		if (r > 0 && (pfd[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(ctx->sig_fd, &si, sizeof(si)) ==
			    (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					hslog_info("SIGHUP: a full pass now");
					next_pass = next_full = hs_now_ms();
				} else {
					hslog_notice("signal %u: stopping",
						     si.ssi_signo);
					stop = true;
				}
			}
			continue;
		}
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			uid_t peer = 0;
			int fd = ctl_accept(ctx->listen_fd, &peer);

			if (fd == -EPERM)
				hslog_warn("refused a connection from a uid "
					   "that is neither 0 nor ours");
			if (fd >= 0) {
				int d = main_serve(m, fd, peer);

				close(fd);
				if (d >= 0 && hs_now_ms() + d < next_pass)
					next_pass = hs_now_ms() + d;
			}
			continue;
		}
		now = hs_now_ms();
		if (now < next_pass)
			continue;
		full = now >= next_full;
		r = loan_pass(m, full, main_interrupted, ctx);
		now = hs_now_ms();
		if (r == -EINTR) {
			next_pass = now;
			continue;
		}
		next_pass = now + (long long)conf->interval * 1000;
		if (r > 0 && now + r < next_pass)
			next_pass = now + r;
		if (r >= 0 && full)
			next_full = now + (long long)conf->full_scan * 1000;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	struct hil_client *hil = NULL;
	struct hsconf *conf = NULL;
	struct loan_mgr *m = NULL;
	struct main_ctx ctx = {-1, -1};
	bool test = false, print = false, slurm_up = false, pid = false;
	char err[1024];
	sigset_t mask;
	int c, r, rc = 1;

	while ((c = getopt(argc, argv, "f:tTh")) != -1) {
		switch (c) {
		case 'f':
			path = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'T':
			print = true;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		default:
			main_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return 2;
	}
	r = hsconf_load(path, &conf, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "hil-slurm: %s\n", err);
		return 1;
	}
	if (print)
		hsconf_print(conf, stdout);
	if (test || print) {
		hsconf_free(conf);
		return 0;
	}
	hslog_setup("hil-slurm", conf->log_level, false);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	ctx.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ctx.sig_fd < 0) {
		hslog_err("signalfd failed: %s", strerror(errno));
		goto out;
	}
	slurmapi_init(conf->slurm_conf);
	slurm_up = true;
	r = main_client(conf, &hil);
	if (r < 0) {
		hslog_err("could not set up the HIL client for '%s': %s",
			  conf->endpoint, strerror(-r));
		goto out;
	}
	r = loan_mgr_new(conf, hil, &m);
	if (r < 0)
		goto out;
	ctx.listen_fd = ctl_listen(conf->socket);
	if (ctx.listen_fd < 0) {
		hslog_err("could not listen on '%s': %s", conf->socket,
			  strerror(-ctx.listen_fd));
		goto out;
	}
	r = main_pid_file(conf->pid_file);
	if (r < 0) {
		hslog_err("could not write pid file '%s': %s", conf->pid_file,
			  strerror(-r));
		goto out;
	}
	pid = *conf->pid_file != '\0';
	hslog_notice("started: hild '%s', SLURM project '%s', reservations "
		     "'%s*', listening on '%s'",
		     conf->endpoint, conf->project, conf->prefix, conf->socket);
	rc = main_loop(conf, m, &ctx) < 0 ? 1 : 0;
	hslog_notice("stopped");
out:
	if (ctx.listen_fd >= 0) {
		close(ctx.listen_fd);
		unlink(conf->socket);
	}
	if (pid)
		unlink(conf->pid_file);
	if (ctx.sig_fd >= 0)
		close(ctx.sig_fd);
	loan_mgr_free(m);
	hil_client_free(hil);
	if (slurm_up)
		slurmapi_fini();
	hsconf_free(conf);
	return rc;
}
