/*
 * hil.c - the `hil` command-line client.
 *
 * One table names every command: its words, arguments, HTTP method and
 * path, the body built from its arguments and how the answer is shown.
 * Commands that need more than one call or an unusual body name a
 * function instead.
 */
#include "config.h"

#include "hilclient.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_MAX_WORDS	  4	/* words of a command name */
#define CLI_MAX_PATH_ARGS 4	/* arguments that go into a path */
#define CLI_DEFAULT_WAIT  10	/* HIL_TIMEOUT default, seconds */
#define CLI_MAX_WAIT	  86400 /* HIL_TIMEOUT bound, seconds */
#define CLI_MAX_PASSWORD  1024	/* a password read from stdin */

enum cli_exit {
	CLI_OK = 0,
	CLI_API_ERROR = 1,
	CLI_USAGE = 2,
};

enum cli_opt {
	OPT_JSON = 1 << 0,
	OPT_FORCE = 1 << 1,
	OPT_ACCESS = 1 << 2,
	OPT_NET_ID = 1 << 3,
	OPT_PROJECT = 1 << 4,
	OPT_OBMD = 1 << 5,
	OPT_HELP = 1 << 6,
	OPT_VERSION = 1 << 7,
};

static const struct cli_option {
	const char *name;
	enum cli_opt flag;
	bool has_value;
} cli_options[] = {
	{"json", OPT_JSON, false},	{"force", OPT_FORCE, false},
	{"access", OPT_ACCESS, true},	{"net-id", OPT_NET_ID, true},
	{"project", OPT_PROJECT, true}, {"obmd", OPT_OBMD, false},
	{"help", OPT_HELP, false},	{"version", OPT_VERSION, false},
};

/* The state of one invocation. */
struct cli {
	struct hil_client *client;
	unsigned opts; /* enum cli_opt given */
	const char *access;
	const char *net_id;
	const char *project;
	long wait_ms; /* HIL_TIMEOUT */
	char **args;  /* arguments after the command words */
	int nargs;
	struct hil_error err;
};

/* How a body field's value is checked. */
enum cli_kind {
	CLI_LABEL = 1, /* a name: the client's label characters */
	CLI_SLASH,     /* a name that may contain '/' (channel) */
	CLI_TEXT,      /* anything (MAC address, metadata value) */
};

struct cli_field {
	const char *key;
	enum cli_kind kind;
	bool optional;
};

struct cli_cmd;
typedef int (*cli_run_fn)(struct cli *cli, const struct cli_cmd *cmd);
typedef void (*cli_print_fn)(const struct cli *cli, json_t *reply);

struct cli_cmd {
	const char *words;
	const char *usage;
	const char *help;
	const char *method;
	const char *path;		/* %L / %P take the first arguments */
	const struct cli_field *fields; /* body from the next arguments */
	const char *fixed;		/* JSON object merged into the body */
	cli_run_fn run;			/* instead of the above */
	int min_args, max_args;		/* for run; -1: no maximum */
	unsigned opts;			/* options besides --json */
	cli_print_fn print;
};

/* Output. */

static void cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s)
		printf("%s\n", s);
	free(s);
}

/* A JSON value as text: strings as they are, the rest as JSON. */
static void cli_put_value(json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		fputs(json_string_value(v), stdout);
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	fputs(s ? s : "?", stdout);
	free(s);
}

static void cli_print_lines(const struct cli *cli, json_t *reply)
{
	size_t i;
	json_t *v;

	if (!json_is_array(reply)) {
		cli_print_json(reply);
		return;
	}
	json_array_foreach(reply, i, v)
	{
		cli_put_value(v);
		putchar('\n');
	}
}

/* "key: value" for each member; nested values as compact JSON. */
static void cli_print_object(const struct cli *cli, json_t *reply)
{
	const char *key;
	json_t *v;

	if (!json_is_object(reply)) {
		cli_print_json(reply);
		return;
	}
	json_object_foreach(reply, key, v)
	{
		printf("%s: ", key);
		if (json_is_null(v))
			fputs("-", stdout);
		else
			cli_put_value(v);
		putchar('\n');
	}
}

/* A list of strings on one line, separated by spaces. */
static void cli_put_list(json_t *list, const char *if_empty)
{
	size_t i;
	json_t *v;

	if (json_array_size(list) == 0) {
		fputs(if_empty, stdout);
		return;
	}
	json_array_foreach(list, i, v)
	{
		if (i)
			putchar(' ');
		cli_put_value(v);
	}
}

static const char *cli_str(json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : dflt;
}

static void cli_print_node(const struct cli *cli, json_t *reply)
{
	json_t *nics = json_object_get(reply, "nics"), *nic, *v;
	json_t *meta = json_object_get(reply, "metadata");
	const char *key;
	size_t i;

	if (!json_is_object(reply)) {
		cli_print_json(reply);
		return;
	}
	printf("name: %s\n", cli_str(reply, "name", "?"));
	printf("project: %s\n", cli_str(reply, "project", "-"));
	printf("nics:%s\n", json_array_size(nics) ? "" : " -");
	json_array_foreach(nics, i, nic)
	{
		printf("  %s %s", cli_str(nic, "label", "?"),
		       cli_str(nic, "macaddr", "-"));
		if (json_object_get(nic, "switch"))
			printf(" %s %s", cli_str(nic, "switch", "-"),
			       cli_str(nic, "port", "-"));
		putchar('\n');
		json_object_foreach(json_object_get(nic, "networks"), key, v)
		{
			printf("    %s ", key);
			cli_put_value(v);
			putchar('\n');
		}
	}
	printf("metadata:%s\n", json_object_size(meta) ? "" : " -");
	json_object_foreach(meta, key, v)
	{
		printf("  %s ", key);
		cli_put_value(v);
		putchar('\n');
	}
}

