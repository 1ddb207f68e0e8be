# Release hygiene as configured: with release_power = keep (and
# release_bootdev = keep, the default) a node leaving its project keeps
# its power state; its console sessions end all the same (obm-api.sh
# reads a stream end).
#conf release_power = keep

user alice alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin PUT /v0/node/n1 {"obm": {"type": "mock", "host": "bmc-keep", "user": "root", "password": "obm-pw"}} -> 200
as alice POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as alice PUT /v0/node/n1/obm {"enabled": true} -> 200
as alice POST /v0/node/n1/power_on -> 200
as alice PUT /v0/node/n1/obm {"enabled": false} -> 200
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 200
as admin PUT /v0/node/n1/obm {"enabled": true} -> 200
as admin GET /v0/node/n1/power_status -> 200 {"power_status": "On"}
