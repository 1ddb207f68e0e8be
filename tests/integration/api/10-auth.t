# Authentication with local users (HTTP Basic, DESIGN.md sections 2 and 4):
# not authenticated is 401 with WWW-Authenticate, an unknown user is a 401
# and never a 404, and what the credential cache remembers never outlives
# a change to the user.

user alice alice-pw
cred alice-wrong alice alice-pw2
cred alice-case Alice alice-pw
cred nobody nobody alice-pw
cred admin-wrong admin not-the-password
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/project/p1 -> 200

# --- Who is authenticated.
as anon GET /v0/nodes/all -> 401 AuthorizationError hdr "WWW-Authenticate" "Basic"
as alice GET /v0/nodes/all -> 200 []
as admin GET /v0/nodes/all -> 200 []
as alice-wrong GET /v0/nodes/all -> 401 AuthorizationError hdr "WWW-Authenticate" "Basic"
as admin-wrong GET /v0/nodes/all -> 401 AuthorizationError
as alice-case GET /v0/nodes/all -> 401 AuthorizationError
# An unknown user is a 401 (no user enumeration), whatever the object.
as nobody GET /v0/nodes/all -> 401 AuthorizationError
as nobody GET /v0/node/nosuch -> 401 AuthorizationError
as nobody GET /v0/projects -> 401 AuthorizationError
as nobody PUT /v0/project/p1 -> 401 AuthorizationError
as nobody DELETE /v0/auth/basic/user/nosuch -> 401 AuthorizationError
# Not authenticated beats every check of the handler.
as anon GET /v0/node/nosuch -> 401 AuthorizationError
as anon DELETE /v0/project/nosuch -> 401 AuthorizationError
as anon PUT /v0/project/p1 -> 401 AuthorizationError
as alice-wrong PUT /v0/project/p1 -> 401 AuthorizationError

# --- Malformed Authorization headers are simply not authenticated.
header Authorization: Basic !!!not-base64!!!
as anon GET /v0/nodes/all -> 401 AuthorizationError
header Authorization: Basic YWxpY2U=
as anon GET /v0/nodes/all -> 401 AuthorizationError
header Authorization: Basic YWxpY2U6
as anon GET /v0/nodes/all -> 401 AuthorizationError
header Authorization: Basic
as anon GET /v0/nodes/all -> 401 AuthorizationError
header Authorization: Basic =
as anon GET /v0/nodes/all -> 401 AuthorizationError
header Authorization: Bearer YWxpY2U6YWxpY2UtcHc=
as anon GET /v0/nodes/all -> 401 AuthorizationError
header Authorization: YWxpY2U6YWxpY2UtcHc=
as anon GET /v0/nodes/all -> 401 AuthorizationError
# alice:alice-pw, spelled by hand; the scheme name is case-insensitive.
header Authorization: Basic YWxpY2U6YWxpY2UtcHc=
as anon GET /v0/nodes/all -> 200 []
header Authorization: basic YWxpY2U6YWxpY2UtcHc=
as anon GET /v0/nodes/all -> 200 []

# --- Passwords may hold colons and spaces (only the first colon splits).
as admin PUT /v0/auth/basic/user/carol {"password": "pa:ss wo:rd"} -> 200
# carol:pa:ss wo:rd
header Authorization: Basic Y2Fyb2w6cGE6c3Mgd286cmQ=
as anon GET /v0/nodes/all -> 200 []
# carol:pa:ss
header Authorization: Basic Y2Fyb2w6cGE6c3M=
as anon GET /v0/nodes/all -> 401 AuthorizationError

# --- The cache of verified credentials never outlives the user.
as alice GET /v0/nodes/all -> 200 []
as admin DELETE /v0/auth/basic/user/alice -> 200
as alice GET /v0/nodes/all -> 401 AuthorizationError
# The same name again with another password: the old one is dead.
as admin PUT /v0/auth/basic/user/alice {"password": "alice-new-pw"} -> 200
as alice GET /v0/nodes/all -> 401 AuthorizationError
user alice alice-new-pw
as alice GET /v0/nodes/all -> 200 []
# Nor does it keep the admin flag or memberships of a moment ago.
as alice GET /v0/projects -> 403 AuthorizationError
as admin PATCH /v0/auth/basic/user/alice {"is_admin": true} -> 200
as alice GET /v0/projects -> 200 ["p1"]
as admin PATCH /v0/auth/basic/user/alice {"is_admin": false} -> 200
as alice GET /v0/projects -> 403 AuthorizationError
as alice GET /v0/project/p1/nodes -> 403 AuthorizationError
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as alice GET /v0/project/p1/nodes -> 200 []
as admin POST /v0/auth/basic/user/alice/remove_project {"project": "p1"} -> 200
as alice GET /v0/project/p1/nodes -> 403 AuthorizationError
# A wrong password after a right one is still wrong.
as alice GET /v0/nodes/all -> 200 []
as alice-wrong GET /v0/nodes/all -> 401 AuthorizationError
as alice GET /v0/nodes/all -> 200 []
