/*
 * loan.c - the loan state machine (see loan.h and SLURM.md).
 *
 * Each node of a loan carries a loan record (hilx.h) whose phase says
 * where it is: requested -> reserved -> lending -> lent -> returning ->
 * (record deleted).  A pass moves every node as far as it can and then
 * makes SLURM agree with the records: the loan's reserve reservation holds
 * its reserved, lending and lent nodes until the loan's end; its release
 * reservation holds the nodes that left SLURM until they are back; every
 * node with a record is drained with reason hil:lent:<project>:<loan>.
 */
#include "config.h"

#include "loan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "hilx.h"
#include "hslog.h"
#include "names.h"
#include "slurmapi.h"

#define LOAN_SOON_MS	 200  /* next pass when something is about to move */
#define LOAN_SLOW_MS	 2000 /* next pass while a node boots */
#define LOAN_BOOT_FAST	 10   /* s after power on to look at LOAN_SOON_MS */
#define LOAN_RESV_SLACK	 5    /* s: no reserve reservation this near its end */
#define LOAN_END_FUZZ	 60   /* s: a reservation end this close is right */
#define LOAN_NAME_TRIES	 1000 /* start times tried for a free loan name */
#define LOAN_MAX_TOUCHED 4096 /* node names remembered between passes */
#define LOAN_MAX_NODES	 4096 /* nodes of one loan */
#define LOAN_REPLY_NODES 512  /* bytes of a node list quoted in a reply */
#define LOAN_MAX_OBM	 4096 /* OBM operations remembered between passes */
/* s before an OBM operation that failed is asked for again */
#define LOAN_OBM_BACKOFF 60

/* An OBM operation of a node that did not end in its step: remembered so
 * that the next pass polls it rather than queueing another behind it
 * (hild refuses a node's operations past a few pending), or, when it
 * failed, asks again only after LOAN_OBM_BACKOFF. */
struct loan_obm {
	char *node;
	enum hilx_obm op;
	char id[HILX_MAX_ID]; /* hild's id; "" once it failed */
	time_t retry;	      /* failed: not asked again before */
};

/* A loan a pass found since the last full pass, and its nodes: what a
 * release reads when slurmctld lost the loan's marks (see req_release). */
struct loan_known {
	char *loan;
	char **nodes; /* NULL-terminated */
};

struct loan_mgr {
	const struct hsconf *conf;
	struct hil_client *hil;
	char **touched; /* nodes a request named since the last pass */
	size_t n_touched;
	struct loan_obm *obm; /* by node name, unsorted */
	size_t n_obm;
	struct loan_known *known; /* found since the last full pass */
	size_t n_known;
	bool hil_down, slurm_down; /* an outage was logged */
};

/* A node of interest in one pass. */
struct pnode {
	char *name;
	struct slurmapi_node *sn; /* NULL: SLURM does not know it */
	struct hil_node *hn;	  /* NULL: HIL does not know it */
	struct hilx_meta *meta;	  /* NULL: no loan record */
	bool shown;		  /* HIL was asked */
	bool bad_meta;		  /* a record we cannot read: hands off */
	bool settled;		  /* its SLURM side was done this pass */
};

/* The nodes of one loan in one pass. */
struct ploan {
	char *name; /* records may go during the pass: a copy */
	struct pnode **nodes;
	size_t n;
};

struct pass {
	struct loan_mgr *m;
	const struct hsconf *conf;
	time_t now;
	struct slurmapi_node *sn;
	size_t n_sn;
	struct slurmapi_resv *rv;
	size_t n_rv;
	char **home; /* the SLURM project's nodes, sorted */
	struct pnode *pn;
	size_t n_pn;
	struct ploan *pl;
	size_t n_pl;
	int soon;
	bool (*interrupted)(void *);
	void *arg;
};

/* ------------------------------------------------------------------ */
/* small helpers */

static int loan_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool loan_in_sorted(char **v, const char *name)
{
	size_t n = hil_strv_length(v);

	return v && bsearch(&name, v, n, sizeof(*v), loan_strcmp) != NULL;
}

/* Transport failures: hild (or slurmctld) is not answering at all.  A
 * refusal (a switch's, an OBM's, slurmctld's) is a node's trouble. */
static bool loan_outage(int r)
{
	return r == -ECONNREFUSED || r == -ETIMEDOUT || r == -EHOSTUNREACH ||
	       r == -ECONNRESET || r == -EIO || r == -ENOTCONN;
}

static bool loan_same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void loan_hil_up(struct loan_mgr *m)
{
	if (m->hil_down)
		hslog_notice("hild answers again");
	m->hil_down = false;
}

static int loan_hil_outage(struct loan_mgr *m, int r,
			   const struct hil_error *err)
{
	if (!m->hil_down)
		hslog_err("could not reach hild: %s", err->msg);
	m->hil_down = true;
	return r;
}

static void loan_slurm_up(struct loan_mgr *m)
{
	if (m->slurm_down)
		hslog_notice("slurmctld answers again");
	m->slurm_down = false;
}

static int loan_slurm_outage(struct loan_mgr *m, int r)
{
	if (!m->slurm_down)
		hslog_err("could not ask slurmctld: %s", slurmapi_error());
	m->slurm_down = true;
	return r;
}

static void loan_touch(struct loan_mgr *m, const char *name)
{
	char **v, *d;

	for (size_t i = 0; i < m->n_touched; i++)
		if (strcmp(m->touched[i], name) == 0)
			return;
	if (m->n_touched == LOAN_MAX_TOUCHED)
		return; /* the next full pass looks anyway */
	d = strdup(name);
	v = realloc(m->touched, (m->n_touched + 2) * sizeof(*v));
	if (!d || !v) {
		free(d);
		if (v)
			m->touched = v;
		return;
	}
	m->touched = v;
	v[m->n_touched++] = d;
	v[m->n_touched] = NULL;
}

static void loan_touched_clear(struct loan_mgr *m)
{
	for (size_t i = 0; i < m->n_touched; i++)
		free(m->touched[i]);
	free(m->touched);
	m->touched = NULL;
	m->n_touched = 0;
}

static struct loan_obm *loan_obm_find(struct loan_mgr *m, const char *node)
{
	for (size_t i = 0; i < m->n_obm; i++)
		if (strcmp(m->obm[i].node, node) == 0)
			return &m->obm[i];
	return NULL;
}

static void loan_obm_forget(struct loan_mgr *m, const char *node)
{
	struct loan_obm *o = loan_obm_find(m, node);

	if (!o)
		return;
	free(o->node);
	*o = m->obm[--m->n_obm];
}

/* Remember op of node: queued as id, or failed (id "") until retry.  On
 * failure (no memory, too many) the next pass asks hild again. */
static void loan_obm_remember(struct loan_mgr *m, const char *node,
			      enum hilx_obm op, const char *id, time_t retry)
{
	struct loan_obm *o = loan_obm_find(m, node), *v;

	if (!o) {
		if (m->n_obm == LOAN_MAX_OBM)
			return;
		v = realloc(m->obm, (m->n_obm + 1) * sizeof(*v));
		if (!v)
			return;
		m->obm = v;
		o = &v[m->n_obm];
		o->node = strdup(node);
		if (!o->node)
			return;
		m->n_obm++;
	}
	o->op = op;
	snprintf(o->id, sizeof(o->id), "%s", id);
	o->retry = retry;
}

int loan_mgr_new(const struct hsconf *conf, struct hil_client *hil,
		 struct loan_mgr **ret_mgr)
{
	struct loan_mgr *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->conf = conf;
	m->hil = hil;
	*ret_mgr = m;
	return 0;
}

static void loan_known_clear(struct loan_mgr *m)
{
	for (size_t i = 0; i < m->n_known; i++) {
		free(m->known[i].loan);
		hil_strv_free(m->known[i].nodes);
	}
	free(m->known);
	m->known = NULL;
	m->n_known = 0;
}

/* The nodes of loan as the passes found them, or NULL. */
static char *const *loan_known_nodes(const struct loan_mgr *m, const char *loan)
{
	for (size_t i = 0; i < m->n_known; i++)
		if (strcmp(m->known[i].loan, loan) == 0)
			return m->known[i].nodes;
	return NULL;
}

