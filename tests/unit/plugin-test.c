/*
 * plugin-test - the plugin host against real and broken plugins.
 *
 * Copies the built plugins into private plugin directories, loads them
 * with plugin_load() and checks both the return code and that the one
 * line hild logs names the reason (stderr, where hild logs in the
 * foreground, goes to a file the test reads back).  Then exercises the
 * host table (settings, deadline, error text, the command runner), the
 * mock switch through its ops, and the null auth plugin's safety switch.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/auth.h"
#include "call.h"
#include "log.h"
#include "plugin.h"
#include "tap.h"

#define NOBODY_UID 65534

static char builddir[PATH_MAX];
static char root[PATH_MAX]; /* private temp dir, removed at the end */
static int log_fd = -1;	    /* hild's stderr */
static char log_buf[16384];

/* Test helpers. */

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static void path_join(char *out, const char *a, const char *b)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		die(a);
	}
}

/* mkdir under root with an exact mode (no umask). */
static void make_dir(char *out, const char *name, mode_t mode)
{
	path_join(out, root, name);
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		die(out);
	if (chmod(out, mode) < 0)
		die(out);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		die(from);
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		die(to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die(to);
	if (n < 0 || fchmod(out, mode) < 0)
		die(to);
	close(in);
	close(out);
}

/* Install the built plugin <built>/.libs/<name>.so as <dir>/<as>.so. */
static void install_plugin(const char *built, const char *name, const char *dir,
			   const char *as)
{
	char from[PATH_MAX], to[PATH_MAX], file[PATH_MAX];

	snprintf(file, sizeof(file), "%s/.libs/%s.so", built, name);
	path_join(from, builddir, file);
	snprintf(file, sizeof(file), "%s.so", as);
	path_join(to, dir, file);
	copy_file(from, to, 0644);
}

static void log_reset(void)
{
	fflush(stderr);
	if (ftruncate(log_fd, 0) < 0)
		die("truncating the log");
}

/* What hild logged since log_reset(). */
static const char *log_text(void)
{
	ssize_t n;

	fflush(stderr);
	n = pread(log_fd, log_buf, sizeof(log_buf) - 1, 0);
	log_buf[n > 0 ? n : 0] = '\0';
	return log_buf;
}

static int log_count(const char *needle)
{
	int n = 0;

	for (const char *p = log_text(); (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static int log_has(const char *needle)
{
	int found = strstr(log_text(), needle) != NULL;

	if (!found)
		diag("log lacks '%s'; it holds:\n%s", needle, log_buf);
	return found;
}

static void rm_rf(const char *path)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/rm", "rm", "-rf", "--", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void cleanup(void)
{
	plugin_unload_all();
	rm_rf(root);
}

/* Options the plugins read through the host table. */
static struct {
	const char *plugin, *key, *value;
} options[8];

static const char *test_option(const char *plugin, const char *key)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].plugin &&
		    strcmp(options[i].plugin, plugin) == 0 &&
		    strcmp(options[i].key, key) == 0)
			return options[i].value;
	return NULL;
}

static void options_clear(void)
{
	memset(options, 0, sizeof(options));
}

static void option_set(size_t i, const char *plugin, const char *key,
		       const char *value)
{
	options[i].plugin = plugin;
	options[i].key = key;
	options[i].value = value;
}

/*
 * Loading: a refusal returns the expected code and logs one line naming
 * the plugin's path and the reason.
 */
static void expect_refused(const char *dir, const char *name,
			   enum hil_plugin_kind kind, int want,
			   const char *reason, const char *what)
{
	char needle[PATH_MAX + 300];
	int r;

	log_reset();
	r = plugin_load(dir, name, kind);
	is_int(r, want, "%s: refused with %s", what, strerror(-want));
	snprintf(needle, sizeof(needle), "refusing plugin '%s/%s.so': %s", dir,
		 name, reason);
	ok(log_has(needle), "%s: logged '%s'", what, reason);
	is_int(log_count("refusing plugin"), 1, "%s: logged once", what);
}

static void test_good_and_duplicates(void)
{
	char dir[PATH_MAX], dir2[PATH_MAX], needle[PATH_MAX + 100];
	const struct hil_plugin *p;
	const struct hil_switch_ops *ops;
	int r;

	make_dir(dir, "switch", 0755);
	install_plugin("driver-plugins/switch/mock", "mock", dir, "mock");
	log_reset();
	r = plugin_load(dir, "mock", HIL_PLUGIN_SWITCH);
	is_int(r, 0, "mock switch loads");
	snprintf(needle, sizeof(needle),
		 "loaded switch plugin 'mock' from '%s/mock.so'", dir);
	ok(log_has(needle), "loading is logged with the path");
	p = plugin_find(HIL_PLUGIN_SWITCH, "mock");
	ok(p != NULL, "plugin_find finds it");
	if (!p)
		return;
	ops = p->switch_ops;
	ok(ops && ops->capabilities &&
		   strcmp(ops->capabilities[0], "nativeless-trunk-mode") == 0 &&
		   !ops->capabilities[1],
	   "mock has exactly the nativeless-trunk-mode capability");
	ok(ops && ops->settings &&
		   strcmp(ops->settings[2].key, "password") == 0 &&
		   (ops->settings[2].flags & HIL_SETTING_SECRET),
	   "mock declares its password secret");
	ok(plugin_find(HIL_PLUGIN_OBM, "mock") == NULL,
	   "plugin_find keys on the kind too");

	expect_refused(dir, "mock", HIL_PLUGIN_SWITCH, -EEXIST,
		       "a switch plugin 'mock' is already loaded",
		       "the same plugin twice");
	make_dir(dir2, "switch2", 0755);
	install_plugin("driver-plugins/switch/mock", "mock", dir2, "mock");
	expect_refused(dir2, "mock", HIL_PLUGIN_SWITCH, -EEXIST,
		       "a switch plugin 'mock' is already loaded",
		       "a second file claiming the name");
	plugin_unload_all();
	ok(plugin_find(HIL_PLUGIN_SWITCH, "mock") == NULL,
	   "unload forgets the plugins");
}

/* One broken plugin per reason, each built from tests/plugins/bad/. */
static const struct bad_case {
	const char *name;
	int err;
	const char *reason;
} bad_cases[] = {
	{"abi_major", -EPROTONOSUPPORT, "ABI major 2, hild speaks 1"},
	{"abi_minor", -EPROTONOSUPPORT, "ABI 1.2 is newer than hild's 1.1"},
	{"no_entry", -ENOEXEC, "it does not export 'hil_plugin_entry'"},
	{"short_plugin", -EPROTO, "struct hil_plugin is 32 bytes"},
	{"short_ops", -EPROTO, "struct hil_switch_ops is 64 bytes"},
	{"wrong_kind", -EINVAL, "kind 'auth', expected 'switch'"},
	{"name_mismatch", -EINVAL,
	 "it calls itself 'mock', not "
	 "'name_mismatch'"},
	{"tiny_entry", -EPROTO, "'hil_plugin_entry' is 8 bytes, too small"},
	{"func_entry", -ENOEXEC, "'hil_plugin_entry' is not data"},
	{"no_ops", -EPROTO, "it sets no hil_switch_ops"},
	{"missing_op", -EPROTO, "switch ops lack a required function"},
	{"bad_setting", -EPROTO, "setting 'hostname' declared twice"},
	{"undefined_symbol", -ELIBBAD, "undefined symbol: log_msg"},
};

static void test_bad_plugins(void)
{
	char dir[PATH_MAX];

	make_dir(dir, "bad", 0755);
	/* Loaded next to them, a good plugin must not be disturbed. */
	install_plugin("driver-plugins/switch/mock", "mock", dir, "mock");
	is_int(plugin_load(dir, "mock", HIL_PLUGIN_SWITCH), 0,
	       "mock loads from the directory of bad plugins");
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		install_plugin("tests/plugins/bad", c->name, dir, c->name);
		expect_refused(dir, c->name, HIL_PLUGIN_SWITCH, c->err,
			       c->reason, c->name);
		ok(plugin_find(HIL_PLUGIN_SWITCH, c->name) == NULL,
		   "%s: not registered", c->name);
	}
	/* wrong_kind is a fine auth plugin where one is expected. */
	log_reset();
	is_int(plugin_load(dir, "wrong_kind", HIL_PLUGIN_AUTH), 0,
	       "wrong_kind loads as what it is");
	install_plugin("tests/plugins/bad", "auth_flags", dir, "auth_flags");
	expect_refused(dir, "auth_flags", HIL_PLUGIN_AUTH, -EPROTO,
		       "auth ops have unknown flags 0x80", "auth_flags");
	is_int(plugin_init_all(), 0, "init of plugins without init succeeds");
	plugin_unload_all();

	/* Whole at load, broken by its own init: refused before use. */
	install_plugin("tests/plugins/bad", "init_breaks_ops", dir,
		       "init_breaks_ops");
	log_reset();
	is_int(plugin_load(dir, "init_breaks_ops", HIL_PLUGIN_SWITCH), 0,
	       "init_breaks_ops loads: its ops table is whole");
	is_int(plugin_init_all(), -EPROTO,
	       "its init breaks the ops table: hild does not start");
	ok(log_has("switch plugin 'init_breaks_ops' broke its ops table in "
		   "init: switch ops lack a required function"),
	   "and says which plugin and what it broke");
	plugin_unload_all();
}

