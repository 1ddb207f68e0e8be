/*
 * obm.h - what the rest of hild asks of the OBM API (api/obm.c): its
 * settings, release hygiene when a node leaves its project, and ending a
 * node's console sessions.
 */
#ifndef HIL_API_OBM_H
#define HIL_API_OBM_H

#include <stddef.h>

#include "api/api.h"

#define OBM_MAX_PENDING	   16	/* queued OBM operations per node */
#define OBM_KEEP_FINISHED  32	/* finished records kept per node */
#define OBM_WAIT_MARGIN_MS 3000 /* an HTTP call waits the deadline + this */

/* What a node's release does (hild.conf: release_power, release_bootdev). */
struct obm_conf {
	const char *release_power;   /* "off" or "keep" */
	const char *release_bootdev; /* a boot device, or "keep" */
	unsigned timeout_ms;	     /* deadline of one OBM driver call */
};

/*
 * Check and keep the settings: release_power is "off" or "keep",
 * release_bootdev "keep" or a device every loaded OBM driver knows.
 * Call after the plugins are loaded.  Returns 0, or -EINVAL with the
 * reason in err.
 */
int obm_setup(const struct obm_conf *c, char *err, size_t errlen);

/*
 * Release hygiene, inside the transaction that takes node node_id
 * (labelled label) out of its project: end its console sessions (here at
 * once, in other hild processes by the console generation) and queue what
 * hild.conf asks (power off, then the boot device).  Returns 0 or the
 * status of the error reply it set.
 */
int obm_release(struct api_req *r, const char *node_id, const char *label);

/* End node node_id's console sessions everywhere (OBM disabled), inside
 * the caller's transaction.  Returns 0 or the status of the error reply
 * it set. */
int obm_console_revoke(struct api_req *r, const char *node_id);

#endif /* HIL_API_OBM_H */
