//! Subscribers (`/api/v1/users`): list with filters, get by id or
//! username, create, patch, suspend, activate, renew, delete (disable,
//! history kept) and their RADIUS accounting sessions.

use super::{double_option, ok, page, parse_time, time, Base, Caller, Paging};
use crate::error::{ApiError, ApiResult};
use crate::extract::{opt_int_param, JsonBody, QueryParams};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::isp;
use domain::Error;
use serde::Deserialize;
use serde_json::{json, Value};
use store::isp::{IspUserPatch, IspUserRow, NewIspUser, ProfileRow, SessionRow, UserFilter};
use store::Visibility;
use utoipa::ToSchema;

/// A subscriber as answered, with its links.
pub fn view(base: &Base, u: &IspUserRow, now: chrono::DateTime<chrono::Utc>) -> Value {
    let mut links = json!({
        "self": base.url(&format!("/users/{}", u.id)),
        "profile": base.url(&format!("/profiles/{}", u.profile_id)),
        "sessions": base.url(&format!("/users/{}/sessions", u.id)),
        "suspend": base.url(&format!("/users/{}/suspend", u.id)),
        "activate": base.url(&format!("/users/{}/activate", u.id)),
        "renew": base.url(&format!("/users/{}/renew", u.id)),
        "collection": base.url("/users"),
    });
    if let Some(c) = u.customer_id {
        links["customer"] = json!(base.url(&format!("/customers/{c}")));
    }
    json!({
        "id": u.id,
        "username": u.username,
        "customer_id": u.customer_id,
        "status": isp::effective_status(&u.status, u.expiration, now),
        "expiration": time(u.expiration),
        "created_at": time(Some(u.created_at)),
        "activated_at": time(u.activated_at),
        "updated_at": time(Some(u.updated_at)),
        "disabled_at": time(u.disabled_at),
        "mac": u.mac,
        "static_ip": u.static_ip,
        "profile_id": u.profile_id,
        "profile_name": u.profile_name,
        "auth_type": if u.profile_chap { "chap" } else { "pap" },
        "radius_id": u.id,
        "last_auth_at": time(u.last_auth_at),
        "last_auth_result": u.last_auth_result,
        "_links": links,
    })
}

fn session_view(s: &SessionRow) -> Value {
    json!({
        "id": s.id,
        "session_id": s.acct_session_id,
        "unique_id": s.unique_id,
        "username": s.username,
        "start": time(Some(s.started_at)),
        "last_update": time(Some(s.updated_at)),
        "stop": time(s.stopped_at),
        "open": s.stopped_at.is_none(),
        "session_time": s.session_time,
        "bytes_in": s.input_bytes,
        "bytes_out": s.output_bytes,
        "nas_ip": s.nas_ip,
        "nas_identifier": s.nas_identifier,
        "nas_port": s.nas_port,
        "framed_ip": s.framed_ip,
        "calling_station_id": s.calling_station_id,
        "terminate_cause": s.terminate_cause,
    })
}

/// Finds a visible subscriber by id (digits) or username.
async fn find(state: &AppState, who: &crate::Principal, key: &str) -> ApiResult<IspUserRow> {
    let key = key.trim();
    let found = if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
        match key.parse::<i64>() {
            Ok(id) => state
                .store
                .get_isp_user(who.visibility(), id)
                .await
                .map(Some),
            Err(_) => Ok(None),
        }
    } else {
        state.store.isp_user_by_username(who.partner_id, key).await
    };
    match found {
        Ok(Some(u)) => Ok(u),
        Ok(None) | Err(store::StoreError::NotFound) => {
            Err(ApiError::not_found(format!("user {key} not found")))
        }
        Err(e) => Err(e.into()),
    }
}

async fn profile(state: &AppState, vis: Visibility, id: i64) -> ApiResult<ProfileRow> {
    state
        .store
        .get_profile(vis, id)
        .await
        .map_err(|e| ApiError::store(e, || format!("profile {id}")))
}

/// The Argon2 hash of a password, and its sealed copy for a CHAP profile.
async fn secrets(
    state: &AppState,
    password: &str,
    profile: &ProfileRow,
) -> ApiResult<(String, Option<String>)> {
    isp::check_password(password)?;
    let sealed = match (profile.chap, &state.sealer) {
        (false, _) => None,
        (true, Some(s)) => Some(s.seal(password)),
        (true, None) => {
            return Err(Error::Conflict(format!(
                "profile {} uses CHAP, which needs the server's password_key (SWITCHBOARD_PASSWORD_KEY) to keep passwords encrypted; none is configured",
                profile.id
            ))
            .into())
        }
    };
    let pw = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || store::credentials::hash_password(&pw))
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing panicked: {e}")))?;
    Ok((hash, sealed))
}

