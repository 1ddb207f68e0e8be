#!/bin/bash
# obm-pg.sh - the OBM API with two hild processes on one PostgreSQL
# database (DESIGN.md section 1), against simulated BMCs: an operation
# queued through one process is answered there whichever process applies
# it, one BMC sees one operation at a time whatever process queued them,
# and a console opened through one process ends when the other process
# ends it (DELETE /console, OBM disabled) or releases the node.  TAP;
# skipped without ipmi_sim, socat, ss, curl or a PostgreSQL server.
set -u
. "$(dirname "$0")/lib-hild.sh"
. "$HIL_SRCDIR/tests/integration/ipmi-sim.sh"

if ! ipmisim_have || ! command -v curl >/dev/null; then
	echo "1..0 # SKIP needs ipmi_sim (openipmi), socat, ss and curl"
	exit 0
fi
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
	echo "1..0 # SKIP no PostgreSQL server installed"
	exit 0
fi
if [ ! -f "${HIL_BUILDDIR:-}/driver-plugins/obm/ipmi/.libs/ipmi.so" ]; then
	echo "1..0 # SKIP the ipmi OBM plugin is not built"
	exit 0
fi

PG_DIR=
B_PID=
BG=()
# shellcheck disable=SC2317 # called by lib-hild.sh's cleanup
pg_cleanup() {
	local p
	[ -n "$B_PID" ] && kill -KILL "$B_PID" 2>/dev/null && wait "$B_PID" 2>/dev/null
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
	ipmisim_stop
	if [ -n "$PG_DIR" ]; then
		bash "$HIL_SRCDIR/tests/db/pg-stop.sh" "$PG_DIR" >/dev/null 2>&1
	fi
	PG_DIR=
}

hild_setup
ipmisim_start 2 || tap_bail "could not start the simulated BMCs"
# shellcheck disable=SC2034 # read by lib-hild.sh
HILD_OBM_DRIVERS="ipmi"
PG_DIR=$W/pg
mkdir -p "$PG_DIR"
pg_port=$("$APITEST" --free-port) || tap_bail "no free port"
PG_URI=$(bash "$HIL_SRCDIR/tests/db/pg-start.sh" "$PG_DIR" "$pg_port" 2>"$W/pg.err" | tail -n 1)
[ -n "$PG_URI" ] || { tap_diag <"$W/pg.err"; tap_bail "could not start PostgreSQL"; }

# Process A through lib-hild.sh; process B on the same database.
hild_prepare a "$PG_URI" "obm_timeout = 5" || tap_bail "could not prepare hild"
hild_start a || tap_bail "hild A did not start"
A_URL=$HILD_URL
A_LOG=$HILD_LOG
B_PORT=$("$APITEST" --free-port) || tap_bail "no free port"
sed -e "s/^port = .*/port = $B_PORT/" -e "s/^pid_file = .*/pid_file = ${W//\//\\/}\/b.pid/" \
	"$HILD_CONF" >"$W/b.conf"
chmod 600 "$W/b.conf"
"$HILD" -f "$W/b.conf" >"$W/b.log" 2>&1 &
B_PID=$!
B_URL=http://127.0.0.1:$B_PORT
for _ in $(seq 100); do
	"$APITEST" --probe "$B_URL/v0/projects" && break
	sleep 0.1
done
"$APITEST" --probe "$B_URL/v0/projects"
tap_ok $? "hild B answers on port $B_PORT, on the same database"

bmc() {
	awk -v n="$1" -v f="$2" '$1 == n {
		split("name addr port user pw dir pid", k, " ")
		for (i in k) if (k[i] == f) print $i }' "$IPMISIM_DIR/bmcs"
}
chassis() { sed -n "s/^$2=//p" "$(bmc "$1" dir)/chassis"; }
# api URL WHO METHOD PATH [BODY] -> $STATUS $BODY
api() {
	local base=$1 who=$2 method=$3 path=$4 body=${5:-} auth
	local reply=$W/reply.$BASHPID
	if [ "$who" = admin ]; then auth=$HILD_ADMIN:$HILD_ADMIN_PW; else auth=$who:$who-pw; fi
	STATUS=$(curl -s -m 30 -X "$method" -u "$auth" \
		${body:+-d "$body"} -o "$reply" -w '%{http_code}' \
		"$base/v0$path")
	BODY=$(cat "$reply" 2>/dev/null)
	rm -f "$reply"
}
expect() {
	local ok=1
	if [[ $STATUS =~ ^($2)$ ]] && { [ -z "${3:-}" ] || grep -Eq -- "$3" <<<"$BODY"; }; then
		ok=0
	fi
	tap_ok $ok "$1 ($STATUS $BODY)"
}
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
file_has() { grep -q -- "$2" "$1" 2>/dev/null; }
both_logs_have() { cat "$A_LOG" "$W/b.log" | grep -q -- "$1"; }

