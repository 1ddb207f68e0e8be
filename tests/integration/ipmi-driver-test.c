/*
 * ipmi-driver-test - the ipmi OBM driver against simulated BMCs, loaded
 * and called through hild's own plugin host (plugin_load, plugin_init_all,
 * settings_validate, call_new), as hild's engine will call it.
 *
 *   ipmi-driver-test check SIMDIR PLUGINDIR DEADADDR    TAP
 *   ipmi-driver-test bench SIMDIR PLUGINDIR [N]         figures
 *
 * SIMDIR is a directory tests/integration/ipmi-sim.sh set up: its "bmcs"
 * file names each BMC (name address port user password dir pid), and each
 * BMC's directory shows what the simulated chassis went through.
 * PLUGINDIR holds ipmi.so; DEADADDR is an address where nothing listens.
 * hild's log (stderr) goes to SIMDIR/hild.log, which the test reads back:
 * sessions opened and closed are counted there, and no password may
 * appear in it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "log.h"
#include "plugin.h"
#include "settings.h"
#include "tap.h"

#define MAX_BMCS    128
#define LONG_MS	    10000 /* deadline of calls expected to succeed */
#define MAX_THREADS 128

struct bmc {
	char name[32], addr[64], user[32], password[64], dir[PATH_MAX];
	int port;
	pid_t pid;
	json_t *settings;
};

static struct bmc bmcs[MAX_BMCS];
static int n_bmcs;
static const char *sim_dir, *plugin_dir;
static const struct hil_obm_ops *ops;
static char log_path[PATH_MAX];

/* Helpers. */

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long now_ms(void)
{
	return call_clock_ms();
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void read_bmcs(void)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bmcs", sim_dir);
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (n_bmcs < MAX_BMCS && fgets(line, sizeof(line), f)) {
		struct bmc *b = &bmcs[n_bmcs];
		int pid;

		if (sscanf(line, "%31s %63s %d %31s %63s %4095s %d", b->name,
			   b->addr, &b->port, b->user, b->password, b->dir,
			   &pid) != 7)
			continue;
		b->pid = pid;
		b->settings = json_pack("{s:s, s:s, s:s, s:i}", "host", b->addr,
					"user", b->user, "password",
					b->password, "port", b->port);
		n_bmcs++;
	}
	fclose(f);
	if (n_bmcs == 0) {
		errno = ENOENT;
		die("no BMCs in the sim directory");
	}
}

static struct bmc *bmc_named(const char *name)
{
	for (int i = 0; i < n_bmcs; i++)
		if (strcmp(bmcs[i].name, name) == 0)
			return &bmcs[i];
	printf("Bail out! no BMC '%s'\n", name);
	exit(1);
}

/* A value from the simulated chassis ("power", "boot"), or "". */
static const char *chassis(const struct bmc *b, const char *key)
{
	static char value[64];
	char path[PATH_MAX + 16], line[128];
	size_t n = strlen(key);
	FILE *f;

	value[0] = '\0';
	snprintf(path, sizeof(path), "%s/chassis", b->dir);
	f = fopen(path, "r");
	if (!f)
		return value;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == '=') {
			snprintf(value, sizeof(value), "%s", line + n + 1);
			value[strcspn(value, "\n")] = '\0';
		}
	fclose(f);
	return value;
}

/* Lines of b's file that start with prefix; -1 without the file. */
static int count_lines(const struct bmc *b, const char *file,
		       const char *prefix)
{
	char path[PATH_MAX + 32], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", b->dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	fclose(f);
	return n;
}

static void truncate_file(const struct bmc *b, const char *file)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", b->dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

