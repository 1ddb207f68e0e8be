#!/bin/bash
# auth-bench.sh - requests per second of GET /v0/projects (an admin's
# call) under each way hild authenticates, beside the original HIL's ~11
# requests per second with its database auth (each request verifies a
# 656,000-round sha512-crypt hash).  Prints figures, never fails on time.
#
#   tests/bench/auth-bench.sh [BUILDDIR]
#
# BUILDDIR (default: the current directory) must hold hild, the munge and
# keystone plugins and tests/bench/authbench (make tests/bench/authbench
# tests/integration/apitest).  Needs root, munge, python3-keystone and
# uwsgi (tests/deps.sh test).  Three hild runs on one SQLite file:
#   local     HTTP Basic, the admin made by hild --create-admin; the
#             verified credential is cached
#   munge     a private munged; "fresh" encodes a credential per request
#             in the client (a real client's cost), "premade" encodes
#             them before the clock (hild's side only)
#   keystone  a private Keystone; one token, validated once and cached
# Environment: AUTH_BENCH_SECONDS (default 5) per run, AUTH_BENCH_CLIENTS
# (default "1 4 16"), AUTH_BENCH_THREADS (hild's threads, default: cores).
set -u
HIL_BUILDDIR=$(cd "${1:-.}" && pwd)
export HIL_BUILDDIR
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib-hild.sh"
. "$here/../integration/lib-auth.sh"

SECS=${AUTH_BENCH_SECONDS:-5}
CLIENTS=${AUTH_BENCH_CLIENTS:-1 4 16}
THREADS=${AUTH_BENCH_THREADS:-0}
AB=$HIL_BUILDDIR/tests/bench/authbench
ORIGINAL_RPS="~11"
declare -A RPS

die() {
	echo "auth-bench: $*" >&2
	exit 1
}

[ -x "$AB" ] || die "no $AB (make tests/bench/authbench)"
[ "$(id -u)" = 0 ] || die "run as root (a private munged runs as the munge user)"
grep -q '^SAN_CFLAGS = .*-fsanitize' "$HIL_BUILDDIR/Makefile" 2>/dev/null &&
	echo "note: this build has sanitizers; figures are far below an optimised build's"

hild_setup >/dev/null
trap 'munge_cleanup; ks_stop; hild_cleanup' EXIT
LOG=$W/bench.log

# run NAME MODE: authbench at each client count against the running hild.
run() {
	local name=$1 mode=$2 n out
	for n in $CLIENTS; do
		out=$("$AB" "$mode" "$HILD_URL" /v0/projects "$n" "$SECS") ||
			die "$name at $n clients failed: $out"
		echo "$name: $out"
		RPS[$name,$n]=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$out")
	done
}

# serve NAME EXTRA-CONFIG: a hild on a fresh database with the admin.
serve() {
	hild_prepare "$1" "sqlite://$W/$1.db" "threads = $THREADS
log_level = notice
$2" >>"$LOG" || die "could not prepare hild ($1); see $HILD_LOG"
	hild_start "$1" >>"$LOG" || die "hild ($1) did not start"
}

stop() {
	hild_stop "$1" >>"$LOG" || die "hild ($1) did not stop cleanly"
}

# local users
serve local ""
HIL_USERNAME=$HILD_ADMIN HIL_PASSWORD=$HILD_ADMIN_PW run local basic
stop local

# MUNGE: munged gets one thread per core besides its own.
munge_start "$W/munge" >>"$LOG" || die "munged did not start"
serve munge "auth = munge
plugin.munge.socket = $MUNGE_SOCK
plugin.munge.map.0 = $HILD_ADMIN"
HIL_MUNGE_SOCKET=$MUNGE_SOCK run munge-fresh munge
HIL_MUNGE_SOCKET=$MUNGE_SOCK run munge-premade munge-premade
stop munge
munge_cleanup

# Keystone
KS=$W/keystone
KS_ADMIN_PW=admin-$RANDOM$RANDOM
KS_PORT=$(auth_port_free) || die "no free port"
KS_URL=http://127.0.0.1:$KS_PORT/v3
ks_setup || die "keystone-manage failed; see $KS/manage.log"
ks_start >>"$LOG" || die "keystone did not start"
ADMIN_TOKEN=$(token admin "$KS_ADMIN_PW" admin)
[ -n "$ADMIN_TOKEN" ] || die "no admin token from keystone"
printf '%s\n' "$KS_ADMIN_PW" >"$W/ks.pw"
chmod 600 "$W/ks.pw"
serve keystone "auth = keystone
plugin.keystone.auth_url = $KS_URL
plugin.keystone.username = admin
plugin.keystone.password_file = $W/ks.pw
plugin.keystone.project_name = admin"
OS_TOKEN=$ADMIN_TOKEN run keystone token
stop keystone
ks_stop

echo
echo "GET /v0/projects, requests per second (${SECS} s each, hild threads: ${THREADS/#0/cores}):"
echo
printf '| clients | local (cached) | MUNGE fresh cred | MUNGE premade | Keystone (cached token) | original HIL, database auth |\n'
printf '|---|---|---|---|---|---|\n'
for n in $CLIENTS; do
	printf '| %s | %s | %s | %s | %s | %s |\n' "$n" "${RPS[local,$n]}" \
		"${RPS[munge-fresh,$n]}" "${RPS[munge-premade,$n]}" \
		"${RPS[keystone,$n]}" "$ORIGINAL_RPS"
done
