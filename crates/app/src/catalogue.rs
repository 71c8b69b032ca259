//! The catalogue: tariffs, bundles and bars of each network (any valid
//! caller may read them), and the tariffs a contract may move to today.

use crate::error::missing;
use crate::{App, Principal, Result};
use domain::{Network, Scope};
use store::catalogue::{BarRow, BundleRow, TariffRow};

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
        let vis = who.visibility_for(Scope::Connections)?;
        self.store
            .catalogue()
            .tariffs_for_contract(vis, contract_id, self.store.clock().today())
            .await
            .map_err(missing("contract", contract_id))
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