/* Everything hild logged so far (malloc'd). */
static char *log_text(void)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	fflush(stderr);
	fd = open(log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(log_path);
	for (;;) {
		if (cap - len < 65536) {
			cap = cap * 2 + 65536;
			buf = realloc(buf, cap);
			if (!buf)
				die("realloc");
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static int log_count(const char *needle)
{
	char *text = log_text();
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	free(text);
	return n;
}

/* "session to 'ADDR:PORT' as 'USER' opened" lines so far. */
static int sessions_opened(const struct bmc *b)
{
	char needle[256];

	snprintf(needle, sizeof(needle), "session to '%s:%d' as '%s' opened",
		 b->addr, b->port, b->user);
	return log_count(needle);
}

/* "session ... closed: console closed" lines so far: consoles of b whose
 * console_close finished (the payload deactivated, or given up on). */
static int consoles_closed(const struct bmc *b)
{
	char needle[256];

	snprintf(needle, sizeof(needle),
		 "session to '%s:%d' as '%s' closed: console closed", b->addr,
		 b->port, b->user);
	return log_count(needle);
}

/* Plugin options the host table hands out. */
static struct {
	const char *key, *value;
} options[8];

static const char *test_option(const char *plugin, const char *key)
{
	if (strcmp(plugin, "ipmi") != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].key && strcmp(options[i].key, key) == 0)
			return options[i].value;
	return NULL;
}

static void option_set(const char *key, const char *value)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (!options[i].key || strcmp(options[i].key, key) == 0) {
			options[i].key = key;
			options[i].value = value;
			return;
		}
}

/* (Re)load the plugin the way hild does at startup. */
static int load(void)
{
	const struct hil_plugin *p;
	int r;

	plugin_unload_all();
	ops = NULL;
	plugin_set_option_lookup(test_option);
	r = plugin_load(plugin_dir, "ipmi", HIL_PLUGIN_OBM);
	if (r == 0)
		r = plugin_init_all();
	if (r < 0)
		return r;
	p = plugin_find(HIL_PLUGIN_OBM, "ipmi");
	ops = p ? p->obm_ops : NULL;
	return ops ? 0 : -ENOENT;
}

static struct hil_call *call_make(json_t *settings, long long ms)
{
	struct hil_call *call = NULL;

	if (call_new(ops->settings, settings, call_clock_ms() + ms, &call) < 0)
		die("call_new");
	return call;
}

/* One driver operation on settings s with a deadline ms away; error text
 * (if any) into err. */
static int do_status(json_t *s, long long ms, char *buf, size_t len, char *err,
		     size_t errlen)
{
	struct hil_call *call = call_make(s, ms);
	int r = ops->power_status(plugin_host(), call, buf, len);

	snprintf(err, errlen, "%s", call_error(call) ? call_error(call) : "");
	call_free(call);
	return r;
}

static int do_power(json_t *s, enum hil_power_action a, long long ms, char *err,
		    size_t errlen)
{
	struct hil_call *call = call_make(s, ms);
	int r = ops->power(plugin_host(), call, a);

	snprintf(err, errlen, "%s", call_error(call) ? call_error(call) : "");
	call_free(call);
	return r;
}

static int do_bootdev(json_t *s, const char *dev, char *err, size_t errlen)
{
	struct hil_call *call = call_make(s, LONG_MS);
	int r = ops->set_bootdev(plugin_host(), call, dev);

	snprintf(err, errlen, "%s", call_error(call) ? call_error(call) : "");
	call_free(call);
	return r;
}

static const char *status_of(struct bmc *b)
{
	static char buf[16];
	char err[600];

	if (do_status(b->settings, LONG_MS, buf, sizeof(buf), err,
		      sizeof(err)) < 0) {
		diag("power_status of %s: %s", b->name, err);
		return "(error)";
	}
	return buf;
}

/* Wait up to ms for the chassis value. */
static int chassis_wait(const struct bmc *b, const char *key, const char *want,
			long ms)
{
	long long end = now_ms() + ms;

	while (strcmp(chassis(b, key), want) != 0) {
		if (now_ms() > end)
			return 0;
		sleep_ms(20);
	}
	return 1;
}

/* Settings of b with one key replaced. */
static json_t *settings_with(const struct bmc *b, const char *key,
			     json_t *value)
{
	json_t *s = json_deep_copy(b->settings);

	json_object_set_new(s, key, value);
	return s;
}

/* Console helpers. */

static void node_write(const struct bmc *b, const char *text)
{
	char path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/console", b->dir);
	fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("write to the node's console");
	close(fd);
}

/* Read the console until needle shows up or ms pass; 1 if it did. */
static int console_expect(void *con, json_t *s, const char *needle, long ms,
			  char *got, size_t gotlen)
{
	long long end = now_ms() + ms;
	size_t len = 0;
	char buf[4096];

	got[0] = '\0';
	while (now_ms() < end) {
		struct hil_call *call = call_make(s, 500);
		long n = ops->console_read(con, call, buf, sizeof(buf) - 1);

		if (n < 0)
			diag("console_read: %s", call_error(call));
		call_free(call);
		if (n < 0)
			return 0;
		if (n > 0 && len + (size_t)n < gotlen) {
			memcpy(got + len, buf, (size_t)n);
			len += (size_t)n;
			got[len] = '\0';
		}
		if (strstr(got, needle))
			return 1;
	}
	return 0;
}

static int console_open(json_t *s, void **ret, char *err, size_t errlen)
{
	struct hil_call *call = call_make(s, LONG_MS);
	int r = ops->console_open(plugin_host(), call, ret);

	snprintf(err, errlen, "%s", call_error(call) ? call_error(call) : "");
	call_free(call);
	return r;
}

/* The checks. */

static void test_load(void)
{
	const struct hil_setting *set;
	char err[256];
	int secret = 0, required = 0;

	is_int(load(), 0,
	       "the ipmi plugin loads and starts through hild's "
	       "plugin host");
	if (!ops) {
		printf("Bail out! cannot load the plugin\n");
		exit(1);
	}
	for (set = ops->settings; set->key; set++) {
		if (set->flags & HIL_SETTING_SECRET)
			secret += strcmp(set->key, "password") == 0 ? 1 : 100;
		if (set->flags & HIL_SETTING_REQUIRED)
			required++;
	}
	is_int(secret, 1, "exactly the password is declared secret");
	is_int(required, 3, "host, user and password are required");
	is_int(settings_validate(ops->settings, bmcs[0].settings, NULL, err,
				 sizeof(err)),
	       0, "a node's settings pass hild's validation");
	ok(ops->console_open && ops->console_read && ops->console_close,
	   "the driver offers a serial console");
}

static void test_power(void)
{
	struct bmc *b = bmc_named("bmc1");
	char err[600];
	int r;

	is_str(chassis(b, "power"), "0", "the simulated chassis starts off");
	is_str(status_of(b), "Off", "power_status says Off");

	r = do_power(b->settings, HIL_POWER_ON, LONG_MS, err, sizeof(err));
	is_int(r, 0, "power on");
	is_str(chassis(b, "power"), "1", "power on turned the chassis on");
	is_str(status_of(b), "On", "power_status says On");

	r = do_power(b->settings, HIL_POWER_OFF, LONG_MS, err, sizeof(err));
	is_int(r, 0, "power off");
	is_str(chassis(b, "power"), "0", "power off turned the chassis off");
	is_str(status_of(b), "Off", "power_status says Off again");

	do_power(b->settings, HIL_POWER_ON, LONG_MS, err, sizeof(err));
	truncate_file(b, "chassis.log");
	r = do_power(b->settings, HIL_POWER_CYCLE, LONG_MS, err, sizeof(err));
	is_int(r, 0, "power cycle of a chassis that is on");
	/* ipmi_sim powers down at once and up again a second later */
	ok(chassis_wait(b, "power", "1", 3000) &&
		   count_lines(b, "chassis.log", "set power 0") == 1,
	   "the cycle powered the chassis down");
	is_int(count_lines(b, "chassis.log", "set power 1"), 1, "and up again");
	is_str(chassis(b, "power"), "1", "it is on");

	do_power(b->settings, HIL_POWER_OFF, LONG_MS, err, sizeof(err));
	truncate_file(b, "chassis.log");
	r = do_power(b->settings, HIL_POWER_CYCLE, LONG_MS, err, sizeof(err));
	is_int(r, 0, "power cycle of a chassis that is off");
	ok(strcmp(chassis(b, "power"), "1") == 0 &&
		   count_lines(b, "chassis.log", "set power 0") == 0,
	   "powers it on, without a power-down first");

	truncate_file(b, "resets");
	r = do_power(b->settings, HIL_POWER_RESET, LONG_MS, err, sizeof(err));
	is_int(r, 0, "hard reset");
	is_int(count_lines(b, "resets", "reset"), 1,
	       "the chassis saw one reset");
	is_int(do_power(b->settings, (enum hil_power_action)42, LONG_MS, err,
			sizeof(err)),
	       -EINVAL, "an unknown power action is refused");
	do_power(b->settings, HIL_POWER_OFF, LONG_MS, err, sizeof(err));
}

static void test_bootdev(void)
{
	static const struct {
		const char *dev, *sim;
	} devs[] = {
		{"pxe", "pxe"},	  {"disk", "default"}, {"cdrom", "cdrom"},
		{"bios", "bios"}, {"none", "none"},    {"pxe", "pxe"},
	};
	struct bmc *b = bmc_named("bmc1");
	char err[600];
	int r;

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		is_int(ops->bootdev_valid(devs[i].dev), 0,
		       "boot device '%s' is valid", devs[i].dev);
		r = do_bootdev(b->settings, devs[i].dev, err, sizeof(err));
		is_int(r, 0, "set boot device '%s' (set, then read back)",
		       devs[i].dev);
		if (r < 0)
			diag("%s", err);
		is_str(chassis(b, "boot"), devs[i].sim,
		       "the simulated BMC keeps boot=%s", devs[i].sim);
	}
	is_int(ops->bootdev_valid("floppy"), -EINVAL,
	       "boot device 'floppy' is not");
	truncate_file(b, "chassis.log");
	is_int(do_bootdev(b->settings, "floppy", err, sizeof(err)), -EINVAL,
	       "and setting it fails");
	ok(strstr(err, "unknown boot device 'floppy'"), "saying why: %s", err);
	is_int(count_lines(b, "chassis.log", ""), 0,
	       "without contacting the BMC");
	do_bootdev(b->settings, "disk", err, sizeof(err));
}

