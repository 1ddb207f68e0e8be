/*
 * vlan.c - the VLAN pool: the "vlans" setting, its table, allocation.
 */
#include "config.h"

#include "vlan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define VLAN_ALLOC_TRIES 8  /* allocations lost to concurrent ones */
#define VLAN_SYNC_TRIES	 3  /* startup syncs lost to a concurrent writer */
#define VLAN_MAX_DIGITS	 9  /* digits read of a number (no overflow) */
#define VLAN_ITEM_QUOTE	 40 /* bytes of a bad item quoted in a message */

/* One decimal number of at most VLAN_MAX_DIGITS digits, no sign, no
 * leading zero.  Returns its value, or -1. */
static int vlan_number(const char *s, size_t n)
{
	int v = 0;

	if (n == 0 || n > VLAN_MAX_DIGITS || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool vlan_id_valid(const char *id)
{
	int v = vlan_number(id, strlen(id));

	return v >= VLAN_MIN && v <= VLAN_EXPLICIT_MAX;
}

static bool vlan_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim spaces around s[0..n); returns the new length, moves *s. */
static size_t vlan_trim(const char **s, size_t n)
{
	while (n && vlan_space(**s)) {
		(*s)++;
		n--;
	}
	while (n && vlan_space((*s)[n - 1]))
		n--;
	return n;
}

/* One item of the list, trimmed: "N" or "A-B". */
static int vlan_parse_item(const char *item, size_t n, struct vlan_set *set,
			   char *err, size_t errlen)
{
	const char *dash = memchr(item, '-', n);
	const char *a = item, *b = dash ? dash + 1 : item;
	size_t na = dash ? (size_t)(dash - item) : n;
	size_t nb = dash ? n - na - 1 : n;
	int lo, hi;

	na = vlan_trim(&a, na);
	nb = vlan_trim(&b, nb);
	lo = vlan_number(a, na);
	hi = vlan_number(b, nb);
	if (lo < 0 || hi < 0) {
		snprintf(err, errlen,
			 "'%.*s' is not a VLAN id or a range like 100-200",
			 (int)(n < VLAN_ITEM_QUOTE ? n : VLAN_ITEM_QUOTE),
			 item);
		return -EINVAL;
	}
	if (lo < VLAN_MIN || lo > VLAN_MAX || hi < VLAN_MIN || hi > VLAN_MAX) {
		snprintf(err, errlen, "VLAN %d is outside %d..%d",
			 lo < VLAN_MIN || lo > VLAN_MAX ? lo : hi, VLAN_MIN,
			 VLAN_MAX);
		return -EINVAL;
	}
	if (lo > hi) {
		snprintf(err, errlen, "range '%d-%d' ends before it starts", lo,
			 hi);
		return -EINVAL;
	}
	for (int v = lo; v <= hi; v++)
		if (!set->has[v]) {
			set->has[v] = true;
			set->count++;
		}
	return 0;
}

int vlan_pool_parse(const char *spec, struct vlan_set *ret, char *err,
		    size_t errlen)
{
	struct vlan_set *set;
	const char *p = spec, *end, *item;
	size_t n;
	int r = 0;

	set = calloc(1, sizeof(*set));
	if (!set) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (vlan_trim(&p, strlen(p)) == 0)
		goto out; /* no pool */
	for (;;) {
		end = strchrnul(p, ',');
		item = p;
		n = vlan_trim(&item, (size_t)(end - p));
		if (n == 0) {
			snprintf(err, errlen, "an item of the list is empty");
			r = -EINVAL;
			goto out;
		}
		r = vlan_parse_item(item, n, set, err, errlen);
		if (r < 0)
			goto out;
		if (!*end)
			break;
		p = end + 1;
	}
out:
	if (r == 0)
		*ret = *set;
	free(set);
	return r;
}

int vlan_pool_check(const char *spec)
{
	struct vlan_set *set = calloc(1, sizeof(*set));
	char err[160];
	int r;

	if (!set) {
		log_err("could not check 'vlans': out of memory");
		return -ENOMEM;
	}
	r = vlan_pool_parse(spec ? spec : "", set, err, sizeof(err));
	if (r < 0)
		log_err("bad 'vlans' setting: %s", err);
	free(set);
	return r;
}

/* The state of the table, read at startup. */
struct vlan_sync {
	const struct vlan_set *want;
	bool have[VLAN_MAX + 1];
	/* An admin-chosen network that uses a VLAN joining the pool (the
	 * first one by id), and how many do. */
	long long adopt[VLAN_MAX + 1];
	const char *adopt_label[VLAN_MAX + 1];
	unsigned users[VLAN_MAX + 1];
	unsigned added, adopted, dropped;
};

/* Read the pool; log every held VLAN the config no longer has.  Returns
 * 0, -EBUSY or a database error. */
static int vlan_sync_read_pool(struct db_conn *c, struct vlan_sync *s)
{
	struct db_res *res = NULL;
	int n, v, r = 0;

	n = db_q0(c, Q_VLAN_LIST, &res);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		v = (int)db_res_int(res, i, 0);
		if (v < VLAN_MIN || v > VLAN_MAX)
			continue; /* not ours: left alone */
		s->have[v] = true;
		if (s->want->has[v] || !db_res_get(res, i, 1))
			continue;
		log_err("VLAN %d is no longer in 'vlans' but network '%s' "
			"holds it: put it back or delete the network",
			v, db_res_get(res, i, 2) ? db_res_get(res, i, 2) : "?");
		r = -EBUSY;
	}
	db_res_free(res);
	return r;
}

/* Find the admin-chosen networks that use VLANs joining the pool; log
 * every such VLAN that several networks use.  res stays referenced by
 * s->adopt_label until the caller frees it. */
static int vlan_sync_read_networks(struct db_conn *c, struct vlan_sync *s,
				   struct db_res **ret_res)
{
	struct db_res *res = NULL;
	const char *id;
	int n, v, r = 0;

	n = db_q0(c, Q_VLAN_EXPLICIT_NETWORKS, &res);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		id = db_res_get(res, i, 2);
		v = id ? vlan_number(id, strlen(id)) : -1;
		if (v < VLAN_MIN || v > VLAN_MAX || !s->want->has[v] ||
		    s->have[v])
			continue;
		if (s->users[v]++ == 0) {
			s->adopt[v] = db_res_int(res, i, 0);
			s->adopt_label[v] = db_res_get(res, i, 1);
			continue;
		}
		log_err("VLAN %d cannot join the pool: networks '%s' and '%s' "
			"both use it",
			v, s->adopt_label[v], db_res_get(res, i, 1));
		r = -EBUSY;
	}
	*ret_res = res;
	return r;
}

