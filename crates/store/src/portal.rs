//! Portal users and their sessions (migration 0013). A session is found
//! by the SHA-256 of its cookie's token; it ends when revoked, idle too
//! long or past its last moment.

use crate::credentials::hash_secret;
use crate::{args, Portal, Result, StoreError};
use chrono::{DateTime, Utc};
use domain::portal::Role;

/// A portal user.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct PortalUser {
    pub id: i64,
    pub partner_id: i64,
    pub username: String,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub failed_logins: i64,
    pub last_failed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

const USER_COLS: &str = "id, partner_id, username, password_hash, role, failed_logins, last_failed_at, created_at, disabled_at";

/// A live session: its user and its CSRF token.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub partner_id: i64,
    pub username: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub csrf_token: String,
    pub last_seen_at: DateTime<Utc>,
}

impl Portal<'_> {
    /// The portal users of the partners the caller sees, by name.
    pub async fn users_visible(&self, vis: crate::Visibility) -> Result<Vec<PortalUser>> {
        let (all, partner) = vis.binds();
        self.read_all(
            &format!("SELECT {USER_COLS} FROM portal_users WHERE ($1 OR partner_id = $2) ORDER BY username"),
            args![all, partner],
        )
        .await
    }

    /// Creates a user with an Argon2id hash of `password` made already.
    pub async fn create_user(
        &self,
        actor: &str,
        partner_id: i64,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<PortalUser> {
        let now = self.now();
        self.write(async |tx| {
            let row: PortalUser = tx
                .fetch_one(
                    &format!(
                        "INSERT INTO portal_users (partner_id, username, password_hash, role, failed_logins, created_at) \
                         VALUES ($1, $2, $3, $4, 0, $5) RETURNING {USER_COLS}"
                    ),
                    args![partner_id, username, password_hash, role.as_str(), now],
                )
                .await
                .map_err(|e| StoreError::unique_of(e, format!("a portal user {username} exists already")))?;
            crate::audit::write(
                tx,
                now,
                &crate::audit::AuditEntry::of(actor, Some(partner_id), "portal_user", row.id, "create")
                    .after(serde_json::json!({"username": username, "role": role.as_str()})),
            )
            .await?;
            Ok(row)
        })
        .await
    }

    /// A user by name.
    pub async fn user(&self, username: &str) -> Result<Option<PortalUser>> {
        self.read_optional(
            &format!("SELECT {USER_COLS} FROM portal_users WHERE username = $1"),
            args![username],
        )
        .await
    }

    /// Counts a failed login against the user.
    pub async fn failed_login(&self, id: i64) -> Result<()> {
        let now = self.now();
        self.write(async |tx| {
            tx.execute(
                "UPDATE portal_users SET failed_logins = failed_logins + 1, last_failed_at = $1 WHERE id = $2",
                args![now, id],
            )
            .await
        })
        .await?;
        Ok(())
    }

    /// A successful login: the failures are forgotten and a session
    /// starts, kept by the hash of `token`.
    pub async fn start_session(
        &self,
        user: &PortalUser,
        token: &str,
        csrf: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let now = self.now();
        self.write(async |tx| {
            tx.execute(
                "UPDATE portal_users SET failed_logins = 0, last_failed_at = NULL WHERE id = $1",
                args![user.id],
            )
            .await?;
            tx.execute(
                "INSERT INTO portal_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
                args![hash_secret(token), user.id, csrf, now, expires_at],
            )
            .await?;
            crate::audit::write(
                tx,
                now,
                &crate::audit::AuditEntry::of(&format!("portal:{}", user.username), Some(user.partner_id), "portal_user", user.id, "login"),
            )
            .await
        })
        .await
    }

    /// The live session of `token` (not revoked, not expired, its user
    /// not disabled), if any.
    pub async fn session(
        &self,
        token: &str,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<SessionRow>> {
        let now = self.now();
        self.read_optional(
            "SELECT u.id AS user_id, u.partner_id, u.username, u.role, s.csrf_token, s.last_seen_at FROM portal_sessions s \
             JOIN portal_users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.disabled_at IS NULL",
            args![hash_secret(token), now, idle_since],
        )
        .await
    }

    /// Marks a session used now.
    pub async fn touch(&self, token: &str) -> Result<()> {
        let now = self.now();
        self.write(async |tx| {
            tx.execute(
                "UPDATE portal_sessions SET last_seen_at = $1 WHERE token_hash = $2",
                args![now, hash_secret(token)],
            )
            .await
        })
        .await?;
        Ok(())
    }

    /// Ends a session.
    pub async fn revoke(&self, token: &str) -> Result<()> {
        let now = self.now();
        self.write(async |tx| {
            tx.execute(
                "UPDATE portal_sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
                args![now, hash_secret(token)],
            )
            .await
        })
        .await?;
        Ok(())
    }
}

/// The dashboard's counts, for the caller's records.
#[derive(Debug, Clone, Copy, sqlx::FromRow, store::DirectRow)]
pub struct Dashboard {
    pub live_connections: i64,
    pub orders_in_progress: i64,
    pub open_tasks: i64,
    pub alerts_today: i64,
    pub sessions_online: i64,
}

impl Portal<'_> {
    /// What the dashboard counts: live connections, orders submitted or in
    /// progress, tasks not closed, alerts raised since `day_start`, RADIUS
    /// sessions not stopped.
    pub async fn dashboard(
        &self,
        vis: crate::Visibility,
        day_start: DateTime<Utc>,
    ) -> Result<Dashboard> {
        let (all, partner) = vis.binds();
        self.read_one(
            "SELECT \
               (SELECT COUNT(*) FROM connections WHERE ($1 OR partner_id = $2) AND status = 'Active') AS live_connections, \
               (SELECT COUNT(*) FROM orders WHERE ($1 OR partner_id = $2) AND status IN ('Submitted', 'InProgress')) AS orders_in_progress, \
               (SELECT COUNT(*) FROM tasks WHERE ($1 OR partner_id = $2) AND status_id <> $3) AS open_tasks, \
               (SELECT COUNT(*) FROM alerts WHERE ($1 OR partner_id = $2) AND raised_at >= $4) AS alerts_today, \
               (SELECT COUNT(*) FROM radius_sessions WHERE ($1 OR partner_id = $2) AND stopped_at IS NULL) AS sessions_online",
            args![all, partner, domain::task::CLOSED, day_start],
        )
        .await
    }
}

