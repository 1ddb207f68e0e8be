/*
 * munge.c - the auth plugin for MUNGE credentials.
 *
 * A client on a host of the MUNGE realm (a SLURM node, say) sends
 *
 *	Authorization: MUNGE <credential>
 *
 * with a credential it had the local munged encode.  The local munged
 * decodes it and vouches for the uid of the process that encoded it; it
 * refuses a credential it has decoded before (replayed), one past its
 * time-to-live (expired), one encoded in the future (rewound) and one that
 * does not check out under the realm's key (tampered, or from another
 * realm).  The uid maps to one of hild's local users, whose admin flag and
 * projects then apply, so access is managed with the same user API as
 * for passwords.  Options, in hild.conf:
 *
 *	plugin.munge.socket = PATH      munged's socket (default: libmunge's)
 *	plugin.munge.map.<uid> = USER   the uid is the HIL user USER
 *	plugin.munge.map_names = yes|no other uids are the HIL user named as
 *	                                their account (default yes)
 *
 * This is the only file of the plugin that includes <munge.h>.
 */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <munge.h>

#include <hil/plugin.h>

#define MUNGE_NAME	  "munge"
#define MUNGE_SCHEME	  "MUNGE"
#define MUNGE_MAX_CRED	  4096	/* bytes of a credential we decode */
#define MUNGE_PW_BUF	  16384 /* getpwuid_r's scratch space */
#define MUNGE_MAP_KEY_MAX 32	/* "map.<uid>" */

static struct {
	const char *socket; /* NULL: libmunge's default; lives in hild.conf */
	bool map_names;
} munge_conf;

/* What a decode error means: munged could not be asked, or the credential
 * is not good. */
static const struct {
	munge_err_t e;
	int err;
} munge_errs[] = {
	{EMUNGE_SOCKET, -EHOSTDOWN},
	{EMUNGE_TIMEOUT, -ETIMEDOUT},
	{EMUNGE_SNAFU, -EAGAIN},
	{EMUNGE_NO_MEMORY, -ENOMEM},
	{EMUNGE_CRED_EXPIRED, -EACCES},
	{EMUNGE_CRED_REWOUND, -EACCES},
	{EMUNGE_CRED_REPLAYED, -EACCES},
	{EMUNGE_CRED_INVALID, -EACCES},
	{EMUNGE_CRED_UNAUTHORIZED, -EACCES},
};

static int munge_errno(munge_err_t e)
{
	for (size_t i = 0; i < sizeof(munge_errs) / sizeof(munge_errs[0]); i++)
		if (munge_errs[i].e == e)
			return munge_errs[i].err;
	return -EINVAL; /* malformed: bad format, version, cipher, realm */
}

static int munge_bool_option(const struct hil_host *host, const char *key,
			     bool dflt, bool *ret)
{
	const char *v = host->option(MUNGE_NAME, key);

	if (!v) {
		*ret = dflt;
		return 0;
	}
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0) {
		*ret = true;
		return 0;
	}
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0) {
		*ret = false;
		return 0;
	}
	host->log(HIL_LOG_ERR,
		  "auth plugin 'munge': option '%s' must be yes or no, not "
		  "'%s'",
		  key, v);
	return -EINVAL;
}

static int munge_init(const struct hil_host *host)
{
	const char *sock = host->option(MUNGE_NAME, "socket");
	struct sockaddr_un sa;
	int r;

	if (host->size <= offsetof(struct hil_host, auth_local_user) ||
	    !host->auth_local_user) {
		host->log(HIL_LOG_ERR, "auth plugin 'munge' needs a hild that "
				       "maps callers to local users");
		return -EPROTONOSUPPORT;
	}
	if (sock && (sock[0] != '/' || strlen(sock) >= sizeof(sa.sun_path))) {
		host->log(HIL_LOG_ERR,
			  "auth plugin 'munge': socket '%s' is not an absolute "
			  "path shorter than %zu bytes",
			  sock, sizeof(sa.sun_path));
		return -EINVAL;
	}
	r = munge_bool_option(host, "map_names", true, &munge_conf.map_names);
	if (r < 0)
		return r;
	munge_conf.socket = sock;
	/* munged may come up after hild: a request then answers 503. */
	if (sock && access(sock, F_OK) < 0)
		host->log(HIL_LOG_WARNING,
			  "auth plugin 'munge': no munged socket at '%s' yet",
			  sock);
	return 0;
}

/* A credential is printable ASCII without spaces ("MUNGE:<base64>:"). */
static bool munge_cred_valid(const char *cred)
{
	size_t n = 0;

	for (; cred[n]; n++)
		if (n == MUNGE_MAX_CRED || cred[n] <= 0x20 || cred[n] > 0x7e)
			return false;
	return n > 0;
}

