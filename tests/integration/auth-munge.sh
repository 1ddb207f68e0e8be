#!/bin/bash
# auth-munge.sh - the munge auth plugin against a real munged: a private
# munged with a generated key, hild with "auth = munge", callers that are
# processes of different uids (setpriv), and the `hil` CLI with
# HIL_AUTH=munge.  Needs root (to encode credentials as other uids) and
# the munge package; fails, never skips, when munged cannot start.
#
# Callers (uid -> HIL user):
#   @root   0     map.0 = admin        the admin hild --create-admin made
#   @alice  4242  map.4242 = alice     member of p1
#   @bob    4243  map.4243 = bob       member of p2 (another project)
#   @daemon 1     account name daemon  member of p2, mapped by name
#   @carol  4246  map.4246 = carol     a HIL admin made through the API
#   @nomap  4244  no mapping and no account             -> 401
#   @ghost  4245  map.4245 = ghost, no such HIL user    -> 401
set -u
. "$(dirname "$0")/lib-hild.sh"
. "$(dirname "$0")/lib-auth.sh"

HIL=$HIL_BUILDDIR/hild/client/hil

declare -A UIDS=([root]=0 [alice]=4242 [bob]=4243 [daemon]=1 [carol]=4246
	[nomap]=4244 [ghost]=4245)

# cred CALLER [munge options...]: a credential encoded by CALLER's uid.
cred() {
	local uid=${UIDS[$1]:-}
	shift
	[ -n "$uid" ] || return 1
	setpriv --reuid="$uid" --regid="$uid" --clear-groups -- \
		munge -S "$SOCK" -n "$@"
}

auth_header() {
	local c
	c=$(cred "$1") || return 1
	printf 'Authorization: MUNGE %s\n' "$c"
}

# run_as CALLER WANT DESCRIPTION -- COMMAND...: one test point on the exit
# status of COMMAND run with CALLER's uid; output in $W/out, $W/err.
run_as() {
	local who=$1 want=$2 desc=$3 rc
	shift 4
	setpriv --reuid="${UIDS[$who]}" --regid="${UIDS[$who]}" --clear-groups -- \
		"$@" >"$W/out" 2>"$W/err"
	rc=$?
	[ "$rc" = "$want" ]
	tap_ok $? "$desc (exit $want)"
	if [ "$rc" != "$want" ]; then
		echo "# exit status $rc; stdout, stderr:"
		head -c 1500 "$W/out" | tap_diag
		head -c 1500 "$W/err" | tap_diag
	fi
}

out_is() { # TEXT DESCRIPTION: $W/out, whitespace folded, equals TEXT
	local got
	got=$(tr -s ' \n' ' ' <"$W/out" | sed 's/ $//')
	[ "$got" = "$1" ]
	tap_ok $? "$2"
	[ "$got" = "$1" ] || echo "# got: '$got'"
}

[ "$(id -u)" = 0 ] || tap_bail "auth-munge.sh must run as root (it encodes credentials as other uids)"
for tool in munged munge mungekey setpriv; do
	command -v "$tool" >/dev/null || tap_bail "'$tool' is not installed (tests/deps.sh test installs munge)"
done
[ -f "$HIL_BUILDDIR/auth-plugins/munge/.libs/munge.so" ] || tap_bail "the munge plugin is not built"

hild_setup
trap 'munge_cleanup; hild_cleanup' EXIT
# hild, the CLI and the callers of other uids must reach these.
chmod 755 "$W"

munge_start "$W/munge"
tap_ok $? "a private munged with a generated key answers on its socket" || true
[ -S "$W/munge/munge.sock" ] || tap_bail "munged did not start"
SOCK=$W/munge/munge.sock
munge_start "$W/munge-other"
tap_ok $? "a second munged with another key (another realm)"
OTHER_SOCK=$W/munge-other/munge.sock

hild_prepare munge "sqlite://$W/munge.db" "auth = munge
plugin.munge.socket = $SOCK
plugin.munge.map.0 = $HILD_ADMIN
plugin.munge.map.4242 = alice
plugin.munge.map.4243 = bob
plugin.munge.map.4245 = ghost
plugin.munge.map.4246 = carol" || { tap_finish; exit 1; }
"$HILD" -t -f "$HILD_CONF" >>"$HILD_LOG" 2>&1
tap_ok $? "hild -t accepts the munge configuration"
hild_start munge || { tap_finish; exit 1; }

