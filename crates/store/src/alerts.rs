//! Alerts (CapZ thresholds reached, bill-limit notices), each kept once
//! per connection, billing period and threshold, and the bill-limit log
//! (migration 0011). The functions taking a [`Tx`] run inside the caller's
//! transaction: an import's, a settings change's, a consent's.

use crate::connections::{ConnectionRow, CONNECTION_SELECT};
use crate::tx::Tx;
use crate::usage::TotalRow;
use crate::{args, Alerts, Result, Visibility};
use chrono::{DateTime, NaiveDate, Utc};
use domain::alerting::Raise;
use domain::rating::Plan;
use std::collections::{HashMap, HashSet};

/// An alert raised.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: i64,
    pub connection_id: i64,
    pub cli: String,
    pub period_start: NaiveDate,
    pub kind: String,
    pub measure: String,
    pub value: i64,
    pub action: String,
    pub reading: i64,
    pub raised_at: DateTime<Utc>,
}

const ALERT_COLS: &str = "id, partner_id, customer_id, connection_id, cli, period_start, kind, measure, value, action, reading, raised_at";

/// One entry of the bill-limit log.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct LogRow {
    pub id: i64,
    pub partner_id: i64,
    pub connection_id: i64,
    pub period_start: NaiveDate,
    pub at: DateTime<Utc>,
    pub event: String,
    pub cap_before: Option<i64>,
    pub cap_pence: Option<i64>,
    pub spend_pence: i64,
    pub by_whom: String,
    pub method: Option<String>,
    pub detail: String,
}

const LOG_COLS: &str = "id, partner_id, connection_id, period_start, at, event, cap_before, cap_pence, spend_pence, by_whom, method, detail";

/// An entry to add to the bill-limit log.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    pub conn: &'a ConnectionRow,
    pub period_start: NaiveDate,
    pub event: &'a str,
    pub cap_before: Option<i64>,
    pub cap_pence: Option<i64>,
    pub spend_pence: i64,
    pub by_whom: &'a str,
    pub method: Option<&'a str>,
    pub detail: &'a str,
}

/// The connections with these ids, as every connection read has them.
pub async fn connections_in(tx: &mut Tx, ids: &[i64]) -> Result<Vec<ConnectionRow>> {
    let sql = format!("{CONNECTION_SELECT} WHERE c.id IN ($in) ORDER BY c.id");
    tx.fetch_in(&sql, Vec::new(), ids).await
}

/// The alerting of a connection with no thresholds and no bar: the
/// column's default, and what such settings are stored as (keys sorted).
pub const NO_ALERTING: [&str; 2] =
    [r#"{"thresholds":[],"alertBar":false}"#, r#"{"alertBar":false,"thresholds":[]}"#];

/// Of the connections with these ids, those with thresholds, a bar or a
/// bill cap: the ones an import must read against them (most have none,
/// so an import of many lines reads few rows).
pub async fn watched_in(tx: &mut Tx, ids: &[i64]) -> Result<Vec<ConnectionRow>> {
    let sql = format!("{CONNECTION_SELECT} WHERE c.id IN ($in) AND (c.bill_cap_enabled OR c.alerting NOT IN ($1, $2)) ORDER BY c.id");
    tx.fetch_in(&sql, args![NO_ALERTING[0], NO_ALERTING[1]], ids).await
}

/// A period's sum of one connection, as the watch reads it.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct SumRow {
    pub connection_id: i64,
    #[sqlx(flatten)]
    pub sum: TotalRow,
}

/// What the watch reads of a set of connections, in a few statements
/// whatever their number: plans, the periods' sums, consents, and the
/// alerts raised already.
#[derive(Debug, Default)]
pub struct Watched {
    pub plans: HashMap<i64, Plan>,
    /// Each (connection, period)'s sums, as rating reads them.
    pub sums: HashMap<(i64, NaiveDate), Vec<domain::rating::Total>>,
    /// The spend at each (connection, period)'s first consent.
    pub consents: HashMap<(i64, NaiveDate), i64>,
    /// (connection, period, kind, measure, value) of each alert raised.
    pub raised: HashSet<(i64, NaiveDate, String, String, i64)>,
}

/// A connection's id, its tariff's allowances and its bundles.
type TariffRow = (i64, Option<i64>, Option<i64>, Option<i64>, String);

