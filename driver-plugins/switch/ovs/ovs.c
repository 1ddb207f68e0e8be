/*
 * ovs.c - the Open vSwitch switch driver.
 *
 * Speaks the OVSDB management protocol (JSON-RPC, RFC 7047) to
 * ovsdb-server over its unix socket or a TCP port; never runs ovs-vsctl.
 * A HIL port is an OVS Port row (by name) on the switch's bridge; a
 * session is one connection.
 *
 * How channels map onto a Port row:
 *   vlan/native = N   vlan_mode=native-untagged, tag=N, trunks has N:
 *                     untagged frames are VLAN N
 *   vlan/<id>         id in trunks: tagged membership
 *   nothing           vlan_mode=access, tag=<parking VLAN>, trunks empty,
 *                     protected=true
 * A trunk with no native VLAN is vlan_mode=trunk with no tag; untagged
 * frames are then VLAN 0, which trunks never holds, so they are dropped.
 *
 * Why parking: OVS reads an empty trunks list as "every VLAN" and a port
 * with no tag and no mode as a trunk of every VLAN, so clearing the
 * columns would open the port to every network.  A port with nothing on
 * it is an access port on the parking VLAN (4095 unless configured, which
 * 802.1Q reserves and HIL never allocates) and "protected", which stops
 * OVS from forwarding between two protected ports: parked ports reach
 * neither each other nor any network.  Needs OVS >= 2.10 (the "protected"
 * column).  A port fresh from ovs-vsctl add-port trunks every VLAN until
 * HIL first changes it: add ports parked (vlan_mode=access tag=4095
 * protected=true) or revert them once registered.  get_port refuses to
 * describe a port that carries traffic no channel accounts for.
 *
 * set_port and revert_port check the port (on the bridge, as read) and
 * queue the change; session_commit writes every port the queue changes in
 * ONE OVSDB transaction, so a batch of hild's operations is one
 * transaction, all or nothing.  A port changed several times ends as the
 * changes applied in order would leave it: its final row is computed from
 * the row as read plus its queued changes.  The transaction first checks
 * ("wait" with a zero timeout) that each port is still on the bridge and
 * its VLAN columns are still what the driver read, so a concurrent writer
 * makes the commit read again and retry rather than lose an update.  Like
 * ovs-vsctl, it bumps next_cfg once, and the commit returns only once
 * ovs-vswitchd reports cur_cfg that far: when a commit succeeds, the
 * datapath enforces it.  A commit that fails once ovsdb-server may have
 * its transaction (sent and never answered, or committed and the wait for
 * ovs-vswitchd failed) returns -ETIMEDOUT: its outcome is unknown.  The
 * database is persistent, so session_close has nothing to save; it drops
 * what was queued and not committed.
 *
 * Settings of a switch (PUT /v0/switch/<name>, type "ovs"):
 *   ovs_bridge   the bridge the ports are on (required)
 *   ovsdb        "unix:/path", "/path", "tcp:IP:PORT" or "tcp:[IPv6]:PORT"
 *                (default unix:/var/run/openvswitch/db.sock); TCP has no
 *                authentication: use it on loopback only
 *
 * hild.conf:
 *   switch_drivers = ovs
 *   # 802.1Q VLAN that parks ports with no network (1..4095; keep it out
 *   # of the vlan_pool allocator's range)
 *   plugin.ovs.parking_vlan = 4095
 *   # when a commit returns: once ovs-vswitchd applied it (yes; batch is
 *   # a synonym kept for old configurations, now that every batch is one
 *   # transaction), or once ovsdb-server committed it (no: for tests
 *   # without ovs-vswitchd; the datapath may lag behind DONE)
 *   plugin.ovs.wait_vswitchd = yes
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include <hil/plugin.h>

/* Named limits. */
#define OVS_MAX_TARGET	     512 /* bytes of the ovsdb setting */
#define OVS_MAX_NAME	     255 /* bytes of a bridge or port name */
#define OVS_MAX_MESSAGE	     (4 * 1024 * 1024) /* bytes of one message read */
#define OVS_MAX_DEPTH	     32		       /* JSON nesting of a message */
#define OVS_READ_CHUNK	     16384	       /* bytes read at once */
#define OVS_MAX_ATTEMPTS     64	  /* tries of a change others keep racing */
#define OVS_MAX_BACKOFF_MS   50	  /* longest pause between two tries */
#define OVS_VLANS	     4096 /* VLAN ids 0..4095, as OVSDB bounds them */
#define OVS_UUID_LEN	     36
#define OVS_WAIT_MARGIN_MS   200  /* answer before the call's deadline */
#define OVS_CONNECT_RETRY_MS 10	  /* pause while a unix backlog is full */
#define OVS_MAX_QUEUED_PORTS 1024 /* ports one commit changes */
#define OVS_MAX_QUEUED_EDITS 4096 /* changes queued for one commit */
#define OVS_MAX_COMMENT	     400  /* bytes of a transaction's comment */
#define OVS_MAX_ERROR	     512  /* bytes of an error text */

#define OVS_DB		   "Open_vSwitch"
#define OVS_DEFAULT_TARGET "unix:/var/run/openvswitch/db.sock"
#define OVS_PARKING_VLAN   4095

static const struct hil_setting ovs_settings[] = {
	{"ovs_bridge", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 0, 0,
	 "Open vSwitch bridge the switch's ports are on"},
	{"ovsdb", HIL_SETTING_STRING, 0, 0, 0,
	 "ovsdb-server socket: unix:PATH or tcp:IP:PORT "
	 "(default " OVS_DEFAULT_TARGET ")"},
	{NULL, 0, 0, 0, 0, NULL},
};

static const char *const ovs_capabilities[] = {"nativeless-trunk-mode", NULL};

/* Port.vlan_mode; NONE is the empty set, which OVS reads as access when
 * the port has a tag and as trunk otherwise. */
enum ovs_mode {
	OVS_MODE_NONE = 0,
	OVS_MODE_ACCESS,
	OVS_MODE_TRUNK,
	OVS_MODE_NATIVE_TAGGED,
	OVS_MODE_NATIVE_UNTAGGED,
	OVS_MODE_DOT1Q_TUNNEL,
};

static const char *const ovs_mode_names[] = {
	[OVS_MODE_ACCESS] = "access",
	[OVS_MODE_TRUNK] = "trunk",
	[OVS_MODE_NATIVE_TAGGED] = "native-tagged",
	[OVS_MODE_NATIVE_UNTAGGED] = "native-untagged",
	[OVS_MODE_DOT1Q_TUNNEL] = "dot1q-tunnel",
};

#define OVS_NMODES (sizeof(ovs_mode_names) / sizeof(ovs_mode_names[0]))

typedef struct {
	uint64_t bits[OVS_VLANS / 64];
} ovs_vlan_set;

/* The VLAN columns of a Port row, decoded. */
struct ovs_row {
	int tag; /* -1: none */
	enum ovs_mode mode;
	ovs_vlan_set trunks;
	bool protect;
};

/* What HIL sees on a port: its channels. */
struct ovs_vlans {
	int native; /* -1: none */
	ovs_vlan_set tagged;
};

/* A Port row as read, with what it means. */
struct ovs_port {
	char uuid[OVS_UUID_LEN + 1];
	json_t *columns; /* the VLAN columns as read, owned */
	struct ovs_row row;
	struct ovs_vlans vlans;
	const char *open;    /* NULL, or why the port carries more than vlans */
	json_int_t next_cfg; /* Open_vSwitch.next_cfg when read */
};

/* One change a call asks for. */
enum ovs_edit_kind {
	OVS_EDIT_NATIVE,
	OVS_EDIT_TAGGED,
	OVS_EDIT_REVERT,
};

struct ovs_edit {
	enum ovs_edit_kind kind;
	int vlan; /* the VLAN to add or take off */
	bool add;
};

/* A port the next commit changes: the row as last read, and the edits
 * queued for it, in order. */
struct ovs_queued {
	char *name;
	struct ovs_port cur; /* cur.columns owned */
	struct ovs_edit *edits;
	size_t nedits;
};

