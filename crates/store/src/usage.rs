//! Usage records (CDRs) and their sums per connection, billing period,
//! kind, direction and destination (migration 0010). A record is stored
//! once per network record id; only a record stored for the first time is
//! added to its sums, in the same transaction.

use crate::tx::Arg;
use crate::{args, Result, Usage, Visibility};
use chrono::{DateTime, NaiveDate, Utc};
use domain::rating::{Plan, Total};
use domain::usage::{Destination, Direction, UsageKind};
use std::collections::{BTreeMap, HashSet};

/// A connection as usage sees it: found by number, live between its start
/// and its end.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct LineRow {
    pub id: i64,
    pub partner_id: i64,
    pub cli: String,
    pub network: String,
    pub start_date: NaiveDate,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A record checked and placed: its connection, period and lateness known.
#[derive(Debug, Clone)]
pub struct NewUsage {
    pub network: String,
    pub record_id: String,
    pub connection_id: i64,
    pub kind: UsageKind,
    pub direction: Direction,
    pub destination: Destination,
    pub event_at: DateTime<Utc>,
    pub quantity: i64,
    pub period_start: NaiveDate,
    pub late: bool,
}

/// A period's sum of one kind, direction and destination.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct TotalRow {
    pub period_start: NaiveDate,
    pub kind: String,
    pub direction: String,
    pub destination: String,
    pub quantity: i64,
    pub late_quantity: i64,
    pub records: i64,
    pub last_event_at: DateTime<Utc>,
}

impl TotalRow {
    /// As rating reads it: all of it, or only what came in time.
    pub fn total(&self, on_time_only: bool) -> Option<Total> {
        let kind = UsageKind::ALL.into_iter().find(|k| k.as_str() == self.kind)?;
        let direction = if self.direction == Direction::Incoming.as_str() {
            Direction::Incoming
        } else {
            Direction::Outgoing
        };
        let destination = Destination::parse("destination", &self.destination).ok()?;
        let quantity =
            if on_time_only { self.quantity - self.late_quantity } else { self.quantity };
        Some(Total { kind, direction, destination, quantity })
    }
}

/// Rows per INSERT statement on PostgreSQL (bound as arrays).
const CHUNK: usize = 10_000;
/// Sums per upsert statement (9 values each).
const SUMS_CHUNK: usize = 500;
const INSERT_COLS: &str = "network, record_id, connection_id, kind, direction, destination, event_at, quantity, period_start, late, imported_at";

const LINE_SELECT: &str =
    "SELECT id, partner_id, cli, network, start_date, ended_at FROM connections";

