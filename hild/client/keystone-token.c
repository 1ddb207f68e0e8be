/*
 * keystone-token.c - get a Keystone token with a password, for clients
 * of a hild that authenticates with the keystone plugin.
 *
 * It speaks Keystone's protocol, not HIL's, so it goes to http.c
 * directly instead of through hilclient.c.  Passwords and tokens are wiped
 * from memory this file owns once used.
 */
#include "config.h"

#include "hilclient.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "keystone-proto.h"

#define KT_MAX_URL	2048
#define KT_MAX_TOKEN	8192
#define KT_ERR_KEYSTONE "KeystoneError"

/* Fill err (type type) and return r. */
__attribute__((format(printf, 5, 6))) static int kt_error(struct hil_error *err,
							  long status, int r,
							  const char *type,
							  const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return r;
	err->status = status;
	snprintf(err->type, sizeof(err->type), "%s", type);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return r;
}

/* An empty field means "not given"; domains default to "default". */
static const char *kt_domain(const char *id)
{
	return id && *id ? id : "default";
}

int hil_keystone_token(const struct hil_keystone_auth *a, char **ret_token,
		       struct hil_error *err)
{
	struct http_request req = {
		.method = "POST",
		.keep_header = KSH_SUBJECT,
		.max_body = KSH_MAX_REPLY,
	};
	struct http_reply rep = {0};
	char url[KT_MAX_URL], why[256] = "", *body = NULL;
	size_t n;
	int r;

	if (!a || !ret_token || !a->auth_url || !a->username || !a->password)
		return kt_error(err, 0, -EINVAL, KT_ERR_KEYSTONE,
				"OS_AUTH_URL, OS_USERNAME and OS_PASSWORD "
				"are needed to get a Keystone token");
	n = strlen(a->auth_url);
	while (n > 0 && a->auth_url[n - 1] == '/')
		n--;
	if (n >= 3 && strncmp(a->auth_url + n - 3, "/v3", 3) == 0)
		n -= 3;
	if ((strncmp(a->auth_url, "http://", 7) != 0 &&
	     strncmp(a->auth_url, "https://", 8) != 0) ||
	    n + 32 > sizeof(url) || strpbrk(a->auth_url, "?# \t\r\n"))
		return kt_error(err, 0, -EINVAL, KT_ERR_KEYSTONE,
				"OS_AUTH_URL must be an http or https URL "
				"without query");
	snprintf(url, sizeof(url), "%.*s/v3/auth/tokens?nocatalog", (int)n,
		 a->auth_url);
	body = ksh_password_body(a->username, kt_domain(a->user_domain_id),
				 a->password, a->project_id, a->project_name,
				 kt_domain(a->project_domain_id));
	if (!body) {
		r = kt_error(err, 0, -ENOMEM, KT_ERR_KEYSTONE, "out of memory");
		goto out;
	}
	if (http_global_init_once() < 0) {
		r = kt_error(err, 0, -EIO, HIL_ERR_CONNECTION,
			     "could not set up libcurl");
		goto out;
	}
	req.url = url;
	req.body = body;
	req.timeout_ms =
		a->timeout_ms > 0 ? a->timeout_ms : HIL_CLIENT_DEFAULT_TIMEOUT;
	req.connect_timeout_ms = HIL_CLIENT_CONNECT_TIMEOUT;
	r = http_perform(NULL, &req, &rep, why, sizeof(why));
	if (r == -ENOMEM || r == -EMSGSIZE) {
		r = r == -EMSGSIZE ? -EPROTO : r;
		kt_error(err, 0, r, KT_ERR_KEYSTONE, "Keystone at '%.*s': %s",
			 (int)n, a->auth_url, why);
		goto out;
	}
	if (r < 0) {
		kt_error(err, 0, r, HIL_ERR_CONNECTION,
			 "could not reach Keystone at '%.*s': %s", (int)n,
			 a->auth_url, why);
		goto out;
	}
	if (rep.status == 401 || rep.status == 403) {
		r = kt_error(err, rep.status, -EACCES, KT_ERR_KEYSTONE,
			     "Keystone refused the credentials of '%s' "
			     "(HTTP %ld)",
			     a->username, rep.status);
		goto out;
	}
	if (rep.status != 201 || !rep.header || !*rep.header ||
	    strlen(rep.header) > KT_MAX_TOKEN) {
		r = kt_error(err, rep.status, -EPROTO, KT_ERR_KEYSTONE,
			     "Keystone answered HTTP %ld without a token",
			     rep.status);
		goto out;
	}
	*ret_token = rep.header;
	rep.header = NULL;
	r = 0;
out:
	http_secret_free(body);
	http_reply_clear(&rep);
	return r;
}