/* Decode with the local munged; the uid of the credential's encoder. */
static int munge_decode_uid(const struct hil_host *host, const char *cred,
			    uid_t *ret_uid)
{
	munge_ctx_t ctx = munge_ctx_create();
	void *payload = NULL;
	munge_err_t e;
	uid_t uid = (uid_t)-1;
	gid_t gid;
	int len = 0, r;

	if (!ctx)
		return -ENOMEM;
	if (munge_conf.socket &&
	    munge_ctx_set(ctx, MUNGE_OPT_SOCKET, munge_conf.socket) !=
		    EMUNGE_SUCCESS) {
		r = -ENOMEM;
		goto out;
	}
	e = munge_decode(cred, ctx, &payload, &len, &uid, &gid);
	if (e == EMUNGE_SUCCESS) {
		*ret_uid = uid;
		r = 0;
		goto out;
	}
	r = munge_errno(e);
	if (r == -EHOSTDOWN || r == -ETIMEDOUT || r == -EAGAIN)
		host->log(HIL_LOG_ERR,
			  "auth plugin 'munge': could not decode a credential "
			  "with munged at '%s': %s",
			  munge_conf.socket ? munge_conf.socket : "(default)",
			  munge_ctx_strerror(ctx) ? munge_ctx_strerror(ctx)
						  : munge_strerror(e));
	else if (e == EMUNGE_CRED_EXPIRED || e == EMUNGE_CRED_REWOUND ||
		 e == EMUNGE_CRED_REPLAYED)
		host->log(HIL_LOG_NOTICE,
			  "auth plugin 'munge': refused a credential of uid "
			  "%u: %s",
			  (unsigned)uid, munge_strerror(e));
	else
		host->log(HIL_LOG_NOTICE,
			  "auth plugin 'munge': refused a credential: %s",
			  munge_strerror(e));
out:
	free(payload);
	munge_ctx_destroy(ctx);
	return r;
}

/*
 * The HIL user of uid, into buf: an explicit "map.<uid>", else the
 * account name when map_names is on.  -ENOENT when there is none.
 */
static int munge_user_of(const struct hil_host *host, uid_t uid, char *buf,
			 size_t len)
{
	char key[MUNGE_MAP_KEY_MAX], *scratch;
	struct passwd pw, *found = NULL;
	const char *user;
	int r;

	snprintf(key, sizeof(key), "map.%u", (unsigned)uid);
	user = host->option(MUNGE_NAME, key);
	if (user) {
		if (strlen(user) >= len)
			return -ENAMETOOLONG;
		strcpy(buf, user);
		return 0;
	}
	if (!munge_conf.map_names)
		return -ENOENT;
	scratch = malloc(MUNGE_PW_BUF);
	if (!scratch)
		return -ENOMEM;
	r = getpwuid_r(uid, &pw, scratch, MUNGE_PW_BUF, &found);
	if (r == 0 && !found)
		r = -ENOENT;
	else if (r > 0)
		r = r == ENOMEM ? -ENOMEM : -ENOENT;
	else if (strlen(found->pw_name) >= len)
		r = -ENAMETOOLONG;
	else
		strcpy(buf, found->pw_name);
	free(scratch);
	return r;
}

static int munge_authenticate(const struct hil_host *host,
			      struct hil_auth_request *req)
{
	const char *h = host->auth_header(req, "Authorization");
	char user[256];
	uid_t uid = 0;
	int r;

	/* Another scheme (Basic, say) is not ours: anonymous. */
	if (!h || strncasecmp(h, MUNGE_SCHEME, strlen(MUNGE_SCHEME)) != 0 ||
	    h[strlen(MUNGE_SCHEME)] != ' ')
		return 0;
	h += strlen(MUNGE_SCHEME);
	while (*h == ' ')
		h++;
	if (!munge_cred_valid(h)) {
		host->log(HIL_LOG_NOTICE,
			  "auth plugin 'munge': refused a malformed "
			  "credential");
		return -EINVAL;
	}
	r = munge_decode_uid(host, h, &uid);
	if (r < 0)
		return r;
	r = munge_user_of(host, uid, user, sizeof(user));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		host->log(HIL_LOG_NOTICE,
			  "auth plugin 'munge': uid %u maps to no HIL user",
			  (unsigned)uid);
		return -ENOENT;
	}
	r = host->auth_local_user(req, user);
	if (r == -ENOENT || r == -EINVAL)
		host->log(HIL_LOG_NOTICE,
			  "auth plugin 'munge': uid %u maps to '%s', which is "
			  "not a HIL user",
			  (unsigned)uid, user);
	return r < 0 ? r : 1;
}

static const struct hil_auth_ops munge_ops = {
	.size = sizeof(struct hil_auth_ops),
	.authenticate = munge_authenticate,
	.challenge = MUNGE_SCHEME,
	.flags = HIL_AUTH_LOCAL_USERS,
};

HIL_PLUGIN_ENTRY = {
	.abi_major = HIL_PLUGIN_ABI_MAJOR,
	.abi_minor = HIL_PLUGIN_ABI_MINOR,
	.size = sizeof(struct hil_plugin),
	.kind = HIL_PLUGIN_AUTH,
	.name = MUNGE_NAME,
	.description = "MUNGE credentials; the encoder's uid is a local user",
	.init = munge_init,
	.auth_ops = &munge_ops,
};
