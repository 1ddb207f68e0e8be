/* slurmapi.c - libslurm's public API behind plain structs (slurmapi.h). */
#include "config.h"

#include "slurmapi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#define SLURMAPI_MAX_HOSTS 100000 /* names in one host list */

static char slurmapi_last[256];
static int slurmapi_last_errno; /* SLURM's code of the last failure */

/* libslurm exports this but does not declare it. */
extern char *slurm_node_state_string_compact(uint32_t inx);

/*
 * Remember why the last call failed and turn SLURM's error into errno:
 * transport trouble is -ECONNREFUSED or -ETIMEDOUT, a request slurmctld
 * refused -ECANCELED unless a more precise errno says it.
 */
static int slurmapi_fail(const char *what)
{
	int e = slurm_get_errno();

	slurmapi_last_errno = e;
	snprintf(slurmapi_last, sizeof(slurmapi_last), "%s: %s", what,
		 slurm_strerror(e));
	switch (e) {
	case ESLURM_RESERVATION_NAME_DUP:
		return -EEXIST;
	case ESLURM_RESERVATION_INVALID:
	case ESLURM_INVALID_JOB_ID:
	case ESLURM_INVALID_NODE_NAME:
		return -ENOENT;
	case SLURM_COMMUNICATIONS_CONNECTION_ERROR:
	case SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR:
	case SLURMCTLD_COMMUNICATIONS_SEND_ERROR:
	case SLURMCTLD_COMMUNICATIONS_RECEIVE_ERROR:
	case SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR:
		return -ECONNREFUSED;
	case SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT:
		return -ETIMEDOUT;
	case ESLURM_ACCESS_DENIED:
	case ESLURM_USER_ID_MISSING:
		return -EPERM;
	default:
		return -ECANCELED;
	}
}

const char *slurmapi_error(void)
{
	return slurmapi_last[0] ? slurmapi_last : "no error";
}

int slurmapi_init(const char *conf)
{
	slurm_init(conf && *conf ? conf : NULL);
	return 0;
}

void slurmapi_fini(void)
{
	slurm_fini();
}

static char *slurmapi_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void slurmapi_nodes_free(struct slurmapi_node *nodes, size_t n)
{
	for (size_t i = 0; nodes && i < n; i++) {
		free(nodes[i].name);
		free(nodes[i].reason);
	}
	free(nodes);
}

