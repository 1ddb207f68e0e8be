/*
 * ovs-driver-test - the ovs switch driver against a real Open vSwitch.
 *
 *   ovs-driver-test PLUGIN_DIR OVS_DIR TCP_DB
 *
 * ovs-driver.sh starts ovsdb-server and ovs-vswitchd under OVS_DIR (db
 * socket OVS_DIR/db.sock, also listening on TCP_DB) with bridge sw0
 * (ports p1..p4, parked) and bridge sw1 (port q1), and copies the built
 * plugin to PLUGIN_DIR/ovs.so.  This program loads the plugin through
 * hild's plugin host, drives it with calls made the way hild's engine
 * makes them, and checks every change twice: through the driver's
 * get_port and through `ovs-vsctl get Port`.  Most tests apply one change
 * at a time (set_port or revert_port, then session_commit); the batch
 * tests queue several and prove they reach OVSDB in one transaction.  A
 * scripted server shows what a commit reports when the server may have
 * its transaction but the answer is lost.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "call.h"
#include "log.h"
#include "plugin.h"
#include "tap.h"

static const char *ovs_dir;
static char unix_db[PATH_MAX];
static const struct hil_switch_ops *ops;
static const struct hil_host *host;

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Run ovs-vsctl against our database; its stdout, lines joined by
 * spaces, in out.  Returns its exit status. */
