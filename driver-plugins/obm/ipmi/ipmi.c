/*
 * ipmi.c - the "ipmi" OBM driver: power, boot device and serial console of
 * a node through its BMC, over IPMI 2.0 RMCP+ ("lanplus"), on the OpenIPMI
 * library (bmc.c).
 *
 * Settings (per node): host (address or name), user, password (secret),
 * port (default 623), cipher_suite (default 3: HMAC-SHA1 login, HMAC-SHA1-96
 * integrity, AES-CBC-128 encryption), privilege (user, operator or admin;
 * default admin).
 *
 * Options (hild.conf, "plugin.ipmi.<key> = value"):
 *   max_sessions        RMCP+ sessions open at once, consoles included
 *                       (default 256); past it the least recently used
 *                       idle session is closed
 *   idle_timeout        seconds an unused session stays open (default 60;
 *                       0: a session of its own for every call, closed
 *                       after it)
 *   retry_ms            retransmit interval of a request (default 1000;
 *                       OpenIPMI retransmits Chassis Control, which has
 *                       side effects, only every 5 s)
 *   bootdev_persistent  yes (default): a boot device applies to every
 *                       boot until changed; no: to the next boot only
 *
 * Operations:
 *   power on, off, reset   Chassis Control: power up, power down, hard
 *                          reset
 *   power cycle            Chassis Control power cycle when the chassis is
 *                          on; power up when it is off (a BMC ignores or
 *                          refuses a cycle of a chassis that is off)
 *   power status           Get Chassis Status: "On" or "Off"
 *   boot device            Set System Boot Options, boot flags: disk, pxe,
 *                          cdrom, bios, or none (no override); read back
 *                          with Get System Boot Options
 *   console                Serial-over-LAN on a session of its own; a
 *                          payload another session holds (a previous
 *                          hild, an operator's ipmitool) is deactivated
 *                          and taken over, once; a newer console of this
 *                          process on the same BMC ends the older one
 *
 * Host names are resolved with getaddrinfo() in the calling thread, which
 * does not honour the call's deadline; register BMCs by address.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hil/plugin.h>

#include "bmc.h"

#define IPMI_DEFAULT_PORT	  623
#define IPMI_DEFAULT_CIPHER	  3
#define IPMI_DEFAULT_MAX_SESSIONS 256
#define IPMI_MAX_MAX_SESSIONS	  4096
#define IPMI_DEFAULT_IDLE_S	  60
#define IPMI_MAX_IDLE_S		  3600
#define IPMI_DEFAULT_RETRY_MS	  1000
#define IPMI_MIN_RETRY_MS	  100
#define IPMI_MAX_RETRY_MS	  10000

/* IPMI commands (network function chassis, 0x00). */
#define IPMI_NETFN_CHASSIS	   0x00
#define IPMI_GET_CHASSIS_STATUS	   0x01
#define IPMI_CHASSIS_CONTROL	   0x02
#define IPMI_SET_BOOT_OPTIONS	   0x08
#define IPMI_GET_BOOT_OPTIONS	   0x09
#define IPMI_BOOT_PARAM_FLAGS	   5
#define IPMI_BOOT_FLAGS_VALID	   0x80
#define IPMI_BOOT_FLAGS_PERSISTENT 0x40

/* Chassis Control data byte. */
#define IPMI_CHASSIS_DOWN  0x00
#define IPMI_CHASSIS_UP	   0x01
#define IPMI_CHASSIS_CYCLE 0x02
#define IPMI_CHASSIS_RESET 0x03

static const struct hil_setting ipmi_settings[] = {
	{"host", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 1, 0,
	 "BMC address (IPv4, IPv6 or host name)"},
	{"user", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 1, 0,
	 "BMC user (at most 16 bytes)"},
	{"password", HIL_SETTING_STRING,
	 HIL_SETTING_REQUIRED | HIL_SETTING_SECRET, 1, 0,
	 "BMC password (at most 20 bytes)"},
	{"port", HIL_SETTING_INT, 0, 1, 65535, "BMC UDP port (default 623)"},
	{"cipher_suite", HIL_SETTING_INT, 0, 0, 14,
	 "IPMI 2.0 cipher suite (default 3); 0, 1, 5, 6, 10 and 14 are "
	 "refused"},
	{"privilege", HIL_SETTING_STRING, 0, 1, 0,
	 "session privilege: user, operator or admin (default admin)"},
	{NULL, 0, 0, 0, 0, NULL},
};

