//! Speed profiles (`/api/v1/profiles`) and the customers subscribers
//! belong to (`/api/v1/customers/:id`).

use super::{ok, page, time, Base, Body, Caller, Key, Paging, Query};
use crate::error::IspResult;
use crate::AppState;
use app::isp::NewProfileCommand;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::isp;
use domain::{Error, Money};
use serde::Deserialize;
use serde_json::{json, Value};
use store::isp::ProfileRow;
use utoipa::ToSchema;

/// The RADIUS reply attributes a profile gives its subscribers (those
/// that do not depend on the subscriber).
pub fn radius_attributes(p: &ProfileRow) -> Value {
    let mut a = json!({
        "Mikrotik-Rate-Limit": isp::mikrotik_rate_limit(p.download_kbps, p.upload_kbps),
        "Acct-Interim-Interval": p.acct_interim_secs,
        "Simultaneous-Use": p.simultaneous_use,
    });
    if let Some(pool) = &p.framed_pool {
        a["Framed-Pool"] = json!(pool);
    }
    a
}

fn view(base: &Base, p: &ProfileRow) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "download_kbps": p.download_kbps,
        "upload_kbps": p.upload_kbps,
        "download": isp::rate(p.download_kbps),
        "upload": isp::rate(p.upload_kbps),
        "price_pence": p.price_pence,
        "price": Money::gbp(p.price_pence).to_string(),
        "period_days": p.period_days,
        "framed_pool": p.framed_pool,
        "acct_interim_interval": p.acct_interim_secs,
        "simultaneous_use": p.simultaneous_use,
        "auth_type": if p.chap { "chap" } else { "pap" },
        "radius": radius_attributes(p),
        "created_at": time(Some(p.created_at)),
        "_links": {
            "self": base.url(&format!("/profiles/{}", p.id)),
            "users": base.url(&format!("/users?profile_id={}", p.id)),
            "collection": base.url("/profiles"),
        },
    })
}

fn path_id(text: &str, what: &str) -> IspResult<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            Error::invalid("id", format!("{what} id {text:?} is not a positive number")).into()
        })
}

/// Speed profiles, by id.
#[utoipa::path(get, path = "/api/v1/profiles", tag = "ISP", params(Paging),
    responses((status = 200, description = "a page of profiles"), (status = 401, description = "no or an invalid token")))]
pub async fn list_profiles(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Query(paging): Query<Paging>,
) -> IspResult<Json<Value>> {
    let p = paging.request()?;
    let (rows, total) = state.app.isp_profiles(&who, p).await?;
    Ok(page(
        &base,
        "/profiles",
        "",
        p,
        total,
        rows.iter().map(|r| view(&base, r)).collect(),
    ))
}

/// A speed profile, with the RADIUS reply attributes it makes.
#[utoipa::path(get, path = "/api/v1/profiles/{id}", tag = "ISP", params(("id" = i64, Path)),
    responses((status = 200, description = "the profile"), (status = 400, description = "id is not a number"), (status = 404, description = "no such profile visible to this token")))]
pub async fn get_profile(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Key(id): Key,
) -> IspResult<Json<Value>> {
    let id = path_id(&id, "profile")?;
    let row = state.app.isp_profile(&who, id).await?;
    Ok(ok(view(&base, &row)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfileBody {
    pub name: String,
    pub download_kbps: i64,
    pub upload_kbps: i64,
    pub price_pence: i64,
    /// Days one renewal buys (default 30).
    pub period_days: Option<i64>,
    pub framed_pool: Option<String>,
    /// Seconds between interim accounting updates (default 300).
    pub acct_interim_interval: Option<i64>,
    /// Sessions one subscriber may hold at once (default 1).
    pub simultaneous_use: Option<i64>,
    /// `pap` (default) or `chap` (CHAP / MS-CHAP, e.g. PPPoE).
    pub auth_type: Option<String>,
}

/// Creates a speed profile.
#[utoipa::path(post, path = "/api/v1/profiles", tag = "ISP", request_body = NewProfileBody,
    responses((status = 201, description = "the profile"), (status = 400, description = "a field is malformed; `field` names it"), (status = 409, description = "a profile of that name exists")))]
pub async fn create_profile(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Body(b): Body<NewProfileBody>,
) -> IspResult<(StatusCode, Json<Value>)> {
    let command = NewProfileCommand {
        name: b.name,
        download_kbps: b.download_kbps,
        upload_kbps: b.upload_kbps,
        price_pence: b.price_pence,
        period_days: b.period_days,
        framed_pool: b.framed_pool,
        acct_interim_secs: b.acct_interim_interval,
        simultaneous_use: b.simultaneous_use,
        auth_type: b.auth_type,
    };
    let row = state.app.create_isp_profile(&who, command).await?;
    Ok((StatusCode::CREATED, ok(view(&base, &row))))
}

/// The customer record subscribers belong to.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "ISP", params(("id" = i64, Path)),
    responses((status = 200, description = "the customer"), (status = 400, description = "id is not a number"), (status = 404, description = "no such customer visible to this token")))]
pub async fn get_customer(
    State(state): State<AppState>,
    Caller(who): Caller,
    base: Base,
    Key(id): Key,
) -> IspResult<Json<Value>> {
    let id = path_id(&id, "customer")?;
    let c = state.app.isp_customer(&who, id).await?;
    Ok(ok(json!({
        "id": c.id,
        "company_name": c.company_name,
        "company_number": c.co_reg_number,
        "contact": {"name": c.contact_name, "email": c.contact_email, "phone": c.contact_phone},
        "address": {"lines": c.address_lines(), "town": c.town, "postcode": c.postcode},
        "billing_email": c.billing_email,
        "created_at": time(Some(c.created_at)),
        "_links": {
            "self": base.url(&format!("/customers/{}", c.id)),
            "users": base.url(&format!("/users?customer_id={}", c.id)),
        },
    })))
}
