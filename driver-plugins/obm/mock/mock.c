/*
 * mock.c - an OBM driver that keeps each node's power state and boot
 * device in memory, for development and unit tests.  Its serial console
 * counts lines ("0\n1\n2\n..."), as the original HIL's mock obmd did.
 *
 * The template for OBM drivers: declare settings, validate nothing by
 * hand that the settings table can say, honour the call's deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hil/plugin.h>

#define MOCK_MAX_NODES 1024
#define MOCK_MAX_HOST  256

struct mock_bmc {
	char host[MOCK_MAX_HOST];
	int on;
	char bootdev[16];
};

static struct {
	pthread_mutex_t lock;
	struct mock_bmc bmc[MOCK_MAX_NODES];
	size_t n;
} mock = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const struct hil_setting mock_settings[] = {
	{"host", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 1, 0,
	 "BMC address (any text; nothing is contacted)"},
	{"user", HIL_SETTING_STRING, HIL_SETTING_REQUIRED, 1, 0, "BMC user"},
	{"password", HIL_SETTING_STRING,
	 HIL_SETTING_REQUIRED | HIL_SETTING_SECRET, 1, 0, "BMC password"},
	{NULL, 0, 0, 0, 0, NULL},
};

static const char *const mock_bootdevs[] = {"disk", "pxe", "cdrom", "bios",
					    NULL};

/* The BMC the call's "host" setting names, created on first use; call
 * with the lock held. */
static struct mock_bmc *mock_find(const struct hil_host *host,
				  struct hil_call *call)
{
	const char *h = host->setting_str(call, "host");

	if (!h || strlen(h) >= MOCK_MAX_HOST) {
		host->set_error(call, "the node has no usable 'host' setting");
		return NULL;
	}
	for (size_t i = 0; i < mock.n; i++)
		if (strcmp(mock.bmc[i].host, h) == 0)
			return &mock.bmc[i];
	if (mock.n == MOCK_MAX_NODES) {
		host->set_error(call, "the mock driver is full");
		return NULL;
	}
	snprintf(mock.bmc[mock.n].host, MOCK_MAX_HOST, "%s", h);
	snprintf(mock.bmc[mock.n].bootdev, sizeof(mock.bmc[0].bootdev), "disk");
	return &mock.bmc[mock.n++];
}

static int mock_power(const struct hil_host *host, struct hil_call *call,
		      enum hil_power_action action)
{
	struct mock_bmc *b;
	int r = -EIO;

	pthread_mutex_lock(&mock.lock);
	b = mock_find(host, call);
	if (!b)
		goto out;
	b->on = action != HIL_POWER_OFF;
	r = 0;
out:
	pthread_mutex_unlock(&mock.lock);
	return r;
}

static int mock_power_status(const struct hil_host *host, struct hil_call *call,
			     char *buf, size_t len)
{
	struct mock_bmc *b;
	int r = -EIO;

	pthread_mutex_lock(&mock.lock);
	b = mock_find(host, call);
	if (!b)
		goto out;
	snprintf(buf, len, "%s", b->on ? "On" : "Off");
	r = 0;
out:
	pthread_mutex_unlock(&mock.lock);
	return r;
}

static int mock_bootdev_valid(const char *dev)
{
	for (size_t i = 0; mock_bootdevs[i]; i++)
		if (strcmp(mock_bootdevs[i], dev) == 0)
			return 0;
	return -EINVAL;
}

static int mock_set_bootdev(const struct hil_host *host, struct hil_call *call,
			    const char *dev)
{
	struct mock_bmc *b;
	int r = -EIO;

	if (mock_bootdev_valid(dev) < 0)
		return -EINVAL;
	pthread_mutex_lock(&mock.lock);
	b = mock_find(host, call);
	if (!b)
		goto out;
	snprintf(b->bootdev, sizeof(b->bootdev), "%s", dev);
	r = 0;
out:
	pthread_mutex_unlock(&mock.lock);
	return r;
}

struct mock_console {
	unsigned long next;
};

static int mock_console_open(const struct hil_host *host, struct hil_call *call,
			     void **ret_console)
{
	struct mock_console *c = calloc(1, sizeof(*c));

	(void)host;
	(void)call;
	if (!c)
		return -ENOMEM;
	*ret_console = c;
	return 0;
}

static long mock_console_read(void *console, struct hil_call *call, char *buf,
			      size_t len)
{
	struct mock_console *c = console;
	int n;

	(void)call;
	n = snprintf(buf, len, "%lu\n", c->next);
	if (n < 0 || (size_t)n >= len)
		return -ENOBUFS;
	c->next++;
	return n;
}

static void mock_console_close(void *console)
{
	free(console);
}

static const struct hil_obm_ops mock_ops = {
	.size = sizeof(struct hil_obm_ops),
	.settings = mock_settings,
	.power = mock_power,
	.power_status = mock_power_status,
	.bootdev_valid = mock_bootdev_valid,
	.set_bootdev = mock_set_bootdev,
	.console_open = mock_console_open,
	.console_read = mock_console_read,
	.console_close = mock_console_close,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_OBM,
	.name = "mock",
	.description = "in-memory power and boot state, counting console",
	.obm_ops = &mock_ops,
};
