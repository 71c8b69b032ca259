-- Every stored status is one of its Rust enum's values (domain::status and
-- domain::order::OrderStatus): a CHECK constraint per status column, named
-- alike on both engines. A test compares these lists with the enums.
-- [sqlite]
--
-- SQLite adds a constraint by rebuilding the table (its documented
-- procedure): make the new table, copy the rows and the AUTOINCREMENT
-- counter, drop the old one, rename, make the indexes again. The store
-- runs migrations with foreign keys off, so dropping a parent neither
-- cascades nor fails, and checks every foreign key afterwards.

CREATE TABLE connections_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    cli TEXT NOT NULL,
    network TEXT NOT NULL,
    status TEXT NOT NULL CONSTRAINT connections_status_check CHECK (status IN ('Active', 'PortedOut', 'Ceased')),
    tariff_id BIGINT NOT NULL REFERENCES tariffs(id),
    sim_type TEXT NOT NULL,
    iccid TEXT,
    eid TEXT,
    start_date DATE NOT NULL,
    contract_end_date DATE NOT NULL,
    bill_cap_enabled BOOLEAN NOT NULL,
    bill_cap_pence BIGINT,
    bundles TEXT NOT NULL DEFAULT '[]',
    bars TEXT NOT NULL DEFAULT '[]',
    diverts TEXT NOT NULL DEFAULT '[]',
    alerting TEXT NOT NULL DEFAULT '{"thresholds":[],"alertBar":false}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    balance_pence BIGINT NOT NULL DEFAULT 0,
    ended_at TIMESTAMP
);
INSERT INTO connections_new (id, partner_id, customer_id, cli, network, status, tariff_id, sim_type, iccid, eid, start_date, contract_end_date, bill_cap_enabled, bill_cap_pence, bundles, bars, diverts, alerting, created_at, updated_at, balance_pence, ended_at)
    SELECT id, partner_id, customer_id, cli, network, status, tariff_id, sim_type, iccid, eid, start_date, contract_end_date, bill_cap_enabled, bill_cap_pence, bundles, bars, diverts, alerting, created_at, updated_at, balance_pence, ended_at FROM connections;
DELETE FROM sqlite_sequence WHERE name = 'connections_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'connections_new', seq FROM sqlite_sequence WHERE name = 'connections';
DROP TABLE connections;
ALTER TABLE connections_new RENAME TO connections;
CREATE INDEX connections_cli ON connections(cli, id);
CREATE INDEX connections_customer ON connections(customer_id, id);
CREATE UNIQUE INDEX connections_iccid ON connections(iccid) WHERE iccid IS NOT NULL AND status NOT IN ('Ceased', 'PortedOut');
CREATE UNIQUE INDEX connections_live_cli ON connections(cli) WHERE status NOT IN ('Ceased', 'PortedOut');

CREATE TABLE orders_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    reference TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CONSTRAINT orders_status_check CHECK (status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled')),
    reason TEXT,
    created_by TEXT NOT NULL,
    -- Who made the last change, and a note on the last status change: the
    -- order's history row copies them.
    updated_by TEXT NOT NULL,
    status_note TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    completed_at TIMESTAMP
);
INSERT INTO orders_new (id, partner_id, customer_id, reference, status, reason, created_by, updated_by, status_note, created_at, updated_at, submitted_at, completed_at)
    SELECT id, partner_id, customer_id, reference, status, reason, created_by, updated_by, status_note, created_at, updated_at, submitted_at, completed_at FROM orders;
DELETE FROM sqlite_sequence WHERE name = 'orders_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'orders_new', seq FROM sqlite_sequence WHERE name = 'orders';
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_customer ON orders(customer_id, id);

