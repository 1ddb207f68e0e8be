/*
 * loan.h - the loan state machine of hil-slurm.
 *
 * Level-triggered: a pass reads SLURM (nodes, the reservations of our
 * prefix) and HIL (the SLURM project's nodes, then each node of interest
 * with its loan record), and performs whatever step is missing for each
 * node of each loan, then re-asserts the SLURM side (reservations, drain
 * reasons) from the loan records.  Every step checks current state first
 * and treats "already so" as success, so a pass may stop anywhere (a kill
 * of hil-slurm, hild or slurmctld) and the next one goes on from there.
 *
 * Requests from the controller hook (lend, release, poke) are answered
 * between passes; one that arrives during a pass stops the pass at the
 * next step, since the pass's view may be stale after it.
 */
#ifndef HIL_SLURM_LOAN_H
#define HIL_SLURM_LOAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "client/hilclient.h"
#include "ctl.h"
#include "hsconf.h"

struct loan_mgr;

/* conf and hil are borrowed and must outlive the manager. */
int loan_mgr_new(const struct hsconf *conf, struct hil_client *hil,
		 struct loan_mgr **ret_mgr);
struct loan_mgr *loan_mgr_free(struct loan_mgr *m);

/*
 * One pass; full reads every SLURM node from HIL, otherwise only nodes
 * with a reason to look (reservations, drain reasons, not in the SLURM
 * project, named by a request).  interrupted(arg) is asked between steps
 * and between the polls of a step that waits for hild (an OBM operation,
 * a networking action); when it says true the pass stops.  Returns 0 (nothing to do soon), a
 * positive number of milliseconds after which another pass is useful
 * (something is in progress), -EINTR (interrupted), or another negative
 * errno when SLURM or hild could not be asked (logged).
 */
int loan_pass(struct loan_mgr *m, bool full, bool (*interrupted)(void *),
	      void *arg);

/*
 * Answer one request of the controller hook from uid peer on connection
 * fd (asked before a lend is committed whether the hook still waits; -1:
 * not asked): always writes the reply line ("ok ...", "refused ...",
 * "error ...") into reply.  Returns the number of milliseconds after
 * which a pass should run (0: now), or -1 for no change.
 */
int loan_request(struct loan_mgr *m, const struct ctl_req *req, uid_t peer,
		 int fd, char *reply, size_t len);

#endif /* HIL_SLURM_LOAN_H */
