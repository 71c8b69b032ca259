//! Alerting controller (CapZ): a connection's thresholds on data and
//! out-of-bundle spend, and what happens at each.

use super::catalogue::ContractParam;
use crate::error::ApiResult;
use crate::extract::{int_param, JsonBody, QueryParams};
use crate::Call;
use app::alerting::Settings;
use axum::Json;
use chrono::{DateTime, Utc};
use domain::alerting::{Action, Measure, Threshold};
use serde::{Deserialize, Serialize};
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
    /// Whether an alerting bar is on, and since when.
    pub alert_bar: bool,
    pub alert_bar_since: Option<DateTime<Utc>>,
}

fn view(contract_id: i64, s: Settings) -> AlertingSettings {
    AlertingSettings {
        contract_id,
        thresholds: s
            .thresholds
            .into_iter()
            .map(|t| ThresholdView {
                kind: t.kind,
                value: t.value,
                action: t.action,
            })
            .collect(),
        alert_bar: s.alert_bar,
        alert_bar_since: s.alert_bar_since,
    }
}

/// A contract's alerting thresholds and bar.
#[utoipa::path(get, path = "/api/Alerting/GetAlertingSettings", tag = "Alerting", params(ContractParam),
    responses((status = 200, body = AlertingSettings), (status = 400, description = "contractId missing or not a number"), (status = 404, description = "no such contract visible to this client")))]
pub async fn get_alerting_settings(
    Call { app, who }: Call,
    QueryParams(q): QueryParams<ContractParam>,
) -> ApiResult<Json<AlertingSettings>> {
    let id = int_param(&q.contract_id, "contractId")?;
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
        .map(|t| Threshold {
            kind: t.kind,
            value: t.value,
            action: t.action,
        })
        .collect();
    let settings = app
        .set_alerting_settings(&who, b.contract_id, thresholds)
        .await?;
    Ok(Json(view(b.contract_id, settings)))
}
