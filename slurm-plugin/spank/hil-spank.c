/*
 * hil-spank.c - the SPANK plugin hil.so: sbatch/salloc/srun options that
 * ask for a HIL loan.
 *
 *   --hil-project=NAME  borrow the job's nodes into HIL project NAME
 *   --hil-release=LOAN  end loan LOAN early (the job may run anywhere)
 *
 * It only checks the value and tags the job: spank_job_control_setenv()
 * makes slurmctld hand SPANK_HIL_PROJECT or SPANK_HIL_RELEASE to
 * PrologSlurmctld and EpilogSlurmctld (hil-slurmctld-hook), which do the
 * rest.  No network I/O, no privileges, nothing but the public spank.h, so
 * one build serves a whole SLURM release series.
 *
 * plugstack.conf:  required /usr/lib/.../hil.so [prefix=flexalloc_MOC_]
 * (prefix: the loan manager's reservation prefix, when not the default).
 */
#include <stdio.h>
#include <string.h>

#include <slurm/spank.h>

#include "names.h"

SPANK_PLUGIN(hil, 1);

#define HIL_SPANK_ARG_PREFIX "prefix="

enum hil_spank_opt {
	HIL_OPT_PROJECT = 1,
	HIL_OPT_RELEASE = 2,
};

/* What the command line asked for; set in the allocator or local
 * context, and in the remote one from the forwarded option. */
static char hil_project[NAMES_PROJECT_MAX + 1];
static char hil_release[NAMES_LOAN_MAX + 1];
static char hil_prefix[NAMES_PREFIX_MAX + 1] = NAMES_DEFAULT_PREFIX;
static int hil_bad_args;

static int hil_opt(int val, const char *optarg, int remote);

static struct spank_option hil_options[] = {
	{"hil-project", "NAME",
	 "Lend the job's nodes to HIL project NAME once the job has run; "
	 "they leave SLURM until the loan ends (the job's time limit) or "
	 "is released",
	 1, HIL_OPT_PROJECT, hil_opt},
	{"hil-release", "LOAN",
	 "End HIL loan LOAN (a " NAMES_DEFAULT_PREFIX
	 "reserve_... name) and give its nodes back to SLURM",
	 1, HIL_OPT_RELEASE, hil_opt},
	SPANK_OPTIONS_TABLE_END,
};

/* plugstack.conf arguments reach every hook that is called. */
static int hil_parse_args(int ac, char **av)
{
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], HIL_SPANK_ARG_PREFIX,
			    strlen(HIL_SPANK_ARG_PREFIX)) == 0) {
			const char *p = av[i] + strlen(HIL_SPANK_ARG_PREFIX);

			if (names_prefix_check(p) < 0) {
				slurm_error("hil: invalid plugstack argument "
					    "'%s'",
					    av[i]);
				return -1;
			}
			snprintf(hil_prefix, sizeof(hil_prefix), "%s", p);
		} else {
			slurm_error("hil: unknown plugstack argument '%s'",
				    av[i]);
			return -1;
		}
	}
	return 0;
}

static int hil_opt(int val, const char *optarg, int remote)
{
	struct names_loan loan;

	(void)remote;
	if (!optarg)
		optarg = "";
	if (val == HIL_OPT_PROJECT) {
		if (names_project_check(optarg) < 0) {
			slurm_error("hil: invalid --hil-project '%.80s': a HIL "
				    "project name is 1 to %d letters, digits "
				    "or $_.+!*'(),-",
				    optarg, NAMES_PROJECT_MAX);
			return -1;
		}
		snprintf(hil_project, sizeof(hil_project), "%s", optarg);
		return 0;
	}
	if (names_loan_parse(optarg, hil_prefix, &loan) < 0 ||
	    loan.kind != NAMES_RESERVE) {
		slurm_error("hil: invalid --hil-release '%.200s': a loan is "
			    "named %sreserve_<user>_<uid>_<start> (see "
			    "'scontrol show reservation')",
			    optarg, hil_prefix);
		return -1;
	}
	snprintf(hil_release, sizeof(hil_release), "%s", optarg);
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	if (hil_parse_args(ac, av) < 0) {
		hil_bad_args = 1;
		return -1;
	}
	/* Registered in every context but slurmd's, so that the value
	 * travels to slurmstepd with the job. */
	if (spank_context() == S_CTX_SLURMD)
		return 0;
	for (int i = 0; hil_options[i].name; i++) {
		spank_err_t e = spank_option_register(sp, &hil_options[i]);

		if (e != ESPANK_SUCCESS) {
			slurm_error("hil: could not register --%s: %s",
				    hil_options[i].name, spank_strerror(e));
			return -1;
		}
	}
	return 0;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();
	spank_err_t e = ESPANK_SUCCESS;

	(void)ac;
	(void)av;
	if (hil_bad_args)
		return -1;
	if (ctx != S_CTX_ALLOCATOR && ctx != S_CTX_LOCAL)
		return 0;
	if (hil_project[0] && hil_release[0]) {
		slurm_error("hil: --hil-project and --hil-release cannot be "
			    "used together");
		return -1;
	}
	/* For slurmctld's PrologSlurmctld/EpilogSlurmctld environment
	 * (SPANK_HIL_PROJECT, SPANK_HIL_RELEASE).  Ignored by slurmctld for
	 * a step inside an existing allocation. */
	if (hil_project[0])
		e = spank_job_control_setenv(sp, "HIL_PROJECT", hil_project, 1);
	else if (hil_release[0])
		e = spank_job_control_setenv(sp, "HIL_RELEASE", hil_release, 1);
	if (e != ESPANK_SUCCESS) {
		slurm_error("hil: could not tag the job: %s",
			    spank_strerror(e));
		return -1;
	}
	return 0;
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	/* The job's tasks learn the project they are lending to. */
	if (hil_project[0] &&
	    spank_setenv(sp, "HIL_PROJECT", hil_project, 1) != ESPANK_SUCCESS)
		slurm_error("hil: could not set HIL_PROJECT for the task");
	return 0;
}
