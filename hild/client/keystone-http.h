/*
 * keystone-http.h - one HTTP exchange with Keystone's identity API over
 * libcurl, and the password-auth request body.
 *
 * Shared by the client library (a client getting its token) and the
 * keystone auth plugin (hild's service token and token validation); the
 * plugin builds this file into itself, so it keeps no state and calls
 * nothing of hild's.  Bodies may carry passwords and the subject token is
 * a secret: both are wiped when freed.
 */
#ifndef HIL_KEYSTONE_HTTP_H
#define HIL_KEYSTONE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define KSH_MAX_REPLY (1 << 20)		/* bytes of an answer */
#define KSH_SUBJECT   "X-Subject-Token" /* the header with the token */

struct ksh_request {
	const char *method;	    /* "GET", "POST" */
	const char *url;	    /* http:// or https:// only */
	const char *const *headers; /* extra header lines, NULL-terminated
				     * (may be NULL); they may be secret */
	const char *body;	    /* JSON, or NULL */
	long timeout_ms;	    /* the whole exchange */
	long connect_timeout_ms;
	const char *cafile; /* CA bundle for https, NULL: the system's */
};

struct ksh_reply {
	long status; /* HTTP status */
	char *body;  /* NUL-terminated (NULL: empty) */
	size_t len;
	char *subject; /* the X-Subject-Token header's value, or NULL */
};

/* libcurl's process-wide set-up, for a program that calls it before
 * its threads start (a plugin's init); 0 or -EIO.  And its undoing. */
int ksh_global_init(void);
void ksh_global_cleanup(void);

/*
 * Send req.  Returns 0 with *rep filled (whatever the HTTP status), or,
 * with *rep empty and the reason in why: -ETIMEDOUT, -ECONNREFUSED
 * (nobody listens), -EMSGSIZE (an answer past KSH_MAX_REPLY), -EIO (any
 * other transport failure), -ENOMEM.
 */
int ksh_exchange(const struct ksh_request *req, struct ksh_reply *rep,
		 char *why, size_t whylen);

/* Free what rep holds, wiping the subject token; rep is emptied. */
void ksh_reply_clear(struct ksh_reply *rep);

/* Free a secret string after wiping it; accepts NULL. */
void ksh_secret_free(char *s);

/*
 * The body of a password authentication (POST /v3/auth/tokens) for user
 * in user_domain (domain ids), scoped to the project project_id, or else
 * project_name in project_domain, or unscoped when both are NULL or
 * empty.  Returns the JSON text (free it with ksh_secret_free: it holds
 * the password), or NULL when out of memory.
 */
char *ksh_password_body(const char *user, const char *user_domain,
			const char *password, const char *project_id,
			const char *project_name, const char *project_domain);

#endif /* HIL_KEYSTONE_HTTP_H */
