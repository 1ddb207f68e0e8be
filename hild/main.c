/*
 * main.c - hild's startup, one step a line.
 *
 * Plugins are loaded before any thread starts; the config, the plugins
 * and the database schema are checked before hild serves, and each
 * refusal says what to do about it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/networking.h"
#include "api/obm.h"
#include "api/router.h"
#include "conf.h"
#include "console.h"
#include "daemon.h"
#include "db/db.h"
#include "engine/engine.h"
#include "log.h"
#include "plugin.h"
#include "vlan.h"

#define MAIN_MAX_PASSWORD 1024

enum main_mode {
	MODE_SERVE,
	MODE_TEST,
	MODE_PRINT,
	MODE_UPGRADE,
	MODE_CREATE_ADMIN,
};

struct main_opts {
	const char *conf_path;
	enum main_mode mode;
	bool detach;
	const char *admin;
};

static const struct conf *main_conf;

static void main_usage(FILE *f)
{
	fprintf(f,
		"usage: hild [-f FILE] [-d]        serve the HIL API\n"
		"       hild [-f FILE] -t          check the config and "
		"plugins\n"
		"       hild [-f FILE] -T          print the effective "
		"config\n"
		"       hild [-f FILE] --upgrade-db   create or upgrade the "
		"database schema\n"
		"       hild [-f FILE] --create-admin USER   add an admin "
		"(password on stdin)\n"
		"default FILE: %s/hild.conf\n",
		HILCONFDIR);
}

static int main_args(int argc, char **argv, struct main_opts *o)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'f'},
		{"detach", no_argument, NULL, 'd'},
		{"upgrade-db", no_argument, NULL, 'U'},
		{"create-admin", required_argument, NULL, 'A'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	o->conf_path = HILCONFDIR "/hild.conf";
	while ((c = getopt_long(argc, argv, "f:dtTVh", longs, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->conf_path = optarg;
			break;
		case 'd':
			o->detach = true;
			break;
		case 't':
			o->mode = MODE_TEST;
			break;
		case 'T':
			o->mode = MODE_PRINT;
			break;
		case 'U':
			o->mode = MODE_UPGRADE;
			break;
		case 'A':
			o->mode = MODE_CREATE_ADMIN;
			o->admin = optarg;
			break;
		case 'V':
			printf("hild %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			main_usage(stdout);
			exit(0);
		default:
			main_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Plugin options come from "plugin.<name>.<key>"; the null auth plugin's
 * safety switch is the top-level allow_insecure_auth. */
static const char *main_plugin_option(const char *plugin, const char *key)
{
	if (strcmp(key, "allow_insecure_auth") == 0)
		return main_conf->allow_insecure_auth ? "yes" : "no";
	return conf_plugin_option(main_conf, plugin, key);
}

static int main_load_kind(const struct conf *c, const char *sub,
			  enum hil_plugin_kind kind, char *const *names,
			  size_t n)
{
	char dir[4096];
	int r;

	snprintf(dir, sizeof(dir), "%s/%s", c->plugin_dir, sub);
	for (size_t i = 0; i < n; i++) {
		r = plugin_load(dir, names[i], kind);
		if (r < 0)
			return r;
	}
	return 0;
}

static int main_load_plugins(const struct conf *c)
{
	char *auth = c->auth;
	int r;

	plugin_set_option_lookup(main_plugin_option);
	if (strcmp(auth, "local") != 0) {
		r = main_load_kind(c, "auth", HIL_PLUGIN_AUTH, &auth, 1);
		if (r < 0)
			return r;
	}
	r = main_load_kind(c, "switch", HIL_PLUGIN_SWITCH, c->switch_drivers,
			   c->n_switch_drivers);
	if (r < 0)
		return r;
	return main_load_kind(c, "obm", HIL_PLUGIN_OBM, c->obm_drivers,
			      c->n_obm_drivers);
}

static int main_check_schema(struct db *db)
{
	int have, want, r;

	r = db_schema_version(db, &have, &want);
	if (r < 0) {
		log_err("could not read the database schema version");
		return r;
	}
	if (have == 0) {
		log_err("database schema is not initialized: run 'hild "
			"--upgrade-db'");
		return -ENOENT;
	}
	if (have < want) {
		log_err("database schema is at version %d, this hild needs "
			"%d: run 'hild --upgrade-db'",
			have, want);
		return -ESTALE;
	}
	if (have > want) {
		log_err("database schema version %d is newer than this hild "
			"knows (%d)",
			have, want);
		return -EPROTO;
	}
	return 0;
}

