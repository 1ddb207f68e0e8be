#!/bin/bash
# startup-test.sh - hild's startup and shutdown as a site admin meets them:
# -t and -T, each refusal (config, plugin, database, schema) with a message
# that says what to do, the one-hild-per-SQLite-file lock, a password hash
# from the original HIL, a client that disconnects mid-request, -d with its
# pid file, SIGTERM and SIGINT.  TAP on stdout.
set -u
umask 077
. "$(dirname "$0")/lib-hild.sh"

# sha512-crypt at the original HIL's 656,000 rounds (passlib's default), as
# its database kept them: password "orig-pw".
ORIG_HASH='$6$rounds=656000$Xq2Fj1m9aTzW3kPb$X0sDUX/lrN/LvNcrKsRSUXm1YfnK6IXCC129wR2z8KMSCuGCKc/AeAg3O0Q6rpeVnosSVYV24ys3FmbH9jOhs.'

command -v sqlite3 >/dev/null || tap_bail "sqlite3 is not installed (tests/deps.sh test)"
hild_setup
HILD_PORT=$("$APITEST" --free-port) || tap_bail "no free port"
DB=$W/hil.db

# expect_refusal NAME PATTERN CMD...: CMD exits non-zero and says PATTERN.
expect_refusal() {
	local name=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc != 0 ] && grep -qiE "$pat" <<<"$out"; then
		tap_ok 0 "$name"
	else
		tap_ok 1 "$name"
		echo "# exit $rc, output:"
		tap_diag <<<"$out"
	fi
}

# -t, -T
hild_config good "sqlite://$DB" "plugin.keystone.password = hunter2"
out=$("$HILD" -f "$HILD_CONF" -t 2>&1)
tap_ok $? "hild -t accepts a good config"
out=$("$HILD" -f "$HILD_CONF" -T 2>&1)
grep -q "^port = $HILD_PORT\$" <<<"$out" && grep -q '^engine_workers = ' <<<"$out"
tap_ok $? "hild -T prints every keyword with its effective value"
! grep -q hunter2 <<<"$out" && grep -q 'plugin.keystone.password = \*\*\*\*' <<<"$out"
tap_ok $? "hild -T masks a plugin's password"
hild_config pgmask "postgresql://hil:s3cr3t@127.0.0.1:1/hil"
out=$("$HILD" -f "$HILD_CONF" -T 2>&1)
! grep -q s3cr3t <<<"$out" && grep -q 'postgresql://hil:\*\*\*\*@127.0.0.1:1/hil' <<<"$out"
tap_ok $? "hild -T masks the database password"

# Config refusals
hild_config mode "sqlite://$DB"
chmod 644 "$HILD_CONF"
expect_refusal "a config others can read is refused" "chmod" "$HILD" -f "$HILD_CONF" -t
hild_config unknown "sqlite://$DB" "bogus_keyword = 1"
expect_refusal "an unknown keyword is refused with its line" "unknown.conf:[0-9]+: unknown keyword 'bogus_keyword'" "$HILD" -f "$HILD_CONF" -t
hild_config badport "sqlite://$DB" "port = 70000"
expect_refusal "an out-of-range number is refused" "'port' wants a number" "$HILD" -f "$HILD_CONF" -t
hild_config noworkers "sqlite://$DB" "engine_workers = 0"
expect_refusal "engine_workers = 0 is refused" "'engine_workers' wants a number 1" "$HILD" -f "$HILD_CONF" -t
expect_refusal "a missing config file is refused" "could not open" "$HILD" -f "$W/nonexistent.conf" -t
expect_refusal "an unknown option is a usage error" "usage" "$HILD" --bogus

# Plugin refusals
hild_config noplugin "sqlite://$DB" "switch_drivers = nosuch"
expect_refusal "a missing plugin is refused, naming its path" "plugins/switch/nosuch.so" "$HILD" -f "$HILD_CONF" -t
hild_config nullauth "sqlite://$DB" "auth = null"
expect_refusal "the null auth plugin refuses to load without allow_insecure_auth" "allow_insecure_auth" "$HILD" -f "$HILD_CONF" -t
hild_config nullok "sqlite://$DB" "auth = null
allow_insecure_auth = yes"
"$HILD" -f "$HILD_CONF" -t >/dev/null 2>&1
tap_ok $? "the null auth plugin loads with allow_insecure_auth = yes"