static int vsctl(char *out, size_t len, const char *const args[])
{
	const char *argv[16] = {"ovs-vsctl", "--timeout=5"};
	char db[PATH_MAX + 8];
	size_t n = 2, got = 0;
	int fds[2], status;
	ssize_t r;
	pid_t pid;

	snprintf(db, sizeof(db), "--db=%s", unix_db);
	argv[n++] = db;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe(fds) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (got + 1 < len &&
	       (r = read(fds[0], out + got, len - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fds[0]);
	while (got > 0 && out[got - 1] == '\n')
		out[--got] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* "vlan_mode tag trunks protected" of a port, as ovs-vsctl prints them. */
static const char *port_columns(const char *port, char *out, size_t len)
{
	if (vsctl(out, len,
		  (const char *const[]){"get", "Port", port, "vlan_mode", "tag",
					"trunks", "protected", NULL}) != 0)
		snprintf(out, len, "(ovs-vsctl failed)");
	return out;
}

static struct hil_call *call_make(json_t *settings, long long ms)
{
	struct hil_call *call = NULL;

	if (call_new(ops ? ops->settings : NULL, settings, call_clock_ms() + ms,
		     &call) < 0)
		die("call_new");
	return call;
}

static json_t *sw_settings(const char *bridge, const char *db)
{
	return db ? json_pack("{s:s, s:s}", "ovs_bridge", bridge, "ovsdb", db)
		  : json_pack("{s:s}", "ovs_bridge", bridge);
}

struct port_state {
	char text[1024];
};

static void port_sink(void *arg, const char *channel, const char *vlan)
{
	struct port_state *st = arg;
	size_t n = strlen(st->text);

	snprintf(st->text + n, sizeof(st->text) - n, "%s=%s;", channel, vlan);
}

static const char *port_read(void *s, struct hil_call *call, const char *port,
			     struct port_state *st)
{
	st->text[0] = '\0';
	if (ops->get_port(s, call, port, port_sink, st) < 0)
		return "(error)";
	return st->text;
}

/* One change, applied: queue it, then commit. */
static int set_now(void *s, struct hil_call *call, const char *port,
		   const char *channel, const char *vlan)
{
	int r = ops->set_port(s, call, port, channel, vlan);

	return r < 0 ? r : ops->session_commit(s, call);
}

static int revert_now(void *s, struct hil_call *call, const char *port)
{
	int r = ops->revert_port(s, call, port);

	return r < 0 ? r : ops->session_commit(s, call);
}

static int error_has(struct hil_call *call, const char *needle)
{
	const char *e = call_error(call);

	if (e && strstr(e, needle))
		return 1;
	diag("error text '%s' lacks '%s'", e ? e : "(none)", needle);
	return 0;
}

static const char *option_parking, *option_wait;

static const char *test_option(const char *plugin, const char *key)
{
	if (strcmp(plugin, "ovs") != 0)
		return NULL;
	if (strcmp(key, "parking_vlan") == 0)
		return option_parking;
	if (strcmp(key, "wait_vswitchd") == 0)
		return option_wait;
	return NULL;
}

/* Unload the plugin and load it again with other options.  Returns
 * plugin_init_all's result. */
static int reload(const char *dir, const char *parking, const char *wait)
{
	const struct hil_plugin *p;
	int r;

	plugin_unload_all();
	ops = NULL;
	option_parking = parking;
	option_wait = wait;
	if (plugin_load(dir, "ovs", HIL_PLUGIN_SWITCH) < 0)
		die("plugin_load");
	r = plugin_init_all();
	p = plugin_find(HIL_PLUGIN_SWITCH, "ovs");
	if (r == 0 && p)
		ops = p->switch_ops;
	return r;
}

static void test_load(const char *dir)
{
	const struct hil_plugin *p;
	const struct hil_setting *st;
	int bridge = 0, db = 0;

	plugin_set_option_lookup(test_option);
	is_int(plugin_load(dir, "ovs", HIL_PLUGIN_SWITCH), 0,
	       "the ovs plugin loads");
	is_int(plugin_init_all(), 0, "and initialises");
	p = plugin_find(HIL_PLUGIN_SWITCH, "ovs");
	if (!p)
		die("plugin_find ovs");
	ops = p->switch_ops;
	host = plugin_host();
	ok(ops->capabilities && ops->capabilities[0] &&
		   strcmp(ops->capabilities[0], "nativeless-trunk-mode") == 0 &&
		   !ops->capabilities[1],
	   "it has exactly the nativeless-trunk-mode capability");
	for (st = ops->settings; st->key; st++) {
		if (strcmp(st->key, "ovs_bridge") == 0)
			bridge = st->type == HIL_SETTING_STRING &&
				 (st->flags & HIL_SETTING_REQUIRED);
		else if (strcmp(st->key, "ovsdb") == 0)
			db = st->type == HIL_SETTING_STRING &&
			     !(st->flags & HIL_SETTING_REQUIRED);
		else
			db = -1;
	}
	ok(bridge && db == 1,
	   "settings: ovs_bridge (required), ovsdb (optional), nothing else");
	ok(ops->session_commit != NULL,
	   "it applies a batch in one session_commit");
}

static void test_port_names(void)
{
	static const char *const good[] = {"p1", "eth0", "te1/0/1", "Port Name",
					   "vhu-ü"};
	char longname[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		is_int(ops->port_valid(good[i]), 0, "port name '%s' is valid",
		       good[i]);
	is_int(ops->port_valid(""), -EINVAL, "an empty port name is not");
	is_int(ops->port_valid("p\n1"), -EINVAL, "a control character is not");
	is_int(ops->port_valid("p\xff"), -EINVAL, "invalid UTF-8 is not");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	is_int(ops->port_valid(longname), -EINVAL, "a 299-byte name is not");
}

static void test_sessions(const char *tcp_db)
{
	json_t *good = sw_settings("sw0", unix_db);
	json_t *tcp = sw_settings("sw0", tcp_db);
	json_t *nobridge = sw_settings("nosuchbr", unix_db);
	json_t *relative = sw_settings("sw0", "unix:db.sock");
	json_t *nosock = sw_settings("sw0", "unix:/nonexistent/db.sock");
	json_t *deflt = sw_settings("sw0", NULL);
	json_t *badtcp = sw_settings("sw0", "tcp:localhost:6640");
	struct hil_call *call;
	void *s = NULL;
	int r;

	call = call_make(good, 5000);
	is_int(ops->session_open(host, call, &s), 0,
	       "a session opens on the unix socket");
	is_int(ops->session_close(s, call, 1), 0,
	       "and closes with save (nothing to save)");
	call = call_free(call);

	call = call_make(tcp, 5000);
	s = NULL;
	is_int(ops->session_open(host, call, &s), 0, "a session opens on '%s'",
	       tcp_db);
	ops->session_close(s, call, 0);
	call = call_free(call);

	call = call_make(nobridge, 5000);
	is_int(ops->session_open(host, call, &s), -ENOENT,
	       "a missing bridge is -ENOENT");
	ok(error_has(call, "bridge 'nosuchbr' not found"),
	   "and the error names the bridge");
	call = call_free(call);

	call = call_make(relative, 5000);
	is_int(ops->session_open(host, call, &s), -EINVAL,
	       "a relative socket path is refused");
	ok(error_has(call, "invalid ovsdb 'unix:db.sock'"), "saying why");
	call = call_free(call);

	call = call_make(badtcp, 5000);
	is_int(ops->session_open(host, call, &s), -EINVAL,
	       "a host name (not an address) is refused");
	call = call_free(call);

	call = call_make(nosock, 5000);
	r = ops->session_open(host, call, &s);
	is_int(r, -ENOENT, "a missing socket is -ENOENT");
	ok(error_has(call, "could not connect to ovsdb "
			   "'unix:/nonexistent/db.sock'"),
	   "and the error names the socket");
	call = call_free(call);

	/* The default socket is the system's; on a test machine no
	 * ovsdb-server listens there (we never touch the host's OVS). */
	call = call_make(deflt, 2000);
	r = ops->session_open(host, call, &s);
	if (r == 0)
		ops->session_close(s, call, 0);
	ok(r == 0 || error_has(call, "/var/run/openvswitch/db.sock"),
	   "without ovsdb, the default socket is used");
	call = call_free(call);

	json_decref(good);
	json_decref(tcp);
	json_decref(nobridge);
	json_decref(relative);
	json_decref(nosock);
	json_decref(deflt);
	json_decref(badtcp);
}

static void test_channels(void)
{
	json_t *settings = sw_settings("sw0", unix_db);
	struct hil_call *call = call_make(settings, 20000);
	struct port_state st;
	char cols[512], out[256];
	void *s = NULL;

	if (ops->session_open(host, call, &s) < 0) {
		ok(0, "session for the channel tests: %s", call_error(call));
		goto out;
	}
	is_str(port_read(s, call, "p1", &st), "",
	       "a parked port carries nothing");

	is_int(set_now(s, call, "p1", "vlan/native", "100"), 0,
	       "set the native vlan of p1");
	is_str(port_read(s, call, "p1", &st), "vlan/native=100;",
	       "get_port reads it back");
	is_str(port_columns("p1", cols, sizeof(cols)),
	       "native-untagged 100 [100] false",
	       "ovs-vsctl: native-untagged, tag 100, trunks [100]");

	is_int(set_now(s, call, "p1", "vlan/200", "200"), 0,
	       "add tagged vlan 200");
	is_int(set_now(s, call, "p1", "vlan/300", "300"), 0,
	       "add tagged vlan 300");
	is_str(port_read(s, call, "p1", &st),
	       "vlan/native=100;vlan/200=200;vlan/300=300;",
	       "get_port reads all three");
	is_str(port_columns("p1", cols, sizeof(cols)),
	       "native-untagged 100 [100, 200, 300] false",
	       "ovs-vsctl: trunks [100, 200, 300]");
	is_int(set_now(s, call, "p1", "vlan/200", "200"), 0,
	       "adding it again is fine (idempotent)");

	is_int(set_now(s, call, "p1", "vlan/native", "101"), 0,
	       "replace the native vlan");
	is_str(port_columns("p1", cols, sizeof(cols)),
	       "native-untagged 101 [101, 200, 300] false",
	       "ovs-vsctl: the old native vlan is gone from trunks");

	is_int(set_now(s, call, "p1", "vlan/native", NULL), 0,
	       "remove the native vlan");
	is_str(port_read(s, call, "p1", &st), "vlan/200=200;vlan/300=300;",
	       "a trunk with no native vlan is left");
	is_str(port_columns("p1", cols, sizeof(cols)),
	       "trunk [] [200, 300] false",
	       "ovs-vsctl: vlan_mode trunk, no tag");
	is_int(set_now(s, call, "p1", "vlan/native", NULL), 0,
	       "removing it again is fine (idempotent)");

	is_int(set_now(s, call, "p1", "vlan/200", NULL), 0,
	       "take tagged vlan 200 off");
	is_int(set_now(s, call, "p1", "vlan/300", NULL), 0,
	       "take tagged vlan 300 off");
	is_str(port_read(s, call, "p1", &st), "",
	       "a port with no vlan left carries nothing");
	is_str(port_columns("p1", cols, sizeof(cols)), "access 4095 [] true",
	       "ovs-vsctl: parked, access on 4095 and protected");

	is_int(set_now(s, call, "p2", "vlan/native", "100"), 0,
	       "p2: native 100");
	is_int(set_now(s, call, "p2", "vlan/42", "42"), 0, "p2: tagged 42");
	is_int(revert_now(s, call, "p2"), 0, "revert p2");
	is_str(port_read(s, call, "p2", &st), "", "a reverted port is empty");
	is_str(port_columns("p2", cols, sizeof(cols)), "access 4095 [] true",
	       "ovs-vsctl: reverted means parked");
	is_int(revert_now(s, call, "p2"), 0,
	       "reverting again is fine (idempotent)");

	is_int(set_now(s, call, "p2", "vlan/500", "500"), 0,
	       "p2: tagged 500 alone");
	is_str(port_columns("p2", cols, sizeof(cols)), "trunk [] [500] false",
	       "ovs-vsctl: a trunk of 500 only, untagged frames dropped");
	is_int(set_now(s, call, "p2", "vlan/native", "500"), -EEXIST,
	       "a vlan cannot be native and tagged on one port");
	ok(error_has(call, "both native and tagged"), "saying so");
	is_int(revert_now(s, call, "p2"), 0, "revert p2 again");

	/* A port someone else configured. */
	vsctl(out, sizeof(out),
	      (const char *const[]){"set", "Port", "p3", "vlan_mode=trunk",
				    "trunks=[]", "tag=[]", "protected=false",
				    NULL});
	is_str(port_read(s, call, "p3", &st), "(error)",
	       "get_port refuses a port that trunks every vlan");
	ok(error_has(call, "trunks every vlan"), "saying why");
	is_int(set_now(s, call, "p3", "vlan/7", "7"), 0,
	       "set_port rebuilds such a port from nothing");
	is_str(port_columns("p3", cols, sizeof(cols)), "trunk [] [7] false",
	       "ovs-vsctl: only vlan 7 is left");
	vsctl(out, sizeof(out),
	      (const char *const[]){"set", "Port", "p3", "vlan_mode=access",
				    "tag=4095", "trunks=[]", "protected=false",
				    NULL});
	is_str(port_read(s, call, "p3", &st), "(error)",
	       "get_port refuses a parked port that is not protected");
	vsctl(out, sizeof(out),
	      (const char *const[]){"set", "Port", "p3", "vlan_mode=access",
				    "tag=33", "trunks=[]", NULL});
	is_str(port_read(s, call, "p3", &st), "vlan/native=33;",
	       "an access port reads as its native vlan");
	is_int(revert_now(s, call, "p3"), 0, "revert p3");
	is_str(port_columns("p3", cols, sizeof(cols)), "access 4095 [] true",
	       "ovs-vsctl: p3 parked");

	/* Refusals that never reach the switch. */
	static const char *const bad[][2] = {
		{"vlan/abc", "1"},     {"vlan/0", "0"},
		{"vlan/4095", "4095"}, {"vlan/5000", "5000"},
		{"vlan/10", "11"},     {"vlan/native", "0"},
		{"vlan/native", "01"}, {"vlan/native", "4095"},
		{"vlan/native", "x"},  {"null", "1"},
		{"vlan/-1", "-1"},     {"vlan/native", " 10"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		is_int(set_now(s, call, "p1", bad[i][0], bad[i][1]), -EINVAL,
		       "channel '%s' vlan '%s' is refused", bad[i][0],
		       bad[i][1]);
	is_int(set_now(s, call, "p1", "vlan/native", "4095"), -EINVAL,
	       "the default parking vlan (4095) is never a network's");

	is_int(set_now(s, call, "nosuchport", "vlan/native", "100"), -ENOENT,
	       "a missing port is -ENOENT");
	ok(error_has(call, "port 'nosuchport' not found"),
	   "and the error names the port");
	is_int(set_now(s, call, "q1", "vlan/native", "100"), -ENOENT,
	       "a port of another bridge is -ENOENT");
	ok(error_has(call, "port 'q1' is not on bridge 'sw0'"),
	   "and the error says so");
	is_str(port_columns("q1", cols, sizeof(cols)), "access 4095 [] true",
	       "ovs-vsctl: q1 untouched");
	is_str(port_read(s, call, "q1", &st), "(error)",
	       "get_port refuses it too");
	is_int(revert_now(s, call, "nosuchport"), -ENOENT,
	       "revert of a missing port is -ENOENT");

	ops->session_close(s, call, 0);
out:
	call_free(call);
	json_decref(settings);
}

/* Open_vSwitch's next_cfg: one more per transaction that changes ports. */
static long long next_cfg(void)
{
	char out[64];

	if (vsctl(out, sizeof(out),
		  (const char *const[]){"get", "Open_vSwitch", ".", "next_cfg",
					NULL}) != 0)
		return -1;
	return atoll(out);
}

/* Transactions ovsdb-server logged with the driver's comment. */
static int hil_transactions(void)
{
	char db[PATH_MAX + 16], line[4096];
	int n = 0;
	FILE *f;

	snprintf(db, sizeof(db), "ovsdb-tool -mm show-log %s/conf.db", ovs_dir);
	f = popen(db, "r");
	if (!f)
		die("popen ovsdb-tool");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "\"hil: ports"))
			n++;
	pclose(f);
	return n;
}

/* Batches: several changes queued, one commit, one transaction. */
static void test_batch(void)
{
	json_t *settings = sw_settings("sw0", unix_db);
	struct hil_call *call = call_make(settings, 20000);
	char cols[512], out[256];
	struct port_state st;
	long long cfg0;
	int tx0;
	void *s = NULL;

	if (ops->session_open(host, call, &s) < 0) {
		ok(0, "session for the batch tests: %s", call_error(call));
		goto out;
	}
	cfg0 = next_cfg();
	tx0 = hil_transactions();
	/* Several changes of one port compose in order. */
	is_int(ops->set_port(s, call, "p1", "vlan/native", "100"), 0,
	       "batch: p1 native 100");
	is_int(ops->set_port(s, call, "p1", "vlan/200", "200"), 0,
	       "batch: p1 tagged 200");
	is_int(ops->set_port(s, call, "p1", "vlan/native", "101"), 0,
	       "batch: p1 native 101");
	is_int(ops->set_port(s, call, "p1", "vlan/200", NULL), 0,
	       "batch: p1 without 200");
	is_int(ops->set_port(s, call, "p1", "vlan/300", "300"), 0,
	       "batch: p1 tagged 300");
	is_int(ops->set_port(s, call, "p2", "vlan/native", "100"), 0,
	       "batch: p2 native 100");
	is_int(ops->revert_port(s, call, "p2"), 0, "batch: p2 reverted");
	is_int(ops->set_port(s, call, "p2", "vlan/42", "42"), 0,
	       "batch: p2 tagged 42");
	is_int(ops->set_port(s, call, "p3", "vlan/500", "500"), 0,
	       "batch: p3 tagged 500");
	is_int(ops->set_port(s, call, "p3", "vlan/native", "500"), -EEXIST,
	       "batch: p3 native 500 after tagged 500 in the same batch is "
	       "refused at once");
	is_int(ops->set_port(s, call, "p4", "vlan/native", "7"), 0,
	       "batch: p4 native 7");
	is_int(ops->set_port(s, call, "nosuchport", "vlan/native", "7"),
	       -ENOENT, "batch: a missing port is refused at once");
	is_str(port_columns("p1", cols, sizeof(cols)), "access 4095 [] true",
	       "before the commit, nothing reached the switch");
	is_int(next_cfg(), cfg0, "and next_cfg did not move");
	is_int(ops->session_commit(s, call), 0, "commit the batch");
	is_int(next_cfg(), cfg0 + 1,
	       "4 ports, 10 changes: next_cfg moved by exactly one");
	is_int(hil_transactions(), tx0 + 1,
	       "and ovsdb-server logged exactly one transaction of ours");
	is_str(port_columns("p1", cols, sizeof(cols)),
	       "native-untagged 101 [101, 300] false",
	       "p1 ends as the changes in order leave it");
	is_str(port_read(s, call, "p1", &st), "vlan/native=101;vlan/300=300;",
	       "get_port agrees");
	is_str(port_columns("p2", cols, sizeof(cols)), "trunk [] [42] false",
	       "p2: set, reverted, then tagged 42");
	is_str(port_columns("p3", cols, sizeof(cols)), "trunk [] [500] false",
	       "p3: the refused change is not in it");
	is_str(port_columns("p4", cols, sizeof(cols)),
	       "native-untagged 7 [7] false", "p4 native 7");
	is_int(ops->session_commit(s, call), 0, "an empty commit succeeds");
	is_int(next_cfg(), cfg0 + 1, "and writes nothing");

	/* A port someone changes between queue and commit: the commit
	 * reads it again and applies the queued changes to what is there. */
	is_int(ops->set_port(s, call, "p4", "vlan/native", "60"), 0,
	       "race: p4 native 60 queued");
	vsctl(out, sizeof(out),
	      (const char *const[]){"set", "Port", "p4", "vlan_mode=trunk",
				    "tag=[]", "trunks=[61]", "protected=false",
				    NULL});
	is_int(ops->session_commit(s, call), 0,
	       "race: p4 changed by another writer, the commit still works");
	is_str(port_columns("p4", cols, sizeof(cols)),
	       "native-untagged 60 [60, 61] false",
	       "race: the other writer's vlan 61 is kept, 60 added");

	/* A refused change of a port the batch did not name yet queues
	 * nothing: the commit neither checks nor writes that port, so it
	 * may even leave the bridge. */
	is_int(ops->set_port(s, call, "p4", "vlan/62", "62"), 0,
	       "refused: p4 tagged 62 queued");
	is_int(ops->set_port(s, call, "p3", "vlan/native", "500"), -EEXIST,
	       "refused: p3 native 500, where p3 trunks 500, is refused");
	vsctl(out, sizeof(out),
	      (const char *const[]){"del-port", "sw0", "p3", NULL});
	is_int(ops->session_commit(s, call), 0,
	       "refused: p3 left the bridge, and the commit still succeeds");
	is_str(port_read(s, call, "p4", &st),
	       "vlan/native=60;vlan/61=61;vlan/62=62;",
	       "refused: get_port reads p4's change");
	is_int(vsctl(out, sizeof(out),
		     (const char *const[]){"add-port", "sw0", "p3",
					   "vlan_mode=access", "tag=4095",
					   "protected=true", NULL}),
	       0, "refused: p3 is back on the bridge, parked");

	/* All or nothing: a port deleted under a batch fails the commit,
	 * and the batch's other ports keep their old rows. */
	is_int(ops->revert_port(s, call, "p1"), 0, "fail: p1 revert queued");
	is_int(ops->set_port(s, call, "p2", "vlan/43", "43"), 0,
	       "fail: p2 tagged 43 queued");
	is_int(ops->revert_port(s, call, "p3"), 0, "fail: p3 revert queued");
	vsctl(out, sizeof(out),
	      (const char *const[]){"del-port", "sw0", "p3", NULL});
	cfg0 = next_cfg(); /* ovs-vsctl moved it */
	is_int(ops->session_commit(s, call), -ENOENT,
	       "fail: p3 was deleted, the commit fails");
	ok(error_has(call, "port 'p3'"), "fail: naming the port");
	is_str(port_columns("p1", cols, sizeof(cols)),
	       "native-untagged 101 [101, 300] false",
	       "fail: p1 was not reverted");
	is_str(port_columns("p2", cols, sizeof(cols)), "trunk [] [42] false",
	       "fail: p2 did not get 43");
	is_int(next_cfg(), cfg0, "fail: nothing was written");
	is_int(ops->session_commit(s, call), 0,
	       "fail: the failed commit emptied the queue");
	is_int(next_cfg(), cfg0, "fail: so the next commit writes nothing");
	is_int(vsctl(out, sizeof(out),
		     (const char *const[]){"add-port", "sw0", "p3",
					   "vlan_mode=access", "tag=4095",
					   "protected=true", NULL}),
	       0, "p3 is back on the bridge, parked");

	/* Queued changes die with the session. */
	is_int(ops->set_port(s, call, "p1", "vlan/native", "102"), 0,
	       "a change queued and never committed");
	ops->session_close(s, call, 1);
	is_str(port_columns("p1", cols, sizeof(cols)),
	       "native-untagged 101 [101, 300] false",
	       "is dropped by session_close");

	s = NULL;
	if (ops->session_open(host, call, &s) == 0) {
		for (int i = 1; i <= 4; i++) {
			char port[8];

			snprintf(port, sizeof(port), "p%d", i);
			ops->revert_port(s, call, port);
		}
		is_int(ops->session_commit(s, call), 0,
		       "revert p1..p4 in one commit");
		ops->session_close(s, call, 0);
	}
out:
	call_free(call);
	json_decref(settings);
}

/* A listening socket nobody answers on. */
static int silent_socket(const char *path)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (strlen(path) >= sizeof(un.sun_path)) {
		errno = ENAMETOOLONG;
		die(path);
	}
	memcpy(un.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
	    listen(fd, 1) < 0)
		die(path);
	return fd;
}

static void test_deadlines(void)
{
	char path[PATH_MAX], target[PATH_MAX + 8];
	json_t *settings, *good = sw_settings("sw0", unix_db);
	struct hil_call *call;
	long long t0, took;
	void *s = NULL;
	int fd, r;

	snprintf(path, sizeof(path), "%s/silent.sock", ovs_dir);
	snprintf(target, sizeof(target), "unix:%s", path);
	fd = silent_socket(path);
	settings = sw_settings("sw0", target);
	for (int i = 0; i < 3; i++) {
		call = call_make(settings, 400);
		t0 = call_clock_ms();
		r = ops->session_open(host, call, &s);
		took = call_clock_ms() - t0;
		is_int(r, -ETIMEDOUT,
		       "an ovsdb that never answers is -ETIMEDOUT (try %d)",
		       i + 1);
		ok(took >= 350 && took < 2400,
		   "at the deadline (400 ms): %lld ms", took);
		ok(error_has(call, "timed out"), "saying it timed out");
		call = call_free(call);
	}
	close(fd);
	unlink(path);
	json_decref(settings);

	/* A call whose deadline is already past does nothing. */
	call = call_make(good, 5000);
	if (ops->session_open(host, call, &s) == 0) {
		struct hil_call *late = call_make(good, -1);
		char cols[256];

		is_int(set_now(s, late, "p4", "vlan/native", "9"), -ETIMEDOUT,
		       "a call past its deadline is -ETIMEDOUT");
		is_str(port_columns("p4", cols, sizeof(cols)),
		       "access 4095 [] true", "and changed nothing");
		call_free(late);
		ops->session_close(s, call, 0);
	} else {
		ok(0, "session for the deadline test: %s", call_error(call));
	}
	call_free(call);
	json_decref(good);
}

/* Make ovsdb-server drop every client connection.  Returns the wait
 * status of ovs-appctl: 0 when it did. */
static int server_drop_clients(void)
{
	char ctl[PATH_MAX + 16];
	const char *argv[] = {"ovs-appctl", "-t", ctl, "ovsdb-server/reconnect",
			      NULL};
	int status = 1;
	pid_t pid;

	snprintf(ctl, sizeof(ctl), "%s/ovsdb-server.ctl", ovs_dir);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	return status;
}

/* Sessions stay usable across a dropped connection and server probes. */
static void test_connection(void)
{
	json_t *settings = sw_settings("sw0", unix_db);
	struct hil_call *call = call_make(settings, 20000);
	char out[256];
	struct port_state st;
	void *s = NULL;

	if (ops->session_open(host, call, &s) < 0) {
		ok(0, "session for the connection test: %s", call_error(call));
		goto out;
	}
	is_int(server_drop_clients(), 0,
	       "ovsdb-server drops every client connection");
	is_int(set_now(s, call, "p4", "vlan/native", "77"), 0,
	       "set_port after the server dropped us reconnects");
	is_str(port_read(s, call, "p4", &st), "vlan/native=77;",
	       "and the change is there");
	is_int(revert_now(s, call, "p4"), 0, "revert p4");
	(void)out;
	ops->session_close(s, call, 0);
out:
	call_free(call);
	json_decref(settings);
}

/*
 * The protocol against a scripted server on a unix socket: one
 * connection, one request (session_open's bridge lookup), then the
 * scenario's answer.
 */
struct fake {
	int lfd;
	const char *mode;
	int echo_answered; /* set by the server thread */
};

/* Read one JSON message from fd; NULL on EOF or garbage. */
static json_t *fake_read(int fd)
{
	static char buf[65536];
	size_t len = 0;
	json_error_t err;
	ssize_t n;

	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, 1);
		if (n <= 0)
			return NULL;
		len += (size_t)n;
		if (buf[len - 1] != '}')
			continue;
		json_t *j = json_loadb(buf, len, 0, &err);
		if (j)
			return j;
	}
	return NULL;
}

static void fake_write(int fd, const char *text, size_t chunk)
{
	size_t len = strlen(text);

	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		if (send(fd, text + off, n, MSG_NOSIGNAL) != (ssize_t)n)
			return;
		if (chunk == 1)
			usleep(200);
	}
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	char reply[512], *big = NULL;
	json_t *req = NULL, *echo = NULL;
	json_int_t id;
	int fd;

	fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	req = fake_read(fd);
	if (!req)
		goto out;
	id = json_integer_value(json_object_get(req, "id"));
	snprintf(reply, sizeof(reply),
		 "{\"id\":%lld,\"result\":[{\"rows\":[{\"_uuid\":[\"uuid\","
		 "\"1b9d2b25-7c33-4d49-9a8e-2b9d2c4e8f10\"],\"note\":"
		 "\"}{ \\\" ] [\"}]}],\"error\":null}",
		 (long long)id);
	if (strcmp(f->mode, "echo") == 0) {
		fake_write(fd,
			   "{\"id\":\"echo\",\"method\":\"echo\","
			   "\"params\":[\"ping-7\"]}",
			   4096);
		echo = fake_read(fd);
		f->echo_answered =
			echo && json_is_string(json_object_get(echo, "id")) &&
			strcmp(json_string_value(json_object_get(echo, "id")),
			       "echo") == 0 &&
			strcmp(json_string_value(json_array_get(
				       json_object_get(echo, "result"), 0)),
			       "ping-7") == 0 &&
			json_is_null(json_object_get(echo, "error"));
		fake_write(fd, reply, 4096);
	} else if (strcmp(f->mode, "split") == 0) {
		/* A stale reply, a notification, then ours a byte at a time,
		 * with braces and quotes inside a string. */
		fake_write(fd,
			   "{\"id\":999,\"result\":[],\"error\":null}\n"
			   "{\"id\":null,\"method\":\"update\","
			   "\"params\":[null,{}]}",
			   4096);
		fake_write(fd, reply, 1);
	} else if (strcmp(f->mode, "rpc-error") == 0) {
		snprintf(reply, sizeof(reply),
			 "{\"id\":%lld,\"result\":null,\"error\":"
			 "\"unknown database\"}",
			 (long long)id);
		fake_write(fd, reply, 4096);
	} else if (strcmp(f->mode, "garbage") == 0) {
		fake_write(fd, "[\"not an object\"]", 4096);
	} else if (strcmp(f->mode, "deep") == 0) {
		char deep[256] = "{\"a\":";

		for (int i = 0; i < 40; i++)
			strcat(deep, "[");
		fake_write(fd, deep, 4096);
	} else if (strcmp(f->mode, "huge") == 0) {
		size_t n = 5 * 1024 * 1024;

		big = malloc(n + 64);
		if (big) {
			strcpy(big, "{\"id\":1,\"result\":\"");
			memset(big + strlen(big), 'a', n);
			big[n] = '\0';
			fake_write(fd, big, 65536);
		}
	} else if (strcmp(f->mode, "eof") == 0) {
		fake_write(fd, "{\"id\":", 4096);
	}
	/* Hold the connection until the client is done with it, except
	 * to cut a message short. */
	while (strcmp(f->mode, "eof") != 0 &&
	       read(fd, reply, sizeof(reply)) > 0)
		;
out:
	free(big);
	json_decref(req);
	json_decref(echo);
	close(fd);
	return NULL;
}

