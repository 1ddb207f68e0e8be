/*
 * slurmd.c - an OBM driver whose "machine" is one slurmd process: power
 * off stops that node's slurmd, power on starts it, the power status says
 * whether it runs.  With several slurmd on one host (SLURM's
 * multiple-slurmd mode, one process per node name) a test harness gets a
 * SLURM cluster whose nodes HIL can really take away from SLURM and give
 * back, which is what the SLURM integration's tests do.  Not for
 * production nodes.
 *
 * Settings of a node:
 *   node      the SLURM node name the slurmd serves (slurmd -N <node>)
 *   pid_file  where that slurmd writes its pid (SlurmdPidFile)
 *   start     the command that starts it, words separated by blanks, the
 *             first an absolute path, run without a shell; it must return
 *             once slurmd has forked into the background, e.g.
 *             "/usr/sbin/slurmd -N n1 -f /etc/slurm/slurm.conf"
 *
 * Only a live process named slurmd whose command line names the node
 * counts as the node's slurmd: a stale pid file, or a pid reused by
 * another process, reads as "Off" and is never signalled.  The boot device
 * is checked and accepted but changes nothing: a slurmd has no firmware.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <hil/plugin.h>

#define SLURMD_MAX_ARGS	   32	 /* words of the start command */
#define SLURMD_MAX_START   1024	 /* the start command, bytes */
#define SLURMD_MAX_CMDLINE 4096	 /* /proc/<pid>/cmdline read, bytes */
#define SLURMD_POLL_MS	   50	 /* between looks at the process */
#define SLURMD_TERM_MS	   10000 /* SIGTERM's grace before SIGKILL */

static const struct hil_setting slurmd_settings[] = {
	{"node", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 1, 0,
	 "SLURM node name served by the slurmd (slurmd -N)"},
	{"pid_file", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 1, 0,
	 "the slurmd's pid file (absolute path)"},
	{"start", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 1, 0,
	 "command starting the slurmd in the background (no shell)"},
	{NULL, 0, 0, 0, 0, NULL},
};

static const char *const slurmd_bootdevs[] = {"disk", "pxe", "none", NULL};