static const struct ipmi_privilege {
	const char *name;
	unsigned level;
} ipmi_privileges[] = {
	{"user", BMC_PRIV_USER},
	{"operator", BMC_PRIV_OPERATOR},
	{"admin", BMC_PRIV_ADMIN},
};

static const struct ipmi_power_op {
	enum hil_power_action action;
	const char *name;
	unsigned char control;
} ipmi_power_ops[] = {
	{HIL_POWER_ON, "power on", IPMI_CHASSIS_UP},
	{HIL_POWER_OFF, "power off", IPMI_CHASSIS_DOWN},
	{HIL_POWER_CYCLE, "power cycle", IPMI_CHASSIS_CYCLE},
	{HIL_POWER_RESET, "hard reset", IPMI_CHASSIS_RESET},
};

/* Boot device selectors (boot flags data 2, bits 5:2). */
static const struct ipmi_bootdev {
	const char *name;
	unsigned char selector;
} ipmi_bootdevs[] = {
	{"disk", 0x2}, {"pxe", 0x1},  {"cdrom", 0x5},
	{"bios", 0x6}, {"none", 0x0},
};

/* Completion codes that say more than "it failed". */
static const struct ipmi_cc_errno {
	unsigned char cc;
	int err;
} ipmi_cc_errnos[] = {
	{0xc0, -EBUSY},	     /* node busy */
	{0xc1, -EOPNOTSUPP}, /* invalid command */
	{0xc3, -ETIMEDOUT},  /* timeout */
	{0xd4, -EACCES},     /* insufficient privilege */
	{0xd5, -EAGAIN},     /* not supported in present state */
};

#define IPMI_N(a) (sizeof(a) / sizeof((a)[0]))

static struct {
	struct bmc_options opt;
	bool bootdev_persistent;
} ipmi = {
	.opt = {IPMI_DEFAULT_MAX_SESSIONS, IPMI_DEFAULT_IDLE_S * 1000LL,
		IPMI_DEFAULT_RETRY_MS},
	.bootdev_persistent = true,
};

/* One call's BMC: the target, its deadline, where errors go. */
struct ipmi_ctx {
	const struct hil_host *host;
	struct hil_call *call;
	struct bmc_target t;
	char addr[INET6_ADDRSTRLEN];
	char name[BMC_MAX_HOST + 16];
	long long deadline;
};

/* The address of host: itself when it is one, else the first address
 * getaddrinfo() finds. */
static int ipmi_resolve(struct ipmi_ctx *x, const char *host)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_ADDRCONFIG};
	unsigned char bin[sizeof(struct in6_addr)];
	struct addrinfo *ai = NULL;
	const void *a;
	int e;

	if (inet_pton(AF_INET, host, bin) == 1 ||
	    inet_pton(AF_INET6, host, bin) == 1) {
		snprintf(x->addr, sizeof(x->addr), "%s", host);
		return 0;
	}
	e = getaddrinfo(host, NULL, &hints, &ai);
	if (e || !ai) {
		x->host->set_error(x->call,
				   "could not resolve BMC host '%s': %s", host,
				   e ? gai_strerror(e) : "no address");
		if (ai)
			freeaddrinfo(ai);
		return -EHOSTUNREACH;
	}
	if (ai->ai_family == AF_INET6)
		a = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	else
		a = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	inet_ntop(ai->ai_family, a, x->addr, sizeof(x->addr));
	freeaddrinfo(ai);
	return 0;
}

/* Read and check the node's settings; fix the call's deadline. */
static int ipmi_ctx_init(const struct hil_host *host, struct hil_call *call,
			 struct ipmi_ctx *x)
{
	const char *h, *priv;
	char err[BMC_MAX_ERROR];
	long long port = IPMI_DEFAULT_PORT, cipher = IPMI_DEFAULT_CIPHER, left;
	size_t i;
	int r;

