-- Orders, their mobiles and history, the number pools, the durable job
-- queue, and the simulated networks' record of what they provisioned.
-- SQLite flavour.

CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    reference TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL,
    -- Who made the last change, and a note on the last status change: the
    -- history trigger copies them.
    updated_by TEXT NOT NULL,
    status_note TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    completed_at TIMESTAMP
);
CREATE INDEX orders_customer ON orders(customer_id, id);
INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 89999);

CREATE TABLE order_mobiles (
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
    status TEXT NOT NULL,
    reason TEXT,
    contract_id BIGINT,
    esim_activation_code TEXT,
    eid TEXT,
    network_reference TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX order_mobiles_order ON order_mobiles(order_id, id);
-- One open order mobile per ICCID and per CLI.
CREATE UNIQUE INDEX order_mobiles_open_iccid ON order_mobiles(iccid) WHERE iccid IS NOT NULL AND status IN ('Draft', 'Pending');
CREATE UNIQUE INDEX order_mobiles_open_cli ON order_mobiles(cli) WHERE cli IS NOT NULL AND status IN ('Draft', 'Pending');

CREATE TABLE order_mobile_bundles (
    order_mobile_id BIGINT NOT NULL REFERENCES order_mobiles(id) ON DELETE CASCADE,
    bundle_id BIGINT NOT NULL REFERENCES bundles(id),
    PRIMARY KEY (order_mobile_id, bundle_id)
);

CREATE TABLE order_mobile_bars (
    order_mobile_id BIGINT NOT NULL REFERENCES order_mobiles(id) ON DELETE CASCADE,
    bar_id BIGINT NOT NULL REFERENCES bars(id),
    PRIMARY KEY (order_mobile_id, bar_id)
);

CREATE TABLE order_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    note TEXT
);
CREATE INDEX order_history_order ON order_history(order_id, id);

CREATE TABLE number_pool (
    cli TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    status TEXT NOT NULL,
    order_mobile_id BIGINT,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX number_pool_free ON number_pool(network, status, cli);

-- Times in the queue are epoch milliseconds: compared and ordered the same
-- way on both engines.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
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
CREATE INDEX jobs_due ON jobs(state, run_at_ms, id);

CREATE TABLE carrier_operations (
    idempotency_key TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    operation TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Bookkeeping that goes with every such write, done by the database in the
-- same statement: one round trip to the single writer instead of several.

-- An order's history: a row when it is made and at every status change.
CREATE TRIGGER orders_history_on_insert AFTER INSERT ON orders BEGIN
    INSERT INTO order_history (order_id, from_status, to_status, at, actor, note)
    VALUES (NEW.id, NULL, NEW.status, NEW.updated_at, NEW.updated_by, NEW.status_note);
END;
CREATE TRIGGER orders_history_on_status AFTER UPDATE OF status ON orders WHEN NEW.status <> OLD.status BEGIN
    INSERT INTO order_history (order_id, from_status, to_status, at, actor, note)
    VALUES (NEW.id, OLD.status, NEW.status, NEW.updated_at, NEW.updated_by, NEW.status_note);
END;

-- A mobile joins only a Draft order; a pooled number must be free and is
-- reserved for it; the order is touched and the addition audited.
CREATE TRIGGER order_mobiles_on_insert AFTER INSERT ON order_mobiles BEGIN
    SELECT RAISE(ABORT, 'switchboard: order not draft')
    WHERE NOT EXISTS (SELECT 1 FROM orders WHERE id = NEW.order_id AND status = 'Draft');
    SELECT RAISE(ABORT, 'switchboard: number not free')
    WHERE NEW.number_reserved AND NOT EXISTS (SELECT 1 FROM number_pool WHERE cli = NEW.cli AND network = NEW.network AND status = 'free');
    UPDATE orders SET updated_at = NEW.created_at, updated_by = NEW.created_by WHERE id = NEW.order_id;
    UPDATE number_pool SET status = 'reserved', order_mobile_id = NEW.id, updated_at = NEW.created_at
    WHERE NEW.number_reserved AND cli = NEW.cli;
    INSERT INTO audit_log (at, actor, partner_id, entity, entity_id, action, before_json, after_json)
    SELECT NEW.created_at, NEW.created_by, o.partner_id, 'order', CAST(NEW.order_id AS TEXT), 'add_mobile', NULL,
           json_object('orderMobileId', NEW.id, 'connectionType', NEW.connection_type, 'network', NEW.network,
                       'tariffId', NEW.tariff_id, 'cli', NEW.cli, 'iccid', NEW.iccid)
    FROM orders o WHERE o.id = NEW.order_id;
END;