/* Sleep ms, but not past the call's deadline. */
static void slurmd_nap(const struct hil_host *host, const struct hil_call *call,
		       long ms)
{
	long long left = host->deadline_left_ms(call);
	struct timespec ts;

	if (left < ms)
		ms = left > 0 ? (long)left : 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Read a small file into buf (NUL-terminated, NULs inside kept); returns
 * the byte count or a negative errno. */
static ssize_t slurmd_read_file(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Whether pid is a live slurmd serving node: its name is "slurmd", it
 * is not a zombie, and its command line has "-N <node>" (or "-N<node>"). */
static int slurmd_is_ours(pid_t pid, const char *node)
{
	char path[64], buf[SLURMD_MAX_CMDLINE];
	const char *st;
	ssize_t n;
	size_t i;

	/* "pid (comm) S ...": a zombie has stopped already. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	n = slurmd_read_file(path, buf, sizeof(buf));
	st = n > 0 ? strrchr(buf, ')') : NULL;
	if (!st || strncmp(buf + strcspn(buf, "("), "(slurmd)", 8) != 0 ||
	    st[1] != ' ' || st[2] == 'Z' || st[2] == 'X')
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	n = slurmd_read_file(path, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	for (i = 0; i < (size_t)n; i += strlen(buf + i) + 1) {
		const char *arg = buf + i;

		if (strcmp(arg, "-N") == 0 && i + 3 < (size_t)n &&
		    strcmp(arg + 3, node) == 0)
			return 1;
		if (strncmp(arg, "-N", 2) == 0 && strcmp(arg + 2, node) == 0)
			return 1;
	}
	return 0;
}

/* The pid of the node's running slurmd, or 0 when none runs. */
static pid_t slurmd_running(const char *pid_file, const char *node)
{
	char buf[32];
	char *end;
	long pid;

	if (slurmd_read_file(pid_file, buf, sizeof(buf)) <= 0)
		return 0;
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno || pid <= 1 || (*end && !isspace((unsigned char)*end)))
		return 0;
	return slurmd_is_ours((pid_t)pid, node) ? (pid_t)pid : 0;
}

/* The settings every call needs; sets the call's error when one is
 * unusable. */
static int slurmd_settings_get(const struct hil_host *host,
			       struct hil_call *call, const char **ret_node,
			       const char **ret_pid_file)
{
	const char *node = host->setting_str(call, "node");
	const char *pid_file = host->setting_str(call, "pid_file");

	if (!node || !*node || strchr(node, '/')) {
		host->set_error(call, "the node has no usable 'node' setting");
		return -EINVAL;
	}
	if (!pid_file || pid_file[0] != '/') {
		host->set_error(call, "'pid_file' must be an absolute path");
		return -EINVAL;
	}
	*ret_node = node;
	*ret_pid_file = pid_file;
	return 0;
}

static int slurmd_stop(const struct hil_host *host, struct hil_call *call,
		       const char *node, const char *pid_file)
{
	long waited = 0;
	pid_t pid;

	pid = slurmd_running(pid_file, node);
	if (!pid)
		return 0;
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH) {
		host->set_error(call, "could not stop slurmd of '%s': %s", node,
				strerror(errno));
		return -errno;
	}
	for (;;) {
		if (!slurmd_is_ours(pid, node))
			return 0;
		if (host->deadline_left_ms(call) <= 0) {
			host->set_error(call, "slurmd of '%s' did not stop",
					node);
			return -ETIMEDOUT;
		}
		if (waited >= SLURMD_TERM_MS) {
			kill(pid, SIGKILL);
			waited = 0;
		}
		slurmd_nap(host, call, SLURMD_POLL_MS);
		waited += SLURMD_POLL_MS;
	}
}

static int slurmd_start(const struct hil_host *host, struct hil_call *call,
			const char *node, const char *pid_file)
{
	const char *start = host->setting_str(call, "start");
	const char *argv[SLURMD_MAX_ARGS + 1];
	char words[SLURMD_MAX_START + 1];
	char *save = NULL, *w;
	size_t n = 0;
	int st;

	if (slurmd_running(pid_file, node))
		return 0;
	if (!start || strlen(start) > SLURMD_MAX_START) {
		host->set_error(call, "the node has no usable 'start' setting");
		return -EINVAL;
	}
	snprintf(words, sizeof(words), "%s", start);
	for (w = strtok_r(words, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		if (n == SLURMD_MAX_ARGS) {
			host->set_error(call, "'start' has too many words");
			return -E2BIG;
		}
		argv[n++] = w;
	}
	argv[n] = NULL;
	if (n == 0 || argv[0][0] != '/') {
		host->set_error(call, "'start' must begin with an absolute "
				      "path");
		return -EINVAL;
	}
	st = host->run(call, argv, NULL, NULL, 0);
	if (st < 0) {
		host->set_error(call, "could not run '%s': %s", argv[0],
				strerror(-st));
		return st;
	}
	if (st != 0) {
		host->set_error(call, "'%s' exited with status %d", argv[0],
				st);
		return -EIO;
	}
	/* The parent returns before the daemon writes its pid file. */
	while (!slurmd_running(pid_file, node)) {
		if (host->deadline_left_ms(call) <= 0) {
			host->set_error(call,
					"slurmd of '%s' did not write '%s'",
					node, pid_file);
			return -ETIMEDOUT;
		}
		slurmd_nap(host, call, SLURMD_POLL_MS);
	}
	return 0;
}

static int slurmd_power(const struct hil_host *host, struct hil_call *call,
			enum hil_power_action action)
{
	const char *node, *pid_file;
	int r;

	r = slurmd_settings_get(host, call, &node, &pid_file);
	if (r < 0)
		return r;
	switch (action) {
	case HIL_POWER_ON:
		return slurmd_start(host, call, node, pid_file);
	case HIL_POWER_OFF:
		return slurmd_stop(host, call, node, pid_file);
	case HIL_POWER_CYCLE:
	case HIL_POWER_RESET:
		r = slurmd_stop(host, call, node, pid_file);
		return r < 0 ? r : slurmd_start(host, call, node, pid_file);
	}
	host->set_error(call, "unknown power action %d", (int)action);
	return -EINVAL;
}

static int slurmd_power_status(const struct hil_host *host,
			       struct hil_call *call, char *buf, size_t len)
{
	const char *node, *pid_file;
	int r;

	r = slurmd_settings_get(host, call, &node, &pid_file);
	if (r < 0)
		return r;
	snprintf(buf, len, "%s", slurmd_running(pid_file, node) ? "On" : "Off");
	return 0;
}

static int slurmd_bootdev_valid(const char *dev)
{
	for (size_t i = 0; slurmd_bootdevs[i]; i++)
		if (strcmp(slurmd_bootdevs[i], dev) == 0)
			return 0;
	return -EINVAL;
}

static int slurmd_set_bootdev(const struct hil_host *host,
			      struct hil_call *call, const char *dev)
{
	const char *node, *pid_file;

	if (slurmd_bootdev_valid(dev) < 0)
		return -EINVAL;
	return slurmd_settings_get(host, call, &node, &pid_file);
}

static const struct hil_obm_ops slurmd_ops = {
	.size = sizeof(struct hil_obm_ops),
	.settings = slurmd_settings,
	.power = slurmd_power,
	.power_status = slurmd_power_status,
	.bootdev_valid = slurmd_bootdev_valid,
	.set_bootdev = slurmd_set_bootdev,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_OBM,
	.name = "slurmd",
	.description = "a slurmd process as a machine: power = run it "
		       "(test clusters)",
	.obm_ops = &slurmd_ops,
};