struct ovs_session {
	int fd; /* -1 when not connected */
	char *target;
	char *bridge;
	json_int_t next_id;
	/* The last request was sent and no answer to it read: the server
	 * may have acted on it. */
	bool in_doubt;
	unsigned seed; /* for the backoff's jitter */
	/* What set_port and revert_port queued for the next commit. */
	struct ovs_queued *queue;
	size_t nqueued, nedits;
	/* Bytes read and not yet parsed, and how far the framing scan got:
	 * OVSDB sends JSON objects back to back with nothing in between. */
	char *buf;
	size_t len, cap, scan;
	unsigned depth;
	bool in_string, escaped;
};

static const struct hil_host *ovs_host;

/* Options, read once in init. */
static int ovs_parking_vlan = OVS_PARKING_VLAN;

/* wait_vswitchd: whether a commit returns once ovs-vswitchd applied it.
 * "batch" once meant waiting at session_close; every batch is one commit
 * now, so it means yes. */
static const struct {
	const char *name;
	bool wait;
} ovs_wait_names[] = {
	{"yes", true},
	{"batch", true},
	{"no", false},
};

#define OVS_NWAITS (sizeof(ovs_wait_names) / sizeof(ovs_wait_names[0]))

static bool ovs_wait_vswitchd = true;

/* A copy of the last error text set on this thread, so that a commit
 * whose outcome turned unknown can still give the reason a lower layer
 * found.  A session is used by one thread at a time, one call at once. */
static _Thread_local char ovs_last_error[OVS_MAX_ERROR];

/* Set the call's error text, and keep a copy. */
static void ovs_error(struct hil_call *call, const char *fmt, ...)
	HIL_PRINTF(2, 3);

static void ovs_error(struct hil_call *call, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ovs_last_error, sizeof(ovs_last_error), fmt, ap);
	va_end(ap);
	ovs_host->set_error(call, "%s", ovs_last_error);
}

/*
 * A commit failed once ovsdb-server may have its changes: the changes may
 * or may not be applied, which the switch contract spells -ETIMEDOUT.
 * The error text says what happened (what) and that the outcome is
 * unknown, then the reason the failing layer gave (err's text when it
 * gave none).  Returns -ETIMEDOUT.
 */
static int ovs_unknown(struct hil_call *call, int err, const char *what)
{
	char reason[OVS_MAX_ERROR];

	snprintf(reason, sizeof(reason), "%s",
		 ovs_last_error[0] ? ovs_last_error : strerror(-err));
	ovs_error(call, "%s; whether the changes were applied is unknown: %s",
		  what, reason);
	return -ETIMEDOUT;
}

/* VLAN sets. */

static bool ovs_vlan_has(const ovs_vlan_set *s, int v)
{
	return (s->bits[v / 64] >> (v % 64)) & 1;
}

static void ovs_vlan_put(ovs_vlan_set *s, int v, bool on)
{
	if (on)
		s->bits[v / 64] |= UINT64_C(1) << (v % 64);
	else
		s->bits[v / 64] &= ~(UINT64_C(1) << (v % 64));
}

static bool ovs_vlan_empty(const ovs_vlan_set *s)
{
	for (size_t i = 0; i < OVS_VLANS / 64; i++)
		if (s->bits[i])
			return false;
	return true;
}

/* Decimal 1..4094 with no sign, blank or leading zero; -1 otherwise. */
static int ovs_vlan_parse(const char *s)
{
	int v = 0;

	if (!s || s[0] < '1' || s[0] > '9')
		return -1;
	for (size_t i = 0; s[i]; i++) {
		if (i == 4 || s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 4094 ? v : -1;
}

/* Names go into JSON strings, so they must be UTF-8; control characters
 * and overlong names are refused outright. */
static bool ovs_name_valid(const char *name)
{
	size_t n;
	json_t *j;

	if (!name || !*name)
		return false;
	for (n = 0; name[n]; n++)
		if (n == OVS_MAX_NAME || (unsigned char)name[n] < 0x20 ||
		    name[n] == 0x7f)
			return false;
	j = json_string(name);
	json_decref(j);
	return j != NULL;
}

/* Any OVS port name: HIL's API accepts anything for this driver. */
static int ovs_port_valid(const char *port)
{
	return ovs_name_valid(port) ? 0 : -EINVAL;
}

/* The connection. */

static void ovs_disconnect(struct ovs_session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->len = s->scan = 0;
	s->depth = 0;
	s->in_string = s->escaped = false;
}

static int ovs_timeout(struct ovs_session *s, struct hil_call *call,
		       const char *what)
{
	ovs_error(call, "timed out %s ovsdb '%s'", what, s->target);
	ovs_disconnect(s);
	return -ETIMEDOUT;
}

/* Milliseconds poll() may wait, or -1 past the deadline. */
static int ovs_poll_ms(struct hil_call *call)
{
	long long left = ovs_host->deadline_left_ms(call);

	if (left <= 0)
		return -1;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* "tcp:1.2.3.4:6640" or "tcp:[::1]:6640": numeric only, so that
 * connecting never waits on a resolver the deadline cannot bound. */
static int ovs_target_tcp(const char *spec, struct sockaddr_storage *ss,
			  socklen_t *ret_len)
{
	char host[64];
	const char *colon, *h = spec;
	size_t hlen;
	char *end;
	long port;

	colon = strrchr(spec, ':');
	if (!colon)
		return -EINVAL;
	hlen = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (hlen < 2 || spec[hlen - 1] != ']')
			return -EINVAL;
		h = spec + 1;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
		return -EINVAL;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		*ret_len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		*ret_len = sizeof(*in6);
	}
	return 0;
}

static int ovs_target_parse(const char *target, struct sockaddr_storage *ss,
			    socklen_t *ret_len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	const char *path = target;

	if (strncmp(target, "tcp:", 4) == 0)
		return ovs_target_tcp(target + 4, ss, ret_len);
	if (strncmp(target, "unix:", 5) == 0)
		path = target + 5;
	/* A relative path would depend on hild's working directory. */
	if (path[0] != '/' || strlen(path) >= sizeof(un->sun_path))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, strlen(path) + 1);
	*ret_len = (socklen_t)sizeof(*un);
	return 0;
}

static int ovs_connect(struct ovs_session *s, struct hil_call *call)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t sslen, errlen;
	int r, ms, err = 0;

	r = ovs_target_parse(s->target, &ss, &sslen);
	if (r < 0) {
		ovs_error(call,
			  "invalid ovsdb '%s': want unix:/PATH or "
			  "tcp:IP:PORT",
			  s->target);
		return r;
	}
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (s->fd < 0) {
		r = -errno;
		goto out;
	}
	/* A unix socket whose backlog is full says EAGAIN and is not
	 * connecting: try again until the deadline. */
	while (connect(s->fd, (struct sockaddr *)&ss, sslen) < 0) {
		if (errno == EINPROGRESS)
			goto wait;
		if (errno != EAGAIN && errno != EINTR) {
			r = -errno;
			goto out;
		}
		ms = ovs_poll_ms(call);
		if (ms < 0)
			return ovs_timeout(s, call, "connecting to");
		poll(NULL, 0,
		     ms < OVS_CONNECT_RETRY_MS ? ms : OVS_CONNECT_RETRY_MS);
	}
	return 0;
wait:
	pfd = (struct pollfd){.fd = s->fd, .events = POLLOUT};
	for (;;) {
		ms = ovs_poll_ms(call);
		if (ms < 0)
			return ovs_timeout(s, call, "connecting to");
		r = poll(&pfd, 1, ms);
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR) {
			r = -errno;
			goto out;
		}
	}
	errlen = sizeof(err);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
		err = errno;
	if (err == 0)
		return 0;
	r = -err;
out:
	ovs_error(call, "could not connect to ovsdb '%s': %s", s->target,
		  strerror(-r));
	ovs_disconnect(s);
	return r;
}

/* A broken connection is -ENOTCONN, which callers may retry once on a
 * fresh one: every change the driver makes is safe to repeat. */
static int ovs_lost(struct ovs_session *s, struct hil_call *call, int err)
{
	ovs_error(call, "lost the connection to ovsdb '%s': %s", s->target,
		  err ? strerror(err) : "closed");
	ovs_disconnect(s);
	return -ENOTCONN;
}

