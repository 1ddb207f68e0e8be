/*
 * needs_hild: a driver that calls hild's own logger instead of the host
 * table's.  It must not link: plugins link with -no-undefined and hild
 * exports nothing, so tests/plugins/link-refused.sh expects this build to
 * fail with an undefined reference to log_msg.
 */
#include "bad.h"

void log_msg(int level, const char *fmt, ...);

static int needs_hild_init(const struct hil_host *host)
{
	log_msg(3, "reaching into hild");
	return 0;
}

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "needs_hild",
	.init = needs_hild_init,
	.switch_ops = &bad_switch_ops,
};
