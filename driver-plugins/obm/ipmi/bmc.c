/*
 * bmc.c (ipmi driver) - RMCP+ sessions over OpenIPMI, one pump thread, as
 * blocking calls with deadlines.  See bmc.h for the model.
 *
 * The only file of the driver that includes OpenIPMI headers.
 *
 * Ownership.  Fields marked "pump" are touched by the pump thread only;
 * fields marked "lock" are guarded by bmc.lock, which is never held while
 * calling into OpenIPMI (the pump's callbacks take it).  A request is
 * referenced by its caller, by the pump while it works on it, and by the
 * library while a command is in flight; a session by the table, by each
 * command in flight on it and by its pending close; a console by its
 * caller and by the pump.
 */
#include "config.h"

#include "bmc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <OpenIPMI/ipmi_auth.h>
#include <OpenIPMI/ipmi_conn.h>
#include <OpenIPMI/ipmi_err.h>
#include <OpenIPMI/ipmi_lan.h>
#include <OpenIPMI/ipmi_msgbits.h>
#include <OpenIPMI/ipmi_posix.h>
#include <OpenIPMI/ipmi_sol.h>
#include <OpenIPMI/ipmiif.h>

#define BMC_CONSOLE_BUF	     65536  /* console bytes kept for a reader */
#define BMC_CLOSE_WAIT_MS    2000   /* bound on deactivating a console */
#define BMC_STOP_WAIT_MS     2000   /* bound on closing sessions at stop */
#define BMC_PUMP_MAX_WAIT_MS 1000   /* longest sleep of the pump */
#define BMC_SOL_ACK_US	     500000 /* SOL retransmit interval */
#define BMC_SOL_ACK_RETRIES  4
#define BMC_SOL_INSTANCE     1 /* the payload instance a takeover ends */

/* IPMI 2.0 cipher suites (table 22-20): the three algorithms, and why a
 * suite is refused, if it is. */
static const struct bmc_cipher {
	unsigned auth, integrity, conf;
	const char *refused;
} bmc_ciphers[] = {
	[0] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_NONE,
	       IPMI_LANP_INTEGRITY_ALGORITHM_NONE,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_NONE,
	       "it authenticates nobody"},
	[1] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_SHA1,
	       IPMI_LANP_INTEGRITY_ALGORITHM_NONE,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_NONE,
	       "it does not protect commands from tampering"},
	[2] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_SHA1,
	       IPMI_LANP_INTEGRITY_ALGORITHM_HMAC_SHA1_96,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_NONE, NULL},
	[3] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_SHA1,
	       IPMI_LANP_INTEGRITY_ALGORITHM_HMAC_SHA1_96,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_AES_CBC_128, NULL},
	[4] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_SHA1,
	       IPMI_LANP_INTEGRITY_ALGORITHM_HMAC_SHA1_96,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_xRC4_128, NULL},
	[5] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_SHA1,
	       IPMI_LANP_INTEGRITY_ALGORITHM_HMAC_SHA1_96,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_xRC4_40,
	       "its 40-bit encryption is broken"},
	[6] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
	       IPMI_LANP_INTEGRITY_ALGORITHM_NONE,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_NONE,
	       "it does not protect commands from tampering"},
	[7] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
	       IPMI_LANP_INTEGRITY_ALGORITHM_HMAC_MD5_128,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_NONE, NULL},
	[8] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
	       IPMI_LANP_INTEGRITY_ALGORITHM_HMAC_MD5_128,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_AES_CBC_128, NULL},
	[9] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
	       IPMI_LANP_INTEGRITY_ALGORITHM_HMAC_MD5_128,
	       IPMI_LANP_CONFIDENTIALITY_ALGORITHM_xRC4_128, NULL},
	[10] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
		IPMI_LANP_INTEGRITY_ALGORITHM_HMAC_MD5_128,
		IPMI_LANP_CONFIDENTIALITY_ALGORITHM_xRC4_40,
		"its 40-bit encryption is broken"},
	[11] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
		IPMI_LANP_INTEGRITY_ALGORITHM_MD5_128,
		IPMI_LANP_CONFIDENTIALITY_ALGORITHM_NONE, NULL},
	[12] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
		IPMI_LANP_INTEGRITY_ALGORITHM_MD5_128,
		IPMI_LANP_CONFIDENTIALITY_ALGORITHM_AES_CBC_128, NULL},
	[13] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
		IPMI_LANP_INTEGRITY_ALGORITHM_MD5_128,
		IPMI_LANP_CONFIDENTIALITY_ALGORITHM_xRC4_128, NULL},
	[14] = {IPMI_LANP_AUTHENTICATION_ALGORITHM_RAKP_HMAC_MD5,
		IPMI_LANP_INTEGRITY_ALGORITHM_MD5_128,
		IPMI_LANP_CONFIDENTIALITY_ALGORITHM_xRC4_40,
		"its 40-bit encryption is broken"},
};

#define BMC_N_CIPHERS (sizeof(bmc_ciphers) / sizeof(bmc_ciphers[0]))

/* Everything that identifies a session: a request reuses an open session
 * only when all of it matches, the password included. */
struct bmc_key {
	char host[BMC_MAX_HOST + 1];
	char port[8];
	char user[BMC_MAX_USER + 1];
	char password[BMC_MAX_PASSWORD + 1];
	unsigned cipher_suite;
	unsigned privilege;
};

enum bmc_req_kind {
	BMC_REQ_COMMAND,
	BMC_REQ_CONSOLE_OPEN,
	BMC_REQ_CONSOLE_CLOSE,
	BMC_REQ_DEACTIVATE, /* the pump's own, for a console takeover */
};

struct bmc_session;

struct bmc_req {
	TAILQ_ENTRY(bmc_req) entry; /* lock: incoming; then pump: active */
	enum bmc_req_kind kind;
	struct bmc_key key;
	long long deadline;
	struct bmc_msg msg;
	struct bmc_console *console;

	/* pump */
	struct bmc_session *session;
	bool sent;     /* handed to the library */
	bool finished; /* completed; leaves the active list at the sweep */

	/* lock */
	int refs;
	bool done;
	int rc;
	struct bmc_reply reply;
	char err[BMC_MAX_ERROR];
	pthread_cond_t cond;
};

enum bmc_session_state {
	BMC_SESSION_CONNECTING,
	BMC_SESSION_UP,
	BMC_SESSION_CLOSING,
};

/* pump, all of it */
struct bmc_session {
	TAILQ_ENTRY(bmc_session) entry; /* in bmc.sessions, most recent first */
	struct bmc_key key;
	ipmi_con_t *con;
	enum bmc_session_state state;
	int refs;
	unsigned busy; /* requests waiting for it or in flight on it */
	long long opened_at, last_used;
	struct bmc_console *console; /* a console's own session */
};

struct bmc_console {
	TAILQ_ENTRY(bmc_console) entry; /* pump: in bmc.consoles */
	char name[BMC_MAX_HOST + 16];	/* "host:port", for messages */

	/* lock */
	int refs;
	pthread_cond_t cond;
	char *buf; /* a ring of BMC_CONSOLE_BUF bytes */
	size_t head, len;
	unsigned long dropped; /* bytes lost to a full ring */
	bool ended;
	char err[BMC_MAX_ERROR];
	struct bmc_req *close_req; /* until the caller closes */

	/* pump */
	bool listed; /* in bmc.consoles, holding the pump's reference */
	struct bmc_session *session;
	ipmi_sol_conn_t *sol;
	ipmi_sol_state state;
	struct bmc_req *open_req; /* until the console is up or failed */
	bool takeover_tried;
	bool need_activate, need_takeover, need_teardown;
	bool deactivating;
	bool stolen; /* another console of ours took the payload over */
	long long close_deadline;
};