api "$A_URL" admin PUT /auth/basic/user/alice '{"password": "alice-pw"}'
api "$A_URL" admin PUT /project/p1
api "$A_URL" admin POST /auth/basic/user/alice/add_project '{"project": "p1"}'
# n1 on bmc1, n2 on the other BMC (ipmi-sim.sh names the last one "alt")
n=0
for b in bmc1 alt; do
	n=$((n + 1))
	api "$A_URL" admin PUT "/node/n$n" "{\"obm\": {\"type\": \"ipmi\", \"host\": \"$(bmc $b addr)\", \"port\": $(bmc $b port), \"user\": \"$(bmc $b user)\", \"password\": \"$(bmc $b pw)\"}}"
	api "$A_URL" alice POST /project/p1/connect_node "{\"node\": \"n$n\"}"
	api "$B_URL" alice PUT "/node/n$n/obm" '{"enabled": true}'
	expect "n$n registered through A, its OBM enabled through B" 200
done

# --- Operations through either process, applied by either.
for i in 1 2 3; do
	api "$B_URL" alice POST /node/n1/power_on
	expect "power_on through B ($i)" 200
	api "$A_URL" alice GET /node/n1/power_status
	expect "power_status through A sees it ($i)" 200 '"On"'
	api "$A_URL" alice POST /node/n1/power_off
	expect "power_off through A ($i)" 200
	api "$B_URL" alice GET /node/n1/power_status
	expect "power_status through B sees it ($i)" 200 '"Off"'
done
[ "$(chassis bmc1 power)" = 0 ]
tap_ok $? "the chassis is off"

# Many calls at once through both: each ends, the BMC saw them in turn.
for i in $(seq 6); do
	if [ $((i % 2)) = 0 ]; then u=$A_URL; else u=$B_URL; fi
	curl -s -m 30 -u alice:alice-pw -o /dev/null -w '%{http_code}\n' \
		"$u/v0/node/n2/power_status" >>"$W/many" &
	BG+=($!)
done
wait "${BG[@]}"
BG=()
[ "$(grep -c '^200$' "$W/many")" = 6 ]
tap_ok $? "6 power_status calls at once through both processes: all 200"

# --- A console opened through A ends when B ends it.
reader() { # BASE NAME
	curl -sN -m 60 -u alice:alice-pw -o "$W/$2.out" "$1/v0/node/n1/console" &
	BG+=($!)
	READER=$!
}
reader "$A_URL" ra
ra=$READER
wait_until 10 both_logs_have "node 'n1': console open"
tap_ok $? "a console opened through A"
line="pg line $RANDOM$RANDOM"
printf '%s\r\n' "$line" >"$(bmc bmc1 dir)/console"
wait_until 5 file_has "$W/ra.out" "$line"
tap_ok $? "it streams"
api "$B_URL" admin DELETE /node/n1/console
expect "DELETE /console through B" 200
wait_until 5 gone "$ra"
tap_ok $? "the stream through A ended"
grep -q "node 'n1': ending the console: it was ended" "$A_LOG"
tap_ok $? "A ended it on the console generation B raised"

# log_grows FILE PATTERN N: FILE has more than N lines with PATTERN.
log_grows() { [ "$(grep -c -- "$2" "$1")" -gt "$3" ]; }
opened=$(grep -c "node 'n1': console open" "$A_LOG")
reader "$A_URL" rb
rb=$READER
wait_until 10 log_grows "$A_LOG" "node 'n1': console open" "$opened"
tap_ok $? "a new console opened through A"
api "$B_URL" alice PUT /node/n1/obm '{"enabled": false}'
expect "alice disables n1's OBM through B" 200
wait_until 5 gone "$rb"
tap_ok $? "the console stream through A ended"

# --- Release through B powers the node off, whoever applies it.
api "$A_URL" alice PUT /node/n1/obm '{"enabled": true}'
api "$A_URL" alice POST /node/n1/power_on
expect "n1 on again" 200
api "$A_URL" alice PUT /node/n1/obm '{"enabled": false}'
api "$B_URL" alice POST /project/p1/detach_node '{"node": "n1"}'
expect "detach through B" 200
# shellcheck disable=SC2016 # evaluated by wait_until each time
wait_until 10 bash -c '[ "$(sed -n "s/^power=//p" "$1")" = 0 ]' _ "$(bmc bmc1 dir)/chassis"
tap_ok $? "the released node was powered off"

kill -TERM "$B_PID"
wait "$B_PID"
tap_ok $? "hild B exits 0 after SIGTERM"
B_PID=
! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$W/b.log"
tap_ok $? "hild B's log is free of sanitizer reports"
hild_stop a
tap_finish
[ "$TAP_FAILED" = 0 ]
