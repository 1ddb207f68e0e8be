#!/bin/bash
# ovs-isolation.sh - HIL isolates tenants, proven with packets (TAP).
#
# A real hild (switch_drivers = ovs) drives a private Open vSwitch through
# its REST API only; nodes are network namespaces wired to OVS ports.
# Every access node has addresses in the same four subnets (10.77.0.0/24
# to 10.80.0.0/24), so only the switch's VLANs keep them
# apart: any leak shows up as a ping that is answered.  The trunk node
# sends and receives tagged frames on several VLANs, so a port that lets
# more VLANs through than HIL attached shows up too.  At the end, ports
# changed by hand while hild is stopped must be repaired when it starts
# again (the engine's switch check), again proven with packets.
#
#   project pa: a1 a2 a3, and t1 (a trunk NIC)
#   project pb: b1 b2
#   free:       f1
#   networks:   netA netA2 (pa), netB (pb), pub (admin, public)
#
# Never skips: a missing package or a daemon that does not start fails.
# Environment: HIL_BUILDDIR, HIL_SRCDIR, HIL_TEST_KEEP=1.
set -u
HIL_SRCDIR=${HIL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$HIL_SRCDIR/tests/integration/lib-hild.sh"
. "$HIL_SRCDIR/tests/integration/lib-ovs.sh"
. "$HIL_SRCDIR/tests/integration/lib-ovs-hil.sh"

declare -A ADDR=([a1]=11 [a2]=12 [a3]=13 [b1]=21 [b2]=22 [f1]=31 [t1]=41)
a77() { echo "10.77.0.${ADDR[$1]}"; }
a78() { echo "10.78.0.${ADDR[$1]}"; }
a79() { echo "10.79.0.${ADDR[$1]}"; }
a80() { echo "10.80.0.${ADDR[$1]}"; }

# expect: run the reachability checks given on stdin, one per line
# "yes|no FROM ADDRESS DESCRIPTION", in parallel, and report each as a
# test point in order.
expect() {
	local i=0 n want from addr desc pids=() descs=() wants=() rc
	rm -rf "$W/m"
	mkdir "$W/m"
	while read -r want from addr desc; do
		[ -n "$want" ] || continue
		if [ "$want" = yes ]; then
			(ovs_reach "$from" "$addr"; echo $? >"$W/m/$i") &
		else
			(ovs_unreach "$from" "$addr"; echo $? >"$W/m/$i") &
		fi
		pids+=($!)
		descs+=("$desc")
		wants+=("$want")
		i=$((i + 1))
	done
	wait "${pids[@]}"
	for ((n = 0; n < i; n++)); do
		rc=$(cat "$W/m/$n" 2>/dev/null || echo 1)
		tap_ok "$rc" "${descs[$n]} ($([ "${wants[$n]}" = yes ] && echo reaches || echo "cannot reach"))"
	done
}

step() { # status description
	tap_ok "$1" "$2"
}

# The VLAN columns of an OVS port, as ovs-vsctl prints them.
port_cols() {
	ovs_vsctl get Port "$1" vlan_mode tag trunks protected | tr '\n' ' ' |
		sed 's/ $//'
}

hild_setup
trap 'ovs_stop; hild_cleanup' EXIT
ovs_start "$W" || { ovs_log_tail; tap_bail "Open vSwitch did not start"; }
ovs_bridge sw0 >/dev/null || tap_bail "could not make bridge sw0"
ovs_hil_start iso || { tap_finish; exit 1; }

# ---- projects, networks and nodes, through the API
rc=0
for p in pa pb; do api_ok PUT "/project/$p" || rc=1; done
api_ok PUT /network/netA '{"owner": "pa", "access": "pa", "net_id": ""}' || rc=1
api_ok PUT /network/netA2 '{"owner": "pa", "access": "pa", "net_id": ""}' || rc=1
api_ok PUT /network/netB '{"owner": "pb", "access": "pb", "net_id": ""}' || rc=1
api_ok PUT /network/pub '{"owner": "admin", "access": "", "net_id": ""}' || rc=1
step $rc "projects pa, pb; networks netA, netA2 (pa), netB (pb), pub (public)"
VA=$(network_vlan netA)
VA2=$(network_vlan netA2)
VB=$(network_vlan netB)
[ -n "$VA" ] && [ -n "$VA2" ] && [ -n "$VB" ] && [ "$VA" != "$VA2" ] && [ "$VA" != "$VB" ]
step $? "the networks have distinct VLANs ($VA, $VA2, $VB)"

rc=0
for n in a1 a2 a3 b1 b2 f1; do
	ovs_node "$n" sw0 "p$n" "$(a77 $n)/24" "$(a78 $n)/24" "$(a79 $n)/24" \
		"$(a80 $n)/24" >/dev/null || rc=1
done
# t1's legs, one subnet each: untagged (a native network), VLANs $VA,
# $VB and $VA2
ovs_trunk_node t1 sw0 pt1 "0:$(a78 t1)/24" "$VA:$(a77 t1)/24" \
	"$VB:$(a79 t1)/24" "$VA2:$(a80 t1)/24" >/dev/null || rc=1
step $rc "seven node namespaces wired to parked OVS ports"
[ $rc = 0 ] || { ovs_log_tail; tap_finish; exit 1; }

rc=0
hil_switch sw0 sw0 || rc=1
for n in a1 a2 a3 t1; do hil_node "$n" sw0 "p$n" pa || rc=1; done
for n in b1 b2; do hil_node "$n" sw0 "p$n" pb || rc=1; done
hil_node f1 sw0 pf1 || rc=1
step $rc "switch sw0 (type ovs), ports, nodes, NICs and wiring registered"
[ $rc = 0 ] || { hild_log_tail; tap_finish; exit 1; }

# ---- before any network: parked ports reach nothing, not even each other
expect <<EOF
no a1 $(a77 a2) parked a1 -> parked a2
no b1 $(a77 a1) parked b1 -> parked a1
no f1 $(a77 b2) parked f1 -> parked b2
EOF

# ---- each project on its own network
rc=0
connect a1 netA || rc=1
connect a2 netA || rc=1
connect b1 netB || rc=1
connect b2 netB || rc=1
connect a3 netA2 || rc=1
step $rc "node_connect_network a1, a2 -> netA; b1, b2 -> netB; a3 -> netA2: DONE"
[ "$(port_cols pa1)" = "native-untagged $VA [$VA] false" ]
step $? "ovs-vsctl: pa1 is native-untagged on VLAN $VA ($(port_cols pa1))"
expect <<EOF
yes a1 $(a77 a2) netA: a1 -> a2
yes a2 $(a77 a1) netA: a2 -> a1
yes b1 $(a77 b2) netB: b1 -> b2
yes b2 $(a78 b1) netB: b2 -> b1 (second subnet)
no a1 $(a77 b1) pa/netA a1 -> pb/netB b1
no a2 $(a77 b2) pa/netA a2 -> pb/netB b2
no b1 $(a77 a1) pb/netB b1 -> pa/netA a1
no b2 $(a78 a2) pb/netB b2 -> pa/netA a2 (second subnet)
no a3 $(a77 a1) netA2 a3 -> netA a1
no a1 $(a77 a3) netA a1 -> netA2 a3
no a3 $(a77 b1) netA2 a3 -> netB b1
no f1 $(a77 a1) free f1 -> netA a1
no a1 $(a77 f1) netA a1 -> free f1
no t1 $(a77 a1) t1 with no network -> a1
EOF

# ---- moving a node: a3 netA2 -> netA, then a2 netA -> netA2
rc=0
detach a3 netA2 || rc=1
connect a3 netA || rc=1
step $rc "move a3 from netA2 to netA (detach, connect)"
expect <<EOF
yes a3 $(a77 a1) moved a3 -> a1 (netA)
yes a1 $(a77 a3) a1 -> moved a3
no a3 $(a77 b1) moved a3 -> b1 (netB)
EOF
rc=0
detach a2 netA || rc=1
connect a2 netA2 || rc=1
step $rc "move a2 from netA to netA2 (detach, connect)"
expect <<EOF
no a2 $(a77 a1) moved a2 (netA2) -> a1 (netA): lost
no a1 $(a77 a2) a1 -> moved a2: lost
no a2 $(a77 a3) moved a2 (netA2) -> a3 (netA)
no a2 $(a77 b1) moved a2 -> b1 (netB)
EOF

# ---- a trunk NIC.  t1's wire ends in a demux bridge with a leg per VLAN
# in play and an untagged one: whatever the switch port lets through,
# some leg sees it.
rc=0
connect t1 netA2 || rc=1
step $rc "t1: netA2 as its native network (only)"
[ "$(port_cols pt1)" = "native-untagged $VA2 [$VA2] false" ]
step $? "ovs-vsctl: pt1 native-untagged on $VA2 and nothing else ($(port_cols pt1))"
expect <<EOF
yes t1 $(a78 a2) t1 untagged (native netA2) -> a2 (netA2)
no t1 $(a80 a2) t1 tag $VA2 -> a2: the native VLAN is not tagged
no t1 $(a77 a1) t1 tag $VA -> a1 (netA): not a member
no t1 $(a79 b1) t1 tag $VB -> b1 (netB): not a member
EOF
rc=0
connect t1 netA "vlan/$VA" || rc=1
step $rc "t1: netA added on the tagged channel vlan/$VA"
expect <<EOF
yes t1 $(a77 a1) t1 tag $VA -> a1 (netA)
yes a3 $(a77 t1) a3 (netA) -> t1 tag $VA
yes t1 $(a78 a2) t1 untagged -> a2 (netA2): kept
no t1 $(a79 b1) t1 tag $VB -> b1 (netB)
no b2 $(a79 t1) b2 (netB) -> t1 tag $VB
EOF
rc=0
detach t1 netA2 || rc=1
step $rc "t1: detach the native netA2, keep the tagged netA"
[ "$(port_cols pt1)" = "trunk [] [$VA] false" ]
step $? "ovs-vsctl: pt1 trunks $VA only, no native ($(port_cols pt1))"
expect <<EOF
no t1 $(a78 a2) t1 untagged -> a2 (netA2): lost
yes t1 $(a77 a1) t1 tag $VA -> a1 (netA): kept
no t1 $(a79 b1) t1 tag $VB -> b1 (netB)
EOF
rc=0
connect t1 netA2 "vlan/$VA2" || rc=1
step $rc "t1: netA2 back, now tagged vlan/$VA2 (two tagged channels)"
expect <<EOF
yes t1 $(a80 a2) t1 tag $VA2 -> a2 (netA2)
yes t1 $(a77 a1) t1 tag $VA -> a1 (netA)
no t1 $(a78 a2) t1 untagged -> a2 (netA2): tagged only now
no t1 $(a79 b2) t1 tag $VB -> b2 (netB)
EOF
rc=0
detach t1 netA2 || rc=1
step $rc "t1: detach the tagged netA2"
expect <<EOF
no t1 $(a80 a2) t1 tag $VA2 -> a2 (netA2): lost
yes t1 $(a77 a1) t1 tag $VA -> a1 (netA): kept
EOF

# ---- a public network joins only the NICs attached to it
rc=0
detach b2 netB || rc=1
connect b2 pub || rc=1
detach a3 netA || rc=1
connect a3 pub || rc=1
step $rc "b2 (pb) and a3 (pa) move to the public network"
expect <<EOF
yes b2 $(a77 a3) pub: b2 (pb) -> a3 (pa)
yes a3 $(a77 b2) pub: a3 (pa) -> b2 (pb)
no b2 $(a77 b1) pub b2 -> b1 (netB)
no a3 $(a77 a1) pub a3 -> a1 (netA)
no b1 $(a77 a3) b1 (netB) -> a3 (pub)
no f1 $(a77 b2) free f1 -> b2 (pub)
EOF

# ---- revert cuts a port off
rc=0
revert sw0 pa1 || rc=1
step $rc "port_revert of a1's port: DONE"
[ "$(port_cols pa1)" = "access 4095 [] true" ]
step $? "ovs-vsctl: pa1 parked ($(port_cols pa1))"
api GET /switch/sw0/port/pa1
case $API_BODY in *'"networks"'*'{}'*) rc=0 ;; *) rc=1 ;; esac
step $rc "show_port: a1 has no network left"
expect <<EOF
no a1 $(a77 t1) reverted a1 -> t1 (netA)
no t1 $(a77 a1) t1 (netA) -> reverted a1
no a1 $(a77 f1) reverted a1 -> free f1: parked ports are apart
no f1 $(a77 a1) free f1 -> reverted a1
EOF