static void test_reuse(void)
{
	struct bmc *b = bmc_named("bmc2");
	char buf[16], err[600];
	long long t0, first, best = LLONG_MAX;
	int before = sessions_opened(b);

	t0 = now_ms();
	do_status(b->settings, LONG_MS, buf, sizeof(buf), err, sizeof(err));
	first = now_ms() - t0;
	for (int i = 0; i < 9; i++) {
		t0 = now_ms();
		do_status(b->settings, LONG_MS, buf, sizeof(buf), err,
			  sizeof(err));
		if (now_ms() - t0 < best)
			best = now_ms() - t0;
	}
	is_int(sessions_opened(b) - before, 1,
	       "ten calls to one BMC open one RMCP+ session");
	ok(best <= first,
	   "calls on the open session are faster than the "
	   "first (%lld ms with the session's setup, then %lld "
	   "ms at best)",
	   first, best);
}

static void test_failures(const char *dead)
{
	struct bmc *b = bmc_named("bmc2");
	json_t *s;
	char buf[16], err[600];
	long long t0, el;
	int r;

	s = settings_with(b, "password", json_string("wrong-password"));
	t0 = now_ms();
	r = do_status(s, 3000, buf, sizeof(buf), err, sizeof(err));
	el = now_ms() - t0;
	is_int(r, -EACCES, "a wrong password is refused");
	ok(strstr(err, "refused the login of user 'admin': wrong password"),
	   "with a clear error: %s", err);
	ok(el < 2000, "at once, well before the deadline (%lld ms)", el);
	ok(!strstr(err, "wrong-password") && !strstr(err, b->password),
	   "the error holds no password");
	json_decref(s);

	s = settings_with(b, "user", json_string("nobody"));
	r = do_status(s, 3000, buf, sizeof(buf), err, sizeof(err));
	is_int(r, -EACCES, "an unknown user is refused");
	ok(strstr(err, "unknown user 'nobody'"), "with a clear error: %s", err);
	json_decref(s);

	s = settings_with(b, "host", json_string(dead));
	t0 = now_ms();
	r = do_status(s, 1500, buf, sizeof(buf), err, sizeof(err));
	el = now_ms() - t0;
	is_int(r, -ETIMEDOUT, "a BMC that does not answer times out");
	ok(el >= 1400 && el < 3500, "at the 1500 ms deadline (%lld ms)", el);
	ok(strstr(err, "no answer from BMC"), "with a clear error: %s", err);
	json_decref(s);

	s = settings_with(b, "cipher_suite", json_integer(0));
	r = do_status(s, 3000, buf, sizeof(buf), err, sizeof(err));
	is_int(r, -EINVAL, "cipher suite 0 is refused");
	ok(strstr(err, "authenticates nobody"), "saying why: %s", err);
	json_decref(s);

	s = settings_with(b, "privilege", json_string("root"));
	is_int(do_status(s, 3000, buf, sizeof(buf), err, sizeof(err)), -EINVAL,
	       "an unknown privilege level is refused");
	json_decref(s);

	s = settings_with(b, "privilege", json_string("operator"));
	is_int(do_status(s, 3000, buf, sizeof(buf), err, sizeof(err)), 0,
	       "privilege operator works");
	json_decref(s);

	s = settings_with(b, "user", json_string("viewer"));
	json_object_set_new(s, "privilege", json_string("user"));
	is_int(do_status(s, 3000, buf, sizeof(buf), err, sizeof(err)), 0,
	       "a user-privilege session reads the power status");
	is_int(do_power(s, HIL_POWER_ON, 3000, err, sizeof(err)), -EACCES,
	       "but may not power on");
	ok(strstr(err, "refused power on: completion code 0xd4"),
	   "the BMC says so: %s", err);
	json_decref(s);

	s = settings_with(b, "password", json_string("123456789012345678901"));
	is_int(do_status(s, 3000, buf, sizeof(buf), err, sizeof(err)), -EINVAL,
	       "a password longer than IPMI's 20 bytes is refused");
	ok(!strstr(err, "123456789012345678901"), "without echoing it");
	json_decref(s);

	s = settings_with(b, "host", json_string("no-such-bmc.invalid"));
	is_int(do_status(s, 3000, buf, sizeof(buf), err, sizeof(err)),
	       -EHOSTUNREACH, "a host name that does not resolve fails");
	json_decref(s);

	/* The simulated hardware fails: the BMC answers 0xff. */
	{
		char path[PATH_MAX + 16];
		int fd;

		snprintf(path, sizeof(path), "%s/fail", b->dir);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		r = do_power(b->settings, HIL_POWER_ON, 3000, err, sizeof(err));
		unlink(path);
	}
	is_int(r, -EIO, "a BMC that answers with an error fails the call");
	ok(strstr(err, "refused power on: completion code 0xff"),
	   "naming the command and completion code: %s", err);
	is_str(status_of(b), "Off", "the session still works afterwards");
}