static void test_protocol(void)
{
	static const struct {
		const char *mode;
		int want;
		const char *error;
		const char *what;
	} cases[] = {
		{"echo", 0, NULL,
		 "an echo request from the server is answered in kind"},
		{"split", 0, NULL,
		 "a reply sent a byte at a time after a stale reply and a "
		 "notification is found"},
		{"rpc-error", -EPROTO, "unknown database",
		 "a JSON-RPC error is reported"},
		{"garbage", -EPROTO, "malformed",
		 "a message that is not an object is refused"},
		{"deep", -EPROTO, "malformed",
		 "a message nested too deep is refused"},
		{"huge", -EMSGSIZE, "over",
		 "a message over the size limit is refused"},
		{"eof", -ENOTCONN, "lost the connection",
		 "a connection closed in mid-message is reported"},
	};
	char path[PATH_MAX], target[PATH_MAX + 8];
	pthread_t thread;
	struct fake f;
	json_t *settings;
	struct hil_call *call;
	void *s = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/fake.sock", ovs_dir);
	snprintf(target, sizeof(target), "unix:%s", path);
	settings = sw_settings("sw0", target);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		f = (struct fake){silent_socket(path), cases[i].mode, 0};
		if (pthread_create(&thread, NULL, fake_run, &f))
			die("pthread_create");
		call = call_make(settings, 5000);
		s = NULL;
		r = ops->session_open(host, call, &s);
		is_int(r, cases[i].want, "%s", cases[i].what);
		if (cases[i].error)
			ok(error_has(call, cases[i].error), "%s: says '%s'",
			   cases[i].mode, cases[i].error);
		if (r == 0)
			ops->session_close(s, call, 0);
		call_free(call);
		shutdown(f.lfd, SHUT_RDWR);
		pthread_join(thread, NULL);
		close(f.lfd);
		if (strcmp(cases[i].mode, "echo") == 0)
			ok(f.echo_answered, "the echo reply carries its id and "
					    "params");
	}
	unlink(path);
	json_decref(settings);
}