static void cli_print_network(const struct cli *cli, json_t *reply)
{
	json_t *nodes = json_object_get(reply, "connected-nodes"), *nics;
	json_t *access = json_object_get(reply, "access");
	const char *node;

	if (!json_is_object(reply)) {
		cli_print_json(reply);
		return;
	}
	printf("name: %s\n", cli_str(reply, "name", "?"));
	printf("owner: %s\n", cli_str(reply, "owner", "-"));
	fputs("access: ", stdout);
	if (json_is_array(access))
		cli_put_list(access, "-");
	else
		fputs("public", stdout);
	fputs("\nchannels: ", stdout);
	cli_put_list(json_object_get(reply, "channels"), "-");
	printf("\nconnected-nodes:%s\n", json_object_size(nodes) ? "" : " -");
	json_object_foreach(nodes, node, nics)
	{
		printf("  %s ", node);
		cli_put_list(nics, "-");
		putchar('\n');
	}
}

static void cli_print_networks(const struct cli *cli, json_t *reply)
{
	const char *name;
	json_t *net;

	if (!json_is_object(reply)) {
		cli_print_json(reply);
		return;
	}
	json_object_foreach(reply, name, net)
	{
		json_t *projects = json_object_get(net, "projects");

		printf("%s %s ", name, cli_str(net, "network_id", "-"));
		if (json_is_array(projects))
			cli_put_list(projects, "-");
		else
			fputs("public", stdout);
		putchar('\n');
	}
}

static void cli_print_attachments(const struct cli *cli, json_t *reply)
{
	const char *node;
	json_t *a;

	if (!json_is_object(reply)) {
		cli_print_json(reply);
		return;
	}
	json_object_foreach(reply, node, a)
		printf("%s %s %s %s\n", node, cli_str(a, "nic", "-"),
		       cli_str(a, "channel", "-"), cli_str(a, "project", "-"));
}

static void cli_print_users(const struct cli *cli, json_t *reply)
{
	const char *user;
	json_t *u;

	if (!json_is_object(reply)) {
		cli_print_json(reply);
		return;
	}
	json_object_foreach(reply, user, u)
	{
		printf("%s %s ", user,
		       json_is_true(json_object_get(u, "is_admin"))
			       ? "admin"
			       : "regular");
		cli_put_list(json_object_get(u, "projects"), "-");
		putchar('\n');
	}
}

static void cli_print_switch(const struct cli *cli, json_t *reply)
{
	json_t *ports = json_object_get(reply, "ports"), *p;
	size_t i;

	if (!json_is_object(reply)) {
		cli_print_json(reply);
		return;
	}
	printf("name: %s\ncapabilities: ", cli_str(reply, "name", "?"));
	cli_put_list(json_object_get(reply, "capabilities"), "-");
	printf("\nports:%s\n", json_array_size(ports) ? "" : " -");
	json_array_foreach(ports, i, p)
		printf("  %s\n", cli_str(p, "label", "?"));
}

static void cli_print_port(const struct cli *cli, json_t *reply)
{
	const char *channel;
	json_t *net;

	if (!json_is_object(reply)) {
		cli_print_json(reply);
		return;
	}
	printf("node: %s\nnic: %s\nnetworks:%s\n", cli_str(reply, "node", "-"),
	       cli_str(reply, "nic", "-"),
	       json_object_size(json_object_get(reply, "networks")) ? ""
								    : " -");
	json_object_foreach(json_object_get(reply, "networks"), channel, net)
	{
		printf("  %s ", channel);
		cli_put_value(net);
		putchar('\n');
	}
}

/* The id of a queued networking action, alone, for scripts. */
static void cli_print_action_id(const struct cli *cli, json_t *reply)
{
	const char *id = cli_str(reply, "status_id", NULL);

	if (id)
		printf("%s\n", id);
	else
		cli_print_json(reply);
}

static void cli_print_power(const struct cli *cli, json_t *reply)
{
	const char *s = cli_str(reply, "power_status", NULL);

	if (s)
		printf("%s\n", s);
	else
		cli_print_json(reply);
}

/* Errors. */

static int cli_api_error(const struct hil_error *err)
{
	if (err->msg[0])
		fprintf(stderr, "Error: %s: %s\n", err->type, err->msg);
	else
		fprintf(stderr, "Error: %s\n", err->type);
	return CLI_API_ERROR;
}

static int cli_bad_argument(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cli_bad_argument(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cli->err.msg, sizeof(cli->err.msg), fmt, ap);
	va_end(ap);
	cli->err.status = 0;
	snprintf(cli->err.type, sizeof(cli->err.type), "%s",
		 HIL_ERR_BAD_ARGUMENT);
	return -EINVAL;
}

static int cli_nomem(struct cli *cli)
{
	cli->err.status = 0;
	snprintf(cli->err.type, sizeof(cli->err.type), "%s", "OutOfMemory");
	cli->err.msg[0] = '\0';
	return -ENOMEM;
}

/* Bodies. */

/* Check one argument as kind; 0 or -EINVAL with cli->err set. */
static int cli_check(struct cli *cli, const char *value, enum cli_kind kind)
{
	if (kind == CLI_TEXT)
		return 0;
	return hil_label_check(value, kind == CLI_SLASH, &cli->err);
}

static int cli_set_str(struct cli *cli, json_t *obj, const char *key,
		       const char *value)
{
	json_t *v = json_string(value);

	if (!v)
		return cli_bad_argument(cli, "value of '%s' is not UTF-8", key);
	if (json_object_set_new(obj, key, v) < 0)
		return cli_nomem(cli);
	return 0;
}

/*
 * Settings given as key=value (a string) or key:=json (any JSON value)
 * into obj; a key may appear once and never as "type".
 */
static int cli_settings(struct cli *cli, json_t *obj, char **args, int n)
{
	for (int i = 0; i < n; i++) {
		const char *a = args[i], *eq = strchr(a, '=');
		bool raw = eq && eq > a && eq[-1] == ':';
		size_t klen = eq ? (size_t)(eq - a) - raw : 0;
		char key[128];
		json_t *v;

		if (!eq || klen == 0 || klen >= sizeof(key))
			return cli_bad_argument(cli,
						"expected key=value or "
						"key:=json, not '%s'",
						a);
		memcpy(key, a, klen);
		key[klen] = '\0';
		if (strcmp(key, "type") == 0)
			return cli_bad_argument(cli, "the type is an argument, "
						     "not a setting");
		if (json_object_get(obj, key))
			return cli_bad_argument(cli, "setting '%s' given twice",
						key);
		if (raw) {
			json_error_t jerr;

			v = json_loads(eq + 1, JSON_DECODE_ANY, &jerr);
			if (!v)
				return cli_bad_argument(
					cli, "value of '%s' is not JSON: %s",
					key, jerr.text);
			if (json_object_set_new(obj, key, v) < 0)
				return cli_nomem(cli);
		} else if (cli_set_str(cli, obj, key, eq + 1) < 0) {
			return -EINVAL;
		}
	}
	return 0;
}