# Database refusals
hild_config nodir "sqlite://$W/no/such/dir/hil.db"
expect_refusal "an unreadable database is refused" "could not open the database" "$HILD" -f "$HILD_CONF" --upgrade-db
hild_config fresh "sqlite://$DB"
expect_refusal "an uninitialized schema is refused" "not initialized.*--upgrade-db" "$HILD" -f "$HILD_CONF"
"$HILD" -f "$HILD_CONF" --upgrade-db >/dev/null 2>&1
tap_ok $? "hild --upgrade-db creates the schema"
last=$(sqlite3 "$DB" 'SELECT MAX(version) FROM schema_version')
sqlite3 "$DB" "DELETE FROM schema_version WHERE version = $last"
expect_refusal "a schema that needs upgrading is refused" "needs $last: run 'hild --upgrade-db'" "$HILD" -f "$HILD_CONF"
sqlite3 "$DB" "INSERT INTO schema_version (version) VALUES ($last)"
printf '%s\n' "$HILD_ADMIN_PW" | "$HILD" -f "$HILD_CONF" --create-admin "$HILD_ADMIN" >/dev/null 2>&1
tap_ok $? "hild --create-admin reads the password from stdin"
printf 'x\n' | "$HILD" -f "$HILD_CONF" --create-admin "$HILD_ADMIN" >/dev/null 2>&1
tap_ok $(($? == 0)) "hild --create-admin refuses an existing name"

# A user carried over from the original HIL, with its hash as it was.
sqlite3 "$DB" "INSERT INTO users (label, hashed_password, is_admin) VALUES ('olduser', '$ORIG_HASH', 1)"

hild_start serve || { tap_finish; exit 1; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -u olduser:orig-pw "$HILD_URL/v0/projects")" = 200 ]
tap_ok $? "a \$6\$rounds=656000\$ hash from the original HIL verifies"
[ "$(code -u olduser:wrong "$HILD_URL/v0/projects")" = 401 ]
tap_ok $? "a wrong password against that hash is refused"
[ "$(code -u olduser:orig-pw "$HILD_URL/v0/projects")" = 200 ]
tap_ok $? "the verified credential is served again (cached)"

expect_refusal "a second hild on the same SQLite file is refused" "lock|another|busy|in use" "$HILD" -f "$HILD_CONF" --upgrade-db

# Clients that go away mid-request: a body cut short, headers cut short.
for _ in 1 2 3; do
	printf 'PUT /v0/project/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n\r\n{"a":' |
		timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$HILD_PORT" 2>/dev/null
	printf 'GET /v0/projects HTTP/1.1\r\nHost:' |
		timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$HILD_PORT" 2>/dev/null
done
[ "$(code -u "$HILD_ADMIN:$HILD_ADMIN_PW" "$HILD_URL/v0/projects")" = 200 ]
tap_ok $? "hild answers after clients disconnected mid-request"
[ "$(code -u "$HILD_ADMIN:$HILD_ADMIN_PW" "$HILD_URL/v0/project/cut")" = 404 ] ||
	[ "$(code -u "$HILD_ADMIN:$HILD_ADMIN_PW" -X DELETE "$HILD_URL/v0/project/cut")" = 404 ]
tap_ok $? "a request whose body was cut short changed nothing"
hild_stop serve
if grep -qE 'LeakSanitizer|AddressSanitizer|runtime error' "$HILD_LOG"; then
	tap_ok 1 "no leak or sanitizer report after the disconnects"
	grep -A20 -E 'LeakSanitizer|AddressSanitizer|runtime error' "$HILD_LOG" | head -40 | tap_diag
else
	tap_ok 0 "no leak or sanitizer report after the disconnects"
fi

# SIGINT stops it as cleanly as SIGTERM.
"$HILD" -f "$HILD_CONF" >>"$HILD_LOG" 2>&1 &
pid=$!
for _ in $(seq 300); do "$APITEST" --probe "$HILD_URL/v0/projects" && break; sleep 0.1; done
kill -INT $pid
wait $pid
tap_ok $? "SIGINT stops hild with exit status 0"

# -d: detached, pid file written, removed on SIGTERM.
pidfile=$(sed -n "s/^pid_file = //p" "$HILD_CONF")
"$HILD" -f "$HILD_CONF" -d 2>>"$HILD_LOG"
tap_ok $? "hild -d returns once detached"
for _ in $(seq 300); do [ -s "$pidfile" ] && "$APITEST" --probe "$HILD_URL/v0/projects" && break; sleep 0.1; done
dpid=$(cat "$pidfile" 2>/dev/null)
[ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null &&
	[ "$(ps -o sid= -p "$dpid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
tap_ok $? "the pid file names the running daemon, detached from our session"
expect_refusal "a second hild -d fails with its reason on the terminal" "pid file|lock|busy|in use" "$HILD" -f "$HILD_CONF" -d
kill -TERM "$dpid" 2>/dev/null
for _ in $(seq 300); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$dpid" 2>/dev/null && [ ! -e "$pidfile" ]
tap_ok $? "SIGTERM stops the daemon and removes its pid file"

tap_finish
[ "$TAP_FAILED" = 0 ]
