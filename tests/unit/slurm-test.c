/*
 * slurm-test.c - the pure parts of the SLURM integration: project and
 * loan names, drain reasons, hil-slurm.conf, the control protocol, loan
 * records as node metadata, and OBM operations waited for to their end
 * (against a scripted HTTP server in a child process).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "hilx.h"
#include "hsconf.h"
#include "names.h"
#include "tap.h"

static char tmpdir[] = "/tmp/hil-slurm-test.XXXXXX";

static void test_project_names(void)
{
	static const char *const good[] = {"foo", "a.b-c_d", "$x+y!*'(),", "0"};
	static const char *const bad[] = {"",  "a b",  "a/b", "a:b",
					  "é", "a\nb", "a;b"};
	char long_name[NAMES_PROJECT_MAX + 2];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		is_int(names_project_check(good[i]), 0, "project '%s' is valid",
		       good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(names_project_check(bad[i]), -EINVAL,
		       "project name %zu is refused", i);
	is_int(names_project_check(NULL), -EINVAL, "no project is refused");
	memset(long_name, 'p', sizeof(long_name) - 1);
	long_name[NAMES_PROJECT_MAX] = '\0';
	is_int(names_project_check(long_name), 0, "%d bytes are allowed",
	       NAMES_PROJECT_MAX);
	long_name[NAMES_PROJECT_MAX] = 'p';
	long_name[NAMES_PROJECT_MAX + 1] = '\0';
	is_int(names_project_check(long_name), -EINVAL, "%d bytes are too many",
	       NAMES_PROJECT_MAX + 1);
}

static void test_loan_names(void)
{
	const char *p = NAMES_DEFAULT_PREFIX;
	char buf[NAMES_LOAN_MAX + 1], twin[NAMES_LOAN_MAX + 1];
	struct names_loan l;

	is_int(names_loan_format(buf, sizeof(buf), p, NAMES_RESERVE, "alice",
				 1001, 1700000000),
	       0, "format a loan name");
	is_str(buf, "flexalloc_MOC_reserve_alice_1001_1700000000",
	       "the ULSR reserve name");
	is_int(names_loan_parse(buf, p, &l), 0, "parse it back");
	ok(l.kind == NAMES_RESERVE && strcmp(l.user, "alice") == 0 &&
		   l.uid == 1001 && l.start == 1700000000,
	   "kind, user, uid and start survive");
	is_int(names_loan_twin(twin, sizeof(twin), buf, p), 0, "its twin");
	is_str(twin, "flexalloc_MOC_release_alice_1001_1700000000",
	       "the twin is the release reservation");

	/* Users with '_' are parsed from the right (ULSR split on '_'). */
	is_int(names_loan_parse("flexalloc_MOC_release_a_b_c_42_7", p, &l), 0,
	       "a user name with underscores");
	ok(l.kind == NAMES_RELEASE && strcmp(l.user, "a_b_c") == 0 &&
		   l.uid == 42 && l.start == 7,
	   "parsed from the right");

	is_int(names_loan_parse("flexalloc_MOC_reserve_alice_1001", p, &l),
	       -EINVAL, "a name without start is refused");
	is_int(names_loan_parse("flexalloc_MOC_reserve__1001_5", p, &l),
	       -EINVAL, "an empty user is refused");
	is_int(names_loan_parse("flexalloc_MOC_reserve_al ice_1_5", p, &l),
	       -EINVAL, "a blank in the user is refused");
	is_int(names_loan_parse("flexalloc_MOC_reserve_alice_01_5", p, &l),
	       -EINVAL, "a uid with a leading zero is refused");
	is_int(names_loan_parse("flexalloc_MOC_reserve_alice_4294967295_5", p,
				&l),
	       -EINVAL, "uid 4294967295 (-1) is refused");
	is_int(names_loan_parse("flexalloc_MOC_reserve_alice_1_"
				"99999999999999999999999",
				p, &l),
	       -EINVAL, "an overflowing start is refused");
	is_int(names_loan_parse("flexalloc_MOC_borrow_alice_1_5", p, &l),
	       -EINVAL, "an unknown kind is refused");
	is_int(names_loan_parse("other_reserve_alice_1_5", p, &l), -EINVAL,
	       "another prefix is refused");
	is_int(names_loan_parse("x_reserve_bob_2_3", "x_", &l), 0,
	       "a configured prefix");
	is_int(names_loan_format(buf, sizeof(buf), p, NAMES_RESERVE, "a:b", 1,
				 1),
	       -EINVAL, "a user that cannot name a loan is refused");
	is_int(names_loan_format(buf, 20, p, NAMES_RESERVE, "alice", 1, 1),
	       -ENAMETOOLONG, "a short buffer is refused");
	is_int(names_prefix_check("bad prefix"), -EINVAL,
	       "a prefix with a blank is refused");
}

