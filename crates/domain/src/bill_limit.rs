//! Bill limits (Communications Act 2003 s.124S, in force since 1 October
//! 2018): a customer may cap what a billing period's chargeable use costs.
//!
//! - The cap covers out-of-bundle spend (what rating charges beyond the
//!   plan's allowances); the plan's fixed monthly price is not metered here.
//! - The customer is notified when the spend is likely to reach the cap (at
//!   [`NEAR_PERCENT`]) and as soon as it reaches it; each notice once per
//!   period and cap.
//! - At the cap, chargeable use is barred unless the customer consented,
//!   after a notice this period, to go beyond it. Continued use is never
//!   consent: only a consent recorded with who gave it and how counts, and
//!   it lasts until the period ends.
//! - Spend beyond the cap without consent is not billed.
//! - A cap set, changed or removed applies at once, to the current period's
//!   spend so far; a period already ended keeps the cap it ended with.

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A notice is due when spend reaches this share of the cap.
pub const NEAR_PERCENT: i64 = 80;
/// The largest cap accepted, in pence (£10,000).
pub const MAX_CAP_PENCE: i64 = 1_000_000;

/// What the bill-limit record holds: caps set (or changed) and removed,
/// notices, bars placed and lifted, consents.
pub const LOG_EVENTS: [&str; 6] = ["capSet", "capRemoved", "notice", "barred", "lifted", "consent"];

/// A notice the customer is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Notice {
    /// Spend is likely to reach the cap: it has passed [`NEAR_PERCENT`].
    Near,
    /// Spend has reached the cap.
    Reached,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Near => "billCapNear",
            Notice::Reached => "billCapReached",
        }
    }
}

/// How a customer gave consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Method {
    Phone,
    Sms,
    Email,
    Web,
    InStore,
    Letter,
}

impl Method {
    pub const ALL: [Method; 6] =
        [Method::Phone, Method::Sms, Method::Email, Method::Web, Method::InStore, Method::Letter];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Phone => "phone",
            Method::Sms => "sms",
            Method::Email => "email",
            Method::Web => "web",
            Method::InStore => "inStore",
            Method::Letter => "letter",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Method> {
        let t = text.trim();
        Method::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(t)).ok_or_else(|| {
            Error::invalid(
                field,
                format!("{text:?} is not one of phone, sms, email, web, inStore or letter"),
            )
        })
    }
}

/// Checks a cap's value: whole pence, above 0, at most [`MAX_CAP_PENCE`].
pub fn check_cap(field: &str, pence: i64) -> Result<i64> {
    if pence <= 0 {
        return Err(Error::invalid(field, "a bill cap must be more than 0 pence"));
    }
    if pence > MAX_CAP_PENCE {
        return Err(Error::invalid(field, format!("a bill cap is at most {MAX_CAP_PENCE} pence")));
    }
    Ok(pence)
}

/// The notices `spend` makes due under `cap` (the store keeps each once).
pub fn notices_due(cap: Option<i64>, spend: i64) -> Vec<Notice> {
    let Some(cap) = cap else { return vec![] };
    let mut due = Vec::new();
    if spend * 100 >= cap * NEAR_PERCENT {
        due.push(Notice::Near);
    }
    if spend >= cap {
        due.push(Notice::Reached);
    }
    due
}

/// Whether chargeable use must be barred: the cap is reached and no
/// consent was given this period.
pub fn must_bar(cap: Option<i64>, spend: i64, consented: bool) -> bool {
    cap.is_some_and(|cap| spend >= cap) && !consented
}

/// Checks a consent's note: at most 500 characters.
pub fn check_note(note: &str) -> Result<()> {
    if note.chars().count() > 500 {
        return Err(Error::invalid("note", "at most 500 characters"));
    }
    Ok(())
}

/// Checks a consent to exceed the cap: there must be a cap, a notice this
/// period, and who gave it.
pub fn check_consent(cap: Option<i64>, noticed: bool, given_by: &str) -> Result<()> {
    if given_by.trim().is_empty() {
        return Err(Error::invalid(
            "consentedBy",
            "say who gave the consent (the account holder's name)",
        ));
    }
    if cap.is_none() {
        return Err(Error::Conflict("the connection has no bill cap to go beyond".into()));
    }
    if !noticed {
        return Err(Error::Conflict(
            "consent counts only after a bill-limit notice this billing period".into(),
        ));
    }
    Ok(())
}

