//! The corporate agreements face (`/corporate-agreements/v2/...`, a
//! Nordic operator's B2B API): agreements, their product offers and
//! products, and asynchronous orders. Its own token path
//! (`/oauth/v2/token`), Bearer only on the calls, and errors as
//! `{"code", "message"}` with the reference's codes
//! ([`crate::error::AgreementsError`]). An adapter over `app::agreements`.

use crate::auth::{issue_token, Principal, TokenResponse};
use crate::error::{AgreementsError, AgreementsResult, ApiError, AuthError};
use crate::AppState;
use app::agreements::{Offer, Page, PlaceOrder};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::agreement::{Characteristic, Configuration, OrderType};
use serde::{Deserialize, Serialize};
use store::agreements::{AgreementRow, OrderRow, ProductRow};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The face's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(list_agreements))
        .routes(routes!(get_agreement))
        .routes(routes!(list_products))
        .routes(routes!(list_offers))
        .routes(routes!(place_order, list_orders))
        .routes(routes!(get_order))
}

/// A call on this face: the use cases and the caller, from
/// `Authorization: Bearer` only.
pub struct B2bCall {
    pub app: std::sync::Arc<app::App>,
    pub who: app::Principal,
}

impl FromRequestParts<AppState> for B2bCall {
    type Rejection = AgreementsError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, AgreementsError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(AuthError::missing(
                "Missing authorization header: send Authorization: Bearer <access token from POST /oauth/v2/token>.",
            )
            .into());
        };
        let value = value.to_str().map_err(|_| {
            AuthError::invalid_token("Invalid access token: the header is not readable text.")
        })?;
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Err(AuthError {
                code: 40107,
                ..AuthError::invalid_token(
                    "Basic authentication is not allowed on the API calls: get an access token from POST /oauth/v2/token and send it as Bearer.",
                )
            }
            .into());
        }
        if !scheme.eq_ignore_ascii_case("bearer") || rest.trim().is_empty() {
            return Err(AuthError::invalid_token(
                "Invalid access token: send Authorization: Bearer <access token>.",
            )
            .into());
        }
        let Principal(who) = state.auth.bearer(&state.app, rest.trim()).await?;
        crate::guard::rate_limit(&state.guard, parts, &who)?;
        Ok(B2bCall { app: state.app.clone(), who })
    }
}

/// OAuth 2.0 client credentials for this face: the same clients as
/// `/token`, authenticated with HTTP Basic or with `client_id` and
/// `client_secret` in the form (RFC 6749 section 2.3.1).
#[utoipa::path(post, path = "/oauth/v2/token", tag = "Corporate agreements",
    request_body(content = crate::auth::TokenRequest, content_type = "application/x-www-form-urlencoded",
        description = "grant_type=client_credentials, optionally scope; the client authenticates with HTTP Basic or client_id and client_secret in the form"),
    responses((status = 200, body = TokenResponse), (status = 400, description = "40001: grant_type missing or unsupported, or a scope the client lacks"),
        (status = 401, description = "40108: invalid client id or secret")))]
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match issue_token(&state, &headers, &body, true).await {
        Ok(t) => {
            let mut resp = Json(t).into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => AgreementsError(e).into_response(),
    }
}

/// Paging as the face has it: `page` from 0, `pageSize` 1–1000, and
/// `since` (seconds) for what changed that recently.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct Listing {
    /// From 0 (default 0).
    #[param(value_type = Option<i64>, minimum = 0)]
    pub page: Option<String>,
    /// 1–1000 (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub page_size: Option<String>,
    /// Only what changed in the last this many seconds.
    #[param(value_type = Option<i64>, minimum = 0)]
    pub since: Option<String>,
}

fn number(text: &Option<String>, field: &str) -> Result<Option<i64>, AgreementsError> {
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t.parse::<i64>().map(Some).map_err(|_| {
            domain::Error::invalid(field, format!("{t:?} is not a whole number")).into()
        }),
    }
}

impl Listing {
    fn page(&self) -> Result<Page, AgreementsError> {
        Ok(Page::new(number(&self.page, "page")?, number(&self.page_size, "pageSize")?)?)
    }
}

