//! The catalogue: tariffs, bundles and bars of each network (any valid
//! caller may read them), and the tariffs a contract may move to today.

use crate::error::missing;
use crate::{App, Principal, Result};
use chrono::NaiveDate;
use domain::{tariff, Network};
use store::catalogue::unknown_tariff;
use store::catalogue::{BarRow, BundleRow, TariffRow};
use store::connections::ConnectionRow;

impl App {
    /// ListTariffsForNetwork, or only the bill-cap-eligible ones.
    pub async fn tariffs(&self, network: Network, bill_cap_only: bool) -> Result<Vec<TariffRow>> {
        Ok(self.store.catalogue().tariffs_for_network(network, bill_cap_only).await?)
    }

    /// GetTariffsForContract: the tariffs a visible contract may move to
    /// today, by the tariff rules.
    pub async fn tariffs_for_contract(
        &self,
        who: &Principal,
        contract_id: i64,
    ) -> Result<Vec<TariffRow>> {
        let conn = self.contract(who, contract_id).await?;
        let today = self.store.clock().today();
        let (contract, options) = self.store.catalogue().tariff_options(&conn).await?;
        Ok(options
            .into_iter()
            .filter(|(_, facts)| tariff::check_tariff_change(&contract, facts, today).is_ok())
            .map(|(t, _)| t)
            .collect())
    }

    /// The tariff a contract would move to on `date`, if the tariff rules
    /// allow it; another network's tariff is refused for its network.
    pub(crate) async fn check_tariff_move(
        &self,
        conn: &ConnectionRow,
        tariff_id: i64,
        date: NaiveDate,
    ) -> Result<TariffRow> {
        let catalogue = self.store.catalogue();
        let (contract, options) = catalogue.tariff_options(conn).await?;
        let (target, facts) = match options.into_iter().find(|(t, _)| t.id == tariff_id) {
            Some(found) => found,
            None => {
                let t = catalogue.tariff(tariff_id).await.map_err(unknown_tariff(tariff_id))?;
                let facts = t.facts(Vec::new())?;
                (t, facts)
            }
        };
        tariff::check_tariff_change(&contract, &facts, date)?;
        Ok(target)
    }

    /// ListBundlesForTariff.
    pub async fn bundles_for_tariff(&self, tariff_id: i64) -> Result<Vec<BundleRow>> {
        self.store
            .catalogue()
            .bundles_for_tariff(tariff_id)
            .await
            .map_err(missing("tariff", tariff_id))
    }

    /// ListBundlesForNetwork.
    pub async fn bundles(&self, network: Network) -> Result<Vec<BundleRow>> {
        Ok(self.store.catalogue().bundles_for_network(network).await?)
    }

    /// ListBarsForNetwork.
    pub async fn bars(&self, network: Network) -> Result<Vec<BarRow>> {
        Ok(self.store.catalogue().bars_for_network(network).await?)
    }

    /// The bar suffixes in the catalogue, each once: (suffix, name, category).
    pub async fn bar_suffixes(&self) -> Result<Vec<(String, String, String)>> {
        Ok(self.store.catalogue().bar_suffixes().await?)
    }
}