OBM='{"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}'
auth_run munge-matrix <<EOF
# Fixtures, by root = the admin.
set OBM $OBM
as @root PUT /v0/auth/basic/user/alice {"password": "unused-a"} -> 200
as @root PUT /v0/auth/basic/user/bob {"password": "unused-b"} -> 200
as @root PUT /v0/auth/basic/user/daemon {"password": "unused-d"} -> 200
as @root PUT /v0/auth/basic/user/carol {"password": "unused-c", "is_admin": true} -> 200
as @root PUT /v0/project/p1 -> 200
as @root PUT /v0/project/p2 -> 200
as @root POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as @root POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200
as @root POST /v0/auth/basic/user/daemon/add_project {"project": "p2"} -> 200
as @root PUT /v0/node/n1 {"obm": \${OBM}} -> 200
as @root PUT /v0/node/n2 {"obm": \${OBM}} -> 200
as @root PUT /v0/node/nf {"obm": \${OBM}} -> 200
as @root POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as @root POST /v0/project/p2/connect_node {"node": "n2"} -> 200

# Identity: the uid's HIL user, with that user's admin flag and projects.
as @root  GET /v0/projects -> 200 ["p1", "p2"]
as @carol GET /v0/projects -> 200 ["p1", "p2"]
as @alice GET /v0/project/p1/nodes -> 200 ["n1"]
as @daemon GET /v0/project/p2/nodes -> 200 ["n2"]
as @bob   GET /v0/project/p2/nodes -> 200 ["n2"]

# Wrong project: authenticated, not allowed.
as @alice GET /v0/project/p2/nodes -> 403 AuthorizationError
as @bob   GET /v0/project/p1/nodes -> 403 AuthorizationError
as @daemon POST /v0/project/p1/connect_node {"node": "nf"} -> 403 AuthorizationError

# No credential, another scheme, or a uid that is no HIL user: 401 with
# the plugin's challenge.
as anon GET /v0/projects -> 401 AuthorizationError hdr "WWW-Authenticate" "MUNGE"
as admin GET /v0/projects -> 401 AuthorizationError hdr "WWW-Authenticate" "MUNGE"
as @nomap GET /v0/projects -> 401 AuthorizationError
as @ghost GET /v0/projects -> 401 AuthorizationError
header Authorization: MUNGE not-a-credential
as anon GET /v0/projects -> 401 AuthorizationError
header Authorization: MUNGE
as anon GET /v0/projects -> 401 AuthorizationError

# The authorization matrix: admin, member (alice, p1), non-member (bob),
# anonymous.
# list_projects: admin
as anon   GET /v0/projects -> 401 AuthorizationError
as @bob   GET /v0/projects -> 403 AuthorizationError
as @alice GET /v0/projects -> 403 AuthorizationError
# project_create, project_delete: admin
as anon   PUT /v0/project/p3 -> 401 AuthorizationError
as @bob   PUT /v0/project/p3 -> 403 AuthorizationError
as @alice PUT /v0/project/p3 -> 403 AuthorizationError
as @root  PUT /v0/project/p3 -> 200
as @alice DELETE /v0/project/p3 -> 403 AuthorizationError
as @root  DELETE /v0/project/p3 -> 200
# list_project_nodes: project(p1)
as anon   GET /v0/project/p1/nodes -> 401 AuthorizationError
as @bob   GET /v0/project/p1/nodes -> 403 AuthorizationError
as @alice GET /v0/project/p1/nodes -> 200 ["n1"]
as @root  GET /v0/project/p1/nodes -> 200 ["n1"]
# project_connect_node / project_detach_node: project(p1)
as anon   POST /v0/project/p1/connect_node {"node": "nf"} -> 401 AuthorizationError
as @bob   POST /v0/project/p1/connect_node {"node": "nf"} -> 403 AuthorizationError
as @alice POST /v0/project/p1/connect_node {"node": "nf"} -> 200
as @bob   POST /v0/project/p1/detach_node {"node": "nf"} -> 403 AuthorizationError
as @alice POST /v0/project/p1/detach_node {"node": "nf"} -> 200
# show_node: the owner's project
as anon   GET /v0/node/n1 -> 401 AuthorizationError
as @bob   GET /v0/node/n1 -> 403 AuthorizationError
as @alice GET /v0/node/n1 -> 200 ~ {"name": "n1", "project": "p1"}
as @root  GET /v0/node/n1 -> 200 ~ {"name": "n1", "project": "p1"}
# node_register: admin
as @alice PUT /v0/node/n9 {"obm": \${OBM}} -> 403 AuthorizationError
as anon   PUT /v0/node/n9 {"obm": \${OBM}} -> 401 AuthorizationError
# user management: admin (served because the plugin maps to local users)
as @alice GET /v0/auth/basic/users -> 403 AuthorizationError
as @root  GET /v0/auth/basic/users -> 200 ~ {"alice": {"is_admin": false, "projects": ["p1"]}}
# list_nodes: any authenticated caller
as anon   GET /v0/nodes/free -> 401 AuthorizationError
as @bob   GET /v0/nodes/free -> 200 ["nf"]
as @alice GET /v0/nodes/all -> 200 ["n1", "n2", "nf"]
as @root  GET /v0/nodes/free -> 200 ["nf"]
EOF

