# require_authentication = no: an anonymous caller gets past the
# authentication step as a caller who is neither admin nor in any project
# (spec 1.3, 2.2).
#conf require_authentication = no

as anon GET /v0/nodes/all -> 200 []
as anon GET /v0/nodes/free -> 200 []
as anon GET /v0/node/nosuch -> 404 NotFoundError
as anon GET /v0/projects -> 401|403 AuthorizationError
as anon PUT /v0/project/p1 -> 401|403 AuthorizationError
as anon GET /v0/active_extensions -> 401|403 AuthorizationError
as admin PUT /v0/project/p1 -> 200
as anon GET /v0/project/p1/nodes -> 401|403 AuthorizationError
as anon GET /v0/project/nosuch/nodes -> 404 NotFoundError
as admin GET /v0/projects -> 200 ["p1"]
