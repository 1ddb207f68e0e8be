# Projects (spec 4.1): list, create, delete, list nodes and networks.
# alice is in pa, bob in pz.

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
user bob bob-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200

# --- list_projects: admin only; sorted labels, [] when none.
as admin GET /v0/projects -> 200 []
as admin PUT /v0/project/pz -> 200
as admin PUT /v0/project/pa -> 200
as admin PUT /v0/project/PM -> 200
as admin PUT /v0/project/pm -> 200
as admin GET /v0/projects -> 200 ["PM", "pa", "pm", "pz"]
as admin POST /v0/auth/basic/user/alice/add_project {"project": "pa"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "pz"} -> 200
as alice GET /v0/projects -> 403 AuthorizationError
as bob GET /v0/projects -> 403 AuthorizationError
as anon GET /v0/projects -> 401 AuthorizationError

# --- project_create: admin (403) -> label unused (409).
as admin PUT /v0/project/pa -> 409 DuplicateError
as admin PUT /v0/project/pa {} -> 409 DuplicateError
as alice PUT /v0/project/pa -> 403 AuthorizationError
as alice PUT /v0/project/new -> 403 AuthorizationError
as bob PUT /v0/project/new -> 403 AuthorizationError
as anon PUT /v0/project/pa -> 401 AuthorizationError
as anon PUT /v0/project/new -> 401 AuthorizationError
as admin PUT /v0/project/pa {"x": 1} -> 400 ValidationError
as anon PUT /v0/project/pa {"project": "pa"} -> 400 ValidationError
# Refused calls changed nothing.
as admin GET /v0/projects -> 200 ["PM", "pa", "pm", "pz"]

# --- project_delete: admin (403) -> exists (404) -> no nodes (409).
as alice DELETE /v0/project/nosuch -> 403 AuthorizationError
as anon DELETE /v0/project/nosuch -> 401 AuthorizationError
as admin DELETE /v0/project/nosuch -> 404 NotFoundError
as alice DELETE /v0/project/pa -> 403 AuthorizationError
as bob DELETE /v0/project/pa -> 403 AuthorizationError
as anon DELETE /v0/project/pa -> 401 AuthorizationError
as admin DELETE /v0/project/pa {"x": 1} -> 400 ValidationError
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin POST /v0/project/pa/connect_node {"node": "n1"} -> 200
as admin DELETE /v0/project/pa -> 409 BlockedError
as alice DELETE /v0/project/pa -> 403 AuthorizationError
as admin POST /v0/project/pa/detach_node {"node": "n1"} -> 200
as admin DELETE /v0/project/pa -> 200
as admin DELETE /v0/project/pa -> 404 NotFoundError
as admin DELETE /v0/project/PM -> 200
as admin GET /v0/projects -> 200 ["pm", "pz"]
# Memberships go with the project...
as admin GET /v0/auth/basic/users -> 200 {"admin": {"is_admin": true, "projects": []}, \
	"alice": {"is_admin": false, "projects": []}, \
	"bob": {"is_admin": false, "projects": ["pz"]}}
# ...and a new project of the same name does not inherit them.
as admin PUT /v0/project/pa -> 200
as alice GET /v0/project/pa/nodes -> 403 AuthorizationError
as admin GET /v0/auth/basic/users -> 200 ~ {"alice": {"projects": []}}

# --- list_project_nodes: exists (404) -> project(p) (403); storage order.
as admin POST /v0/auth/basic/user/alice/add_project {"project": "pa"} -> 200
as admin PUT /v0/node/n3 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200
as alice POST /v0/project/pa/connect_node {"node": "n3"} -> 200
as alice POST /v0/project/pa/connect_node {"node": "n1"} -> 200
as alice GET /v0/project/pa/nodes -> 200 sorted ["n1", "n3"]
as admin GET /v0/project/pa/nodes -> 200 sorted ["n1", "n3"]
as bob GET /v0/project/pa/nodes -> 403 AuthorizationError
as anon GET /v0/project/pa/nodes -> 401 AuthorizationError
as bob GET /v0/project/pz/nodes -> 200 []
as alice GET /v0/project/pz/nodes -> 403 AuthorizationError
as bob GET /v0/project/nosuch/nodes -> 404 NotFoundError
as alice GET /v0/project/nosuch/nodes -> 404 NotFoundError
as admin GET /v0/project/nosuch/nodes -> 404 NotFoundError
as anon GET /v0/project/nosuch/nodes -> 401 AuthorizationError
as admin GET /v0/project/pa/nodes?x=1 -> 400 ValidationError
# A project with nodes cannot be deleted, whoever asks.
as admin DELETE /v0/project/pa -> 409 BlockedError
as alice DELETE /v0/project/pa -> 403 AuthorizationError

# --- list_project_networks: exists (404) -> project(p) (403); sorted.
# (No network exists yet: the list is empty.)
as alice GET /v0/project/pa/networks -> 200 []
as admin GET /v0/project/pa/networks -> 200 []
as bob GET /v0/project/pz/networks -> 200 []
as bob GET /v0/project/pa/networks -> 403 AuthorizationError
as anon GET /v0/project/pa/networks -> 401 AuthorizationError
as bob GET /v0/project/nosuch/networks -> 404 NotFoundError
as admin GET /v0/project/nosuch/networks -> 404 NotFoundError
as anon GET /v0/project/nosuch/networks -> 401 AuthorizationError
as admin GET /v0/project/pa/networks {} -> 400 ValidationError