static bool cli_is_setting(const char *a)
{
	const char *eq = strchr(a, '=');

	return eq && eq > a;
}

/* Read a password from the first line of stdin. */
static int cli_read_password(struct cli *cli, char **ret)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	n = getline(&line, &cap, stdin);
	if (n < 0 || n > CLI_MAX_PASSWORD) {
		if (line)
			explicit_bzero(line, cap);
		free(line);
		return cli_bad_argument(cli, "could not read a password from "
					     "standard input");
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	*ret = line;
	return 0;
}

/* One call; the answer is printed as the command says. */
static int cli_call(struct cli *cli, const struct cli_cmd *cmd,
		    const char *method, json_t *body, const char *path,
		    const char *const *pargs)
{
	json_t *reply = NULL;
	int r;

	r = hil_client_call(cli->client, method, body, &reply, &cli->err, path,
			    pargs[0], pargs[1], pargs[2], pargs[3]);
	if (r < 0)
		return r;
	if (reply) {
		if (cli->opts & OPT_JSON)
			cli_print_json(reply);
		else if (cmd->print)
			cmd->print(cli, reply);
		else
			cli_print_json(reply);
	}
	json_decref(reply);
	return 0;
}

static int cli_path_args(const char *path)
{
	int n = 0;

	for (const char *p = path; p && *p; p++)
		if (p[0] == '%' && (p[1] == 'L' || p[1] == 'P'))
			n++;
		else if (p[0] == '%' && p[1] == '%')
			p++;
	return n;
}

static void cli_arg_range(const struct cli_cmd *cmd, int *ret_min, int *ret_max)
{
	int min, max;

	if (cmd->run) {
		*ret_min = cmd->min_args;
		*ret_max = cmd->max_args;
		return;
	}
	min = max = cli_path_args(cmd->path);
	for (const struct cli_field *f = cmd->fields; f && f->key; f++) {
		max++;
		if (!f->optional)
			min++;
	}
	*ret_min = min;
	*ret_max = max;
}

/* The table-driven command: path arguments, then body fields. */
static int cli_run_generic(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {NULL};
	int npath = cli_path_args(cmd->path), i = 0;
	json_t *body = NULL;
	int r = -EINVAL;

	for (; i < npath && i < CLI_MAX_PATH_ARGS; i++)
		pargs[i] = cli->args[i];
	if (cmd->fields || cmd->fixed) {
		body = cmd->fixed ? json_loads(cmd->fixed, 0, NULL)
				  : json_object();
		if (!body) {
			r = cli_nomem(cli);
			goto out;
		}
	}
	for (const struct cli_field *f = cmd->fields; f && f->key; f++) {
		if (i >= cli->nargs)
			break;
		r = cli_check(cli, cli->args[i], f->kind);
		if (r < 0)
			goto out;
		r = cli_set_str(cli, body, f->key, cli->args[i++]);
		if (r < 0)
			goto out;
	}
	r = cli_call(cli, cmd, cmd->method, body, cmd->path, pargs);
out:
	json_decref(body);
	return r;
}

/* Commands with their own logic. */

static int cli_run_node_list(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {cli->args[0]};

	if (strcmp(cli->args[0], "free") != 0 &&
	    strcmp(cli->args[0], "all") != 0)
		return cli_bad_argument(cli,
					"expected 'free' or 'all', not "
					"'%s'",
					cli->args[0]);
	return cli_call(cli, cmd, "GET", NULL, "nodes/%L", pargs);
}

static int cli_run_node_register(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {cli->args[0]};
	json_t *body = json_object(), *obm = json_object();
	bool obmd = cli->opts & OPT_OBMD;
	int r = -ENOMEM;

	if (!body || !obm) {
		cli_nomem(cli);
		goto out;
	}
	/* The original form, "<node> <obmd-uri> <admin-token>": a plugin
	 * name never contains "://". */
	if (!obmd && cli->nargs == 3 && strstr(cli->args[1], "://") &&
	    !cli_is_setting(cli->args[2]))
		obmd = true;
	if (obmd) {
		r = -EINVAL;
		if (cli->nargs != 3) {
			cli_bad_argument(cli, "--obmd takes <node> <uri> "
					      "<admin-token>");
			goto out;
		}
		r = cli_set_str(cli, obm, "uri", cli->args[1]);
		if (r == 0)
			r = cli_set_str(cli, obm, "admin_token", cli->args[2]);
		if (r < 0)
			goto out;
		r = json_object_set_new(body, "obmd", obm);
	} else {
		r = cli_check(cli, cli->args[1], CLI_LABEL);
		if (r == 0)
			r = cli_set_str(cli, obm, "type", cli->args[1]);
		if (r == 0)
			r = cli_settings(cli, obm, cli->args + 2,
					 cli->nargs - 2);
		if (r < 0)
			goto out;
		r = json_object_set_new(body, "obm", obm);
	}
	obm = NULL;
	if (r < 0) {
		r = cli_nomem(cli);
		goto out;
	}
	r = cli_call(cli, cmd, "PUT", body, "node/%L", pargs);
out:
	json_decref(obm);
	json_decref(body);
	return r;
}

/* The original CLI's positional switch settings, by type. */
static const struct {
	const char *type;
	const char *fields[4];
} cli_switch_forms[] = {
	{"mock", {"hostname", "username", "password"}},
	{"powerconnect55xx", {"hostname", "username", "password"}},
	{"nexus", {"hostname", "username", "password", "dummy_vlan"}},
	{"delln3000", {"hostname", "username", "password", "dummy_vlan"}},
	{"brocade", {"hostname", "username", "password", "interface_type"}},
	{"dellnos9", {"hostname", "username", "password", "interface_type"}},
	{"ovs", {"ovs_bridge"}},
};