static void test_reasons(void)
{
	char buf[NAMES_REASON_MAX];

	is_int(names_reason_format(buf, sizeof(buf), "foo",
				   "flexalloc_MOC_reserve_a_1_2"),
	       0, "format a drain reason");
	is_str(buf, "hil:lent:foo:flexalloc_MOC_reserve_a_1_2",
	       "hil:lent:<project>:<loan>");
	ok(names_reason_ours(buf), "the reason is ours");
	ok(names_reason_ours("hil:absent:(free)"), "hil:absent is ours");
	ok(!names_reason_ours("Not responding"), "SLURM's reasons are not");
	ok(!names_reason_ours(NULL), "no reason is not ours");
	is_int(names_reason_format(buf, sizeof(buf), "foo", "a:b"), -EINVAL,
	       "a loan with ':' cannot be in a reason");
}

/* Write text to tmpdir/name with mode; returns the path (static). */
static const char *write_conf(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static void test_conf(void)
{
	struct hsconf *c = NULL;
	char err[512] = "", user[128], pwpath[256], text[512];
	const char *path;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	path = write_conf("a.conf",
			  "# comment\n"
			  "endpoint = http://127.0.0.1:5999\n"
			  "user = admin\n"
			  "project = slurmnodes\n"
			  "interval = 2\n"
			  "hil_user = hpc-%u\n"
			  "map.0 = admin\n"
			  "map.4242 = carol\n"
			  "log_level = debug\n",
			  0644);
	r = hsconf_load(path, &c, err, sizeof(err));
	is_int(r, 0, "a configuration without a password loads (%s)", err);
	if (r < 0)
		return;
	is_str(c->endpoint, "http://127.0.0.1:5999", "endpoint");
	is_str(c->project, "slurmnodes", "project");
	is_str(c->prefix, NAMES_DEFAULT_PREFIX, "prefix defaults to ULSR's");
	is_int(c->interval, 2, "interval");
	is_int(c->full_scan, 60, "full_scan default");
	is_int(c->log_level, 7, "log_level debug");
	is_int(c->auth, HSCONF_AUTH_BASIC, "auth defaults to basic");
	is_int(hsconf_hil_user(c, 1001, "alice", user, sizeof(user)), 0,
	       "map a user through the template");
	is_str(user, "hpc-alice", "%%u is the SLURM user");
	is_int(hsconf_hil_user(c, 4242, "carol_x", user, sizeof(user)), 0,
	       "map a user through a map line");
	is_str(user, "carol", "map.<uid> wins over the template");
	is_int(hsconf_hil_user(c, 5, "a/b", user, sizeof(user)), -EINVAL,
	       "a mapped name that is not a label is refused");
	mem = open_memstream(&buf, &len);
	hsconf_print(c, mem);
	fclose(mem);
	ok(buf && strstr(buf, "interval = 2\n") &&
		   strstr(buf, "map.4242 = carol\n") &&
		   strstr(buf, "password = \n"),
	   "-T prints every keyword and the maps");
	free(buf);
	buf = NULL;
	c = hsconf_free(c);

	path = write_conf("b.conf", "user = admin\nbogus = 1\n", 0600);
	is_int(hsconf_load(path, &c, err, sizeof(err)), -EINVAL,
	       "an unknown keyword is refused");
	ok(strstr(err, "b.conf:2") && strstr(err, "unknown keyword 'bogus'"),
	   "with file, line and keyword (%s)", err);
	path = write_conf("c.conf", "user = admin\ninterval = 0\n", 0600);
	is_int(hsconf_load(path, &c, err, sizeof(err)), -EINVAL,
	       "a number out of range is refused");
	path = write_conf("d.conf", "user = admin\nendpoint = ftp://x\n", 0600);
	is_int(hsconf_load(path, &c, err, sizeof(err)), -EINVAL,
	       "an endpoint that is not http(s) is refused");
	path = write_conf("e.conf", "endpoint = http://x\n", 0600);
	is_int(hsconf_load(path, &c, err, sizeof(err)), -EINVAL,
	       "auth = basic without a user is refused");
	path = write_conf("f.conf", "user = admin\npassword = s3cret\n", 0644);
	is_int(hsconf_load(path, &c, err, sizeof(err)), -EPERM,
	       "a readable file with a password is refused");
	ok(strstr(err, "chmod 600") != NULL, "and says what to do (%s)", err);
	path = write_conf("g.conf", "user = admin\npassword = s3cret\n", 0600);
	r = hsconf_load(path, &c, err, sizeof(err));
	is_int(r, 0, "a private file with a password loads");
	if (c) {
		mem = open_memstream(&buf, &len);
		hsconf_print(c, mem);
		fclose(mem);
		ok(buf && !strstr(buf, "s3cret") &&
			   strstr(buf, "password = (set)"),
		   "-T never prints the password");
		free(buf);
		buf = NULL;
		c = hsconf_free(c);
	}
	snprintf(pwpath, sizeof(pwpath), "%s",
		 write_conf("pw", "from-file\n", 0600));
	snprintf(text, sizeof(text), "user = admin\npassword_file = %s\n",
		 pwpath);
	path = write_conf("h.conf", text, 0644);
	r = hsconf_load(path, &c, err, sizeof(err));
	is_int(r, 0, "a password file is read (%s)", err);
	if (c) {
		is_str(c->password, "from-file", "without its newline");
		c = hsconf_free(c);
	}
	chmod(pwpath, 0640);
	is_int(hsconf_load(path, &c, err, sizeof(err)), -EPERM,
	       "a password file others may read is refused");
	path = write_conf("i.conf", "auth = munge\nmap.7 = a\nmap.7 = b\n",
			  0644);
	is_int(hsconf_load(path, &c, err, sizeof(err)), -EINVAL,
	       "a uid mapped twice is refused");
	path = write_conf("j.conf", "auth = munge\nhil_user = %x\n", 0644);
	is_int(hsconf_load(path, &c, err, sizeof(err)), -EINVAL,
	       "an unknown %% sequence in hil_user is refused");
	is_int(hsconf_load("/nonexistent/hil-slurm.conf", &c, err, sizeof(err)),
	       -ENOENT, "a missing file is an error");
}

static void test_ctl(void)
{
	struct ctl_req req;
	char big[CTL_MAX_LINE + 10];

	is_int(ctl_parse("lend job=12 uid=1001 user=alice project=foo "
			 "nodes=n[1-2]",
			 &req),
	       0, "parse a lend request");
	is_str(req.verb, "lend", "its verb");
	is_str(ctl_get(&req, "nodes"), "n[1-2]", "a value");
	ok(ctl_get(&req, "loan") == NULL, "an absent key");
	is_int(ctl_parse("poke", &req), 0, "a verb alone");
	is_int(ctl_parse("", &req), -EINVAL, "an empty line is refused");
	is_int(ctl_parse("lend job", &req), -EINVAL,
	       "a word without '=' is refused");
	is_int(ctl_parse("lend job=1 job=2", &req), -EINVAL,
	       "a repeated key is refused");
	is_int(ctl_parse("lend =1", &req), -EINVAL, "an empty key is refused");
	is_int(ctl_parse("lend a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1", &req),
	       -EINVAL, "too many words are refused");
	is_int(ctl_parse("lend job=1\tuid=2", &req), -EINVAL,
	       "a control character is refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(ctl_parse(big, &req), -EINVAL, "a line too long is refused");
}

/* The manager commits no lend for a hook that has given up. */
static void test_ctl_peer_gone(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		ok(0, "peer gone: socketpair: %s", strerror(errno));
		return;
	}
	ok(!ctl_peer_gone(sv[0]), "peer gone: a waiting peer is there");
	if (write(sv[1], "lend x=1\n", 9) != 9)
		diag("write failed");
	ok(!ctl_peer_gone(sv[0]),
	   "peer gone: a request not read yet is no hang-up");
	close(sv[1]);
	ok(ctl_peer_gone(sv[0]), "peer gone: a closed connection is gone");
	close(sv[0]);
	ok(!ctl_peer_gone(-1), "peer gone: no connection is never gone");
}

static void test_meta(void)
{
	struct hilx_meta m = {
		.loan = "flexalloc_MOC_reserve_alice_1001_5",
		.project = "foo",
		.home = "slurm",
		.user = "alice",
		.nodes = "n[1-2]",
		.uid = 1001,
		.job = 12,
		.end = 1700003600,
		.phase = HILX_LENDING,
		.touched = true,
	};
	struct hil_kv nets[] = {{"vlan/native", "slurm-net"}, {"vlan/7", "x"}};
	struct hil_nic nic = {
		.label = "eth0", .networks = nets, .n_networks = 2};
	struct hil_kv md = {"slurm_loan", NULL};
	struct hil_node node = {.name = "n1",
				.nics = &nic,
				.n_nics = 1,
				.metadata = &md,
				.n_metadata = 1};
	struct hilx_meta *got = NULL, *dup;

	is_int(hilx_meta_snapshot(&m, &node), 0, "record a node's networks");
	is_int(m.n_nets, 2, "one entry per channel");
	ok(strcmp(m.nets[1].nic, "eth0") == 0 &&
		   strcmp(m.nets[1].channel, "vlan/7") == 0 &&
		   strcmp(m.nets[1].network, "x") == 0,
	   "nic, channel, network");
	/* What hild stores: the JSON text of the record. */
	md.value = "{\"loan\": \"L\", \"project\": \"foo\", \"home\": "
		   "\"slurm\", \"user\": \"alice\", \"nodes\": \"n1\", "
		   "\"uid\": 1001, \"job\": 12, \"end\": 99, \"phase\": "
		   "\"lent\", \"touched\": true, \"powered_on\": 0, "
		   "\"networks\": [[\"eth0\", \"vlan/native\", \"net\"]], "
		   "\"why\": null}";
	is_int(hilx_meta_get(&node, &got), 0, "read a stored record");
	if (got) {
		ok(got->phase == HILX_LENT && got->uid == 1001 &&
			   got->job == 12 && got->end == 99 && got->touched &&
			   got->n_nets == 1 &&
			   strcmp(got->nets[0].network, "net") == 0 &&
			   got->why == NULL && got->submit == 0,
		   "every field survives (a record of before submit times "
		   "has none)");
		dup = hilx_meta_dup(got);
		ok(dup && dup != got && strcmp(dup->loan, "L") == 0 &&
			   dup->n_nets == 1 && dup->nets != got->nets,
		   "a deep copy");
		hilx_meta_free(dup);
		got = hilx_meta_free(got);
	}
	md.value = "{\"loan\": \"L\", \"project\": \"foo\", \"home\": "
		   "\"slurm\", \"user\": \"alice\", \"nodes\": \"n1\", "
		   "\"uid\": 1001, \"job\": 12, \"submit\": 1700000000, "
		   "\"end\": 99, \"phase\": \"lent\", \"touched\": true, "
		   "\"powered_on\": 0, \"networks\": []}";
	is_int(hilx_meta_get(&node, &got), 0,
	       "read a record with a submit time");
	ok(got && got->submit == 1700000000, "the job's submit time");
	got = hilx_meta_free(got);
	md.value = "{\"loan\": \"L\", \"project\": \"foo\", \"home\": "
		   "\"slurm\", \"user\": \"alice\", \"nodes\": \"n1\", "
		   "\"uid\": 1001, \"job\": 12, \"submit\": \"soon\", "
		   "\"end\": 99, \"phase\": \"lent\", \"touched\": true, "
		   "\"powered_on\": 0, \"networks\": []}";
	is_int(hilx_meta_get(&node, &got), -EINVAL,
	       "a submit time that is not a number is refused");
	md.value = "{\"loan\": \"L\", \"phase\": \"lent\"}";
	is_int(hilx_meta_get(&node, &got), -EINVAL,
	       "a record missing fields is refused");
	md.value = "{\"loan\": \"L\", \"project\": \"foo\", \"home\": "
		   "\"slurm\", \"user\": \"alice\", \"nodes\": \"n1\", "
		   "\"uid\": 1001, \"job\": 12, \"end\": 99, \"phase\": "
		   "\"stolen\", \"touched\": true, \"powered_on\": 0, "
		   "\"networks\": []}";
	is_int(hilx_meta_get(&node, &got), -EINVAL,
	       "an unknown phase is refused");
	md.value = "\"just a string\"";
	is_int(hilx_meta_get(&node, &got), -EINVAL,
	       "a record that is not an object is refused");
	md.key = "other";
	is_int(hilx_meta_get(&node, &got), -ENOENT, "no record: -ENOENT");
	for (size_t i = 0; i < m.n_nets; i++) {
		free(m.nets[i].nic);
		free(m.nets[i].channel);
		free(m.nets[i].network);
	}
	free(m.nets);
}

/* ------------------------------------------------------------------ */
/* OBM operations against a scripted hild */

#define FAKE_MAX_REQUEST 8192 /* bytes of one request */
#define FAKE_IDLE_MS	 1000 /* the client is done after this long */

/* One exchange: the request expected and the answer. */
struct fake_step {
	const char *request; /* "METHOD /v0/path" */
	const char *body;    /* a part the request's body has, or NULL */
	int status;
	const char *reply; /* JSON, "" for none */
};

/* Read one request from fd into buf; 0 at the end of the connection. */
static ssize_t fake_read(int fd, char *buf, size_t len)
{
	size_t have = 0, need = 0;
	char *end;

	for (;;) {
		ssize_t n = read(fd, buf + have, len - 1 - have);

		if (n <= 0)
			return n;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end && !need) {
			const char *cl = strcasestr(buf, "content-length:");

			need = (size_t)(end + 4 - buf) +
			       (cl && cl < end ? strtoul(cl + 15, NULL, 10)
					       : 0);
		}
		if ((end && have >= need) || have == len - 1)
			return (ssize_t)have;
	}
}