static int ovs_write_all(struct ovs_session *s, struct hil_call *call,
			 const char *data, size_t len)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};

	while (len > 0) {
		ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
		int ms;

		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return ovs_lost(s, call, errno);
		ms = ovs_poll_ms(call);
		if (ms < 0)
			return ovs_timeout(s, call, "writing to");
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return ovs_lost(s, call, errno);
	}
	return 0;
}

static int ovs_send(struct ovs_session *s, struct hil_call *call,
		    const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	int r;

	if (!text) {
		ovs_error(call, "out of memory");
		return -ENOMEM;
	}
	r = ovs_write_all(s, call, text, strlen(text));
	free(text);
	return r;
}

/*
 * Find where the first JSON value in the buffer ends.  OVSDB messages are
 * objects, so counting brackets outside strings is enough; the parser
 * checks the rest.  Resumes where the last scan stopped.  Returns the
 * message's length, 0 when more bytes are needed, -EPROTO on garbage.
 */
static long ovs_frame(struct ovs_session *s)
{
	for (; s->scan < s->len; s->scan++) {
		char c = s->buf[s->scan];

		if (s->in_string) {
			if (s->escaped)
				s->escaped = false;
			else if (c == '\\')
				s->escaped = true;
			else if (c == '"')
				s->in_string = false;
			continue;
		}
		if (s->depth == 0) {
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c != '{')
				return -EPROTO;
		}
		if (c == '"') {
			s->in_string = true;
		} else if (c == '{' || c == '[') {
			if (++s->depth > OVS_MAX_DEPTH)
				return -EPROTO;
		} else if (c == '}' || c == ']') {
			if (--s->depth == 0)
				return (long)++s->scan;
		}
	}
	return 0;
}

/* Read one message (a JSON object, returned owned in *ret). */
static int ovs_recv(struct ovs_session *s, struct hil_call *call, json_t **ret)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	json_error_t jerr;
	json_t *msg;
	long end;

	while ((end = ovs_frame(s)) == 0) {
		ssize_t n;
		int ms;

		if (s->len == OVS_MAX_MESSAGE) {
			ovs_error(call,
				  "ovsdb '%s' sent a message over "
				  "%d bytes",
				  s->target, OVS_MAX_MESSAGE);
			ovs_disconnect(s);
			return -EMSGSIZE;
		}
		if (s->cap - s->len < OVS_READ_CHUNK &&
		    s->cap < OVS_MAX_MESSAGE) {
			size_t cap = s->cap ? s->cap * 2 : OVS_READ_CHUNK * 4;
			char *buf;

			if (cap > OVS_MAX_MESSAGE)
				cap = OVS_MAX_MESSAGE;
			buf = realloc(s->buf, cap);
			if (!buf) {
				ovs_error(call, "out of memory");
				ovs_disconnect(s);
				return -ENOMEM;
			}
			s->buf = buf;
			s->cap = cap;
		}
		n = recv(s->fd, s->buf + s->len, s->cap - s->len, 0);
		if (n > 0) {
			s->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return ovs_lost(s, call, 0);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return ovs_lost(s, call, errno);
		ms = ovs_poll_ms(call);
		if (ms < 0)
			return ovs_timeout(s, call, "waiting for");
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return ovs_lost(s, call, errno);
	}
	if (end < 0) {
		ovs_error(call, "ovsdb '%s' sent a malformed message",
			  s->target);
		ovs_disconnect(s);
		return -EPROTO;
	}
	msg = json_loadb(s->buf, (size_t)end, 0, &jerr);
	s->len -= (size_t)end;
	memmove(s->buf, s->buf + end, s->len);
	s->scan = 0;
	if (!msg || !json_is_object(msg)) {
		json_decref(msg);
		ovs_error(call, "ovsdb '%s' sent a malformed message: %s",
			  s->target, jerr.text);
		ovs_disconnect(s);
		return -EPROTO;
	}
	*ret = msg;
	return 0;
}

/* ovsdb-server probes idle clients with "echo"; answer in kind. */
static int ovs_echo(struct ovs_session *s, struct hil_call *call,
		    json_t *request)
{
	json_t *reply = json_pack("{s:O, s:O, s:n}", "id",
				  json_object_get(request, "id"), "result",
				  json_object_get(request, "params"), "error");
	int r;

	if (!reply) {
		ovs_error(call, "out of memory");
		return -ENOMEM;
	}
	r = ovs_send(s, call, reply);
	json_decref(reply);
	return r;
}

/*
 * One JSON-RPC call: send {method, params (stolen), id}, then read until
 * the reply with that id arrives, answering echo requests on the way and
 * dropping anything else (replies to calls a timeout abandoned never
 * arrive: a timeout closes the connection).  Connects first when needed.
 * Returns 0 with the result (owned) in *ret, or a negative errno with the
 * error text set; then s->in_doubt says whether the server may still have
 * acted on the request (sent whole, no answer read).
 */
static int ovs_rpc(struct ovs_session *s, struct hil_call *call,
		   const char *method, json_t *params, json_t **ret)
{
	json_int_t id = ++s->next_id;
	json_t *msg = NULL, *req;
	const char *m;
	int r;

	s->in_doubt = false;
	req = json_pack("{s:s, s:o, s:I}", "method", method, "params", params,
			"id", id);
	if (!req) {
		ovs_error(call, "out of memory");
		return -ENOMEM;
	}
	/* Nothing is sent past the deadline. */
	if (ovs_poll_ms(call) < 0) {
		json_decref(req);
		return ovs_timeout(s, call, "before talking to");
	}
	if (s->fd < 0) {
		r = ovs_connect(s, call);
		if (r < 0)
			goto out;
	}
	r = ovs_send(s, call, req);
	if (r < 0)
		goto out;
	/* A request cut short never runs; a whole one may, answered or
	 * not. */
	s->in_doubt = true;
	for (;;) {
		json_t *rid, *err;

		json_decref(msg);
		msg = NULL;
		r = ovs_recv(s, call, &msg);
		if (r < 0)
			goto out;
		m = json_string_value(json_object_get(msg, "method"));
		if (m && strcmp(m, "echo") == 0 && json_object_get(msg, "id")) {
			r = ovs_echo(s, call, msg);
			if (r < 0)
				goto out;
			continue;
		}
		rid = json_object_get(msg, "id");
		if (m || !json_is_integer(rid) || json_integer_value(rid) != id)
			continue;
		err = json_object_get(msg, "error");
		if (err && !json_is_null(err)) {
			char *text =
				json_dumps(err, JSON_COMPACT | JSON_ENCODE_ANY);

			/* The server refused the whole request. */
			s->in_doubt = false;
			ovs_error(call, "ovsdb '%s' refused '%s': %.200s",
				  s->target, method, text ? text : "?");
			free(text);
			r = -EPROTO;
			goto out;
		}
		*ret = json_incref(json_object_get(msg, "result"));
		r = *ret ? 0 : -EPROTO;
		s->in_doubt = r < 0;
		if (r < 0)
			ovs_error(call,
				  "ovsdb '%s' sent a reply without "
				  "a result",
				  s->target);
		goto out;
	}
out:
	json_decref(msg);
	json_decref(req);
	return r;
}

/*
 * Run a transaction (ops stolen).  Returns 0 with the per-operation
 * results (owned) in *ret and *ret_failed = -1 when every operation
 * succeeded, or the index of the first that failed (nops when the commit
 * failed); a negative errno when the transaction could not run at all.
 */
static int ovs_transact(struct ovs_session *s, struct hil_call *call,
			json_t *ops, json_t **ret, long *ret_failed)
{
	size_t nops = json_array_size(ops);
	json_t *params = json_pack("[s]", OVS_DB), *results = NULL;
	int r;

	if (!params || json_array_extend(params, ops) < 0) {
		json_decref(params);
		json_decref(ops);
		ovs_error(call, "out of memory");
		return -ENOMEM;
	}
	json_decref(ops);
	r = ovs_rpc(s, call, "transact", params, &results);
	if (r < 0)
		return r;
	if (!json_is_array(results) || json_array_size(results) < nops) {
		/* An answer that does not say what became of each operation
		 * is no answer. */
		s->in_doubt = true;
		ovs_error(call, "ovsdb '%s' sent a short reply", s->target);
		json_decref(results);
		return -EPROTO;
	}
	*ret_failed = -1;
	for (size_t i = 0; i < json_array_size(results); i++) {
		json_t *res = json_array_get(results, i);

		if (json_is_object(res) && json_object_get(res, "error")) {
			*ret_failed = (long)i;
			break;
		}
	}
	*ret = results;
	return 0;
}