async fn customer(state: &AppState, who: &crate::Principal, id: i64) -> ApiResult<i64> {
    state
        .store
        .get_customer(who.visibility(), id)
        .await
        .map_err(|e| ApiError::store(e, || format!("customer {id}")))?;
    Ok(id)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// `active`, `suspended`, `expired` or `disabled` (as read now).
    pub status: Option<String>,
    #[param(value_type = Option<i64>)]
    pub profile_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<String>,
    /// Part of the username, MAC or static IP.
    pub q: Option<String>,
}

/// Subscribers, by id, filtered by status, profile, customer or a search.
#[utoipa::path(get, path = "/api/v1/users", tag = "ISP", params(UserQuery, Paging),
    responses((status = 200, description = "a page of subscribers, with links to the next and previous pages"), (status = 400, description = "a filter or paging value is malformed"), (status = 401, description = "no or an invalid token"), (status = 403, description = "the token's user lacks the isp scope")))]
pub async fn list_users(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    QueryParams(q): QueryParams<UserQuery>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<Value>> {
    let p = paging.request()?;
    let filter = UserFilter {
        status: q
            .status
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(isp::parse_status)
            .transpose()?,
        profile_id: opt_int_param(&q.profile_id, "profile_id")?,
        customer_id: opt_int_param(&q.customer_id, "customer_id")?,
        q: domain::paging::check_search("q", q.q.as_deref())?,
    };
    let (rows, total) = state
        .store
        .list_isp_users(who.visibility(), &filter, state.store.now(), p)
        .await?;
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(s) = filter.status {
        query.push(("status", s.to_owned()));
    }
    if let Some(id) = filter.profile_id {
        query.push(("profile_id", id.to_string()));
    }
    if let Some(id) = filter.customer_id {
        query.push(("customer_id", id.to_string()));
    }
    if !filter.q.is_empty() {
        query.push(("q", filter.q.clone()));
    }
    let query = serde_urlencoded::to_string(&query).unwrap_or_default();
    let items = rows
        .iter()
        .map(|u| view(&base, u, state.store.now()))
        .collect();
    Ok(page(&base, "/users", &query, p, total, items))
}

/// A subscriber, by id or username.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "ISP", params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber"), (status = 404, description = "no such subscriber visible to this token")))]
pub async fn get_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let u = find(&state, &who, &id).await?;
    Ok(ok(view(&base, &u, state.store.now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub profile_id: i64,
    pub customer_id: Option<i64>,
    /// Default: one period of the profile from now.
    pub expiration: Option<String>,
    pub mac: Option<String>,
    pub static_ip: Option<String>,
}

/// Creates a subscriber, active now, until `expiration` (default: one
/// period of its profile).
#[utoipa::path(post, path = "/api/v1/users", tag = "ISP", request_body = NewUser,
    responses((status = 201, description = "the subscriber"), (status = 400, description = "a field is malformed; `field` names it"), (status = 404, description = "no such profile or customer visible to this token"),
        (status = 409, description = "the username or static IP is taken, or a CHAP profile without a configured password key")))]
pub async fn create_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    body: JsonBody<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let b = body.value;
    let username = isp::parse_username(&b.username)?;
    let mac = b.mac.as_deref().map(isp::parse_mac).transpose()?;
    let static_ip = b
        .static_ip
        .as_deref()
        .map(isp::parse_static_ip)
        .transpose()?;
    let expiration = b
        .expiration
        .as_deref()
        .map(|t| parse_time(t, "expiration"))
        .transpose()?;
    isp::check_password(&b.password)?;
    let profile = profile(&state, who.visibility(), b.profile_id).await?;
    let customer_id = match b.customer_id {
        Some(id) => Some(customer(&state, &who, id).await?),
        None => None,
    };
    let (password_hash, password_sealed) = secrets(&state, &b.password, &profile).await?;
    let row = state
        .store
        .create_isp_user(
            &who.actor,
            &NewIspUser {
                partner_id: profile.partner_id,
                customer_id,
                profile_id: profile.id,
                username,
                password_hash,
                password_sealed,
                expiration: Some(expiration.unwrap_or_else(|| {
                    isp::renewed_expiration(None, state.store.now(), profile.period_days)
                })),
                mac,
                static_ip,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        ok(view(&base, &row, state.store.now())),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub profile_id: Option<i64>,
    pub password: Option<String>,
    /// null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub mac: Option<Option<String>>,
    /// null: never expires.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub expiration: Option<Option<String>>,
    /// null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub static_ip: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub customer_id: Option<Option<i64>>,
}

/// Changes a subscriber's profile, password, MAC, expiration, static IP
/// or customer. Moving to a CHAP profile needs the password again.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "ISP", request_body = UserPatch, params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber"), (status = 400, description = "a field is malformed; `field` names it"), (status = 404, description = "no such subscriber, profile or customer visible to this token"),
        (status = 409, description = "the static IP is taken, or the subscriber is deleted")))]