TAILQ_HEAD(bmc_req_list, bmc_req);
TAILQ_HEAD(bmc_session_list, bmc_session);
TAILQ_HEAD(bmc_console_list, bmc_console);

static struct {
	pthread_mutex_t lock;
	const struct hil_host *host;
	struct bmc_options opt;
	os_handler_t *os;
	os_hnd_fd_id_t *wake_id;
	int wake_fd;
	pthread_t thread;
	bool started;		      /* pump thread created */
	bool running;		      /* lock: accepting requests */
	bool stop;		      /* lock: the pump is asked to stop */
	struct bmc_req_list incoming; /* lock */

	/* pump */
	struct bmc_req_list active;
	struct bmc_session_list sessions;
	struct bmc_console_list consoles;
	unsigned n_sessions; /* in bmc.sessions */
	unsigned closing;    /* closes waiting for the library */
	struct {
		unsigned long opened, closed, timeouts, takeovers, bytes;
	} stats;
} bmc = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake_fd = -1,
};

long long bmc_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec bmc_timespec(long long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000};

	return ts;
}

static void bmc_debug(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void bmc_debug(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	bmc.host->log(HIL_LOG_DEBUG, "ipmi: %s", line);
}

/* The library's own diagnostics, at debug level.  Its packet dumps
 * (the DEBUG types) are dropped: they carry session traffic. */
static void bmc_library_log(os_handler_t *os, const char *fmt,
			    enum ipmi_log_type_e type, va_list ap)
{
	char line[512];

	(void)os;
	if (type == IPMI_LOG_DEBUG || type == IPMI_LOG_DEBUG_START ||
	    type == IPMI_LOG_DEBUG_CONT || type == IPMI_LOG_DEBUG_END)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	bmc.host->log(HIL_LOG_DEBUG, "ipmi: openipmi: %s", line);
}

static void bmc_wake(void)
{
	uint64_t one = 1;

	/* A full counter already means "wake up"; nothing else can fail. */
	if (write(bmc.wake_fd, &one, sizeof(one)) < 0)
		return;
}

static void bmc_wake_ready(int fd, void *data, os_hnd_fd_id_t *id)
{
	uint64_t n;

	(void)data;
	(void)id;
	if (read(fd, &n, sizeof(n)) < 0)
		return; /* EAGAIN: someone else drained it */
}

const char *bmc_cc_string(unsigned cc, char *buf, size_t len)
{
	ipmi_get_cc_string(cc & 0xff, buf, (unsigned)len);
	return buf;
}

/* The library's text for one of its error values. */
static const char *bmc_err_string(int err, char *buf, size_t len)
{
	if (err == ETIMEDOUT)
		snprintf(buf, len, "no answer");
	else if (err > 0 && err < 256)
		snprintf(buf, len, "%s", strerror(err));
	else if (IPMI_IS_IPMI_ERR(err))
		snprintf(buf, len, "completion code 0x%02x",
			 IPMI_GET_IPMI_ERR(err));
	else
		ipmi_get_error_string((unsigned)err, buf, (unsigned)len);
	return buf;
}

/* Targets and keys. */

int bmc_target_check(const struct bmc_target *t, char *err, size_t errlen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	const struct bmc_cipher *c;

	if (!t->host || !*t->host || strlen(t->host) > BMC_MAX_HOST ||
	    (inet_pton(AF_INET, t->host, addr) != 1 &&
	     inet_pton(AF_INET6, t->host, addr) != 1)) {
		snprintf(err, errlen, "the BMC address is not an IP address");
		return -EINVAL;
	}
	if (t->port < 1 || t->port > 65535) {
		snprintf(err, errlen, "BMC port %u is out of range", t->port);
		return -EINVAL;
	}
	if (!t->user || strlen(t->user) > BMC_MAX_USER) {
		snprintf(err, errlen,
			 "the BMC user name is longer than %d bytes",
			 BMC_MAX_USER);
		return -EINVAL;
	}
	if (!t->password || strlen(t->password) > BMC_MAX_PASSWORD) {
		snprintf(err, errlen,
			 "the BMC password is longer than %d bytes",
			 BMC_MAX_PASSWORD);
		return -EINVAL;
	}
	if (t->cipher_suite >= BMC_N_CIPHERS) {
		snprintf(err, errlen, "unknown IPMI cipher suite %u",
			 t->cipher_suite);
		return -EINVAL;
	}
	c = &bmc_ciphers[t->cipher_suite];
	if (c->refused) {
		snprintf(err, errlen, "IPMI cipher suite %u is refused: %s",
			 t->cipher_suite, c->refused);
		return -EINVAL;
	}
	if (t->privilege < BMC_PRIV_USER || t->privilege > BMC_PRIV_ADMIN) {
		snprintf(err, errlen, "unknown IPMI privilege level %u",
			 t->privilege);
		return -EINVAL;
	}
	return 0;
}

static void bmc_key_set(struct bmc_key *k, const struct bmc_target *t)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->host, sizeof(k->host), "%s", t->host);
	snprintf(k->port, sizeof(k->port), "%u", t->port);
	snprintf(k->user, sizeof(k->user), "%s", t->user);
	snprintf(k->password, sizeof(k->password), "%s", t->password);
	k->cipher_suite = t->cipher_suite;
	k->privilege = t->privilege;
}

static bool bmc_key_equal(const struct bmc_key *a, const struct bmc_key *b)
{
	return strcmp(a->host, b->host) == 0 && strcmp(a->port, b->port) == 0 &&
	       strcmp(a->user, b->user) == 0 &&
	       strcmp(a->password, b->password) == 0 &&
	       a->cipher_suite == b->cipher_suite &&
	       a->privilege == b->privilege;
}

/* "host:port" for messages; IPv6 addresses in brackets. */
static const char *bmc_key_name(const struct bmc_key *k, char *buf, size_t len)
{
	if (strchr(k->host, ':'))
		snprintf(buf, len, "[%s]:%s", k->host, k->port);
	else
		snprintf(buf, len, "%s:%s", k->host, k->port);
	return buf;
}

/* Requests. */

static pthread_condattr_t bmc_condattr;

static int bmc_req_new(enum bmc_req_kind kind, const struct bmc_key *key,
		       long long deadline, struct bmc_req **ret)
{
	struct bmc_req *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	if (pthread_cond_init(&r->cond, &bmc_condattr) != 0) {
		free(r);
		return -ENOMEM;
	}
	r->kind = kind;
	if (key)
		r->key = *key;
	r->deadline = deadline;
	r->refs = 1;
	*ret = r;
	return 0;
}

/* Drop a reference; call with bmc.lock held. */
static void bmc_req_unref_locked(struct bmc_req *r)
{
	if (--r->refs > 0)
		return;
	explicit_bzero(r->key.password, sizeof(r->key.password));
	pthread_cond_destroy(&r->cond);
	free(r);
}

static void bmc_req_unref(struct bmc_req *r)
{
	pthread_mutex_lock(&bmc.lock);
	bmc_req_unref_locked(r);
	pthread_mutex_unlock(&bmc.lock);
}

/* Hand r to the pump (which takes a reference).  Returns 0, or
 * -ECANCELED when the pump is not running. */
