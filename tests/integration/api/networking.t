# Node networking (spec 4.5, 5): connect_network and detach_network, the
# order of their checks, and the networking action records.  The mock
# switch "slow" takes longer than switch_timeout for every change, so an
# action on it stays PENDING for that long and then ends in ERROR; the
# checks that need a pending action run in that window.
# alice is in p1, bob in p2.  n1 (p1): eth0 on slow gi1/0/1, eth1 on sw0
# gi1/0/1, eth2 unwired; n2 (p2): eth0 on sw0 gi1/0/2; nf (free): eth0 on
# slow gi1/0/2.
#conf vlans = 100-110
#conf switch_timeout = 8
#conf plugin.mock.delay_host = slow
#conf plugin.mock.delay_ms = 60000

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
user bob bob-pw
cred nobody nobody alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200
as admin PUT /v0/switch/sw0 {"type": "mock", "hostname": "sw0", "username": "u", "password": "pw"} -> 200
as admin PUT /v0/switch/slow {"type": "mock", "hostname": "slow", "username": "u", "password": "pw"} -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/1 -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/2 -> 200
as admin PUT /v0/switch/slow/port/gi1/0/1 -> 200
as admin PUT /v0/switch/slow/port/gi1/0/2 -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/nf {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:00:00:00:00:01"} -> 200
as admin PUT /v0/node/n1/nic/eth1 {"macaddr": "aa:00:00:00:00:02"} -> 200
as admin PUT /v0/node/n1/nic/eth2 {"macaddr": "aa:00:00:00:00:03"} -> 200
as admin PUT /v0/node/n2/nic/eth0 {"macaddr": "aa:00:00:00:00:04"} -> 200
as admin PUT /v0/node/nf/nic/eth0 {"macaddr": "aa:00:00:00:00:05"} -> 200
as admin POST /v0/switch/slow/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 200
as admin POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth1"} -> 200
as admin POST /v0/switch/sw0/port/gi1/0/2/connect_nic {"node": "n2", "nic": "eth0"} -> 200
as admin POST /v0/switch/slow/port/gi1/0/2/connect_nic {"node": "nf", "nic": "eth0"} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as admin POST /v0/project/p2/connect_node {"node": "n2"} -> 200
# a1: p1's (VLAN 100); b1: p2's (101); b2: p2's shared with p1 (102);
# pub: public (103); prov: admin's for p2 (104).
as alice PUT /v0/network/a1 {"owner": "p1", "access": "p1", "net_id": ""} -> 200
as bob PUT /v0/network/b1 {"owner": "p2", "access": "p2", "net_id": ""} -> 200
as bob PUT /v0/network/b2 {"owner": "p2", "access": "p2", "net_id": ""} -> 200
as bob PUT /v0/network/b2/access/p1 -> 200
as admin PUT /v0/network/pub {"owner": "admin", "access": "", "net_id": ""} -> 200
as admin PUT /v0/network/prov {"owner": "admin", "access": "p2", "net_id": ""} -> 200

# --- connect_network, the order of the checks.
# 1. node (404) -> NIC on it (404) -> network (404), before anything else.
as bob POST /v0/node/nosuch/nic/eth0/connect_network {"network": "nosuch"} -> 404 NotFoundError has "node 'nosuch'"
as bob POST /v0/node/n1/nic/nosuch/connect_network {"network": "nosuch"} -> 404 NotFoundError has "NIC 'nosuch'"
as bob POST /v0/node/n1/nic/eth0/connect_network {"network": "nosuch"} -> 404 NotFoundError has "network 'nosuch'"
as bob POST /v0/node/nf/nic/nosuch/connect_network {"network": "a1"} -> 404 NotFoundError
as bob POST /v0/node/nf/nic/eth0/connect_network {"network": "nosuch"} -> 404 NotFoundError
as bob POST /v0/node/n2/nic/eth1/connect_network {"network": "b1"} -> 404 NotFoundError
# 2. the node is in a project (409), before the caller's rights.
as bob POST /v0/node/nf/nic/eth0/connect_network {"network": "pub"} -> 409 ProjectMismatchError
as admin POST /v0/node/nf/nic/eth0/connect_network {"network": "pub"} -> 409 ProjectMismatchError
# 3. project(node.project).
as bob POST /v0/node/n1/nic/eth1/connect_network {"network": "b1"} -> 403 AuthorizationError
as nobody POST /v0/node/n1/nic/eth1/connect_network {"network": "a1"} -> 401 AuthorizationError
as anon POST /v0/node/n1/nic/eth1/connect_network {"network": "a1"} -> 401 AuthorizationError
# 4. the NIC is wired (404), after the rights.
as bob POST /v0/node/n1/nic/eth2/connect_network {"network": "a1"} -> 403 AuthorizationError
as alice POST /v0/node/n1/nic/eth2/connect_network {"network": "a1"} -> 404 NotFoundError has "not wired"
as alice POST /v0/node/n1/nic/eth2/connect_network {"network": "b1", "channel": "bad"} -> 404 NotFoundError
# 6. the network is public or on the node's project's list (409).
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "b1"} -> 409 ProjectMismatchError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "prov"} -> 409 ProjectMismatchError
as admin POST /v0/node/n1/nic/eth1/connect_network {"network": "b1"} -> 409 ProjectMismatchError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "b1", "channel": "bad"} -> 409 ProjectMismatchError
# 9. the channel is one the network allows (400): vlan/native, vlan/<id>.
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "a1", "channel": "vlan/101"} -> 400 BadArgumentError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "a1", "channel": ""} -> 400 BadArgumentError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "a1", "channel": "null"} -> 400 BadArgumentError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "a1", "channel": "vlan/native/"} -> 400 BadArgumentError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "a1", "channel": "vlan/0100"} -> 400 BadArgumentError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "pub", "channel": "vlan/100"} -> 400 BadArgumentError
# Validation comes first.
as anon POST /v0/node/n1/nic/eth1/connect_network {"network": 5} -> 400 ValidationError
as alice POST /v0/node/n1/nic/eth1/connect_network {} -> 400 ValidationError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "a1", "channel": null} -> 400 ValidationError
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "a1", "vlan": "100"} -> 400 ValidationError
as alice GET /v0/node/n1/nic/eth1/connect_network -> 405

