/*
 * switch-readback - read switch ports back through a switch driver, the
 * way hild's plugin host runs it, for tests that compare a switch with
 * the database.
 *
 *   switch-readback DIR DRIVER [-o KEY=VALUE]... [-s KEY=VALUE]...
 *                   HOSTNAME PORT...
 *
 * Loads DIR/DRIVER.so, sets its plugin options (-o, as hild.conf's
 * plugin.DRIVER.KEY), runs its init, opens one session to the switch
 * whose settings are -s plus hostname=HOSTNAME, and calls get_port for
 * each PORT.  Prints "PORT CHANNEL VLAN" per channel that carries a VLAN,
 * sorted as the driver reports them.  Exits 0, 1 when the driver failed
 * (its reason on stderr), 2 on bad usage.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "log.h"
#include "plugin.h"

#define READBACK_MAX_OPTS   16
#define READBACK_TIMEOUT_MS 10000

static struct {
	const char *key, *value;
} readback_opts[READBACK_MAX_OPTS];
static size_t readback_nopts;
static const char *readback_driver;

static const char *readback_option(const char *plugin, const char *key)
{
	if (strcmp(plugin, readback_driver) != 0)
		return NULL;
	for (size_t i = 0; i < readback_nopts; i++)
		if (strcmp(readback_opts[i].key, key) == 0)
			return readback_opts[i].value;
	return NULL;
}

static void readback_sink(void *arg, const char *channel, const char *vlan)
{
	printf("%s %s %s\n", (const char *)arg, channel, vlan);
}

static int readback_usage(void)
{
	fprintf(stderr, "usage: switch-readback DIR DRIVER [-o KEY=VALUE]... "
			"[-s KEY=VALUE]... HOSTNAME PORT...\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct hil_switch_ops *ops;
	const struct hil_plugin *p;
	struct hil_call *call = NULL;
	json_t *settings = NULL;
	void *session = NULL;
	int i, r, status = 1;

	if (argc < 5)
		return readback_usage();
	readback_driver = argv[2];
	settings = json_object();
	if (!settings)
		return 1;
	for (i = 3; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		char *eq = strchr(argv[i + 1], '=');

		if (!eq || (strcmp(argv[i], "-o") && strcmp(argv[i], "-s")))
			return readback_usage();
		*eq = '\0';
		if (argv[i][1] == 's') {
			json_object_set_new(settings, argv[i + 1],
					    json_string(eq + 1));
		} else if (readback_nopts < READBACK_MAX_OPTS) {
			readback_opts[readback_nopts].key = argv[i + 1];
			readback_opts[readback_nopts++].value = eq + 1;
		}
	}
	if (argc - i < 2)
		return readback_usage();
	json_object_set_new(settings, "hostname", json_string(argv[i++]));

	log_setup(false, LOG_WARNING);
	plugin_set_option_lookup(readback_option);
	if (plugin_load(argv[1], readback_driver, HIL_PLUGIN_SWITCH) < 0 ||
	    plugin_init_all() < 0)
		goto out;
	p = plugin_find(HIL_PLUGIN_SWITCH, readback_driver);
	ops = p->switch_ops;
	if (!ops->get_port) {
		fprintf(stderr,
			"switch-readback: driver '%s' cannot read "
			"ports back\n",
			readback_driver);
		goto out;
	}
	if (call_new(ops->settings, settings,
		     call_clock_ms() + READBACK_TIMEOUT_MS, &call) < 0)
		goto out;
	r = ops->session_open(plugin_host(), call, &session);
	if (r < 0) {
		fprintf(stderr, "switch-readback: session_open: %s\n",
			call_error(call) ? call_error(call) : strerror(-r));
		goto out;
	}
	status = 0;
	for (; i < argc; i++) {
		r = ops->get_port(session, call, argv[i], readback_sink,
				  argv[i]);
		if (r < 0) {
			fprintf(stderr, "switch-readback: get_port '%s': %s\n",
				argv[i],
				call_error(call) ? call_error(call)
						 : strerror(-r));
			status = 1;
		}
	}
	ops->session_close(session, call, 0);
out:
	call_free(call);
	json_decref(settings);
	plugin_unload_all();
	return status;
}
