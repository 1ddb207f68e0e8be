#!/bin/bash
# slurm-bench.sh [BUILDDIR] - how long a SLURM loan takes, end to end, on
# the SLURM suite's private cluster (tests/integration/lib-slurm.sh: four
# slurmd, hild on SQLite with the slurmd OBM driver and the mock switch,
# hil-slurm, the hook and the plugins), beside ULSR's 5-minute cron.
#
# Each of BENCH_REPS rounds (default 5): `sbatch -N2 --hil-project=foo
# --wrap true` as a user, until both nodes are in HIL project foo; then
# `srun -N1 --hil-release=LOAN true`, until both nodes are back in project
# slurm and until they are idle (schedulable) in SLURM.  Prints the
# median, minimum and maximum of each, and the loan manager's own share
# from its log.  BENCH_HOLD=SECONDS keeps each loan that long before its
# release (SLURM notices the stopped slurmd after its ping interval).
# Prints figures; never fails on time.  Needs root and the SLURM packages,
# like the suite.
set -u
umask 077
src=$(cd "$(dirname "$0")/../.." && pwd)
HIL_BUILDDIR=$(cd "${1:-${HIL_BUILDDIR:-.}}" && pwd) || exit 2
HIL_SRCDIR=$src
export HIL_BUILDDIR HIL_SRCDIR
REPS=${BENCH_REPS:-5}
HOLD=${BENCH_HOLD:-0} # seconds a loan is kept before its release

. "$src/tests/integration/lib-hild.sh"
. "$src/tests/integration/lib-auth.sh"
. "$src/tests/integration/lib-slurm.sh"
HIL_AUTH_MODE=local

die() {
	echo "slurm-bench: $*" >&2
	exit 2
}

[ -x "$HIL_BUILDDIR/tests/integration/apitest" ] ||
	die "build the check programs first (make check TESTS=)"
(
	slurm_require
	exit 0
) >/dev/null || die "the SLURM suite's requirements are missing (root, SLURM packages, a build with slurm-plugin)"
grep -q -- '-fsanitize' "$HIL_BUILDDIR/Makefile" 2>/dev/null &&
	grep -q '^SAN_CFLAGS = -f' "$HIL_BUILDDIR/Makefile" &&
	echo "slurm-bench: note: this build has sanitizers; figures include their cost" >&2

hild_setup >/dev/null
trap slurm_cleanup EXIT
chmod 755 "$W"
{
	munge_start "$W/munge" && slurm_setup && hil_setup &&
		hs_config "log_level = info" && slurm_start && hs_start
} >"$W/setup.log" 2>&1 || {
	tail -n 30 "$W/setup.log" >&2
	die "could not set the cluster up"
}

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
# Seconds between the first log line matching $2 and the last matching $3
# after log line $1.
logspan() {
	tail -n +"$(($1 + 1))" "$HS_LOG" | awk -v p="$2" -v q="$3" '
		function t(s) { split(substr(s, 12, 12), a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
		$0 ~ p && !a0 { a0 = t($0) }
		$0 ~ q { b0 = t($0) }
		END { if (a0 && b0) printf "%.3f", b0 - a0; else print "nan" }'
}

in_foo() { # NODES...
	local n
	for n in "$@"; do [ "$(hil_project_of "$n")" = foo ] || return 1; done
}
in_slurm() {
	local n
	for n in "$@"; do
		[ "$(hil_project_of "$n")" = slurm ] && [ -z "$(hil_meta_of "$n")" ] || return 1
	done
}
idle() {
	local n
	for n in "$@"; do [ "$(node_state "$n")" = idle ] || return 1; done
}
poll() { # SECONDS CMD...: poll every 20 ms
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}

lend=() back=() idle_s=() mlend=() mret=()
for r in $(seq "$REPS"); do
	poll 120 all_home || die "round $r: the cluster is not home to start with"
	from=$(wc -l <"$HS_LOG")
	t0=$(now)
	job=$(as_user "$U_OWNER" sbatch --parsable -N2 -t 30 --hil-project=foo -o /dev/null --wrap true) ||
		die "round $r: sbatch failed"
	for _ in $(seq 300); do
		nodes=$(job_field "$job" NodeList)
		[ -n "$nodes" ] && break
		sleep 0.02
	done
	read -r -a N <<<"$(scontrol show hostnames "$nodes" | tr '\n' ' ')"
	poll 120 in_foo "${N[@]}" || die "round $r: the nodes did not reach project foo"
	lend+=("$(since "$t0")")
	loan=$(job_loan "$job")
	mlend+=("$(logspan "$from" "'$loan': accepted" "'$loan': node .*: lent to project")")
	sleep "$HOLD"
	from=$(wc -l <"$HS_LOG")
	t0=$(now)
	as_user "$U_OWNER" srun -N1 --hil-release="$loan" true >/dev/null 2>&1 ||
		die "round $r: the release job failed"
	poll 120 in_slurm "${N[@]}" || die "round $r: the nodes did not come back to project slurm"
	back+=("$(since "$t0")")
	poll 300 idle "${N[@]}" || die "round $r: the nodes did not become idle in SLURM"
	idle_s+=("$(since "$t0")")
	mret+=("$(logspan "$from" "'$loan': released by" "'$loan': node .*: returned to SLURM")")
	printf 'round %d: lend %ss, back in HIL project %ss, idle in SLURM %ss\n' \
		"$r" "${lend[-1]}" "${back[-1]}" "${idle_s[-1]}" >&2
done

stats() { # VALUES...: median min max
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%8.2f %8.2f %8.2f", m, v[1], v[NR] }'
}

echo
echo "SLURM loans, $REPS rounds, 2 nodes each, held ${HOLD} s (seconds: median, min, max)"
echo
printf '%-52s %8s %8s %8s\n' "" median min max
printf '%-52s %s\n' "sbatch -> both nodes in the HIL project" "$(stats "${lend[@]}")"
printf '%-52s %s\n' "  of which hil-slurm: accepted -> last node lent" "$(stats "${mlend[@]}")"
printf '%-52s %s\n' "release job -> nodes back in project slurm" "$(stats "${back[@]}")"
printf '%-52s %s\n' "release job -> nodes idle in SLURM" "$(stats "${idle_s[@]}")"
printf '%-52s %s\n' "  of which hil-slurm: released -> last node resumed" "$(stats "${mret[@]}")"
echo
echo "ULSR (the original glue) acts from a 5-minute cron: each direction waits"
echo "0 to 300 s (150 s on average) for its next run, before any work is done."
hs_stop >/dev/null 2>&1
hild_stop slurm >/dev/null
exit 0
