//! The catalogue: each network's tariffs, bundles (tariff options) and
//! bars, and which bundles each tariff allows.

use crate::{args, Catalogue, Result, StoreError};
use domain::tariff::TariffFacts;
use domain::Network;

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct TariffRow {
    pub id: i64,
    pub network: String,
    pub code: String,
    pub name: String,
    pub plan_type: String,
    pub monthly_pence: i64,
    pub term_months: i64,
    pub data_mb: Option<i64>,
    pub minutes: Option<i64>,
    pub texts: Option<i64>,
    pub bill_cap_eligible: bool,
    pub bill_cap_min_pence: i64,
    pub bill_cap_max_pence: i64,
    pub retired: bool,
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct BundleRow {
    pub id: i64,
    pub network: String,
    pub code: String,
    pub name: String,
    pub category: String,
    pub monthly_pence: i64,
    pub recurring: bool,
    pub description: String,
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct BarRow {
    pub id: i64,
    pub network: String,
    pub bar_suffix: String,
    pub name: String,
    pub category: String,
}

/// A tariff to add to the catalogue (demo data; a catalogue import later).
#[derive(Debug, Clone)]
pub struct NewTariff<'a> {
    pub network: Network,
    pub code: &'a str,
    pub name: &'a str,
    pub plan_type: &'a str,
    pub monthly_pence: i64,
    pub term_months: i64,
    pub data_mb: Option<i64>,
    pub minutes: Option<i64>,
    pub texts: Option<i64>,
    pub bill_cap: Option<(i64, i64)>,
    pub retired: bool,
}

const TARIFF_COLS: &str = "id, network, code, name, plan_type, monthly_pence, term_months, data_mb, minutes, texts, bill_cap_eligible, bill_cap_min_pence, bill_cap_max_pence, retired";
const BUNDLE_COLS: &str =
    "b.id, b.network, b.code, b.name, b.category, b.monthly_pence, b.recurring, b.description";

impl TariffRow {
    /// The facts the tariff rules use; `bundle_ids` from the catalogue.
    pub fn facts(&self, bundle_ids: Vec<i64>) -> Result<TariffFacts> {
        Ok(TariffFacts {
            id: self.id,
            name: self.name.clone(),
            network: parse_network(&self.network)?,
            monthly_pence: self.monthly_pence,
            term_months: self.term_months,
            bill_cap_eligible: self.bill_cap_eligible,
            retired: self.retired,
            bundle_ids,
        })
    }
}

/// Reads a network name stored by us; anything else is corruption.
pub fn parse_network(text: &str) -> Result<Network> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown network {text:?} in the database")))
}

/// A bundle to add to a network's catalogue, with what it adds to a plan
/// each period (`domain::rating::Plan`).
#[derive(Debug, Clone, Copy)]
pub struct NewBundle<'a> {
    pub network: Network,
    pub code: &'a str,
    pub name: &'a str,
    pub category: &'a str,
    pub monthly_pence: i64,
    pub recurring: bool,
    pub description: &'a str,
    pub data_mb: i64,
    pub intl_minutes: i64,
    pub roaming_zones: i64,
}

