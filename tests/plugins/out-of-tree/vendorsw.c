/*
 * vendorsw.c - a switch driver built outside HIL's tree, the way a vendor
 * would: only <hil/plugin.h> and pkg-config's hil-plugin.  It drives no
 * switch; it proves the installed header and .pc file are enough.
 */
#include <errno.h>
#include <string.h>

#include <hil/plugin.h>

static const struct hil_setting vendorsw_settings[] = {
	{"address", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 0, 0,
	 "management address"},
	{"api_key", HIL_SETTING_STRING,
	 HIL_SETTING_REQUIRED | HIL_SETTING_SECRET, 0, 0, "REST API key"},
	{NULL, 0, 0, 0, 0, NULL},
};

/* Ports are "port<N>". */
static int vendorsw_port_valid(const char *port)
{
	const char *p;

	if (!port || strncmp(port, "port", 4) != 0 || !port[4])
		return -EINVAL;
	for (p = port + 4; *p; p++)
		if (*p < '0' || *p > '9' || p - port > 8)
			return -EINVAL;
	return 0;
}

static int vendorsw_session_open(const struct hil_host *host,
				 struct hil_call *call, void **ret_session)
{
	host->set_error(call, "vendorsw drives no real switch");
	return -ENOTSUP;
}

static int vendorsw_set_port(void *session, struct hil_call *call,
			     const char *port, const char *channel,
			     const char *vlan)
{
	return -ENOTSUP;
}

static int vendorsw_revert_port(void *session, struct hil_call *call,
				const char *port)
{
	return -ENOTSUP;
}

static int vendorsw_session_close(void *session, struct hil_call *call,
				  int save)
{
	return 0;
}

static const struct hil_switch_ops vendorsw_ops = {
	.size = sizeof(struct hil_switch_ops),
	.settings = vendorsw_settings,
	.port_valid = vendorsw_port_valid,
	.session_open = vendorsw_session_open,
	.set_port = vendorsw_set_port,
	.revert_port = vendorsw_revert_port,
	.session_close = vendorsw_session_close,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = "vendorsw",
	.description = "an out-of-tree vendor switch driver",
	.switch_ops = &vendorsw_ops,
};
