-- 0002: find pending operations without scanning finished ones (the engine
-- asks for them on every pass; finished rows are retained per NIC).
CREATE INDEX operations_pending_only ON operations(switch_id, id)
	WHERE status = 'PENDING';
