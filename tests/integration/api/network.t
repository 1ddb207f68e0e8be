# Networks (spec 4.4) and the VLAN pool allocator (spec 6).
# alice is in p1, bob in p2; the pool holds 100-102 and 200.
#conf vlans = 100-102, 200

user alice alice-pw
user bob bob-pw
set MINE {"owner": "p1", "access": "p1", "net_id": ""}
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200

# --- network_create, the five legal combinations.
# project / same project / pool: the lowest free VLAN.
as alice PUT /v0/network/a1 ${MINE} -> 200
as alice GET /v0/network/a1 -> 200 {"name": "a1", "owner": "p1", "access": ["p1"], "channels": ["vlan/native", "vlan/100"], "connected-nodes": {}}
# admin / public / pool.
as admin PUT /v0/network/pub {"owner": "admin", "access": "", "net_id": ""} -> 200
as alice GET /v0/network/pub -> 200 {"name": "pub", "owner": "admin", "access": null, "channels": ["vlan/native", "vlan/101"], "connected-nodes": {}}
# admin / project / explicit id in the pool: claimed.
as admin PUT /v0/network/prov {"owner": "admin", "access": "p2", "net_id": "200"} -> 200
as bob GET /v0/network/prov -> 200 {"name": "prov", "owner": "admin", "access": ["p2"], "channels": ["vlan/native", "vlan/200"], "connected-nodes": {}}
# admin / public / explicit id outside the pool, and again: no uniqueness.
as admin PUT /v0/network/ext1 {"owner": "admin", "access": "", "net_id": "3000"} -> 200
as admin PUT /v0/network/ext2 {"owner": "admin", "access": "p1", "net_id": "3000"} -> 200
as admin PUT /v0/network/ext3 {"owner": "admin", "access": "", "net_id": "4096"} -> 200
# admin / project / pool.
as admin PUT /v0/network/a2 {"owner": "admin", "access": "p1", "net_id": ""} -> 200
as admin GET /v0/networks -> 200 {"a1": {"network_id": "100", "projects": ["p1"]}, "pub": {"network_id": "101", "projects": null}, "prov": {"network_id": "200", "projects": ["p2"]}, "ext1": {"network_id": "3000", "projects": null}, "ext2": {"network_id": "3000", "projects": ["p1"]}, "ext3": {"network_id": "4096", "projects": null}, "a2": {"network_id": "102", "projects": ["p1"]}}

# A pooled id that is taken is refused (409), even an allocated one.
as admin PUT /v0/network/dup {"owner": "admin", "access": "", "net_id": "200"} -> 409 BlockedError
as admin PUT /v0/network/dup {"owner": "admin", "access": "", "net_id": "100"} -> 409 BlockedError
# Ids the allocator does not accept (400), whoever the owner.
as admin PUT /v0/network/dup {"owner": "admin", "access": "", "net_id": "yes"} -> 400 BadArgumentError
as admin PUT /v0/network/dup {"owner": "admin", "access": "", "net_id": "5023"} -> 400 BadArgumentError
as admin PUT /v0/network/dup {"owner": "admin", "access": "", "net_id": "-2"} -> 400 BadArgumentError
as admin PUT /v0/network/dup {"owner": "admin", "access": "", "net_id": "0"} -> 400 BadArgumentError
as admin PUT /v0/network/dup {"owner": "admin", "access": "", "net_id": "4097"} -> 400 BadArgumentError
as admin PUT /v0/network/dup {"owner": "admin", "access": "p1", "net_id": "0300"} -> 400 BadArgumentError
as admin PUT /v0/network/dup {"owner": "admin", "access": "", "net_id": " 300"} -> 400 BadArgumentError
as admin GET /v0/network/dup -> 404 NotFoundError

