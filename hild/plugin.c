/*
 * plugin.c - the plugin host: the only file that includes <ltdl.h>.
 *
 * A plugin is refused unless everything about it checks out before any of
 * its functions runs: where it lives and who may write there, that it
 * loads with every symbol resolved (hild exports none, so a driver that
 * reaches into hild fails here if it got past -no-undefined), and its
 * descriptor, read only as far as its own size fields allow.  hild then
 * works on a copy of the descriptor and its ops table, in which whatever
 * a plugin built for an older ABI minor lacks reads as zero (NULL).
 */
#include "config.h"

#include "plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <ltdl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/auth.h"
#include "call.h"
#include "log.h"

#define PLUGIN_ENTRY_SYMBOL  "hil_plugin_entry"
#define PLUGIN_MAX_SETTINGS  64	 /* entries of a settings table */
#define PLUGIN_MAX_SETTING   32	 /* bytes of a setting key */
#define PLUGIN_MAX_CAPS	     32	 /* capabilities of a switch driver */
#define PLUGIN_MAX_CAP	     64	 /* bytes of a capability */
#define PLUGIN_MAX_CHALLENGE 128 /* bytes of an auth challenge */
#define PLUGIN_MAX_DEPTH     64	 /* directories between / and a plugin */

struct plugin_slot {
	lt_dlhandle handle;
	void *pin; /* the RTLD_NOW handle that resolved every symbol */
	const struct hil_plugin *real; /* the plugin's own descriptor */
	const struct hil_plugin *desc; /* &view: what hild reads */
	struct hil_plugin view;
	union {
		struct hil_switch_ops switch_ops;
		struct hil_obm_ops obm_ops;
		struct hil_auth_ops auth_ops;
	} ops; /* view's ops table */
	enum hil_plugin_kind kind;
	uint32_t minor; /* the ABI minor checked at load */
	bool initialised;
	char path[PATH_MAX];
};

/* Written before hild starts its threads, read-only afterwards. */
static struct plugin_slot plugin_slots[PLUGIN_MAX_LOADED];
static size_t plugin_count;
static bool plugin_ltdl_ready;
static const char *(*plugin_option_fn)(const char *plugin, const char *key);

/*
 * The size of each struct a plugin hands over, per ABI minor it was built
 * for.  A minor that appends fields adds a row with its new sizes; the
 * rows before it keep the sizes their minor had, so older plugins still
 * load and hild reads none of the fields they lack (plugin_snapshot
 * leaves them zero).
 */
#define PLUGIN_SWITCH_OPS_1_0 offsetof(struct hil_switch_ops, session_commit)

static const struct plugin_abi_sizes {
	uint32_t plugin, switch_ops, obm_ops, auth_ops;
} plugin_abi_sizes[HIL_PLUGIN_ABI_MINOR + 1] = {
	[0] = {sizeof(struct hil_plugin), PLUGIN_SWITCH_OPS_1_0,
	       sizeof(struct hil_obm_ops), sizeof(struct hil_auth_ops)},
	/* 1.1: hil_switch_ops.session_commit */
	[1] = {sizeof(struct hil_plugin), sizeof(struct hil_switch_ops),
	       sizeof(struct hil_obm_ops), sizeof(struct hil_auth_ops)},
};

/* One reason a plugin is refused: an errno and a message. */
struct plugin_why {
	int err;
	char text[256];
};

__attribute__((format(printf, 3, 4))) static int
plugin_refuse(struct plugin_why *why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	why->err = err;
	return err;
}

/* The host table. */

__attribute__((format(printf, 2, 3))) static void
plugin_host_log(enum hil_log_level level, const char *fmt, ...)
{
	va_list ap;
	int l = (int)level;

	if (!fmt)
		return;
	if (l < LOG_ERR)
		l = LOG_ERR;
	if (l > LOG_DEBUG)
		l = LOG_DEBUG;
	va_start(ap, fmt);
	log_vmsg(l, fmt, ap);
	va_end(ap);
}

