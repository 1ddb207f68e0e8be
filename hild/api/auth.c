/*
 * auth.c - who is calling.
 *
 * Local users send HTTP Basic credentials, checked against crypt(3)
 * hashes in the users table ($6$ sha512-crypt, which the original HIL's
 * passlib also reads; any other scheme crypt(3) knows, such as yescrypt,
 * is verified too).  A full hash costs ~200 ms at the
 * original's 656,000 rounds, so verified credentials are remembered for a
 * short while: the cache keeps a salted SHA-256 of the password, never the
 * password, together with the stored hash it was checked against, so a
 * changed password or a deleted user is noticed at once.
 */
#include "config.h"

#include "api/auth.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "plugin.h"
#include "sha256.h"

#define AUTH_CACHE_SLOTS  256
#define AUTH_CACHE_TTL_S  60
#define AUTH_MAX_HASH	  256  /* a stored crypt(3) hash, bytes */
#define AUTH_MAX_HEADER	  1024 /* an Authorization header we decode */
#define AUTH_MAX_PROJECTS 256  /* projects an auth plugin may name */

struct auth_cache_entry {
	char user[API_MAX_LABEL + 1];
	char hash[AUTH_MAX_HASH];
	uint8_t digest[SHA256_LEN];
	time_t expires;
};

static struct {
	const struct hil_auth_ops *plugin; /* NULL: local users */
	const char *plugin_name;
	bool require;
	uint8_t key[32]; /* per-process secret for cache digests */
	/* A hash of "", checked (and its answer ignored) for unknown users
	 * so that they take as long as a wrong password; "" when it could
	 * not be made. */
	char dummy_hash[AUTH_MAX_HASH];
	pthread_mutex_t lock;
	struct auth_cache_entry cache[AUTH_CACHE_SLOTS];
} auth = {.lock = PTHREAD_MUTEX_INITIALIZER};

int auth_setup(const char *backend, bool require)
{
	const struct hil_plugin *p;

	auth.require = require;
	if (getrandom(auth.key, sizeof(auth.key), 0) != sizeof(auth.key))
		return -EIO;
	/* Best effort: without it unknown users are only answered sooner. */
	if (!auth.dummy_hash[0])
		auth_hash_password("", auth.dummy_hash,
				   sizeof(auth.dummy_hash));
	if (!backend || strcmp(backend, "local") == 0) {
		auth.plugin = NULL;
		auth.plugin_name = "local";
		return 0;
	}
	p = plugin_find(HIL_PLUGIN_AUTH, backend);
	if (!p || !p->auth_ops)
		return -ENOENT;
	auth.plugin = p->auth_ops;
	auth.plugin_name = p->name;
	return 0;
}

const char *auth_challenge(void)
{
	if (auth.plugin)
		return auth.plugin->challenge ? auth.plugin->challenge : "HIL";
	return "Basic realm=\"hil\"";
}

void auth_ident_clear(struct api_ident *who)
{
	for (size_t i = 0; i < who->nprojects; i++)
		free(who->projects[i]);
	free(who->projects);
	who->projects = NULL;
	who->nprojects = 0;
}

/* Timing-independent comparison of two equal-length buffers. */
static bool auth_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

static void auth_digest(const char *user, const char *password,
			uint8_t out[SHA256_LEN])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, auth.key, sizeof(auth.key));
	sha256_update(&s, user, strlen(user) + 1);
	sha256_update(&s, password, strlen(password));
	sha256_final(&s, out);
}

static struct auth_cache_entry *auth_slot(const char *user)
{
	uint32_t h = 2166136261u;

