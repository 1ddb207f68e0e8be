#!/bin/bash
# slurm-loan.sh - SLURM jobs borrow nodes into HIL projects and give them
# back, end to end: a private slurmctld with four slurmd, munged, hild on
# SQLite with MUNGE auth and the slurmd OBM driver (a lent node's slurmd
# really stops), the loan manager with MUNGE auth, the controller hook,
# the SPANK and job_submit plugins.
#
# Shows: the SPANK options and their client-side checks; a borrow (two
# nodes in project foo, powered off through the driver, drained with a
# hil:lent: reason, ports reverted, other jobs kept off them while a job
# on the remaining nodes runs); a release by another user refused and
# changing nothing; a release by the owner returning the nodes (idle, the
# borrower's network gone, slurm-net back); a user without access to the
# project refused with the reason in the job, nodes staying in SLURM; a
# loan whose time limit passes returned by itself; clean exits.
#
# Needs root and the SLURM packages (tests/deps.sh test); fails, never
# skips, without them.  TAP on stdout.
set -u
umask 077
. "$(dirname "$0")/lib-hild.sh"
. "$(dirname "$0")/lib-auth.sh"
. "$(dirname "$0")/lib-slurm.sh"

slurm_require
hild_setup
trap slurm_cleanup EXIT
chmod 755 "$W"
munge_start "$W/munge" || tap_bail "munged did not start"
slurm_setup || tap_bail "could not write the SLURM configuration"
hil_setup || { hild_log_tail; tap_bail "could not set hild up"; }
# Before slurmctld: job_submit/hil reads it when slurmctld starts.
hs_config
slurm_start || tap_bail "the SLURM cluster did not come up"
tap_ok 0 "a private SLURM cluster: slurmctld and $SLURM_NODES slurmd, all idle"
"$HS" -t -f "$HS_CONF" >"$W/t.out" 2>&1
tap_ok $? "hil-slurm -t accepts the configuration"
hs_start
tap_ok $? "hil-slurm starts and listens" || tap_bail "no loan manager"

nodes_in() { # PROJECT: its nodes, sorted, space-separated
	hilapi GET "project/$1/nodes" >/dev/null && jq -r '.[]' "$W/api.out" | sort | tr '\n' ' ' | sed 's/ $//'
}
hostnames() { scontrol show hostnames "$1" | tr '\n' ' ' | sed 's/ $//'; }

# ------------------------------------------------------------------ SPANK
sbatch --help 2>/dev/null | grep -q -- '--hil-project=NAME'
tap_ok $? "sbatch --help lists --hil-project"
srun --help 2>/dev/null | grep -q -- '--hil-release=LOAN'
tap_ok $? "srun --help lists --hil-release"
as_user "$U_OWNER" sbatch --hil-project='no/such name' --wrap true >"$W/out" 2>&1
rc=$?
[ $rc != 0 ] && grep -q "invalid --hil-project" "$W/out"
tap_ok $? "an invalid project name is refused by sbatch itself"
as_user "$U_OWNER" sbatch --hil-release=flexalloc_MOC_reserve_x --wrap true >"$W/out" 2>&1
[ $? != 0 ] && grep -q "invalid --hil-release" "$W/out"
tap_ok $? "a malformed loan name is refused by sbatch itself"
as_user "$U_OWNER" sbatch --hil-project=foo --hil-release=flexalloc_MOC_reserve_nobody_65534_1 \
	--wrap true >"$W/out" 2>&1
[ $? != 0 ] && grep -q "cannot be used together" "$W/out"
tap_ok $? "--hil-project and --hil-release together are refused"
[ -z "$(squeue -h -o %i)" ]
tap_ok $? "none of those reached slurmctld"
as_user "$U_OWNER" sbatch -p other --hil-project=foo --wrap true >"$W/out" 2>&1
[ $? != 0 ] && grep -q "hil: --hil-project jobs run in partition 'batch'" "$W/out"
rc=$?
tap_ok $rc "job_submit/hil refuses a HIL job outside the HIL partition, at submit time"
[ $rc = 0 ] || tap_diag <"$W/out"

# ------------------------------------------------------------------ expiry
# A one-minute loan, started first so that its end overlaps the rest.
EXP_T0=$EPOCHREALTIME
EXP=$(as_user "$U_OWNER" sbatch --parsable -N1 -t 1 --hil-project=foo -o /dev/null --wrap true)
tap_ok $? "sbatch -N1 -t 1 --hil-project=foo (a one-minute loan): job $EXP"
EXP_NODE=
exp_lent() {
	EXP_NODE=$(job_field "$EXP" NodeList)
	[ -n "$EXP_NODE" ] && [ "$(hil_project_of "$EXP_NODE")" = foo ]
}
wait_for 60 "the one-minute loan's node is in project foo" exp_lent || slurm_diag
EXP_LOAN=$(job_loan "$EXP")