static const char *plugin_host_option(const char *plugin, const char *key)
{
	if (!plugin_option_fn || !plugin || !key)
		return NULL;
	return plugin_option_fn(plugin, key);
}

static const struct hil_host plugin_host_table = {
	.size = sizeof(struct hil_host),
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.log = plugin_host_log,
	.setting_str = call_setting_str,
	.setting_int = call_setting_int,
	.setting_bool = call_setting_bool,
	.option = plugin_host_option,
	.deadline_left_ms = call_deadline_left_ms,
	.set_error = call_set_error,
	.run = call_run,
	.auth_header = auth_req_header,
	.auth_set_user = auth_req_set_user,
	.auth_set_admin = auth_req_set_admin,
	.auth_add_project = auth_req_add_project,
	.auth_local_user = auth_req_local_user,
};

const struct hil_host *plugin_host(void)
{
	return &plugin_host_table;
}

void plugin_set_option_lookup(const char *(*fn)(const char *plugin,
						const char *key))
{
	plugin_option_fn = fn;
}

/* Names: plugins and setting keys share one alphabet. */

static bool plugin_word_valid(const char *s, size_t max, const char *extra)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; s[n]; n++) {
		if (n == max)
			return false;
		if (!(s[n] >= 'a' && s[n] <= 'z') &&
		    !(s[n] >= '0' && s[n] <= '9') && s[n] != '_' &&
		    !(extra && strchr(extra, s[n])))
			return false;
	}
	return true;
}

/* Text a plugin gives (a capability, a challenge): printable ASCII. */
static bool plugin_text_valid(const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; s[n]; n++)
		if (n == max || s[n] < 0x20 || s[n] > 0x7e)
			return false;
	return true;
}

/* Checks of each kind's ops table, after its size was checked. */

static int plugin_check_settings(const struct hil_setting *decl,
				 struct plugin_why *why)
{
	size_t n;

	if (!decl)
		return 0;
	for (n = 0; decl[n].key; n++) {
		const struct hil_setting *s = &decl[n];

		if (n == PLUGIN_MAX_SETTINGS)
			return plugin_refuse(why, -EPROTO,
					     "more than %d settings",
					     PLUGIN_MAX_SETTINGS);
		/* "type" names the driver in the API's switch object. */
		if (!plugin_word_valid(s->key, PLUGIN_MAX_SETTING, NULL) ||
		    strcmp(s->key, "type") == 0)
			return plugin_refuse(why, -EPROTO,
					     "setting %zu has an invalid key",
					     n);
		if (s->type < HIL_SETTING_STRING || s->type > HIL_SETTING_BOOL)
			return plugin_refuse(why, -EPROTO,
					     "setting '%s' has unknown type %d",
					     s->key, (int)s->type);
		if (s->flags & ~(HIL_SETTING_REQUIRED | HIL_SETTING_SECRET))
			return plugin_refuse(why, -EPROTO,
					     "setting '%s' has unknown flags "
					     "0x%x",
					     s->key, s->flags);
		for (size_t i = 0; i < n; i++)
			if (strcmp(decl[i].key, s->key) == 0)
				return plugin_refuse(why, -EPROTO,
						     "setting '%s' declared "
						     "twice",
						     s->key);
	}
	return 0;
}

static int plugin_check_switch(const struct hil_plugin *p,
			       struct plugin_why *why)
{
	const struct hil_switch_ops *ops = p->switch_ops;
	size_t n;

	if (!ops->port_valid || !ops->session_open || !ops->set_port ||
	    !ops->revert_port || !ops->session_close)
		return plugin_refuse(why, -EPROTO,
				     "switch ops lack a required function");
	for (n = 0; ops->capabilities && ops->capabilities[n]; n++)
		if (n == PLUGIN_MAX_CAPS ||
		    !plugin_text_valid(ops->capabilities[n], PLUGIN_MAX_CAP))
			return plugin_refuse(why, -EPROTO,
					     "capability %zu is invalid", n);
	return plugin_check_settings(ops->settings, why);
}