/*
 * A BMC that hangs mid-session (SIGSTOP): the call fails at its deadline
 * and the session is closed, so that the request OpenIPMI would keep
 * retransmitting (every 5 s for a command with side effects) is not
 * executed again when the BMC comes back.
 */
static void test_hang(void)
{
	struct bmc *b = bmc_named("bmc3");
	char err[600];
	long long t0, el;
	int r, closed_before;

	is_str(status_of(b), "Off", "bmc3 answers");
	closed_before = log_count("closed: a request missed its deadline");
	truncate_file(b, "chassis.log");
	kill(b->pid, SIGSTOP);
	t0 = now_ms();
	r = do_power(b->settings, HIL_POWER_ON, 1000, err, sizeof(err));
	el = now_ms() - t0;
	is_int(r, -ETIMEDOUT, "power on of a hung BMC times out");
	/* Well before the library's own 5 s retransmit. */
	ok(el >= 950 && el < 2500, "at its 1000 ms deadline (%lld ms)", el);
	sleep_ms(6500); /* past the library's 5 s side-effect retransmit */
	kill(b->pid, SIGCONT);
	is_int(log_count("closed: a request missed its deadline") -
		       closed_before,
	       1, "the session was closed at the deadline");
	is_str(status_of(b), "On",
	       "after the BMC resumes, a new session works (and the chassis "
	       "is on: the BMC ran the queued request)");
	is_int(count_lines(b, "chassis.log", "set power 1"), 1,
	       "the timed-out power on ran once, not again on retransmit");
	do_power(b->settings, HIL_POWER_OFF, LONG_MS, err, sizeof(err));
}

