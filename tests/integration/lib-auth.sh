# lib-auth.sh - what auth-munge.sh and auth-keystone.sh share: apitest
# scripts whose callers authenticate through an auth plugin.  Sourced after
# lib-hild.sh (bash).
#
# In a script given to auth_run, a request line "as @CALLER ..." is sent
# with the header line that the suite's function "auth_header CALLER"
# prints (made afresh for each request: a MUNGE credential is good for one
# use), and no HTTP Basic credentials.  Everything else is apitest's
# format (tests/integration/api/README); "as anon" and "as admin" keep
# their meaning.

# auth_run NAME: the script on stdin, run by apitest against the running
# hild as $W/NAME.t; its test points join this TAP stream.
auth_run() {
	local name=$1 script=$W/$1.t line who rest hdr n=0 out rc points failed
	local -a callers=()
	: >"$script"
	while IFS= read -r line; do
		n=$((n + 1))
		if [[ $line =~ ^as[[:space:]]+@([A-Za-z0-9_.-]+)[[:space:]]+(.*)$ ]]; then
			who=${BASH_REMATCH[1]}
			rest=${BASH_REMATCH[2]}
			if ! hdr=$(auth_header "$who") || [ -z "$hdr" ]; then
				tap_ok 1 "$name: a credential for '@$who'"
				hdr="X-No-Credential: $who"
			fi
			printf 'header %s\n' "$hdr" >>"$script"
			n=$((n + 1))
			callers[n]=$who
			printf 'as anon %s\n' "$rest" >>"$script"
		else
			printf '%s\n' "$line" >>"$script"
		fi
	done
	out=$("$APITEST" -u "$HILD_URL" --admin "$HILD_ADMIN:$HILD_ADMIN_PW" "$script")
	rc=$?
	points=$(printf '%s\n' "$out" | grep -cE '^(not )?ok ')
	failed=$(printf '%s\n' "$out" | grep -cE '^not ok ')
	# Number-free points, named after the caller of the template line.
	printf '%s\n' "$out" | sed -E -e '/^1\.\.[0-9]+/d' -e 's/^(not )?ok [0-9]+/\1ok/' |
		while IFS= read -r line; do
			if [[ $line =~ ^((not )?ok\ -\ [^:]+:([0-9]+):\ )as\ anon(.*)$ ]] &&
				[ -n "${callers[${BASH_REMATCH[3]}]:-}" ]; then
				line="${BASH_REMATCH[1]}as @${callers[${BASH_REMATCH[3]}]}${BASH_REMATCH[4]}"
			fi
			printf '%s\n' "$line"
		done
	TAP_COUNT=$((TAP_COUNT + points))
	TAP_FAILED=$((TAP_FAILED + failed))
	[ $rc -le 1 ]
	tap_ok $? "$name: apitest ran to the end (exit status $rc)"
	if [ "$failed" != 0 ]; then
		echo "# hild log (last lines):"
		hild_log_tail 25
	fi
}

# auth_expect_log DESCRIPTION PATTERN: hild logged a line matching PATTERN
# (grep -E) since the run began.
auth_expect_log() {
	grep -qE -- "$2" "$HILD_LOG"
	tap_ok $? "$1"
}

# auth_never_logged DESCRIPTION SECRET: SECRET appears in no log of the run.
auth_never_logged() {
	! grep -rqF -- "$2" "$HILD_LOG"
	tap_ok $? "$1"
}

# auth_port_free: a TCP port free on 127.0.0.1.
auth_port_free() {
	"$APITEST" --free-port
}

# Private munged daemons: munge_start starts one, its pid joins MPIDS;
# munge_cleanup stops them all.
MUNGE_START_TIMEOUT=10 # seconds until munged's socket appears
MPIDS=()

munge_cleanup() {
	local p
	for p in "${MPIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	MPIDS=()
}

