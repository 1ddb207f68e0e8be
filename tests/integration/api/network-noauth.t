# Networks with require_authentication = no: an anonymous caller is
# neither admin nor in any project, so it sees the public networks only
# (spec 1.3, 4.4).
#conf require_authentication = no
#conf vlans = 100-110

as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/network/pub {"owner": "admin", "access": "", "net_id": ""} -> 200
as admin PUT /v0/network/a1 {"owner": "p1", "access": "p1", "net_id": ""} -> 200
as anon GET /v0/networks -> 200 {"pub": {"network_id": "100", "projects": null}}
as anon GET /v0/network/pub -> 200 {"name": "pub", "owner": "admin", "access": null, "channels": ["vlan/native", "vlan/100"], "connected-nodes": {}}
as anon GET /v0/network/a1 -> 401|403 AuthorizationError
as anon GET /v0/network/nosuch -> 404 NotFoundError
as anon GET /v0/network/pub/attachments -> 401|403 AuthorizationError
as anon PUT /v0/network/x {"owner": "admin", "access": "", "net_id": ""} -> 401|403 AuthorizationError
as anon PUT /v0/network/x {"owner": "p1", "access": "p1", "net_id": ""} -> 401|403 AuthorizationError
as anon PUT /v0/network/a1 {"owner": "p1", "access": "p1", "net_id": ""} -> 409 DuplicateError
as anon DELETE /v0/network/pub -> 401|403 AuthorizationError
as anon PUT /v0/network/pub/access/p1 -> 401|403 AuthorizationError
as anon DELETE /v0/network/a1/access/p1 -> 401|403 AuthorizationError
as anon GET /v0/switches -> 401|403 AuthorizationError
as anon GET /v0/networking_action/nosuch -> 404 NotFoundError
