-- Usage: records (CDRs) as networks deliver them, keyed by network and
-- record id (a record delivered twice is stored once; on SQLite the table
-- is its key's B-tree, WITHOUT ROWID, so an import writes one tree, not
-- two), and their sums per connection,
-- billing period, kind, direction and destination, which rating reads
-- (domain::rating rates sums, so the order records arrive in cannot matter).

CREATE TABLE usage_records (
    network TEXT NOT NULL,
    record_id TEXT NOT NULL,
    connection_id BIGINT NOT NULL REFERENCES connections(id),
    kind TEXT NOT NULL CONSTRAINT usage_records_kind_check CHECK (kind IN ('Voice', 'SMS', 'MMS', 'Data')),
    direction TEXT NOT NULL CONSTRAINT usage_records_direction_check CHECK (direction IN ('Outgoing', 'Incoming')),
    destination TEXT NOT NULL,
-- [sqlite]
    event_at TIMESTAMP NOT NULL,
-- [postgres]
    event_at TIMESTAMPTZ NOT NULL,
-- [both]
    quantity BIGINT NOT NULL,
    period_start DATE NOT NULL,
    -- Arrived after its billing period had ended: a late adjustment.
    late BOOLEAN NOT NULL,
-- [sqlite]
    imported_at TIMESTAMP NOT NULL,
-- [postgres]
    imported_at TIMESTAMPTZ NOT NULL,
-- [both]
    PRIMARY KEY (network, record_id)
-- [sqlite]
) WITHOUT ROWID;
-- [postgres]
);
-- [both]

CREATE TABLE usage_totals (
    connection_id BIGINT NOT NULL REFERENCES connections(id),
    period_start DATE NOT NULL,
    kind TEXT NOT NULL,
    direction TEXT NOT NULL,
    destination TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    -- The part that arrived after the period had ended.
    late_quantity BIGINT NOT NULL,
    records BIGINT NOT NULL,
-- [sqlite]
    last_event_at TIMESTAMP NOT NULL,
-- [postgres]
    last_event_at TIMESTAMPTZ NOT NULL,
-- [both]
    PRIMARY KEY (connection_id, period_start, kind, direction, destination)
);

-- What a bundle adds to a plan each period (rating): data, international
-- minutes to zone 1, and the roaming zones where UK allowances apply.
ALTER TABLE bundles ADD COLUMN data_mb BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bundles ADD COLUMN intl_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bundles ADD COLUMN roaming_zones BIGINT NOT NULL DEFAULT 0;
UPDATE bundles SET data_mb = 5120 WHERE code LIKE '%-DATA5';
UPDATE bundles SET data_mb = 20480 WHERE code LIKE '%-DATA20';
UPDATE bundles SET roaming_zones = 1 WHERE code LIKE '%-EUROAM';
UPDATE bundles SET roaming_zones = 2 WHERE code LIKE '%-WWROAM';
UPDATE bundles SET intl_minutes = 100 WHERE code LIKE '%-INT100';
UPDATE bundles SET intl_minutes = 500 WHERE code LIKE '%-INT500';