struct loan_mgr *loan_mgr_free(struct loan_mgr *m)
{
	if (!m)
		return NULL;
	loan_touched_clear(m);
	loan_known_clear(m);
	for (size_t i = 0; i < m->n_obm; i++)
		free(m->obm[i].node);
	free(m->obm);
	free(m);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the pass's view */

static void pass_clear(struct pass *p)
{
	for (size_t i = 0; i < p->n_pn; i++) {
		free(p->pn[i].name);
		hil_node_free(p->pn[i].hn);
		hilx_meta_free(p->pn[i].meta);
	}
	free(p->pn);
	for (size_t i = 0; i < p->n_pl; i++) {
		free(p->pl[i].name);
		free(p->pl[i].nodes);
	}
	free(p->pl);
	slurmapi_nodes_free(p->sn, p->n_sn);
	slurmapi_resvs_free(p->rv, p->n_rv);
	hil_strv_free(p->home);
}

static bool pass_interrupted(struct pass *p)
{
	return p->interrupted && p->interrupted(p->arg);
}

/* Ask for the next pass within ms. */
static void pass_soon(struct pass *p, int ms)
{
	if (!p->soon || ms < p->soon)
		p->soon = ms;
}

static struct slurmapi_node *pass_slurm_node(struct pass *p, const char *name)
{
	for (size_t i = 0; i < p->n_sn; i++)
		if (strcmp(p->sn[i].name, name) == 0)
			return &p->sn[i];
	return NULL;
}

static struct slurmapi_resv *pass_resv(struct pass *p, const char *name)
{
	for (size_t i = 0; i < p->n_rv; i++)
		if (strcmp(p->rv[i].name, name) == 0)
			return &p->rv[i];
	return NULL;
}

/* Add name to the candidates (once); pn may move. */
static int pass_add(struct pass *p, const char *name)
{
	struct pnode *v;

	for (size_t i = 0; i < p->n_pn; i++)
		if (strcmp(p->pn[i].name, name) == 0)
			return 0;
	v = realloc(p->pn, (p->n_pn + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->pn = v;
	memset(&v[p->n_pn], 0, sizeof(*v));
	v[p->n_pn].name = strdup(name);
	if (!v[p->n_pn].name)
		return -ENOMEM;
	v[p->n_pn].sn = pass_slurm_node(p, name);
	p->n_pn++;
	return 0;
}

static int pass_add_list(struct pass *p, const char *expr)
{
	char **names = NULL;
	int r;

	if (!expr || !*expr)
		return 0;
	r = slurmapi_hostlist_expand(expr, &names);
	if (r < 0)
		return r;
	for (size_t i = 0; names[i] && r >= 0; i++)
		r = pass_add(p, names[i]);
	slurmapi_strv_free(names);
	return r;
}

/* Read node n from HIL: owner, NICs, loan record. */
static int pass_show(struct pass *p, struct pnode *n)
{
	struct hil_error err = {0};
	int r;

	n->shown = true;
	r = hil_node_show(p->m->hil, n->name, &n->hn, &err);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		if (loan_outage(r))
			return loan_hil_outage(p->m, r, &err);
		hslog_warn("could not read node '%s' from hild: %s", n->name,
			   err.msg);
		return 0;
	}
	r = hilx_meta_get(n->hn, &n->meta);
	if (r == -EINVAL) {
		hslog_err("node '%s' holds a '%s' record that is not a loan; "
			  "leaving the node alone",
			  n->name, HILX_META_KEY);
		n->bad_meta = true;
	} else if (r < 0 && r != -ENOENT) {
		return r;
	}
	return 0;
}

static int pass_load(struct pass *p, bool full)
{
	struct hil_error err = {0};
	int r;

	r = slurmapi_nodes(&p->sn, &p->n_sn);
	if (r >= 0)
		r = slurmapi_resvs(p->conf->prefix, &p->rv, &p->n_rv);
	if (r < 0)
		return loan_slurm_outage(p->m, r);
	loan_slurm_up(p->m);
	r = hil_project_nodes(p->m->hil, p->conf->project, &p->home, &err);
	if (r < 0) {
		if (loan_outage(r))
			return loan_hil_outage(p->m, r, &err);
		hslog_err("could not list the nodes of project '%s': %s",
			  p->conf->project, err.msg);
		return r;
	}
	loan_hil_up(p->m);
	qsort(p->home, hil_strv_length(p->home), sizeof(*p->home), loan_strcmp);
	for (size_t i = 0; i < p->n_sn && r >= 0; i++) {
		struct slurmapi_node *sn = &p->sn[i];

		if (full || names_reason_ours(sn->reason) ||
		    !loan_in_sorted(p->home, sn->name))
			r = pass_add(p, sn->name);
	}
	for (size_t i = 0; i < p->n_rv && r >= 0; i++)
		r = pass_add_list(p, p->rv[i].nodes);
	for (size_t i = 0; i < p->m->n_touched && r >= 0; i++)
		r = pass_add(p, p->m->touched[i]);
	for (size_t i = 0; i < p->n_pn && r >= 0; i++)
		r = pass_show(p, &p->pn[i]);
	return r;
}

/* Group the nodes with loan records by loan. */
static int pass_group(struct pass *p)
{
	for (size_t i = 0; i < p->n_pn; i++) {
		struct pnode *n = &p->pn[i];
		struct ploan *l = NULL, *v;
		struct pnode **nv;

		if (!n->meta)
			continue;
		for (size_t k = 0; k < p->n_pl && !l; k++)
			if (strcmp(p->pl[k].name, n->meta->loan) == 0)
				l = &p->pl[k];
		if (!l) {
			v = realloc(p->pl, (p->n_pl + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			p->pl = v;
			l = &v[p->n_pl];
			memset(l, 0, sizeof(*l));
			l->name = strdup(n->meta->loan);
			if (!l->name)
				return -ENOMEM;
			p->n_pl++;
		}
		if (l->n == LOAN_MAX_NODES)
			continue;
		nv = realloc(l->nodes, (l->n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->nodes = nv;
		nv[l->n++] = n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* steps on one node; each returns 0 or a negative errno, logged */

/* Log a failed HIL call on a node of a loan. */
static int step_fail(struct pass *p, struct pnode *n, const char *what, int r,
		     const struct hil_error *err)
{
	if (r == -EINTR)
		return r;
	if (loan_outage(r))
		return loan_hil_outage(p->m, r, err);
	hslog_warn("loan '%s': node '%s': could not %s: %s", n->meta->loan,
		   n->name, what, err->msg);
	return r;
}

static int step_check(struct pass *p)
{
	return pass_interrupted(p) ? -EINTR : 0;
}

static int step_meta(struct pass *p, struct pnode *n)
{
	struct hil_error err = {0};
	int r;

	r = hilx_meta_put(p->m->hil, n->name, n->meta, &err);
	if (r < 0)
		return step_fail(p, n, "write its loan record", r, &err);
	return step_check(p);
}

static int step_obm(struct pass *p, struct pnode *n, bool on)
{
	struct hil_error err = {0};
	int r;

	r = hil_node_obm_set(p->m->hil, n->name, on, &err);
	if (r < 0)
		return step_fail(p, n,
				 on ? "enable its OBM" : "disable its OBM", r,
				 &err);
	return step_check(p);
}

static struct hilx_wait step_wait(struct pass *p)
{
	return (struct hilx_wait){
		.timeout_ms = (long)p->conf->action_timeout * 1000,
		.interrupted = p->interrupted,
		.arg = p->arg,
	};
}

/*
 * Power the node on or off, or set its boot device: done when hild says
 * the operation is done (it may be queued behind others on the BMC).  An
 * operation still queued when the step gives up is polled by the next
 * pass, not asked for again; one that failed is asked for again after
 * LOAN_OBM_BACKOFF, and until then the step fails at once (-EAGAIN).
 */
static int step_obm_op(struct pass *p, struct pnode *n, enum hilx_obm op)
{
	struct loan_obm *o = loan_obm_find(p->m, n->name);
	struct hilx_wait w = step_wait(p);
	struct hil_error err = {0};
	char id[HILX_MAX_ID] = "";
	time_t now = time(NULL);
	int r = 0;

	if (o && o->op != op) { /* the loan moved on: a new step */
		loan_obm_forget(p->m, n->name);
		o = NULL;
	}
	if (o && !o->id[0] && now < o->retry) {
		pass_soon(p, (int)(o->retry - now) * 1000);
		return -EAGAIN;
	}
	if (o && o->id[0]) {
		snprintf(id, sizeof(id), "%s", o->id);
		r = hilx_obm_wait(p->m->hil, n->name, op, id, &w, &err);
		if (r == -ENOENT) /* hild forgot it: ask again */
			id[0] = '\0';
	}
	if (!id[0]) {
		r = hilx_obm_start(p->m->hil, n->name, op, p->conf->boot_device,
				   id, sizeof(id), &err);
		if (r == 1)
			r = hilx_obm_wait(p->m->hil, n->name, op, id, &w, &err);
		else
			id[0] = '\0';
	}
	if (r == -EREMOTEIO) {
		loan_obm_remember(p->m, n->name, op, "",
				  now + LOAN_OBM_BACKOFF);
		hslog_warn(
			"loan '%s': node '%s': could not %s: %s (asked again "
			"in %d s)",
			n->meta->loan, n->name, hilx_obm_name(op), err.msg,
			LOAN_OBM_BACKOFF);
		pass_soon(p, LOAN_OBM_BACKOFF * 1000);
		return r;
	}
	if (id[0] && r < 0 && r != -ENOENT) {
		loan_obm_remember(p->m, n->name, op, id, 0);
		if (r == -EINPROGRESS) {
			hslog_info("loan '%s': node '%s': %s", n->meta->loan,
				   n->name, err.msg);
			pass_soon(p, LOAN_SLOW_MS);
			return r;
		}
	} else {
		loan_obm_forget(p->m, n->name);
	}
	if (r < 0)
		return step_fail(p, n, hilx_obm_name(op), r, &err);
	if (op == HILX_SET_BOOTDEV)
		hslog_info("loan '%s': node '%s': boot device '%s' set",
			   n->meta->loan, n->name, p->conf->boot_device);
	else
		hslog_info("loan '%s': node '%s': powered %s", n->meta->loan,
			   n->name, op == HILX_POWER_ON ? "on" : "off");
	return step_check(p);
}

static int step_power(struct pass *p, struct pnode *n, bool on)
{
	return step_obm_op(p, n, on ? HILX_POWER_ON : HILX_POWER_OFF);
}

static int step_bootdev(struct pass *p, struct pnode *n)
{
	if (!*p->conf->boot_device)
		return 0;
	return step_obm_op(p, n, HILX_SET_BOOTDEV);
}

/* Wait for a queued networking action; 0 when it is DONE. */
static int step_action(struct pass *p, struct pnode *n, const char *what,
		       char *action)
{
	enum hil_action_status st = HIL_ACTION_PENDING;
	struct hilx_wait w = step_wait(p);
	struct hil_error err = {0};
	int r;

	r = hilx_action_wait(p->m->hil, action, &w, &st, &err);
	free(action);
	if (r < 0)
		return step_fail(p, n, what, r, &err);
	if (st != HIL_ACTION_DONE) {
		hslog_warn("loan '%s': node '%s': could not %s: the switch "
			   "refused it",
			   n->meta->loan, n->name, what);
		return -EREMOTEIO;
	}
	return 0;
}

/* Reset every wired NIC's port: no VLAN of the old owner stays. */
static int step_revert(struct pass *p, struct pnode *n)
{
	struct hil_error err = {0};
	char *action = NULL;
	int r;

	for (size_t i = 0; i < n->hn->n_nics; i++) {
		struct hil_nic *nic = &n->hn->nics[i];

		if (!nic->port || !nic->switch_name)
			continue;
		r = hil_port_revert(p->m->hil, nic->switch_name, nic->port,
				    &action, &err);
		if (r < 0)
			return step_fail(p, n, "revert its port", r, &err);
		r = step_action(p, n, "revert its port", action);
		if (r < 0)
			return r;
		hslog_info("loan '%s': node '%s': port '%s' of switch '%s' "
			   "reverted",
			   n->meta->loan, n->name, nic->port, nic->switch_name);
		if ((r = step_check(p)) < 0)
			return r;
	}
	return 0;
}

static int step_set_project(struct pnode *n, const char *project)
{
	char *d = NULL;

	if (project && !(d = strdup(project)))
		return -ENOMEM;
	free(n->hn->project);
	n->hn->project = d;
	return 0;
}

static int step_detach(struct pass *p, struct pnode *n)
{
	struct hil_error err = {0};
	int r;

	r = hil_project_detach_node(p->m->hil, n->hn->project, n->name, &err);
	if (r < 0 && r != -ENOENT)
		return step_fail(p, n, "detach it", r, &err);
	hslog_info("loan '%s': node '%s': left project '%s'", n->meta->loan,
		   n->name, n->hn->project);
	r = step_set_project(n, NULL);
	return r < 0 ? r : step_check(p);
}

static int step_connect(struct pass *p, struct pnode *n, const char *project)
{
	struct hil_error err = {0};
	int r;

	r = hil_project_connect_node(p->m->hil, project, n->name, &err);
	if (r < 0)
		return step_fail(p, n, "connect it to its project", r, &err);
	hslog_info("loan '%s': node '%s': now in project '%s'", n->meta->loan,
		   n->name, project);
	r = step_set_project(n, project);
	return r < 0 ? r : step_check(p);
}

/* Whether NIC nic of n is on network for channel now. */
static bool step_has_net(const struct hil_node *hn, const struct hilx_net *net)
{
	for (size_t i = 0; i < hn->n_nics; i++) {
		const struct hil_nic *nic = &hn->nics[i];

		if (strcmp(nic->label, net->nic) != 0)
			continue;
		for (size_t k = 0; k < nic->n_networks; k++)
			if (strcmp(nic->networks[k].key, net->channel) == 0 &&
			    strcmp(nic->networks[k].value, net->network) == 0)
				return true;
	}
	return false;
}

/* Put the NICs back on the networks recorded at the lend.  A network
 * that is gone or refused is logged and left out: the node must still
 * come back. */
static int step_restore(struct pass *p, struct pnode *n)
{
	for (size_t i = 0; i < n->meta->n_nets; i++) {
		const struct hilx_net *net = &n->meta->nets[i];
		struct hil_error err = {0};
		char *action = NULL;
		int r;

		if (step_has_net(n->hn, net))
			continue;
		r = hil_node_connect_network(p->m->hil, n->name, net->nic,
					     net->network, net->channel,
					     &action, &err);
		if (r == -ENOENT || r == -EBUSY || r == -EPERM ||
		    r == -EINVAL) {
			hslog_warn("loan '%s': node '%s': network '%s' not "
				   "restored on '%s': %s",
				   n->meta->loan, n->name, net->network,
				   net->nic, err.msg);
			continue;
		}
		if (r < 0)
			return step_fail(p, n, "restore its networks", r, &err);
		r = step_action(p, n, "restore its networks", action);
		if (r < 0)
			return r;
		hslog_info("loan '%s': node '%s': network '%s' restored on "
			   "'%s' (%s)",
			   n->meta->loan, n->name, net->network, net->nic,
			   net->channel);
		if ((r = step_check(p)) < 0)
			return r;
	}
	return 0;
}

static int step_drain(struct pass *p, struct pnode *n, const char *reason)
{
	int r;

	if (!n->sn || (n->sn->drained && loan_same(n->sn->reason, reason)))
		return 0;
	r = slurmapi_node_drain(n->name, reason);
	if (r < 0) {
		hslog_warn("loan '%s': node '%s': could not drain it: %s",
			   n->meta->loan, n->name, slurmapi_error());
		return r;
	}
	hslog_info("loan '%s': node '%s': drained in SLURM: %s", n->meta->loan,
		   n->name, reason);
	n->sn->drained = true;
	free(n->sn->reason);
	n->sn->reason = strdup(reason);
	return 0;
}

/* Leave a node out of its loan: it is somewhere we must not take it
 * from.  SLURM keeps it drained ("hil:absent") until it is back in the
 * SLURM project. */
static int step_abandon(struct pass *p, struct pnode *n)
{
	struct hil_error err = {0};
	int r;

	hslog_err("loan '%s': node '%s': it is in project '%s', neither the "
		  "borrower's nor '%s'; leaving it there, out of the loan",
		  n->meta->loan, n->name, n->hn->project, n->meta->home);
	r = hilx_meta_delete(p->m->hil, n->name, &err);
	if (r < 0)
		return step_fail(p, n, "delete its loan record", r, &err);
	n->meta = hilx_meta_free(n->meta);
	return 0;
}

static int step_returning(struct pass *p, struct pnode *n, const char *why)
{
	char *d = strdup(why);

	if (!d)
		return -ENOMEM;
	free(n->meta->why);
	n->meta->why = d;
	n->meta->phase = HILX_RETURNING;
	hslog_info("loan '%s': node '%s': returning: %s", n->meta->loan,
		   n->name, why);
	return step_meta(p, n);
}

/* ------------------------------------------------------------------ */
/* lend and return of one node */

static int node_lend(struct pass *p, struct pnode *n)
{
	struct hilx_meta *m = n->meta;
	char reason[NAMES_REASON_MAX];
	int r;

	if (loan_same(n->hn->project, m->home)) {
		/* Out of SLURM's hands first, then off, clean, out. */
		if (names_reason_format(reason, sizeof(reason), m->project,
					m->loan) == 0)
			step_drain(p, n, reason);
		if ((r = step_obm(p, n, true)) < 0 ||
		    (r = step_power(p, n, false)) < 0 ||
		    (r = step_revert(p, n)) < 0 ||
		    (r = step_obm(p, n, false)) < 0 ||
		    (r = step_detach(p, n)) < 0)
			return r;
	}
	if (!n->hn->project && (r = step_connect(p, n, m->project)) < 0)
		return r;
	if (!loan_same(n->hn->project, m->project))
		return step_abandon(p, n);
	m->phase = HILX_LENT;
	r = step_meta(p, n);
	if (r < 0)
		return r;
	hslog_notice("loan '%s': node '%s': lent to project '%s'", m->loan,
		     n->name, m->project);
	return 0;
}

/*
 * The node is back: its record goes first, then SLURM may use it again.
 * The other order could let SLURM start a job on a node that still has a
 * record, if the delete failed; a node left drained without a record is
 * resumed by marks_orphans() on a later pass.
 */
static int node_resume(struct pass *p, struct pnode *n)
{
	char loan[NAMES_LOAN_MAX + 1];
	struct hil_error err = {0};
	int r;

	r = hilx_meta_delete(p->m->hil, n->name, &err);
	if (r < 0)
		return step_fail(p, n, "delete its loan record", r, &err);
	snprintf(loan, sizeof(loan), "%s", n->meta->loan);
	n->meta = hilx_meta_free(n->meta);
	n->settled = true;
	if (n->sn && ((n->sn->drained && names_reason_ours(n->sn->reason)) ||
		      n->sn->down)) {
		/* Its slurmd has registered since the power on: IDLE,
		 * since RESUME would have SLURM wait for another
		 * registration (the next ping cycle). */
		r = slurmapi_node_idle(n->name);
		if (r == -EINVAL)
			r = slurmapi_node_resume(n->name);
		if (r < 0) {
			hslog_warn(
				"loan '%s': node '%s': its record is gone but "
				"it could not be resumed in SLURM: %s (a "
				"later pass will)",
				loan, n->name, slurmapi_error());
			return r;
		}
		hslog_info("loan '%s': node '%s': resumed in SLURM", loan,
			   n->name);
	} else if (n->sn && n->sn->drained) {
		hslog_notice("loan '%s': node '%s': keeps the drain set by "
			     "someone else: %s",
			     loan, n->name, n->sn->reason ? n->sn->reason : "");
	}
	hslog_notice("loan '%s': node '%s': returned to SLURM", loan, n->name);
	return 0;
}

static int node_return(struct pass *p, struct pnode *n)
{
	struct hilx_meta *m = n->meta;
	bool registered;
	time_t t0;
	int r;

	if (!loan_same(n->hn->project, m->home)) {
		if (n->hn->project && !loan_same(n->hn->project, m->project))
			return step_abandon(p, n);
		if ((r = step_obm(p, n, true)) < 0 ||
		    (r = step_power(p, n, false)) < 0 ||
		    (r = step_revert(p, n)) < 0 ||
		    (r = step_obm(p, n, false)) < 0)
			return r;
		if (n->hn->project && (r = step_detach(p, n)) < 0)
			return r;
		if ((r = step_connect(p, n, m->home)) < 0)
			return r;
	}
	if ((r = step_restore(p, n)) < 0)
		return r;
	if (!m->touched)
		return node_resume(p, n);
	registered = !n->sn || (n->sn->responding && m->powered_on &&
				n->sn->slurmd_start >= m->powered_on - 1);
	if (registered)
		return node_resume(p, n);
	if (m->powered_on &&
	    p->now - m->powered_on < (time_t)p->conf->boot_timeout) {
		pass_soon(p, p->now - m->powered_on < LOAN_BOOT_FAST
				     ? LOAN_SOON_MS
				     : LOAN_SLOW_MS);
		return 0;
	}
	if (m->powered_on)
		hslog_warn("loan '%s': node '%s': slurmd did not register "
			   "within %u s; powering it on again",
			   m->loan, n->name, p->conf->boot_timeout);
	/* Off and on again, so that SLURM sees a fresh slurmd. */
	t0 = time(NULL);
	if ((r = step_obm(p, n, true)) < 0 ||
	    (r = step_power(p, n, false)) < 0 || (r = step_bootdev(p, n)) < 0 ||
	    (r = step_power(p, n, true)) < 0 || (r = step_obm(p, n, false)) < 0)
		return r;
	m->powered_on = t0;
	pass_soon(p, LOAN_SOON_MS);
	return step_meta(p, n);
}

/* One node of loan l: whatever step is missing. */
static int node_advance(struct pass *p, struct pnode *n)
{
	struct hilx_meta *m = n->meta;
	struct hil_error err = {0};
	char why[128];
	int r;

	if (m->phase == HILX_REQUESTED) {
		/* The reservation is the commit of a lend request. */
		if (pass_resv(p, m->loan)) {
			m->phase = HILX_RESERVED;
			hslog_info("loan '%s': node '%s': reserved", m->loan,
				   n->name);
			return step_meta(p, n);
		}
		hslog_notice("loan '%s': node '%s': its request was never "
			     "completed; dropped",
			     m->loan, n->name);
		r = hilx_meta_delete(p->m->hil, n->name, &err);
		if (r < 0)
			return step_fail(p, n, "delete its loan record", r,
					 &err);
		n->meta = hilx_meta_free(n->meta);
		return 0;
	}
	if (m->phase != HILX_RETURNING && p->now >= m->end) {
		if ((r = step_returning(p, n, "the loan's time is up")) < 0)
			return r;
	} else if (m->phase == HILX_LENT &&
		   !loan_same(n->hn->project, m->project)) {
		snprintf(why, sizeof(why), "it left project '%.64s'",
			 m->project);
		if ((r = step_returning(p, n, why)) < 0)
			return r;
	} else if (m->phase == HILX_RESERVED) {
		if (!loan_same(n->hn->project, m->home)) {
			snprintf(why, sizeof(why),
				 "it left project '%.64s' before the lend",
				 m->home);
			if ((r = step_returning(p, n, why)) < 0)
				return r;
		} else if (n->sn && n->sn->busy) {
			/* The job has not left it yet: its epilog's poke
			 * says when it does; an ending job soon will. */
			if (n->sn->completing)
				pass_soon(p, LOAN_SOON_MS);
			return 0;
		} else if (m->end - p->now < (long long)p->conf->min_loan) {
			if ((r = step_returning(p, n,
						"too little of the "
						"loan is left")) < 0)
				return r;
		} else {
			if ((r = hilx_meta_snapshot(m, n->hn)) < 0)
				return r;
			m->phase = HILX_LENDING;
			m->touched = true;
			hslog_info("loan '%s': node '%s': lending (%zu "
				   "network%s recorded)",
				   m->loan, n->name, m->n_nets,
				   m->n_nets == 1 ? "" : "s");
			if ((r = step_meta(p, n)) < 0)
				return r;
		}
	}
	if (m->phase == HILX_LENDING)
		return node_lend(p, n);
	if (m->phase == HILX_RETURNING)
		return node_return(p, n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the SLURM side of a loan, from its records */

/* Whether reservation r holds exactly names (sorted by strcmp). */
static bool marks_same_nodes(const struct slurmapi_resv *r, char **names,
			     size_t n)
{
	char **have = NULL;
	bool same;
	size_t k;

	if (slurmapi_hostlist_expand(r->nodes, &have) < 0)
		return false;
	k = hil_strv_length(have);
	qsort(have, k, sizeof(*have), loan_strcmp);
	same = k == n;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(have[i], names[i]) == 0;
	slurmapi_strv_free(have);
	return same;
}

/* Make reservation name hold exactly names (sorted), until end (0:
 * unlimited); none when names is empty. */
static int marks_resv(struct pass *p, const char *loan, const char *name,
		      char **names, size_t n, const char *user, time_t end)
{
	struct slurmapi_resv *r = pass_resv(p, name);
	char *list;
	int e = 0;

	if (n == 0) {
		if (!r)
			return 0;
		e = slurmapi_resv_delete(name);
		if (e < 0)
			hslog_warn("loan '%s': %s", loan, slurmapi_error());
		else
			hslog_info("loan '%s': reservation '%s' deleted", loan,
				   name);
		return e;
	}
	if (!r && end && end - p->now <= LOAN_RESV_SLACK)
		return 0;
	if (r && marks_same_nodes(r, names, n) &&
	    (!end || llabs((long long)(r->end - end)) <= LOAN_END_FUZZ))
		return 0;
	list = slurmapi_hostlist_compress(names, n);
	if (!list)
		return -ENOMEM;
	if (!r) {
		e = slurmapi_resv_create(name, list, user, end);
		if (e == 0)
			hslog_info("loan '%s': reservation '%s' of '%s' "
				   "created",
				   loan, name, list);
	} else {
		e = slurmapi_resv_update(name, list, end);
		if (e == 0)
			hslog_info("loan '%s': reservation '%s' now holds "
				   "'%s'",
				   loan, name, list);
	}
	if (e < 0)
		hslog_warn("loan '%s': reservation '%s': %s", loan, name,
			   slurmapi_error());
	free(list);
	return e;
}

static int marks_loan(struct pass *p, struct ploan *l)
{
	char **reserve, **release, reason[NAMES_REASON_MAX];
	char twin[NAMES_LOAN_MAX + 1];
	const struct hilx_meta *m0 = NULL;
	size_t nres = 0, nrel = 0;
	int r = -ENOMEM;

	reserve = calloc(l->n + 1, sizeof(*reserve));
	release = calloc(l->n + 1, sizeof(*release));
	if (!reserve || !release)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		struct pnode *n = l->nodes[i];
		enum hilx_phase ph;

		if (!n->meta || n->meta->phase == HILX_REQUESTED)
			continue;
		m0 = n->meta;
		ph = n->meta->phase;
		if (ph == HILX_RESERVED || ph == HILX_LENDING ||
		    ph == HILX_LENT)
			reserve[nres++] = n->name;
		if (ph == HILX_LENDING || ph == HILX_LENT ||
		    ph == HILX_RETURNING)
			release[nrel++] = n->name;
		if (!n->settled &&
		    names_reason_format(reason, sizeof(reason),
					n->meta->project, n->meta->loan) == 0)
			step_drain(p, n, reason);
	}
	qsort(reserve, nres, sizeof(*reserve), loan_strcmp);
	qsort(release, nrel, sizeof(*release), loan_strcmp);
	r = names_loan_twin(twin, sizeof(twin), l->name, p->conf->prefix);
	if (r < 0) {
		hslog_err("loan '%s': not a loan name of prefix '%s'", l->name,
			  p->conf->prefix);
		goto out;
	}
	/* Nothing left to hold: both go (m0 is NULL only then). */
	marks_resv(p, l->name, l->name, reserve, nres, m0 ? m0->user : "",
		   m0 ? (time_t)m0->end : 0);
	marks_resv(p, l->name, twin, release, nrel, m0 ? m0->user : "", 0);
	if (!m0)
		hslog_notice("loan '%s': ended", l->name);
	r = 0;
out:
	free(reserve);
	free(release);
	return r;
}

static struct ploan *pass_loan(struct pass *p, const char *name)
{
	for (size_t i = 0; i < p->n_pl; i++)
		if (strcmp(p->pl[i].name, name) == 0)
			return &p->pl[i];
	return NULL;
}

/* Marks no loan explains: reservations of our prefix, drain reasons. */
static void marks_orphans(struct pass *p)
{
	char reserve[NAMES_LOAN_MAX + 1], reason[NAMES_REASON_MAX];
	struct names_loan nl;

	for (size_t i = 0; i < p->n_rv; i++) {
		const char *name = p->rv[i].name;

		if (names_loan_parse(name, p->conf->prefix, &nl) == 0 &&
		    names_loan_format(reserve, sizeof(reserve), p->conf->prefix,
				      NAMES_RESERVE, nl.user, nl.uid,
				      nl.start) == 0 &&
		    pass_loan(p, reserve))
			continue;
		if (slurmapi_resv_delete(name) < 0)
			hslog_warn("%s", slurmapi_error());
		else
			hslog_notice("reservation '%s' deleted: no loan holds "
				     "it",
				     name);
	}
	for (size_t i = 0; i < p->n_pn; i++) {
		struct pnode *n = &p->pn[i];
		const char *proj;

		if (!n->shown || !n->sn || n->meta || n->bad_meta || n->settled)
			continue;
		proj = n->hn ? n->hn->project : NULL;
		if (!n->hn || loan_same(proj, p->conf->project)) {
			if (!n->sn->drained ||
			    !names_reason_ours(n->sn->reason))
				continue;
			if (slurmapi_node_resume(n->name) < 0) {
				hslog_warn("could not resume node '%s': %s",
					   n->name, slurmapi_error());
				continue;
			}
			hslog_notice("node '%s': resumed in SLURM: it is in "
				     "project '%s' and on no loan "
				     "(was: %s)",
				     n->name, p->conf->project, n->sn->reason);
			continue;
		}
		/* HIL gave it to someone else: SLURM must not use it. */
		snprintf(reason, sizeof(reason), "hil:absent:%s",
			 proj ? proj : "(free)");
		if (n->sn->drained && loan_same(n->sn->reason, reason))
			continue;
		if (slurmapi_node_drain(n->name, reason) < 0) {
			hslog_warn("could not drain node '%s': %s", n->name,
				   slurmapi_error());
			continue;
		}
		hslog_warn("node '%s': drained in SLURM: HIL has it in %s%s%s, "
			   "not in '%s', and on no loan",
			   n->name, proj ? "project '" : "",
			   proj ? proj : "no project", proj ? "'" : "",
			   p->conf->project);
	}
}

/* A copy of loan l's node names, or NULL when out of memory. */
static char **loan_known_copy(const struct ploan *l)
{
	char **v = calloc(l->n + 1, sizeof(*v));

	for (size_t j = 0; v && j < l->n; j++)
		if (!(v[j] = strdup(l->nodes[j]->name)))
			v = hil_strv_free(v);
	return v;
}

/* After a pass: remember its loans and their nodes, in place of all that
 * was known after a full pass, beside it after another (which sees only
 * the loans whose marks it followed).  Out of memory, what could not be
 * kept is simply not known. */
static void loan_known_save(struct loan_mgr *m, const struct pass *p, bool full)
{
	struct loan_known *v;
	size_t i, k;

	if (full)
		loan_known_clear(m);
	for (i = 0; i < p->n_pl; i++) {
		const struct ploan *l = &p->pl[i];
		char **nodes = loan_known_copy(l);

		if (!nodes)
			continue;
		for (k = 0; k < m->n_known; k++)
			if (strcmp(m->known[k].loan, l->name) == 0)
				break;
		if (k < m->n_known) {
			hil_strv_free(m->known[k].nodes);
			m->known[k].nodes = nodes;
			continue;
		}
		v = realloc(m->known, (m->n_known + 1) * sizeof(*v));
		if (v)
			m->known = v;
		if (!v || !(v[m->n_known].loan = strdup(l->name))) {
			hil_strv_free(nodes);
			continue;
		}
		v[m->n_known++].nodes = nodes;
	}
}

int loan_pass(struct loan_mgr *m, bool full, bool (*interrupted)(void *),
	      void *arg)
{
	struct pass p = {
		.m = m,
		.conf = m->conf,
		.now = time(NULL),
		.interrupted = interrupted,
		.arg = arg,
	};
	int r;

	r = pass_load(&p, full);
	if (r >= 0)
		r = pass_group(&p);
	for (size_t i = 0; r >= 0 && i < p.n_pl; i++)
		for (size_t k = 0; r >= 0 && k < p.pl[i].n; k++) {
			struct pnode *n = p.pl[i].nodes[k];
			int e;

			if (!n->meta || !n->hn)
				continue;
			e = node_advance(&p, n);
			/* One node's trouble is no reason to stop the
			 * others; an outage or a request is. */
			if (e == -EINTR || e == -ENOMEM || loan_outage(e))
				r = e;
		}
	for (size_t i = 0; r >= 0 && i < p.n_pl; i++)
		marks_loan(&p, &p.pl[i]);
	if (r >= 0)
		marks_orphans(&p);
	/* A node whose loan is over needs none of its operations. */
	for (size_t i = 0; i < p.n_pn; i++)
		if (p.pn[i].shown && !p.pn[i].meta)
			loan_obm_forget(m, p.pn[i].name);
	if (r >= 0) {
		loan_touched_clear(m);
		loan_known_save(m, &p, full);
		r = p.soon;
	}
	pass_clear(&p);
	return r;
}

/* ------------------------------------------------------------------ */
/* requests of the controller hook */

#define REPLY(...) snprintf(reply, len, __VA_ARGS__)

static int req_number(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (!s || !*s || strlen(s) > 10)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Read nodes from HIL for a request; n[i].hn NULL when HIL does not
 * know it.  A transport failure is a transient error reply. */
static int req_show(struct loan_mgr *m, char **names, struct pnode *v,
		    char *reply, size_t len)
{
	for (size_t i = 0; names[i]; i++) {
		struct hil_error err = {0};
		int r;

		v[i].name = names[i];
		r = hil_node_show(m->hil, names[i], &v[i].hn, &err);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			REPLY("error could not read node '%s' from hild: %s",
			      names[i], err.msg);
			return r;
		}
		r = hilx_meta_get(v[i].hn, &v[i].meta);
		if (r == -EINVAL) {
			v[i].bad_meta = true;
		} else if (r < 0 && r != -ENOENT) {
			REPLY("error out of memory");
			return r;
		}
	}
	return 0;
}

static void req_nodes_clear(struct pnode *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		hil_node_free(v[i].hn);
		hilx_meta_free(v[i].meta);
	}
	free(v);
}

/* May the SLURM user (uid, user) lend to project?  0 when so, else a
 * reply was written: -EPERM (refused) or another errno (transient). */
static int req_authorize(struct loan_mgr *m, unsigned long uid,
			 const char *user, const char *project, char *reply,
			 size_t len)
{
	char hu[NAMES_PROJECT_MAX + 1], **nodes = NULL;
	enum hilx_access a = HILX_NO_USER;
	struct hil_error err = {0};
	int r;

	r = hil_project_nodes(m->hil, project, &nodes, &err);
	hil_strv_free(nodes);
	if (r == -ENOENT) {
		REPLY("refused there is no HIL project '%s'", project);
		return -EPERM;
	}
	if (r < 0) {
		REPLY("error could not ask hild about project '%s': %s",
		      project, err.msg);
		return r;
	}
	if (hsconf_hil_user(m->conf, uid, user, hu, sizeof(hu)) < 0) {
		REPLY("refused uid %lu ('%s') maps to no valid HIL user name",
		      uid, user);
		return -EPERM;
	}
	r = hilx_user_access(m->hil, hu, project, &a, &err);
	if (r == -ENOENT || r == -EOPNOTSUPP) {
		REPLY("refused hild keeps no local users (an auth plugin such "
		      "as keystone decides): project membership cannot be "
		      "checked");
		return -EPERM;
	}
	if (r < 0) {
		REPLY("error could not read hild's users: %s", err.msg);
		return r;
	}
	if (a == HILX_NO_USER) {
		REPLY("refused uid %lu ('%s') is HIL user '%s', who does not "
		      "exist",
		      uid, user, hu);
		return -EPERM;
	}
	if (a == HILX_NO_ACCESS) {
		REPLY("refused HIL user '%s' (uid %lu) has no access to HIL "
		      "project '%s'",
		      hu, uid, project);
		return -EPERM;
	}
	return 0;
}

/* A loan name for (user, uid) from start on that no reservation and no
 * node record uses yet. */
static int req_loan_name(struct loan_mgr *m, const char *user,
			 unsigned long uid, long long start, char *buf,
			 size_t buflen)
{
	struct slurmapi_resv *rv = NULL;
	char twin[NAMES_LOAN_MAX + 1];
	size_t n_rv = 0;
	int r = -EEXIST;

	if (slurmapi_resvs(m->conf->prefix, &rv, &n_rv) < 0)
		return -ECONNREFUSED;
	for (int t = 0; t < LOAN_NAME_TRIES && r == -EEXIST; t++) {
		bool taken = false;

		r = names_loan_format(buf, buflen, m->conf->prefix,
				      NAMES_RESERVE, user, uid, start + t);
		if (r < 0)
			break;
		r = names_loan_twin(twin, sizeof(twin), buf, m->conf->prefix);
		if (r < 0)
			break;
		for (size_t i = 0; i < n_rv && !taken; i++)
			taken = strcmp(rv[i].name, buf) == 0 ||
				strcmp(rv[i].name, twin) == 0;
		r = taken ? -EEXIST : 0;
	}
	slurmapi_resvs_free(rv, n_rv);
	return r;
}

/* Add name to the NULL-terminated list v of n names, once. */
static int req_add_name(char ***v, size_t *n, const char *name)
{
	char **nv;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], name) == 0)
			return 0;
	nv = realloc(*v, (*n + 2) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(name);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

/* The job as hilx_meta_same_job() compares it. */
static struct hilx_job req_job(const struct slurmapi_job *job,
			       unsigned long jobid)
{
	return (struct hilx_job){
		.id = (uint32_t)jobid,
		.uid = job->uid,
		.submit = (long long)job->submit,
		.restarts = job->restarts,
	};
}

struct req_resvs {
	const struct slurmapi_resv *rv;
	size_t n;
};

/* Whether loan's request was completed: its reservation exists (as in
 * node_advance()). */
static bool req_committed(const char *loan, void *arg)
{
	const struct req_resvs *r = arg;

	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->rv[i].name, loan) == 0)
			return true;
	return false;
}

/* Add name to the list unless skip (NULL-terminated) holds it. */
static int req_add_other(char ***v, size_t *n, char **skip, const char *name)
{
	for (size_t k = 0; skip[k]; k++)
		if (strcmp(skip[k], name) == 0)
			return 0;
	return req_add_name(v, n, name);
}

/*
 * The loan job already holds on nodes other than its own (skip): slurmctld
 * may run a job again (a crash lost its end, or it was requeued), maybe
 * on other nodes, and a job gets one loan.  The loan records in HIL say,
 * not SLURM's marks (a slurmctld killed with -9 may have lost the
 * reservations and drains of a loan it had just seen made): every SLURM
 * node is read from HIL, those SLURM's marks point at first.  One call
 * per node: only after the request was authorized.  Returns 1 with the
 * loan's name in buf, 0 when it has none, or a negative errno (err set
 * for a HIL failure).
 */
static int req_job_loan(struct loan_mgr *m, const struct slurmapi_job *job,
			unsigned long jobid, char **skip, char *buf,
			size_t buflen, struct hil_error *err)
{
	struct slurmapi_resv *rv = NULL;
	struct slurmapi_node *sn = NULL;
	size_t n_rv = 0, n_sn = 0, n = 0;
	char **names = NULL, tag[32];
	struct hilx_job hj = req_job(job, jobid);
	struct req_resvs resvs;
	struct names_loan nl;
	int r;

	r = slurmapi_resvs(m->conf->prefix, &rv, &n_rv);
	if (r >= 0)
		r = slurmapi_nodes(&sn, &n_sn);
	if (r < 0)
		goto out;
	snprintf(tag, sizeof(tag), "_%lu_", (unsigned long)job->uid);
	for (size_t i = 0; i < n_rv && r >= 0; i++) {
		char **h = NULL;

		if (names_loan_parse(rv[i].name, m->conf->prefix, &nl) < 0 ||
		    nl.uid != job->uid ||
		    slurmapi_hostlist_expand(rv[i].nodes, &h) < 0)
			continue;
		for (size_t k = 0; h[k] && r >= 0; k++)
			r = req_add_other(&names, &n, skip, h[k]);
		slurmapi_strv_free(h);
	}
	for (size_t i = 0; i < n_sn && r >= 0; i++)
		if (names_reason_ours(sn[i].reason) &&
		    strstr(sn[i].reason, tag))
			r = req_add_other(&names, &n, skip, sn[i].name);
	for (size_t i = 0; i < n_sn && r >= 0; i++)
		r = req_add_other(&names, &n, skip, sn[i].name);
	if (r < 0)
		goto out;
	resvs = (struct req_resvs){rv, n_rv};
	r = hilx_job_loan(m->hil, names, &hj, req_committed, &resvs, buf,
			  buflen, err);
out:
	hil_strv_free(names);
	slurmapi_resvs_free(rv, n_rv);
	slurmapi_nodes_free(sn, n_sn);
	return r;
}

/* Undo a lend request that could not be completed. */
static void req_rollback(struct loan_mgr *m, struct pnode *v, size_t n,
			 const char *loan)
{
	if (n == 0)
		return;
	hslog_notice("loan '%s': request not completed; its records are "
		     "removed",
		     loan);
	for (size_t i = 0; i < n; i++) {
		struct hil_error err = {0};

		if (hilx_meta_delete(m->hil, v[i].name, &err) < 0)
			hslog_warn("loan '%s': node '%s': could not delete its "
				   "loan record: %s (the next pass will)",
				   loan, v[i].name, err.msg);
	}
}

/*
 * A lend request: cheap checks first (slurmctld's job, the job's own
 * nodes in HIL), then the user's access, and only then the look for a
 * loan the job holds elsewhere, which reads every SLURM node from hild.
 * fd is the hook's connection: a hook that gave up waiting has the job
 * requeued, so nothing is committed for it.
 */
static int req_lend(struct loan_mgr *m, const struct ctl_req *req, int fd,
		    char *reply, size_t len)
{
	const char *user = ctl_get(req, "user"),
		   *project = ctl_get(req, "project");
	const char *nodes = ctl_get(req, "nodes");
	char loan[NAMES_LOAN_MAX + 1], reason[NAMES_REASON_MAX], when[32];
	char comment[1024];
	struct slurmapi_job job = {0};
	struct hilx_meta meta = {0};
	struct hil_error err = {0};
	struct hilx_job hj;
	unsigned long jobid, uid;
	char **names = NULL, **want = NULL;
	struct pnode *v = NULL;
	size_t n = 0;
	const char *reuse = NULL, *held = NULL;
	long long now = time(NULL), end, start;
	struct tm tm;
	int r, ret = -1;

	if (req_number(ctl_get(req, "job"), 4294967294UL, &jobid) < 0 ||
	    jobid == 0 ||
	    req_number(ctl_get(req, "uid"), 4294967294UL, &uid) < 0 || !nodes) {
		REPLY("refused malformed lend request");
		return -1;
	}
	if (!project || names_project_check(project) < 0) {
		REPLY("refused invalid HIL project name");
		return -1;
	}
	if (!user || names_user_check(user) < 0) {
		REPLY("refused user name '%.64s' cannot name a loan",
		      user ? user : "");
		return -1;
	}
	r = slurmapi_job((uint32_t)jobid, &job);
	if (r == -ENOENT) {
		REPLY("refused no job %lu", jobid);
		return -1;
	}
	if (r < 0) {
		REPLY("error could not ask slurmctld about job %lu: %s", jobid,
		      slurmapi_error());
		return -1;
	}
	if (job.uid != uid || !job.running || !job.nodes) {
		REPLY("refused job %lu is not a running job of uid %lu", jobid,
		      uid);
		goto out;
	}
	if (slurmapi_hostlist_expand(job.nodes, &names) < 0 ||
	    slurmapi_hostlist_expand(nodes, &want) < 0) {
		REPLY("error could not read the job's nodes");
		goto out;
	}
	n = hil_strv_length(names);
	if (n == 0 || n > LOAN_MAX_NODES || hil_strv_length(want) != n) {
		REPLY("refused job %lu runs on '%.*s', not '%.*s'", jobid,
		      LOAN_REPLY_NODES, job.nodes, LOAN_REPLY_NODES, nodes);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], want[i]) != 0) {
			REPLY("refused job %lu runs on '%.*s', not '%.*s'",
			      jobid, LOAN_REPLY_NODES, job.nodes,
			      LOAN_REPLY_NODES, nodes);
			goto out;
		}
	v = calloc(n, sizeof(*v));
	if (!v) {
		REPLY("error out of memory");
		goto out;
	}
	if (req_show(m, names, v, reply, len) < 0)
		goto out;
	hj = req_job(&job, jobid);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].hn) {
			REPLY("refused node '%s' is not registered in HIL",
			      v[i].name);
			goto out;
		}
		if (v[i].bad_meta) {
			REPLY("refused node '%s' holds an unreadable loan "
			      "record",
			      v[i].name);
			goto out;
		}
		if (v[i].meta && !hilx_meta_same_job(v[i].meta, &hj)) {
			REPLY("refused node '%s' is on loan '%s' already",
			      v[i].name, v[i].meta->loan);
			goto out;
		}
		if (v[i].meta) {
			reuse = v[i].meta->loan;
			if (v[i].meta->phase != HILX_REQUESTED)
				held = v[i].meta->loan;
			continue;
		}
		if (!loan_same(v[i].hn->project, m->conf->project)) {
			REPLY("refused node '%s' is not in HIL project '%s'",
			      v[i].name, m->conf->project);
			goto out;
		}
	}
	/* The same job asked before (a retry of the hook) and its loan went
	 * past the request on one of these nodes: same answer, and no record
	 * is written back as a fresh request. */
	if (held) {
		REPLY("ok %s", held);
		ret = 0;
		goto out;
	}
	if (req_authorize(m, uid, user, project, reply, len) < 0)
		goto out;
	r = req_job_loan(m, &job, jobid, names, loan, sizeof(loan), &err);
	if (r < 0) {
		REPLY("error could not look for job %lu's loan: %s", jobid,
		      err.status || err.msg[0] ? err.msg : slurmapi_error());
		goto out;
	}
	if (r == 1) {
		hslog_notice(
			"loan '%s': job %lu asked again, on '%s' (slurmctld "
			"ran it again); it keeps its loan",
			loan, jobid, job.nodes);
		REPLY("ok %s", loan);
		ret = 0;
		goto out;
	}
	end = job.end ? job.end : now + (long long)m->conf->max_loan * 60;
	if (end > now + (long long)m->conf->max_loan * 60)
		end = now + (long long)m->conf->max_loan * 60;
	if (end - now < (long long)m->conf->min_loan + LOAN_RESV_SLACK) {
		REPLY("refused job %lu's time limit leaves no time for a loan",
		      jobid);
		goto out;
	}
	start = job.start > 0 ? job.start : now;
	if (reuse) {
		snprintf(loan, sizeof(loan), "%s", reuse);
	} else if ((r = req_loan_name(m, user, uid, start, loan,
				      sizeof(loan))) < 0) {
		if (r == -ECONNREFUSED)
			REPLY("error could not list reservations: %s",
			      slurmapi_error());
		else
			REPLY("error no free loan name for user '%s'", user);
		goto out;
	}
	meta = (struct hilx_meta){
		.loan = loan,
		.project = (char *)project,
		.home = m->conf->project,
		.user = (char *)user,
		.nodes = job.nodes,
		.uid = uid,
		.job = (uint32_t)jobid,
		.submit = (long long)job.submit,
		.end = end,
		.phase = HILX_REQUESTED,
	};
	for (size_t i = 0; i < n; i++) {
		r = hilx_meta_put(m->hil, v[i].name, &meta, &err);
		if (r < 0) {
			REPLY("error could not record the loan on node '%s': "
			      "%s",
			      v[i].name, err.msg);
			req_rollback(m, v, i, loan);
			goto out;
		}
		loan_touch(m, v[i].name);
	}
	/* The reservation is the commit: none for a hook that is gone. */
	if (ctl_peer_gone(fd)) {
		REPLY("error the hook gave up waiting");
		hslog_notice("loan '%s': job %lu: the hook gave up waiting "
			     "before the loan was committed",
			     loan, jobid);
		req_rollback(m, v, n, loan);
		goto out;
	}
	r = slurmapi_resv_create(loan, job.nodes, user, (time_t)end);
	if (r < 0 && r != -EEXIST) {
		REPLY("error could not create reservation '%s': %s", loan,
		      slurmapi_error());
		req_rollback(m, v, n, loan);
		goto out;
	}
	/* Committed.  What follows the next pass would do as well. */
	meta.phase = HILX_RESERVED;
	for (size_t i = 0; i < n; i++)
		if (hilx_meta_put(m->hil, v[i].name, &meta, &err) < 0)
			hslog_warn("loan '%s': node '%s': could not mark it "
				   "reserved: %s (the next pass will)",
				   loan, v[i].name, err.msg);
	if (names_reason_format(reason, sizeof(reason), project, loan) == 0 &&
	    slurmapi_node_drain(job.nodes, reason) < 0)
		hslog_warn("loan '%s': could not drain '%s': %s", loan,
			   job.nodes, slurmapi_error());
	localtime_r(&(time_t){(time_t)end}, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	hslog_notice("loan '%s': accepted: job %lu of uid %lu ('%s') lends "
		     "'%s' to project '%s' until %s",
		     loan, jobid, uid, user, job.nodes, project, when);
	snprintf(comment, sizeof(comment),
		 "hil: loan %s: nodes %.512s lent to HIL project %s until %s",
		 loan, job.nodes, project, when);
	if (slurmapi_job_update((uint32_t)jobid, comment, -1) < 0)
		hslog_warn("loan '%s': could not comment job %lu: %s", loan,
			   jobid, slurmapi_error());
	REPLY("ok %s", loan);
	ret = 0;
out:
	req_nodes_clear(v, n);
	slurmapi_strv_free(names);
	slurmapi_strv_free(want);
	slurmapi_job_clear(&job);
	return ret;
}

static int req_release(struct loan_mgr *m, const struct ctl_req *req,
		       char *reply, size_t len)
{
	const char *loan = ctl_get(req, "loan");
	char twin[NAMES_LOAN_MAX + 1], why[128], **all = NULL;
	struct slurmapi_resv *rv = NULL;
	struct slurmapi_node *sn = NULL;
	unsigned long jobid, uid;
	struct names_loan nl;
	size_t n_rv = 0, n_sn = 0, n = 0, shown = 0, found = 0;
	struct pnode *v = NULL;
	int r = 0, ret = -1;

	if (req_number(ctl_get(req, "job"), 4294967294UL, &jobid) < 0 ||
	    req_number(ctl_get(req, "uid"), 4294967294UL, &uid) < 0 || !loan) {
		REPLY("refused malformed release request");
		return -1;
	}
	if (names_loan_parse(loan, m->conf->prefix, &nl) < 0 ||
	    nl.kind != NAMES_RESERVE) {
		REPLY("refused '%.200s' is not the name of a loan "
		      "(%sreserve_<user>_<uid>_<start>)",
		      loan, m->conf->prefix);
		return -1;
	}
	if (uid != 0 && uid != nl.uid) {
		REPLY("refused uid %lu may not release loan '%s': it belongs "
		      "to uid %lu",
		      uid, loan, nl.uid);
		hslog_notice("loan '%s': release by uid %lu (job %lu) refused",
			     loan, uid, jobid);
		return -1;
	}
	if (names_loan_twin(twin, sizeof(twin), loan, m->conf->prefix) < 0 ||
	    slurmapi_resvs(m->conf->prefix, &rv, &n_rv) < 0 ||
	    slurmapi_nodes(&sn, &n_sn) < 0) {
		REPLY("error could not ask slurmctld: %s", slurmapi_error());
		goto out;
	}
	/* Its nodes: those its reservations hold or that carry its drain
	 * reason, and those their records name (a slurmctld killed with -9
	 * may have lost some marks).  With no mark at all, those the passes
	 * since the last full one found in the loan: a release is not worth
	 * a call per SLURM node. */
	for (size_t i = 0; i < n_sn && n < LOAN_MAX_NODES && r >= 0; i++) {
		bool in = sn[i].reason && names_reason_ours(sn[i].reason) &&
			  strstr(sn[i].reason, loan) != NULL;

		for (size_t j = 0; j < n_rv && !in; j++) {
			char **h = NULL;

			if ((strcmp(rv[j].name, loan) != 0 &&
			     strcmp(rv[j].name, twin) != 0) ||
			    slurmapi_hostlist_expand(rv[j].nodes, &h) < 0)
				continue;
			for (size_t q = 0; h[q] && !in; q++)
				in = strcmp(h[q], sn[i].name) == 0;
			slurmapi_strv_free(h);
		}
		if (in)
			r = req_add_name(&all, &n, sn[i].name);
	}
	if (n == 0 && loan_known_nodes(m, loan)) {
		char *const *k = loan_known_nodes(m, loan);

		for (size_t i = 0; k[i] && n < LOAN_MAX_NODES && r >= 0; i++)
			r = req_add_name(&all, &n, k[i]);
	}
	if (r < 0) {
		REPLY("error out of memory");
		goto out;
	}
	if (n == 0) {
		REPLY("refused unknown loan '%s': no reservation, drained "
		      "node or loan record names it (it may have ended)",
		      loan);
		goto out;
	}
	v = calloc(LOAN_MAX_NODES + 1, sizeof(*v));
	if (!v) {
		REPLY("error out of memory");
		goto out;
	}
	if (req_show(m, all, v, reply, len) < 0)
		goto out;
	shown = n;
	for (size_t i = 0; i < shown && r >= 0; i++) {
		char **h = NULL;

		if (!v[i].meta || strcmp(v[i].meta->loan, loan) != 0 ||
		    slurmapi_hostlist_expand(v[i].meta->nodes, &h) < 0)
			continue;
		for (size_t k = 0; h[k] && n < LOAN_MAX_NODES && r >= 0; k++)
			r = req_add_name(&all, &n, h[k]);
		slurmapi_strv_free(h);
	}
	if (r < 0) {
		REPLY("error out of memory");
		goto out;
	}
	if (n > shown && req_show(m, all + shown, v + shown, reply, len) < 0)
		goto out;
	snprintf(why, sizeof(why), "released by uid %lu (job %lu)", uid, jobid);
	for (size_t i = 0; i < n; i++) {
		struct hil_error err = {0};
		struct hilx_meta *mm = v[i].meta;

		if (!mm || strcmp(mm->loan, loan) != 0)
			continue;
		found++;
		if (mm->phase == HILX_RETURNING)
			continue;
		free(mm->why);
		mm->why = strdup(why);
		mm->phase = HILX_RETURNING;
		if (!mm->why ||
		    hilx_meta_put(m->hil, v[i].name, mm, &err) < 0) {
			REPLY("error could not mark node '%s' returning: %s",
			      v[i].name, err.msg);
			goto out;
		}
		loan_touch(m, v[i].name);
		hslog_info("loan '%s': node '%s': returning: %s", loan,
			   v[i].name, why);
	}
	if (!found) {
		REPLY("refused there is no loan '%s' (it may have ended)",
		      loan);
		goto out;
	}
	hslog_notice("loan '%s': %s", loan, why);
	REPLY("ok loan %s: %zu node%s going back to SLURM", loan, found,
	      found == 1 ? "" : "s");
	ret = 0;
out:
	req_nodes_clear(v, n);
	hil_strv_free(all);
	slurmapi_resvs_free(rv, n_rv);
	slurmapi_nodes_free(sn, n_sn);
	return ret;
}

int loan_request(struct loan_mgr *m, const struct ctl_req *req, uid_t peer,
		 int fd, char *reply, size_t len)
{
	(void)peer;
	/* Every path below writes its own; none may leave it unset. */
	REPLY("error the request could not be answered");
	if (strcmp(req->verb, "lend") == 0)
		return req_lend(m, req, fd, reply, len) < 0 ? -1 : 0;
	if (strcmp(req->verb, "release") == 0)
		return req_release(m, req, reply, len) < 0 ? -1 : 0;
	if (strcmp(req->verb, "poke") == 0) {
		REPLY("ok");
		return LOAN_SOON_MS;
	}
	REPLY("refused unknown request '%.32s'", req->verb);
	return -1;
}
