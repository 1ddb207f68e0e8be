# Switches and ports (spec 4.6, DESIGN.md section 2): admins only.  A
# switch's settings are its driver's; secret ones never come back.
# alice is in p1; n1 (NICs eth0, eth1) is in p1, n2 (NIC eth0) is free.

set SW {"type": "mock", "hostname": "sw0", "username": "root", "password": "sw0-secret-pw"}
set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:bb:cc:dd:ee:01"} -> 200
as admin PUT /v0/node/n1/nic/eth1 {"macaddr": "aa:bb:cc:dd:ee:02"} -> 200
as admin PUT /v0/node/n2/nic/eth0 {"macaddr": "aa:bb:cc:dd:ee:03"} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200

# --- switch_register: admin (403) -> label unused (409) -> type known
# (400) -> exactly the driver's settings (400).
as admin PUT /v0/switch/sw0 ${SW} -> 200
as admin GET /v0/switch/sw0 -> 200 {"name": "sw0", "type": "mock", "ports": [], "capabilities": ["nativeless-trunk-mode"]} !has "sw0-secret-pw"
as admin PUT /v0/switch/sw0 ${SW} -> 409 DuplicateError
# The original's type URL names the same driver.
as admin PUT /v0/switch/sw1 {"type": "http://schema.massopencloud.org/haas/v0/switches/mock", "hostname": "sw1", "username": "u", "password": "p1-pw"} -> 200
as admin GET /v0/switch/sw1 -> 200 {"name": "sw1", "type": "mock", "ports": [], "capabilities": ["nativeless-trunk-mode"]}
as admin PUT /v0/switch/x {"type": "nosuch", "hostname": "h", "username": "u", "password": "p"} -> 400 BadArgumentError
as admin PUT /v0/switch/x {"type": "http://schema.massopencloud.org/haas/v0/switches/nexus", "hostname": "h", "username": "u", "password": "p", "dummy_vlan": "5"} -> 400 BadArgumentError
as admin PUT /v0/switch/x {"type": "http://schema.massopencloud.org/haas/v0/switches/", "hostname": "h", "username": "u", "password": "p"} -> 400 BadArgumentError
as admin PUT /v0/switch/x {"type": "../mock", "hostname": "h", "username": "u", "password": "p"} -> 400 BadArgumentError
as admin PUT /v0/switch/x {"type": "MOCK", "hostname": "h", "username": "u", "password": "p"} -> 400 BadArgumentError
# Exactly the driver's fields, of its types; the message names the key,
# never a value.
as admin PUT /v0/switch/x {"type": "mock", "hostname": "h", "username": "u"} -> 400 BadArgumentError has "password"
as admin PUT /v0/switch/x {"type": "mock", "hostname": "h", "username": "u", "password": "p", "dummy_vlan": "5"} -> 400 BadArgumentError has "dummy_vlan"
as admin PUT /v0/switch/x {"type": "mock", "hostname": "h", "username": "u", "password": 5} -> 400 BadArgumentError has "password"
as admin PUT /v0/switch/x {"type": "mock", "hostname": "h", "username": "u", "password": "p\u0001wd"} -> 400 BadArgumentError !has "wd"
as admin PUT /v0/switch/x {"type": "mock", "hostname": ["h"], "username": "u", "password": "p"} -> 400 BadArgumentError
as admin GET /v0/switch/x -> 404 NotFoundError
# The order: admin before all, the label before the type, the type
# before the settings.
as anon PUT /v0/switch/sw0 {"type": "nosuch"} -> 401 AuthorizationError
as alice PUT /v0/switch/sw0 {"type": "nosuch"} -> 403 AuthorizationError
as alice PUT /v0/switch/x ${SW} -> 403 AuthorizationError
as admin PUT /v0/switch/sw0 {"type": "nosuch"} -> 409 DuplicateError
as admin PUT /v0/switch/x {"type": "nosuch", "bogus": 1} -> 400 BadArgumentError has "type"
# "type" is required and a string (validation, before authentication).
as anon PUT /v0/switch/x {"hostname": "h", "username": "u", "password": "p"} -> 400 ValidationError
as admin PUT /v0/switch/x {"type": 5, "hostname": "h", "username": "u", "password": "p"} -> 400 ValidationError
as admin PUT /v0/switch/x -> 400 ValidationError

# --- list_switches: sorted.
as admin PUT /v0/switch/a-sw ${SW} -> 200
as admin GET /v0/switches -> 200 ["a-sw", "sw0", "sw1"]
as alice GET /v0/switches -> 403 AuthorizationError
as anon GET /v0/switches -> 401 AuthorizationError
# No endpoint shows a secret.
as admin GET /v0/switches -> 200 * !has "secret"

