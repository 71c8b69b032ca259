//! Usage records (CDRs) as networks deliver them: what was used, where to,
//! when, and how much; the billing period a record falls in; and the
//! checks a record must pass before it is stored.

use crate::{Error, Network, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What was used; each kind has its own unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UsageKind {
    /// Seconds of a call.
    Voice,
    /// Messages.
    Sms,
    /// Messages.
    Mms,
    /// Bytes.
    Data,
}

impl UsageKind {
    pub const ALL: [UsageKind; 4] =
        [UsageKind::Voice, UsageKind::Sms, UsageKind::Mms, UsageKind::Data];

    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::Voice => "Voice",
            UsageKind::Sms => "SMS",
            UsageKind::Mms => "MMS",
            UsageKind::Data => "Data",
        }
    }

    /// The unit a quantity of this kind counts.
    pub fn unit(self) -> &'static str {
        match self {
            UsageKind::Voice => "seconds",
            UsageKind::Sms | UsageKind::Mms => "messages",
            UsageKind::Data => "bytes",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<UsageKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "voice" | "call" => Ok(UsageKind::Voice),
            "sms" | "text" => Ok(UsageKind::Sms),
            "mms" => Ok(UsageKind::Mms),
            "data" | "gprs" => Ok(UsageKind::Data),
            _ => Err(Error::invalid(
                field,
                format!("{text:?} is not one of Voice, SMS, MMS or Data"),
            )),
        }
    }

    /// The largest believable quantity of one record: a day's call, a
    /// hundred parts of one message, 100 GB of data in one record.
    pub fn most(self) -> i64 {
        match self {
            UsageKind::Voice => 24 * 3600,
            UsageKind::Sms | UsageKind::Mms => 100,
            UsageKind::Data => 100 * 1024 * 1024 * 1024,
        }
    }
}

/// Which way a call or message went. Data counts as outgoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Direction {
    Outgoing,
    Incoming,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outgoing => "Outgoing",
            Direction::Incoming => "Incoming",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Direction> {
        match text.trim().to_ascii_lowercase().as_str() {
            "outgoing" | "out" | "mo" | "" => Ok(Direction::Outgoing),
            "incoming" | "in" | "mt" => Ok(Direction::Incoming),
            _ => Err(Error::invalid(field, format!("{text:?} is not one of Outgoing or Incoming"))),
        }
    }
}

/// Where a call or message went, or where the phone was: the class a rate
/// card prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Destination {
    /// In the UK, to UK numbers (and all data used in the UK).
    Uk,
    /// From the UK to another country, by zone: 1 (Europe, North America
    /// and 50 countries), 2 (most of the rest), 3 (satellite and remote).
    International(u8),
    /// UK premium-rate numbers (09…, 118…, premium SMS).
    Premium,
    /// Used abroad, by zone: 1 (the EU and EEA), 2 (the 80 destinations of
    /// a worldwide pass), 3 (the rest of the world).
    Roaming(u8),
}

impl Destination {
    /// The class's code, as files and the API write it: `UK`,
    /// `INTERNATIONAL-1`…`3`, `PREMIUM`, `ROAMING-1`…`3`.
    pub fn code(self) -> String {
        match self {
            Destination::Uk => "UK".into(),
            Destination::International(z) => format!("INTERNATIONAL-{z}"),
            Destination::Premium => "PREMIUM".into(),
            Destination::Roaming(z) => format!("ROAMING-{z}"),
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Destination> {
        let t = text.trim().to_ascii_uppercase();
        let zone = |rest: &str| -> Option<u8> {
            let z = rest.strip_prefix('-')?.parse::<u8>().ok()?;
            (1..=3).contains(&z).then_some(z)
        };
        let found = match t.as_str() {
            "UK" | "NATIONAL" => Some(Destination::Uk),
            "PREMIUM" => Some(Destination::Premium),
            _ => t
                .strip_prefix("INTERNATIONAL")
                .and_then(zone)
                .map(Destination::International)
                .or_else(|| t.strip_prefix("ROAMING").and_then(zone).map(Destination::Roaming)),
        };
        found.ok_or_else(|| {
            Error::invalid(
                field,
                format!(
                    "{text:?} is not one of UK, INTERNATIONAL-1 to -3, PREMIUM or ROAMING-1 to -3"
                ),
            )
        })
    }
}

/// One usage record as a network delivered it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub network: Network,
    /// The network's own id for the record: unique per network, so a record
    /// delivered twice is stored once.
    pub record_id: String,
    /// The connection's number, national form (`07…`).
    pub cli: String,
    pub kind: UsageKind,
    pub direction: Direction,
    pub destination: Destination,
    pub event_at: DateTime<Utc>,
    /// In the kind's unit.
    pub quantity: i64,
}

/// How far back a record is taken: records whose billing period ended more
/// than this many days before they arrive are refused (the period has been
/// invoiced and closed for good).
pub const LATE_LIMIT_DAYS: i64 = 90;

/// A record's own checks, before its connection is known: a record id, a
/// quantity in range, an event not in the future (5 minutes of clock
/// difference allowed).
pub fn check_record(r: &UsageRecord, now: DateTime<Utc>) -> Result<()> {
    if r.record_id.trim().is_empty() {
        return Err(Error::missing("recordId"));
    }
    if r.record_id.len() > 128 {
        return Err(Error::invalid("recordId", "is longer than 128 characters"));
    }
    if r.quantity < 0 {
        return Err(Error::invalid("quantity", "must be 0 or more"));
    }
    if r.quantity > r.kind.most() {
        return Err(Error::invalid(
            "quantity",
            format!(
                "{} {} is more than one {} record can hold ({})",
                r.quantity,
                r.kind.unit(),
                r.kind.as_str(),
                r.kind.most()
            ),
        ));
    }
    if r.kind == UsageKind::Data && r.direction == Direction::Incoming {
        return Err(Error::invalid(
            "direction",
            "data has no direction: leave it empty or Outgoing",
        ));
    }
    if r.kind == UsageKind::Data
        && matches!(r.destination, Destination::International(_) | Destination::Premium)
    {
        return Err(Error::invalid(
            "destination",
            "data is used in the UK or roaming: UK or ROAMING-1 to -3",
        ));
    }
    if r.event_at > now + Duration::minutes(5) {
        return Err(Error::invalid("eventTime", "is in the future"));
    }
    Ok(())
}

/// The connection a record is for, as far as usage cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub connection_id: i64,
    pub partner_id: i64,
    pub start_date: NaiveDate,
    /// When it stopped being live (ported out or ceased), if it did.
    pub ended_on: Option<NaiveDate>,
}