# munge_start DIR: a munged with its own key, socket DIR/munge.sock, run
# as the munge user (as root).  Sets MUNGE_SOCK; returns non-zero if it
# did not come up.
munge_start() {
	local d=$1 pid i
	local -a as=()
	mkdir -m 755 "$d" && mkdir -m 700 "$d/private" || return 1
	if id munge >/dev/null 2>&1; then
		chown munge "$d" "$d/private" || return 1
		as=(setpriv --reuid=munge --regid=munge --init-groups --)
	fi
	"${as[@]}" mungekey --create --keyfile="$d/private/munge.key" --bits=1024 ||
		return 1
	# -F keeps munged our child, so its pid is $! (setpriv execs).
	"${as[@]}" munged -F --key-file="$d/private/munge.key" \
		--socket="$d/munge.sock" --pid-file="$d/private/munged.pid" \
		--log-file="$d/private/munged.log" --seed-file="$d/private/munged.seed" \
		2>>"$d/private/munged.stderr" &
	pid=$!
	MPIDS+=("$pid")
	MUNGE_SOCK=$d/munge.sock
	for ((i = 0; i < MUNGE_START_TIMEOUT * 20; i++)); do
		[ -S "$MUNGE_SOCK" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$d/private/munged.log" "$d/private/munged.stderr" 2>/dev/null | tap_diag
	return 1
}

# A private Keystone: SQLite (WAL), fernet tokens, bootstrapped by
# keystone-manage, served by uwsgi on 127.0.0.1:$KS_PORT, all in $KS.
# The caller sets KS (a directory to create), KS_PORT, KS_URL
# (http://127.0.0.1:$KS_PORT/v3) and KS_ADMIN_PW; ks_setup, ks_start (sets
# KPID), ks_stop; ks_config LIFETIME rewrites the config (tokens living
# LIFETIME seconds) for the next ks_start.  ks, token, mk, role_id and
# grant call its API (mk, role_id and grant as $ADMIN_TOKEN).
KS_START_TIMEOUT=90 # seconds until Keystone answers
UWSGI=$(command -v uwsgi || command -v uwsgi-core || true)
KPID=
KS=

ks_stop() {
	[ -n "$KPID" ] || return 0
	# uwsgi may abort at interpreter exit (harmless); keep bash quiet.
	{
		kill -TERM "$KPID"
		for _ in $(seq 200); do kill -0 "$KPID" || break; sleep 0.05; done
		kill -0 "$KPID" && kill -KILL "$KPID"
		wait "$KPID"
	} 2>/dev/null
	KPID=
}

# Keystone: config, database, keys, bootstrap.  $1: token lifetime (s).
ks_config() {
	cat >"$KS/keystone.conf" <<EOF
[DEFAULT]
log_file = $KS/keystone.log
use_stderr = false
debug = false
[database]
connection = sqlite:///$KS/keystone.db
[token]
provider = fernet
expiration = $1
[fernet_tokens]
key_repository = $KS/fernet-keys
max_active_keys = 3
[fernet_receipts]
key_repository = $KS/fernet-keys
[credential]
key_repository = $KS/credential-keys
[identity]
password_hash_algorithm = bcrypt
password_hash_rounds = 4
max_password_length = 72
[cache]
enabled = true
backend = dogpile.cache.memory
EOF
}

ks_setup() {
	local km=(keystone-manage --config-file "$KS/keystone.conf" --config-dir "$KS/conf.d")
	mkdir -m 700 "$KS" "$KS/fernet-keys" "$KS/credential-keys" "$KS/conf.d" || return 1
	ks_config 3600
	"${km[@]}" db_sync >>"$KS/manage.log" 2>&1 || return 1
	# WAL: keystone leaves a read transaction open per rendered token;
	# in rollback-journal mode that blocks the next write for 5 s.
	[ "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("pragma journal_mode=wal").fetchone()[0])' "$KS/keystone.db")" = wal ] || return 1
	"${km[@]}" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$KS/manage.log" 2>&1 || return 1
	"${km[@]}" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$KS/manage.log" 2>&1 || return 1
	"${km[@]}" bootstrap --bootstrap-password "$KS_ADMIN_PW" --bootstrap-username admin \
		--bootstrap-project-name admin --bootstrap-role-name admin \
		--bootstrap-service-name keystone --bootstrap-region-id RegionOne \
		--bootstrap-admin-url "$KS_URL" --bootstrap-public-url "$KS_URL" \
		--bootstrap-internal-url "$KS_URL" >>"$KS/manage.log" 2>&1
}

# uwsgi, one process and one thread (keystone on SQLite wants no more),
# directly our child so that $! is uwsgi itself.
ks_start() {
	local deadline=$((SECONDS + KS_START_TIMEOUT)) c
	OS_KEYSTONE_CONFIG_FILES="$KS/keystone.conf" OS_KEYSTONE_CONFIG_DIR="" \
		"$UWSGI" --plugin python3 --http-socket "127.0.0.1:$KS_PORT" \
		--wsgi-file /usr/bin/keystone-wsgi-public --die-on-term --need-app \
		--processes 1 --threads 1 --buffer-size 65535 \
		--disable-logging --logto "$KS/uwsgi.log" &
	KPID=$!
	while [ $SECONDS -lt $deadline ] && kill -0 "$KPID" 2>/dev/null; do
		c=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$KS_URL" 2>/dev/null)
		[ "$c" = 200 ] && return 0
		sleep 0.1
	done
	tail -n 20 "$KS/uwsgi.log" "$KS/keystone.log" 2>/dev/null | tap_diag
	return 1
}

# ks METHOD PATH [TOKEN] [JSON] [SUBJECT]: body in $KS/body, headers in
# $KS/hdr; prints the status.
ks() {
	local args=(-s -m 30 -o "$KS/body" -D "$KS/hdr" -w '%{http_code}' -X "$1" "$KS_URL$2"
		-H 'Content-Type: application/json')
	[ -n "${3:-}" ] && args+=(-H "X-Auth-Token: $3")
	[ -n "${4:-}" ] && args+=(--data "$4")
	[ -n "${5:-}" ] && args+=(-H "X-Subject-Token: $5")
	curl "${args[@]}"
}

# token USER PASSWORD [PROJECT]: a token, scoped to PROJECT (a name) if
# given; prints nothing when Keystone refuses.
token() {
	local scope=""
	[ -n "${3:-}" ] && scope=",\"scope\":{\"project\":{\"name\":\"$3\",\"domain\":{\"id\":\"default\"}}}"
	[ "$(ks POST /auth/tokens "" "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$1\",\"domain\":{\"id\":\"default\"},\"password\":\"$2\"}}}$scope}}")" = 201 ] &&
		tr -d '\r' <"$KS/hdr" | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}'
}

# mk PATH JSON: create, print the new id.
mk() {
	[ "$(ks POST "$1" "$ADMIN_TOKEN" "$2")" = 201 ] && jq -r '.[keys[0]].id' <"$KS/body"
}

role_id() {
	ks GET "/roles?name=$1" "$ADMIN_TOKEN" >/dev/null && jq -r '.roles[0].id // empty' <"$KS/body"
}

grant() { # PROJECT-ID USER-ID ROLE-ID
	[ "$(ks PUT "/projects/$1/users/$2/roles/$3" "$ADMIN_TOKEN")" = 204 ]
}
