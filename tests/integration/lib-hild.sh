# lib-hild.sh - start and stop a real hild for the integration tests.
# Sourced by run-api.sh and cli-test.sh (bash).  Emits TAP through tap_ok;
# the caller prints the plan with tap_finish.
#
# Environment: HIL_BUILDDIR (the build tree, required), HIL_SRCDIR (the
# source tree; default: two levels above this file), HIL_TEST_KEEP=1 keeps
# the temporary directory for a look after the run.

HIL_SRCDIR=${HIL_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HIL_BUILDDIR=${HIL_BUILDDIR:-}
HILD=$HIL_BUILDDIR/hild/hild
APITEST=$HIL_BUILDDIR/tests/integration/apitest
HILD_START_TIMEOUT=30 # seconds until hild must answer
HILD_STOP_TIMEOUT=20  # seconds until hild must exit after SIGTERM
HILD_ADMIN=admin
HILD_ADMIN_PW=admin-pw-$$

TAP_COUNT=0
TAP_FAILED=0
W=
HILD_PID=
HILD_PORT=
HILD_URL=
HILD_CONF=
HILD_LOG=

tap_ok() { # status description
	TAP_COUNT=$((TAP_COUNT + 1))
	if [ "$1" = 0 ]; then
		echo "ok - ${2//#/\\#}"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok - ${2//#/\\#}"
	fi
}

tap_diag() { sed 's/^/# /'; }

tap_finish() { echo "1..$TAP_COUNT"; }

tap_bail() {
	echo "Bail out! $*"
	exit 1
}

hild_log_tail() {
	[ -n "$HILD_LOG" ] && [ -f "$HILD_LOG" ] && tail -n "${1:-30}" "$HILD_LOG" | tap_diag
}

# hild_log_wait PATTERN COUNT [SECONDS]: wait (10 s unless told) until
# hild's log has COUNT lines matching the extended regex PATTERN.
hild_log_wait() {
	local deadline=$((SECONDS + ${3:-10}))
	while :; do
		[ "$(grep -cE -- "$1" "$HILD_LOG")" -ge "$2" ] && return 0
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# pending_count DATABASE: operations still pending in hild's database
# (sqlite://FILE or a PostgreSQL URI), read directly.
pending_count() {
	case $1 in
	sqlite://*) sqlite3 "${1#sqlite://}" \
		"SELECT COUNT(*) FROM operations WHERE status = 'PENDING'" ;;
	*) psql -X -At "$1" -c "SELECT COUNT(*) FROM operations WHERE status = 'PENDING'" ;;
	esac
}

# Make the work directory and the plugin directory: hild looks plugins up
# as <plugin_dir>/<kind>/<name>.so and wants them owned by root (or by us)
# and not writable by group or others, so copy the built ones.
hild_setup() {
	[ -n "$HIL_BUILDDIR" ] || tap_bail "HIL_BUILDDIR is not set"
	[ -x "$HILD" ] || tap_bail "no hild at '$HILD' (build first)"
	[ -x "$APITEST" ] || tap_bail "no apitest at '$APITEST'"
	W=$(mktemp -d "${TMPDIR:-/tmp}/hil-it.XXXXXX") || tap_bail "mktemp failed"
	chmod 755 "$W"
	mkdir -m 755 "$W/plugins" "$W/plugins/switch" "$W/plugins/obm" "$W/plugins/auth"
	HILD_SWITCH_DRIVERS=
	HILD_OBM_DRIVERS=
	local so kind name
	for so in "$HIL_BUILDDIR"/driver-plugins/switch/*/.libs/*.so \
		"$HIL_BUILDDIR"/driver-plugins/obm/*/.libs/*.so \
		"$HIL_BUILDDIR"/auth-plugins/*/.libs/*.so; do
		[ -f "$so" ] || continue
		case $so in
		*/driver-plugins/switch/*) kind=switch ;;
		*/driver-plugins/obm/*) kind=obm ;;
		*) kind=auth ;;
		esac
		name=$(basename "$so" .so)
		install -m 755 "$so" "$W/plugins/$kind/$name.so"
	done
	# The API tests need the mock drivers; load them when they are built.
	[ -f "$W/plugins/switch/mock.so" ] && HILD_SWITCH_DRIVERS=mock
	[ -f "$W/plugins/obm/mock.so" ] && HILD_OBM_DRIVERS=mock
	trap hild_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# Stop whatever we started and remove the work directory.
hild_cleanup() {
	if [ -n "$HILD_PID" ] && kill -0 "$HILD_PID" 2>/dev/null; then
		kill -KILL "$HILD_PID" 2>/dev/null
		wait "$HILD_PID" 2>/dev/null
	fi
	HILD_PID=
	if declare -F pg_cleanup >/dev/null; then
		pg_cleanup
	fi
	if [ -n "$W" ] && [ -d "$W" ]; then
		if [ "${HIL_TEST_KEEP:-}" = 1 ]; then
			echo "# kept $W" >&2
		else
			rm -rf "$W"
		fi
	fi
}

# hild_config NAME DATABASE [EXTRA-LINES]: write $W/NAME.conf.
hild_config() {
	HILD_CONF=$W/$1.conf
	HILD_LOG=$W/$1.log
	{
		echo "# written by the integration test harness"
		echo "listen = 127.0.0.1"
		echo "port = $HILD_PORT"
		echo "database = $2"
		echo "auth = local"
		echo "require_authentication = yes"
		echo "plugin_dir = $W/plugins"
		[ -n "$HILD_SWITCH_DRIVERS" ] && echo "switch_drivers = $HILD_SWITCH_DRIVERS"
		[ -n "$HILD_OBM_DRIVERS" ] && echo "obm_drivers = $HILD_OBM_DRIVERS"
		echo "log_level = debug"
		echo "threads = 2"
		echo "pid_file = $W/$1.pid"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
	} >"$HILD_CONF"
	chmod 600 "$HILD_CONF"
}

# hild_prepare NAME DATABASE [EXTRA]: config, schema and admin user.  Each
# step is a test point; returns non-zero when a step failed.
hild_prepare() {
	local rc
	HILD_PORT=$("$APITEST" --free-port) || tap_bail "no free port"
	hild_config "$@"
	"$HILD" -f "$HILD_CONF" --upgrade-db >>"$HILD_LOG" 2>&1
	rc=$?
	tap_ok $rc "$1: hild --upgrade-db"
	[ $rc = 0 ] || { hild_log_tail; return 1; }
	printf '%s\n' "$HILD_ADMIN_PW" |
		"$HILD" -f "$HILD_CONF" --create-admin "$HILD_ADMIN" >>"$HILD_LOG" 2>&1
	rc=$?
	tap_ok $rc "$1: hild --create-admin $HILD_ADMIN"
	[ $rc = 0 ] || { hild_log_tail; return 1; }
	return 0
}

# hild_start NAME: start hild in the foreground (our child) and wait until
# it answers HTTP.  A test point; returns non-zero when it did not come up.
hild_start() {
	local tries=0 deadline
	while :; do
		"$HILD" -f "$HILD_CONF" >>"$HILD_LOG" 2>&1 &
		HILD_PID=$!
		HILD_URL=http://127.0.0.1:$HILD_PORT
		deadline=$((SECONDS + HILD_START_TIMEOUT))
		while [ $SECONDS -lt $deadline ] && kill -0 "$HILD_PID" 2>/dev/null; do
			if "$APITEST" --probe "$HILD_URL/v0/projects"; then
				tap_ok 0 "$1: hild answers on port $HILD_PORT"
				return 0
			fi
			sleep 0.1
		done
		kill -KILL "$HILD_PID" 2>/dev/null
		wait "$HILD_PID" 2>/dev/null
		HILD_PID=
		# Someone may have taken the port between the check and the
		# bind: try again on another one.
		tries=$((tries + 1))
		if [ $tries -ge 3 ] || ! grep -qi 'address already in use' "$HILD_LOG"; then
			break
		fi
		HILD_PORT=$("$APITEST" --free-port) || break
		sed -i "s/^port = .*/port = $HILD_PORT/" "$HILD_CONF"
	done
	tap_ok 1 "$1: hild answers"
	hild_log_tail
	return 1
}

# hild_stop NAME: SIGTERM, and hild must exit 0 in time (a sanitizer
# report makes the exit status non-zero).
hild_stop() {
	local rc waited=0
	[ -n "$HILD_PID" ] || return 1
	kill -TERM "$HILD_PID"
	while kill -0 "$HILD_PID" 2>/dev/null && [ $waited -lt $((HILD_STOP_TIMEOUT * 10)) ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	if kill -0 "$HILD_PID" 2>/dev/null; then
		kill -KILL "$HILD_PID"
		wait "$HILD_PID" 2>/dev/null
		HILD_PID=
		tap_ok 1 "$1: hild exits after SIGTERM"
		hild_log_tail
		return 1
	fi
	wait "$HILD_PID"
	rc=$?
	HILD_PID=
	tap_ok $rc "$1: hild exits 0 after SIGTERM"
	if [ $rc != 0 ]; then
		echo "# exit status $rc"
		hild_log_tail 60
	fi
	# Sanitizer reports do not always change the exit status.
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$HILD_LOG"; then
		tap_ok 1 "$1: hild log is free of sanitizer reports"
		grep -A30 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$HILD_LOG" |
			head -60 | tap_diag
		return 1
	fi
	tap_ok 0 "$1: hild log is free of sanitizer reports"
	return $rc
}
