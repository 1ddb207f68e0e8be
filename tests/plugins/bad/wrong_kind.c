/*
 * wrong_kind: a complete auth plugin, configured where a switch driver
 * is expected.
 */
#include "bad.h"

static int wrong_kind_authenticate(const struct hil_host *host,
				   struct hil_auth_request *req)
{
	return 0;
}

static const struct hil_auth_ops wrong_kind_ops = {
	.size = sizeof(struct hil_auth_ops),
	.authenticate = wrong_kind_authenticate,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_AUTH,
	.name = "wrong_kind",
	.auth_ops = &wrong_kind_ops,
};
