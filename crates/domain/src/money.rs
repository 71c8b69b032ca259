//! Money in integer pence with its currency; never floats.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in the currency's minor unit (pence for GBP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Money {
    pub pence: i64,
    pub currency: Currency,
}

/// Currencies the platform bills in. UK resellers bill in sterling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "GBP")]
    Gbp,
}

impl Money {
    pub const fn gbp(pence: i64) -> Self {
        Money { pence, currency: Currency::Gbp }
    }

    /// Adds two amounts; `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        Some(Money { pence: self.pence.checked_add(other.pence)?, currency: self.currency })
    }

    /// Multiplies by a whole count (e.g. remaining months); `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        Some(Money { pence: self.pence.checked_mul(n)?, currency: self.currency })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.pence < 0 { "-" } else { "" };
        let abs = self.pence.unsigned_abs();
        match self.currency {
            Currency::Gbp => write!(f, "{sign}£{}.{:02}", abs / 100, abs % 100),
        }
    }
}

/// Parses a price written as pounds and pence (`"18"`, `"18.5"`, `"18.50"`,
/// `"£18.50"`) into pence, without going through floating point.
pub fn parse_pounds(text: &str) -> Option<i64> {
    let t = text.trim().trim_start_matches('£');
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pounds: i64 = whole.parse().ok()?;
    let pence: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    pounds.checked_mul(100)?.checked_add(pence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_pounds_and_pence() {
        assert_eq!(Money::gbp(1800).to_string(), "£18.00");
        assert_eq!(Money::gbp(5).to_string(), "£0.05");
        assert_eq!(Money::gbp(-250).to_string(), "-£2.50");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Money::gbp(1800).checked_mul(7), Some(Money::gbp(12600)));
        assert_eq!(Money::gbp(i64::MAX).checked_add(Money::gbp(1)), None);
        assert_eq!(Money::gbp(i64::MAX).checked_mul(2), None);
    }

    #[test]
    fn parses_pounds_without_floats() {
        assert_eq!(parse_pounds("18"), Some(1800));
        assert_eq!(parse_pounds("£18.5"), Some(1850));
        assert_eq!(parse_pounds("0.07"), Some(7));
        assert_eq!(parse_pounds("18.505"), None);
        assert_eq!(parse_pounds("-1"), None);
        assert_eq!(parse_pounds("1e3"), None);
        assert_eq!(parse_pounds(""), None);
    }
}