static int cli_switch_positional(struct cli *cli, json_t *body)
{
	const char *type = cli->args[1];
	char **vals = cli->args + 2;
	int n = cli->nargs - 2;

	for (size_t i = 0;
	     i < sizeof(cli_switch_forms) / sizeof(cli_switch_forms[0]); i++) {
		const char *const *f = cli_switch_forms[i].fields;
		int want = 0;

		if (strcmp(type, cli_switch_forms[i].type) != 0)
			continue;
		while (want < 4 && f[want])
			want++;
		if (n != want)
			break;
		for (int k = 0; k < n; k++)
			if (cli_set_str(cli, body, f[k], vals[k]) < 0)
				return -EINVAL;
		return 0;
	}
	return cli_bad_argument(cli,
				"expected key=value settings for "
				"switch type '%s'",
				type);
}

static int cli_run_switch_register(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {cli->args[0]};
	json_t *body = json_object();
	bool settings = true;
	int r;

	if (!body)
		return cli_nomem(cli);
	for (int i = 2; i < cli->nargs; i++)
		settings = settings && cli_is_setting(cli->args[i]);
	r = cli_check(cli, cli->args[1], CLI_TEXT);
	if (r == 0)
		r = cli_set_str(cli, body, "type", cli->args[1]);
	if (r == 0)
		r = settings ? cli_settings(cli, body, cli->args + 2,
					    cli->nargs - 2)
			     : cli_switch_positional(cli, body);
	if (r == 0)
		r = cli_call(cli, cmd, "PUT", body, "switch/%L", pargs);
	json_decref(body);
	return r;
}

static int cli_run_power_cycle(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {cli->args[0]};
	json_t *body = json_pack("{sb}", "force", !!(cli->opts & OPT_FORCE));
	int r;

	if (!body)
		return cli_nomem(cli);
	r = cli_call(cli, cmd, "POST", body, "node/%L/power_cycle", pargs);
	json_decref(body);
	return r;
}

static int cli_console_write(const char *data, size_t len, void *userdata)
{
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
		return -EPIPE;
	return 0;
}

static int cli_run_console(struct cli *cli, const struct cli_cmd *cmd)
{
	return hil_client_stream(cli->client, cli_console_write, NULL,
				 &cli->err, "node/%L/console", cli->args[0]);
}

static int cli_admin_flag(struct cli *cli, const char *word, bool *ret)
{
	if (strcmp(word, "admin") == 0)
		*ret = true;
	else if (strcmp(word, "regular") == 0)
		*ret = false;
	else
		return cli_bad_argument(cli,
					"expected 'admin' or 'regular', "
					"not '%s'",
					word);
	return 0;
}

static int cli_run_user_create(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {cli->args[0]};
	char *password = NULL;
	json_t *body = NULL;
	bool admin = false;
	int r;

	r = cli_admin_flag(cli, cli->args[2], &admin);
	if (r < 0)
		return r;
	if (strcmp(cli->args[1], "-") == 0) {
		r = cli_read_password(cli, &password);
		if (r < 0)
			return r;
	}
	body = json_pack("{sssb}", "password",
			 password ? password : cli->args[1], "is_admin", admin);
	if (!body)
		r = cli_bad_argument(cli, "password is not UTF-8");
	else
		r = cli_call(cli, cmd, "PUT", body, "auth/basic/user/%L",
			     pargs);
	json_decref(body);
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return r;
}

static int cli_run_user_set_admin(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {cli->args[0]};
	json_t *body;
	bool admin = false;
	int r;

	r = cli_admin_flag(cli, cli->args[1], &admin);
	if (r < 0)
		return r;
	body = json_pack("{sb}", "is_admin", admin);
	if (!body)
		return cli_nomem(cli);
	r = cli_call(cli, cmd, "PATCH", body, "auth/basic/user/%L", pargs);
	json_decref(body);
	return r;
}

static int cli_run_network_create(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {cli->args[0]};
	const char *owner = cli->args[1], *access, *net_id;
	json_t *body;
	int r;

	/* Access defaults to the owner; an admin-owned network without an
	 * access project is public. */
	access = cli->opts & OPT_ACCESS ? cli->access : owner;
	if (!(cli->opts & OPT_ACCESS) && strcmp(owner, "admin") == 0)
		access = "";
	net_id = cli->opts & OPT_NET_ID ? cli->net_id : "";
	r = cli_check(cli, owner, CLI_LABEL);
	if (r == 0 && *access)
		r = cli_check(cli, access, CLI_LABEL);
	if (r == 0 && *net_id)
		r = cli_check(cli, net_id, CLI_SLASH);
	if (r < 0)
		return r;
	body = json_pack("{ssssss}", "owner", owner, "access", access, "net_id",
			 net_id);
	if (!body)
		return cli_nomem(cli);
	r = cli_call(cli, cmd, "PUT", body, "network/%L", pargs);
	json_decref(body);
	return r;
}

static int cli_run_attachments(struct cli *cli, const struct cli_cmd *cmd)
{
	const char *pargs[CLI_MAX_PATH_ARGS] = {cli->args[0], cli->project};

	if (cli->opts & OPT_PROJECT)
		return cli_call(cli, cmd, "GET", NULL,
				"network/%L/attachments?project=%L", pargs);
	return cli_call(cli, cmd, "GET", NULL, "network/%L/attachments", pargs);
}

/* Wait for an action to finish; an ERROR outcome is a failure. */
static int cli_wait(struct cli *cli, const char *action, long deadline_left,
		    const char *what)
{
	enum hil_action_status st;
	int r;

	r = hil_action_wait(cli->client, action, deadline_left, &st, &cli->err);
	if (r < 0)
		return r;
	if (st == HIL_ACTION_ERROR) {
		cli->err.status = 0;
		snprintf(cli->err.type, sizeof(cli->err.type), "%s",
			 "SwitchError");
		snprintf(cli->err.msg, sizeof(cli->err.msg),
			 "networking action '%s' (%s) failed", action, what);
		return -EIO;
	}
	return 0;
}