# --- detach_network: node (404) -> network (404) -> NIC (404) -> in a
# project (409) -> project(node.project) -> no pending action (409) ->
# attached (400).
as bob POST /v0/node/nosuch/nic/nosuch/detach_network {"network": "nosuch"} -> 404 NotFoundError has "node 'nosuch'"
as bob POST /v0/node/n1/nic/nosuch/detach_network {"network": "nosuch"} -> 404 NotFoundError has "network 'nosuch'"
as bob POST /v0/node/n1/nic/nosuch/detach_network {"network": "a1"} -> 404 NotFoundError has "NIC 'nosuch'"
as bob POST /v0/node/nf/nic/eth0/detach_network {"network": "a1"} -> 409 ProjectMismatchError
as bob POST /v0/node/n1/nic/eth1/detach_network {"network": "a1"} -> 403 AuthorizationError
as anon POST /v0/node/n1/nic/eth1/detach_network {"network": "a1"} -> 401 AuthorizationError
as alice POST /v0/node/n1/nic/eth1/detach_network {"network": "a1"} -> 400 BadArgumentError
# No access check: a network the node may not use is simply not attached.
as alice POST /v0/node/n1/nic/eth2/detach_network {"network": "b1"} -> 400 BadArgumentError
as alice POST /v0/node/n1/nic/eth1/detach_network {"network": "a1", "channel": "vlan/native"} -> 400 ValidationError
as alice POST /v0/node/n1/nic/eth1/detach_network {} -> 400 ValidationError

# --- show_networking_action: a retained record (404) -> project(node).
as alice GET /v0/networking_action/nosuch -> 404 NotFoundError
as anon GET /v0/networking_action/nosuch -> 401 AuthorizationError
as alice GET /v0/networking_action/nosuch {"x": 1} -> 400 ValidationError

# --- A pending action (the slow switch holds it for switch_timeout).
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "b2", "channel": "vlan/102"} -> 202 * save A .status_id
as alice GET /v0/networking_action/${A} -> 200 {"status": "PENDING", "node": "n1", "nic": "eth0", "type": "modify_port", "channel": "vlan/102", "new_network": "b2"}
as admin GET /v0/networking_action/${A} -> 200 ~ {"status": "PENDING"}
as bob GET /v0/networking_action/${A} -> 403 AuthorizationError
as nobody GET /v0/networking_action/${A} -> 401 AuthorizationError
# Until it is done nothing shows the attachment (spec 5.3).
as alice GET /v0/node/n1 -> 200 ~ {"nics": [{"label": "eth0", "networks": {}}, {"label": "eth1", "networks": {}}, {"label": "eth2", "networks": {}}]}
as bob GET /v0/network/b2/attachments -> 200 {}
# 5. One pending action per NIC (409 BlockedError): after the rights,
# before access (6) and channel (9) checks.
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 409 BlockedError
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "b1"} -> 409 BlockedError
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "a1", "channel": ""} -> 409 BlockedError
as bob POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 403 AuthorizationError
# ... and for detach before "not attached" (400).
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "b2"} -> 409 BlockedError
as alice POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 409 BlockedError
# ... and for a revert.
as admin POST /v0/switch/slow/port/gi1/0/1/revert -> 409 BlockedError
# A retained action keeps its target network (spec 5.4).
as bob DELETE /v0/network/b2 -> 409 BlockedError has "action"
# A project keeps its access while its NIC is being attached (stricter
# than the original, which let the attachment complete after a revoke).
as bob DELETE /v0/network/b2/access/p1 -> 409 BlockedError has "being attached"
as alice DELETE /v0/network/b2/access/p1 -> 409 BlockedError
# A node with a pending action stays in its project.
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 409 BlockedError
# Another NIC of the node is not held up.
as alice POST /v0/node/n1/nic/eth1/connect_network {"network": "a1"} -> 202 * save B .status_id
# A revert of a free node's port, queued behind A; its NIC is unwired
# before it runs.
as admin POST /v0/switch/slow/port/gi1/0/2/revert -> 200 * save R .status_id
as admin GET /v0/networking_action/${R} -> 200 {"status": "PENDING", "node": "nf", "nic": "eth0", "type": "revert_port", "channel": "", "new_network": null}
as alice GET /v0/networking_action/${R} -> 403 AuthorizationError
as admin POST /v0/switch/slow/port/gi1/0/2/revert -> 409 BlockedError
as admin POST /v0/switch/slow/port/gi1/0/2/detach_nic -> 200
# A port a pending action names is kept until the action ends.
as admin DELETE /v0/switch/slow/port/gi1/0/2 -> 409 BlockedError has "pending"

