# lib-ovs.sh - a private Open vSwitch for the tests, and nodes to plug in.
# Sourced (bash) by ovs-driver.sh, ovs-isolation.sh and tests/bench.
#
# ovsdb-server and ovs-vswitchd (userspace datapath: no kernel module) run
# from a work directory of their own, ovs-vswitchd inside a network
# namespace of its own, so nothing collides with the host's Open vSwitch
# or with another run.  A node is a network namespace whose eth0 is one
# end of a veth pair; the other end, in the switch's namespace, is the OVS
# port.  Names carry a random tag; ovs_stop kills only the daemons whose
# pid files we wrote and deletes only the namespaces we made.
#
# Needs root and openvswitch-switch, iproute2, iputils-ping
# (tests/deps.sh test).

OVS_W=        # work directory: db, sockets, logs, pid files
OVS_TAG=      # random, in every name we create
OVS_NS=       # ovs-vswitchd's namespace
OVS_DB=       # unix:<socket>
OVS_TCP_DB=   # tcp:127.0.0.1:<port> when ovs_start was asked for TCP
OVS_NODES=()  # node namespaces made by ovs_node
OVS_START_TIMEOUT=20 # seconds for a daemon to come up

ovs_vsctl() { ovs-vsctl --db="$OVS_DB" --timeout=10 "$@"; }

# Run an OVS program with its run, log and db directories in ours.
ovs_env() { OVS_RUNDIR=$OVS_W OVS_LOGDIR=$OVS_W OVS_DBDIR=$OVS_W "$@"; }

ovs_log_tail() {
	local f
	for f in "$OVS_W"/ovsdb-server.log "$OVS_W"/ovs-vswitchd.log; do
		[ -f "$f" ] && tail -n "${1:-15}" "$f" | sed "s|^|# $(basename "$f"): |"
	done
}

# ovs_start DIR [tcp]: start both daemons under DIR/ovs.  Prints why and
# returns non-zero when something is missing or does not come up.
ovs_start() {
	local p port deadline
	if [ "$(id -u)" != 0 ]; then
		echo "# Open vSwitch tests need root (network namespaces)"
		return 1
	fi
	for p in ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl ip ping; do
		command -v "$p" >/dev/null || {
			echo "# '$p' not found: run 'tests/deps.sh test'"
			return 1
		}
	done
	[ -f /usr/share/openvswitch/vswitch.ovsschema ] ||
		{ echo "# no vswitch.ovsschema"; return 1; }
	OVS_W=$1/ovs
	mkdir -p "$OVS_W" || return 1
	OVS_TAG=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
	OVS_NS=hil$OVS_TAG-sw
	OVS_DB=unix:$OVS_W/db.sock
	ip netns add "$OVS_NS" || return 1
	ip -n "$OVS_NS" link set lo up
	ip netns exec "$OVS_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ovs_env ovsdb-tool create "$OVS_W/conf.db" \
		/usr/share/openvswitch/vswitch.ovsschema || return 1
	local remotes=(--remote="punix:$OVS_W/db.sock")
	[ "${2:-}" = tcp ] && remotes+=(--remote="ptcp:0:127.0.0.1")
	ovs_env ovsdb-server "$OVS_W/conf.db" "${remotes[@]}" -vconsole:off \
		--pidfile="$OVS_W/ovsdb-server.pid" \
		--unixctl="$OVS_W/ovsdb-server.ctl" \
		--log-file="$OVS_W/ovsdb-server.log" --detach --no-chdir ||
		{ ovs_log_tail; return 1; }
	ovs_vsctl --no-wait init || { ovs_log_tail; return 1; }
	if [ "${2:-}" = tcp ]; then
		# ptcp:0 picked a free port: ask the kernel which.
		deadline=$((SECONDS + OVS_START_TIMEOUT))
		while [ $SECONDS -lt $deadline ]; do
			port=$(ss -ltnpH 2>/dev/null |
				awk -v pid="pid=$(cat "$OVS_W/ovsdb-server.pid")," \
					'index($0, pid) { n = split($4, a, ":"); print a[n]; exit }')
			[ -n "$port" ] && break
			sleep 0.1
		done
		[ -n "$port" ] || { echo "# ovsdb-server has no TCP port"; return 1; }
		OVS_TCP_DB=tcp:127.0.0.1:$port
	fi
	ip netns exec "$OVS_NS" env OVS_RUNDIR="$OVS_W" OVS_LOGDIR="$OVS_W" \
		OVS_DBDIR="$OVS_W" ovs-vswitchd "$OVS_DB" -vconsole:off \
		--pidfile="$OVS_W/ovs-vswitchd.pid" \
		--unixctl="$OVS_W/ovs-vswitchd.ctl" \
		--log-file="$OVS_W/ovs-vswitchd.log" --detach --no-chdir ||
		{ ovs_log_tail; return 1; }
	# Without --no-wait, ovs-vsctl returns once ovs-vswitchd applied it.
	ovs_vsctl set Open_vSwitch . other_config:hil-test="$OVS_TAG" ||
		{ ovs_log_tail; return 1; }
	return 0
}

# ovs_bridge NAME: a userspace-datapath bridge.
ovs_bridge() {
	ovs_vsctl add-br "$1" -- set bridge "$1" datapath_type=netdev
}

