//! Authentication and scopes.
//!
//! `POST /token` issues HS256 JWT access tokens (OAuth 2.0 client
//! credentials, client authenticated by HTTP Basic). Every `/api/` call
//! takes `Authorization: Bearer <jwt>` or legacy HTTP Basic with an API
//! user's name and password. A token stops working when it expires, when
//! its signature is wrong, or when its client is revoked; revocation is
//! checked against the database at most every `auth_cache_ttl` per client,
//! and Argon2 password checks are cached the same way, so the hot path is
//! one HMAC.

use crate::error::{ApiError, AuthError};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use domain::{Scope, Scopes};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lifetime of an access token, in seconds.
pub const TOKEN_LIFETIME_SECS: i64 = 3600;
const ISSUER: &str = "switchboard";

/// Who is calling, established by the auth extractor: the use cases'
/// [`app::Principal`], which it derefs to.
#[derive(Debug, Clone)]
pub struct Principal(pub app::Principal);

impl std::ops::Deref for Principal {
    type Target = app::Principal;
    fn deref(&self) -> &app::Principal {
        &self.0
    }
}

impl Principal {
    pub(crate) fn new(actor: String, partner_id: i64, scopes: Scopes) -> Principal {
        Principal(app::Principal { actor, partner_id, scopes })
    }

    /// Fails with 403 `insufficient_scope` unless the caller has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        self.0.require(scope).map_err(ApiError::from)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    /// The client's public `client_id`.
    sub: String,
    /// The client's database id (revocation check).
    cid: i64,
    /// The client's partner.
    pid: i64,
    scope: String,
    iat: i64,
    exp: i64,
}

/// Signing keys and the caches of the auth hot path.
pub struct Auth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    cache_ttl: Duration,
    active_clients: Mutex<HashMap<i64, Instant>>,
    users: Mutex<HashMap<String, CachedUser>>,
    /// API tokens by their SHA-256, with when they were last found live.
    tokens: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
    /// Access tokens already verified: their caller, expiry (epoch
    /// seconds) and client id. A token is the same claims every time it is
    /// sent, so its signature is checked once; its expiry and its client's
    /// revocation are checked every time.
    access: Mutex<HashMap<String, (Principal, u64, i64)>>,
}

/// Verified access tokens kept at most; the cache starts over when full.
const ACCESS_CACHE_MAX: usize = 4096;

struct CachedUser {
    password_sha: [u8; 32],
    principal: Principal,
    at: Instant,
}

impl Auth {
    /// Keys from `secret` (at least 32 bytes of key material).
    pub fn new(secret: &[u8], cache_ttl: Duration) -> Auth {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        Auth {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            cache_ttl,
            active_clients: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            access: Mutex::new(HashMap::new()),
        }
    }

