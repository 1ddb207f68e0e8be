/*
 * conf.h - hild.conf: "keyword = value" lines, '#' comments, one keyword
 * table (conf.c) that parses, checks and prints the effective config.
 */
#ifndef HIL_CONF_H
#define HIL_CONF_H

#include <stdbool.h>
#include <stdio.h>

#define CONF_MAX_LIST 32 /* entries of a list keyword */

struct conf {
	char *listen;
	unsigned port;
	char *database;
	char *auth;
	bool require_authentication;
	bool allow_insecure_auth;
	char *plugin_dir;
	char *switch_drivers[CONF_MAX_LIST];
	size_t n_switch_drivers;
	char *obm_drivers[CONF_MAX_LIST];
	size_t n_obm_drivers;
	int log_level;
	unsigned threads;
	char *pid_file;
	char *vlans;		      /* VLAN pool, e.g. "100-200, 300" */
	unsigned engine_workers;      /* operation engine threads */
	unsigned switch_timeout;      /* seconds a driver call may take */
	bool verify_switches;	      /* check switches against the database */
	unsigned max_pending_actions; /* networking actions pending at once */
	unsigned obm_workers;	      /* engine threads for OBM operations */
	unsigned obm_timeout;	      /* seconds an OBM driver call may take */
	char *release_power;	      /* "off" or "keep" (api/obm.c checks) */
	char *release_bootdev;	      /* a boot device or "keep" */
	/* plugin.<name>.<key> = value */
	struct conf_opt {
		char *plugin, *key, *value;
	} * opts;
	size_t nopts;
};

/*
 * Read path into a new conf (defaults for what it leaves out).  Refuses a
 * file writable by group or other, or readable by other (it may hold the
 * database password).  Returns 0, or a negative errno with a message
 * naming the file and line in err.
 */
int conf_load(const char *path, struct conf **ret, char *err, size_t errlen);
struct conf *conf_free(struct conf *c);

/* Print the effective config (hild -T); the database password is masked. */
void conf_print(const struct conf *c, FILE *f);

/* Look up plugin.<plugin>.<key>; NULL when absent. */
const char *conf_plugin_option(const struct conf *c, const char *plugin,
			       const char *key);

#endif /* HIL_CONF_H */
