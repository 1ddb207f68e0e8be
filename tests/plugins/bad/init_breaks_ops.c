/*
 * init_breaks_ops: a complete switch driver whose init clears its
 * session_open, so the ops table hild checked at load is no longer whole
 * when hild would use it.
 */
#include "bad.h"

static struct hil_switch_ops init_breaks_ops_ops = {
	.size = sizeof(struct hil_switch_ops),
	.port_valid = bad_port_valid,
	.session_open = bad_session_open,
	.set_port = bad_set_port,
	.revert_port = bad_revert_port,
	.session_close = bad_session_close,
};

static int init_breaks_ops_init(const struct hil_host *host)
{
	(void)host;
	init_breaks_ops_ops.session_open = NULL;
	return 0;
}

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "init_breaks_ops",
	.init = init_breaks_ops_init,
	.switch_ops = &init_breaks_ops_ops,
};
