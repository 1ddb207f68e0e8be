#!/bin/bash
# run-bench.sh [BUILDDIR] - measure hild and print the figures next to the
# original HIL's (DESIGN.md section 8).  See tests/bench/README.md.
#
# Starts hild itself on SQLite and, when it can, on PostgreSQL: a server
# from tests/db/pg-start.sh, or the database HIL_TEST_PG_URI names.  Prints
# figures; never fails on time.  Exits non-zero only when it could not
# measure (hild did not start, requests failed).
#
# Environment:
#   BENCH_REPS            repetitions per call (200)
#   BENCH_SECONDS         seconds per throughput run (5)
#   BENCH_CLIENTS         client counts, null auth ("1 4 16 64")
#   BENCH_LOCAL_CLIENTS   client counts, local auth ("1 16")
#   BENCH_PG              auto | yes | no (auto: when pg-start.sh works)
#   BENCH_THREADS         hild's "threads" (default: hild's own default)
#   HIL_TEST_PG_URI       use this PostgreSQL database instead of a private
#                         server (its existing content affects the figures)
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:-${HIL_BUILDDIR:-.}}" && pwd) || exit 2
reps=${BENCH_REPS:-200}
secs=${BENCH_SECONDS:-5}
clients=${BENCH_CLIENTS:-1 4 16 64}
local_clients=${BENCH_LOCAL_CLIENTS:-1 16}
pg=${BENCH_PG:-auto}
threads=${BENCH_THREADS:-}

hild=$builddir/hild/hild
bench=$builddir/tests/bench/hilbench
obm_so=$builddir/driver-plugins/obm/mock/.libs/mock.so
switch_so=$builddir/driver-plugins/switch/mock/.libs/mock.so
null_so=$builddir/auth-plugins/null/.libs/null.so

die() {
	echo "run-bench: $*" >&2
	exit 2
}
note() { echo "run-bench: $*" >&2; }

[ -x "$hild" ] || die "no hild in '$builddir' (build it first)"
if [ ! -x "$bench" ]; then
	make -C "$builddir" tests/bench/hilbench >/dev/null ||
		die "could not build hilbench"
fi
for so in "$obm_so" "$switch_so" "$null_so"; do
	[ -f "$so" ] || die "plugin not built: $so"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hil-bench.XXXXXX") || exit 2
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

mkdir -p "$work/plugins/obm" "$work/plugins/switch" "$work/plugins/auth"
cp "$obm_so" "$work/plugins/obm/mock.so"
cp "$switch_so" "$work/plugins/switch/mock.so"
cp "$null_so" "$work/plugins/auth/null.so"
chmod -R go-w "$work/plugins"
chmod 0755 "$work/plugins" "$work/plugins/obm" "$work/plugins/switch" \
	"$work/plugins/auth"

port=$("$bench" free-port) || exit 2
url=http://127.0.0.1:$port
admin=bench$$
# Enough VLANs for the networks of both auth runs.
vlan_last=$((100 + 2 * reps + 100))
[ $vlan_last -gt 4094 ] && vlan_last=4094
vlans=100-$vlan_last
password=bench-pw-$$-$RANDOM

