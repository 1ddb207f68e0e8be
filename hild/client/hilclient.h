/*
 * hilclient.h - a client of the HIL v0 REST API (libhilclient).
 *
 * One struct hil_client is one endpoint plus credentials and one reusable
 * HTTP connection (keep-alive).  A client is used by one thread at a time;
 * different threads may each use their own.  The library never prints or
 * logs anything: every failure is returned as a negative errno together
 * with a struct hil_error the caller may show.
 *
 * Memory: strings and lists a function returns through a ret_ parameter
 * belong to the caller (free(), hil_strv_free(), hil_node_free()).  JSON
 * values are jansson's json_t; a reply returned by hil_client_call() is a
 * new reference the caller must json_decref().  This header does not
 * include <jansson.h>: struct json_t is jansson's json_t.
 */
#ifndef HIL_CLIENT_H
#define HIL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct json_t;
struct hil_client;

/* Limits. */
#define HIL_CLIENT_MAX_REPLY	   (32L * 1024 * 1024) /* reply body, bytes */
#define HIL_CLIENT_MAX_PATH	   4096	 /* request path after /v0/, bytes */
#define HIL_CLIENT_MAX_HEADERS	   8	 /* extra headers */
#define HIL_CLIENT_MAX_HEADER	   8192	 /* one extra header line, bytes */
#define HIL_CLIENT_DEFAULT_TIMEOUT 30000 /* whole request, ms */
#define HIL_CLIENT_CONNECT_TIMEOUT 10000 /* connection set-up, ms */
#define HIL_CLIENT_MAX_REDIRECTS   5

/* Error types the library itself produces (besides the server's). */
#define HIL_ERR_BAD_ARGUMENT "BadArgumentError" /* refused locally */
#define HIL_ERR_UNKNOWN	     "unknown"		/* error body not JSON */
#define HIL_ERR_CONNECTION   "ConnectionError"	/* no HTTP answer */
#define HIL_ERR_PROTOCOL     "ProtocolError"	/* unusable answer */
#define HIL_ERR_TIMEOUT	     "Timeout"		/* hil_action_wait() */
#define HIL_ERR_OBM	     "OBMError"		/* an OBM action's ERROR */
#define HIL_ERR_CREDENTIAL   "CredentialError"	/* no credential made */

/*
 * What went wrong.  status is the HTTP status, or 0 when no answer was
 * received (the request was refused locally or the transport failed).
 * type is the API error type ("NotFoundError", ...), "unknown" for an
 * error answer whose body is not an API error, or one of the HIL_ERR_*
 * above.  msg is free text with control characters replaced; both are
 * truncated to fit.
 */
struct hil_error {
	long status;
	char type[64];
	char msg[512];
};

/* True when err holds an error of this type ("DuplicateError", ...). */
bool hil_error_is(const struct hil_error *err, const char *type);

/*
 * A client for endpoint ("http://host:port" or "https://host/prefix";
 * no credentials, query or fragment in it).  user may be NULL for no
 * HTTP Basic authentication; password may be NULL for an empty one.  The
 * password is kept only in this client and wiped when it is freed.
 * Returns 0, -EINVAL for a bad endpoint or credential, -ENOMEM.
 */
int hil_client_new(const char *endpoint, const char *user, const char *password,
		   struct hil_client **ret_client);
/* Frees c (NULL is fine) and wipes its secrets; returns NULL. */
struct hil_client *hil_client_free(struct hil_client *c);

/*
 * Bound every later request to timeout_ms in total (0: no bound; the
 * default is HIL_CLIENT_DEFAULT_TIMEOUT).  Returns 0 or -EINVAL.
 */
int hil_client_set_timeout(struct hil_client *c, long timeout_ms);

/*
 * Send an extra header with every later request, e.g.
 * "Authorization: MUNGE <credential>" or "X-Auth-Token: <token>".  A
 * header of the same name set before is replaced; "Name:" alone removes
 * it.  An Authorization header takes precedence over HTTP Basic.  The
 * line is treated as a secret.  Returns 0, -EINVAL (no name, a control
 * character, too long), -E2BIG (too many headers), -ENOMEM.
 */
int hil_client_set_header(struct hil_client *c, const char *header);

/*
 * Credentials good for one request only (MUNGE's): fn makes a header line
 * afresh for every request, and for every redirect to the endpoint's
 * origin.  fn(arg, &line, why, whylen) returns 0 with line a malloc'd
 * "Name: value" (the library wipes and frees it), or a negative errno
 * with a reason in why; the request then fails with that errno and an
 * error of type HIL_ERR_CREDENTIAL.  A NULL fn stops it.  Returns 0 or
 * -EINVAL.
 */
typedef int (*hil_header_fn)(void *arg, char **ret_line, char *why,
			     size_t whylen);
int hil_client_set_header_fn(struct hil_client *c, hil_header_fn fn, void *arg);

/*
 * Authenticate every later request with a fresh MUNGE credential
 * ("Authorization: MUNGE <credential>") that the local munged encodes for
 * the calling process's uid.  socket: munged's socket, NULL for libmunge's
 * default; the string must outlive the client.  (munge-cred.c)  Returns
 * 0 or -EINVAL.
 */
