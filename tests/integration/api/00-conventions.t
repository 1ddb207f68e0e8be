# Request conventions: routing (404/405 with JSON bodies), where arguments
# come from, what a body may be, and the limits on what a client controls
# (spec 1.1-1.3, DESIGN.md sections 2 and 7).

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200

# --- Routing: unknown paths are 404, known paths with another method 405,
# both with {"type", "msg"} bodies, before any authentication.
as admin GET /v0/nonexistent -> 404 NotFoundError
as admin GET /v0/projects/ -> 404 NotFoundError
as admin GET /projects -> 404 NotFoundError
as admin GET /v1/projects -> 404 NotFoundError
as admin GET / -> 404 NotFoundError
as admin GET /v0 -> 404 NotFoundError
as admin GET /v0/project/p1/unknown -> 404 NotFoundError
as admin GET /v0/node/n1/nic -> 404 NotFoundError
as admin PUT /v0/project/ -> 404 NotFoundError
as admin GET /v0//projects -> 404 NotFoundError
as anon GET /v0/nonexistent -> 404 NotFoundError
as admin POST /v0/projects -> 405 hdr "Allow" "GET"
as admin DELETE /v0/projects -> 405 hdr "Allow" "GET"
as admin PATCH /v0/project/p1 -> 405 hdr "Allow" "PUT" hdr "Allow" "DELETE"
as admin GET /v0/node/n1/nic/eth0 -> 405 hdr "Allow" "PUT"
as admin GET /v0/project/p1/connect_node -> 405 hdr "Allow" "POST"
as admin POST /v0/active_extensions -> 405 hdr "Allow" "GET"
as anon POST /v0/projects -> 405
as anon DELETE /v0/nodes/free -> 405
# /node/<name> and /nodes/<is_free> are different routes.
as admin GET /v0/node/free -> 404 NotFoundError
as admin GET /v0/nodes/free -> 200 ["n1"]

# --- Bodies: an empty body is {}, anything else must be a JSON object.
as admin PUT /v0/project/b1 {} -> 200
as admin PUT /v0/project/b2 -> 200
as admin PUT /v0/project/b3 [] -> 400 ValidationError
as admin PUT /v0/project/b3 ["b3"] -> 400 ValidationError
as admin PUT /v0/project/b3 "b3" -> 400 ValidationError
as admin PUT /v0/project/b3 5 -> 400 ValidationError
as admin PUT /v0/project/b3 null -> 400 ValidationError
as admin PUT /v0/project/b3 true -> 400 ValidationError
as admin POST /v0/project/p1/connect_node [{"node": "n1"}] -> 400 ValidationError
as admin POST /v0/project/p1/connect_node "n1" -> 400 ValidationError
as admin POST /v0/project/p1/connect_node null -> 400 ValidationError
as admin POST /v0/project/p1/connect_node 1 -> 400 ValidationError
# Invalid JSON: cut short, bad syntax, trailing garbage, bad UTF-8, a NUL.
as admin PUT /v0/project/b3 { -> 400 ValidationError
as admin PUT /v0/project/b3 {"a": } -> 400 ValidationError
as admin PUT /v0/project/b3 not json -> 400 ValidationError
as admin PUT /v0/project/b3 {}{} -> 400 ValidationError
as admin PUT /v0/project/b3 {} x -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {'node': 'n1'} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node @raw {"node": "n\xff1"} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node @raw {"node": "n1"}\x00 -> 400 ValidationError
as admin POST /v0/project/p1/connect_node @raw {"node": "n1\x00"} -> 400 ValidationError
# A malformed body gets its 400 even from an unauthenticated caller.
as anon PUT /v0/project/b3 [] -> 400 ValidationError
as anon PUT /v0/project/b3 { -> 400 ValidationError
# The Content-Type of a request is not looked at.
header Content-Type: text/plain
as admin POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as admin POST /v0/project/p1/detach_node {"node": "n1"} -> 200
# Nothing above that failed created anything.
as admin GET /v0/projects -> 200 ["b1", "b2", "p1"]

# --- GET takes no body and its arguments come from the query string;
# other methods ignore the query string.
as admin GET /v0/projects {} -> 400 ValidationError
as admin GET /v0/projects @raw \x20 -> 400 ValidationError
as anon GET /v0/projects {} -> 400 ValidationError
as admin GET /v0/node/n1 {"node": "n1"} -> 400 ValidationError
as admin GET /v0/projects?x= -> 400 ValidationError
as anon GET /v0/projects?x= -> 400 ValidationError
as admin GET /v0/projects?x=1 -> 400 ValidationError
as admin GET /v0/nodes/all?node=n1 -> 400 ValidationError
as admin PUT /v0/project/b3?x= -> 200
as admin DELETE /v0/project/b3?x=1 -> 200

# --- The argument set: required keys, no unknown keys, exact JSON types
# (no coercion), no argument both in the path and in the body.
as admin POST /v0/project/p1/connect_node -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": 5} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": null} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": true} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": ["n1"]} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": {"name": "n1"}} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": "n1", "extra": 1} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"Node": "n1"} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": "n1", "project": "p1"} -> 400 ValidationError
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "m", "node": "n1"} -> 400 ValidationError
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": "m", "nic": "eth0"} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/k {"value": 1, "label": "k"} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/k {"value": 1, "node": "n1"} -> 400 ValidationError
as admin PUT /v0/node/n1/nic/eth0 {"macaddr": 5} -> 400 ValidationError
as admin PUT /v0/node/n1/obm {"enabled": "true"} -> 400 ValidationError
as admin PUT /v0/node/n1/obm {"enabled": 1} -> 400 ValidationError
as admin PUT /v0/node/n1/obm {"enabled": null} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/u1 {"password": 5} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/u1 {"password": "x", "is_admin": "yes"} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/u1 {"password": "x", "is_admin": 0} -> 400 ValidationError
as admin PATCH /v0/auth/basic/user/alice {"is_admin": "false"} -> 400 ValidationError
# Validation comes before authentication and before the handler's checks.
as anon POST /v0/project/p1/connect_node {"node": 5} -> 400 ValidationError
as alice POST /v0/project/nosuch/connect_node {} -> 400 ValidationError
as admin PUT /v0/node/nosuch/nic/eth0 {} -> 400 ValidationError
as admin PUT /v0/project/p1 {"x": 1} -> 400 ValidationError
# Strings in a body: no control characters, labels no longer than 64 bytes.
as admin POST /v0/project/p1/connect_node {"node": "n\u00011"} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": "n1\n"} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} -> 400 ValidationError
as admin POST /v0/project/p1/connect_node {"node": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} -> 404 NotFoundError
as admin GET /v0/project/p1/nodes -> 200 []
as admin GET /v0/auth/basic/users -> 200 ~ {"alice": {"is_admin": false}}