/* Detach each of a NIC's networks in turn (one action per NIC may be
 * pending), tagged ones first: some switches refuse to drop the native
 * network while tagged ones remain. */
static int cli_detach_nic(struct cli *cli, const char *node,
			  const struct hil_nic *nic, long wait_ms)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nic->n_networks; i++) {
			bool native = strcmp(nic->networks[i].key,
					     "vlan/native") == 0;
			char *id = NULL;
			int r;

			if (native != (pass == 1))
				continue;
			r = hil_node_detach_network(
				cli->client, node, nic->label,
				nic->networks[i].value, &id, &cli->err);
			if (r == 0)
				r = cli_wait(cli, id, wait_ms, nic->label);
			free(id);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * project node remove --force: disable the OBM, take every NIC off its
 * networks (revert its port when the caller may see it, else detach
 * each network), wait for all of it, then detach the node.
 */
static int cli_node_clear(struct cli *cli, const char *node)
{
	struct hil_node *n = NULL;
	char **ids = NULL;
	int r;

	r = hil_node_obm_set(cli->client, node, false, &cli->err);
	if (r < 0)
		goto out;
	r = hil_node_show(cli->client, node, &n, &cli->err);
	if (r < 0)
		goto out;
	ids = calloc(n->n_nics + 1, sizeof(*ids));
	if (!ids) {
		r = cli_nomem(cli);
		goto out;
	}
	for (size_t i = 0; i < n->n_nics; i++) {
		const struct hil_nic *nic = &n->nics[i];

		if (nic->port && nic->switch_name)
			r = hil_port_revert(cli->client, nic->switch_name,
					    nic->port, &ids[i], &cli->err);
		else
			r = cli_detach_nic(cli, node, nic, cli->wait_ms);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < n->n_nics; i++) {
		if (!ids[i])
			continue;
		r = cli_wait(cli, ids[i], cli->wait_ms, n->nics[i].label);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	for (size_t i = 0; ids && n && i < n->n_nics; i++)
		free(ids[i]);
	free(ids);
	hil_node_free(n);
	return r;
}

static int cli_run_node_remove(struct cli *cli, const struct cli_cmd *cmd)
{
	int r;

	if (cli->opts & OPT_FORCE) {
		r = cli_node_clear(cli, cli->args[1]);
		if (r < 0)
			return r;
	}
	return hil_project_detach_node(cli->client, cli->args[0], cli->args[1],
				       &cli->err);
}

/* The command table. */

#define END_FIELDS                                                             \
	{                                                                      \
		NULL, 0, false                                                 \
	}

static const struct cli_field f_macaddr[] = {
	{"macaddr", CLI_TEXT, false},
	END_FIELDS,
};
static const struct cli_field f_network_channel[] = {
	{"network", CLI_LABEL, false},
	{"channel", CLI_SLASH, true},
	END_FIELDS,
};
static const struct cli_field f_network[] = {
	{"network", CLI_LABEL, false},
	END_FIELDS,
};
static const struct cli_field f_bootdev[] = {
	{"bootdev", CLI_LABEL, false},
	END_FIELDS,
};
static const struct cli_field f_value[] = {
	{"value", CLI_TEXT, false},
	END_FIELDS,
};
static const struct cli_field f_node[] = {
	{"node", CLI_LABEL, false},
	END_FIELDS,
};
static const struct cli_field f_project[] = {
	{"project", CLI_LABEL, false},
	END_FIELDS,
};
static const struct cli_field f_node_nic[] = {
	{"node", CLI_LABEL, false},
	{"nic", CLI_LABEL, false},
	END_FIELDS,
};

#define CMD(w, u, h)	.words = (w), .usage = (u), .help = (h)
#define CALL(m, p)	.method = (m), .path = (p)
#define RUN(fn, lo, hi) .run = (fn), .min_args = (lo), .max_args = (hi)

static const struct cli_cmd cli_cmds[] = {
	/* Nodes. */
	{CMD("node list", "free|all", "list free or all nodes"),
	 RUN(cli_run_node_list, 1, 1), .print = cli_print_lines},
	{CMD("node show", "<node>", "show a node"), CALL("GET", "node/%L"),
	 .print = cli_print_node},
	{CMD("node register", "<node> <obm-type> [key=value|key:=json]...",
	     "register a node with its OBM settings"),
	 RUN(cli_run_node_register, 2, -1), .opts = OPT_OBMD},
	{CMD("node delete", "<node>", "delete a node"),
	 CALL("DELETE", "node/%L")},
	{CMD("node nic register", "<node> <nic> <mac>", "add a NIC to a node"),
	 CALL("PUT", "node/%L/nic/%L"), .fields = f_macaddr},
	{CMD("node nic delete", "<node> <nic>", "delete a NIC"),
	 CALL("DELETE", "node/%L/nic/%L")},
	{CMD("node network connect", "<node> <nic> <network> [<channel>]",
	     "connect a NIC to a network; prints the action id"),
	 CALL("POST", "node/%L/nic/%L/connect_network"),
	 .fields = f_network_channel, .print = cli_print_action_id},
	{CMD("node network detach", "<node> <nic> <network>",
	     "detach a NIC from a network; prints the action id"),
	 CALL("POST", "node/%L/nic/%L/detach_network"), .fields = f_network,
	 .print = cli_print_action_id},
	{CMD("node obm enable", "<node>", "enable a node's OBM"),
	 CALL("PUT", "node/%L/obm"), .fixed = "{\"enabled\": true}"},
	{CMD("node obm disable", "<node>", "disable a node's OBM"),
	 CALL("PUT", "node/%L/obm"), .fixed = "{\"enabled\": false}"},
	{CMD("node power on", "<node>", "power a node on"),
	 CALL("POST", "node/%L/power_on")},
	{CMD("node power off", "<node>", "power a node off"),
	 CALL("POST", "node/%L/power_off")},
	{CMD("node power cycle", "<node> [--force]",
	     "power-cycle a node (--force: hard reset)"),
	 RUN(cli_run_power_cycle, 1, 1), .opts = OPT_FORCE},
	{CMD("node power status", "<node>", "show a node's power state"),
	 CALL("GET", "node/%L/power_status"), .print = cli_print_power},
	{CMD("node bootdev", "<node> <device>",
	     "set a node's next boot device"),
	 CALL("PUT", "node/%L/boot_device"), .fields = f_bootdev},
	{CMD("node console show", "<node>",
	     "print a node's serial console as it arrives"),
	 RUN(cli_run_console, 1, 1)},
	{CMD("node metadata add", "<node> <key> <value>",
	     "set a metadata value on a node"),
	 CALL("PUT", "node/%L/metadata/%L"), .fields = f_value},
	{CMD("node metadata delete", "<node> <key>",
	     "delete a node's metadata"),
	 CALL("DELETE", "node/%L/metadata/%L")},

	/* Projects. */
	{CMD("project create", "<project>", "create a project"),
	 CALL("PUT", "project/%L")},
	{CMD("project delete", "<project>", "delete a project"),
	 CALL("DELETE", "project/%L")},
	{CMD("project list", "", "list projects"), CALL("GET", "projects"),
	 .print = cli_print_lines},
	{CMD("project list-networks", "<project>",
	     "list the networks a project may use"),
	 CALL("GET", "project/%L/networks"), .print = cli_print_lines},
	{CMD("project node list", "<project>", "list a project's nodes"),
	 CALL("GET", "project/%L/nodes"), .print = cli_print_lines},
	{CMD("project node add", "<project> <node>",
	     "add a free node to a project"),
	 CALL("POST", "project/%L/connect_node"), .fields = f_node},
	{CMD("project node remove", "<project> <node> [--force]",
	     "remove a node from a project (--force: disable its OBM and "
	     "clear its networks first)"),
	 RUN(cli_run_node_remove, 2, 2), .opts = OPT_FORCE},

	/* Networks. */
	{CMD("network create",
	     "<network> <owner> [--access <project>] [--net-id <id>]",
	     "create a network (owner 'admin': public unless --access)"),
	 RUN(cli_run_network_create, 2, 2), .opts = OPT_ACCESS | OPT_NET_ID},
	{CMD("network delete", "<network>", "delete a network"),
	 CALL("DELETE", "network/%L")},
	{CMD("network show", "<network>", "show a network"),
	 CALL("GET", "network/%L"), .print = cli_print_network},
	{CMD("network list", "", "list networks"), CALL("GET", "networks"),
	 .print = cli_print_networks},
	{CMD("network list-attachments", "<network> [--project <project>]",
	     "list the NICs on a network"),
	 RUN(cli_run_attachments, 1, 1), .opts = OPT_PROJECT,
	 .print = cli_print_attachments},
	{CMD("network grant-access", "<network> <project>",
	     "let a project use a network"),
	 CALL("PUT", "network/%L/access/%L")},
	{CMD("network revoke-access", "<network> <project>",
	     "take a network away from a project"),
	 CALL("DELETE", "network/%L/access/%L")},

	/* Switches and ports. */
	{CMD("switch register", "<switch> <type> [key=value|key:=json]...",
	     "register a switch with its driver settings"),
	 RUN(cli_run_switch_register, 2, -1)},
	{CMD("switch delete", "<switch>", "delete a switch"),
	 CALL("DELETE", "switch/%L")},
	{CMD("switch show", "<switch>", "show a switch"),
	 CALL("GET", "switch/%L"), .print = cli_print_switch},
	{CMD("switch list", "", "list switches"), CALL("GET", "switches"),
	 .print = cli_print_lines},
	{CMD("port register", "<switch> <port>", "add a port to a switch"),
	 CALL("PUT", "switch/%L/port/%P")},
	{CMD("port delete", "<switch> <port>", "delete a port"),
	 CALL("DELETE", "switch/%L/port/%P")},
	{CMD("port show", "<switch> <port>", "show a port"),
	 CALL("GET", "switch/%L/port/%P"), .print = cli_print_port},
	{CMD("port revert", "<switch> <port>",
	     "take a port off all networks; prints the action id"),
	 CALL("POST", "switch/%L/port/%P/revert"),
	 .print = cli_print_action_id},
	{CMD("port nic add", "<switch> <port> <node> <nic>",
	     "wire a port to a node's NIC"),
	 CALL("POST", "switch/%L/port/%P/connect_nic"), .fields = f_node_nic},
	{CMD("port nic remove", "<switch> <port>", "unwire a port"),
	 CALL("POST", "switch/%L/port/%P/detach_nic")},

	/* Users. */
	{CMD("user create", "<user> <password>|- admin|regular",
	     "create a user ('-': read the password from standard input)"),
	 RUN(cli_run_user_create, 3, 3)},
	{CMD("user delete", "<user>", "delete a user"),
	 CALL("DELETE", "auth/basic/user/%L")},
	{CMD("user list", "", "list users"), CALL("GET", "auth/basic/users"),
	 .print = cli_print_users},
	{CMD("user project add", "<user> <project>", "add a user to a project"),
	 CALL("POST", "auth/basic/user/%L/add_project"), .fields = f_project},
	{CMD("user project remove", "<user> <project>",
	     "remove a user from a project"),
	 CALL("POST", "auth/basic/user/%L/remove_project"),
	 .fields = f_project},
	{CMD("user set-admin", "<user> admin|regular",
	     "make a user an administrator or not"),
	 RUN(cli_run_user_set_admin, 2, 2)},

	/* Miscellaneous. */
	{CMD("networking-action show", "<id>", "show a networking action"),
	 CALL("GET", "networking_action/%L"), .print = cli_print_object},
	{CMD("obm-action show", "<id>",
	     "show an OBM operation hild answered 202 for"),
	 CALL("GET", "obm_action/%L"), .print = cli_print_object},
	{CMD("list-extensions", "", "list the server's active extensions"),
	 CALL("GET", "active_extensions"), .print = cli_print_lines},
};

#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

/* Command matching and usage. */

/* How many leading words of pos the command's name matches, or -1 when
 * its name is not fully matched. */
static int cli_match(const struct cli_cmd *cmd, char **pos, int npos, bool full)
{
	const char *w = cmd->words;
	int n = 0;

	while (*w) {
		size_t len = strcspn(w, " ");

		if (n >= npos || strlen(pos[n]) != len ||
		    strncmp(w, pos[n], len) != 0)
			return full ? -1 : n;
		n++;
		w += len;
		w += strspn(w, " ");
	}
	return n;
}

/* The commands whose names start with the first nprefix words of pos;
 * with their descriptions when a group was asked for. */
static void cli_usage(FILE *out, char **pos, int nprefix)
{
	fprintf(out, "usage: hil [--json] <command> [<arguments>]\n\n");
	for (size_t i = 0; i < CLI_NCMDS; i++) {
		const struct cli_cmd *c = &cli_cmds[i];

		if (cli_match(c, pos, nprefix, false) < nprefix)
			continue;
		fprintf(out, "  %s%s%s\n", c->words, *c->usage ? " " : "",
			c->usage);
		if (nprefix > 0)
			fprintf(out, "      %s\n", c->help);
	}
	if (nprefix == 0)
		fprintf(out,
			"\noptions: --json (print answers as JSON), --help, "
			"--version\n"
			"environment: HIL_ENDPOINT (required), HIL_USERNAME, "
			"HIL_PASSWORD, HIL_TIMEOUT,\n"
			"  HIL_AUTH=basic|munge|keystone (HIL_MUNGE_SOCKET; "
			"OS_TOKEN or OS_AUTH_URL, OS_USERNAME,\n"
			"  OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_ID, "
			"OS_PROJECT_DOMAIN_ID)\n"
			"'hil <group> --help' describes a group's commands.\n");
}

/* The longest run of leading words that names a command group. */
static int cli_group(char **pos, int npos)
{
	int best = 0;

	for (size_t i = 0; i < CLI_NCMDS; i++) {
		int n = cli_match(&cli_cmds[i], pos, npos, false);

		best = n > best ? n : best;
	}
	return best;
}

static const struct cli_option *cli_option_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(cli_options) / sizeof(cli_options[0]);
	     i++)
		if (strlen(cli_options[i].name) == len &&
		    strncmp(cli_options[i].name, name, len) == 0)
			return &cli_options[i];
	return NULL;
}

