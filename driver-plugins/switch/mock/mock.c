/*
 * mock.c - the in-memory switch driver, and the template for real ones.
 *
 * Copy this file to start a switch driver.  Everything a driver does is
 * here in its simplest form: declare settings as a table, read plugin-wide
 * options once in init, validate port names without touching the switch,
 * open a session from the call's settings, change and read back ports,
 * honour the call's deadline, say why a call failed with set_error, and
 * release everything in session_close even when it fails.  A real driver
 * replaces the map below with its protocol (SSH CLI, REST, OVSDB, ...).
 *
 * The "switch" is a map hostname -> port -> channel -> VLAN shared by all
 * sessions, so that hild's API, engine and tests can see what a real
 * switch would hold.  Channels are "vlan/native", "vlan/<id>", or "null"
 * (the null network allocator's only channel); the VLAN is kept as the
 * text hild sends.
 *
 * Test knobs, plugin options in hild.conf (plugin.mock.<key> = value):
 *   fail_host = <hostname>  session_open to that switch fails (refused)
 *   fail_port = <port>      set_port and revert_port on that port fail
 *   delay_ms = <0..60000>   set_port and revert_port take that long (or
 *                           stop at the deadline with -ETIMEDOUT)
 *   delay_host = <hostname> only that switch is slow (default: all)
 *   hold_file = <abs. path> while that file exists, set_port and
 *                           revert_port wait (up to the deadline), before
 *                           delay_ms; only on delay_host when it is set.
 *                           Tests hold a change in flight for as long as
 *                           they need, whatever the machine's speed
 *   native_first = yes      declare no capabilities (no
 *                           "nativeless-trunk-mode")
 *   commit = yes            set_port and revert_port only queue, and
 *                           session_commit applies the queue at once
 *                           (as the ovs driver does: one transaction)
 *   fail_commit = <port>    with commit = yes, a commit that changes that
 *                           port fails and applies nothing
 *   journal = <abs. path>   append one line per session and operation,
 *                           so tests can count sessions (batching) and
 *                           see the order of changes
 *   state_file = <abs. path> keep the map in that file instead of memory
 *                           alone, as a real switch keeps its config
 *                           whatever happens to hild: it survives a
 *                           restart, and hild processes that name the
 *                           same file share one set of switches (the
 *                           file is read and rewritten under a lock on
 *                           "<path>.lock" at every call)
 *
 * Journal lines: "open HOST ID", "set HOST PORT CHANNEL VLAN|-",
 * "revert HOST PORT", "commit HOST N" (after the N changes it applied),
 * "close HOST ID save|nosave".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <hil/plugin.h>

/* Named limits: the mock holds what clients send, so bound it. */
#define MOCK_MAX_SWITCHES 1024 /* distinct hostnames */
#define MOCK_MAX_PORTS	  4096 /* ports of one switch */
#define MOCK_MAX_CHANNELS 4096 /* channels on one port */
#define MOCK_MAX_PORT	  32   /* bytes of a port name */
#define MOCK_MAX_CHANNEL  40   /* bytes of a channel */
#define MOCK_MAX_VLAN	  64   /* bytes of a VLAN (network id) */
#define MOCK_MAX_HOST	  255  /* bytes of a hostname */
#define MOCK_MAX_DELAY_MS 60000
#define MOCK_MAX_QUEUE	  4096 /* changes queued for one commit */

/* The settings an admin gives when registering a mock switch, as the
 * original HIL's mock switch took them.  hild validates them against this
 * table before a call reaches the driver. */
static const struct hil_setting mock_settings[] = {
	{"hostname", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 0, 0,
	 "host name or address of the switch"},
	{"username", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 0, 0,
	 "user to log in as"},
	{"password", HIL_SETTING_STRING,
	 HIL_SETTING_REQUIRED | HIL_SETTING_SECRET, 0, 0,
	 "password of that user; never shown"},
	{NULL, 0, 0, 0, 0, NULL},
};

/* Not const: the native_first knob empties it in init. */
static const char *mock_capabilities[] = {"nativeless-trunk-mode", NULL};

struct mock_channel {
	char channel[MOCK_MAX_CHANNEL + 1];
	char vlan[MOCK_MAX_VLAN + 1];
};

