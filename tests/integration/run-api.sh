#!/bin/bash
# run-api.sh - the API integration suite against a real hild.
#
#   run-api.sh sqlite|pg [SCRIPT...]
#
# Every script in tests/integration/api/ (or the ones named) gets a fresh
# database and a fresh hild: schema by "hild --upgrade-db", an admin by
# "hild --create-admin", then apitest runs the script and hild is stopped
# with SIGTERM and must exit 0.  Lines "#conf KEY = VALUE" in a script are
# added to that hild's config.  For "pg" a private PostgreSQL server is
# started once with tests/db/pg-start.sh and each script starts from an
# empty schema.  Output: one TAP stream, plan at the end.
set -u
. "$(dirname "$0")/lib-hild.sh"

backend=${1:-}
shift
case $backend in
sqlite | pg) ;;
*)
	echo "usage: $0 sqlite|pg [SCRIPT...]" >&2
	exit 2
	;;
esac

if [ $# -gt 0 ]; then
	scripts=("$@")
else
	scripts=("$HIL_SRCDIR"/tests/integration/api/*.t)
fi

PG_DIR=
PG_URI=
pg_cleanup() {
	if [ -n "$PG_DIR" ] && [ -f "$HIL_SRCDIR/tests/db/pg-stop.sh" ]; then
		bash "$HIL_SRCDIR/tests/db/pg-stop.sh" "$PG_DIR" >/dev/null 2>&1
	fi
	PG_DIR=
}

# An empty schema for the next script: drop everything hild made.
pg_reset() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URI" \
		-c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' \
		>>"$W/pg-reset.log" 2>&1
}

if [ "$backend" = pg ]; then
	if [ ! -f "$HIL_SRCDIR/tests/db/pg-start.sh" ]; then
		echo "1..0 # SKIP tests/db/pg-start.sh is missing"
		exit 0
	fi
	if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null; then
		echo "1..0 # SKIP no PostgreSQL server installed"
		exit 0
	fi
	command -v psql >/dev/null || tap_bail "psql is not installed"
fi

hild_setup

if [ "$backend" = pg ]; then
	PG_DIR=$W/pg
	mkdir -p "$PG_DIR"
	pg_port=$("$APITEST" --free-port) || tap_bail "no free port"
	PG_URI=$(bash "$HIL_SRCDIR/tests/db/pg-start.sh" "$PG_DIR" "$pg_port" 2>"$W/pg-start.err" | tail -n 1)
	if [ -z "$PG_URI" ]; then
		tap_diag <"$W/pg-start.err"
		tap_bail "could not start PostgreSQL"
	fi
	tap_ok 0 "pg: private PostgreSQL server on port $pg_port"
fi

n=0
for script in "${scripts[@]}"; do
	n=$((n + 1))
	name=$(basename "$script" .t)
	extra=$(sed -n 's/^#conf[[:space:]]\{1,\}//p' "$script")
	if [ "$backend" = pg ]; then
		pg_reset
		tap_ok $? "$name: empty PostgreSQL schema"
		db=$PG_URI
	else
		db=sqlite://$W/$name.db
	fi
	hild_prepare "$name" "$db" "$extra" || continue
	hild_start "$name" || continue
	out=$("$APITEST" -u "$HILD_URL" --admin "$HILD_ADMIN:$HILD_ADMIN_PW" "$script")
	rc=$?
	# Number-free test points; one plan for the whole stream at the end.
	points=$(printf '%s\n' "$out" | grep -cE '^(not )?ok ')
	failed=$(printf '%s\n' "$out" | grep -cE '^not ok ')
	printf '%s\n' "$out" | sed -E -e '/^1\.\.[0-9]+/d' -e 's/^(not )?ok [0-9]+/\1ok/'
	TAP_COUNT=$((TAP_COUNT + points))
	TAP_FAILED=$((TAP_FAILED + failed))
	# apitest exits 1 when a test failed; anything else is its own failure
	# (a crash, a sanitizer report).
	[ $rc -le 1 ]
	tap_ok $? "$name: apitest ran to the end (exit status $rc)"
	if [ "$failed" != 0 ]; then
		echo "# hild log of $name (last lines):"
		hild_log_tail 20
	fi
	hild_stop "$name"
done

tap_finish
[ $TAP_FAILED = 0 ]
