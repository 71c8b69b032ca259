//! Rating a billing period in integer pence: a connection's usage, summed
//! by kind and destination, against its plan's allowances and the house
//! rate card.
//!
//! Rating works on sums, never record by record, so a period's totals are
//! the same whatever order its records arrived in, and a record delivered
//! twice (stored once) changes nothing.
//!
//! - UK allowances (minutes, texts, data; none means unlimited) cover
//!   outgoing UK use and use while roaming in a zone the plan's roaming
//!   covers (an EU pass: zone 1; a worldwide pass: zones 1 and 2), which is
//!   priced as UK use beyond them.
//! - International minutes from bundles cover outgoing calls to zone 1.
//! - Premium-rate use, MMS and uncovered roaming are never in an allowance.
//! - Incoming calls and messages are free and use no allowance.
//! - Beyond an allowance, calls are charged per started minute and data per
//!   started megabyte of the period's excess, messages each.

use crate::usage::{mb_up, Destination, Direction, UsageKind, MB};
use serde::Serialize;

/// What a connection's tariff and bundles give each billing period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plan {
    /// UK allowances; `None` is unlimited.
    pub data_mb: Option<i64>,
    pub minutes: Option<i64>,
    pub texts: Option<i64>,
    /// International minutes to zone 1, from bundles.
    pub intl_minutes: i64,
    /// Roaming zones where UK allowances and prices apply: 0 none, 1 the
    /// EU, 2 the worldwide pass's destinations too.
    pub roaming_zones: u8,
}

/// A period's use of one kind, direction and destination, summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub kind: UsageKind,
    pub direction: Direction,
    pub destination: Destination,
    /// In the kind's unit.
    pub quantity: i64,
}

/// One line of a rated period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rated {
    pub kind: UsageKind,
    pub direction: Direction,
    pub destination: Destination,
    pub quantity: i64,
    /// The part inside an allowance, and the part beyond it (same unit).
    pub in_bundle: i64,
    pub out_of_bundle: i64,
    pub pence: i64,
}

/// A rated period: its lines (in a fixed order) and their sum.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bill {
    pub lines: Vec<Rated>,
    pub pence: i64,
}

/// The house rate card: pence per started minute (voice), per message
/// (SMS, MMS) or per started megabyte (data), beyond any allowance.
pub fn unit_pence(kind: UsageKind, to: Destination) -> i64 {
    use Destination::*;
    use UsageKind::*;
    let zone = |z: u8, rates: [i64; 3]| rates[usize::from(z.clamp(1, 3)) - 1];
    match (kind, to) {
        (Voice, Uk) => 10,
        (Voice, International(z)) => zone(z, [30, 75, 150]),
        (Voice, Premium) => 150,
        (Voice, Roaming(z)) => zone(z, [25, 120, 250]),
        (Sms, Uk) => 10,
        (Sms, International(_)) => 25,
        (Sms, Premium) | (Mms, Premium) => 150,
        (Sms, Roaming(z)) => zone(z, [10, 40, 50]),
        (Mms, Uk) => 40,
        (Mms, International(_)) => 60,
        (Mms, Roaming(z)) => zone(z, [40, 80, 100]),
        (Data, Uk) => 5,
        (Data, Roaming(z)) => zone(z, [50, 300, 600]),
        // Checked out at the door (usage::check_record); never charged.
        (Data, International(_) | Premium) => 0,
    }
}