/* Split argv into options and positional words; -1 on a bad option. */
static int cli_parse(struct cli *cli, int argc, char **argv, char **pos,
		     int *ret_npos)
{
	bool only_pos = false;
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct cli_option *o;
		size_t len;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (strcmp(a, "-h") == 0) {
			cli->opts |= OPT_HELP;
			continue;
		}
		if (a[1] != '-') {
			fprintf(stderr, "hil: unknown option '%s'\n", a);
			return -1;
		}
		len = strcspn(a + 2, "=");
		o = cli_option_find(a + 2, len);
		if (!o) {
			fprintf(stderr, "hil: unknown option '%s'\n", a);
			return -1;
		}
		if (a[2 + len] == '=')
			val = a + 3 + len;
		if (o->has_value && !val) {
			if (i + 1 >= argc) {
				fprintf(stderr,
					"hil: option '--%s' needs a "
					"value\n",
					o->name);
				return -1;
			}
			val = argv[++i];
		} else if (!o->has_value && val) {
			fprintf(stderr, "hil: option '--%s' takes no value\n",
				o->name);
			return -1;
		}
		cli->opts |= o->flag;
		if (o->flag == OPT_ACCESS)
			cli->access = val;
		else if (o->flag == OPT_NET_ID)
			cli->net_id = val;
		else if (o->flag == OPT_PROJECT)
			cli->project = val;
	}
	*ret_npos = npos;
	return 0;
}

