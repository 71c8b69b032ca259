-- The staff portal: its users (Argon2id passwords, a role, the failed
-- logins that lock an account) and their sessions, kept server-side by
-- the SHA-256 of the cookie's token so that a session can be revoked and
-- a stolen database holds no usable cookie.

CREATE TABLE portal_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CONSTRAINT portal_users_role_check CHECK (role IN ('platform-admin', 'partner-admin', 'partner-agent')),
    failed_logins BIGINT NOT NULL,
    last_failed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

CREATE TABLE portal_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES portal_users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