CREATE TABLE order_mobiles_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    connection_type TEXT NOT NULL,
    network TEXT NOT NULL,
    tariff_id BIGINT REFERENCES tariffs(id),
    cli TEXT,
    number_reserved BOOLEAN NOT NULL DEFAULT FALSE,
    pac_code TEXT,
    pac_expiry_date DATE,
    port_date DATE,
    stac_code TEXT,
    sim_type TEXT,
    iccid TEXT,
    bill_cap_offered BOOLEAN NOT NULL,
    enable_bill_cap BOOLEAN NOT NULL,
    bill_cap_pence BIGINT,
    status TEXT NOT NULL CONSTRAINT order_mobiles_status_check CHECK (status IN ('Draft', 'Pending', 'Completed', 'Rejected', 'Cancelled')),
    reason TEXT,
    contract_id BIGINT,
    esim_activation_code TEXT,
    eid TEXT,
    network_reference TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO order_mobiles_new (id, order_id, connection_type, network, tariff_id, cli, number_reserved, pac_code, pac_expiry_date, port_date, stac_code, sim_type, iccid, bill_cap_offered, enable_bill_cap, bill_cap_pence, status, reason, contract_id, esim_activation_code, eid, network_reference, created_by, created_at, updated_at)
    SELECT id, order_id, connection_type, network, tariff_id, cli, number_reserved, pac_code, pac_expiry_date, port_date, stac_code, sim_type, iccid, bill_cap_offered, enable_bill_cap, bill_cap_pence, status, reason, contract_id, esim_activation_code, eid, network_reference, created_by, created_at, updated_at FROM order_mobiles;
DELETE FROM sqlite_sequence WHERE name = 'order_mobiles_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'order_mobiles_new', seq FROM sqlite_sequence WHERE name = 'order_mobiles';
DROP TABLE order_mobiles;
ALTER TABLE order_mobiles_new RENAME TO order_mobiles;
CREATE UNIQUE INDEX order_mobiles_open_cli ON order_mobiles(cli) WHERE cli IS NOT NULL AND status IN ('Draft', 'Pending');
CREATE UNIQUE INDEX order_mobiles_open_iccid ON order_mobiles(iccid) WHERE iccid IS NOT NULL AND status IN ('Draft', 'Pending');
CREATE INDEX order_mobiles_order ON order_mobiles(order_id, id);

