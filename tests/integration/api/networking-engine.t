# Node networking end to end (spec 4.4-4.6, 5): actions the engine
# applies through the mock switch, and what the API shows of the
# attachments they make.  Port gi1/0/9 fails every change.
# alice is in p1, bob in p2.  n1 (p1): eth0 on gi1/0/1, eth1 on gi1/0/2;
# n2 (p2): eth0 on gi1/0/3; n3 (p1): eth0 on gi1/0/9.
#conf vlans = 100-110
#conf plugin.mock.fail_port = gi1/0/9

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
user bob bob-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200
as admin PUT /v0/switch/sw0 {"type": "mock", "hostname": "sw0", "username": "u", "password": "pw"} -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/1 -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/2 -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/3 -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/9 -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n3 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:00:00:00:00:01"} -> 200
as admin PUT /v0/node/n1/nic/eth1 {"macaddr": "aa:00:00:00:00:02"} -> 200
as admin PUT /v0/node/n2/nic/eth0 {"macaddr": "aa:00:00:00:00:03"} -> 200
as admin PUT /v0/node/n3/nic/eth0 {"macaddr": "aa:00:00:00:00:04"} -> 200
as admin POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 200
as admin POST /v0/switch/sw0/port/gi1/0/2/connect_nic {"node": "n1", "nic": "eth1"} -> 200
as admin POST /v0/switch/sw0/port/gi1/0/3/connect_nic {"node": "n2", "nic": "eth0"} -> 200
as admin POST /v0/switch/sw0/port/gi1/0/9/connect_nic {"node": "n3", "nic": "eth0"} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n3"} -> 200
as admin POST /v0/project/p2/connect_node {"node": "n2"} -> 200
# a1: p1's (VLAN 100); pub: public (101); s1: p2's, shared with p1 (102).
as alice PUT /v0/network/a1 {"owner": "p1", "access": "p1", "net_id": ""} -> 200
as admin PUT /v0/network/pub {"owner": "admin", "access": "", "net_id": ""} -> 200
as bob PUT /v0/network/s1 {"owner": "p2", "access": "p2", "net_id": ""} -> 200
as bob PUT /v0/network/s1/access/p1 -> 200

# --- connect: 202 with an id; the engine makes the attachment.
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 202 * save C1 .status_id
wait as alice GET /v0/networking_action/${C1} -> 200 {"status": "DONE", "node": "n1", "nic": "eth0", "type": "modify_port", "channel": "vlan/native", "new_network": "a1"}
as alice GET /v0/node/n1 -> 200 ~ {"nics": [{"label": "eth0", "networks": {"vlan/native": "a1"}}, {"label": "eth1", "networks": {}}]}
as admin GET /v0/node/n1 -> 200 ~ {"nics": [{"label": "eth0", "port": "gi1/0/1", "switch": "sw0", "networks": {"vlan/native": "a1"}}, {"label": "eth1", "port": "gi1/0/2", "switch": "sw0", "networks": {}}]}
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {"node": "n1", "nic": "eth0", "networks": {"vlan/native": "a1"}}
as alice GET /v0/network/a1 -> 200 {"name": "a1", "owner": "p1", "access": ["p1"], "channels": ["vlan/native", "vlan/100"], "connected-nodes": {"n1": ["eth0"]}}
as alice GET /v0/network/a1/attachments -> 200 {"n1": {"nic": "eth0", "channel": "vlan/native", "project": "p1"}}
# 7. A network is attached to a NIC once, on any channel (409).
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a1", "channel": "vlan/100"} -> 409 BlockedError has "already attached"
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a1", "channel": "vlan/native"} -> 409 BlockedError has "already attached"
# 8. A channel carries one network (409), checked before the channel's
# legality (9) and after the network's access (6).
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "pub"} -> 409 BlockedError has "in use"
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "s1", "channel": "vlan/native"} -> 409 BlockedError has "in use"
as bob PUT /v0/network/b1 {"owner": "p2", "access": "p2", "net_id": ""} -> 200
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "b1"} -> 409 ProjectMismatchError
# Tagged: the network's own VLAN.
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "pub", "channel": "vlan/101"} -> 202 * save C2 .status_id
# The NIC's previous record is gone.
as alice GET /v0/networking_action/${C1} -> 404 NotFoundError
wait as alice GET /v0/networking_action/${C2} -> 200 {"status": "DONE", "node": "n1", "nic": "eth0", "type": "modify_port", "channel": "vlan/101", "new_network": "pub"}
as alice GET /v0/node/n1 -> 200 ~ {"nics": [{"label": "eth0", "networks": {"vlan/native": "a1", "vlan/101": "pub"}}, {"label": "eth1", "networks": {}}]}
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {"node": "n1", "nic": "eth0", "networks": {"vlan/native": "a1", "vlan/101": "pub"}}

