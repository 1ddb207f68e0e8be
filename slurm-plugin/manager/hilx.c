/* hilx.c - loan records as node metadata, OBM operations, and users'
 * projects (hilx.h). */
#include "config.h"

#include "hilx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *const hilx_phases[] = {
	[HILX_REQUESTED] = "requested", [HILX_RESERVED] = "reserved",
	[HILX_LENDING] = "lending",	[HILX_LENT] = "lent",
	[HILX_RETURNING] = "returning",
};

#define N_PHASES (sizeof(hilx_phases) / sizeof(hilx_phases[0]))

/* Each OBM operation: its call and whether it carries a boot device. */
static const struct {
	const char *name;
	const char *method;
	const char *path; /* format of hil_client_call(): the node's %L */
	bool bootdev;
} hilx_obms[] = {
	[HILX_POWER_ON] = {"power on", "POST", "node/%L/power_on", false},
	[HILX_POWER_OFF] = {"power off", "POST", "node/%L/power_off", false},
	[HILX_SET_BOOTDEV] = {"set boot device", "PUT", "node/%L/boot_device",
			      true},
};

#define N_OBMS (sizeof(hilx_obms) / sizeof(hilx_obms[0]))

const char *hilx_phase_name(enum hilx_phase phase)
{
	return (size_t)phase < N_PHASES ? hilx_phases[phase] : "?";
}

static void hilx_nets_free(struct hilx_net *nets, size_t n)
{
	for (size_t i = 0; nets && i < n; i++) {
		free(nets[i].nic);
		free(nets[i].channel);
		free(nets[i].network);
	}
	free(nets);
}

struct hilx_meta *hilx_meta_free(struct hilx_meta *m)
{
	if (!m)
		return NULL;
	free(m->loan);
	free(m->project);
	free(m->home);
	free(m->user);
	free(m->nodes);
	free(m->why);
	hilx_nets_free(m->nets, m->n_nets);
	free(m);
	return NULL;
}

