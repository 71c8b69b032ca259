//! Usage controller: a connection's data this period, its usage rated by
//! period, and a network feed's records.

use super::params::CliParam;
use crate::error::{ApiError, ApiResult};
use crate::extract::{text_param, QueryParams, Text};
use crate::Call;
use app::usage::{Outcome, PeriodUsage};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use domain::usage::MB;

/// GetDataUsage's answer: this billing period's data against the
/// allowance (UK use and roaming a pass covers draw on it).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataUsage {
    pub cli: String,
    pub contract_id: i64,
    /// The period's first day and the day after its last.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub used_bytes: i64,
    /// Megabytes (MiB), rounded up.
    pub used_mb: i64,
    /// Null when unlimited.
    pub allowance_mb: Option<i64>,
    pub remaining_mb: Option<i64>,
    /// Whole per cent of the allowance used (may pass 100); null when unlimited.
    pub percentage_used: Option<i64>,
    pub unlimited: bool,
    /// When the latest record of the period happened (any kind).
    pub last_record_at: Option<DateTime<Utc>>,
}

/// The data a connection has used this billing period, against its
/// allowance (tariff and data add-ons), near real time: as of the last
/// record imported.
#[utoipa::path(get, path = "/api/Usage/GetDataUsage", tag = "Usage", params(CliParam),
    responses((status = 200, body = DataUsage), (status = 400, description = "cli missing or not a UK mobile number"), (status = 404, description = "no such connection visible to this client")))]
pub async fn get_data_usage(
    Call { app, who }: Call,
    Text(cli, _): Text<CliParam>,
) -> ApiResult<Json<DataUsage>> {
    let (line, u) = app.data_usage(&who, &cli).await?;
    Ok(Json(DataUsage {
        cli: line.cli,
        contract_id: line.id,
        period_start: u.period.start,
        period_end: u.period.end,
        used_bytes: u.data.used,
        used_mb: domain::usage::mb_up(u.data.used),
        allowance_mb: u.data.allowance.map(|a| a / MB),
        remaining_mb: u.data.remaining().map(|r| r / MB),
        percentage_used: u.data.percent(),
        unlimited: u.data.allowance.is_none(),
        last_record_at: u.last_event_at,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageInfoParams {
    /// The mobile number: `07…`, `447…` or `+447…`.
    #[param(value_type = String, required = true, pattern = r"^(07|447|\+447)[1-57-9][0-9]{8}$")]
    pub cli: Option<String>,
    /// From the billing period holding this day (YYYY-MM-DD); default: the period `to` is in.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// To the billing period holding this day (YYYY-MM-DD); default: today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

/// One kind of use to one destination in a period, rated.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageLine {
    /// `Voice`, `SMS`, `MMS` or `Data`.
    pub usage_type: String,
    /// `Outgoing` or `Incoming` (free).
    pub direction: String,
    /// `UK`, `INTERNATIONAL-1`…`3`, `PREMIUM`, `ROAMING-1`…`3`.
    pub destination: String,
    pub quantity: i64,
    /// `seconds`, `messages` or `bytes`.
    pub unit: String,
    pub in_bundle: i64,
    pub out_of_bundle: i64,
    pub cost_pence: i64,
}

/// One billing period's usage.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsagePeriod {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub lines: Vec<UsageLine>,
    /// Out-of-bundle charges of the period, late records included.
    pub total_pence: i64,
    /// What records arriving after the period ended added to it.
    pub late_adjustment_pence: i64,
    pub records: i64,
    /// The bill cap the period is billed under (null: none).
    pub bill_cap_pence: Option<i64>,
    /// What is billed of the total: beyond the cap, only what was spent
    /// after the customer consented (Communications Act 2003 s.124S).
    pub billed_pence: i64,
    pub not_billed_pence: i64,
}

/// GetUsageInformationForCli's answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageInformation {
    pub cli: String,
    pub contract_id: i64,
    pub periods: Vec<UsagePeriod>,
    pub total_pence: i64,
    /// The periods' billed pence, summed.
    pub billed_pence: i64,
}

fn period_view(p: PeriodUsage) -> UsagePeriod {
    UsagePeriod {
        period_start: p.period.start,
        period_end: p.period.end,
        total_pence: p.bill.pence,
        late_adjustment_pence: p.late_pence,
        records: p.records,
        bill_cap_pence: p.bill_cap,
        billed_pence: p.billed.billed_pence,
        not_billed_pence: p.billed.not_billed_pence,
        lines: p
            .bill
            .lines
            .into_iter()
            .map(|l| UsageLine {
                usage_type: l.kind.as_str().into(),
                direction: l.direction.as_str().into(),
                destination: l.destination.code(),
                quantity: l.quantity,
                unit: l.kind.unit().into(),
                in_bundle: l.in_bundle,
                out_of_bundle: l.out_of_bundle,
                cost_pence: l.pence,
            })
            .collect(),
    }
}

/// A day parameter, optional.
fn day_param(value: &Option<String>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<NaiveDate>()
            .ok()
            .filter(|d| (2000..=2999).contains(&chrono::Datelike::year(d)))
            .map(Some)
            .ok_or_else(|| {
                domain::Error::invalid(name, "must be a date as YYYY-MM-DD, from the year 2000")
                    .into()
            }),
    }
}

/// A connection's usage by billing period (monthly from its bill day):
/// quantities and out-of-bundle cost by type, direction and destination,
/// in bundle and beyond, with late adjustments; at most 24 periods.
#[utoipa::path(get, path = "/api/Usage/GetUsageInformationForCli", tag = "Usage", params(UsageInfoParams),
    responses((status = 200, body = UsageInformation), (status = 400, description = "cli missing or malformed, a date malformed, from after to, or more than 24 periods"),
        (status = 404, description = "no such connection visible to this client")))]
