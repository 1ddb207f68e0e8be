# Nodes (spec 4.2, DESIGN.md section 2): register with the "obm" shape
# (an OBM plugin and its settings) or the original "obmd" shape, show,
# list, delete.  OBM secrets are never returned.  alice is in p1, bob in p2.

set OBM {"type": "mock", "host": "bmc-1", "user": "root", "password": "s3cret-obm-pw"}
set OBMD {"uri": "https://obmd.example.com/node/n2", "admin_token": "s3cret-obmd-token"}
user alice alice-pw
user bob bob-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200

# --- node_register: admin (403) -> label unused (409).
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin GET /v0/node/n1 -> 200 {"name": "n1", "project": null, "nics": [], "metadata": {}} \
	!has "s3cret-obm-pw"
as admin PUT /v0/node/n2 {"obmd": ${OBMD}} -> 200
as admin GET /v0/node/n2 -> 200 {"name": "n2", "project": null, "nics": [], "metadata": {}} \
	!has "s3cret-obmd-token"
as admin PUT /v0/node/n3 {"obmd": {"uri": "http://127.0.0.1:9/node/n3", "admin_token": "t"}} -> 200
as admin PUT /v0/node/n4 {"obm": ${OBM}, "metadata": {"pk": "ssh-rsa AAAA", "rack": 4, \
	"tags": ["a", "b"], "none": null, "nested": {"a": 1}}} -> 200
as admin GET /v0/node/n4 -> 200 {"name": "n4", "project": null, "nics": [], "metadata": \
	{"pk": "\"ssh-rsa AAAA\"", "rack": "4", "tags": "[\"a\", \"b\"]", "none": "null", \
	 "nested": "{\"a\": 1}"}}
as admin PUT /v0/node/n5 {"obm": ${OBM}, "metadata": {}} -> 200
as admin GET /v0/node/n5 -> 200 {"name": "n5", "project": null, "nics": [], "metadata": {}}
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 409 DuplicateError
as admin PUT /v0/node/n1 {"obmd": ${OBMD}} -> 409 DuplicateError
as alice PUT /v0/node/n1 {"obm": ${OBM}} -> 403 AuthorizationError
as alice PUT /v0/node/nx {"obm": ${OBM}} -> 403 AuthorizationError
as bob PUT /v0/node/nx {"obmd": ${OBMD}} -> 403 AuthorizationError
as anon PUT /v0/node/nx {"obm": ${OBM}} -> 401 AuthorizationError
as anon PUT /v0/node/n1 {"obm": ${OBM}} -> 401 AuthorizationError