/* Run q ($1 = first, $2 = last VLAN) over every maximal run of VLANs
 * with pred, adding the rows it changed to *count. */
static int vlan_sync_runs(struct db_conn *c, struct vlan_sync *s,
			  bool (*pred)(const struct vlan_sync *s, int v),
			  enum db_query q, unsigned *count)
{
	char a[VLAN_ID_LEN], b[VLAN_ID_LEN];
	int v = VLAN_MIN, first, n;

	while (v <= VLAN_MAX) {
		if (!pred(s, v)) {
			v++;
			continue;
		}
		first = v;
		while (v + 1 <= VLAN_MAX && pred(s, v + 1))
			v++;
		snprintf(a, sizeof(a), "%d", first);
		snprintf(b, sizeof(b), "%d", v);
		n = db_q(c, q, NULL, a, b);
		if (n < 0)
			return n;
		*count += (unsigned)n;
		v++;
	}
	return 0;
}

static bool vlan_sync_is_new(const struct vlan_sync *s, int v)
{
	return s->want->has[v] && !s->have[v] && s->users[v] == 0;
}

static bool vlan_sync_is_gone(const struct vlan_sync *s, int v)
{
	return s->have[v] && !s->want->has[v];
}

static int vlan_sync_adopt(struct db_conn *c, struct vlan_sync *s)
{
	char v_txt[VLAN_ID_LEN], id[24];
	int n;

	for (int v = VLAN_MIN; v <= VLAN_MAX; v++) {
		if (s->users[v] != 1)
			continue;
		snprintf(v_txt, sizeof(v_txt), "%d", v);
		snprintf(id, sizeof(id), "%lld", s->adopt[v]);
		n = db_q(c, Q_VLAN_ADOPT, NULL, v_txt, id);
		if (n >= 0)
			n = db_q(c, Q_VLAN_SET_ALLOCATED, NULL, id);
		if (n < 0)
			return n;
		log_notice("VLAN %d joins the pool held by network '%s', "
			   "which already uses it",
			   v, s->adopt_label[v]);
		s->adopted++;
	}
	return 0;
}