static void test_permissions(void)
{
	char dir[PATH_MAX], parent[PATH_MAX], child[PATH_MAX], file[PATH_MAX],
		target[PATH_MAX], why[PATH_MAX + 100];
	bool root_user = geteuid() == 0;

	make_dir(dir, "perm", 0755);
	install_plugin("driver-plugins/switch/mock", "mock", dir, "mock");
	path_join(file, dir, "mock.so");

	chmod(file, 0664);
	expect_refused(dir, "mock", HIL_PLUGIN_SWITCH, -EPERM,
		       "it is writable by group or other (mode 0664)",
		       "group-writable file");
	chmod(file, 0646);
	expect_refused(dir, "mock", HIL_PLUGIN_SWITCH, -EPERM,
		       "it is writable by group or other (mode 0646)",
		       "other-writable file");
	chmod(file, 0644);

	chmod(dir, 0775);
	snprintf(why, sizeof(why),
		 "directory '%s' is writable by group or other (mode 0775)",
		 dir);
	expect_refused(dir, "mock", HIL_PLUGIN_SWITCH, -EPERM, why,
		       "group-writable directory");
	chmod(dir, 0757);
	snprintf(why, sizeof(why),
		 "directory '%s' is writable by group or other (mode 0757)",
		 dir);
	expect_refused(dir, "mock", HIL_PLUGIN_SWITCH, -EPERM, why,
		       "other-writable directory");
	chmod(dir, 01777);
	snprintf(why, sizeof(why),
		 "directory '%s' is writable by group or other (mode 1777)",
		 dir);
	expect_refused(dir, "mock", HIL_PLUGIN_SWITCH, -EPERM, why,
		       "sticky world-writable plugin directory");
	chmod(dir, 0755);

	/* A parent anyone may write to could swap the whole directory. */
	make_dir(parent, "open-parent", 0777);
	path_join(child, parent, "plugins");
	if (mkdir(child, 0755) < 0 && errno != EEXIST)
		die(child);
	chmod(child, 0755);
	install_plugin("driver-plugins/switch/mock", "mock", child, "mock");
	snprintf(why, sizeof(why),
		 "directory '%s' is writable by group or other (mode 0777)",
		 parent);
	expect_refused(child, "mock", HIL_PLUGIN_SWITCH, -EPERM, why,
		       "other-writable parent directory");

	if (root_user) {
		if (chown(file, NOBODY_UID, 0) < 0)
			die(file);
		expect_refused(dir, "mock", HIL_PLUGIN_SWITCH, -EPERM,
			       "it is owned by uid 65534, not root",
			       "file owned by another user");
		if (chown(file, 0, 0) < 0 || chown(dir, NOBODY_UID, 0) < 0)
			die(file);
		snprintf(why, sizeof(why),
			 "directory '%s' is owned by uid 65534", dir);
		expect_refused(dir, "mock", HIL_PLUGIN_SWITCH, -EPERM, why,
			       "directory owned by another user");
		if (chown(dir, 0, 0) < 0)
			die(dir);
	} else {
		for (int i = 0; i < 6; i++)
			tap_skip("ownership checks need root");
	}

	path_join(target, root, "elsewhere.so");
	install_plugin("driver-plugins/switch/mock", "mock", root, "elsewhere");
	path_join(file, dir, "link.so");
	if (symlink(target, file) < 0)
		die(file);
	expect_refused(dir, "link", HIL_PLUGIN_SWITCH, -EPERM,
		       "it is a symbolic link", "symbolic link");
	expect_refused(dir, "absent", HIL_PLUGIN_SWITCH, -ENOENT,
		       "No such file or directory", "missing file");

	log_reset();
	is_int(plugin_load(dir, "../perm/mock", HIL_PLUGIN_SWITCH), -EINVAL,
	       "a name with a slash is refused");
	ok(log_has("invalid plugin name"), "and the log says why");
	is_int(plugin_load(dir, "abcdefghijklmnopqrstuvwxyz0123456789",
			   HIL_PLUGIN_SWITCH),
	       -EINVAL, "an overlong name is refused");
	log_reset();
	is_int(plugin_load(dir, "mock", (enum hil_plugin_kind)9), -EINVAL,
	       "an unknown kind is refused");
	ok(log_has("unknown kind 9"), "and the log says so");

	/* With everything put right, the same file loads: the refusals
	 * above were for the reasons they named. */
	log_reset();
	is_int(plugin_load(dir, "mock", HIL_PLUGIN_SWITCH), 0,
	       "the repaired plugin loads");
	plugin_unload_all();
}