/*
 * A scripted ovsdb-server for commits, on a unix socket.  It answers
 * session_open, and set_port's read and check of a parked port p1, then
 * answers the commit's transaction and the wait for ovs-vswitchd as the
 * scenario says: by closing the connection with the request in hand (a
 * server that dropped us, having run it or not), with an operation error,
 * or with success.  Every closed connection may be opened again.
 */
struct fake_commit {
	int lfd;
	int lose_commits;	/* commit transactions answered by closing */
	int port_gone;		/* p1 is gone once a commit was lost */
	int lose_waits;		/* waits for ovs-vswitchd answered by closing */
	const char *wait_error; /* the wait's operation error, if any */
	int commits, waits;	/* seen; set by the server thread */
};

/* The reply to req (JSON text, to free), or NULL to close instead. */
static char *fake_commit_reply(struct fake_commit *f, json_t *req)
{
	json_t *params = json_object_get(req, "params");
	json_t *op0 = json_array_get(params, 1);
	const char *op = json_string_value(json_object_get(op0, "op"));
	const char *table = json_string_value(json_object_get(op0, "table"));
	size_t nops = json_array_size(params) - 1;
	json_t *result, *reply;
	char *text;

	if (!op || !table)
		return NULL;
	if (strcmp(op, "select") == 0 && strcmp(table, "Bridge") == 0) {
		result = json_pack("[{s:[{s:[s,s]}]}]", "rows", "_uuid", "uuid",
				   "1b9d2b25-7c33-4d49-9a8e-2b9d2c4e8f10");
	} else if (strcmp(op, "select") == 0 && strcmp(table, "Port") == 0) {
		json_t *rows = f->port_gone && f->commits > 0
				       ? json_array()
				       : json_pack("[{s:[s,s], s:i, s:[s,[]], "
						   "s:s, s:b}]",
						   "_uuid", "uuid",
						   "5c1a9c0e-2a6f-4a3e-9d0b-"
						   "6f2f0a1b2c3d",
						   "tag", 4095, "trunks", "set",
						   "vlan_mode", "access",
						   "protected", 1);

		result = json_pack("[{s:o}, {s:[{s:[s,s]}]}, {s:[{s:i}]}]",
				   "rows", rows, "rows", "_uuid", "uuid",
				   "1b9d2b25-7c33-4d49-9a8e-2b9d2c4e8f10",
				   "rows", "next_cfg", 1);
	} else if (strcmp(op, "wait") == 0 && strcmp(table, "Bridge") == 0 &&
		   nops == 1) {
		result = json_pack("[{}]");
	} else if (strcmp(op, "wait") == 0 &&
		   strcmp(table, "Open_vSwitch") == 0) {
		if (++f->waits <= f->lose_waits)
			return NULL;
		result = f->wait_error
				 ? json_pack("[{s:s}]", "error", f->wait_error)
				 : json_pack("[{}]");
	} else {
		/* The commit: every operation succeeds; its select of
		 * next_cfg finds 2. */
		if (++f->commits <= f->lose_commits)
			return NULL;
		result = json_array();
		for (size_t i = 1; i <= nops; i++) {
			const char *o = json_string_value(json_object_get(
				json_array_get(params, i), "op"));

			json_array_append_new(result,
					      o && strcmp(o, "select") == 0
						      ? json_pack("{s:[{s:i}]}",
								  "rows",
								  "next_cfg", 2)
						      : json_object());
		}
	}
	reply = json_pack("{s:O, s:o, s:n}", "id", json_object_get(req, "id"),
			  "result", result, "error");
	text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	return text;
}