static int plugin_check_obm(const struct hil_plugin *p, struct plugin_why *why)
{
	const struct hil_obm_ops *ops = p->obm_ops;
	int console = !!ops->console_open + !!ops->console_read +
		      !!ops->console_close;

	if (!ops->power || !ops->power_status || !ops->bootdev_valid ||
	    !ops->set_bootdev)
		return plugin_refuse(why, -EPROTO,
				     "obm ops lack a required function");
	if (console != 0 && console != 3)
		return plugin_refuse(why, -EPROTO,
				     "obm ops set only part of the console "
				     "functions");
	return plugin_check_settings(ops->settings, why);
}

static int plugin_check_auth(const struct hil_plugin *p, struct plugin_why *why)
{
	const struct hil_auth_ops *ops = p->auth_ops;

	if (!ops->authenticate)
		return plugin_refuse(why, -EPROTO,
				     "auth ops lack 'authenticate'");
	if (ops->challenge &&
	    !plugin_text_valid(ops->challenge, PLUGIN_MAX_CHALLENGE))
		return plugin_refuse(why, -EPROTO,
				     "auth challenge is not printable text");
	if (ops->flags & ~HIL_AUTH_LOCAL_USERS)
		return plugin_refuse(why, -EPROTO,
				     "auth ops have unknown flags 0x%x",
				     ops->flags & ~HIL_AUTH_LOCAL_USERS);
	return 0;
}

/* Per kind: its name (and directory), where its ops sit, how they are
 * checked. */
static const struct plugin_kind_info {
	const char *name;
	const char *ops_name;
	size_t ops_offset;
	size_t size_offset; /* in struct plugin_abi_sizes */
	int (*check)(const struct hil_plugin *p, struct plugin_why *why);
} plugin_kinds[] = {
	[HIL_PLUGIN_SWITCH] = {"switch", "hil_switch_ops",
			       offsetof(struct hil_plugin, switch_ops),
			       offsetof(struct plugin_abi_sizes, switch_ops),
			       plugin_check_switch},
	[HIL_PLUGIN_OBM] = {"obm", "hil_obm_ops",
			    offsetof(struct hil_plugin, obm_ops),
			    offsetof(struct plugin_abi_sizes, obm_ops),
			    plugin_check_obm},
	[HIL_PLUGIN_AUTH] = {"auth", "hil_auth_ops",
			     offsetof(struct hil_plugin, auth_ops),
			     offsetof(struct plugin_abi_sizes, auth_ops),
			     plugin_check_auth},
};

#define PLUGIN_NKINDS (sizeof(plugin_kinds) / sizeof(plugin_kinds[0]))

static const struct plugin_kind_info *plugin_kind(uint32_t kind)
{
	if (kind >= PLUGIN_NKINDS || !plugin_kinds[kind].name)
		return NULL;
	return &plugin_kinds[kind];
}

const char *plugin_kind_name(enum hil_plugin_kind kind)
{
	const struct plugin_kind_info *k = plugin_kind((uint32_t)kind);

	return k ? k->name : NULL;
}

/* The ops pointer of the given kind in a descriptor. */
static const void *plugin_ops(const struct hil_plugin *p,
			      const struct plugin_kind_info *k)
{
	const void *ops;

	memcpy(&ops, (const char *)p + k->ops_offset, sizeof(ops));
	return ops;
}

/*
 * The descriptor, in the order a reader of the header expects: version
 * first (a plugin of another major may lay out everything after it
 * differently), then sizes, then what the sizes make safe to read.
 */
static int plugin_check_desc(const struct hil_plugin *p, size_t sym_size,
			     const char *name, enum hil_plugin_kind kind,
			     struct plugin_why *why)
{
	const struct plugin_abi_sizes *sizes;
	const struct plugin_kind_info *want = plugin_kind(kind), *k;
	uint32_t ops_size, need;
	const void *ops;