pub async fn get_usage_information_for_cli(
    Call { app, who }: Call,
    QueryParams(q): QueryParams<UsageInfoParams>,
) -> ApiResult<Json<UsageInformation>> {
    let cli = text_param(&q.cli, "cli")?;
    let (from, to) = (day_param(&q.from, "from")?, day_param(&q.to, "to")?);
    let (line, periods) = app.usage_information(&who, cli, from, to).await?;
    let periods: Vec<UsagePeriod> = periods.into_iter().map(period_view).collect();
    Ok(Json(UsageInformation {
        cli: line.cli,
        contract_id: line.id,
        total_pence: periods.iter().map(|p| p.total_pence).sum(),
        billed_pence: periods.iter().map(|p| p.billed_pence).sum(),
        periods,
    }))
}

/// What became of one record of ImportRecords.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordResult {
    /// Its place in the body, from 0.
    pub index: usize,
    pub record_id: Option<String>,
    /// `Stored`, `Duplicate` (stored before: nothing changed) or `Rejected`.
    pub status: String,
    /// For a rejected record: the field at fault and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// ImportRecords' answer: the counts and each record's result, in order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    pub received: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub results: Vec<RecordResult>,
}

/// At most this many records a call.
pub const MAX_RECORDS: usize = 10_000;
/// And at most this many bytes.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// A network feed's usage records, for the caller's own connections: a
/// JSON array of records (`network`, `recordId`, `cli`, `kind`,
/// `direction`, `destination`, `eventTime`, `quantity`), or a CSV body
/// (`Content-Type: text/csv`, the columns `switchboard usage import`
/// reads), up to 10,000 records. Each record is stored, found a duplicate
/// (already stored: nothing changes), or rejected with its reason; one
/// record's fault never stops the others.
#[utoipa::path(post, path = "/api/Usage/ImportRecords", tag = "Usage",
    request_body(content = Vec<serde_json::Value>, description = "records as JSON, or text/csv"),
    responses((status = 200, body = ImportResult), (status = 400, description = "not a JSON array or CSV with the right header, or more than 10,000 records"),
        (status = 413, description = "the body is larger than 8 MiB"), (status = 415, description = "neither application/json nor text/csv")))]
pub async fn import_records(
    Call { app, who }: Call,
    req: Request,
) -> ApiResult<Json<ImportResult>> {
    who.require(domain::Scope::Usage)?;
    let kind = crate::extract::media_type(req.headers());
    let csv_body = kind == "text/csv";
    if !csv_body && kind != "application/json" {
        return Err(ApiError::Status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the records as application/json (an array) or text/csv".into(),
        ));
    }
    let bytes = axum::body::to_bytes(req.into_body(), MAX_BYTES).await.map_err(|_| {
        ApiError::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the limit of {MAX_BYTES} bytes"),
        )
    })?;
    let now = app.now();
    let records: Vec<Result<domain::usage::UsageRecord, domain::Error>> = if csv_body {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_ref());
        let header = rdr
            .headers()
            .map_err(|e| ApiError::bad_request(format!("the CSV header cannot be read: {e}")))?
            .clone();
        let columns = app::usage_format::Columns::from_header(&header, None)
            .map_err(|e| ApiError::from(domain::Error::invalid("body", e)))?;
        let mut out = Vec::new();
        for row in rdr.records() {
            let row =
                row.map_err(|e| ApiError::bad_request(format!("the CSV cannot be read: {e}")))?;
            out.push(columns.record(&row, now));
            if out.len() > MAX_RECORDS {
                break;
            }
        }
        out
    } else {
        let values: Vec<serde_json::Value> = crate::extract::parse_json(&bytes)?;
        values.iter().take(MAX_RECORDS + 1).map(|v| app::usage_format::from_json(v, now)).collect()
    };
    if records.len() > MAX_RECORDS {
        return Err(domain::Error::invalid(
            "body",
            format!("at most {MAX_RECORDS} records a call"),
        )
        .into());
    }
    let ids: Vec<Option<String>> =
        records.iter().map(|r| r.as_ref().ok().map(|r| r.record_id.clone())).collect();
    let outcomes = app.import_usage_for(&who, records).await?;
    let mut result = ImportResult {
        received: outcomes.len(),
        stored: 0,
        duplicates: 0,
        rejected: 0,
        results: Vec::with_capacity(outcomes.len()),
    };
    for (index, (outcome, record_id)) in outcomes.into_iter().zip(ids).enumerate() {
        let (status, field, message) = match outcome {
            Outcome::Stored => {
                result.stored += 1;
                ("Stored", None, None)
            }
            Outcome::Duplicate => {
                result.duplicates += 1;
                ("Duplicate", None, None)
            }
            Outcome::Rejected(e) => {
                result.rejected += 1;
                let (field, message) = match e {
                    domain::Error::Invalid { field, message } => (Some(field), message),
                    other => (None, other.to_string()),
                };
                ("Rejected", field, Some(message))
            }
        };
        result.results.push(RecordResult {
            index,
            record_id,
            status: status.into(),
            field,
            message,
        });
    }
    Ok(Json(result))
}
