#!/bin/bash
# engine-bench.sh [BUILDDIR] - how fast hild applies networking actions,
# next to the original HIL's figures (DESIGN.md section 8).  Prints; never
# fails on time.  Exits non-zero only when it could not measure.
#
# For each backend (SQLite; PostgreSQL when tests/db/pg-start.sh can start
# a private server, or HIL_TEST_PG_URI names one), on a fresh hild with the
# null auth plugin and the mock switch driver:
#   - node_connect_network until DONE (and detach), one client polling
#     the action, ENGINE_BENCH_REPS times: median and p99;
#   - 100 connects sent at once (one client thread each), spread over 1
#     switch and over 10 switches: time until all are DONE;
#   - the same bursts with the mock switch taking ENGINE_BENCH_DELAY_MS
#     per port change, as a real switch does, where batching and
#     parallelism across switches show.
#
# Environment:
#   ENGINE_BENCH_REPS      repetitions of the latency run (200)
#   ENGINE_BENCH_BURST     actions per burst (100)
#   ENGINE_BENCH_DELAY_MS  mock switch delay for the second bursts (10;
#                          0 skips them)
#   ENGINE_BENCH_WORKERS   hild's engine_workers (hild's default)
#   BENCH_PG               auto | yes | no
#   HIL_TEST_PG_URI        use this PostgreSQL database
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:-${HIL_BUILDDIR:-.}}" && pwd) || exit 2
reps=${ENGINE_BENCH_REPS:-200}
burst=${ENGINE_BENCH_BURST:-100}
delay=${ENGINE_BENCH_DELAY_MS:-10}
workers=${ENGINE_BENCH_WORKERS:-}
pg=${BENCH_PG:-auto}

hild=$builddir/hild/hild
bench=$builddir/tests/bench/engine-bench
switch_so=$builddir/driver-plugins/switch/mock/.libs/mock.so
obm_so=$builddir/driver-plugins/obm/mock/.libs/mock.so
null_so=$builddir/auth-plugins/null/.libs/null.so

die() {
	echo "engine-bench: $*" >&2
	exit 2
}
note() { echo "engine-bench: $*" >&2; }

[ -x "$hild" ] || die "no hild in '$builddir' (build it first)"
if [ ! -x "$bench" ]; then
	make -C "$builddir" tests/bench/engine-bench >/dev/null ||
		die "could not build engine-bench"
fi
for so in "$switch_so" "$obm_so" "$null_so"; do
	[ -f "$so" ] || die "plugin not built: $so"
done
[ $((burst % 10)) = 0 ] || die "ENGINE_BENCH_BURST must be a multiple of 10"
if grep -q -- '-fsanitize' "$builddir/Makefile" 2>/dev/null &&
	grep -q '^SAN_CFLAGS = -f' "$builddir/Makefile"; then
	note "warning: this build has sanitizers; the figures are slower"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hil-engine-bench.XXXXXX") || exit 2
pgdir=
hild_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$hild_pid" ] && kill -TERM "$hild_pid" 2>/dev/null &&
		wait "$hild_pid" 2>/dev/null
	[ -n "$pgdir" ] && "$src/tests/db/pg-stop.sh" "$pgdir" >/dev/null 2>&1
	[ -n "$pgdir" ] && rm -rf "$pgdir"
	rm -rf "$work"
}
trap cleanup EXIT
results=$work/results
: >"$results"

mkdir -p "$work/plugins/switch" "$work/plugins/obm" "$work/plugins/auth"
cp "$switch_so" "$work/plugins/switch/mock.so"
cp "$obm_so" "$work/plugins/obm/mock.so"
cp "$null_so" "$work/plugins/auth/null.so"
chmod -R go-w "$work/plugins"
chmod 0755 "$work/plugins" "$work/plugins/"*

port=$("$bench" free-port) || exit 2
url=http://127.0.0.1:$port

write_conf() { # database delay_ms
	{
		echo "listen = 127.0.0.1"
		echo "port = $port"
		echo "database = $1"
		echo "auth = null"
		echo "allow_insecure_auth = yes"
		echo "plugin_dir = $work/plugins"
		echo "switch_drivers = mock"
		echo "obm_drivers = mock"
		echo "log_level = warning"
		[ -n "$workers" ] && echo "engine_workers = $workers"
		[ "$2" -gt 0 ] && echo "plugin.mock.delay_ms = $2"
	} >"$work/hild.conf"
	chmod 0600 "$work/hild.conf"
}