	memset(x, 0, sizeof(*x));
	x->host = host;
	x->call = call;
	left = host->deadline_left_ms(call);
	if (left <= 0) {
		host->set_error(call, "the deadline passed before the BMC was "
				      "contacted");
		return -ETIMEDOUT;
	}
	x->deadline = bmc_clock_ms() + left;
	h = host->setting_str(call, "host");
	x->t.user = host->setting_str(call, "user");
	x->t.password = host->setting_str(call, "password");
	if (!h || !*h || strlen(h) > BMC_MAX_HOST || !x->t.user ||
	    !x->t.password) {
		host->set_error(call, "the node's OBM settings lack a usable "
				      "host, user or password");
		return -EINVAL;
	}
	r = host->setting_int(call, "port", &port);
	if (r == 0 || r == -ENOENT)
		r = host->setting_int(call, "cipher_suite", &cipher);
	if ((r < 0 && r != -ENOENT) || port < 1 || port > 65535 || cipher < 0 ||
	    cipher > 255) {
		host->set_error(call, "BMC port or cipher suite out of range");
		return -EINVAL;
	}
	x->t.port = (unsigned)port;
	x->t.cipher_suite = (unsigned)cipher;
	x->t.privilege = BMC_PRIV_ADMIN;
	priv = host->setting_str(call, "privilege");
	if (priv) {
		for (i = 0; i < IPMI_N(ipmi_privileges); i++)
			if (strcmp(priv, ipmi_privileges[i].name) == 0)
				break;
		if (i == IPMI_N(ipmi_privileges)) {
			host->set_error(call,
					"unknown IPMI privilege '%s': "
					"user, operator or admin",
					priv);
			return -EINVAL;
		}
		x->t.privilege = ipmi_privileges[i].level;
	}
	r = ipmi_resolve(x, h);
	if (r < 0)
		return r;
	x->t.host = x->addr;
	r = bmc_target_check(&x->t, err, sizeof(err));
	if (r < 0) {
		host->set_error(call, "%s", err);
		return r;
	}
	snprintf(x->name, sizeof(x->name),
		 strchr(x->addr, ':') ? "[%s]:%u" : "%s:%u", x->addr,
		 x->t.port);
	return 0;
}

/* Send one command; a completion code other than 0 is an error naming
 * what was asked.  Returns 0 with a reply of at least min_len bytes. */
static int ipmi_run(struct ipmi_ctx *x, const struct bmc_msg *msg,
		    const char *what, size_t min_len, struct bmc_reply *reply)
{
	char err[BMC_MAX_ERROR], cc[64];
	int r;

	r = bmc_command(&x->t, x->deadline, msg, reply, err, sizeof(err));
	if (r < 0) {
		x->host->set_error(x->call, "%s", err);
		return r;
	}
	if (reply->data[0] != 0) {
		x->host->set_error(
			x->call,
			"BMC '%s' refused %s: completion code "
			"0x%02x (%s)",
			x->name, what, reply->data[0],
			bmc_cc_string(reply->data[0], cc, sizeof(cc)));
		for (size_t i = 0; i < IPMI_N(ipmi_cc_errnos); i++)
			if (ipmi_cc_errnos[i].cc == reply->data[0])
				return ipmi_cc_errnos[i].err;
		return -EIO;
	}
	if (reply->len < min_len) {
		x->host->set_error(x->call,
				   "BMC '%s' answered %s with %zu bytes, "
				   "expected %zu",
				   x->name, what, reply->len, min_len);
		return -EPROTO;
	}
	return 0;
}

/* Get Chassis Status: byte 1, bit 0 is "power is on". */
static int ipmi_get_power(struct ipmi_ctx *x, int *ret_on)
{
	const struct bmc_msg msg = {.netfn = IPMI_NETFN_CHASSIS,
				    .cmd = IPMI_GET_CHASSIS_STATUS};
	struct bmc_reply reply;
	int r;

	r = ipmi_run(x, &msg, "get chassis status", 2, &reply);
	if (r < 0)
		return r;
	*ret_on = reply.data[1] & 0x01;
	return 0;
}