	if (sym_size < offsetof(struct hil_plugin, kind))
		return plugin_refuse(why, -EPROTO,
				     "'%s' is %zu bytes, too small for a "
				     "plugin descriptor",
				     PLUGIN_ENTRY_SYMBOL, sym_size);
	if (p->abi_major != HIL_PLUGIN_ABI_MAJOR)
		return plugin_refuse(why, -EPROTONOSUPPORT,
				     "ABI major %u, hild speaks %d",
				     p->abi_major, HIL_PLUGIN_ABI_MAJOR);
	if (p->abi_minor > HIL_PLUGIN_ABI_MINOR)
		return plugin_refuse(why, -EPROTONOSUPPORT,
				     "ABI %u.%u is newer than hild's %d.%d",
				     p->abi_major, p->abi_minor,
				     HIL_PLUGIN_ABI_MAJOR,
				     HIL_PLUGIN_ABI_MINOR);
	sizes = &plugin_abi_sizes[p->abi_minor];
	if (p->size != sizes->plugin || sym_size < sizes->plugin)
		return plugin_refuse(why, -EPROTO,
				     "struct hil_plugin is %u bytes (symbol "
				     "%zu), ABI %u.%u has %u",
				     p->size, sym_size, p->abi_major,
				     p->abi_minor, sizes->plugin);
	k = plugin_kind(p->kind);
	if (!k)
		return plugin_refuse(why, -EINVAL, "unknown kind %u", p->kind);
	if (k != want)
		return plugin_refuse(why, -EINVAL, "kind '%s', expected '%s'",
				     k->name, want->name);
	if (!p->name || strcmp(p->name, name) != 0)
		return plugin_refuse(
			why, -EINVAL, "it calls itself '%.*s', not '%s'",
			PLUGIN_MAX_NAME, p->name ? p->name : "(null)", name);
	ops = plugin_ops(p, k);
	if (!ops)
		return plugin_refuse(why, -EPROTO, "it sets no %s",
				     k->ops_name);
	if (!!p->switch_ops + !!p->obm_ops + !!p->auth_ops != 1)
		return plugin_refuse(why, -EPROTO,
				     "it sets ops tables of other kinds");
	/* Each ops struct starts with its size. */
	memcpy(&ops_size, ops, sizeof(ops_size));
	memcpy(&need, (const char *)sizes + k->size_offset, sizeof(need));
	if (ops_size != need)
		return plugin_refuse(why, -EPROTO,
				     "struct %s is %u bytes, ABI %u.%u has %u",
				     k->ops_name, ops_size, p->abi_major,
				     p->abi_minor, need);
	return k->check(p, why);
}

/*
 * Copy a checked descriptor and its ops table into the slot, as far as
 * the plugin's ABI minor makes them; what that minor lacks stays zero.
 * hild reads the copy from then on.  The kind and minor are the ones
 * checked at load, not read again from the plugin.
 */
static void plugin_snapshot(struct plugin_slot *slot)
{
	const struct plugin_abi_sizes *sizes = &plugin_abi_sizes[slot->minor];
	const struct plugin_kind_info *k = plugin_kind(slot->kind);
	const void *ops = plugin_ops(slot->real, k);
	void *copy = &slot->ops;
	uint32_t ops_size;

	memcpy(&ops_size, (const char *)sizes + k->size_offset,
	       sizeof(ops_size));
	memset(&slot->view, 0, sizeof(slot->view));
	memset(&slot->ops, 0, sizeof(slot->ops));
	memcpy(&slot->view, slot->real, sizes->plugin);
	memcpy(&slot->ops, ops, ops_size);
	memcpy((char *)&slot->view + k->ops_offset, &copy, sizeof(copy));
	slot->desc = &slot->view;
}

/* Files and directories: who may have written them. */

