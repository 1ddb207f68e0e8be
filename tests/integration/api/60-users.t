# Local users (spec 4.9): admin only, the admin check before any existence
# check.  Created users authenticate at once; passwords are never returned.

user alice alice-pw
user bob bob-pw
user root2 root2-pw
cred alice-wrong alice bob-pw

# --- list
as admin GET /v0/auth/basic/users -> 200 {"admin": {"is_admin": true, "projects": []}}
as anon GET /v0/auth/basic/users -> 401 AuthorizationError

# --- create: admin (403) -> label unused (409).
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw", "is_admin": false} -> 200
as admin PUT /v0/auth/basic/user/root2 {"password": "root2-pw", "is_admin": true} -> 200
as admin PUT /v0/auth/basic/user/alice {"password": "other"} -> 409 DuplicateError
as admin PUT /v0/auth/basic/user/admin {"password": "other"} -> 409 DuplicateError
as alice PUT /v0/auth/basic/user/alice {"password": "x"} -> 403 AuthorizationError
as alice PUT /v0/auth/basic/user/eve {"password": "x"} -> 403 AuthorizationError
as alice PUT /v0/auth/basic/user/eve {"password": "x", "is_admin": true} -> 403 AuthorizationError
as anon PUT /v0/auth/basic/user/eve {"password": "x"} -> 401 AuthorizationError
as admin PUT /v0/auth/basic/user/eve -> 400 ValidationError
as admin PUT /v0/auth/basic/user/eve {} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/eve {"is_admin": true} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/eve {"password": null} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/eve {"password": "x", "is-admin": true} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/eve {"password": "x", "is_admin": "true"} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/eve {"password": "x", "user": "eve"} -> 400 ValidationError
as anon PUT /v0/auth/basic/user/eve {"pass": "x"} -> 400 ValidationError
as admin GET /v0/auth/basic/users -> 200 {"admin": {"is_admin": true, "projects": []}, \
	"alice": {"is_admin": false, "projects": []}, \
	"bob": {"is_admin": false, "projects": []}, \
	"root2": {"is_admin": true, "projects": []}} \
	!has "alice-pw" !has "root2-pw" !has "$6$" !has "$y$" !has "hash"
# They can authenticate, with their own rights.
as alice GET /v0/nodes/all -> 200 []
as alice-wrong GET /v0/nodes/all -> 401 AuthorizationError
as alice GET /v0/projects -> 403 AuthorizationError
as root2 GET /v0/projects -> 200 []
as root2 PUT /v0/project/zeta -> 200
as root2 PUT /v0/project/alpha -> 200
as alice GET /v0/auth/basic/users -> 403 AuthorizationError
as bob GET /v0/auth/basic/users -> 403 AuthorizationError

# --- add_project: admin (403) -> user (404) -> project (404) -> not yet a
# member (409 DuplicateError).
as admin POST /v0/auth/basic/user/alice/add_project {"project": "zeta"} -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "zeta"} -> 409 DuplicateError
as admin POST /v0/auth/basic/user/alice/add_project {"project": "alpha"} -> 200
as admin POST /v0/auth/basic/user/nosuch/add_project {"project": "zeta"} -> 404 NotFoundError
as admin POST /v0/auth/basic/user/alice/add_project {"project": "nosuch"} -> 404 NotFoundError
as admin POST /v0/auth/basic/user/nosuch/add_project {"project": "nosuch"} -> 404 NotFoundError
as alice POST /v0/auth/basic/user/alice/add_project {"project": "zeta"} -> 403 AuthorizationError
as bob POST /v0/auth/basic/user/bob/add_project {"project": "zeta"} -> 403 AuthorizationError
as bob POST /v0/auth/basic/user/nosuch/add_project {"project": "nosuch"} -> 403 AuthorizationError
as anon POST /v0/auth/basic/user/bob/add_project {"project": "zeta"} -> 401 AuthorizationError
as admin POST /v0/auth/basic/user/bob/add_project -> 400 ValidationError
as admin POST /v0/auth/basic/user/bob/add_project {} -> 400 ValidationError
as admin POST /v0/auth/basic/user/bob/add_project {"project": 1} -> 400 ValidationError
as admin POST /v0/auth/basic/user/bob/add_project {"project": ["zeta"]} -> 400 ValidationError
as admin POST /v0/auth/basic/user/bob/add_project {"project": "zeta", "user": "bob"} -> 400 ValidationError
as admin GET /v0/auth/basic/users -> 200 ~ {"alice": {"is_admin": false, "projects": ["alpha", "zeta"]}, \
	"bob": {"projects": []}}
# Membership counts at once.
as alice GET /v0/project/zeta/nodes -> 200 []
as bob GET /v0/project/zeta/nodes -> 403 AuthorizationError

