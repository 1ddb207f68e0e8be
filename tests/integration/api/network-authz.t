# The authorization matrix of the network and node networking endpoints,
# each called by
#   anon   no credentials                                 -> 401
#   nobody an unknown user name                           -> 401
#   bob    a user in another project (p2)                 -> 403 when not allowed
#   alice  a user in the project concerned (p1)
#   admin
# Fixtures: n1 (p1) has NIC eth0 on sw0 gi1/0/1; a1 is p1's network, adm
# an admin-owned one for p1, pub a public one; p3 has no users.  Calls
# that succeed are undone so the next row starts from the same state.
#conf vlans = 100-120

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
set MINE {"owner": "p1", "access": "p1", "net_id": ""}
set ADM {"owner": "admin", "access": "p1", "net_id": ""}
user alice alice-pw
user bob bob-pw
cred nobody nobody alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin PUT /v0/project/p3 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200
as admin PUT /v0/switch/sw0 {"type": "mock", "hostname": "sw0", "username": "u", "password": "pw"} -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/1 -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:00:00:00:00:01"} -> 200
as admin POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as admin PUT /v0/network/a1 ${MINE} -> 200
as admin PUT /v0/network/adm ${ADM} -> 200
as admin PUT /v0/network/pub {"owner": "admin", "access": "", "net_id": ""} -> 200

# network_create, owned by a project: project(owner)
as anon   PUT /v0/network/x ${MINE} -> 401 AuthorizationError
as nobody PUT /v0/network/x ${MINE} -> 401 AuthorizationError
as bob    PUT /v0/network/x ${MINE} -> 403 AuthorizationError
as alice  PUT /v0/network/x ${MINE} -> 200
as alice  DELETE /v0/network/x -> 200
as admin  PUT /v0/network/x ${MINE} -> 200
as admin  DELETE /v0/network/x -> 200

# network_create, owned by admin: admin
as anon   PUT /v0/network/x ${ADM} -> 401 AuthorizationError
as nobody PUT /v0/network/x ${ADM} -> 401 AuthorizationError
as bob    PUT /v0/network/x ${ADM} -> 403 AuthorizationError
as alice  PUT /v0/network/x ${ADM} -> 403 AuthorizationError
as admin  PUT /v0/network/x ${ADM} -> 200

# network_delete of an admin's network: admin
as anon   DELETE /v0/network/x -> 401 AuthorizationError
as nobody DELETE /v0/network/x -> 401 AuthorizationError
as bob    DELETE /v0/network/x -> 403 AuthorizationError
as alice  DELETE /v0/network/x -> 403 AuthorizationError
as admin  DELETE /v0/network/x -> 200

# network_delete of a project's network: project(owner)
as alice  PUT /v0/network/x ${MINE} -> 200
as anon   DELETE /v0/network/x -> 401 AuthorizationError
as nobody DELETE /v0/network/x -> 401 AuthorizationError
as bob    DELETE /v0/network/x -> 403 AuthorizationError
as alice  DELETE /v0/network/x -> 200
as alice  PUT /v0/network/x ${MINE} -> 200
as admin  DELETE /v0/network/x -> 200

# show_network of a network with an access list: a project on it
as anon   GET /v0/network/a1 -> 401 AuthorizationError
as nobody GET /v0/network/a1 -> 401 AuthorizationError
as bob    GET /v0/network/a1 -> 403 AuthorizationError
as alice  GET /v0/network/a1 -> 200 ~ {"name": "a1"}
as admin  GET /v0/network/a1 -> 200 ~ {"name": "a1"}
as bob    GET /v0/network/adm -> 403 AuthorizationError
as alice  GET /v0/network/adm -> 200 ~ {"owner": "admin", "access": ["p1"]}

# show_network of a public network: authenticated
as anon   GET /v0/network/pub -> 401 AuthorizationError
as nobody GET /v0/network/pub -> 401 AuthorizationError
as bob    GET /v0/network/pub -> 200 ~ {"name": "pub"}
as alice  GET /v0/network/pub -> 200 ~ {"name": "pub"}
as admin  GET /v0/network/pub -> 200 ~ {"name": "pub"}

# list_networks: authenticated (public ones), admins all
as anon   GET /v0/networks -> 401 AuthorizationError
as nobody GET /v0/networks -> 401 AuthorizationError
as bob    GET /v0/networks -> 200 {"pub": {"network_id": "102", "projects": null}}
as alice  GET /v0/networks -> 200 {"pub": {"network_id": "102", "projects": null}}
as admin  GET /v0/networks -> 200 {"a1": {"network_id": "100", "projects": ["p1"]}, "adm": {"network_id": "101", "projects": ["p1"]}, "pub": {"network_id": "102", "projects": null}}

