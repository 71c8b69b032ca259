//! Speed profiles (`/api/v1/profiles`) and the customers subscribers
//! belong to (`/api/v1/customers/:id`).

use super::views::{Customer, Envelope, Page, Profile};
use super::{Body, Caller, Key, Paging, Query};
use crate::error::IspResult;
use app::isp::NewProfileCommand;
use axum::http::StatusCode;
use axum::Json;
use domain::Error;
use serde::Deserialize;
use utoipa::ToSchema;

fn path_id(text: &str, what: &str) -> IspResult<i64> {
    domain::paging::parse_id("id", text).map_err(|_| {
        Error::invalid("id", format!("{what} id {text:?} is not a positive number")).into()
    })
}

/// Speed profiles, by id.
#[utoipa::path(get, path = "/api/v1/profiles", tag = "ISP", params(Paging),
    responses((status = 200, description = "a page of profiles", body = Page<Profile>), (status = 401, description = "no or an invalid token")))]
pub async fn list_profiles(
    Caller { app, who, base }: Caller,
    Query(paging): Query<Paging>,
) -> IspResult<Json<Page<Profile>>> {
    let p = paging.request()?;
    let (rows, total) = app.isp_profiles(&who, p).await?;
    Ok(Json(Page::new(
        &base,
        "/profiles",
        "",
        p,
        total,
        rows.iter().map(|r| Profile::of(&base, r)).collect(),
    )))
}

/// A speed profile, with the RADIUS reply attributes it makes.
#[utoipa::path(get, path = "/api/v1/profiles/{id}", tag = "ISP", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "the profile", body = Envelope<Profile>), (status = 400, description = "id is not a number"), (status = 404, description = "no such profile visible to this token")))]
pub async fn get_profile(
    Caller { app, who, base }: Caller,
    Key(id): Key,
) -> IspResult<Json<Envelope<Profile>>> {
    let id = path_id(&id, "profile")?;
    let row = app.isp_profile(&who, id).await?;
    Ok(Json(Envelope::of(Profile::of(&base, &row))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfileBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub download_kbps: i64,
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub upload_kbps: i64,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price_pence: i64,
    /// Default 30.
    #[schema(minimum = 1, maximum = 3660)]
    pub period_days: Option<i64>,
    /// Up to 64 letters, digits, `-`, `_` or `.`.
    #[schema(pattern = r"^\s*[A-Za-z0-9._-]{0,64}\s*$")]
    pub framed_pool: Option<String>,
    /// Seconds; default 300.
    #[schema(minimum = 60, maximum = 86_400)]
    pub acct_interim_interval: Option<i64>,
    /// Default 1.
    #[schema(minimum = 1, maximum = 100)]
    pub simultaneous_use: Option<i64>,
    /// `pap` (default) or `chap`, in any case.
    #[schema(pattern = "^([Pp][Aa][Pp]|[Cc][Hh][Aa][Pp])$")]
    pub auth_type: Option<String>,
}

/// Creates a speed profile.
#[utoipa::path(post, path = "/api/v1/profiles", tag = "ISP", request_body = NewProfileBody,
    responses((status = 201, description = "the profile", body = Envelope<Profile>), (status = 400, description = "a field is malformed; `field` names it"), (status = 409, description = "a profile of that name exists")))]
pub async fn create_profile(
    Caller { app, who, base }: Caller,
    Body(b): Body<NewProfileBody>,
) -> IspResult<(StatusCode, Json<Envelope<Profile>>)> {
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
    let row = app.create_isp_profile(&who, command).await?;
    Ok((StatusCode::CREATED, Json(Envelope::of(Profile::of(&base, &row)))))
}

/// The customer record subscribers belong to.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "ISP", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "the customer", body = Envelope<Customer>), (status = 400, description = "id is not a number"), (status = 404, description = "no such customer visible to this token")))]
pub async fn get_customer(
    Caller { app, who, base }: Caller,
    Key(id): Key,
) -> IspResult<Json<Envelope<Customer>>> {
    let id = path_id(&id, "customer")?;
    let c = app.isp_customer(&who, id).await?;
    Ok(Json(Envelope::of(Customer::of(&base, &c))))
}