/* "error: details" of a failed operation, for error texts. */
static void ovs_op_error(json_t *results, long i, char *buf, size_t len)
{
	json_t *res = json_array_get(results, (size_t)i);
	const char *e = json_string_value(json_object_get(res, "error"));
	const char *d = json_string_value(json_object_get(res, "details"));

	snprintf(buf, len, "%.100s%s%.200s", e ? e : "unknown error",
		 d ? ": " : "", d ? d : "");
}

/* Whether a failed operation is a "wait" that found its condition
 * false, the one failure that only means someone else got there first. */
static bool ovs_op_timed_out(json_t *results, long i)
{
	json_t *res = json_array_get(results, (size_t)i);
	const char *e = json_string_value(json_object_get(res, "error"));

	return e && strcmp(e, "timed out") == 0;
}

/* The rows a select at index i returned (borrowed), or NULL. */
static json_t *ovs_rows(json_t *results, size_t i)
{
	json_t *rows = json_object_get(json_array_get(results, i), "rows");

	return json_is_array(rows) ? rows : NULL;
}

/* Port rows. */

/* OVSDB writes a set of one as the bare atom and any other set as
 * ["set", [atoms]]; the inner array, or NULL for a bare atom. */
static json_t *ovs_set_inner(json_t *v)
{
	if (json_is_array(v) && json_array_size(v) == 2 &&
	    json_is_string(json_array_get(v, 0)) &&
	    strcmp(json_string_value(json_array_get(v, 0)), "set") == 0 &&
	    json_is_array(json_array_get(v, 1)))
		return json_array_get(v, 1);
	return NULL;
}

static size_t ovs_set_size(json_t *v)
{
	json_t *inner = ovs_set_inner(v);

	return inner ? json_array_size(inner) : 1;
}

static json_t *ovs_set_get(json_t *v, size_t i)
{
	json_t *inner = ovs_set_inner(v);

	return inner ? json_array_get(inner, i) : v;
}

static int ovs_vlan_atom(json_t *atom)
{
	json_int_t v;

	if (!json_is_integer(atom))
		return -1;
	v = json_integer_value(atom);
	return v >= 0 && v < OVS_VLANS ? (int)v : -1;
}

/* Decode the VLAN columns of a Port row.  0, or -EPROTO. */
static int ovs_row_decode(json_t *cols, struct ovs_row *ret)
{
	json_t *tag = json_object_get(cols, "tag");
	json_t *trunks = json_object_get(cols, "trunks");
	json_t *mode = json_object_get(cols, "vlan_mode");
	json_t *prot = json_object_get(cols, "protected");
	struct ovs_row row = {.tag = -1};
	const char *name;

	if (!tag || !trunks || !mode || !json_is_boolean(prot) ||
	    ovs_set_size(tag) > 1 || ovs_set_size(mode) > 1)
		return -EPROTO;
	if (ovs_set_size(tag) == 1) {
		row.tag = ovs_vlan_atom(ovs_set_get(tag, 0));
		if (row.tag < 0)
			return -EPROTO;
	}
	for (size_t i = 0; i < ovs_set_size(trunks); i++) {
		int v = ovs_vlan_atom(ovs_set_get(trunks, i));

		if (v < 0)
			return -EPROTO;
		ovs_vlan_put(&row.trunks, v, true);
	}
	if (ovs_set_size(mode) == 1) {
		name = json_string_value(ovs_set_get(mode, 0));
		for (size_t i = 1; name && i < OVS_NMODES; i++)
			if (strcmp(name, ovs_mode_names[i]) == 0)
				row.mode = (enum ovs_mode)i;
		if (row.mode == OVS_MODE_NONE)
			return -EPROTO;
	}
	row.protect = json_is_true(prot);
	*ret = row;
	return 0;
}

/*
 * What a row carries, in HIL's terms.  Returns NULL with *ret set when
 * the row means exactly HIL channels, or the reason it carries traffic
 * no channel describes (every VLAN, VLAN 0 that unconfigured ports share,
 * an unprotected parking VLAN, ...).
 */
static const char *ovs_row_vlans(const struct ovs_row *row,
				 struct ovs_vlans *ret)
{
	enum ovs_mode mode = row->mode;
	int p = ovs_parking_vlan;

	*ret = (struct ovs_vlans){.native = -1};
	if (mode == OVS_MODE_NONE)
		mode = row->tag >= 0 ? OVS_MODE_ACCESS : OVS_MODE_TRUNK;
	switch (mode) {
	case OVS_MODE_ACCESS:
		if (row->tag <= 0)
			return "it is an access port of vlan 0";
		if (row->tag == p)
			return row->protect ? NULL
					    : "it is on the parking vlan "
					      "but not protected";
		ret->native = row->tag;
		return NULL;
	case OVS_MODE_TRUNK:
		if (ovs_vlan_empty(&row->trunks))
			return "it trunks every vlan";
		if (ovs_vlan_has(&row->trunks, 0))
			return "it trunks vlan 0";
		if (ovs_vlan_has(&row->trunks, p))
			return "it trunks the parking vlan";
		ret->tagged = row->trunks;
		return NULL;
	case OVS_MODE_NATIVE_TAGGED:
	case OVS_MODE_NATIVE_UNTAGGED:
		if (row->tag <= 0)
			return "its native vlan is vlan 0";
		if (ovs_vlan_empty(&row->trunks))
			return "it trunks every vlan";
		if (row->tag == p || ovs_vlan_has(&row->trunks, p))
			return "it carries the parking vlan";
		ret->native = row->tag;
		ret->tagged = row->trunks;
		ovs_vlan_put(&ret->tagged, row->tag, false);
		ovs_vlan_put(&ret->tagged, 0, false);
		return NULL;
	default:
		return "its vlan mode is not one hil manages";
	}
}

/* The row that carries exactly these channels. */
static void ovs_vlans_row(const struct ovs_vlans *v, struct ovs_row *ret)
{
	*ret = (struct ovs_row){.tag = -1};
	if (v->native >= 0) {
		ret->mode = OVS_MODE_NATIVE_UNTAGGED;
		ret->tag = v->native;
		ret->trunks = v->tagged;
		ovs_vlan_put(&ret->trunks, v->native, true);
	} else if (!ovs_vlan_empty(&v->tagged)) {
		ret->mode = OVS_MODE_TRUNK;
		ret->trunks = v->tagged;
	} else {
		ret->mode = OVS_MODE_ACCESS;
		ret->tag = ovs_parking_vlan;
		ret->protect = true;
	}
}

static bool ovs_row_equal(const struct ovs_row *a, const struct ovs_row *b)
{
	return a->tag == b->tag && a->mode == b->mode &&
	       a->protect == b->protect &&
	       memcmp(&a->trunks, &b->trunks, sizeof(a->trunks)) == 0;
}

static json_t *ovs_row_json(const struct ovs_row *row)
{
	json_t *trunks = json_array(), *o;

	if (!trunks)
		return NULL;
	for (int v = 0; v < OVS_VLANS; v++) {
		if (ovs_vlan_has(&row->trunks, v) &&
		    json_array_append_new(trunks, json_integer(v)) < 0) {
			json_decref(trunks);
			return NULL;
		}
	}
	o = json_pack("{s:o, s:[s,o], s:s, s:b}", "tag",
		      row->tag >= 0 ? json_integer(row->tag)
				    : json_pack("[s,[]]", "set"),
		      "trunks", "set", trunks, "vlan_mode",
		      ovs_mode_names[row->mode], "protected", row->protect);
	return o;
}

/* The operation that fails unless the port is still on our bridge. */
static json_t *ovs_op_on_bridge(const struct ovs_session *s, const char *uuid)
{
	return json_pack("{s:s, s:s, s:[[s,s,s],[s,s,[s,s]]], s:[s], s:s, "
			 "s:[{s:s}], s:i}",
			 "op", "wait", "table", "Bridge", "where", "name",
			 "==", s->bridge, "ports", "includes", "uuid", uuid,
			 "columns", "name", "until", "==", "rows", "name",
			 s->bridge, "timeout", 0);
}

