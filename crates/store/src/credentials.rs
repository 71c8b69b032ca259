//! API clients (OAuth client credentials) and API users (legacy HTTP
//! Basic). Client secrets are random 256-bit values stored as SHA-256
//! hashes (a fast hash is right for high-entropy secrets); user passwords
//! are chosen by people and stored as Argon2id hashes.

use crate::audit::AuditEntry;
use crate::{args, Credentials, Result, StoreError};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use domain::Scopes;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A client as listed (never with its secret).
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow, serde::Serialize)]
pub struct ApiClient {
    pub id: i64,
    pub partner_id: i64,
    pub client_id: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub scopes: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A newly created client with its secret, shown once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewClient {
    pub id: i64,
    pub partner_id: i64,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: String,
}

/// An API user (HTTP Basic on the legacy mobile API).
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow, serde::Serialize)]
pub struct ApiUser {
    pub id: i64,
    pub partner_id: i64,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// `n` random bytes from the OS, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// SHA-256 of a secret, hex-encoded.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Argon2id hash of a password, in PHC string form.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 with default parameters hashes any password")
        .to_string()
}

/// Checks a password against a PHC Argon2 hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

const CLIENT_COLS: &str =
    "id, partner_id, client_id, secret_hash, scopes, description, created_at, revoked_at";
const USER_COLS: &str = "id, partner_id, username, password_hash, scopes, created_at, disabled_at";

impl Credentials<'_> {
    /// Creates an API client for `partner_id` with `scopes`; answers its
    /// secret once.
    pub async fn create_client(
        &self,
        actor: &str,
        partner_id: i64,
        scopes: Scopes,
        description: &str,
    ) -> Result<NewClient> {
        self.partners().get_partner(partner_id).await?;
        let client_id = format!("sb_{}", random_hex(12));
        let secret = random_hex(32);
        let scopes_text = scopes.to_string();
        let now = self.now();
        let id: i64 = self
            .write(async |tx| {
                let (id,): (i64,) = tx
                    .fetch_one(
                        "INSERT INTO api_clients (partner_id, client_id, secret_hash, scopes, description, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        args![partner_id, &client_id, hash_secret(&secret), &scopes_text, description, now],
                    )
                    .await?;
                let entry = AuditEntry::of(actor, Some(partner_id), "api_client", client_id.clone(), "create")
                    .after(serde_json::json!({"scopes": scopes_text, "description": description}));
                crate::audit::write(tx, now, &entry).await?;
                Ok::<_, StoreError>(id)
            })
            .await?;
        Ok(NewClient { id, partner_id, client_id, client_secret: secret, scopes: scopes_text })
    }

    pub async fn list_clients(&self) -> Result<Vec<ApiClient>> {
        self.read_all::<ApiClient>(
            &format!("SELECT {CLIENT_COLS} FROM api_clients ORDER BY id"),
            args![],
        )
        .await
    }

    /// The clients of the partners the caller sees, newest first.
    pub async fn clients_visible(&self, vis: crate::Visibility) -> Result<Vec<ApiClient>> {
        let (all, partner) = vis.binds();
        self.read_all::<ApiClient>(
            &format!("SELECT {CLIENT_COLS} FROM api_clients WHERE ($1 OR partner_id = $2) ORDER BY id DESC"),
            args![all, partner],
        )
        .await
    }

    /// The API users of the partners the caller sees, by name.
    pub async fn users_visible(&self, vis: crate::Visibility) -> Result<Vec<ApiUser>> {
        let (all, partner) = vis.binds();
        self.read_all::<ApiUser>(
            &format!(
                "SELECT {USER_COLS} FROM users WHERE ($1 OR partner_id = $2) ORDER BY username"
            ),
            args![all, partner],
        )
        .await
    }

    pub async fn client_by_client_id(&self, client_id: &str) -> Result<Option<ApiClient>> {
        self.read_optional::<ApiClient>(
            &format!("SELECT {CLIENT_COLS} FROM api_clients WHERE client_id = $1"),
            args![client_id],
        )
        .await
    }

    /// The client whose id and secret these are, if it is not revoked.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<Option<ApiClient>> {
        let client = self.client_by_client_id(client_id).await?;
        Ok(client.filter(|c| {
            c.revoked_at.is_none() && constant_time_eq(&c.secret_hash, &hash_secret(secret))
        }))
    }

    /// Whether the client with database id `id` exists and is not revoked.
    pub async fn client_active(&self, id: i64) -> Result<bool> {
        let revoked: Option<(Option<DateTime<Utc>>,)> = self
            .read_optional("SELECT revoked_at FROM api_clients WHERE id = $1", args![id])
            .await?;
        Ok(matches!(revoked, Some((None,))))
    }

    /// Revokes a client (by `client_id`); its tokens stop working.
    pub async fn revoke_client(&self, actor: &str, client_id: &str) -> Result<()> {
        let now = self.now();
        let revoked = self
            .write(async |tx| {
                let partner: Option<(i64,)> = tx
                    .fetch_optional(
                        "UPDATE api_clients SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL RETURNING partner_id",
                        args![now, client_id],
                    )
                    .await?;
                let Some((partner,)) = partner else {
                    return Ok(false);
                };
                let entry = AuditEntry::of(actor, Some(partner), "api_client", client_id.to_owned(), "revoke")
                    .before(serde_json::json!({"revokedAt": null}))
                    .after(serde_json::json!({"revokedAt": now}));
                crate::audit::write(tx, now, &entry).await?;
                Ok::<_, StoreError>(true)
            })
            .await?;
        if revoked {
            return Ok(());
        }
        match self.client_by_client_id(client_id).await? {
            Some(_) => Err(StoreError::Conflict(format!("client {client_id} is already revoked"))),
            None => Err(StoreError::NotFound),
        }
    }

    /// Creates an API user with an Argon2id-hashed password.
    pub async fn create_user(
        &self,
        actor: &str,
        partner_id: i64,
        username: &str,
        password: &str,
        scopes: Scopes,
    ) -> Result<ApiUser> {
        self.partners().get_partner(partner_id).await?;
        let hash = hash_password(password);
        let now = self.now();
        self.write(async |tx| {
            let user: ApiUser = tx
                .fetch_one(
                    &format!("INSERT INTO users (partner_id, username, password_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLS}"),
                    args![partner_id, username, &hash, scopes.to_string(), now],
                )
                .await
                .map_err(|e| StoreError::unique_of(e, format!("a user named {username:?} already exists")))?;
            let entry = AuditEntry::of(actor, Some(partner_id), "user", user.id, "create")
                .after(serde_json::json!({"username": username, "scopes": user.scopes}));
            crate::audit::write(tx, now, &entry).await?;
            Ok(user)
        })
        .await
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<ApiUser>> {
        self.read_optional::<ApiUser>(
            &format!("SELECT {USER_COLS} FROM users WHERE username = $1"),
            args![username],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_eq!(hash_secret("a").len(), 64);
        assert!(
            constant_time_eq("abc", "abc")
                && !constant_time_eq("abc", "abd")
                && !constant_time_eq("a", "ab")
        );
        assert_eq!(random_hex(16).len(), 32);
    }
}