/// Whether a record belongs to the line: used while it was live.
pub fn check_line(line: &Line, event_at: DateTime<Utc>) -> Result<()> {
    let day = event_at.date_naive();
    if day < line.start_date {
        return Err(Error::invalid(
            "eventTime",
            format!("is before the connection started on {}", line.start_date),
        ));
    }
    if let Some(end) = line.ended_on {
        if day > end {
            return Err(Error::invalid(
                "cli",
                format!("the connection ended on {end}: no usage after it"),
            ));
        }
    }
    Ok(())
}

/// A billing period: monthly from the contract's bill day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    /// The first day.
    pub start: NaiveDate,
    /// The day after the last.
    pub end: NaiveDate,
}

/// The bill day of a contract started on `start`: its day of the month,
/// at most the 28th so that every month has it.
pub fn bill_day(start: NaiveDate) -> u32 {
    start.day().min(28)
}

/// The billing period of a contract started on `start` that holds `day`.
pub fn period_of(start: NaiveDate, day: NaiveDate) -> Period {
    let bd = bill_day(start);
    let on = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, bd).expect("day 1-28 exists");
    let this = on(day.year(), day.month());
    let first = if day >= this {
        this
    } else if day.month() == 1 {
        on(day.year() - 1, 12)
    } else {
        on(day.year(), day.month() - 1)
    };
    let end = if first.month() == 12 {
        on(first.year() + 1, 1)
    } else {
        on(first.year(), first.month() + 1)
    };
    Period { start: first, end }
}

/// Whether a record for `period` arriving at `now` is taken, and whether it
/// is late (its period had ended): refused when the period ended more than
/// [`LATE_LIMIT_DAYS`] before.
pub fn lateness(period: Period, now: DateTime<Utc>) -> Result<bool> {
    let today = now.date_naive();
    if today < period.end {
        return Ok(false);
    }
    if (today - period.end).num_days() > LATE_LIMIT_DAYS {
        return Err(Error::invalid(
            "eventTime",
            format!(
                "falls in the billing period that ended on {}, more than {LATE_LIMIT_DAYS} days ago: it is closed",
                period.end - Duration::days(1)
            ),
        ));
    }
    Ok(true)
}

/// A megabyte (MiB), in bytes: the unit data allowances and prices use.
pub const MB: i64 = 1 << 20;

/// Whole megabytes in `bytes`, a started megabyte counting as one.
pub fn mb_up(bytes: i64) -> i64 {
    (bytes + MB - 1) / MB
}

/// How many billing periods one usage report may span.
pub const MAX_REPORT_PERIODS: i32 = 24;