/* The operation that waits until ovs-vswitchd applied configuration
 * next_cfg, for at most ms. */
static json_t *ovs_op_applied(json_int_t next_cfg, long long ms)
{
	return json_pack("{s:s, s:s, s:[[s,s,I]], s:[], s:s, s:[{}], s:I}",
			 "op", "wait", "table", "Open_vSwitch", "where",
			 "cur_cfg", ">=", next_cfg, "columns", "until",
			 "==", "rows", "timeout", (json_int_t)ms);
}

static int ovs_nomem(struct hil_call *call, json_t *garbage)
{
	json_decref(garbage);
	ovs_error(call, "out of memory");
	return -ENOMEM;
}

static const char *const ovs_port_columns[] = {"tag", "trunks", "vlan_mode",
					       "protected"};

#define OVS_NCOLUMNS (sizeof(ovs_port_columns) / sizeof(ovs_port_columns[0]))

/*
 * Read the port, check the bridge exists, and note next_cfg.  Returns 0
 * with *ret filled (free ret->columns), -ENOENT when the bridge or the
 * port is missing, another negative errno; error text set.
 */
static int ovs_port_read(struct ovs_session *s, struct hil_call *call,
			 const char *port, struct ovs_port *ret)
{
	json_t *ops, *results = NULL, *rows, *row, *cols = NULL;
	struct ovs_port p = {0};
	const char *uuid;
	long failed;
	char why[320];
	int r = -EPROTO;

	ops = json_pack("[{s:s, s:s, s:[[s,s,s]], s:[s,s,s,s,s]}, "
			"{s:s, s:s, s:[[s,s,s]], s:[s]}, "
			"{s:s, s:s, s:[], s:[s]}]",
			"op", "select", "table", "Port", "where", "name",
			"==", port, "columns", "_uuid", "tag", "trunks",
			"vlan_mode", "protected", "op", "select", "table",
			"Bridge", "where", "name", "==", s->bridge, "columns",
			"_uuid", "op", "select", "table", "Open_vSwitch",
			"where", "columns", "next_cfg");
	if (!ops)
		return ovs_nomem(call, NULL);
	r = ovs_transact(s, call, ops, &results, &failed);
	if (r < 0)
		return r;
	r = -EPROTO;
	if (failed >= 0) {
		ovs_op_error(results, failed, why, sizeof(why));
		ovs_error(call, "ovsdb '%s' could not read port '%s': %s",
			  s->target, port, why);
		goto out;
	}
	rows = ovs_rows(results, 1);
	if (rows && json_array_size(rows) == 0) {
		ovs_error(call, "bridge '%s' not found in ovsdb '%s'",
			  s->bridge, s->target);
		r = -ENOENT;
		goto out;
	}
	rows = ovs_rows(results, 0);
	if (rows && json_array_size(rows) == 0) {
		ovs_error(call, "port '%s' not found in ovsdb '%s'", port,
			  s->target);
		r = -ENOENT;
		goto out;
	}
	row = json_array_get(rows, 0);
	uuid = json_string_value(
		json_array_get(json_object_get(row, "_uuid"), 1));
	p.next_cfg = json_integer_value(json_object_get(
		json_array_get(ovs_rows(results, 2), 0), "next_cfg"));
	cols = json_object();
	if (!cols) {
		r = ovs_nomem(call, NULL);
		goto out;
	}
	for (size_t i = 0; i < OVS_NCOLUMNS; i++) {
		json_t *v = json_object_get(row, ovs_port_columns[i]);

		if (v && json_object_set(cols, ovs_port_columns[i], v) < 0) {
			r = ovs_nomem(call, NULL);
			goto out;
		}
	}
	if (!uuid || strlen(uuid) != OVS_UUID_LEN ||
	    ovs_row_decode(cols, &p.row) < 0) {
		ovs_error(call,
			  "ovsdb '%s' sent a port row for '%s' this "
			  "driver cannot read (needs Open vSwitch "
			  ">= 2.10)",
			  s->target, port);
		goto out;
	}
	memcpy(p.uuid, uuid, OVS_UUID_LEN + 1);
	p.open = ovs_row_vlans(&p.row, &p.vlans);
	p.columns = cols;
	cols = NULL;
	*ret = p;
	r = 0;
out:
	json_decref(cols);
	json_decref(results);
	return r;
}

/* How long the server may wait for ovs-vswitchd: the call's time left,
 * less a margin so that its answer arrives before the deadline. */
static long long ovs_wait_budget(struct hil_call *call)
{
	long long left = ovs_host->deadline_left_ms(call);
	long long margin =
		left / 10 < OVS_WAIT_MARGIN_MS ? left / 10 : OVS_WAIT_MARGIN_MS;

	return left - margin > 0 ? left - margin : 0;
}

/* Check the port is still on the bridge.  Returns 0, -ENOENT (not on
 * the bridge), or another negative errno; error text set. */
static int ovs_port_on_bridge(struct ovs_session *s, struct hil_call *call,
			      const char *port, const char *uuid)
{
	json_t *ops = json_array(), *results = NULL;
	long failed;
	char why[320];
	int r;

	if (!ops || json_array_append_new(ops, ovs_op_on_bridge(s, uuid)) < 0)
		return ovs_nomem(call, ops);
	r = ovs_transact(s, call, ops, &results, &failed);
	if (r < 0)
		return r;
	if (failed == 0) {
		ovs_error(call, "port '%s' is not on bridge '%s'", port,
			  s->bridge);
		r = -ENOENT;
	} else if (failed >= 0) {
		ovs_op_error(results, failed, why, sizeof(why));
		ovs_error(call, "ovsdb '%s' failed on port '%s': %s", s->target,
			  port, why);
		r = -EPROTO;
	}
	json_decref(results);
	return r;
}

/* Apply the edit to what the port carries.  0, or -EEXIST when it would
 * put one VLAN both native and tagged, which one OVS port cannot do. */
static int ovs_edit_apply(struct hil_call *call, const char *port,
			  const struct ovs_edit *e, struct ovs_vlans *v)
{
	switch (e->kind) {
	case OVS_EDIT_REVERT:
		*v = (struct ovs_vlans){.native = -1};
		return 0;
	case OVS_EDIT_NATIVE:
		if (e->add && ovs_vlan_has(&v->tagged, e->vlan))
			break;
		v->native = e->add ? e->vlan : -1;
		return 0;
	case OVS_EDIT_TAGGED:
		if (e->add && v->native == e->vlan)
			break;
		ovs_vlan_put(&v->tagged, e->vlan, e->add);
		return 0;
	}
	ovs_error(call,
		  "vlan %d cannot be both native and tagged on port "
		  "'%s'",
		  e->vlan, port);
	return -EEXIST;
}

/* After losing a race, pause a random while that grows with the tries,
 * so that writers of one port do not keep colliding; never past the
 * deadline (the next read then times out). */
static void ovs_backoff(struct ovs_session *s, struct hil_call *call,
			int attempt)
{
	int cap = attempt < 6 ? 1 << attempt : OVS_MAX_BACKOFF_MS;
	int ms = cap > OVS_MAX_BACKOFF_MS ? OVS_MAX_BACKOFF_MS : cap;
	int left = ovs_poll_ms(call);

	ms = 1 + rand_r(&s->seed) % ms;
	if (left > 0)
		poll(NULL, 0, ms < left ? ms : left);
}

/* The queue of a commit. */

/* Free what a queue entry holds; the entry itself is the caller's. */
static void ovs_queued_free(struct ovs_queued *q)
{
	free(q->name);
	json_decref(q->cur.columns);
	free(q->edits);
	*q = (struct ovs_queued){0};
}

static void ovs_queue_clear(struct ovs_session *s)
{
	for (size_t i = 0; i < s->nqueued; i++)
		ovs_queued_free(&s->queue[i]);
	free(s->queue);
	s->queue = NULL;
	s->nqueued = s->nedits = 0;
}

/* What the port carries once its queued edits, then extra (may be NULL),
 * are applied to its row as read.  A port carrying more than HIL put
 * there is rebuilt from nothing: what is not HIL's must go.  0, or
 * -EEXIST with the error set. */
