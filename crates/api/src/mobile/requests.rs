//! Bars, Bundles and Requests controllers on live connections: every
//! change is a request object, answered at once as Pending and carried out
//! by the provisioning worker through the network; the connection changes
//! only when the network confirms.

use super::params::{ContractParam, RequestIdParam};
use super::views::{List, Page, Paging};
use crate::error::ApiResult;
use crate::extract::{Id, JsonBody};
use crate::Call;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use domain::ordering::ExtraKind;
use domain::request::parse_action;
use serde::{Deserialize, Serialize};
use store::requests::RequestRow;
use utoipa::ToSchema;

/// A request object.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    pub request_id: i64,
    pub contract_id: i64,
    /// `AddBar`, `RemoveBar`, `AddBundle`, `RemoveBundle`, `ChangeTariff`,
    /// `ChangeSIM`, `CreateEsim`, `SetDivert`, `RemoveDivert`, `RequestPac`,
    /// `RequestStac`, `RequestInfo`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `Pending`, then `Completed` or `Rejected`.
    pub status: String,
    pub reason: Option<String>,
    /// What is added or removed.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// What the network answered beyond yes or no: a PAC or STAC with
    /// `validUntil` (and `usedAt` once used), or an eSIM's `activationCode`
    /// and `eid` (null until a device downloads the profile).
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
}

impl From<RequestRow> for RequestView {
    fn from(r: RequestRow) -> Self {
        RequestView {
            request_id: r.id,
            contract_id: r.contract_id,
            kind: r.kind,
            status: r.status.to_string(),
            reason: r.reason,
            details: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            created_at: r.created_at,
            updated_at: r.updated_at,
            completed_at: r.completed_at,
            result: r.result.as_deref().and_then(|t| serde_json::from_str(t).ok()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BarChange {
    #[schema(minimum = 1)]
    pub contract_id: i64,
    #[schema(minimum = 1)]
    pub bar_id: i64,
    /// `Add` or `Remove`, in any case.
    #[schema(pattern = r"^\s*([Aa][Dd][Dd]|[Rr][Ee][Mm][Oo][Vv][Ee])\s*$")]
    pub action: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleChange {
    #[schema(minimum = 1)]
    pub contract_id: i64,
    #[schema(minimum = 1)]
    pub tariff_option_id: i64,
}

/// A queued request, answered 202.
fn accepted(row: store::requests::RequestRow) -> ApiResult<(StatusCode, Json<RequestView>)> {
    Ok((StatusCode::ACCEPTED, Json(row.into())))
}

/// Adds or removes a bar on a live connection; answers the Pending request.
/// A connection barred as stolen takes no change but that bar's removal.
#[utoipa::path(post, path = "/api/Bars/AddOrRemoveBar", tag = "Bars", request_body = BarChange,
    responses((status = 202, body = RequestView), (status = 400, description = "not a bar of the connection's network, or a bad action"), (status = 402, description = "barred as stolen"),
        (status = 404, description = "no such contract visible to this client"), (status = 409, description = "already on, not on, a conflicting request open, or the connection is not Active")))]
pub async fn add_or_remove_bar(
    Call { app, who }: Call,
    body: JsonBody<BarChange>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let b = body.value;
    let add = parse_action(&b.action)?;
    accepted(app.change_extra(&who, b.contract_id, ExtraKind::Bar, b.bar_id, add).await?)
}

/// Adds a bundle the connection's tariff allows; answers the Pending request.
#[utoipa::path(post, path = "/api/Bundles/AddBundle", tag = "Bundles", request_body = BundleChange,
    responses((status = 202, body = RequestView), (status = 400, description = "not a bundle of this network and tariff"), (status = 402, description = "barred as stolen"),
        (status = 404, description = "no such contract visible to this client"), (status = 409, description = "already on, a conflicting request open, or the connection is not Active")))]
pub async fn add_bundle(
    Call { app, who }: Call,
    body: JsonBody<BundleChange>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let b = body.value;
    accepted(
        app.change_extra(&who, b.contract_id, ExtraKind::Bundle, b.tariff_option_id, true).await?,
    )
}

/// Removes a bundle from a live connection; answers the Pending request.
#[utoipa::path(post, path = "/api/Bundles/RemoveBundle", tag = "Bundles", request_body = BundleChange,
    responses((status = 202, body = RequestView), (status = 400, description = "not a bundle of this network"), (status = 402, description = "barred as stolen"),
        (status = 404, description = "no such contract visible to this client"), (status = 409, description = "not on, a conflicting request open, or the connection is not Active")))]
