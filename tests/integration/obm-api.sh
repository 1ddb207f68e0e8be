#!/bin/bash
# obm-api.sh - the OBM API (DESIGN.md section 2, hild/api/obm.c) through a
# real hild against simulated BMCs (OpenIPMI's ipmi_sim on loopback, see
# ipmi-sim.sh): every power call changes the simulated chassis, the boot
# device reaches it, console text written on the node side reaches two
# API readers at once (and a late one through the ring buffer), a BMC
# that refuses and one that does not answer give clear errors within the
# deadline, an operation queued behind a hung BMC answers 202 and can be
# followed, a non-member is refused everywhere, disabling the OBM and
# DELETE /console end the streams, a released node is powered off and
# set to boot from disk, and a power operation pending when hild is
# killed (-9) is applied after the restart.  TAP; skipped without
# ipmi_sim, socat, ss and curl.
set -u
. "$(dirname "$0")/lib-hild.sh"
. "$HIL_SRCDIR/tests/integration/ipmi-sim.sh"

OBM_TIMEOUT=4	 # hild's obm_timeout for this run, seconds
MARGIN=3	 # api/obm.c's OBM_WAIT_MARGIN_MS, seconds
CURL_MAX=30	 # any one request, seconds

if ! ipmisim_have || ! command -v curl >/dev/null; then
	echo "1..0 # SKIP needs ipmi_sim (openipmi), socat, ss and curl"
	exit 0
fi
if [ ! -f "${HIL_BUILDDIR:-}/driver-plugins/obm/ipmi/.libs/ipmi.so" ]; then
	echo "1..0 # SKIP the ipmi OBM plugin is not built"
	exit 0
fi

READERS=()
obm_cleanup() {
	local p
	for p in "${READERS[@]}"; do kill "$p" 2>/dev/null; done
	ipmisim_stop
	hild_cleanup
}

hild_setup
trap obm_cleanup EXIT
ipmisim_start 4 || tap_bail "could not start the simulated BMCs"
# shellcheck disable=SC2034 # read by lib-hild.sh
HILD_OBM_DRIVERS="mock, ipmi"

# bmc NAME FIELD: address port user password dir pid of a simulated BMC.
bmc() {
	awk -v n="$1" -v f="$2" '$1 == n {
		split("name addr port user pw dir pid", k, " ")
		for (i in k) if (k[i] == f) print $i }' "$IPMISIM_DIR/bmcs"
}
chassis() { sed -n "s/^$2=//p" "$(bmc "$1" dir)/chassis"; }

# api WHO METHOD PATH [BODY]: the reply in $STATUS and $BODY, the time it
# took in $SECS.
api() {
	local who=$1 method=$2 path=$3 body=${4:-} auth=() out
	local reply=$W/reply.$BASHPID
	case $who in
	admin) auth=(-u "$HILD_ADMIN:$HILD_ADMIN_PW") ;;
	anon) ;;
	*) auth=(-u "$who:$who-pw") ;;
	esac
	out=$(curl -s -m "$CURL_MAX" -X "$method" "${auth[@]}" \
		${body:+-H 'Content-Type: application/json' -d "$body"} \
		-o "$reply" -w '%{http_code} %{time_total}' "$HILD_URL/v0$path")
	STATUS=${out%% *}
	SECS=${out#* }
	BODY=$(cat "$reply" 2>/dev/null)
	rm -f "$reply"
}