/* The host table and the call context. */

static const struct hil_setting typed_decl[] = {
	{"name", HIL_SETTING_STRING, 0, 0, 0, NULL},
	{"port", HIL_SETTING_INT, 0, 1, 65535, NULL},
	{"port_text", HIL_SETTING_INT, 0, 1, 65535, NULL},
	{"flag", HIL_SETTING_BOOL, 0, 0, 0, NULL},
	{NULL, 0, 0, 0, 0, NULL},
};

static struct hil_call *call_make(const struct hil_setting *decl,
				  json_t *settings, long long ms)
{
	struct hil_call *call = NULL;

	if (call_new(decl, settings, call_clock_ms() + ms, &call) < 0)
		die("call_new");
	return call;
}

static void test_host_settings(void)
{
	const struct hil_host *h = plugin_host();
	json_t *s = json_pack("{s:s, s:i, s:s, s:b, s:s}", "name", "sw0",
			      "port", 22, "port_text", "2222", "flag", 1,
			      "undeclared", "x");
	struct hil_call *call = call_make(typed_decl, s, 5000);
	long long n = 0;
	int b = 0;

	is_int(h->size, sizeof(struct hil_host), "host table states its size");
	is_int(h->abi_minor, HIL_PLUGIN_ABI_MINOR, "and its ABI minor");
	is_str(h->setting_str(call, "name"), "sw0", "setting_str reads");
	ok(h->setting_str(call, "undeclared") == NULL,
	   "an undeclared key is not readable");
	ok(h->setting_str(call, "port") == NULL,
	   "setting_str refuses an int setting");
	is_int(h->setting_int(call, "port", &n), 0, "setting_int reads");
	is_int(n, 22, "a JSON integer");
	is_int(h->setting_int(call, "port_text", &n), 0,
	       "setting_int reads a decimal string");
	is_int(n, 2222, "as its value");
	is_int(h->setting_int(call, "name", &n), -EINVAL,
	       "setting_int refuses a string setting");
	is_int(h->setting_bool(call, "flag", &b), 0, "setting_bool reads");
	is_int(b, 1, "true");
	is_int(h->setting_bool(call, "nothing", &b), -ENOENT,
	       "an absent key is -ENOENT");
	call = call_free(call);
	json_object_del(s, "port");
	call = call_make(typed_decl, s, 5000);
	is_int(h->setting_int(call, "port", &n), -ENOENT,
	       "a declared but unset key is -ENOENT");
	call = call_free(call);
	call = call_make(NULL, s, 5000);
	ok(h->setting_str(call, "name") == NULL,
	   "without a declaration nothing is readable");
	call = call_free(call);
	json_decref(s);
}