/// Query strings this face takes, read as text so a bad one is its 40001.
fn query<T: serde::de::DeserializeOwned>(
    q: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, AgreementsError> {
    q.map(|Query(v)| v).map_err(|e| {
        ApiError::Status(
            StatusCode::BAD_REQUEST,
            format!("the query string is not valid: {}", e.body_text()),
        )
        .into()
    })
}

/// An agreement id in the path.
fn agreement_id(text: &str) -> Result<i64, AgreementsError> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        domain::Error::invalid("agreementId", format!("{text:?} is not an agreement id")).into()
    })
}

/// A list with its total in `X-Total-Count`.
fn listed<T: Serialize>(items: Vec<T>, total: i64) -> Response {
    let mut resp = Json(items).into_response();
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        resp.headers_mut().insert("x-total-count", v);
    }
    resp
}

/// An agreement's owner.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    /// The Norwegian organisation number (9 digits, mod-11 checked).
    pub organization_number: Option<String>,
    pub name: String,
}

/// An agreement.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Agreement {
    pub id: i64,
    pub category: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub owner: Owner,
    /// `ACTIVE`, `SUSPENDED` or `TERMINATED`.
    pub status: String,
}

fn agreement_view(a: AgreementRow) -> Agreement {
    Agreement {
        id: a.id,
        category: a.category,
        valid_from: a.valid_from,
        valid_to: a.valid_to,
        owner: Owner { organization_number: a.organization_number, name: a.owner_name },
        status: a.status,
    }
}

/// The caller's agreements (X-Total-Count: how many in all).
#[utoipa::path(get, path = "/corporate-agreements/v2/agreements", tag = "Corporate agreements", params(Listing),
    responses((status = 200, body = Vec<Agreement>), (status = 400, description = "40001: page, pageSize or since out of range")))]
pub async fn list_agreements(
    B2bCall { app, who }: B2bCall,
    q: Result<Query<Listing>, axum::extract::rejection::QueryRejection>,
) -> AgreementsResult<Response> {
    let q = query(q)?;
    let (rows, total) = app.agreements(&who, q.page()?, number(&q.since, "since")?).await?;
    Ok(listed(rows.into_iter().map(agreement_view).collect(), total))
}

/// One of the caller's agreements.
#[utoipa::path(get, path = "/corporate-agreements/v2/agreements/{agreementId}", tag = "Corporate agreements",
    params(("agreementId" = i64, Path, description = "the agreement")),
    responses((status = 200, body = Agreement), (status = 400, description = "400001: not an agreement id"), (status = 404, description = "404001: no such agreement of this client's")))]
pub async fn get_agreement(
    B2bCall { app, who }: B2bCall,
    Path(id): Path<String>,
) -> AgreementsResult<Json<Agreement>> {
    Ok(Json(agreement_view(app.agreement(&who, agreement_id(&id)?).await?)))
}

/// A configuration value on a product.
#[derive(Serialize, ToSchema)]
pub struct ConfigurationView {
    pub id: i64,
    pub name: String,
    pub value: String,
}

/// A product on an agreement.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub product_id: i64,
    pub product_offering_id: String,
    pub name: String,
    /// `ACTIVE` or `REMOVED`.
    pub status: String,
    pub configurations: Vec<ConfigurationView>,
    pub updated_at: DateTime<Utc>,
}

/// An agreement's products (X-Total-Count: how many in all).
#[utoipa::path(get, path = "/corporate-agreements/v2/agreements/{agreementId}/products", tag = "Corporate agreements",
    params(("agreementId" = i64, Path, description = "the agreement"), Listing),
    responses((status = 200, body = Vec<Product>), (status = 400, description = "400001 or 40001"), (status = 404, description = "404001: no such agreement of this client's")))]
pub async fn list_products(
    B2bCall { app, who }: B2bCall,
    Path(id): Path<String>,
    q: Result<Query<Listing>, axum::extract::rejection::QueryRejection>,
) -> AgreementsResult<Response> {
    let q = query(q)?;
    let id = agreement_id(&id)?;
    let (rows, total) = app.products(&who, id, q.page()?, number(&q.since, "since")?).await?;
    let offers = app.offers(&who, id).await?;
    let items = rows
        .into_iter()
        .map(|p| product_view(p, &offers))
        .collect::<Result<Vec<_>, AgreementsError>>()?;
    Ok(listed(items, total))
}

