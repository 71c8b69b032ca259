-- The ISP face: API tokens, speed profiles, subscribers and their RADIUS
-- accounting sessions.

-- API tokens of a user (the ISP API, and FreeRADIUS's shared secret):
-- random, shown once, kept as a SHA-256 hash.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    token_hash TEXT NOT NULL UNIQUE,
    -- The first characters, to tell tokens apart in a list.
    prefix TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Speed profiles: what a subscriber buys, and the RADIUS reply it makes.
CREATE TABLE isp_profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    name TEXT NOT NULL,
    download_kbps BIGINT NOT NULL,
    upload_kbps BIGINT NOT NULL,
    price_pence BIGINT NOT NULL,
    period_days BIGINT NOT NULL,
    framed_pool TEXT,
    acct_interim_secs BIGINT NOT NULL,
    simultaneous_use BIGINT NOT NULL,
    -- CHAP / MS-CHAP (PPPoE): the password is also kept encrypted.
    chap BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (partner_id, name)
);

-- Subscribers. status is what staff set (active, suspended, disabled);
-- expired is derived from expiration when read.
CREATE TABLE isp_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT REFERENCES customers(id),
    profile_id BIGINT NOT NULL REFERENCES isp_profiles(id),
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- AES-256-GCM of the password, for CHAP profiles only.
    password_sealed TEXT,
    status TEXT NOT NULL,
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
CREATE UNIQUE INDEX isp_users_static_ip ON isp_users(partner_id, static_ip) WHERE static_ip IS NOT NULL AND status <> 'disabled';
CREATE INDEX isp_users_profile ON isp_users(partner_id, profile_id, id);
CREATE INDEX isp_users_customer ON isp_users(customer_id);

-- RADIUS accounting sessions, one per Acct-Unique-Session-Id (or NAS and
-- Acct-Session-Id): Start, Interim-Update and Stop update it in place.
CREATE TABLE radius_sessions (
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
    terminate_cause TEXT,
    UNIQUE (partner_id, unique_id)
);
CREATE INDEX radius_sessions_user ON radius_sessions(user_id, id);
CREATE INDEX radius_sessions_open ON radius_sessions(user_id) WHERE stopped_at IS NULL;