pub async fn remove_bundle(
    Call { app, who }: Call,
    body: JsonBody<BundleChange>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let b = body.value;
    accepted(
        app.change_extra(&who, b.contract_id, ExtraKind::Bundle, b.tariff_option_id, false).await?,
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TariffChange {
    #[schema(minimum = 1)]
    pub contract_id: i64,
    #[schema(minimum = 1)]
    pub tariff_id: i64,
    /// When the new tariff applies: today (the default) up to 60 days ahead.
    pub effective_date: Option<chrono::NaiveDate>,
}

/// Moves a contract to another tariff, from its effective date; answers
/// the Pending request. Refused with 402 and the reason where a rule
/// forbids it, judged on the effective date: another network, a retired
/// tariff, a downgrade inside the minimum term, a bill-capped contract to
/// an ineligible tariff, bundles the new tariff does not take (named).
#[utoipa::path(post, path = "/api/Tariffs/ChangeTariff", tag = "Tariffs", request_body = TariffChange,
    responses((status = 202, body = RequestView), (status = 400, description = "no such tariff, or an effective date in the past or too far ahead"), (status = 402, description = "a tariff rule forbids it; the message says which"),
        (status = 404, description = "no such contract visible to this client"), (status = 409, description = "a tariff change is already open, or the connection is not Active")))]
pub async fn change_tariff(
    Call { app, who }: Call,
    body: JsonBody<TariffChange>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let b = body.value;
    accepted(app.change_tariff(&who, b.contract_id, b.tariff_id, b.effective_date).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeSim {
    /// The connection's number: `07…`, `447…` or `+447…`.
    #[schema(pattern = r"^(07|447|\+447)[1-57-9][0-9]{8}$")]
    pub cli: String,
    /// The new SIM: Luhn-checked, in the connection's network's range, not in use.
    #[schema(pattern = r"^89[0-9]{17,18}$")]
    pub iccid: String,
}

/// Swaps a connection's SIM (lost, damaged, resized); answers the Pending
/// request. The old SIM is recorded as replaced when the network confirms.
#[utoipa::path(post, path = "/api/Sims/ChangeSIM", tag = "SIMs", request_body = ChangeSim,
    responses((status = 202, body = RequestView), (status = 400, description = "cli or iccid malformed, or the ICCID is another network's"), (status = 402, description = "barred as stolen"),
        (status = 404, description = "no such connection visible to this client"), (status = 409, description = "the ICCID is in use, already this SIM, a swap is open, or the connection is not Active")))]
pub async fn change_sim(
    Call { app, who }: Call,
    body: JsonBody<ChangeSim>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let b = body.value;
    accepted(app.change_sim(&who, &b.cli, &b.iccid).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateEsim {
    /// The connection's number (Vodafone): `07…`, `447…` or `+447…`.
    #[schema(pattern = r"^(07|447|\+447)[1-57-9][0-9]{8}$")]
    pub cli: String,
}

/// Moves a Vodafone connection to an eSIM (new device, or from a physical
/// SIM); answers the Pending request. On completion its `result` holds the
/// activation code `LPA:1$<SM-DP+>$<matching id>` to scan, and `eid`,
/// null until a device downloads the profile.
#[utoipa::path(post, path = "/api/Sims/CreateEsimRequest", tag = "SIMs", request_body = CreateEsim,
    responses((status = 202, body = RequestView), (status = 400, description = "cli malformed, or not a Vodafone connection"), (status = 402, description = "barred as stolen"),
        (status = 404, description = "no such connection visible to this client"), (status = 409, description = "a SIM change is open, or the connection is not Active")))]