/* The child: answer requests on lfd by the script (the last step
 * repeats when repeat is set); exit with the number of requests that
 * were not the expected ones, plus the steps never asked for. */
static void fake_serve(int lfd, const struct fake_step *steps, size_t n,
		       bool repeat)
{
	char buf[FAKE_MAX_REQUEST], out[FAKE_MAX_REQUEST];
	size_t i = 0;
	int bad = 0, fd = -1;

	for (;;) {
		const struct fake_step *st;
		ssize_t got;
		int len;

		if (fd < 0) {
			struct pollfd pfd = {.fd = lfd, .events = POLLIN};

			if (poll(&pfd, 1, FAKE_IDLE_MS) <= 0)
				break;
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				break;
		}
		got = fake_read(fd, buf, sizeof(buf));
		if (got <= 0) {
			close(fd);
			fd = -1;
			continue;
		}
		st = i < n ? &steps[i] : repeat ? &steps[n - 1] : NULL;
		i++;
		if (!st ||
		    strncmp(buf, st->request, strlen(st->request)) != 0 ||
		    buf[strlen(st->request)] != ' ' ||
		    (st->body && !strstr(strstr(buf, "\r\n\r\n"), st->body))) {
			fprintf(stderr, "# unexpected request %zu: %.80s\n", i,
				buf);
			bad++;
		}
		len = snprintf(
			out, sizeof(out),
			"HTTP/1.1 %d X\r\nContent-Type: "
			"application/json\r\nContent-Length: %zu\r\n\r\n%s",
			st ? st->status : 500, st ? strlen(st->reply) : 2,
			st ? st->reply : "{}");
		if (write(fd, out, (size_t)len) != len)
			bad++;
	}
	if (i < n)
		bad += (int)(n - i);
	_exit(bad > 100 ? 100 : bad);
}