static int bmc_submit(struct bmc_req *r)
{
	pthread_mutex_lock(&bmc.lock);
	if (!bmc.running) {
		pthread_mutex_unlock(&bmc.lock);
		return -ECANCELED;
	}
	r->refs++;
	TAILQ_INSERT_TAIL(&bmc.incoming, r, entry);
	pthread_mutex_unlock(&bmc.lock);
	bmc_wake();
	return 0;
}

/* Wait for r until its deadline.  Returns its result, or -ETIMEDOUT. */
static int bmc_req_wait(struct bmc_req *r, char *err, size_t errlen)
{
	struct timespec ts = bmc_timespec(r->deadline);
	char name[BMC_MAX_HOST + 16];
	int rc;

	pthread_mutex_lock(&bmc.lock);
	while (!r->done)
		if (pthread_cond_timedwait(&r->cond, &bmc.lock, &ts) ==
		    ETIMEDOUT)
			break;
	if (r->done) {
		rc = r->rc;
		if (rc < 0)
			snprintf(err, errlen, "%s", r->err);
	} else {
		rc = -ETIMEDOUT;
		snprintf(err, errlen,
			 "no answer from BMC '%s' before the "
			 "deadline",
			 bmc_key_name(&r->key, name, sizeof(name)));
	}
	pthread_mutex_unlock(&bmc.lock);
	return rc;
}

/* Record r's result and wake its caller; the pump lets go of it at the
 * next sweep.  Only the first completion counts. */
static void bmc_req_complete(struct bmc_req *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bmc_req_complete(struct bmc_req *r, int rc, const char *fmt, ...)
{
	va_list ap;

	if (r->finished)
		return;
	r->finished = true;
	if (r->session) {
		r->session->busy--;
		r->session->last_used = bmc_clock_ms();
	}
	pthread_mutex_lock(&bmc.lock);
	r->done = true;
	r->rc = rc;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(r->err, sizeof(r->err), fmt, ap);
		va_end(ap);
	}
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&bmc.lock);
}

/* Sessions. */

static void bmc_session_unref(struct bmc_session *s)
{
	if (--s->refs > 0)
		return;
	explicit_bzero(s->key.password, sizeof(s->key.password));
	free(s);
}

static void bmc_session_closed(ipmi_con_t *con, void *data)
{
	struct bmc_session *s = data;

	(void)con;
	s->con = NULL;
	bmc.closing--;
	bmc_session_unref(s);
}

static void bmc_console_detach(struct bmc_console *c, const char *why);
static void bmc_con_changed(ipmi_con_t *con, int err, unsigned port_num,
			    int any_port_up, void *data);

/*
 * Close s: fail what waits for it, take it out of the table, ask the
 * library to end the session.  Commands in flight are called back by the
 * library as it tears the connection down.  A console on s loses its SOL
 * first, while the connection under it still exists.  Not from inside a
 * library callback when s carries a console (see bmc_session_fail).
 */
static void bmc_session_close(struct bmc_session *s, const char *why)
{
	char name[BMC_MAX_HOST + 16];
	struct bmc_req *r;

	if (s->state == BMC_SESSION_CLOSING)
		return;
	s->state = BMC_SESSION_CLOSING;
	TAILQ_REMOVE(&bmc.sessions, s, entry);
	bmc.n_sessions--;
	bmc.stats.closed++;
	bmc_key_name(&s->key, name, sizeof(name));
	bmc_debug("session to '%s' as '%s' closed: %s (%u open)", name,
		  s->key.user, why, bmc.n_sessions);
	for (r = TAILQ_FIRST(&bmc.active); r; r = TAILQ_NEXT(r, entry)) {
		if (r->session == s && !r->sent && !r->finished)
			bmc_req_complete(r, -ECONNRESET,
					 "session to BMC '%s' closed: %s", name,
					 why);
	}
	if (s->console)
		bmc_console_detach(s->console, why);
	if (!s->con) {
		bmc_session_unref(s);
		return;
	}
	s->con->remove_con_change_handler(s->con, bmc_con_changed, s);
	bmc.closing++;
	if (s->con->close_connection_done(s->con, bmc_session_closed, s) != 0) {
		/* Nothing more can be done with it; forget it. */
		bmc.closing--;
		s->con = NULL;
		bmc_session_unref(s);
	}
}

