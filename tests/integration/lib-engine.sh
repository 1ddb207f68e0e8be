# lib-engine.sh - API helpers for the engine tests (engine-test.sh):
# build a switch topology through the API, queue networking actions,
# wait for them, and read what the mock switch's journal and state say.
# Sourced after lib-hild.sh (bash); uses its $W, $HILD_URL and admin.

# api METHOD PATH [BODY]: one request as the admin, against $API_URL
# (default $HILD_URL).  Sets API_STATUS and API_BODY.  Safe in background
# jobs: nothing goes through files.
api() {
	local url=${API_URL:-$HILD_URL} out
	local args=(-s -S -w '\n%{http_code}' -u "$HILD_ADMIN:$HILD_ADMIN_PW"
		-X "$1")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	out=$(curl "${args[@]}" "$url/v0$2" 2>&1)
	API_STATUS=${out##*$'\n'}
	API_BODY=${out%$'\n'*}
	[ "$API_BODY" = "$out" ] && API_BODY=
}

# must METHOD PATH [BODY]: api, and say what failed (non-2xx) as a TAP
# comment; returns non-zero then.
must() {
	api "$@"
	case $API_STATUS in
	2??) return 0 ;;
	esac
	echo "# $1 $2 ${3:-} -> $API_STATUS $API_BODY"
	return 1
}

# json_str KEY: the string value of KEY in the JSON on stdin (flat
# objects as hild prints them; the last one when KEY repeats).
json_str() {
	sed -n "s/.*\"$1\" *: *\"\\([^\"]*\\)\".*/\\1/p" | tail -n 1
}

# topo_networks NAME=ID...: public admin-owned networks with chosen ids;
# one that exists already (a shared database) is taken as it is.
topo_networks() {
	local n
	for n in "$@"; do
		api PUT "/network/${n%%=*}" \
			"{\"owner\": \"admin\", \"access\": \"\", \"net_id\": \"${n#*=}\"}"
		case $API_STATUS in
		200 | 409) ;;
		*)
			echo "# PUT /network/${n%%=*} -> $API_STATUS $API_BODY"
			return 1
			;;
		esac
	done
}

# topo_switches SWITCHES PORTS [PREFIX]: project "p" (made once), mock
# switches PREFIX1..PREFIX<SWITCHES> (hostname = label), each with ports
# gi1/0/1..gi1/0/PORTS, and for each port a node PREFIX<s>n<p> in project
# p whose NIC eth0 is wired to it.  Returns non-zero on the first failure.
topo_switches() {
	local ns=$1 np=$2 pre=${3:-s} s p sw node
	api GET /project/p/nodes
	if [ "$API_STATUS" = 404 ]; then
		must PUT /project/p || return 1
	fi
	for s in $(seq "$ns"); do
		sw=$pre$s
		must PUT "/switch/$sw" "{\"type\": \"mock\", \"hostname\": \"$sw\", \"username\": \"u\", \"password\": \"secret\"}" ||
			return 1
		for p in $(seq "$np"); do
			node=${sw}n$p
			must PUT "/switch/$sw/port/gi1/0/$p" &&
				must PUT "/node/$node" '{"obm": {"type": "mock", "host": "h", "user": "u", "password": "p"}}' &&
				must PUT "/node/$node/nic/eth0" "{\"macaddr\": \"00:00:00:00:$(printf %02x "$s"):$(printf %02x "$p")\"}" &&
				must POST "/switch/$sw/port/gi1/0/$p/connect_nic" "{\"node\": \"$node\", \"nic\": \"eth0\"}" &&
				must POST /project/p/connect_node "{\"node\": \"$node\"}" ||
				return 1
		done
	done
}

# submit METHOD PATH [BODY]: queue an action, trying again while the NIC
# has one pending (409); prints its status id.  Returns non-zero when the
# API refused it otherwise, or after SUBMIT_TIMEOUT seconds.
SUBMIT_TIMEOUT=60
submit() {
	local end=$((SECONDS + SUBMIT_TIMEOUT))
	while :; do
		api "$@"
		case $API_STATUS in
		200 | 202)
			json_str status_id <<<"$API_BODY"
			return 0
			;;
		409)
			if [[ $API_BODY == *pending* ]] && [ $SECONDS -lt $end ]; then
				sleep 0.02
				continue
			fi
			;;
		esac
		echo "# $1 $2 ${3:-} -> $API_STATUS $API_BODY" >&2
		return 1
	done
}

# connect NODE NET [CHANNEL] / detach NODE NET / revert SWITCH PORT: submit
# for the NIC eth0 of NODE; print the status id.
connect() {
	local body="{\"network\": \"$2\""
	[ -n "${3:-}" ] && body="$body, \"channel\": \"$3\""
	submit POST "/node/$1/nic/eth0/connect_network" "$body}"
}
detach() { submit POST "/node/$1/nic/eth0/detach_network" "{\"network\": \"$2\"}"; }
revert() { submit POST "/switch/$1/port/$2/revert"; }

# action_wait ID [TIMEOUT]: poll the action until it is not PENDING;
# prints its status (and the error text, tab-separated, for ERROR).
# Returns non-zero on timeout or when it cannot be read.
action_wait() {
	local end=$((SECONDS + ${2:-60})) st
	while :; do
		api GET "/networking_action/$1"
		[ "$API_STATUS" = 200 ] || {
			echo "# GET /networking_action/$1 -> $API_STATUS $API_BODY" >&2
			return 1
		}
		st=$(json_str status <<<"$API_BODY")
		if [ "$st" != PENDING ]; then
			if [ "$st" = ERROR ]; then
				printf '%s\t%s\n' "$st" "$(json_str error <<<"$API_BODY")"
			else
				echo "$st"
			fi
			return 0
		fi
		[ $SECONDS -lt $end ] || {
			echo "PENDING"
			return 1
		}
		sleep 0.05
	done
}

# all_done ID...: wait for each action (60 s each); non-zero unless every
# one ends DONE, naming those that did not in TAP comments.
all_done() {
	local id st rc=0
	for id in "$@"; do
		st=$(action_wait "$id" 60)
		[ "$st" = DONE ] || {
			rc=1
			echo "# $id: ${st:-unreadable}"
		}
	done
	return $rc
}

# port_networks SWITCH PORT: what the database says the port carries, as
# sorted "CHANNEL NETWORK" lines (show_port).
port_networks() {
	api GET "/switch/$1/port/$2"
	sed -n 's/.*"networks" *: *{\([^}]*\)}.*/\1/p' <<<"$API_BODY" |
		tr ',' '\n' | tr -d ' "' | sed -n 's/^\(.*\):\(.*\)$/\1 \2/p' | sort
}

# node_networks NODE: the same from show_node (its one NIC).
node_networks() {
	api GET "/node/$1"
	sed -n 's/.*"networks" *: *{\([^}]*\)}.*/\1/p' <<<"$API_BODY" |
		tr ',' '\n' | tr -d ' "' | sed -n 's/^\(.*\):\(.*\)$/\1 \2/p' | sort
}

# journal_count FILE PATTERN: lines of the mock's journal matching the
# extended regular expression.
journal_count() { grep -cE "$2" "$1"; }