static int ovs_queued_want(struct hil_call *call, const struct ovs_queued *q,
			   const struct ovs_edit *extra, struct ovs_vlans *ret)
{
	struct ovs_vlans want =
		q->cur.open ? (struct ovs_vlans){.native = -1} : q->cur.vlans;
	int r = 0;

	for (size_t i = 0; r == 0 && i < q->nedits; i++)
		r = ovs_edit_apply(call, q->name, &q->edits[i], &want);
	if (r == 0 && extra)
		r = ovs_edit_apply(call, q->name, extra, &want);
	if (r == 0)
		*ret = want;
	return r;
}

/* Read the port and check it is on the bridge; a connection that broke
 * (ovsdb-server restarted, or closed an idle session) is retried once on
 * a fresh one.  0 with *ret filled (free ret->columns), or a negative
 * errno with the error set. */
static int ovs_port_check(struct ovs_session *s, struct hil_call *call,
			  const char *port, struct ovs_port *ret)
{
	struct ovs_port cur = {0};
	int r = -ENOTCONN;

	for (int i = 0; i < 2 && r == -ENOTCONN; i++) {
		json_decref(cur.columns);
		cur = (struct ovs_port){0};
		r = ovs_port_read(s, call, port, &cur);
		if (r == 0)
			r = ovs_port_on_bridge(s, call, port, cur.uuid);
	}
	if (r < 0) {
		json_decref(cur.columns);
		return r;
	}
	*ret = cur;
	return 0;
}

/* Queue an edit of the port for the next commit, reading the port the
 * first time the queue names it.  A port read here joins the queue only
 * with its edit: a refused edit leaves the queue as it was, so that the
 * commit neither checks nor rewrites a port no call changed. */
static int ovs_queue_edit(struct ovs_session *s, struct hil_call *call,
			  const char *port, const struct ovs_edit *e)
{
	struct ovs_queued fresh = {0}, *q = NULL, *grown;
	struct ovs_edit *edits;
	struct ovs_vlans want;
	int r;

	if (ovs_poll_ms(call) < 0) {
		ovs_error(call, "timed out before changing port '%s'", port);
		return -ETIMEDOUT;
	}
	if (s->nedits == OVS_MAX_QUEUED_EDITS) {
		ovs_error(call, "more than %d changes in one commit",
			  OVS_MAX_QUEUED_EDITS);
		return -ENOSPC;
	}
	for (size_t i = 0; i < s->nqueued && !q; i++)
		if (strcmp(s->queue[i].name, port) == 0)
			q = &s->queue[i];
	if (!q) {
		if (s->nqueued == OVS_MAX_QUEUED_PORTS) {
			ovs_error(call, "more than %d ports in one commit",
				  OVS_MAX_QUEUED_PORTS);
			return -ENOSPC;
		}
		fresh.name = strdup(port);
		if (!fresh.name) {
			r = ovs_nomem(call, NULL);
			goto out;
		}
		r = ovs_port_check(s, call, port, &fresh.cur);
		if (r < 0)
			goto out;
		q = &fresh;
	}
	/* Refuse now what the commit could not apply. */
	r = ovs_queued_want(call, q, e, &want);
	if (r < 0)
		goto out;
	edits = realloc(q->edits, (q->nedits + 1) * sizeof(*edits));
	if (!edits) {
		r = ovs_nomem(call, NULL);
		goto out;
	}
	q->edits = edits;
	if (q == &fresh) {
		grown = realloc(s->queue, (s->nqueued + 1) * sizeof(*grown));
		if (!grown) {
			r = ovs_nomem(call, NULL);
			goto out;
		}
		s->queue = grown;
	}
	q->edits[q->nedits++] = *e;
	s->nedits++;
	if (q == &fresh) {
		s->queue[s->nqueued++] = fresh;
		fresh = (struct ovs_queued){0};
	}
	r = 0;
out:
	ovs_queued_free(&fresh);
	return r;
}

/* Read every queued port again after losing a race; the edits stay. */
static int ovs_queue_reread(struct ovs_session *s, struct hil_call *call)
{
	struct ovs_port cur;
	int r;

	for (size_t i = 0; i < s->nqueued; i++) {
		r = ovs_port_check(s, call, s->queue[i].name, &cur);
		if (r < 0)
			return r;
		json_decref(s->queue[i].cur.columns);
		s->queue[i].cur = cur;
	}
	return 0;
}

/* What each operation of a commit's transaction is for, so that the one
 * that failed says why. */
enum ovs_step_kind {
	OVS_STEP_ON_BRIDGE, /* the port is still on the bridge */
	OVS_STEP_AS_READ,   /* its VLAN columns are still as read */
	OVS_STEP_UPDATE,    /* its new row */
	OVS_STEP_CONFIG,    /* next_cfg, the comment */
};

struct ovs_step {
	enum ovs_step_kind kind;
	size_t port; /* index in the queue */
};

/* Append op (stolen; NULL means out of memory) to the transaction. */
static int ovs_step_add(struct hil_call *call, json_t *ops, json_t *op,
			struct ovs_step *steps, size_t *n,
			enum ovs_step_kind kind, size_t port)
{
	if (!op || json_array_append_new(ops, op) < 0)
		return ovs_nomem(call, NULL);
	steps[(*n)++] = (struct ovs_step){kind, port};
	return 0;
}

/* The wait that fails unless the port's VLAN columns are still as read. */
static json_t *ovs_op_as_read(const struct ovs_port *cur)
{
	return json_pack("{s:s, s:s, s:[[s,s,[s,s]]], s:[s,s,s,s], s:s, "
			 "s:[O], s:i}",
			 "op", "wait", "table", "Port", "where", "_uuid",
			 "==", "uuid", cur->uuid, "columns", "tag", "trunks",
			 "vlan_mode", "protected", "until", "==", "rows",
			 cur->columns, "timeout", 0);
}

static json_t *ovs_op_update(const struct ovs_port *cur,
			     const struct ovs_row *row)
{
	json_t *newrow = ovs_row_json(row);

	if (!newrow)
		return NULL;
	return json_pack("{s:s, s:s, s:[[s,s,[s,s]]], s:o}", "op", "update",
			 "table", "Port", "where", "_uuid", "==", "uuid",
			 cur->uuid, "row", newrow);
}

/* Name the port in the transaction's comment, while there is room. */
static void ovs_comment_add(char *comment, size_t len, const char *port,
			    size_t changed)
{
	size_t n = strlen(comment);

	if (n + strlen(port) + 8 < len)
		snprintf(comment + n, len - n, "%s%s", changed ? ", " : " ",
			 port);
	else if (n + 5 < len && strcmp(comment + n - 3, "...") != 0)
		snprintf(comment + n, len - n, ", ...");
}

/* Why a commit's transaction failed at step i. */
static int ovs_commit_failed(struct ovs_session *s, struct hil_call *call,
			     json_t *results, long failed,
			     const struct ovs_step *steps, size_t nsteps)
{
	const char *port;
	char why[320];

	ovs_op_error(results, failed, why, sizeof(why));
	if (failed < 0 || (size_t)failed >= nsteps ||
	    steps[failed].kind == OVS_STEP_CONFIG) {
		ovs_error(call, "ovsdb '%s' refused the changes: %s", s->target,
			  why);
		return -EPROTO;
	}
	port = s->queue[steps[failed].port].name;
	switch (steps[failed].kind) {
	case OVS_STEP_ON_BRIDGE:
		ovs_error(call, "port '%s' is not on bridge '%s'", port,
			  s->bridge);
		return -ENOENT;
	case OVS_STEP_AS_READ:
		if (ovs_op_timed_out(results, failed))
			return -EAGAIN;
		break;
	default:
		break;
	}
	ovs_error(call, "ovsdb '%s' refused to change port '%s': %s", s->target,
		  port, why);
	return -EPROTO;
}

/*
 * One try at the commit: ONE transaction that checks every queued port
 * is still on the bridge and as read, writes the final row of each port
 * whose row changes and, if any does, bumps next_cfg once.  Returns 0
 * with the configuration ovs-vswitchd must reach in *ret_cfg, -EAGAIN
 * when a port changed since it was read, another negative errno with
 * the error set.
 */
