-- Foundation: partners, credentials, settings, audit, idempotency,
-- customers, the catalogue and connections. SQLite flavour.

CREATE TABLE partners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    is_house BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    partner_id BIGINT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);

CREATE TABLE idempotency_keys (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (actor, key)
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    company_name TEXT NOT NULL,
    co_reg_number TEXT,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    contact_phone TEXT,
    address_lines TEXT NOT NULL,
    town TEXT NOT NULL,
    postcode TEXT NOT NULL,
    billing_email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX customers_partner ON customers(partner_id, id);
-- Customer ids start at 1000 and contract ids at 50000, as integrators of
-- the platforms we replace are used to; distinct ranges also make a
-- customerId passed where a contractId belongs fail loudly.
INSERT INTO sqlite_sequence (name, seq) VALUES ('customers', 999);

CREATE TABLE tariffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    network TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    plan_type TEXT NOT NULL,
    monthly_pence BIGINT NOT NULL,
    term_months BIGINT NOT NULL,
    data_mb BIGINT,
    minutes BIGINT,
    texts BIGINT,
    bill_cap_eligible BOOLEAN NOT NULL,
    bill_cap_min_pence BIGINT NOT NULL DEFAULT 0,
    bill_cap_max_pence BIGINT NOT NULL DEFAULT 0,
    retired BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX tariffs_network ON tariffs(network, id);

CREATE TABLE bundles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    network TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    monthly_pence BIGINT NOT NULL,
    recurring BOOLEAN NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX bundles_network ON bundles(network, id);
INSERT INTO sqlite_sequence (name, seq) VALUES ('bundles', 300);

CREATE TABLE tariff_bundles (
    tariff_id BIGINT NOT NULL REFERENCES tariffs(id),
    bundle_id BIGINT NOT NULL REFERENCES bundles(id),
    PRIMARY KEY (tariff_id, bundle_id)
);

CREATE TABLE bars (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    network TEXT NOT NULL,
    bar_suffix TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    UNIQUE (network, bar_suffix)
);

CREATE TABLE connections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    cli TEXT NOT NULL,
    network TEXT NOT NULL,
    status TEXT NOT NULL,
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
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX connections_customer ON connections(customer_id, id);
-- A number may come back after it ported out or ceased: unique among live
-- connections only; lookups take the newest.
CREATE UNIQUE INDEX connections_live_cli ON connections(cli) WHERE status NOT IN ('Ceased', 'PortedOut');
CREATE INDEX connections_cli ON connections(cli, id);
CREATE UNIQUE INDEX connections_iccid ON connections(iccid) WHERE iccid IS NOT NULL AND status NOT IN ('Ceased', 'PortedOut');
INSERT INTO sqlite_sequence (name, seq) VALUES ('connections', 49999);