# The pool is empty now (100, 101, 102, 200): 500 AllocationError, as
# JSON, and nothing is left behind.
as alice PUT /v0/network/a3 ${MINE} -> 500 AllocationError has "VLAN"
as admin PUT /v0/network/a3 {"owner": "admin", "access": "", "net_id": ""} -> 500 AllocationError
as alice GET /v0/network/a3 -> 404 NotFoundError
# An explicit id outside the pool still works.
as admin PUT /v0/network/ext4 {"owner": "admin", "access": "", "net_id": "7"} -> 200
as admin DELETE /v0/network/ext4 -> 200
# Deleting returns the VLAN; the lowest free one goes first.
as admin DELETE /v0/network/a2 -> 200
as alice DELETE /v0/network/a1 -> 200
as alice PUT /v0/network/a3 ${MINE} -> 200
as alice GET /v0/network/a3 -> 200 ~ {"channels": ["vlan/native", "vlan/100"]}
as alice PUT /v0/network/a4 ${MINE} -> 200
as alice GET /v0/network/a4 -> 200 ~ {"channels": ["vlan/native", "vlan/102"]}
# A freed admin-chosen pooled id can be chosen again.
as admin DELETE /v0/network/prov -> 200
as admin PUT /v0/network/prov {"owner": "admin", "access": "p2", "net_id": "200"} -> 200
# Deleting an out-of-pool network leaves its twin alone.
as admin DELETE /v0/network/ext2 -> 200
as admin GET /v0/network/ext1 -> 200 ~ {"channels": ["vlan/native", "vlan/3000"]}

# --- network_create, the illegal combinations (400 BadArgumentError).
as alice PUT /v0/network/x {"owner": "p1", "access": "p1", "net_id": "300"} -> 400 BadArgumentError has "net_id"
as alice PUT /v0/network/x {"owner": "p1", "access": "", "net_id": ""} -> 400 BadArgumentError has "access"
as alice PUT /v0/network/x {"owner": "p1", "access": "p2", "net_id": ""} -> 400 BadArgumentError has "access"
as admin PUT /v0/network/x {"owner": "p1", "access": "p2", "net_id": ""} -> 400 BadArgumentError
as admin PUT /v0/network/x {"owner": "p1", "access": "p1", "net_id": "300"} -> 400 BadArgumentError
as admin GET /v0/network/x -> 404 NotFoundError

# --- network_create, the order of the checks.
# 1. The label is checked before the caller's rights (409 before 403).
as bob PUT /v0/network/a3 ${MINE} -> 409 DuplicateError
as bob PUT /v0/network/pub {"owner": "admin", "access": "", "net_id": ""} -> 409 DuplicateError
as admin PUT /v0/network/a3 {"owner": "admin", "access": "", "net_id": ""} -> 409 DuplicateError
# ... but authentication comes first of all (spec 1.3).
as anon PUT /v0/network/a3 ${MINE} -> 401 AuthorizationError
# 2. owner exists (404) -> project(owner) (403) -> access (400) -> id (400).
as bob PUT /v0/network/x {"owner": "nosuch", "access": "p2", "net_id": "5"} -> 404 NotFoundError
as bob PUT /v0/network/x {"owner": "p1", "access": "p2", "net_id": "5"} -> 403 AuthorizationError
as alice PUT /v0/network/x {"owner": "p1", "access": "p2", "net_id": "5"} -> 400 BadArgumentError has "access"
# 3. admin (403) -> access project exists (404) -> the id (400, 409).
as alice PUT /v0/network/x {"owner": "admin", "access": "nosuch", "net_id": "yes"} -> 403 AuthorizationError
as alice PUT /v0/network/x {"owner": "admin", "access": "", "net_id": ""} -> 403 AuthorizationError
as admin PUT /v0/network/x {"owner": "admin", "access": "nosuch", "net_id": "yes"} -> 404 NotFoundError
as admin PUT /v0/network/x {"owner": "admin", "access": "nosuch", "net_id": "100"} -> 404 NotFoundError
as admin PUT /v0/network/x {"owner": "admin", "access": "p1", "net_id": "yes"} -> 400 BadArgumentError
# Validation before everything: three string keys, all required.
as anon PUT /v0/network/x {"owner": "p1", "access": "p1"} -> 400 ValidationError
as alice PUT /v0/network/x {"owner": "p1", "access": "p1", "net_id": 5} -> 400 ValidationError
as alice PUT /v0/network/x {"owner": "p1", "access": "p1", "net_id": "", "public": true} -> 400 ValidationError
as alice PUT /v0/network/x {"owner": null, "access": "p1", "net_id": ""} -> 400 ValidationError

