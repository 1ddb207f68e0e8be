/*
 * short_plugin: its struct hil_plugin claims fewer bytes than ABI 1.0's, as
 * a descriptor from a mismatched header would.
 */
#include "bad.h"

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = offsetof(struct hil_plugin, init),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "short_plugin",
	.switch_ops = &bad_switch_ops,
};
