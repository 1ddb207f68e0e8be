/*
 * bmc.h (ipmi driver, internal) - IPMI 2.0 (RMCP+, "lanplus") sessions to
 * BMCs over the OpenIPMI library, offered as blocking calls with deadlines
 * to any number of caller threads.
 *
 * One pump thread, started by bmc_start() and joined by bmc_stop(), owns
 * everything OpenIPMI: it alone calls into the library and runs its
 * callbacks, so the library runs with its unthreaded os_handler (no wake
 * signal, no signal handler, no locks of its own).  A caller queues a
 * request, wakes the pump through an eventfd and sleeps on a condition
 * variable until the pump completes the request or the deadline passes.
 *
 * Sessions are kept open and reused per BMC (keyed by every login
 * parameter), up to a bound; past it the least recently used idle one is
 * closed.  A session idle for longer than the idle timeout is closed.  A
 * command that misses its deadline closes its session: OpenIPMI cannot
 * cancel a request and keeps retransmitting it, so a BMC that comes back
 * would otherwise execute it again, possibly several times.
 *
 * A serial console (Serial-over-LAN) gets a session of its own, so that a
 * timed-out power command never takes the console down with it.
 *
 * Nothing here logs above debug level; callers get a return code and an
 * error text, which never holds the password.
 */
#ifndef HIL_OBM_IPMI_BMC_H
#define HIL_OBM_IPMI_BMC_H

#include <stdbool.h>
#include <stddef.h>

#include <hil/plugin.h>

#define BMC_MAX_HOST	 255 /* bytes of a BMC address */
#define BMC_MAX_USER	 16  /* IPMI 2.0 user names */
#define BMC_MAX_PASSWORD 20  /* IPMI 2.0 passwords */
#define BMC_MAX_DATA	 32  /* request data bytes */
#define BMC_MAX_REPLY	 64  /* reply bytes kept, completion code first */
#define BMC_MAX_ERROR	 512 /* error text, with the NUL */

/* IPMI privilege levels a session asks for. */
#define BMC_PRIV_USER	  2
#define BMC_PRIV_OPERATOR 3
#define BMC_PRIV_ADMIN	  4

/* A BMC and how to log in to it; strings are borrowed for the call. */
struct bmc_target {
	const char *host; /* a numeric IPv4 or IPv6 address */
	unsigned port;
	const char *user;
	const char *password;
	unsigned cipher_suite; /* IPMI 2.0 cipher suite id */
	unsigned privilege;    /* BMC_PRIV_* */
};

struct bmc_options {
	unsigned max_sessions; /* open sessions, consoles included */
	long long idle_ms;     /* close a session idle this long; 0: at once */
	unsigned retry_ms;     /* retransmit interval of a request */
};

/* One request: network function, command, data. */
struct bmc_msg {
	unsigned char netfn;
	unsigned char cmd;
	unsigned char data[BMC_MAX_DATA];
	size_t len;
	bool side_effects; /* e.g. chassis control: retransmit sparingly */
};

/* The BMC's reply: data[0] is the completion code. */
struct bmc_reply {
	unsigned char data[BMC_MAX_REPLY];
	size_t len;
};

struct bmc_console;

/* Milliseconds on CLOCK_MONOTONIC, the clock deadlines are given on. */
long long bmc_clock_ms(void);

/*
 * Initialise OpenIPMI and start the pump thread.  host->log receives
 * debug lines: sessions opened and closed (with the reason), takeovers,
 * the library's own diagnostics.  Call once, before any other bmc_ call.
 * Returns 0 or a negative errno.
 */
int bmc_start(const struct hil_host *host, const struct bmc_options *opt);

/* Fail what is pending, close every session (waiting a short, bounded
 * time for the BMCs to acknowledge), stop and join the pump, shut
 * OpenIPMI down.  Safe to call when bmc_start failed or never ran. */
void bmc_stop(void);

/*
 * Check that t names a usable BMC and login: address, port, lengths of
 * user and password, an allowed cipher suite, a privilege level.
 * Returns 0 or -EINVAL with the reason in err.
 */
int bmc_target_check(const struct bmc_target *t, char *err, size_t errlen);

/*
 * Send msg to the BMC t names, over its open session or a new one, and
 * wait for the reply until deadline (bmc_clock_ms() time).  The reply's
 * completion code is the caller's to judge.  Returns 0 with the reply in
 * *ret_reply, or -ETIMEDOUT (deadline passed; the session is closed),
 * -EACCES (login refused), -EBUSY (no session slot, here or on the BMC),
 * -EPROTONOSUPPORT (no RMCP+, or no matching cipher suite), -ECONNRESET
 * (session lost), -EINVAL, -ENOMEM, -ECANCELED (stopping), -EPROTO, -EIO;
 * on failure err says why.
 */
int bmc_command(const struct bmc_target *t, long long deadline,
		const struct bmc_msg *msg, struct bmc_reply *ret_reply,
		char *err, size_t errlen);

/* The IPMI specification's name of a completion code, into buf. */
const char *bmc_cc_string(unsigned cc, char *buf, size_t len);

/*
 * Open the BMC's serial console (activate the SOL payload) on a session of
 * its own.  When another session holds the console (a previous hild, an
 * operator's ipmitool), it is deactivated and taken over, once.  Returns 0
 * with the console in *ret_console, or an error as bmc_command() does.
 */
int bmc_console_open(const struct bmc_target *t, long long deadline,
		     struct bmc_console **ret_console, char *err,
		     size_t errlen);

/*
 * Copy what the console received since the last read into buf, waiting
 * until deadline for something to arrive.  Returns the byte count, 0 when
 * nothing arrived before the deadline, or -ECONNRESET once the session has
 * ended and everything it received was read (err says why).  One thread
 * at a time per console.
 */
long bmc_console_read(struct bmc_console *c, long long deadline, char *buf,
		      size_t len, char *err, size_t errlen);

/* Deactivate the console and close its session; does not wait.  Accepts
 * NULL. */
void bmc_console_close(struct bmc_console *c);

#endif /* HIL_OBM_IPMI_BMC_H */