impl Usage<'_> {
    /// Every visible connection, for an import to find records' lines in.
    pub async fn lines(&self, vis: Visibility) -> Result<Vec<LineRow>> {
        let (all, partner) = vis.binds();
        self.read_all(
            &format!("{LINE_SELECT} WHERE ($1 OR partner_id = $2) ORDER BY id"),
            args![all, partner],
        )
        .await
    }

    /// The visible connections that have (or had) these numbers.
    pub async fn lines_for(&self, vis: Visibility, clis: &[String]) -> Result<Vec<LineRow>> {
        let (all, partner) = vis.binds();
        let sql =
            format!("{LINE_SELECT} WHERE ($1 OR partner_id = $2) AND cli IN ($in) ORDER BY id");
        self.read_in(&sql, args![all, partner], clis).await
    }

    /// Stores the records not stored before (by network and record id) and
    /// adds those to their sums, all in one transaction. Answers, for each
    /// record in order, whether it was new (false: a duplicate, unchanged).
    pub async fn ingest(&self, records: &[NewUsage]) -> Result<Vec<bool>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.now();
        self.write(async |tx| Ok(ingest_in(tx, records, now).await?.0)).await
    }

    /// A connection's sums for the periods starting from `first` to `last`.
    pub async fn totals(
        &self,
        connection_id: i64,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<TotalRow>> {
        self.read_all(
            "SELECT period_start, kind, direction, destination, quantity, late_quantity, records, last_event_at FROM usage_totals \
             WHERE connection_id = $1 AND period_start >= $2 AND period_start <= $3 ORDER BY period_start, kind, direction, destination",
            args![connection_id, first, last],
        )
        .await
    }

    /// A connection's data use per day (UTC) from `first` to `last`, the
    /// days with any.
    pub async fn daily_data(
        &self,
        connection_id: i64,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<(NaiveDate, i64)>> {
        self.read_all(
            "SELECT day, data_bytes FROM usage_daily WHERE connection_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
            args![connection_id, first, last],
        )
        .await
    }

    /// What a connection's tariff and bundles give each period.
    pub async fn plan(&self, connection_id: i64) -> Result<Plan> {
        let (d, m, t, bundles): (Option<i64>, Option<i64>, Option<i64>, String) =
            self.read_one(PLAN_SQL, args![connection_id]).await?;
        let ids = bundle_ids(&bundles);
        let adds = if ids.is_empty() {
            Vec::new()
        } else {
            self.read_all(&bundles_sql(ids.len()), crate::tx::ids(&ids)).await?
        };
        Ok(plan_of((d, m, t), &adds))
    }
}

/// A tariff's UK allowances: data MB, minutes, texts (`None`: unlimited).
pub(crate) type TariffAllowances = (Option<i64>, Option<i64>, Option<i64>);

/// A connection's tariff allowances and bundles.
pub(crate) const PLAN_SQL: &str = "SELECT t.data_mb, t.minutes, t.texts, c.bundles FROM connections c JOIN tariffs t ON t.id = c.tariff_id WHERE c.id = $1";

/// The bundle ids in a connection's stored bundles.
pub(crate) fn bundle_ids(bundles: &str) -> Vec<i64> {
    let on: Vec<domain::request::ConnectionBundle> =
        serde_json::from_str(bundles).unwrap_or_default();
    on.iter().map(|b| b.tariff_option_id).collect()
}

/// What `n` bundles add: data MB, international minutes, roaming zones.
pub(crate) fn bundles_sql(n: usize) -> String {
    format!(
        "SELECT data_mb, intl_minutes, roaming_zones FROM bundles WHERE id IN ({})",
        crate::in_list(1, n)
    )
}

/// A plan from a tariff's allowances and what its bundles add.
pub(crate) fn plan_of(
    (data_mb, minutes, texts): TariffAllowances,
    adds: &[(i64, i64, i64)],
) -> Plan {
    let mut plan = Plan { data_mb, minutes, texts, intl_minutes: 0, roaming_zones: 0 };
    for &(data, intl, zones) in adds {
        plan.data_mb = plan.data_mb.map(|d| d + data);
        plan.intl_minutes += intl;
        plan.roaming_zones = plan.roaming_zones.max(u8::try_from(zones).unwrap_or(0));
    }
    plan
}

/// [`Usage::ingest`] inside the caller's transaction; answers also the
/// connections and periods whose sums changed.
pub async fn ingest_in(
    tx: &mut crate::tx::Tx,
    records: &[NewUsage],
    now: DateTime<Utc>,
) -> Result<(Vec<bool>, Vec<(i64, NaiveDate)>)> {
    // In key order: neighbouring rows go to neighbouring pages.
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (&records[a], &records[b]);
        (&a.network, &a.record_id).cmp(&(&b.network, &b.record_id))
    });
    let mut new = vec![false; records.len()];
    let sqlite = tx.with_sqlite(|c| {
            // One prepared statement stepped per row: its change count
            // says whether the row was new.
            let mut insert = c.prepare_cached(&format!(
                "INSERT INTO usage_records ({INSERT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 ON CONFLICT (network, record_id) DO NOTHING"
            ))?;
            let at = Arg::from(now);
            for &i in &order {
                let r = &records[i];
                new[i] = insert.execute(rusqlite::params![
                    r.network,
                    r.record_id,
                    r.connection_id,
                    r.kind.as_str(),
                    r.direction.as_str(),
                    r.destination.code(),
                    Arg::from(r.event_at),
                    r.quantity,
                    Arg::from(r.period_start),
                    r.late,
                    at
                ])? == 1;
            }
            Ok(())
        });
    match sqlite {
        Some(done) => done?,
        None => {
            // PostgreSQL: each column bound as one array and unnested,
            // thousands of rows a statement; RETURNING names the new ones.
            let conn = tx.postgres().expect("not SQLite, so PostgreSQL");
            let mut fresh: HashSet<(String, String)> = HashSet::with_capacity(records.len());
            for chunk in order.chunks(CHUNK) {
                let rs = || chunk.iter().map(|&i| &records[i]);
                let stored: Vec<(String, String)> = sqlx::query_as(&format!(
                    "INSERT INTO usage_records ({INSERT_COLS}) \
                     SELECT n, r, c, k, d, t, e, q, p, l, $11 FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], \
                       $7::timestamptz[], $8::int8[], $9::date[], $10::bool[]) AS u(n, r, c, k, d, t, e, q, p, l) \
                     ON CONFLICT (network, record_id) DO NOTHING RETURNING network, record_id"
                ))
                .bind(rs().map(|r| r.network.as_str()).collect::<Vec<_>>())
                .bind(rs().map(|r| r.record_id.as_str()).collect::<Vec<_>>())
                .bind(rs().map(|r| r.connection_id).collect::<Vec<_>>())
                .bind(rs().map(|r| r.kind.as_str()).collect::<Vec<_>>())
                .bind(rs().map(|r| r.direction.as_str()).collect::<Vec<_>>())
                .bind(rs().map(|r| r.destination.code()).collect::<Vec<_>>())
                .bind(rs().map(|r| r.event_at).collect::<Vec<_>>())
                .bind(rs().map(|r| r.quantity).collect::<Vec<_>>())
                .bind(rs().map(|r| r.period_start).collect::<Vec<_>>())
                .bind(rs().map(|r| r.late).collect::<Vec<_>>())
                .bind(now)
                .fetch_all(&mut *conn)
                .await?;
                fresh.extend(stored);
            }
            for (i, r) in records.iter().enumerate() {
                // A record given twice in one call is new only once.
                new[i] = fresh.remove(&(r.network.clone(), r.record_id.clone()));
            }
        }
    }
    // The new records' sums, then one upsert per sum.
    type Key = (i64, NaiveDate, UsageKind, Direction, String);
    // In key order, so the upserts walk the sums' pages once.
    let mut sums: BTreeMap<Key, (i64, i64, i64, DateTime<Utc>)> = BTreeMap::new();
    for (r, _) in records.iter().zip(&new).filter(|(_, new)| **new) {
        let s = sums
            .entry((r.connection_id, r.period_start, r.kind, r.direction, r.destination.code()))
            .or_insert((0, 0, 0, r.event_at));
        s.0 += r.quantity;
        if r.late {
            s.1 += r.quantity;
        }
        s.2 += 1;
        s.3 = s.3.max(r.event_at);
    }
    // Many sums a statement (one round trip on PostgreSQL for each
    // few hundred, not for each).
    /// A sum's key and its quantity, late quantity, records and latest event.
    type Sum = (Key, (i64, i64, i64, DateTime<Utc>));
    let sums: Vec<Sum> = sums.into_iter().collect();
    let mut touched: Vec<(i64, NaiveDate)> = sums.iter().map(|((c, p, ..), _)| (*c, *p)).collect();
    touched.dedup();
    const UPSERT_SET: &str = "ON CONFLICT (connection_id, period_start, kind, direction, destination) DO UPDATE SET \
           quantity = usage_totals.quantity + excluded.quantity, \
           late_quantity = usage_totals.late_quantity + excluded.late_quantity, \
           records = usage_totals.records + excluded.records, \
           last_event_at = CASE WHEN excluded.last_event_at > usage_totals.last_event_at THEN excluded.last_event_at ELSE usage_totals.last_event_at END";
    if let Some(conn) = tx.postgres() {
        // Whole columns as arrays, as for the records.
        for chunk in sums.chunks(CHUNK) {
            let col = |f: fn(&Sum) -> i64| chunk.iter().map(f).collect::<Vec<i64>>();
            sqlx::query(&format!(
                "INSERT INTO usage_totals (connection_id, period_start, kind, direction, destination, quantity, late_quantity, records, last_event_at) \
                 SELECT * FROM UNNEST($1::int8[], $2::date[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[], $8::int8[], $9::timestamptz[]) {UPSERT_SET}"
            ))
            .bind(col(|s| s.0 .0))
            .bind(chunk.iter().map(|s| s.0 .1).collect::<Vec<_>>())
            .bind(chunk.iter().map(|s| s.0 .2.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|s| s.0 .3.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|s| s.0 .4.as_str()).collect::<Vec<_>>())
            .bind(col(|s| s.1 .0))
            .bind(col(|s| s.1 .1))
            .bind(col(|s| s.1 .2))
            .bind(chunk.iter().map(|s| s.1 .3).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
        }
        daily_in(tx, records, &new).await?;
        return Ok((new, touched));
    }
    for chunk in sums.chunks(SUMS_CHUNK) {
        let mut a = Vec::with_capacity(chunk.len() * 9);
        let mut rows = Vec::with_capacity(chunk.len());
        for (
            j,
            ((connection, period, kind, direction, destination), (quantity, late, count, last)),
        ) in chunk.iter().enumerate()
        {
            rows.push(format!("({})", crate::in_list(j * 9 + 1, 9)));
            a.extend(args![
                *connection,
                *period,
                kind.as_str(),
                direction.as_str(),
                destination.as_str(),
                *quantity,
                *late,
                *count,
                *last
            ]);
        }
        tx.execute(
                &format!(
                    "INSERT INTO usage_totals (connection_id, period_start, kind, direction, destination, quantity, late_quantity, records, last_event_at) \
                     VALUES {} {UPSERT_SET}",
                    rows.join(", ")
                ),
                a,
            )
            .await?;
    }
    daily_in(tx, records, &new).await?;
    Ok((new, touched))
}