# --- A shared network: who sees which attachment.
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "s1"} -> 202 * save C3 .status_id
as bob POST /v0/node/n2/nic/eth0/connect_network {"network": "s1", "channel": "vlan/102"} -> 202 * save C4 .status_id
wait as alice GET /v0/networking_action/${C3} -> 200 ~ {"status": "DONE"}
wait as bob GET /v0/networking_action/${C4} -> 200 ~ {"status": "DONE"}
# The owner's side sees every node; a project on the list its own ones.
as bob GET /v0/network/s1 -> 200 {"name": "s1", "owner": "p2", "access": ["p2", "p1"], "channels": ["vlan/native", "vlan/102"], "connected-nodes": {"n1": ["eth1"], "n2": ["eth0"]}}
as admin GET /v0/network/s1 -> 200 ~ {"connected-nodes": {"n1": ["eth1"], "n2": ["eth0"]}}
as alice GET /v0/network/s1 -> 200 {"name": "s1", "owner": "p2", "access": ["p2", "p1"], "channels": ["vlan/native", "vlan/102"], "connected-nodes": {"n1": ["eth1"]}}
as bob GET /v0/network/s1/attachments -> 200 {"n1": {"nic": "eth1", "channel": "vlan/native", "project": "p1"}, "n2": {"nic": "eth0", "channel": "vlan/102", "project": "p2"}}
as bob GET /v0/network/s1/attachments?project=p1 -> 200 {"n1": {"nic": "eth1", "channel": "vlan/native", "project": "p1"}}
as alice GET /v0/network/s1/attachments?project=p1 -> 200 {"n1": {"nic": "eth1", "channel": "vlan/native", "project": "p1"}}
as alice GET /v0/network/s1/attachments -> 403 AuthorizationError
as alice GET /v0/network/s1/attachments?project=p2 -> 403 AuthorizationError
# A public network shows each project its own nodes; admins see all.
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "pub", "channel": "vlan/101"} -> 202 * save C5 .status_id
wait as alice GET /v0/networking_action/${C5} -> 200 ~ {"status": "DONE"}
as alice GET /v0/network/pub -> 200 ~ {"connected-nodes": {"n1": ["eth0", "eth1"]}}
as bob GET /v0/network/pub -> 200 {"name": "pub", "owner": "admin", "access": null, "channels": ["vlan/native", "vlan/101"], "connected-nodes": {}}
# One entry per node survives in the attachment list (the original's
# quirk): the later attachment.
as admin GET /v0/network/pub/attachments -> 200 {"n1": {"nic": "eth1", "channel": "vlan/101", "project": "p1"}}

# --- What attachments block.
as alice DELETE /v0/network/a1 -> 409 BlockedError has "attached"
as admin DELETE /v0/network/pub -> 409 BlockedError has "attached"
as bob DELETE /v0/network/s1/access/p1 -> 409 BlockedError has "attached"
as alice DELETE /v0/network/s1/access/p1 -> 409 BlockedError has "attached"
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 409 BlockedError
as bob DELETE /v0/network/s1 -> 409 BlockedError

# --- detach: 202; the mock switch needs no native network under tagged
# ones (nativeless-trunk-mode), so the native one may go first.
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 202 * save D1 .status_id
wait as alice GET /v0/networking_action/${D1} -> 200 {"status": "DONE", "node": "n1", "nic": "eth0", "type": "modify_port", "channel": "vlan/native", "new_network": null}
as alice GET /v0/node/n1 -> 200 ~ {"nics": [{"label": "eth0", "networks": {"vlan/101": "pub"}}, {"label": "eth1", "networks": {"vlan/native": "s1", "vlan/101": "pub"}}]}
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 400 BadArgumentError
as alice GET /v0/network/a1 -> 200 {"name": "a1", "owner": "p1", "access": ["p1"], "channels": ["vlan/native", "vlan/100"], "connected-nodes": {}}
as alice GET /v0/network/a1/attachments -> 200 {}
# A tagged network on a port without a native one (mock driver).
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a1", "channel": "vlan/100"} -> 202 * save C6 .status_id
wait as alice GET /v0/networking_action/${C6} -> 200 ~ {"status": "DONE", "channel": "vlan/100"}
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {"node": "n1", "nic": "eth0", "networks": {"vlan/100": "a1", "vlan/101": "pub"}}

