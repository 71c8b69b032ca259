//! Connections: one CLI's contract on a network (`contractId`), with its
//! tariff, bundles, bars, diverts, SIM and bill cap.
//!
//! Bundles, bars and diverts on a connection are kept as JSON snapshots on
//! its row (what was contracted, at the price contracted), so a lookup by
//! CLI is one indexed query joined to its tariff.

use crate::{args, Connections, Result, StoreError, Visibility};
use chrono::{DateTime, NaiveDate, Utc};
use domain::status::ConnectionStatus;

/// A connection as stored, with its tariff's name and price.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct ConnectionRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: i64,
    pub cli: String,
    pub network: String,
    #[sqlx(try_from = "String")]
    pub status: ConnectionStatus,
    pub tariff_id: i64,
    pub tariff_name: String,
    pub tariff_monthly_pence: i64,
    pub sim_type: String,
    pub iccid: Option<String>,
    pub eid: Option<String>,
    pub start_date: NaiveDate,
    pub contract_end_date: NaiveDate,
    pub bill_cap_enabled: bool,
    pub bill_cap_pence: Option<i64>,
    pub bundles: String,
    pub bars: String,
    pub diverts: String,
    pub alerting: String,
    /// Charges billed and not yet paid.
    pub balance_pence: i64,
    /// When it ported out or ceased.
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub use domain::request::{ConnectionBar, ConnectionBundle, ConnectionDivert};

/// A connection to insert (demo data now; completed orders later).
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub partner_id: i64,
    pub customer_id: i64,
    pub cli: String,
    pub network: String,
    pub status: ConnectionStatus,
    pub tariff_id: i64,
    pub sim_type: String,
    pub iccid: Option<String>,
    pub eid: Option<String>,
    pub start_date: NaiveDate,
    pub contract_end_date: NaiveDate,
    pub bill_cap_enabled: bool,
    pub bill_cap_pence: Option<i64>,
    pub bundles: Vec<ConnectionBundle>,
    pub bars: Vec<ConnectionBar>,
}

/// The SELECT list and join every connection read uses.
pub const CONNECTION_SELECT: &str = "SELECT c.id, c.partner_id, c.customer_id, c.cli, c.network, c.status, c.tariff_id, \
    t.name AS tariff_name, t.monthly_pence AS tariff_monthly_pence, c.sim_type, c.iccid, c.eid, c.start_date, \
    c.contract_end_date, c.bill_cap_enabled, c.bill_cap_pence, c.bundles, c.bars, c.diverts, c.alerting, c.balance_pence, c.ended_at, c.created_at, c.updated_at \
    FROM connections c JOIN tariffs t ON t.id = c.tariff_id";

const INSERT_COLS: &str = "partner_id, customer_id, cli, network, status, tariff_id, sim_type, iccid, eid, start_date, contract_end_date, bill_cap_enabled, bill_cap_pence, bundles, bars, created_at, updated_at";
const INSERT_ARITY: usize = 17;

impl Connections<'_> {
    /// The connection with this (canonical) CLI, if visible to the caller.
    pub async fn connection_by_cli(&self, vis: Visibility, cli: &str) -> Result<ConnectionRow> {
        let (all, partner) = vis.binds();
        self.read_optional::<ConnectionRow>(&format!("{CONNECTION_SELECT} WHERE c.cli = $1 AND ($2 OR c.partner_id = $3) ORDER BY c.id DESC LIMIT 1"), args![cli, all, partner]).await?
            .ok_or(StoreError::NotFound)
    }

    /// The connection with this contract id, if visible to the caller.
    pub async fn connection_by_id(&self, vis: Visibility, id: i64) -> Result<ConnectionRow> {
        self.read_visible::<ConnectionRow>(CONNECTION_SELECT, "c.", id, vis).await
    }

    /// Inserts connections in batches inside one transaction (demo data and
    /// load-test seeding). A CLI or ICCID already in use is a conflict.
    pub async fn insert_connections(&self, conns: &[NewConnection]) -> Result<()> {
        let now = self.now();
        // Keep each statement well under SQLite's bind-variable limit.
        const BATCH: usize = 400;
        self.write(async |tx| {
            for chunk in conns.chunks(BATCH) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", crate::in_list(i * INSERT_ARITY + 1, INSERT_ARITY)))
                    .collect();
                let sql =
                    format!("INSERT INTO connections ({INSERT_COLS}) VALUES {}", rows.join(","));
                let mut a = Vec::with_capacity(chunk.len() * INSERT_ARITY);
                for c in chunk {
                    a.extend(args![
                        c.partner_id,
                        c.customer_id,
                        &c.cli,
                        &c.network,
                        c.status,
                        c.tariff_id,
                        &c.sim_type,
                        &c.iccid,
                        &c.eid,
                        c.start_date,
                        c.contract_end_date,
                        c.bill_cap_enabled,
                        c.bill_cap_pence,
                        serde_json::to_string(&c.bundles).expect("serialises"),
                        serde_json::to_string(&c.bars).expect("serialises"),
                        now,
                        now
                    ]);
                }
                tx.execute(&sql, a)
                    .await
                    .map_err(|e| StoreError::unique_of(e, "a CLI or ICCID is already in use"))?;
            }
            Ok(())
        })
        .await
    }

    /// How many connections exist (all partners).
    pub async fn count_connections(&self) -> Result<i64> {
        self.read_number("SELECT COUNT(*) FROM connections", args![]).await
    }
}

impl crate::read::Listing for ConnectionRow {
    const PARENT: crate::read::Parent = crate::read::Parent::Customer;
    const ORDER: &'static str = "c.id";
    fn rows() -> String {
        format!("{CONNECTION_SELECT} WHERE c.customer_id = $1")
    }
}