start_hild() {
	"$hild" -f "$work/hild.conf" 2>>"$work/hild.log" &
	hild_pid=$!
	for _ in $(seq 100); do
		kill -0 "$hild_pid" 2>/dev/null || break
		code=$(curl -s -o /dev/null -w '%{http_code}' \
			"$url/v0/projects" 2>/dev/null)
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

run() { # backend tag engine-bench-args...
	local b=$1 t=$2
	shift 2
	"$bench" "$@" >"$work/out" || die "engine-bench $1 failed (log: $(tail -3 "$work/hild.log"))"
	while read -r line; do
		echo "$b $t $line" >>"$results"
		echo "  $line" >&2
	done <"$work/out"
}

bench_backend() { # backend database
	local b=$1 db=$2 pre
	: >"$work/hild.log"
	write_conf "$db" 0
	"$hild" --upgrade-db -f "$work/hild.conf" 2>>"$work/hild.log" ||
		die "could not create the schema (log: $(tail -3 "$work/hild.log"))"
	start_hild
	pre=l$$$b
	note "$b: connect/detach until DONE, $reps times"
	"$bench" setup "$url" "$pre" 1 1 || die "setup failed"
	run "$b" latency latency "$url" "$pre" "$reps"
	for s in 1 10; do
		pre=b$$${b}s$s
		note "$b: $burst connects at once over $s switch(es)"
		"$bench" setup "$url" "$pre" "$s" $((burst / s)) || die "setup failed"
		run "$b" "burst$s" burst "$url" "$pre" "$s" $((burst / s))
	done
	stop_hild
	[ "$delay" -gt 0 ] || return 0
	write_conf "$db" "$delay"
	start_hild
	for s in 1 10; do
		pre=d$$${b}s$s
		note "$b: $burst connects at once over $s switch(es), $delay ms per change"
		"$bench" setup "$url" "$pre" "$s" $((burst / s)) || die "setup failed"
		run "$b" "slow$s" burst "$url" "$pre" "$s" $((burst / s))
	done
	stop_hild
}

bench_backend sqlite "sqlite://$work/bench.db"

pg_uri=${HIL_TEST_PG_URI:-}
if [ -z "$pg_uri" ] && [ "$pg" != no ] && [ -f "$src/tests/db/pg-start.sh" ]; then
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/hil-engine-bench-pg.XXXXXX")
	chmod 755 "$pgdir"
	pgport=$("$bench" free-port)
	if pg_uri=$(bash "$src/tests/db/pg-start.sh" "$pgdir" "$pgport" 2>"$work/pg.err"); then
		note "postgresql: private server on port $pgport"
	else
		note "postgresql: could not start a server: $(tail -3 "$work/pg.err")"
		pg_uri=
	fi
fi
if [ -n "$pg_uri" ]; then
	bench_backend postgresql "$pg_uri"
elif [ "$pg" = yes ]; then
	die "postgresql requested but not available"
fi

# --- the report --------------------------------------------------------
# get BACKEND TAG NAME FIELD
get() {
	awk -v b="$1" -v t="$2" -v n="name=$3" -v f="$4=" '
		$1 == b && $2 == t && $3 == n {
			for (i = 4; i <= NF; i++)
				if (index($i, f) == 1) { print substr($i, length(f) + 1); exit }
		}' "$results"
}
lat() { # backend name: "median (p99)" or "-"
	local m p
	m=$(get "$1" latency "$2" median_ms)
	p=$(get "$1" latency "$2" p99_ms)
	if [ -n "$m" ]; then echo "$m ($p)"; else echo -; fi
}

echo
echo "Networking actions, mock switch, $(nproc) cores, engine_workers ${workers:-default}."
echo
echo "| | hild SQLite | hild PostgreSQL | original, as shipped (2 s poll) | original, 10 ms poll (SQLite / PostgreSQL) |"
echo "|---|---|---|---|---|"
printf '| node_connect_network until DONE, median (p99) ms | %s | %s | ~2000 | 25.8 / 29.0 |\n' \
	"$(lat sqlite connect_until_done)" "$(lat postgresql connect_until_done)"
printf '| node_detach_network until DONE, median (p99) ms | %s | %s | ~2000 | |\n' \
	"$(lat sqlite detach_until_done)" "$(lat postgresql detach_until_done)"
for t in burst1 burst10 slow1 slow10; do
	case $t in
	burst1) what="$burst connects at once, 1 switch" ;;
	burst10) what="$burst connects at once, 10 switches" ;;
	slow1) what="$burst connects at once, 1 switch, $delay ms per change" ;;
	slow10) what="$burst connects at once, 10 switches, $delay ms per change" ;;
	esac
	s=$(get sqlite "$t" burst all_done_ms)
	p=$(get postgresql "$t" burst all_done_ms)
	[ -z "$s$p" ] && continue
	printf '| %s: all DONE, ms (per action) | %s | %s | | |\n' "$what" \
		"${s:+$s ($(get sqlite "$t" burst per_action_ms))}" \
		"${p:+$p ($(get postgresql "$t" burst per_action_ms))}"
done
echo
echo "The original applies one action at a time in one daemon, committing"
echo "after each and sleeping 2 s (as shipped) between polls of its queue;"
echo "its figures are per action, from DESIGN.md section 8. hild's times"
echo "include the client's polling of GET /networking_action (from 0.5 ms,"
echo "doubling to 5 ms between polls)."
