//! Tariff rules: which tariffs a live contract may move to, and when a
//! contract on a tariff's term ends.

use crate::{Error, Money, Network};
use chrono::NaiveDate;

/// The last day of a contract of `term_months` starting on `start`: the
/// day before its anniversary.
pub fn contract_end(start: NaiveDate, term_months: i64) -> NaiveDate {
    let months = u32::try_from(term_months.max(0)).unwrap_or(0);
    start
        .checked_add_months(chrono::Months::new(months))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start)
}

/// What the tariff rules need to know about a tariff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffFacts {
    pub id: i64,
    pub name: String,
    pub network: Network,
    pub monthly_pence: i64,
    pub term_months: i64,
    pub bill_cap_eligible: bool,
    pub retired: bool,
    /// Bundles (tariff options) allowed on this tariff.
    pub bundle_ids: Vec<i64>,
}

/// What the tariff rules need to know about a live contract.
#[derive(Debug, Clone)]
pub struct ContractFacts {
    pub network: Network,
    pub tariff: TariffFacts,
    pub contract_end_date: NaiveDate,
    pub bill_cap_enabled: bool,
    /// Bundles on the contract: (tariffOptionId, name).
    pub bundles: Vec<(i64, String)>,
}

/// Checks a move of `contract` to `target` on `today`, answering the first
/// rule that forbids it as [`Error::Refused`] with the reason:
/// same network only; not a retired tariff; no downgrade (lower monthly
/// price) inside the minimum term; a bill-capped contract only to a
/// bill-cap-eligible tariff; every bundle on the contract must fit the new
/// tariff (those that do not are named).
pub fn check_tariff_change(
    contract: &ContractFacts,
    target: &TariffFacts,
    today: NaiveDate,
) -> Result<(), Error> {
    if target.id == contract.tariff.id {
        return Err(Error::refused_whole(format!(
            "the contract is already on tariff {} ({})",
            target.id, target.name
        )));
    }
    if target.network != contract.network {
        return Err(Error::refused_whole(format!(
            "tariff {} is a {} tariff; this contract is on {} and may only move within its network",
            target.id, target.network, contract.network
        )));
    }
    if target.retired {
        return Err(Error::refused_whole(format!(
            "tariff {} ({}) is retired and no longer sold",
            target.id, target.name
        )));
    }
    if target.monthly_pence < contract.tariff.monthly_pence && today <= contract.contract_end_date {
        return Err(Error::refused_whole(format!(
            "a downgrade from {} to {} a month is not allowed inside the minimum term, which ends on {}",
            Money::gbp(contract.tariff.monthly_pence),
            Money::gbp(target.monthly_pence),
            contract.contract_end_date
        )));
    }
    if contract.bill_cap_enabled && !target.bill_cap_eligible {
        return Err(Error::refused_whole(format!(
            "the contract has a bill cap and tariff {} ({}) is not bill-cap eligible",
            target.id, target.name
        )));
    }
    let misfits: Vec<String> = contract
        .bundles
        .iter()
        .filter(|(id, _)| !target.bundle_ids.contains(id))
        .map(|(id, name)| format!("{name} ({id})"))
        .collect();
    if !misfits.is_empty() {
        return Err(Error::refused_whole(format!(
            "bundles not available on tariff {}: {}; remove them first",
            target.id,
            misfits.join(", ")
        )));
    }
    Ok(())
}

/// Days ahead a tariff change may be scheduled.
pub const CHANGE_HORIZON_DAYS: u64 = 60;

