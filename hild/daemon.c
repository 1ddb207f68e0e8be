/* daemon.c - process plumbing, kept out of main.c's startup sequence. */
#include "config.h"

#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static sigset_t daemon_sigs;

static int daemon_ready_fd = -1;

/* The original process: wait for the daemon's word. */
static void daemon_wait_ready(int fd)
{
	char c = '1';
	ssize_t n;

	do {
		n = read(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	_exit(n == 1 && c == '0' ? 0 : 1);
}

int daemon_detach(void)
{
	int pipefd[2], fd;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pipefd[1]);
		daemon_wait_ready(pipefd[0]);
	}
	close(pipefd[0]);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	daemon_ready_fd = pipefd[1];
	if (chdir("/") < 0)
		return -errno;
	umask(027);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

void daemon_ready(bool ok)
{
	int fd;

	if (daemon_ready_fd < 0)
		return;
	if (write(daemon_ready_fd, ok ? "0" : "1", 1) < 0) {
		/* The parent is gone: nobody to tell. */
	}
	close(daemon_ready_fd);
	daemon_ready_fd = -1;
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

int daemon_pid_write(const char *path)
{
	char buf[32];
	long old;
	FILE *f;
	int fd, n;

	f = fopen(path, "re");
	if (f) {
		n = fscanf(f, "%ld", &old);
		fclose(f);
		if (n == 1 && old > 0 && kill((pid_t)old, 0) == 0) {
			log_err("pid file '%s' names running process %ld", path,
				old);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		n = -errno;
		log_err("could not write pid file '%s': %s", path,
			strerror(errno));
		return n;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		n = -errno;
		close(fd);
		unlink(path);
		return n;
	}
	close(fd);
	return 0;
}

void daemon_pid_remove(const char *path)
{
	unlink(path);
}

int daemon_signals_block(void)
{
	sigemptyset(&daemon_sigs);
	sigaddset(&daemon_sigs, SIGTERM);
	sigaddset(&daemon_sigs, SIGINT);
	sigaddset(&daemon_sigs, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	return -pthread_sigmask(SIG_BLOCK, &daemon_sigs, NULL);
}

int daemon_signals_wait(void)
{
	int sig;

	for (;;) {
		if (sigwait(&daemon_sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return sig;
		log_notice("ignoring SIGHUP: restart hild to reload its "
			   "config");
	}
}