# --- Body size: 64 KiB at most (a clear 400, before authentication).
as admin PUT /v0/node/n1/metadata/big @pad 65536 {"value": "%"} -> 200
as admin PUT /v0/node/n1/metadata/big @pad 65537 {"value": "%"} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/big @pad 70000 {"value": "%"} -> 400 ValidationError
as anon PUT /v0/node/n1/metadata/big @pad 70000 {"value": "%"} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/big @pad 2000000 {"value": "%"} -> 400 ValidationError
as admin DELETE /v0/node/n1/metadata/big -> 200

# --- JSON depth: 8 levels at most, the body object being the first.
as admin PUT /v0/node/n1/metadata/deep @nest 7 {"value": %} -> 200
as admin GET /v0/node/n1 -> 200 ~ {"metadata": {"deep": "[[[[[[[]]]]]]]"}}
as admin PUT /v0/node/n1/metadata/deep @nest 8 {"value": %} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/deep {"value": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}} -> 400 ValidationError
as anon PUT /v0/node/n1/metadata/deep @nest 8 {"value": %} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/deep @nest 20000 {"value": %} -> 400 ValidationError
as admin GET /v0/node/n1 -> 200 ~ {"metadata": {"deep": "[[[[[[[]]]]]]]"}}

# --- Labels in the path: 1 to 64 bytes of letters, digits, space and
# $_.+!*'(),- ; a 400 ValidationError otherwise, before authentication.
set L64 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
as admin PUT /v0/project/${L64} -> 200
as admin PUT /v0/project/${L64}b -> 400 ValidationError
as anon PUT /v0/project/${L64}b -> 400 ValidationError
as admin GET /v0/node/${L64}b -> 400 ValidationError
as admin PUT /v0/node/n1/nic/${L64}b {"macaddr": "m"} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/${L64}b {"value": 1} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/${L64}b {"password": "x"} -> 400 ValidationError
as admin PUT /v0/project/a%20b -> 200
as admin PUT /v0/project/$_.+!*'(),- -> 200
as admin PUT /v0/project/Z09 -> 200
as admin PUT /v0/project/a%2Fb -> 400 ValidationError
as admin PUT /v0/project/a%2fb -> 400 ValidationError
as admin PUT /v0/project/a%01b -> 400 ValidationError
as admin PUT /v0/project/a%0Ab -> 400 ValidationError
as admin PUT /v0/project/a%09b -> 400 ValidationError
as admin PUT /v0/project/a%7Fb -> 400 ValidationError
as admin PUT /v0/project/a%00b -> 400 ValidationError
as admin PUT /v0/project/a%C3%A9 -> 400 ValidationError
as admin PUT /v0/project/a%3Cb%3E -> 400 ValidationError
as admin PUT /v0/project/a%22b -> 400 ValidationError
as admin PUT /v0/project/a%5Cb -> 400 ValidationError
as admin PUT /v0/project/a%25b -> 400 ValidationError
as admin PUT /v0/project/a%3Bb -> 400 ValidationError
as admin PUT /v0/project/a:b -> 400 ValidationError
as admin PUT /v0/project/a@b -> 400 ValidationError
as admin PUT /v0/project/a%2 -> 400 ValidationError
as admin PUT /v0/project/a%zzb -> 400 ValidationError
as anon PUT /v0/project/a%01b -> 400 ValidationError
as admin PUT /v0/node/n1/nic/e%2F1 {"macaddr": "m"} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/k%2F1 {"value": 1} -> 400 ValidationError
as admin PUT /v0/node/n%01/obm {"enabled": true} -> 400 ValidationError
as admin PUT /v0/auth/basic/user/a%2Fb {"password": "x"} -> 400 ValidationError
# A path far longer than any route is refused cleanly.
set L256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
as admin GET /v0/node/${L256}${L256}${L256}${L256}${L256}${L256}${L256}${L256} -> 400|404|414
as admin GET /v0/node/a/${L256}/${L256}/${L256}/${L256}/${L256} -> 400|404|414
# Labels are case-sensitive and compared as bytes.
as admin PUT /v0/project/P1 -> 200
as admin GET /v0/projects -> 200 ["$_.+!*'(),-", "P1", "Z09", "a b", "${L64}", "b1", "b2", "p1"]
as admin GET /v0/project/a%20b/nodes -> 200 []
as admin GET /v0/project/a+b/nodes -> 404 NotFoundError
