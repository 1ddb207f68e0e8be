/* call.c - the per-call context drivers reach through the host table. */
#include "config.h"

#include "call.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "utf8.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* How often a child that closed its stdout is polled for its exit. */
#define CALL_REAP_STEP_MS 5

struct hil_call {
	const struct hil_setting *decl;
	json_t *settings; /* borrowed */
	long long deadline_ms;
	bool has_error;
	char error[CALL_MAX_ERROR];
};

/* What a command's environment holds: nothing of hild's own. */
static char *const call_env[] = {
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	"LC_ALL=C",
	NULL,
};

long long call_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int call_new(const struct hil_setting *decl, json_t *settings,
	     long long deadline_ms, struct hil_call **ret)
{
	struct hil_call *call;

	if (!ret || (settings && !json_is_object(settings)))
		return -EINVAL;
	call = calloc(1, sizeof(*call));
	if (!call)
		return -ENOMEM;
	call->decl = decl;
	call->settings = settings;
	call->deadline_ms = deadline_ms;
	*ret = call;
	return 0;
}

struct hil_call *call_free(struct hil_call *call)
{
	free(call);
	return NULL;
}

const char *call_error(const struct hil_call *call)
{
	if (!call || !call->has_error)
		return NULL;
	return call->error;
}

/* The value of key if decl declares it with type, else NULL. */
static json_t *call_lookup(const struct hil_call *call, const char *key,
			   enum hil_setting_type type, int *ret_err)
{
	json_t *v;

	*ret_err = -ENOENT;
	if (!call || !key || !call->decl)
		return NULL;
	for (const struct hil_setting *s = call->decl; s->key; s++) {
		if (strcmp(s->key, key) != 0)
			continue;
		if (s->type != type) {
			*ret_err = -EINVAL;
			return NULL;
		}
		v = call->settings ? json_object_get(call->settings, key)
				   : NULL;
		if (!v || json_is_null(v))
			return NULL;
		return v;
	}
	return NULL;
}

const char *call_setting_str(const struct hil_call *call, const char *key)
{
	int err;
	json_t *v = call_lookup(call, key, HIL_SETTING_STRING, &err);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int call_setting_int(const struct hil_call *call, const char *key,
		     long long *ret)
{
	int err;
	json_t *v = call_lookup(call, key, HIL_SETTING_INT, &err);
	const char *s;
	char *end;
	long long n;

	if (!v)
		return err;
	if (!ret)
		return -EINVAL;
	/* settings_validate accepts JSON integers and decimal strings. */
	if (json_is_integer(v)) {
		*ret = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*ret = n;
	return 0;
}

int call_setting_bool(const struct hil_call *call, const char *key, int *ret)
{
	int err;
	json_t *v = call_lookup(call, key, HIL_SETTING_BOOL, &err);

	if (!v)
		return err;
	if (!ret || !json_is_boolean(v))
		return -EINVAL;
	*ret = json_is_true(v);
	return 0;
}

long long call_deadline_left_ms(const struct hil_call *call)
{
	if (!call)
		return 0;
	return call->deadline_ms - call_clock_ms();
}

void call_set_error(struct hil_call *call, const char *fmt, ...)
{
	va_list ap;

	if (!call || !fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(call->error, sizeof(call->error), fmt, ap);
	va_end(ap);
	/* The text reaches API clients (as JSON) and logs. */
	utf8_clean_line(call->error);
	call->has_error = true;
}

/* Make fd the child's descriptor target, kept open across exec. */
static int call_child_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

/* Descriptors another thread opened without O_CLOEXEC stay in hild: mark
 * them all close-on-exec, in one system call where the kernel has it. */
static void call_child_cloexec(int max_fd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	for (int fd = 3; fd < max_fd; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
 * The child between fork and exec: only async-signal-safe calls, since
 * another thread of hild may have held any lock at the fork.  Reports a
 * failed exec's errno on err_fd, which closes by itself on success.
 */
static void call_child(int in_fd, int out_fd, int null_fd, int err_fd,
		       int max_fd, char *const argv[])
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int e;

	/* hild ignores or blocks signals (SIGPIPE, SIGTERM) for its own
	 * sake; a command starts with the defaults. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (call_child_fd(in_fd, STDIN_FILENO) < 0 ||
	    call_child_fd(out_fd, STDOUT_FILENO) < 0 ||
	    call_child_fd(null_fd, STDERR_FILENO) < 0)
		goto fail;
	call_child_cloexec(max_fd);
	execve(argv[0], argv, call_env);
fail:
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0) {
		/* nothing left to tell */
	}
	_exit(127);
}

/* Exit status as call_run reports it. */
static int call_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -EIO;
}

/* Wait until the deadline for pid to exit: 0 with *ret_status, or
 * -ETIMEDOUT, or -ECHILD when someone else reaped it. */
static int call_reap(const struct hil_call *call, pid_t pid, int *ret_status)
{
	struct timespec step = {0, CALL_REAP_STEP_MS * 1000000L};
	int status;
	pid_t w;

	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			*ret_status = status;
			return 0;
		}
		if (w < 0 && errno != EINTR)
			return -errno;
		if (call_deadline_left_ms(call) <= 0)
			return -ETIMEDOUT;
		nanosleep(&step, NULL);
	}
}