static void test_console(void)
{
	struct bmc *b = bmc_named("bmc1"), *alt = bmc_named("alt");
	char err[600], got[65536], line[128];
	void *con = NULL, *con2 = NULL;
	long long t0, el;
	struct hil_call *call;
	char buf[256];
	long n;
	int r;

	r = console_open(b->settings, &con, err, sizeof(err));
	is_int(r, 0, "console_open activates Serial-over-LAN");
	if (r < 0) {
		diag("%s", err);
		return;
	}
	snprintf(line, sizeof(line), "node1 login: hello-%ld\r\n",
		 (long)getpid());
	node_write(b, line);
	ok(console_expect(con, b->settings, line + 13, 3000, got, sizeof(got)),
	   "text written on the node's serial port arrives at console_read");

	call = call_make(b->settings, 300);
	t0 = now_ms();
	n = ops->console_read(con, call, buf, sizeof(buf));
	el = now_ms() - t0;
	call_free(call);
	is_int(n, 0, "console_read returns 0 when nothing arrives");
	ok(el >= 250 && el < 2000, "at the deadline (%lld ms)", el);

	r = do_power(b->settings, HIL_POWER_ON, LONG_MS, err, sizeof(err));
	ok(r == 0 && console_expect(con, b->settings, "POST ok. Booting from",
				    3000, got, sizeof(got)),
	   "a power on through the driver shows the boot banner on the "
	   "console");
	do_power(b->settings, HIL_POWER_OFF, LONG_MS, err, sizeof(err));

	/* A second console on the same BMC: what a restarted hild meets
	 * (the payload still active on a stale session).  It takes over. */
	r = console_open(b->settings, &con2, err, sizeof(err));
	is_int(r, 0, "a second console_open on the BMC succeeds");
	if (r < 0)
		diag("%s", err);
	ok(log_count("is held by another session; taking it over") >= 1,
	   "by taking the serial console over");
	node_write(b, "after-takeover\r\n");
	ok(con2 && console_expect(con2, b->settings, "after-takeover", 3000,
				  got, sizeof(got)),
	   "and the new console receives the node's text");
	for (int i = 0; i < 10; i++) {
		call = call_make(b->settings, 1000);
		n = ops->console_read(con, call, buf, sizeof(buf));
		snprintf(err, sizeof(err), "%s",
			 call_error(call) ? call_error(call) : "");
		call_free(call);
		if (n <= 0)
			break;
	}
	is_int(n, -ECONNRESET, "the older console of this process ends");
	ok(strstr(err, "taken over by a newer console session"),
	   "saying why: %s", err);
	ops->console_close(con);
	sleep_ms(300);
	node_write(b, "still-the-new-one\r\n");
	ok(con2 && console_expect(con2, b->settings, "still-the-new-one", 3000,
				  got, sizeof(got)),
	   "closing it leaves the newer console working");
	n = consoles_closed(b);
	ops->console_close(con2);
	con = con2 = NULL;

	/* Closing deactivated the payload: a fresh open needs no takeover.
	 * The close finishes in the driver's thread; wait for it. */
	for (int i = 0; i < 250 && consoles_closed(b) == n; i++)
		sleep_ms(20);
	n = log_count("taking it over");
	r = console_open(b->settings, &con, err, sizeof(err));
	is_int(r, 0, "the console opens again after console_close");
	is_int(log_count("taking it over"), n,
	       "without a takeover: the close deactivated the payload");
	node_write(b, "again\r\n");
	ok(r == 0 && console_expect(con, b->settings, "again", 3000, got,
				    sizeof(got)),
	   "and receives text");
	ops->console_close(con);
	con = NULL;

	/* A BMC on a port other than 623: OpenIPMI's SOL opens a second
	 * session to the payload port. */
	r = console_open(alt->settings, &con, err, sizeof(err));
	is_int(r, 0, "a console on a BMC at port %d", alt->port);
	if (r < 0)
		diag("%s", err);
	node_write(alt, "alt-port-console\r\n");
	ok(r == 0 && console_expect(con, alt->settings, "alt-port-console",
				    3000, got, sizeof(got)),
	   "receives text too");
	ops->console_close(con);
	con = NULL;

	/* Power commands while a console is open use another session. */
	r = console_open(b->settings, &con, err, sizeof(err));
	n = sessions_opened(b);
	is_str(status_of(b), "Off", "power_status while the console is open");
	ok(sessions_opened(b) == n, "reuses the command session (%d opened)",
	   sessions_opened(b));
	ops->console_close(con);
}