/// Which allowance a line draws on, if any, and the destination whose
/// price applies beyond it.
fn pool(plan: &Plan, t: &Total) -> (Option<Pool>, Destination) {
    use Destination::*;
    if t.direction == Direction::Incoming {
        return (Some(Pool::Free), t.destination);
    }
    let covered = matches!(t.destination, Roaming(z) if z <= plan.roaming_zones);
    let home = t.destination == Uk || covered;
    let priced_as = if covered { Uk } else { t.destination };
    let pool = match (t.kind, t.destination) {
        (UsageKind::Voice, _) if home => Some(Pool::Minutes),
        (UsageKind::Sms, _) if home => Some(Pool::Texts),
        (UsageKind::Data, _) if home => Some(Pool::Data),
        (UsageKind::Voice, International(1)) => Some(Pool::IntlMinutes),
        _ => None,
    };
    (pool, priced_as)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pool {
    Minutes,
    Texts,
    Data,
    IntlMinutes,
    Free,
}

impl Pool {
    /// What the plan gives, in the kind's unit; `None` is unlimited.
    fn allowance(self, plan: &Plan) -> Option<i64> {
        match self {
            Pool::Minutes => plan.minutes.map(|m| m * 60),
            Pool::Texts => plan.texts,
            Pool::Data => plan.data_mb.map(|m| m * MB),
            Pool::IntlMinutes => Some(plan.intl_minutes * 60),
            Pool::Free => None,
        }
    }
}

/// The price of `excess` units of `kind` at `unit` pence: calls by the
/// started minute, data by the started megabyte, messages each.
fn price(kind: UsageKind, excess: i64, unit: i64) -> i64 {
    let units = match kind {
        UsageKind::Voice => (excess + 59) / 60,
        UsageKind::Data => mb_up(excess),
        UsageKind::Sms | UsageKind::Mms => excess,
    };
    units * unit
}

/// Rates a period's totals against `plan`. Lines come out in a fixed
/// order (kind, destination, direction), each pool's allowance taken by
/// the lines in that order; equal totals give equal bills.
pub fn rate(plan: &Plan, totals: &[Total]) -> Bill {
    let mut lines: Vec<Total> = Vec::with_capacity(totals.len());
    // Sum again by key, so totals split in any way rate the same.
    for t in totals {
        match lines
            .iter_mut()
            .find(|l| (l.kind, l.direction, l.destination) == (t.kind, t.direction, t.destination))
        {
            Some(l) => l.quantity += t.quantity,
            None => lines.push(*t),
        }
    }
    lines.sort_by_key(|l| (l.kind, l.destination, l.direction == Direction::Incoming));
    let mut left: Vec<(Pool, Option<i64>)> = Vec::new();
    let mut bill = Bill::default();
    for t in lines {
        let (pool, priced_as) = pool(plan, &t);
        let (in_bundle, out_of_bundle) = match pool {
            Some(Pool::Free) => (t.quantity, 0),
            Some(p) => {
                let slot = match left.iter().position(|(q, _)| *q == p) {
                    Some(i) => i,
                    None => {
                        left.push((p, p.allowance(plan)));
                        left.len() - 1
                    }
                };
                match &mut left[slot].1 {
                    None => (t.quantity, 0),
                    Some(rest) => {
                        let inside = t.quantity.min(*rest);
                        *rest -= inside;
                        (inside, t.quantity - inside)
                    }
                }
            }
            None => (0, t.quantity),
        };
        let pence = price(t.kind, out_of_bundle, unit_pence(t.kind, priced_as));
        bill.pence += pence;
        bill.lines.push(Rated {
            kind: t.kind,
            direction: t.direction,
            destination: t.destination,
            quantity: t.quantity,
            in_bundle,
            out_of_bundle,
            pence,
        });
    }
    bill
}

/// A period's data against its allowance, as GetDataUsage shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataUse {
    /// Bytes drawn on the UK data allowance (UK and covered roaming).
    pub used: i64,
    /// Bytes; `None` is unlimited.
    pub allowance: Option<i64>,
}

impl DataUse {
    pub fn remaining(&self) -> Option<i64> {
        self.allowance.map(|a| (a - self.used).max(0))
    }

    /// Whole per cent of the allowance used (may pass 100); none when
    /// unlimited.
    pub fn percent(&self) -> Option<i64> {
        match self.allowance {
            Some(0) => Some(if self.used > 0 { 100 } else { 0 }),
            Some(a) => Some(self.used * 100 / a),
            None => None,
        }
    }
}