/* Kill the command and everything it started, and reap it. */
static void call_kill(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Wait for the exec to happen: 0, or the negative errno it failed with. */
static int call_exec_result(int err_fd)
{
	int e;
	ssize_t n;

	do
		n = read(err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e))
		return e > 0 ? -e : -EIO;
	return n == 0 ? 0 : -EIO;
}

/*
 * Feed input and collect output until the command closes its stdout or
 * the deadline passes.  in_fd is closed here (-1 on return).
 */
static int call_pump(const struct hil_call *call, int *in_fd, int out_fd,
		     const char *input, size_t inlen, char *out, size_t outlen)
{
	size_t sent = 0, got = 0;
	char scratch[4096];
	struct pollfd pfd[2];
	long long left;
	ssize_t n;
	int nfd, r;

	for (;;) {
		if (*in_fd >= 0 && sent == inlen) {
			close(*in_fd);
			*in_fd = -1;
		}
		left = call_deadline_left_ms(call);
		if (left <= 0)
			return -ETIMEDOUT;
		nfd = 0;
		pfd[nfd++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
		if (*in_fd >= 0)
			pfd[nfd++] = (struct pollfd){.fd = *in_fd,
						     .events = POLLOUT};
		r = poll(pfd, nfd, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if (nfd > 1 && pfd[1].revents) {
			/* A socket, so a reader gone away is EPIPE, not a
			 * SIGPIPE killing hild. */
			n = send(*in_fd, input + sent, inlen - sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				sent = inlen; /* it stopped reading */
		}
		if (pfd[0].revents) {
			/* Past outlen-1 bytes, read on and drop, so the
			 * command never blocks on a full pipe. */
			bool keep = out && got + 1 < outlen;

			if (keep)
				n = read(out_fd, out + got, outlen - 1 - got);
			else
				n = read(out_fd, scratch, sizeof(scratch));
			if (n == 0)
				return 0;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
			if (n > 0 && keep) {
				got += (size_t)n;
				out[got] = '\0';
			}
		}
	}
}

int call_run(struct hil_call *call, const char *const argv[], const char *input,
	     char *out, size_t outlen)
{
	char *args[CALL_MAX_ARGS + 1];
	int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
	int null_fd = -1, max_fd, status, r = -EINVAL;
	size_t nargs = 0, inlen = 0;
	long open_max;
	pid_t pid;

	if (out && outlen)
		out[0] = '\0';
	if (!call || !argv || !argv[0] || argv[0][0] != '/' ||
	    (out && !outlen) || (!out && outlen))
		return -EINVAL;
	for (; argv[nargs]; nargs++) {
		if (nargs == CALL_MAX_ARGS)
			return -E2BIG;
		/* execve takes char *const[]; it does not write them. */
		args[nargs] = (char *)argv[nargs];
	}
	args[nargs] = NULL;
	if (input) {
		inlen = strnlen(input, CALL_MAX_INPUT + 1);
		if (inlen > CALL_MAX_INPUT)
			return -E2BIG;
	}
	if (call_deadline_left_ms(call) <= 0)
		return -ETIMEDOUT;
	open_max = sysconf(_SC_OPEN_MAX);
	max_fd = open_max < 0 || open_max > 65536 ? 65536 : (int)open_max;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0)
		call_child(in[1], outp[1], null_fd, errp[1], max_fd, args);

	close(in[1]);
	close(outp[1]);
	close(errp[1]);
	in[1] = outp[1] = errp[1] = -1;
	/* Make the process group here too, so the kill at the deadline
	 * cannot race the child's own setpgid. */
	setpgid(pid, pid);

	r = call_exec_result(errp[0]);
	if (r < 0) {
		call_kill(pid);
		goto out;
	}
	if (fcntl(outp[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		call_kill(pid);
		goto out;
	}
	r = call_pump(call, &in[0], outp[0], input, inlen, out, outlen);
	if (r == 0)
		r = call_reap(call, pid, &status);
	if (r < 0) {
		call_kill(pid);
		goto out;
	}
	r = call_status(status);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (null_fd >= 0)
		close(null_fd);
	return r;
}
