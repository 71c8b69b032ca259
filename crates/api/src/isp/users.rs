//! Subscribers (`/api/v1/users`): list with filters, get by id or
//! username, create, patch, suspend, activate, renew, delete (disable,
//! history kept) and their RADIUS accounting sessions.

use super::{double_option, ok, page, parse_time, time, Base, Body, Caller, Key, Paging, Query};
use crate::error::IspResult;
use crate::extract::opt_int_param;
use crate::AppState;
use app::isp::{NewUserCommand, UserPatchCommand, UserStatus};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::isp;
use serde::Deserialize;
use serde_json::{json, Value};
use store::isp::{IspUserRow, SessionRow, UserFilter};
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
    Query(q): Query<UserQuery>,
    Query(paging): Query<Paging>,
) -> IspResult<Json<Value>> {
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
    let (rows, total) = state.app.isp_users(&who, &filter, p).await?;
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
    Key(id): Key,
) -> IspResult<Json<Value>> {
    let u = state.app.isp_user(&who, &id).await?;
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
    Body(b): Body<NewUser>,
) -> IspResult<(StatusCode, Json<Value>)> {
    let expiration = b
        .expiration
        .as_deref()
        .map(|t| parse_time(t, "expiration"))
        .transpose()?;
    let command = NewUserCommand {
        username: b.username,
        password: b.password,
        profile_id: b.profile_id,
        customer_id: b.customer_id,
        expiration,
        mac: b.mac,
        static_ip: b.static_ip,
    };
    let row = state.app.create_isp_user(&who, command).await?;
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
    Key(id): Key,
    Body(b): Body<UserPatch>,
) -> IspResult<Json<Value>> {
    let expiration = b
        .expiration
        .map(|m| {
            m.as_deref()
                .map(|t| parse_time(t, "expiration"))
                .transpose()
        })
        .transpose()?;
    let command = UserPatchCommand {
        profile_id: b.profile_id,
        password: b.password,
        mac: b.mac,
        expiration,
        static_ip: b.static_ip,
        customer_id: b.customer_id,
    };
    let row = state.app.patch_isp_user(&who, &id, command).await?;
    Ok(ok(view(&base, &row, state.store.now())))
}

async fn set_status(
    state: &AppState,
    who: &crate::Principal,
    base: &Base,
    id: &str,
    status: UserStatus,
) -> IspResult<Json<Value>> {
    let row = state.app.set_isp_user_status(who, id, status).await?;
    Ok(ok(view(base, &row, state.store.now())))
}

/// Suspends a subscriber: RADIUS rejects it until activated.
#[utoipa::path(post, path = "/api/v1/users/{id}/suspend", tag = "ISP", params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber"), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn suspend_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Key(id): Key,
) -> IspResult<Json<Value>> {
    set_status(&state, &who, &base, &id, UserStatus::Suspended).await
}

/// Activates a suspended subscriber (an expired one also needs renewing).
#[utoipa::path(post, path = "/api/v1/users/{id}/activate", tag = "ISP", params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber"), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn activate_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Key(id): Key,
) -> IspResult<Json<Value>> {
    set_status(&state, &who, &base, &id, UserStatus::Active).await
}

/// Renews a subscriber: its profile's period added to the later of now and
/// its expiration.
#[utoipa::path(post, path = "/api/v1/users/{id}/renew", tag = "ISP", params(("id" = String, Path, description = "id or username")),
    responses((status = 200, description = "the subscriber"), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn renew_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Key(id): Key,
) -> IspResult<Json<Value>> {
    let row = state.app.renew_isp_user(&who, &id).await?;
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
    Key(id): Key,
) -> IspResult<Json<Value>> {
    set_status(&state, &who, &base, &id, UserStatus::Disabled).await
}

/// A subscriber's RADIUS accounting sessions, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "ISP", params(("id" = String, Path, description = "id or username"), Paging),
    responses((status = 200, description = "a page of sessions"), (status = 404, description = "no such subscriber visible to this token")))]
pub async fn user_sessions(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Key(id): Key,
    Query(paging): Query<Paging>,
) -> IspResult<Json<Value>> {
    let p = paging.request()?;
    let (user_id, rows, total) = state.app.isp_user_sessions(&who, &id, p).await?;
    let items = rows.iter().map(session_view).collect();
    Ok(page(
        &base,
        &format!("/users/{user_id}/sessions"),
        "",
        p,
        total,
        items,
    ))
}
