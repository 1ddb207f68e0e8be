#!/bin/bash
# cli-test.sh - the `hil` CLI against a real hild on SQLite: exit status
# (0 success, 1 the server refused, 2 usage), --json output, and errors
# printed as "Error: <msg>" on stderr (spec 13.1).
set -u
. "$(dirname "$0")/lib-hild.sh"

HIL=$HIL_BUILDDIR/hild/client/hil
if [ ! -x "$HIL" ]; then
	echo "1..0 # SKIP the hil CLI is not built"
	exit 0
fi

hild_setup
hild_prepare cli "sqlite://$W/cli.db" || { tap_finish; exit 1; }
hild_start cli || { tap_finish; exit 1; }

export HIL_ENDPOINT=$HILD_URL
export HIL_USERNAME=$HILD_ADMIN
export HIL_PASSWORD=$HILD_ADMIN_PW
unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME

OUT=$W/cli.out
ERR=$W/cli.err

# run EXPECTED-STATUS DESCRIPTION -- COMMAND...: one test point on the
# exit status ("fail": any failure that is not a crash); stdout and stderr
# are kept in $OUT and $ERR.
run() {
	local want=$1 desc=$2 rc
	shift 3
	"$@" >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" = "$want" ] || { [ "$want" = fail ] && [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; }; then
		tap_ok 0 "$desc (exit $want)"
	else
		tap_ok 1 "$desc (exit $want)"
		echo "# exit status $rc; stdout and stderr:"
		head -c 2000 "$OUT" | tap_diag
		head -c 2000 "$ERR" | tap_diag
	fi
}

# The last command's stdout, without whitespace, equals $1.
json_is() {
	local got
	got=$(tr -d ' \t\n' <"$OUT")
	[ "$got" = "$1" ]
	tap_ok $? "$2: --json prints $1"
	[ "$got" = "$1" ] || echo "# got: $got"
}

# The last command's stdout or stderr contains $2.
has() { # out|err TEXT DESCRIPTION
	local f=$OUT
	[ "$1" = err ] && f=$ERR
	grep -qF -- "$2" "$f"
	tap_ok $? "$3"
}

run 0 "project create" -- "$HIL" project create p1
run 0 "project create p2" -- "$HIL" project create p2
run 0 "project list --json" -- "$HIL" project list --json
json_is '["p1","p2"]' "project list"
run 0 "project list" -- "$HIL" project list
has out p2 "project list names the projects"
run 1 "project create of an existing project" -- "$HIL" project create p1
has err "Error:" "a refused call prints Error: on stderr"
[ ! -s "$OUT" ]
tap_ok $? "a refused call prints nothing on stdout"
run 1 "project delete of a missing project" -- "$HIL" project delete nosuch
has err "Error:" "a 404 prints Error:"

run 0 "node register (obmd shape)" -- "$HIL" node register n1 https://obmd.example.com/node/n1 s3cret-token
run 0 "node nic register" -- "$HIL" node nic register n1 eth0 aa:bb:cc:dd:ee:ff
run 0 "node metadata add" -- "$HIL" node metadata add n1 rack r4
run 0 "node list all --json" -- "$HIL" node list all --json
json_is '["n1"]' "node list all"
run 0 "node list free --json" -- "$HIL" node list free --json
json_is '["n1"]' "node list free"
run 0 "node show --json" -- "$HIL" node show n1 --json
has out '"name"' "node show --json prints the node"
has out 'eth0' "node show --json lists the NIC"
grep -qF 's3cret-token' "$OUT"
tap_ok $((!$?)) "node show never prints the OBM token"
run 0 "node show" -- "$HIL" node show n1
has out eth0 "node show lists the NIC"
run 1 "node show of a missing node" -- "$HIL" node show nosuch
has err "Error:" "a missing node prints Error:"

run 0 "project node add" -- "$HIL" project node add p1 n1
run 0 "project node list --json" -- "$HIL" project node list p1 --json
json_is '["n1"]' "project node list"
run 0 "node list free --json, allocated" -- "$HIL" node list free --json
json_is '[]' "node list free after add"
run 0 "node obm enable" -- "$HIL" node obm enable n1
run 1 "project node remove with OBM enabled" -- "$HIL" project node remove p1 n1
has err "Error:" "a blocked detach prints Error:"
run 0 "node obm disable" -- "$HIL" node obm disable n1
run 0 "project node remove" -- "$HIL" project node remove p1 n1
run 0 "node metadata delete" -- "$HIL" node metadata delete n1 rack
run 0 "node nic delete" -- "$HIL" node nic delete n1 eth0
run 0 "node delete" -- "$HIL" node delete n1

run 0 "user create" -- "$HIL" user create alice alice-pw regular
run 0 "user project add" -- "$HIL" user project add alice p1
HIL_USERNAME=alice HIL_PASSWORD=alice-pw run 1 "a regular user lists projects" -- "$HIL" project list
has err "Error:" "403 prints Error:"
HIL_USERNAME=alice HIL_PASSWORD=alice-pw run 0 "a member lists its project's nodes" -- "$HIL" project node list p1 --json
json_is '[]' "project node list as a member"
HIL_USERNAME=alice HIL_PASSWORD=wrong run 1 "a wrong password" -- "$HIL" node list all
has err "Error:" "401 prints Error:"
run 0 "user set-admin" -- "$HIL" user set-admin alice admin
HIL_USERNAME=alice HIL_PASSWORD=alice-pw run 0 "an admin lists projects" -- "$HIL" project list --json
json_is '["p1","p2"]' "project list as the new admin"
run 0 "user project remove" -- "$HIL" user project remove alice p1
run 0 "user delete" -- "$HIL" user delete alice
run 1 "user delete of a missing user" -- "$HIL" user delete alice

# Usage errors are exit 2 and send nothing.
run 2 "an unknown command" -- "$HIL" frobnicate
run 2 "a missing argument" -- "$HIL" project create
run 2 "too many arguments" -- "$HIL" project create p3 p4
run 2 "a bad choice" -- "$HIL" node list
run fail "user create with a bad role" -- "$HIL" user create bob pw superuser
run 0 "project list after the usage errors" -- "$HIL" project list --json
json_is '["p1","p2"]' "usage errors changed nothing"
# Labels are checked before anything is sent (spec 13.3).
run fail "a label with a bad character" -- "$HIL" project create 'a/b'
run 0 "project list after the bad label" -- "$HIL" project list --json
json_is '["p1","p2"]' "a bad label sent nothing"
# No endpoint: an error, not a crash.
HIL_ENDPOINT= run fail "no HIL_ENDPOINT" -- "$HIL" project list
HIL_ENDPOINT=http://127.0.0.1:1 run 1 "nothing listening" -- "$HIL" project list
has err "Error:" "a connection failure prints Error:"

hild_stop cli
tap_finish
[ $TAP_FAILED = 0 ]