int hil_client_use_munge(struct hil_client *c, const char *socket);

/*
 * Get a Keystone token with a password (POST <auth_url>/v3/auth/tokens),
 * as the OpenStack clients do from OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
 * OS_PROJECT_NAME (or OS_PROJECT_ID), OS_USER_DOMAIN_ID and
 * OS_PROJECT_DOMAIN_ID.  Domains default to "default"; with neither
 * project field the token is unscoped.  The token is for
 * hil_client_set_header("X-Auth-Token: <token>").  (keystone-token.c)
 * Returns 0 with *ret_token (the caller wipes and frees it), or a negative
 * errno with err set: -EACCES (Keystone refused the credentials),
 * -EINVAL (a missing or bad field), transport errors as
 * hil_client_call(), -EPROTO (an answer without a token), -ENOMEM.
 */
struct hil_keystone_auth {
	const char *auth_url; /* ".../v3" or the bare endpoint */
	const char *username;
	const char *password;
	const char *project_name;
	const char *project_id;
	const char *user_domain_id;
	const char *project_domain_id;
	long timeout_ms; /* 0: HIL_CLIENT_DEFAULT_TIMEOUT */
};

int hil_keystone_token(const struct hil_keystone_auth *auth, char **ret_token,
		       struct hil_error *err);

/*
 * Labels (object names) as the original client checks them before
 * sending: ASCII letters, digits, space and $_.+!*'(),- and, when
 * allow_slash is set (port names, channels, network ids), '/'.  An empty
 * label is refused.  Returns 0, or -EINVAL with err (may be NULL) set to
 * a local BadArgumentError.
 */
int hil_label_check(const char *label, bool allow_slash, struct hil_error *err);

/*
 * Build the request path (the part after "/v0/") from path_fmt, in which
 * "%L" is replaced by the next argument, a label checked with
 * hil_label_check() and percent-encoded, "%P" likewise but with '/'
 * allowed and passed raw (port names), and "%%" is a '%'.  Every argument
 * is a const char *.  Returns 0, -EINVAL (bad label, with err set; bad
 * format), -E2BIG (longer than HIL_CLIENT_MAX_PATH), -ENOMEM.
 */
int hil_path_build(char **ret_path, struct hil_error *err, const char *path_fmt,
		   ...);

/*
 * Turn an error answer (status, body of len bytes) into err and return
 * the negative errno the library uses for it: -EINVAL (400), -EACCES
 * (401), -EPERM (403), -ENOENT (404), -EOPNOTSUPP (405), -EEXIST (409
 * DuplicateError), -EBUSY (other 409), -E2BIG (413), -EREMOTEIO (5xx),
 * -EPROTO (anything else).
 */
int hil_error_from_reply(long status, const char *body, size_t len,
			 struct hil_error *err);

/*
 * Call the API: method ("GET", "PUT", "POST", "DELETE", "PATCH") on the
 * path built from path_fmt as hil_path_build() does, with body (NULL:
 * none) sent as JSON.  Redirects (307, as the original's OBM calls
 * answer) are followed, keeping method and body; credentials are not
 * sent to another host.  On a 2xx answer *ret_reply (if ret_reply is not
 * NULL) is the parsed body, or NULL when it was empty.  Returns 0, or a
 * negative errno with err (may be NULL) set: an API error as
 * hil_error_from_reply(), -EINVAL for a label refused before sending,
 * -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, -ECONNRESET, -EIO for
 * transport failures, -ELOOP past HIL_CLIENT_MAX_REDIRECTS, -EPROTO for a
 * redirect without a usable location, -EMSGSIZE for an answer over
 * HIL_CLIENT_MAX_REPLY, -EBADMSG for a 2xx answer that is not JSON (or,
 * in the typed calls, not the expected JSON), -ENOMEM.
 */
int hil_client_call(struct hil_client *c, const char *method,
		    const struct json_t *body, struct json_t **ret_reply,
		    struct hil_error *err, const char *path_fmt, ...);

/*
 * Called with each piece of a streamed answer as it arrives; returns 0
 * to go on or non-zero to stop.
 */
typedef int (*hil_stream_fn)(const char *data, size_t len, void *userdata);

/*
 * GET a streaming resource (the node console) and hand its body to fn
 * as it arrives, with no overall timeout, until the server ends it or fn
 * asks to stop.  Returns 0 (also when fn stopped it), or an error as
 * hil_client_call().
 */
int hil_client_stream(struct hil_client *c, hil_stream_fn fn, void *userdata,
		      struct hil_error *err, const char *path_fmt, ...);

/* String lists: NULL-terminated arrays of strings. */
char **hil_strv_free(char **v);
size_t hil_strv_length(char *const *v);

/*
 * Typed calls.  Each checks its labels locally, then calls the API;
 * each returns 0 or an error as hil_client_call() with err set.
 */

/* Projects. */
int hil_project_create(struct hil_client *c, const char *project,
		       struct hil_error *err);
int hil_project_delete(struct hil_client *c, const char *project,
		       struct hil_error *err);
