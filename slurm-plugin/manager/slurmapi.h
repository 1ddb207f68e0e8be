/*
 * slurmapi.h - what the loan manager and the hook ask of slurmctld,
 * through the public libslurm API only (slurmapi.c is the one file that
 * includes slurm/slurm.h).  Plain structs out, negative errnos back; the
 * text of the last SLURM error is kept for the log line.  slurmctld out
 * of reach is -ECONNREFUSED or -ETIMEDOUT; a request it refused is
 * -ECANCELED unless a call names a more precise errno.
 */
#ifndef HIL_SLURM_SLURMAPI_H
#define HIL_SLURM_SLURMAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct slurmapi_node {
	char *name;
	char *reason;	     /* NULL when none */
	bool drained;	     /* DRAIN flag (draining or drained) */
	bool down;	     /* base state DOWN */
	bool responding;     /* slurmd answers (no NO_RESPOND flag) */
	bool busy;	     /* allocated, mixed or completing: jobs on it */
	bool completing;     /* its jobs are ending (epilogs) */
	time_t slurmd_start; /* when its slurmd started (0: unknown) */
	char state[64];	     /* for the log: "idle+drain" */
};

struct slurmapi_resv {
	char *name;
	char *nodes; /* host list expression */
	char *users;
	time_t start, end;
};

struct slurmapi_job {
	uint32_t id;
	uint32_t uid;
	bool running;  /* RUNNING (prolog or script) */
	bool finished; /* in a final state */
	char *nodes;   /* NULL when none */
	time_t submit; /* new on each requeue; a new job that got the id
			* again (slurmctld lost state) has a later one */
	time_t start;
	time_t end;	   /* expected end; 0 when it has no time limit */
	unsigned restarts; /* times it was requeued; each gives it a new
			    * submit time */
};

/* slurm_init() with conf (NULL or "": SLURM's default).  Returns 0. */
int slurmapi_init(const char *conf);
void slurmapi_fini(void);

/* The text of the last SLURM error, for a log line. */
const char *slurmapi_error(void);

/* Every node.  Returns 0 with an array (free with slurmapi_nodes_free())
 * or a negative errno. */
int slurmapi_nodes(struct slurmapi_node **ret_nodes, size_t *ret_n);
void slurmapi_nodes_free(struct slurmapi_node *nodes, size_t n);

/* Reservations whose name starts with prefix. */
int slurmapi_resvs(const char *prefix, struct slurmapi_resv **ret_resvs,
		   size_t *ret_n);
void slurmapi_resvs_free(struct slurmapi_resv *resvs, size_t n);

/* Job id.  Returns 0, -ENOENT (no such job, or purged) or another
 * negative errno. */
int slurmapi_job(uint32_t id, struct slurmapi_job *ret_job);
void slurmapi_job_clear(struct slurmapi_job *job);

/*
 * A MAINT,IGNORE_JOBS reservation of nodes for users, starting now and
 * ending at end (0: never).  Returns 0, -EEXIST (the name is taken) or
 * another negative errno.
 */
int slurmapi_resv_create(const char *name, const char *nodes, const char *users,
			 time_t end);
/* Change a reservation's nodes (NULL: keep) and end (0: keep).  Returns
 * 0, -ENOENT or another negative errno. */
int slurmapi_resv_update(const char *name, const char *nodes, time_t end);
/* Returns 0 (also when it was gone already) or a negative errno. */
int slurmapi_resv_delete(const char *name);

/* DRAIN nodes with reason as the uid we run as, or RESUME them (SLURM
 * then waits for the nodes to register again before it uses them). */
int slurmapi_node_drain(const char *nodes, const char *reason);
int slurmapi_node_resume(const char *nodes);
/* Make nodes IDLE: as RESUME, for nodes whose slurmd has just registered
 * (no second registration is awaited).  Returns 0, -EINVAL when this
 * slurmctld refuses the transition, or another negative errno. */
int slurmapi_node_idle(const char *nodes);

/* Set a job's admin comment (NULL: keep) and requeue flag (-1: keep). */
int slurmapi_job_update(uint32_t id, const char *admin_comment, int requeue);

/*
 * Expand a host list expression ("n[1-3],m1") into names, in order and
 * without repeats.  Returns 0 with a NULL-terminated array (free with
 * slurmapi_strv_free()) or a negative errno.
 */
int slurmapi_hostlist_expand(const char *expr, char ***ret_names);
/* The ranged expression of names ("n[1-3]"), malloc'd, or NULL. */
char *slurmapi_hostlist_compress(char *const *names, size_t n);
char **slurmapi_strv_free(char **v);

#endif /* HIL_SLURM_SLURMAPI_H */
