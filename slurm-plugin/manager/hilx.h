/*
 * hilx.h - the HIL calls of the loan manager that speak JSON of their own
 * (hilx.c is its one file that includes jansson): the loan record kept as
 * node metadata, OBM operations waited for to their end, and a user's
 * project memberships.
 *
 * The loan record is the ground truth of a loan: the loan manager writes
 * it to every node of the loan, under the metadata key HILX_META_KEY, and
 * derives everything else (SLURM reservations, drain reasons) from it.
 */
#ifndef HIL_SLURM_HILX_H
#define HIL_SLURM_HILX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/hilclient.h"

#define HILX_META_KEY "slurm_loan"
#define HILX_MAX_NETS 256	  /* networks recorded per node */
#define HILX_MAX_META (64 * 1024) /* a stored loan record, bytes */

/* Where one node of a loan is. */
enum hilx_phase {
	HILX_REQUESTED, /* being accepted; valid once its reservation exists */
	HILX_RESERVED,	/* accepted; waiting for the job to leave the node */
	HILX_LENDING,	/* networks recorded; moving to the borrower */
	HILX_LENT,	/* in the borrower's project */
	HILX_RETURNING, /* going back to SLURM */
};

/* One network a NIC was on before the loan. */
struct hilx_net {
	char *nic;
	char *channel;
	char *network;
};

struct hilx_meta {
	char *loan;    /* the reserve reservation's name */
	char *project; /* the borrower */
	char *home;    /* where the node returns (the SLURM project) */
	char *user;    /* SLURM user */
	char *nodes;   /* every node of the loan, a host list */
	char *why;     /* why it is returning; NULL before */
	unsigned long uid;
	uint32_t job;
	long long submit; /* the job's submit time; 0: not recorded */
	long long end;	  /* epoch seconds */
	enum hilx_phase phase;
	bool touched; /* it was being lent: return powers it off and on */
	long long powered_on; /* epoch of the return's power on; 0: not yet */
	struct hilx_net *nets;
	size_t n_nets;
};

const char *hilx_phase_name(enum hilx_phase phase);

struct hilx_meta *hilx_meta_free(struct hilx_meta *m);
/* A deep copy, or NULL. */
struct hilx_meta *hilx_meta_dup(const struct hilx_meta *m);

/*
 * The loan record of node.  Returns 0 with *ret_meta, -ENOENT when the
 * node has none, -EINVAL when what is stored is not a loan record,
 * -ENOMEM.
 */
int hilx_meta_get(const struct hil_node *node, struct hilx_meta **ret_meta);

/* Store m as node's loan record (replacing any), or delete it (gone
 * already is success).  Return 0 or an error as hil_client_call(). */
int hilx_meta_put(struct hil_client *c, const char *node,
		  const struct hilx_meta *m, struct hil_error *err);
int hilx_meta_delete(struct hil_client *c, const char *node,
		     struct hil_error *err);

/* Record the node's current networks (every NIC, every channel) in m. */
int hilx_meta_snapshot(struct hilx_meta *m, const struct hil_node *node);

/* The OBM operations of the loan manager. */
enum hilx_obm {
	HILX_POWER_ON,
	HILX_POWER_OFF,
	HILX_SET_BOOTDEV,
};

const char *hilx_obm_name(enum hilx_obm op);

#define HILX_MAX_ID 128 /* an OBM operation's id, bytes with the NUL */

/* How long to poll a queued operation, and who may stop the polling. */
struct hilx_wait {
	long timeout_ms;
	bool (*interrupted)(void *arg); /* NULL: nobody */
	void *arg;
};

/*
 * Ask hild for OBM operation op on node (bootdev: the boot device of
 * HILX_SET_BOOTDEV).  hild answers when the operation is done, or 202
 * with its id when it is still queued behind others.  Returns 0 when it
 * is done, 1 with the queued operation's id in ret_id (idlen bytes), or
 * an error as hil_client_call().
 */
int hilx_obm_start(struct hil_client *c, const char *node, enum hilx_obm op,
		   const char *bootdev, char *ret_id, size_t idlen,
		   struct hil_error *err);

/*
 * Poll queued OBM operation id (op of node, for the messages) with
 * GET /v0/obm_action/<id> until it ends, for at most w->timeout_ms;
 * w->interrupted is asked before each pause.  Returns 0 when it is DONE,
 * -EREMOTEIO (err holds the driver's reason) when it ended in ERROR,
 * -EINPROGRESS when it is still pending after the timeout, -EINTR when
 * interrupted while pending, or an error as hil_client_call().
 */
int hilx_obm_wait(struct hil_client *c, const char *node, enum hilx_obm op,
		  const char *id, const struct hilx_wait *w,
		  struct hil_error *err);

/* hilx_obm_start() and, when it was queued, hilx_obm_wait().  Returns as
 * hilx_obm_wait(). */
int hilx_obm(struct hil_client *c, const char *node, enum hilx_obm op,
	     const char *bootdev, const struct hilx_wait *w,
	     struct hil_error *err);

/*
 * Poll networking action until it is no longer pending, as
 * hilx_obm_wait() does.  Returns 0 with *ret_status DONE or ERROR,
 * -EINPROGRESS (err set) when it is still pending after the timeout,
 * -EINTR when interrupted while pending, or an error as
 * hil_action_status().
 */
int hilx_action_wait(struct hil_client *c, const char *action,
		     const struct hilx_wait *w,
		     enum hil_action_status *ret_status, struct hil_error *err);

/* What slurmctld says of a job now, to match loan records with. */
struct hilx_job {
	uint32_t id;
	unsigned long uid;
	long long submit;  /* 0: unknown */
	unsigned restarts; /* times slurmctld requeued it */
};

/*
 * Whether loan record m was made for job: the same id and uid, and a
 * submit time that fits.  slurmctld gives a job a new submit time each
 * time it requeues it (scontrol requeue, a failed PrologSlurmctld), so a
 * requeued job matches a record of an earlier or equal submit time; a job
 * never requeued must have the record's (slurmctld that lost its state
 * may give a lost job's id to a new one).  A record or job without a
 * submit time matches on id and uid.
 */
bool hilx_meta_same_job(const struct hilx_meta *m, const struct hilx_job *job);

/*
 * The loan job holds on any of names (NULL-terminated), read one by one
 * from hild.  A record still "requested" counts only when committed(loan,
 * arg) says its request was completed (NULL: never).  Returns 1 with the
 * loan's name in buf, 0 when none holds one, or an error as
 * hil_client_call() (err set; a node hild does not know is skipped).
 */
int hilx_job_loan(struct hil_client *c, char *const *names,
		  const struct hilx_job *job,
		  bool (*committed)(const char *loan, void *arg), void *arg,
		  char *buf, size_t buflen, struct hil_error *err);

enum hilx_access {
	HILX_NO_USER,	/* no such HIL user */
	HILX_NO_ACCESS, /* the user is not in the project nor an admin */
	HILX_MEMBER,	/* a member of the project */
	HILX_ADMIN,	/* a HIL administrator */
};

/*
 * What HIL user may do with project, from hild's list of local users
 * (GET /v0/auth/basic/users; admin only).  Returns 0 with *ret_access or
 * an error as hil_client_call() (-ENOENT or -EOPNOTSUPP when hild's users
 * are not local).
 */
int hilx_user_access(struct hil_client *c, const char *user,
		     const char *project, enum hilx_access *ret_access,
		     struct hil_error *err);

#endif /* HIL_SLURM_HILX_H */