static bool plugin_owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* Check dir and every parent; the resolved directory goes to ret_real
 * (PATH_MAX bytes), which is what is loaded from, so that a symbolic link
 * on the way cannot be turned elsewhere after the check. */
static int plugin_check_dir(const char *dir, char *ret_real,
			    struct plugin_why *why)
{
	char real[PATH_MAX], *slash;
	struct stat st;
	bool top = true;

	if (!realpath(dir, real))
		return plugin_refuse(why, errno == ENOENT ? -ENOENT : -EPERM,
				     "directory '%s': %s", dir,
				     strerror(errno));
	memcpy(ret_real, real, sizeof(real));
	/* The directory itself, then each parent up to '/'. */
	for (int depth = 0; depth < PLUGIN_MAX_DEPTH; depth++) {
		if (stat(real, &st) < 0)
			return plugin_refuse(why, -EPERM, "directory '%s': %s",
					     real, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return plugin_refuse(why, -EPERM,
					     "'%s' is not a directory", real);
		if (!plugin_owner_ok(&st))
			return plugin_refuse(why, -EPERM,
					     "directory '%s' is owned by uid "
					     "%u, not root",
					     real, (unsigned)st.st_uid);
		/* A sticky parent (/tmp) lets no one else rename what we
		 * own in it; the plugin directory itself must be closed. */
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    (top || !(st.st_mode & S_ISVTX)))
			return plugin_refuse(why, -EPERM,
					     "directory '%s' is writable by "
					     "group or other (mode %04o)",
					     real,
					     (unsigned)st.st_mode & 07777);
		if (strcmp(real, "/") == 0)
			return 0;
		slash = strrchr(real, '/');
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		top = false;
	}
	return plugin_refuse(why, -EPERM, "directory '%s' is too deep", dir);
}

static int plugin_check_file(const char *path, struct plugin_why *why)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return plugin_refuse(why, errno == ENOENT ? -ENOENT : -EPERM,
				     "%s", strerror(errno));
	if (S_ISLNK(st.st_mode))
		return plugin_refuse(why, -EPERM, "it is a symbolic link");
	if (!S_ISREG(st.st_mode))
		return plugin_refuse(why, -EPERM, "it is not a regular file");
	if (!plugin_owner_ok(&st))
		return plugin_refuse(why, -EPERM,
				     "it is owned by uid %u, not root",
				     (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return plugin_refuse(why, -EPERM,
				     "it is writable by group or other "
				     "(mode %04o)",
				     (unsigned)st.st_mode & 07777);
	return 0;
}

/*
 * Find the descriptor and how big the object behind it is.  The symbol
 * must be data, and defined by this very file: with RTLD_LOCAL a lookup
 * also walks the file's dependencies.
 */
static int plugin_entry(lt_dlhandle handle, void *pin,
			const struct hil_plugin **ret, size_t *ret_size,
			struct plugin_why *why)
{
	const ElfW(Sym) *sym = NULL;
	struct link_map *map = NULL;
	Dl_info info;
	void *addr;

	addr = lt_dlsym(handle, PLUGIN_ENTRY_SYMBOL);
	if (!addr)
		return plugin_refuse(why, -ENOEXEC, "it does not export '%s'",
				     PLUGIN_ENTRY_SYMBOL);
	if (!dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym ||
	    !info.dli_sname || strcmp(info.dli_sname, PLUGIN_ENTRY_SYMBOL) ||
	    dlinfo(pin, RTLD_DI_LINKMAP, &map) < 0 || !map ||
	    strcmp(info.dli_fname, map->l_name) != 0)
		return plugin_refuse(why, -ENOEXEC,
				     "'%s' is not defined by the plugin itself",
				     PLUGIN_ENTRY_SYMBOL);
	if (ELF64_ST_TYPE(sym->st_info) != STT_OBJECT)
		return plugin_refuse(why, -ENOEXEC, "'%s' is not data",
				     PLUGIN_ENTRY_SYMBOL);
	*ret = addr;
	*ret_size = sym->st_size;
	return 0;
}

static int plugin_open(const char *path, const char *name,
		       enum hil_plugin_kind kind, struct plugin_slot *slot,
		       struct plugin_why *why)
{
	const struct hil_plugin *desc = NULL;
	lt_dladvise advise = NULL;
	lt_dlhandle handle = NULL;
	void *pin = NULL;
	const char *err;
	size_t size = 0, plen = strlen(path);
	int r;

	/*
	 * libltdl binds lazily; a first dlopen binding now refuses a plugin
	 * with an unresolved symbol here instead of letting hild die at its
	 * first call.  libltdl's open then shares the same mapping.
	 */
	pin = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!pin) {
		err = dlerror();
		if (!err)
			err = "unknown error";
		if (strncmp(err, path, plen) == 0 && err[plen] == ':')
			err += plen + 1 + (err[plen + 1] == ' ');
		r = plugin_refuse(why, -ELIBBAD, "%s", err);
		goto out;
	}
	if (lt_dladvise_init(&advise) || lt_dladvise_local(&advise)) {
		r = plugin_refuse(why, -ENOMEM, "libltdl: %s", lt_dlerror());
		goto out;
	}
	handle = lt_dlopenadvise(path, advise);
	if (!handle) {
		r = plugin_refuse(why, -ELIBBAD, "%s", lt_dlerror());
		goto out;
	}
	r = plugin_entry(handle, pin, &desc, &size, why);
	if (r < 0)
		goto out;
	r = plugin_check_desc(desc, size, name, kind, why);
	if (r < 0)
		goto out;

	*slot = (struct plugin_slot){.handle = handle,
				     .pin = pin,
				     .real = desc,
				     .kind = kind,
				     .minor = desc->abi_minor};
	plugin_snapshot(slot);
	handle = NULL;
	pin = NULL;
	r = 0;
out:
	if (advise)
		lt_dladvise_destroy(&advise);
	if (handle)
		lt_dlclose(handle);
	if (pin)
		dlclose(pin);
	return r;
}

