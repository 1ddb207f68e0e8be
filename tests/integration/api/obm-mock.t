# The OBM calls (DESIGN.md section 2, api/obm.c) with the mock OBM driver:
# POST /node/<n>/power_on|power_off|power_cycle, GET power_status,
# PUT boot_device, GET|DELETE console.  Order of checks: arguments (400,
# before authentication) -> authentication (401) -> node exists (404) ->
# admin or the node's project (403; a free node: admin only) -> OBM
# enabled (409 BlockedError) -> the boot device (400 BadArgumentError).
# alice is in p1, bob in p2; n1 is in p1, n2 in p2, nf is free.  The
# console's stream is not JSON: obm-api.sh reads it; here only its
# refusals.
#conf release_bootdev = pxe

user alice alice-pw
user bob bob-pw
cred nobody nobody alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/auth/basic/user/bob {"password": "bob-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/project/p2 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin POST /v0/auth/basic/user/bob/add_project {"project": "p2"} -> 200
as admin PUT /v0/node/n1 {"obm": {"type": "mock", "host": "bmc-n1", "user": "root", "password": "obm-pw"}} -> 200
as admin PUT /v0/node/n2 {"obm": {"type": "mock", "host": "bmc-n2", "user": "root", "password": "obm-pw"}} -> 200
as admin PUT /v0/node/nf {"obm": {"type": "mock", "host": "bmc-nf", "user": "root", "password": "obm-pw"}} -> 200
as admin PUT /v0/node/nd {"obmd": {"uri": "http://obmd.example/node/nd", "admin_token": "tok"}} -> 200
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as admin POST /v0/project/p2/connect_node {"node": "n2"} -> 200

# --- Arguments are checked before anything else, anonymous callers too.
as anon POST /v0/node/n1/power_cycle {"force": "yes"} -> 400 ValidationError
as anon POST /v0/node/n1/power_cycle {"force": 1} -> 400 ValidationError
as anon POST /v0/node/n1/power_on {"force": true} -> 400 ValidationError
as anon POST /v0/node/n1/power_off {"x": 1} -> 400 ValidationError
as anon PUT /v0/node/n1/boot_device -> 400 ValidationError
as anon PUT /v0/node/n1/boot_device {} -> 400 ValidationError
as anon PUT /v0/node/n1/boot_device {"bootdev": 1} -> 400 ValidationError
as anon PUT /v0/node/n1/boot_device {"bootdev": "pxe", "persistent": true} -> 400 ValidationError
as anon PUT /v0/node/n1/boot_device [1] -> 400 ValidationError
as anon GET /v0/node/n1/power_status?x=1 -> 400 ValidationError
as admin POST /v0/node/n1/power_on @raw {"x": -> 400 ValidationError
# Methods a path does not have.
as admin GET /v0/node/n1/power_on -> 405
as admin PUT /v0/node/n1/power_status -> 405
as admin POST /v0/node/n1/console -> 405
as admin GET /v0/node/n1/boot_device -> 405

# --- Authentication, then the node, then the caller's rights.
as anon POST /v0/node/n1/power_on -> 401 AuthorizationError
as nobody POST /v0/node/n1/power_on -> 401 AuthorizationError
as anon POST /v0/node/nosuch/power_on -> 401 AuthorizationError
as alice POST /v0/node/nosuch/power_on -> 404 NotFoundError
as alice GET /v0/node/nosuch/power_status -> 404 NotFoundError
as alice GET /v0/node/nosuch/console -> 404 NotFoundError
as admin DELETE /v0/node/nosuch/console -> 404 NotFoundError
as admin PUT /v0/node/nosuch/boot_device {"bootdev": "pxe"} -> 404 NotFoundError
# Rights come before the OBM flag: bob learns nothing of n1's state.
as bob POST /v0/node/n1/power_on -> 403 AuthorizationError
as alice POST /v0/node/n1/power_on -> 409 BlockedError
as admin POST /v0/node/n1/power_on -> 409 BlockedError
as alice GET /v0/node/n1/power_status -> 409 BlockedError
as alice PUT /v0/node/n1/boot_device {"bootdev": "pxe"} -> 409 BlockedError
as alice PUT /v0/node/n1/boot_device {"bootdev": "floppy"} -> 409 BlockedError
as alice GET /v0/node/n1/console -> 409 BlockedError
as alice PUT /v0/node/n1/obm {"enabled": true} -> 200
as bob PUT /v0/node/n2/obm {"enabled": true} -> 200
as admin PUT /v0/node/nf/obm {"enabled": true} -> 200

# --- Every call, as a member: the mock BMC starts off.
as alice GET /v0/node/n1/power_status -> 200 {"power_status": "Off"}
as alice POST /v0/node/n1/power_on -> 200
as alice GET /v0/node/n1/power_status -> 200 {"power_status": "On"}
as alice POST /v0/node/n1/power_off -> 200
as alice GET /v0/node/n1/power_status -> 200 {"power_status": "Off"}
as alice POST /v0/node/n1/power_cycle -> 200
as alice GET /v0/node/n1/power_status -> 200 {"power_status": "On"}
as alice POST /v0/node/n1/power_off -> 200
as alice POST /v0/node/n1/power_cycle {"force": false} -> 200
as alice GET /v0/node/n1/power_status -> 200 {"power_status": "On"}
as alice POST /v0/node/n1/power_off -> 200
as alice POST /v0/node/n1/power_cycle {"force": true} -> 200
as alice GET /v0/node/n1/power_status -> 200 {"power_status": "On"}
as alice PUT /v0/node/n1/boot_device {"bootdev": "pxe"} -> 200
as alice PUT /v0/node/n1/boot_device {"bootdev": "disk"} -> 200
# A device the node's driver does not know: after every other check.
as alice PUT /v0/node/n1/boot_device {"bootdev": "floppy"} -> 400 BadArgumentError has "floppy"
as bob PUT /v0/node/n1/boot_device {"bootdev": "floppy"} -> 403 AuthorizationError
# Each node has its own BMC: n2 was left alone.
as bob GET /v0/node/n2/power_status -> 200 {"power_status": "Off"}
# Secrets never come back.
as alice GET /v0/node/n1/power_status -> 200 !has "obm-pw"

# --- The authorization matrix on every OBM endpoint.
# n1 (p1): alice and admin yes; bob 403; anon and nobody 401.
as admin POST /v0/node/n1/power_off -> 200
as admin GET /v0/node/n1/power_status -> 200 {"power_status": "Off"}
as admin POST /v0/node/n1/power_on -> 200
as admin POST /v0/node/n1/power_cycle -> 200
as admin PUT /v0/node/n1/boot_device {"bootdev": "cdrom"} -> 200
as bob POST /v0/node/n1/power_on -> 403 AuthorizationError
as bob POST /v0/node/n1/power_off -> 403 AuthorizationError
as bob POST /v0/node/n1/power_cycle -> 403 AuthorizationError
as bob POST /v0/node/n1/power_cycle {"force": true} -> 403 AuthorizationError
as bob GET /v0/node/n1/power_status -> 403 AuthorizationError
as bob PUT /v0/node/n1/boot_device {"bootdev": "pxe"} -> 403 AuthorizationError
as bob GET /v0/node/n1/console -> 403 AuthorizationError
as bob DELETE /v0/node/n1/console -> 403 AuthorizationError
as anon POST /v0/node/n1/power_on -> 401 AuthorizationError
as anon POST /v0/node/n1/power_off -> 401 AuthorizationError
as anon POST /v0/node/n1/power_cycle -> 401 AuthorizationError
as anon GET /v0/node/n1/power_status -> 401 AuthorizationError
as anon PUT /v0/node/n1/boot_device {"bootdev": "pxe"} -> 401 AuthorizationError
as anon GET /v0/node/n1/console -> 401 AuthorizationError
as anon DELETE /v0/node/n1/console -> 401 AuthorizationError
as nobody GET /v0/node/n1/power_status -> 401 AuthorizationError
as nobody GET /v0/node/n1/console -> 401 AuthorizationError
# Ending a console is for admins, members included; none open is fine.
as alice DELETE /v0/node/n1/console -> 403 AuthorizationError
as admin DELETE /v0/node/n1/console -> 200
as admin DELETE /v0/node/n1/console -> 200
# n2 (p2): the other way round.
as alice POST /v0/node/n2/power_on -> 403 AuthorizationError
as alice GET /v0/node/n2/power_status -> 403 AuthorizationError
as alice PUT /v0/node/n2/boot_device {"bootdev": "pxe"} -> 403 AuthorizationError
as alice GET /v0/node/n2/console -> 403 AuthorizationError
as bob POST /v0/node/n2/power_on -> 200
as bob GET /v0/node/n2/power_status -> 200 {"power_status": "On"}
# A free node: admins only.
as alice POST /v0/node/nf/power_on -> 403 AuthorizationError
as bob GET /v0/node/nf/power_status -> 403 AuthorizationError
as alice GET /v0/node/nf/console -> 403 AuthorizationError
as admin POST /v0/node/nf/power_on -> 200
as admin GET /v0/node/nf/power_status -> 200 {"power_status": "On"}
as admin PUT /v0/node/nf/boot_device {"bootdev": "bios"} -> 200
# A node registered the obmd way has no loaded driver here.
as admin PUT /v0/node/nd/obm {"enabled": true} -> 200
as admin POST /v0/node/nd/power_on -> 503 ServiceUnavailableError has "obmd"
as admin GET /v0/node/nd/console -> 503 ServiceUnavailableError
as admin PUT /v0/node/nd/obm {"enabled": false} -> 200

# --- /v0/obm_action/<id> names what a 202 queued; unknown ids are 404
# for everyone allowed to ask, after authentication.
as anon GET /v0/obm_action/00000000-0000-4000-8000-000000000000 -> 401 AuthorizationError
as alice GET /v0/obm_action/00000000-0000-4000-8000-000000000000 -> 404 NotFoundError
as admin GET /v0/obm_action/00000000-0000-4000-8000-000000000000 -> 404 NotFoundError

# --- Release hygiene (project_detach_node): the OBM must be disabled
# first, then the node is powered off (release_power = off, the default)
# and its boot device set (release_bootdev = pxe); the next tenant finds
# it so.  n1 is on.
as alice GET /v0/node/n1/power_status -> 200 {"power_status": "On"}
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 409 BlockedError
as alice PUT /v0/node/n1/obm {"enabled": false} -> 200
# Disabled: every call is refused, the console too.
as alice POST /v0/node/n1/power_off -> 409 BlockedError
as alice GET /v0/node/n1/console -> 409 BlockedError
as alice POST /v0/project/p1/detach_node {"node": "n1"} -> 200
# Free now: alice has no say any more.
as alice GET /v0/node/n1/power_status -> 403 AuthorizationError
as alice PUT /v0/node/n1/obm {"enabled": true} -> 403 AuthorizationError
as admin PUT /v0/node/n1/obm {"enabled": true} -> 200
# power_status queues behind the release's operations: it sees their end.
as admin GET /v0/node/n1/power_status -> 200 {"power_status": "Off"}
as admin PUT /v0/node/n1/obm {"enabled": false} -> 200
as bob POST /v0/project/p2/connect_node {"node": "n1"} -> 200
as bob PUT /v0/node/n1/obm {"enabled": true} -> 200
as bob GET /v0/node/n1/power_status -> 200 {"power_status": "Off"}
as alice GET /v0/node/n1/power_status -> 403 AuthorizationError
as bob PUT /v0/node/n1/obm {"enabled": false} -> 200
as bob POST /v0/project/p2/detach_node {"node": "n1"} -> 200
# A node's OBM operations go with it.
as admin DELETE /v0/node/n1 -> 200
as admin GET /v0/node/n1 -> 404 NotFoundError
as admin POST /v0/node/n1/power_on -> 404 NotFoundError