static void bmc_console_end(struct bmc_console *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* From a library callback: a console's session is closed later, by the
 * pump, so its SOL is never freed under the library's feet. */
static void bmc_session_fail(struct bmc_session *s, const char *why)
{
	if (s->state == BMC_SESSION_CLOSING)
		return;
	if (s->console)
		bmc_console_end(s->console,
				"console session to BMC '%s' "
				"failed: %s",
				s->console->name, why);
	else
		bmc_session_close(s, why);
}

static void bmc_req_send(struct bmc_req *r);
static int bmc_sol_data(ipmi_sol_conn_t *sol, const void *data, size_t n,
			void *arg);
static void bmc_sol_state(ipmi_sol_conn_t *sol, ipmi_sol_state state, int err,
			  void *arg);

/*
 * Map a failed login to an errno and a message.  OpenIPMI reports a bad
 * password as EINVAL (the BMC's RAKP 2 fails its integrity check) and an
 * unknown user as the RMCP+ status "unauthorized name".
 */
static int bmc_login_error(int err, const char *name, const char *user,
			   char *buf, size_t len)
{
	char what[128];

	if (err == EINVAL ||
	    err == IPMI_RMCPP_ERR_VAL(
			   IPMI_RMCPP_INVALID_INTEGRITY_CHECK_VALUE)) {
		snprintf(buf, len,
			 "BMC '%s' refused the login of user '%s': wrong "
			 "password",
			 name, user);
		return -EACCES;
	}
	bmc_err_string(err, what, sizeof(what));
	if (!IPMI_IS_RMCPP_ERR(err)) {
		if (err == ETIMEDOUT) {
			snprintf(buf, len, "no answer from BMC '%s'", name);
			return -ETIMEDOUT;
		}
		snprintf(buf, len,
			 "could not open an RMCP+ session to BMC '%s': %s",
			 name, what);
		return -EIO;
	}
	switch (IPMI_GET_RMCPP_ERR(err)) {
	case IPMI_RMCPP_UNAUTHORIZED_NAME:
		snprintf(buf, len,
			 "BMC '%s' refused the login: unknown user "
			 "'%s'",
			 name, user);
		return -EACCES;
	case IPMI_RMCPP_UNAUTHORIZED_ROLE_OR_PRIVILEGE:
	case IPMI_RMCPP_INVALID_ROLE:
		snprintf(buf, len,
			 "BMC '%s' refused the login of user '%s' "
			 "at the requested privilege level",
			 name, user);
		return -EACCES;
	case IPMI_RMCPP_INSUFFICIENT_RESOURCES_FOR_SESSION:
	case IPMI_RMCPP_INSUFFICIENT_RESOURCES_FOR_ROLE:
		snprintf(buf, len, "BMC '%s' has no free session", name);
		return -EBUSY;
	case IPMI_RMCPP_NO_CIPHER_SUITE_MATCHES:
	case IPMI_RMCPP_INVALID_AUTHENTICATION_ALGORITHM:
	case IPMI_RMCPP_INVALID_INTEGRITY_ALGORITHM:
	case IPMI_RMCPP_INVALID_CONFIDENTIALITY_ALGORITHM:
		snprintf(buf, len,
			 "BMC '%s' does not offer the cipher suite: "
			 "%s",
			 name, what);
		return -EPROTONOSUPPORT;
	default:
		snprintf(buf, len,
			 "BMC '%s' refused the login of user '%s': "
			 "%s",
			 name, user, what);
		return -EACCES;
	}
}

/*
 * The library's word on a session: the first call says whether the login
 * worked, later ones report a loss (or a recovery, which changes nothing
 * here: a lost session is closed at once).
 */
static void bmc_con_changed(ipmi_con_t *con, int err, unsigned port_num,
			    int any_port_up, void *data)
{
	struct bmc_session *s = data;
	char name[BMC_MAX_HOST + 16], msg[BMC_MAX_ERROR], what[128];
	struct bmc_req *r;
	int rc;

	(void)con;
	(void)port_num;
	if (s->state == BMC_SESSION_CLOSING)
		return;
	bmc_key_name(&s->key, name, sizeof(name));
	if (!err && any_port_up) {
		if (s->state == BMC_SESSION_UP)
			return;
		s->state = BMC_SESSION_UP;
		bmc.stats.opened++;
		bmc_debug("session to '%s' as '%s' opened in %lld ms (%u open)",
			  name, s->key.user, bmc_clock_ms() - s->opened_at,
			  bmc.n_sessions);
		for (r = TAILQ_FIRST(&bmc.active); r;
		     r = TAILQ_NEXT(r, entry)) {
			if (r->session == s && !r->sent && !r->finished &&
			    r->kind == BMC_REQ_COMMAND)
				bmc_req_send(r);
		}
		if (s->console)
			s->console->need_activate = true;
		return;
	}
	if (s->state == BMC_SESSION_CONNECTING) {
		rc = bmc_login_error(err, name, s->key.user, msg, sizeof(msg));
		for (r = TAILQ_FIRST(&bmc.active); r;
		     r = TAILQ_NEXT(r, entry)) {
			if (r->session == s && !r->finished)
				bmc_req_complete(r, rc, "%s", msg);
		}
		bmc_session_fail(s, "login failed");
		return;
	}
	bmc_err_string(err, what, sizeof(what));
	snprintf(msg, sizeof(msg), "connection lost: %s", what);
	bmc_session_fail(s, msg);
}

/* Make room for one more session: close the least recently used idle
 * one.  Returns 0, or -EBUSY when every session is busy. */
static int bmc_session_evict(void)
{
	struct bmc_session *s;

	if (bmc.n_sessions < bmc.opt.max_sessions)
		return 0;
	for (s = TAILQ_LAST(&bmc.sessions, bmc_session_list); s;
	     s = TAILQ_PREV(s, bmc_session_list, entry)) {
		if (!s->busy && !s->console) {
			bmc_session_close(s,
					  "least recently used, to make room");
			return 0;
		}
	}
	return -EBUSY;
}

static int bmc_session_new(const struct bmc_key *key, struct bmc_session **ret,
			   char *err, size_t errlen)
{
	const struct bmc_cipher *c = &bmc_ciphers[key->cipher_suite];
	char *addrs[1] = {(char *)key->host}, *ports[1] = {(char *)key->port};
	ipmi_lanp_parm_t p[] = {
		{IPMI_LANP_PARMID_ADDRS, 0, addrs, 1},
		{IPMI_LANP_PARMID_PORTS, 0, ports, 1},
		{IPMI_LANP_PARMID_AUTHTYPE, IPMI_AUTHTYPE_RMCP_PLUS, NULL, 0},
		{IPMI_LANP_PARMID_PRIVILEGE, key->privilege, NULL, 0},
		{IPMI_LANP_PARMID_USERNAME, 0, (void *)key->user,
		 (unsigned)strlen(key->user)},
		{IPMI_LANP_PARMID_PASSWORD, 0, (void *)key->password,
		 (unsigned)strlen(key->password)},
		{IPMI_LANP_AUTHENTICATION_ALGORITHM, c->auth, NULL, 0},
		{IPMI_LANP_INTEGRITY_ALGORITHM, c->integrity, NULL, 0},
		{IPMI_LANP_CONFIDENTIALITY_ALGORITHM, c->conf, NULL, 0},
		{IPMI_LANP_DEFAULT_TIMEOUT, bmc.opt.retry_ms * 1000, NULL, 0},
	};
	char name[BMC_MAX_HOST + 16];
	struct bmc_session *s;
	int r;

	bmc_key_name(key, name, sizeof(name));
	if (bmc_session_evict() < 0) {
		snprintf(err, errlen,
			 "no session slot for BMC '%s': all %u are busy "
			 "(plugin.ipmi.max_sessions)",
			 name, bmc.opt.max_sessions);
		return -EBUSY;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->key = *key;
	s->refs = 1;
	s->state = BMC_SESSION_CONNECTING;
	s->opened_at = s->last_used = bmc_clock_ms();
	r = ipmi_lanp_setup_con(p, sizeof(p) / sizeof(p[0]), bmc.os, NULL,
				&s->con);
	if (r) {
		snprintf(err, errlen,
			 "could not set up a session to BMC '%s': "
			 "%s",
			 name, strerror(r));
		bmc_session_unref(s);
		return -EIO;
	}
	TAILQ_INSERT_HEAD(&bmc.sessions, s, entry);
	bmc.n_sessions++;
	s->refs++; /* across start_con, whose callbacks may close s */
	r = s->con->add_con_change_handler(s->con, bmc_con_changed, s);
	if (!r)
		r = s->con->start_con(s->con);
	if (!r && s->state == BMC_SESSION_CLOSING)
		r = ECONNREFUSED;
	if (r) {
		snprintf(err, errlen,
			 "could not start a session to BMC '%s': "
			 "%s",
			 name, strerror(r));
		bmc_session_close(s, "could not start");
		bmc_session_unref(s);
		return -EIO;
	}
	bmc_session_unref(s);
	*ret = s;
	return 0;
}

/* An open (or opening) shared session for key, most recent use first. */
static struct bmc_session *bmc_session_find(const struct bmc_key *key)
{
	struct bmc_session *s;

	for (s = TAILQ_FIRST(&bmc.sessions); s; s = TAILQ_NEXT(s, entry)) {
		if (!s->console && bmc_key_equal(&s->key, key))
			return s;
	}
	return NULL;
}

/* Commands. */

static int bmc_cmd_done(ipmi_con_t *con, ipmi_msgi_t *rspi)
{
	struct bmc_req *r = rspi->data1;
	struct bmc_session *s = r->session;
	const ipmi_msg_t *m = &rspi->msg;
	char name[BMC_MAX_HOST + 16];
	struct bmc_console *c = r->console;

	bmc_key_name(&r->key, name, sizeof(name));
	if (!con || m->data_len < 1) {
		bmc_req_complete(r, -ECONNRESET,
				 "session to BMC '%s' closed before it "
				 "answered",
				 name);
	} else if (m->netfn != (r->msg.netfn | 1) || m->cmd != r->msg.cmd) {
		bmc_req_complete(r, -EPROTO,
				 "BMC '%s' answered another command", name);
	} else if (m->data[0] == IPMI_TIMEOUT_CC) {
		/* The library gave up retransmitting; so do we. */
		bmc_req_complete(r, -ETIMEDOUT, "no answer from BMC '%s'",
				 name);
		bmc_session_fail(s, "a request went unanswered");
	} else if (!r->finished) {
		pthread_mutex_lock(&bmc.lock);
		r->reply.len = m->data_len < sizeof(r->reply.data)
				       ? m->data_len
				       : sizeof(r->reply.data);
		memcpy(r->reply.data, m->data, r->reply.len);
		pthread_mutex_unlock(&bmc.lock);
		bmc_req_complete(r, 0, NULL);
	}
	if (r->kind == BMC_REQ_DEACTIVATE && c && c->open_req)
		c->need_activate = true;
	bmc_session_unref(s);
	pthread_mutex_lock(&bmc.lock);
	bmc_req_unref_locked(r); /* the library's reference */
	pthread_mutex_unlock(&bmc.lock);
	return IPMI_MSG_ITEM_NOT_USED;
}

static void bmc_req_send(struct bmc_req *r)
{
	struct bmc_session *s = r->session;
	ipmi_system_interface_addr_t si = {
		.addr_type = IPMI_SYSTEM_INTERFACE_ADDR_TYPE,
		.channel = IPMI_BMC_CHANNEL,
		.lun = 0,
	};
	ipmi_msg_t msg = {
		.netfn = r->msg.netfn,
		.cmd = r->msg.cmd,
		.data_len = (unsigned short)r->msg.len,
		.data = r->msg.data,
	};
	const ipmi_con_option_t opts[] = {
		{.option = IPMI_CON_MSG_OPTION_SIDE_EFFECTS, .ival = 1},
		{.option = IPMI_CON_OPTION_LIST_END},
	};
	char name[BMC_MAX_HOST + 16];
	ipmi_msgi_t *rspi = ipmi_alloc_msg_item();
	int e;

	if (!rspi) {
		bmc_req_complete(r, -ENOMEM, "out of memory");
		return;
	}
	rspi->data1 = r;
	r->sent = true;
	s->refs++;
	pthread_mutex_lock(&bmc.lock);
	r->refs++;
	pthread_mutex_unlock(&bmc.lock);
	if (r->msg.side_effects && s->con->send_command_option)
		e = s->con->send_command_option(s->con, (ipmi_addr_t *)&si,
						sizeof(si), &msg, opts,
						bmc_cmd_done, rspi);
	else
		e = s->con->send_command(s->con, (ipmi_addr_t *)&si, sizeof(si),
					 &msg, bmc_cmd_done, rspi);
	if (!e)
		return;
	ipmi_free_msg_item(rspi);
	s->refs--;
	pthread_mutex_lock(&bmc.lock);
	r->refs--;
	pthread_mutex_unlock(&bmc.lock);
	bmc_req_complete(r, -EIO, "could not send to BMC '%s': %s",
			 bmc_key_name(&r->key, name, sizeof(name)),
			 strerror(e));
}

/* Consoles. */

static void bmc_console_unref_locked(struct bmc_console *c)
{
	if (--c->refs > 0)
		return;
	if (c->close_req)
		bmc_req_unref_locked(c->close_req);
	pthread_cond_destroy(&c->cond);
	free(c->buf);
	free(c);
}

/* The console will not deliver anything more: readers get what is
 * buffered, then the reason; the pump tears it down at its next step. */
static void bmc_console_end(struct bmc_console *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&bmc.lock);
	if (!c->ended) {
		c->ended = true;
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&bmc.lock);
	c->need_teardown = true;
}

static void bmc_console_sol_free(struct bmc_console *c)
{
	if (!c->sol)
		return;
	ipmi_sol_deregister_connection_state_callback(c->sol, bmc_sol_state, c);
	ipmi_sol_deregister_data_received_callback(c->sol, bmc_sol_data, c);
	/* Forcing a close sends Deactivate Payload, unless the payload is
	 * now another console's. */
	if (c->state != ipmi_sol_state_closed)
		ipmi_sol_force_close_wsend(c->sol, !c->stolen);
	ipmi_sol_free(c->sol);
	c->sol = NULL;
	c->state = ipmi_sol_state_closed;
}

/* c's session is closing: let go of the SOL while the connection under
 * it exists, fail a pending open, end the console. */
static void bmc_console_detach(struct bmc_console *c, const char *why)
{
	struct bmc_req *r;

	if (c->open_req) {
		bmc_req_complete(c->open_req, -ECONNRESET,
				 "console session to BMC '%s' closed: %s",
				 c->name, why);
		c->open_req = NULL;
	}
	bmc_console_sol_free(c);
	/* A takeover's request in flight must not find c afterwards. */
	for (r = TAILQ_FIRST(&bmc.active); r; r = TAILQ_NEXT(r, entry)) {
		if (r->console == c && r->kind == BMC_REQ_DEACTIVATE)
			r->console = NULL;
	}
	c->session->console = NULL;
	c->session = NULL;
	bmc_console_end(c, "console session to BMC '%s' closed: %s", c->name,
			why);
}

static int bmc_sol_data(ipmi_sol_conn_t *sol, const void *data, size_t n,
			void *arg)
{
	struct bmc_console *c = arg;
	const char *p = data;
	size_t tail, chunk, drop;

	(void)sol;
	pthread_mutex_lock(&bmc.lock);
	bmc.stats.bytes += n;
	if (n > BMC_CONSOLE_BUF) {
		c->dropped += n - BMC_CONSOLE_BUF;
		p += n - BMC_CONSOLE_BUF;
		n = BMC_CONSOLE_BUF;
	}
	if (c->len + n > BMC_CONSOLE_BUF) {
		/* Nobody read for a while: keep the newest output. */
		drop = c->len + n - BMC_CONSOLE_BUF;
		c->dropped += drop;
		c->head = (c->head + drop) % BMC_CONSOLE_BUF;
		c->len -= drop;
	}
	while (n > 0) {
		tail = (c->head + c->len) % BMC_CONSOLE_BUF;
		chunk = BMC_CONSOLE_BUF - tail;
		if (chunk > n)
			chunk = n;
		memcpy(c->buf + tail, p, chunk);
		c->len += chunk;
		p += chunk;
		n -= chunk;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&bmc.lock);
	return 0; /* accepted: ACK */
}

/* Is err the BMC saying another session holds the console?  OpenIPMI
 * finds no free payload instance and reports "invalid payload type"; a
 * BMC may also refuse the activation with completion code 0x80. */
static bool bmc_sol_busy(int err)
{
	return err == IPMI_RMCPP_ERR_VAL(IPMI_RMCPP_INVALID_PAYLOAD_TYPE) ||
	       err == IPMI_IPMI_ERR_VAL(0x80);
}

/* Runs inside the library: only records what the pump must do next. */
static void bmc_sol_state(ipmi_sol_conn_t *sol, ipmi_sol_state state, int err,
			  void *arg)
{
	struct bmc_console *c = arg;
	char what[128];

	(void)sol;
	c->state = state;
	if (state == ipmi_sol_state_connected ||
	    state == ipmi_sol_state_connected_ctu) {
		if (c->open_req) {
			bmc_req_complete(c->open_req, 0, NULL);
			c->open_req = NULL;
		}
		return;
	}
	if (state != ipmi_sol_state_closed)
		return;
	bmc_err_string(err, what, sizeof(what));
	if (c->open_req && bmc_sol_busy(err) && !c->takeover_tried) {
		c->need_takeover = true;
		return;
	}
	if (c->open_req) {
		bmc_req_complete(c->open_req, bmc_sol_busy(err) ? -EBUSY : -EIO,
				 "could not open the serial console of BMC "
				 "'%s': %s",
				 c->name, what);
		c->open_req = NULL;
		c->need_teardown = true;
		return;
	}
	if (c->deactivating)
		bmc_console_end(c, "console closed");
	else
		bmc_console_end(c, "BMC '%s' ended the serial console: %s",
				c->name, err ? what : "deactivated");
}

static void bmc_console_activate(struct bmc_console *c)
{
	int e;

	e = ipmi_sol_create(c->session->con, &c->sol);
	if (e) {
		c->sol = NULL;
		goto fail;
	}
	ipmi_sol_register_connection_state_callback(c->sol, bmc_sol_state, c);
	ipmi_sol_register_data_received_callback(c->sol, bmc_sol_data, c);
	ipmi_sol_set_ACK_timeout(c->sol, BMC_SOL_ACK_US);
	ipmi_sol_set_ACK_retries(c->sol, BMC_SOL_ACK_RETRIES);
	c->state = ipmi_sol_state_connecting;
	e = ipmi_sol_open(c->sol);
	if (!e)
		return;
fail:
	if (c->open_req)
		bmc_req_complete(c->open_req, -EIO,
				 "could not start the serial console of BMC "
				 "'%s': %s",
				 c->name, strerror(e));
	c->open_req = NULL;
	c->need_teardown = true;
}

/* Another session holds the console: end it (Deactivate Payload, SOL,
 * instance 1) and try once more when the BMC has answered. */
static void bmc_console_takeover(struct bmc_console *c)
{
	struct bmc_console *other;
	struct bmc_req *r = NULL;

	c->need_takeover = false;
	c->takeover_tried = true;
	bmc_console_sol_free(c);
	if (bmc_req_new(BMC_REQ_DEACTIVATE, &c->session->key,
			c->open_req->deadline, &r) < 0) {
		bmc_req_complete(c->open_req, -ENOMEM, "out of memory");
		c->open_req = NULL;
		c->need_teardown = true;
		return;
	}
	bmc.stats.takeovers++;
	bmc_debug("serial console of '%s' is held by another session; "
		  "taking it over",
		  c->name);
	/* If that session is one of ours, its console ends now, and its
	 * close must not deactivate the payload this one is taking. */
	for (other = TAILQ_FIRST(&bmc.consoles); other;
	     other = TAILQ_NEXT(other, entry)) {
		if (other == c || !other->session || other->stolen ||
		    strcmp(other->session->key.host, c->session->key.host) ||
		    strcmp(other->session->key.port, c->session->key.port))
			continue;
		other->stolen = true;
		bmc_console_end(other,
				"the serial console of BMC '%s' was "
				"taken over by a newer console session",
				other->name);
	}
	r->msg.netfn = IPMI_APP_NETFN;
	r->msg.cmd = IPMI_DEACTIVATE_PAYLOAD_CMD;
	r->msg.data[0] = IPMI_RMCPP_PAYLOAD_TYPE_SOL;
	r->msg.data[1] = BMC_SOL_INSTANCE;
	r->msg.len = 6;
	r->console = c;
	r->session = c->session;
	c->session->busy++;
	TAILQ_INSERT_TAIL(&bmc.active, r, entry); /* the pump's reference */
	bmc_req_send(r);
}

/* Let go of the console's SOL and session, and of the pump's reference. */
static void bmc_console_teardown(struct bmc_console *c)
{
	struct bmc_req *r;

	c->need_teardown = false;
	if (c->session)
		bmc_session_close(c->session, c->deactivating
						      ? "console closed"
						      : "console ended");
	if (c->open_req) {
		bmc_req_complete(c->open_req, -ECONNRESET, "console closed");
		c->open_req = NULL;
	}
	bmc_console_sol_free(c);
	for (r = TAILQ_FIRST(&bmc.active); r; r = TAILQ_NEXT(r, entry)) {
		if (r->console == c)
			r->console = NULL;
	}
	TAILQ_REMOVE(&bmc.consoles, c, entry);
	c->listed = false;
	pthread_mutex_lock(&bmc.lock);
	if (c->dropped)
		bmc_debug("console of '%s' lost %lu bytes nobody read", c->name,
			  c->dropped);
	if (!c->ended) {
		c->ended = true;
		snprintf(c->err, sizeof(c->err), "console closed");
	}
	pthread_cond_broadcast(&c->cond);
	bmc_console_unref_locked(c);
	pthread_mutex_unlock(&bmc.lock);
}

/* The caller closed the console: deactivate the payload politely, for a
 * bounded time, then tear down. */
static void bmc_console_shutdown(struct bmc_console *c)
{
	if (!c->listed || c->deactivating)
		return;
	c->deactivating = true;
	c->close_deadline = bmc_clock_ms() + BMC_CLOSE_WAIT_MS;
	if (c->open_req) {
		bmc_req_complete(c->open_req, -ECONNRESET, "console closed");
		c->open_req = NULL;
	}
	if (c->sol && c->session && !c->stolen &&
	    (c->state == ipmi_sol_state_connected ||
	     c->state == ipmi_sol_state_connected_ctu) &&
	    ipmi_sol_close(c->sol) == 0)
		return; /* bmc_sol_state() reports it closed */
	c->need_teardown = true;
}

/* What the library's callbacks asked for, done outside them. */
static void bmc_consoles_step(long long now)
{
	struct bmc_console *c, *next;

	for (c = TAILQ_FIRST(&bmc.consoles);
	     c && ((next = TAILQ_NEXT(c, entry)), 1); c = next) {
		if (c->need_takeover && c->open_req && c->session)
			bmc_console_takeover(c);
		if (c->need_activate) {
			c->need_activate = false;
			if (c->open_req && c->session &&
			    c->session->state == BMC_SESSION_UP) {
				bmc_console_sol_free(c);
				bmc_console_activate(c);
			}
		}
		if (c->deactivating && now >= c->close_deadline)
			c->need_teardown = true;
		if (c->need_teardown)
			bmc_console_teardown(c);
	}
}

/* The pump. */

/* The caller closed the console; the request carries the caller's
 * reference to it, dropped here. */
static void bmc_console_close_run(struct bmc_req *r)
{
	struct bmc_console *c = r->console;

	r->console = NULL;
	bmc_console_shutdown(c);
	bmc_req_complete(r, 0, NULL);
	pthread_mutex_lock(&bmc.lock);
	bmc_console_unref_locked(c);
	pthread_mutex_unlock(&bmc.lock);
}

static void bmc_req_start(struct bmc_req *r, long long now)
{
	char err[BMC_MAX_ERROR];
	struct bmc_session *s;
	struct bmc_console *c = r->console;
	int rc;

	TAILQ_INSERT_TAIL(&bmc.active, r, entry);
	if (r->kind == BMC_REQ_CONSOLE_CLOSE) {
		bmc_console_close_run(r);
		return;
	}
	if (r->deadline <= now) {
		bmc_req_complete(r, -ETIMEDOUT,
				 "the deadline passed before the "
				 "request was sent");
		return;
	}
	if (r->kind == BMC_REQ_CONSOLE_OPEN) {
		rc = bmc_session_new(&r->key, &s, err, sizeof(err));
		if (rc < 0) {
			bmc_req_complete(r, rc, "%s", err);
			return;
		}
		pthread_mutex_lock(&bmc.lock);
		c->refs++; /* the pump's, while listed */
		pthread_mutex_unlock(&bmc.lock);
		c->listed = true;
		TAILQ_INSERT_TAIL(&bmc.consoles, c, entry);
		c->session = s;
		s->console = c;
		c->open_req = r;
		r->session = s;
		s->busy++;
		if (s->state == BMC_SESSION_UP)
			c->need_activate = true;
		return;
	}
	/* idle_ms 0: a session of its own for every request */
	s = bmc.opt.idle_ms > 0 ? bmc_session_find(&r->key) : NULL;
	if (!s) {
		rc = bmc_session_new(&r->key, &s, err, sizeof(err));
		if (rc < 0) {
			bmc_req_complete(r, rc, "%s", err);
			return;
		}
	} else {
		/* most recently used first */
		TAILQ_REMOVE(&bmc.sessions, s, entry);
		TAILQ_INSERT_HEAD(&bmc.sessions, s, entry);
	}
	r->session = s;
	s->busy++;
	if (s->state == BMC_SESSION_UP)
		bmc_req_send(r);
}

/* Requests past their deadline fail, and close their session: the
 * library would otherwise keep retransmitting them. */
static void bmc_expire(long long now)
{
	char name[BMC_MAX_HOST + 16];
	struct bmc_req *r;
	struct bmc_session *s;

	for (r = TAILQ_FIRST(&bmc.active); r; r = TAILQ_NEXT(r, entry)) {
		if (r->finished || r->deadline > now)
			continue;
		s = r->session;
		bmc.stats.timeouts++;
		bmc_key_name(&r->key, name, sizeof(name));
		if (s && s->state == BMC_SESSION_CONNECTING)
			bmc_req_complete(r, -ETIMEDOUT,
					 "no answer from BMC '%s' to the login "
					 "before the deadline",
					 name);
		else
			bmc_req_complete(r, -ETIMEDOUT,
					 "no answer from BMC '%s' before the "
					 "deadline",
					 name);
		if (r->console) {
			if (r->console->open_req == r)
				r->console->open_req = NULL;
			r->console->need_teardown = true;
		}
		if (s && s->state != BMC_SESSION_CLOSING)
			bmc_session_close(s, "a request missed its deadline");
	}
}

/* Let go of finished requests; the active list is only ever shortened
 * here, so callbacks may complete requests while it is walked. */
static void bmc_sweep(void)
{
	struct bmc_req *r, *next;

	for (r = TAILQ_FIRST(&bmc.active);
	     r && ((next = TAILQ_NEXT(r, entry)), 1); r = next) {
		if (!r->finished)
			continue;
		TAILQ_REMOVE(&bmc.active, r, entry);
		pthread_mutex_lock(&bmc.lock);
		bmc_req_unref_locked(r);
		pthread_mutex_unlock(&bmc.lock);
	}
}

static void bmc_close_idle(long long now)
{
	struct bmc_session *s, *next;

	for (s = TAILQ_FIRST(&bmc.sessions);
	     s && ((next = TAILQ_NEXT(s, entry)), 1); s = next) {
		if (!s->busy && !s->console &&
		    now - s->last_used >= bmc.opt.idle_ms)
			bmc_session_close(s, "idle");
	}
}

/* How long the pump may sleep: until the next deadline or idle expiry. */
static long long bmc_next_wake(long long now)
{
	long long next = now + BMC_PUMP_MAX_WAIT_MS;
	struct bmc_session *s;
	struct bmc_console *c;
	struct bmc_req *r;

	for (r = TAILQ_FIRST(&bmc.active); r; r = TAILQ_NEXT(r, entry)) {
		if (!r->finished && r->deadline < next)
			next = r->deadline;
	}
	for (s = TAILQ_FIRST(&bmc.sessions); s; s = TAILQ_NEXT(s, entry)) {
		if (!s->busy && !s->console &&
		    s->last_used + bmc.opt.idle_ms < next)
			next = s->last_used + bmc.opt.idle_ms;
	}
	for (c = TAILQ_FIRST(&bmc.consoles); c; c = TAILQ_NEXT(c, entry)) {
		if (c->deactivating && c->close_deadline < next)
			next = c->close_deadline;
	}
	return next > now ? next - now : 0;
}

static void bmc_fail_all(struct bmc_req_list *list)
{
	struct bmc_req *r, *next;

	for (r = TAILQ_FIRST(list); r && ((next = TAILQ_NEXT(r, entry)), 1);
	     r = next) {
		TAILQ_REMOVE(list, r, entry);
		if (r->kind == BMC_REQ_CONSOLE_CLOSE)
			bmc_console_close_run(r);
		else
			bmc_req_complete(r, -ECANCELED,
					 "the ipmi driver is stopping");
		pthread_mutex_lock(&bmc.lock);
		bmc_req_unref_locked(r);
		pthread_mutex_unlock(&bmc.lock);
	}
}

static void bmc_pump_stop(void)
{
	struct bmc_req_list incoming = TAILQ_HEAD_INITIALIZER(incoming);
	struct bmc_session *s, *snext;
	struct bmc_console *c, *cnext;
	struct bmc_req *r;
	long long end;

	pthread_mutex_lock(&bmc.lock);
	TAILQ_CONCAT(&incoming, &bmc.incoming, entry);
	pthread_mutex_unlock(&bmc.lock);
	bmc_fail_all(&incoming);
	for (r = TAILQ_FIRST(&bmc.active); r; r = TAILQ_NEXT(r, entry)) {
		bmc_req_complete(r, -ECANCELED, "the ipmi driver is stopping");
	}
	for (c = TAILQ_FIRST(&bmc.consoles);
	     c && ((cnext = TAILQ_NEXT(c, entry)), 1); c = cnext) {
		bmc_console_shutdown(c);
	}
	end = bmc_clock_ms() + BMC_STOP_WAIT_MS;
	while (!TAILQ_EMPTY(&bmc.consoles) && bmc_clock_ms() < end) {
		struct timeval tv = {0, 50000};

		bmc.os->perform_one_op(bmc.os, &tv);
		bmc_consoles_step(bmc_clock_ms());
	}
	for (c = TAILQ_FIRST(&bmc.consoles);
	     c && ((cnext = TAILQ_NEXT(c, entry)), 1); c = cnext) {
		bmc_console_teardown(c);
	}
	for (s = TAILQ_FIRST(&bmc.sessions);
	     s && ((snext = TAILQ_NEXT(s, entry)), 1); s = snext) {
		bmc_session_close(s, "the ipmi driver is stopping");
	}
	while (bmc.closing > 0 && bmc_clock_ms() < end) {
		struct timeval tv = {0, 50000};

		bmc.os->perform_one_op(bmc.os, &tv);
	}
	bmc_sweep();
	bmc_debug("stopped: %lu sessions opened, %lu closed, %lu requests "
		  "timed out, %lu consoles taken over, %lu console bytes",
		  bmc.stats.opened, bmc.stats.closed, bmc.stats.timeouts,
		  bmc.stats.takeovers, bmc.stats.bytes);
}

static void *bmc_pump(void *arg)
{
	struct bmc_req_list incoming = TAILQ_HEAD_INITIALIZER(incoming);
	struct bmc_req *r, *next;
	long long now, wait;
	bool stop;

	(void)arg;
	for (;;) {
		now = bmc_clock_ms();
		wait = bmc_next_wake(now);
		struct timeval tv = {.tv_sec = wait / 1000,
				     .tv_usec = (wait % 1000) * 1000};

		bmc.os->perform_one_op(bmc.os, &tv);
		pthread_mutex_lock(&bmc.lock);
		stop = bmc.stop;
		if (!stop)
			TAILQ_CONCAT(&incoming, &bmc.incoming, entry);
		pthread_mutex_unlock(&bmc.lock);
		if (stop)
			break;
		now = bmc_clock_ms();
		for (r = TAILQ_FIRST(&incoming);
		     r && ((next = TAILQ_NEXT(r, entry)), 1); r = next) {
			TAILQ_REMOVE(&incoming, r, entry);
			bmc_req_start(r, now);
		}
		bmc_expire(bmc_clock_ms());
		bmc_consoles_step(bmc_clock_ms());
		bmc_close_idle(bmc_clock_ms());
		bmc_sweep();
	}
	bmc_pump_stop();
	return NULL;
}

int bmc_start(const struct hil_host *host, const struct bmc_options *opt)
{
	sigset_t all, old;
	int r;

	bmc.host = host;
	bmc.opt = *opt;
	TAILQ_INIT(&bmc.incoming);
	TAILQ_INIT(&bmc.active);
	TAILQ_INIT(&bmc.sessions);
	TAILQ_INIT(&bmc.consoles);
	memset(&bmc.stats, 0, sizeof(bmc.stats));
	bmc.n_sessions = bmc.closing = 0;
	bmc.stop = false;
	if (pthread_condattr_init(&bmc_condattr) != 0 ||
	    pthread_condattr_setclock(&bmc_condattr, CLOCK_MONOTONIC) != 0)
		return -ENOMEM;
	bmc.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bmc.wake_fd < 0)
		return -errno;
	/* The unthreaded handler: only the pump ever runs the library. */
	bmc.os = ipmi_posix_setup_os_handler();
	if (!bmc.os) {
		r = -ENOMEM;
		goto fail;
	}
	bmc.os->set_log_handler(bmc.os, bmc_library_log);
	r = ipmi_init(bmc.os);
	if (r) {
		r = -r;
		goto fail;
	}
	r = bmc.os->add_fd_to_wait_for(bmc.os, bmc.wake_fd, bmc_wake_ready,
				       NULL, NULL, &bmc.wake_id);
	if (r) {
		r = -r;
		ipmi_shutdown();
		goto fail;
	}
	/* The pump takes no signal hild means for another thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bmc.running = true;
	r = -pthread_create(&bmc.thread, NULL, bmc_pump, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		bmc.running = false;
		bmc.os->remove_fd_to_wait_for(bmc.os, bmc.wake_id);
		ipmi_shutdown();
		goto fail;
	}
	bmc.started = true;
	return 0;
fail:
	if (bmc.os)
		bmc.os->free_os_handler(bmc.os);
	bmc.os = NULL;
	close(bmc.wake_fd);
	bmc.wake_fd = -1;
	pthread_condattr_destroy(&bmc_condattr);
	return r;
}

void bmc_stop(void)
{
	if (!bmc.started)
		return;
	pthread_mutex_lock(&bmc.lock);
	bmc.running = false;
	bmc.stop = true;
	pthread_mutex_unlock(&bmc.lock);
	bmc_wake();
	pthread_join(bmc.thread, NULL);
	bmc.started = false;
	bmc.os->remove_fd_to_wait_for(bmc.os, bmc.wake_id);
	/* The selector frees what was removed at its next pass. */
	for (int i = 0; i < 2; i++) {
		struct timeval tv = {0, 0};

		bmc.os->perform_one_op(bmc.os, &tv);
	}
	ipmi_shutdown();
	bmc.os->free_os_handler(bmc.os);
	bmc.os = NULL;
	close(bmc.wake_fd);
	bmc.wake_fd = -1;
	pthread_condattr_destroy(&bmc_condattr);
}

