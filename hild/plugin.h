/*
 * plugin.h (internal) - hild's plugin host: loads driver and auth plugins
 * through libltdl, checks each descriptor before running any plugin code,
 * and lends plugins the host function table.
 */
#ifndef HILD_PLUGIN_H
#define HILD_PLUGIN_H

#include <stdbool.h>

#include "hil/plugin.h"

#define PLUGIN_MAX_NAME	  32 /* bytes of a plugin name */
#define PLUGIN_MAX_LOADED 64 /* plugins loaded at once */

/*
 * Load the plugin "name" of the given kind from dir: exactly the file
 * "<dir>/<name>.so", never a search.  Checks, in order: the name is a
 * plugin name ([a-z0-9_-], at most PLUGIN_MAX_NAME bytes), no plugin of
 * the same kind and name is loaded yet, dir, its parents and the file are
 * owned by root (or by the user hild runs as) and not writable by group or
 * other (parents may be sticky, like /tmp), the file is a regular file
 * that loads with every symbol resolved, it exports the data symbol
 * hil_plugin_entry, ABI major equal, ABI minor not newer, struct sizes,
 * kind, name matches the file name, the ops table of its kind is complete
 * and its settings table well formed.  Each refusal is logged once with
 * the plugin path and the reason.  Does not call init.  Returns 0 or a
 * negative errno: -EINVAL (bad name, kind or name mismatch), -EEXIST
 * (duplicate), -ENOENT (no file), -EPERM (ownership, permissions, not a
 * regular file), -ELIBBAD (does not load), -ENOEXEC (no hil_plugin_entry),
 * -EPROTONOSUPPORT (ABI version), -EPROTO (struct size, malformed
 * descriptor), -ENOSPC (too many plugins).
 */
int plugin_load(const char *dir, const char *name, enum hil_plugin_kind kind);

/* "switch", "obm", "auth" (also the names of the plugin directory's
 * subdirectories, <plugin_dir>/<kind>/<name>.so), or NULL. */
const char *plugin_kind_name(enum hil_plugin_kind kind);

/*
 * Where the host table's option() looks: fn(plugin, key) returns the
 * value of "plugin.<plugin>.<key>" from hild.conf (a string that lives as
 * long as the plugins), or NULL.  Set before plugin_init_all().
 */
void plugin_set_option_lookup(const char *(*fn)(const char *plugin,
						const char *key));

/* Call init of every loaded plugin, in load order; stop at the first
 * failure (logged) and return its error. */
int plugin_init_all(void);

/* Call fini of every initialised plugin and unload them all. */
void plugin_unload_all(void);

/* A loaded plugin, or NULL. */
const struct hil_plugin *plugin_find(enum hil_plugin_kind kind,
				     const char *name);

/* Visit loaded plugins in load order. */
void plugin_foreach(void (*fn)(const struct hil_plugin *p, void *arg),
		    void *arg);

/* The function table lent to plugins. */
const struct hil_host *plugin_host(void);

#endif /* HILD_PLUGIN_H */
