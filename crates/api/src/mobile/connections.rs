//! Connections controller (CLI management): look a connection up by CLI,
//! list a customer's.

use super::customers::CustomerIdParam;
use super::views::{Connection, List, Paging};
use crate::error::ApiResult;
use crate::extract::{int_param, text_param, QueryParams};
use crate::Call;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CliParam {
    /// The mobile number: `07…`, `447…` or `+447…`.
    #[param(value_type = String, required = true, pattern = r"^(07|447|\+447)[1-57-9][0-9]{8}$")]
    pub cli: Option<String>,
}

async fn by_cli(Call { app, who }: Call, q: &CliParam) -> ApiResult<Json<Connection>> {
    let cli = text_param(&q.cli, "cli")?;
    let row = app.connection_by_cli(&who, cli).await?;
    let (period, reading) = app.usage_so_far(&row).await?;
    let mut view: Connection = row.try_into()?;
    view.alerting.usage_so_far = Some(super::views::UsageSoFar {
        period_start: period.start,
        data_mb: (reading.data_bytes + (1 << 20) - 1) >> 20,
        spend_pence: reading.spend_pence,
    });
    Ok(Json(view))
}

/// A connection by CLI (`/api/Connections/?cli=`).
#[utoipa::path(get, path = "/api/Connections/", tag = "Connections", params(CliParam),
    responses((status = 200, body = Connection), (status = 400, description = "cli missing or not a UK mobile number"), (status = 404, description = "no such connection visible to this client")))]
pub async fn connections_by_cli(
    call: Call,
    QueryParams(q): QueryParams<CliParam>,
) -> ApiResult<Json<Connection>> {
    by_cli(call, &q).await
}

/// A connection by CLI: contract id, customer, tariff, bundles, bars,
/// diverts, SIM, dates, bill cap and alerting.
#[utoipa::path(get, path = "/api/Connections/GetConnectionByCLI", tag = "Connections", params(CliParam),
    responses((status = 200, body = Connection), (status = 400, description = "cli missing or not a UK mobile number"), (status = 404, description = "no such connection visible to this client")))]
pub async fn get_connection_by_cli(
    call: Call,
    QueryParams(q): QueryParams<CliParam>,
) -> ApiResult<Json<Connection>> {
    by_cli(call, &q).await
}

/// A customer's connections, paginated.
#[utoipa::path(get, path = "/api/Connections/GetConnectionByCustomerId", tag = "Connections", params(CustomerIdParam, Paging),
    responses((status = 200, body = List<Connection>), (status = 400, description = "customerId missing or not a number"), (status = 404, description = "no such customer visible to this client")))]
pub async fn get_connection_by_customer_id(
    Call { app, who }: Call,
    QueryParams(q): QueryParams<CustomerIdParam>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<List<Connection>>> {
    let id = int_param(&q.customer_id, "customerId")?;
    let page = paging.request()?;
    let (rows, total) = app.connections_for_customer(&who, id, page).await?;
    let items = rows
        .into_iter()
        .map(Connection::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(List::new(items, page, total)))
}
