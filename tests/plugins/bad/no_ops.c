/* no_ops: a switch plugin without its switch ops. */
#include "bad.h"

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "no_ops",
};
