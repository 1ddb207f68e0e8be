/*
 * job_submit_hil.c - job_submit/hil, the optional submit-time check of
 * jobs that ask for a HIL loan (slurm.conf: JobSubmitPlugins=hil).
 *
 * A job tagged by the SPANK plugin (HIL_PROJECT or HIL_RELEASE in its
 * SPANK job environment) is made non-requeueable: slurmctld must never run
 * it twice, e.g. after its own crash.  A --hil-project job also gets whole
 * nodes (exclusive), since its nodes leave SLURM afterwards, and when
 * hil-slurm.conf names a partition it must run there: without -p it is
 * put there, with another partition it is refused with a message the user
 * sees at submit time.
 *
 * Built from the public slurm/slurm.h only.  slurmctld loads it and
 * already exports the few functions it calls (slurm_info, slurm_error,
 * slurm_xstrdup); strings handed to slurmctld must come from its
 * allocator.  The configuration is read once at init from $HIL_SLURM_CONF
 * or the default path; only 'partition' matters here.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "hsconf.h"
#include "names.h"

/* What slurmctld checks before calling anything. */
const char plugin_name[] = "HIL loan jobs";
const char plugin_type[] = "job_submit/hil";
const uint32_t plugin_version = SLURM_VERSION_NUMBER;

/* Exported by slurmctld (libslurmfull), not declared in slurm.h. */
extern char *slurm_xstrdup(const char *str);
extern void slurm_info(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
extern void slurm_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* slurmctld's job record: passed through, never looked into. */
struct job_record;

#define HIL_SUBMIT_MAX_MSG 512

static char hil_partition[128];

int init(void);
void fini(void);
int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg);
int job_modify(job_desc_msg_t *job_desc, struct job_record *job_ptr,
	       uint32_t submit_uid);

int init(void)
{
	struct hsconf *conf = NULL;
	char err[512];
	int r;

	r = hsconf_load(getenv("HIL_SLURM_CONF"), &conf, err, sizeof(err));
	if (r < 0) {
		/* Still check what can be checked without it. */
		slurm_info("job_submit/hil: %s; HIL jobs may use any "
			   "partition",
			   err);
		return SLURM_SUCCESS;
	}
	snprintf(hil_partition, sizeof(hil_partition), "%s", conf->partition);
	hsconf_free(conf);
	slurm_info("job_submit/hil: loaded; HIL partition '%s'",
		   hil_partition[0] ? hil_partition : "(any)");
	return SLURM_SUCCESS;
}

void fini(void)
{
}

/* The value of name in the SPANK job environment (either spelling). */
static const char *hil_spank_env(const job_desc_msg_t *d, const char *name)
{
	size_t n = strlen(name);

	for (uint32_t i = 0; d->spank_job_env && i < d->spank_job_env_size;
	     i++) {
		const char *e = d->spank_job_env[i];

		if (!e)
			continue;
		if (strncmp(e, "SPANK_", 6) == 0)
			e += 6;
		if (strncmp(e, name, n) == 0 && e[n] == '=')
			return e + n + 1;
	}
	return NULL;
}

static int hil_refuse(char **err_msg, const char *msg)
{
	char buf[HIL_SUBMIT_MAX_MSG];

	snprintf(buf, sizeof(buf), "hil: %.500s", msg);
	if (err_msg)
		*err_msg = slurm_xstrdup(buf);
	return SLURM_ERROR;
}

int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg)
{
	const char *project = hil_spank_env(job_desc, "HIL_PROJECT");
	const char *release = hil_spank_env(job_desc, "HIL_RELEASE");
	char msg[HIL_SUBMIT_MAX_MSG];

	if (!project && !release)
		return SLURM_SUCCESS;
	if (project && release)
		return hil_refuse(err_msg, "--hil-project and --hil-release "
					   "cannot be used together");
	job_desc->requeue = 0;
	if (release)
		return SLURM_SUCCESS;
	if (names_project_check(project) < 0)
		return hil_refuse(err_msg, "invalid --hil-project name");
	job_desc->shared = 0; /* whole nodes */
	if (hil_partition[0]) {
		if (!job_desc->partition) {
			job_desc->partition = slurm_xstrdup(hil_partition);
		} else if (strcmp(job_desc->partition, hil_partition) != 0) {
			snprintf(msg, sizeof(msg),
				 "--hil-project jobs run in partition '%s', "
				 "not '%.128s' (use -p %s)",
				 hil_partition, job_desc->partition,
				 hil_partition);
			return hil_refuse(err_msg, msg);
		}
	}
	slurm_info("job_submit/hil: uid %u: job for HIL project '%s' made "
		   "exclusive and not requeueable",
		   submit_uid, project);
	return SLURM_SUCCESS;
}

int job_modify(job_desc_msg_t *job_desc, struct job_record *job_ptr,
	       uint32_t submit_uid)
{
	(void)job_desc;
	(void)job_ptr;
	(void)submit_uid;
	return SLURM_SUCCESS;
}