struct mock_port {
	char name[MOCK_MAX_PORT + 1];
	struct mock_channel *channels; /* sorted by channel */
	size_t nchannels;
};

struct mock_switch {
	struct mock_switch *next;
	char *hostname;
	struct mock_port *ports;
	size_t nports;
	unsigned long sessions; /* opened so far */
	unsigned long saves;	/* sessions closed with save */
};

/* A change queued for the next commit (commit = yes): set or clear a
 * channel, or revert the port (channel empty). */
struct mock_change {
	char port[MOCK_MAX_PORT + 1];
	char channel[MOCK_MAX_CHANNEL + 1];
	char vlan[MOCK_MAX_VLAN + 1]; /* "" clears the channel */
};

struct mock_session {
	struct mock_switch *sw; /* lives until fini */
	unsigned long id;
	struct mock_change *queue;
	size_t nqueued;
};

static struct hil_switch_ops mock_ops;

/* The host table, kept from init for the functions that are not given it. */
static const struct hil_host *mock_host;

/* Options, read once in init. */
static char *mock_fail_host;
static char *mock_fail_port;
static char *mock_fail_commit;
static long long mock_delay_ms;
static char *mock_delay_host;
static char *mock_hold_file;
static int mock_journal_fd = -1;
static char *mock_state_path;
static int mock_state_lock_fd = -1;

/* Sessions run on many threads at once; one lock guards the map and the
 * journal.  Never held while sleeping or calling back into hild. */
static pthread_mutex_t mock_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mock_switch *mock_switches;
static size_t mock_nswitches;

/* "^(gi|te)\d+/\d+(/\d+)?$": two or three slash-separated numbers.  A
 * driver checks the syntax only; whether the port exists is the switch's
 * business, found out when a call reaches it. */
static int mock_port_valid(const char *port)
{
	const char *p;
	int groups = 0;

	if (!port || strnlen(port, MOCK_MAX_PORT + 1) > MOCK_MAX_PORT)
		return -EINVAL;
	if (strncmp(port, "gi", 2) != 0 && strncmp(port, "te", 2) != 0)
		return -EINVAL;
	p = port + 2;
	for (;;) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
		groups++;
		if (*p == '\0')
			break;
		if (*p != '/' || groups == 3)
			return -EINVAL;
		p++;
	}
	return groups >= 2 ? 0 : -EINVAL;
}

/* A real driver parses the VLAN id here (1..4094) and refuses anything
 * else; the mock also serves the null allocator, whose ids are opaque. */
static bool mock_token_valid(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (n == max || s[n] <= ' ' || s[n] > '~')
			return false;
	return n > 0;
}

static bool mock_channel_valid(const char *channel)
{
	if (!channel ||
	    strnlen(channel, MOCK_MAX_CHANNEL + 1) > MOCK_MAX_CHANNEL)
		return false;
	if (strcmp(channel, "null") == 0 || strcmp(channel, "vlan/native") == 0)
		return true;
	return strncmp(channel, "vlan/", 5) == 0 &&
	       mock_token_valid(channel + 5, MOCK_MAX_CHANNEL);
}

/* Append one line to the journal, if there is one.  Caller holds the
 * lock, which keeps lines whole and in the order changes happened. */
__attribute__((format(printf, 1, 2))) static void mock_journal(const char *fmt,
							       ...)
{
	char line[512];
	va_list ap;
	int n;

	if (mock_journal_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(mock_journal_fd, line, (size_t)n) != n)
		mock_host->log(HIL_LOG_WARNING,
			       "mock switch: could not write the journal");
}

static struct mock_switch *mock_switch_get(const char *hostname)
{
	struct mock_switch *sw;

	for (sw = mock_switches; sw; sw = sw->next)
		if (strcmp(sw->hostname, hostname) == 0)
			return sw;
	if (mock_nswitches == MOCK_MAX_SWITCHES)
		return NULL;
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return NULL;
	sw->hostname = strdup(hostname);
	if (!sw->hostname) {
		free(sw);
		return NULL;
	}
	sw->next = mock_switches;
	mock_switches = sw;
	mock_nswitches++;
	return sw;
}

