/*
 * missing_op: switch ops without session_open, which hild would call
 * through a NULL pointer.
 */
#include "bad.h"

static const struct hil_switch_ops missing_op_ops = {
	.size = sizeof(struct hil_switch_ops),
	.port_valid = bad_port_valid,
	.set_port = bad_set_port,
	.revert_port = bad_revert_port,
	.session_close = bad_session_close,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "missing_op",
	.switch_ops = &missing_op_ops,
};
