/*
 * undefined_symbol: the same driver as needs_hild.c, but linked without
 * -no-undefined, as a careless out-of-tree build might.  It links; hild
 * must refuse to load it, because hild exports no log_msg for it to bind
 * to, rather than load it and die at its first call.
 */
#include "bad.h"

void log_msg(int level, const char *fmt, ...);

static int undefined_symbol_init(const struct hil_host *host)
{
	log_msg(3, "reaching into hild");
	return 0;
}

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "undefined_symbol",
	.init = undefined_symbol_init,
	.switch_ops = &bad_switch_ops,
};