pub async fn patch_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Path(id): Path<String>,
    body: JsonBody<UserPatch>,
) -> ApiResult<Json<Value>> {
    let b = body.value;
    let u = find(&state, &who, &id).await?;
    let mut patch = IspUserPatch {
        mac: b
            .mac
            .map(|m| m.as_deref().map(isp::parse_mac).transpose())
            .transpose()?,
        static_ip: b
            .static_ip
            .map(|m| m.as_deref().map(isp::parse_static_ip).transpose())
            .transpose()?,
        expiration: b
            .expiration
            .map(|m| {
                m.as_deref()
                    .map(|t| parse_time(t, "expiration"))
                    .transpose()
            })
            .transpose()?,
        ..IspUserPatch::default()
    };
    if let Some(c) = b.customer_id {
        patch.customer_id = Some(match c {
            Some(id) => Some(customer(&state, &who, id).await?),
            None => None,
        });
    }
    let current = profile(&state, Visibility::All, u.profile_id).await?;
    let target = match b.profile_id {
        Some(p) => profile(&state, Visibility::Partner(u.partner_id), p).await?,
        None => current.clone(),
    };
    match &b.password {
        Some(pw) => patch.password = Some(secrets(&state, pw, &target).await?),
        None if target.chap && !current.chap => {
            return Err(Error::invalid("password", format!("moving to CHAP profile {} needs the password again: it is kept encrypted only for CHAP profiles", target.id)).into())
        }
        None if !target.chap && current.chap => {
            // Leaving CHAP: the encrypted copy is no longer needed.
            patch.password = Some((u.password_hash.clone(), None));
        }
        None => {}
    }
    patch.profile_id = b.profile_id.map(|_| target.id);
    let row = state
        .store
        .update_isp_user(&who.actor, who.visibility(), u.id, &patch)
        .await?;
    Ok(ok(view(&base, &row, state.store.now())))
}

async fn set_status(
    state: &AppState,
    who: &crate::Principal,
    base: &Base,
    id: &str,
    status: &str,
) -> ApiResult<Json<Value>> {
    let u = find(state, who, id).await?;
    let row = state
        .store
        .set_isp_user_status(&who.actor, who.visibility(), u.id, status)
        .await?;
    Ok(ok(view(base, &row, state.store.now())))
}

/// Suspends a subscriber: RADIUS rejects it until activated.
#[utoipa::path(post, path = "/api/v1/users/{id}/suspend", tag = "ISP", params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber"), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn suspend_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_status(&state, &who, &base, &id, "suspended").await
}

/// Activates a suspended subscriber (an expired one also needs renewing).
#[utoipa::path(post, path = "/api/v1/users/{id}/activate", tag = "ISP", params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber"), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn activate_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_status(&state, &who, &base, &id, "active").await
}

/// Renews a subscriber: its profile's period added to the later of now and
/// its expiration.
#[utoipa::path(post, path = "/api/v1/users/{id}/renew", tag = "ISP", params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber"), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn renew_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let u = find(&state, &who, &id).await?;
    let row = state
        .store
        .renew_isp_user(&who.actor, who.visibility(), u.id, state.store.now())
        .await?;
    Ok(ok(view(&base, &row, state.store.now())))
}

/// Deletes a subscriber: disabled for good, its history (and sessions) kept,
/// its static IP free for another.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "ISP", params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber, disabled"), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "already deleted")))]
pub async fn delete_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_status(&state, &who, &base, &id, "disabled").await
}

/// A subscriber's RADIUS accounting sessions, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "ISP", params(("id" = String, Path, description = "id or username"), Paging),
    responses((status = 200, description = "a page of sessions"), (status = 404, description = "no such subscriber visible to this token")))]
pub async fn user_sessions(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Path(id): Path<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<Value>> {
    let p = paging.request()?;
    let u = find(&state, &who, &id).await?;
    // Sessions the NAS stopped updating read closed (Stale-Session).
    let interim = profile(&state, Visibility::All, u.profile_id)
        .await?
        .acct_interim_secs;
    let stale_before =
        state.store.now() - chrono::Duration::seconds(isp::stale_after_secs(interim));
    state.store.open_sessions(u.id, stale_before).await?;
    let (rows, total) = state
        .store
        .sessions_for_isp_user(who.visibility(), u.id, p)
        .await?;
    let items = rows.iter().map(session_view).collect();
    Ok(page(
        &base,
        &format!("/users/{}/sessions", u.id),
        "",
        p,
        total,
        items,
    ))
}