# --- The switch did not answer in time: ERROR, with the reason.
wait as alice GET /v0/networking_action/${A} -> 200 ~ {"status": "ERROR"}
as alice GET /v0/networking_action/${A} -> 200 ~ {"status": "ERROR", "node": "n1", "nic": "eth0", "type": "modify_port", "channel": "vlan/102", "new_network": "b2"} has "\"error\":"
# The fast switch went on meanwhile.
wait as alice GET /v0/networking_action/${B} -> 200 {"status": "DONE", "node": "n1", "nic": "eth1", "type": "modify_port", "channel": "vlan/native", "new_network": "a1"}
as alice GET /v0/node/n1 -> 200 ~ {"nics": [{"label": "eth0", "networks": {}}, {"label": "eth1", "networks": {"vlan/native": "a1"}}, {"label": "eth2", "networks": {}}]}
# A NIC that lost its port ends its action in ERROR (the original left it
# PENDING for ever).
wait as admin GET /v0/networking_action/${R} -> 200 ~ {"status": "ERROR"}
as admin GET /v0/networking_action/${R} -> 200 ~ {"status": "ERROR", "node": "nf", "type": "revert_port"} has "no longer connected"
as admin DELETE /v0/switch/slow/port/gi1/0/2 -> 200
as admin GET /v0/networking_action/${R} -> 200 ~ {"status": "ERROR", "node": "nf", "nic": "eth0"}
# A finished action still keeps its target network.
as bob DELETE /v0/network/b2 -> 409 BlockedError has "action"
# A failed attachment does not hold the project's access.
as bob DELETE /v0/network/b2/access/p1 -> 200
as alice POST /v0/node/n1/nic/eth0/connect_network {"network": "b2", "channel": "vlan/102"} -> 409 ProjectMismatchError

# --- The authorization matrix of the three calls (n2 is bob's).
as anon POST /v0/node/n2/nic/eth0/connect_network {"network": "b1"} -> 401 AuthorizationError
as nobody POST /v0/node/n2/nic/eth0/connect_network {"network": "b1"} -> 401 AuthorizationError
as alice POST /v0/node/n2/nic/eth0/connect_network {"network": "b1"} -> 403 AuthorizationError
as bob POST /v0/node/n2/nic/eth0/connect_network {"network": "b1"} -> 202 * save C .status_id
as anon GET /v0/networking_action/${C} -> 401 AuthorizationError
as nobody GET /v0/networking_action/${C} -> 401 AuthorizationError
as alice GET /v0/networking_action/${C} -> 403 AuthorizationError
wait as bob GET /v0/networking_action/${C} -> 200 ~ {"status": "DONE"}
as admin GET /v0/networking_action/${C} -> 200 {"status": "DONE", "node": "n2", "nic": "eth0", "type": "modify_port", "channel": "vlan/native", "new_network": "b1"}
as anon POST /v0/node/n2/nic/eth0/detach_network {"network": "b1"} -> 401 AuthorizationError
as nobody POST /v0/node/n2/nic/eth0/detach_network {"network": "b1"} -> 401 AuthorizationError
as alice POST /v0/node/n2/nic/eth0/detach_network {"network": "b1"} -> 403 AuthorizationError
as bob POST /v0/node/n2/nic/eth0/detach_network {"network": "b1"} -> 202 * save D .status_id
wait as bob GET /v0/networking_action/${D} -> 200 {"status": "DONE", "node": "n2", "nic": "eth0", "type": "modify_port", "channel": "vlan/native", "new_network": null}
# Admins act for any project.
as admin POST /v0/node/n2/nic/eth0/connect_network {"network": "prov"} -> 202 * save E .status_id
wait as bob GET /v0/networking_action/${E} -> 200 ~ {"status": "DONE", "new_network": "prov"}
as admin POST /v0/node/n2/nic/eth0/detach_network {"network": "prov"} -> 202 * save F .status_id
wait as admin GET /v0/networking_action/${F} -> 200 ~ {"status": "DONE", "new_network": null}
# The record of the NIC's previous action is gone.
as bob GET /v0/networking_action/${E} -> 404 NotFoundError
as bob GET /v0/networking_action/${C} -> 404 NotFoundError