# ---- detach the last network of a node
rc=0
detach b1 netB || rc=1
step $rc "b1 detaches its only network"
[ "$(port_cols pb1)" = "access 4095 [] true" ]
step $? "ovs-vsctl: pb1 parked ($(port_cols pb1))"
expect <<EOF
no b1 $(a77 b2) detached b1 -> b2 (pub)
no b1 $(a77 a1) detached b1 -> reverted a1
EOF

# ---- the switch check at start: with hild stopped, ports changed by
# hand; started again, hild repairs them from its database, and leaves
# the ports that match alone
VP=$(network_vlan pub)
hild_stop iso
rc=0
ovs_vsctl set Port pa3 tag="$VB" trunks="[$VB]" || rc=1
ovs_vsctl set Port pb1 vlan_mode=trunk tag=[] trunks=[] protected=false || rc=1
step $rc "hild stopped; by hand, a3's port moves to VLAN $VB, b1's trunks every VLAN"
expect <<EOF
no a3 $(a77 b2) changed by hand: a3 (pub, now on VLAN $VB) -> b2 (pub)
EOF
cfg0=$(ovs_vsctl get Open_vSwitch . next_cfg)
hild_start "iso restart" || { tap_finish; exit 1; }
hild_log_wait "differs: .*; repaired" 2
step $? "restarted with nothing queued, hild repairs two ports"
grep "differs: " "$HILD_LOG" | tap_diag
grep -qF "switch 'sw0': port 'pa3' differs: it carries 'vlan/native=$VB'; the database says 'vlan/native=$VP'; repaired" "$HILD_LOG"
step $? "the log names a3's port, the VLAN found and the one wanted"
grep -qE "switch 'sw0': port 'pb1' differs: .*trunks every vlan.*; the database says 'nothing'; repaired" "$HILD_LOG"
step $? "and b1's port, open to every VLAN, wanted with nothing"
[ "$(grep -c "differs: " "$HILD_LOG")" = 2 ]
step $? "no other port is reported"
[ "$(ovs_vsctl get Open_vSwitch . next_cfg)" = $((cfg0 + 2)) ]
step $? "two OVSDB transactions, one per repaired port: matching ports were not written"
[ "$(port_cols pa3)" = "native-untagged $VP [$VP] false" ]
step $? "ovs-vsctl: pa3 back on VLAN $VP ($(port_cols pa3))"
[ "$(port_cols pb1)" = "access 4095 [] true" ]
step $? "ovs-vsctl: pb1 parked again ($(port_cols pb1))"
expect <<EOF
yes a3 $(a77 b2) repaired: a3 -> b2 (pub)
yes b2 $(a77 a3) repaired: b2 -> a3 (pub)
no b1 $(a77 b2) repaired: parked b1 -> b2 (pub)
no b1 $(a77 a1) repaired: parked b1 -> parked a1
EOF

grep -E "operation '.*failed:" "$HILD_LOG" | head -5 | tap_diag
hild_stop iso
tap_finish
[ "$TAP_FAILED" = 0 ]
