//! Bill limits (Communications Act 2003 s.124S): a contract's cap, set,
//! changed or removed at any time; the customer's consent to go beyond it
//! after a notice; and the record of every notice, decision and consent.

use super::params::ContractParam;
use crate::error::ApiResult;
use crate::extract::{Id, JsonBody};
use crate::Call;
use app::alerting::BillLimit as Limit;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One entry of the bill-limit record.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillLimitEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `capSet`, `capRemoved`, `notice`, `barred`, `lifted` or `consent`.
    pub event: String,
    pub period_start: NaiveDate,
    pub cap_before_pence: Option<i64>,
    pub cap_pence: Option<i64>,
    /// The period's out-of-bundle spend at that moment.
    pub spend_pence: i64,
    /// Who: the API client or user that changed the cap, the customer who
    /// consented, or `system:alerting` for notices and bars.
    pub by: String,
    /// How consent was given: phone, sms, email, web, inStore or letter.
    pub method: Option<String>,
    /// A notice's kind (`billCapNear`, `billCapReached`), a bar's reasons,
    /// or a note.
    pub detail: String,
}

/// A contract's bill limit this period.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillLimit {
    pub contract_id: i64,
    pub cli: String,
    pub enabled: bool,
    pub value_pence: Option<i64>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Out-of-bundle spend this period, as rated.
    pub spend_pence: i64,
    /// What is billed of it: beyond the cap, only what was spent after the
    /// customer's consent.
    pub billed_pence: i64,
    pub not_billed_pence: i64,
    /// Whether chargeable use is barred at the cap now.
    pub barred: bool,
    /// Whether the customer consented this period to go beyond the cap.
    pub consented: bool,
    /// Every notice, decision and consent, oldest first.
    pub history: Vec<BillLimitEvent>,
}

fn view(l: Limit) -> BillLimit {
    BillLimit {
        contract_id: l.conn.id,
        cli: l.conn.cli,
        enabled: l.cap.is_some(),
        value_pence: l.cap,
        period_start: l.period.start,
        period_end: l.period.end,
        spend_pence: l.spend_pence,
        billed_pence: l.billed.billed_pence,
        not_billed_pence: l.billed.not_billed_pence,
        barred: l.barred,
        consented: l.consent_at.is_some(),
        history: l
            .log
            .into_iter()
            .map(|e| BillLimitEvent {
                id: e.id,
                at: e.at,
                event: e.event,
                period_start: e.period_start,
                cap_before_pence: e.cap_before,
                cap_pence: e.cap_pence,
                spend_pence: e.spend_pence,
                by: e.by_whom,
                method: e.method,
                detail: e.detail,
            })
            .collect(),
    }
}

/// A contract's bill cap, this period's spend against it, and its record.
#[utoipa::path(get, path = "/api/BillLimits/GetBillLimit", tag = "BillLimits", params(ContractParam),
    responses((status = 200, body = BillLimit), (status = 400, description = "contractId missing or not a number"), (status = 404, description = "no such contract visible to this client")))]
pub async fn get_bill_limit(
    Call { app, who }: Call,
    Id(id, _): Id<ContractParam>,
) -> ApiResult<Json<BillLimit>> {
    Ok(Json(view(app.bill_limit(&who, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetBillCap {
    #[schema(minimum = 1)]
    pub contract_id: i64,
    /// False removes the cap.
    pub enabled: bool,
    /// The cap in pence (1–1,000,000), when enabled.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub value_pence: Option<i64>,
}

/// Sets, changes or removes a contract's bill cap. It applies at once, to
/// this period's spend so far: a cap below it notifies and bars now; a
/// cap raised above it (or removed) lifts the bar.
#[utoipa::path(post, path = "/api/BillLimits/SetBillCap", tag = "BillLimits", request_body = SetBillCap,
    responses((status = 200, body = BillLimit), (status = 400, description = "valuePence missing when enabled, 0 or below, or above 1,000,000"),
        (status = 404, description = "no such contract visible to this client")))]
pub async fn set_bill_cap(
    Call { app, who }: Call,
    body: JsonBody<SetBillCap>,
) -> ApiResult<Json<BillLimit>> {
    let b = body.value;
    let cap = match (b.enabled, b.value_pence) {
        (true, Some(v)) => Some(v),
        (true, None) => {
            return Err(
                domain::Error::invalid("valuePence", "give the cap in pence to enable it").into()
            )
        }
        (false, _) => None,
    };
    Ok(Json(view(app.set_bill_cap(&who, b.contract_id, cap).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordConsent {
    #[schema(minimum = 1)]
    pub contract_id: i64,
    /// Who gave it: the account holder's (or their authorised user's) name.
    #[schema(pattern = r"\S")]
    pub consented_by: String,
    /// `phone`, `sms`, `email`, `web`, `inStore` or `letter` (in any case).
    #[schema(value_type = ConsentMethod)]
    pub method: String,
    /// Anything worth keeping: a call reference, the words used.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// How a consent was given, as the OpenAPI document describes it: the
/// values of `domain::bill_limit::Method`.
pub struct ConsentMethod;

impl utoipa::PartialSchema for ConsentMethod {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("How a consent was given."))
            .enum_values(Some(domain::bill_limit::Method::ALL.map(|m| m.as_str())))
            .into()
    }
}

impl ToSchema for ConsentMethod {}

/// Records the customer's consent, after a bill-limit notice this period,
/// to go beyond the cap until the period ends: the bar at the cap is
/// lifted, and what is spent from now is billed. Continued use is never
/// consent; only this records it. Asking again answers the consent given.
#[utoipa::path(post, path = "/api/BillLimits/RecordConsent", tag = "BillLimits", request_body = RecordConsent,
    responses((status = 200, body = BillLimit), (status = 400, description = "consentedBy empty or method unknown"),
        (status = 404, description = "no such contract visible to this client"),
        (status = 409, description = "no bill cap, or no notice yet this period")))]
pub async fn record_consent(
    Call { app, who }: Call,
    body: JsonBody<RecordConsent>,
) -> ApiResult<Json<BillLimit>> {
    let b = body.value;
    let method = domain::bill_limit::Method::parse("method", &b.method)?;
    Ok(Json(view(app.record_consent(&who, b.contract_id, &b.consented_by, method, &b.note).await?)))
}