/* The callers' side. */

int bmc_command(const struct bmc_target *t, long long deadline,
		const struct bmc_msg *msg, struct bmc_reply *ret_reply,
		char *err, size_t errlen)
{
	struct bmc_req *r = NULL;
	struct bmc_key key;
	int rc;

	rc = bmc_target_check(t, err, errlen);
	if (rc < 0)
		return rc;
	if (msg->len > sizeof(msg->data)) {
		snprintf(err, errlen, "request too long");
		return -EINVAL;
	}
	bmc_key_set(&key, t);
	rc = bmc_req_new(BMC_REQ_COMMAND, &key, deadline, &r);
	explicit_bzero(key.password, sizeof(key.password));
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	r->msg = *msg;
	rc = bmc_submit(r);
	if (rc < 0) {
		snprintf(err, errlen, "the ipmi driver is not running");
		goto out;
	}
	rc = bmc_req_wait(r, err, errlen);
	if (rc == 0)
		*ret_reply = r->reply; /* written before done, under the lock */
out:
	bmc_req_unref(r);
	return rc;
}

int bmc_console_open(const struct bmc_target *t, long long deadline,
		     struct bmc_console **ret_console, char *err, size_t errlen)
{
	struct bmc_console *c = NULL;
	struct bmc_req *r = NULL;
	struct bmc_key key;
	int rc;