# list_project_networks: project(p1)
as anon   GET /v0/project/p1/networks -> 401 AuthorizationError
as nobody GET /v0/project/p1/networks -> 401 AuthorizationError
as bob    GET /v0/project/p1/networks -> 403 AuthorizationError
as alice  GET /v0/project/p1/networks -> 200 ["a1", "adm"]
as admin  GET /v0/project/p1/networks -> 200 ["a1", "adm"]

# list_network_attachments: project(owner)
as anon   GET /v0/network/a1/attachments -> 401 AuthorizationError
as nobody GET /v0/network/a1/attachments -> 401 AuthorizationError
as bob    GET /v0/network/a1/attachments -> 403 AuthorizationError
as alice  GET /v0/network/a1/attachments -> 200 {}
as admin  GET /v0/network/a1/attachments -> 200 {}
as alice  GET /v0/network/adm/attachments -> 403 AuthorizationError
as admin  GET /v0/network/adm/attachments -> 200 {}
# ... or ?project=P for a P on the list, by P's members
as bob    GET /v0/network/adm/attachments?project=p1 -> 403 AuthorizationError
as alice  GET /v0/network/adm/attachments?project=p1 -> 200 {}

# network_grant_project_access: project(owner)
as anon   PUT /v0/network/a1/access/p3 -> 401 AuthorizationError
as nobody PUT /v0/network/a1/access/p3 -> 401 AuthorizationError
as bob    PUT /v0/network/a1/access/p3 -> 403 AuthorizationError
as alice  PUT /v0/network/a1/access/p3 -> 200
as admin  DELETE /v0/network/a1/access/p3 -> 200
as admin  PUT /v0/network/a1/access/p3 -> 200
# ... of an admin's network: admin
as alice  PUT /v0/network/adm/access/p3 -> 403 AuthorizationError
as admin  PUT /v0/network/adm/access/p3 -> 200

# network_revoke_project_access: project(owner), or the project itself
as anon   DELETE /v0/network/a1/access/p3 -> 401 AuthorizationError
as nobody DELETE /v0/network/a1/access/p3 -> 401 AuthorizationError
as bob    DELETE /v0/network/a1/access/p3 -> 403 AuthorizationError
as alice  DELETE /v0/network/a1/access/p3 -> 200
as alice  DELETE /v0/network/adm/access/p3 -> 403 AuthorizationError
as admin  DELETE /v0/network/adm/access/p3 -> 200
as alice  PUT /v0/network/a1/access/p2 -> 200
as bob    DELETE /v0/network/a1/access/p2 -> 200
as alice  PUT /v0/network/a1/access/p2 -> 200
as admin  DELETE /v0/network/a1/access/p2 -> 200

# node_connect_network: project(node's project)
as anon   POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 401 AuthorizationError
as nobody POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 401 AuthorizationError
as bob    POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 403 AuthorizationError
as alice  POST /v0/node/n1/nic/eth0/connect_network {"network": "a1"} -> 202 * save C1 .status_id
wait as alice GET /v0/networking_action/${C1} -> 200 ~ {"status": "DONE"}

# show_networking_action: project(node's project)
as anon   GET /v0/networking_action/${C1} -> 401 AuthorizationError
as nobody GET /v0/networking_action/${C1} -> 401 AuthorizationError
as bob    GET /v0/networking_action/${C1} -> 403 AuthorizationError
as alice  GET /v0/networking_action/${C1} -> 200 ~ {"status": "DONE"}
as admin  GET /v0/networking_action/${C1} -> 200 ~ {"status": "DONE"}

# node_detach_network: project(node's project)
as anon   POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 401 AuthorizationError
as nobody POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 401 AuthorizationError
as bob    POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 403 AuthorizationError
as alice  POST /v0/node/n1/nic/eth0/detach_network {"network": "a1"} -> 202 * save D1 .status_id
wait as alice GET /v0/networking_action/${D1} -> 200 ~ {"status": "DONE"}
as admin  POST /v0/node/n1/nic/eth0/connect_network {"network": "adm"} -> 202 * save C2 .status_id
wait as alice GET /v0/networking_action/${C2} -> 200 ~ {"status": "DONE"}
as admin  POST /v0/node/n1/nic/eth0/detach_network {"network": "adm"} -> 202 * save D2 .status_id
wait as alice GET /v0/networking_action/${D2} -> 200 ~ {"status": "DONE", "new_network": null}
