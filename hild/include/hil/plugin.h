/*
 * hil/plugin.h - the one header a HIL driver includes.
 *
 * A plugin is a shared object that exports exactly one data symbol,
 * hil_plugin_entry, a descriptor hild checks before it calls any plugin
 * function: ABI major (exact match), ABI minor (not newer than hild's), the
 * size of every struct it hands over, its kind, and a name that matches its
 * file name.  A plugin has no ELF constructors or destructors (they would
 * run before those checks); it starts in init.  The host lends a function
 * table (struct hil_host); a driver reaches hild through nothing else.  No
 * heap memory crosses this interface: strings a driver receives are borrowed
 * for the duration of the call, strings it returns are static or live in its
 * own session.
 *
 * Build out of tree with PKG_CHECK_MODULES([HIL], [hil-plugin >= 1.0]) and
 * link with -module -avoid-version -no-undefined
 * -export-symbols-regex '^hil_plugin_entry$'.  Install the result as
 * <name>.so in the directory of its kind, which
 * `pkg-config --variable=switchplugindir hil-plugin` (or obmplugindir,
 * authplugindir) names.
 */
#ifndef HIL_PLUGIN_H
#define HIL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HIL_PLUGIN_ABI_MAJOR 1
#define HIL_PLUGIN_ABI_MINOR 1

#if defined(__GNUC__)
#define HIL_EXPORT	 __attribute__((visibility("default")))
#define HIL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HIL_EXPORT
#define HIL_PRINTF(a, b)
#endif

enum hil_plugin_kind {
	HIL_PLUGIN_SWITCH = 1,
	HIL_PLUGIN_OBM = 2,
	HIL_PLUGIN_AUTH = 3,
};

/* Log levels, as syslog's. */
enum hil_log_level {
	HIL_LOG_ERR = 3,
	HIL_LOG_WARNING = 4,
	HIL_LOG_NOTICE = 5,
	HIL_LOG_INFO = 6,
	HIL_LOG_DEBUG = 7,
};

/*
 * Settings a driver declares, as a table ending with a NULL key.  hild
 * validates what an admin sends (types, required keys, no unknown keys)
 * before the driver sees it; secret values are stored but never returned by
 * the API nor logged.
 */
enum hil_setting_type {
	HIL_SETTING_STRING = 1,
	HIL_SETTING_INT = 2,
	HIL_SETTING_BOOL = 3,
};

#define HIL_SETTING_REQUIRED 0x1u
#define HIL_SETTING_SECRET   0x2u

struct hil_setting {
	const char *key;
	enum hil_setting_type type;
	unsigned flags;
	long long min,
		max; /* bounds for HIL_SETTING_INT; ignored if min > max */
	const char *help;
};

/*
 * One call from hild into a driver: the settings of the switch or node it
 * concerns, a deadline, and room for an error message.  Opaque; reached
 * through the host table.
 */
struct hil_call;

/* One request an auth plugin is asked to authenticate.  Opaque. */
struct hil_auth_request;

/* The function table hild lends to every plugin. */
struct hil_host {
	uint32_t size; /* sizeof(struct hil_host) as hild was built */
	uint32_t abi_minor;

	void (*log)(enum hil_log_level level, const char *fmt, ...)
		HIL_PRINTF(2, 3);

	/* Typed settings of the object a call concerns, readable when the
	 * driver's settings table declares them, through the accessor of
	 * their declared type.  setting_str returns NULL when the key is
	 * absent; setting_int and setting_bool return -ENOENT when absent,
	 * -EINVAL when the key is declared with another type, 0 with *ret
	 * written otherwise. */
	const char *(*setting_str)(const struct hil_call *call,
				   const char *key);
	int (*setting_int)(const struct hil_call *call, const char *key,
			   long long *ret);
	int (*setting_bool)(const struct hil_call *call, const char *key,
			    int *ret);

	/* Plugin-wide options from hild.conf ("plugin.<name>.<key> = value"),
	 * NULL when absent. */
	const char *(*option)(const char *plugin, const char *key);

	/* Milliseconds left before the call's deadline; <= 0 when past. */
	long long (*deadline_left_ms)(const struct hil_call *call);

	/* Record the reason a call failed; shown to the API client as the
	 * operation's error text.  Never put secrets in it. */
	void (*set_error)(struct hil_call *call, const char *fmt, ...)
		HIL_PRINTF(2, 3);