/// Checks a usage report's span, from the period `first` to the period
/// `last` (both included): in order, and at most [`MAX_REPORT_PERIODS`]
/// periods.
pub fn check_report_span(first: &Period, last: &Period) -> Result<()> {
    if first.start > last.start {
        return Err(Error::invalid("from", "must not be after to"));
    }
    let months = (last.start.year() - first.start.year()) * 12 + last.start.month() as i32
        - first.start.month() as i32;
    if months + 1 > MAX_REPORT_PERIODS {
        return Err(Error::invalid("from", "at most 24 periods at once"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn record() -> UsageRecord {
        UsageRecord {
            network: Network::Vodafone,
            record_id: "vf-1".into(),
            cli: "07700900123".into(),
            kind: UsageKind::Data,
            direction: Direction::Outgoing,
            destination: Destination::Uk,
            event_at: t("2030-01-16T09:00:00Z"),
            quantity: 1_000_000,
        }
    }

    #[test]
    fn periods_run_from_the_bill_day() {
        let p = period_of(d("2029-03-15"), d("2030-01-16"));
        assert_eq!((p.start, p.end), (d("2030-01-15"), d("2030-02-15")));
        let p = period_of(d("2029-03-15"), d("2030-01-14"));
        assert_eq!((p.start, p.end), (d("2029-12-15"), d("2030-01-15")));
        // Started on the 31st: the bill day is the 28th.
        let p = period_of(d("2029-01-31"), d("2030-02-28"));
        assert_eq!((p.start, p.end), (d("2030-02-28"), d("2030-03-28")));
        let p = period_of(d("2029-01-31"), d("2030-02-27"));
        assert_eq!((p.start, p.end), (d("2030-01-28"), d("2030-02-28")));
        let p = period_of(d("2029-06-01"), d("2029-12-31"));
        assert_eq!((p.start, p.end), (d("2029-12-01"), d("2030-01-01")));
    }

    #[test]
    fn late_records_are_taken_for_ninety_days() {
        let p = Period { start: d("2030-01-01"), end: d("2030-02-01") };
        assert_eq!(lateness(p, t("2030-01-31T23:59:59Z")), Ok(false));
        assert_eq!(lateness(p, t("2030-02-01T00:00:00Z")), Ok(true));
        assert_eq!(lateness(p, t("2030-05-02T12:00:00Z")), Ok(true), "90 days after");
        let e = lateness(p, t("2030-05-03T00:00:00Z")).unwrap_err();
        assert!(e.to_string().contains("ended on 2030-01-31"), "{e}");
    }

    #[test]
    fn records_are_checked() {
        let now = t("2030-01-16T10:00:00Z");
        assert_eq!(check_record(&record(), now), Ok(()));
        let with = |f: fn(&mut UsageRecord)| {
            let mut r = record();
            f(&mut r);
            check_record(&r, now).unwrap_err().to_string()
        };
        assert!(with(|r| r.quantity = -1).starts_with("quantity: must be 0 or more"));
        assert!(with(|r| r.quantity = i64::MAX).contains("more than one Data record can hold"));
        assert!(with(|r| r.record_id = " ".into()).starts_with("recordId"));
        assert!(with(|r| r.event_at = t("2030-01-16T10:06:00Z")).contains("in the future"));
        assert!(with(|r| r.direction = Direction::Incoming).starts_with("direction"));
        assert!(with(|r| r.destination = Destination::Premium).starts_with("destination"));
    }

    #[test]
    fn a_line_takes_usage_only_while_live() {
        let line = Line {
            connection_id: 1,
            partner_id: 1,
            start_date: d("2030-01-10"),
            ended_on: Some(d("2030-01-20")),
        };
        assert!(check_line(&line, t("2030-01-10T00:00:00Z")).is_ok());
        assert!(check_line(&line, t("2030-01-20T23:00:00Z")).is_ok());
        assert!(check_line(&line, t("2030-01-09T23:59:59Z"))
            .unwrap_err()
            .to_string()
            .contains("before the connection started"));
        assert!(check_line(&line, t("2030-01-21T00:00:00Z"))
            .unwrap_err()
            .to_string()
            .contains("ended on 2030-01-20"));
    }

    #[test]
    fn words_for_kinds_and_classes() {
        assert_eq!(UsageKind::parse("k", "sms"), Ok(UsageKind::Sms));
        assert!(UsageKind::parse("k", "fax").is_err());
        for code in ["UK", "INTERNATIONAL-2", "PREMIUM", "ROAMING-1", "roaming-3"] {
            let d = Destination::parse("d", code).unwrap();
            assert_eq!(d.code(), code.to_ascii_uppercase());
        }
        for bad in ["ROAMING-4", "INTERNATIONAL", "MARS", "ROAMING-0"] {
            assert!(Destination::parse("d", bad).is_err(), "{bad}");
        }
        assert_eq!(Direction::parse("d", ""), Ok(Direction::Outgoing));
        assert_eq!(Direction::parse("d", "MT"), Ok(Direction::Incoming));
    }

    #[test]
    fn a_report_spans_at_most_24_periods_in_order() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let p = |y, m| period_of(start, NaiveDate::from_ymd_opt(y, m, 20).unwrap());
        assert!(check_report_span(&p(2026, 3), &p(2026, 3)).is_ok());
        assert!(check_report_span(&p(2026, 3), &p(2028, 2)).is_ok(), "24 periods");
        assert!(check_report_span(&p(2026, 3), &p(2028, 3)).is_err(), "25 periods");
        assert!(check_report_span(&p(2026, 4), &p(2026, 3)).is_err());
    }

    #[test]
    fn a_started_megabyte_counts() {
        assert_eq!((mb_up(0), mb_up(1), mb_up(MB), mb_up(MB + 1)), (0, 1, 1, 2));
    }
}
