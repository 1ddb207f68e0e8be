#!/bin/bash
# crash-test.sh - nothing hild acknowledged is lost when it is killed.
#
# For each backend (SQLite; PostgreSQL too, see below) and each of
# HIL_CRASH_ROUNDS rounds (default 3): two writers stream project, node,
# NIC and connect_node writes at hild, hild gets SIGKILL at a random moment
# while both are writing, it is started again on the same database, and
# every write acknowledged with a 2xx, in this round or an earlier one,
# must be there.  A round that acknowledged nothing fails, so the test
# cannot pass by checking nothing.  This proves that hild answers only
# after the commit and that it recovers from a kill (SQLite: the WAL is
# replayed and the killed process's lock is gone); a power loss is another
# matter.
#
# PostgreSQL: a private server from tests/db/pg-start.sh;
# HIL_CRASH_PG=no skips it.  Environment as lib-hild.sh.  TAP on stdout,
# the plan at the end.
set -u
umask 077 # hild refuses a config others can read
. "$(dirname "$0")/lib-hild.sh"

WRITER=$HIL_BUILDDIR/tests/integration/crash-writer
ROUNDS=${HIL_CRASH_ROUNDS:-3}
# Names of this run's objects and admin, unique on a shared database.
RUN=c$$
HILD_ADMIN=crash$$

PG_DIR=
pg_cleanup() {
	if [ -n "$PG_DIR" ]; then
		bash "$HIL_SRCDIR/tests/db/pg-stop.sh" "$PG_DIR" >/dev/null 2>&1
	fi
	PG_DIR=
}

[ -x "$WRITER" ] || tap_bail "no crash-writer at '$WRITER' (build first)"
hild_setup
[ -f "$W/plugins/obm/mock.so" ] || tap_bail "the mock OBM plugin is not built"

backends=(sqlite)
# A server of its own: the one HIL_TEST_PG_URI names is shared with
# suites running at the same time.
pg_uri=
if [ "${HIL_CRASH_PG:-}" != no ] && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
	tap_bail "PostgreSQL is not installed (tests/deps.sh test)"
fi
if [ -z "$pg_uri" ] && [ "${HIL_CRASH_PG:-}" != no ] &&
	[ -f "$HIL_SRCDIR/tests/db/pg-start.sh" ] &&
	ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
	PG_DIR=$W/pg
	mkdir -p "$PG_DIR"
	pg_port=$("$WRITER" free-port) || tap_bail "no free port"
	pg_uri=$(bash "$HIL_SRCDIR/tests/db/pg-start.sh" "$PG_DIR" "$pg_port" \
		2>"$W/pg-start.err" | tail -n 1)
	if [ -z "$pg_uri" ]; then
		tap_diag <"$W/pg-start.err"
		tap_bail "could not start PostgreSQL"
	fi
fi
[ -n "$pg_uri" ] && [ "${HIL_CRASH_PG:-}" != no ] && backends+=(postgresql)

# Sleep 300..1800 ms.
random_sleep() {
	local ms=$((300 + RANDOM % 1500))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}

kill9_hild() {
	kill -KILL "$HILD_PID" 2>/dev/null
	wait "$HILD_PID" 2>/dev/null
	HILD_PID=
}

export HIL_USERNAME=$HILD_ADMIN HIL_PASSWORD=$HILD_ADMIN_PW

for backend in "${backends[@]}"; do
	name=crash-$backend
	if [ "$backend" = sqlite ]; then
		db=sqlite://$W/crash.db
	else
		db=$pg_uri
	fi
	hild_prepare "$name" "$db" || continue
	hild_start "$name" || continue

	acks=()
	for r in $(seq "$ROUNDS"); do
		pre=$RUN-$backend-r$r
		pids=()
		for w in a b; do
			"$WRITER" write "$HILD_URL" "$pre$w" "$W/ack-$pre$w" \
				>"$W/writer-$w.out" 2>&1 &
			pids+=($!)
			acks+=("$W/ack-$pre$w")
		done
		# Both are writing (each had a write acknowledged), then a
		# random moment.
		for _ in $(seq 300); do
			[ -s "$W/ack-${pre}a" ] && [ -s "$W/ack-${pre}b" ] && break
			sleep 0.1
		done
		random_sleep
		running=0
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && running=$((running + 1))
		done
		kill9_hild
		wrc=0
		for p in "${pids[@]}"; do
			wait "$p" || wrc=1
		done
		total=$(cat "$W/ack-$pre"? 2>/dev/null | wc -l)
		summary=$(cat "$W/writer-a.out" "$W/writer-b.out")
		rc=1
		[ "$wrc" = 0 ] && [ "$total" -gt 0 ] && rc=0
		tap_ok $rc "$name round $r: $total writes acknowledged, none refused"
		[ $rc = 0 ] || tap_diag <<<"$summary"

		# Both writers were still writing when hild died.
		stopped=$(grep -c 'stopped transport' <<<"$summary")
		rc=1
		[ "$running" = 2 ] && [ "$stopped" = 2 ] && rc=0
		tap_ok $rc "$name round $r: hild was killed mid-stream"
		[ $rc = 0 ] || tap_diag <<<"$summary"

		hild_start "$name round $r: restart after kill -9" || break
		out=$("$WRITER" verify "$HILD_URL" "${acks[@]}" 2>&1)
		vrc=$?
		tap_ok $vrc "$name round $r: every write acknowledged so far is present (${out##*$'\n'})"
		[ $vrc = 0 ] || head -n 20 <<<"$out" | tap_diag
	done
	hild_stop "$name"
done

tap_finish
[ "$TAP_FAILED" = 0 ]
