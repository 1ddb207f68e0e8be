# lib-slurm.sh - what the SLURM suites share: a private SLURM cluster on
# this machine (munged, slurmctld and SLURM_NODES slurmd processes, one per
# node name: Debian builds SLURM with multiple-slurmd support), a real
# hild on SQLite whose nodes n1..nN are powered through the slurmd OBM
# driver (power off = stop that node's slurmd), the loan manager
# hil-slurm, the controller hook and the SPANK and job_submit plugins,
# all under $W.  Sourced after lib-hild.sh and lib-auth.sh (bash).  Needs
# root: slurmd and slurmctld run as root here, and jobs are submitted as
# other users (nobody, daemon).
#
# Everything started is stopped by slurm_cleanup (the EXIT trap): by the
# pids we recorded, each checked against /proc/PID/comm first; nothing is
# killed by name.

SLURM_NODES=${SLURM_NODES:-4}
# SLURM_DEBUG=debug2 (say) makes slurmctld's log ($W/slurm/log) verbose.
SLURM_SYS_PLUGDIR=/usr/lib/x86_64-linux-gnu/slurm-wlm
SLURM_START_TIMEOUT=30 # s for slurmctld and the nodes to come up
HS=$HIL_BUILDDIR/slurm-plugin/manager/hil-slurm
HS_HOOK=$HIL_BUILDDIR/slurm-plugin/hook/hil-slurmctld-hook
HS_SPANK=$HIL_BUILDDIR/slurm-plugin/spank/.libs/hil.so
HS_SUBMIT=$HIL_BUILDDIR/slurm-plugin/job_submit/.libs/job_submit_hil.so
HS_PID=
HS_LOG=
HS_CONF=
CTLD_PID=
SL=
SLURM_CONF=
HIL_AUTH_MODE=munge # how hild authenticates: munge or local

# Test users: submitters of jobs, and the HIL users they map to (the
# same names).  nobody is in project foo, daemon in bar.
U_OWNER=nobody
U_OTHER=daemon

slurm_require() {
	local b
	[ "$(id -u)" = 0 ] || tap_bail "the SLURM suite must run as root (slurmd needs it)"
	for b in munged munge mungekey slurmctld slurmd scontrol sinfo sbatch \
		srun squeue scancel setpriv curl; do
		command -v "$b" >/dev/null ||
			tap_bail "'$b' is not installed (tests/deps.sh test installs slurmctld, slurmd, slurm-client, libslurm-dev, munge)"
	done
	for b in "$HS" "$HS_HOOK" "$HS_SPANK" "$HS_SUBMIT"; do
		[ -e "$b" ] || tap_bail "'$b' is not built (configure did not find SLURM?)"
	done
	[ -f "$HIL_BUILDDIR/driver-plugins/obm/slurmd/.libs/slurmd.so" ] ||
		tap_bail "the slurmd OBM driver is not built"
	[ -d /sys/fs/cgroup ] || tap_bail "slurmd needs /sys/fs/cgroup"
}

# A run of n free TCP ports on 127.0.0.1; prints the first.  They are
# below the ephemeral range, where the client sockets of the suites
# running beside this one cannot take them between the check and the
# bind (a slurmctld restarted after kill -9 binds its port again).
slurm_free_ports() {
	local n=$1 base p ok tries lo hi
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	hi=$((lo - n - 1))
	[ "$hi" -gt 12000 ] || hi=$((65535 - n))
	for tries in $(seq 50); do
		base=$((10000 + RANDOM % (hi - 10000)))
		ok=1
		for ((p = base; p < base + n; p++)); do
			if ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
				ok=0
				break
			fi
		done
		[ $ok = 1 ] && { echo "$base"; return 0; }
	done
	return 1
}

# /proc/PID/comm is NAME: the pid is still the process we started.
slurm_is() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

slurm_kill() { # SIGNAL PID NAME
	slurm_is "$2" "$3" && kill "-$1" "$2" 2>/dev/null
}

# The pid of node NAME's slurmd, from its pid file, if it runs.
slurmd_pid() {
	local p
	p=$(cat "$SL/run/slurmd-$1.pid" 2>/dev/null) || return 1
	slurm_is "$p" slurmd && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "-N $1 " &&
		echo "$p"
}

