# Moving nodes in and out of projects (spec 4.1).
# connect_node: project exists (404) -> project(p) (403) -> node exists
# (404) -> node free (409 BlockedError).  detach_node: project exists ->
# project(p) -> node exists -> node in this project (404) -> OBM disabled
# (409) -> no network attachments / pending actions (409).
# alice is in p1, bob in p2, carol in both.

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
user bob bob-pw
user carol carol-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/auth/basic/user/carol {"password": "carol-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200
as admin POST /v0/auth/basic/user/carol/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/carol/add_project {"project": "p2"} -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n3 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n4 {"obm": ${OBM}} -> 200

# --- project_connect_node: any member may take any free node.
as alice POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as alice GET /v0/project/p1/nodes -> 200 ["n1"]
as admin GET /v0/node/n1 -> 200 ~ {"project": "p1"}
as alice GET /v0/nodes/free -> 200 ["n2", "n3", "n4"]
as alice POST /v0/project/p1/connect_node {"node": "n1"} -> 409 BlockedError
as bob POST /v0/project/p2/connect_node {"node": "n1"} -> 409 BlockedError
as admin POST /v0/project/p2/connect_node {"node": "n1"} -> 409 BlockedError
as bob POST /v0/project/p1/connect_node {"node": "n2"} -> 403 AuthorizationError
as bob POST /v0/project/p1/connect_node {"node": "n1"} -> 403 AuthorizationError
as bob POST /v0/project/p1/connect_node {"node": "nosuch"} -> 403 AuthorizationError
as bob POST /v0/project/nosuch/connect_node {"node": "n2"} -> 404 NotFoundError
as bob POST /v0/project/nosuch/connect_node {"node": "nosuch"} -> 404 NotFoundError
as alice POST /v0/project/p1/connect_node {"node": "nosuch"} -> 404 NotFoundError
as admin POST /v0/project/nosuch/connect_node {"node": "n2"} -> 404 NotFoundError
as anon POST /v0/project/p1/connect_node {"node": "n2"} -> 401 AuthorizationError
as anon POST /v0/project/nosuch/connect_node {"node": "nosuch"} -> 401 AuthorizationError
as admin POST /v0/project/p2/connect_node {"node": "n2"} -> 200
as bob GET /v0/project/p2/nodes -> 200 ["n2"]
as carol POST /v0/project/p1/connect_node {"node": "n3"} -> 200
as carol POST /v0/project/p2/connect_node {"node": "n4"} -> 200
as carol GET /v0/project/p1/nodes -> 200 sorted ["n1", "n3"]
as carol GET /v0/project/p2/nodes -> 200 sorted ["n2", "n4"]
as admin GET /v0/nodes/free -> 200 []
# Only the project's members (and admins) see an allocated node.
as bob GET /v0/node/n1 -> 403 AuthorizationError
as carol GET /v0/node/n1 -> 200 ~ {"name": "n1", "project": "p1"}
# Validation comes first.
as alice POST /v0/project/p1/connect_node {"node": 1} -> 400 ValidationError
as alice POST /v0/project/p1/connect_node {} -> 400 ValidationError
as bob POST /v0/project/nosuch/connect_node {"nodes": ["n2"]} -> 400 ValidationError

# --- project_detach_node
as bob POST /v0/project/p1/detach_node {"node": "n1"} -> 403 AuthorizationError
as bob POST /v0/project/p1/detach_node {"node": "nosuch"} -> 403 AuthorizationError
as bob POST /v0/project/nosuch/detach_node {"node": "n1"} -> 404 NotFoundError
as anon POST /v0/project/p1/detach_node {"node": "n1"} -> 401 AuthorizationError
as alice POST /v0/project/p1/detach_node {"node": "nosuch"} -> 404 NotFoundError
# A node of another project, and a free node, are not in this project.
as alice POST /v0/project/p1/detach_node {"node": "n2"} -> 404 NotFoundError
as admin POST /v0/project/p1/detach_node {"node": "n2"} -> 404 NotFoundError
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 200
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 404 NotFoundError
as alice GET /v0/project/p1/nodes -> 200 ["n3"]
as alice GET /v0/nodes/free -> 200 ["n1"]
as bob GET /v0/node/n1 -> 200 ~ {"name": "n1", "project": null}
as admin POST /v0/project/p2/detach_node {"node": "n2"} -> 200
as carol POST /v0/project/p2/detach_node {"node": "n4"} -> 200
as bob GET /v0/project/p2/nodes -> 200 []
as alice POST /v0/project/p1/detach_node {"node": 5} -> 400 ValidationError
as alice POST /v0/project/p1/detach_node {"node": "n3", "force": true} -> 400 ValidationError
as anon POST /v0/project/p1/detach_node {} -> 400 ValidationError
# A detached node can be taken by another project.
as bob POST /v0/project/p2/connect_node {"node": "n1"} -> 200
as admin GET /v0/node/n1 -> 200 ~ {"project": "p2"}
as alice GET /v0/node/n1 -> 403 AuthorizationError
as admin GET /v0/nodes/free -> 200 ["n2", "n4"]
