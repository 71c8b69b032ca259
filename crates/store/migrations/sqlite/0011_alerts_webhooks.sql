-- Alerts (CapZ thresholds reached and bill-limit notices), each once per
-- connection, billing period and threshold; the bill-limit log (caps set,
-- changed and removed, notices, bars, consents: s.124S asks that each be
-- on record); events with their webhook deliveries (the outbox: written
-- in the transaction that made the change, sent by the job queue).

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    connection_id BIGINT NOT NULL REFERENCES connections(id),
    cli TEXT NOT NULL,
    period_start DATE NOT NULL,
    kind TEXT NOT NULL CONSTRAINT alerts_kind_check CHECK (kind IN ('threshold', 'billCapNear', 'billCapReached')),
    measure TEXT NOT NULL,
    value BIGINT NOT NULL,
    action TEXT NOT NULL CONSTRAINT alerts_action_check CHECK (action IN ('notify', 'bar')),
    reading BIGINT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    UNIQUE (connection_id, period_start, kind, measure, value)
);
CREATE INDEX alerts_customer ON alerts (customer_id, id);

CREATE TABLE bill_limit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    connection_id BIGINT NOT NULL REFERENCES connections(id),
    period_start DATE NOT NULL,
    at TIMESTAMP NOT NULL,
    event TEXT NOT NULL CONSTRAINT bill_limit_log_event_check CHECK (event IN ('capSet', 'capRemoved', 'notice', 'barred', 'lifted', 'consent')),
    cap_before BIGINT,
    cap_pence BIGINT,
    spend_pence BIGINT NOT NULL,
    by_whom TEXT NOT NULL,
    method TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX bill_limit_log_connection ON bill_limit_log (connection_id, id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_partner ON events (partner_id, created_at);

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    description TEXT NOT NULL,
    secret TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    failing_since TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX webhooks_partner ON webhooks (partner_id);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    status TEXT NOT NULL CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (webhook_id, event_id)
);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id),
    at TIMESTAMP NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
