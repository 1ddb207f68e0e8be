/*
 * abi-test - plugins built for an older ABI minor load, and what their
 * ops tables lack reads as NULL.
 *
 * Installs tests/plugins/abi/abi10 (a switch driver built for ABI 1.0,
 * whose ops table ends before session_commit) and abi10_big (one that
 * says 1.0 but hands over a 1.1-sized table) into a private plugin
 * directory, and the mock switch, whose commit option fills in
 * session_commit during init.  Run under the sanitizers, reading past the
 * 1.0 table would be reported.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "call.h"
#include "log.h"
#include "plugin.h"
#include "tap.h"

static char builddir[PATH_MAX];
static char dir[PATH_MAX];
static const char *mock_commit;

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Copy <builddir>/<built>/.libs/<name>.so to <dir>/<name>.so. */
static void install(const char *built, const char *name)
{
	char from[PATH_MAX * 2], to[PATH_MAX * 2], buf[65536];
	ssize_t n;
	int in, out;

	snprintf(from, sizeof(from), "%s/%s/.libs/%s.so", builddir, built,
		 name);
	snprintf(to, sizeof(to), "%s/%s.so", dir, name);
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		die(from);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		die(to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die(to);
	if (n < 0 || fchmod(out, 0644) < 0)
		die(to);
	close(in);
	close(out);
}

static const char *option(const char *plugin, const char *key)
{
	if (strcmp(plugin, "mock") == 0 && strcmp(key, "commit") == 0)
		return mock_commit;
	return NULL;
}

static void sink(void *arg, const char *channel, const char *vlan)
{
	snprintf(arg, 64, "%s=%s", channel, vlan);
}

static void test_abi10(void)
{
	const struct hil_switch_ops *ops;
	const struct hil_plugin *p;
	struct hil_call *call = NULL;
	char seen[64] = "";
	void *s = NULL;

	is_int(plugin_load(dir, "abi10", HIL_PLUGIN_SWITCH), 0,
	       "a switch driver built for ABI 1.0 loads");
	is_int(plugin_init_all(), 0, "and initialises");
	p = plugin_find(HIL_PLUGIN_SWITCH, "abi10");
	if (!p || !p->switch_ops) {
		ok(0, "it is found");
		return;
	}
	ops = p->switch_ops;
	is_int(p->abi_minor, 0, "hild sees its ABI minor, 0");
	is_int(ops->size, offsetof(struct hil_switch_ops, session_commit),
	       "and its ops table's own size");
	ok(ops->session_commit == NULL,
	   "session_commit, which ABI 1.0 lacks, reads as NULL");
	if (call_new(NULL, NULL, call_clock_ms() + 1000, &call) < 0)
		die("call_new");
	ok(ops->session_open(plugin_host(), call, &s) == 0 &&
		   ops->set_port(s, call, "p1", "vlan/native", "5") == 0 &&
		   ops->revert_port(s, call, "p1") == 0 &&
		   ops->get_port(s, call, "p1", sink, seen) == 0,
	   "its functions are called through the table hild reads");
	is_str(seen, "changes=2", "and they are its own");
	ops->session_close(s, call, 0);
	call_free(call);
	plugin_unload_all();
}

static void test_refused(void)
{
	is_int(plugin_load(dir, "abi10_big", HIL_PLUGIN_SWITCH), -EPROTO,
	       "ABI 1.0 with a 1.1-sized switch ops table is refused");
	ok(plugin_find(HIL_PLUGIN_SWITCH, "abi10_big") == NULL,
	   "and not registered");
}

/* The mock switch chooses session_commit in init; hild reads the table
 * again after init. */
static void test_mock(const char *commit, bool want)
{
	const struct hil_plugin *p;

	mock_commit = commit;
	is_int(plugin_load(dir, "mock", HIL_PLUGIN_SWITCH), 0,
	       "mock loads (commit = %s)", commit ? commit : "unset");
	is_int(plugin_init_all(), 0, "and initialises");
	p = plugin_find(HIL_PLUGIN_SWITCH, "mock");
	ok(p && p->switch_ops &&
		   (p->switch_ops->session_commit != NULL) == want,
	   "its session_commit is %s after init", want ? "set" : "NULL");
	ok(p && p->switch_ops &&
		   p->switch_ops->size == sizeof(struct hil_switch_ops),
	   "a plugin of this ABI hands over the whole table");
	plugin_unload_all();
}

static void cleanup(void)
{
	char path[PATH_MAX * 2];

	for (size_t i = 0; i < 3; i++) {
		static const char *const names[] = {"abi10", "abi10_big",
						    "mock"};

		snprintf(path, sizeof(path), "%s/%s.so", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const char *b = getenv("HIL_BUILDDIR");

	snprintf(builddir, sizeof(builddir), "%s",
		 b && *b ? b : HIL_TEST_BUILDDIR);
	snprintf(dir, sizeof(dir), "/tmp/hil-abi-test.XXXXXX");
	if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
		die("mkdtemp");
	atexit(cleanup);
	log_setup(false, LOG_WARNING);
	plugin_set_option_lookup(option);
	install("tests/plugins/abi", "abi10");
	install("tests/plugins/abi", "abi10_big");
	install("driver-plugins/switch/mock", "mock");

	test_abi10();
	test_refused();
	test_mock(NULL, false);
	test_mock("yes", true);
	return tap_done();
}