static void *fake_commit_run(void *arg)
{
	struct fake_commit *f = arg;
	json_t *req;
	char *text;
	int fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		while ((req = fake_read(fd))) {
			text = fake_commit_reply(f, req);
			json_decref(req);
			if (!text)
				break;
			fake_write(fd, text, 65536);
			free(text);
		}
		close(fd);
	}
	return NULL;
}

/* A commit whose transaction may have reached the server but got no
 * answer, or whose wait for ovs-vswitchd failed after the server
 * committed it, is -ETIMEDOUT: the switch may or may not have the
 * changes.  A connection lost once is retried on a fresh one. */
static void test_commit_outcome(void)
{
	static const struct {
		int lose_commits, port_gone, lose_waits;
		const char *wait_error;
		int want, commits, waits;
		const char *error, *reason;
		const char *what;
	} cases[] = {
		{1, 0, 0, NULL, 0, 2, 1, NULL, NULL,
		 "a commit whose connection broke is sent again on a fresh "
		 "one, and succeeds"},
		{2, 0, 0, NULL, -ETIMEDOUT, 2, 0,
		 "changes were applied is unknown", "lost the connection",
		 "a commit whose connection broke twice is -ETIMEDOUT: the "
		 "server may have it"},
		{1, 1, 0, NULL, -ETIMEDOUT, 1, 0,
		 "changes were applied is unknown", "port 'p1' not found",
		 "a commit that fails after a transaction went unanswered is "
		 "-ETIMEDOUT, not -ENOENT"},
		{0, 0, 1, NULL, 0, 1, 2, NULL, NULL,
		 "a wait for ovs-vswitchd whose connection broke is sent again "
		 "and succeeds"},
		{0, 0, 2, NULL, -ETIMEDOUT, 1, 2,
		 "changes were applied is unknown", "lost the connection",
		 "a wait for ovs-vswitchd lost twice is -ETIMEDOUT"},
		{0, 0, 0, "resources exhausted", -ETIMEDOUT, 1, 1,
		 "changes were applied is unknown", "resources exhausted",
		 "a wait for ovs-vswitchd that the server fails is -ETIMEDOUT"},
	};
	char path[PATH_MAX], target[PATH_MAX + 8];
	pthread_t thread;
	struct fake_commit f;
	json_t *settings;
	struct hil_call *call;
	void *s;
	int r;

	snprintf(path, sizeof(path), "%s/fake-commit.sock", ovs_dir);
	snprintf(target, sizeof(target), "unix:%s", path);
	settings = sw_settings("sw0", target);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		f = (struct fake_commit){silent_socket(path),
					 cases[i].lose_commits,
					 cases[i].port_gone,
					 cases[i].lose_waits,
					 cases[i].wait_error,
					 0,
					 0};
		if (pthread_create(&thread, NULL, fake_commit_run, &f))
			die("pthread_create");
		call = call_make(settings, 5000);
		s = NULL;
		r = ops->session_open(host, call, &s);
		if (r == 0)
			r = ops->set_port(s, call, "p1", "vlan/native", "100");
		if (r == 0)
			r = ops->session_commit(s, call);
		is_int(r, cases[i].want, "%s", cases[i].what);
		if (cases[i].error) {
			ok(error_has(call, cases[i].error),
			   "and says the outcome is unknown");
			ok(error_has(call, cases[i].reason),
			   "and keeps the reason: '%s'", cases[i].reason);
		}
		if (s)
			ops->session_close(s, call, 0);
		call_free(call);
		shutdown(f.lfd, SHUT_RDWR);
		pthread_join(thread, NULL);
		close(f.lfd);
		ok(f.commits == cases[i].commits && f.waits == cases[i].waits,
		   "the server got %d commit(s) and %d wait(s): %d and %d",
		   cases[i].commits, cases[i].waits, f.commits, f.waits);
	}
	unlink(path);
	json_decref(settings);
}