/* The port, created when create is set; NULL if absent or no room. */
static struct mock_port *mock_port_get(struct mock_switch *sw, const char *name,
				       bool create)
{
	struct mock_port *ports;

	for (size_t i = 0; i < sw->nports; i++)
		if (strcmp(sw->ports[i].name, name) == 0)
			return &sw->ports[i];
	if (!create || sw->nports == MOCK_MAX_PORTS)
		return NULL;
	ports = realloc(sw->ports, (sw->nports + 1) * sizeof(*ports));
	if (!ports)
		return NULL;
	sw->ports = ports;
	ports = &sw->ports[sw->nports++];
	*ports = (struct mock_port){0};
	snprintf(ports->name, sizeof(ports->name), "%s", name);
	return ports;
}

/* Set (vlan != NULL) or clear the channel of a port.  Caller holds the
 * lock.  0, -ENOMEM, or -ENOSPC. */
static int mock_port_set(struct mock_port *port, const char *channel,
			 const char *vlan)
{
	struct mock_channel *chs;
	size_t i;
	int cmp = 1;

	for (i = 0; i < port->nchannels; i++) {
		cmp = strcmp(port->channels[i].channel, channel);
		if (cmp >= 0)
			break;
	}
	if (i < port->nchannels && cmp == 0) {
		if (vlan)
			snprintf(port->channels[i].vlan,
				 sizeof(port->channels[i].vlan), "%s", vlan);
		else {
			port->nchannels--;
			memmove(&port->channels[i], &port->channels[i + 1],
				(port->nchannels - i) * sizeof(*chs));
		}
		return 0;
	}
	if (!vlan)
		return 0; /* already off: set_port is idempotent */
	if (port->nchannels == MOCK_MAX_CHANNELS)
		return -ENOSPC;
	chs = realloc(port->channels, (port->nchannels + 1) * sizeof(*chs));
	if (!chs)
		return -ENOMEM;
	port->channels = chs;
	memmove(&chs[i + 1], &chs[i], (port->nchannels - i) * sizeof(*chs));
	port->nchannels++;
	snprintf(chs[i].channel, sizeof(chs[i].channel), "%s", channel);
	snprintf(chs[i].vlan, sizeof(chs[i].vlan), "%s", vlan);
	return 0;
}

/* Forget every port of every switch (they are about to be read again). */
static void mock_map_clear(void)
{
	for (struct mock_switch *sw = mock_switches; sw; sw = sw->next) {
		for (size_t i = 0; i < sw->nports; i++)
			free(sw->ports[i].channels);
		free(sw->ports);
		sw->ports = NULL;
		sw->nports = 0;
	}
}

/* Read the state file over the map: one "host port channel vlan" line
 * per channel, tab-separated.  A missing file is an empty switch.  Caller
 * holds the lock and the file's lock.  0 or a negative errno. */
static int mock_state_load(void)
{
	char line[MOCK_MAX_HOST + MOCK_MAX_PORT + MOCK_MAX_CHANNEL +
		  MOCK_MAX_VLAN + 8];
	struct mock_switch *sw;
	struct mock_port *p;
	FILE *f;
	int r = 0;

	mock_map_clear();
	f = fopen(mock_state_path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && fgets(line, sizeof(line), f)) {
		char *save = NULL, *host, *port, *channel, *vlan;

		line[strcspn(line, "\n")] = '\0';
		host = strtok_r(line, "\t", &save);
		port = strtok_r(NULL, "\t", &save);
		channel = strtok_r(NULL, "\t", &save);
		vlan = strtok_r(NULL, "\t", &save);
		if (!vlan || mock_port_valid(port) < 0 ||
		    !mock_channel_valid(channel)) {
			r = -EBADMSG;
			break;
		}
		sw = mock_switch_get(host);
		p = sw ? mock_port_get(sw, port, true) : NULL;
		r = p ? mock_port_set(p, channel, vlan) : -ENOSPC;
	}
	fclose(f);
	return r;
}

/* Write the map to the state file, whole, in one rename.  Caller holds
 * the lock and the file's lock. */