slurm_cleanup() {
	local n p
	hs_stop_quiet
	if [ -n "$SLURM_CONF" ] && [ -n "$CTLD_PID" ] && slurm_is "$CTLD_PID" slurmctld; then
		scancel --quiet $(squeue -h -o %i 2>/dev/null) 2>/dev/null
	fi
	for n in $(seq "$SLURM_NODES"); do
		p=$(slurmd_pid "n$n") && kill -TERM "$p"
	done
	if [ -n "$CTLD_PID" ]; then
		slurm_kill TERM "$CTLD_PID" slurmctld
		for _ in $(seq 50); do slurm_is "$CTLD_PID" slurmctld || break; sleep 0.1; done
		slurm_kill KILL "$CTLD_PID" slurmctld
		wait "$CTLD_PID" 2>/dev/null
	fi
	for n in $(seq "$SLURM_NODES"); do
		for _ in $(seq 50); do p=$(slurmd_pid "n$n") || break; sleep 0.1; done
		p=$(slurmd_pid "n$n") && kill -KILL "$p"
	done
	munge_cleanup
	hild_cleanup
}

# ------------------------------------------------------------------ HIL
# hilapi METHOD PATH [JSON]: call hild as its administrator; the body in
# $W/api.out; prints the status.
hilapi() {
	local auth
	if [ "$HIL_AUTH_MODE" = munge ]; then
		auth=(-H "Authorization: MUNGE $(munge -S "$MUNGE_SOCK" -n)")
	else
		auth=(-u "$HILD_ADMIN:$HILD_ADMIN_PW")
	fi
	curl -s -m 60 -o "$W/api.out" -w '%{http_code}' -X "$1" "${auth[@]}" \
		${3:+-H 'Content-Type: application/json' --data "$3"} \
		"$HILD_URL/v0/$2"
}

# hilapi_as USER METHOD PATH: as the HIL user of Unix user USER (MUNGE).
hilapi_as() {
	local cred
	cred=$(setpriv --reuid="$(id -u "$1")" --regid="$(id -g "$1")" \
		--clear-groups -- munge -S "$MUNGE_SOCK" -n) || return 1
	curl -s -m 60 -o "$W/api.out" -w '%{http_code}' -X "$2" \
		-H "Authorization: MUNGE $cred" "$HILD_URL/v0/$3"
}

# hil_ok METHOD PATH [JSON]: the call answers 2xx (else diagnostics).
hil_ok() {
	local code
	code=$(hilapi "$@")
	case $code in
	2??) return 0 ;;
	esac
	echo "# $1 $2 -> $code $(head -c 300 "$W/api.out")"
	return 1
}

# hil_wait_action: the action id hild answered in $W/api.out is DONE.
hil_wait_action() {
	local id st
	id=$(jq -r '.status_id // empty' "$W/api.out")
	[ -n "$id" ] || return 0
	for _ in $(seq 600); do
		hilapi GET "networking_action/$id" >/dev/null
		st=$(jq -r .status "$W/api.out")
		[ "$st" = DONE ] && return 0
		[ "$st" = ERROR ] && return 1
		sleep 0.05
	done
	return 1
}

# The HIL project of node N ("null" when free).
hil_project_of() {
	hilapi GET "node/$1" >/dev/null && jq -r .project "$W/api.out"
}

# The networks of node N's eth0, "channel=network" words.
hil_nets_of() {
	hilapi GET "node/$1" >/dev/null &&
		jq -r '.nics[] | select(.label == "eth0") | .networks | to_entries[] | "\(.key)=\(.value)"' \
			"$W/api.out" | sort | tr '\n' ' '
}

hil_meta_of() { # N: its loan record (JSON text) or nothing
	hilapi GET "node/$1" >/dev/null && jq -r '.metadata.slurm_loan // empty' "$W/api.out"
}