/// What a period's spend bills: all of it with consent, except what was
/// spent beyond the cap before the consent; without consent, at most the
/// cap. `spend_at_consent` is the spend when consent was given.
pub fn billable(spend: i64, cap: Option<i64>, spend_at_consent: Option<i64>) -> Billed {
    let billed = match (cap, spend_at_consent) {
        (None, _) => spend,
        (Some(cap), None) => spend.min(cap),
        (Some(cap), Some(at)) => spend - (at.min(spend) - cap).max(0),
    };
    Billed { billed_pence: billed, not_billed_pence: spend - billed }
}

/// A period's spend split into what is billed and what is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Billed {
    pub billed_pence: i64,
    pub not_billed_pence: i64,
}

/// The cap in force at `at`: `current` unless it was changed after `at`,
/// then what it was before the first such change. `changes` are a
/// connection's cap changes in time order, each with the cap before it.
pub fn cap_at(
    changes: &[(DateTime<Utc>, Option<i64>)],
    at: DateTime<Utc>,
    current: Option<i64>,
) -> Option<i64> {
    changes.iter().find(|(t, _)| *t > at).map_or(current, |(_, before)| *before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn notices_come_at_eighty_per_cent_and_at_the_cap() {
        assert_eq!(notices_due(None, 10_000), vec![]);
        assert_eq!(notices_due(Some(1000), 799), vec![]);
        assert_eq!(notices_due(Some(1000), 800), vec![Notice::Near]);
        assert_eq!(notices_due(Some(1000), 1000), vec![Notice::Near, Notice::Reached]);
    }

    #[test]
    fn the_cap_bars_unless_consented() {
        assert!(!must_bar(None, 5000, false));
        assert!(!must_bar(Some(1000), 999, false));
        assert!(must_bar(Some(1000), 1000, false));
        assert!(!must_bar(Some(1000), 5000, true));
    }

    #[test]
    fn consent_needs_who_a_cap_and_a_notice() {
        assert!(check_consent(Some(1000), true, "A Holder").is_ok());
        assert!(check_consent(Some(1000), true, " ")
            .unwrap_err()
            .to_string()
            .starts_with("consentedBy"));
        assert!(matches!(check_consent(Some(1000), false, "A Holder"), Err(Error::Conflict(_))));
        assert!(matches!(check_consent(None, true, "A Holder"), Err(Error::Conflict(_))));
        assert_eq!(Method::parse("method", "INSTORE"), Ok(Method::InStore));
        assert!(Method::parse("method", "carrier pigeon").is_err());
    }

    #[test]
    fn spend_beyond_the_cap_without_consent_is_not_billed() {
        let b = billable(1500, Some(1000), None);
        assert_eq!((b.billed_pence, b.not_billed_pence), (1000, 500));
        assert_eq!(billable(700, Some(1000), None).billed_pence, 700);
        assert_eq!(billable(1500, None, None).billed_pence, 1500);
        // Consent at 1,100: the 100 beyond the cap before it is not billed;
        // everything after it is.
        let b = billable(1600, Some(1000), Some(1100));
        assert_eq!((b.billed_pence, b.not_billed_pence), (1500, 100));
        // Consent given at the cap exactly: all billed.
        assert_eq!(billable(1600, Some(1000), Some(1000)).billed_pence, 1600);
    }

    #[test]
    fn caps_are_checked() {
        assert!(check_cap("valuePence", 0).is_err());
        assert!(check_cap("valuePence", MAX_CAP_PENCE + 1).is_err());
        assert_eq!(check_cap("valuePence", 2500), Ok(2500));
    }

    #[test]
    fn a_period_keeps_the_cap_it_ended_with() {
        let t = |d| Utc.with_ymd_and_hms(2026, 3, d, 0, 0, 0).unwrap();
        // Set to 1,000 on the 1st (none before), 2,000 on the 10th,
        // removed on the 20th: each change with the cap before it.
        let changes = [(t(1), None), (t(10), Some(1000)), (t(20), Some(2000))];
        assert_eq!(cap_at(&changes, t(5), None), Some(1000));
        assert_eq!(cap_at(&changes, t(15), None), Some(2000));
        assert_eq!(cap_at(&changes, t(25), None), None);
        assert_eq!(cap_at(&changes, t(25), Some(9)), Some(9), "no later change");
    }

    #[test]
    fn a_consent_note_is_at_most_500_characters() {
        assert!(check_note("").is_ok());
        assert!(check_note(&"é".repeat(500)).is_ok());
        assert!(check_note(&"é".repeat(501)).is_err());
    }
}