static int ipmi_power(const struct hil_host *host, struct hil_call *call,
		      enum hil_power_action action)
{
	const struct ipmi_power_op *op = NULL;
	struct bmc_msg msg = {.netfn = IPMI_NETFN_CHASSIS,
			      .cmd = IPMI_CHASSIS_CONTROL,
			      .len = 1,
			      .side_effects = true};
	struct bmc_reply reply;
	struct ipmi_ctx x;
	int r, on;

	for (size_t i = 0; i < IPMI_N(ipmi_power_ops); i++)
		if (ipmi_power_ops[i].action == action)
			op = &ipmi_power_ops[i];
	if (!op) {
		host->set_error(call, "unknown power action %d", (int)action);
		return -EINVAL;
	}
	r = ipmi_ctx_init(host, call, &x);
	if (r < 0)
		return r;
	msg.data[0] = op->control;
	if (action == HIL_POWER_CYCLE) {
		r = ipmi_get_power(&x, &on);
		if (r < 0)
			return r;
		if (!on)
			msg.data[0] = IPMI_CHASSIS_UP;
	}
	return ipmi_run(&x, &msg, op->name, 1, &reply);
}

static int ipmi_power_status(const struct hil_host *host, struct hil_call *call,
			     char *buf, size_t len)
{
	struct ipmi_ctx x;
	int r, on;

	r = ipmi_ctx_init(host, call, &x);
	if (r < 0)
		return r;
	r = ipmi_get_power(&x, &on);
	if (r < 0)
		return r;
	snprintf(buf, len, "%s", on ? "On" : "Off");
	return 0;
}

static const struct ipmi_bootdev *ipmi_bootdev_find(const char *dev)
{
	for (size_t i = 0; dev && i < IPMI_N(ipmi_bootdevs); i++)
		if (strcmp(ipmi_bootdevs[i].name, dev) == 0)
			return &ipmi_bootdevs[i];
	return NULL;
}

static int ipmi_bootdev_valid(const char *dev)
{
	return ipmi_bootdev_find(dev) ? 0 : -EINVAL;
}

/* Set System Boot Options, parameter 5 (boot flags), then read it back:
 * some BMCs accept the request and keep nothing. */
static int ipmi_set_bootdev(const struct hil_host *host, struct hil_call *call,
			    const char *dev)
{
	const struct ipmi_bootdev *b = ipmi_bootdev_find(dev);
	struct bmc_msg set = {.netfn = IPMI_NETFN_CHASSIS,
			      .cmd = IPMI_SET_BOOT_OPTIONS,
			      .len = 6};
	const struct bmc_msg get = {.netfn = IPMI_NETFN_CHASSIS,
				    .cmd = IPMI_GET_BOOT_OPTIONS,
				    .data = {IPMI_BOOT_PARAM_FLAGS, 0, 0},
				    .len = 3};
	struct bmc_reply reply;
	struct ipmi_ctx x;
	unsigned got;
	int r;

	if (!b) {
		host->set_error(call, "unknown boot device '%s'",
				dev ? dev : "");
		return -EINVAL;
	}
	r = ipmi_ctx_init(host, call, &x);
	if (r < 0)
		return r;
	set.data[0] = IPMI_BOOT_PARAM_FLAGS;
	set.data[1] =
		IPMI_BOOT_FLAGS_VALID |
		(ipmi.bootdev_persistent ? IPMI_BOOT_FLAGS_PERSISTENT : 0);
	set.data[2] = (unsigned char)(b->selector << 2);
	r = ipmi_run(&x, &set, "set boot device", 1, &reply);
	if (r < 0)
		return r;
	/* cc, parameter version, parameter, flags data 1, data 2, ... */
	r = ipmi_run(&x, &get, "get boot device", 5, &reply);
	if (r < 0)
		return r;
	got = (reply.data[4] >> 2) & 0x0f;
	if (got != b->selector) {
		host->set_error(call,
				"BMC '%s' did not keep boot device '%s': it "
				"reports selector 0x%x",
				x.name, dev, got);
		return -EIO;
	}
	return 0;
}

/* The serial console. */

struct ipmi_console {
	const struct hil_host *host;
	struct bmc_console *bc;
};