# hild with the slurmd OBM driver and the mock switch; projects slurm,
# foo, bar; users for the test users; nodes n1..nN in project slurm, each
# with NIC eth0 wired to a port of switch sw0 and on network slurm-net.
hil_setup() {
	local extra n
	HILD_OBM_DRIVERS=slurmd
	HILD_SWITCH_DRIVERS=mock
	extra="vlans = 100-199
obm_timeout = 30"
	if [ "$HIL_AUTH_MODE" = munge ]; then
		extra="$extra
auth = munge
plugin.munge.socket = $MUNGE_SOCK
plugin.munge.map.0 = $HILD_ADMIN"
	fi
	hild_prepare slurm "sqlite://$W/hil.db" "$extra" || return 1
	# hild_config wrote "auth = local" first; the last line wins.
	hild_start slurm || return 1
	hil_ok PUT project/slurm && hil_ok PUT project/foo && hil_ok PUT project/bar &&
		hil_ok PUT "auth/basic/user/$U_OWNER" '{"password": "unused-1"}' &&
		hil_ok PUT "auth/basic/user/$U_OTHER" '{"password": "unused-2"}' &&
		hil_ok POST "auth/basic/user/$U_OWNER/add_project" '{"project": "foo"}' &&
		hil_ok POST "auth/basic/user/$U_OTHER/add_project" '{"project": "bar"}' &&
		hil_ok PUT switch/sw0 '{"type": "mock", "hostname": "sw0", "username": "u", "password": "p"}' &&
		hil_ok PUT network/slurm-net '{"owner": "slurm", "access": "slurm", "net_id": ""}' &&
		hil_ok PUT network/foo-net '{"owner": "foo", "access": "foo", "net_id": ""}' || return 1
	for n in $(seq "$SLURM_NODES"); do
		hil_ok PUT "node/n$n" "{\"obm\": {\"type\": \"slurmd\", \"node\": \"n$n\", \"pid_file\": \"$SL/run/slurmd-n$n.pid\", \"start\": \"$(command -v slurmd) -N n$n -f $SLURM_CONF\"}}" &&
			hil_ok PUT "node/n$n/nic/eth0" "{\"macaddr\": \"52:54:00:00:00:0$n\"}" &&
			hil_ok PUT "switch/sw0/port/gi1/0/$n" &&
			hil_ok POST "switch/sw0/port/gi1/0/$n/connect_nic" "{\"node\": \"n$n\", \"nic\": \"eth0\"}" &&
			hil_ok POST project/slurm/connect_node "{\"node\": \"n$n\"}" &&
			hil_ok POST "node/n$n/nic/eth0/connect_network" '{"network": "slurm-net"}' &&
			hil_wait_action || return 1
	done
}

# ------------------------------------------------------------------ SLURM
slurm_conf_write() {
	local ports=$1
	cat >"$SLURM_CONF" <<EOF
# written by the SLURM suite
ClusterName=hiltest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ports
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
CredType=cred/munge
StateSaveLocation=$SL/state
SlurmdSpoolDir=$SL/spool/%n
SlurmctldPidFile=$SL/run/slurmctld.pid
SlurmdPidFile=$SL/run/slurmd-%n.pid
SlurmctldLogFile=$SL/log/slurmctld.log
SlurmdLogFile=$SL/log/slurmd-%n.log
SlurmctldDebug=${SLURM_DEBUG:-info}
SlurmdDebug=info
PlugStackConfig=$SL/etc/plugstack.conf
PluginDir=$SLURM_SYS_PLUGDIR:$SL/plugins
JobSubmitPlugins=hil
PrologSlurmctld=$SL/hooks/hook
EpilogSlurmctld=$SL/hooks/hook
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
ReturnToService=2
SlurmdTimeout=30
SlurmctldTimeout=30
InactiveLimit=120
MinJobAge=120
KillWait=5
NodeName=n[1-$SLURM_NODES] NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((ports + 1))-$((ports + SLURM_NODES)) CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=batch Nodes=n[1-$SLURM_NODES] Default=YES MaxTime=INFINITE State=UP
PartitionName=other Nodes=n[1-$SLURM_NODES] MaxTime=INFINITE State=UP
EOF
}

slurm_setup() {
	local ports
	SL=$W/slurm
	mkdir -m 755 "$SL" "$SL/etc" "$SL/plugins" "$SL/hooks" "$SL/jobs" &&
		mkdir -m 700 "$SL/state" "$SL/log" "$SL/run" &&
		mkdir -m 755 "$SL/spool" || return 1
	chmod 1777 "$SL/jobs"
	install -m 755 "$HS_SPANK" "$SL/plugins/hil.so"
	install -m 755 "$HS_SUBMIT" "$SL/plugins/job_submit_hil.so"
	SLURM_CONF=$SL/etc/slurm.conf
	export SLURM_CONF
	ports=$(slurm_free_ports $((SLURM_NODES + 1))) || return 1
	slurm_conf_write "$ports"
	echo "required $SL/plugins/hil.so" >"$SL/etc/plugstack.conf"
	chmod 644 "$SLURM_CONF" "$SL/etc/plugstack.conf"
	# slurmctld gives its hooks no SLURM_CONF and no arguments.
	cat >"$SL/hooks/hook" <<EOF
#!/bin/sh
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec $HS_HOOK -f $W/hil-slurm.conf 2>>$W/hook.log
EOF
	chmod 755 "$SL/hooks/hook"
	: >"$W/hook.log"
}