static struct plugin_slot *plugin_slot_find(enum hil_plugin_kind kind,
					    const char *name)
{
	for (size_t i = 0; i < plugin_count; i++)
		if (plugin_slots[i].kind == kind &&
		    strcmp(plugin_slots[i].desc->name, name) == 0)
			return &plugin_slots[i];
	return NULL;
}

static int plugin_try_load(const char *dir, const char *path, const char *name,
			   enum hil_plugin_kind kind, struct plugin_why *why)
{
	struct plugin_slot *dup = plugin_slot_find(kind, name);
	char real[PATH_MAX], file[PATH_MAX];
	int n, r;

	/* The file name is the plugin's name, so this catches a second
	 * file claiming a name before any of it is mapped. */
	if (dup)
		return plugin_refuse(why, -EEXIST,
				     "a %s plugin '%s' is already loaded "
				     "from '%s'",
				     plugin_kind_name(kind), name, dup->path);
	if (plugin_count == PLUGIN_MAX_LOADED)
		return plugin_refuse(why, -ENOSPC,
				     "more than %d plugins loaded",
				     PLUGIN_MAX_LOADED);
	r = plugin_check_dir(dir, real, why);
	if (r < 0)
		return r;
	n = snprintf(file, sizeof(file), "%s/%s.so", real, name);
	if (n < 0 || (size_t)n >= sizeof(file))
		return plugin_refuse(why, -ENAMETOOLONG, "path too long");
	r = plugin_check_file(file, why);
	if (r < 0)
		return r;
	if (!plugin_ltdl_ready) {
		if (lt_dlinit())
			return plugin_refuse(why, -ENOMEM, "libltdl: %s",
					     lt_dlerror());
		plugin_ltdl_ready = true;
	}
	r = plugin_open(file, name, kind, &plugin_slots[plugin_count], why);
	if (r < 0)
		return r;
	/* Messages name the plugin as the configuration does. */
	snprintf(plugin_slots[plugin_count].path,
		 sizeof(plugin_slots[plugin_count].path), "%s", path);
	plugin_count++;
	return 0;
}