# --- port_revert: every network off the port.
as admin POST /v0/switch/sw0/port/gi1/0/1/revert -> 200 * save R1 .status_id
wait as alice GET /v0/networking_action/${R1} -> 200 {"status": "DONE", "node": "n1", "nic": "eth0", "type": "revert_port", "channel": "", "new_network": null}
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {"node": "n1", "nic": "eth0", "networks": {}}
as alice GET /v0/network/a1/attachments -> 200 {}
as alice DELETE /v0/network/a1 -> 200
# A revert of a port without networks is done as well.
as admin POST /v0/switch/sw0/port/gi1/0/1/revert -> 200 * save R2 .status_id
wait as admin GET /v0/networking_action/${R2} -> 200 ~ {"status": "DONE"}

# --- A driver failure: ERROR with the driver's text; nothing attached.
as alice PUT /v0/network/a2 {"owner": "p1", "access": "p1", "net_id": ""} -> 200
as alice POST /v0/node/n3/nic/eth0/connect_network {"network": "a2"} -> 202 * save E1 .status_id
wait as alice GET /v0/networking_action/${E1} -> 200 ~ {"status": "ERROR"}
as alice GET /v0/networking_action/${E1} -> 200 {"status": "ERROR", "node": "n3", "nic": "eth0", "type": "modify_port", "channel": "vlan/native", "new_network": "a2", "error": "port 'gi1/0/9' failed (injected failure)"}
as alice GET /v0/node/n3 -> 200 ~ {"nics": [{"label": "eth0", "networks": {}}]}
as alice GET /v0/network/a2/attachments -> 200 {}
# The failed action keeps its target until the NIC's next action.
as alice DELETE /v0/network/a2 -> 409 BlockedError has "action"
as alice POST /v0/node/n3/nic/eth0/connect_network {"network": "pub"} -> 202 * save E2 .status_id
as alice GET /v0/networking_action/${E1} -> 404 NotFoundError
wait as alice GET /v0/networking_action/${E2} -> 200 ~ {"status": "ERROR", "new_network": "pub"}
as alice DELETE /v0/network/a2 -> 200
# Deleting the NIC (of a free node) drops its record.
as alice POST /v0/project/p1/detach_node {"node": "n3"} -> 200
as admin GET /v0/networking_action/${E2} -> 200 ~ {"status": "ERROR", "node": "n3"}
as alice GET /v0/networking_action/${E2} -> 403 AuthorizationError
as admin DELETE /v0/node/n3/nic/eth0 -> 200
as admin GET /v0/networking_action/${E2} -> 404 NotFoundError
as admin GET /v0/switch/sw0/port/gi1/0/9 -> 200 {}

# --- Everything off again.
as alice POST /v0/node/n1/nic/eth1/detach_network {"network": "pub"} -> 202 * save D2 .status_id
wait as alice GET /v0/networking_action/${D2} -> 200 ~ {"status": "DONE"}
as alice POST /v0/node/n1/nic/eth1/detach_network {"network": "s1"} -> 202 * save D3 .status_id
wait as alice GET /v0/networking_action/${D3} -> 200 ~ {"status": "DONE"}
as bob POST /v0/node/n2/nic/eth0/detach_network {"network": "s1"} -> 202 * save D4 .status_id
wait as bob GET /v0/networking_action/${D4} -> 200 ~ {"status": "DONE"}
as admin GET /v0/network/s1/attachments -> 200 {}
as bob DELETE /v0/network/s1/access/p1 -> 200
as bob DELETE /v0/network/s1 -> 200
as admin DELETE /v0/network/pub -> 200
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 200
as admin GET /v0/node/n1 -> 200 ~ {"project": null, "nics": [{"label": "eth0", "networks": {}}, {"label": "eth1", "networks": {}}]}