/* strdup that keeps NULL; sets *fail when it runs out of memory. */
static char *hilx_dup(const char *s, bool *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

struct hilx_meta *hilx_meta_dup(const struct hilx_meta *m)
{
	struct hilx_meta *d;
	bool fail = false;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	*d = *m;
	d->loan = hilx_dup(m->loan, &fail);
	d->project = hilx_dup(m->project, &fail);
	d->home = hilx_dup(m->home, &fail);
	d->user = hilx_dup(m->user, &fail);
	d->nodes = hilx_dup(m->nodes, &fail);
	d->why = hilx_dup(m->why, &fail);
	d->nets = NULL;
	d->n_nets = 0;
	if (m->n_nets) {
		d->nets = calloc(m->n_nets, sizeof(*d->nets));
		if (!d->nets)
			fail = true;
		for (size_t i = 0; d->nets && i < m->n_nets; i++) {
			d->nets[i].nic = hilx_dup(m->nets[i].nic, &fail);
			d->nets[i].channel =
				hilx_dup(m->nets[i].channel, &fail);
			d->nets[i].network =
				hilx_dup(m->nets[i].network, &fail);
			d->n_nets++;
		}
	}
	return fail ? hilx_meta_free(d) : d;
}

/* A required string member, copied. */
static int hilx_str(json_t *o, const char *key, bool required, char **ret)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		*ret = NULL;
		return required ? -EINVAL : 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static int hilx_int(json_t *o, const char *key, long long min, long long max,
		    long long *ret)
{
	json_t *v = json_object_get(o, key);
	long long n;

	if (!json_is_integer(v))
		return -EINVAL;
	n = json_integer_value(v);
	if (n < min || n > max)
		return -EINVAL;
	*ret = n;
	return 0;
}

static int hilx_decode(json_t *o, struct hilx_meta *m)
{
	long long uid, job, end, on, submit = 0;
	json_t *nets, *v;
	const char *phase;
	size_t i;
	int r;

	if (!json_is_object(o))
		return -EINVAL;
	if ((r = hilx_str(o, "loan", true, &m->loan)) < 0 ||
	    (r = hilx_str(o, "project", true, &m->project)) < 0 ||
	    (r = hilx_str(o, "home", true, &m->home)) < 0 ||
	    (r = hilx_str(o, "user", true, &m->user)) < 0 ||
	    (r = hilx_str(o, "nodes", true, &m->nodes)) < 0 ||
	    (r = hilx_str(o, "why", false, &m->why)) < 0)
		return r;
	if (hilx_int(o, "uid", 0, 4294967294LL, &uid) < 0 ||
	    hilx_int(o, "job", 1, 4294967294LL, &job) < 0 ||
	    hilx_int(o, "end", 0, 99999999999LL, &end) < 0 ||
	    hilx_int(o, "powered_on", 0, 99999999999LL, &on) < 0 ||
	    (json_object_get(o, "submit") &&
	     hilx_int(o, "submit", 0, 99999999999LL, &submit) < 0))
		return -EINVAL;
	m->submit = submit;
	m->uid = (unsigned long)uid;
	m->job = (uint32_t)job;
	m->end = end;
	m->powered_on = on;
	v = json_object_get(o, "touched");
	if (!json_is_boolean(v))
		return -EINVAL;
	m->touched = json_is_true(v);
	phase = json_string_value(json_object_get(o, "phase"));
	if (!phase)
		return -EINVAL;
	for (i = 0; i < N_PHASES; i++)
		if (strcmp(phase, hilx_phases[i]) == 0)
			break;
	if (i == N_PHASES)
		return -EINVAL;
	m->phase = (enum hilx_phase)i;
	nets = json_object_get(o, "networks");
	if (!json_is_array(nets) || json_array_size(nets) > HILX_MAX_NETS)
		return -EINVAL;
	if (json_array_size(nets)) {
		m->nets = calloc(json_array_size(nets), sizeof(*m->nets));
		if (!m->nets)
			return -ENOMEM;
	}
	json_array_foreach(nets, i, v)
	{
		const char *nic = json_string_value(json_array_get(v, 0));
		const char *ch = json_string_value(json_array_get(v, 1));
		const char *net = json_string_value(json_array_get(v, 2));
		struct hilx_net *n = &m->nets[m->n_nets];

		if (!json_is_array(v) || json_array_size(v) != 3 || !nic ||
		    !ch || !net)
			return -EINVAL;
		n->nic = strdup(nic);
		n->channel = strdup(ch);
		n->network = strdup(net);
		m->n_nets++;
		if (!n->nic || !n->channel || !n->network)
			return -ENOMEM;
	}
	return 0;
}

int hilx_meta_get(const struct hil_node *node, struct hilx_meta **ret_meta)
{
	const char *stored = hil_node_metadata(node, HILX_META_KEY);
	struct hilx_meta *m;
	json_t *o;
	int r;

	if (!stored)
		return -ENOENT;
	if (strlen(stored) > HILX_MAX_META)
		return -EINVAL;
	o = json_loads(stored, JSON_REJECT_DUPLICATES, NULL);
	if (!o)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		json_decref(o);
		return -ENOMEM;
	}
	r = hilx_decode(o, m);
	json_decref(o);
	if (r < 0) {
		hilx_meta_free(m);
		return r;
	}
	*ret_meta = m;
	return 0;
}

