/*
 * vlan.h - the VLAN pool, hild's network id allocator (spec section 6).
 *
 * hild.conf names the pool ("vlans = 100-200, 300, 702"); the vlans table
 * holds one row per pooled VLAN and the network that holds it.  At startup
 * vlan_pool_sync() brings the table in line with the config.  Networks get
 * the lowest free VLAN, or an admin-chosen id: a pooled one is claimed, one
 * outside the pool is taken as is (several networks may share it).
 */
#ifndef HIL_VLAN_H
#define HIL_VLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"

#define VLAN_MIN 1
/* The pool holds usable 802.1Q ids; 0 and 4095 are reserved. */
#define VLAN_MAX 4094
/* An admin-chosen id may go up to 4096, as the original accepted. */
#define VLAN_EXPLICIT_MAX 4096
/* Room for a VLAN id as text and its NUL. */
#define VLAN_ID_LEN 8

/* The set of VLANs a "vlans" setting names. */
struct vlan_set {
	bool has[VLAN_MAX + 1];
	unsigned count;
};

/*
 * Parse a "vlans" setting: comma-separated ids and ranges "A-B" (A <= B),
 * each VLAN_MIN..VLAN_MAX, spaces around items allowed; overlaps are
 * merged; an empty string is an empty pool.  Returns 0, or -EINVAL with a
 * message in err.
 */
int vlan_pool_parse(const char *spec, struct vlan_set *ret, char *err,
		    size_t errlen);

/* vlan_pool_parse for "hild -t": logs what is wrong.  0 or -EINVAL. */
int vlan_pool_check(const char *spec);

/*
 * Bring the vlans table in line with spec, at startup, in one
 * transaction: VLANs new in the config join the pool free (or held by the
 * one network that already uses that id as an admin-chosen one, which
 * becomes allocated); free VLANs that left the config leave the pool;
 * used VLANs are untouched.  Refuses, changing nothing, when a VLAN that
 * left the config is held by a network, or when a VLAN joining the pool is
 * used by several networks; each such VLAN is logged with the networks
 * concerned.  Returns 0, -EINVAL (bad spec), -EBUSY (refused) or a
 * database error; every failure is logged.
 */
int vlan_pool_sync(struct db *db, const char *spec);

/* Whether id is a VLAN an admin may choose: a decimal number without
 * sign or leading zero, VLAN_MIN..VLAN_EXPLICIT_MAX. */
bool vlan_id_valid(const char *id);

/*
 * Give network (a networks row id) the lowest free VLAN of the pool.
 * Returns 0 with the VLAN in ret_vlan, -ENOSPC when none is free, or a
 * database error (-EAGAIN when concurrent allocations kept taking the
 * free one first).
 */
int vlan_pool_alloc(struct db_conn *c, const char *network,
		    char ret_vlan[VLAN_ID_LEN]);

/*
 * Claim the admin-chosen id (vlan_id_valid) for network: a free pooled
 * VLAN is taken (*ret_pooled = true); one outside the pool is accepted as
 * is (*ret_pooled = false).  Returns 0, -EBUSY when it is pooled and held
 * by another network, or a database error.
 */
int vlan_pool_claim(struct db_conn *c, const char *network, const char *id,
		    bool *ret_pooled);

/* Return whatever the network holds to the pool.  0 or a database
 * error. */
int vlan_pool_release(struct db_conn *c, const char *network);

#endif /* HIL_VLAN_H */
