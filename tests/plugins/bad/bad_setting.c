/* bad_setting: a settings table that declares one key twice. */
#include "bad.h"

static const struct hil_setting bad_setting_decl[] = {
	{"hostname", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 0, 0, NULL},
	{"hostname", HIL_SETTING_STRING, 0, 0, 0, NULL},
	{NULL, 0, 0, 0, 0, NULL},
};

static const struct hil_switch_ops bad_setting_ops = {
	.size = sizeof(struct hil_switch_ops),
	.settings = bad_setting_decl,
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
	.name = "bad_setting",
	.switch_ops = &bad_setting_ops,
};
