//! Who is calling: the credentials every face accepts, checked once here
//! and answered as a [`Principal`] (or `None` when they do not hold). The
//! faces keep only the wire: headers, JWT signing, challenge texts and
//! their short caches.

use crate::{App, Error, Principal, Result};
use domain::Scopes;
pub use store::credentials::ApiClient;
pub use store::tokens::TOKEN_PREFIX;

fn principal(actor: String, partner_id: i64, scopes: &str) -> Result<Principal> {
    let scopes = Scopes::parse(scopes)
        .map_err(|e| Error::Internal(format!("{actor} has bad scopes: {e}")))?;
    Ok(Principal { actor, partner_id, scopes })
}

impl App {
    /// The caller of an API token (`sbt_…`): its user's partner and scopes;
    /// `None` when the token is unknown or revoked or its user disabled.
    pub async fn api_token_caller(&self, token: &str) -> Result<Option<Principal>> {
        match self.store.tokens().api_token_owner(token).await? {
            None => Ok(None),
            Some(o) => principal(format!("user:{}", o.username), o.partner_id, &o.scopes).map(Some),
        }
    }

    /// The caller of a user name and password (HTTP Basic); `None` when
    /// either is wrong or the user is disabled. The hash is checked off the
    /// async threads, one check per core at once (as subscribers' are), so
    /// a storm of wrong passwords holds memory flat.
    pub async fn user_caller(&self, username: &str, password: &str) -> Result<Option<Principal>> {
        let user = self.store.credentials().user_by_name(username).await?;
        let Some(user) = user.filter(|u| u.disabled_at.is_none()) else {
            return Ok(None);
        };
        let (pw, hash) = (password.to_owned(), user.password_hash.clone());
        let ok = self.with_argon2(move || store::credentials::verify_password(&pw, &hash)).await?;
        if !ok {
            return Ok(None);
        }
        principal(format!("user:{}", user.username), user.partner_id, &user.scopes).map(Some)
    }

    /// An API client by its id and secret (OAuth 2.0 client credentials);
    /// `None` when either is wrong or the client is revoked.
    pub async fn client(&self, client_id: &str, secret: &str) -> Result<Option<ApiClient>> {
        Ok(self.store.credentials().authenticate_client(client_id, secret).await?)
    }

    /// Whether the client with this internal id is still allowed in.
    pub async fn client_active(&self, id: i64) -> Result<bool> {
        Ok(self.store.credentials().client_active(id).await?)
    }

    /// The secret access tokens are signed with, made on first use and
    /// kept in the database so every process signs alike.
    pub async fn signing_secret(&self) -> Result<String> {
        Ok(self
            .store
            .settings()
            .setting_or_init("jwt_signing_key", || store::credentials::random_hex(32))
            .await?)
    }

    /// Whether the database answers (readiness), beside the engine's name.
    pub async fn ready(&self) -> (&'static str, Result<()>) {
        let answer = self.store.ping().await.map_err(Error::from);
        (self.store.backend(), answer)
    }

    /// What an operator watches: the job queue by kind and state, the
    /// database pools, and (SQLite) writes and commits.
    pub async fn ops_stats(&self) -> Result<OpsStats> {
        Ok(OpsStats {
            jobs: self.store.jobs().stats(self.store.now().timestamp_millis()).await?,
            pools: self.store.pool_stats(),
            writes: self.store.write_counts(),
            now_ms: self.store.now().timestamp_millis(),
        })
    }

    /// The platform's clock: now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.store.now()
    }
}

/// See [`crate::App::ops_stats`].
#[derive(Debug, Clone)]
pub struct OpsStats {
    pub jobs: Vec<store::jobs::JobStats>,
    pub pools: Vec<(&'static str, u32, u32)>,
    pub writes: Option<(u64, u64)>,
    pub now_ms: i64,
}
