#!/bin/bash
# slurm-crash.sh - kill -9 of the loan manager, of hild and of slurmctld at
# several points of a lend and of a return; after a restart everything
# converges, and no node is lost or lent twice.
#
# The cluster is slurm-loan.sh's, with hild on local users and hil-slurm
# on HTTP Basic auth.  Each round lends two nodes (sbatch -N2
# --hil-project=foo) and releases them (sbatch --hil-release), with a kill
# armed on one line of hil-slurm's log in the lend and one in the return:
# the moment hil-slurm logs it, the victim gets SIGKILL, and is started
# again once the kill happened.  After each half the state must converge
# to "lent" (the loan's nodes in foo with their records, drained, in both
# reservations; every other node home) or "home" (no record, no
# reservation, every node idle in SLURM and in project slurm), with no
# node free in HIL.  TAP on stdout.
set -u
umask 077
. "$(dirname "$0")/lib-hild.sh"
. "$(dirname "$0")/lib-auth.sh"
. "$(dirname "$0")/lib-slurm.sh"

HIL_AUTH_MODE=local
CONVERGE=90     # s allowed to converge after a restart
ARM_TIMEOUT=300 # s an armed kill waits for its moment

slurm_require
hild_setup
trap 'disarm; slurm_cleanup' EXIT
chmod 755 "$W"
munge_start "$W/munge" || tap_bail "munged did not start"
slurm_setup || tap_bail "could not write the SLURM configuration"
hil_setup || { hild_log_tail; tap_bail "could not set hild up"; }
hs_config
slurm_start || tap_bail "the SLURM cluster did not come up"
hs_start || tap_bail "no loan manager"

# ------------------------------------------------------------------ kills
ARMED=
disarm() {
	if [ -n "$ARMED" ]; then
		kill "$ARMED" 2>/dev/null
		wait "$ARMED" 2>/dev/null
	fi
	ARMED=
}

# arm VICTIM PATTERN: SIGKILL VICTIM (hil-slurm, hild or slurmctld) the
# moment hil-slurm's log gets a line matching PATTERN (an extended regular
# expression).  tail -F wakes on each write (inotify), so the kill follows
# the line closely even on a loaded machine, and the watch costs nothing
# while the log is quiet.
arm() {
	local victim=$1 pat=$2 pid comm from
	case $victim in
	hil-slurm) pid=$HS_PID comm=hil-slurm ;;
	hild) pid=$HILD_PID comm=hild ;;
	slurmctld) pid=$CTLD_PID comm=slurmctld ;;
	esac
	from=$(wc -l <"$HS_LOG")
	rm -f "$W/fired"
	(
		exec 3< <(exec timeout "$ARM_TIMEOUT" tail -n +"$((from + 1))" -F "$HS_LOG" 2>/dev/null)
		tailpid=$!
		trap 'kill "$tailpid" 2>/dev/null; exit 0' TERM
		while IFS= read -r line <&3; do
			if [[ $line =~ $pat ]]; then
				slurm_kill KILL "$pid" "$comm" && echo "$victim" >"$W/fired"
				break
			fi
		done
		kill "$tailpid" 2>/dev/null
		exit 0
	) &
	ARMED=$!
}

# The armed kill happened; start the victim again.  A test point.
revive() {
	local victim=$1 desc=$2 rc=0
	local deadline=$((SECONDS + ARM_TIMEOUT))
	while [ $SECONDS -lt $deadline ]; do
		[ -s "$W/fired" ] && break
		kill -0 "$ARMED" 2>/dev/null || break
		sleep 0.1
	done
	disarm
	if [ ! -s "$W/fired" ]; then
		tap_ok 1 "kill -9 $victim $desc: the moment never came"
		slurm_diag 15
		return 1
	fi
	case $victim in
	hil-slurm)
		wait "$HS_PID" 2>/dev/null
		hs_start || rc=1
		;;
	hild)
		wait "$HILD_PID" 2>/dev/null
		HILD_PID=
		hild_start slurm || rc=1
		;;
	slurmctld)
		wait "$CTLD_PID" 2>/dev/null
		slurm_start_ctld || rc=1
		;;
	esac
	tap_ok $rc "kill -9 $victim $desc, and start it again"
	echo "--- kill -9 $victim $desc" >>"$HS_LOG.marks"
	return $rc
}

