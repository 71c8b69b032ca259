-- A NAS reuses an Acct-Session-Id (a counter restarting after a reboot):
-- the same unique id may name several sessions over time, one after the
-- other. At most one of them is open; which one a record belongs to is
-- domain::isp::acct_target's decision.
-- [sqlite]
--
-- SQLite drops a table constraint by rebuilding the table (see 0008).

CREATE TABLE radius_sessions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    user_id BIGINT REFERENCES isp_users(id),
    username TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    acct_session_id TEXT NOT NULL,
    nas_ip TEXT,
    nas_identifier TEXT,
    nas_port TEXT,
    framed_ip TEXT,
    calling_station_id TEXT,
    started_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    stopped_at TIMESTAMP,
    session_time BIGINT NOT NULL DEFAULT 0,
    input_bytes BIGINT NOT NULL DEFAULT 0,
    output_bytes BIGINT NOT NULL DEFAULT 0,
    terminate_cause TEXT
);
INSERT INTO radius_sessions_new SELECT id, partner_id, user_id, username, unique_id, acct_session_id, nas_ip, nas_identifier, nas_port, framed_ip,
    calling_station_id, started_at, updated_at, stopped_at, session_time, input_bytes, output_bytes, terminate_cause FROM radius_sessions;
DELETE FROM sqlite_sequence WHERE name = 'radius_sessions_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'radius_sessions_new', seq FROM sqlite_sequence WHERE name = 'radius_sessions';
DROP TABLE radius_sessions;
ALTER TABLE radius_sessions_new RENAME TO radius_sessions;
CREATE INDEX radius_sessions_user ON radius_sessions(user_id, id);
CREATE INDEX radius_sessions_open ON radius_sessions(user_id) WHERE stopped_at IS NULL;
-- [postgres]

ALTER TABLE radius_sessions DROP CONSTRAINT radius_sessions_partner_id_unique_id_key;
-- [both]
CREATE INDEX radius_sessions_unique_id ON radius_sessions(partner_id, unique_id, id);
CREATE UNIQUE INDEX radius_sessions_live ON radius_sessions(partner_id, unique_id) WHERE stopped_at IS NULL;