# --- show_network: public networks are everyone's, the others their
# list's.
as bob GET /v0/network/pub -> 200 ~ {"access": null}
as bob GET /v0/network/a3 -> 403 AuthorizationError
as anon GET /v0/network/a3 -> 401 AuthorizationError
as bob GET /v0/network/nosuch -> 404 NotFoundError
as anon GET /v0/network/nosuch -> 401 AuthorizationError
as admin GET /v0/network/a3 -> 200 {"name": "a3", "owner": "p1", "access": ["p1"], "channels": ["vlan/native", "vlan/100"], "connected-nodes": {}}
as alice GET /v0/network/prov -> 403 AuthorizationError
# GET takes no body.
as alice GET /v0/network/a3 {"x": 1} -> 400 ValidationError

# --- list_networks: admins see all, the others the public ones.
as alice GET /v0/networks -> 200 {"pub": {"network_id": "101", "projects": null}, "ext1": {"network_id": "3000", "projects": null}, "ext3": {"network_id": "4096", "projects": null}}
as bob GET /v0/networks -> 200 {"pub": {"network_id": "101", "projects": null}, "ext1": {"network_id": "3000", "projects": null}, "ext3": {"network_id": "4096", "projects": null}}
as anon GET /v0/networks -> 401 AuthorizationError

# --- network_grant_project_access: network (404) -> project (404) ->
# project(owner) (403) -> not on the list yet (409).
as bob PUT /v0/network/nosuch/access/nosuch -> 404 NotFoundError
as bob PUT /v0/network/a3/access/nosuch -> 404 NotFoundError
as bob PUT /v0/network/a3/access/p2 -> 403 AuthorizationError
as anon PUT /v0/network/a3/access/p2 -> 401 AuthorizationError
as alice PUT /v0/network/a3/access/p1 -> 409 DuplicateError
as alice PUT /v0/network/a3/access/p2 -> 200
as alice PUT /v0/network/a3/access/p2 -> 409 DuplicateError
# The list keeps grant order; list_networks sorts it.
as admin PUT /v0/project/p0 -> 200
as alice PUT /v0/network/a3/access/p0 -> 200
as bob GET /v0/network/a3 -> 200 ~ {"access": ["p1", "p2", "p0"]}
as admin GET /v0/networks -> 200 ~ {"a3": {"network_id": "100", "projects": ["p0", "p1", "p2"]}}
# A granted project sees the network.
as bob GET /v0/project/p2/networks -> 200 ["a3", "prov"]
as alice GET /v0/project/p1/networks -> 200 ["a3", "a4"]
# Admin-owned networks are granted by admins only.
as alice PUT /v0/network/pub/access/p1 -> 403 AuthorizationError
as bob PUT /v0/network/prov/access/p1 -> 403 AuthorizationError
# Granting on a public network restricts it.
as admin PUT /v0/network/pub/access/p1 -> 200
as bob GET /v0/network/pub -> 403 AuthorizationError
as alice GET /v0/network/pub -> 200 ~ {"access": ["p1"]}
as bob GET /v0/networks -> 200 {"ext1": {"network_id": "3000", "projects": null}, "ext3": {"network_id": "4096", "projects": null}}

# --- network_revoke_project_access: network (404) -> project (404) ->
# rights when the list is not empty (403) -> on the list (404) -> not the
# owner (409).
as bob DELETE /v0/network/nosuch/access/p2 -> 404 NotFoundError
as bob DELETE /v0/network/a3/access/nosuch -> 404 NotFoundError
as anon DELETE /v0/network/a3/access/p2 -> 401 AuthorizationError
# bob may remove his own project, not another one.
as bob DELETE /v0/network/a3/access/p0 -> 403 AuthorizationError
as bob DELETE /v0/network/a3/access/p1 -> 403 AuthorizationError
# Rights come before the list: p2 is not on a4's list, bob is no owner.
as bob DELETE /v0/network/a4/access/p2 -> 403 AuthorizationError
as alice DELETE /v0/network/a4/access/p2 -> 404 NotFoundError
as bob DELETE /v0/network/a3/access/p2 -> 200
as bob DELETE /v0/network/a3/access/p2 -> 403 AuthorizationError
as alice DELETE /v0/network/a3/access/p2 -> 404 NotFoundError
as bob GET /v0/network/a3 -> 403 AuthorizationError
# The owner keeps its access, even against an admin.
as alice DELETE /v0/network/a3/access/p1 -> 409 BlockedError
as admin DELETE /v0/network/a3/access/p1 -> 409 BlockedError
as alice DELETE /v0/network/a3/access/p0 -> 200
as alice GET /v0/network/a3 -> 200 ~ {"access": ["p1"]}
# Removing the last project of an admin-owned network makes it public.
as alice DELETE /v0/network/prov/access/p2 -> 403 AuthorizationError
as bob DELETE /v0/network/prov/access/p2 -> 200
as alice GET /v0/network/prov -> 200 ~ {"access": null}
# On a public network nobody's rights are checked: nobody is on it.
as bob DELETE /v0/network/prov/access/p1 -> 404 NotFoundError
as admin DELETE /v0/network/pub/access/p1 -> 200
as bob GET /v0/network/pub -> 200 ~ {"access": null}

