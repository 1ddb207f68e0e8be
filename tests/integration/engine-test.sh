#!/bin/bash
# engine-test.sh - the operation engine, end to end: a real hild with the
# mock switch driver, driven through the HTTP API, watched through the
# mock's journal (one line per session open/close and per port change,
# in the order they happened) and its state file (the switch's port map,
# read back through the driver by switch-readback).
#
#   ordering     sequences of connect/detach/revert on several NICs at
#                once end in the right state, each change applied once,
#                in order, per port; driver failures end in ERROR
#   batching     N actions queued on a slow switch use one session
#   commit       with a driver that has session_commit (the mock with
#                commit = yes), a claimed batch is one commit, applied in
#                queue order, and a commit that fails ends every action
#                of its batch in ERROR with the switch unchanged
#   parallel     one action on each of K slow switches: all K sessions
#                open before the first change completes
#   deadline     a switch slower than switch_timeout: its actions end in
#                ERROR with the timeout text, while another switch's
#                complete (and, with a single worker, right after one
#                deadline, not one per action)
#   lost port    an action whose NIC was unwired meanwhile ends in ERROR
#   limit        past max_pending_actions, requests are refused with 400
#                and queue nothing; the accepted ones are applied
#   verify       ports changed behind hild's back while it was stopped
#                are repaired when it starts again, matching ports are
#                left alone, and verify_switches = no leaves them be
#   crash        kill -9 with actions pending and in flight; after a
#                restart all complete, and the switch equals the database
#   two hilds    two processes on one PostgreSQL database, actions sent to
#                both: every change applied exactly once, in order per NIC
#
# PostgreSQL: a private server from tests/db/pg-start.sh; HIL_ENGINE_PG=no
# skips those parts.  Environment as lib-hild.sh.  TAP on stdout.
set -u
umask 077 # hild refuses a config others can read
. "$(dirname "$0")/lib-hild.sh"
. "$(dirname "$0")/lib-engine.sh"

READBACK=$HIL_BUILDDIR/tests/integration/switch-readback
[ -x "$READBACK" ] || tap_bail "no switch-readback at '$READBACK' (build first)"

PG_DIR=
EXTRA_PID=
pg_cleanup() {
	if [ -n "$EXTRA_PID" ] && kill -0 "$EXTRA_PID" 2>/dev/null; then
		kill -KILL "$EXTRA_PID" 2>/dev/null
		wait "$EXTRA_PID" 2>/dev/null
	fi
	EXTRA_PID=
	if [ -n "$PG_DIR" ]; then
		bash "$HIL_SRCDIR/tests/db/pg-stop.sh" "$PG_DIR" >/dev/null 2>&1
	fi
	PG_DIR=
}

hild_setup
[ -f "$W/plugins/switch/mock.so" ] || tap_bail "the mock switch plugin is not built"
[ -f "$W/plugins/obm/mock.so" ] || tap_bail "the mock OBM plugin is not built"

# engine_conf NAME [LINES...]: the config lines every section shares, a
# journal $W/NAME.journal, plus LINES.
engine_conf() {
	local name=$1
	shift
	printf '%s\n' "vlans = 100-199" "engine_workers = 4" "switch_timeout = 10" \
		"plugin.mock.journal = $W/$name.journal" "$@"
}

# start NAME DATABASE [LINES...]: prepare and start a hild for a section,
# with an admin of its own (sections may share a PostgreSQL database).
start() {
	local name=$1 db=$2
	shift 2
	: >"$W/$name.journal"
	HILD_ADMIN=adm-$name-$$
	hild_prepare "$name" "$db" "$(engine_conf "$name" "$@")" || return 1
	hild_start "$name"
}

# check DESCRIPTION EXPECTED ACTUAL: one test point comparing two texts.
check() {
	if [ "$2" = "$3" ]; then
		tap_ok 0 "$1"
	else
		tap_ok 1 "$1"
		{
			echo "expected:"
			echo "$2"
			echo "got:"
			echo "$3"
		} | tap_diag
	fi
}