# The body: exactly one of "obm" and "obmd", and nothing else but
# "metadata" (an object).
as admin PUT /v0/node/nx -> 400 ValidationError
as admin PUT /v0/node/nx {} -> 400 ValidationError
as admin PUT /v0/node/nx {"metadata": {}} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "obmd": ${OBMD}} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "color": "red"} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "node": "nx"} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": "mock"} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": null} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ["mock"]} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "metadata": []} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "metadata": "pk"} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "metadata": null} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "metadata": 5} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "metadata": {"a/b": 1}} -> 400 ValidationError
as admin PUT /v0/node/nx {"obm": ${OBM}, "metadata": {"": 1}} -> 400 ValidationError
# "obm": the type names a loaded OBM plugin (400 BadArgumentError
# otherwise) and the rest are exactly its settings, of their types.
as admin PUT /v0/node/nx {"obm": {"host": "h", "user": "u", "password": "p"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": 5, "host": "h", "user": "u", "password": "p"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": null, "host": "h", "user": "u", "password": "p"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "ipmi", "host": "h", "user": "u", "password": "p"}} -> 400 BadArgumentError
as admin PUT /v0/node/nx {"obm": {"type": "nosuch", "host": "h", "user": "u", "password": "p"}} -> 400 BadArgumentError
as admin PUT /v0/node/nx {"obm": {"type": "", "host": "h", "user": "u", "password": "p"}} -> 400 BadArgumentError
as admin PUT /v0/node/nx {"obm": {"type": "../obm/mock", "host": "h", "user": "u", "password": "p"}} -> 400 BadArgumentError
as admin PUT /v0/node/nx {"obm": {"type": "mock", "user": "u", "password": "p"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "mock", "host": "h", "password": "p"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "mock", "host": "h", "user": "u"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "mock"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "mock", "host": "h", "user": "u", "password": "p", "port": "623"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "mock", "host": 5, "user": "u", "password": "p"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "mock", "host": "h", "user": null, "password": "p"}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "mock", "host": "h", "user": "u", "password": true}} -> 400
as admin PUT /v0/node/nx {"obm": {"type": "mock", "host": ["h"], "user": "u", "password": "p"}} -> 400
# "obmd": exactly "uri" (http or https) and "admin_token", both strings.
as admin PUT /v0/node/nx {"obmd": {"uri": "ftp://obmd/node/nx", "admin_token": "t"}} -> 400
as admin PUT /v0/node/nx {"obmd": {"uri": "file:///etc/passwd", "admin_token": "t"}} -> 400
as admin PUT /v0/node/nx {"obmd": {"uri": "obmd.example.com/node/nx", "admin_token": "t"}} -> 400
as admin PUT /v0/node/nx {"obmd": {"uri": "", "admin_token": "t"}} -> 400
as admin PUT /v0/node/nx {"obmd": {"uri": "https://obmd/node/nx"}} -> 400
as admin PUT /v0/node/nx {"obmd": {"admin_token": "t"}} -> 400
as admin PUT /v0/node/nx {"obmd": {}} -> 400
as admin PUT /v0/node/nx {"obmd": {"uri": "https://obmd/node/nx", "admin_token": "t", "x": 1}} -> 400
as admin PUT /v0/node/nx {"obmd": {"uri": 5, "admin_token": "t"}} -> 400
as admin PUT /v0/node/nx {"obmd": {"uri": "https://obmd/node/nx", "admin_token": null}} -> 400
as admin PUT /v0/node/nx {"obmd": "https://obmd/node/nx"} -> 400
# None of the refused calls made a node.
as admin GET /v0/nodes/all -> 200 ["n1", "n2", "n3", "n4", "n5"]
as admin GET /v0/node/nx -> 404 NotFoundError
# The obmd body is part of the schema in the spec (1.2, 4.2): it is
# checked before authentication and before the duplicate check.
as anon PUT /v0/node/nx {"obmd": {"uri": "ftp://obmd/node/nx", "admin_token": "t"}} -> 400
as alice PUT /v0/node/nx {"obmd": {"uri": "https://obmd/node/nx"}} -> 400
as admin PUT /v0/node/n1 {"obmd": {"uri": "ftp://obmd/node/n1", "admin_token": "t"}} -> 400
as anon PUT /v0/node/nx {"obm": ${OBM}, "metadata": []} -> 400 ValidationError
as anon PUT /v0/node/nx {} -> 400 ValidationError

# --- show_node: exists (404) -> project(node.project) (403) when the node
# is allocated; a free node is visible to any authenticated caller.
# NICs in storage order; "port" and "switch" only for admins.
as admin PUT /v0/node/n1/nic/ethB {"macaddr": "aa:bb:cc:dd:ee:02"} -> 200
as admin PUT /v0/node/n1/nic/ethA {"macaddr": "aa:bb:cc:dd:ee:01"} -> 200
as admin GET /v0/node/n1 -> 200 {"name": "n1", "project": null, "metadata": {}, "nics": [ \
	{"label": "ethB", "macaddr": "aa:bb:cc:dd:ee:02", "networks": {}, "port": null, "switch": null}, \
	{"label": "ethA", "macaddr": "aa:bb:cc:dd:ee:01", "networks": {}, "port": null, "switch": null}]} \
	hdr "Content-Type" "application/json"
as alice GET /v0/node/n1 -> 200 {"name": "n1", "project": null, "metadata": {}, "nics": [ \
	{"label": "ethB", "macaddr": "aa:bb:cc:dd:ee:02", "networks": {}}, \
	{"label": "ethA", "macaddr": "aa:bb:cc:dd:ee:01", "networks": {}}]}
as bob GET /v0/node/n1 -> 200 ~ {"name": "n1", "project": null}
as anon GET /v0/node/n1 -> 401 AuthorizationError
as alice GET /v0/node/nosuch -> 404 NotFoundError
as admin GET /v0/node/nosuch -> 404 NotFoundError
as anon GET /v0/node/nosuch -> 401 AuthorizationError
as alice POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as alice GET /v0/node/n1 -> 200 {"name": "n1", "project": "p1", "metadata": {}, "nics": [ \
	{"label": "ethB", "macaddr": "aa:bb:cc:dd:ee:02", "networks": {}}, \
	{"label": "ethA", "macaddr": "aa:bb:cc:dd:ee:01", "networks": {}}]} !has "s3cret"
