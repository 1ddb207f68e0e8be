# lib-ovs-hil.sh - a real hild driving a private Open vSwitch, for the
# isolation tests and the benchmark.  Sourced (bash) after lib-hild.sh and
# lib-ovs.sh; talks to hild's REST API with curl, as admin.

OVS_HIL_VLANS=${OVS_HIL_VLANS:-100-299} # hild's VLAN pool
OVS_HIL_ACTION_TIMEOUT=60                # seconds for an action to settle
OVS_HIL_SWITCH_TIMEOUT=${OVS_HIL_SWITCH_TIMEOUT:-20} # hild's switch_timeout
API_CODE=                                # HTTP status of the last call
API_BODY=                                # its body

# api METHOD PATH [JSON]: one call; sets API_CODE and API_BODY.
api() {
	local out
	out=$(curl -s -S -m 30 -u "$HILD_ADMIN:$HILD_ADMIN_PW" -X "$1" \
		-H 'Content-Type: application/json' ${3:+--data-binary "$3"} \
		-w '\n%{http_code}' "$HILD_URL/v0$2" 2>&1)
	API_CODE=${out##*$'\n'}
	API_BODY=${out%$'\n'*}
}

# api_ok METHOD PATH [JSON]: the call must answer 2xx; says so on stdout
# as a TAP diagnostic otherwise.  Returns non-zero on failure.
api_ok() {
	api "$@"
	case $API_CODE in
	2??) return 0 ;;
	esac
	echo "# $1 $2 ${3:-}: $API_CODE $API_BODY"
	return 1
}

# json_str KEY: the string value of the first "KEY": "..." in API_BODY.
json_str() {
	printf '%s' "$API_BODY" | tr -d '\n' |
		sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p"
}

# action_wait STATUS_ID: poll the networking action until it is DONE (0)
# or ERROR / too slow (1, with a diagnostic).  ACTION_STATUS has the last
# status seen.
ACTION_STATUS=
action_wait() {
	local deadline=$((SECONDS + OVS_HIL_ACTION_TIMEOUT))
	while [ $SECONDS -lt $deadline ]; do
		api GET "/networking_action/$1"
		ACTION_STATUS=$(json_str status)
		case $ACTION_STATUS in
		DONE) return 0 ;;
		ERROR)
			echo "# action $1: $API_BODY"
			return 1
			;;
		esac
		sleep 0.02
	done
	echo "# action $1 still ${ACTION_STATUS:-unknown} after ${OVS_HIL_ACTION_TIMEOUT}s"
	return 1
}

# connect NODE NETWORK [CHANNEL]: node_connect_network, settled.
connect() {
	local body="{\"network\": \"$2\", \"channel\": \"${3:-vlan/native}\"}"
	api_ok POST "/node/$1/nic/eth0/connect_network" "$body" || return 1
	action_wait "$(json_str status_id)"
}

# detach NODE NETWORK: node_detach_network, settled.
detach() {
	api_ok POST "/node/$1/nic/eth0/detach_network" "{\"network\": \"$2\"}" ||
		return 1
	action_wait "$(json_str status_id)"
}

# revert SWITCH PORT: port_revert, settled.
revert() {
	api_ok POST "/switch/$1/port/$2/revert" || return 1
	action_wait "$(json_str status_id)"
}

# network_vlan NETWORK: its VLAN (network_id), from GET /networks.
network_vlan() {
	api GET /networks
	printf '%s' "$API_BODY" | tr -d '\n' |
		sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*{[[:space:]]*\"network_id\"[[:space:]]*:[[:space:]]*\"\([0-9]*\)\".*/\1/p"
}

# hil_switch NAME BRIDGE: register an ovs switch for an OVS bridge.
hil_switch() {
	api_ok PUT "/switch/$1" "{\"type\": \"ovs\", \"ovs_bridge\": \"$2\", \"ovsdb\": \"$OVS_DB\"}"
}

# hil_node NODE SWITCH PORT [PROJECT]: a node with NIC eth0 wired to the
# switch's port (registered here), in PROJECT when given.
hil_node() {
	api_ok PUT "/node/$1" "{\"obmd\": {\"uri\": \"http://obmd.invalid/node/$1\", \"admin_token\": \"t\"}}" &&
		api_ok PUT "/node/$1/nic/eth0" '{"macaddr": "02:00:00:00:00:01"}' &&
		api_ok PUT "/switch/$2/port/$3" &&
		api_ok POST "/switch/$2/port/$3/connect_nic" "{\"node\": \"$1\", \"nic\": \"eth0\"}" ||
		return 1
	[ -z "${4:-}" ] || api_ok POST "/project/$4/connect_node" "{\"node\": \"$1\"}"
}

# ovs_hil_start: hild with the ovs switch driver, on SQLite, the VLAN
# pool above; $1 names the run.  TAP points from lib-hild.sh.
ovs_hil_start() {
	HILD_SWITCH_DRIVERS=ovs
	hild_prepare "$1" "sqlite://$W/$1.db" "vlans = $OVS_HIL_VLANS
switch_timeout = $OVS_HIL_SWITCH_TIMEOUT
${OVS_HIL_EXTRA_CONF:-}" || return 1
	hild_start "$1"
}