int slurmapi_nodes(struct slurmapi_node **ret_nodes, size_t *ret_n)
{
	node_info_msg_t *msg = NULL;
	struct slurmapi_node *v = NULL;
	size_t n = 0;
	int r = -ENOMEM;

	if (slurm_load_node((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
		return slurmapi_fail("could not load nodes");
	v = calloc(msg->record_count ? msg->record_count : 1, sizeof(*v));
	if (!v)
		goto out;
	for (uint32_t i = 0; i < msg->record_count; i++) {
		node_info_t *ni = &msg->node_array[i];
		uint32_t base = ni->node_state & NODE_STATE_BASE;
		struct slurmapi_node *o = &v[n];
		char *s;

		if (!ni->name)
			continue;
		o->name = strdup(ni->name);
		o->reason = slurmapi_dup(ni->reason);
		if (!o->name || (ni->reason && !o->reason))
			goto out;
		n++;
		o->drained = ni->node_state & NODE_STATE_DRAIN;
		o->down = base == NODE_STATE_DOWN;
		o->responding = !(ni->node_state & NODE_STATE_NO_RESPOND);
		o->busy = base == NODE_STATE_ALLOCATED ||
			  base == NODE_STATE_MIXED ||
			  (ni->node_state & NODE_STATE_COMPLETING);
		o->completing = ni->node_state & NODE_STATE_COMPLETING;
		o->slurmd_start = ni->slurmd_start_time;
		s = slurm_node_state_string_compact(ni->node_state);
		snprintf(o->state, sizeof(o->state), "%s", s ? s : "?");
	}
	*ret_nodes = v;
	*ret_n = n;
	v = NULL;
	r = 0;
out:
	slurmapi_nodes_free(v, n);
	slurm_free_node_info_msg(msg);
	return r;
}

void slurmapi_resvs_free(struct slurmapi_resv *resvs, size_t n)
{
	for (size_t i = 0; resvs && i < n; i++) {
		free(resvs[i].name);
		free(resvs[i].nodes);
		free(resvs[i].users);
	}
	free(resvs);
}

int slurmapi_resvs(const char *prefix, struct slurmapi_resv **ret_resvs,
		   size_t *ret_n)
{
	reserve_info_msg_t *msg = NULL;
	struct slurmapi_resv *v = NULL;
	size_t n = 0, plen = strlen(prefix);
	int r = -ENOMEM;

	if (slurm_load_reservations((time_t)0, &msg) != SLURM_SUCCESS)
		return slurmapi_fail("could not load reservations");
	v = calloc(msg->record_count ? msg->record_count : 1, sizeof(*v));
	if (!v)
		goto out;
	for (uint32_t i = 0; i < msg->record_count; i++) {
		reserve_info_t *ri = &msg->reservation_array[i];
		struct slurmapi_resv *o = &v[n];

		if (!ri->name || strncmp(ri->name, prefix, plen) != 0)
			continue;
		o->name = strdup(ri->name);
		o->nodes = strdup(ri->node_list ? ri->node_list : "");
		o->users = strdup(ri->users ? ri->users : "");
		n++;
		if (!o->name || !o->nodes || !o->users)
			goto out;
		o->start = ri->start_time;
		o->end = ri->end_time;
	}
	*ret_resvs = v;
	*ret_n = n;
	v = NULL;
	r = 0;
out:
	slurmapi_resvs_free(v, n);
	slurm_free_reservation_info_msg(msg);
	return r;
}

void slurmapi_job_clear(struct slurmapi_job *job)
{
	if (!job)
		return;
	free(job->nodes);
	memset(job, 0, sizeof(*job));
}

int slurmapi_job(uint32_t id, struct slurmapi_job *ret_job)
{
	job_info_msg_t *msg = NULL;
	struct slurmapi_job j = {0};
	slurm_job_info_t *ji;
	uint32_t base;
	int r;

	if (slurm_load_job(&msg, id, SHOW_ALL) != SLURM_SUCCESS)
		return slurmapi_fail("could not load the job");
	if (msg->record_count == 0) {
		r = -ENOENT;
		goto out;
	}
	ji = &msg->job_array[0];
	base = ji->job_state & JOB_STATE_BASE;
	j.id = ji->job_id;
	j.uid = ji->user_id;
	j.running = base == JOB_RUNNING;
	j.finished = base >= JOB_COMPLETE;
	j.submit = ji->submit_time;
	j.start = ji->start_time;
	j.end = ji->time_limit == INFINITE || ji->time_limit == NO_VAL
			? 0
			: ji->end_time;
	j.restarts = ji->restart_cnt;
	if (ji->nodes && *ji->nodes) {
		j.nodes = strdup(ji->nodes);
		if (!j.nodes) {
			r = -ENOMEM;
			goto out;
		}
	}
	*ret_job = j;
	r = 0;
out:
	slurm_free_job_info_msg(msg);
	return r;
}

int slurmapi_resv_create(const char *name, const char *nodes, const char *users,
			 time_t end)
{
	resv_desc_msg_t d;
	char *got;

	slurm_init_resv_desc_msg(&d);
	d.name = (char *)name;
	d.node_list = (char *)nodes;
	d.users = (char *)users;
	d.start_time = time(NULL);
	if (end)
		d.end_time = end;
	else
		d.duration = INFINITE;
	d.flags = RESERVE_FLAG_MAINT | RESERVE_FLAG_IGN_JOBS;
	got = slurm_create_reservation(&d);
	if (!got)
		return slurmapi_fail("could not create the reservation");
	free(got);
	return 0;
}

int slurmapi_resv_update(const char *name, const char *nodes, time_t end)
{
	resv_desc_msg_t d;

	slurm_init_resv_desc_msg(&d);
	d.name = (char *)name;
	if (nodes)
		d.node_list = (char *)nodes;
	if (end)
		d.end_time = end;
	if (slurm_update_reservation(&d) != SLURM_SUCCESS)
		return slurmapi_fail("could not update the reservation");
	return 0;
}

int slurmapi_resv_delete(const char *name)
{
	reservation_name_msg_t m = {.name = (char *)name};
	int r;

	if (slurm_delete_reservation(&m) == SLURM_SUCCESS)
		return 0;
	r = slurmapi_fail("could not delete the reservation");
	return r == -ENOENT ? 0 : r;
}

static int slurmapi_node_update(const char *nodes, uint32_t state,
				const char *reason)
{
	update_node_msg_t u;

	slurm_init_update_node_msg(&u);
	u.node_names = (char *)nodes;
	u.node_state = state;
	if (reason)
		u.reason = (char *)reason;
	if (slurm_update_node(&u) != SLURM_SUCCESS)
		return slurmapi_fail("could not update the nodes");
	return 0;
}

int slurmapi_node_drain(const char *nodes, const char *reason)
{
	return slurmapi_node_update(nodes, NODE_STATE_DRAIN, reason);
}

int slurmapi_node_resume(const char *nodes)
{
	return slurmapi_node_update(nodes, NODE_RESUME, NULL);
}

int slurmapi_node_idle(const char *nodes)
{
	/* slurmapi_fail() kept SLURM's code before anything could
	 * overwrite it. */
	int r = slurmapi_node_update(nodes, NODE_STATE_IDLE, NULL);

	return r < 0 && slurmapi_last_errno == ESLURM_INVALID_NODE_STATE
		       ? -EINVAL
		       : r;
}

int slurmapi_job_update(uint32_t id, const char *admin_comment, int requeue)
{
	job_desc_msg_t d;

	slurm_init_job_desc_msg(&d);
	d.job_id = id;
	if (admin_comment)
		d.admin_comment = (char *)admin_comment;
	if (requeue >= 0)
		d.requeue = (uint16_t)requeue;
	if (slurm_update_job(&d) != SLURM_SUCCESS)
		return slurmapi_fail("could not update the job");
	return 0;
}

char **slurmapi_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	return NULL;
}

int slurmapi_hostlist_expand(const char *expr, char ***ret_names)
{
	hostlist_t hl;
	char **v = NULL, *h;
	size_t n = 0;
	int count, r = -ENOMEM;

	hl = slurm_hostlist_create(expr);
	if (!hl)
		return -EINVAL;
	slurm_hostlist_uniq(hl);
	count = slurm_hostlist_count(hl);
	if (count < 0 || count > SLURMAPI_MAX_HOSTS) {
		r = -E2BIG;
		goto out;
	}
	v = calloc((size_t)count + 1, sizeof(*v));
	if (!v)
		goto out;
	while ((h = slurm_hostlist_shift(hl))) {
		if (n == (size_t)count) {
			free(h);
			r = -EIO;
			goto out;
		}
		v[n++] = h;
	}
	*ret_names = v;
	v = NULL;
	r = 0;
out:
	slurmapi_strv_free(v);
	slurm_hostlist_destroy(hl);
	return r;
}

char *slurmapi_hostlist_compress(char *const *names, size_t n)
{
	hostlist_t hl;
	char *s;

	hl = slurm_hostlist_create(NULL);
	if (!hl)
		return NULL;
	for (size_t i = 0; i < n; i++)
		slurm_hostlist_push_host(hl, names[i]);
	slurm_hostlist_uniq(hl);
	s = slurm_hostlist_ranged_string_malloc(hl);
	slurm_hostlist_destroy(hl);
	return s;
}