as admin GET /v0/node/n1 -> 200 {"name": "n1", "project": "p1", "metadata": {}, "nics": [ \
	{"label": "ethB", "macaddr": "aa:bb:cc:dd:ee:02", "networks": {}, "port": null, "switch": null}, \
	{"label": "ethA", "macaddr": "aa:bb:cc:dd:ee:01", "networks": {}, "port": null, "switch": null}]}
as bob GET /v0/node/n1 -> 403 AuthorizationError
as bob GET /v0/node/nosuch -> 404 NotFoundError
as anon GET /v0/node/n1 -> 401 AuthorizationError
as bob GET /v0/node/n4 -> 200 ~ {"name": "n4", "metadata": {"rack": "4"}}

# --- list_nodes: authenticated; "free" lists free nodes, anything else
# every node [quirk]; sorted.
as admin PUT /v0/node/A9 {"obm": ${OBM}} -> 200
as alice GET /v0/nodes/free -> 200 ["A9", "n2", "n3", "n4", "n5"]
as alice GET /v0/nodes/all -> 200 ["A9", "n1", "n2", "n3", "n4", "n5"]
as alice GET /v0/nodes/anything -> 200 ["A9", "n1", "n2", "n3", "n4", "n5"]
as alice GET /v0/nodes/FREE -> 200 ["A9", "n1", "n2", "n3", "n4", "n5"]
as bob GET /v0/nodes/free -> 200 ["A9", "n2", "n3", "n4", "n5"]
as admin GET /v0/nodes/free -> 200 ["A9", "n2", "n3", "n4", "n5"]
as anon GET /v0/nodes/free -> 401 AuthorizationError
as anon GET /v0/nodes/all -> 401 AuthorizationError
as alice GET /v0/nodes/free {} -> 400 ValidationError

# --- node_delete: admin (403) -> exists (404) -> free (409) -> no NICs (409).
as alice DELETE /v0/node/n2 -> 403 AuthorizationError
as alice DELETE /v0/node/nosuch -> 403 AuthorizationError
as bob DELETE /v0/node/n1 -> 403 AuthorizationError
as anon DELETE /v0/node/nosuch -> 401 AuthorizationError
as admin DELETE /v0/node/nosuch -> 404 NotFoundError
as admin DELETE /v0/node/n1 -> 409 BlockedError
as alice DELETE /v0/node/n1 -> 403 AuthorizationError
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 200
as admin DELETE /v0/node/n1 -> 409 BlockedError
as admin DELETE /v0/node/n1/nic/ethA -> 200
as admin DELETE /v0/node/n1 -> 409 BlockedError
as admin DELETE /v0/node/n1/nic/ethB -> 200
as admin DELETE /v0/node/n1 -> 200
as admin GET /v0/node/n1 -> 404 NotFoundError
as admin DELETE /v0/node/n1 -> 404 NotFoundError
# Allocated, without NICs: still blocked.
as admin POST /v0/project/p2/connect_node {"node": "n5"} -> 200
as admin DELETE /v0/node/n5 -> 409 BlockedError
as admin GET /v0/project/p2/nodes -> 200 ["n5"]
# The node's metadata goes with it (DESIGN.md section 2).
as admin DELETE /v0/node/n4 -> 200
as admin PUT /v0/node/n4 {"obm": ${OBM}} -> 200
as admin GET /v0/node/n4 -> 200 {"name": "n4", "project": null, "nics": [], "metadata": {}}
# A deleted node's name is free again, NICs and all.
as admin PUT /v0/node/n1 {"obmd": ${OBMD}} -> 200
as admin GET /v0/node/n1 -> 200 {"name": "n1", "project": null, "nics": [], "metadata": {}}
as admin PUT /v0/node/n1/nic/ethA {"macaddr": "m"} -> 200
as admin GET /v0/nodes/all -> 200 ["A9", "n1", "n2", "n3", "n4", "n5"]
as admin GET /v0/nodes/free -> 200 ["A9", "n1", "n2", "n3", "n4"]