# --- list_network_attachments (the attachments themselves come from the
# engine; see networking-engine.t).  Without ?project the owner's side
# only; with it, a project on the list may see its own nodes.
as alice GET /v0/network/a3/attachments -> 200 {}
as admin GET /v0/network/a3/attachments -> 200 {}
as bob GET /v0/network/a3/attachments -> 403 AuthorizationError
as anon GET /v0/network/a3/attachments -> 401 AuthorizationError
as bob GET /v0/network/nosuch/attachments -> 404 NotFoundError
as alice GET /v0/network/pub/attachments -> 403 AuthorizationError
as admin GET /v0/network/pub/attachments -> 200 {}
as alice GET /v0/network/a3/attachments?project=nosuch -> 404 NotFoundError
as bob GET /v0/network/a3/attachments?project=nosuch -> 404 NotFoundError
as bob GET /v0/network/a3/attachments?project=p2 -> 403 AuthorizationError
as alice PUT /v0/network/a3/access/p2 -> 200
as bob GET /v0/network/a3/attachments?project=p2 -> 200 {}
as bob GET /v0/network/a3/attachments?project=p1 -> 403 AuthorizationError
as alice GET /v0/network/a3/attachments?project=p2 -> 200 {}
# Non-admins never list a public network's attachments.
as bob GET /v0/network/pub/attachments?project=p2 -> 403 AuthorizationError
as alice GET /v0/network/a3/attachments?project= -> 400 ValidationError
as alice GET /v0/network/a3/attachments?owner=p1 -> 400 ValidationError

# --- network_delete: network (404) -> project(owner) (403).
as bob DELETE /v0/network/nosuch -> 404 NotFoundError
as anon DELETE /v0/network/nosuch -> 401 AuthorizationError
as bob DELETE /v0/network/a3 -> 403 AuthorizationError
as alice DELETE /v0/network/pub -> 403 AuthorizationError
# A project that owns networks, or is on a list, stays.
as admin DELETE /v0/project/p1 -> 409 BlockedError
as admin DELETE /v0/project/p2 -> 409 BlockedError
as alice DELETE /v0/network/a3 -> 200
as alice DELETE /v0/network/a4 -> 200
as admin DELETE /v0/network/ext1 -> 200
as admin DELETE /v0/network/ext3 -> 200
as admin DELETE /v0/network/pub -> 200
as admin DELETE /v0/network/prov -> 200
as admin GET /v0/networks -> 200 {}
as alice GET /v0/project/p1/networks -> 200 []
as admin DELETE /v0/project/p1 -> 200
as admin DELETE /v0/project/p2 -> 200
# Every VLAN is free again.
as admin PUT /v0/project/p3 -> 200
as admin PUT /v0/network/b1 {"owner": "p3", "access": "p3", "net_id": ""} -> 200
as admin PUT /v0/network/b2 {"owner": "p3", "access": "p3", "net_id": ""} -> 200
as admin PUT /v0/network/b3 {"owner": "p3", "access": "p3", "net_id": ""} -> 200
as admin PUT /v0/network/b4 {"owner": "p3", "access": "p3", "net_id": ""} -> 200
as admin GET /v0/networks -> 200 {"b1": {"network_id": "100", "projects": ["p3"]}, "b2": {"network_id": "101", "projects": ["p3"]}, "b3": {"network_id": "102", "projects": ["p3"]}, "b4": {"network_id": "200", "projects": ["p3"]}}
as admin PUT /v0/network/b5 {"owner": "p3", "access": "p3", "net_id": ""} -> 500 AllocationError
