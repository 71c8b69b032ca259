//! Tariffs, Bundles and Bars controllers: the catalogue's read side.

use super::params::{ContractParam, TariffParam};
use super::views::{CatalogueBar, CatalogueBundle, List, Paging, Tariff};
use crate::error::{ApiError, ApiResult};
use crate::extract::{text_param, Id, QueryParams};
use crate::Call;
use axum::Json;
use domain::Network;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworkParam {
    /// `Vodafone`, `O2` or `EE`.
    #[param(value_type = String, required = true, pattern = "^(Vodafone|O2|EE)$")]
    pub network: Option<String>,
}

impl NetworkParam {
    fn network(&self) -> Result<Network, ApiError> {
        Ok(Network::parse_field(text_param(&self.network, "network")?, "network")?)
    }
}

fn list<R, V: From<R>>(rows: Vec<R>, paging: &Paging) -> ApiResult<Json<List<V>>> {
    Ok(Json(List::paginate(rows, paging.request()?)))
}

/// The tariffs on sale on a network: id, name, retail cost, bill-cap
/// eligibility, term.
#[utoipa::path(get, path = "/api/Tariffs/ListTariffsForNetwork", tag = "Tariffs", params(NetworkParam, Paging),
    responses((status = 200, body = List<Tariff>), (status = 400, description = "network missing or unknown")))]
pub async fn list_tariffs_for_network(
    Call { app, .. }: Call,
    QueryParams(q): QueryParams<NetworkParam>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<List<Tariff>>> {
    list(app.tariffs(q.network()?, false).await?, &paging)
}

/// The bill-cap-eligible tariffs on a network.
#[utoipa::path(get, path = "/api/Tariffs/BillCapEligibleTariffs", tag = "Tariffs", params(NetworkParam, Paging),
    responses((status = 200, body = List<Tariff>), (status = 400, description = "network missing or unknown")))]
pub async fn bill_cap_eligible_tariffs(
    Call { app, .. }: Call,
    QueryParams(q): QueryParams<NetworkParam>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<List<Tariff>>> {
    list(app.tariffs(q.network()?, true).await?, &paging)
}

/// The tariffs this contract may move to today: same network, not
/// retired, no downgrade inside the minimum term, bill-cap eligible when
/// the contract has a bill cap, and taking every bundle on the contract.
#[utoipa::path(get, path = "/api/Tariffs/GetTariffsForContract", tag = "Tariffs", params(ContractParam, Paging),
    responses((status = 200, body = List<Tariff>), (status = 400, description = "contractId missing or not a number"), (status = 404, description = "no such contract visible to this client")))]
pub async fn get_tariffs_for_contract(
    Call { app, who }: Call,
    Id(id, _): Id<ContractParam>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<List<Tariff>>> {
    let rows = app.tariffs_for_contract(&who, id).await?;
    list(rows, &paging)
}

/// The bundles a tariff allows: id, name, retail cost.
#[utoipa::path(get, path = "/api/Bundles/ListBundlesForTariff", tag = "Bundles", params(TariffParam, Paging),
    responses((status = 200, body = List<CatalogueBundle>), (status = 400, description = "tariffId missing or not a number"), (status = 404, description = "no such tariff")))]
pub async fn list_bundles_for_tariff(
    Call { app, .. }: Call,
    Id(id, _): Id<TariffParam>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<List<CatalogueBundle>>> {
    let rows = app.bundles_for_tariff(id).await?;
    list(rows, &paging)
}

/// Every bundle of a network.
#[utoipa::path(get, path = "/api/Bundles/ListBundlesForNetwork", tag = "Bundles", params(NetworkParam, Paging),
    responses((status = 200, body = List<CatalogueBundle>), (status = 400, description = "network missing or unknown")))]
pub async fn list_bundles_for_network(
    Call { app, .. }: Call,
    QueryParams(q): QueryParams<NetworkParam>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<List<CatalogueBundle>>> {
    list(app.bundles(q.network()?).await?, &paging)
}

/// The bars of a network: barId, barSuffix, name, category.
#[utoipa::path(get, path = "/api/Bars/ListBarsForNetwork", tag = "Bars", params(NetworkParam, Paging),
    responses((status = 200, body = List<CatalogueBar>), (status = 400, description = "network missing or unknown")))]
pub async fn list_bars_for_network(
    Call { app, .. }: Call,
    QueryParams(q): QueryParams<NetworkParam>,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Json<List<CatalogueBar>>> {
    list(app.bars(q.network()?).await?, &paging)
}
