# The authorization matrix: every endpoint of projects, nodes, NICs,
# metadata, the OBM flag, users and active_extensions, called by
#   anon   no credentials                                 -> 401
#   nobody an unknown user name                           -> 401
#   bob    a user in another project (p2)                 -> 403 when not allowed
#   alice  a user in the project concerned (p1)
#   admin
# Fixtures: n1 is in p1, n2 in p2, nf is free; n1 has NIC eth0 and
# metadata "k".  Calls that succeed are undone so the next row starts
# from the same state.

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
as admin PUT /v0/node/n1 {"obm": ${OBM}, "metadata": {"k": "v"}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/nf {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:bb:cc:dd:ee:ff"} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as admin POST /v0/project/p2/connect_node {"node": "n2"} -> 200

# list_projects: admin
as anon   GET /v0/projects -> 401 AuthorizationError
as nobody GET /v0/projects -> 401 AuthorizationError
as bob    GET /v0/projects -> 403 AuthorizationError
as alice  GET /v0/projects -> 403 AuthorizationError
as admin  GET /v0/projects -> 200 ["p1", "p2"]

# project_create: admin
as anon   PUT /v0/project/p3 -> 401 AuthorizationError
as nobody PUT /v0/project/p3 -> 401 AuthorizationError
as bob    PUT /v0/project/p3 -> 403 AuthorizationError
as alice  PUT /v0/project/p3 -> 403 AuthorizationError
as admin  PUT /v0/project/p3 -> 200

# project_delete: admin
as anon   DELETE /v0/project/p3 -> 401 AuthorizationError
as nobody DELETE /v0/project/p3 -> 401 AuthorizationError
as bob    DELETE /v0/project/p3 -> 403 AuthorizationError
as alice  DELETE /v0/project/p3 -> 403 AuthorizationError
as admin  DELETE /v0/project/p3 -> 200
as admin  GET /v0/projects -> 200 ["p1", "p2"]

# project_connect_node: project(p1)
as anon   POST /v0/project/p1/connect_node {"node": "nf"} -> 401 AuthorizationError
as nobody POST /v0/project/p1/connect_node {"node": "nf"} -> 401 AuthorizationError
as bob    POST /v0/project/p1/connect_node {"node": "nf"} -> 403 AuthorizationError
as alice  POST /v0/project/p1/connect_node {"node": "nf"} -> 200
as admin  POST /v0/project/p1/detach_node {"node": "nf"} -> 200
as admin  POST /v0/project/p1/connect_node {"node": "nf"} -> 200

# project_detach_node: project(p1)
as anon   POST /v0/project/p1/detach_node {"node": "nf"} -> 401 AuthorizationError
as nobody POST /v0/project/p1/detach_node {"node": "nf"} -> 401 AuthorizationError
as bob    POST /v0/project/p1/detach_node {"node": "nf"} -> 403 AuthorizationError
as alice  POST /v0/project/p1/detach_node {"node": "nf"} -> 200
as alice  POST /v0/project/p1/connect_node {"node": "nf"} -> 200
as admin  POST /v0/project/p1/detach_node {"node": "nf"} -> 200

# list_project_nodes: project(p1)
as anon   GET /v0/project/p1/nodes -> 401 AuthorizationError
as nobody GET /v0/project/p1/nodes -> 401 AuthorizationError
as bob    GET /v0/project/p1/nodes -> 403 AuthorizationError
as alice  GET /v0/project/p1/nodes -> 200 ["n1"]
as admin  GET /v0/project/p1/nodes -> 200 ["n1"]

# list_project_networks: project(p1)
as anon   GET /v0/project/p1/networks -> 401 AuthorizationError
as nobody GET /v0/project/p1/networks -> 401 AuthorizationError
as bob    GET /v0/project/p1/networks -> 403 AuthorizationError
as alice  GET /v0/project/p1/networks -> 200 []
as admin  GET /v0/project/p1/networks -> 200 []

# node_register: admin
as anon   PUT /v0/node/n3 {"obm": ${OBM}} -> 401 AuthorizationError
as nobody PUT /v0/node/n3 {"obm": ${OBM}} -> 401 AuthorizationError
as bob    PUT /v0/node/n3 {"obm": ${OBM}} -> 403 AuthorizationError
as alice  PUT /v0/node/n3 {"obm": ${OBM}} -> 403 AuthorizationError
as admin  PUT /v0/node/n3 {"obm": ${OBM}} -> 200

# node_delete: admin
as anon   DELETE /v0/node/n3 -> 401 AuthorizationError
as nobody DELETE /v0/node/n3 -> 401 AuthorizationError
as bob    DELETE /v0/node/n3 -> 403 AuthorizationError
as alice  DELETE /v0/node/n3 -> 403 AuthorizationError
as admin  DELETE /v0/node/n3 -> 200

# show_node, allocated node: project(node.project); port/switch for admins
as anon   GET /v0/node/n1 -> 401 AuthorizationError
as nobody GET /v0/node/n1 -> 401 AuthorizationError
as bob    GET /v0/node/n1 -> 403 AuthorizationError
as alice  GET /v0/node/n1 -> 200 {"name": "n1", "project": "p1", "metadata": {"k": "\"v\""}, \
	"nics": [{"label": "eth0", "macaddr": "aa:bb:cc:dd:ee:ff", "networks": {}}]}
as admin  GET /v0/node/n1 -> 200 {"name": "n1", "project": "p1", "metadata": {"k": "\"v\""}, \
	"nics": [{"label": "eth0", "macaddr": "aa:bb:cc:dd:ee:ff", "networks": {}, "port": null, "switch": null}]}

# show_node, free node: authenticated
as anon   GET /v0/node/nf -> 401 AuthorizationError
as nobody GET /v0/node/nf -> 401 AuthorizationError
as bob    GET /v0/node/nf -> 200 {"name": "nf", "project": null, "nics": [], "metadata": {}}
as alice  GET /v0/node/nf -> 200 {"name": "nf", "project": null, "nics": [], "metadata": {}}
as admin  GET /v0/node/nf -> 200 {"name": "nf", "project": null, "nics": [], "metadata": {}}

# list_nodes: authenticated
as anon   GET /v0/nodes/free -> 401 AuthorizationError
as nobody GET /v0/nodes/free -> 401 AuthorizationError
as bob    GET /v0/nodes/free -> 200 ["nf"]
as alice  GET /v0/nodes/all -> 200 ["n1", "n2", "nf"]
as admin  GET /v0/nodes/all -> 200 ["n1", "n2", "nf"]

# node_register_nic: admin (even on the caller's own node)
as anon   PUT /v0/node/n1/nic/eth1 {"macaddr": "m"} -> 401 AuthorizationError
as nobody PUT /v0/node/n1/nic/eth1 {"macaddr": "m"} -> 401 AuthorizationError
as bob    PUT /v0/node/n1/nic/eth1 {"macaddr": "m"} -> 403 AuthorizationError
as alice  PUT /v0/node/n1/nic/eth1 {"macaddr": "m"} -> 403 AuthorizationError
as admin  PUT /v0/node/n1/nic/eth1 {"macaddr": "m"} -> 200

# node_delete_nic: admin (and the node must be free)
as admin  PUT /v0/node/nf/nic/eth1 {"macaddr": "m"} -> 200
as anon   DELETE /v0/node/nf/nic/eth1 -> 401 AuthorizationError
as nobody DELETE /v0/node/nf/nic/eth1 -> 401 AuthorizationError
as bob    DELETE /v0/node/nf/nic/eth1 -> 403 AuthorizationError
as alice  DELETE /v0/node/nf/nic/eth1 -> 403 AuthorizationError
as alice  DELETE /v0/node/n1/nic/eth1 -> 403 AuthorizationError
as admin  DELETE /v0/node/nf/nic/eth1 -> 200
as admin  DELETE /v0/node/n1/nic/eth1 -> 409 BlockedError

# node_set_metadata: admin
as anon   PUT /v0/node/n1/metadata/k2 {"value": 1} -> 401 AuthorizationError
as nobody PUT /v0/node/n1/metadata/k2 {"value": 1} -> 401 AuthorizationError
as bob    PUT /v0/node/n1/metadata/k2 {"value": 1} -> 403 AuthorizationError
as alice  PUT /v0/node/n1/metadata/k2 {"value": 1} -> 403 AuthorizationError
as admin  PUT /v0/node/n1/metadata/k2 {"value": 1} -> 200

# node_delete_metadata: admin
as anon   DELETE /v0/node/n1/metadata/k2 -> 401 AuthorizationError
as nobody DELETE /v0/node/n1/metadata/k2 -> 401 AuthorizationError
as bob    DELETE /v0/node/n1/metadata/k2 -> 403 AuthorizationError
as alice  DELETE /v0/node/n1/metadata/k2 -> 403 AuthorizationError
as admin  DELETE /v0/node/n1/metadata/k2 -> 200
as alice  GET /v0/node/n1 -> 200 ~ {"metadata": {"k": "\"v\""}}

# node obm, allocated node: project(node.project)
as anon   PUT /v0/node/n1/obm {"enabled": true} -> 401 AuthorizationError
as nobody PUT /v0/node/n1/obm {"enabled": true} -> 401 AuthorizationError
as bob    PUT /v0/node/n1/obm {"enabled": true} -> 403 AuthorizationError
as alice  PUT /v0/node/n1/obm {"enabled": true} -> 200
as admin  PUT /v0/node/n1/obm {"enabled": false} -> 200

# node obm, free node: admin
as anon   PUT /v0/node/nf/obm {"enabled": true} -> 401 AuthorizationError
as nobody PUT /v0/node/nf/obm {"enabled": true} -> 401 AuthorizationError
as bob    PUT /v0/node/nf/obm {"enabled": true} -> 403 AuthorizationError
as alice  PUT /v0/node/nf/obm {"enabled": true} -> 403 AuthorizationError
as admin  PUT /v0/node/nf/obm {"enabled": true} -> 200
as admin  PUT /v0/node/nf/obm {"enabled": false} -> 200

# list users: admin
as anon   GET /v0/auth/basic/users -> 401 AuthorizationError
as nobody GET /v0/auth/basic/users -> 401 AuthorizationError
as bob    GET /v0/auth/basic/users -> 403 AuthorizationError
as alice  GET /v0/auth/basic/users -> 403 AuthorizationError
as admin  GET /v0/auth/basic/users -> 200 {"admin": {"is_admin": true, "projects": []}, \
	"alice": {"is_admin": false, "projects": ["p1"]}, "bob": {"is_admin": false, "projects": ["p2"]}}

# create user: admin
as anon   PUT /v0/auth/basic/user/carol {"password": "c"} -> 401 AuthorizationError
as nobody PUT /v0/auth/basic/user/carol {"password": "c"} -> 401 AuthorizationError
as bob    PUT /v0/auth/basic/user/carol {"password": "c"} -> 403 AuthorizationError
as alice  PUT /v0/auth/basic/user/carol {"password": "c"} -> 403 AuthorizationError
as admin  PUT /v0/auth/basic/user/carol {"password": "c"} -> 200

# add_project: admin
as anon   POST /v0/auth/basic/user/carol/add_project {"project": "p1"} -> 401 AuthorizationError
as nobody POST /v0/auth/basic/user/carol/add_project {"project": "p1"} -> 401 AuthorizationError
as bob    POST /v0/auth/basic/user/carol/add_project {"project": "p1"} -> 403 AuthorizationError
as alice  POST /v0/auth/basic/user/carol/add_project {"project": "p1"} -> 403 AuthorizationError
as admin  POST /v0/auth/basic/user/carol/add_project {"project": "p1"} -> 200

# remove_project: admin
as anon   POST /v0/auth/basic/user/carol/remove_project {"project": "p1"} -> 401 AuthorizationError
as nobody POST /v0/auth/basic/user/carol/remove_project {"project": "p1"} -> 401 AuthorizationError
as bob    POST /v0/auth/basic/user/carol/remove_project {"project": "p1"} -> 403 AuthorizationError
as alice  POST /v0/auth/basic/user/carol/remove_project {"project": "p1"} -> 403 AuthorizationError
as admin  POST /v0/auth/basic/user/carol/remove_project {"project": "p1"} -> 200

# set admin: admin
as anon   PATCH /v0/auth/basic/user/carol {"is_admin": true} -> 401 AuthorizationError
as nobody PATCH /v0/auth/basic/user/carol {"is_admin": true} -> 401 AuthorizationError
as bob    PATCH /v0/auth/basic/user/carol {"is_admin": true} -> 403 AuthorizationError
as alice  PATCH /v0/auth/basic/user/carol {"is_admin": true} -> 403 AuthorizationError
as admin  PATCH /v0/auth/basic/user/carol {"is_admin": true} -> 200

# delete user: admin
as anon   DELETE /v0/auth/basic/user/carol -> 401 AuthorizationError
as nobody DELETE /v0/auth/basic/user/carol -> 401 AuthorizationError
as bob    DELETE /v0/auth/basic/user/carol -> 403 AuthorizationError
as alice  DELETE /v0/auth/basic/user/carol -> 403 AuthorizationError
as admin  DELETE /v0/auth/basic/user/carol -> 200

# active_extensions: admin
as anon   GET /v0/active_extensions -> 401 AuthorizationError
as nobody GET /v0/active_extensions -> 401 AuthorizationError
as bob    GET /v0/active_extensions -> 403 AuthorizationError
as alice  GET /v0/active_extensions -> 403 AuthorizationError
as admin  GET /v0/active_extensions -> 200 ["obm/mock", "switch/mock"]

# Nothing a refused call asked for happened.
as admin  GET /v0/projects -> 200 ["p1", "p2"]
as admin  GET /v0/nodes/all -> 200 ["n1", "n2", "nf"]
as admin  GET /v0/nodes/free -> 200 ["nf"]
as admin  GET /v0/node/n1 -> 200 {"name": "n1", "project": "p1", "metadata": {"k": "\"v\""}, \
	"nics": [{"label": "eth0", "macaddr": "aa:bb:cc:dd:ee:ff", "networks": {}, "port": null, "switch": null}, \
	{"label": "eth1", "macaddr": "m", "networks": {}, "port": null, "switch": null}]}
as admin  GET /v0/auth/basic/users -> 200 {"admin": {"is_admin": true, "projects": []}, \
	"alice": {"is_admin": false, "projects": ["p1"]}, "bob": {"is_admin": false, "projects": ["p2"]}}