/* Many threads, every BMC, at once: the engine's pattern. */
struct worker {
	int index, calls, failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char buf[16], err[600];

	for (int i = 0; i < w->calls; i++) {
		struct bmc *b = &bmcs[(w->index + i) % n_bmcs];

		if (do_status(b->settings, LONG_MS, buf, sizeof(buf), err,
			      sizeof(err)) < 0 ||
		    (strcmp(buf, "On") != 0 && strcmp(buf, "Off") != 0)) {
			w->failures++;
			diag("thread %d: %s", w->index, err);
		}
	}
	return NULL;
}

static void test_threads(void)
{
	struct worker w[8];
	pthread_t t[8];
	int failures = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){i, 25, 0};
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		failures += w[i].failures;
	}
	is_int(failures, 0, "8 threads x 25 power_status calls over %d BMCs",
	       n_bmcs);
}

static void test_options(void)
{
	char buf[16], err[600];
	int before, closes;

	option_set("max_sessions", "2");
	option_set("idle_timeout", "60");
	is_int(load(), 0, "reload with max_sessions = 2");
	closes = log_count("least recently used, to make room");
	before = sessions_opened(&bmcs[0]);
	for (int i = 0; i < 3; i++)
		ok(do_status(bmcs[i].settings, LONG_MS, buf, sizeof(buf), err,
			     sizeof(err)) == 0,
		   "power_status of %s", bmcs[i].name);
	is_int(log_count("least recently used, to make room") - closes, 1,
	       "the third BMC closed the least recently used session");
	ok(do_status(bmcs[0].settings, LONG_MS, buf, sizeof(buf), err,
		     sizeof(err)) == 0 &&
		   sessions_opened(&bmcs[0]) - before == 2,
	   "so the first BMC needs a new one");

	option_set("max_sessions", "256");
	option_set("idle_timeout", "0");
	is_int(load(), 0, "reload with idle_timeout = 0");
	before = sessions_opened(&bmcs[0]);
	for (int i = 0; i < 3; i++)
		do_status(bmcs[0].settings, LONG_MS, buf, sizeof(buf), err,
			  sizeof(err));
	is_int(sessions_opened(&bmcs[0]) - before, 3,
	       "then every call opens a session of its own");

	option_set("idle_timeout", "soon");
	is_int(load(), -EINVAL, "a bad option stops the plugin's init");
	ok(log_count("ipmi: option 'idle_timeout' must be 0..3600, not "
		     "'soon'") == 1,
	   "with a message naming the option");
	option_set("idle_timeout", "60");
	is_int(load(), 0, "and it starts again with a good one");
}