	rc = bmc_target_check(t, err, errlen);
	if (rc < 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->buf = malloc(BMC_CONSOLE_BUF)) ||
	    pthread_cond_init(&c->cond, &bmc_condattr) != 0) {
		if (c)
			free(c->buf);
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->refs = 1; /* the caller's; the pump takes its own */
	c->state = ipmi_sol_state_closed;
	bmc_key_set(&key, t);
	bmc_key_name(&key, c->name, sizeof(c->name));
	rc = bmc_req_new(BMC_REQ_CONSOLE_OPEN, &key, deadline, &r);
	if (rc == 0)
		rc = bmc_req_new(BMC_REQ_CONSOLE_CLOSE, NULL, LLONG_MAX,
				 &c->close_req);
	explicit_bzero(key.password, sizeof(key.password));
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->console = c;
	c->close_req->console = c;
	rc = bmc_submit(r);
	if (rc < 0) {
		snprintf(err, errlen, "the ipmi driver is not running");
		goto fail;
	}
	rc = bmc_req_wait(r, err, errlen);
	bmc_req_unref(r);
	if (rc < 0) {
		/* The pump let go of the console or will at its close. */
		bmc_console_close(c);
		return rc;
	}
	*ret_console = c;
	return 0;
fail:
	if (r)
		bmc_req_unref(r);
	if (c->close_req)
		bmc_req_unref(c->close_req);
	pthread_cond_destroy(&c->cond);
	free(c->buf);
	free(c);
	return rc;
}