struct worker {
	json_t *settings;
	int index, failures;
};

/* Sessions on many threads change one port at once: no update may be
 * lost (the driver's transactions check what they read). */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct hil_call *call = call_make(w->settings, 60000);
	char ch[32], vlan[16];
	void *s = NULL;

	if (ops->session_open(host, call, &s) < 0) {
		w->failures++;
		diag("worker %d: %s", w->index, call_error(call));
		goto out;
	}
	for (int i = 0; i < 10; i++) {
		int v = 1000 + w->index * 10 + i;

		snprintf(ch, sizeof(ch), "vlan/%d", v);
		snprintf(vlan, sizeof(vlan), "%d", v);
		if (set_now(s, call, "p2", ch, vlan) < 0) {
			diag("worker %d: %s", w->index, call_error(call));
			w->failures++;
		}
	}
	ops->session_close(s, call, 0);
out:
	call_free(call);
	return NULL;
}

static void test_concurrency(void)
{
	json_t *settings = sw_settings("sw0", unix_db);
	struct worker workers[4];
	pthread_t threads[4];
	struct hil_call *call;
	struct port_state st;
	char want[1024] = "";
	int failures = 0;
	void *s = NULL;

	for (int i = 0; i < 4; i++) {
		workers[i] = (struct worker){settings, i, 0};
		if (pthread_create(&threads[i], NULL, worker_run, &workers[i]))
			die("pthread_create");
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		failures += workers[i].failures;
	}
	is_int(failures, 0,
	       "4 sessions adding 40 vlans to one port all succeed");
	for (int v = 1000; v < 1040; v++) {
		size_t n = strlen(want);

		snprintf(want + n, sizeof(want) - n, "vlan/%d=%d;", v, v);
	}
	call = call_make(settings, 10000);
	if (ops->session_open(host, call, &s) == 0) {
		is_str(port_read(s, call, "p2", &st), want,
		       "and the port has every one of them");
		is_int(revert_now(s, call, "p2"), 0, "revert p2");
		ops->session_close(s, call, 0);
	} else {
		ok(0, "session: %s", call_error(call));
	}
	call_free(call);
	json_decref(settings);
}

