#!/bin/bash
# ovs-random.sh - random API operations; after each settled step, the
# reachability matrix measured with packets must equal the one hild's
# database implies (TAP).
#
# A real hild (switch_drivers = ovs) and a private Open vSwitch, as in
# ovs-isolation.sh.  Endpoints, all in one subnet (10.90.0.0/24) so that
# only VLANs keep them apart:
#   n1..n5       access nodes (untagged)
#   t1           a trunk NIC whose wire ends in a demux bridge with one leg
#                per endpoint namespace: t1u (untagged: its native network)
#                and t1x<i> (tagged with the VLAN of network i)
# Networks: netA, netA2 (project pa), netB, netB2 (project pb), pub (public).
# Operations: connect (native or tagged channel), detach, port revert, and
# moving a node to the other project or freeing it (revert, detach_node,
# connect_node).  Expected: two endpoints reach each other exactly when
# both carry the same network, read back from the API (GET /node/<n>).
#
# Then the kill rounds: each queues one operation on each of several
# NICs at once (one batch, one OVSDB transaction), kills hild with
# SIGKILL (right away, or while ovsdb-server or ovs-vswitchd is stopped,
# so that the batch is in flight), starts it again on the same database,
# and once every accepted operation is DONE the packets must match the
# database again: an accepted operation is never lost, and the switch
# never keeps a change the database does not know of.  Last, the hang
# round: ovs-vswitchd stopped past hild's switch deadline, so the
# batch's transaction is in OVSDB but its outcome unknown to hild, which
# records the operations ERROR; once ovs-vswitchd runs again, hild reads
# the switch back, repairs the ports, and the packets match the database.
#
# Environment: HIL_BUILDDIR, HIL_SRCDIR, HIL_TEST_KEEP=1,
#   HIL_OVS_RANDOM_OPS   operations to run (default 300)
#   HIL_OVS_KILL_ROUNDS  kill rounds (default 10)
#   HIL_OVS_RANDOM_SEED  seed for bash's RANDOM (default: random; printed)
set -u
HIL_SRCDIR=${HIL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$HIL_SRCDIR/tests/integration/lib-hild.sh"
. "$HIL_SRCDIR/tests/integration/lib-ovs.sh"
. "$HIL_SRCDIR/tests/integration/lib-ovs-hil.sh"

OPS=${HIL_OVS_RANDOM_OPS:-300}
# A short switch deadline for the hang round (OVS answers in ms here).
OVS_HIL_SWITCH_TIMEOUT=5
KILL_ROUNDS=${HIL_OVS_KILL_ROUNDS:-10}
SEED=${HIL_OVS_RANDOM_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
NETS=(netA netA2 netB netB2 pub)
NODES=(n1 n2 n3 n4 n5 t1)
declare -A OWNER=([netA]=pa [netA2]=pa [netB]=pb [netB2]=pb [pub]="")
declare -A VLAN     # network -> VLAN
declare -A NETOF    # VLAN -> network
declare -A PROJECT  # node -> project ("" when free)
declare -A ATT      # "node channel" -> network, from the API
declare -A IP       # endpoint -> address
EPS=(n1 n2 n3 n4 n5 t1u t1x0 t1x1 t1x2 t1x3 t1x4)

# pick WORD...: one of them at random, in PICKED.  Not in a $(...)
# subshell, so that RANDOM's sequence stays the seed's.
PICKED=
pick() {
	local a=("$@")
	PICKED=${a[$((RANDOM % ${#a[@]}))]}
}

# Read every node's project and attachments back from the API.
read_state() {
	local n nets pair ch net
	ATT=()
	for n in "${NODES[@]}"; do
		api GET "/node/$n" || return 1
		[ "$API_CODE" = 200 ] || { echo "# GET /node/$n: $API_CODE"; return 1; }
		PROJECT[$n]=$(json_str project)
		nets=$(printf '%s' "$API_BODY" | tr -d '\n' |
			sed -n 's/.*"networks"[[:space:]]*:[[:space:]]*{\([^}]*\)}.*/\1/p')
		while read -r pair; do
			[ -n "$pair" ] || continue
			ch=${pair%%\"*}
			net=${pair##*\"}
			ATT["$n $ch"]=$net
		done < <(printf '%s' "$nets" |
			grep -o '"[^"]*"[[:space:]]*:[[:space:]]*"[^"]*"' |
			sed 's/^"\([^"]*\)"[[:space:]]*:[[:space:]]*"\([^"]*\)"$/\1"\2/')
	done
}

# The network an endpoint carries, by the API's state ("" for none).
ep_net() {
	case $1 in
	n?) echo "${ATT["$1 vlan/native"]:-}" ;;
	t1u) echo "${ATT["t1 vlan/native"]:-}" ;;
	t1x?) local v=${VLAN[${NETS[${1#t1x}]}]}
		echo "${ATT["t1 vlan/$v"]:-}" ;;
	esac
}

# Two echoes 0.2 s apart, none answered within 0.4 s of the last: on
# this local wire, a leak answers in milliseconds.
quick_unreach() {
	! ip netns exec "hil$OVS_TAG-$1" ping -n -q -c 2 -i 0.2 -W 0.4 "$2" \
		>/dev/null 2>&1
}

# Ping every pair of endpoints (in parallel) and compare with what the
# API's state implies.  Prints the differences; returns non-zero on any.
MATRIX_PAIRS=0
check_matrix() {
	local i j a b na nb want k=0 pids=() pairs=() wants=() bad=0 rc
	local -A net
	rm -rf "$W/m"
	mkdir "$W/m"
	for a in "${EPS[@]}"; do net[$a]=$(ep_net "$a"); done
	for ((i = 0; i < ${#EPS[@]}; i++)); do
		a=${EPS[$i]}
		na=${net[$a]}
		for ((j = i + 1; j < ${#EPS[@]}; j++)); do
			b=${EPS[$j]}
			nb=${net[$b]}
			want=no
			[ -n "$na" ] && [ "$na" = "$nb" ] && want=yes
			if [ $want = yes ]; then
				(ovs_reach "$a" "${IP[$b]}"; echo $? >"$W/m/$k") &
			else
				(quick_unreach "$a" "${IP[$b]}"; echo $? >"$W/m/$k") &
			fi
			pids+=($!)
			pairs+=("$a(${na:--}) -> $b(${nb:--})")
			wants+=($want)
			k=$((k + 1))
		done
	done
	wait "${pids[@]}"
	MATRIX_PAIRS=$k
	for ((i = 0; i < k; i++)); do
		rc=$(cat "$W/m/$i" 2>/dev/null || echo 1)
		if [ "$rc" != 0 ]; then
			if [ "${wants[$i]}" = yes ]; then
				echo "# expected reach, none: ${pairs[$i]}"
			else
				echo "# LEAK, expected none: ${pairs[$i]}"
			fi
			bad=1
		fi
	done
	return $bad
}

# The channels a node may use for a network: native when free, tagged
# on the network's VLAN.
channel_for() { # node network; the channel in PICKED
	if [ -z "${ATT["$1 vlan/native"]:-}" ] && [ $((RANDOM % 3)) != 0 ]; then
		PICKED=vlan/native
	else
		PICKED=vlan/${VLAN[$2]}
	fi
}

# One random operation, settled.  Sets OP_TEXT, or leaves it empty when
# the state rules the operation out; returns non-zero when a call the
# state allows failed.
op_connect() {
	local n p net nets=() ch key
	pick "${NODES[@]}"
	n=$PICKED
	p=${PROJECT[$n]}
	[ -n "$p" ] || return 0
	for net in "${NETS[@]}"; do
		[ -z "${OWNER[$net]}" ] || [ "${OWNER[$net]}" = "$p" ] || continue
		for key in "${!ATT[@]}"; do
			[ "${key%% *}" = "$n" ] && [ "${ATT[$key]}" = "$net" ] && continue 2
		done
		nets+=("$net")
	done
	[ ${#nets[@]} -gt 0 ] || return 0
	pick "${nets[@]}"
	net=$PICKED
	channel_for "$n" "$net"
	ch=$PICKED
	OP_TEXT="connect $n $net $ch"
	connect "$n" "$net" "$ch"
}

op_detach() {
	local keys=() key n
	for key in "${!ATT[@]}"; do keys+=("$key"); done
	[ ${#keys[@]} -gt 0 ] || return 0
	pick "${keys[@]}"
	key=$PICKED
	n=${key%% *}
	OP_TEXT="detach $n ${ATT[$key]}"
	detach "$n" "${ATT[$key]}"
}

op_revert() {
	local n
	pick "${NODES[@]}"
	n=$PICKED
	OP_TEXT="revert $n"
	revert sw0 "p$n"
}

op_move() {
	local n p to
	pick "${NODES[@]}"
	n=$PICKED
	p=${PROJECT[$n]}
	pick pa pb ""
	to=$PICKED
	[ "$to" != "$p" ] || return 0
	OP_TEXT="move $n from ${p:-free} to ${to:-free}"
	if [ -n "$p" ]; then
		revert sw0 "p$n" || return 1
		api_ok POST "/project/$p/detach_node" "{\"node\": \"$n\"}" || return 1
	fi
	[ -z "$to" ] || api_ok POST "/project/$to/connect_node" "{\"node\": \"$n\"}"
}

# queue_one NODE [connect]: queue one operation on the node's NIC or port
# without waiting for it (connect, detach or revert, as the state allows;
# a connect whenever it can with "connect"); its
# status id is appended to QUEUED, its text to OP_TEXT, and CHANGES counts
# the operations that surely change the port.  Returns non-zero when hild
# refused a call the state allows.
QUEUED=()
CHANGES=0
queue_one() {
	local n=$1 p=${PROJECT[$1]} net nets=() keys=() key
	for key in "${!ATT[@]}"; do
		[ "${key%% *}" = "$n" ] && keys+=("$key")
	done
	if [ -n "$p" ]; then
		for net in "${NETS[@]}"; do
			[ -z "${OWNER[$net]}" ] || [ "${OWNER[$net]}" = "$p" ] || continue
			for key in "${keys[@]}"; do
				[ "${ATT[$key]}" = "$net" ] && continue 2
			done
			nets+=("$net")
		done
	fi
	if [ ${#nets[@]} -gt 0 ] && { [ "${2:-}" = connect ] || [ $((RANDOM % 2)) = 0 ]; }; then
		pick "${nets[@]}"
		net=$PICKED
		channel_for "$n" "$net"
		OP_TEXT+="connect $n $net $PICKED;"
		CHANGES=$((CHANGES + 1))
		api_ok POST "/node/$n/nic/eth0/connect_network" \
			"{\"network\": \"$net\", \"channel\": \"$PICKED\"}" || return 1
	elif [ ${#keys[@]} -gt 0 ] && [ $((RANDOM % 3)) != 0 ]; then
		pick "${keys[@]}"
		OP_TEXT+="detach $n ${ATT[$PICKED]};"
		CHANGES=$((CHANGES + 1))
		api_ok POST "/node/$n/nic/eth0/detach_network" \
			"{\"network\": \"${ATT[$PICKED]}\"}" || return 1
	else
		OP_TEXT+="revert $n;"
		# A port with no network on it may be parked already: then the
		# revert changes nothing and waits for nobody.
		[ ${#keys[@]} = 0 ] || CHANGES=$((CHANGES + 1))
		api_ok POST "/switch/sw0/port/p$n/revert" || return 1
	fi
	QUEUED+=("$(json_str status_id)")
}

hild_setup
trap 'ovs_stop; hild_cleanup' EXIT
echo "# seed $SEED (HIL_OVS_RANDOM_SEED), $OPS operations"
ovs_start "$W" || { ovs_log_tail; tap_bail "Open vSwitch did not start"; }
ovs_bridge sw0 >/dev/null || tap_bail "could not make bridge sw0"
ovs_hil_start rnd || { tap_finish; exit 1; }

rc=0
for p in pa pb; do api_ok PUT "/project/$p" || rc=1; done
for net in netA netA2; do
	api_ok PUT "/network/$net" '{"owner": "pa", "access": "pa", "net_id": ""}' || rc=1
done
for net in netB netB2; do
	api_ok PUT "/network/$net" '{"owner": "pb", "access": "pb", "net_id": ""}' || rc=1
done
api_ok PUT /network/pub '{"owner": "admin", "access": "", "net_id": ""}' || rc=1
for net in "${NETS[@]}"; do
	VLAN[$net]=$(network_vlan "$net")
	[ -n "${VLAN[$net]}" ] || rc=1
	NETOF[${VLAN[$net]}]=$net
done
tap_ok $rc "projects and networks (VLANs: $(for n in "${NETS[@]}"; do printf '%s=%s ' "$n" "${VLAN[$n]}"; done))"

rc=0
for i in 1 2 3 4 5; do
	IP[n$i]=10.90.0.1$i
	ovs_node "n$i" sw0 "pn$i" "${IP[n$i]}/24" >/dev/null || rc=1
done
IP[t1u]=10.90.0.60
legs=("0:${IP[t1u]}/24:t1u")
for i in 0 1 2 3 4; do
	IP[t1x$i]=10.90.0.6$((i + 1))
	legs+=("${VLAN[${NETS[$i]}]}:${IP[t1x$i]}/24:t1x$i")
done
ovs_trunk_node t1 sw0 pt1 "${legs[@]}" >/dev/null || rc=1
tap_ok $rc "${#EPS[@]} endpoint namespaces wired to parked OVS ports"
[ $rc = 0 ] || { ovs_log_tail; tap_finish; exit 1; }

rc=0
hil_switch sw0 sw0 || rc=1
hil_node n1 sw0 pn1 pa || rc=1
hil_node n2 sw0 pn2 pa || rc=1
hil_node n3 sw0 pn3 pb || rc=1
hil_node n4 sw0 pn4 pb || rc=1
hil_node n5 sw0 pn5 || rc=1
hil_node t1 sw0 pt1 pa || rc=1
tap_ok $rc "switch, ports, nodes and NICs registered"
[ $rc = 0 ] || { hild_log_tail; tap_finish; exit 1; }

read_state && check_matrix
tap_ok $? "before any operation: nothing reaches anything ($MATRIX_PAIRS pairs)"

done_ops=0
step=0
failed_steps=0
t_start=$SECONDS
while [ $done_ops -lt "$OPS" ]; do
	step=$((step + 1))
	texts=()
	rc=0
	# One to three operations, then a settled check.  An operation the
	# state rules out is picked again.
	for _ in $(seq $((1 + RANDOM % 3))); do
		[ $done_ops -lt "$OPS" ] || break
		read_state || { rc=1; break; }
		OP_TEXT=
		while [ -z "$OP_TEXT" ]; do
			r=$((RANDOM % 100))
			if [ $r -lt 55 ]; then
				op_connect || rc=1
			elif [ $r -lt 75 ]; then
				op_detach || rc=1
			elif [ $r -lt 85 ]; then
				op_revert || rc=1
			else
				op_move || rc=1
			fi
		done
		texts+=("$OP_TEXT")
		done_ops=$((done_ops + 1))
	done
	[ $rc = 0 ] || echo "# step $step: an operation failed"
	read_state && check_matrix || rc=1
	desc=$(IFS=';'; echo "${texts[*]}")
	tap_ok $rc "step $step: $desc: packets match the database"
	[ $rc = 0 ] || failed_steps=$((failed_steps + 1))
	# A leak is a leak; a few of them are enough to tell.
	[ $failed_steps -lt 5 ] || { echo "# stopping after 5 failed steps"; break; }
done
echo "# $done_ops operations in $step steps, $((SECONDS - t_start)) s"

# ovs_signal DAEMON SIGNAL: signal our ovsdb-server or ovs-vswitchd.
ovs_signal() {
	kill "-$2" "$(cat "$OVS_W/$1.pid")"
}

killed_pending=0
for round in $(seq "$KILL_ROUNDS"); do
	rc=0
	QUEUED=()
	OP_TEXT=
	CHANGES=0
	# Where hild is when it dies: in rounds 1, 4, 7, ... wherever it got
	# to; in the others OVS is stopped first, so the batch is surely in
	# flight: ovsdb-server (the transaction is not answered) or
	# ovs-vswitchd (the transaction is in the database, the datapath is
	# not changed yet).
	case $((round % 3)) in
	1) stopped= ;;
	2) stopped=ovs-vswitchd ;;
	0) stopped=ovsdb-server ;;
	esac
	read_state || rc=1
	# Two to all six NICs, in a random order.
	nodes=("${NODES[@]}")
	for ((i = ${#nodes[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		t=${nodes[$i]}
		nodes[$i]=${nodes[$j]}
		nodes[$j]=$t
	done
	[ -z "$stopped" ] || ovs_signal "$stopped" STOP
	for n in "${nodes[@]:0:$((2 + RANDOM % 5))}"; do
		queue_one "$n" || rc=1
	done
	[ -z "$stopped" ] || sleep 0.3
	kill -KILL "$HILD_PID"
	wait "$HILD_PID" 2>/dev/null
	HILD_PID=
	[ -z "$stopped" ] || ovs_signal "$stopped" CONT
	pend=$(pending_count "sqlite://$W/rnd.db") || rc=1
	if [ "${pend:-0}" -gt 0 ]; then
		killed_pending=$((killed_pending + 1))
	elif [ -n "$stopped" ] && [ "$CHANGES" -gt 0 ]; then
		echo "# kill round $round: $stopped was stopped, yet nothing was pending"
		rc=1
	fi
	hild_start "kill round $round: restart after kill -9 (${pend:-?} of ${#QUEUED[@]} operations pending${stopped:+, $stopped stopped})" ||
		break
	for id in "${QUEUED[@]}"; do
		action_wait "$id" || rc=1
	done
	read_state && check_matrix || rc=1
	tap_ok $rc "kill round $round: ${OP_TEXT%;}: every operation DONE after the restart, packets match the database"
done
echo "# $killed_pending of $KILL_ROUNDS kill rounds killed hild with operations pending"
echo "# operations claimed again after a kill: $(grep -c 'claimed before an interruption' "$HILD_LOG")"

# The hang round.
rc=0
QUEUED=()
OP_TEXT=
repaired=$(grep -c '; repaired' "$HILD_LOG")
read_state || rc=1
# n1 in a project: its operation (a connect, or else a detach or revert
# of a port with a network on it) surely changes its port.
if [ -z "${PROJECT[n1]}" ]; then
	api_ok POST /project/pa/connect_node '{"node": "n1"}' && read_state || rc=1
fi
ovs_signal ovs-vswitchd STOP
for n in n1 n2 n3 n4 t1; do
	queue_one "$n" connect || rc=1
done
errors=0
for id in "${QUEUED[@]}"; do
	action_wait "$id" >/dev/null || errors=$((errors + 1))
done
ovs_signal ovs-vswitchd CONT
[ $rc = 0 ] && [ $errors -gt 0 ]
tap_ok $? "hang round: ${OP_TEXT%;}: with ovs-vswitchd stopped, $errors of ${#QUEUED[@]} end in ERROR past the ${OVS_HIL_SWITCH_TIMEOUT} s deadline"
hild_log_wait '; repaired' $((repaired + 1)) 60
tap_ok $? "hang round: hild checks the switch again and repairs what it holds that the database does not"
grep '; repaired' "$HILD_LOG" | tail -n +$((repaired + 1)) | sed 's/^/  /' | tap_diag
read_state && check_matrix
tap_ok $? "hang round: packets match the database after the repair"

hild_stop rnd
tap_finish
[ "$TAP_FAILED" = 0 ]
