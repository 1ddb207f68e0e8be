#!/bin/bash
# obm-bench.sh [BUILDDIR] - the OBM API through hild against simulated BMCs
# (OpenIPMI's ipmi_sim on loopback), next to ipmitool.  Prints figures;
# never fails on time.
#
#   power_status latency through hild (GET /v0/node/<n>/power_status, one
#   client on a keep-alive connection, hilbench): the ipmi driver's
#   sessions kept and reused (its default), and a fresh RMCP+ session per
#   call (plugin.ipmi.idle_timeout = 0); median and p99, on the "plain"
#   BMC (ipmi_sim answers itself) and on a scripted one (ipmi_sim runs a
#   shell script per chassis request, as for every other BMC here).
#   power_cycle of BMC_COUNT nodes issued at once through the API (one
#   curl process, one connection per request): total time until every
#   call answered, with reused and fresh sessions, and with the default
#   obm_workers (8) against 64.
#   ipmitool (lanplus, cipher suite 3): one process and one session per
#   call.
#
# Every OBM call through hild is an operation in the database (inserted,
# claimed, recorded: three write transactions on SQLite with
# synchronous=FULL) applied by an engine worker, and the HTTP request
# waits for it without holding a thread.
#
# Environment: BENCH_REPS (200) power_status calls per figure, BMC_COUNT
# (50) nodes for the power cycles.  Needs openipmi (ipmi_sim), socat,
# ss, curl, ipmitool (for the comparison); the built hild, ipmi and null
# plugins and tests/bench/hilbench (make tests/bench/hilbench).
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:-${HIL_BUILDDIR:-.}}" && pwd) || exit 2
reps=${BENCH_REPS:-200}
count=${BMC_COUNT:-50}

hild=$builddir/hild/hild
bench=$builddir/tests/bench/hilbench
ipmi_so=$builddir/driver-plugins/obm/ipmi/.libs/ipmi.so
null_so=$builddir/auth-plugins/null/.libs/null.so

die() {
	echo "obm-bench: $*" >&2
	exit 2
}

. "$src/tests/integration/ipmi-sim.sh"
ipmisim_have || die "needs ipmi_sim, socat and ss"
command -v curl >/dev/null || die "needs curl"
[ -x "$hild" ] || die "no hild in '$builddir' (build it first)"
if [ ! -x "$bench" ]; then
	make -C "$builddir" tests/bench/hilbench >/dev/null ||
		die "could not build hilbench"
fi
for so in "$ipmi_so" "$null_so"; do
	[ -f "$so" ] || die "plugin not built: $so"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hil-obm-bench.XXXXXX") || exit 2
hild_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$hild_pid" ] && kill -TERM "$hild_pid" 2>/dev/null &&
		wait "$hild_pid" 2>/dev/null
	ipmisim_stop
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/plugins/obm" "$work/plugins/auth"
cp "$ipmi_so" "$work/plugins/obm/ipmi.so"
cp "$null_so" "$work/plugins/auth/null.so"
chmod -R go-w "$work/plugins"
chmod 0755 "$work" "$work/plugins" "$work/plugins/obm" "$work/plugins/auth"
port=$("$bench" free-port) || exit 2
url=http://127.0.0.1:$port

t0=$(date +%s%N)
# BMC_COUNT scripted BMCs and one "plain" one, no consoles
ipmisim_start $((count + 1)) 0 1 || die "the simulated BMCs did not start"
t1=$(date +%s%N)

write_conf() { # EXTRA-LINES
	{
		echo "listen = 127.0.0.1"
		echo "port = $port"
		echo "database = sqlite://$work/bench.db"
		echo "auth = null"
		echo "allow_insecure_auth = yes"
		echo "plugin_dir = $work/plugins"
		echo "obm_drivers = ipmi"
		echo "log_level = warning"
		printf '%s\n' "$1"
	} >"$work/hild.conf"
	chmod 0600 "$work/hild.conf"
}

start_hild() {
	"$hild" -f "$work/hild.conf" 2>>"$work/hild.log" &
	hild_pid=$!
	for _ in $(seq 100); do
		kill -0 "$hild_pid" 2>/dev/null || break
		code=$(curl -s -o /dev/null -w '%{http_code}' \
			"$url/v0/nodes/free" 2>/dev/null)
		[ "$code" != 000 ] && return 0
		sleep 0.1
	done
	tail -20 "$work/hild.log" >&2
	die "hild did not start"
}

stop_hild() {
	kill -TERM "$hild_pid"
	wait "$hild_pid"
	hild_pid=
}

# Every BMC is a node named after it, its OBM enabled (untimed).
write_conf ""
"$hild" -f "$work/hild.conf" --upgrade-db 2>>"$work/hild.log" ||
	die "hild --upgrade-db failed"