/*
 * ipmi_sim drops a session that sees no traffic for 30 s; the driver's
 * pump keeps the library's keepalive going, so an idle session (below
 * idle_timeout) is still there when the next call comes.  Slow: only with
 * IPMI_TEST_SLOW=1.
 */
static void test_keepalive(void)
{
	struct bmc *b = bmc_named("bmc2");
	char buf[16], err[600];
	int before;

	if (!getenv("IPMI_TEST_SLOW") ||
	    strcmp(getenv("IPMI_TEST_SLOW"), "1")) {
		tap_skip("idle session keepalive (IPMI_TEST_SLOW=1)");
		tap_skip("idle session keepalive (IPMI_TEST_SLOW=1)");
		return;
	}
	is_int(do_status(b->settings, LONG_MS, buf, sizeof(buf), err,
			 sizeof(err)),
	       0, "power_status before 40 s of silence");
	before = sessions_opened(b);
	sleep_ms(40000);
	ok(do_status(b->settings, LONG_MS, buf, sizeof(buf), err,
		     sizeof(err)) == 0 &&
		   sessions_opened(b) == before,
	   "after 40 idle seconds the same session still works");
}

static void test_no_secrets(void)
{
	char *text = log_text();
	int leaks = 0;

	for (int i = 0; i < n_bmcs; i++)
		if (strstr(text, bmcs[i].password)) {
			diag("the log holds %s's password", bmcs[i].name);
			leaks++;
		}
	if (strstr(text, "wrong-password"))
		leaks++;
	is_int(leaks, 0,
	       "no password appears in hild's log (%zu bytes, "
	       "debug level)",
	       strlen(text));
	ok(strstr(text, "session to '") != NULL,
	   "(which does record the sessions)");
	free(text);
}

static int check(const char *dead)
{
	test_load();
	test_power();
	test_bootdev();
	test_reuse();
	test_failures(dead);
	test_hang();
	test_console();
	test_threads();
	test_keepalive();
	test_options();
	plugin_unload_all();
	test_no_secrets();
	return tap_done();
}