	/* Run argv[0] (an absolute path) without a shell, in a process group
	 * of its own, with only PATH and LC_ALL=C in its environment and its
	 * stderr discarded; feed it input (may be NULL), capture at most
	 * outlen-1 bytes of its stdout into out (NUL-terminated; out may be
	 * NULL with outlen 0), kill it at the call's deadline.  Returns its
	 * exit status (>= 0; 128 + the signal number if a signal ended it),
	 * or -ETIMEDOUT, or another negative errno (-ENOENT: no such
	 * program). */
	int (*run)(struct hil_call *call, const char *const argv[],
		   const char *input, char *out, size_t outlen);

	/* Auth plugins: read a request header (NULL if absent), and sinks for
	 * the identity the plugin establishes. */
	const char *(*auth_header)(const struct hil_auth_request *req,
				   const char *name);
	int (*auth_set_user)(struct hil_auth_request *req, const char *user);
	int (*auth_set_admin)(struct hil_auth_request *req, int admin);
	int (*auth_add_project)(struct hil_auth_request *req,
				const char *project);

	/* Auth plugins whose callers are hild's local users (HIL_AUTH_LOCAL_
	 * USERS): the caller is the local user "user", with that user's admin
	 * flag and project memberships from hild's database.  Replaces
	 * whatever auth_set_* set before.  Returns 0, -ENOENT when there is
	 * no such user (the plugin then returns it: 401), -EINVAL for a name
	 * that cannot be a user, -EIO when the database failed (hild answers
	 * 500 whatever the plugin returns then).  Plugins check
	 * host->size > offsetof(struct hil_host, auth_local_user) first. */
	int (*auth_local_user)(struct hil_auth_request *req, const char *user);
};

/*
 * Switch drivers.  Channels are "vlan/native" or "vlan/<id>".  A session
 * is used by one thread at a time; every call may block but honours the
 * call's deadline and returns -ETIMEDOUT past it.
 *
 * Without session_commit, set_port and revert_port change the switch
 * before they return 0.  With it (ABI 1.1), they may only check their
 * arguments and the port and queue the change, in order:
 * session_commit then applies everything queued since the last commit at
 * once, and only a 0 from session_commit says the switch has it.  Several
 * changes of one port in one commit end as if applied in queue order.  A
 * commit that fails (a negative errno, the reason in the call's error
 * text) applied none of the queued changes, except that past its deadline
 * (-ETIMEDOUT) the outcome is unknown, as for any call; either way the
 * queue is empty afterwards.  A set_port or revert_port that fails queues
 * nothing.  get_port reads what the switch has, not what is queued, and
 * session_close drops what was queued and never committed.  A commit
 * with nothing queued returns 0, and a session stays usable after a
 * commit that failed.  Only a driver that can apply a queue all or
 * nothing (a transactional protocol, a candidate configuration) sets
 * session_commit; one that drives a CLI line by line leaves it NULL.
 *
 * What hild does with the results: an operation is DONE only after the
 * switch has it (after its set_port or revert_port, or after the commit
 * that carried it).  A commit of several operations that failed (not
 * past its deadline) is tried again one operation at a time, so only
 * the operation the switch refuses ends in ERROR.  After a -ETIMEDOUT,
 * the session ends, the operations it held end in ERROR, and hild reads
 * the switch's ports back with get_port later and repairs what differs
 * from its database.  It does the same when it starts.
 *
 * Versions: a driver built against this header is an ABI 1.1 plugin,
 * which hild 1.0 refuses.  To load in both, build with abi_minor = 0 and
 * ops size = offsetof(struct hil_switch_ops, session_commit), without
 * session_commit; pkg-config's "hil-plugin >= 1.1" asks for 1.1.
 */
struct hil_switch_ops {
	uint32_t size; /* sizeof(struct hil_switch_ops) */
	const struct hil_setting *settings;
	/* NULL-terminated, e.g. {"nativeless-trunk-mode", NULL} */
	const char *const *capabilities;

	/* 0 if the driver accepts the port name, -EINVAL otherwise. */
	int (*port_valid)(const char *port);

	/* Open a session to the switch the call's settings describe. */
	int (*session_open)(const struct hil_host *host, struct hil_call *call,
			    void **ret_session);
	/* Put the port on vlan (a decimal id) for channel, or take the
	 * channel off when vlan is NULL.  Idempotent. */
	int (*set_port)(void *session, struct hil_call *call, const char *port,
			const char *channel, const char *vlan);
	/* Remove every VLAN from the port and reset it.  Idempotent. */
	int (*revert_port)(void *session, struct hil_call *call,
			   const char *port);
	/* Read the port back: call sink once per channel that carries a VLAN,
	 * vlan as the decimal id set_port got (hild compares them as text).
	 * -EPROTO (its text in the call's error) only for traffic no channel
	 * describes (say, a port that trunks every VLAN): hild then reverts
	 * the port and sets it again; any other failure leaves it alone.
	 * Optional (NULL): then hild cannot verify the switch. */
	int (*get_port)(void *session, struct hil_call *call, const char *port,
			void (*sink)(void *arg, const char *channel,
				     const char *vlan),
			void *arg);
	/* Close the session, saving the configuration first when save != 0.
	 * Always releases the session, even when it returns an error. */
	int (*session_close)(void *session, struct hil_call *call, int save);