# --- switch_register_port: admin -> switch (404) -> label unused (409)
# -> the driver accepts the name (400).  Port names may hold '/'.
as admin PUT /v0/switch/sw0/port/gi1/0/1 -> 200
as admin PUT /v0/switch/sw0/port/te1/0/2 -> 200
as admin PUT /v0/switch/sw0/port/gi1/3 -> 200
as admin PUT /v0/switch/sw0/port/gi1/0/1 -> 409 DuplicateError
as admin PUT /v0/switch/sw0/port/eth0 -> 400 BadArgumentError
as admin PUT /v0/switch/sw0/port/gi1/0/1/2 -> 400 BadArgumentError
as admin PUT /v0/switch/sw0/port/gi1 -> 400 BadArgumentError
as admin PUT /v0/switch/nosuch/port/gi1/0/1 -> 404 NotFoundError
as admin PUT /v0/switch/nosuch/port/eth0 -> 404 NotFoundError
as alice PUT /v0/switch/nosuch/port/eth0 -> 403 AuthorizationError
as anon PUT /v0/switch/sw0/port/gi1/0/9 -> 401 AuthorizationError
as admin PUT /v0/switch/sw0/port/gi1/0/9 {"x": 1} -> 400 ValidationError
# The same label on another switch is another port.
as admin PUT /v0/switch/sw1/port/gi1/0/1 -> 200
# show_switch lists ports in registration order.
as admin GET /v0/switch/sw0 -> 200 {"name": "sw0", "type": "mock", "ports": [{"label": "gi1/0/1"}, {"label": "te1/0/2"}, {"label": "gi1/3"}], "capabilities": ["nativeless-trunk-mode"]}
as admin GET /v0/switch/nosuch -> 404 NotFoundError
as alice GET /v0/switch/sw0 -> 403 AuthorizationError
as alice GET /v0/switch/nosuch -> 403 AuthorizationError

# --- show_port: admin -> switch (404) -> port (404); {} when unwired.
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {}
as admin GET /v0/switch/sw0/port/gi9/9 -> 404 NotFoundError
as admin GET /v0/switch/nosuch/port/gi1/0/1 -> 404 NotFoundError
as alice GET /v0/switch/sw0/port/gi1/0/1 -> 403 AuthorizationError

# --- port_connect_nic: admin -> switch -> port -> node -> NIC (404 each)
# -> NIC unwired (409) -> port unwired (409).  Free or allocated nodes.
as admin POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth0"} -> 200
as admin GET /v0/switch/sw0/port/gi1/0/1 -> 200 {"node": "n1", "nic": "eth0", "networks": {}}
as admin GET /v0/node/n1 -> 200 ~ {"nics": [{"label": "eth0", "port": "gi1/0/1", "switch": "sw0", "networks": {}}, {"label": "eth1", "port": null, "switch": null}]}
# Members see the NICs without the wiring.
as alice GET /v0/node/n1 -> 200 ~ {"nics": [{"label": "eth0", "networks": {}}, {"label": "eth1"}]} !has "gi1/0/1" !has "sw0"
as admin POST /v0/switch/sw1/port/gi1/0/1/connect_nic {"node": "n2", "nic": "eth0"} -> 200
as admin POST /v0/switch/nosuch/port/gi9/9/connect_nic {"node": "nosuch", "nic": "x"} -> 404 NotFoundError has "switch 'nosuch'"
as admin POST /v0/switch/sw0/port/gi9/9/connect_nic {"node": "nosuch", "nic": "x"} -> 404 NotFoundError has "port"
as admin POST /v0/switch/sw0/port/te1/0/2/connect_nic {"node": "nosuch", "nic": "x"} -> 404 NotFoundError has "node 'nosuch'"
as admin POST /v0/switch/sw0/port/te1/0/2/connect_nic {"node": "n1", "nic": "x"} -> 404 NotFoundError has "NIC 'x'"
# The NIC's wiring is checked before the port's.
as admin POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n2", "nic": "eth0"} -> 409 DuplicateError has "already wired to port"
as admin POST /v0/switch/sw0/port/te1/0/2/connect_nic {"node": "n1", "nic": "eth0"} -> 409 DuplicateError has "already wired to port"
as admin POST /v0/switch/sw0/port/gi1/0/1/connect_nic {"node": "n1", "nic": "eth1"} -> 409 DuplicateError has "already wired to NIC"
as alice POST /v0/switch/sw0/port/te1/0/2/connect_nic {"node": "n1", "nic": "eth1"} -> 403 AuthorizationError
as anon POST /v0/switch/sw0/port/te1/0/2/connect_nic {"node": "n1", "nic": "eth1"} -> 401 AuthorizationError
as admin POST /v0/switch/sw0/port/te1/0/2/connect_nic {"node": "n1"} -> 400 ValidationError
as admin POST /v0/switch/sw0/port/te1/0/2/connect_nic {"node": "n1", "nic": 1} -> 400 ValidationError