    /// Issues an access token for a client.
    pub fn issue(&self, client: &app::auth::ApiClient, scopes: Scopes, now: i64) -> String {
        let claims = Claims {
            iss: ISSUER.into(),
            sub: client.client_id.clone(),
            cid: client.id,
            pid: client.partner_id,
            scope: scopes.to_string(),
            iat: now,
            exp: now + TOKEN_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// The caller of an API token (`sbt_…`): its user's partner and scopes.
    pub async fn api_token(&self, app: &app::App, token: &str) -> Result<Principal, ApiError> {
        let sha: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if !self.cache_ttl.is_zero() {
            let cache = self.tokens.lock().expect("auth cache lock");
            if let Some((p, at)) = cache.get(&sha) {
                if at.elapsed() < self.cache_ttl {
                    return Ok(p.clone());
                }
            }
        }
        let principal = Principal(app.api_token_caller(token).await?.ok_or_else(|| {
            AuthError::invalid_token("Unauthorized access - invalid token provided.")
        })?);
        if !self.cache_ttl.is_zero() {
            let mut cache = self.tokens.lock().expect("auth cache lock");
            cache.insert(sha, (principal.clone(), Instant::now()));
        }
        Ok(principal)
    }

    /// The caller of an ISP-face or RADIUS request: an API token in
    /// `X-Auth-Token` or `Authorization: Bearer` (a client's JWT works too).
    pub async fn token_caller(
        &self,
        app: &app::App,
        headers: &HeaderMap,
    ) -> Result<Principal, ApiError> {
        let text = |v: &axum::http::HeaderValue| {
            v.to_str().map(|s| s.trim().to_owned()).map_err(|_| {
                AuthError::invalid_token("Unauthorized access - invalid token provided.")
            })
        };
        // `Authorization: Bearer` wins when both headers are sent (it is the
        // standard one); `X-Auth-Token` is read only without it. Either
        // carries an API token (`sbt_…`) or an access token from /token.
        let token = match headers.get(header::AUTHORIZATION) {
            Some(v) => {
                let v = text(v)?;
                let (scheme, token) = v.split_once(' ').unwrap_or((&v, ""));
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return Err(AuthError::invalid_token(format!(
                        "Unsupported authorization scheme {scheme:?}: use Bearer or X-Auth-Token."
                    ))
                    .into());
                }
                token.trim().to_owned()
            }
            None => match headers.get("x-auth-token") {
                Some(v) => text(v)?,
                None => {
                    return Err(AuthError::invalid_token(
                        "Unauthorized access - no token provided: send Authorization: Bearer <token> or X-Auth-Token: <token>.",
                    )
                    .into())
                }
            },
        };
        if token.starts_with(app::auth::TOKEN_PREFIX) {
            self.api_token(app, &token).await
        } else {
            self.bearer(app, &token).await
        }
    }

    pub(crate) async fn bearer(&self, app: &app::App, token: &str) -> Result<Principal, ApiError> {
        let known = if self.cache_ttl.is_zero() {
            None
        } else {
            let cache = self.access.lock().expect("auth cache lock");
            cache.get(token).cloned()
        };
        if let Some((principal, exp, cid)) = known {
            if exp > jsonwebtoken::get_current_timestamp() {
                return self.live(app, cid, principal).await;
            }
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                let why = match e.kind() {
                    K::ExpiredSignature => {
                        return AuthError::expired(
                            "The access token has expired; request a new one from POST /token.",
                        )
                    }
                    K::InvalidSignature => "The access token's signature is not valid.",
                    _ => "The access token is invalid or has expired.",
                };
                AuthError::invalid_token(why)
            })?;
        let c = data.claims;
        let scopes = Scopes::parse(&c.scope)
            .map_err(|_| AuthError::invalid_token("The access token is invalid or has expired."))?;
        let principal = Principal::new(format!("client:{}", c.sub), c.pid, scopes);
        if !self.cache_ttl.is_zero() {
            let mut cache = self.access.lock().expect("auth cache lock");
            if cache.len() >= ACCESS_CACHE_MAX {
                cache.clear();
            }
            let exp = u64::try_from(c.exp).unwrap_or(0);
            cache.insert(token.to_owned(), (principal.clone(), exp, c.cid));
        }
        self.live(app, c.cid, principal).await
    }

    /// `principal`, unless its client has been revoked.
    async fn live(
        &self,
        app: &app::App,
        cid: i64,
        principal: Principal,
    ) -> Result<Principal, ApiError> {
        if !self.client_active(app, cid).await? {
            return Err(
                AuthError::invalid_token("The access token's client has been revoked.").into()
            );
        }
        Ok(principal)
    }

    async fn client_active(&self, app: &app::App, cid: i64) -> Result<bool, ApiError> {
        if !self.cache_ttl.is_zero() {
            let cache = self.active_clients.lock().expect("auth cache lock");
            if cache.get(&cid).is_some_and(|at| at.elapsed() < self.cache_ttl) {
                return Ok(true);
            }
        }
        let active = app.client_active(cid).await?;
        let mut cache = self.active_clients.lock().expect("auth cache lock");
        if active {
            cache.insert(cid, Instant::now());
        } else {
            cache.remove(&cid);
        }
        Ok(active)
    }