	/* ABI 1.1.  Apply what set_port and revert_port queued, atomically
	 * (see above).  Optional (NULL): they apply each change at once.
	 * hild reads it as NULL from a plugin built for ABI 1.0. */
	int (*session_commit)(void *session, struct hil_call *call);
};

/* Out-of-band management drivers (power, boot device, serial console). */
enum hil_power_action {
	HIL_POWER_ON = 1,
	HIL_POWER_OFF = 2,
	HIL_POWER_CYCLE = 3,
	HIL_POWER_RESET = 4,
};

struct hil_obm_ops {
	uint32_t size; /* sizeof(struct hil_obm_ops) */
	const struct hil_setting *settings;

	int (*power)(const struct hil_host *host, struct hil_call *call,
		     enum hil_power_action action);
	/* Write a short status text ("On", "Off") into buf. */
	int (*power_status)(const struct hil_host *host, struct hil_call *call,
			    char *buf, size_t len);
	/* 0 if the driver knows the device name, -EINVAL otherwise. */
	int (*bootdev_valid)(const char *dev);
	int (*set_bootdev)(const struct hil_host *host, struct hil_call *call,
			   const char *dev);
	/* Serial console: open, read what arrived (0 = nothing yet before
	 * the deadline, < 0 = error), close.  Optional (NULL). */
	int (*console_open)(const struct hil_host *host, struct hil_call *call,
			    void **ret_console);
	long (*console_read)(void *console, struct hil_call *call, char *buf,
			     size_t len);
	void (*console_close)(void *console);
};

/* Flags of an auth plugin. */
/* Its callers are hild's local users (it calls host->auth_local_user):
 * hild keeps serving the user-management API (/v0/auth/basic/user...). */
#define HIL_AUTH_LOCAL_USERS 0x1u

/* Auth drivers turn a request's headers into an identity. */
struct hil_auth_ops {
	uint32_t size; /* sizeof(struct hil_auth_ops) */
	/*
	 * Return 1 and call the host's auth_set_* sinks (or auth_local_user)
	 * when the request carries a valid credential, 0 when it carries
	 * none of this plugin's kind (anonymous), or a negative errno when
	 * it cannot be accepted.  The errno tells the caller why:
	 *   -EHOSTDOWN, -ECONNREFUSED, -ETIMEDOUT, -EAGAIN: the service
	 *       that vouches for credentials (munged, Keystone) could not
	 *       be asked; 503 ServiceUnavailableError, the client may retry;
	 *   -ENOMEM: 500;
	 *   any other (-EACCES, -EINVAL, -ENOENT, ...): the credential is
	 *       invalid, expired, replayed or names no user; 401.
	 * Called from several threads at once.
	 */
	int (*authenticate)(const struct hil_host *host,
			    struct hil_auth_request *req);
	/* Value for the WWW-Authenticate header of a 401, e.g. "MUNGE". */
	const char *challenge;
	uint32_t flags; /* HIL_AUTH_* */
};

struct hil_plugin {
	uint32_t abi_major; /* HIL_PLUGIN_ABI_MAJOR */
	uint32_t abi_minor; /* HIL_PLUGIN_ABI_MINOR */
	uint32_t size;	    /* sizeof(struct hil_plugin) */
	uint32_t kind;	    /* enum hil_plugin_kind */
	const char *name;   /* must equal the file name without ".so" */
	const char *description;

	/* Optional.  init runs once, after every check and before hild starts
	 * its threads; it may start a background thread that fini joins.
	 * Returns 0 or a negative errno (hild then refuses to start). */
	int (*init)(const struct hil_host *host);
	void (*fini)(void);

	/* Exactly the one that matches kind is set. */
	const struct hil_switch_ops *switch_ops;
	const struct hil_obm_ops *obm_ops;
	const struct hil_auth_ops *auth_ops;
};

/* The symbol every plugin defines. */
#define HIL_PLUGIN_ENTRY HIL_EXPORT const struct hil_plugin hil_plugin_entry

#ifdef __cplusplus
}
#endif

#endif /* HIL_PLUGIN_H */