static void test_host_deadline_and_error(void)
{
	const struct hil_host *h = plugin_host();
	struct hil_call *call = call_make(NULL, NULL, 5000);
	long long left = h->deadline_left_ms(call);

	ok(left > 4000 && left <= 5000,
	   "deadline_left_ms counts down from "
	   "the deadline (%lld)",
	   left);
	ok(call_error(call) == NULL, "no error text until one is set");
	h->set_error(call, "switch '%s' said:\n%s", "sw0", "no\tway");
	is_str(call_error(call), "switch 'sw0' said: no way",
	       "set_error formats and flattens control characters");
	call = call_free(call);
	call = call_make(NULL, NULL, -1);
	ok(h->deadline_left_ms(call) <= 0, "a past deadline has no time left");
	call = call_free(call);
	ok(call_free(NULL) == NULL, "call_free accepts NULL");
}

static void test_host_run(void)
{
	const struct hil_host *h = plugin_host();
	struct hil_call *call = call_make(NULL, NULL, 10000);
	static char big[200000], bigout[sizeof(big) + 1];
	char out[256];
	long long t0;
	int r;

	r = h->run(call, (const char *const[]){"/bin/echo", "hello", NULL},
		   NULL, out, sizeof(out));
	is_int(r, 0, "run /bin/echo exits 0");
	is_str(out, "hello\n", "and its stdout is captured");

	r = h->run(call, (const char *const[]){"/bin/cat", NULL}, "to stdin",
		   out, sizeof(out));
	is_int(r, 0, "run /bin/cat with input");
	is_str(out, "to stdin", "input reaches its stdin");

	r = h->run(call, (const char *const[]){"/bin/cat", NULL}, NULL, out,
		   sizeof(out));
	ok(r == 0 && out[0] == '\0', "without input, stdin is at its end");

	memset(big, 'x', sizeof(big) - 1);
	r = h->run(call, (const char *const[]){"/bin/cat", NULL}, big, bigout,
		   sizeof(bigout));
	ok(r == 0 && strlen(bigout) == sizeof(big) - 1,
	   "input and output larger than a pipe do not deadlock");

	r = h->run(call,
		   (const char *const[]){"/bin/sh", "-c",
					 "head -c 100000 /dev/zero | tr "
					 "'\\0' y; exit 3",
					 NULL},
		   NULL, out, 16);
	is_int(r, 3, "the exit status is returned");
	is_int(strlen(out), 15, "output is cut at outlen-1 bytes");

	r = h->run(call,
		   (const char *const[]){"/bin/sh", "-c", "kill -9 $$", NULL},
		   NULL, NULL, 0);
	is_int(r, 128 + 9, "death by a signal is 128 + the signal");

	setenv("HIL_TEST_SECRET", "do-not-pass", 1);
	r = h->run(call, (const char *const[]){"/usr/bin/env", NULL}, NULL, out,
		   sizeof(out));
	is_str(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n",
	       "the environment is minimal, none of hild's");

	is_int(h->run(call, (const char *const[]){"echo", "x", NULL}, NULL, out,
		      sizeof(out)),
	       -EINVAL, "a relative program path is refused");
	is_int(h->run(call, (const char *const[]){"/nonexistent/prog", NULL},
		      NULL, out, sizeof(out)),
	       -ENOENT, "a missing program is -ENOENT");
	call = call_free(call);

	call = call_make(NULL, NULL, 2000);
	t0 = call_clock_ms();
	r = h->run(call,
		   (const char *const[]){"/bin/sh", "-c",
					 "sleep 30 & echo started; sleep 30",
					 NULL},
		   NULL, out, sizeof(out));
	is_int(r, -ETIMEDOUT, "a command past the deadline is -ETIMEDOUT");
	ok(call_clock_ms() - t0 < 5000,
	   "and is stopped at the deadline (%lld "
	   "ms)",
	   call_clock_ms() - t0);
	is_str(out, "started\n", "output before the deadline is kept");
	ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
	   "the killed command is reaped");
	call = call_free(call);

	call = call_make(NULL, NULL, -1);
	is_int(h->run(call, (const char *const[]){"/bin/echo", NULL}, NULL, out,
		      sizeof(out)),
	       -ETIMEDOUT, "nothing runs past the deadline");
	call = call_free(call);
}