static int ipmi_console_open(const struct hil_host *host, struct hil_call *call,
			     void **ret_console)
{
	struct ipmi_console *c;
	char err[BMC_MAX_ERROR];
	struct ipmi_ctx x;
	int r;

	r = ipmi_ctx_init(host, call, &x);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->host = host;
	r = bmc_console_open(&x.t, x.deadline, &c->bc, err, sizeof(err));
	if (r < 0) {
		host->set_error(call, "%s", err);
		free(c);
		return r;
	}
	*ret_console = c;
	return 0;
}

static long ipmi_console_read(void *console, struct hil_call *call, char *buf,
			      size_t len)
{
	struct ipmi_console *c = console;
	char err[BMC_MAX_ERROR];
	long long left = c->host->deadline_left_ms(call);
	long n;

	if (left < 0)
		left = 0;
	n = bmc_console_read(c->bc, bmc_clock_ms() + left, buf, len, err,
			     sizeof(err));
	if (n < 0)
		c->host->set_error(call, "%s", err);
	return n;
}

static void ipmi_console_close(void *console)
{
	struct ipmi_console *c = console;

	if (!c)
		return;
	bmc_console_close(c->bc);
	free(c);
}

/* Plugin-wide options. */

static int ipmi_option_int(const struct hil_host *host, const char *key,
			   long long min, long long max, long long *ret)
{
	const char *v = host->option("ipmi", key);
	char *end;
	long long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max) {
		host->log(HIL_LOG_ERR,
			  "ipmi: option '%s' must be %lld..%lld, not '%s'", key,
			  min, max, v);
		return -EINVAL;
	}
	*ret = n;
	return 0;
}

static int ipmi_option_bool(const struct hil_host *host, const char *key,
			    bool *ret)
{
	const char *v = host->option("ipmi", key);

	if (!v)
		return 0;
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0) {
		*ret = true;
		return 0;
	}
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0) {
		*ret = false;
		return 0;
	}
	host->log(HIL_LOG_ERR, "ipmi: option '%s' must be yes or no, not '%s'",
		  key, v);
	return -EINVAL;
}

/* Read the options, start OpenIPMI and its pump thread. */
static int ipmi_plugin_init(const struct hil_host *host)
{
	long long max = IPMI_DEFAULT_MAX_SESSIONS, idle = IPMI_DEFAULT_IDLE_S,
		  retry = IPMI_DEFAULT_RETRY_MS;
	bool persistent = true;
	int r;

	r = ipmi_option_int(host, "max_sessions", 1, IPMI_MAX_MAX_SESSIONS,
			    &max);
	if (r == 0)
		r = ipmi_option_int(host, "idle_timeout", 0, IPMI_MAX_IDLE_S,
				    &idle);
	if (r == 0)
		r = ipmi_option_int(host, "retry_ms", IPMI_MIN_RETRY_MS,
				    IPMI_MAX_RETRY_MS, &retry);
	if (r == 0)
		r = ipmi_option_bool(host, "bootdev_persistent", &persistent);
	if (r < 0)
		return r;
	ipmi.opt.max_sessions = (unsigned)max;
	ipmi.opt.idle_ms = idle * 1000;
	ipmi.opt.retry_ms = (unsigned)retry;
	ipmi.bootdev_persistent = persistent;
	r = bmc_start(host, &ipmi.opt);
	if (r < 0)
		host->log(HIL_LOG_ERR, "ipmi: could not start OpenIPMI: %s",
			  strerror(-r));
	return r;
}

static void ipmi_plugin_fini(void)
{
	bmc_stop();
}

static const struct hil_obm_ops ipmi_ops = {
	.size = sizeof(struct hil_obm_ops),
	.settings = ipmi_settings,
	.power = ipmi_power,
	.power_status = ipmi_power_status,
	.bootdev_valid = ipmi_bootdev_valid,
	.set_bootdev = ipmi_set_bootdev,
	.console_open = ipmi_console_open,
	.console_read = ipmi_console_read,
	.console_close = ipmi_console_close,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_OBM,
	.name = "ipmi",
	.description = "IPMI 2.0 (RMCP+) BMCs through OpenIPMI: power, boot "
		       "device, serial console",
	.init = ipmi_plugin_init,
	.fini = ipmi_plugin_fini,
	.obm_ops = &ipmi_ops,
};