/* Makes ovsdb-server drop its clients at each time in at_ms (ms after
 * the thread starts, ascending, 0 ends). */
struct dropper {
	int at_ms[3];
	int failures;
};

static void *dropper_run(void *arg)
{
	struct dropper *d = arg;
	long long t0 = call_clock_ms();

	for (int i = 0; d->at_ms[i]; i++) {
		long long left = t0 + d->at_ms[i] - call_clock_ms();

		if (left > 0)
			usleep((useconds_t)left * 1000);
		if (server_drop_clients() != 0)
			d->failures++;
	}
	return NULL;
}

/* Set p4's native vlan to vlan while a dropper makes ovsdb-server drop
 * its clients as d says.  Returns set_now's result, how long it took in
 * *took. */
static int set_dropped(void *s, struct hil_call *call, const char *vlan,
		       struct dropper *d, long long *took)
{
	pthread_t thread;
	long long t0;
	int r;

	if (pthread_create(&thread, NULL, dropper_run, d))
		die("pthread_create");
	t0 = call_clock_ms();
	r = set_now(s, call, "p4", "vlan/native", vlan);
	*took = call_clock_ms() - t0;
	pthread_join(thread, NULL);
	return r;
}

/* A change returns once ovs-vswitchd applied it, and fails at the
 * deadline when no ovs-vswitchd applies anything; a wait for it that the
 * server drops is sent again once. */