/// When a tariff change applies: `requested` (default today), not in the
/// past, at most [`CHANGE_HORIZON_DAYS`] ahead.
pub fn effective_date(requested: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate, Error> {
    let effective = requested.unwrap_or(today);
    if effective < today {
        return Err(Error::invalid("effectiveDate", format!("{effective} is in the past")));
    }
    if effective > today + chrono::Days::new(CHANGE_HORIZON_DAYS) {
        return Err(Error::invalid(
            "effectiveDate",
            format!("{effective} is more than {CHANGE_HORIZON_DAYS} days ahead"),
        ));
    }
    Ok(effective)
}

#[cfg(test)]
mod tests {
    #[test]
    fn contract_end_is_the_day_before_the_anniversary() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(contract_end(d(2026, 1, 5), 24), d(2028, 1, 4));
        assert_eq!(contract_end(d(2026, 1, 31), 1), d(2026, 2, 27));
        assert_eq!(contract_end(d(2026, 1, 5), 0), d(2026, 1, 4), "no term: ended the day before");
    }

    #[test]
    fn effective_dates() {
        let today = chrono::NaiveDate::from_ymd_opt(2030, 1, 16).unwrap();
        assert_eq!(super::effective_date(None, today).unwrap(), today);
        let d60 = today + chrono::Days::new(60);
        assert_eq!(super::effective_date(Some(d60), today).unwrap(), d60);
        for bad in [today.pred_opt().unwrap(), d60.succ_opt().unwrap()] {
            assert!(
                matches!(super::effective_date(Some(bad), today), Err(super::Error::Invalid { field, .. }) if field == "effectiveDate")
            );
        }
    }

    use super::*;

    fn tariff(id: i64, pence: i64) -> TariffFacts {
        TariffFacts {
            id,
            name: format!("T{id}"),
            network: Network::Vodafone,
            monthly_pence: pence,
            term_months: 24,
            bill_cap_eligible: true,
            retired: false,
            bundle_ids: vec![301, 302],
        }
    }

    fn contract() -> ContractFacts {
        ContractFacts {
            network: Network::Vodafone,
            tariff: tariff(1, 1800),
            contract_end_date: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
            bill_cap_enabled: false,
            bundles: vec![(301, "EU Roaming".into())],
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn refused(r: Result<(), Error>) -> String {
        match r {
            Err(e @ Error::Refused { .. }) => e.to_string(),
            other => panic!("expected Refused, got {other:?}"),
        }
    }

    #[test]
    fn an_upgrade_on_the_same_network_is_allowed() {
        assert_eq!(check_tariff_change(&contract(), &tariff(2, 2500), day(2026, 12, 1)), Ok(()));
    }

    #[test]
    fn same_tariff_other_network_and_retired_are_refused() {
        assert!(refused(check_tariff_change(&contract(), &tariff(1, 1800), day(2026, 12, 1)))
            .contains("already"));
        let o2 = TariffFacts { network: Network::O2, ..tariff(2, 2500) };
        assert!(refused(check_tariff_change(&contract(), &o2, day(2026, 12, 1)))
            .contains("within its network"));
        let retired = TariffFacts { retired: true, ..tariff(2, 2500) };
        assert!(refused(check_tariff_change(&contract(), &retired, day(2026, 12, 1)))
            .contains("retired"));
    }

    #[test]
    fn downgrades_wait_for_the_end_of_the_term() {
        let cheaper = tariff(3, 1000);
        let m = refused(check_tariff_change(&contract(), &cheaper, day(2027, 6, 30)));
        assert!(
            m.contains("minimum term") && m.contains("2027-06-30") && m.contains("£10.00"),
            "{m}"
        );
        assert_eq!(check_tariff_change(&contract(), &cheaper, day(2027, 7, 1)), Ok(()));
    }

    #[test]
    fn bill_capped_contracts_need_eligible_tariffs() {
        let c = ContractFacts { bill_cap_enabled: true, ..contract() };
        let not_eligible = TariffFacts { bill_cap_eligible: false, ..tariff(2, 2500) };
        assert!(
            refused(check_tariff_change(&c, &not_eligible, day(2026, 12, 1))).contains("bill cap")
        );
        assert_eq!(check_tariff_change(&contract(), &not_eligible, day(2026, 12, 1)), Ok(()));
    }

    #[test]
    fn misfitting_bundles_are_named() {
        let narrow = TariffFacts { bundle_ids: vec![302], ..tariff(2, 2500) };
        let m = refused(check_tariff_change(&contract(), &narrow, day(2026, 12, 1)));
        assert!(m.contains("EU Roaming (301)"), "{m}");
    }
}