/// A connection found by the search box.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct FoundConnection {
    pub id: i64,
    pub customer_id: i64,
    pub cli: String,
    pub network: String,
    pub status: String,
}

/// A subscriber found by the search box.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct FoundSubscriber {
    pub id: i64,
    pub username: String,
    pub status: String,
}

impl Portal<'_> {
    /// Visible connections with this CLI or ICCID (newest first).
    pub async fn find_connections(
        &self,
        vis: crate::Visibility,
        cli: Option<&str>,
        iccid: Option<&str>,
    ) -> Result<Vec<FoundConnection>> {
        let (all, partner) = vis.binds();
        self.read_all(
            "SELECT id, customer_id, cli, network, status FROM connections \
             WHERE ($1 OR partner_id = $2) AND (cli = $3 OR iccid = $4) ORDER BY id DESC LIMIT 20",
            args![all, partner, cli.unwrap_or(""), iccid.unwrap_or("")],
        )
        .await
    }

    /// Visible ISP subscribers with this user name (any case), this
    /// static IP, or online now at this IP address.
    pub async fn find_subscribers(
        &self,
        vis: crate::Visibility,
        text: &str,
    ) -> Result<Vec<FoundSubscriber>> {
        let (all, partner) = vis.binds();
        self.read_all(
            "SELECT u.id, u.username, u.status FROM isp_users u WHERE ($1 OR u.partner_id = $2) AND u.id IN ( \
               SELECT id FROM isp_users WHERE LOWER(username) = LOWER($3) \
               UNION SELECT id FROM isp_users WHERE static_ip = $3 AND static_ip IS NOT NULL \
               UNION SELECT user_id FROM radius_sessions WHERE framed_ip = $3 AND stopped_at IS NULL AND user_id IS NOT NULL) \
             ORDER BY u.id LIMIT 20",
            args![all, partner, text],
        )
        .await
    }
}