CREATE TABLE order_history_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    from_status TEXT CONSTRAINT order_history_from_status_check CHECK (from_status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled')),
    to_status TEXT NOT NULL CONSTRAINT order_history_to_status_check CHECK (to_status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled')),
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    note TEXT
);
INSERT INTO order_history_new (id, order_id, from_status, to_status, at, actor, note)
    SELECT id, order_id, from_status, to_status, at, actor, note FROM order_history;
DELETE FROM sqlite_sequence WHERE name = 'order_history_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'order_history_new', seq FROM sqlite_sequence WHERE name = 'order_history';
DROP TABLE order_history;
ALTER TABLE order_history_new RENAME TO order_history;
CREATE INDEX order_history_order ON order_history(order_id, id);

CREATE TABLE number_pool_new (
    cli TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    status TEXT NOT NULL CONSTRAINT number_pool_status_check CHECK (status IN ('free', 'reserved', 'assigned')),
    order_mobile_id BIGINT,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO number_pool_new (cli, network, status, order_mobile_id, updated_at)
    SELECT cli, network, status, order_mobile_id, updated_at FROM number_pool;
DELETE FROM sqlite_sequence WHERE name = 'number_pool_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'number_pool_new', seq FROM sqlite_sequence WHERE name = 'number_pool';
DROP TABLE number_pool;
ALTER TABLE number_pool_new RENAME TO number_pool;
CREATE INDEX number_pool_free ON number_pool(network, status, cli);

CREATE TABLE jobs_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at_ms BIGINT NOT NULL,
    locked_by TEXT,
    locked_until_ms BIGINT,
    last_error TEXT,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO jobs_new (id, kind, payload, state, attempts, max_attempts, run_at_ms, locked_by, locked_until_ms, last_error, idempotency_key, created_at, updated_at)
    SELECT id, kind, payload, state, attempts, max_attempts, run_at_ms, locked_by, locked_until_ms, last_error, idempotency_key, created_at, updated_at FROM jobs;
DELETE FROM sqlite_sequence WHERE name = 'jobs_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs_new', seq FROM sqlite_sequence WHERE name = 'jobs';
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_due ON jobs(state, run_at_ms, id);

CREATE TABLE requests_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    contract_id BIGINT NOT NULL REFERENCES connections(id),
    type TEXT NOT NULL,
    -- Requests in the same group on one connection conflict while open.
    conflict_group TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CONSTRAINT requests_status_check CHECK (status IN ('Pending', 'InProgress', 'Completed', 'Rejected')),
    reason TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    result TEXT
);
INSERT INTO requests_new (id, partner_id, customer_id, contract_id, type, conflict_group, payload, status, reason, created_by, created_at, updated_at, completed_at, result)
    SELECT id, partner_id, customer_id, contract_id, type, conflict_group, payload, status, reason, created_by, created_at, updated_at, completed_at, result FROM requests;
DELETE FROM sqlite_sequence WHERE name = 'requests_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'requests_new', seq FROM sqlite_sequence WHERE name = 'requests';
DROP TABLE requests;
ALTER TABLE requests_new RENAME TO requests;
CREATE INDEX requests_contract ON requests(contract_id, id);
CREATE INDEX requests_customer ON requests(customer_id, id);
CREATE UNIQUE INDEX requests_open_group ON requests(contract_id, conflict_group) WHERE status IN ('Pending', 'InProgress');

CREATE TABLE isp_users_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT REFERENCES customers(id),
    profile_id BIGINT NOT NULL REFERENCES isp_profiles(id),
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- AES-256-GCM of the password, for CHAP profiles only.
    password_sealed TEXT,
    status TEXT NOT NULL CONSTRAINT isp_users_status_check CHECK (status IN ('active', 'suspended', 'disabled')),
    expiration TIMESTAMP,
    mac TEXT,
    static_ip TEXT,
    created_at TIMESTAMP NOT NULL,
    activated_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP,
    last_auth_at TIMESTAMP,
    last_auth_result TEXT,
    UNIQUE (partner_id, username)
);
INSERT INTO isp_users_new (id, partner_id, customer_id, profile_id, username, password_hash, password_sealed, status, expiration, mac, static_ip, created_at, activated_at, updated_at, disabled_at, last_auth_at, last_auth_result)
    SELECT id, partner_id, customer_id, profile_id, username, password_hash, password_sealed, status, expiration, mac, static_ip, created_at, activated_at, updated_at, disabled_at, last_auth_at, last_auth_result FROM isp_users;
DELETE FROM sqlite_sequence WHERE name = 'isp_users_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'isp_users_new', seq FROM sqlite_sequence WHERE name = 'isp_users';
DROP TABLE isp_users;
ALTER TABLE isp_users_new RENAME TO isp_users;
CREATE INDEX isp_users_customer ON isp_users(customer_id);
CREATE INDEX isp_users_profile ON isp_users(partner_id, profile_id, id);
CREATE UNIQUE INDEX isp_users_static_ip ON isp_users(partner_id, static_ip) WHERE static_ip IS NOT NULL AND status <> 'disabled';
-- [postgres]
ALTER TABLE connections ADD CONSTRAINT connections_status_check CHECK (status IN ('Active', 'PortedOut', 'Ceased'));
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled'));
ALTER TABLE order_mobiles ADD CONSTRAINT order_mobiles_status_check CHECK (status IN ('Draft', 'Pending', 'Completed', 'Rejected', 'Cancelled'));
ALTER TABLE order_history ADD CONSTRAINT order_history_from_status_check CHECK (from_status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled'));
ALTER TABLE order_history ADD CONSTRAINT order_history_to_status_check CHECK (to_status IN ('Draft', 'Submitted', 'InProgress', 'Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled'));
ALTER TABLE number_pool ADD CONSTRAINT number_pool_status_check CHECK (status IN ('free', 'reserved', 'assigned'));
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'running', 'done', 'dead'));
ALTER TABLE requests ADD CONSTRAINT requests_status_check CHECK (status IN ('Pending', 'InProgress', 'Completed', 'Rejected'));
ALTER TABLE isp_users ADD CONSTRAINT isp_users_status_check CHECK (status IN ('active', 'suspended', 'disabled'));
-- [both]
