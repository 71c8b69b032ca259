//! Subscribers (`/api/v1/users`): list with filters, get by id or
//! username, create, patch, suspend, activate, renew, delete (disable,
//! history kept) and their RADIUS accounting sessions.

use super::views::{Envelope, Page, Session, User};
use super::{double_option, parse_time, Base, Body, Caller, Key, Paging, Query};
use crate::error::IspResult;
use crate::extract::opt_int_param;
use app::isp::{NewUserCommand, UserPatchCommand};
use axum::http::StatusCode;
use axum::Json;
use domain::isp;
use domain::status::SubscriberStatus as UserStatus;
use serde::Deserialize;
use store::isp::{IspUserRow, UserFilter};
use utoipa::ToSchema;

/// A subscriber in the envelope, as read now.
fn user(base: &Base, u: &IspUserRow, app: &app::App) -> Json<Envelope<User>> {
    Json(Envelope::of(User::of(base, u, app.now())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// `active`, `suspended`, `expired` or `disabled` (as read now).
    #[param(pattern = "^(active|suspended|expired|disabled)$")]
    pub status: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1)]
    pub profile_id: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1)]
    pub customer_id: Option<String>,
    /// Part of the username, MAC or static IP.
    pub q: Option<String>,
}

/// Subscribers, by id, filtered by status, profile, customer or a search.
#[utoipa::path(get, path = "/api/v1/users", tag = "ISP", params(UserQuery, Paging),
    responses((status = 200, description = "a page of subscribers, with links to the next and previous pages", body = Page<User>), (status = 400, description = "a filter or paging value is malformed"), (status = 401, description = "no or an invalid token"), (status = 403, description = "the token's user lacks the isp scope")))]
pub async fn list_users(
    Caller { app, who, base }: Caller,
    Query(q): Query<UserQuery>,
    Query(paging): Query<Paging>,
) -> IspResult<Json<Page<User>>> {
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
    let (rows, total) = app.isp_users(&who, &filter, p).await?;
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(s) = filter.status {
        query.push(("status", s.as_str().to_owned()));
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
    let now = app.now();
    let items = rows.iter().map(|u| User::of(&base, u, now)).collect();
    Ok(Json(Page::new(&base, "/users", &query, p, total, items)))
}

/// A subscriber, by id or username.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "ISP", params(("id" = String, Path, description = "id or username", pattern = "^[A-Za-z0-9._@-]{1,64}$")),
    responses((status = 200, description = "the subscriber", body = Envelope<User>), (status = 404, description = "no such subscriber visible to this token")))]
pub async fn get_user(
    Caller { app, who, base }: Caller,
    Key(id): Key,
) -> IspResult<Json<Envelope<User>>> {
    let u = app.isp_user(&who, &id).await?;
    Ok(user(&base, &u, &app))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Letters, digits and `. _ - @` (surrounding spaces are trimmed).
    #[schema(pattern = r"^\s*[A-Za-z0-9._@-]{1,64}\s*$", example = "alice@fibre")]
    pub username: String,
    /// 6 to 128 characters, no control characters.
    #[schema(min_length = 6, max_length = 128)]
    pub password: String,
    #[schema(minimum = 1)]
    pub profile_id: i64,
    #[schema(minimum = 1)]
    pub customer_id: Option<i64>,
    /// `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD` or RFC 3339. Default: one
    /// period of the profile from now.
    #[schema(example = "2026-12-31 00:00:00")]
    pub expiration: Option<String>,
    /// Six hex pairs, separated by `:`, `-`, `.` or nothing.
    #[schema(
        pattern = r"^\s*([0-9A-Fa-f]{2}[:.-]?){5}[0-9A-Fa-f]{2}\s*$",
        example = "AA:BB:CC:DD:EE:FF"
    )]
    pub mac: Option<String>,
    /// A unicast IPv4 address.
    #[schema(format = Ipv4, example = "100.64.0.10")]
    pub static_ip: Option<String>,
}

/// Creates a subscriber, active now, until `expiration` (default: one
/// period of its profile).
#[utoipa::path(post, path = "/api/v1/users", tag = "ISP", request_body = NewUser,
    responses((status = 201, description = "the subscriber", body = Envelope<User>), (status = 400, description = "a field is malformed; `field` names it"), (status = 404, description = "no such profile or customer visible to this token"),
        (status = 409, description = "the username or static IP is taken, or a CHAP profile without a configured password key")))]