static int mock_state_save(void)
{
	char tmp[4096];
	FILE *f;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", mock_state_path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	for (struct mock_switch *sw = mock_switches; sw; sw = sw->next)
		for (size_t i = 0; i < sw->nports; i++)
			for (size_t j = 0; j < sw->ports[i].nchannels; j++)
				fprintf(f, "%s\t%s\t%s\t%s\n", sw->hostname,
					sw->ports[i].name,
					sw->ports[i].channels[j].channel,
					sw->ports[i].channels[j].vlan);
	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	if (r == 0 && rename(tmp, mock_state_path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* With a state file, every call sees what the file holds: take its lock
 * and read it.  Caller holds the lock. */
static int mock_state_begin(struct hil_call *call)
{
	int r;

	if (!mock_state_path)
		return 0;
	while (flock(mock_state_lock_fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			r = -errno;
			goto fail;
		}
	r = mock_state_load();
	if (r == 0)
		return 0;
	flock(mock_state_lock_fd, LOCK_UN);
fail:
	mock_host->set_error(call, "could not read the switch state: %s",
			     strerror(-r));
	return r;
}

/* Write what changed back (save), and let the file go. */
static int mock_state_end(struct hil_call *call, bool save)
{
	int r = 0;

	if (!mock_state_path)
		return 0;
	if (save)
		r = mock_state_save();
	flock(mock_state_lock_fd, LOCK_UN);
	if (r < 0)
		mock_host->set_error(call,
				     "could not write the switch state: %s",
				     strerror(-r));
	return r;
}

/*
 * Stand in for the time a real switch takes.  Every wait in a driver is
 * bounded by the call's deadline: past it, give up with -ETIMEDOUT and
 * leave the switch as it was if you can.
 */
static int mock_delay(const struct mock_session *s, struct hil_call *call,
		      const char *port)
{
	bool slow = !mock_delay_host ||
		    strcmp(mock_delay_host, s->sw->hostname) == 0;
	long long left, ms = slow ? mock_delay_ms : 0;
	struct timespec ts;

	while (slow && mock_hold_file && access(mock_hold_file, F_OK) == 0 &&
	       mock_host->deadline_left_ms(call) > 0) {
		ts = (struct timespec){.tv_nsec = 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	left = mock_host->deadline_left_ms(call);
	if (ms > left)
		ms = left;
	if (ms > 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (mock_host->deadline_left_ms(call) <= 0) {
		mock_host->set_error(call, "timed out changing port '%s'",
				     port);
		return -ETIMEDOUT;
	}
	return 0;
}

/* The fault a test asked for, if it concerns this port. */
static int mock_injected(struct hil_call *call, const char *port)
{
	if (mock_fail_port && strcmp(mock_fail_port, port) == 0) {
		mock_host->set_error(
			call, "port '%s' failed (injected failure)", port);
		return -EIO;
	}
	return 0;
}

static int mock_session_open(const struct hil_host *host, struct hil_call *call,
			     void **ret_session)
{
	struct mock_session *s;
	struct mock_switch *sw;
	const char *hostname;

	if (host->deadline_left_ms(call) <= 0) {
		host->set_error(call, "timed out before connecting");
		return -ETIMEDOUT;
	}
	/* hild validated the settings against mock_settings, so a required
	 * string is there; check anyway, a driver never trusts a pointer. */
	hostname = host->setting_str(call, "hostname");
	if (!hostname || !*hostname ||
	    strnlen(hostname, MOCK_MAX_HOST + 1) > MOCK_MAX_HOST) {
		host->set_error(call, "the switch has no valid hostname");
		return -EINVAL;
	}
	/* The state file is tab-separated, one line per channel. */
	if (mock_state_path && !mock_token_valid(hostname, MOCK_MAX_HOST)) {
		host->set_error(call, "the switch has no valid hostname");
		return -EINVAL;
	}
	if (mock_fail_host && strcmp(mock_fail_host, hostname) == 0) {
		host->set_error(call,
				"could not connect to '%s': connection "
				"refused (injected failure)",
				hostname);
		return -ECONNREFUSED;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_lock(&mock_lock);
	sw = mock_switch_get(hostname);
	if (sw) {
		s->sw = sw;
		s->id = ++sw->sessions;
		mock_journal("open %s %lu", hostname, s->id);
	}
	pthread_mutex_unlock(&mock_lock);
	if (!sw) {
		free(s);
		host->set_error(call, "too many mock switches");
		return -ENOSPC;
	}
	host->log(HIL_LOG_DEBUG, "mock switch '%s': session %lu opened",
		  hostname, s->id);
	*ret_session = s;
	return 0;
}

/* Set or clear a channel of the port.  Caller holds the lock. */
static int mock_apply_set(struct mock_session *s, struct hil_call *call,
			  const char *port, const char *channel,
			  const char *vlan)
{
	struct mock_port *p;
	int r;

	/* Taking a channel off a port the switch never saw changes nothing;
	 * a port is created only to put something on it. */
	p = mock_port_get(s->sw, port, vlan != NULL);
	if (p)
		r = mock_port_set(p, channel, vlan);
	else
		r = vlan ? -ENOSPC : 0;
	if (r < 0)
		mock_host->set_error(call, "could not set port '%s': %s", port,
				     r == -ENOMEM ? "out of memory"
						  : "too many entries");
	return r;
}

/* Take every channel off the port.  Caller holds the lock. */
static void mock_apply_revert(struct mock_session *s, const char *port)
{
	struct mock_port *p = mock_port_get(s->sw, port, false);

	if (p) {
		free(p->channels);
		p->channels = NULL;
		p->nchannels = 0;
	}
}

/* commit = yes: queue the change (channel "" reverts the port). */
static int mock_queue(struct mock_session *s, struct hil_call *call,
		      const char *port, const char *channel, const char *vlan)
{
	struct mock_change *q;

	if (s->nqueued == MOCK_MAX_QUEUE) {
		mock_host->set_error(call, "more than %d changes queued",
				     MOCK_MAX_QUEUE);
		return -ENOSPC;
	}
	q = realloc(s->queue, (s->nqueued + 1) * sizeof(*q));
	if (!q) {
		mock_host->set_error(call, "out of memory");
		return -ENOMEM;
	}
	s->queue = q;
	q = &s->queue[s->nqueued++];
	snprintf(q->port, sizeof(q->port), "%s", port);
	snprintf(q->channel, sizeof(q->channel), "%s", channel);
	snprintf(q->vlan, sizeof(q->vlan), "%s", vlan ? vlan : "");
	return 0;
}

/* Apply the queue at once: under the lock, and with a state file in one
 * read and one write, so no other session sees half of it.  A failure
 * leaves the switch as it was. */
static int mock_session_commit(void *session, struct hil_call *call)
{
	struct mock_session *s = session;
	size_t n = s->nqueued;
	int r = 0;

	s->nqueued = 0;
	for (size_t i = 0; i < n; i++)
		if (mock_fail_commit &&
		    strcmp(mock_fail_commit, s->queue[i].port) == 0) {
			mock_host->set_error(call,
					     "commit with port '%s' failed "
					     "(injected failure)",
					     s->queue[i].port);
			return -EIO;
		}
	if (n == 0)
		return 0;
	pthread_mutex_lock(&mock_lock);
	r = mock_state_begin(call);
	if (r < 0) {
		pthread_mutex_unlock(&mock_lock);
		return r;
	}
	/* Without a state file, a failure halfway (out of memory) leaves
	 * part of the queue applied; the mock does not undo it. */
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct mock_change *q = &s->queue[i];

		if (q->channel[0])
			r = mock_apply_set(s, call, q->port, q->channel,
					   q->vlan[0] ? q->vlan : NULL);
		else
			mock_apply_revert(s, q->port);
	}
	if (mock_state_end(call, r == 0) < 0 && r == 0)
		r = -EIO;
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct mock_change *q = &s->queue[i];

		if (q->channel[0])
			mock_journal("set %s %s %s %s", s->sw->hostname,
				     q->port, q->channel,
				     q->vlan[0] ? q->vlan : "-");
		else
			mock_journal("revert %s %s", s->sw->hostname, q->port);
	}
	if (r == 0)
		mock_journal("commit %s %zu", s->sw->hostname, n);
	pthread_mutex_unlock(&mock_lock);
	return r;
}

static int mock_set_port(void *session, struct hil_call *call, const char *port,
			 const char *channel, const char *vlan)
{
	struct mock_session *s = session;
	int r;

	if (mock_port_valid(port) < 0 || !mock_channel_valid(channel) ||
	    (vlan && !mock_token_valid(vlan, MOCK_MAX_VLAN))) {
		mock_host->set_error(call, "invalid port, channel or vlan");
		return -EINVAL;
	}
	r = mock_delay(s, call, port);
	if (r < 0)
		return r;
	r = mock_injected(call, port);
	if (r < 0)
		return r;

	if (mock_ops.session_commit)
		return mock_queue(s, call, port, channel, vlan);

	pthread_mutex_lock(&mock_lock);
	r = mock_state_begin(call);
	if (r < 0) {
		pthread_mutex_unlock(&mock_lock);
		return r;
	}
	r = mock_apply_set(s, call, port, channel, vlan);
	if (mock_state_end(call, r == 0) < 0 && r == 0)
		r = -EIO;
	if (r == 0)
		mock_journal("set %s %s %s %s", s->sw->hostname, port, channel,
			     vlan ? vlan : "-");
	pthread_mutex_unlock(&mock_lock);
	return r;
}

static int mock_revert_port(void *session, struct hil_call *call,
			    const char *port)
{
	struct mock_session *s = session;
	int r;

	if (mock_port_valid(port) < 0) {
		mock_host->set_error(call, "invalid port");
		return -EINVAL;
	}
	r = mock_delay(s, call, port);
	if (r < 0)
		return r;
	r = mock_injected(call, port);
	if (r < 0)
		return r;

	if (mock_ops.session_commit)
		return mock_queue(s, call, port, "", NULL);

	pthread_mutex_lock(&mock_lock);
	r = mock_state_begin(call);
	if (r < 0) {
		pthread_mutex_unlock(&mock_lock);
		return r;
	}
	mock_apply_revert(s, port);
	r = mock_state_end(call, true) < 0 ? -EIO : 0;
	if (r == 0)
		mock_journal("revert %s %s", s->sw->hostname, port);
	pthread_mutex_unlock(&mock_lock);
	return r;
}

/* Copy the port out under the lock, then call the sink without it: the
 * sink is hild's code, and a lock is never held across someone else's. */
static int mock_get_port(void *session, struct hil_call *call, const char *port,
			 void (*sink)(void *arg, const char *channel,
				      const char *vlan),
			 void *arg)
{
	struct mock_session *s = session;
	struct mock_channel *copy = NULL;
	struct mock_port *p;
	size_t n;

	if (mock_port_valid(port) < 0 || !sink) {
		mock_host->set_error(call, "invalid port");
		return -EINVAL;
	}
	pthread_mutex_lock(&mock_lock);
	if (mock_state_begin(call) < 0) {
		pthread_mutex_unlock(&mock_lock);
		return -EIO;
	}
	/* A port the switch never saw carries nothing. */
	p = mock_port_get(s->sw, port, false);
	n = p ? p->nchannels : 0;
	copy = n ? malloc(n * sizeof(*copy)) : NULL;
	if (copy)
		memcpy(copy, p->channels, n * sizeof(*copy));
	mock_state_end(call, false);
	pthread_mutex_unlock(&mock_lock);
	if (n && !copy) {
		mock_host->set_error(call, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		sink(arg, copy[i].channel, copy[i].vlan);
	free(copy);
	return 0;
}

static int mock_session_close(void *session, struct hil_call *call, int save)
{
	struct mock_session *s = session;

	if (!s)
		return 0;
	pthread_mutex_lock(&mock_lock);
	if (save)
		s->sw->saves++;
	mock_journal("close %s %lu %s", s->sw->hostname, s->id,
		     save ? "save" : "nosave");
	pthread_mutex_unlock(&mock_lock);
	free(s->queue);
	free(s);
	return 0;
}

/* Options: parse them all in init and refuse to start on a bad one,
 * rather than discover it in the middle of an operation. */
static int mock_option_str(const char *key, char **ret)
{
	const char *v = mock_host->option("mock", key);

	if (!v)
		return 0;
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

static int mock_init(const struct hil_host *host)
{
	const char *v;
	char *end;
	int r;

	mock_host = host;
	/* Like brocade and dellnos9, which need a native network on a port
	 * before tagged ones; hild enforces that for such drivers. */
	v = host->option("mock", "native_first");
	mock_capabilities[0] =
		v && strcmp(v, "yes") == 0 ? NULL : "nativeless-trunk-mode";
	r = mock_option_str("fail_host", &mock_fail_host);
	if (r == 0)
		r = mock_option_str("fail_port", &mock_fail_port);
	if (r == 0)
		r = mock_option_str("delay_host", &mock_delay_host);
	if (r == 0)
		r = mock_option_str("hold_file", &mock_hold_file);
	if (r == 0)
		r = mock_option_str("fail_commit", &mock_fail_commit);
	if (r < 0)
		return r;
	/* hild reads the ops table again after init. */
	v = host->option("mock", "commit");
	mock_ops.session_commit =
		v && strcmp(v, "yes") == 0 ? mock_session_commit : NULL;

	v = host->option("mock", "delay_ms");
	if (v) {
		errno = 0;
		mock_delay_ms = strtoll(v, &end, 10);
		if (errno || end == v || *end || mock_delay_ms < 0 ||
		    mock_delay_ms > MOCK_MAX_DELAY_MS) {
			host->log(HIL_LOG_ERR,
				  "mock switch: option 'delay_ms' must be "
				  "0..%d, not '%s'",
				  MOCK_MAX_DELAY_MS, v);
			return -EINVAL;
		}
	}

	v = host->option("mock", "journal");
	if (v) {
		if (v[0] != '/') {
			host->log(HIL_LOG_ERR,
				  "mock switch: option 'journal' must be an "
				  "absolute path, not '%s'",
				  v);
			return -EINVAL;
		}
		mock_journal_fd = open(v,
				       O_WRONLY | O_APPEND | O_CREAT |
					       O_CLOEXEC | O_NOFOLLOW,
				       0600);
		if (mock_journal_fd < 0) {
			r = -errno;
			host->log(HIL_LOG_ERR,
				  "mock switch: could not open journal '%s': "
				  "%s",
				  v, strerror(errno));
			return r;
		}
	}

	v = host->option("mock", "state_file");
	if (v) {
		char lock[4096];

		if (v[0] != '/' || snprintf(lock, sizeof(lock), "%s.lock", v) >=
					   (int)sizeof(lock)) {
			host->log(HIL_LOG_ERR,
				  "mock switch: option 'state_file' must be "
				  "an absolute path, not '%s'",
				  v);
			return -EINVAL;
		}
		mock_state_lock_fd = open(
			lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (mock_state_lock_fd < 0) {
			r = -errno;
			host->log(HIL_LOG_ERR,
				  "mock switch: could not open '%s': %s", lock,
				  strerror(errno));
			return r;
		}
		mock_state_path = strdup(v);
		if (!mock_state_path)
			return -ENOMEM;
	}
	return 0;
}

/* Unloading returns the map; hild calls fini once, after its threads. */
static void mock_fini(void)
{
	struct mock_switch *sw;

	while ((sw = mock_switches)) {
		mock_switches = sw->next;
		for (size_t i = 0; i < sw->nports; i++)
			free(sw->ports[i].channels);
		free(sw->ports);
		free(sw->hostname);
		free(sw);
	}
	mock_nswitches = 0;
	free(mock_fail_host);
	free(mock_fail_port);
	free(mock_delay_host);
	free(mock_hold_file);
	free(mock_fail_commit);
	mock_fail_host = mock_fail_port = mock_delay_host = NULL;
	mock_fail_commit = mock_hold_file = NULL;
	mock_ops.session_commit = NULL;
	mock_delay_ms = 0;
	if (mock_journal_fd >= 0)
		close(mock_journal_fd);
	mock_journal_fd = -1;
	free(mock_state_path);
	mock_state_path = NULL;
	if (mock_state_lock_fd >= 0)
		close(mock_state_lock_fd);
	mock_state_lock_fd = -1;
}

/* Not const: the commit knob sets session_commit in init. */
static struct hil_switch_ops mock_ops = {
	.size = sizeof(struct hil_switch_ops),
	.settings = mock_settings,
	.capabilities = mock_capabilities,
	.port_valid = mock_port_valid,
	.session_open = mock_session_open,
	.set_port = mock_set_port,
	.revert_port = mock_revert_port,
	.get_port = mock_get_port,
	.session_close = mock_session_close,
};

/* The one exported symbol.  hild checks every field before it calls any
 * function above. */
HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "mock",
	.description = "in-memory switch for tests; the driver template",
	.init = mock_init,
	.fini = mock_fini,
	.switch_ops = &mock_ops,
};
