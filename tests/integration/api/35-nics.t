# NICs (spec 4.2): register (admin -> node exists -> label unused on that
# node) and delete (admin -> node exists -> NIC on that node -> node free).
# alice is in p1.

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n3 {"obm": ${OBM}} -> 200

# --- node_register_nic
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:bb:cc:00:00:01"} -> 200
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:bb:cc:00:00:09"} -> 409 DuplicateError
as admin PUT /v0/node/n2/nic/eth0 {"macaddr": "aa:bb:cc:00:00:02"} -> 200
as admin PUT /v0/node/nosuch/nic/eth0 {"macaddr": "aa"} -> 404 NotFoundError
as alice PUT /v0/node/nosuch/nic/eth0 {"macaddr": "aa"} -> 403 AuthorizationError
as alice PUT /v0/node/n1/nic/eth0 {"macaddr": "aa"} -> 403 AuthorizationError
as alice PUT /v0/node/n1/nic/eth9 {"macaddr": "aa"} -> 403 AuthorizationError
as anon PUT /v0/node/n1/nic/eth9 {"macaddr": "aa"} -> 401 AuthorizationError
as anon PUT /v0/node/nosuch/nic/eth9 {"macaddr": "aa"} -> 401 AuthorizationError
as admin PUT /v0/node/n1/nic/eth1 -> 400 ValidationError
as admin PUT /v0/node/n1/nic/eth1 {} -> 400 ValidationError
as admin PUT /v0/node/n1/nic/eth1 {"macaddr": null} -> 400 ValidationError
as admin PUT /v0/node/n1/nic/eth1 {"macaddr": ["aa"]} -> 400 ValidationError
as admin PUT /v0/node/n1/nic/eth1 {"macaddr": "aa", "port": "gi1/0/1"} -> 400 ValidationError
as admin PUT /v0/node/nosuch/nic/eth1 {} -> 400 ValidationError
as anon PUT /v0/node/n1/nic/eth1 {"mac": "aa"} -> 400 ValidationError
# The MAC address is free-form.
as admin PUT /v0/node/n1/nic/eth1 {"macaddr": "not a mac, (really)"} -> 200
as admin PUT /v0/node/n1/nic/eth%202 {"macaddr": ""} -> 200
# A NIC may be added to an allocated node.
as alice POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as admin PUT /v0/node/n1/nic/eth3 {"macaddr": "aa:bb:cc:00:00:03"} -> 200
as alice PUT /v0/node/n1/nic/eth4 {"macaddr": "aa"} -> 403 AuthorizationError
as alice GET /v0/node/n1 -> 200 {"name": "n1", "project": "p1", "metadata": {}, "nics": [ \
	{"label": "eth0", "macaddr": "aa:bb:cc:00:00:01", "networks": {}}, \
	{"label": "eth1", "macaddr": "not a mac, (really)", "networks": {}}, \
	{"label": "eth 2", "macaddr": "", "networks": {}}, \
	{"label": "eth3", "macaddr": "aa:bb:cc:00:00:03", "networks": {}}]}

# --- node_delete_nic
as alice DELETE /v0/node/n1/nic/eth0 -> 403 AuthorizationError
as alice DELETE /v0/node/nosuch/nic/eth0 -> 403 AuthorizationError
as anon DELETE /v0/node/n1/nic/eth0 -> 401 AuthorizationError
as anon DELETE /v0/node/nosuch/nic/eth0 -> 401 AuthorizationError
as admin DELETE /v0/node/nosuch/nic/eth0 -> 404 NotFoundError
# The NIC is looked up before the node's project is.
as admin DELETE /v0/node/n1/nic/nosuch -> 404 NotFoundError
as admin DELETE /v0/node/n1/nic/eth0 -> 409 BlockedError
# A NIC of another node is not this node's NIC.
as admin DELETE /v0/node/n3/nic/eth0 -> 404 NotFoundError
as admin DELETE /v0/node/n1/nic/eth0 {"x": 1} -> 400 ValidationError
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 200
as admin DELETE /v0/node/n1/nic/eth0 -> 200
as admin DELETE /v0/node/n1/nic/eth0 -> 404 NotFoundError
as admin DELETE /v0/node/n1/nic/eth%202 -> 200
# n2's eth0 is untouched.
as admin GET /v0/node/n2 -> 200 {"name": "n2", "project": null, "metadata": {}, "nics": [ \
	{"label": "eth0", "macaddr": "aa:bb:cc:00:00:02", "networks": {}, "port": null, "switch": null}]}
# A label deleted can be registered again; it comes last in storage order.
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "aa:bb:cc:00:00:10"} -> 200
as admin GET /v0/node/n1 -> 200 {"name": "n1", "project": null, "metadata": {}, "nics": [ \
	{"label": "eth1", "macaddr": "not a mac, (really)", "networks": {}, "port": null, "switch": null}, \
	{"label": "eth3", "macaddr": "aa:bb:cc:00:00:03", "networks": {}, "port": null, "switch": null}, \
	{"label": "eth0", "macaddr": "aa:bb:cc:00:00:10", "networks": {}, "port": null, "switch": null}]}