# ovs_port BRIDGE PORT: a port with no node behind it (a veth whose peer
# stays in the switch's namespace), parked: access on VLAN 4095 and
# protected, the way the ovs driver leaves a port with no network.  A
# freshly added OVS port would trunk every VLAN.
ovs_port() {
	ip -n "$OVS_NS" link add "$2" type veth peer name "$2-x" || return 1
	ip -n "$OVS_NS" link set "$2" up
	ip -n "$OVS_NS" link set "$2-x" up
	ovs_vsctl add-port "$1" "$2" vlan_mode=access tag=4095 protected=true
}

# ovs_node NAME BRIDGE PORT [CIDR...]: namespace hil<tag>-NAME whose eth0
# is wired to the (parked) OVS port PORT, with the given addresses.
ovs_node() {
	local ns=hil$OVS_TAG-$1 bridge=$2 port=$3 a
	ovs_netns "$1" || return 1
	shift 3
	ip link add "$port" netns "$OVS_NS" type veth peer name eth0 netns "$ns" ||
		return 1
	ip -n "$OVS_NS" link set "$port" up
	ip -n "$ns" link set eth0 up
	for a in "$@"; do ip -n "$ns" addr add "$a" dev eth0 || return 1; done
	ovs_vsctl add-port "$bridge" "$port" vlan_mode=access tag=4095 protected=true
}

# ovs_netns NAME: a fresh namespace hil<tag>-NAME, recorded for ovs_stop.
ovs_netns() {
	ip netns add "hil$OVS_TAG-$1" || return 1
	OVS_NODES+=("hil$OVS_TAG-$1")
	ip -n "hil$OVS_TAG-$1" link set lo up
	ip netns exec "hil$OVS_TAG-$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

# ovs_trunk_node NAME BRIDGE PORT VLAN:CIDR[:LEG]...: a node with a trunk
# NIC.  This kernel has no 8021q (no eth0.100), so the NIC's wire goes to
# a second bridge, n<tag>NAME, whose trunk port takes the tagged frames
# and whose access ports, one per VLAN, lead to veths v<VLAN> in the node
# (or, with LEG, in a namespace of its own, node LEG); VLAN 0 is the leg
# for untagged frames (a native network).
ovs_trunk_node() {
	local name=$1 bridge=$2 port=$3 nic=n$OVS_TAG$1 spec vlan cidr leg rest
	shift 3
	ovs_netns "$name" || return 1
	ip -n "$OVS_NS" link add "$port" type veth peer name "${port}n" || return 1
	ip -n "$OVS_NS" link set "$port" up
	ip -n "$OVS_NS" link set "${port}n" up
	ovs_vsctl add-port "$bridge" "$port" vlan_mode=access tag=4095 protected=true ||
		return 1
	ovs_vsctl add-br "$nic" -- set bridge "$nic" datapath_type=netdev \
		-- add-port "$nic" "${port}n" vlan_mode=trunk || return 1
	for spec in "$@"; do
		vlan=${spec%%:*} rest=${spec#*:}
		cidr=${rest%%:*} leg=$name
		[ "$rest" = "$cidr" ] || { leg=${rest#*:}; ovs_netns "$leg" || return 1; }
		ip link add "${port}v$vlan" netns "$OVS_NS" type veth \
			peer name "v$vlan" netns "hil$OVS_TAG-$leg" || return 1
		ip -n "$OVS_NS" link set "${port}v$vlan" up
		ip -n "hil$OVS_TAG-$leg" link set "v$vlan" up
		ip -n "hil$OVS_TAG-$leg" addr add "$cidr" dev "v$vlan" || return 1
		ovs_vsctl add-port "$nic" "${port}v$vlan" tag="$vlan" || return 1
	done
}

# ovs_ns NAME: the namespace of node NAME.
ovs_ns() { echo "hil$OVS_TAG-$1"; }

# ovs_ping NODE ADDR: one echo within half a second.
ovs_ping() { ip netns exec "hil$OVS_TAG-$1" ping -n -q -c 1 -W 0.5 "$2" >/dev/null 2>&1; }

# ovs_reach NODE ADDR: reachable, allowing the first tries for ARP and
# MAC learning.
ovs_reach() {
	local i
	for i in 1 2 3 4; do ovs_ping "$1" "$2" && return 0; done
	return 1
}

# ovs_unreach NODE ADDR: three echoes, none answered.
ovs_unreach() {
	! ip netns exec "hil$OVS_TAG-$1" ping -n -q -c 3 -i 0.2 -W 0.5 "$2" \
		>/dev/null 2>&1
}

# ovs_stop: stop our daemons (by our pid files), delete our namespaces
# (which takes their veths and taps along) and the work directory.
ovs_stop() {
	local p pid ns
	[ -n "$OVS_W" ] || return 0
	for p in ovs-vswitchd ovsdb-server; do
		[ -f "$OVS_W/$p.pid" ] || continue
		pid=$(cat "$OVS_W/$p.pid")
		kill -TERM "$pid" 2>/dev/null || continue
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${OVS_NODES[@]}" "$OVS_NS"; do
		[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	OVS_NODES=()
	OVS_NS=
	rm -rf "$OVS_W"
	OVS_W=
}
