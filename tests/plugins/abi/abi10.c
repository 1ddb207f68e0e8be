/*
 * abi10: a switch driver as built against ABI 1.0, before
 * hil_switch_ops.session_commit existed: abi_minor 0, and an ops table
 * that really ends after session_close (its own struct, so that reading
 * past it is an overflow the sanitizers see).  set_port and revert_port
 * apply at once and count in a global the test reads through get_port.
 *
 * Built a second time with -DABI10_BIG as abi10_big: a plugin that says
 * ABI 1.0 but hands over the 1.1 table, which hild must refuse.
 */
#include <errno.h>
#include <stdio.h>

#include <hil/plugin.h>

#ifdef ABI10_BIG
#define ABI10_NAME "abi10_big"
#else
#define ABI10_NAME "abi10"
#endif

/* struct hil_switch_ops of ABI 1.0. */
struct abi10_switch_ops {
	uint32_t size;
	const struct hil_setting *settings;
	const char *const *capabilities;
	int (*port_valid)(const char *port);
	int (*session_open)(const struct hil_host *host, struct hil_call *call,
			    void **ret_session);
	int (*set_port)(void *session, struct hil_call *call, const char *port,
			const char *channel, const char *vlan);
	int (*revert_port)(void *session, struct hil_call *call,
			   const char *port);
	int (*get_port)(void *session, struct hil_call *call, const char *port,
			void (*sink)(void *arg, const char *channel,
				     const char *vlan),
			void *arg);
	int (*session_close)(void *session, struct hil_call *call, int save);
};

static int abi10_changes;

static int abi10_port_valid(const char *port)
{
	return port && *port ? 0 : -EINVAL;
}

static int abi10_session_open(const struct hil_host *host,
			      struct hil_call *call, void **ret_session)
{
	(void)host;
	(void)call;
	*ret_session = &abi10_changes;
	return 0;
}

static int abi10_set_port(void *session, struct hil_call *call,
			  const char *port, const char *channel,
			  const char *vlan)
{
	(void)session;
	(void)call;
	(void)port;
	(void)channel;
	(void)vlan;
	abi10_changes++;
	return 0;
}

static int abi10_revert_port(void *session, struct hil_call *call,
			     const char *port)
{
	(void)session;
	(void)call;
	(void)port;
	abi10_changes++;
	return 0;
}

/* Says how many changes were applied so far, as one channel. */
static int
abi10_get_port(void *session, struct hil_call *call, const char *port,
	       void (*sink)(void *arg, const char *channel, const char *vlan),
	       void *arg)
{
	char n[16];

	(void)session;
	(void)call;
	(void)port;
	snprintf(n, sizeof(n), "%d", abi10_changes);
	sink(arg, "changes", n);
	return 0;
}

static int abi10_session_close(void *session, struct hil_call *call, int save)
{
	(void)session;
	(void)call;
	(void)save;
	return 0;
}

static const struct abi10_switch_ops abi10_ops = {
#ifdef ABI10_BIG
	.size = sizeof(struct hil_switch_ops),
#else
	.size = sizeof(struct abi10_switch_ops),
#endif
	.port_valid = abi10_port_valid,
	.session_open = abi10_session_open,
	.set_port = abi10_set_port,
	.revert_port = abi10_revert_port,
	.get_port = abi10_get_port,
	.session_close = abi10_session_close,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = 1,
	.abi_minor = 0,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_SWITCH,
	.name = ABI10_NAME,
	.description = "a switch driver built for ABI 1.0",
	.switch_ops = (const struct hil_switch_ops *)&abi10_ops,
};