static int ovs_commit_once(struct ovs_session *s, struct hil_call *call,
			   json_int_t *ret_cfg)
{
	struct ovs_step *steps = calloc(3 * s->nqueued + 3, sizeof(*steps));
	json_t *ops = json_array(), *results = NULL;
	char comment[OVS_MAX_COMMENT] = "hil: ports";
	size_t nsteps = 0, changed = 0, cfg_at = 0;
	json_int_t cfg = 0;
	struct ovs_vlans want;
	struct ovs_row row;
	long failed;
	int r = 0;

	if (!steps || !ops) {
		r = ovs_nomem(call, NULL);
		goto out;
	}
	for (size_t i = 0; i < s->nqueued && r == 0; i++) {
		const struct ovs_queued *q = &s->queue[i];

		r = ovs_queued_want(call, q, NULL, &want);
		if (r < 0)
			break;
		ovs_vlans_row(&want, &row);
		/* A port already as wanted may still be on its way to the
		 * datapath: wait for the configuration it was read in. */
		if (q->cur.next_cfg > cfg)
			cfg = q->cur.next_cfg;
		r = ovs_step_add(call, ops, ovs_op_on_bridge(s, q->cur.uuid),
				 steps, &nsteps, OVS_STEP_ON_BRIDGE, i);
		if (r == 0)
			r = ovs_step_add(call, ops, ovs_op_as_read(&q->cur),
					 steps, &nsteps, OVS_STEP_AS_READ, i);
		if (r == 0 && !ovs_row_equal(&row, &q->cur.row)) {
			r = ovs_step_add(call, ops,
					 ovs_op_update(&q->cur, &row), steps,
					 &nsteps, OVS_STEP_UPDATE, i);
			ovs_comment_add(comment, sizeof(comment), q->name,
					changed++);
		}
	}
	if (r == 0 && changed) {
		r = ovs_step_add(call, ops,
				 json_pack("{s:s, s:s, s:[], s:[[s,s,i]]}",
					   "op", "mutate", "table",
					   "Open_vSwitch", "where", "mutations",
					   "next_cfg", "+=", 1),
				 steps, &nsteps, OVS_STEP_CONFIG, 0);
		cfg_at = nsteps;
		if (r == 0)
			r = ovs_step_add(call, ops,
					 json_pack("{s:s, s:s, s:[], s:[s]}",
						   "op", "select", "table",
						   "Open_vSwitch", "where",
						   "columns", "next_cfg"),
					 steps, &nsteps, OVS_STEP_CONFIG, 0);
		if (r == 0)
			r = ovs_step_add(call, ops,
					 json_pack("{s:s, s:s}", "op",
						   "comment", "comment",
						   comment),
					 steps, &nsteps, OVS_STEP_CONFIG, 0);
	}
	if (r < 0)
		goto out;
	r = ovs_transact(s, call, ops, &results, &failed);
	ops = NULL;
	if (r < 0)
		goto out;
	if (failed >= 0) {
		r = ovs_commit_failed(s, call, results, failed, steps, nsteps);
		goto out;
	}
	if (changed)
		cfg = json_integer_value(json_object_get(
			json_array_get(ovs_rows(results, cfg_at), 0),
			"next_cfg"));
	*ret_cfg = cfg;
out:
	json_decref(results);
	json_decref(ops);
	free(steps);
	return r;
}

/*
 * Wait until ovs-vswitchd applied configuration cfg, which a transaction
 * ovsdb-server committed asked for.  The changes are in the database
 * already, so a connection that broke is retried once on a fresh one:
 * only the wait was lost.  Returns 0 once ovs-vswitchd reports cfg, or
 * -ETIMEDOUT, the error text saying why, when it cannot tell whether the
 * switch applied the changes (ovs-vswitchd did not in time, the wait
 * failed, the connection broke twice).
 */
static int ovs_applied_wait(struct ovs_session *s, struct hil_call *call,
			    json_int_t cfg)
{
	json_t *ops, *results = NULL;
	long failed = -1;
	char why[320];
	int r = -ENOTCONN;

	for (int i = 0; i < 2 && r == -ENOTCONN; i++) {
		json_decref(results);
		results = NULL;
		ops = json_pack("[o]",
				ovs_op_applied(cfg, ovs_wait_budget(call)));
		if (!ops) {
			r = ovs_nomem(call, NULL);
			break;
		}
		r = ovs_transact(s, call, ops, &results, &failed);
	}
	if (r == 0 && failed >= 0 && ovs_op_timed_out(results, failed)) {
		if (s->nqueued == 1)
			ovs_error(call,
				  "ovs-vswitchd did not apply the change to "
				  "port '%s' in time (is it running?)",
				  s->queue[0].name);
		else
			ovs_error(call,
				  "ovs-vswitchd did not apply the changes to "
				  "%zu ports in time (is it running?)",
				  s->nqueued);
		r = -ETIMEDOUT;
		goto out;
	}
	if (r == 0 && failed >= 0) {
		ovs_op_error(results, failed, why, sizeof(why));
		ovs_error(call,
			  "ovsdb '%s' failed waiting for ovs-vswitchd: %s",
			  s->target, why);
		r = -EPROTO;
	}
	if (r < 0)
		r = ovs_unknown(call, r,
				"ovsdb committed the changes, then waiting for "
				"ovs-vswitchd failed");
out:
	json_decref(results);
	return r;
}

/*
 * Write what the queue holds, in one transaction, retrying while others
 * race us (each retry reads the ports again and applies the same edits),
 * then wait for ovs-vswitchd.  A connection that broke is retried once on
 * a fresh one: the edits applied again to what is there now give the same
 * rows, whether or not the server got the first transaction.  The queue
 * is empty afterwards.  Returns 0 when the switch has every change (the
 * database, and the datapath unless wait_vswitchd is no); -ETIMEDOUT when
 * it may have some: past the deadline, when any failure follows a
 * transaction sent and never answered (the server may have committed it),
 * or when the wait for ovs-vswitchd fails after the commit; any other
 * negative errno when ovsdb-server has none of them (it refused the
 * transaction, a port left the bridge, ports kept changing).  The error
 * text says why.
 */
static int ovs_session_commit(void *session, struct hil_call *call)
{
	struct ovs_session *s = session;
	json_int_t cfg = 0;
	bool reconnected = false, unanswered = false;
	int r = -EAGAIN;

	if (!s->nqueued)
		return 0;
	ovs_last_error[0] = '\0';
	for (int attempt = 0; r == -EAGAIN && attempt < OVS_MAX_ATTEMPTS;
	     attempt++) {
		if (attempt > 0) {
			ovs_backoff(s, call, attempt);
			r = ovs_queue_reread(s, call);
			if (r < 0)
				break;
		}
		s->in_doubt = false;
		r = ovs_commit_once(s, call, &cfg);
		/* Sent whole and unanswered, the transaction may have been
		 * committed: past here a failure leaves the outcome unknown. */
		if (r < 0 && s->in_doubt)
			unanswered = true;
		if (r == -ENOTCONN && !reconnected) {
			reconnected = true;
			r = -EAGAIN;
		}
	}
	if (r == -EAGAIN)
		ovs_error(call,
			  "ports kept changing under us; gave up after %d "
			  "attempts",
			  OVS_MAX_ATTEMPTS);
	if (r < 0 && unanswered)
		r = ovs_unknown(call, r,
				"a transaction sent to ovsdb got no answer");
	if (r == 0 && cfg > 0 && ovs_wait_vswitchd)
		r = ovs_applied_wait(s, call, cfg);
	ovs_queue_clear(s);
	return r;
}

/* Close the connection and free the session; accepts NULL, returns
 * NULL. */
static struct ovs_session *ovs_session_free(struct ovs_session *s)
{
	if (!s)
		return NULL;
	ovs_disconnect(s);
	ovs_queue_clear(s);
	free(s->buf);
	free(s->target);
	free(s->bridge);
	free(s);
	return NULL;
}

