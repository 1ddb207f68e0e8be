/*
 * keystone-proto.h - what the client library (a client getting its
 * token) and the keystone auth plugin (hild's service token and token
 * validation) both say to Keystone's identity API, over http.c: the
 * password-auth request body, the subject token's header, the size of an
 * answer.
 *
 * The plugin builds this file into itself, so it keeps no state and calls
 * nothing of hild's.  Bodies may carry passwords and the subject token is
 * a secret: both are wiped when freed.
 */
#ifndef HIL_KEYSTONE_PROTO_H
#define HIL_KEYSTONE_PROTO_H

#define KSH_MAX_REPLY (1 << 20)		/* bytes of an answer */
#define KSH_SUBJECT   "X-Subject-Token" /* the header with the token */

/*
 * The body of a password authentication (POST /v3/auth/tokens) for user
 * in user_domain (domain ids), scoped to the project project_id, or else
 * project_name in project_domain, or unscoped when both are NULL or
 * empty.  Returns the JSON text (free it with http_secret_free: it holds
 * the password), or NULL when out of memory.
 */
char *ksh_password_body(const char *user, const char *user_domain,
			const char *password, const char *project_id,
			const char *project_name, const char *project_domain);

#endif /* HIL_KEYSTONE_PROTO_H */
