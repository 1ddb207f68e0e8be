/*
 * bad.h - what the broken test plugins share: the functions of a complete
 * switch driver that does nothing.  Each bad/<name>.c spells out its own
 * descriptor and breaks exactly one thing in it, named in its comment, so
 * the test that loads it proves hild refuses it for that reason alone.
 */
#ifndef HIL_TESTS_BAD_H
#define HIL_TESTS_BAD_H

#include <errno.h>
#include <stddef.h>

#include <hil/plugin.h>

#define BAD_UNUSED __attribute__((unused))

static BAD_UNUSED int bad_port_valid(const char *port)
{
	return port ? 0 : -EINVAL;
}

static BAD_UNUSED int bad_session_open(const struct hil_host *host,
				       struct hil_call *call,
				       void **ret_session)
{
	*ret_session = NULL;
	return 0;
}

static BAD_UNUSED int bad_set_port(void *session, struct hil_call *call,
				   const char *port, const char *channel,
				   const char *vlan)
{
	return 0;
}

static BAD_UNUSED int bad_revert_port(void *session, struct hil_call *call,
				      const char *port)
{
	return 0;
}

static BAD_UNUSED int bad_session_close(void *session, struct hil_call *call,
					int save)
{
	return 0;
}

/* A complete switch ops table, for the plugins whose defect is elsewhere. */
static BAD_UNUSED const struct hil_switch_ops bad_switch_ops = {
	.size = sizeof(struct hil_switch_ops),
	.port_valid = bad_port_valid,
	.session_open = bad_session_open,
	.set_port = bad_set_port,
	.revert_port = bad_revert_port,
	.session_close = bad_session_close,
};

#endif /* HIL_TESTS_BAD_H */