static void test_vswitchd(void)
{
	json_t *settings = sw_settings("sw0", unix_db);
	struct hil_call *call = call_make(settings, 10000);
	char cur[64], next[64], pidfile[PATH_MAX + 32], buf[32] = "", cols[256];
	struct dropper once = {{700, 0}, 0}, twice = {{700, 1400, 0}, 0};
	long long t0, took;
	void *s = NULL;
	FILE *f;
	pid_t pid;
	int r;

	if (ops->session_open(host, call, &s) < 0) {
		ok(0, "session: %s", call_error(call));
		goto out;
	}
	is_int(set_now(s, call, "p4", "vlan/native", "12"), 0,
	       "set p4 native 12");
	vsctl(cur, sizeof(cur),
	      (const char *const[]){"get", "Open_vSwitch", ".", "cur_cfg",
				    NULL});
	vsctl(next, sizeof(next),
	      (const char *const[]){"get", "Open_vSwitch", ".", "next_cfg",
				    NULL});
	ok(atoll(cur) >= atoll(next) && atoll(next) > 0,
	   "it returned after ovs-vswitchd applied it (cur_cfg %s, next_cfg "
	   "%s)",
	   cur, next);

	snprintf(pidfile, sizeof(pidfile), "%s/ovs-vswitchd.pid", ovs_dir);
	f = fopen(pidfile, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		die(pidfile);
	fclose(f);
	pid = (pid_t)atoi(buf);
	ok(pid > 1 && kill(pid, SIGTERM) == 0, "stop ovs-vswitchd");
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(50000);
	call_free(call);
	call = call_make(settings, 1500);
	t0 = call_clock_ms();
	r = set_now(s, call, "p4", "vlan/native", "13");
	took = call_clock_ms() - t0;
	is_int(r, -ETIMEDOUT,
	       "without ovs-vswitchd a change is never applied: -ETIMEDOUT");
	ok(took < 3500, "at the deadline (1500 ms): %lld ms", took);
	ok(error_has(call, "ovs-vswitchd did not apply"), "saying why");

	/* The commit is in the database before the wait for ovs-vswitchd
	 * starts: a wait the server drops is sent again on a fresh
	 * connection, and only a second drop ends it. */
	call_free(call);
	call = call_make(settings, 2500);
	r = set_dropped(s, call, "14", &once, &took);
	is_int(once.failures, 0, "ovsdb-server dropped its clients once");
	is_int(r, -ETIMEDOUT,
	       "a wait for ovs-vswitchd dropped once (at 700 ms) is sent again "
	       "and runs to the deadline: -ETIMEDOUT");
	ok(took >= 1800 && took < 4500,
	   "it waited past the drop, to the deadline (2500 ms): %lld ms", took);
	ok(error_has(call, "ovs-vswitchd did not apply"),
	   "saying ovs-vswitchd did not apply it, not that the connection "
	   "broke");
	is_str(port_columns("p4", cols, sizeof(cols)),
	       "native-untagged 14 [14] false",
	       "ovs-vsctl: p4 native 14 is in the database");
	call_free(call);
	call = call_make(settings, 6000);
	r = set_dropped(s, call, "15", &twice, &took);
	is_int(twice.failures, 0, "ovsdb-server dropped its clients twice");
	is_int(r, -ETIMEDOUT,
	       "a wait for ovs-vswitchd dropped twice (at 700 and 1400 ms) is "
	       "-ETIMEDOUT");
	ok(took >= 1300 && took < 4500,
	   "it ends at the second drop, well before the deadline (6000 ms): "
	   "%lld ms",
	   took);
	ok(error_has(call, "whether the changes were applied is unknown"),
	   "saying the outcome is unknown");
	ok(error_has(call, "lost the connection"), "and why");
	is_str(port_columns("p4", cols, sizeof(cols)),
	       "native-untagged 15 [15] false",
	       "ovs-vsctl: p4 native 15 is in the database");
	ops->session_close(s, call, 0);
out:
	call_free(call);
	json_decref(settings);
}

/* Options, with ovs-vswitchd stopped: parking_vlan moves the parking
 * VLAN, wait_vswitchd = no makes commits return once ovsdb-server has
 * them, batch (what once waited at session_close) now means yes. */
static void test_options(const char *dir)
{
	static const char *const bad[][2] = {
		{"0", NULL}, {"4096", NULL},  {"12x", NULL},
		{"", NULL},  {NULL, "maybe"}, {NULL, ""},
	};
	json_t *settings = sw_settings("sw0", unix_db);
	struct hil_call *call;
	char cols[256];
	void *s = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(reload(dir, bad[i][0], bad[i][1]) < 0,
		   "init refuses parking_vlan '%s' wait_vswitchd '%s'",
		   bad[i][0] ? bad[i][0] : "-", bad[i][1] ? bad[i][1] : "-");
	is_int(reload(dir, "3999", "no"), 0,
	       "init takes parking_vlan 3999 and wait_vswitchd no");
	if (!ops)
		goto out;
	call = call_make(settings, 5000);
	if (ops->session_open(host, call, &s) < 0) {
		ok(0, "session: %s", call_error(call));
		call_free(call);
		goto out;
	}
	is_int(set_now(s, call, "p1", "vlan/native", "3999"), -EINVAL,
	       "the parking vlan is refused as a network's");
	ok(error_has(call, "parking vlan"), "saying it is the parking vlan");
	is_int(revert_now(s, call, "p1"), 0,
	       "with ovs-vswitchd stopped, revert returns once committed");
	is_str(port_columns("p1", cols, sizeof(cols)), "access 3999 [] true",
	       "ovs-vsctl: p1 parked on vlan 3999");
	ops->session_close(s, call, 0);
	call_free(call);

	/* batch: a synonym of yes; ovs-vswitchd is not running. */
	is_int(reload(dir, NULL, "batch"), 0, "init takes wait_vswitchd batch");
	if (!ops)
		goto out;
	call = call_make(settings, 1500);
	s = NULL;
	if (ops->session_open(host, call, &s) < 0) {
		ok(0, "session: %s", call_error(call));
		call_free(call);
		goto out;
	}
	is_int(ops->set_port(s, call, "p4", "vlan/native", "21"), 0,
	       "batch: set_port queues");
	is_int(ops->session_commit(s, call), -ETIMEDOUT,
	       "batch: the commit waits for ovs-vswitchd, as with yes: "
	       "-ETIMEDOUT");
	ok(error_has(call, "ovs-vswitchd did not apply the change to port "
			   "'p4'"),
	   "saying why");
	is_str(port_columns("p4", cols, sizeof(cols)),
	       "native-untagged 21 [21] false",
	       "ovs-vsctl: p4 native 21 is in the database, not enforced");
	is_int(ops->session_close(s, call, 1), 0,
	       "batch: session_close has nothing to wait for");
	call_free(call);
out:
	json_decref(settings);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ovs-driver-test PLUGIN_DIR OVS_DIR "
				"TCP_DB\n");
		return 2;
	}
	ovs_dir = argv[2];
	snprintf(unix_db, sizeof(unix_db), "unix:%s/db.sock", ovs_dir);
	log_setup(false, LOG_WARNING);

	test_load(argv[1]);
	if (!ops)
		return tap_done();
	test_port_names();
	test_sessions(argv[3]);
	test_channels();
	test_deadlines();
	test_connection();
	test_concurrency();
	test_batch();
	test_protocol();
	test_commit_outcome();
	test_vswitchd(); /* it stops ovs-vswitchd */
	test_options(argv[1]);
	plugin_unload_all();
	return tap_done();
}