slurm_start_ctld() {
	local deadline=$((SECONDS + SLURM_START_TIMEOUT))
	HIL_SLURM_CONF=$W/hil-slurm.conf slurmctld -D -f "$SLURM_CONF" \
		>>"$SL/log/slurmctld.out" 2>&1 &
	CTLD_PID=$!
	while [ $SECONDS -lt $deadline ]; do
		scontrol ping 2>/dev/null | grep -q UP && return 0
		slurm_is "$CTLD_PID" slurmctld || break
		sleep 0.1
	done
	tail -n 20 "$SL/log/slurmctld.log" "$SL/log/slurmctld.out" 2>/dev/null | tap_diag
	return 1
}

slurm_start_node() { # N: node nN's slurmd, as the OBM driver starts it
	mkdir -p -m 755 "$SL/spool/n$1"
	slurmd -N "n$1" -f "$SLURM_CONF"
}

# All SLURM_NODES nodes idle within the timeout.
slurm_wait_idle() {
	local deadline=$((SECONDS + ${1:-$SLURM_START_TIMEOUT})) idle
	while [ $SECONDS -lt $deadline ]; do
		idle=$(sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
		[ "$idle" -ge "$SLURM_NODES" ] && return 0
		sleep 0.1
	done
	sinfo -N -o '%N %T %E' | tap_diag
	return 1
}

slurm_start() {
	local n tries
	# Another process may bind the ports between the check and slurmctld.
	for tries in 1 2 3; do
		slurm_start_ctld && break
		grep -q "Address already in use" "$SL/log/slurmctld.log" 2>/dev/null &&
			[ $tries -lt 3 ] || return 1
		echo "# slurmctld's port was taken; other ports"
		: >"$SL/log/slurmctld.log"
		slurm_conf_write "$(slurm_free_ports $((SLURM_NODES + 1)))" || return 1
	done
	for n in $(seq "$SLURM_NODES"); do
		slurm_start_node "$n" || return 1
	done
	slurm_wait_idle
}

# ------------------------------------------------------------------ hil-slurm
hs_config() {
	HS_CONF=$W/hil-slurm.conf
	HS_LOG=$W/hil-slurm.log
	{
		echo "# written by the SLURM suite"
		echo "endpoint = $HILD_URL"
		if [ "$HIL_AUTH_MODE" = munge ]; then
			echo "auth = munge"
			echo "munge_socket = $MUNGE_SOCK"
		else
			echo "auth = basic"
			echo "user = $HILD_ADMIN"
			echo "password = $HILD_ADMIN_PW"
		fi
		echo "slurm_conf = $SLURM_CONF"
		echo "project = slurm"
		echo "socket = $W/hil-slurm.sock"
		echo "pid_file = $W/hil-slurm.pid"
		echo "partition = batch"
		echo "log_level = debug"
		echo "interval = 2"
		echo "full_scan = 10"
		echo "boot_timeout = 30"
		echo "hook_timeout = 30"
		echo "action_timeout = 30"
		echo "request_timeout = 60"
		[ -n "${1:-}" ] && printf '%s\n' "$1"
	} >"$HS_CONF"
	chmod 600 "$HS_CONF"
}

hs_start() {
	local deadline=$((SECONDS + 20))
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$HS" -f "$HS_CONF" >>"$HS_LOG" 2>&1 &
	HS_PID=$!
	while [ $SECONDS -lt $deadline ]; do
		[ -S "$W/hil-slurm.sock" ] && grep -q "started:" "$HS_LOG" && return 0
		kill -0 "$HS_PID" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 20 "$HS_LOG" | tap_diag
	return 1
}

# Stop hil-slurm with SIGTERM; it must exit 0 (sanitizers clean).
hs_stop() {
	local rc
	[ -n "$HS_PID" ] || return 1
	kill -TERM "$HS_PID"
	for _ in $(seq 300); do kill -0 "$HS_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$HS_PID" 2>/dev/null; then
		kill -KILL "$HS_PID"
		wait "$HS_PID" 2>/dev/null
		HS_PID=
		return 1
	fi
	wait "$HS_PID"
	rc=$?
	HS_PID=
	return $rc
}

hs_stop_quiet() {
	if [ -n "$HS_PID" ] && kill -0 "$HS_PID" 2>/dev/null; then
		kill -KILL "$HS_PID"
		wait "$HS_PID" 2>/dev/null
	fi
	HS_PID=
}

# ------------------------------------------------------------------ jobs
# as USER CMD...: run a SLURM command as USER in /tmp.
as_user() {
	local u=$1
	shift
	(cd /tmp && setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" \
		--clear-groups -- env SLURM_CONF="$SLURM_CONF" "$@")
}

job_field() { # JOB FIELD
	scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# The loan a job made, from its AdminComment.
job_loan() {
	scontrol -o show job "$1" 2>/dev/null |
		sed -n 's/.*AdminComment=hil: loan \([^:]*\):.*/\1/p'
}

node_state() { sinfo -h -N -n "$1" -o %T 2>/dev/null | head -1; }
node_reason() { sinfo -h -N -n "$1" -o %E 2>/dev/null | head -1; }

# Cancel the jobs slurmctld shows RUNNING although they have ended.  A
# slurmctld killed with -9 may restart from state saved before a job's
# end; it then keeps that job, and its nodes allocated, until the job's
# time limit, since the node that ran it never reports it again.  The
# suites' jobs run `true`: one RUNNING (its prolog done) for
# SLURM_PHANTOM_AGE seconds with no slurmstepd is such a job, and an
# administrator would cancel it.  (A slurmstepd of the same job id in a
# suite running beside this one only delays the cancel.)  Prints the ids
# cancelled.
SLURM_PHANTOM_AGE=10
slurm_reap_phantoms() {
	local id st el secs
	squeue -h -t R -o '%i %T %M' 2>/dev/null | while read -r id st el; do
		[ "$st" = RUNNING ] || continue
		secs=$(awk -v t="$el" 'BEGIN {
			d = 0; if (split(t, a, "-") == 2) { d = a[1]; t = a[2] }
			n = split(t, b, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + b[i]
			print d * 86400 + s }')
		[ "$secs" -ge "$SLURM_PHANTOM_AGE" ] || continue
		pgrep -f "^slurmstepd: \[$id\." >/dev/null && continue
		scancel "$id" 2>/dev/null && echo "$id"
	done
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD until it succeeds; a test
# point either way; prints the time it took on success.
WAITED=0
wait_for() {
	local max=$1 desc=$2 t0=$EPOCHREALTIME
	shift 2
	local deadline=$((SECONDS + max))
	while :; do
		if "$@"; then
			WAITED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
			tap_ok 0 "$desc (${WAITED} s)"
			return 0
		fi
		[ $SECONDS -ge $deadline ] && break
		sleep 0.1
	done
	tap_ok 1 "$desc (not within $max s)"
	return 1
}

# Everything is back: no loan record, no reservation of ours, every node
# idle in SLURM and in project slurm, on slurm-net.
all_home() {
	local n
	[ -z "$(scontrol -o show res 2>/dev/null | grep flexalloc_MOC_)" ] || return 1
	for n in $(seq "$SLURM_NODES"); do
		[ "$(node_state "n$n")" = idle ] || return 1
	done
	for n in $(seq "$SLURM_NODES"); do
		[ "$(hil_project_of "n$n")" = slurm ] || return 1
		[ -z "$(hil_meta_of "n$n")" ] || return 1
	done
	return 0
}

# Diagnostics after a failure.
slurm_diag() {
	echo "# --- sinfo"
	sinfo -N -o '%N %T %E' 2>&1 | tap_diag
	echo "# --- reservations"
	scontrol -o show res 2>&1 | cut -c1-200 | tap_diag
	echo "# --- hil-slurm log"
	tail -n "${1:-30}" "$HS_LOG" 2>/dev/null | cut -c1-300 | tap_diag
	echo "# --- hook log"
	tail -n 10 "$W/hook.log" 2>/dev/null | tap_diag
}