int hil_project_list(struct hil_client *c, char ***ret_projects,
		     struct hil_error *err);
/* The project's nodes, sorted. */
int hil_project_nodes(struct hil_client *c, const char *project,
		      char ***ret_nodes, struct hil_error *err);
int hil_project_networks(struct hil_client *c, const char *project,
			 char ***ret_networks, struct hil_error *err);
int hil_project_connect_node(struct hil_client *c, const char *project,
			     const char *node, struct hil_error *err);
int hil_project_detach_node(struct hil_client *c, const char *project,
			    const char *node, struct hil_error *err);

/* Nodes. */
struct hil_kv {
	char *key;
	char *value;
};

struct hil_nic {
	char *label;
	char *macaddr;
	char *port;	   /* NULL when unwired or not shown (non-admin) */
	char *switch_name; /* likewise */
	struct hil_kv *networks; /* channel -> network label */
	size_t n_networks;
};

struct hil_node {
	char *name;
	char *project; /* NULL when the node is free */
	struct hil_nic *nics;
	size_t n_nics;
	struct hil_kv *metadata; /* key -> stored text (JSON-encoded) */
	size_t n_metadata;
};

struct hil_node *hil_node_free(struct hil_node *node);
/* The stored metadata text of key (borrowed), or NULL. */
const char *hil_node_metadata(const struct hil_node *node, const char *key);

/* Node labels, sorted: free nodes only, or all nodes. */
int hil_node_list(struct hil_client *c, bool free_only, char ***ret_nodes,
		  struct hil_error *err);
int hil_node_show(struct hil_client *c, const char *node,
		  struct hil_node **ret_node, struct hil_error *err);
int hil_node_obm_set(struct hil_client *c, const char *node, bool enabled,
		     struct hil_error *err);
int hil_node_power_on(struct hil_client *c, const char *node,
		      struct hil_error *err);
int hil_node_power_off(struct hil_client *c, const char *node,
		       struct hil_error *err);
int hil_node_power_cycle(struct hil_client *c, const char *node, bool force,
			 struct hil_error *err);
/* The node's power state as the OBM driver words it ("on", "off", ...). */
int hil_node_power_status(struct hil_client *c, const char *node,
			  char **ret_status, struct hil_error *err);
int hil_node_set_bootdev(struct hil_client *c, const char *node,
			 const char *bootdev, struct hil_error *err);
/* Set metadata key to the JSON string value (stored JSON-encoded). */
int hil_node_metadata_set(struct hil_client *c, const char *node,
			  const char *key, const char *value,
			  struct hil_error *err);
int hil_node_metadata_delete(struct hil_client *c, const char *node,
			     const char *key, struct hil_error *err);
/*
 * Decode stored metadata text that holds a JSON string (what
 * hil_node_metadata_set() writes) into that string.  Returns 0, -EINVAL
 * when the text is not a JSON string, -ENOMEM.
 */
int hil_metadata_decode_string(const char *stored, char **ret_value);

/* Networking: each queues an action and returns its id in ret_action. */
int hil_node_connect_network(struct hil_client *c, const char *node,
			     const char *nic, const char *network,
			     const char *channel, char **ret_action,
			     struct hil_error *err);
int hil_node_detach_network(struct hil_client *c, const char *node,
			    const char *nic, const char *network,
			    char **ret_action, struct hil_error *err);
int hil_port_revert(struct hil_client *c, const char *switch_name,
		    const char *port, char **ret_action, struct hil_error *err);

enum hil_action_status {
	HIL_ACTION_PENDING,
	HIL_ACTION_DONE,
	HIL_ACTION_ERROR,
};

int hil_action_status(struct hil_client *c, const char *action,
		      enum hil_action_status *ret_status,
		      struct hil_error *err);
/*
 * Poll the action until it is no longer pending, for at most timeout_ms.
 * Returns 0 with *ret_status DONE or ERROR, -ETIMEDOUT (err set) when it
 * is still pending then, or an error of hil_action_status().
 */
int hil_action_wait(struct hil_client *c, const char *action, long timeout_ms,
		    enum hil_action_status *ret_status, struct hil_error *err);

/* hil_action_wait() that asks stop(arg) before each pause (stop may be
 * NULL) and returns -EINTR, the action still pending, when it says so. */
int hil_action_wait_stop(struct hil_client *c, const char *action,
			 long timeout_ms, bool (*stop)(void *arg), void *arg,
			 enum hil_action_status *ret_status,
			 struct hil_error *err);

/*
 * OBM operations hild queued past its obm_timeout (a 202 with their
 * "status_id"): as hil_action_status() and hil_action_wait_stop(), on
 * /obm_action/<id>.  An action that ended in ERROR leaves hild's reason
 * in err (type HIL_ERR_OBM).
 */
int hil_obm_action_status(struct hil_client *c, const char *action,
			  enum hil_action_status *ret_status,
			  struct hil_error *err);
int hil_obm_action_wait_stop(struct hil_client *c, const char *action,
			     long timeout_ms, bool (*stop)(void *arg),
			     void *arg, enum hil_action_status *ret_status,
			     struct hil_error *err);

#endif /* HIL_CLIENT_H */