# --- remove_project: admin (403) -> user (404) -> project (404) -> a
# member (404).
as admin POST /v0/auth/basic/user/alice/remove_project {"project": "alpha"} -> 200
as admin POST /v0/auth/basic/user/alice/remove_project {"project": "alpha"} -> 404 NotFoundError
as admin POST /v0/auth/basic/user/bob/remove_project {"project": "zeta"} -> 404 NotFoundError
as admin POST /v0/auth/basic/user/nosuch/remove_project {"project": "zeta"} -> 404 NotFoundError
as admin POST /v0/auth/basic/user/alice/remove_project {"project": "nosuch"} -> 404 NotFoundError
as alice POST /v0/auth/basic/user/alice/remove_project {"project": "zeta"} -> 403 AuthorizationError
as bob POST /v0/auth/basic/user/nosuch/remove_project {"project": "nosuch"} -> 403 AuthorizationError
as anon POST /v0/auth/basic/user/alice/remove_project {"project": "zeta"} -> 401 AuthorizationError
as admin POST /v0/auth/basic/user/alice/remove_project {} -> 400 ValidationError
as admin POST /v0/auth/basic/user/alice/remove_project {"project": true} -> 400 ValidationError
as alice GET /v0/project/alpha/nodes -> 403 AuthorizationError
as alice GET /v0/project/zeta/nodes -> 200 []
as admin GET /v0/auth/basic/users -> 200 ~ {"alice": {"projects": ["zeta"]}}

# --- set admin (PATCH): admin (403) -> user (404) -> not the caller (409
# IllegalStateError, whatever the value).
as admin PATCH /v0/auth/basic/user/alice {"is_admin": true} -> 200
as alice GET /v0/projects -> 200 ["alpha", "zeta"]
as alice PATCH /v0/auth/basic/user/alice {"is_admin": false} -> 409 IllegalStateError
as admin PATCH /v0/auth/basic/user/admin {"is_admin": false} -> 409 IllegalStateError
as admin PATCH /v0/auth/basic/user/admin {"is_admin": true} -> 409 IllegalStateError
as alice GET /v0/projects -> 200 ["alpha", "zeta"]
as root2 PATCH /v0/auth/basic/user/alice {"is_admin": false} -> 200
as alice GET /v0/projects -> 403 AuthorizationError
as admin PATCH /v0/auth/basic/user/nosuch {"is_admin": true} -> 404 NotFoundError
as bob PATCH /v0/auth/basic/user/bob {"is_admin": true} -> 403 AuthorizationError
as bob PATCH /v0/auth/basic/user/nosuch {"is_admin": true} -> 403 AuthorizationError
as anon PATCH /v0/auth/basic/user/bob {"is_admin": true} -> 401 AuthorizationError
as admin PATCH /v0/auth/basic/user/bob -> 400 ValidationError
as admin PATCH /v0/auth/basic/user/bob {} -> 400 ValidationError
as admin PATCH /v0/auth/basic/user/bob {"is_admin": "true"} -> 400 ValidationError
as admin PATCH /v0/auth/basic/user/bob {"is_admin": true, "password": "x"} -> 400 ValidationError
as admin GET /v0/auth/basic/users -> 200 {"admin": {"is_admin": true, "projects": []}, \
	"alice": {"is_admin": false, "projects": ["zeta"]}, \
	"bob": {"is_admin": false, "projects": []}, \
	"root2": {"is_admin": true, "projects": []}}

# --- delete: admin (403) -> exists (404).
as alice DELETE /v0/auth/basic/user/bob -> 403 AuthorizationError
as alice DELETE /v0/auth/basic/user/nosuch -> 403 AuthorizationError
as anon DELETE /v0/auth/basic/user/bob -> 401 AuthorizationError
as admin DELETE /v0/auth/basic/user/nosuch -> 404 NotFoundError
as admin DELETE /v0/auth/basic/user/bob {"x": 1} -> 400 ValidationError
as bob GET /v0/nodes/all -> 200 []
as admin DELETE /v0/auth/basic/user/bob -> 200
as bob GET /v0/nodes/all -> 401 AuthorizationError
as admin DELETE /v0/auth/basic/user/bob -> 404 NotFoundError
# A member's memberships go with it; its projects stay.
as admin DELETE /v0/auth/basic/user/alice -> 200
as alice GET /v0/project/zeta/nodes -> 401 AuthorizationError
as admin GET /v0/projects -> 200 ["alpha", "zeta"]
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as alice GET /v0/project/zeta/nodes -> 403 AuthorizationError
as admin GET /v0/auth/basic/users -> 200 {"admin": {"is_admin": true, "projects": []}, \
	"alice": {"is_admin": false, "projects": []}, \
	"root2": {"is_admin": true, "projects": []}}
