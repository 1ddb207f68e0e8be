/*
 * networking.h - queueing networking actions (spec section 5), shared by
 * node_connect_network / node_detach_network (networking.c) and
 * port_revert (switch.c).
 *
 * An action is one row of the operations table, the engine's queue:
 * PENDING until the engine applies it (DONE) or fails (ERROR, with the
 * driver's text).  A NIC has at most one retained record; a finished one
 * is discarded when the next is queued.
 */
#ifndef HIL_API_NETWORKING_H
#define HIL_API_NETWORKING_H

#include "api/api.h"
#include "hil/plugin.h"

/* Channels of the VLAN pool allocator (spec section 6). */
#define NETWORKING_NATIVE      "vlan/native"
#define NETWORKING_VLAN_PREFIX "vlan/"
/* The capability of switch drivers that accept tagged VLANs on a port
 * without a native one (spec section 7). */
#define NETWORKING_NATIVELESS "nativeless-trunk-mode"

/* Operation kinds, as show_networking_action names them. */
#define NETWORKING_MODIFY_PORT "modify_port"
#define NETWORKING_REVERT_PORT "revert_port"

/* Pending operations hild accepts at once by default, over all switches
 * (max_pending_actions); past it a request is refused with 400 until the
 * engine catches up. */
#define NETWORKING_MAX_PENDING 10000

/* Columns of Q_NIC_WIRING. */
enum {
	WIRE_COL_NIC,
	WIRE_COL_PORT,
	WIRE_COL_SWITCH,
	WIRE_COL_TYPE,
	WIRE_COL_SWITCH_LABEL,
	WIRE_COL_PORT_LABEL,
};

struct networking_op {
	const char *kind;      /* NETWORKING_MODIFY_PORT, _REVERT_PORT */
	const char *nic_id;    /* the NIC (row id) */
	const char *switch_id; /* its switch and port when queued */
	const char *port_id;
	const char *channel;	/* "" for a revert */
	const char *network_id; /* network to attach; NULL: none */
};

/* Set the limit of pending operations (NETWORKING_MAX_PENDING until
 * then), before serving. */
void networking_setup(unsigned max_pending);

/* 409 BlockedError when the NIC (row id) has a pending action.  Returns
 * 0 or the status of the error reply it set. */
int networking_check_idle(struct api_req *r, const char *nic_id);

/*
 * Discard the NIC's finished record and queue op, unless the limit of
 * pending operations is reached already (400).  Replies
 * with status and {"status_id": "<uuid>"}, and marks the request as
 * having queued work.  Returns the reply's status like api_error.
 */
int networking_queue(struct api_req *r, const struct networking_op *op,
		     int status);

/* The loaded driver of switch type (NULL when not loaded: then the error
 * reply is set). */
const struct hil_switch_ops *
networking_driver(struct api_req *r, const char *sw, const char *type);

/* Whether the driver's capabilities include cap. */
bool networking_driver_can(const struct hil_switch_ops *ops, const char *cap);

#endif /* HIL_API_NETWORKING_H */
