#!/bin/bash
# ovs-bench.sh [BUILDDIR] - how fast hild applies networking actions on a
# real Open vSwitch.  Prints figures; never fails on time.  Exits non-zero
# only when it could not measure.  Needs root (network namespaces) and
# openvswitch-switch (tests/deps.sh test).
#
# A private ovsdb-server and ovs-vswitchd (userspace datapath, as the
# tests run them; see tests/integration/lib-ovs.sh) and a hild on SQLite
# with switch_drivers = ovs.  The engine applies each claimed batch of a
# switch's operations in one OVSDB transaction, and the driver's commit
# returns only once ovs-vswitchd has applied it (wait_vswitchd = yes, the
# default; batch is a synonym), so DONE means the datapath enforces it;
# no does not wait for ovs-vswitchd.  Through the API, with engine-bench
# as the client:
#   - node_connect_network until DONE, then node_detach_network until
#     DONE, OVS_BENCH_REPS times on one NIC: median and p99;
#   - OVS_BENCH_BURST connects sent at once (one client thread each) on
#     NICs of one switch (one OVS bridge), then spread over 10 switches
#     (10 bridges of one Open vSwitch): time until all are DONE.
#
# Environment:
#   OVS_BENCH_REPS     repetitions of the latency run (200)
#   OVS_BENCH_BURST    connects per burst (100; a multiple of 10)
#   OVS_BENCH_WORKERS  hild's engine_workers (hild's default)
#   OVS_BENCH_MODES    the driver's wait_vswitchd settings to measure, each
#                      on a fresh hild and database ("yes")
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:-${HIL_BUILDDIR:-.}}" && pwd) || exit 2
reps=${OVS_BENCH_REPS:-200}
burst=${OVS_BENCH_BURST:-100}
workers=${OVS_BENCH_WORKERS:-}
modes=${OVS_BENCH_MODES:-yes}

hild=$builddir/hild/hild
bench=$builddir/tests/bench/engine-bench
ovs_so=$builddir/driver-plugins/switch/ovs/.libs/ovs.so

die() {
	echo "ovs-bench: $*" >&2
	exit 2
}
note() { echo "ovs-bench: $*" >&2; }

[ -x "$hild" ] || die "no hild in '$builddir' (build it first)"
[ -f "$ovs_so" ] || die "the ovs plugin is not built: $ovs_so"
if [ ! -x "$bench" ]; then
	make -C "$builddir" tests/bench/engine-bench >/dev/null ||
		die "could not build engine-bench"
fi
[ $((burst % 10)) = 0 ] && [ "$burst" -gt 0 ] ||
	die "OVS_BENCH_BURST must be a positive multiple of 10"
if grep -q '^SAN_CFLAGS = -f' "$builddir/Makefile" 2>/dev/null; then
	note "warning: this build has sanitizers; the figures are slower"
fi

. "$src/tests/integration/lib-ovs.sh"
HILD_ADMIN=admin
HILD_ADMIN_PW=bench-$$
HILD_URL=
. "$src/tests/integration/lib-ovs-hil.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/hil-ovs-bench.XXXXXX") || exit 2
chmod 755 "$W"
hild_pid=
cleanup() {
	if [ -n "$hild_pid" ]; then
		kill -TERM "$hild_pid" 2>/dev/null
		wait "$hild_pid" 2>/dev/null
	fi
	ovs_stop
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

# ---- Open vSwitch: bridge l (one port), bridge b1 (the burst on one
# switch), bridges c1..c10 (the burst over ten)
per=$((burst / 10))
note "starting Open vSwitch: $((2 + 10)) bridges, $((1 + 2 * burst)) ports"
ovs_start "$W" || { ovs_log_tail >&2; die "Open vSwitch did not start"; }
{
	ovs_bridge l && ovs_port l lp1 && ovs_bridge b1 || exit 1
	for n in $(seq "$burst"); do ovs_port b1 "b1p$n" || exit 1; done
	for s in $(seq 10); do
		ovs_bridge "c$s" || exit 1
		for n in $(seq "$per"); do ovs_port "c$s" "c${s}p$n" || exit 1; done
	done
} >/dev/null || die "could not make the bridges"

# ---- hild, on a fresh database, with wait_vswitchd = $1
mkdir -m 755 "$W/plugins" "$W/plugins/switch"
install -m 755 "$ovs_so" "$W/plugins/switch/ovs.so"
port=$("$bench" free-port) || die "no free port"
HILD_URL=http://127.0.0.1:$port
export HIL_USERNAME=$HILD_ADMIN HIL_PASSWORD=$HILD_ADMIN_PW

hild_start() {
	rm -f "$W/bench.db"
	{
		echo "listen = 127.0.0.1"
		echo "port = $port"
		echo "database = sqlite://$W/bench.db"
		echo "auth = local"
		echo "plugin_dir = $W/plugins"
		echo "switch_drivers = ovs"
		echo "log_level = warning"
		echo "vlans = 100-199"
		[ -n "$workers" ] && echo "engine_workers = $workers"
		echo "plugin.ovs.wait_vswitchd = $1"
	} >"$W/hild.conf"
	chmod 600 "$W/hild.conf"
	"$hild" -f "$W/hild.conf" --upgrade-db 2>>"$W/hild.log" ||
		die "could not create the schema: $(tail -3 "$W/hild.log")"
	printf '%s\n' "$HILD_ADMIN_PW" |
		"$hild" -f "$W/hild.conf" --create-admin "$HILD_ADMIN" 2>>"$W/hild.log" ||
		die "could not create the admin: $(tail -3 "$W/hild.log")"
	"$hild" -f "$W/hild.conf" 2>>"$W/hild.log" &
	hild_pid=$!
	for _ in $(seq 100); do
		kill -0 "$hild_pid" 2>/dev/null || break
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$HILD_URL/v0/projects")" != 000 ] &&
			return 0
		sleep 0.1
	done
	die "hild did not start: $(tail -5 "$W/hild.log")"
}

