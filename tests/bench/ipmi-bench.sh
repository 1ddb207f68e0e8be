#!/bin/bash
# ipmi-bench.sh [BUILDDIR] - the ipmi OBM driver against simulated BMCs
# (OpenIPMI's ipmi_sim on loopback), next to ipmitool.  Prints figures;
# never fails on time.
#
#   power_status latency through the driver (hild's plugin host, as the
#   engine calls it): reused RMCP+ session vs a fresh session per call
#   (median, p99); power_cycle of BMC_COUNT BMCs issued at once from as
#   many threads (total time), with fresh sessions and with reused ones;
#   ipmitool (lanplus, cipher suite 3): one process and one session per
#   call, as a driver shelling out to it would run.
#
# Environment: BENCH_REPS (200) power_status calls per figure,
#              BMC_COUNT (50) simulated BMCs.
# Needs: openipmi (ipmi_sim), socat, ipmitool; the built ipmi plugin and
# tests/integration/ipmi-driver-test (make check builds both).
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:-${HIL_BUILDDIR:-.}}" && pwd) || exit 2
reps=${BENCH_REPS:-200}
count=${BMC_COUNT:-50}
prog=$builddir/tests/integration/ipmi-driver-test

. "$src/tests/integration/ipmi-sim.sh"
ipmisim_have || { echo "ipmi-bench: needs ipmi_sim, socat, ss" >&2; exit 2; }
[ -x "$prog" ] || { echo "ipmi-bench: build $prog first" >&2; exit 2; }
trap ipmisim_stop EXIT

t0=$(date +%s%N)
# one more BMC, "plain": no chassis script, so its power status costs no
# process on the simulator's side
ipmisim_start $((count + 1)) 0 1 || { echo "ipmi-bench: BMCs did not start" >&2; exit 1; }
t1=$(date +%s%N)
dir=$(ipmisim_plugin_dir "$builddir") || exit 2
echo "ipmi driver benchmark: $count simulated BMCs (ipmi_sim), up in $(( (t1 - t0) / 1000000 )) ms; $(nproc) cores"
# The simulator's own floor: ipmi_sim popen()s a shell script for every
# chassis request; time that script alone.
bmcdir=$(awk '$1 != "plain" { print $6; exit }' "$IPMISIM_DIR/bmcs")
s=$(date +%s%N)
for _ in $(seq 50); do sh "$IPMISIM_DIR/chassis.sh" "$bmcdir" get power >/dev/null; done
e=$(date +%s%N)
printf 'the simulated chassis script alone (what ipmi_sim runs for each chassis request): %.2f ms\n\n' \
	"$(awk "BEGIN { print ($e - $s) / 50 / 1000000 }")"

"$prog" bench "$IPMISIM_DIR" "$dir" "$reps" || exit 1

# ipmitool status: one process, one RMCP+ session per call.
status_ipmitool() { # NAME LABEL
	local addr port user pw n s e
	read -r _ addr port user pw _ < <(awk -v n="$1" '$1 == n' "$IPMISIM_DIR/bmcs")
	n=$(( reps < 50 ? reps : 50 ))
	lat=()
	for _ in $(seq "$n"); do
		s=$(date +%s%N)
		# -C 3: no cipher suite discovery; -N 1 -R 1: 1 s timeout, 1 retry.
		# The password goes through the environment (-E), not argv.
		IPMI_PASSWORD=$pw ipmitool -I lanplus -C 3 -N 1 -R 1 -H "$addr" \
			-p "$port" -U "$user" -E chassis power status \
			</dev/null >/dev/null 2>&1
		e=$(date +%s%N)
		lat+=($(( (e - s) / 1000 )))
	done
	printf '%s\n' "${lat[@]}" | sort -n | awk -v n="$n" -v what="$2" '
		{ v[NR] = $1 }
		END { p99 = int(n * 0.99); if (p99 < 1) p99 = 1; if (p99 > n) p99 = n
		      printf "%-44s n=%-4d median %7.2f ms   p99 %7.2f ms   max %7.2f ms\n",
			what, n, v[int((n + 1) / 2)] / 1000, v[p99] / 1000, v[n] / 1000 }'
}

if command -v ipmitool >/dev/null; then
	status_ipmitool plain "ipmitool power status, plain BMC"
	status_ipmitool bmc2 "ipmitool power status, scripted BMC"
	pids=()
	s=$(date +%s%N)
	while read -r name addr port user pw _; do
		[ "$name" = plain ] && continue
		IPMI_PASSWORD=$pw ipmitool -I lanplus -C 3 -N 1 -R 1 -H "$addr" \
			-p "$port" -U "$user" -E chassis power cycle \
			</dev/null >/dev/null 2>&1 &
		pids+=($!)
	done < "$IPMISIM_DIR/bmcs"
	wait "${pids[@]}"
	e=$(date +%s%N)
	printf '%-44s %d BMCs at once: total %.1f ms\n' \
		"ipmitool power cycle, 50 processes" "${#pids[@]}" \
		"$(awk "BEGIN { print ($e - $s) / 1000000 }")"
else
	echo "(ipmitool not installed: no comparison)"
fi