    async fn basic(
        &self,
        app: &app::App,
        username: &str,
        password: &str,
    ) -> Result<Principal, ApiError> {
        let sha: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        if !self.cache_ttl.is_zero() {
            let cache = self.users.lock().expect("auth cache lock");
            if let Some(u) = cache.get(username) {
                if u.at.elapsed() < self.cache_ttl && u.password_sha == sha {
                    return Ok(u.principal.clone());
                }
            }
        }
        let bad = || {
            AuthError::invalid_token("The user name or password is wrong, or the user is disabled.")
        };
        let principal = Principal(app.user_caller(username, password).await?.ok_or_else(bad)?);
        if !self.cache_ttl.is_zero() {
            let mut cache = self.users.lock().expect("auth cache lock");
            cache.insert(
                username.to_owned(),
                CachedUser { password_sha: sha, principal: principal.clone(), at: Instant::now() },
            );
        }
        Ok(principal)
    }
}

/// Decodes an HTTP Basic header value into (user, password).
fn decode_basic(value: &str) -> Option<(String, String)> {
    let raw = base64::engine::general_purpose::STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// What a mobile-face handler starts from: the use cases and the caller,
/// authenticated by [`Principal`]'s extractor.
pub struct Call {
    pub app: std::sync::Arc<app::App>,
    pub who: Principal,
}

impl FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = Principal::from_request_parts(parts, state).await?;
        Ok(Call { app: state.app.clone(), who })
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = authenticate(parts, state).await?;
        crate::guard::rate_limit(&state.guard, parts, &who)?;
        Ok(who)
    }
}

/// The mobile face's caller, from `Authorization` (Bearer or Basic).
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(AuthError::missing("No credentials: send Authorization: Bearer <access token> (from POST /token) or Basic with an API user.").into());
    };
    let value = value
        .to_str()
        .map_err(|_| AuthError::invalid_token("The Authorization header is not readable text."))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("bearer") && rest.trim().starts_with(app::auth::TOKEN_PREFIX) {
        Err(AuthError::invalid_token(format!(
            "This is an API token ({}…) for the ISP API and FreeRADIUS; the mobile API takes an access token from POST /token, or HTTP Basic with an API user.",
            app::auth::TOKEN_PREFIX
        ))
        .into())
    } else if scheme.eq_ignore_ascii_case("bearer") {
        state.auth.bearer(&state.app, rest.trim()).await
    } else if scheme.eq_ignore_ascii_case("basic") {
        let (user, pass) = decode_basic(rest).ok_or_else(|| {
            AuthError::invalid_token("The Basic credentials are not base64 of user:password.")
        })?;
        state.auth.basic(&state.app, &user, &pass).await
    } else {
        Err(AuthError::invalid_token(format!(
            "Unsupported authorization scheme {scheme:?}: use Bearer or Basic."
        ))
        .into())
    }
}

/// The token request (RFC 6749 section 4.4.2), form-encoded; the client
/// authenticates with HTTP Basic.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    /// Always `client_credentials`.
    #[schema(pattern = "^client_credentials$", example = "client_credentials")]
    grant_type: String,
    /// Space-separated scopes, a subset of the client's (default: all of them).
    #[schema(example = "customers orders")]
    scope: Option<String>,
}

/// The token endpoint's success body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires (3600).
    pub expires_in: i64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// OAuth 2.0 token endpoint (client credentials grant, RFC 6749 §4.4).
///
/// Authenticate the client with HTTP Basic (`client_id:client_secret`) and
/// send `grant_type=client_credentials` (optionally `scope=a b`) as
/// `application/x-www-form-urlencoded`.
#[utoipa::path(post, path = "/token", tag = "Authentication",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded", description = "grant_type=client_credentials, optionally scope; the client authenticates with HTTP Basic"),
    responses(
        (status = 200, description = "access token", body = TokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope"),
        (status = 401, description = "invalid_client"),
    ))]
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rej) => {
            let (status, message) = crate::extract::body_refusal(&rej);
            let mut e = AuthError::bad_request("invalid_request", message);
            e.status = status;
            return e.into_response();
        }
    };
    match issue_token(&state, &headers, &body, false).await {
        Ok(t) => {
            let mut resp = axum::Json(t).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => e.into_response(),
    }
}