impl Catalogue<'_> {
    /// The tariffs on sale on `network` (not retired), optionally only the
    /// bill-cap-eligible ones, cheapest first.
    pub async fn tariffs_for_network(
        &self,
        network: Network,
        bill_cap_only: bool,
    ) -> Result<Vec<TariffRow>> {
        self.read_all::<TariffRow>(&format!(
            "SELECT {TARIFF_COLS} FROM tariffs WHERE network = $1 AND NOT retired AND ($2 = FALSE OR bill_cap_eligible) ORDER BY monthly_pence, id"), args![network.as_str(), bill_cap_only]).await
    }

    /// Every tariff of `network`, retired ones too.
    pub async fn all_tariffs_for_network(&self, network: Network) -> Result<Vec<TariffRow>> {
        self.read_all::<TariffRow>(
            &format!(
                "SELECT {TARIFF_COLS} FROM tariffs WHERE network = $1 ORDER BY monthly_pence, id"
            ),
            args![network.as_str()],
        )
        .await
    }

    pub async fn tariff(&self, id: i64) -> Result<TariffRow> {
        self.read_optional::<TariffRow>(
            &format!("SELECT {TARIFF_COLS} FROM tariffs WHERE id = $1"),
            args![id],
        )
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// A tariff, from a cache of tariffs read in the last minute: the
    /// catalogue changes rarely, and a cached tariff is only used to check
    /// a mobile being added (the database keeps the id's integrity).
    pub async fn tariff_cached(&self, id: i64) -> Result<TariffRow> {
        const FRESH: std::time::Duration = std::time::Duration::from_secs(60);
        if let Some((t, at)) = self.tariffs.lock().expect("tariff cache").get(&id) {
            if at.elapsed() < FRESH {
                return Ok(t.clone());
            }
        }
        let t = self.tariff(id).await?;
        self.tariffs
            .lock()
            .expect("tariff cache")
            .insert(id, (t.clone(), std::time::Instant::now()));
        Ok(t)
    }

    /// The bundles `tariff_id` allows; `NotFound` if there is no such tariff.
    pub async fn bundles_for_tariff(&self, tariff_id: i64) -> Result<Vec<BundleRow>> {
        self.tariff(tariff_id).await?;
        self.read_all::<BundleRow>(&format!(
            "SELECT {BUNDLE_COLS} FROM bundles b JOIN tariff_bundles tb ON tb.bundle_id = b.id WHERE tb.tariff_id = $1 ORDER BY b.id"), args![tariff_id]).await
    }

    pub async fn bundles_for_network(&self, network: Network) -> Result<Vec<BundleRow>> {
        self.read_all::<BundleRow>(
            &format!("SELECT {BUNDLE_COLS} FROM bundles b WHERE b.network = $1 ORDER BY b.id"),
            args![network.as_str()],
        )
        .await
    }

    /// (tariff id, bundle id) pairs of every tariff on `network`.
    pub async fn tariff_bundle_links(&self, network: Network) -> Result<Vec<(i64, i64)>> {
        self.read_all::<(i64, i64)>("SELECT tb.tariff_id, tb.bundle_id FROM tariff_bundles tb JOIN tariffs t ON t.id = tb.tariff_id WHERE t.network = $1", args![network.as_str()]).await
    }

    pub async fn bars_for_network(&self, network: Network) -> Result<Vec<BarRow>> {
        self.read_all::<BarRow>("SELECT id, network, bar_suffix, name, category FROM bars WHERE network = $1 ORDER BY id", args![network.as_str()]).await
    }

    /// Every bar suffix in use, with the name of its first bar.
    pub async fn bar_suffixes(&self) -> Result<Vec<(String, String, String)>> {
        self.read_all::<(String, String, String)>("SELECT bar_suffix, MIN(name), MIN(category) FROM bars GROUP BY bar_suffix ORDER BY bar_suffix", args![]).await
    }

    /// Adds a tariff to the catalogue; answers its id.
    pub async fn insert_tariff(&self, t: &NewTariff<'_>) -> Result<i64> {
        let (min, max) = t.bill_cap.unwrap_or((0, 0));
        let (id,): (i64,) = self.execute_one(
            "INSERT INTO tariffs (network, code, name, plan_type, monthly_pence, term_months, data_mb, minutes, texts, bill_cap_eligible, bill_cap_min_pence, bill_cap_max_pence, retired) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            args![t.network.as_str(), t.code, t.name, t.plan_type, t.monthly_pence, t.term_months,
                  t.data_mb, t.minutes, t.texts, t.bill_cap.is_some(), min, max, t.retired],
        ).await?;
        Ok(id)
    }

    /// Adds a bundle; answers its id (the API's `tariffOptionId`).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_bundle(&self, b: &NewBundle<'_>) -> Result<i64> {
        let (id,): (i64,) = self.execute_one(
            "INSERT INTO bundles (network, code, name, category, monthly_pence, recurring, description, data_mb, intl_minutes, roaming_zones) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            args![b.network.as_str(), b.code, b.name, b.category, b.monthly_pence, b.recurring, b.description,
                  b.data_mb, b.intl_minutes, b.roaming_zones],
        ).await?;
        Ok(id)
    }

    pub async fn link_tariff_bundle(&self, tariff_id: i64, bundle_id: i64) -> Result<()> {
        self.execute(
            "INSERT INTO tariff_bundles (tariff_id, bundle_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            args![tariff_id, bundle_id],
        )
        .await?;
        Ok(())
    }

    pub async fn insert_bar(
        &self,
        network: Network,
        suffix: &str,
        name: &str,
        category: &str,
    ) -> Result<i64> {
        let (id,): (i64,) = self.execute_one(
            "INSERT INTO bars (network, bar_suffix, name, category) VALUES ($1, $2, $3, $4) RETURNING id",
            args![network.as_str(), suffix, name, category],
        ).await?;
        Ok(id)
    }
}

/// A tariff a request names as `tariffId` is input: none by that id is a
/// refusal of that field, not a missing record
/// (`.map_err(unknown_tariff(id))`).
pub fn unknown_tariff(id: i64) -> impl FnOnce(StoreError) -> StoreError {
    move |e| match e {
        StoreError::NotFound => {
            domain::Error::invalid("tariffId", format!("there is no tariff {id}")).into()
        }
        other => other,
    }
}

impl Catalogue<'_> {
    /// A contract as the tariff rules see it, and its network's tariffs
    /// with their facts (what `domain::tariff::check_tariff_change` reads).
    pub async fn tariff_options(
        &self,
        conn: &crate::connections::ConnectionRow,
    ) -> Result<(domain::tariff::ContractFacts, Vec<(TariffRow, TariffFacts)>)> {
        let network = parse_network(&conn.network)?;
        let tariffs = self.all_tariffs_for_network(network).await?;
        let links = self.tariff_bundle_links(network).await?;
        let bundles_of = |tariff_id: i64| {
            links.iter().filter(|(t, _)| *t == tariff_id).map(|(_, b)| *b).collect::<Vec<_>>()
        };
        let current = tariffs.iter().find(|t| t.id == conn.tariff_id).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "contract {} is on tariff {} of another network",
                conn.id, conn.tariff_id
            ))
        })?;
        let on_contract: Vec<crate::connections::ConnectionBundle> =
            serde_json::from_str(&conn.bundles).map_err(|e| {
                StoreError::Corrupt(format!("bundles of contract {}: {e}", conn.id))
            })?;
        let contract = domain::tariff::ContractFacts {
            network,
            tariff: current.facts(bundles_of(current.id))?,
            contract_end_date: conn.contract_end_date,
            bill_cap_enabled: conn.bill_cap_enabled,
            bundles: on_contract.into_iter().map(|b| (b.tariff_option_id, b.name)).collect(),
        };
        let mut options = Vec::with_capacity(tariffs.len());
        for t in tariffs {
            let facts = t.facts(bundles_of(t.id))?;
            options.push((t, facts));
        }
        Ok((contract, options))
    }
}