static int main_create_admin(struct db *db, const char *user)
{
	char pw[MAIN_MAX_PASSWORD + 2];
	struct db_conn *c;
	size_t n;
	int r = -EINVAL;

	if (!fgets(pw, sizeof(pw), stdin)) {
		log_err("no password on standard input");
		return -EINVAL;
	}
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if (n == 0 || n > MAIN_MAX_PASSWORD) {
		log_err("the password must be 1..%d bytes", MAIN_MAX_PASSWORD);
		goto out;
	}
	c = db_conn(db);
	if (!c || (r = db_begin(c, true)) < 0)
		goto out;
	r = auth_create_admin(c, user, pw);
	if (r == 0)
		r = db_commit(c);
	else
		db_rollback(c);
	if (r == -EEXIST)
		log_err("user '%s' exists already", user);
	else if (r < 0)
		log_err("could not create user '%s'", user);
	else
		log_notice("created admin user '%s'", user);
out:
	explicit_bzero(pw, sizeof(pw));
	return r;
}

/* The OBM calls' settings; checked against the loaded OBM drivers. */
static int main_obm_setup(const struct conf *c)
{
	const struct obm_conf oc = {
		.release_power = c->release_power,
		.release_bootdev = c->release_bootdev,
		.timeout_ms = c->obm_timeout * 1000u,
	};
	char err[256];
	int r;

	r = obm_setup(&oc, err, sizeof(err));
	if (r < 0)
		log_err("%s", err);
	return r;
}

static unsigned main_threads(const struct conf *c)
{
	long n = c->threads ? (long)c->threads : sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static int main_serve(const struct conf *c, struct db *db, bool detach)
{
	const struct engine_opts eo = {
		.workers = c->engine_workers,
		.call_timeout_ms = c->switch_timeout * 1000u,
		.obm_workers = c->obm_workers,
		.obm_timeout_ms = c->obm_timeout * 1000u,
		.verify_switches = c->verify_switches,
	};
	struct http *h = NULL;
	int r, sig;

	r = main_check_schema(db);
	if (r < 0)
		return r;
	r = vlan_pool_sync(db, c->vlans);
	if (r < 0)
		return r;
	if (detach && (r = daemon_pid_write(c->pid_file)) < 0)
		return r;
	router_setup(db, auth_local_users());
	networking_setup(c->max_pending_actions);
	/* Before serving: what a crash left pending is applied first. */
	r = engine_start(db, &eo);
	if (r < 0)
		goto out;
	r = console_start(db, c->obm_timeout * 1000u);
	if (r < 0)
		goto out;
	r = http_start(c->listen, c->port, main_threads(c), &h);
	if (r < 0)
		goto out;
	log_notice("listening on %s:%u (%s database, %s auth, %u threads)",
		   c->listen, c->port, db_backend(db), c->auth,
		   main_threads(c));
	if (detach) {
		daemon_ready(true);
		log_setup(true, c->log_level);
	}
	sig = daemon_signals_wait();
	log_notice("stopping on signal %d", sig);
	r = 0;
out:
	http_stop(h);
	/* No request waits or reads a console now. */
	console_stop();
	/* No request can queue anything now; the db outlives the engine. */
	engine_stop();
	if (detach)
		daemon_pid_remove(c->pid_file);
	return r;
}

int main(int argc, char **argv)
{
	struct main_opts o = {0};
	struct conf *c = NULL;
	struct db *db = NULL;
	const char *dberr = NULL;
	char err[512];
	int r;

	if (main_args(argc, argv, &o) < 0)
		return 2;
	r = conf_load(o.conf_path, &c, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "hild: %s\n", err);
		return 1;
	}
	main_conf = c;
	if (o.mode == MODE_PRINT) {
		conf_print(c, stdout);
		goto out;
	}
	log_setup(false, c->log_level);
	r = main_load_plugins(c);
	if (r < 0)
		goto out;
	if (o.mode == MODE_TEST) {
		r = plugin_init_all();
		if (r == 0)
			r = main_obm_setup(c);
		if (r == 0)
			r = vlan_pool_check(c->vlans);
		if (r == 0)
			printf("%s: ok\n", o.conf_path);
		goto out;
	}
	if (o.mode == MODE_SERVE && o.detach) {
		r = daemon_detach();
		if (r < 0) {
			log_err("could not detach: %s", strerror(-r));
			goto out;
		}
	}
	r = daemon_signals_block();
	if (r < 0)
		goto out;
	r = plugin_init_all();
	if (r == 0)
		r = main_obm_setup(c);
	if (r < 0)
		goto out;
	r = auth_setup(c->auth, c->require_authentication);
	if (r < 0) {
		log_err("auth backend '%s' is not loaded", c->auth);
		goto out;
	}
	r = db_open(c->database, &db, &dberr);
	if (r < 0) {
		log_err("could not open the database: %s",
			dberr ? dberr : strerror(-r));
		goto out;
	}
	if (o.mode == MODE_UPGRADE) {
		r = db_upgrade(db);
		if (r == 0)
			log_notice("database schema is up to date");
		if (r == 0)
			r = vlan_pool_sync(db, c->vlans);
	} else if (o.mode == MODE_CREATE_ADMIN) {
		r = main_check_schema(db);
		if (r == 0)
			r = main_create_admin(db, o.admin);
	} else {
		r = main_serve(c, db, o.detach);
	}
out:
	db_free(db);
	plugin_unload_all();
	conf_free(c);
	return r < 0 ? 1 : 0;
}
