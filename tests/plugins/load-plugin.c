/*
 * load-plugin - load one plugin the way hild does at startup: check and
 * load it, run its init, unload it.
 *
 *   load-plugin DIR NAME KIND [PORT]
 *
 * KIND is switch, obm or auth.  With PORT, a switch driver must also
 * accept that port name.  Refusals are logged on stderr.  Exits 0 when
 * the plugin loads and initialises, 1 otherwise, 2 on bad usage.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "plugin.h"

static const enum hil_plugin_kind load_kinds[] = {
	HIL_PLUGIN_SWITCH,
	HIL_PLUGIN_OBM,
	HIL_PLUGIN_AUTH,
};

int main(int argc, char **argv)
{
	const struct hil_plugin *p;
	enum hil_plugin_kind kind = 0;
	int r, status = 1;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: load-plugin DIR NAME KIND [PORT]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(load_kinds) / sizeof(load_kinds[0]); i++)
		if (strcmp(argv[3], plugin_kind_name(load_kinds[i])) == 0)
			kind = load_kinds[i];
	if (!kind) {
		fprintf(stderr, "load-plugin: unknown kind '%s'\n", argv[3]);
		return 2;
	}
	log_setup(false, LOG_DEBUG);
	r = plugin_load(argv[1], argv[2], kind);
	if (r < 0)
		goto out;
	r = plugin_init_all();
	if (r < 0)
		goto out;
	p = plugin_find(kind, argv[2]);
	if (argc == 5) {
		if (kind != HIL_PLUGIN_SWITCH ||
		    p->switch_ops->port_valid(argv[4]) < 0) {
			fprintf(stderr, "load-plugin: port '%s' refused\n",
				argv[4]);
			goto out;
		}
	}
	printf("loaded %s plugin '%s': %s\n", argv[3], p->name,
	       p->description ? p->description : "");
	status = 0;
out:
	plugin_unload_all();
	return status;
}