/* How requests are authenticated (HIL_AUTH). */
enum cli_auth {
	CLI_AUTH_BASIC,	   /* HIL_USERNAME, HIL_PASSWORD (or none) */
	CLI_AUTH_MUNGE,	   /* a MUNGE credential per request */
	CLI_AUTH_KEYSTONE, /* X-Auth-Token: OS_TOKEN, or one from OS_* */
};

static const struct {
	const char *name;
	enum cli_auth auth;
} cli_auths[] = {
	{"basic", CLI_AUTH_BASIC},
	{"munge", CLI_AUTH_MUNGE},
	{"keystone", CLI_AUTH_KEYSTONE},
};

/* HIL_AUTH, or else what the environment holds: HIL_USERNAME means HTTP
 * Basic, OS_TOKEN or OS_AUTH_URL Keystone.  -1 after a message. */
static int cli_auth_mode(enum cli_auth *ret)
{
	const char *mode = getenv("HIL_AUTH");

	if (!mode || !*mode) {
		const char *user = getenv("HIL_USERNAME");
		const char *token = getenv("OS_TOKEN");
		const char *url = getenv("OS_AUTH_URL");

		*ret = (!user || !*user) && ((token && *token) || (url && *url))
			       ? CLI_AUTH_KEYSTONE
			       : CLI_AUTH_BASIC;
		return 0;
	}
	for (size_t i = 0; i < sizeof(cli_auths) / sizeof(cli_auths[0]); i++)
		if (strcmp(mode, cli_auths[i].name) == 0) {
			*ret = cli_auths[i].auth;
			return 0;
		}
	fprintf(stderr,
		"hil: HIL_AUTH must be basic, munge or keystone, not "
		"'%s'\n",
		mode);
	return -1;
}

/* X-Auth-Token from OS_TOKEN, or a token Keystone gives for OS_*
 * credentials.  -1 after a message. */
static int cli_keystone(struct cli *cli)
{
	const char *token = getenv("OS_TOKEN");
	struct hil_keystone_auth a = {
		.auth_url = getenv("OS_AUTH_URL"),
		.username = getenv("OS_USERNAME"),
		.password = getenv("OS_PASSWORD"),
		.project_name = getenv("OS_PROJECT_NAME"),
		.project_id = getenv("OS_PROJECT_ID"),
		.user_domain_id = getenv("OS_USER_DOMAIN_ID"),
		.project_domain_id = getenv("OS_PROJECT_DOMAIN_ID"),
	};
	char *fetched = NULL, *line = NULL;
	int r;

	if (!token || !*token) {
		r = hil_keystone_token(&a, &fetched, &cli->err);
		if (r < 0) {
			fprintf(stderr,
				"hil: could not get a Keystone token: "
				"%s\n",
				cli->err.msg);
			return -1;
		}
		token = fetched;
	}
	r = -ENOMEM;
	if (asprintf(&line, "X-Auth-Token: %s", token) >= 0)
		r = hil_client_set_header(cli->client, line);
	if (line) {
		explicit_bzero(line, strlen(line));
		free(line);
	}
	if (fetched) {
		explicit_bzero(fetched, strlen(fetched));
		free(fetched);
	}
	if (r < 0) {
		fprintf(stderr, "hil: the Keystone token is not usable: %s\n",
			strerror(-r));
		return -1;
	}
	return 0;
}

