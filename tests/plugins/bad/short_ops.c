/* short_ops: its struct hil_switch_ops claims fewer bytes than ABI 1.1's. */
#include "bad.h"

static const struct hil_switch_ops short_ops = {
	.size = offsetof(struct hil_switch_ops, session_close),
	.port_valid = bad_port_valid,
	.session_open = bad_session_open,
	.set_port = bad_set_port,
	.revert_port = bad_revert_port,
	.session_close = bad_session_close,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "short_ops",
	.switch_ops = &short_ops,
};
