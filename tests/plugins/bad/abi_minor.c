/*
 * abi_minor: built for a newer ABI minor than hild's; it may use host
 * functions hild does not have.
 */
#include "bad.h"

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR + 1,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "abi_minor",
	.switch_ops = &bad_switch_ops,
};