# --- port_detach_nic: admin -> switch -> port -> wired (404) -> the
# node is free (409).
as admin POST /v0/switch/sw0/port/te1/0/2/detach_nic -> 404 NotFoundError
as admin POST /v0/switch/sw0/port/gi1/0/1/detach_nic -> 409 BlockedError
as admin POST /v0/switch/nosuch/port/gi1/0/1/detach_nic -> 404 NotFoundError
as admin POST /v0/switch/sw0/port/gi9/9/detach_nic -> 404 NotFoundError
as alice POST /v0/switch/sw0/port/gi1/0/1/detach_nic -> 403 AuthorizationError
as admin POST /v0/switch/sw1/port/gi1/0/1/detach_nic {"x": 1} -> 400 ValidationError
as admin POST /v0/switch/sw1/port/gi1/0/1/detach_nic -> 200
as admin GET /v0/switch/sw1/port/gi1/0/1 -> 200 {}
as admin GET /v0/node/n2 -> 200 ~ {"nics": [{"label": "eth0", "port": null, "switch": null}]}
as admin POST /v0/switch/sw1/port/gi1/0/1/detach_nic -> 404 NotFoundError
# Rewired elsewhere.
as admin POST /v0/switch/sw0/port/te1/0/2/connect_nic {"node": "n2", "nic": "eth0"} -> 200

# --- port_revert: admin -> switch -> port -> wired (404); answers 200
# with an action id.
as admin POST /v0/switch/sw0/port/gi1/3/revert -> 404 NotFoundError
as admin POST /v0/switch/nosuch/port/gi1/3/revert -> 404 NotFoundError
as admin POST /v0/switch/sw0/port/gi9/9/revert -> 404 NotFoundError
as alice POST /v0/switch/sw0/port/gi1/0/1/revert -> 403 AuthorizationError
as anon POST /v0/switch/sw0/port/gi1/0/1/revert -> 401 AuthorizationError
as admin POST /v0/switch/sw0/port/gi1/0/1/revert {"x": 1} -> 400 ValidationError
as admin POST /v0/switch/sw0/port/te1/0/2/revert -> 200 * save R1 .status_id
as admin GET /v0/networking_action/${R1} -> 200 ~ {"node": "n2", "nic": "eth0", "type": "revert_port", "channel": "", "new_network": null}
# A free node's actions are the admins'.
as alice GET /v0/networking_action/${R1} -> 403 AuthorizationError
as anon GET /v0/networking_action/${R1} -> 401 AuthorizationError
as admin GET /v0/networking_action/00000000-0000-4000-8000-000000000000 -> 404 NotFoundError

# --- switch_delete_port: admin -> switch -> port (404) -> unwired (409).
as admin DELETE /v0/switch/sw0/port/gi1/0/1 -> 409 BlockedError
as admin DELETE /v0/switch/sw0/port/gi9/9 -> 404 NotFoundError
as admin DELETE /v0/switch/nosuch/port/gi1/0/1 -> 404 NotFoundError
as alice DELETE /v0/switch/sw0/port/gi1/3 -> 403 AuthorizationError
as anon DELETE /v0/switch/sw0/port/gi1/3 -> 401 AuthorizationError
as admin DELETE /v0/switch/sw0/port/gi1/3 -> 200
as admin GET /v0/switch/sw0/port/gi1/3 -> 404 NotFoundError
as admin GET /v0/switch/sw0 -> 200 ~ {"ports": [{"label": "gi1/0/1"}, {"label": "te1/0/2"}]}

# --- switch_delete: admin -> switch (404) -> no ports (409).
as admin DELETE /v0/switch/sw0 -> 409 BlockedError
as admin DELETE /v0/switch/nosuch -> 404 NotFoundError
as alice DELETE /v0/switch/sw1 -> 403 AuthorizationError
as alice DELETE /v0/switch/nosuch -> 403 AuthorizationError
as anon DELETE /v0/switch/sw1 -> 401 AuthorizationError
as admin DELETE /v0/switch/sw1/port/gi1/0/1 -> 200
as admin DELETE /v0/switch/sw1 -> 200
as admin DELETE /v0/switch/a-sw -> 200
as admin GET /v0/switches -> 200 ["sw0"]
# A label is free again once its switch is gone.
as admin PUT /v0/switch/sw1 {"type": "mock", "hostname": "sw1", "username": "u", "password": "p"} -> 200
as admin DELETE /v0/switch/sw1 -> 200
# Unwiring a free node's port after its NIC's revert and deleting the
# port; the revert's record outlives the port (the engine may have ended
# it by now, or ends it in ERROR).
as admin POST /v0/switch/sw0/port/te1/0/2/detach_nic -> 200
as admin GET /v0/networking_action/${R1} -> 200 ~ {"node": "n2", "type": "revert_port"}
# Deleting a NIC drops its record.
as admin DELETE /v0/node/n2/nic/eth0 -> 200
as admin GET /v0/networking_action/${R1} -> 404 NotFoundError
as admin DELETE /v0/switch/sw0/port/te1/0/2 -> 200