start_hild
while read -r name addr bport user pw _; do
	if ! curl -sf -o /dev/null -X PUT "$url/v0/node/$name" -d \
		"{\"obm\": {\"type\": \"ipmi\", \"host\": \"$addr\", \"port\": $bport, \"user\": \"$user\", \"password\": \"$pw\"}}" ||
		! curl -sf -o /dev/null -X PUT "$url/v0/node/$name/obm" \
			-d '{"enabled": true}'; then
		die "could not register node '$name'"
	fi
done <"$IPMISIM_DIR/bmcs"
stop_hild

echo "OBM API benchmark: hild (SQLite on $(df -T "$work" | awk 'NR == 2 { print $2 }'), null" \
	"auth) and $count simulated BMCs (ipmi_sim, up in" \
	"$(((t1 - t0) / 1000000)) ms); $(nproc) cores"
grep -q '^SAN_CFLAGS = -fsanitize' "$builddir/Makefile" 2>/dev/null &&
	echo "WARNING: sanitizer build; figures are not comparable"
echo

# status NAME LABEL: power_status latency through hild.
status() {
	HIL_USERNAME=bench HIL_PASSWORD=bench "$bench" get "$url" \
		"/v0/node/$1/power_status" "$reps" "$1" |
		awk -v what="$2" '{
			for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			printf "%-52s n=%-4s median %7.2f ms   p99 %7.2f ms\n",
				what, v["n"], v["median_ms"], v["p99_ms"] }'
}

# cycle_all LABEL: power_cycle every scripted node at once; total time.
cycle_all() {
	local args=() s e ok
	while read -r name _; do
		[ "$name" = plain ] && continue
		args+=(-o /dev/null -w '%{http_code}\n' "$url/v0/node/$name/power_cycle")
	done <"$IPMISIM_DIR/bmcs"
	s=$(date +%s%N)
	ok=$(curl -s --no-progress-meter -Z --parallel-max 256 \
		--parallel-immediate -X POST "${args[@]}" | grep -c '^200$')
	e=$(date +%s%N)
	printf '%-52s %d at once: total %7.1f ms (%d answered 200)\n' \
		"$1" "$count" "$(awk "BEGIN { print ($e - $s) / 1000000 }")" "$ok"
}

for run in reused fresh; do
	if [ $run = reused ]; then
		extra="obm_workers = 64"
		label="reused sessions"
	else
		extra="obm_workers = 64
plugin.ipmi.idle_timeout = 0"
		label="fresh sessions"
	fi
	write_conf "$extra"
	start_hild
	# one call first: the reused run then measures warm sessions
	curl -s -o /dev/null "$url/v0/node/plain/power_status"
	curl -s -o /dev/null "$url/v0/node/bmc2/power_status"
	status plain "hild power_status, plain BMC, $label"
	status bmc2 "hild power_status, scripted BMC, $label"
	cycle_all "hild power_cycle, $label, 64 workers"
	stop_hild
done
write_conf ""
start_hild
cycle_all "hild power_cycle, reused sessions, 8 workers"
stop_hild

# ipmitool: one process, one RMCP+ session per call.
status_ipmitool() { # NAME LABEL
	local addr bport user pw n s e lat=()
	read -r _ addr bport user pw _ < <(awk -v n="$1" '$1 == n' "$IPMISIM_DIR/bmcs")
	n=$((reps < 50 ? reps : 50))
	for _ in $(seq "$n"); do
		s=$(date +%s%N)
		# the password through the environment (-E), not argv
		IPMI_PASSWORD=$pw ipmitool -I lanplus -C 3 -N 1 -R 1 -H "$addr" \
			-p "$bport" -U "$user" -E chassis power status \
			</dev/null >/dev/null 2>&1
		e=$(date +%s%N)
		lat+=($(((e - s) / 1000)))
	done
	printf '%s\n' "${lat[@]}" | sort -n | awk -v n="$n" -v what="$2" '
		{ v[NR] = $1 }
		END { p99 = int(n * 0.99); if (p99 < 1) p99 = 1
		      printf "%-52s n=%-4d median %7.2f ms   p99 %7.2f ms\n",
			what, n, v[int((n + 1) / 2)] / 1000, v[p99] / 1000 }'
}

echo
if command -v ipmitool >/dev/null; then
	status_ipmitool plain "ipmitool power status, plain BMC"
	status_ipmitool bmc2 "ipmitool power status, scripted BMC"
	pids=()
	s=$(date +%s%N)
	while read -r name addr bport user pw _; do
		[ "$name" = plain ] && continue
		IPMI_PASSWORD=$pw ipmitool -I lanplus -C 3 -N 1 -R 1 -H "$addr" \
			-p "$bport" -U "$user" -E chassis power cycle \
			</dev/null >/dev/null 2>&1 &
		pids+=($!)
	done <"$IPMISIM_DIR/bmcs"
	wait "${pids[@]}"
	e=$(date +%s%N)
	printf '%-52s %d at once: total %7.1f ms\n' \
		"ipmitool power cycle, a process each" "${#pids[@]}" \
		"$(awk "BEGIN { print ($e - $s) / 1000000 }")"
else
	echo "(ipmitool not installed: no comparison)"
fi