# ------------------------------------------------------------------ states
ALL=()
for n in $(seq "$SLURM_NODES"); do ALL+=("n$n"); done
hostnames() { scontrol show hostnames "$1" | tr '\n' ' ' | sed 's/ $//'; }
resv_nodes() { hostnames "$(scontrol -o show res "$1" 2>/dev/null | sed -n 's/.* Nodes=\([^ ]*\).*/\1/p')"; }
WHY=

# No node is free in HIL: each is in slurm or in foo (a node is in one
# project at most, so none is lent twice there).
none_lost() {
	hilapi GET nodes/free >/dev/null && [ "$(jq length "$W/api.out")" = 0 ]
}

# lent LOAN NODES...: the loan holds exactly NODES, lent; the rest home.
lent() {
	local loan=$1 n rec
	shift
	local want=" $* "
	none_lost || { WHY="a node is free in HIL"; return 1; }
	[ "$(scontrol -o show res 2>/dev/null | grep -c '^ReservationName=flexalloc_MOC_')" = 2 ] ||
		{ WHY="not exactly the loan's two reservations"; return 1; }
	[ "$(resv_nodes "$loan")" = "$*" ] && [ "$(resv_nodes "${loan/_reserve_/_release_}")" = "$*" ] ||
		{ WHY="reservations do not hold $*"; return 1; }
	for n in "${ALL[@]}"; do
		rec=$(hil_meta_of "$n")
		if [[ $want == *" $n "* ]]; then
			[ "$(hil_project_of "$n")" = foo ] &&
				jq -e --arg l "$loan" '.phase == "lent" and .loan == $l' <<<"$rec" >/dev/null &&
				[ "$(node_reason "$n")" = "hil:lent:foo:$loan" ] && [[ $(node_state "$n") == drain* ]] &&
				! slurmd_pid "$n" >/dev/null || { WHY="$n is not lent"; return 1; }
		else
			[ "$(hil_project_of "$n")" = slurm ] && [ -z "$rec" ] &&
				[ "$(node_state "$n")" = idle ] || { WHY="$n is not home"; return 1; }
		fi
	done
}

home() {
	none_lost || { WHY="a node is free in HIL"; return 1; }
	all_home || { WHY="not every node is home"; return 1; }
	local n
	for n in "${ALL[@]}"; do
		[ "$(hil_nets_of "$n")" = "vlan/native=slurm-net " ] || { WHY="$n lost slurm-net"; return 1; }
	done
}

# reaping PREDICATE [ARGS...]: PREDICATE, once SLURM's phantom jobs (see
# slurm_reap_phantoms) are cancelled: they are slurmctld's own loss, which
# no loan manager can repair, and they hold nodes until their time limit.
reaping() {
	local id
	for id in $(slurm_reap_phantoms); do
		echo "# job $id: RUNNING in slurmctld, gone from its node; cancelled"
	done
	"$@"
}

converge() { # DESCRIPTION PREDICATE [ARGS...]
	local desc=$1
	shift
	WHY=
	if ! wait_for "$CONVERGE" "$desc" reaping "$@"; then
		echo "# $WHY"
		slurm_diag 25
		return 1
	fi
}

# current: "LOAN NODES" of the committed loan records in HIL (the ground
# truth: a slurmctld killed with -9 may forget the job, a hil-slurm
# killed in the middle of the request never logs it, and a record still
# "requested" may be dropped).
current() {
	local n rec
	for n in "${ALL[@]}"; do
		rec=$(hil_meta_of "$n")
		[ -n "$rec" ] || continue
		jq -r 'select(.phase != "requested") | "\(.loan) \(.nodes)"' <<<"$rec" | grep . && return 0
	done
	return 1
}

