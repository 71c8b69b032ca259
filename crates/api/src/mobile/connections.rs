//! Connections controller (CLI management): look a connection up by CLI,
//! list a customer's.

use super::params::{CliParam, CustomerIdParam};
use super::views::{Connection, List, Page, Paging};
use crate::error::ApiResult;
use crate::extract::{Id, Text};
use crate::Call;
use axum::Json;

async fn by_cli(Call { app, who }: Call, cli: &str) -> ApiResult<Json<Connection>> {
    let row = app.connection_by_cli(&who, cli).await?;
    let (period, reading) = app.usage_so_far(&row).await?;
    let mut view: Connection = row.try_into()?;
    view.alerting.usage_so_far = Some(super::views::UsageSoFar {
        period_start: period.start,
        data_mb: domain::usage::mb_up(reading.data_bytes),
        spend_pence: reading.spend_pence,
    });
    Ok(Json(view))
}

/// A connection by CLI (`/api/Connections/?cli=`).
#[utoipa::path(get, path = "/api/Connections/", tag = "Connections", params(CliParam),
    responses((status = 200, body = Connection), (status = 400, description = "cli missing or not a UK mobile number"), (status = 404, description = "no such connection visible to this client")))]
pub async fn connections_by_cli(
    call: Call,
    Text(cli, _): Text<CliParam>,
) -> ApiResult<Json<Connection>> {
    by_cli(call, &cli).await
}

/// A connection by CLI: contract id, customer, tariff, bundles, bars,
/// diverts, SIM, dates, bill cap and alerting.
#[utoipa::path(get, path = "/api/Connections/GetConnectionByCLI", tag = "Connections", params(CliParam),
    responses((status = 200, body = Connection), (status = 400, description = "cli missing or not a UK mobile number"), (status = 404, description = "no such connection visible to this client")))]
pub async fn get_connection_by_cli(
    call: Call,
    Text(cli, _): Text<CliParam>,
) -> ApiResult<Json<Connection>> {
    by_cli(call, &cli).await
}

/// A customer's connections, paginated.
#[utoipa::path(get, path = "/api/Connections/GetConnectionByCustomerId", tag = "Connections", params(CustomerIdParam, Paging),
    responses((status = 200, body = List<Connection>), (status = 400, description = "customerId missing or not a number"), (status = 404, description = "no such customer visible to this client")))]
pub async fn get_connection_by_customer_id(
    Call { app, who }: Call,
    Id(id, _): Id<CustomerIdParam>,
    Page(page): Page,
) -> ApiResult<Json<List<Connection>>> {
    let (rows, total) = app.page_under::<store::connections::ConnectionRow>(&who, id, page).await?;
    let items = rows.into_iter().map(Connection::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(List::new(items, page, total)))
}
