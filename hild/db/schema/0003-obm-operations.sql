-- 0003: OBM operations (power, boot device) in the engine's queue, and
-- the console generation of a node.
--
-- An OBM operation names its node instead of a NIC and switch; the engine
-- applies a node's operations one at a time, in id order.  payload is the
-- kind's argument (the boot device), result what the driver answered (the
-- power status), error_kind why it failed: 'timeout' (no answer: the
-- outcome is unknown), 'driver' (the driver or BMC refused), 'setup' (hild
-- could not call the driver).
ALTER TABLE operations ADD COLUMN node_id BIGINT REFERENCES nodes(id) ON DELETE CASCADE;
ALTER TABLE operations ADD COLUMN payload TEXT;
ALTER TABLE operations ADD COLUMN result TEXT;
ALTER TABLE operations ADD COLUMN error_kind TEXT;
CREATE INDEX operations_node ON operations(node_id);
CREATE INDEX operations_node_pending ON operations(node_id, id)
	WHERE status = 'PENDING';

-- Raised whenever a node's console sessions must end (OBM disabled, node
-- detached, DELETE /node/<n>/console): every hild process ends the
-- consoles it opened under an older generation.
ALTER TABLE nodes ADD COLUMN console_gen BIGINT NOT NULL DEFAULT 0;