long bmc_console_read(struct bmc_console *c, long long deadline, char *buf,
		      size_t len, char *err, size_t errlen)
{
	struct timespec ts = bmc_timespec(deadline);
	size_t n = 0, chunk;

	pthread_mutex_lock(&bmc.lock);
	while (c->len == 0 && !c->ended)
		if (pthread_cond_timedwait(&c->cond, &bmc.lock, &ts) ==
		    ETIMEDOUT)
			break;
	while (c->len > 0 && n < len) {
		chunk = BMC_CONSOLE_BUF - c->head;
		if (chunk > c->len)
			chunk = c->len;
		if (chunk > len - n)
			chunk = len - n;
		memcpy(buf + n, c->buf + c->head, chunk);
		c->head = (c->head + chunk) % BMC_CONSOLE_BUF;
		c->len -= chunk;
		n += chunk;
	}
	if (n == 0 && c->ended) {
		snprintf(err, errlen, "%s", c->err);
		pthread_mutex_unlock(&bmc.lock);
		return -ECONNRESET;
	}
	pthread_mutex_unlock(&bmc.lock);
	return (long)n;
}

void bmc_console_close(struct bmc_console *c)
{
	struct bmc_req *r;

	if (!c)
		return;
	pthread_mutex_lock(&bmc.lock);
	r = c->close_req;
	c->close_req = NULL;
	if (bmc.running && r) {
		/* The request carries the caller's reference to the pump. */
		TAILQ_INSERT_TAIL(&bmc.incoming, r, entry);
		pthread_mutex_unlock(&bmc.lock);
		bmc_wake();
		return;
	}
	if (r)
		bmc_req_unref_locked(r);
	bmc_console_unref_locked(c);
	pthread_mutex_unlock(&bmc.lock);
}