# The sequence each NIC of the ordering tests runs, and the journal lines
# it must leave for switch $2, port $3: connect A native, B tagged, detach
# A, C native, revert, B native, A tagged, detach B.  Ends with A on
# vlan/101.  $4 (optional) is a list of API URLs used in turn.
sequence_run() { # NODE SWITCH PORT [URL...]
	local node=$1 sw=$2 port=$3 i=0 id
	shift 3
	local urls=("$@") steps=(
		"connect $node netA vlan/native"
		"connect $node netB vlan/102"
		"detach $node netA"
		"connect $node netC vlan/native"
		"revert $sw $port"
		"connect $node netB vlan/native"
		"connect $node netA vlan/101"
		"detach $node netB"
	)
	[ ${#urls[@]} -gt 0 ] || urls=("$HILD_URL")
	for step in "${steps[@]}"; do
		API_URL=${urls[$((i % ${#urls[@]}))]}
		# shellcheck disable=SC2086 # the step is words on purpose
		id=$($step) || return 1
		i=$((i + 1))
	done
	API_URL=${urls[0]}
	[ "$(action_wait "$id" 60)" = DONE ]
}

sequence_journal() { # SWITCH PORT
	local h=$1 p=$2
	printf '%s\n' "set $h $p vlan/native 101" "set $h $p vlan/102 102" \
		"set $h $p vlan/native -" "set $h $p vlan/native 103" \
		"revert $h $p" "set $h $p vlan/native 102" \
		"set $h $p vlan/101 101" "set $h $p vlan/native -"
}

# The changes of one port, from a journal.
port_journal() { # JOURNAL SWITCH PORT
	grep -E "^(set|revert) $2 $3( |$)" "$1"
}

# readback_vs_db NAME STATEFILE SWITCH PORTS...: the switch's ports read
# back through the driver equal what the database says they carry.
readback_vs_db() {
	local name=$1 state=$2 sw=$3 p want got net vlan ch
	shift 3
	got=$("$READBACK" "$W/plugins/switch" mock -o "state_file=$state" \
		-s username=u -s password=secret "$sw" "$@" 2>&1 | sort)
	want=$(for p in "$@"; do
		port_networks "$sw" "$p" | while read -r ch net; do
			case $net in
			netA) vlan=101 ;;
			netB) vlan=102 ;;
			netC) vlan=103 ;;
			*) vlan="?$net" ;;
			esac
			echo "$p $ch $vlan"
		done
	done | sort)
	check "$name: switch '$sw' read back through the driver equals the database" \
		"$want" "$got"
}

# --- ordering, driver failure -------------------------------------------
section_order() {
	local n=order j=$W/order.journal pids=() rc st
	start "$n" "sqlite://$W/$n.db" "plugin.mock.fail_port = gi1/0/4" || return
	topo_networks netA=101 netB=102 netC=103 && topo_switches 2 4
	tap_ok $? "$n: switches, ports, nodes and networks set up through the API"

	# Three NICs on two switches run their sequences at once.
	sequence_run s1n1 s1 gi1/0/1 >"$W/$n.s1n1" 2>&1 &
	pids+=($!)
	sequence_run s1n2 s1 gi1/0/2 >"$W/$n.s1n2" 2>&1 &
	pids+=($!)
	sequence_run s2n1 s2 gi1/0/1 >"$W/$n.s2n1" 2>&1 &
	pids+=($!)
	rc=0
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	tap_ok $rc "$n: 3 NICs x 8 actions (connect, detach, revert) queued at once all end DONE"
	[ $rc = 0 ] || cat "$W/$n".s* | tap_diag

	for t in s1:gi1/0/1 s1:gi1/0/2 s2:gi1/0/1; do
		check "$n: port ${t#*:} of ${t%%:*} changed in the order of the requests, each once" \
			"$(sequence_journal "${t%%:*}" "${t#*:}")" \
			"$(port_journal "$j" "${t%%:*}" "${t#*:}")"
		check "$n: show_port ${t#*:} of ${t%%:*} ends with netA on vlan/101" \
			"vlan/101 netA" "$(port_networks "${t%%:*}" "${t#*:}")"
	done
	check "$n: show_node s1n2 ends with netA on vlan/101" "vlan/101 netA" \
		"$(node_networks s1n2)"
	check "$n: a NIC with no action is untouched" "" "$(port_journal "$j" s1 gi1/0/3)"

	# A driver that fails: ERROR with its reason, attachments unchanged.
	id=$(connect s1n4 netA) && st=$(action_wait "$id")
	[[ ${st:-} == ERROR*"injected failure"* ]]
	tap_ok $? "$n: a failing driver call ends in ERROR with the driver's text"
	echo "# ${st:-}"
	check "$n: ... and the failed connect attached nothing" "" \
		"$(port_networks s1 gi1/0/4)"
	id=$(connect s1n3 netB vlan/102) && st=$(action_wait "$id")
	check "$n: the next action on the switch still works" DONE "${st:-}"
	hild_stop "$n"
}

# --- batching, lost port ------------------------------------------------
section_batch() {
	local n=batch j=$W/batch.journal ids=() st opens
	local N=8 hold=$W/batch.hold
	start "$n" "sqlite://$W/$n.db" "plugin.mock.hold_file = $hold" || return
	topo_networks netA=101 && topo_switches 1 $N
	tap_ok $? "$n: a switch with $N wired NICs"

	# The first action is held in flight until the others are queued;
	# they must ride in the same session.
	touch "$hold"
	opens=$(journal_count "$j" '^open s1 ')
	ids+=("$(connect s1n1 netA)")
	wait_open "$j" s1 "$opens"
	for p in $(seq 2 $N); do
		ids+=("$(connect "s1n$p" netA)")
	done
	rm -f "$hold"
	all_done "${ids[@]}"
	tap_ok $? "$n: $N connects on one slow switch end DONE"
	opens=$(journal_count "$j" '^open s1 ')
	[ "$opens" -lt $N ]
	tap_ok $? "$n: applied in fewer sessions than actions ($opens for $N)"
	check "$n: ... in exactly one session, saved once" "1 1 $N" \
		"$opens $(journal_count "$j" '^close s1 [0-9]+ save$') $(journal_count "$j" '^set s1 ')"

	# A revert whose NIC is unwired before the engine gets to it: the
	# switch is busy with another port meanwhile.
	must PUT /node/free1 '{"obm": {"type": "mock", "host": "h", "user": "u", "password": "p"}}' &&
		must PUT /node/free1/nic/eth0 '{"macaddr": "00:00:00:00:01:99"}' &&
		must PUT /switch/s1/port/gi1/0/99 &&
		must POST /switch/s1/port/gi1/0/99/connect_nic '{"node": "free1", "nic": "eth0"}'
	tap_ok $? "$n: a free node wired to port gi1/0/99"
	# A revert holds the switch in flight meanwhile.
	touch "$hold"
	opens=$(journal_count "$j" '^open s1 ')
	busy=$(revert s1 gi1/0/1) && wait_open "$j" s1 "$opens" &&
		lost=$(revert s1 gi1/0/99) &&
		must POST /switch/s1/port/gi1/0/99/detach_nic
	tap_ok $? "$n: revert queued, then the NIC unwired while it is pending"
	rm -f "$hold"
	st=$(action_wait "$lost")
	[[ ${st:-} == ERROR*"no longer connected to port 'gi1/0/99'"* ]]
	tap_ok $? "$n: the action of a NIC that lost its port ends in ERROR"
	echo "# ${st:-}"
	check "$n: ... without a driver call" "" "$(port_journal "$j" s1 gi1/0/99)"
	check "$n: the revert before it is DONE" DONE "$(action_wait "$busy")"
	hild_stop "$n"
}

# --- one commit per batch -------------------------------------------------
# wait_open JOURNAL SWITCH COUNT: until the journal has more than COUNT
# sessions opened on the switch (the engine claimed its first batch), for
# 30 s at most.
wait_open() {
	for _ in $(seq 3000); do
		[ "$(journal_count "$1" "^open $2 ")" -gt "$3" ] && return 0
		sleep 0.01
	done
	return 1
}

section_commit() {
	local n=commit j=$W/commit.journal state=$W/commit.state ids=() rc st
	local busy opens id hold=$W/commit.hold
	start "$n" "sqlite://$W/$n.db" "plugin.mock.commit = yes" \
		"plugin.mock.hold_file = $hold" "plugin.mock.fail_commit = gi1/0/9" \
		"plugin.mock.state_file = $state" || return
	topo_networks netA=101 netB=102 && topo_switches 1 9
	tap_ok $? "$n: a switch with 9 wired NICs whose driver commits batches"

	# One action is held in flight; six more (the API takes one pending
	# action per NIC: six ports) queue meanwhile and are claimed together.
	touch "$hold"
	opens=$(journal_count "$j" '^open s1 ')
	busy=$(connect s1n7 netA) && wait_open "$j" s1 "$opens" &&
		ids=("$(connect s1n1 netA)" "$(connect s1n2 netB vlan/102)"
			"$(connect s1n3 netA)" "$(revert s1 gi1/0/4)"
			"$(connect s1n5 netA)" "$(connect s1n6 netB vlan/102)")
	tap_ok $? "$n: one action in flight, six more queued behind it"
	rm -f "$hold"
	all_done "$busy" "${ids[@]}"
	tap_ok $? "$n: all seven end DONE"
	check "$n: two commits, of 1 and 6 changes" "commit s1 1
commit s1 6" "$(grep '^commit ' "$j")"
	check "$n: the six changes are applied in queue order" \
		"set s1 gi1/0/1 vlan/native 101
set s1 gi1/0/2 vlan/102 102
set s1 gi1/0/3 vlan/native 101
revert s1 gi1/0/4
set s1 gi1/0/5 vlan/native 101
set s1 gi1/0/6 vlan/102 102" \
		"$(grep -E '^(set|revert) ' "$j" | grep -v gi1/0/7)"
	readback_vs_db "$n" "$state" s1 gi1/0/1 gi1/0/2 gi1/0/3 gi1/0/4 \
		gi1/0/5 gi1/0/6 gi1/0/7

	# A batch whose commit fails: the switch took none of it, so each
	# action is tried again alone; only the one on the failing port ends
	# in ERROR, with the commit's text, and neither the switch nor the
	# database has it.
	touch "$hold"
	opens=$(journal_count "$j" '^open s1 ')
	ids=()
	busy=$(connect s1n8 netA) && wait_open "$j" s1 "$opens" &&
		ids=("$(connect s1n9 netA)" "$(connect s1n2 netA)"
			"$(detach s1n5 netA)")
	tap_ok $? "$n: one action in flight, three more queued, one of them on the port whose commit fails"
	rm -f "$hold"
	check "$n: the action in flight is DONE" DONE "$(action_wait "$busy" 60)"
	st=$(action_wait "${ids[0]}" 60)
	check "$n: the action on the failing port ends in ERROR with the commit's text" \
		"ERROR"$'\t'"commit with port 'gi1/0/9' failed (injected failure)" "$st"
	check "$n: the two others, tried again alone, end DONE" "DONE DONE" \
		"$(action_wait "${ids[1]}" 60) $(action_wait "${ids[2]}" 60)"
	grep -q "switch 's1': commit with port 'gi1/0/9' failed (injected failure); applying the batch's 3 operations one at a time" "$HILD_LOG"
	tap_ok $? "$n: the failed commit of three is logged, and retried one at a time"
	check "$n: the database has the two, not the failed one" \
		"gi1/0/2: vlan/102 netB vlan/native netA; gi1/0/5: ; gi1/0/9: " \
		"$(for p in 2 5 9; do printf 'gi1/0/%s: %s; ' $p "$(port_networks s1 gi1/0/$p | sort | tr '\n' ' ' | sed 's/ $//')"; done | sed 's/; $//')"
	readback_vs_db "$n: after the failed commit" "$state" s1 gi1/0/2 \
		gi1/0/5 gi1/0/8 gi1/0/9
	check "$n: commits that reached the switch: the one in flight, then one per retried action" \
		"commit s1 1
commit s1 1
commit s1 1" "$(grep '^commit ' "$j" | tail -n 3)"
	check "$n: the failed commits wrote nothing to the switch" 5 \
		"$(journal_count "$j" '^commit ')"
	hild_stop "$n"
}

# --- the switch check at start --------------------------------------------
section_verify() {
	local n=verify j=$W/verify.journal state=$W/verify.state db rc id
	local ports=(gi1/0/1 gi1/0/2 gi1/0/3 gi1/0/4)
	db="sqlite://$W/$n.db"
	start "$n" "$db" "plugin.mock.state_file = $state" || return
	topo_networks netA=101 netB=102 && topo_switches 1 4
	tap_ok $? "$n: a switch with 4 wired NICs"
	rc=0
	for step in "s1n1 netA" "s1n2 netB vlan/102" "s1n2 netA" "s1n3 netA"; do
		# shellcheck disable=SC2086 # the step is words on purpose
		id=$(connect $step) && [ "$(action_wait "$id" 60)" = DONE ] || rc=1
	done
	tap_ok $rc "$n: n1 on netA, n2 on netB (vlan/102) and netA, n3 on netA"
	hild_stop "$n"

	# Behind hild's back: n1's port on a wrong VLAN, a VLAN added to
	# n4's (which has no network), n2 and n3 left as they are.
	sed -i -e 's/^\(s1\tgi1\/0\/1\tvlan\/native\t\)101$/\1999/' "$state" &&
		printf 's1\tgi1/0/4\tvlan/150\t150\n' >>"$state"
	tap_ok $? "$n: while hild is stopped, gi1/0/1 moves to vlan 999 and gi1/0/4 gets vlan 150"

	# verify_switches = no: nothing is checked, nothing repaired.
	hild_config "$n" "$db" "$(engine_conf "$n" "plugin.mock.state_file = $state" "verify_switches = no")"
	: >"$j"
	hild_start "$n: verify_switches = no" || return
	sleep 1
	check "$n: with verify_switches = no, no port is changed" "" \
		"$(grep -E '^(set|revert) ' "$j")"
	hild_stop "$n"

	hild_config "$n" "$db" "$(engine_conf "$n" "plugin.mock.state_file = $state")"
	: >"$j"
	hild_start "$n: restart" || return
	hild_log_wait "port 'gi1/0/[0-9]+' differs: .*; repaired" 2
	tap_ok $? "$n: the two changed ports are repaired soon after the start, with nothing queued"
	grep -E "; repaired" "$HILD_LOG" | sed 's/^/  /' | tap_diag
	grep -qF "switch 's1': port 'gi1/0/1' differs: it carries 'vlan/native=999'; the database says 'vlan/native=101'; repaired" "$HILD_LOG" &&
		grep -qF "switch 's1': port 'gi1/0/4' differs: it carries 'vlan/150=150'; the database says 'nothing'; repaired" "$HILD_LOG"
	tap_ok $? "$n: a warning names the switch, the port, what it carried and what it wants"
	check "$n: the journal shows exactly those repairs" \
		"revert s1 gi1/0/1
set s1 gi1/0/1 vlan/native 101
revert s1 gi1/0/4" "$(grep -E '^(set|revert) ' "$j")"
	readback_vs_db "$n" "$state" s1 "${ports[@]}"
	check "$n: matching ports were not touched" "" \
		"$(grep -E "port 'gi1/0/[23]'.*repaired" "$HILD_LOG")"
	id=$(connect s1n4 netB vlan/102)
	check "$n: the switch serves actions afterwards" DONE "$(action_wait "$id" 60)"
	check "$n: and is checked once per process" 2 \
		"$(grep -cE "; repaired" "$HILD_LOG")"
	hild_stop "$n"
}

# --- parallelism across switches -----------------------------------------
section_parallel() {
	local n=parallel j=$W/parallel.journal K=4 ids=() first
	local hold=$W/parallel.hold
	start "$n" "sqlite://$W/$n.db" "plugin.mock.hold_file = $hold" || return
	topo_networks netA=101 && topo_switches $K 1
	tap_ok $? "$n: $K switches with one NIC each"
	# Every change is held until K sessions are open: sequential service
	# would never open the second.
	touch "$hold"
	for s in $(seq $K); do
		ids+=("$(connect "s${s}n1" netA)")
	done
	for _ in $(seq 3000); do
		[ "$(journal_count "$j" '^open ')" -ge $K ] && break
		sleep 0.01
	done
	rm -f "$hold"
	all_done "${ids[@]}"
	tap_ok $? "$n: one connect on each of $K switches ends DONE"
	first=$(head -n $K "$j" | grep -c '^open ')
	check "$n: all $K sessions open before the first change completes" \
		"$K" "$first"
	hild_stop "$n"
}

# --- deadlines -----------------------------------------------------------
# With two workers the fast switch completes while the slow one hangs;
# with one worker, every action of the hung switch fails at its first
# deadline, so the fast switch waits one deadline, not one per action.
# The deadline (5 s) leaves the four requests ample time to be queued
# while the first change hangs.
section_deadline() {
	local workers=$1 n=deadline$1 j=$W/deadline$1.journal slow=() fast st rc
	start "$n" "sqlite://$W/$n.db" "engine_workers = $workers" "switch_timeout = 5" \
		"plugin.mock.delay_ms = 60000" "plugin.mock.delay_host = s1" || return
	topo_networks netA=101 && topo_switches 2 3
	tap_ok $? "$n: a hung switch s1 and a working s2 ($workers worker(s), 5 s deadline)"
	for p in 1 2 3; do
		slow+=("$(connect "s1n$p" netA)")
	done
	fast=$(connect s2n1 netA)
	st=$(action_wait "$fast" 30)
	check "$n: the working switch's action is DONE" DONE "$st"
	rc=0
	for id in "${slow[@]}"; do
		st=$(action_wait "$id" 30)
		[[ $st == "ERROR"$'\t'"switch did not answer within 5 s" ]] || {
			rc=1
			echo "# $id: $st"
		}
	done
	tap_ok $rc "$n: the hung switch's 3 actions end in ERROR 'switch did not answer within 5 s'"
	check "$n: ... and attached nothing" "" \
		"$(for p in 1 2 3; do port_networks s1 "gi1/0/$p"; done)"
	if [ "$workers" = 1 ]; then
		check "$n: one session (one deadline) for all of the hung switch's actions" \
			1 "$(journal_count "$j" '^open s1 ')"
		# s2 is served right after s1's session, not after 3 deadlines.
		check "$n: the working switch is served right after that session" \
			"open s1 close s1 open s2" \
			"$(grep -E '^(open|close) ' "$j" | head -n 3 | cut -d' ' -f1,2 | tr '\n' ' ' | sed 's/ $//')"
	else
		# The fast change is in the journal before the hung session ends.
		grep -nE '^(set s2 |close s1 )' "$j" | head -n 1 | grep -q 'set s2 '
		tap_ok $? "$n: the working switch changed while the hung one still held its worker"
	fi
	hild_stop "$n"
}

# --- the limit of pending actions -----------------------------------------
# max_pending_actions = 3 on a switch that takes 5 s a change: while three
# are pending, a fourth connect and a revert are refused with 400 and
# queue nothing; the three are applied as usual, and then the fourth is
# accepted.
section_limit() {
	local n=limit ids=() id p
	start "$n" "sqlite://$W/$n.db" "max_pending_actions = 3" \
		"switch_timeout = 30" "plugin.mock.delay_ms = 5000" || return
	topo_networks netA=101 && topo_switches 1 5
	tap_ok $? "$n: a slow switch with 5 wired NICs, at most 3 actions pending"
	for p in 1 2 3; do
		ids+=("$(connect "s1n$p" netA)")
	done
	[ ${#ids[@]} = 3 ] && [ -n "${ids[2]}" ]
	tap_ok $? "$n: three connects are accepted"
	api POST /node/s1n4/nic/eth0/connect_network '{"network": "netA"}'
	[ "$API_STATUS" = 400 ] &&
		[[ $API_BODY == *"3 networking actions are pending already"* ]]
	tap_ok $? "$n: a fourth is refused with 400, saying why"
	echo "# $API_STATUS $API_BODY"
	api POST /switch/s1/port/gi1/0/5/revert
	[ "$API_STATUS" = 400 ]
	tap_ok $? "$n: so is a revert"
	check "$n: ... and neither queued anything" 3 \
		"$(pending_count "sqlite://$W/$n.db")"
	all_done "${ids[@]}"
	tap_ok $? "$n: the three accepted actions end DONE"
	id=$(connect s1n4 netA) && [ "$(action_wait "$id" 60)" = DONE ]
	tap_ok $? "$n: then the fourth is accepted and done"
	check "$n: the four ports carry netA, the fifth nothing" \
		"$(printf 'vlan/native netA\n%.0s' 1 2 3 4)" \
		"$(for p in 1 2 3 4 5; do port_networks s1 "gi1/0/$p"; done)"
	hild_stop "$n"
}

# --- crash recovery -----------------------------------------------------
section_crash() {
	local backend=$1 db=$2 n=crash-$1 ids=() rc pend round opens
	local state=$W/$n.state ports=(gi1/0/1 gi1/0/2 gi1/0/3 gi1/0/4)
	local sw=c$backend$$-s # unique on a shared database
	local hold=$W/$n.hold j=$W/$n.journal
	# The second switch holds its changes in flight until the kill; the
	# first applies them.
	start "$n" "$db" "plugin.mock.hold_file = $hold" \
		"plugin.mock.delay_host = ${sw}2" \
		"plugin.mock.state_file = $state" || return
	topo_networks netA=101 netB=102 && topo_switches 2 4 "$sw"
	tap_ok $? "$n: 2 switches with 4 NICs each"
	for round in 1 2; do
		ids=()
		touch "$hold"
		opens=$(journal_count "$j" "^open ${sw}2 ")
		for s in 1 2; do
			for p in 1 2 3 4; do
				node=$sw${s}n$p
				if [ $round = 1 ]; then
					ids+=("$(connect "$node" netA)")
				elif [ $p -le 2 ]; then
					ids+=("$(detach "$node" netA)")
				elif [ $p = 3 ]; then
					ids+=("$(revert "$sw$s" "gi1/0/$p")")
				else
					ids+=("$(connect "$node" netB vlan/102)")
				fi
			done
		done
		all_done "${ids[@]:0:4}"
		rc=$?
		wait_open "$j" "${sw}2" "$opens" || rc=1
		tap_ok $rc "$n round $round: the first switch's 4 actions are DONE, the second's in flight"
		kill -KILL "$HILD_PID"
		wait "$HILD_PID" 2>/dev/null
		HILD_PID=
		rm -f "$hold"
		check "$n round $round: killed with 4 of 8 actions pending" 4 \
			"$(pending_count "$db")"
		hild_start "$n round $round: restart after kill -9" || return
		all_done "${ids[@]}"
		tap_ok $? "$n round $round: after the restart all 8 actions are DONE"
		for s in 1 2; do
			readback_vs_db "$n round $round" "$state" "$sw$s" "${ports[@]}"
		done
	done
	echo "# actions claimed again after a kill: $(grep -c 'claimed before an interruption' "$HILD_LOG")"
	hild_stop "$n"
}

# --- two hild processes on one PostgreSQL database ------------------------
section_two() {
	local db=$1 n=two j=$W/two.journal state=$W/two.state url_a url_b pids=() rc
	local extra t=t$$-s # unique on a shared database
	: >"$j"
	HILD_ADMIN=adm-two-$$
	extra=$(engine_conf two "engine_workers = 2" "plugin.mock.delay_ms = 30" \
		"plugin.mock.state_file = $state")
	hild_prepare two-a "$db" "$extra" || return
	hild_start two-a || return
	url_a=$HILD_URL
	EXTRA_PID=$HILD_PID
	local log_a=$HILD_LOG
	HILD_PORT=$("$APITEST" --free-port) || tap_bail "no free port"
	hild_config two-b "$db" "$extra"
	hild_start two-b || return
	url_b=$HILD_URL

	API_URL=$url_a
	topo_networks netA=101 netB=102 netC=103 && topo_switches 2 4 "$t"
	tap_ok $? "$n: 2 switches with 4 NICs each, set up through hild A"

	# hild B queues; hild A hears of it when B's transaction commits.
	local heard
	heard=$(grep -c 'woken by a notification' "$log_a")
	API_URL=$url_b
	id=$(connect "${t}1n4" netA) && st=$(action_wait "$id")
	check "$n: an action queued through hild B is DONE" DONE "${st:-}"
	for _ in $(seq 500); do
		[ "$(grep -c 'woken by a notification' "$log_a")" -gt "$heard" ] && break
		sleep 0.02
	done
	[ "$(grep -c 'woken by a notification' "$log_a")" -gt "$heard" ]
	tap_ok $? "$n: hild A was notified (LISTEN/NOTIFY) when hild B queued it"
	API_URL=$url_a

	# Each NIC's steps go to A and B in turn; all NICs at once.
	for s in 1 2; do
		for p in 1 2 3; do
			sequence_run "$t${s}n$p" "$t$s" "gi1/0/$p" "$url_a" "$url_b" \
				>"$W/$n.$s.$p" 2>&1 &
			pids+=($!)
		done
	done
	rc=0
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	tap_ok $rc "$n: 6 NICs x 8 actions sent to both processes in turn all end DONE"
	[ $rc = 0 ] || cat "$W/$n".[12].* | tap_diag
	rc=0
	for s in 1 2; do
		for p in 1 2 3; do
			if [ "$(port_journal "$j" "$t$s" "gi1/0/$p")" != \
				"$(sequence_journal "$t$s" "gi1/0/$p")" ]; then
				rc=1
				echo "# port gi1/0/$p of $t$s:"
				port_journal "$j" "$t$s" "gi1/0/$p" | tap_diag
			fi
		done
	done
	tap_ok $rc "$n: every change applied exactly once, in order, on each of the 6 ports"
	API_URL=$url_b
	for s in 1 2; do
		readback_vs_db "$n" "$state" "$t$s" gi1/0/1 gi1/0/2 gi1/0/3
	done
	echo "# operations applied by hild A: $(grep -c "operation .* done" "$log_a"), by hild B: $(grep -c "operation .* done" "$HILD_LOG")"
	hild_stop two-b
	unset API_URL
	# A is the one lib-hild stops now.
	HILD_PID=$EXTRA_PID
	EXTRA_PID=
	HILD_LOG=$log_a
	hild_stop two-a
}

section_order
section_batch
section_commit
section_verify
section_parallel
section_deadline 2
section_deadline 1
section_limit
section_crash sqlite "sqlite://$W/crash.db"

# A server of its own: the one HIL_TEST_PG_URI names is shared with
# suites running at the same time.
pg_uri=
if [ "${HIL_ENGINE_PG:-}" != no ] && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
	tap_bail "PostgreSQL is not installed (tests/deps.sh test)"
fi
if [ -z "$pg_uri" ] && [ "${HIL_ENGINE_PG:-}" != no ] &&
	ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
	PG_DIR=$W/pg
	mkdir -p "$PG_DIR"
	pg_port=$("$APITEST" --free-port) || tap_bail "no free port"
	pg_uri=$(bash "$HIL_SRCDIR/tests/db/pg-start.sh" "$PG_DIR" "$pg_port" \
		2>"$W/pg-start.err" | tail -n 1)
	if [ -z "$pg_uri" ]; then
		tap_diag <"$W/pg-start.err"
		tap_bail "could not start PostgreSQL"
	fi
fi
if [ -n "$pg_uri" ] && [ "${HIL_ENGINE_PG:-}" != no ]; then
	section_crash pg "$pg_uri"
	section_two "$pg_uri"
else
	echo "# PostgreSQL parts skipped"
fi

tap_finish
[ $TAP_FAILED = 0 ]