pub async fn create_esim_request(
    Call { app, who }: Call,
    body: JsonBody<CreateEsim>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    accepted(app.create_esim(&who, &body.value.cli).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetDivert {
    #[schema(minimum = 1)]
    pub contract_id: i64,
    /// `CFU` (always), `CFB` (busy), `CFNRy` (no reply), `CFNRc` (not reachable).
    #[schema(pattern = "^(CFU|CFB|CFNRy|CFNRc)$")]
    pub divert_type: String,
    /// A UK number: not the connection's own, not premium rate.
    #[schema(pattern = r"^0(1[02-9][0-9]|[2-7][0-9]{2})[0-9]{6,7}$")]
    pub destination: String,
    /// CFNRy only: seconds before the divert, 5 to 30 (default 20).
    #[schema(minimum = 5, maximum = 30)]
    pub no_reply_seconds: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoveDivert {
    #[schema(minimum = 1)]
    pub contract_id: i64,
    #[schema(pattern = "^(CFU|CFB|CFNRy|CFNRc)$")]
    pub divert_type: String,
}

/// A divert on a connection.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DivertView {
    pub divert_type: String,
    pub destination: String,
    pub no_reply_seconds: Option<i64>,
    /// False for a conditional divert while an unconditional one (CFU) overrides it.
    pub in_force: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Diverts {
    pub contract_id: i64,
    pub diverts: Vec<DivertView>,
}

/// A connection's diverts, and which are in force.
#[utoipa::path(get, path = "/api/Diverts/GetDiverts", tag = "Diverts", params(ContractParam),
    responses((status = 200, body = Diverts), (status = 400, description = "contractId missing or not a number"), (status = 404, description = "no such contract visible to this client")))]
pub async fn get_diverts(
    Call { app, who }: Call,
    Id(id, _): Id<ContractParam>,
) -> ApiResult<Json<Diverts>> {
    let set = app.diverts(&who, id).await?;
    let kinds: Vec<&str> = set.iter().map(|d| d.divert_type.as_str()).collect();
    let diverts = set
        .iter()
        .map(|d| DivertView {
            divert_type: d.divert_type.clone(),
            destination: d.destination.clone(),
            no_reply_seconds: d.no_reply_seconds,
            in_force: domain::divert::in_force(&d.divert_type, &kinds),
        })
        .collect();
    Ok(Json(Diverts { contract_id: id, diverts }))
}

/// Sets (or replaces) a divert; answers the Pending request.
#[utoipa::path(post, path = "/api/Diverts/SetDivert", tag = "Diverts", request_body = SetDivert,
    responses((status = 202, body = RequestView), (status = 400, description = "bad type, destination or timer; `field` names it"), (status = 402, description = "barred as stolen"),
        (status = 404, description = "no such contract visible to this client"), (status = 409, description = "a request on this divert is open, or the connection is not Active")))]
pub async fn set_divert(
    Call { app, who }: Call,
    body: JsonBody<SetDivert>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let b = body.value;
    let row = app
        .set_divert(&who, b.contract_id, &b.divert_type, &b.destination, b.no_reply_seconds)
        .await?;
    accepted(row)
}

/// Removes a divert; answers the Pending request.
#[utoipa::path(post, path = "/api/Diverts/RemoveDivert", tag = "Diverts", request_body = RemoveDivert,
    responses((status = 202, body = RequestView), (status = 400, description = "bad divert type"), (status = 402, description = "barred as stolen"),
        (status = 404, description = "no such contract visible to this client"), (status = 409, description = "no such divert set, a request on it is open, or the connection is not Active")))]
pub async fn remove_divert(
    Call { app, who }: Call,
    body: JsonBody<RemoveDivert>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let b = body.value;
    accepted(app.remove_divert(&who, b.contract_id, &b.divert_type).await?)
}

/// A request object.
#[utoipa::path(get, path = "/api/Requests/GetRequest", tag = "Requests", params(RequestIdParam),
    responses((status = 200, body = RequestView), (status = 400, description = "requestId missing or not a number"), (status = 404, description = "no such request visible to this client")))]
pub async fn get_request(
    Call { app, who }: Call,
    Id(id, _): Id<RequestIdParam>,
) -> ApiResult<Json<RequestView>> {
    Ok(Json(app.request(&who, id).await?.into()))
}

/// A contract's requests, newest first.
#[utoipa::path(get, path = "/api/Requests/GetRequestsForContract", tag = "Requests", params(ContractParam, Paging),
    responses((status = 200, body = List<RequestView>), (status = 400, description = "contractId missing or not a number"), (status = 404, description = "no such contract visible to this client")))]
pub async fn get_requests_for_contract(
    Call { app, who }: Call,
    Id(id, _): Id<ContractParam>,
    Page(page): Page,
) -> ApiResult<Json<List<RequestView>>> {
    let (rows, total) = app.page_under::<store::requests::RequestRow>(&who, id, page).await?;
    Ok(Json(List::of(rows, page, total)))
}
