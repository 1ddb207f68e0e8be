/*
 * auth.h - who is calling: local users (HTTP Basic against the users
 * table, with a short-lived cache of verified credentials) or the
 * configured auth plugin.
 */
#ifndef HIL_API_AUTH_H
#define HIL_API_AUTH_H

#include "api/api.h"
#include "hil/plugin.h"

/* A request as an auth plugin sees it (through the host table). */
struct hil_auth_request {
	const char *(*header)(void *ctx, const char *name);
	void *ctx;
	struct api_ident *who;
	struct db_conn *db; /* for auth_local_user */
	int db_err;	    /* a database failure auth_local_user met */
};

/* Host-table entries for auth plugins (plugin.c puts them in the table). */
const char *auth_req_header(const struct hil_auth_request *req,
			    const char *name);
int auth_req_set_user(struct hil_auth_request *req, const char *user);
int auth_req_set_admin(struct hil_auth_request *req, int admin);
int auth_req_add_project(struct hil_auth_request *req, const char *project);
int auth_req_local_user(struct hil_auth_request *req, const char *user);

/* Choose the backend: NULL or "local" for local users, else the name of a
 * loaded auth plugin.  require: whether anonymous callers get 401. */
int auth_setup(const char *backend, bool require);

/*
 * Establish r->who from the request's headers.  Returns 0 when the call
 * may proceed (authenticated, or anonymous where that is allowed), or sets
 * a 401 reply and returns non-zero.  The WWW-Authenticate challenge for a
 * 401 is auth_challenge().
 */
int auth_identify(struct api_req *r,
		  const char *(*header)(void *ctx, const char *name),
		  void *ctx);
const char *auth_challenge(void);

/* Whether callers are local users (auth "local", or a plugin flagged
 * HIL_AUTH_LOCAL_USERS), so the user-management API applies. */
bool auth_local_users(void);

/* Free what auth_identify put in who. */
void auth_ident_clear(struct api_ident *who);

/* Hash a new password with crypt(3) ($6$, random salt) into out.
 * Returns 0 or a negative errno. */
int auth_hash_password(const char *password, char *out, size_t outlen);
/* Create an admin user (hild --create-admin).  -EEXIST if the name is
 * taken. */
int auth_create_admin(struct db_conn *c, const char *user,
		      const char *password);
/* Forget cached credentials of a user (password or user changed). */
void auth_cache_forget(const char *user);

#endif /* HIL_API_AUTH_H */
