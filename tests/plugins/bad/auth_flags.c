/*
 * auth_flags: a complete auth plugin that sets a flag hild does not know,
 * whose meaning it could not honour.
 */
#include "bad.h"

static int auth_flags_authenticate(const struct hil_host *host,
				   struct hil_auth_request *req)
{
	return 0;
}

static const struct hil_auth_ops auth_flags_ops = {
	.size = sizeof(struct hil_auth_ops),
	.authenticate = auth_flags_authenticate,
	.flags = HIL_AUTH_LOCAL_USERS | 0x80u,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_AUTH,
	.name = "auth_flags",
	.auth_ops = &auth_flags_ops,
};