/* Connection settings from the environment; -1 after a message. */
static int cli_connect(struct cli *cli)
{
	const char *endpoint = getenv("HIL_ENDPOINT");
	const char *user = getenv("HIL_USERNAME");
	const char *password = getenv("HIL_PASSWORD");
	const char *wait = getenv("HIL_TIMEOUT");
	long secs = CLI_DEFAULT_WAIT, request_ms;
	enum cli_auth auth;
	int r;

	if (!endpoint || !*endpoint) {
		fprintf(stderr, "hil: HIL_ENDPOINT is not set (e.g. "
				"HIL_ENDPOINT=http://127.0.0.1:5000)\n");
		return -1;
	}
	if (wait && *wait) {
		char *end;

		errno = 0;
		secs = strtol(wait, &end, 10);
		if (errno || *end || secs <= 0 || secs > CLI_MAX_WAIT) {
			fprintf(stderr,
				"hil: HIL_TIMEOUT must be a number of "
				"seconds from 1 to %d, not '%s'\n",
				CLI_MAX_WAIT, wait);
			return -1;
		}
	}
	cli->wait_ms = secs * 1000;
	if (cli_auth_mode(&auth) < 0)
		return -1;
	if (auth != CLI_AUTH_BASIC)
		user = password = NULL;
	r = hil_client_new(endpoint, user, password, &cli->client);
	if (r == -EINVAL) {
		fprintf(stderr,
			"hil: HIL_ENDPOINT must be an http or https URL "
			"without credentials, query or fragment, and "
			"HIL_USERNAME must not contain ':'\n");
		return -1;
	}
	if (r < 0) {
		fprintf(stderr, "hil: could not set up the client: %s\n",
			strerror(-r));
		return -1;
	}
	request_ms = cli->wait_ms > HIL_CLIENT_DEFAULT_TIMEOUT
			     ? cli->wait_ms
			     : HIL_CLIENT_DEFAULT_TIMEOUT;
	hil_client_set_timeout(cli->client, request_ms);
	if (auth == CLI_AUTH_MUNGE &&
	    hil_client_use_munge(cli->client, getenv("HIL_MUNGE_SOCKET")) < 0) {
		fprintf(stderr, "hil: HIL_MUNGE_SOCKET must be an absolute "
				"path\n");
		return -1;
	}
	if (auth == CLI_AUTH_KEYSTONE && cli_keystone(cli) < 0)
		return -1;
	return 0;
}

/* The name of the first option among flags. */
static const char *cli_option_name(unsigned flags)
{
	for (size_t i = 0; i < sizeof(cli_options) / sizeof(cli_options[0]);
	     i++)
		if (flags & cli_options[i].flag)
			return cli_options[i].name;
	return "?";
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	const struct cli_cmd *cmd = NULL;
	char **pos = NULL;
	int npos = 0, best = -1, group, min, max, r;
	int rc = CLI_USAGE;
	unsigned extra;

	/* A closed pipe ends the console stream with an error instead of
	 * killing the process. */
	signal(SIGPIPE, SIG_IGN);

	pos = calloc((size_t)argc + 1, sizeof(*pos));
	if (!pos) {
		fprintf(stderr, "hil: out of memory\n");
		return CLI_API_ERROR;
	}
	if (cli_parse(&cli, argc, argv, pos, &npos) < 0)
		goto usage;
	if (cli.opts & OPT_VERSION) {
		printf("hil %s\n", PACKAGE_VERSION);
		rc = CLI_OK;
		goto out;
	}
	for (size_t i = 0; i < CLI_NCMDS; i++) {
		int n = cli_match(&cli_cmds[i], pos, npos, true);

		if (n > best) {
			best = n;
			cmd = &cli_cmds[i];
		}
	}
	if (cli.opts & OPT_HELP) {
		group = cmd ? best : cli_group(pos, npos);
		cli_usage(stdout, pos, group);
		rc = CLI_OK;
		goto out;
	}
	if (!cmd) {
		group = cli_group(pos, npos);
		if (npos > 0) {
			fputs("hil: unknown command '", stderr);
			for (int i = 0; i <= group && i < npos; i++)
				fprintf(stderr, "%s%s", i ? " " : "", pos[i]);
			fputs("'\n\n", stderr);
		}
		cli_usage(stderr, pos, group);
		goto out;
	}
	cli.args = pos + best;
	cli.nargs = npos - best;
	cli_arg_range(cmd, &min, &max);
	if (cli.nargs < min || (max >= 0 && cli.nargs > max)) {
		fprintf(stderr, "usage: hil %s %s\n", cmd->words, cmd->usage);
		goto out;
	}
	extra = cli.opts & ~(unsigned)(OPT_JSON | cmd->opts);
	if (extra) {
		fprintf(stderr, "hil: option '--%s' does not apply to '%s'\n",
			cli_option_name(extra), cmd->words);
		fprintf(stderr, "usage: hil %s %s\n", cmd->words, cmd->usage);
		goto out;
	}
	if (cli_connect(&cli) < 0)
		goto out;
	r = cmd->run ? cmd->run(&cli, cmd) : cli_run_generic(&cli, cmd);
	rc = r < 0 ? cli_api_error(&cli.err) : CLI_OK;
	goto out;
usage:
	cli_usage(stderr, pos, 0);
out:
	/* Output that could not be written is a failure scripts must see. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == CLI_OK) {
		fprintf(stderr, "hil: could not write the output: %s\n",
			strerror(errno));
		rc = CLI_API_ERROR;
	}
	hil_client_free(cli.client);
	free(pos);
	return rc;
}