/* The mock switch, through its ops as hild's engine will use them. */

static const struct hil_switch_ops *mock_load(const char *dir)
{
	const struct hil_plugin *p;

	plugin_set_option_lookup(test_option);
	if (plugin_load(dir, "mock", HIL_PLUGIN_SWITCH) < 0 ||
	    plugin_init_all() < 0)
		return NULL;
	p = plugin_find(HIL_PLUGIN_SWITCH, "mock");
	return p ? p->switch_ops : NULL;
}

struct port_state {
	char text[512];
};

static void port_sink(void *arg, const char *channel, const char *vlan)
{
	struct port_state *st = arg;
	size_t n = strlen(st->text);

	snprintf(st->text + n, sizeof(st->text) - n, "%s=%s;", channel, vlan);
}

static const char *port_read(const struct hil_switch_ops *ops, void *s,
			     struct hil_call *call, const char *port,
			     struct port_state *st)
{
	st->text[0] = '\0';
	if (ops->get_port(s, call, port, port_sink, st) < 0)
		return "(error)";
	return st->text;
}

static json_t *mock_settings(const char *hostname)
{
	return json_pack("{s:s, s:s, s:s}", "hostname", hostname, "username",
			 "admin", "password", "secret");
}

static int count_lines(const char *path, const char *prefix)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	fclose(f);
	return n;
}