	for (const char *p = user; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return &auth.cache[h % AUTH_CACHE_SLOTS];
}

static time_t auth_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static bool auth_cache_hit(const char *user, const char *hash,
			   const uint8_t digest[SHA256_LEN])
{
	struct auth_cache_entry *e = auth_slot(user);
	bool hit;

	pthread_mutex_lock(&auth.lock);
	/* An expired digest is of no use and still a password's: drop it. */
	if (e->expires <= auth_now())
		explicit_bzero(e, sizeof(*e));
	hit = strcmp(e->user, user) == 0 && strcmp(e->hash, hash) == 0 &&
	      auth_equal(e->digest, digest, SHA256_LEN);
	pthread_mutex_unlock(&auth.lock);
	return hit;
}

static void auth_cache_put(const char *user, const char *hash,
			   const uint8_t digest[SHA256_LEN])
{
	struct auth_cache_entry *e = auth_slot(user);

	if (strlen(hash) >= sizeof(e->hash))
		return;
	pthread_mutex_lock(&auth.lock);
	strcpy(e->user, user);
	strcpy(e->hash, hash);
	memcpy(e->digest, digest, SHA256_LEN);
	e->expires = auth_now() + AUTH_CACHE_TTL_S;
	pthread_mutex_unlock(&auth.lock);
}

void auth_cache_forget(const char *user)
{
	struct auth_cache_entry *e = auth_slot(user);

	pthread_mutex_lock(&auth.lock);
	if (strcmp(e->user, user) == 0)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&auth.lock);
}

/* Check password against a crypt(3) hash, the slow way. */
static bool auth_crypt_ok(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	bool ok = false;

	if (!cd)
		return false;
	out = crypt_r(password, hash, cd);
	if (out && out[0] != '*' && strlen(out) == strlen(hash))
		ok = auth_equal(out, hash, strlen(hash));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

int auth_hash_password(const char *password, char *out, size_t outlen)
{
	struct crypt_data *cd;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h;
	int r = -EIO;

	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	/* $6$ keeps hashes readable by the original HIL's passlib. */
	if (!crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)))
		goto out;
	h = crypt_r(password, salt, cd);
	if (!h || h[0] == '*' || strlen(h) >= outlen)
		goto out;
	strcpy(out, h);
	r = 0;
out:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

