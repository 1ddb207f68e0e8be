#!/bin/bash
# auth-keystone.sh - the keystone auth plugin against a real Keystone:
# Debian's python3-keystone with its own config, SQLite database (WAL),
# fernet keys, bootstrapped by keystone-manage and served by uwsgi on a
# loopback port, all in the test's directory; hild with "auth = keystone";
# the `hil` CLI with OS_TOKEN and with OS_* passwords.  Fails, never
# skips, when Keystone cannot start.
#
# Keystone callers (HIL project label = Keystone project id):
#   @kadmin  admin, role admin on project admin            -> HIL admin
#   @alice   role member on proj1 (P1), token scoped there -> member of P1
#   @bob     role member on proj2 (P2), token scoped there -> not in P1
#   @carol   unscoped token, no role                        -> 401
set -u
. "$(dirname "$0")/lib-hild.sh"
. "$(dirname "$0")/lib-auth.sh"

HIL=$HIL_BUILDDIR/hild/client/hil
KS_CACHE_TTL=20     # hild's plugin.keystone.cache_ttl in this test
KS_SHORT_EXPIRY=10  # token lifetime for the expiry test, seconds

declare -A TOKENS
auth_header() {
	[ -n "${TOKENS[$1]:-}" ] || return 1
	printf 'X-Auth-Token: %s\n' "${TOKENS[$1]}"
}

for tool in keystone-manage curl jq python3; do
	command -v "$tool" >/dev/null || tap_bail "'$tool' is not installed (tests/deps.sh test installs it)"
done
[ -x /usr/bin/keystone-wsgi-public ] || tap_bail "python3-keystone is not installed"
[ -n "$UWSGI" ] && [ -e /usr/lib/uwsgi/plugins/python3_plugin.so ] ||
	tap_bail "uwsgi-core and uwsgi-plugin-python3 are not installed"
[ -f "$HIL_BUILDDIR/auth-plugins/keystone/.libs/keystone.so" ] || tap_bail "the keystone plugin is not built"

hild_setup
trap 'ks_stop; hild_cleanup' EXIT
KS=$W/keystone
KS_ADMIN_PW=admin-$RANDOM$RANDOM
ALICE_PW=alice-$RANDOM$RANDOM
BOB_PW=bob-$RANDOM$RANDOM
CAROL_PW=carol-$RANDOM$RANDOM
SVC_PW=svc-$RANDOM$RANDOM
KS_PORT=$(auth_port_free) || tap_bail "no free port"
KS_URL=http://127.0.0.1:$KS_PORT/v3

ks_setup
tap_ok $? "keystone: config, SQLite database, fernet keys, bootstrap" ||
	{ tail -n 30 "$KS/manage.log" | tap_diag; tap_bail "keystone-manage failed"; }
