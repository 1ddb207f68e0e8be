/*
 * no_entry: the descriptor is there but not exported (HIL_EXPORT
 * forgotten, and the build hides everything else).
 */
#include "bad.h"

const struct hil_plugin hil_plugin_entry = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "no_entry",
	.switch_ops = &bad_switch_ops,
};