static json_t *hilx_encode(const struct hilx_meta *m)
{
	json_t *o, *nets;

	nets = json_array();
	if (!nets)
		return NULL;
	for (size_t i = 0; i < m->n_nets; i++)
		if (json_array_append_new(nets,
					  json_pack("[sss]", m->nets[i].nic,
						    m->nets[i].channel,
						    m->nets[i].network)) < 0) {
			json_decref(nets);
			return NULL;
		}
	/* "o" hands nets over to the new object. */
	o = json_pack("{ss ss ss ss ss sI sI sI sI ss sb sI so}", "loan",
		      m->loan, "project", m->project, "home", m->home, "user",
		      m->user, "nodes", m->nodes, "uid", (json_int_t)m->uid,
		      "job", (json_int_t)m->job, "submit",
		      (json_int_t)m->submit, "end", (json_int_t)m->end, "phase",
		      hilx_phase_name(m->phase), "touched", (int)m->touched,
		      "powered_on", (json_int_t)m->powered_on, "networks",
		      nets);
	if (o && m->why &&
	    json_object_set_new(o, "why", json_string(m->why)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int hilx_meta_put(struct hil_client *c, const char *node,
		  const struct hilx_meta *m, struct hil_error *err)
{
	json_t *body, *v;
	int r;

	v = hilx_encode(m);
	if (!v)
		return -ENOMEM;
	body = json_pack("{so}", "value", v);
	if (!body)
		return -ENOMEM;
	r = hil_client_call(c, "PUT", body, NULL, err, "node/%L/metadata/%L",
			    node, HILX_META_KEY);
	json_decref(body);
	return r;
}

int hilx_meta_delete(struct hil_client *c, const char *node,
		     struct hil_error *err)
{
	int r = hil_node_metadata_delete(c, node, HILX_META_KEY, err);

	return r == -ENOENT ? 0 : r;
}

int hilx_meta_snapshot(struct hilx_meta *m, const struct hil_node *node)
{
	struct hilx_net *v = NULL;
	size_t n = 0, total = 0;

	for (size_t i = 0; i < node->n_nics; i++)
		total += node->nics[i].n_networks;
	if (total > HILX_MAX_NETS)
		return -E2BIG;
	if (total) {
		v = calloc(total, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < node->n_nics; i++) {
		const struct hil_nic *nic = &node->nics[i];

		for (size_t k = 0; k < nic->n_networks; k++) {
			v[n].nic = strdup(nic->label);
			v[n].channel = strdup(nic->networks[k].key);
			v[n].network = strdup(nic->networks[k].value);
			n++;
			if (!v[n - 1].nic || !v[n - 1].channel ||
			    !v[n - 1].network) {
				hilx_nets_free(v, n);
				return -ENOMEM;
			}
		}
	}
	hilx_nets_free(m->nets, m->n_nets);
	m->nets = v;
	m->n_nets = n;
	return 0;
}

int hilx_user_access(struct hil_client *c, const char *user,
		     const char *project, enum hilx_access *ret_access,
		     struct hil_error *err)
{
	json_t *reply = NULL, *u, *projects, *p;
	enum hilx_access a = HILX_NO_USER;
	size_t i;
	int r;

	r = hil_client_call(c, "GET", NULL, &reply, err, "auth/basic/users");
	if (r < 0)
		return r;
	u = json_object_get(reply, user);
	if (json_is_object(u)) {
		a = HILX_NO_ACCESS;
		if (json_is_true(json_object_get(u, "is_admin")))
			a = HILX_ADMIN;
		projects = json_object_get(u, "projects");
		json_array_foreach(projects, i, p)
		{
			if (a == HILX_NO_ACCESS && json_is_string(p) &&
			    strcmp(json_string_value(p), project) == 0)
				a = HILX_MEMBER;
		}
	}
	json_decref(reply);
	*ret_access = a;
	return 0;
}

const char *hilx_obm_name(enum hilx_obm op)
{
	return (size_t)op < N_OBMS ? hilx_obms[op].name : "?";
}

int hilx_obm_wait(struct hil_client *c, const char *node, enum hilx_obm op,
		  const char *id, const struct hilx_wait *w,
		  struct hil_error *err)
{
	enum hil_action_status st;
	char why[sizeof(err->msg)];
	int r;

	r = hil_obm_action_wait_stop(c, id, w->timeout_ms, w->interrupted,
				     w->arg, &st, err);
	if (r == -ETIMEDOUT && strcmp(err->type, HIL_ERR_TIMEOUT) == 0) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s of node '%s' (OBM action '%s') still pending "
			 "after %ld ms",
			 hilx_obm_name(op), node, id, w->timeout_ms);
		return -EINPROGRESS;
	}
	if (r < 0 || st == HIL_ACTION_DONE)
		return r;
	snprintf(why, sizeof(why), "%s", err->msg);
	snprintf(err->msg, sizeof(err->msg),
		 "%s of node '%.64s' failed: %.400s", hilx_obm_name(op), node,
		 why);
	return -EREMOTEIO;
}

int hilx_obm_start(struct hil_client *c, const char *node, enum hilx_obm op,
		   const char *bootdev, char *ret_id, size_t idlen,
		   struct hil_error *err)
{
	json_t *body = NULL, *reply = NULL;
	const char *id;
	int r;

	if ((size_t)op >= N_OBMS || (hilx_obms[op].bootdev && !bootdev))
		return -EINVAL;
	if (hilx_obms[op].bootdev) {
		body = json_pack("{ss}", "bootdev", bootdev);
		if (!body)
			return -ENOMEM;
	}
	r = hil_client_call(c, hilx_obms[op].method, body, &reply, err,
			    hilx_obms[op].path, node);
	json_decref(body);
	if (r < 0)
		return r;
	/* 200 answers nothing (or a power status); 202 the queued
	 * operation's id. */
	id = json_string_value(json_object_get(reply, "status_id"));
	r = 0;
	if (id && strlen(id) >= idlen) {
		*err = (struct hil_error){.status = 202};
		snprintf(err->type, sizeof(err->type), "%s", HIL_ERR_PROTOCOL);
		snprintf(err->msg, sizeof(err->msg),
			 "OBM action id '%.32s...' is too long", id);
		r = -EBADMSG;
	} else if (id) {
		snprintf(ret_id, idlen, "%s", id);
		r = 1;
	}
	json_decref(reply);
	return r;
}

int hilx_obm(struct hil_client *c, const char *node, enum hilx_obm op,
	     const char *bootdev, const struct hilx_wait *w,
	     struct hil_error *err)
{
	char id[HILX_MAX_ID];
	int r;

	r = hilx_obm_start(c, node, op, bootdev, id, sizeof(id), err);
	if (r <= 0)
		return r;
	return hilx_obm_wait(c, node, op, id, w, err);
}

int hilx_action_wait(struct hil_client *c, const char *action,
		     const struct hilx_wait *w,
		     enum hil_action_status *ret_status, struct hil_error *err)
{
	int r = hil_action_wait_stop(c, action, w->timeout_ms, w->interrupted,
				     w->arg, ret_status, err);

	/* Still pending at the timeout: the action's trouble, not an
	 * outage of hild. */
	if (r == -ETIMEDOUT && strcmp(err->type, HIL_ERR_TIMEOUT) == 0)
		r = -EINPROGRESS;
	return r;
}

bool hilx_meta_same_job(const struct hilx_meta *m, const struct hilx_job *job)
{
	if (m->job != job->id || m->uid != job->uid)
		return false;
	if (!m->submit || !job->submit || m->submit == job->submit)
		return true;
	return job->restarts > 0 && m->submit <= job->submit;
}

int hilx_job_loan(struct hil_client *c, char *const *names,
		  const struct hilx_job *job,
		  bool (*committed)(const char *loan, void *arg), void *arg,
		  char *buf, size_t buflen, struct hil_error *err)
{
	int r = 0;

	for (size_t i = 0; names && names[i] && r == 0; i++) {
		struct hil_node *hn = NULL;
		struct hilx_meta *meta = NULL;

		r = hil_node_show(c, names[i], &hn, err);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		/* A record still "requested" counts once its request was
		 * completed (its reservation, the commit, exists). */
		if (hilx_meta_get(hn, &meta) == 0 &&
		    hilx_meta_same_job(meta, job) &&
		    (meta->phase != HILX_REQUESTED ||
		     (committed && committed(meta->loan, arg)))) {
			snprintf(buf, buflen, "%s", meta->loan);
			r = 1;
		}
		hilx_meta_free(meta);
		hil_node_free(hn);
	}
	return r;
}
