/*
 * slurm-test.c - the pure parts of the SLURM integration: project and
 * loan names, drain reasons, hil-slurm.conf, the control protocol, and
 * loan records as node metadata.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
			   got->why == NULL,
		   "every field survives");
		dup = hilx_meta_dup(got);
		ok(dup && dup != got && strcmp(dup->loan, "L") == 0 &&
			   dup->n_nets == 1 && dup->nets != got->nets,
		   "a deep copy");
		hilx_meta_free(dup);
		got = hilx_meta_free(got);
	}
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
