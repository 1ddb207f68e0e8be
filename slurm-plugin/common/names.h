/*
 * names.h - the names the SLURM integration shares between the SPANK
 * plugin, the controller hook, the loan manager and the job_submit plugin:
 * HIL project names, loan (reservation) names and drain reasons.
 *
 * Pure string code with no allocation, so the SPANK plugin, which runs
 * inside sbatch, srun and slurmstepd, can check a name exactly as the loan
 * manager will.
 *
 * A loan is named after the reservation that pins its nodes:
 *   <prefix>reserve_<user>_<uid>_<start>   the loan (requested or active)
 *   <prefix>release_<user>_<uid>_<start>   its nodes are lent
 * The prefix defaults to "flexalloc_MOC_", the names ULSR used.  Names are
 * parsed from the right: a user name may hold '_'.
 */
#ifndef HIL_SLURM_NAMES_H
#define HIL_SLURM_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define NAMES_DEFAULT_PREFIX "flexalloc_MOC_"
#define NAMES_PROJECT_MAX    64	 /* a HIL label, bytes */
#define NAMES_USER_MAX	     64	 /* a user name in a loan name, bytes */
#define NAMES_PREFIX_MAX     32	 /* the reservation prefix, bytes */
#define NAMES_LOAN_MAX	     192 /* a loan or reservation name, bytes */
#define NAMES_REASON_MAX     320 /* a drain reason, bytes */
#define NAMES_UID_MAX	     4294967294UL
#define NAMES_START_MAX	     99999999999LL /* epoch seconds, 11 digits */

/* The drain reason of a lent node starts with this. */
#define NAMES_REASON_LENT "hil:lent:"
/* Every reason the loan manager sets starts with this. */
#define NAMES_REASON_OURS "hil:"

enum names_kind {
	NAMES_RESERVE,
	NAMES_RELEASE,
};

struct names_loan {
	enum names_kind kind;
	char user[NAMES_USER_MAX + 1];
	unsigned long uid;
	long long start;
};

/*
 * A HIL project name a job may borrow nodes into: 1 to NAMES_PROJECT_MAX
 * of the characters HIL allows in a label except space (letters, digits
 * and $_.+!*'(),-).  Returns 0 or -EINVAL.
 */
int names_project_check(const char *name);

/*
 * A user name that can appear in a loan name: 1 to NAMES_USER_MAX
 * letters, digits, '.', '_' or '-', not starting with '-'.  Returns 0 or
 * -EINVAL.
 */
int names_user_check(const char *user);

/*
 * A reservation prefix: 1 to NAMES_PREFIX_MAX letters, digits, '_' or
 * '-'.  Returns 0 or -EINVAL.
 */
int names_prefix_check(const char *prefix);

/*
 * Write the loan name of kind for (user, uid, start) into buf.  Returns
 * 0, -EINVAL (a bad part) or -ENAMETOOLONG.
 */
int names_loan_format(char *buf, size_t len, const char *prefix,
		      enum names_kind kind, const char *user, unsigned long uid,
		      long long start);

/*
 * Parse a loan name that starts with prefix.  Returns 0 with *ret_loan
 * filled, or -EINVAL when name is not one.
 */
int names_loan_parse(const char *name, const char *prefix,
		     struct names_loan *ret_loan);

/*
 * The name of the other reservation of the same loan (reserve <->
 * release).  Returns 0, -EINVAL or -ENAMETOOLONG.
 */
int names_loan_twin(char *buf, size_t len, const char *name,
		    const char *prefix);

/*
 * The drain reason of a node lent to project under loan:
 * "hil:lent:<project>:<loan>".  Returns 0, -EINVAL or -ENAMETOOLONG.
 */
int names_reason_format(char *buf, size_t len, const char *project,
			const char *loan);

/* True when reason is one the loan manager sets ("hil:..."). */
bool names_reason_ours(const char *reason);

#endif /* HIL_SLURM_NAMES_H */