# expect DESCRIPTION STATUS-REGEX [BODY-REGEX]: a test point on the last
# reply.
expect() {
	local ok=1
	if [[ $STATUS =~ ^($2)$ ]] && { [ -z "${3:-}" ] || grep -Eq -- "$3" <<<"$BODY"; }; then
		ok=0
	fi
	tap_ok $ok "$1 ($STATUS $BODY)"
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
is_chassis() { [ "$(chassis "$1" "$2")" = "$3" ]; }
log_has() { grep -q -- "$1" "$HILD_LOG"; }
# log_mark, then log_since PATTERN: PATTERN logged after the mark.
log_mark() { MARK=$(wc -l <"$HILD_LOG"); }
log_since() { tail -n +$((MARK + 1)) "$HILD_LOG" | grep -q -- "$1"; }
file_has() { grep -q -- "$2" "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# reader NAME NODE [WHO]: stream the node's console into $W/NAME.out in
# the background (curl, its PID in $READER; "wait" tells its status), the
# HTTP status into $W/NAME.code.
reader() {
	local who=${3:-alice} auth
	if [ "$who" = admin ]; then auth=$HILD_ADMIN:$HILD_ADMIN_PW; else auth=$who:$who-pw; fi
	curl -sN -m 60 -u "$auth" -o "$W/$1.out" -w '%{http_code}' \
		"$HILD_URL/v0/node/$2/console" >"$W/$1.code" &
	READER=$!
	READERS+=("$READER")
}

# --- A config that names a boot device no driver knows is refused.
hild_prepare obm "sqlite://$W/obm.db" "obm_timeout = $OBM_TIMEOUT
release_bootdev = disk" || tap_bail "could not prepare hild"
sed 's/^release_bootdev = disk$/release_bootdev = floppy/' "$HILD_CONF" >"$W/bad.conf"
chmod 600 "$W/bad.conf"
"$HILD" -t -f "$W/bad.conf" >"$W/bad.out" 2>&1
tap_ok $((!$?)) "hild -t refuses release_bootdev = floppy"
grep -q "release_bootdev 'floppy' is not a boot device" "$W/bad.out"
tap_ok $? "and says why"
sed 's/^release_bootdev = disk$/release_power = soft/' "$HILD_CONF" >"$W/bad.conf"
"$HILD" -t -f "$W/bad.conf" >"$W/bad.out" 2>&1
tap_ok $((!$?)) "hild -t refuses release_power = soft"
"$HILD" -t -f "$HILD_CONF" >/dev/null 2>&1
tap_ok $? "hild -t accepts the test config"
hild_start obm || tap_bail "hild did not start"

# --- Fixtures: alice in p1, bob in p2; i1..i3 and ialt (the BMC on a
# non-standard port) in p1, idead (nothing answers there) too.
api admin PUT /auth/basic/user/alice '{"password": "alice-pw"}'
api admin PUT /auth/basic/user/bob '{"password": "bob-pw"}'
api admin PUT /project/p1
api admin PUT /project/p2
api admin POST /auth/basic/user/alice/add_project '{"project": "p1"}'
api admin POST /auth/basic/user/bob/add_project '{"project": "p2"}'
register() { # NODE ADDR PORT USER PASSWORD
	api admin PUT "/node/$1" "{\"obm\": {\"type\": \"ipmi\", \"host\": \"$2\", \"port\": $3, \"user\": \"$4\", \"password\": \"$5\"}}"
	expect "register $1 with an ipmi OBM" 200
	api alice POST /project/p1/connect_node "{\"node\": \"$1\"}"
	api alice PUT "/node/$1/obm" '{"enabled": true}'
	expect "alice enables the OBM of $1" 200
}
for n in 1 2 3; do
	register "i$n" "$(bmc bmc$n addr)" "$(bmc bmc$n port)" "$(bmc bmc$n user)" "$(bmc bmc$n pw)"
done
register ialt "$(bmc alt addr)" "$(bmc alt port)" "$(bmc alt user)" "$(bmc alt pw)"
register idead "$IPMISIM_DEAD" 623 admin not-a-password

# --- Power: every call changes the simulated chassis.
api alice GET /node/i1/power_status
expect "power_status of a chassis that is off" 200 '^\{"power_status":"Off"\}$'
api alice POST /node/i1/power_on
expect "power_on" 200
is_chassis bmc1 power 1
tap_ok $? "power_on turned the simulated chassis on"
api alice GET /node/i1/power_status
expect "power_status says On" 200 '"On"'
api alice POST /node/i1/power_off
expect "power_off" 200
is_chassis bmc1 power 0
tap_ok $? "power_off turned it off"
api alice POST /node/i1/power_on
: >"$(bmc bmc1 dir)/chassis.log"
api alice POST /node/i1/power_cycle
expect "power_cycle" 200
# ipmi_sim powers down at once and up again a second later
wait_until 5 file_has "$(bmc bmc1 dir)/chassis.log" "set power 1"
tap_ok $? "power_cycle powered the chassis down and up: $(grep -c 'set power' "$(bmc bmc1 dir)/chassis.log") changes"
api alice POST /node/i1/power_cycle '{"force": true}'
expect "power_cycle with force" 200
wait_until 3 file_has "$(bmc bmc1 dir)/resets" reset
tap_ok $? "power_cycle with force is a hard reset"
api alice POST /node/ialt/power_on
expect "power_on through a BMC on port $(bmc alt port)" 200
is_chassis alt power 1
tap_ok $? "its chassis is on"
api alice GET /node/ialt/power_status
expect "and power_status says so" 200 '"On"'

# --- Boot device.
api alice PUT /node/i1/boot_device '{"bootdev": "pxe"}'
expect "boot_device pxe" 200
is_chassis bmc1 boot pxe
tap_ok $? "the chassis boots from pxe"
# ipmi_sim calls the disk "default"
api alice PUT /node/i1/boot_device '{"bootdev": "disk"}'
expect "boot_device disk" 200
is_chassis bmc1 boot default
tap_ok $? "then from disk"
api alice PUT /node/i1/boot_device '{"bootdev": "floppy"}'
expect "a boot device the driver does not know" 400 BadArgumentError
is_chassis bmc1 boot default
tap_ok $? "and the chassis kept its boot device"

# --- The hil CLI over the same calls.
hil() {
	HIL_ENDPOINT=$HILD_URL HIL_USERNAME=alice HIL_PASSWORD=alice-pw \
		"$HIL_BUILDDIR/hild/client/hil" "$@"
}
out=$(hil node power off i1 2>&1)
tap_ok $? "hil node power off ($out)"
[ "$(hil node power status i1 2>&1)" = Off ] && is_chassis bmc1 power 0
tap_ok $? "hil node power status: Off"
hil node power on i1 >/dev/null 2>&1 && [ "$(hil node power status i1 2>&1)" = On ]
tap_ok $? "hil node power on: On"
hil node bootdev i1 pxe >/dev/null 2>&1 && is_chassis bmc1 boot pxe
tap_ok $? "hil node bootdev i1 pxe"
! out=$(hil node bootdev i1 floppy 2>&1) && grep -q "BadArgumentError" <<<"$out"
tap_ok $? "hil node bootdev refuses a device the driver does not know ($out)"
! out=$(HIL_ENDPOINT=$HILD_URL HIL_USERNAME=bob HIL_PASSWORD=bob-pw \
	"$HIL_BUILDDIR/hild/client/hil" node power on i1 2>&1) &&
	grep -q AuthorizationError <<<"$out"
tap_ok $? "hil as a non-member is refused ($out)"
api alice PUT /node/i1/boot_device '{"bootdev": "disk"}'

# --- The console: one BMC session, two readers at once, a late one.
log_mark
reader a i1
ra=$READER
wait_until 10 log_since "node 'i1': console open"
tap_ok $? "the first reader opens the BMC console"
reader b i1
rb=$READER
wait_until 5 log_since "node 'i1': console reader 2 attached"
tap_ok $? "a second reader shares it"
line="console line $RANDOM$RANDOM"
printf '%s\r\n' "$line" >"$(bmc bmc1 dir)/console"
wait_until 5 file_has "$W/a.out" "$line"
tap_ok $? "the first reader got the text written on the node side"
wait_until 5 file_has "$W/b.out" "$line"
tap_ok $? "the second reader got it too"
reader c i1 admin
rc=$READER
wait_until 5 file_has "$W/c.out" "$line"
tap_ok $? "a reader that came later gets it from the ring buffer"
printf 'second %s\r\n' "$line" >"$(bmc bmc1 dir)/console"
wait_until 5 file_has "$W/c.out" "second $line"
tap_ok $? "and then live output"
[ "$(tail -n +$((MARK + 1)) "$HILD_LOG" | grep -c "console open")" = 1 ]
tap_ok $? "three readers, one BMC console session"
# Readers wait without holding an HTTP thread (hild has 2 here).
api alice GET /node/i1/power_status
expect "with 3 readers streaming, other calls are served" 200 '"On"'
extra=()
for x in 4 5 6 7 8; do
	reader "x$x" i1
	extra+=("$READER")
done
wait_until 5 log_since "node 'i1': console reader 8 attached"
tap_ok $? "8 readers on one console"
api alice GET /node/i1/console
expect "a 9th is refused" 503 'ServiceUnavailableError.*8 readers'
api alice GET /node/i1/power_status
expect "and the API still answers" 200 '"On"'
api bob DELETE /node/i1/console
expect "bob may not end the console" 403 AuthorizationError
api alice DELETE /node/i1/console
expect "nor may a member" 403 AuthorizationError
api admin DELETE /node/i1/console
expect "an admin ends it" 200
ok=0
for p in "$ra" "$rb" "$rc" "${extra[@]}"; do
	wait_until 5 gone "$p" || ok=1
done
tap_ok $ok "every reader's stream ended"
wait "$ra"
a=$?
wait "$rb"
b=$?
[ "$(cat "$W/a.code")" = 200 ] && [ $a = 0 ] && [ $b = 0 ]
tap_ok $? "cleanly (200, curl exit statuses $a and $b)"
wait_until 5 log_since "node 'i1': console closed"
tap_ok $? "and the BMC console was closed"

# --- A client that goes away frees its reader.
log_mark
reader d i1
rd=$READER
wait_until 10 log_since "node 'i1': console open"
sleep 0.5
kill "$rd"
wait "$rd" 2>/dev/null
wait_until 20 log_since "node 'i1': the console's last reader left"
tap_ok $? "a reader whose client disconnected is detached"

# --- A BMC that refuses, one that does not answer, an address where
# nothing listens: clear errors within the deadline.
touch "$(bmc bmc2 dir)/fail"
api alice POST /node/i2/power_on
expect "a BMC that refuses power_on: 502 OBMError with its words" 502 '"type":"OBMError".*refused power on'
api alice GET /node/i2/power_status
expect "and power_status" 502 '"type":"OBMError".*refused'
rm -f "$(bmc bmc2 dir)/fail"
api alice GET /node/i2/power_status
expect "once it is fixed, it answers" 200 '"Off"'
kill -STOP "$(bmc bmc2 pid)"
api alice GET /node/i2/power_status
expect "a BMC that does not answer: 504 OBMError" 504 '"type":"OBMError".*outcome is unknown'
awk -v s="$SECS" -v t=$((OBM_TIMEOUT + MARGIN)) 'BEGIN { exit !(s <= t) }'
tap_ok $? "within obm_timeout plus the margin (${SECS} s)"
api alice GET /node/idead/power_status
expect "a BMC address where nothing listens: OBMError" '50[24]' '"type":"OBMError"'
awk -v s="$SECS" -v t=$((OBM_TIMEOUT + MARGIN)) 'BEGIN { exit !(s <= t) }'
tap_ok $? "within obm_timeout plus the margin (${SECS} s)"

# --- Behind a hung BMC: 202 and obm_action; the per-node limit.
# bmc2 is still stopped: its first operation holds the worker for
# obm_timeout, the second waits longer than its wait bound.  Each request
# is sent once the one before it is in the database.
# pending_at_least NODE N: N operations of NODE are pending.
pending_at_least() {
	[ "$(sqlite3 "$W/obm.db" "SELECT COUNT(*) FROM operations o
		JOIN nodes n ON n.id = o.node_id
		WHERE n.label = '$1' AND o.status = 'PENDING'")" -ge "$2" ]
}
BG=()
(api alice GET /node/i2/power_status) &
BG+=($!)
wait_until 20 pending_at_least i2 1
(api alice POST /node/i2/power_on) &
BG+=($!)
wait_until 20 pending_at_least i2 2
curl -s -m "$CURL_MAX" -u alice:alice-pw -X POST -o "$W/queued" \
	-w '%{http_code}' "$HILD_URL/v0/node/i2/power_off" >"$W/queued.code" &
bg3=$!
wait_until 20 pending_at_least i2 3
for _ in $(seq 13); do
	curl -s -m "$CURL_MAX" -u alice:alice-pw -o /dev/null \
		"$HILD_URL/v0/node/i2/power_status" &
	BG+=($!)
done
wait_until 20 pending_at_least i2 16
api alice GET /node/i2/power_status
expect "past 16 queued operations on a node: 400" 400 'ValidationError.*16 OBM operations'
wait "$bg3"
[ "$(cat "$W/queued.code")" = 202 ]
tap_ok $? "an operation still queued at its wait bound: 202 ($(cat "$W/queued.code") $(cat "$W/queued"))"
sid=$(sed -n 's/.*"status_id":"\([^"]*\)".*/\1/p' "$W/queued")
api alice GET "/obm_action/$sid"
expect "obm_action: still pending" 200 '"status":"PENDING"'
api alice GET "/obm_action/$sid"
expect "obm_action names the node and the operation" 200 '"node":"i2".*"type":"power_off"|"type":"power_off".*"node":"i2"'
api bob GET "/obm_action/$sid"
expect "obm_action: bob may not look" 403 AuthorizationError
out=$(hil obm-action show "$sid" 2>&1)
grep -qx "status: PENDING" <<<"$out" && grep -qx "type: power_off" <<<"$out" &&
	grep -qx "node: i2" <<<"$out"
tap_ok $? "hil obm-action show prints it: $(tr '\n' ' ' <<<"$out")"
kill -CONT "$(bmc bmc2 pid)"
obm_action_done() {
	api alice GET "/obm_action/$sid"
	[ "$STATUS" = 200 ] && ! grep -q PENDING <<<"$BODY"
}
wait_until 60 obm_action_done
tap_ok $? "obm_action: it ended once the BMC is back ($BODY)"
wait "${BG[@]}"

# --- A non-member is refused on every OBM endpoint; anonymous callers
# are asked to authenticate.
for who in bob anon; do
	[ $who = bob ] && want=403 || want=401
	api $who POST /node/i1/power_on
	expect "$who: power_on" "$want" AuthorizationError
	api $who POST /node/i1/power_off
	expect "$who: power_off" "$want" AuthorizationError
	api $who POST /node/i1/power_cycle '{"force": true}'
	expect "$who: power_cycle" "$want" AuthorizationError
	api $who GET /node/i1/power_status
	expect "$who: power_status" "$want" AuthorizationError
	api $who PUT /node/i1/boot_device '{"bootdev": "pxe"}'
	expect "$who: boot_device" "$want" AuthorizationError
	api $who GET /node/i1/console
	expect "$who: console" "$want" AuthorizationError
	api $who DELETE /node/i1/console
	expect "$who: end the console" "$want" AuthorizationError
done
is_chassis bmc1 boot default
tap_ok $? "the chassis did not change"

# --- Disabling the OBM ends the node's console streams.
api alice POST /node/i3/power_on
api alice PUT /node/i3/boot_device '{"bootdev": "pxe"}'
is_chassis bmc3 power 1 && is_chassis bmc3 boot pxe
tap_ok $? "i3 is on and boots from pxe"
log_mark
reader e i3
re=$READER
wait_until 10 log_since "node 'i3': console open"
tap_ok $? "a reader of i3's console"
api alice PUT /node/i3/obm '{"enabled": false}'
expect "alice disables i3's OBM" 200
wait_until 5 gone "$re"
tap_ok $? "its console stream ended"
api alice GET /node/i3/console
expect "and no new one starts" 409 BlockedError

# --- hil node console show streams until the console ends.
log_mark
HIL_ENDPOINT=$HILD_URL HIL_USERNAME=alice HIL_PASSWORD=alice-pw \
	"$HIL_BUILDDIR/hild/client/hil" node console show ialt >"$W/cli.out" 2>&1 &
cli=$!
READERS+=("$cli")
wait_until 10 log_since "node 'ialt': console open"
printf 'cli %s\r\n' "$line" >"$(bmc alt dir)/console"
wait_until 5 file_has "$W/cli.out" "cli $line"
tap_ok $? "hil node console show prints the console"
api admin DELETE /node/ialt/console
wait_until 5 gone "$cli"
wait "$cli"
tap_ok $? "and exits 0 when it ends"

# --- Release hygiene: detach powers the node off and sets its boot
# device (release_bootdev = disk).
api alice POST /project/p1/detach_node '{"node": "i3"}'
expect "alice detaches i3" 200
wait_until 10 is_chassis bmc3 power 0
tap_ok $? "the released node was powered off"
wait_until 10 is_chassis bmc3 boot default
tap_ok $? "and set to boot from disk"
api alice GET /node/i3/power_status
expect "alice has no say over the free node" 403 AuthorizationError

# --- kill -9 with a power operation accepted but not applied: the
# restarted hild applies it.  bmc3 is stopped: power_status holds the
# worker, power_on waits behind it in the database.
api admin PUT /node/i3/obm '{"enabled": true}'
is_chassis bmc3 power 0
tap_ok $? "i3 is off"
kill -STOP "$(bmc bmc3 pid)"
BG=()
curl -s -m 10 -u "$HILD_ADMIN:$HILD_ADMIN_PW" -o /dev/null \
	"$HILD_URL/v0/node/i3/power_status" &
BG+=($!)
wait_until 20 pending_at_least i3 1
curl -s -m 10 -u "$HILD_ADMIN:$HILD_ADMIN_PW" -X POST -o /dev/null \
	"$HILD_URL/v0/node/i3/power_on" &
BG+=($!)
wait_until 20 pending_at_least i3 2
kill -KILL "$HILD_PID"
wait "$HILD_PID" 2>/dev/null
HILD_PID=
tap_ok 0 "hild killed with power_on queued"
kill -CONT "$(bmc bmc3 pid)"
wait "${BG[@]}"
sleep 2
is_chassis bmc3 power 0
tap_ok $? "without hild, the chassis stays off"
hild_start obm-restart || tap_bail "hild did not start again"
wait_until 15 is_chassis bmc3 power 1
tap_ok $? "after the restart, the accepted power_on was applied"
grep -q "claimed before an interruption" "$HILD_LOG"
tap_ok $? "as an operation claimed before the interruption"
api admin GET /node/i3/power_status
expect "power_status says On" 200 '"On"'

# --- Secrets never reach the log.
for n in bmc1 bmc2 bmc3 alt; do
	! grep -qF -- "$(bmc $n pw)" "$HILD_LOG"
	tap_ok $? "the password of $n is not in hild's log"
done

hild_stop obm
tap_finish
[ "$TAP_FAILED" = 0 ]
