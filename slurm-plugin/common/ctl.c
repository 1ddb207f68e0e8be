/* ctl.c - the hook <-> loan manager control socket (see ctl.h). */
#include "config.h"

#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hstime.h"

static int ctl_left(long long deadline)
{
	long long left = deadline - hs_now_ms();

	return left < 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
}

int ctl_parse(const char *text, struct ctl_req *req)
{
	size_t len = strnlen(text, CTL_MAX_LINE);
	char *p, *word, *save = NULL;

	memset(req, 0, sizeof(*req));
	if (len == 0 || len >= CTL_MAX_LINE)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return -EINVAL;
	memcpy(req->line, text, len + 1);
	p = req->line;
	req->verb = strtok_r(p, " ", &save);
	if (!req->verb)
		return -EINVAL;
	while ((word = strtok_r(NULL, " ", &save))) {
		char *eq = strchr(word, '=');

		if (!eq || eq == word || (size_t)(eq - word) >= CTL_MAX_KEY ||
		    req->n == CTL_MAX_ARGS)
			return -EINVAL;
		*eq = '\0';
		if (ctl_get(req, word))
			return -EINVAL;
		req->keys[req->n] = word;
		req->values[req->n++] = eq + 1;
	}
	return 0;
}

const char *ctl_get(const struct ctl_req *req, const char *key)
{
	for (size_t i = 0; i < req->n; i++)
		if (strcmp(req->keys[i], key) == 0)
			return req->values[i];
	return NULL;
}

static int ctl_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!path || !*path || strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, r;

	r = ctl_addr(path, &sa);
	if (r < 0)
		return r;
	/* Replace a socket left by a previous run, nothing else. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int ctl_accept(int listen_fd, uid_t *ret_uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		close(fd);
		return -EPERM;
	}
	*ret_uid = cred.uid;
	return fd;
}

int ctl_connect(const char *path, int timeout_ms)
{
	long long deadline = hs_now_ms() + timeout_ms;
	struct sockaddr_un sa;
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, r, e = 0;

	r = ctl_addr(path, &sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		r = -errno;
		goto fail;
	}
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	r = poll(&pfd, 1, ctl_left(deadline));
	if (r <= 0) {
		r = r == 0 ? -ETIMEDOUT : -errno;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e) {
		r = e ? -e : -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

int ctl_read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	long long deadline = hs_now_ms() + timeout_ms;
	size_t got = 0;
	ssize_t n;

	if (!len)
		return -EINVAL;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char *nl;
		int r;

		r = poll(&pfd, 1, ctl_left(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		/* Peek, then take no more than the line. */
		n = recv(fd, buf + got, len - 1 - got, MSG_PEEK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		nl = memchr(buf + got, '\n', (size_t)n);
		if (nl)
			n = nl - (buf + got) + 1;
		n = recv(fd, buf + got, (size_t)n, 0);
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		got += (size_t)n;
		if (nl) {
			buf[got - 1] = '\0';
			return 0;
		}
		if (got == len - 1)
			return -EMSGSIZE;
	}
}

int ctl_write_all(int fd, const char *buf, size_t len, int timeout_ms)
{
	long long deadline = hs_now_ms() + timeout_ms;
	size_t sent = 0;
	ssize_t n;

	while (sent < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int r;

		r = poll(&pfd, 1, ctl_left(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		sent += (size_t)n;
	}
	return 0;
}

bool ctl_peer_gone(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};

	if (fd < 0)
		return false;
	if (poll(&pfd, 1, 0) < 0)
		return false;
	return pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL);
}