ks_start
tap_ok $? "keystone answers on $KS_URL (uwsgi pid $KPID)"
[ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null || tap_bail "keystone did not start"

# Projects, users, roles.
ADMIN_TOKEN=$(token admin "$KS_ADMIN_PW" admin)
[ -n "$ADMIN_TOKEN" ] || tap_bail "no admin token from keystone"
P1=$(mk /projects '{"project":{"name":"proj1","domain_id":"default"}}')
P2=$(mk /projects '{"project":{"name":"proj2","domain_id":"default"}}')
SVCP=$(mk /projects '{"project":{"name":"service","domain_id":"default"}}')
ALICE=$(mk /users "{\"user\":{\"name\":\"alice\",\"domain_id\":\"default\",\"password\":\"$ALICE_PW\"}}")
BOB=$(mk /users "{\"user\":{\"name\":\"bob\",\"domain_id\":\"default\",\"password\":\"$BOB_PW\"}}")
CAROL=$(mk /users "{\"user\":{\"name\":\"carol\",\"domain_id\":\"default\",\"password\":\"$CAROL_PW\"}}")
SVC=$(mk /users "{\"user\":{\"name\":\"hil-svc\",\"domain_id\":\"default\",\"password\":\"$SVC_PW\"}}")
SVCROLE=$(mk /roles '{"role":{"name":"service"}}')
MEMBER=$(role_id member)
[ -n "$P1" ] && [ -n "$P2" ] && [ -n "$SVCP" ] && [ -n "$ALICE" ] && [ -n "$BOB" ] &&
	[ -n "$CAROL" ] && [ -n "$SVC" ] && [ -n "$SVCROLE" ] && [ -n "$MEMBER" ] &&
	grant "$P1" "$ALICE" "$MEMBER" && grant "$P2" "$BOB" "$MEMBER" &&
	grant "$SVCP" "$SVC" "$SVCROLE"
tap_ok $? "keystone: projects proj1 $P1, proj2 $P2; users alice, bob, carol; service user hil-svc (role service, no admin)"

fresh_tokens() {
	TOKENS[kadmin]=$(token admin "$KS_ADMIN_PW" admin)
	TOKENS[alice]=$(token alice "$ALICE_PW" proj1)
	TOKENS[bob]=$(token bob "$BOB_PW" proj2)
	TOKENS[carol]=$(token carol "$CAROL_PW")
	TOKENS[svc]=$(token hil-svc "$SVC_PW" service)
}
fresh_tokens
[ -n "${TOKENS[kadmin]}" ] && [ -n "${TOKENS[alice]}" ] && [ -n "${TOKENS[bob]}" ] && [ -n "${TOKENS[carol]}" ]
tap_ok $? "keystone issues tokens to admin, alice (proj1), bob (proj2), carol (unscoped)"

# The service password comes from a file only hild's user reads.
printf '%s\n' "$SVC_PW" >"$W/keystone-svc.pw"
chmod 600 "$W/keystone-svc.pw"
hild_prepare keystone "sqlite://$W/keystone.db" "auth = keystone
plugin.keystone.auth_url = $KS_URL
plugin.keystone.username = hil-svc
plugin.keystone.password_file = $W/keystone-svc.pw
plugin.keystone.project_name = service
plugin.keystone.cache_ttl = $KS_CACHE_TTL
plugin.keystone.timeout = 10" || { tap_finish; exit 1; }
chmod 644 "$W/keystone-svc.pw"
"$HILD" -t -f "$HILD_CONF" >"$W/t.out" 2>&1
[ $? != 0 ] && grep -q "password_file .* is open to group or other" "$W/t.out"
tap_ok $? "hild -t refuses a password_file that others may read"
chmod 600 "$W/keystone-svc.pw"
"$HILD" -t -f "$HILD_CONF" >>"$HILD_LOG" 2>&1
tap_ok $? "hild -t accepts the keystone configuration"
hild_start keystone || { tap_finish; exit 1; }

OBM='{"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}'
auth_run keystone-matrix <<EOF
# Fixtures, by Keystone's admin.  HIL projects are named by Keystone ids.
set OBM $OBM
as @kadmin PUT /v0/project/$P1 -> 200
as @kadmin PUT /v0/project/$P2 -> 200
as @kadmin PUT /v0/node/n1 {"obm": \${OBM}} -> 200
as @kadmin PUT /v0/node/n2 {"obm": \${OBM}} -> 200
as @kadmin PUT /v0/node/nf {"obm": \${OBM}} -> 200
as @kadmin POST /v0/project/$P1/connect_node {"node": "n1"} -> 200
as @kadmin POST /v0/project/$P2/connect_node {"node": "n2"} -> 200

# Identity: admin role = admin; the token's project = its HIL project.
as @kadmin GET /v0/projects -> 200 sorted ["$P1", "$P2"]
as @alice  GET /v0/project/$P1/nodes -> 200 ["n1"]
as @bob    GET /v0/project/$P2/nodes -> 200 ["n2"]

# Wrong project.
as @alice GET /v0/project/$P2/nodes -> 403 AuthorizationError
as @bob   GET /v0/project/$P1/nodes -> 403 AuthorizationError
as @bob   POST /v0/project/$P1/connect_node {"node": "nf"} -> 403 AuthorizationError

# No token, a token without project or admin role, garbage: 401 with
# the plugin's challenge.
as anon   GET /v0/projects -> 401 AuthorizationError hdr "WWW-Authenticate" "Keystone"
as admin  GET /v0/projects -> 401 AuthorizationError hdr "WWW-Authenticate" "Keystone"
as @carol GET /v0/project/$P1/nodes -> 401 AuthorizationError
header X-Auth-Token: gAAAAABnot-a-token
as anon   GET /v0/project/$P1/nodes -> 401 AuthorizationError
header X-Auth-Token: two words
as anon   GET /v0/project/$P1/nodes -> 401 AuthorizationError

# The authorization matrix: admin, member (alice, P1), non-member (bob),
# anonymous.
# list_projects, project_create, project_delete: admin
as anon   GET /v0/projects -> 401 AuthorizationError
as @bob   GET /v0/projects -> 403 AuthorizationError
as @alice GET /v0/projects -> 403 AuthorizationError
as @alice PUT /v0/project/p3 -> 403 AuthorizationError
as anon   PUT /v0/project/p3 -> 401 AuthorizationError
as @kadmin PUT /v0/project/p3 -> 200
as @bob   DELETE /v0/project/p3 -> 403 AuthorizationError
as @kadmin DELETE /v0/project/p3 -> 200
# list_project_nodes: project(P1)
as anon   GET /v0/project/$P1/nodes -> 401 AuthorizationError
as @bob   GET /v0/project/$P1/nodes -> 403 AuthorizationError
as @alice GET /v0/project/$P1/nodes -> 200 ["n1"]
as @kadmin GET /v0/project/$P1/nodes -> 200 ["n1"]
# project_connect_node / project_detach_node: project(P1)
as anon   POST /v0/project/$P1/connect_node {"node": "nf"} -> 401 AuthorizationError
as @bob   POST /v0/project/$P1/connect_node {"node": "nf"} -> 403 AuthorizationError
as @alice POST /v0/project/$P1/connect_node {"node": "nf"} -> 200
as @bob   POST /v0/project/$P1/detach_node {"node": "nf"} -> 403 AuthorizationError
as @alice POST /v0/project/$P1/detach_node {"node": "nf"} -> 200
# show_node: the owner's project
as anon   GET /v0/node/n1 -> 401 AuthorizationError
as @bob   GET /v0/node/n1 -> 403 AuthorizationError
as @alice GET /v0/node/n1 -> 200 ~ {"name": "n1", "project": "$P1"}
as @kadmin GET /v0/node/n1 -> 200 ~ {"name": "n1", "project": "$P1"}
# node_register: admin
as @alice PUT /v0/node/n9 {"obm": \${OBM}} -> 403 AuthorizationError
# list_nodes: any authenticated caller
as anon   GET /v0/nodes/free -> 401 AuthorizationError
as @bob   GET /v0/nodes/free -> 200 ["nf"]
as @kadmin GET /v0/nodes/all -> 200 ["n1", "n2", "nf"]
# A non-admin whose token names no HIL project is not authenticated.
header X-Auth-Token: ${TOKENS[svc]}
as anon   GET /v0/nodes/free -> 401 AuthorizationError
header X-Auth-Token: ${TOKENS[svc]}
as anon   GET /v0/networks -> 401 AuthorizationError
# Keystone owns users: hild serves no user API under this plugin.
as @kadmin GET /v0/auth/basic/users -> 404 NotFoundError
EOF
auth_expect_log "hild logs the unscoped token" "refused a token of 'carol': scoped to no project"
auth_never_logged "the service password is never logged" "$SVC_PW"
auth_never_logged "alice's token is never logged" "${TOKENS[alice]}"

# A validated token is trusted for cache_ttl at most: revoked at
# Keystone, it still works until then, and not after.
rt=$(token alice "$ALICE_PW" proj1)
never=$(token alice "$ALICE_PW" proj1)
auth_run keystone-revoke-1 <<EOF
header X-Auth-Token: $rt
as anon GET /v0/project/$P1/nodes -> 200 ["n1"]
EOF
[ "$(ks DELETE /auth/tokens "$ADMIN_TOKEN" "" "$rt")" = 204 ] &&
	[ "$(ks DELETE /auth/tokens "$ADMIN_TOKEN" "" "$never")" = 204 ]
tap_ok $? "keystone revokes two of alice's tokens"
auth_run keystone-revoke-2 <<EOF
# cached: still good
header X-Auth-Token: $rt
as anon GET /v0/project/$P1/nodes -> 200 ["n1"]
# never seen by hild: refused at once
header X-Auth-Token: $never
as anon GET /v0/project/$P1/nodes -> 401 AuthorizationError
EOF
sleep $((KS_CACHE_TTL + 1))
auth_run keystone-revoke-3 <<EOF
# cache_ttl passed: asked again, refused
header X-Auth-Token: $rt
as anon GET /v0/project/$P1/nodes -> 401 AuthorizationError
EOF

# The service token: when Keystone stops taking it (its user was
# disabled and enabled again, which revokes its tokens), hild logs in
# again and carries on.
[ "$(ks PATCH "/users/$SVC" "$ADMIN_TOKEN" '{"user":{"enabled":false}}')" = 200 ] &&
	[ "$(ks PATCH "/users/$SVC" "$ADMIN_TOKEN" '{"user":{"enabled":true}}')" = 200 ]
tap_ok $? "keystone: hil-svc disabled and enabled again (its tokens are revoked)"
# Revocation has 1 s resolution: tokens of the same second count as revoked.
sleep 1.1
nt=$(token alice "$ALICE_PW" proj1)
auth_run keystone-service-token <<EOF
header X-Auth-Token: $nt
as anon GET /v0/project/$P1/nodes -> 200 ["n1"]
EOF

# The CLI: a token from OS_TOKEN, or one it gets with OS_* passwords.
export HIL_ENDPOINT=$HILD_URL
unset HIL_USERNAME HIL_PASSWORD HIL_AUTH OS_AUTH_URL OS_USERNAME OS_PASSWORD \
	OS_PROJECT_NAME OS_PROJECT_ID OS_USER_DOMAIN_ID OS_PROJECT_DOMAIN_ID
fresh_tokens
cli() { # WANT DESCRIPTION -- COMMAND...
	local want=$1 desc=$2 rc
	shift 3
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
out_is() {
	local got
	got=$(tr -s ' \n' ' ' <"$W/out" | sed 's/ $//')
	[ "$got" = "$1" ]
	tap_ok $? "$2"
	[ "$got" = "$1" ] || echo "# got: '$got'"
}
OS_TOKEN=${TOKENS[alice]} cli 0 "OS_TOKEN (alice): hil project node list P1" -- "$HIL" project node list "$P1"
out_is "n1" "lists n1"
OS_TOKEN=${TOKENS[alice]} cli 1 "OS_TOKEN (alice): hil project list is not allowed" -- "$HIL" project list
OS_TOKEN=${TOKENS[kadmin]} cli 0 "OS_TOKEN (admin): hil project list" -- "$HIL" project list
out_is "$(printf '%s\n' "$P1" "$P2" | sort | tr '\n' ' ' | sed 's/ $//')" "lists both projects"
OS_AUTH_URL=$KS_URL OS_USERNAME=alice OS_PASSWORD=$ALICE_PW OS_PROJECT_NAME=proj1 \
	OS_USER_DOMAIN_ID=default OS_PROJECT_DOMAIN_ID=default \
	cli 0 "OS_AUTH_URL + password (alice, proj1): hil project node list P1" -- "$HIL" project node list "$P1"
out_is "n1" "lists n1"
OS_AUTH_URL=http://127.0.0.1:$KS_PORT OS_USERNAME=bob OS_PASSWORD=$BOB_PW OS_PROJECT_NAME=proj2 \
	cli 1 "OS_AUTH_URL without /v3 (bob, proj2): P1 is not his" -- "$HIL" project node list "$P1"
OS_AUTH_URL=$KS_URL OS_USERNAME=alice OS_PASSWORD=wrong-password OS_PROJECT_NAME=proj1 \
	cli 2 "OS_AUTH_URL with a wrong password: no token, nothing sent to hild" -- "$HIL" project node list "$P1"
grep -q "Keystone refused the credentials of 'alice'" "$W/err"
tap_ok $? "and says Keystone refused the credentials"
HIL_AUTH=keystone OS_TOKEN=${TOKENS[carol]} cli 1 "OS_TOKEN of an unscoped token: refused" -- "$HIL" project node list "$P1"

# Keystone down: tokens hild has validated within cache_ttl still work,
# new ones get 503.
fresh_tokens
auth_run keystone-before-down <<EOF
as @alice GET /v0/project/$P1/nodes -> 200 ["n1"]
EOF
ks_stop
tap_ok 0 "keystone stopped"
auth_run keystone-down <<EOF
as @alice GET /v0/project/$P1/nodes -> 200 ["n1"]
as @bob   GET /v0/project/$P2/nodes -> 503 ServiceUnavailableError
EOF
auth_expect_log "hild logs that keystone cannot be reached" "auth plugin 'keystone': could not reach keystone at '$KS_URL'"

# Expiry: Keystone again, now issuing tokens that live a few seconds.
ks_config "$KS_SHORT_EXPIRY"
ks_start
tap_ok $? "keystone restarted with $KS_SHORT_EXPIRY s tokens"
ADMIN_TOKEN=$(token admin "$KS_ADMIN_PW" admin)
et=$(token alice "$ALICE_PW" proj1)
auth_run keystone-expiry-1 <<EOF
header X-Auth-Token: $et
as anon GET /v0/project/$P1/nodes -> 200 ["n1"]
EOF
sleep $((KS_SHORT_EXPIRY + 1))
auth_run keystone-expiry-2 <<EOF
# past its expiry: not served from the cache (cache_ttl is longer)
header X-Auth-Token: $et
as anon GET /v0/project/$P1/nodes -> 401 AuthorizationError
EOF
auth_expect_log "hild logged that keystone answers again" "auth plugin 'keystone': keystone at '$KS_URL' answers again"

hild_stop keystone
tap_finish
[ $TAP_FAILED = 0 ]
