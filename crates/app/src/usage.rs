//! Usage: importing records (a file from the command line, or a network
//! feed through the API), and reading a connection's usage rated against
//! its plan.

use crate::{App, Principal, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::rating::{self, Bill, DataUse, Plan, Total};
use domain::usage::{self, Line, Period, UsageRecord};
use domain::{Network, Scope};
use std::collections::HashMap;
use store::usage::{LineRow, NewUsage, TotalRow};
use store::Visibility;

/// What became of one record of an import.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stored,
    /// Stored before (same network and record id): nothing changed.
    Duplicate,
    Rejected(domain::Error),
}

/// The connections records may be for, by number: loaded once for an
/// import, or per call for the CLIs in it.
#[derive(Debug, Default)]
pub struct Lines {
    by_cli: HashMap<String, Vec<(Network, Line)>>,
}

impl Lines {
    fn from_rows(rows: Vec<LineRow>) -> Lines {
        let mut by_cli: HashMap<String, Vec<(Network, Line)>> = HashMap::new();
        for r in rows {
            let Ok(network) = r.network.parse::<Network>() else {
                continue;
            };
            by_cli.entry(r.cli).or_default().push((
                network,
                Line {
                    connection_id: r.id,
                    partner_id: r.partner_id,
                    start_date: r.start_date,
                    ended_on: r.ended_at.map(|t| t.date_naive()),
                },
            ));
        }
        Lines { by_cli }
    }

    /// A record checked and placed on its line and billing period (late or
    /// not), ready to store; or why it is refused.
    pub fn place(
        &self,
        r: UsageRecord,
        now: DateTime<Utc>,
    ) -> std::result::Result<NewUsage, domain::Error> {
        usage::check_record(&r, now)?;
        let line = self.find(&r)?;
        let period = usage::period_of(line.start_date, r.event_at.date_naive());
        let late = usage::lateness(period, now)?;
        Ok(NewUsage {
            network: r.network.as_str().to_owned(),
            record_id: r.record_id,
            connection_id: line.connection_id,
            kind: r.kind,
            direction: r.direction,
            destination: r.destination,
            event_at: r.event_at,
            quantity: r.quantity,
            period_start: period.start,
            late,
        })
    }

    /// The line a record is for: its number on its network, live when the
    /// record happened (a number may have been several connections, one
    /// after another).
    fn find(&self, r: &UsageRecord) -> std::result::Result<Line, domain::Error> {
        let unknown = || {
            domain::Error::invalid(
                "cli",
                format!("no {} connection has the number {}", r.network, r.cli),
            )
        };
        let on_network: Vec<&Line> = self
            .by_cli
            .get(&r.cli)
            .map(|ls| ls.iter().filter(|(n, _)| *n == r.network).map(|(_, l)| l).collect())
            .unwrap_or_default();
        let mut last_refusal = None;
        // The latest connection first: a number reused goes to the newest
        // line that was live then.
        for line in on_network.iter().rev() {
            match usage::check_line(line, r.event_at) {
                Ok(()) => return Ok(**line),
                Err(e) => last_refusal = last_refusal.or(Some(e)),
            }
        }
        Err(last_refusal.unwrap_or_else(unknown))
    }
}

impl App {
    /// Every connection, for `switchboard usage import` (the operator's
    /// command: all partners).
    pub async fn usage_lines(&self) -> Result<Lines> {
        Ok(Lines::from_rows(self.store.usage().lines(Visibility::All).await?))
    }

    /// Checks each record, finds its line and period, and stores the good
    /// ones with their sums in one transaction. A record that is refused
    /// changes nothing; the others are stored whatever happens to it.
    /// Answers, in order, what became of each.
    pub async fn import_usage(
        &self,
        lines: &Lines,
        records: Vec<std::result::Result<UsageRecord, domain::Error>>,
    ) -> Result<Vec<Outcome>> {
        let now = self.store.now();
        let mut outcomes = Vec::with_capacity(records.len());
        let mut placed = Vec::with_capacity(records.len());
        let mut slots = Vec::with_capacity(records.len());
        for r in records {
            match r.and_then(|r| lines.place(r, now)) {
                Ok(p) => {
                    slots.push(outcomes.len());
                    outcomes.push(Outcome::Stored);
                    placed.push(p);
                }
                Err(e) => outcomes.push(Outcome::Rejected(e)),
            }
        }
        let fresh = self.store_usage(&placed).await?;
        for (slot, new) in slots.into_iter().zip(fresh) {
            if !new {
                outcomes[slot] = Outcome::Duplicate;
            }
        }
        Ok(outcomes)
    }

    /// Stores records already placed ([`Lines::place`]) with their sums, in
    /// one transaction; answers for each whether it was new (false: a
    /// duplicate, unchanged).
    /// The connections whose sums changed are then read against their
    /// thresholds and bill caps, in the same transaction.
    pub async fn store_usage(&self, placed: &[NewUsage]) -> Result<Vec<bool>> {
        if placed.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.store.now();
        self.store
            .write(async |tx| -> Result<Vec<bool>> {
                let (new, touched) = store::usage::ingest_in(tx, placed, now).await?;
                self.watch_usage(tx, &touched, now).await?;
                Ok(new)
            })
            .await
    }

    /// ImportRecords: a network feed's records, for the caller's own
    /// connections (another partner's number is unknown to it).
    pub async fn import_usage_for(
        &self,
        who: &Principal,
        records: Vec<std::result::Result<UsageRecord, domain::Error>>,
    ) -> Result<Vec<Outcome>> {
        who.require(Scope::Usage)?;
        let mut clis: Vec<String> =
            records.iter().filter_map(|r| r.as_ref().ok().map(|r| r.cli.clone())).collect();
        clis.sort();
        clis.dedup();
        let lines = Lines::from_rows(self.store.usage().lines_for(who.visibility(), &clis).await?);
        self.import_usage(&lines, records).await
    }