# ------------------------------------------------------------------ borrow
T0=$EPOCHREALTIME
JOB=$(as_user "$U_OWNER" sbatch --parsable -N2 -t 30 --hil-project=foo -o /dev/null --wrap true)
tap_ok $? "sbatch -N2 --hil-project=foo --wrap true: job $JOB"
JNODES=
borrowed() {
	JNODES=$(job_field "$JOB" NodeList)
	[ -n "$JNODES" ] || return 1
	local want
	want=$(hostnames "$JNODES $EXP_NODE" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
	[ "$(nodes_in foo)" = "$want" ]
}
wait_for 60 "the job's two nodes are in HIL project foo" borrowed || slurm_diag
LEND_S=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
LOAN=$(job_loan "$JOB")
[ -n "$LOAN" ] && [[ $LOAN == flexalloc_MOC_reserve_${U_OWNER}_$(id -u $U_OWNER)_* ]]
tap_ok $? "the job's AdminComment names its loan ('$LOAN')"
[ "$(job_field "$JOB" OverSubscribe)" = NO ] && [ "$(job_field "$JOB" Requeue)" = 0 ]
tap_ok $? "job_submit/hil made the job exclusive and not requeueable"
[ "$(job_field "$JOB" JobState)" = COMPLETED ]
tap_ok $? "the job itself ran and completed before its nodes left"
read -r -a LENT <<<"$(hostnames "$JNODES")"
ok=0
for n in "${LENT[@]}"; do slurmd_pid "$n" >/dev/null && ok=1; done
tap_ok $ok "the lent nodes are powered off: their slurmd no longer runs (${LENT[*]})"
ok=0
for n in "${LENT[@]}"; do
	[[ $(node_state "$n") == drain* ]] && [ "$(node_reason "$n")" = "hil:lent:foo:$LOAN" ] || ok=1
done
tap_ok $ok "they are drained in SLURM with reason hil:lent:foo:$LOAN"
[ $ok = 0 ] || sinfo -N -o '%N %T %E' | tap_diag
R1=$(scontrol -o show res "$LOAN" 2>/dev/null)
[[ $R1 == *"Flags=MAINT,IGNORE_JOBS"* ]] && [ "$(hostnames "$(sed -n 's/.* Nodes=\([^ ]*\).*/\1/p' <<<"$R1")")" = "${LENT[*]}" ]
tap_ok $? "reservation $LOAN holds exactly the job's nodes (MAINT,IGNORE_JOBS)"
scontrol show res "${LOAN/_reserve_/_release_}" >/dev/null 2>&1
tap_ok $? "its release reservation exists: the nodes are lent"
ok=0
for n in "${LENT[@]}"; do [ -z "$(hil_nets_of "$n")" ] || ok=1; done
tap_ok $ok "their switch ports were reverted: no network left on eth0"
ok=0
for n in "${LENT[@]}"; do jq -e '.phase == "lent" and .project == "foo"' <<<"$(hil_meta_of "$n")" >/dev/null || ok=1; done
tap_ok $ok "each carries a loan record: lent to foo"

# HIL sees the power state through the slurmd OBM driver too.
hil_ok PUT "node/${LENT[0]}/obm" '{"enabled": true}' && hil_ok GET "node/${LENT[0]}/power_status" &&
	[ "$(jq -r .power_status "$W/api.out")" = Off ] && hil_ok PUT "node/${LENT[0]}/obm" '{"enabled": false}'
tap_ok $? "HIL reports ${LENT[0]} powered off (slurmd OBM driver)"

# The borrower uses them through HIL.
code=$(hilapi_as "$U_OWNER" GET project/foo/nodes)
[ "$code" = 200 ] && jq -e --arg n "${LENT[0]}" 'index($n) != null' "$W/api.out" >/dev/null
tap_ok $? "user $U_OWNER sees them in project foo through HIL"
code=$(hilapi_as "$U_OTHER" GET project/foo/nodes)
[ "$code" = 403 ]
tap_ok $? "user $U_OTHER does not (403)"
hil_ok POST "node/${LENT[0]}/nic/eth0/connect_network" '{"network": "foo-net"}' && hil_wait_action
tap_ok $? "the borrower's network foo-net is put on ${LENT[0]}"

# Other jobs cannot use them; a job on the remaining node runs.
BIG=$(as_user "$U_OTHER" sbatch --parsable -N$SLURM_NODES -o /dev/null --wrap true)
sleep 2
[ "$(job_field "$BIG" JobState)" = PENDING ]
tap_ok $? "a job wanting all $SLURM_NODES nodes stays pending ($(job_field "$BIG" Reason))"
scancel "$BIG"
as_user "$U_OTHER" srun -w "${LENT[0]}" --immediate=5 true >"$W/out" 2>&1
tap_ok $(($? == 0)) "a job cannot run on lent node ${LENT[0]}"
REST=$(as_user "$U_OTHER" srun -N1 --immediate=20 bash -c 'echo $SLURMD_NODENAME' 2>"$W/err")
rc=$?
[ $rc = 0 ] && [ -n "$REST" ] && [[ " ${LENT[*]} $EXP_NODE " != *" $REST "* ]]
tap_ok $? "a job on the remaining node runs (on '$REST')"

# ------------------------------------------------------------------ release
as_user "$U_OTHER" srun -N1 --hil-release="$LOAN" true >"$W/out" 2>&1
rc=$?
RJ=$(squeue -h -a -u "$U_OTHER" -o %i 2>/dev/null | tail -n 1)
tap_ok $(($rc == 0)) "a release by $U_OTHER fails"
sleep 1
[ "$(nodes_in foo | wc -w)" -ge 2 ] && scontrol show res "$LOAN" >/dev/null 2>&1 &&
	! grep -q "returning: released" "$HS_LOG"
tap_ok $? "and changes nothing: the nodes stay in foo, the loan stays"
grep -q "release by uid $(id -u $U_OTHER) .* refused" "$HS_LOG"
tap_ok $? "hil-slurm logged the refused release"

# As if slurmctld had lost the loan's marks (killed before it saved
# them): no reservation and no drain names the loan.  The owner's
# release still finds the nodes, from the loan records.
scontrol delete reservation="$LOAN" && scontrol delete reservation="${LOAN/_reserve_/_release_}" &&
	scontrol update nodename="$(IFS=,; echo "${LENT[*]}")" state=resume
ok=$?
for n in "${LENT[@]}"; do [ "$(node_reason "$n")" = "hil:lent:foo:$LOAN" ] && ok=1; done
tap_ok $ok "the loan's reservations and drains are gone from SLURM"
T0=$EPOCHREALTIME
as_user "$U_OWNER" srun -N1 --hil-release="$LOAN" true >"$W/out" 2>&1
tap_ok $? "a release by the owner ($U_OWNER) runs, marks or not" || tap_diag <"$W/out"
returned() {
	local n
	! scontrol show res "$LOAN" >/dev/null 2>&1 &&
		! scontrol show res "${LOAN/_reserve_/_release_}" >/dev/null 2>&1 || return 1
	# Idle alone proves nothing after the resume above: the record
	# goes only once the manager has returned the node.
	for n in "${LENT[@]}"; do
		[ "$(node_state "$n")" = idle ] && [ "$(hil_project_of "$n")" = slurm ] &&
			[ -z "$(hil_meta_of "$n")" ] || return 1
	done
}
wait_for 60 "the nodes are idle in SLURM and back in project slurm" returned || slurm_diag
RETURN_S=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
ok=0
for n in "${LENT[@]}"; do [ "$(hil_nets_of "$n")" = "vlan/native=slurm-net " ] || ok=1; done
tap_ok $ok "their networks are restored: slurm-net back, foo-net gone"
ok=0
for n in "${LENT[@]}"; do slurmd_pid "$n" >/dev/null || ok=1; [ -z "$(hil_meta_of "$n")" ] || ok=1; done
tap_ok $ok "their slurmd runs again and their loan records are gone"
N=$(as_user "$U_OTHER" srun --immediate=30 -w "$(IFS=,; echo "${LENT[*]}")" -N2 bash -c 'echo $SLURMD_NODENAME' 2>/dev/null | sort -u | wc -l)
[ "$N" = 2 ]
tap_ok $? "jobs run on them again"

# ------------------------------------------------------------------ refusals
REF=$(as_user "$U_OTHER" sbatch --parsable -N1 --hil-project=foo -o /dev/null --wrap true)
refused() {
	[ "$(job_field "$REF" JobState)" = CANCELLED ] &&
		[[ $(scontrol -o show job "$REF") == *"AdminComment=hil: refused: HIL user '$U_OTHER' (uid $(id -u $U_OTHER)) has no access to HIL project 'foo'"* ]]
}
wait_for 30 "a user without access to project foo is refused: job cancelled, reason in its AdminComment" refused ||
	scontrol show job "$REF" | tap_diag
[ "$(nodes_in foo)" = "$EXP_NODE" ] || [ -z "$(nodes_in foo)" ]
tap_ok $? "and no node moved to foo"
REF2=$(as_user "$U_OWNER" sbatch --parsable -N1 --hil-project=nosuch -o /dev/null --wrap true)
refused2() {
	[ "$(job_field "$REF2" JobState)" = CANCELLED ] &&
		[[ $(scontrol -o show job "$REF2") == *"AdminComment=hil: refused: there is no HIL project 'nosuch'"* ]]
}
wait_for 30 "a project that does not exist is refused the same way" refused2 ||
	scontrol show job "$REF2" | tap_diag

# ------------------------------------------------------------------ the hook
# Run by hand with slurmctld's environment, against a held job: the
# transient path (no loan manager) and the refusal bound.
HELD=$(as_user "$U_OWNER" sbatch --parsable -H -o /dev/null --wrap true)
hook_env=(env -i SLURM_SCRIPT_CONTEXT=prolog_slurmctld SLURM_JOB_ID="$HELD"
	SLURM_JOB_UID="$(id -u $U_OWNER)" SLURM_JOB_USER="$U_OWNER" SLURM_JOB_NODELIST=n1)
"${hook_env[@]}" "$HS_HOOK" -f /nonexistent/hil-slurm.conf
tap_ok $? "the hook exits 0 at once for a job without HIL options (no configuration read)"
sed -e "s|^socket = .*|socket = $W/nobody-listens.sock|" -e 's|^hook_timeout = .*|hook_timeout = 1|' \
	"$HS_CONF" >"$W/dead.conf"
chmod 600 "$W/dead.conf"
"${hook_env[@]}" SPANK_HIL_PROJECT=foo SLURM_JOB_RESTART_COUNT=0 "$HS_HOOK" -f "$W/dead.conf" 2>>"$W/hook.log"
rc=$?
[ $rc = 1 ] && [ "$(job_field "$HELD" Requeue)" = 1 ] &&
	[[ $(scontrol -o show job "$HELD") == *"AdminComment=hil: will try again (1 of 3): could not reach the loan manager"* ]]
tap_ok $? "without a loan manager the prolog fails and lets SLURM requeue the job (1 of 3)"
"${hook_env[@]}" SPANK_HIL_PROJECT=foo SLURM_JOB_RESTART_COUNT=3 "$HS_HOOK" -f "$W/dead.conf" 2>>"$W/hook.log"
rc=$?
[ $rc = 1 ] && [ "$(job_field "$HELD" Requeue)" = 0 ] &&
	[[ $(scontrol -o show job "$HELD") == *"AdminComment=hil: failed after 4 tries: "* ]]
tap_ok $? "after max_requeue tries it fails for good: not requeueable"
scancel "$HELD"

# ------------------------------------------------------------------ expiry
exp_back() {
	[ "$(hil_project_of "$EXP_NODE")" = slurm ] && [ "$(node_state "$EXP_NODE")" = idle ] &&
		! scontrol show res "$EXP_LOAN" >/dev/null 2>&1
}
wait_for 150 "the one-minute loan ends by itself: $EXP_NODE idle in SLURM again" exp_back || slurm_diag
EXP_S=$(awk -v a="$EXP_T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
grep -q "loan '$EXP_LOAN': node '$EXP_NODE': returning: the loan's time is up" "$HS_LOG"
tap_ok $? "hil-slurm logged why it came back (time is up, after ${EXP_S} s)"
wait_for 30 "everything is home: no loan, no reservation, every node idle and in slurm" all_home || slurm_diag

# ------------------------------------------------------------------ the end
grep -E "loan '$LOAN'" "$HS_LOG" | grep -qE "accepted|lent to project|returned to SLURM"
tap_ok $? "every state change was logged with the loan's name"
hs_stop
tap_ok $? "hil-slurm exits 0 after SIGTERM"
! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$HS_LOG" "$W/hook.log"
tap_ok $? "hil-slurm and the hook are free of sanitizer reports"
hild_stop slurm
echo "# lend: sbatch to nodes in the project ${LEND_S} s; release to nodes idle in SLURM ${RETURN_S} s"
tap_finish
