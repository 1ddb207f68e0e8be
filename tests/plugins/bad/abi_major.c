/* abi_major: built for a future ABI major; hild speaks only its own. */
#include "bad.h"

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR + 1,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "abi_major",
	.switch_ops = &bad_switch_ops,
};
