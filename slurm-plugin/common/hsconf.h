/*
 * hsconf.h - hil-slurm.conf, the one configuration file of the SLURM
 * integration: read by the loan manager (hil-slurm), the controller hook
 * (hil-slurmctld-hook) and the job_submit plugin.  "key = value" lines and
 * "#" comments; the keywords are one table (hsconf.c), which `hil-slurm -T`
 * prints.
 */
#ifndef HIL_SLURM_HSCONF_H
#define HIL_SLURM_HSCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define HSCONF_MAX_MAPS 4096 /* map.<uid> lines */

enum hsconf_auth {
	HSCONF_AUTH_BASIC,
	HSCONF_AUTH_MUNGE,
};

/* One "map.<uid> = <HIL user>" line. */
struct hsconf_map {
	unsigned long uid;
	char *user;
};

struct hsconf {
	char *path; /* the file read */
	char *endpoint;
	enum hsconf_auth auth;
	char *user;
	char *password; /* secret: never printed */
	char *password_file;
	char *munge_socket;
	char *slurm_conf;
	char *project;
	char *prefix;
	char *socket;
	char *hil_user;
	char *partition;
	char *boot_device;
	char *pid_file;
	int log_level; /* syslog's numbers: 3 (error) .. 7 (debug) */
	unsigned interval;
	unsigned full_scan;
	unsigned max_loan;
	unsigned min_loan;
	unsigned action_timeout;
	unsigned boot_timeout;
	unsigned request_timeout;
	unsigned hook_timeout;
	unsigned max_requeue;
	struct hsconf_map *maps;
	size_t n_maps;
};

/*
 * Read path (NULL: the default, HILCONFDIR "/hil-slurm.conf").  Checks
 * every value; a file that holds a password (or names a password file)
 * must not be readable by group or others, and the password file is read
 * here.  Returns 0 with *ret_conf (free with hsconf_free()), or a negative
 * errno with a message in err.
 */
int hsconf_load(const char *path, struct hsconf **ret_conf, char *err,
		size_t errlen);
/* Frees conf (NULL is fine) and wipes the password; returns NULL. */
struct hsconf *hsconf_free(struct hsconf *conf);

/* Print the effective configuration, every keyword, password masked. */
void hsconf_print(const struct hsconf *conf, FILE *f);

/*
 * The HIL user that SLURM user (uid, name) maps to: a "map.<uid>" line if
 * there is one, else the hil_user template with %u replaced by the user
 * name, %U by the uid and %% by '%'.  Returns 0, -EINVAL (the result is
 * not a HIL label) or -ENAMETOOLONG.
 */
int hsconf_hil_user(const struct hsconf *conf, unsigned long uid,
		    const char *user, char *buf, size_t len);

/* The name of a log level number ("info"). */
const char *hsconf_level_name(int level);

#endif /* HIL_SLURM_HSCONF_H */