/* The benchmark. */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void report(const char *what, long long *us, int n)
{
	qsort(us, (size_t)n, sizeof(*us), cmp_ll);
	printf("%-44s n=%-4d median %7.2f ms   p99 %7.2f ms   max %7.2f ms\n",
	       what, n, us[n / 2] / 1000.0,
	       us[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1000.0,
	       us[n - 1] / 1000.0);
}

static void bench_status(const char *what, struct bmc *b, int n)
{
	long long *us = calloc((size_t)n, sizeof(*us));
	char buf[16], err[600];
	int fails = 0;

	for (int i = 0; i < n; i++) {
		long long t0 = now_us();

		if (do_status(b->settings, LONG_MS, buf, sizeof(buf), err,
			      sizeof(err)) < 0)
			fails++;
		us[i] = now_us() - t0;
	}
	report(what, us, n);
	if (fails)
		printf("  (%d calls failed: %s)\n", fails, err);
	free(us);
}

struct cycler {
	struct bmc *b;
	pthread_barrier_t *start;
	long long start_us, end_us;
	int r;
	char err[600];
};

static void *cycler_main(void *arg)
{
	struct cycler *c = arg;

	pthread_barrier_wait(c->start);
	c->start_us = now_us();
	c->r = do_power(c->b->settings, HIL_POWER_CYCLE, 30000, c->err,
			sizeof(c->err));
	c->end_us = now_us();
	return NULL;
}

/* power_cycle on every BMC but the plain one, each from its own thread,
 * released at once. */
static void bench_cycle(const char *what)
{
	struct cycler *c = calloc((size_t)n_bmcs, sizeof(*c));
	pthread_t *t = calloc((size_t)n_bmcs, sizeof(*t));
	long long *us = calloc((size_t)n_bmcs, sizeof(*us)), first = LLONG_MAX,
		  last = 0;
	pthread_barrier_t start;
	int n = 0, fails = 0;

	for (int i = 0; i < n_bmcs && n < MAX_THREADS; i++)
		if (strcmp(bmcs[i].name, "plain") != 0)
			c[n++].b = &bmcs[i];
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		c[i].start = &start;
		pthread_create(&t[i], NULL, cycler_main, &c[i]);
	}
	pthread_barrier_wait(&start);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < n; i++) {
		us[i] = c[i].end_us - c[i].start_us;
		if (c[i].start_us < first)
			first = c[i].start_us;
		if (c[i].end_us > last)
			last = c[i].end_us;
		if (c[i].r < 0 && ++fails <= 3)
			printf("  %s: %s\n", c[i].b->name, c[i].err);
	}
	printf("%-44s %d BMCs at once: total %.1f ms\n", what, n,
	       (last - first) / 1000.0);
	report("  per call", us, n);
	if (fails)
		printf("  (%d calls failed)\n", fails);
	pthread_barrier_destroy(&start);
	free(c);
	free(t);
	free(us);
}

/* The plain BMC (no chassis script, if the harness made one) measures
 * the driver and RMCP+; a scripted one adds the simulator's popen. */
static int bench(int n)
{
	struct bmc *plain = NULL, *scripted = NULL;
	char buf[16], err[600];

	for (int i = 0; i < n_bmcs; i++) {
		if (strcmp(bmcs[i].name, "plain") == 0)
			plain = &bmcs[i];
		else if (!scripted)
			scripted = &bmcs[i];
	}
	if (load() < 0) {
		printf("cannot load the plugin\n");
		return 1;
	}
	for (int i = 0; i < n_bmcs; i++) /* open the sessions */
		do_status(bmcs[i].settings, LONG_MS, buf, sizeof(buf), err,
			  sizeof(err));
	if (plain)
		bench_status("power_status, plain BMC, reused session", plain,
			     n);
	bench_status("power_status, scripted BMC, reused session", scripted, n);
	option_set("idle_timeout", "0");
	if (load() < 0)
		return 1;
	if (plain)
		bench_status("power_status, plain BMC, fresh session", plain,
			     n);
	bench_status("power_status, scripted BMC, fresh session", scripted, n);
	option_set("idle_timeout", "60");
	if (load() < 0)
		return 1;
	bench_cycle("power_cycle, fresh sessions (chassis off)");
	bench_cycle("power_cycle, reused sessions (chassis on)");
	plugin_unload_all();
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 4 ||
	    (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "bench") != 0)) {
		fprintf(stderr,
			"usage: ipmi-driver-test check SIMDIR "
			"PLUGINDIR DEADADDR\n"
			"       ipmi-driver-test bench SIMDIR PLUGINDIR "
			"[N]\n");
		return 2;
	}
	sim_dir = argv[2];
	plugin_dir = argv[3];
	read_bmcs();
	/* hild logs to stderr in the foreground; keep it to read back. */
	snprintf(log_path, sizeof(log_path), "%s/hild.log", sim_dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		die(log_path);
	close(fd);
	log_setup(false, LOG_DEBUG);
	if (strcmp(argv[1], "bench") == 0)
		return bench(argc > 4 ? atoi(argv[4]) : 200);
	if (argc != 5) {
		fprintf(stderr, "check needs DEADADDR\n");
		return 2;
	}
	return check(argv[4]);
}