# A credential is good once: the second use is a replay.
c=$(cred alice)
auth_run munge-replay <<EOF
header Authorization: MUNGE $c
as anon GET /v0/project/p1/nodes -> 200 ["n1"]
header Authorization: MUNGE $c
as anon GET /v0/project/p1/nodes -> 401 AuthorizationError hdr "WWW-Authenticate" "MUNGE"
EOF
auth_expect_log "hild logs the replay" "refused a credential of uid 4242: Replayed credential"

# Expired: a time-to-live of 1 s, used 2 s later.
c=$(cred alice -t 1)
sleep 2.2
auth_run munge-expired <<EOF
header Authorization: MUNGE $c
as anon GET /v0/project/p1/nodes -> 401 AuthorizationError
EOF
auth_expect_log "hild logs the expiry" "refused a credential of uid 4242: Expired credential"

# Tampered: one character of a good credential changed; a credential of
# another realm's key; one only uid 4242 may decode (hild runs as root).
c=$(cred alice)
i=$((${#c} / 2))
ch=${c:$i:1}
[ "$ch" = A ] && ch=B || ch=A
t="${c:0:$i}$ch${c:$((i + 1))}"
o=$(setpriv --reuid=4242 --regid=4242 --clear-groups -- munge -S "$OTHER_SOCK" -n)
u=$(cred alice -u 4242)
auth_run munge-tampered <<EOF
header Authorization: MUNGE $t
as anon GET /v0/project/p1/nodes -> 401 AuthorizationError
header Authorization: MUNGE $o
as anon GET /v0/project/p1/nodes -> 401 AuthorizationError
header Authorization: MUNGE $u
as anon GET /v0/project/p1/nodes -> 401 AuthorizationError
header Authorization: MUNGE $c
as anon GET /v0/project/p1/nodes -> 200 ["n1"]
EOF
auth_expect_log "hild logs a tampered credential" "auth plugin 'munge': refused a credential: (Invalid credential|Unauthorized)"
auth_expect_log "hild logs the uid that maps to no HIL user" "uid 4244 maps to no HIL user"

# The CLI: HIL_AUTH=munge, a fresh credential for each request.
export HIL_ENDPOINT=$HILD_URL HIL_AUTH=munge HIL_MUNGE_SOCKET=$SOCK
unset HIL_USERNAME HIL_PASSWORD OS_TOKEN OS_AUTH_URL
run_as root 0 "hil project list as root (admin)" -- "$HIL" project list
out_is "p1 p2" "hil project list prints both projects"
run_as alice 0 "hil project node list p1 as uid 4242 (alice)" -- "$HIL" project node list p1
out_is "n1" "and lists n1"
run_as alice 1 "hil project list as alice: not allowed" -- "$HIL" project list
grep -q "Error:" "$W/err"
tap_ok $? "the CLI prints the server's refusal"
run_as alice 0 "hil project node add p1 nf as alice" -- "$HIL" project node add p1 nf
# --force: three requests (OBM off, show, detach), each its own credential.
run_as alice 0 "hil project node remove --force p1 nf as alice (3 requests)" -- \
	"$HIL" project node remove p1 nf --force
run_as bob 1 "hil project node list p1 as bob (another project)" -- "$HIL" project node list p1
run_as nomap 1 "hil as a uid with no HIL user" -- "$HIL" project node list p1
HIL_AUTH=basic run_as root 1 "without HIL_AUTH=munge the CLI is anonymous" -- "$HIL" project list

# munged down: a credential made before it stopped cannot be checked.
c=$(cred alice)
kill -TERM "${MPIDS[0]}"
wait "${MPIDS[0]}" 2>/dev/null
tap_ok 0 "munged stopped"
auth_run munge-down <<EOF
header Authorization: MUNGE $c
as anon GET /v0/project/p1/nodes -> 503 ServiceUnavailableError
as anon GET /v0/project/p1/nodes -> 401 AuthorizationError
EOF
auth_expect_log "hild logs that munged could not be reached" "could not decode a credential with munged at '$SOCK'"
run_as root 1 "hil with munged down fails" -- "$HIL" project list
grep -qi "credential" "$W/err"
tap_ok $? "and says it could not make a credential"

hild_stop munge
tap_finish
[ $TAP_FAILED = 0 ]