static int vlan_sync_txn(struct db_conn *c, struct vlan_sync *s)
{
	struct db_res *nets = NULL;
	int r;

	r = vlan_sync_read_pool(c, s);
	if (r == 0 || r == -EBUSY) {
		/* Read on after a refusal, to name every conflict at once. */
		int r2 = vlan_sync_read_networks(c, s, &nets);

		if (r == 0)
			r = r2;
	}
	if (r < 0)
		goto out;
	r = vlan_sync_adopt(c, s);
	if (r == 0)
		r = vlan_sync_runs(c, s, vlan_sync_is_new, Q_VLAN_ADD_RANGE,
				   &s->added);
	if (r == 0)
		r = vlan_sync_runs(c, s, vlan_sync_is_gone, Q_VLAN_DROP_RANGE,
				   &s->dropped);
out:
	db_res_free(nets);
	return r;
}

int vlan_pool_sync(struct db *db, const char *spec)
{
	struct vlan_set *want = NULL;
	struct vlan_sync *s = NULL;
	struct db_conn *c;
	char err[160];
	int r;

	want = calloc(1, sizeof(*want));
	s = calloc(1, sizeof(*s));
	if (!want || !s) {
		log_err("could not set up the VLAN pool: out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = vlan_pool_parse(spec ? spec : "", want, err, sizeof(err));
	if (r < 0) {
		log_err("bad 'vlans' setting: %s", err);
		goto out;
	}
	c = db_conn(db);
	if (!c) {
		r = -EIO;
		goto out;
	}
	for (int attempt = 0; attempt < VLAN_SYNC_TRIES; attempt++) {
		memset(s, 0, sizeof(*s));
		s->want = want;
		r = db_begin(c, true);
		if (r < 0)
			break;
		r = vlan_sync_txn(c, s);
		if (r == 0)
			r = db_commit(c);
		/* Also ends a transaction whose commit failed. */
		if (r < 0)
			db_rollback(c);
		if (r != -EAGAIN)
			break;
	}
	if (r == -EBUSY)
		log_err("the VLAN pool was left unchanged: fix 'vlans' first");
	else if (r < 0)
		log_err("could not update the VLAN pool in the database");
	else if (s->added || s->adopted || s->dropped)
		log_notice("VLAN pool of %u VLANs: %u added, %u taken over, "
			   "%u removed",
			   want->count, s->added, s->adopted, s->dropped);
	else
		log_info("VLAN pool of %u VLANs", want->count);
out:
	free(s);
	free(want);
	return r;
}

int vlan_pool_alloc(struct db_conn *c, const char *network,
		    char ret_vlan[VLAN_ID_LEN])
{
	struct db_res *res = NULL;
	int n;

	for (int i = 0; i < VLAN_ALLOC_TRIES; i++) {
		n = db_q(c, Q_VLAN_ALLOC, &res, network);
		if (n > 0) {
			snprintf(ret_vlan, VLAN_ID_LEN, "%s",
				 db_res_get(res, 0, 0));
			db_res_free(res);
			return 0;
		}
		res = db_res_free(res);
		if (n < 0)
			return n;
		/* None taken: either the pool is empty, or another
		 * transaction took the VLAN this one picked. */
		n = db_q0(c, Q_VLAN_ANY_FREE, NULL);
		if (n < 0)
			return n;
		if (n == 0)
			return -ENOSPC;
	}
	return -EAGAIN;
}

int vlan_pool_claim(struct db_conn *c, const char *network, const char *id,
		    bool *ret_pooled)
{
	int n;

	n = db_q(c, Q_VLAN_CLAIM, NULL, network, id);
	if (n < 0)
		return n;
	if (n > 0) {
		*ret_pooled = true;
		return 0;
	}
	n = db_q(c, Q_VLAN_IN_POOL, NULL, id);
	if (n < 0)
		return n;
	if (n > 0)
		return -EBUSY;
	*ret_pooled = false;
	return 0;
}

int vlan_pool_release(struct db_conn *c, const char *network)
{
	int n = db_q(c, Q_VLAN_RELEASE, NULL, network);

	return n < 0 ? n : 0;
}