/// Adds the new data records to their connection's day (UTC) in
/// `usage_daily`, which the portal's usage chart reads: one upsert per
/// connection and day, many a statement.
async fn daily_in(tx: &mut crate::tx::Tx, records: &[NewUsage], new: &[bool]) -> Result<()> {
    let mut days: BTreeMap<(i64, NaiveDate), i64> = BTreeMap::new();
    for (r, _) in records.iter().zip(new).filter(|(r, new)| **new && r.kind == UsageKind::Data) {
        *days.entry((r.connection_id, r.event_at.date_naive())).or_default() += r.quantity;
    }
    let days: Vec<_> = days.into_iter().collect();
    for chunk in days.chunks(SUMS_CHUNK) {
        let mut a = Vec::with_capacity(chunk.len() * 3);
        let rows: Vec<String> =
            (0..chunk.len()).map(|j| format!("({})", crate::in_list(j * 3 + 1, 3))).collect();
        for ((connection, day), bytes) in chunk {
            a.extend(args![*connection, *day, *bytes]);
        }
        tx.execute(
            &format!(
                "INSERT INTO usage_daily (connection_id, day, data_bytes) VALUES {} \
                 ON CONFLICT (connection_id, day) DO UPDATE SET data_bytes = usage_daily.data_bytes + excluded.data_bytes",
                rows.join(", ")
            ),
            a,
        )
        .await?;
    }
    Ok(())
}