/// Reads [`Watched`] for these connections and the periods from `first`
/// to `last`, inside the transaction.
pub async fn watched_data(
    tx: &mut Tx,
    ids: &[i64],
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Watched> {
    let mut w = Watched::default();
    for chunk in ids.chunks(500) {
        let list = crate::in_list(3, chunk.len());
        let with_range = |chunk: &[i64]| {
            let mut a = args![first, last];
            a.extend(crate::tx::ids(chunk));
            a
        };
        let tariffs: Vec<TariffRow> = tx
            .fetch_all(
                &format!(
                    "SELECT c.id, t.data_mb, t.minutes, t.texts, c.bundles FROM connections c JOIN tariffs t ON t.id = c.tariff_id WHERE c.id IN ({})",
                    crate::in_list(1, chunk.len())
                ),
                crate::tx::ids(chunk),
            )
            .await?;
        let mut bundle_ids: Vec<i64> =
            tariffs.iter().flat_map(|t| crate::usage::bundle_ids(&t.4)).collect();
        bundle_ids.sort_unstable();
        bundle_ids.dedup();
        let mut adds: HashMap<i64, (i64, i64, i64)> = HashMap::new();
        let sql = "SELECT id, data_mb, intl_minutes, roaming_zones FROM bundles WHERE id IN ($in)";
        let rows: Vec<(i64, i64, i64, i64)> = tx.fetch_in(sql, Vec::new(), &bundle_ids).await?;
        adds.extend(rows.into_iter().map(|(id, d, i, z)| (id, (d, i, z))));
        for (id, d, m, t, bundles) in tariffs {
            let on: Vec<(i64, i64, i64)> = crate::usage::bundle_ids(&bundles)
                .iter()
                .filter_map(|b| adds.get(b).copied())
                .collect();
            w.plans.insert(id, crate::usage::plan_of((d, m, t), &on));
        }
        let sums: Vec<SumRow> = tx
            .fetch_all(
                &format!(
                    "SELECT connection_id, period_start, kind, direction, destination, quantity, late_quantity, records, last_event_at \
                     FROM usage_totals WHERE period_start >= $1 AND period_start <= $2 AND connection_id IN ({list})"
                ),
                with_range(chunk),
            )
            .await?;
        for s in sums {
            if let Some(t) = s.sum.total(false) {
                w.sums.entry((s.connection_id, s.sum.period_start)).or_default().push(t);
            }
        }
        let consents: Vec<(i64, NaiveDate, i64, i64)> = tx
            .fetch_all(
                &format!(
                    "SELECT connection_id, period_start, id, spend_pence FROM bill_limit_log \
                     WHERE event = 'consent' AND period_start >= $1 AND period_start <= $2 AND connection_id IN ({list}) ORDER BY id"
                ),
                with_range(chunk),
            )
            .await?;
        for (c, p, _, spend) in consents {
            w.consents.entry((c, p)).or_insert(spend);
        }
        let raised: Vec<(i64, NaiveDate, String, String, i64)> = tx
            .fetch_all(
                &format!(
                    "SELECT connection_id, period_start, kind, measure, value FROM alerts \
                     WHERE period_start >= $1 AND period_start <= $2 AND connection_id IN ({list})"
                ),
                with_range(chunk),
            )
            .await?;
        w.raised.extend(raised);
    }
    Ok(w)
}

/// Raises an alert unless this one was raised this period already;
/// answers it when it is new.
pub async fn raise(
    tx: &mut Tx,
    conn: &ConnectionRow,
    period: NaiveDate,
    r: &Raise,
    now: DateTime<Utc>,
) -> Result<Option<AlertRow>> {
    tx.fetch_optional(
        &format!(
            "INSERT INTO alerts (partner_id, customer_id, connection_id, cli, period_start, kind, measure, value, action, reading, raised_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (connection_id, period_start, kind, measure, value) DO NOTHING RETURNING {ALERT_COLS}"
        ),
        args![conn.partner_id, conn.customer_id, conn.id, conn.cli.as_str(), period, r.kind, r.measure.as_str(), r.value, r.action.as_str(), r.reading, now],
    )
    .await
}

/// Adds an entry to the bill-limit log.
pub async fn log(tx: &mut Tx, e: &LogEntry<'_>, now: DateTime<Utc>) -> Result<LogRow> {
    tx.fetch_one(
        &format!(
            "INSERT INTO bill_limit_log (partner_id, connection_id, period_start, at, event, cap_before, cap_pence, spend_pence, by_whom, method, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {LOG_COLS}"
        ),
        args![e.conn.partner_id, e.conn.id, e.period_start, now, e.event, e.cap_before, e.cap_pence, e.spend_pence, e.by_whom, e.method, e.detail],
    )
    .await
}

/// Whether a bill-limit notice went out this period.
pub async fn noticed_in(tx: &mut Tx, connection_id: i64, period: NaiveDate) -> Result<bool> {
    let row: Option<(i64,)> = tx
        .fetch_optional(
            "SELECT id FROM bill_limit_log WHERE connection_id = $1 AND period_start = $2 AND event = 'notice' LIMIT 1",
            args![connection_id, period],
        )
        .await?;
    Ok(row.is_some())
}

/// Replaces a connection's alerting JSON (thresholds and the usage bar).
pub async fn set_alerting_in(
    tx: &mut Tx,
    connection_id: i64,
    alerting: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE connections SET alerting = $1, updated_at = $2 WHERE id = $3",
        args![alerting.to_string(), now, connection_id],
    )
    .await?;
    Ok(())
}