static const int8_t auth_b64[256] = {
	['A'] = 1,  ['B'] = 2,	['C'] = 3,  ['D'] = 4,	['E'] = 5,  ['F'] = 6,
	['G'] = 7,  ['H'] = 8,	['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
	['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
	['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
	['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
	['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

/* Decode base64 into out (NUL-terminated); -EINVAL if malformed. */
static int auth_base64(const char *in, char *out, size_t outlen)
{
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	for (; *in && *in != '='; in++) {
		int8_t v = auth_b64[(uint8_t)*in];

		if (!v)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)(v - 1);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outlen)
				return -EINVAL;
			out[n++] = (char)(acc >> bits);
		}
	}
	out[n] = '\0';
	return memchr(out, '\0', n) ? -EINVAL : 0;
}

static int auth_unauth(struct api_req *r, const char *why)
{
	return api_error(r, API_E_UNAUTH, "%s", why);
}

static int auth_local(struct api_req *r, const char *header)
{
	char buf[AUTH_MAX_HEADER], *password;
	uint8_t digest[SHA256_LEN];
	struct db_res *res = NULL;
	const char *hash;
	int n, ret;

	if (strlen(header) >= sizeof(buf) || strncasecmp(header, "Basic ", 6))
		return auth_unauth(r, "unsupported Authorization header");
	/* From here on buf may hold a password, wiped at out. */
	password = auth_base64(header + 6, buf, sizeof(buf)) < 0
			   ? NULL
			   : strchr(buf, ':');
	if (!password || password == buf) {
		ret = auth_unauth(r, "malformed Basic credentials");
		goto out;
	}
	*password++ = '\0';
	if (strlen(buf) > API_MAX_LABEL) {
		ret = auth_unauth(r, "invalid user name or password");
		goto out;
	}
	n = db_q(r->db, Q_AUTH_USER_GET, &res, buf);
	if (n < 0) {
		ret = api_db_error(r, n);
		goto out;
	}
	/* Unknown user and wrong password look the same to the caller,
	 * answer and time alike. */
	if (n == 0 || !(hash = db_res_get(res, 0, 1))) {
		if (auth.dummy_hash[0])
			auth_crypt_ok(password, auth.dummy_hash);
		ret = auth_unauth(r, "invalid user name or password");
		goto out;
	}
	auth_digest(buf, password, digest);
	if (!auth_cache_hit(buf, hash, digest)) {
		if (!auth_crypt_ok(password, hash)) {
			ret = auth_unauth(r, "invalid user name or password");
			goto out;
		}
		auth_cache_put(buf, hash, digest);
	}
	r->who.authenticated = true;
	r->who.admin = db_res_int(res, 0, 2) != 0;
	strcpy(r->who.user, buf);
	snprintf(r->who.user_id, sizeof(r->who.user_id), "%s",
		 db_res_get(res, 0, 0));
	ret = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	db_res_free(res);
	return ret;
}

/* Plugins name projects by label; authorization compares ids. */
static int auth_resolve_projects(struct api_req *r)
{
	size_t keep = 0;

	for (size_t i = 0; i < r->who.nprojects; i++) {
		struct db_res *res = NULL;
		int n = db_q(r->db, Q_AUTH_PROJECT_ID, &res,
			     r->who.projects[i]);

		free(r->who.projects[i]);
		r->who.projects[i] = NULL;
		if (n > 0)
			r->who.projects[keep++] = strdup(db_res_get(res, 0, 0));
		db_res_free(res);
		if (n < 0) {
			for (size_t j = i + 1; j < r->who.nprojects; j++)
				free(r->who.projects[j]);
			r->who.nprojects = keep;
			return api_db_error(r, n);
		}
	}
	r->who.nprojects = keep;
	for (size_t i = 0; i < keep; i++)
		if (!r->who.projects[i])
			return api_error(r, API_E_SERVER, "out of memory");
	return 0;
}

/*
 * What a plugin's refusal means to the client (see authenticate in
 * hil/plugin.h); any errno not listed is a credential that is not good.
 * The plugin logged the details.
 */
static const struct {
	int err;
	enum api_err e;
	const char *msg;
} auth_plugin_errs[] = {
	{-EHOSTDOWN, API_E_UNAVAILABLE,
	 "the authentication service is not available"},
	{-ECONNREFUSED, API_E_UNAVAILABLE,
	 "the authentication service is not available"},
	{-ETIMEDOUT, API_E_UNAVAILABLE,
	 "the authentication service did not answer in time"},
	{-EAGAIN, API_E_UNAVAILABLE,
	 "the authentication service is busy; try again"},
	{-ENOMEM, API_E_SERVER, "out of memory"},
};

static int auth_plugin_refusal(struct api_req *r, int err)
{
	for (size_t i = 0;
	     i < sizeof(auth_plugin_errs) / sizeof(auth_plugin_errs[0]); i++)
		if (auth_plugin_errs[i].err == err)
			return api_error(r, auth_plugin_errs[i].e, "%s",
					 auth_plugin_errs[i].msg);
	return auth_unauth(r, "invalid credentials");
}

static int auth_by_plugin(struct api_req *r,
			  const char *(*header)(void *ctx, const char *name),
			  void *ctx)
{
	struct hil_auth_request req = {header, ctx, &r->who, r->db, 0};
	int n = auth.plugin->authenticate(plugin_host(), &req), ret;
	size_t named = r->who.nprojects;

	if (n <= 0 || req.db_err) {
		auth_ident_clear(&r->who);
		memset(&r->who, 0, sizeof(r->who));
	}
	/* A database failure is ours, whatever the plugin made of it. */
	if (req.db_err)
		return api_db_error(r, req.db_err);
	if (n < 0)
		return auth_plugin_refusal(r, n);
	if (n == 0)
		return 0;
	r->who.authenticated = true;
	ret = auth_resolve_projects(r);
	if (ret)
		return ret;
	/* Spec 2.2: a caller who is not an admin and whose projects are none
	 * of hild's is not authenticated (anonymous). */
	if (!r->who.admin && !r->who.user_id[0] && named > 0 &&
	    r->who.nprojects == 0) {
		log_info("auth plugin '%s' vouched for a caller in no project "
			 "hild has: treated as anonymous",
			 auth.plugin_name);
		auth_ident_clear(&r->who);
		memset(&r->who, 0, sizeof(r->who));
	}
	return 0;
}

int auth_identify(struct api_req *r,
		  const char *(*header)(void *ctx, const char *name), void *ctx)
{
	const char *h;
	int ret;

	memset(&r->who, 0, sizeof(r->who));
	if (auth.plugin) {
		ret = auth_by_plugin(r, header, ctx);
	} else {
		h = header(ctx, "Authorization");
		ret = h ? auth_local(r, h) : 0;
	}
	if (ret)
		return ret;
	if (!r->who.authenticated && auth.require)
		return auth_unauth(r, "authentication required");
	return 0;
}

const char *auth_req_header(const struct hil_auth_request *req,
			    const char *name)
{
	return req->header(req->ctx, name);
}

int auth_req_set_user(struct hil_auth_request *req, const char *user)
{
	if (!user || strlen(user) > API_MAX_LABEL)
		return -EINVAL;
	strcpy(req->who->user, user);
	return 0;
}

int auth_req_set_admin(struct hil_auth_request *req, int admin)
{
	req->who->admin = admin != 0;
	return 0;
}

int auth_req_add_project(struct hil_auth_request *req, const char *project)
{
	struct api_ident *who = req->who;
	char **p;

	if (!project || strlen(project) > API_MAX_LABEL)
		return -EINVAL;
	if (who->nprojects == AUTH_MAX_PROJECTS)
		return -E2BIG;
	p = realloc(who->projects, (who->nprojects + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	who->projects = p;
	p[who->nprojects] = strdup(project);
	if (!p[who->nprojects])
		return -ENOMEM;
	who->nprojects++;
	return 0;
}

/*
 * The plugin vouches that the caller is the local user "user": the rest
 * of the identity (id, admin flag; projects through user_projects) is
 * that user's, as with HTTP Basic.
 */
int auth_req_local_user(struct hil_auth_request *req, const char *user)
{
	struct api_ident *who = req->who;
	struct db_res *res = NULL;
	const char *id;
	int n;

	if (!user || !*user || strlen(user) > API_MAX_LABEL)
		return -EINVAL;
	if (!req->db)
		return -EIO;
	n = db_q(req->db, Q_AUTH_USER_GET, &res, user);
	if (n < 0) {
		req->db_err = n;
		return -EIO;
	}
	id = n > 0 ? db_res_get(res, 0, 0) : NULL;
	if (!id || strlen(id) >= sizeof(who->user_id)) {
		db_res_free(res);
		return -ENOENT;
	}
	auth_ident_clear(who);
	strcpy(who->user, user);
	strcpy(who->user_id, id);
	who->admin = db_res_int(res, 0, 2) != 0;
	db_res_free(res);
	return 0;
}

bool auth_local_users(void)
{
	return !auth.plugin || (auth.plugin->flags & HIL_AUTH_LOCAL_USERS);
}

int auth_create_admin(struct db_conn *c, const char *user, const char *password)
{
	char hash[AUTH_MAX_HASH];
	int r;

	r = auth_hash_password(password, hash, sizeof(hash));
	if (r < 0)
		return r;
	r = db_q(c, Q_AUTH_ADMIN_CREATE, NULL, user, hash);
	explicit_bzero(hash, sizeof(hash));
	return r < 0 ? r : 0;
}
