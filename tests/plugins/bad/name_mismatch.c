/*
 * name_mismatch: a file renamed, or a driver copied without changing its
 * name: the file says name_mismatch, the descriptor says mock.
 */
#include "bad.h"

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "mock",
	.switch_ops = &bad_switch_ops,
};