struct worker {
	const struct hil_switch_ops *ops;
	const struct hil_setting *decl;
	json_t *settings;
	int index, failures;
};

static void *mock_worker(void *arg)
{
	struct worker *w = arg;
	struct hil_call *call = call_make(w->decl, w->settings, 10000);
	char port[32], vlan[16];
	void *s = NULL;

	if (w->ops->session_open(plugin_host(), call, &s) < 0) {
		w->failures++;
		goto out;
	}
	for (int i = 0; i < 50; i++) {
		snprintf(port, sizeof(port), "te%d/0/%d", w->index, i);
		snprintf(vlan, sizeof(vlan), "%d", 100 + i);
		if (w->ops->set_port(s, call, port, "vlan/native", vlan) < 0)
			w->failures++;
	}
	w->ops->session_close(s, call, 1);
out:
	call_free(call);
	return NULL;
}

static void test_mock_switch(void)
{
	static const char *const good_ports[] = {"gi1/0/1", "te1/1",
						 "gi10/20/30"};
	static const char *const bad_ports[] = {
		"gi1",	  "xe1/0/1",  "gi1/0/1/2",
		"gi1//1", "gi1/0/",   "Gi1/0/1",
		"",	  "gi1/0/1 ", "gi123456789012345678901234567890/1"};
	char dir[PATH_MAX], journal[PATH_MAX];
	const struct hil_switch_ops *ops;
	const struct hil_host *h = plugin_host();
	json_t *sw0 = mock_settings("sw0"), *sw1 = mock_settings("sw1"),
	       *down = mock_settings("down.example");
	struct hil_call *call = NULL, *call2 = NULL;
	struct worker workers[4];
	pthread_t threads[4];
	struct port_state st;
	void *s = NULL, *s2 = NULL;
	long long t0;
	int r, failures = 0;

	make_dir(dir, "mock", 0755);
	install_plugin("driver-plugins/switch/mock", "mock", dir, "mock");
	path_join(journal, root, "mock.journal");
	options_clear();
	option_set(0, "mock", "journal", journal);
	option_set(1, "mock", "fail_port", "gi1/0/9");
	option_set(2, "mock", "fail_host", "down.example");
	ops = mock_load(dir);
	ok(ops != NULL, "mock loads and initialises with test options");
	if (!ops)
		goto out;

	for (size_t i = 0; i < sizeof(good_ports) / sizeof(*good_ports); i++)
		is_int(ops->port_valid(good_ports[i]), 0, "port '%s' is valid",
		       good_ports[i]);
	for (size_t i = 0; i < sizeof(bad_ports) / sizeof(*bad_ports); i++)
		is_int(ops->port_valid(bad_ports[i]), -EINVAL,
		       "port '%s' is not", bad_ports[i]);

	call = call_make(ops->settings, sw0, 10000);
	is_int(ops->session_open(h, call, &s), 0, "a session opens");
	is_int(ops->set_port(s, call, "gi1/0/1", "vlan/native", "102"), 0,
	       "set the native vlan");
	is_int(ops->set_port(s, call, "gi1/0/1", "vlan/200", "200"), 0,
	       "add a tagged vlan");
	is_str(port_read(ops, s, call, "gi1/0/1", &st),
	       "vlan/200=200;vlan/native=102;", "get_port reads both back");
	is_int(ops->set_port(s, call, "gi1/0/1", "vlan/native", "103"), 0,
	       "replace the native vlan");
	is_str(port_read(ops, s, call, "gi1/0/1", &st),
	       "vlan/200=200;vlan/native=103;", "get_port sees the change");

	call2 = call_make(ops->settings, sw0, 10000);
	is_int(ops->session_open(h, call2, &s2), 0, "a second session opens");
	is_str(port_read(ops, s2, call2, "gi1/0/1", &st),
	       "vlan/200=200;vlan/native=103;",
	       "sessions to one switch share its state");
	ops->session_close(s2, call2, 0);
	call2 = call_free(call2);
	call2 = call_make(ops->settings, sw1, 10000);
	ops->session_open(h, call2, &s2);
	is_str(port_read(ops, s2, call2, "gi1/0/1", &st), "",
	       "another switch has its own state");
	ops->session_close(s2, call2, 0);
	call2 = call_free(call2);

	is_int(ops->set_port(s, call, "gi1/0/1", "vlan/200", NULL), 0,
	       "take a tagged vlan off");
	is_int(ops->set_port(s, call, "gi1/0/1", "vlan/200", NULL), 0,
	       "taking it off again is fine (idempotent)");
	is_str(port_read(ops, s, call, "gi1/0/1", &st), "vlan/native=103;",
	       "only the native vlan is left");
	is_int(ops->set_port(s, call, "gi1/0/2", "null", "net-7"), 0,
	       "the null allocator's channel is accepted");
	is_int(ops->set_port(s, call, "gi1/0/1", "bogus", "1"), -EINVAL,
	       "a bad channel is refused");
	ok(call_error(call) != NULL, "with an error text");
	is_int(ops->set_port(s, call, "gi1/0/1", "vlan/1", "1 2"), -EINVAL,
	       "a vlan with a space is refused");
	is_int(ops->revert_port(s, call, "gi1/0/1"), 0, "revert the port");
	is_str(port_read(ops, s, call, "gi1/0/1", &st), "",
	       "a reverted port carries nothing");
	is_int(ops->revert_port(s, call, "gi1/0/5"), 0,
	       "reverting a port never touched is fine");

	call = call_free(call);
	call = call_make(ops->settings, sw0, 10000);
	is_int(ops->set_port(s, call, "gi1/0/9", "vlan/native", "5"), -EIO,
	       "fail_port makes set_port fail");
	ok(call_error(call) && strstr(call_error(call), "injected"),
	   "and says the failure was injected");
	is_int(ops->revert_port(s, call, "gi1/0/9"), -EIO,
	       "and revert_port too");
	is_int(ops->session_close(s, call, 1), 0, "close with save");
	s = NULL;
	call = call_free(call);

	call = call_make(ops->settings, down, 10000);
	is_int(ops->session_open(h, call, &s), -ECONNREFUSED,
	       "fail_host makes session_open fail");
	ok(call_error(call) && strstr(call_error(call), "down.example"),
	   "naming the switch");
	call = call_free(call);

	/* Sessions on many threads at once, on one switch. */
	for (int i = 0; i < 4; i++) {
		workers[i] = (struct worker){ops, ops->settings, sw1, i + 1, 0};
		pthread_create(&threads[i], NULL, mock_worker, &workers[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		failures += workers[i].failures;
	}
	is_int(failures, 0, "concurrent sessions all succeed");
	call = call_make(ops->settings, sw1, 10000);
	ops->session_open(h, call, &s);
	is_str(port_read(ops, s, call, "te3/0/49", &st), "vlan/native=149;",
	       "and their changes all landed");
	ops->session_close(s, call, 0);
	s = NULL;
	call = call_free(call);

	is_int(count_lines(journal, "open sw0 "), 2,
	       "the journal counts sessions per switch");
	is_int(count_lines(journal, "open sw1 "), 6, "on each switch");
	is_int(count_lines(journal, "close sw0 1 save"), 1,
	       "and records a close with save");
	is_int(count_lines(journal, "set sw0 gi1/0/1 vlan/200 -"), 2,
	       "and every change in order");

	plugin_unload_all();

	/* delay_ms: a slow switch, bounded by the deadline. */
	options_clear();
	option_set(0, "mock", "delay_ms", "1000");
	ops = mock_load(dir);
	ok(ops != NULL, "mock loads with delay_ms");
	if (!ops)
		goto out;
	call = call_make(ops->settings, sw0, 10000);
	ops->session_open(h, call, &s);
	is_str(port_read(ops, s, call, "gi1/0/1", &st), "",
	       "unloading forgot the switches");
	t0 = call_clock_ms();
	r = ops->set_port(s, call, "gi1/0/1", "vlan/native", "7");
	ok(r == 0 && call_clock_ms() - t0 >= 1000,
	   "a delayed change takes its time and succeeds");
	ops->session_close(s, call, 0);
	s = NULL;
	call = call_free(call);
	call = call_make(ops->settings, sw0, 100);
	ops->session_open(h, call, &s);
	t0 = call_clock_ms();
	r = ops->set_port(s, call, "gi1/0/1", "vlan/native", "8");
	is_int(r, -ETIMEDOUT, "a change past the deadline is -ETIMEDOUT");
	/* Not the 1000 ms the change would take. */
	ok(call_clock_ms() - t0 < 800, "and gives up at the deadline");
	ops->session_close(s, call, 0);
	s = NULL;
	call = call_free(call);
	plugin_unload_all();

	options_clear();
	option_set(0, "mock", "delay_ms", "soon");
	log_reset();
	ok(mock_load(dir) == NULL, "a bad option stops mock's init");
	ok(log_has("option 'delay_ms' must be 0..60000, not 'soon'"),
	   "with a message naming the option");
	plugin_unload_all();
out:
	options_clear();
	json_decref(sw0);
	json_decref(sw1);
	json_decref(down);
}

/* The null auth plugin: only with the operator's consent. */

static const char *no_headers(void *ctx, const char *name)
{
	return NULL;
}

static void test_null_auth(void)
{
	char dir[PATH_MAX];
	const struct hil_plugin *p;
	struct api_ident who = {0};
	struct hil_auth_request req = {no_headers, NULL, &who};

	make_dir(dir, "auth", 0755);
	install_plugin("auth-plugins/null", "null", dir, "null");
	plugin_set_option_lookup(test_option);

	options_clear();
	log_reset();
	is_int(plugin_load(dir, "null", HIL_PLUGIN_AUTH), 0, "null auth loads");
	is_int(plugin_init_all(), -EPERM,
	       "but refuses to start without allow_insecure_auth");
	ok(log_has("refusing it without 'allow_insecure_auth = yes'"),
	   "and says what is missing");
	plugin_unload_all();

	option_set(0, "null", "allow_insecure_auth", "no");
	plugin_load(dir, "null", HIL_PLUGIN_AUTH);
	is_int(plugin_init_all(), -EPERM, "nor with allow_insecure_auth = no");
	plugin_unload_all();

	option_set(0, "null", "allow_insecure_auth", "yes");
	plugin_load(dir, "null", HIL_PLUGIN_AUTH);
	is_int(plugin_init_all(), 0,
	       "it starts with allow_insecure_auth = yes");
	p = plugin_find(HIL_PLUGIN_AUTH, "null");
	ok(p && p->auth_ops, "it is an auth plugin");
	if (p && p->auth_ops) {
		is_int(p->auth_ops->authenticate(plugin_host(), &req), 1,
		       "a request without credentials is authenticated");
		is_str(who.user, "admin", "as the user 'admin'");
		ok(who.admin, "who is an admin");
	}
	plugin_unload_all();
	options_clear();
}

int main(void)
{
	const char *b = getenv("HIL_BUILDDIR");
	char logpath[PATH_MAX];

	snprintf(builddir, sizeof(builddir), "%s",
		 b && *b ? b : HIL_TEST_BUILDDIR);
	snprintf(root, sizeof(root), "/tmp/hil-plugin-test.XXXXXX");
	if (!mkdtemp(root) || chmod(root, 0755) < 0)
		die("mkdtemp");
	atexit(cleanup);
	/* hild logs to stderr in the foreground; keep it where the test can
	 * read it back. */
	path_join(logpath, root, "log");
	log_fd = open(logpath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0 || dup2(log_fd, STDERR_FILENO) < 0)
		die(logpath);
	log_setup(false, LOG_DEBUG);

	test_good_and_duplicates();
	test_bad_plugins();
	test_permissions();
	test_host_settings();
	test_host_deadline_and_error();
	test_host_run();
	test_mock_switch();
	test_null_auth();

	return tap_done();
}