hild_stop() {
	kill -TERM "$hild_pid"
	wait "$hild_pid"
	hild_pid=
}

# Park every port again (one ovs-vsctl transaction), as a fresh switch.
park_all() {
	local args=() p
	for p in lp1 $(seq -f 'b1p%g' "$burst"); do
		args+=(-- set Port "$p" vlan_mode=access tag=4095 trunks=[] protected=true)
	done
	for s in $(seq 10); do
		for n in $(seq "$per"); do
			args+=(-- set Port "c${s}p$n" vlan_mode=access tag=4095 trunks=[] protected=true)
		done
	done
	ovs_vsctl "${args[@]:1}" >/dev/null
}

# setup PREFIX BRIDGE-OF-SWITCH-i... : engine-bench's names: project
# PREFIXp, public network PREFIXnet, switches PREFIXs<i> (type ovs, on the
# given bridges), nodes PREFIXs<i>n<j> wired to port <bridge>p<j>.
setup() {
	local pre=$1 nics=$2 s=0 bridge n
	shift 2
	api_ok PUT "/project/${pre}p" &&
		api_ok PUT "/network/${pre}net" '{"owner": "admin", "access": "", "net_id": "3001"}' ||
		return 1
	for bridge in "$@"; do
		s=$((s + 1))
		hil_switch "${pre}s$s" "$bridge" || return 1
		for n in $(seq "$nics"); do
			hil_node "${pre}s${s}n$n" "${pre}s$s" "${bridge}p$n" "${pre}p" ||
				return 1
		done
	done
}

results=$W/results
: >"$results"
run() { # tag engine-bench-args...
	local t=$1
	shift
	"$bench" "$@" >"$W/out" ||
		die "engine-bench $1 failed: $(tail -3 "$W/hild.log")"
	while read -r line; do
		echo "$t $line" >>"$results"
		echo "  $line" >&2
	done <"$W/out"
}

# Every burst NIC must really be on the network: VLAN 3001 on its port.
check_ports() {
	local bad=0 s n
	for n in $(seq "$burst"); do
		[ "$(ovs_vsctl get Port "b1p$n" tag)" = 3001 ] || bad=$((bad + 1))
	done
	for s in $(seq 10); do
		for n in $(seq "$per"); do
			[ "$(ovs_vsctl get Port "c${s}p$n" tag)" = 3001 ] || bad=$((bad + 1))
		done
	done
	[ $bad = 0 ] || die "$bad burst ports are not on VLAN 3001"
}

for mode in $modes; do
	park_all || die "could not park the ports"
	hild_start "$mode"
	note "wait_vswitchd = $mode: connect / detach until DONE, $reps times"
	setup l 1 l || die "setup failed"
	run "$mode-latency" latency "$HILD_URL" l "$reps"
	note "wait_vswitchd = $mode: $burst connects at once on 1 switch"
	setup b "$burst" b1 || die "setup failed"
	run "$mode-burst1" burst "$HILD_URL" b 1 "$burst"
	note "wait_vswitchd = $mode: $burst connects at once over 10 switches"
	setup c "$per" c1 c2 c3 c4 c5 c6 c7 c8 c9 c10 || die "setup failed"
	run "$mode-burst10" burst "$HILD_URL" c 10 "$per"
	check_ports
	hild_stop
done

field() { # tag name key
	awk -v t="$1" -v n="name=$2" -v k="$3=" '$1 == t && $2 == n {
		for (i = 3; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$results"
}

ovsver=$(ovs-vswitchd --version | head -1)
echo
echo "Open vSwitch switch driver, hild on SQLite ($ovsver,"
echo "userspace datapath, $(nproc) cores, engine_workers ${workers:-default})"
for mode in $modes; do
	echo
	case $mode in
	yes | batch) echo "wait_vswitchd = $mode: DONE once ovs-vswitchd applied the batch's one transaction" ;;
	no) echo "wait_vswitchd = no: DONE once the batch's one transaction is committed to the database" ;;
	esac
	printf '%-44s %10s %10s\n' "" "median ms" "p99 ms"
	printf '%-44s %10s %10s\n' "node_connect_network -> DONE ($reps runs)" \
		"$(field "$mode-latency" connect_until_done median_ms)" \
		"$(field "$mode-latency" connect_until_done p99_ms)"
	printf '%-44s %10s %10s\n' "node_detach_network -> DONE ($reps runs)" \
		"$(field "$mode-latency" detach_until_done median_ms)" \
		"$(field "$mode-latency" detach_until_done p99_ms)"
	printf '%-44s %10s %10s\n' "" "all DONE ms" "per action"
	printf '%-44s %10s %10s\n' "$burst concurrent connects, 1 switch" \
		"$(field "$mode-burst1" burst all_done_ms)" \
		"$(field "$mode-burst1" burst per_action_ms)"
	printf '%-44s %10s %10s\n' "$burst concurrent connects, 10 switches" \
		"$(field "$mode-burst10" burst all_done_ms)" \
		"$(field "$mode-burst10" burst per_action_ms)"
done