/// Issues an access token to a client authenticated with HTTP Basic or
/// (when `form_credentials`, as RFC 6749 section 2.3.1 allows) with
/// `client_id` and `client_secret` in the form.
pub(crate) async fn issue_token(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    form_credentials: bool,
) -> Result<TokenResponse, ApiError> {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|e| {
        AuthError::bad_request(
            "invalid_request",
            format!("The body must be application/x-www-form-urlencoded: {e}"),
        )
    })?;
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, rest)| decode_basic(rest));
    let in_form = match (field("client_id"), field("client_secret")) {
        (Some(id), Some(secret)) if form_credentials => Some((id.to_owned(), secret.to_owned())),
        _ => None,
    };
    let Some((client_id, secret)) = basic.or(in_form) else {
        return Err(AuthError::invalid_client(if form_credentials {
            "Authenticate the client with HTTP Basic (client_id:client_secret) or client_id and client_secret in the form."
        } else {
            "Authenticate the client with HTTP Basic: client_id as user name, client_secret as password."
        })
        .into());
    };
    let client =
        state.app.client(&client_id, &secret).await?.ok_or_else(|| {
            AuthError::invalid_client("The client_id or client_secret is invalid.")
        })?;
    match field("grant_type") {
        None | Some("") => {
            return Err(AuthError::bad_request(
                "invalid_request",
                "grant_type is required: send grant_type=client_credentials.",
            )
            .into())
        }
        Some("client_credentials") => {}
        Some(other) => {
            return Err(AuthError::bad_request(
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported: only client_credentials is."),
            )
            .into())
        }
    }
    let granted = Scopes::parse(&client.scopes)
        .map_err(|e| ApiError::Internal(format!("client {client_id} has bad scopes: {e}")))?;
    let scopes = match field("scope") {
        None | Some("") => granted,
        Some(asked) => {
            let asked = Scopes::parse(asked)
                .map_err(|e| AuthError::bad_request("invalid_scope", e.to_string()))?;
            if !granted.covers(asked) {
                return Err(AuthError::bad_request(
                    "invalid_scope",
                    format!("The client may not ask for scopes beyond {granted}."),
                )
                .into());
            }
            asked
        }
    };
    let now = chrono::Utc::now().timestamp();
    Ok(TokenResponse {
        access_token: state.auth.issue(&client, scopes, now),
        token_type: "bearer",
        expires_in: TOKEN_LIFETIME_SECS,
        scope: scopes.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn app() -> (tempfile::TempDir, app::App) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("auth.db").display());
        let store = store::Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        (dir, app::App::new(store))
    }

    fn client(id: i64) -> app::auth::ApiClient {
        app::auth::ApiClient {
            id,
            partner_id: 3,
            client_id: format!("sb_client_{id}"),
            secret_hash: String::new(),
            scopes: "customers".into(),
            description: String::new(),
            created_at: chrono::Utc::now(),
            revoked_at: None,
        }
    }

    #[tokio::test]
    async fn a_verified_access_token_is_remembered_but_expiry_and_revocation_still_hold() {
        let (_dir, app) = app().await;
        let auth = Auth::new(&[7u8; 32], Duration::from_secs(60));
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let token = auth.issue(&client(41), Scopes::parse("customers").unwrap(), now);
        // Client 41 does not exist in the database: mark it live, as a
        // recent check would have.
        auth.active_clients.lock().unwrap().insert(41, Instant::now());
        let who = auth.bearer(&app, &token).await.unwrap();
        assert_eq!((who.actor.as_str(), who.partner_id), ("client:sb_client_41", 3));
        let cached = auth.access.lock().unwrap().get(&token).cloned();
        assert_eq!(
            cached.map(|(_, exp, cid)| (exp, cid)),
            Some(((now + TOKEN_LIFETIME_SECS) as u64, 41))
        );

        // A remembered token past its expiry is verified again (and this
        // one, not a real token, is refused).
        auth.access.lock().unwrap().insert("forged".into(), (who.clone(), now as u64 - 1, 41));
        assert!(auth.bearer(&app, "forged").await.is_err());

        // Once the client is no longer known live, the remembered token is
        // refused too: the database has no such client.
        auth.active_clients.lock().unwrap().clear();
        assert!(auth.access.lock().unwrap().contains_key(&token));
        assert!(auth.bearer(&app, &token).await.is_err());
    }
}