/// Sets, changes or removes (`None`) a connection's bill cap.
pub async fn set_cap_in(
    tx: &mut Tx,
    connection_id: i64,
    cap: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE connections SET bill_cap_enabled = $1, bill_cap_pence = $2, updated_at = $3 WHERE id = $4",
        args![cap.is_some(), cap, now, connection_id],
    )
    .await?;
    Ok(())
}

/// The bar the usage bar places on `network`: CAPZ, added to the catalogue
/// if it is not there yet. Answers its id.
pub async fn usage_bar_id(tx: &mut Tx, network: &str) -> Result<i64> {
    tx.execute(
        "INSERT INTO bars (network, bar_suffix, name, category) VALUES ($1, 'CAPZ', 'Usage alert or bill cap (chargeable use)', 'Operator') \
         ON CONFLICT (network, bar_suffix) DO NOTHING",
        args![network],
    )
    .await?;
    let (id,): (i64,) = tx
        .fetch_one("SELECT id FROM bars WHERE network = $1 AND bar_suffix = 'CAPZ'", args![network])
        .await?;
    Ok(id)
}

impl Alerts<'_> {
    /// A visible connection's bill-limit log, oldest first.
    pub async fn bill_limit_log(&self, vis: Visibility, connection_id: i64) -> Result<Vec<LogRow>> {
        let (all, partner) = vis.binds();
        self.read_all(
            &format!(
                "SELECT {LOG_COLS} FROM bill_limit_log WHERE connection_id = $1 AND ($2 OR partner_id = $3) ORDER BY id"
            ),
            args![connection_id, all, partner],
        )
        .await
    }

    /// The spend at this period's first consent, if any.
    pub async fn consent(&self, connection_id: i64, period: NaiveDate) -> Result<Option<i64>> {
        let row: Option<(i64,)> = self
            .read_optional(
                "SELECT spend_pence FROM bill_limit_log WHERE connection_id = $1 AND period_start = $2 AND event = 'consent' ORDER BY id LIMIT 1",
                args![connection_id, period],
            )
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// A connection's cap now (`None`: no cap).
    pub async fn cap_now(&self, connection_id: i64) -> Result<Option<i64>> {
        let (enabled, pence): (bool, Option<i64>) = self
            .read_one(
                "SELECT bill_cap_enabled, bill_cap_pence FROM connections WHERE id = $1",
                args![connection_id],
            )
            .await?;
        Ok(pence.filter(|_| enabled))
    }

    /// The spend at each period's first consent, by period.
    pub async fn consents(&self, connection_id: i64) -> Result<Vec<(NaiveDate, i64)>> {
        let rows: Vec<(NaiveDate, i64, i64)> = self
            .read_all(
                "SELECT period_start, id, spend_pence FROM bill_limit_log WHERE connection_id = $1 AND event = 'consent' ORDER BY period_start, id",
                args![connection_id],
            )
            .await?;
        let mut out: Vec<(NaiveDate, i64)> = Vec::new();
        for (p, _, spend) in rows {
            if out.last().is_none_or(|l| l.0 != p) {
                out.push((p, spend));
            }
        }
        Ok(out)
    }

    /// A connection's cap changes in time order, each with the cap before.
    pub async fn cap_changes(
        &self,
        connection_id: i64,
    ) -> Result<Vec<(DateTime<Utc>, Option<i64>)>> {
        self.read_all(
            "SELECT at, cap_before FROM bill_limit_log WHERE connection_id = $1 AND event IN ('capSet', 'capRemoved') ORDER BY id",
            args![connection_id],
        )
        .await
    }
}

impl crate::read::Listing for AlertRow {
    const PARENT: crate::read::Parent = crate::read::Parent::Customer;
    const ORDER: &'static str = "id DESC";
    fn rows() -> String {
        format!("SELECT {ALERT_COLS} FROM alerts WHERE customer_id = $1")
    }
}