static int ovs_session_open(const struct hil_host *host, struct hil_call *call,
			    void **ret_session)
{
	const char *bridge = host->setting_str(call, "ovs_bridge");
	const char *target = host->setting_str(call, "ovsdb");
	struct ovs_session *s = NULL;
	json_t *ops, *results = NULL;
	long failed;
	int r;

	if (!target)
		target = OVS_DEFAULT_TARGET;
	if (!ovs_name_valid(bridge)) {
		ovs_error(call, "the switch has no valid ovs_bridge");
		return -EINVAL;
	}
	if (strnlen(target, OVS_MAX_TARGET + 1) > OVS_MAX_TARGET) {
		ovs_error(call, "the switch's ovsdb is too long");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return ovs_nomem(call, NULL);
	s->fd = -1;
	s->seed = (unsigned)(uintptr_t)s ^ (unsigned)getpid() ^
		  (unsigned)host->deadline_left_ms(call);
	s->target = strdup(target);
	s->bridge = strdup(bridge);
	if (!s->target || !s->bridge) {
		r = ovs_nomem(call, NULL);
		goto out;
	}
	/* Find a missing bridge now rather than once per port. */
	ops = json_pack("[{s:s, s:s, s:[[s,s,s]], s:[s]}]", "op", "select",
			"table", "Bridge", "where", "name", "==", bridge,
			"columns", "_uuid");
	if (!ops) {
		r = ovs_nomem(call, NULL);
		goto out;
	}
	r = ovs_transact(s, call, ops, &results, &failed);
	if (r < 0)
		goto out;
	r = -ENOENT;
	if (failed >= 0 || !ovs_rows(results, 0)) {
		ovs_error(call, "ovsdb '%s' could not look up bridge '%s'",
			  target, bridge);
		r = -EPROTO;
		goto out;
	}
	if (json_array_size(ovs_rows(results, 0)) == 0) {
		ovs_error(call, "bridge '%s' not found in ovsdb '%s'", bridge,
			  target);
		goto out;
	}
	host->log(HIL_LOG_DEBUG, "ovs switch: connected to '%s', bridge '%s'",
		  target, bridge);
	*ret_session = s;
	s = NULL;
	r = 0;
out:
	json_decref(results);
	ovs_session_free(s);
	return r;
}

/* Channel and VLAN into an edit.  0, or -EINVAL with the error set. */
static int ovs_edit_parse(struct hil_call *call, const char *port,
			  const char *channel, const char *vlan,
			  struct ovs_edit *ret)
{
	struct ovs_edit e = {.add = vlan != NULL, .vlan = -1};
	int id = -1;

	if (channel && strcmp(channel, "vlan/native") == 0) {
		e.kind = OVS_EDIT_NATIVE;
	} else if (channel && strncmp(channel, "vlan/", 5) == 0) {
		e.kind = OVS_EDIT_TAGGED;
		id = ovs_vlan_parse(channel + 5);
		if (id < 0)
			goto bad;
	} else {
		goto bad;
	}
	if (vlan) {
		e.vlan = ovs_vlan_parse(vlan);
		/* A tagged channel names its VLAN. */
		if (e.vlan < 0 || (id >= 0 && e.vlan != id))
			goto bad;
		if (e.vlan == ovs_parking_vlan) {
			ovs_error(call,
				  "vlan %d is the parking vlan of "
				  "this driver",
				  e.vlan);
			return -EINVAL;
		}
	} else {
		e.vlan = id;
	}
	*ret = e;
	return 0;
bad:
	ovs_error(call,
		  "invalid channel '%.40s' or vlan '%.16s' for port "
		  "'%s'",
		  channel ? channel : "", vlan ? vlan : "-", port);
	return -EINVAL;
}

static int ovs_set_port(void *session, struct hil_call *call, const char *port,
			const char *channel, const char *vlan)
{
	struct ovs_edit e;
	int r;

	if (ovs_port_valid(port) < 0) {
		ovs_error(call, "invalid port name");
		return -EINVAL;
	}
	r = ovs_edit_parse(call, port, channel, vlan, &e);
	if (r < 0)
		return r;
	return ovs_queue_edit(session, call, port, &e);
}

static int ovs_revert_port(void *session, struct hil_call *call,
			   const char *port)
{
	const struct ovs_edit e = {.kind = OVS_EDIT_REVERT, .vlan = -1};

	if (ovs_port_valid(port) < 0) {
		ovs_error(call, "invalid port name");
		return -EINVAL;
	}
	return ovs_queue_edit(session, call, port, &e);
}

static int ovs_get_port_once(struct ovs_session *s, struct hil_call *call,
			     const char *port,
			     void (*sink)(void *arg, const char *channel,
					  const char *vlan),
			     void *arg)
{
	struct ovs_port cur = {0};
	char channel[24], vlan[12];
	int r;

	r = ovs_port_read(s, call, port, &cur);
	if (r == 0)
		r = ovs_port_on_bridge(s, call, port, cur.uuid);
	/* -EPROTO tells hild the port carries what no channel describes: a
	 * reply we could not read is another matter. */
	if (r == -EPROTO)
		r = -EIO;
	if (r < 0)
		goto out;
	/* Saying "nothing" for a port open to every VLAN would tell hild
	 * it is isolated; it is not. */
	if (cur.open) {
		ovs_error(call,
			  "port '%s' carries traffic hil did not "
			  "put there: %s; revert it",
			  port, cur.open);
		r = -EPROTO;
		goto out;
	}
	if (cur.vlans.native >= 0) {
		snprintf(vlan, sizeof(vlan), "%d", cur.vlans.native);
		sink(arg, "vlan/native", vlan);
	}
	for (int v = 1; v < OVS_VLANS; v++) {
		if (!ovs_vlan_has(&cur.vlans.tagged, v))
			continue;
		snprintf(channel, sizeof(channel), "vlan/%d", v);
		snprintf(vlan, sizeof(vlan), "%d", v);
		sink(arg, channel, vlan);
	}
out:
	json_decref(cur.columns);
	return r;
}

static int ovs_get_port(void *session, struct hil_call *call, const char *port,
			void (*sink)(void *arg, const char *channel,
				     const char *vlan),
			void *arg)
{
	int r;

	if (ovs_port_valid(port) < 0 || !sink) {
		ovs_error(call, "invalid port name");
		return -EINVAL;
	}
	r = ovs_get_port_once(session, call, port, sink, arg);
	if (r == -ENOTCONN)
		r = ovs_get_port_once(session, call, port, sink, arg);
	return r;
}

/* Open vSwitch keeps its database on disk as it commits: save has
 * nothing to do.  What was queued and never committed is dropped. */
static int ovs_session_close(void *session, struct hil_call *call, int save)
{
	(void)call;
	(void)save;
	ovs_session_free(session);
	return 0;
}

static int ovs_init(const struct hil_host *host)
{
	const char *v;
	char *end;
	long n;

	ovs_host = host;
	ovs_parking_vlan = OVS_PARKING_VLAN;
	ovs_wait_vswitchd = true;
	v = host->option("ovs", "parking_vlan");
	if (v) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < 1 || n >= OVS_VLANS) {
			host->log(HIL_LOG_ERR,
				  "ovs switch: option 'parking_vlan' must be "
				  "1..%d, not '%s'",
				  OVS_VLANS - 1, v);
			return -EINVAL;
		}
		ovs_parking_vlan = (int)n;
	}
	v = host->option("ovs", "wait_vswitchd");
	if (v) {
		size_t i;

		for (i = 0; i < OVS_NWAITS; i++)
			if (strcmp(v, ovs_wait_names[i].name) == 0)
				break;
		if (i == OVS_NWAITS) {
			host->log(HIL_LOG_ERR,
				  "ovs switch: option 'wait_vswitchd' must be "
				  "yes, batch or no, not '%s'",
				  v);
			return -EINVAL;
		}
		ovs_wait_vswitchd = ovs_wait_names[i].wait;
	}
	return 0;
}

static const struct hil_switch_ops ovs_ops = {
	.size = sizeof(struct hil_switch_ops),
	.settings = ovs_settings,
	.capabilities = ovs_capabilities,
	.port_valid = ovs_port_valid,
	.session_open = ovs_session_open,
	.set_port = ovs_set_port,
	.revert_port = ovs_revert_port,
	.get_port = ovs_get_port,
	.session_close = ovs_session_close,
	.session_commit = ovs_session_commit,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "ovs",
	.description = "Open vSwitch through OVSDB (RFC 7047)",
	.init = ovs_init,
	.fini = NULL,
	.switch_ops = &ovs_ops,
};