fn product_view(p: ProductRow, offers: &[Offer]) -> Result<Product, AgreementsError> {
    let confs: Vec<Configuration> = serde_json::from_str(&p.configurations).map_err(|e| {
        ApiError::Internal(format!("product {}: configurations unreadable: {e}", p.id))
    })?;
    let name_of = |id: i64| {
        offers
            .iter()
            .find(|o| o.row.id == p.offer_id)
            .and_then(|o| o.characteristics.iter().find(|c| c.id == id))
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    Ok(Product {
        product_id: p.id,
        product_offering_id: p.offer_id.to_string(),
        name: p.name,
        status: p.status,
        configurations: confs
            .into_iter()
            .map(|c| ConfigurationView { name: name_of(c.id), id: c.id, value: c.value })
            .collect(),
        updated_at: p.updated_at,
    })
}

/// A configuration characteristic of an offer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CharacteristicView {
    pub id: i64,
    pub name: String,
    /// `string`, `number`, `email`, `msisdn` (a Norwegian mobile number) or `enum`.
    #[serde(rename = "type")]
    pub value_type: String,
    pub required: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// A product offer an agreement allows.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductOffer {
    pub product_offering_id: String,
    pub name: String,
    pub description: String,
    pub configurations: Vec<CharacteristicView>,
}

fn characteristic_view(c: Characteristic) -> CharacteristicView {
    CharacteristicView {
        value_type: serde_json::to_value(c.value_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        id: c.id,
        name: c.name,
        required: c.required,
        allowed_values: c.allowed_values,
        pattern: c.pattern,
        default: c.default,
    }
}

/// What can be added to an agreement, each offer with its configuration
/// characteristics.
#[utoipa::path(get, path = "/corporate-agreements/v2/agreements/{agreementId}/product-offers", tag = "Corporate agreements",
    params(("agreementId" = i64, Path, description = "the agreement")),
    responses((status = 200, body = Vec<ProductOffer>), (status = 400, description = "400001: not an agreement id"), (status = 404, description = "404001: no such agreement of this client's")))]
pub async fn list_offers(
    B2bCall { app, who }: B2bCall,
    Path(id): Path<String>,
) -> AgreementsResult<Json<Vec<ProductOffer>>> {
    let offers = app.offers(&who, agreement_id(&id)?).await?;
    Ok(Json(
        offers
            .into_iter()
            .map(|o| ProductOffer {
                product_offering_id: o.row.id.to_string(),
                name: o.row.name,
                description: o.row.description,
                configurations: o.characteristics.into_iter().map(characteristic_view).collect(),
            })
            .collect(),
    ))
}

/// An order: one of `UPDATE_PRODUCT` (agreementId, productId,
/// configurations), `ADD_PRODUCT` (agreementId, productOfferingId,
/// configurations) or `REMOVE_PRODUCT` (agreementId, productId).
/// Identifiers may be numbers or strings of digits, as the reference's
/// examples send them.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = i64)]
    pub agreement_id: serde_json::Value,
    #[schema(value_type = Option<i64>)]
    pub product_id: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
    pub product_offering_id: Option<serde_json::Value>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub configurations: Vec<serde_json::Value>,
}

/// A placed order's id: keep it to enquire later.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Placed {
    /// 12 digits.
    pub order_id: String,
}

/// An id given as a number or a string of digits.
fn id_of(v: &serde_json::Value, field: &str) -> Result<i64, AgreementsError> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.filter(|n| *n > 0)
        .ok_or_else(|| domain::Error::invalid(field, format!("{v} is not an id")).into())
}

fn configurations(given: &[serde_json::Value]) -> Result<Vec<Configuration>, AgreementsError> {
    given
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let id = c
                .get("id")
                .map(|v| id_of(v, &format!("configurations[{i}].id")))
                .transpose()?
                .ok_or_else(|| {
                    AgreementsError::from(domain::Error::invalid(
                        format!("configurations[{i}].id"),
                        "is required",
                    ))
                })?;
            let value = match c.get("value") {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(domain::Error::invalid(
                        format!("configurations[id={id}]"),
                        "value is required, as text",
                    )
                    .into())
                }
            };
            Ok(Configuration { id, value })
        })
        .collect()
}