write_conf() { # database auth
	{
		echo "listen = 127.0.0.1"
		echo "port = $port"
		echo "database = $1"
		echo "auth = $2"
		echo "require_authentication = yes"
		[ "$2" = null ] && echo "allow_insecure_auth = yes"
		echo "plugin_dir = $work/plugins"
		echo "obm_drivers = mock"
		echo "switch_drivers = mock"
		echo "vlans = $vlans"
		echo "log_level = warning"
		[ -n "$threads" ] && echo "threads = $threads"
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

record() { # backend auth; hilbench lines on stdin
	while read -r line; do
		echo "$1 $2 $line" >>"$results"
		echo "  $line" >&2
	done
}

failed=0
run() { # backend auth hilbench-args...
	local b=$1 a=$2
	shift 2
	"$bench" "$@" >"$work/out" || failed=1
	record "$b" "$a" <"$work/out"
}

bench_backend() { # backend database
	local b=$1 db=$2
	note "$b: setting up '$b' database"
	: >"$work/hild.log"
	write_conf "$db" local
	"$hild" --upgrade-db -f "$work/hild.conf" 2>>"$work/hild.log" ||
		die "could not create the schema (log: $(tail -3 "$work/hild.log"))"
	echo "$password" | "$hild" --create-admin "$admin" \
		-f "$work/hild.conf" 2>>"$work/hild.log" ||
		die "could not create the admin user"

	note "$b, null auth: latency ($reps repetitions)"
	write_conf "$db" null
	start_hild
	run "$b" null latency "$url" "${b}null$$" "$reps"
	run "$b" null network "$url" "${b}null$$" "$reps"
	stop_hild

	note "$b, local auth: latency, credential cost, throughput"
	write_conf "$db" local
	start_hild
	HIL_USERNAME=$admin HIL_PASSWORD=$password \
		run "$b" local latency "$url" "${b}local$$" "$reps"
	HIL_USERNAME=$admin HIL_PASSWORD=$password \
		run "$b" local network "$url" "${b}local$$" "$reps"
	# A user hild has not seen yet: the first call pays one hash.
	code=$(curl -s -o /dev/null -w '%{http_code}' -u "$admin:$password" \
		-X PUT -H 'Content-Type: application/json' \
		-d "{\"password\": \"$password\", \"is_admin\": true}" \
		"$url/v0/auth/basic/user/${admin}u")
	[ "$code" = 200 ] || {
		note "could not create a user (HTTP $code)"
		failed=1
	}
	HIL_USERNAME=${admin}u HIL_PASSWORD=$password \
		run "$b" local get "$url" /v0/projects "$reps" list_projects
	for c in $local_clients; do
		HIL_USERNAME=$admin HIL_PASSWORD=$password \
			run "$b" local throughput "$url" /v0/nodes/free "$c" \
			"$secs"
	done
	stop_hild

	note "$b, null auth: throughput, $secs s per client count"
	write_conf "$db" null
	start_hild
	free=$(curl -s "$url/v0/nodes/free" | tr ',' '\n' | grep -c '"')
	echo "$b null pool name=free_nodes count=$free" >>"$results"
	for c in $clients; do
		run "$b" null throughput "$url" /v0/nodes/free "$c" "$secs"
	done
	stop_hild
}

backends=sqlite
bench_backend sqlite "sqlite://$work/bench.db"

pg_uri=${HIL_TEST_PG_URI:-}
if [ -z "$pg_uri" ] && [ "$pg" != no ] && [ -x "$src/tests/db/pg-start.sh" ]; then
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/hil-bench-pg.XXXXXX")
	pgport=$("$bench" free-port)
	if pg_uri=$("$src/tests/db/pg-start.sh" "$pgdir" "$pgport" 2>"$work/pg.err"); then
		note "postgresql: private server on port $pgport"
	else
		note "postgresql: could not start a server: $(tail -3 "$work/pg.err")"
		pg_uri=
	fi
fi
if [ -n "$pg_uri" ]; then
	backends="sqlite postgresql"
	bench_backend postgresql "$pg_uri"
elif [ "$pg" = yes ]; then
	die "postgresql requested but not available"
fi

# --- the report --------------------------------------------------------
# get BACKEND AUTH KIND NAME FIELD: one figure from the results.
get() {
	awk -v b="$1" -v a="$2" -v k="$3" -v n="$4" -v f="$5" '
		$1 == b && $2 == a && $3 == k {
			delete m
			for (i = 4; i <= NF; i++) {
				eq = index($i, "=")
				m[substr($i, 1, eq - 1)] = substr($i, eq + 1)
			}
			if (m["name"] == n || m["clients"] == n) {
				print m[f]
				exit
			}
		}' "$results"
}
fmt() { # number [decimals]
	if [ -z "$1" ]; then echo "n/a"; else printf "%.${2:-2}f" "$1"; fi
}
ratio() { # original hild: how many times the original's time
	if [ -z "$2" ] || [ -z "$1" ]; then
		echo "n/a"
	else
		awk -v o="$1" -v h="$2" 'BEGIN { if (h > 0) printf "%.0fx", o / h; else print "n/a" }'
	fi
}
has() { echo " $backends " | grep -q " $1 "; }

declare -A orig_sqlite=([project_create]=4.2 [project_delete]=5.9
	[node_register]=4.2 [project_connect_node]=6.9
	[project_detach_node]=9.4 [network_create]=7.4 [network_delete]=6.2
	[node_connect_network_done]=25.8)
declare -A orig_pg=([project_create]=2.2 [project_delete]=3.9
	[node_register]=2.5 [project_connect_node]=4.7
	[project_detach_node]=5.6 [network_create]=6.3 [network_delete]=6.3
	[node_connect_network_done]=29.0)
declare -A orig_rps=([1]=309 [4]=506 [16]=611 [64]=496)

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
san=no
grep -q '^SAN_CFLAGS = -fsanitize' "$builddir/Makefile" 2>/dev/null && san=yes
pgver=n/a
has postgresql && pgver=$(psql --version 2>/dev/null | awk '{ print $3 }')

echo
echo "# hild benchmark"
echo
echo "- machine: $(nproc) cores, ${cpu:-unknown cpu}; $(uname -sr)"
echo "- hild: $("$hild" --version 2>/dev/null), threads ${threads:-default}," \
	"sanitizers: $san; SQLite $(sqlite3 --version 2>/dev/null | awk '{ print $1 }'), PostgreSQL $pgver"
echo "- SQLite file in ${TMPDIR:-/tmp}, a $(stat -f -c %T "$work" 2>/dev/null || echo '?') file system"
echo "- *_done: from the request until GET /v0/networking_action says DONE, polled" \
	"every 1 ms (the original polled every 10 ms); mock switch"
echo "- $reps repetitions per call, one client, keep-alive; $secs s per throughput run;" \
	"$(get sqlite null pool free_nodes count) free nodes in the pool"
[ "$san" = yes ] && echo "- WARNING: sanitizer build; figures are not comparable"
echo

for a in null local; do
	echo "## Latency, $a auth: hild median (p99) ms; original median ms"
	echo
	echo "| call | hild SQLite | original SQLite | | hild PostgreSQL | original PostgreSQL | |"
	echo "|---|---|---|---|---|---|---|"
	for c in project_create node_register project_connect_node \
		project_detach_node project_delete network_create \
		network_delete node_connect_network_done \
		node_detach_network_done; do
		sm=$(get sqlite "$a" latency "$c" median_ms)
		sp=$(get sqlite "$a" latency "$c" p99_ms)
		pm=$(get postgresql "$a" latency "$c" median_ms)
		pp=$(get postgresql "$a" latency "$c" p99_ms)
		echo "| $c | $(fmt "$sm") ($(fmt "$sp")) | ${orig_sqlite[$c]:--} |" \
			"$(ratio "${orig_sqlite[$c]:-}" "$sm") |" \
			"$(fmt "$pm") ($(fmt "$pp")) | ${orig_pg[$c]:--} |" \
			"$(ratio "${orig_pg[$c]:-}" "$pm") |"
	done
	echo
done

echo "## GET /v0/nodes/free throughput, requests/s"
echo
echo "| clients | hild SQLite null | hild PostgreSQL null | original null | hild SQLite local | hild PostgreSQL local | original local |"
echo "|---|---|---|---|---|---|---|"
for c in $(echo "$clients $local_clients" | tr ' ' '\n' | sort -nu); do
	echo "| $c | $(fmt "$(get sqlite null throughput "$c" rps)" 0) |" \
		"$(fmt "$(get postgresql null throughput "$c" rps)" 0) |" \
		"${orig_rps[$c]:-n/a} |" \
		"$(fmt "$(get sqlite local throughput "$c" rps)" 0) |" \
		"$(fmt "$(get postgresql local throughput "$c" rps)" 0) | ~11 |"
done
echo

echo "## Local auth (HTTP Basic): GET /v0/projects, ms"
echo
echo "| | hild SQLite | hild PostgreSQL | original |"
echo "|---|---|---|---|"
echo "| first call of a user (one hash) | $(fmt "$(get sqlite local latency list_projects first_ms)") |" \
	"$(fmt "$(get postgresql local latency list_projects first_ms)") | 180-250 |"
echo "| cached credential, median | $(fmt "$(get sqlite local latency list_projects median_ms)") |" \
	"$(fmt "$(get postgresql local latency list_projects median_ms)") | 180-250 |"
echo "| cached credential, p99 | $(fmt "$(get sqlite local latency list_projects p99_ms)") |" \
	"$(fmt "$(get postgresql local latency list_projects p99_ms)") | |"
echo
[ "$failed" = 0 ] || note "some requests failed; the figures above are incomplete"
exit "$failed"
