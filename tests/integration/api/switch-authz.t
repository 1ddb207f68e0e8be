# The authorization matrix of the switch and port endpoints: admins only.
#   anon   no credentials                 -> 401
#   nobody an unknown user name           -> 401
#   bob    a user in another project (p2) -> 403
#   alice  a user in the node's project   -> 403
#   admin
# n1 (p1) has NIC eth0; the fixtures are undone after each success.

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
set SW {"type": "mock", "hostname": "sw0", "username": "u", "password": "pw"}
user alice alice-pw
user bob bob-pw
cred nobody nobody alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:00:00:00:00:01"} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200

# switch_register
as anon   PUT /v0/switch/sw0 ${SW} -> 401 AuthorizationError
as nobody PUT /v0/switch/sw0 ${SW} -> 401 AuthorizationError
as bob    PUT /v0/switch/sw0 ${SW} -> 403 AuthorizationError
as alice  PUT /v0/switch/sw0 ${SW} -> 403 AuthorizationError
as admin  PUT /v0/switch/sw0 ${SW} -> 200

# list_switches
as anon   GET /v0/switches -> 401 AuthorizationError
as nobody GET /v0/switches -> 401 AuthorizationError
as bob    GET /v0/switches -> 403 AuthorizationError
as alice  GET /v0/switches -> 403 AuthorizationError
as admin  GET /v0/switches -> 200 ["sw0"]

# show_switch
as anon   GET /v0/switch/sw0 -> 401 AuthorizationError
as nobody GET /v0/switch/sw0 -> 401 AuthorizationError
as bob    GET /v0/switch/sw0 -> 403 AuthorizationError
as alice  GET /v0/switch/sw0 -> 403 AuthorizationError
as admin  GET /v0/switch/sw0 -> 200 ~ {"name": "sw0"} !has "pw"

# switch_register_port
as anon   PUT /v0/switch/sw0/port/gi1/0/1 -> 401 AuthorizationError
as nobody PUT /v0/switch/sw0/port/gi1/0/1 -> 401 AuthorizationError
as bob    PUT /v0/switch/sw0/port/gi1/0/1 -> 403 AuthorizationError
as alice  PUT /v0/switch/sw0/port/gi1/0/1 -> 403 AuthorizationError
as admin  PUT /v0/switch/sw0/port/gi1/0/1 -> 200

# show_port
as anon   GET /v0/switch/sw0/port/gi1/0/1 -> 401 AuthorizationError
as nobody GET /v0/switch/sw0/port/gi1/0/1 -> 401 AuthorizationError
as bob    GET /v0/switch/sw0/port/gi1/0/1 -> 403 AuthorizationError
as alice  GET /v0/switch/sw0/port/gi1/0/1 -> 403 AuthorizationError
as admin  GET /v0/switch/sw0/port/gi1/0/1 -> 200 {}

# port_connect_nic
as anon   POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 401 AuthorizationError
as nobody POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 401 AuthorizationError
as bob    POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 403 AuthorizationError
as alice  POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 403 AuthorizationError
as admin  POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 200

# port_revert
as anon   POST /v0/switch/sw0/port/gi1/0/1/revert -> 401 AuthorizationError
as nobody POST /v0/switch/sw0/port/gi1/0/1/revert -> 401 AuthorizationError
as bob    POST /v0/switch/sw0/port/gi1/0/1/revert -> 403 AuthorizationError
as alice  POST /v0/switch/sw0/port/gi1/0/1/revert -> 403 AuthorizationError
as admin  POST /v0/switch/sw0/port/gi1/0/1/revert -> 200 * save R .status_id
# A revert's record belongs to the node's project.
wait as alice GET /v0/networking_action/${R} -> 200 {"status": "DONE", "node": "n1", "nic": "eth0", "type": "revert_port", "channel": "", "new_network": null}
as bob    GET /v0/networking_action/${R} -> 403 AuthorizationError

# port_detach_nic (the node must be free)
as admin  POST /v0/project/p1/detach_node {"node": "n1"} -> 200
as anon   POST /v0/switch/sw0/port/gi1/0/1/detach_nic -> 401 AuthorizationError
as nobody POST /v0/switch/sw0/port/gi1/0/1/detach_nic -> 401 AuthorizationError
as bob    POST /v0/switch/sw0/port/gi1/0/1/detach_nic -> 403 AuthorizationError
as alice  POST /v0/switch/sw0/port/gi1/0/1/detach_nic -> 403 AuthorizationError
as admin  POST /v0/switch/sw0/port/gi1/0/1/detach_nic -> 200

# switch_delete_port
as anon   DELETE /v0/switch/sw0/port/gi1/0/1 -> 401 AuthorizationError
as nobody DELETE /v0/switch/sw0/port/gi1/0/1 -> 401 AuthorizationError
as bob    DELETE /v0/switch/sw0/port/gi1/0/1 -> 403 AuthorizationError
as alice  DELETE /v0/switch/sw0/port/gi1/0/1 -> 403 AuthorizationError
as admin  DELETE /v0/switch/sw0/port/gi1/0/1 -> 200

# switch_delete
as anon   DELETE /v0/switch/sw0 -> 401 AuthorizationError
as nobody DELETE /v0/switch/sw0 -> 401 AuthorizationError
as bob    DELETE /v0/switch/sw0 -> 403 AuthorizationError
as alice  DELETE /v0/switch/sw0 -> 403 AuthorizationError
as admin  DELETE /v0/switch/sw0 -> 200
as admin  GET /v0/switches -> 200 []