/// Places an order on one of the caller's agreements; answers its id at
/// once (`[{"orderId": "…"}]`). The order is checked first: the
/// agreement (404001 when not the caller's; 400001 when not active or not
/// valid today), the product or offer (400002 unless it is on, or allowed
/// on, this agreement) and each configuration (40001 naming its id). The
/// worker then carries it out: `RECEIVED → IN_PROGRESS → COMPLETED |
/// FAILED`. `Idempotency-Key` makes a retry answer the first order.
#[utoipa::path(post, path = "/corporate-agreements/v2/orders", tag = "Corporate agreements", request_body = OrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 characters: a retry with the same key and body answers the first order")),
    responses((status = 200, body = Vec<Placed>), (status = 400, description = "40001 (the body, a configuration), 400001 (the agreement), 400002 (the product or offer)"),
        (status = 404, description = "404001: no such agreement of this client's"), (status = 409, description = "the Idempotency-Key was used with another body")))]
pub async fn place_order(
    B2bCall { app, who }: B2bCall,
    headers: HeaderMap,
    body: Bytes,
) -> AgreementsResult<Response> {
    let b: OrderRequest = serde_json::from_slice(&body).map_err(|e| {
        AgreementsError::from(domain::Error::invalid(
            "body",
            format!("the order is not valid JSON of one of the order types: {e}"),
        ))
    })?;
    let kind = OrderType::parse(&b.kind)?;
    let order = PlaceOrder {
        kind,
        agreement_id: id_of(&b.agreement_id, "agreementId")?,
        product_id: b.product_id.as_ref().map(|v| id_of(v, "productId")).transpose()?,
        offer_id: b
            .product_offering_id
            .as_ref()
            .map(|v| id_of(v, "productOfferingId"))
            .transpose()?,
        configurations: configurations(&b.configurations)?,
    };
    let hash = hex::encode(sha2::Sha256::digest(&body));
    let key = crate::idempotency::key(&headers, &hash)?;
    let done = app.place_agreement_order(&who, key, order).await?;
    Ok(crate::idempotency::respond(done, StatusCode::OK, |n| vec![Placed { order_id: n }]))
}

/// An order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub agreement_id: i64,
    pub product_id: Option<i64>,
    pub product_offering_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub configurations: serde_json::Value,
    /// `RECEIVED`, `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub status: String,
    /// Why it failed.
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

fn order_view(o: OrderRow) -> Order {
    Order {
        order_id: domain::agreement::order_number(o.id),
        kind: o.kind,
        agreement_id: o.agreement_id,
        product_id: o.product_id,
        product_offering_id: o.offer_id.map(|i| i.to_string()),
        configurations: serde_json::from_str(&o.configurations).unwrap_or_default(),
        status: o.status.as_str().to_owned(),
        failure_reason: o.reason,
        created_at: o.created_at,
        updated_at: o.updated_at,
        completed_at: o.completed_at,
    }
}

/// One of the caller's orders.
#[utoipa::path(get, path = "/corporate-agreements/v2/orders/{orderId}", tag = "Corporate agreements",
    params(("orderId" = String, Path, description = "the order's 12 digits")),
    responses((status = 200, body = Order), (status = 404, description = "40401: no such order of this client's")))]
pub async fn get_order(
    B2bCall { app, who }: B2bCall,
    Path(id): Path<String>,
) -> AgreementsResult<Json<Order>> {
    Ok(Json(order_view(app.agreement_order(&who, &id).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    #[param(value_type = i64, required = true)]
    pub agreement_id: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
    pub page: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub page_size: Option<String>,
}

/// An agreement's orders, newest first (X-Total-Count: how many in all).
#[utoipa::path(get, path = "/corporate-agreements/v2/orders", tag = "Corporate agreements", params(OrdersQuery),
    responses((status = 200, body = Vec<Order>), (status = 400, description = "400001: agreementId missing or not an id; 40001: paging"), (status = 404, description = "404001: no such agreement of this client's")))]
pub async fn list_orders(
    B2bCall { app, who }: B2bCall,
    q: Result<Query<OrdersQuery>, axum::extract::rejection::QueryRejection>,
) -> AgreementsResult<Response> {
    let q = query(q)?;
    let id = agreement_id(q.agreement_id.as_deref().unwrap_or(""))?;
    let page = Page::new(number(&q.page, "page")?, number(&q.page_size, "pageSize")?)?;
    let (rows, total) = app.agreement_orders(&who, id, page).await?;
    Ok(listed(rows.into_iter().map(order_view).collect(), total))
}

use sha2::Digest;