int plugin_load(const char *dir, const char *name, enum hil_plugin_kind kind)
{
	struct plugin_why why = {0};
	char path[PATH_MAX];
	int n, r;

	if (!dir || !*dir || !name)
		return -EINVAL;
	if (!plugin_kind_name(kind)) {
		log_err("refusing plugin '%.*s': unknown kind %d",
			PLUGIN_MAX_NAME, name, (int)kind);
		return -EINVAL;
	}
	/* Also keeps '/' and ".." out of the path built from it. */
	if (!plugin_word_valid(name, PLUGIN_MAX_NAME, "-")) {
		log_err("refusing %s plugin '%.*s': invalid plugin name",
			plugin_kind_name(kind), PLUGIN_MAX_NAME, name);
		return -EINVAL;
	}
	n = snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_err("refusing plugin '%s' in '%.64s...': path too long",
			name, dir);
		return -ENAMETOOLONG;
	}
	r = plugin_try_load(dir, path, name, kind, &why);
	if (r < 0) {
		log_err("refusing plugin '%s': %s", path, why.text);
		return r;
	}
	log_info("loaded %s plugin '%s' from '%s'", plugin_kind_name(kind),
		 name, path);
	return 0;
}

/* A plugin's init may fill in its ops table from its options (the mock
 * switch does, for tests): read it again, and check it again. */
static int plugin_resnapshot(struct plugin_slot *s)
{
	struct plugin_why why = {0};
	int r;

	plugin_snapshot(s);
	r = plugin_kind(s->kind)->check(s->desc, &why);
	if (r < 0) {
		/* Initialised all the same: unloading calls its fini. */
		s->initialised = true;
		log_err("%s plugin '%s' broke its ops table in init: %s",
			plugin_kind_name(s->kind), s->desc->name, why.text);
	}
	return r;
}

int plugin_init_all(void)
{
	for (size_t i = 0; i < plugin_count; i++) {
		struct plugin_slot *s = &plugin_slots[i];
		int r;

		if (s->initialised)
			continue;
		r = s->desc->init ? s->desc->init(&plugin_host_table) : 0;
		if (r == 0 && (r = plugin_resnapshot(s)) < 0)
			return r;
		if (r < 0) {
			log_err("%s plugin '%s' failed to initialise: %s",
				plugin_kind_name(s->kind), s->desc->name,
				strerror(-r));
			return r;
		}
		if (r > 0) {
			log_err("%s plugin '%s' failed to initialise: init "
				"returned %d",
				plugin_kind_name(s->kind), s->desc->name, r);
			return -EPROTO;
		}
		s->initialised = true;
	}
	return 0;
}

void plugin_unload_all(void)
{
	/* Reverse order: a plugin loaded later may lean on an earlier one's
	 * shared libraries. */
	while (plugin_count > 0) {
		struct plugin_slot *s = &plugin_slots[--plugin_count];

		if (s->initialised && s->desc->fini)
			s->desc->fini();
		lt_dlclose(s->handle);
		dlclose(s->pin);
		*s = (struct plugin_slot){0};
	}
	if (plugin_ltdl_ready) {
		lt_dlexit();
		plugin_ltdl_ready = false;
	}
}

const struct hil_plugin *plugin_find(enum hil_plugin_kind kind,
				     const char *name)
{
	struct plugin_slot *s = name ? plugin_slot_find(kind, name) : NULL;

	return s ? s->desc : NULL;
}

void plugin_foreach(void (*fn)(const struct hil_plugin *p, void *arg),
		    void *arg)
{
	for (size_t i = 0; i < plugin_count; i++)
		fn(plugin_slots[i].desc, arg);
}