    /// GetDataUsage: this period's data against the allowance.
    pub async fn data_usage(&self, who: &Principal, cli: &str) -> Result<(LineRow, PeriodUsage)> {
        let (line, plan) = self.usage_line(who, cli).await?;
        let period = usage::period_of(line.start_date, self.store.clock().today());
        let rows = self.store.usage().totals(line.id, period.start, period.start).await?;
        Ok((line, PeriodUsage::of(period, plan, &rows)))
    }

    /// GetUsageInformationForCli: the periods from the one holding `from`
    /// to the one holding `to` (default: this period), each rated.
    pub async fn usage_information(
        &self,
        who: &Principal,
        cli: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<(LineRow, Vec<PeriodUsage>)> {
        let (line, plan) = self.usage_line(who, cli).await?;
        let today = self.store.clock().today();
        let last = usage::period_of(line.start_date, to.unwrap_or(today));
        let first = usage::period_of(line.start_date, from.unwrap_or(last.start));
        usage::check_report_span(&first, &last)?;
        let rows = self.store.usage().totals(line.id, first.start, last.start).await?;
        let mut periods = Vec::new();
        let mut p = first;
        loop {
            let of_p: Vec<TotalRow> =
                rows.iter().filter(|r| r.period_start == p.start).cloned().collect();
            periods.push(PeriodUsage::of(p, plan, &of_p));
            if p.start >= last.start {
                break;
            }
            p = usage::period_of(line.start_date, p.end);
        }
        // Bill limits: a period is billed up to the cap it ended with
        // (the current one: the cap now), beyond it only after consent.
        let changes = self.store.alerts().cap_changes(line.id).await?;
        let cap_now = self.store.alerts().cap_now(line.id).await?;
        let consents = self.store.alerts().consents(line.id).await?;
        for pu in &mut periods {
            let end = crate::work::start_of(pu.period.end);
            let end = DateTime::from_timestamp_millis(end - 1).unwrap_or_default();
            pu.bill_cap = domain::bill_limit::cap_at(&changes, end, cap_now);
            let consent = consents.iter().find(|c| c.0 == pu.period.start).map(|c| c.1);
            pu.billed = domain::bill_limit::billable(pu.bill.pence, pu.bill_cap, consent);
        }
        Ok((line, periods))
    }

    /// The caller's connection with this number (live, or the latest), and
    /// its plan.
    async fn usage_line(&self, who: &Principal, cli: &str) -> Result<(LineRow, Plan)> {
        who.require(Scope::Usage)?;
        let cli = domain::Cli::parse_field(cli, "cli")?;
        let rows =
            self.store.usage().lines_for(who.visibility(), &[cli.as_str().to_owned()]).await?;
        let line =
            rows.into_iter().max_by_key(|l| (l.ended_at.is_none(), l.id)).ok_or_else(|| {
                domain::Error::not_found(format!("connection with CLI {cli} not found"))
            })?;
        let plan = self.store.usage().plan(line.id).await?;
        Ok((line, plan))
    }
}

/// One billing period's usage, rated.
#[derive(Debug, Clone)]
pub struct PeriodUsage {
    pub period: Period,
    pub plan: Plan,
    pub data: DataUse,
    /// Everything, late records included.
    pub bill: Bill,
    /// What records arriving after the period ended added, in pence.
    pub late_pence: i64,
    pub records: i64,
    pub last_event_at: Option<DateTime<Utc>>,
    /// The bill cap the period is billed under, and what is billed.
    pub bill_cap: Option<i64>,
    pub billed: domain::bill_limit::Billed,
}

impl PeriodUsage {
    fn of(period: Period, plan: Plan, rows: &[TotalRow]) -> PeriodUsage {
        let all: Vec<Total> = rows.iter().filter_map(|r| r.total(false)).collect();
        let on_time: Vec<Total> = rows.iter().filter_map(|r| r.total(true)).collect();
        let bill = rating::rate(&plan, &all);
        let spend = bill.pence;
        let late_pence = bill.pence - rating::rate(&plan, &on_time).pence;
        PeriodUsage {
            period,
            plan,
            data: rating::data_use(&plan, &all),
            bill,
            late_pence,
            records: rows.iter().map(|r| r.records).sum(),
            last_event_at: rows.iter().map(|r| r.last_event_at).max(),
            bill_cap: None,
            billed: domain::bill_limit::billable(spend, None, None),
        }
    }
}

/// A connection's data use this period, day by day, against its allowance
/// (the portal's usage chart).
#[derive(Debug, Clone)]
pub struct DailyData {
    pub period: Period,
    /// The period's data allowance in bytes; `None` is unlimited.
    pub allowance_bytes: Option<i64>,
    /// Every day of the period up to today: that day's bytes (UTC days).
    pub days: Vec<(NaiveDate, i64)>,
}

impl App {
    /// This period's data use of a connection the caller has read, day by
    /// day, from the period and reading [`App::usage_so_far`] gave (so a
    /// page that shows both reads them once).
    pub async fn daily_data(
        &self,
        conn: &store::connections::ConnectionRow,
        period: Period,
        reading: &domain::alerting::Reading,
    ) -> Result<DailyData> {
        let today = self.store.clock().today();
        let last = today.min(period.end.pred_opt().unwrap_or(period.end));
        let used: HashMap<NaiveDate, i64> =
            self.store.usage().daily_data(conn.id, period.start, last).await?.into_iter().collect();
        let days = period
            .start
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| (d, used.get(&d).copied().unwrap_or(0)))
            .collect();
        Ok(DailyData { period, allowance_bytes: reading.data_allowance_bytes, days })
    }
}
