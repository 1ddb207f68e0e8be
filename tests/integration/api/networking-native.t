# The native-first rule of switch drivers without "nativeless-trunk-mode"
# (spec 4.5 check 10, spec 7), with the mock driver declaring no
# capabilities: a tagged network needs the port's native one, and the
# native one goes last.  n1 (p1) has eth0 on sw0 gi1/0/1.
#conf vlans = 100-110
#conf plugin.mock.native_first = yes

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin PUT /v0/switch/sw0 {"type": "mock", "hostname": "sw0", "username": "u", "password": "pw"} -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/1 -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:00:00:00:00:01"} -> 200
as admin POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as alice PUT /v0/network/a1 {"owner": "p1", "access": "p1", "net_id": ""} -> 200
as alice PUT /v0/network/a2 {"owner": "p1", "access": "p1", "net_id": ""} -> 200
as alice PUT /v0/network/a3 {"owner": "p1", "access": "p1", "net_id": ""} -> 200
as admin GET /v0/switch/sw0 -> 200 {"name": "sw0", "type": "mock", "ports": [{"label": "gi1/0/1"}], "capabilities": []}

# Connect: tagged before native is refused (409), after every other check.
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a2", "channel": "vlan/101"} -> 409 BlockedError has "vlan/native"
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a2", "channel": "vlan/100"} -> 400 BadArgumentError
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 202 * save C1 .status_id
wait as alice GET /v0/networking_action/${C1} -> 200 ~ {"status": "DONE"}
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a2", "channel": "vlan/101"} -> 202 * save C2 .status_id
wait as alice GET /v0/networking_action/${C2} -> 200 ~ {"status": "DONE"}
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a3", "channel": "vlan/102"} -> 202 * save C3 .status_id
wait as alice GET /v0/networking_action/${C3} -> 200 ~ {"status": "DONE"}
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {"node": "n1", "nic": "eth0", "networks": {"vlan/native": "a1", "vlan/101": "a2", "vlan/102": "a3"}}

# Detach: the native network stays while tagged ones remain (409), after
# the "attached" check.
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 409 BlockedError has "tagged"
as alice PUT /v0/network/a4 {"owner": "p1", "access": "p1", "net_id": ""} -> 200
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a4"} -> 400 BadArgumentError
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a2"} -> 202 * save D1 .status_id
wait as alice GET /v0/networking_action/${D1} -> 200 ~ {"status": "DONE"}
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 409 BlockedError
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a3"} -> 202 * save D2 .status_id
wait as alice GET /v0/networking_action/${D2} -> 200 ~ {"status": "DONE"}
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 202 * save D3 .status_id
wait as alice GET /v0/networking_action/${D3} -> 200 ~ {"status": "DONE"}
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {"node": "n1", "nic": "eth0", "networks": {}}
# A revert takes everything off at once, native first or not.
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 202 * save C4 .status_id
wait as alice GET /v0/networking_action/${C4} -> 200 ~ {"status": "DONE"}
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a2", "channel": "vlan/101"} -> 202 * save C5 .status_id
wait as alice GET /v0/networking_action/${C5} -> 200 ~ {"status": "DONE"}
as admin POST /v0/switch/sw0/port/gi1/0/1/revert -> 200 * save R1 .status_id
wait as alice GET /v0/networking_action/${R1} -> 200 ~ {"status": "DONE"}
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {"node": "n1", "nic": "eth0", "networks": {}}
