//! Alerting controller (CapZ): a connection's thresholds on data and
//! out-of-bundle spend, and what happens at each.

use super::params::{CliParam, ContractParam, CustomerIdParam};
use super::views::{List, Page, Paging};
use crate::error::ApiResult;
use crate::extract::{Id, JsonBody, Text};
use crate::Call;
use app::alerting::Settings;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::alerting::{Action, Measure, Threshold};
use serde::{Deserialize, Serialize};
use store::alerts::AlertRow;
use utoipa::ToSchema;

/// One threshold: a measure, the value at which it is reached, and what
/// happens then.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThresholdView {
    /// `dataMb` (MB used this period), `dataPercent` (per cent of the data
    /// allowance) or `spendPence` (out-of-bundle spend this period).
    #[schema(value_type = String, example = "dataMb")]
    pub kind: Measure,
    /// Above 0; a percentage at most 1000.
    #[schema(minimum = 1)]
    pub value: i64,
    /// `notify` (an alert) or `bar` (an alert and an alerting bar).
    #[schema(value_type = String, example = "notify")]
    pub action: Action,
}

/// A contract's alerting settings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertingSettings {
    pub contract_id: i64,
    pub thresholds: Vec<ThresholdView>,
    /// Whether an alerting bar is on, since when, and why.
    pub alert_bar: bool,
    pub alert_bar_since: Option<DateTime<Utc>>,
    pub alert_bar_reasons: Vec<String>,
}

fn view(contract_id: i64, s: Settings) -> AlertingSettings {
    AlertingSettings {
        contract_id,
        thresholds: s
            .thresholds
            .into_iter()
            .map(|t| ThresholdView { kind: t.kind, value: t.value, action: t.action })
            .collect(),
        alert_bar: s.alert_bar,
        alert_bar_since: s.alert_bar_since,
        alert_bar_reasons: s.alert_bar_reasons.iter().map(ToString::to_string).collect(),
    }
}

/// A contract's alerting thresholds and bar.
#[utoipa::path(get, path = "/api/Alerting/GetAlertingSettings", tag = "Alerting", params(ContractParam),
    responses((status = 200, body = AlertingSettings), (status = 400, description = "contractId missing or not a number"), (status = 404, description = "no such contract visible to this client")))]
pub async fn get_alerting_settings(
    Call { app, who }: Call,
    Id(id, _): Id<ContractParam>,
) -> ApiResult<Json<AlertingSettings>> {
    Ok(Json(view(id, app.alerting_settings(&who, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetAlerting {
    #[schema(minimum = 1)]
    pub contract_id: i64,
    /// All of the contract's thresholds (at most 10): they replace the
    /// ones it had; an empty list removes them.
    pub thresholds: Vec<ThresholdView>,
}

/// Replaces a contract's alerting thresholds; answers the settings.
#[utoipa::path(post, path = "/api/Alerting/SetAlertingSettings", tag = "Alerting", request_body = SetAlerting,
    responses((status = 200, body = AlertingSettings), (status = 400, description = "a threshold malformed, at 0 or below, a percentage above 1000, given twice, or more than 10"),
        (status = 404, description = "no such contract visible to this client")))]
pub async fn set_alerting_settings(
    Call { app, who }: Call,
    body: JsonBody<SetAlerting>,
) -> ApiResult<Json<AlertingSettings>> {
    let b = body.value;
    let thresholds = b
        .thresholds
        .into_iter()
        .map(|t| Threshold { kind: t.kind, value: t.value, action: t.action })
        .collect();
    let settings = app.set_alerting_settings(&who, b.contract_id, thresholds).await?;
    Ok(Json(view(b.contract_id, settings)))
}

/// GetCliAlertingBarStatus's answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertingBarStatus {
    pub cli: String,
    pub contract_id: i64,
    /// Whether the alerting bar (the CAPZ bar on chargeable use) is on.
    pub alert_bar: bool,
    /// Why: the `bar` thresholds reached, the bill cap reached.
    pub reasons: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    /// The request object that placed (or last lifted) the bar, and its
    /// status at the network.
    pub request_id: Option<i64>,
    pub request_status: Option<String>,
}

/// Whether a connection's alerting bar is on, why, and since when.
#[utoipa::path(get, path = "/api/Alerting/GetCliAlertingBarStatus", tag = "Alerting", params(CliParam),
    responses((status = 200, body = AlertingBarStatus), (status = 400, description = "cli missing or not a UK mobile number"), (status = 404, description = "no such connection visible to this client")))]
pub async fn get_cli_alerting_bar_status(
    Call { app, who }: Call,
    Text(cli, _): Text<CliParam>,
) -> ApiResult<Json<AlertingBarStatus>> {
    let (conn, s, request) = app.alerting_bar_status(&who, &cli).await?;
    Ok(Json(AlertingBarStatus {
        cli: conn.cli,
        contract_id: conn.id,
        alert_bar: s.alert_bar,
        reasons: s.alert_bar_reasons.iter().map(ToString::to_string).collect(),
        since: s.alert_bar_since,
        request_id: s.alert_bar_request_id,
        request_status: request.map(|r| r.status.to_string()),
    }))
}

/// An alert raised: a threshold reached, or a bill-limit notice.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub alert_id: i64,
    pub contract_id: i64,
    pub customer_id: i64,
    pub cli: String,
    /// The billing period it belongs to.
    pub period_start: NaiveDate,
    /// `threshold`, `billCapNear` (80% of the cap) or `billCapReached`.
    pub kind: String,
    /// `dataMb`, `dataPercent` or `spendPence`.
    pub measure: String,
    /// The threshold's value, or the cap in pence.
    pub value: i64,
    /// `notify` or `bar`.
    pub action: String,
    /// What was used when it was raised: bytes for data, pence for spend.
    pub reading: i64,
    pub raised_at: DateTime<Utc>,
}

impl From<AlertRow> for Alert {
    fn from(a: AlertRow) -> Alert {
        Alert {
            alert_id: a.id,
            contract_id: a.connection_id,
            customer_id: a.customer_id,
            cli: a.cli,
            period_start: a.period_start,
            kind: a.kind,
            measure: a.measure,
            value: a.value,
            action: a.action,
            reading: a.reading,
            raised_at: a.raised_at,
        }
    }
}

/// The alerts raised on a customer's connections, newest first.
#[utoipa::path(get, path = "/api/Alerting/GetAlerts", tag = "Alerting", params(CustomerIdParam, Paging),
    responses((status = 200, body = List<Alert>), (status = 400, description = "customerId missing or not a number, or paging out of range"), (status = 404, description = "no such customer visible to this client")))]
pub async fn get_alerts(
    Call { app, who }: Call,
    Id(id, _): Id<CustomerIdParam>,
    Page(page): Page,
) -> ApiResult<Json<List<Alert>>> {
    let (rows, total) = app.page_under::<store::alerts::AlertRow>(&who, id, page).await?;
    Ok(Json(List::new(rows.into_iter().map(Alert::from).collect(), page, total)))
}
