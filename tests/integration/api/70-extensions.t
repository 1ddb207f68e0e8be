# GET /active_extensions (spec 4.8): admin only; the loaded plugins as
# "<kind>/<name>", sorted.  The harness loads the mock switch and OBM
# drivers.

user alice alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin GET /v0/active_extensions -> 200 ["obm/mock", "switch/mock"]
as alice GET /v0/active_extensions -> 403 AuthorizationError
as anon GET /v0/active_extensions -> 401 AuthorizationError
as admin GET /v0/active_extensions {} -> 400 ValidationError
as anon GET /v0/active_extensions?x=1 -> 400 ValidationError
as admin PUT /v0/active_extensions -> 405
