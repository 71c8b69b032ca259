//! API tokens: random secrets of a user (the ISP API's Bearer or
//! X-Auth-Token, and FreeRADIUS's shared secret), shown once and kept as
//! SHA-256 hashes; listed by prefix, revoked by id.

use crate::audit::AuditEntry;
use crate::credentials::{hash_secret, random_hex};
use crate::{args, Result, StoreError, Tokens};
use chrono::{DateTime, Utc};

/// What every API token starts with (tells it from a JWT).
pub const TOKEN_PREFIX: &str = "sbt_";

/// A token as listed (never the token itself).
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow, serde::Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub partner_id: i64,
    pub prefix: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A live token's owner, as authentication needs it.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct TokenOwner {
    pub token_id: i64,
    pub user_id: i64,
    pub username: String,
    pub partner_id: i64,
    pub scopes: String,
}

const TOKEN_COLS: &str = "t.id, t.user_id, u.username, t.partner_id, t.prefix, t.description, t.created_at, t.last_used_at, t.revoked_at";

impl Tokens<'_> {
    /// Creates a token for `user` (the use case has checked it and the
    /// description); answers the row and the token, which is shown this
    /// once.
    pub async fn create_api_token(
        &self,
        actor: &str,
        user: &crate::credentials::ApiUser,
        description: &str,
    ) -> Result<(TokenRow, String)> {
        let username = user.username.as_str();
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32));
        let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 8).collect();
        let now = self.now();
        let id: i64 = self
            .write(async |tx| {
                let (id,): (i64,) = tx
                    .fetch_one(
                        "INSERT INTO api_tokens (user_id, partner_id, token_hash, prefix, description, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        args![user.id, user.partner_id, hash_secret(&token), &prefix, description, now],
                    )
                    .await?;
                let entry = AuditEntry::of(actor, Some(user.partner_id), "api_token", id, "create")
                    .after(serde_json::json!({"user": username, "prefix": prefix, "description": description}));
                crate::audit::write(tx, now, &entry).await?;
                Ok::<_, StoreError>(id)
            })
            .await?;
        let row = self
            .list_api_tokens(Some(username))
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(StoreError::NotFound)?;
        Ok((row, token))
    }

    /// Tokens, newest first; of one user when named.
    pub async fn list_api_tokens(&self, username: Option<&str>) -> Result<Vec<TokenRow>> {
        self.read_all::<TokenRow>(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE ($1 IS NULL OR u.username = $1) ORDER BY t.id DESC"), args![username]).await
    }

    /// The tokens of the partners the caller sees, newest first.
    pub async fn tokens_visible(&self, vis: crate::Visibility) -> Result<Vec<TokenRow>> {
        let (all, partner) = vis.binds();
        self.read_all::<TokenRow>(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE ($1 OR t.partner_id = $2) ORDER BY t.id DESC"), args![all, partner]).await
    }

    /// Revokes a token by id; it stops working at once (within the auth cache's life).
    pub async fn revoke_api_token(&self, actor: &str, id: i64) -> Result<()> {
        let now = self.now();
        self.write(async |tx| {
            let partner: Option<(i64,)> = tx
                .fetch_optional(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING partner_id",
                    args![now, id],
                )
                .await?;
            let Some((partner,)) = partner else {
                return Err(domain::Error::not_found(format!("no live token {id}")).into());
            };
            let entry = AuditEntry::of(actor, Some(partner), "api_token", id, "revoke");
            crate::audit::write(tx, now, &entry).await
        })
        .await
    }

    /// The owner of a live token (not revoked, user not disabled), by the
    /// token's hash; notes when it was last used.
    pub async fn api_token_owner(&self, token: &str) -> Result<Option<TokenOwner>> {
        let owner: Option<TokenOwner> = self.read_optional::<TokenOwner>("SELECT t.id AS token_id, u.id AS user_id, u.username, t.partner_id, u.scopes FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL", args![hash_secret(token)]).await?;
        if let Some(o) = &owner {
            self.execute(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2",
                args![self.now(), o.token_id],
            )
            .await?;
        }
        Ok(owner)
    }
}
