-- Every stored status is one of its Rust enum's values (domain::status and
-- domain::order::OrderStatus): a CHECK constraint per status column, named
-- alike on both engines. A test compares these lists with the enums.
ALTER TABLE connections ADD CONSTRAINT connections_status_check CHECK (status IN ('Active', 'PortedOut', 'Ceased'));
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled'));
ALTER TABLE order_mobiles ADD CONSTRAINT order_mobiles_status_check CHECK (status IN ('Draft', 'Pending', 'Completed', 'Rejected', 'Cancelled'));
ALTER TABLE order_history ADD CONSTRAINT order_history_from_status_check CHECK (from_status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled'));
ALTER TABLE order_history ADD CONSTRAINT order_history_to_status_check CHECK (to_status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled'));
ALTER TABLE number_pool ADD CONSTRAINT number_pool_status_check CHECK (status IN ('free', 'reserved', 'assigned'));
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'running', 'done', 'dead'));
ALTER TABLE requests ADD CONSTRAINT requests_status_check CHECK (status IN ('Pending', 'InProgress', 'Completed', 'Rejected'));
ALTER TABLE isp_users ADD CONSTRAINT isp_users_status_check CHECK (status IN ('active', 'suspended', 'disabled'));
