# Node metadata (spec 4.2): set (admin -> node exists; upsert of any JSON
# value) and delete (admin -> node exists -> key on that node).  Values
# come back as the JSON text the original stores [quirk], byte for byte as
# Python's json.dumps() writes it.  alice is in p1.

set OBM {"type": "mock", "host": "bmc", "user": "root", "password": "obm-pw"}
user alice alice-pw
as admin PUT /v0/auth/basic/user/alice {"password": "alice-pw"} -> 200
as admin PUT /v0/project/p1 -> 200
as admin POST /v0/auth/basic/user/alice/add_project {"project": "p1"} -> 200
as admin PUT /v0/node/n1 {"obm": ${OBM}} -> 200
as admin PUT /v0/node/n2 {"obm": ${OBM}} -> 200

# --- node_set_metadata
as admin PUT /v0/node/n1/metadata/pk {"value": "pk"} -> 200
as admin GET /v0/node/n1 -> 200 ~ {"metadata": {"pk": "\"pk\""}}
as admin PUT /v0/node/n1/metadata/int {"value": 5} -> 200
as admin PUT /v0/node/n1/metadata/neg {"value": -3} -> 200
as admin PUT /v0/node/n1/metadata/real {"value": 1.5} -> 200
as admin PUT /v0/node/n1/metadata/tenth {"value": 0.1} -> 200
as admin PUT /v0/node/n1/metadata/whole {"value": 100.0} -> 200
as admin PUT /v0/node/n1/metadata/big {"value": 1e100} -> 200
as admin PUT /v0/node/n1/metadata/t {"value": true} -> 200
as admin PUT /v0/node/n1/metadata/f {"value": false} -> 200
as admin PUT /v0/node/n1/metadata/null {"value": null} -> 200
as admin PUT /v0/node/n1/metadata/empty {"value": ""} -> 200
as admin PUT /v0/node/n1/metadata/list {"value": [1, "x", [], {}]} -> 200
as admin PUT /v0/node/n1/metadata/obj {"value": {"a": 1, "b": [true, null]}} -> 200
as admin PUT /v0/node/n1/metadata/esc {"value": "q\"b\\s\n\t/"} -> 200
as admin PUT /v0/node/n1/metadata/utf8 {"value": "caf\u00e9 \u2603 \ud83d\ude00"} -> 200
as admin GET /v0/node/n1 -> 200 {"name": "n1", "project": null, "nics": [], "metadata": { \
	"pk": "\"pk\"", "int": "5", "neg": "-3", "real": "1.5", "tenth": "0.1", "whole": "100.0", \
	"big": "1e+100", "t": "true", "f": "false", "null": "null", "empty": "\"\"", \
	"list": "[1, \"x\", [], {}]", "obj": "{\"a\": 1, \"b\": [true, null]}", \
	"esc": "\"q\\\"b\\\\s\\n\\t/\"", \
	"utf8": "\"caf\\u00e9 \\u2603 \\ud83d\\ude00\""}}
# Upsert.
as admin PUT /v0/node/n1/metadata/pk {"value": "pk2"} -> 200
as admin GET /v0/node/n1 -> 200 ~ {"metadata": {"pk": "\"pk2\""}}
# Keys are per node.
as admin PUT /v0/node/n2/metadata/pk {"value": "other"} -> 200
as admin GET /v0/node/n2 -> 200 {"name": "n2", "project": null, "nics": [], "metadata": {"pk": "\"other\""}}
# Checks: admin (403) -> node exists (404).
as admin PUT /v0/node/nosuch/metadata/pk {"value": 1} -> 404 NotFoundError
as alice PUT /v0/node/nosuch/metadata/pk {"value": 1} -> 403 AuthorizationError
as alice PUT /v0/node/n1/metadata/pk {"value": 1} -> 403 AuthorizationError
as anon PUT /v0/node/n1/metadata/pk {"value": 1} -> 401 AuthorizationError
as anon PUT /v0/node/nosuch/metadata/pk {"value": 1} -> 401 AuthorizationError
as admin PUT /v0/node/n1/metadata/pk -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/pk {} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/pk {"val": 1} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/pk {"value": 1, "x": 2} -> 400 ValidationError
as admin PUT /v0/node/n1/metadata/pk [1] -> 400 ValidationError
as anon PUT /v0/node/n1/metadata/pk {} -> 400 ValidationError
as admin GET /v0/node/n1 -> 200 ~ {"metadata": {"pk": "\"pk2\""}}
# Allowed on an allocated node; members read it.
as alice POST /v0/project/p1/connect_node {"node": "n1"} -> 200
as admin PUT /v0/node/n1/metadata/owner {"value": "alice"} -> 200
as alice GET /v0/node/n1 -> 200 ~ {"project": "p1", "metadata": {"owner": "\"alice\"", "pk": "\"pk2\""}}

# --- node_delete_metadata
as alice DELETE /v0/node/n1/metadata/pk -> 403 AuthorizationError
as alice DELETE /v0/node/nosuch/metadata/pk -> 403 AuthorizationError
as anon DELETE /v0/node/n1/metadata/pk -> 401 AuthorizationError
as admin DELETE /v0/node/nosuch/metadata/pk -> 404 NotFoundError
as admin DELETE /v0/node/n1/metadata/nosuch -> 404 NotFoundError
as admin DELETE /v0/node/n1/metadata/pk {"x": 1} -> 400 ValidationError
as admin DELETE /v0/node/n1/metadata/pk -> 200
as admin DELETE /v0/node/n1/metadata/pk -> 404 NotFoundError
# n2's "pk" is untouched; n2 has no "int".
as admin GET /v0/node/n2 -> 200 {"name": "n2", "project": null, "nics": [], "metadata": {"pk": "\"other\""}}
as admin DELETE /v0/node/n2/metadata/int -> 404 NotFoundError
as admin GET /v0/node/n1 -> 200 {"name": "n1", "project": "p1", "nics": [], "metadata": { \
	"int": "5", "neg": "-3", "real": "1.5", "tenth": "0.1", "whole": "100.0", \
	"big": "1e+100", "t": "true", "f": "false", "null": "null", "empty": "\"\"", \
	"list": "[1, \"x\", [], {}]", "obj": "{\"a\": 1, \"b\": [true, null]}", \
	"esc": "\"q\\\"b\\\\s\\n\\t/\"", \
	"utf8": "\"caf\\u00e9 \\u2603 \\ud83d\\ude00\"", "owner": "\"alice\""}}
