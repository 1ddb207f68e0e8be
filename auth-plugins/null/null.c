/*
 * null.c - the auth plugin that lets everyone in as admin.
 *
 * For test rigs only: every request, with or without credentials, is the
 * authenticated administrator "admin".  It refuses to load unless the
 * operator says so in hild.conf with "allow_insecure_auth = yes" (hild
 * passes that on as the option plugin.null.allow_insecure_auth).
 */
#include <errno.h>
#include <string.h>

#include <hil/plugin.h>

#define NULL_USER "admin"

static int null_init(const struct hil_host *host)
{
	const char *allow = host->option("null", "allow_insecure_auth");

	if (!allow || strcmp(allow, "yes") != 0) {
		host->log(HIL_LOG_ERR,
			  "auth plugin 'null' makes every caller an admin; "
			  "refusing it without 'allow_insecure_auth = yes' "
			  "in hild.conf");
		return -EPERM;
	}
	host->log(HIL_LOG_WARNING,
		  "auth plugin 'null': every caller is the admin '%s'",
		  NULL_USER);
	return 0;
}

static int null_authenticate(const struct hil_host *host,
			     struct hil_auth_request *req)
{
	int r;

	r = host->auth_set_user(req, NULL_USER);
	if (r < 0)
		return r;
	r = host->auth_set_admin(req, 1);
	if (r < 0)
		return r;
	return 1;
}

static const struct hil_auth_ops null_ops = {
	.size = sizeof(struct hil_auth_ops),
	.authenticate = null_authenticate,
	.challenge = NULL, /* it never answers 401 */
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_AUTH,
	.name = "null",
	.description = "everyone is an authenticated admin (tests only)",
	.init = null_init,
	.auth_ops = &null_ops,
};