/// The period's data use against the plan's UK data allowance.
pub fn data_use(plan: &Plan, totals: &[Total]) -> DataUse {
    let used = totals
        .iter()
        .filter(|t| t.kind == UsageKind::Data && pool(plan, t).0 == Some(Pool::Data))
        .map(|t| t.quantity)
        .sum();
    DataUse { used, allowance: plan.data_mb.map(|m| m * MB) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Destination::*;
    use Direction::*;
    use UsageKind::*;

    fn total(
        kind: UsageKind,
        direction: Direction,
        destination: Destination,
        quantity: i64,
    ) -> Total {
        Total { kind, direction, destination, quantity }
    }

    fn line(bill: &Bill, kind: UsageKind, to: Destination) -> &Rated {
        bill.lines
            .iter()
            .find(|l| l.kind == kind && l.destination == to && l.direction == Outgoing)
            .unwrap()
    }

    const PLAN: Plan = Plan {
        data_mb: Some(1024),
        minutes: Some(100),
        texts: Some(50),
        intl_minutes: 0,
        roaming_zones: 0,
    };

    #[test]
    fn within_allowances_nothing_is_charged() {
        let bill = rate(
            &PLAN,
            &[
                total(Data, Outgoing, Uk, 1024 * MB),
                total(Voice, Outgoing, Uk, 100 * 60),
                total(Sms, Outgoing, Uk, 50),
                total(Voice, Incoming, Uk, 10_000),
            ],
        );
        assert_eq!(bill.pence, 0, "{bill:?}");
        assert!(bill.lines.iter().all(|l| l.out_of_bundle == 0));
    }

    #[test]
    fn beyond_an_allowance_by_the_started_unit() {
        let bill = rate(
            &PLAN,
            &[
                total(Data, Outgoing, Uk, 1024 * MB + 1),
                total(Voice, Outgoing, Uk, 100 * 60 + 61),
                total(Sms, Outgoing, Uk, 53),
            ],
        );
        assert_eq!(line(&bill, Data, Uk).out_of_bundle, 1);
        assert_eq!(line(&bill, Data, Uk).pence, 5, "one started MB");
        assert_eq!(line(&bill, Voice, Uk).pence, 20, "two started minutes");
        assert_eq!(line(&bill, Sms, Uk).pence, 30);
        assert_eq!(bill.pence, 55);
    }

    /// Unlimited UK minutes, texts and data.
    const UNLIMITED: Plan = Plan { data_mb: None, minutes: None, texts: None, ..PLAN };

    #[test]
    fn unlimited_is_unlimited() {
        let bill = rate(
            &UNLIMITED,
            &[total(Data, Outgoing, Uk, 500 * 1024 * MB), total(Voice, Outgoing, Uk, 1_000_000)],
        );
        assert_eq!(bill.pence, 0);
    }

    #[test]
    fn never_in_an_allowance() {
        let bill = rate(
            &UNLIMITED,
            &[
                total(Voice, Outgoing, Premium, 90),
                total(Mms, Outgoing, Uk, 2),
                total(Voice, Outgoing, International(2), 60),
            ],
        );
        assert_eq!(line(&bill, Voice, Premium).pence, 300);
        assert_eq!(line(&bill, Mms, Uk).pence, 80);
        assert_eq!(line(&bill, Voice, International(2)).pence, 75);
    }

    #[test]
    fn international_minutes_cover_zone_one_only() {
        let plan = Plan { intl_minutes: 100, ..PLAN };
        let bill = rate(
            &plan,
            &[
                total(Voice, Outgoing, International(1), 101 * 60),
                total(Voice, Outgoing, International(3), 60),
            ],
        );
        assert_eq!(line(&bill, Voice, International(1)).pence, 30, "one minute beyond");
        assert_eq!(line(&bill, Voice, International(3)).pence, 150);
    }

    #[test]
    fn a_roaming_pass_makes_abroad_like_home() {
        let use_ = [
            total(Data, Outgoing, Uk, 1000 * MB),
            total(Data, Outgoing, Roaming(1), 100 * MB),
            total(Data, Outgoing, Roaming(2), MB),
        ];
        let eu = rate(&Plan { roaming_zones: 1, ..PLAN }, &use_);
        // 1,100 MB from the 1,024 MB allowance: 76 MB beyond, at the UK rate.
        assert_eq!(line(&eu, Data, Roaming(1)).out_of_bundle, 76 * MB);
        assert_eq!(line(&eu, Data, Roaming(1)).pence, 76 * 5);
        assert_eq!(line(&eu, Data, Roaming(2)).pence, 300, "zone 2 not covered by an EU pass");
        let none = rate(&PLAN, &use_);
        assert_eq!(line(&none, Data, Roaming(1)).pence, 100 * 50);
        let world = rate(&Plan { roaming_zones: 2, ..PLAN }, &use_);
        assert_eq!(line(&world, Data, Roaming(2)).pence, 5);
        assert_eq!(
            data_use(&Plan { roaming_zones: 1, ..PLAN }, &use_),
            DataUse { used: 1100 * MB, allowance: Some(1024 * MB) }
        );
    }

    #[test]
    fn the_same_use_in_any_order_or_split_rates_the_same() {
        let whole = [
            total(Data, Outgoing, Uk, 2000 * MB),
            total(Data, Outgoing, Roaming(1), 300 * MB),
            total(Voice, Outgoing, Uk, 7000),
            total(Sms, Outgoing, Roaming(1), 70),
        ];
        let plan = Plan { roaming_zones: 1, ..PLAN };
        let once = rate(&plan, &whole);
        let mut split: Vec<Total> = whole
            .iter()
            .flat_map(|t| {
                let a = t.quantity / 3;
                [Total { quantity: a, ..*t }, Total { quantity: t.quantity - a, ..*t }]
            })
            .collect();
        split.reverse();
        assert_eq!(rate(&plan, &split), once);
        assert!(once.pence > 0);
    }

    #[test]
    fn data_use_in_words() {
        let u = DataUse { used: 1536 * MB, allowance: Some(1024 * MB) };
        assert_eq!((u.remaining(), u.percent()), (Some(0), Some(150)));
        let open = DataUse { used: 5, allowance: None };
        assert_eq!((open.remaining(), open.percent()), (None, None));
    }
}