pub async fn create_user(
    Caller { app, who, base }: Caller,
    Body(b): Body<NewUser>,
) -> IspResult<(StatusCode, Json<Envelope<User>>)> {
    let expiration = b.expiration.as_deref().map(|t| parse_time(t, "expiration")).transpose()?;
    let command = NewUserCommand {
        username: b.username,
        password: b.password,
        profile_id: b.profile_id,
        customer_id: b.customer_id,
        expiration,
        mac: b.mac,
        static_ip: b.static_ip,
    };
    let row = app.create_isp_user(&who, command).await?;
    Ok((StatusCode::CREATED, user(&base, &row, &app)))
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
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "ISP", request_body = UserPatch, params(("id" = String, Path, description = "id or username", pattern = "^[A-Za-z0-9._@-]{1,64}$")),
    responses((status = 200, description = "the subscriber", body = Envelope<User>), (status = 400, description = "a field is malformed; `field` names it"), (status = 404, description = "no such subscriber, profile or customer visible to this token"),
        (status = 409, description = "the static IP is taken, or the subscriber is deleted")))]
pub async fn patch_user(
    Caller { app, who, base }: Caller,
    Key(id): Key,
    Body(b): Body<UserPatch>,
) -> IspResult<Json<Envelope<User>>> {
    let expiration = b
        .expiration
        .map(|m| m.as_deref().map(|t| parse_time(t, "expiration")).transpose())
        .transpose()?;
    let command = UserPatchCommand {
        profile_id: b.profile_id,
        password: b.password,
        mac: b.mac,
        expiration,
        static_ip: b.static_ip,
        customer_id: b.customer_id,
    };
    let row = app.patch_isp_user(&who, &id, command).await?;
    Ok(user(&base, &row, &app))
}

async fn set_status(
    Caller { app, who, base }: Caller,
    id: &str,
    status: UserStatus,
) -> IspResult<Json<Envelope<User>>> {
    let row = app.set_isp_user_status(&who, id, status).await?;
    Ok(user(&base, &row, &app))
}

/// Suspends a subscriber: RADIUS rejects it until activated.
#[utoipa::path(post, path = "/api/v1/users/{id}/suspend", tag = "ISP", params(("id" = String, Path, description = "id or username", pattern = "^[A-Za-z0-9._@-]{1,64}$")),
    responses((status = 200, description = "the subscriber", body = Envelope<User>), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn suspend_user(caller: Caller, Key(id): Key) -> IspResult<Json<Envelope<User>>> {
    set_status(caller, &id, UserStatus::Suspended).await
}

/// Activates a suspended subscriber (an expired one also needs renewing).
#[utoipa::path(post, path = "/api/v1/users/{id}/activate", tag = "ISP", params(("id" = String, Path, description = "id or username", pattern = "^[A-Za-z0-9._@-]{1,64}$")),
    responses((status = 200, description = "the subscriber", body = Envelope<User>), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn activate_user(caller: Caller, Key(id): Key) -> IspResult<Json<Envelope<User>>> {
    set_status(caller, &id, UserStatus::Active).await
}

/// Renews a subscriber: its profile's period added to the later of now and
/// its expiration.
#[utoipa::path(post, path = "/api/v1/users/{id}/renew", tag = "ISP", params(("id" = String, Path, description = "id or username", pattern = "^[A-Za-z0-9._@-]{1,64}$")),
    responses((status = 200, description = "the subscriber", body = Envelope<User>), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "deleted")))]
pub async fn renew_user(
    Caller { app, who, base }: Caller,
    Key(id): Key,
) -> IspResult<Json<Envelope<User>>> {
    let row = app.renew_isp_user(&who, &id).await?;
    Ok(user(&base, &row, &app))
}

/// Deletes a subscriber: disabled for good, its history (and sessions) kept,
/// its static IP free for another.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "ISP", params(("id" = String, Path, description = "id or username", pattern = "^[A-Za-z0-9._@-]{1,64}$")),
    responses((status = 200, description = "the subscriber, disabled", body = Envelope<User>), (status = 404, description = "no such subscriber visible to this token"), (status = 409, description = "already deleted")))]
pub async fn delete_user(caller: Caller, Key(id): Key) -> IspResult<Json<Envelope<User>>> {
    set_status(caller, &id, UserStatus::Disabled).await
}

/// A subscriber's RADIUS accounting sessions, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "ISP", params(("id" = String, Path, description = "id or username", pattern = "^[A-Za-z0-9._@-]{1,64}$"), Paging),
    responses((status = 200, description = "a page of sessions", body = Page<Session>), (status = 404, description = "no such subscriber visible to this token")))]
pub async fn user_sessions(
    Caller { app, who, base }: Caller,
    Key(id): Key,
    Query(paging): Query<Paging>,
) -> IspResult<Json<Page<Session>>> {
    let p = paging.request()?;
    let (user_id, rows, total) = app.isp_user_sessions(&who, &id, p).await?;
    let items = rows.iter().map(Session::from).collect();
    Ok(Json(Page::new(&base, &format!("/users/{user_id}/sessions"), "", p, total, items)))
}