# ------------------------------------------------------------------ rounds
# round LEND-VICTIM LEND-PATTERN RETURN-VICTIM RETURN-PATTERN
ROUND=0
round() {
	local lv=$1 lp=$2 rv=$3 rp=$4 job loan nodes
	ROUND=$((ROUND + 1))
	arm "$lv" "$lp"
	job=$(as_user "$U_OWNER" sbatch --parsable -N2 -t 30 --hil-project=foo -o /dev/null --wrap true)
	revive "$lv" "during a lend (at /$lp/)" || return 1
	for _ in $(seq 300); do
		read -r loan nodes <<<"$(current)"
		[ -n "$loan" ] && break
		sleep 0.1
	done
	if [ -z "$loan" ]; then
		tap_ok 1 "round $ROUND: job $job made a loan"
		scontrol show job "$job" 2>&1 | tap_diag
		slurm_diag 25
		return 1
	fi
	nodes=$(hostnames "$nodes")
	# shellcheck disable=SC2086
	converge "round $ROUND: the lend converges: $nodes lent to foo, the rest home" lent "$loan" $nodes ||
		return 1
	arm "$rv" "$rp"
	# A batch job: an srun would wait for a slurmctld that may be killed
	# (and an allocation whose srun is gone outlives it).
	as_user "$U_OWNER" sbatch -N1 --hil-release="$loan" -o /dev/null --wrap true >"$W/out" 2>&1 ||
		{ echo "# release job:"; tap_diag <"$W/out"; }
	revive "$rv" "during the return (at /$rp/)" || return 1
	converge "round $ROUND: the return converges: every node home, on slurm-net" home
}

# After a failed round: release whatever is lent (as root, who may), so
# that the next round starts from home.
reset() {
	local loan
	disarm
	for loan in $(scontrol -o show res 2>/dev/null |
		sed -n 's/^ReservationName=\(flexalloc_MOC_reserve_[^ ]*\).*/\1/p'); do
		sbatch -N1 --hil-release="$loan" -o /dev/null --wrap true >/dev/null 2>&1
	done
	wait_for "$CONVERGE" "after a failed round, everything is home again" reaping home
}

Q="'[^']*'"
round hil-slurm "request from uid 0: lend" \
	hil-slurm "returning: released" || reset
round hild "node $Q: lending \(" \
	hild "node $Q: now in project 'slurm'" || reset
round slurmctld "node $Q: powered off" \
	slurmctld "node $Q: powered on" || reset
round hil-slurm "node $Q: left project 'slurm'" \
	hil-slurm "node $Q: resumed in SLURM" || reset
round slurmctld "node $Q: lent to project" \
	hil-slurm "node $Q: left project 'foo'" || reset
round hild "reservation $Q of $Q created" \
	hild "node $Q: powered off" || reset

# The SLURM side is re-asserted from HIL: reservations and drains that
# slurmctld lost come back.
job=$(as_user "$U_OWNER" sbatch --parsable -N1 -t 30 --hil-project=foo -o /dev/null --wrap true)
for _ in $(seq 300); do read -r loan node <<<"$(current)"; [ -n "$loan" ] && break; sleep 0.1; done
converge "a one-node loan ($node)" lent "$loan" "$node"
scontrol delete reservation="$loan" >/dev/null 2>&1 &&
	scontrol delete reservation="${loan/_reserve_/_release_}" >/dev/null 2>&1 &&
	scontrol update nodename="$node" state=resume >/dev/null 2>&1
tap_ok $? "an admin deletes its reservations and resumes $node behind its back"
converge "the next pass puts the reservations and the drain back" lent "$loan" "$node"
scontrol create reservation=flexalloc_MOC_reserve_ghost_4711_1 nodes="${ALL[0]}" \
	users=root starttime=now duration=60 flags=maint,ignore_jobs >/dev/null 2>&1
tap_ok $? "a reservation of the prefix that no loan explains is made"
gone() { ! scontrol show res flexalloc_MOC_reserve_ghost_4711_1 >/dev/null 2>&1; }
wait_for 30 "and deleted by the loan manager" gone
as_user "$U_OWNER" sbatch -N1 --hil-release="$loan" -o /dev/null --wrap true >/dev/null 2>&1
converge "released, everything is home" home

[ "$(grep -c '^--- kill -9' "$HS_LOG.marks" 2>/dev/null)" = 12 ]
tap_ok $? "all 12 kills happened"
hs_stop
tap_ok $? "hil-slurm exits 0 after SIGTERM"
! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$HS_LOG" "$W/hook.log"
tap_ok $? "hil-slurm and the hook are free of sanitizer reports"
hild_stop slurm
tap_finish