/* Start the scripted server; a client of it in *ret_client.  Returns
 * the child's pid, or -1. */
static pid_t fake_start(const struct fake_step *steps, size_t n, bool repeat,
			struct hil_client **ret_client)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	char url[64];
	pid_t pid;
	int lfd;

	*ret_client = NULL;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		fake_serve(lfd, steps, n, repeat);
	close(lfd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u",
		 (unsigned)ntohs(a.sin_port));
	if (pid > 0 && hil_client_new(url, NULL, NULL, ret_client) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Free the client and return the script's verdict: 0 when every
 * request was the expected one, -1 when the server did not end well. */
static int fake_end(pid_t pid, struct hil_client *c)
{
	int st = 0;

	hil_client_free(c);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Run hilx_obm(op) against the script; returns its result, with the
 * script's verdict in *ret_bad. */
static int fake_obm(const struct fake_step *steps, size_t n, bool repeat,
		    enum hilx_obm op, const char *bootdev, long timeout_ms,
		    struct hil_error *err, int *ret_bad)
{
	const struct hilx_wait w = {.timeout_ms = timeout_ms};
	struct hil_client *c;
	pid_t pid = fake_start(steps, n, repeat, &c);
	int r = -EIO;

	if (pid > 0)
		r = hilx_obm(c, "n1", op, bootdev, &w, err);
	*ret_bad = fake_end(pid, c);
	return r;
}

/* Run hilx_user_access(user, "foo") against one answer. */
static int fake_access(int status, const char *reply, const char *user,
		       enum hilx_access *ret_access, int *ret_bad)
{
	const struct fake_step step = {"GET /v0/auth/basic/users", NULL, status,
				       reply};
	struct hil_error err = {0};
	struct hil_client *c;
	pid_t pid = fake_start(&step, 1, false, &c);
	int r = -EIO;

	if (pid > 0)
		r = hilx_user_access(c, user, "foo", ret_access, &err);
	*ret_bad = fake_end(pid, c);
	return r;
}

/* hilx_meta_put() stores what hilx_meta_get() reads. */
static void test_meta_put(void)
{
	struct hilx_meta m = {
		.loan = "flexalloc_MOC_reserve_alice_1001_5",
		.project = "foo",
		.home = "slurm",
		.user = "alice",
		.nodes = "n1",
		.uid = 1001,
		.job = 12,
		.submit = 1700000000,
		.end = 1700003600,
		.phase = HILX_RESERVED,
	};
	static const struct fake_step put[] = {
		{"PUT /v0/node/n1/metadata/slurm_loan",
		 "\"job\":12,\"submit\":1700000000,\"end\":1700003600", 200,
		 ""},
	};
	struct hil_error err = {0};
	struct hil_client *c;
	pid_t pid = fake_start(put, 1, false, &c);
	int r = -EIO;

	if (pid > 0)
		r = hilx_meta_put(c, "n1", &m, &err);
	is_int(r, 0, "meta: a record is PUT as the node's metadata");
	is_int(fake_end(pid, c), 0, "meta: with the job's id and submit time");
}

static void test_access(void)
{
	static const char users[] =
		"{\"alice\": {\"is_admin\": false, \"projects\": [\"bar\", "
		"\"foo\"]}, \"bob\": {\"is_admin\": false, \"projects\": "
		"[\"bar\"]}, \"root\": {\"is_admin\": true, \"projects\": "
		"[]}}";
	static const char nf[] = "{\"error\": {\"type\": \"NotFoundError\", "
				 "\"message\": \"no such endpoint\"}}";
	enum hilx_access a = HILX_NO_USER;
	int bad;

	is_int(fake_access(200, users, "alice", &a, &bad), 0,
	       "access: hild's users are read");
	ok(a == HILX_MEMBER && bad == 0, "access: a member of the project");
	fake_access(200, users, "bob", &a, &bad);
	ok(a == HILX_NO_ACCESS, "access: a user of other projects");
	fake_access(200, users, "root", &a, &bad);
	ok(a == HILX_ADMIN, "access: an administrator");
	fake_access(200, users, "carol", &a, &bad);
	ok(a == HILX_NO_USER, "access: no such user");
	/* No local users (an auth plugin such as keystone): the lend is
	 * refused on these (loan.c). */
	is_int(fake_access(404, nf, "alice", &a, &bad), -ENOENT,
	       "access: no user list on this hild is -ENOENT");
	is_int(fake_access(405, nf, "alice", &a, &bad), -EOPNOTSUPP,
	       "access: a refused user list is -EOPNOTSUPP");
}

static void test_obm(void)
{
	static const struct fake_step done[] = {
		{"POST /v0/node/n1/power_on", NULL, 200, ""},
	};
	static const struct fake_step queued[] = {
		{"POST /v0/node/n1/power_off", NULL, 202,
		 "{\"status_id\": \"0b1e\"}"},
		{"GET /v0/obm_action/0b1e", NULL, 200,
		 "{\"status\": \"PENDING\", \"node\": \"n1\"}"},
		{"GET /v0/obm_action/0b1e", NULL, 200,
		 "{\"status\": \"DONE\", \"node\": \"n1\"}"},
	};
	static const struct fake_step failed[] = {
		{"POST /v0/node/n1/power_on", NULL, 202,
		 "{\"status_id\": \"0b1f\"}"},
		{"GET /v0/obm_action/0b1f", NULL, 200,
		 "{\"status\": \"ERROR\", \"error\": \"the BMC said no\"}"},
	};
	static const struct fake_step stuck[] = {
		{"POST /v0/node/n1/power_on", NULL, 202,
		 "{\"status_id\": \"0b20\"}"},
		{"GET /v0/obm_action/0b20", NULL, 200,
		 "{\"status\": \"PENDING\"}"},
	};
	static const struct fake_step refused[] = {
		{"POST /v0/node/n1/power_on", NULL, 502,
		 "{\"error\": {\"type\": \"OBMError\", \"message\": "
		 "\"no power\"}}"},
	};
	static const struct fake_step bootdev[] = {
		{"PUT /v0/node/n1/boot_device", "\"bootdev\":\"pxe\"", 200, ""},
	};
	struct hil_error err = {0};
	int bad;

	is_int(fake_obm(done, 1, false, HILX_POWER_ON, NULL, 1000, &err, &bad),
	       0, "obm: an operation answered 200 is done");
	is_int(bad, 0, "obm: one POST, nothing more");
	is_int(fake_obm(queued, 3, false, HILX_POWER_OFF, NULL, 5000, &err,
			&bad),
	       0, "obm: a 202 is done once its operation says DONE");
	is_int(bad, 0, "obm: the operation is polled until then");
	err = (struct hil_error){0};
	is_int(fake_obm(failed, 2, false, HILX_POWER_ON, NULL, 5000, &err,
			&bad),
	       -EREMOTEIO, "obm: an operation that ended in ERROR fails");
	ok(strstr(err.msg, "the BMC said no") != NULL,
	   "obm: with the driver's reason (%s)", err.msg);
	is_int(bad, 0, "obm: polled until ERROR");
	is_int(fake_obm(stuck, 2, true, HILX_POWER_ON, NULL, 300, &err, &bad),
	       -EINPROGRESS, "obm: still queued after the timeout");
	is_int(bad, 0, "obm: polled until the timeout");
	is_int(fake_obm(refused, 1, false, HILX_POWER_ON, NULL, 1000, &err,
			&bad),
	       -EREMOTEIO, "obm: a 502 fails");
	is_int(fake_obm(bootdev, 1, false, HILX_SET_BOOTDEV, "pxe", 1000, &err,
			&bad),
	       0, "obm: the boot device is PUT");
	is_int(bad, 0, "obm: with the device in the body");
	is_int(hilx_obm(NULL, "n1", HILX_SET_BOOTDEV, NULL,
			&(struct hilx_wait){.timeout_ms = 1000}, &err),
	       -EINVAL, "obm: a boot device operation needs a device");
}

static int stop_calls;

/* An interrupted() that says stop from its second question on. */
static bool stop_second(void *arg)
{
	(void)arg;
	return ++stop_calls >= 2;
}

/* A queued operation is polled by its id, and a pass that must stop
 * stops polling (a request or a signal waits). */
static void test_obm_wait(void)
{
	static const struct fake_step again[] = {
		{"GET /v0/obm_action/0b21", NULL, 200,
		 "{\"status\": \"DONE\"}"},
	};
	static const struct fake_step pending[] = {
		{"GET /v0/obm_action/0b22", NULL, 200,
		 "{\"status\": \"PENDING\"}"},
		{"GET /v0/obm_action/0b22", NULL, 200,
		 "{\"status\": \"PENDING\"}"},
	};
	static const struct fake_step failed[] = {
		{"GET /v0/obm_action/0b23", NULL, 200,
		 "{\"status\": \"PENDING\"}"},
		{"GET /v0/obm_action/0b23", NULL, 200,
		 "{\"status\": \"ERROR\", \"error\": \"BMC said no\"}"},
	};
	static const struct fake_step strange[] = {
		{"GET /v0/obm_action/0b24", NULL, 200,
		 "{\"status\": \"LOST\"}"},
	};
	static const struct fake_step slow[] = {
		{"GET /v0/obm_action/0b25", NULL, 200,
		 "{\"status\": \"PENDING\"}"},
	};
	static const struct fake_step action[] = {
		{"GET /v0/networking_action/77", NULL, 200,
		 "{\"status\": \"PENDING\"}"},
		{"GET /v0/networking_action/77", NULL, 200,
		 "{\"status\": \"PENDING\"}"},
	};
	struct hilx_wait w = {.timeout_ms = 10000};
	enum hil_action_status st = HIL_ACTION_DONE;
	struct hil_error err = {0};
	struct hil_client *c;
	pid_t pid;
	int r = -EIO;

	pid = fake_start(again, 1, false, &c);
	if (pid > 0)
		r = hilx_obm_wait(c, "n1", HILX_POWER_OFF, "0b21", &w, &err);
	is_int(r, 0, "obm wait: a known operation's DONE is read");
	is_int(fake_end(pid, c), 0,
	       "obm wait: by its id alone, with no operation queued again");

	w.interrupted = stop_second;
	stop_calls = 0;
	r = -EIO;
	pid = fake_start(pending, 2, false, &c);
	if (pid > 0)
		r = hilx_obm_wait(c, "n1", HILX_POWER_ON, "0b22", &w, &err);
	is_int(r, -EINTR, "obm wait: stops when the pass is interrupted");
	is_int(fake_end(pid, c), 0,
	       "obm wait: at the next poll, not at the timeout");

	w.interrupted = NULL;
	r = -EIO;
	pid = fake_start(failed, 2, false, &c);
	if (pid > 0)
		r = hilx_obm_wait(c, "n1", HILX_POWER_OFF, "0b23", &w, &err);
	is_int(r, -EREMOTEIO, "obm wait: an operation that ends in ERROR");
	is_str(err.type, HIL_ERR_OBM, "obm wait: is an OBMError");
	ok(strstr(err.msg, "power off") && strstr(err.msg, "'n1'") &&
		   strstr(err.msg, ": BMC said no"),
	   "obm wait: naming the operation, the node and hild's reason (%s)",
	   err.msg);
	is_int(fake_end(pid, c), 0, "obm wait: polled until it ended");

	r = -EIO;
	pid = fake_start(strange, 1, false, &c);
	if (pid > 0)
		r = hilx_obm_wait(c, "n1", HILX_POWER_OFF, "0b24", &w, &err);
	is_int(r, -EBADMSG, "obm wait: a status hild does not have");
	ok(strstr(err.msg, "'0b24'") && strstr(err.msg, "'LOST'"),
	   "obm wait: names the action and the status (%s)", err.msg);
	is_int(fake_end(pid, c), 0, "obm wait: and stops there");

	w.timeout_ms = 300;
	r = -EIO;
	pid = fake_start(slow, 1, true, &c);
	if (pid > 0)
		r = hilx_obm_wait(c, "n1", HILX_POWER_ON, "0b25", &w, &err);
	is_int(r, -EINPROGRESS,
	       "obm wait: still pending after the timeout is -EINPROGRESS");
	ok(strstr(err.msg, "still pending after 300 ms") &&
		   strstr(err.msg, "'0b25'"),
	   "obm wait: saying so (%s)", err.msg);
	is_int(fake_end(pid, c), 0, "obm wait: polled until the timeout");
	w = (struct hilx_wait){.timeout_ms = 10000, .interrupted = stop_second};

	stop_calls = 0;
	r = -EIO;
	pid = fake_start(action, 2, false, &c);
	if (pid > 0)
		r = hilx_action_wait(c, "77", &w, &st, &err);
	is_int(r, -EINTR, "action wait: stops when the pass is interrupted");
	is_int(fake_end(pid, c), 0, "action wait: at the next poll");

	/* Two polls at least: the second comes 20 ms after the first. */
	w = (struct hilx_wait){.timeout_ms = 1000};
	r = -EIO;
	pid = fake_start(action, 2, true, &c);
	if (pid > 0)
		r = hilx_action_wait(c, "77", &w, &st, &err);
	is_int(r, -EINPROGRESS,
	       "action wait: still pending after the timeout is -EINPROGRESS, "
	       "not an outage");
	is_int(fake_end(pid, c), 0, "action wait: polled until the timeout");
}

/* A loan record of job 12 of uid 1001, submitted at submit, as hild
 * shows node name. */
#define JOB_NODE(name, phase, submit)                                          \
	"{\"name\": \"" name "\", \"project\": \"foo\", \"nics\": [], "        \
	"\"metadata\": {\"slurm_loan\": {\"loan\": "                           \
	"\"flexalloc_MOC_reserve_alice_1001_5\", \"project\": \"foo\", "       \
	"\"home\": \"slurm\", \"user\": \"alice\", \"nodes\": \"n[1-2]\", "    \
	"\"uid\": 1001, \"job\": 12, \"submit\": " submit ", \"end\": "        \
	"99, \"phase\": \"" phase "\", \"touched\": true, "                    \
	"\"powered_on\": 0, \"networks\": []}}}"

static bool never_committed(const char *loan, void *arg)
{
	(void)loan;
	(void)arg;
	return false;
}

/* Run hilx_job_loan() for job over n3 (no record) and n1 (one of
 * reply); returns its result, the script's verdict in *ret_bad. */
static int fake_job_loan(const char *reply, const struct hilx_job *job,
			 char *buf, size_t len, int *ret_bad)
{
	char *const names[] = {"n3", "n1", NULL};
	const struct fake_step steps[] = {
		{"GET /v0/node/n3", NULL, 200,
		 "{\"name\": \"n3\", \"project\": \"slurm\", "
		 "\"nics\": []}"},
		{"GET /v0/node/n1", NULL, 200, reply},
	};
	struct hil_error err = {0};
	struct hil_client *c;
	pid_t pid = fake_start(steps, 2, false, &c);
	int r = -EIO;

	buf[0] = '\0';
	if (pid > 0)
		r = hilx_job_loan(c, names, job, never_committed, NULL, buf,
				  len, &err);
	*ret_bad = fake_end(pid, c);
	return r;
}

/* One loan per job, also when slurmctld requeued it (a new submit time,
 * maybe other nodes), but not for a new job that got a lost job's id. */
static void test_job_loan(void)
{
	static const char lent[] = JOB_NODE("n1", "lent", "1000");
	static const char requested[] = JOB_NODE("n1", "requested", "1000");
	struct hilx_meta m = {.job = 12, .uid = 1001, .submit = 1000};
	struct hilx_job job = {.id = 12, .uid = 1001, .submit = 1000};
	char loan[128];
	int bad;

	ok(hilx_meta_same_job(&m, &job), "same job: the same submit time");
	job.submit = 1500;
	ok(!hilx_meta_same_job(&m, &job),
	   "same job: a later submit time, never requeued: another job");
	job.restarts = 1;
	ok(hilx_meta_same_job(&m, &job),
	   "same job: requeued, with a new submit time");
	job.submit = 900;
	ok(!hilx_meta_same_job(&m, &job),
	   "same job: requeued, but submitted before the record: another "
	   "job");
	job = (struct hilx_job){.id = 12, .uid = 1002, .submit = 1000};
	ok(!hilx_meta_same_job(&m, &job), "same job: another uid");
	job = (struct hilx_job){.id = 13, .uid = 1001, .submit = 1000};
	ok(!hilx_meta_same_job(&m, &job), "same job: another id");
	m.submit = 0;
	job = (struct hilx_job){.id = 12, .uid = 1001, .submit = 1500};
	ok(hilx_meta_same_job(&m, &job),
	   "same job: a record without a submit time matches id and uid");

	/* The hook timed out and the job was requeued; the loan was made
	 * on n1 anyway and the rerun runs on n3. */
	job = (struct hilx_job){
		.id = 12, .uid = 1001, .submit = 2000, .restarts = 1};
	is_int(fake_job_loan(lent, &job, loan, sizeof(loan), &bad), 1,
	       "job loan: a requeued job (restarts 1, new submit time) finds "
	       "its loan");
	is_str(loan, "flexalloc_MOC_reserve_alice_1001_5",
	       "job loan: the loan it holds");
	is_int(bad, 0, "job loan: every node read from hild until then");
	job.restarts = 0;
	is_int(fake_job_loan(lent, &job, loan, sizeof(loan), &bad), 0,
	       "job loan: a reused id (restarts 0, newer submit time) is a "
	       "new job: no loan");
	is_int(bad, 0, "job loan: every node read from hild");
	job = (struct hilx_job){
		.id = 12, .uid = 1001, .submit = 1000, .restarts = 0};
	is_int(fake_job_loan(lent, &job, loan, sizeof(loan), &bad), 1,
	       "job loan: the same submit time finds the loan");
	is_int(fake_job_loan(requested, &job, loan, sizeof(loan), &bad), 0,
	       "job loan: a request never committed is no loan");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	test_project_names();
	test_loan_names();
	test_reasons();
	test_conf();
	test_ctl();
	test_meta();
	test_ctl_peer_gone();
	test_obm();
	test_obm_wait();
	test_job_loan();
	test_access();
	test_meta_put();
	/* Remove what test_conf wrote. */
	{
		static const char *const files[] = {
			"a.conf", "b.conf", "c.conf", "d.conf",
			"e.conf", "f.conf", "g.conf", "h.conf",
			"i.conf", "j.conf", "pw"};
		char path[300];

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
			unlink(path);
		}
		rmdir(tmpdir);
	}
	return tap_done();
}
