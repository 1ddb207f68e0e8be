# The OBM flag (spec 4.3, DESIGN.md section 2): PUT /node/<n>/obm
# {"enabled": bool}; node exists (404) -> project(node.project) (403; a
# free node: admin only).  A node leaves its project only with its OBM
# disabled (409 BlockedError).  alice is in p1, bob in p2.

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
user bob bob-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200

# --- Free node: admin only; enabling or disabling twice is fine.
as admin PUT /v0/node/n1/obm {"enabled": true} -> 200
as admin PUT /v0/node/n1/obm {"enabled": true} -> 200
as admin PUT /v0/node/n1/obm {"enabled": false} -> 200
as admin PUT /v0/node/n1/obm {"enabled": false} -> 200
as alice PUT /v0/node/n1/obm {"enabled": true} -> 403 AuthorizationError
as bob PUT /v0/node/n1/obm {"enabled": true} -> 403 AuthorizationError
as anon PUT /v0/node/n1/obm {"enabled": true} -> 401 AuthorizationError
# The node is looked up before the caller's rights.
as alice PUT /v0/node/nosuch/obm {"enabled": true} -> 404 NotFoundError
as admin PUT /v0/node/nosuch/obm {"enabled": true} -> 404 NotFoundError
as anon PUT /v0/node/nosuch/obm {"enabled": true} -> 401 AuthorizationError
# The body.
as admin PUT /v0/node/n1/obm -> 400 ValidationError
as admin PUT /v0/node/n1/obm {} -> 400 ValidationError
as admin PUT /v0/node/n1/obm {"enabled": "true"} -> 400 ValidationError
as admin PUT /v0/node/n1/obm {"enabled": 1} -> 400 ValidationError
as admin PUT /v0/node/n1/obm {"enabled": null} -> 400 ValidationError
as admin PUT /v0/node/n1/obm {"enabled": true, "force": true} -> 400 ValidationError
as anon PUT /v0/node/n1/obm {"enabled": "yes"} -> 400 ValidationError
as admin PUT /v0/node/n1/obm [true] -> 400 ValidationError

# --- Allocated node: its project's members and admins.
as alice POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as alice PUT /v0/node/n1/obm {"enabled": true} -> 200
as bob PUT /v0/node/n1/obm {"enabled": false} -> 403 AuthorizationError
as anon PUT /v0/node/n1/obm {"enabled": false} -> 401 AuthorizationError
# Detaching is blocked while the OBM is enabled, for members and admins.
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 409 BlockedError
as admin POST /v0/project/p1/detach_node {"node": "n1"} -> 409 BlockedError
as admin GET /v0/project/p1/nodes -> 200 ["n1"]
as alice GET /v0/node/n1 -> 200 ~ {"project": "p1"}
# The OBM state is not part of show_node.
as admin GET /v0/node/n1 -> 200 {"name": "n1", "project": "p1", "nics": [], "metadata": {}} !has "obm-pw"
as admin PUT /v0/node/n1/obm {"enabled": false} -> 200
as admin PUT /v0/node/n1/obm {"enabled": true} -> 200
as alice PUT /v0/node/n1/obm {"enabled": false} -> 200
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 200
as admin GET /v0/project/p1/nodes -> 200 []
# Free again: admin only.
as alice PUT /v0/node/n1/obm {"enabled": true} -> 403 AuthorizationError
# A node with OBM enabled cannot be grabbed away, and its membership is
# checked before its OBM: detaching from the wrong project is a 404.
as bob POST /v0/project/p2/connect_node {"node": "n2"} -> 200
as bob PUT /v0/node/n2/obm {"enabled": true} -> 200
as alice POST /v0/project/p1/detach_node {"node": "n2"} -> 404 NotFoundError
as admin POST /v0/project/p1/detach_node {"node": "n2"} -> 404 NotFoundError
as alice POST /v0/project/p1/connect_node {"node": "n2"} -> 409 BlockedError
as bob POST /v0/project/p2/detach_node {"node": "n2"} -> 409 BlockedError
as bob PUT /v0/node/n2/obm {"enabled": false} -> 200
as bob POST /v0/project/p2/detach_node {"node": "n2"} -> 200
# A re-attached node starts with the flag as it was left (disabled).
as alice POST /v0/project/p1/connect_node {"node": "n2"} -> 200
as alice POST /v0/project/p1/detach_node {"node": "n2"} -> 200
