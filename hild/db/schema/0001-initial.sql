-- 0001: the data model (see DESIGN.md section 3).
-- Written once for both backends.  %ID% stands for the surrogate key type
-- (SQLite: INTEGER PRIMARY KEY; PostgreSQL: BIGSERIAL PRIMARY KEY) and is
-- the only thing the backends substitute.  Booleans are 0/1 integers.

CREATE TABLE projects (
	id %ID%,
	label TEXT NOT NULL UNIQUE
);

CREATE TABLE nodes (
	id %ID%,
	label TEXT NOT NULL UNIQUE,
	project_id BIGINT REFERENCES projects(id),
	obm_type TEXT NOT NULL,
	obm_settings TEXT NOT NULL,   -- JSON object: the OBM plugin's settings
	obm_enabled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX nodes_project ON nodes(project_id);

CREATE TABLE metadata (
	id %ID%,
	node_id BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
	label TEXT NOT NULL,
	value TEXT NOT NULL,          -- JSON-encoded, as the original stores it
	UNIQUE (node_id, label)
);

CREATE TABLE switches (
	id %ID%,
	label TEXT NOT NULL UNIQUE,
	type TEXT NOT NULL,
	settings TEXT NOT NULL        -- JSON object: the driver's settings
);

CREATE TABLE ports (
	id %ID%,
	switch_id BIGINT NOT NULL REFERENCES switches(id),
	label TEXT NOT NULL,
	UNIQUE (switch_id, label)
);

CREATE TABLE nics (
	id %ID%,
	node_id BIGINT NOT NULL REFERENCES nodes(id),
	label TEXT NOT NULL,
	macaddr TEXT NOT NULL,
	port_id BIGINT UNIQUE REFERENCES ports(id),
	UNIQUE (node_id, label)
);

CREATE TABLE networks (
	id %ID%,
	label TEXT NOT NULL UNIQUE,
	owner_id BIGINT REFERENCES projects(id),   -- NULL: owned by admin
	network_id TEXT NOT NULL,
	allocated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX networks_owner ON networks(owner_id);

CREATE TABLE network_access (
	network_id BIGINT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	project_id BIGINT NOT NULL REFERENCES projects(id),
	seq BIGINT NOT NULL,          -- grant order
	PRIMARY KEY (network_id, project_id)
);
CREATE INDEX network_access_project ON network_access(project_id);

CREATE TABLE network_attachments (
	id %ID%,
	nic_id BIGINT NOT NULL REFERENCES nics(id),
	network_id BIGINT NOT NULL REFERENCES networks(id),
	channel TEXT NOT NULL,
	UNIQUE (nic_id, channel),
	UNIQUE (nic_id, network_id)
);
CREATE INDEX network_attachments_network ON network_attachments(network_id);

CREATE TABLE vlans (
	vlan INTEGER PRIMARY KEY,
	network_id BIGINT REFERENCES networks(id)  -- NULL: free
);

-- The durable operation queue.  An API call that changes switch or power
-- state inserts its row in the same transaction as the state it describes.
CREATE TABLE operations (
	id %ID%,
	uuid TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,           -- modify_port, revert_port, ...
	status TEXT NOT NULL,         -- PENDING, DONE, ERROR
	nic_id BIGINT REFERENCES nics(id) ON DELETE CASCADE,
	switch_id BIGINT REFERENCES switches(id),
	port_id BIGINT REFERENCES ports(id),
	channel TEXT NOT NULL DEFAULT '',
	network_id BIGINT REFERENCES networks(id),
	error TEXT,
	attempt INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,   -- unix milliseconds
	finished_at BIGINT
);
CREATE INDEX operations_pending ON operations(switch_id, status, id);
CREATE INDEX operations_nic ON operations(nic_id);
CREATE INDEX operations_network ON operations(network_id);

CREATE TABLE users (
	id %ID%,
	label TEXT NOT NULL UNIQUE,
	hashed_password TEXT NOT NULL,
	is_admin INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_projects (
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, project_id)
);
CREATE INDEX user_projects_project ON user_projects(project_id);
