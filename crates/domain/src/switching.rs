//! Switching codes under Ofcom's text-to-switch rules: the PAC (keep the
//! number) and the STAC (leave without it).

use crate::status::ConnectionStatus;
use crate::Error;
use chrono::{Datelike, Months, NaiveDate};

/// Checks a PAC: three letters then six digits (`ABC123456`); answers it
/// upper-cased.
pub fn parse_pac(text: &str, field: &str) -> Result<String, Error> {
    let t = text.trim().to_ascii_uppercase();
    let b = t.as_bytes();
    if b.len() == 9
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && b[3..].iter().all(u8::is_ascii_digit)
    {
        Ok(t)
    } else {
        Err(Error::invalid(
            field,
            format!(
                "{:?} is not a PAC: expected three letters and six digits, e.g. ABC123456",
                text.trim()
            ),
        ))
    }
}

/// Checks a STAC: six digits then three letters (`123456ABC`); answers it
/// upper-cased.
pub fn parse_stac(text: &str, field: &str) -> Result<String, Error> {
    let t = text.trim().to_ascii_uppercase();
    let b = t.as_bytes();
    if b.len() == 9
        && b[..6].iter().all(u8::is_ascii_digit)
        && b[6..].iter().all(u8::is_ascii_uppercase)
    {
        Ok(t)
    } else {
        Err(Error::invalid(
            field,
            format!(
                "{:?} is not a STAC: expected six digits and three letters, e.g. 123456ABC",
                text.trim()
            ),
        ))
    }
}

/// Days a PAC or STAC stays valid after issue.
pub const CODE_VALID_DAYS: i64 = 30;

/// Seconds within which a requested code must reach the customer.
pub const ISSUE_WITHIN_SECONDS: i64 = 60;

/// Which switching code: keep the number (PAC) or leave without it (STAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Pac,
    Stac,
}

impl CodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Pac => "PAC",
            CodeKind::Stac => "STAC",
        }
    }

    /// The code a request of `kind` asks the network for: `RequestPac` a
    /// PAC, `RequestStac` a STAC; any other kind asks for no code.
    pub fn requested_by(kind: &str) -> Option<CodeKind> {
        match kind {
            "RequestPac" => Some(CodeKind::Pac),
            "RequestStac" => Some(CodeKind::Stac),
            _ => None,
        }
    }

    /// The status a connection ends in when a gaining provider uses a
    /// code of this kind: a PAC ports the number out, a STAC ceases it.
    pub fn ends_in(self) -> ConnectionStatus {
        match self {
            CodeKind::Pac => ConnectionStatus::PortedOut,
            CodeKind::Stac => ConnectionStatus::Ceased,
        }
    }

    /// Whether an issued code of this kind can be used `now`: once, and
    /// before it expires.
    pub fn check_use(
        self,
        code: &str,
        used_at: Option<chrono::DateTime<chrono::Utc>>,
        expires_at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Error> {
        let kind = self.as_str();
        if let Some(at) = used_at {
            return Err(Error::Conflict(format!("{kind} {code} was used on {}", at.date_naive())));
        }
        if expires_at <= now {
            return Err(Error::refused(
                "code",
                format!("{kind} {code} expired on {}", expires_at.date_naive()),
            ));
        }
        Ok(())
    }

    /// Which kind a code is, by its shape.
    pub fn of(code: &str) -> Result<(CodeKind, String), Error> {
        parse_pac(code, "code")
            .map(|c| (CodeKind::Pac, c))
            .or_else(|_| parse_stac(code, "code").map(|c| (CodeKind::Stac, c)))
            .map_err(|_| {
                Error::invalid(
                    "code",
                    format!(
                        "{:?} is neither a PAC (ABC123456) nor a STAC (123456ABC)",
                        code.trim()
                    ),
                )
            })
    }

    /// The code a network issued for a request of this kind, and until
    /// when it is valid: an answer that is not a code of this kind is the
    /// network's fault, said in `Err`.
    pub fn issued(
        self,
        answer: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(String, chrono::DateTime<chrono::Utc>), String> {
        match CodeKind::of(answer) {
            Ok((kind, code)) if kind == self => {
                Ok((code, now + chrono::Duration::days(CODE_VALID_DAYS)))
            }
            _ => Err(format!("the network answered {answer:?}, not a {}", self.as_str())),
        }
    }

    /// A code of this kind made from a number (a network's random draw):
    /// three letters and six digits, in the kind's order.
    pub fn make(self, n: u64) -> String {
        let mut letters = String::with_capacity(3);
        let mut l = n % (26 * 26 * 26);
        for _ in 0..3 {
            letters.insert(0, char::from(b'A' + (l % 26) as u8));
            l /= 26;
        }
        let digits = format!("{:06}", (n / (26 * 26 * 26)) % 1_000_000);
        match self {
            CodeKind::Pac => format!("{letters}{digits}"),
            CodeKind::Stac => format!("{digits}{letters}"),
        }
    }
}

/// What a customer asking to switch must be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchingInfo {
    pub contract_end_date: NaiveDate,
    /// Monthly charges still due under the minimum term (a part month counts whole).
    pub remaining_months: i64,
    pub monthly_pence: i64,
    /// Early termination charge: remaining months × monthly price.
    pub early_termination_pence: i64,
    /// Charges billed and not yet paid.
    pub outstanding_balance_pence: i64,
}

/// Monthly charges still due from `today` to `end`: whole months, and a
/// part month as one; none once the end date is reached.
pub fn remaining_months(today: NaiveDate, end: NaiveDate) -> i64 {
    if end <= today {
        return 0;
    }
    let whole =
        (end.year() as i64 - today.year() as i64) * 12 + end.month() as i64 - today.month() as i64;
    // A month from the 31st is reached on the last day of a shorter month.
    let anniversary = today.checked_add_months(Months::new(whole as u32)).unwrap_or(end);
    if end > anniversary {
        whole + 1
    } else if end < anniversary {
        whole
    } else {
        whole.max(1)
    }
}

/// The switching information for a connection on `today`.
pub fn switching_info(
    today: NaiveDate,
    contract_end_date: NaiveDate,
    monthly_pence: i64,
    outstanding_balance_pence: i64,
) -> SwitchingInfo {
    let remaining = remaining_months(today, contract_end_date);
    SwitchingInfo {
        contract_end_date,
        remaining_months: remaining,
        monthly_pence,
        early_termination_pence: remaining * monthly_pence,
        outstanding_balance_pence,
    }
}

/// The switching requests a connection may make: a PAC (port the number
/// out), a STAC (leave, number given up), or only the information (the
/// early-termination figures).
pub const REQUEST_KINDS: [&str; 3] = ["RequestPac", "RequestStac", "RequestInfo"];

/// Checks a switching request's kind.
pub fn check_request_kind(kind: &str) -> Result<(), Error> {
    if REQUEST_KINDS.contains(&kind) {
        return Ok(());
    }
    Err(Error::invalid("kind", "choose a PAC, a STAC or the information"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_used_pac_ports_out_and_a_stac_ceases_once_and_before_expiry() {
        use chrono::TimeZone;
        assert_eq!(CodeKind::Pac.ends_in(), ConnectionStatus::PortedOut);
        assert_eq!(CodeKind::Stac.ends_in(), ConnectionStatus::Ceased);
        let at = |d| chrono::Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
        assert!(CodeKind::Pac.check_use("ABC123456", None, at(20), at(10)).is_ok());
        let used = CodeKind::Pac.check_use("ABC123456", Some(at(5)), at(20), at(10)).unwrap_err();
        assert!(
            matches!(&used, Error::Conflict(m) if m == "PAC ABC123456 was used on 2026-03-05"),
            "{used:?}"
        );
        let expired = CodeKind::Stac.check_use("123456ABC", None, at(10), at(10)).unwrap_err();
        assert_eq!(expired.field(), Some("code"));
        assert!(expired.to_string().contains("STAC 123456ABC expired on 2026-03-10"), "{expired}");
    }

    #[test]
    fn pac_and_stac_requests_ask_for_their_codes_and_no_other_kind_does() {
        assert_eq!(CodeKind::requested_by("RequestPac"), Some(CodeKind::Pac));
        assert_eq!(CodeKind::requested_by("RequestStac"), Some(CodeKind::Stac));
        for other in ["RequestInfo", "AddBar", "ChangeSim", ""] {
            assert_eq!(CodeKind::requested_by(other), None, "{other}");
        }
    }

    #[test]
    fn pacs() {
        assert_eq!(parse_pac("abc123456", "pacCode").unwrap(), "ABC123456");
        for bad in ["AB1234567", "ABC12345", "ABC1234567", "123456ABC", "ÄBC123456", ""] {
            assert!(parse_pac(bad, "pacCode").is_err(), "{bad}");
        }
    }

    #[test]
    fn an_issued_code_must_be_of_the_kind_asked() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z").unwrap().to_utc();
        let (code, until) = CodeKind::Pac.issued("abc123456", now).unwrap();
        assert_eq!(code, "ABC123456");
        assert_eq!(until, now + chrono::Duration::days(30));
        assert!(CodeKind::Stac.issued("ABC123456", now).unwrap_err().contains("not a STAC"));
        assert!(CodeKind::Pac.issued("NET-REF-1", now).is_err());
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_remaining() {
        let today = d("2026-11-22");
        assert_eq!(remaining_months(today, d("2026-11-22")), 0);
        assert_eq!(remaining_months(today, d("2026-10-01")), 0, "ended");
        assert_eq!(remaining_months(today, d("2026-11-25")), 1, "a part month");
        assert_eq!(remaining_months(today, d("2026-12-22")), 1);
        assert_eq!(remaining_months(today, d("2026-12-23")), 2);
        assert_eq!(remaining_months(today, d("2027-05-22")), 6);
        assert_eq!(remaining_months(today, d("2028-11-21")), 24);
        assert_eq!(remaining_months(d("2026-01-31"), d("2026-02-28")), 1);
        assert_eq!(remaining_months(d("2026-01-31"), d("2026-03-01")), 2);
    }

    #[test]
    fn info_works_out_the_early_termination_charge() {
        let i = switching_info(d("2026-11-22"), d("2027-05-22"), 1800, 2350);
        assert_eq!(i.remaining_months, 6);
        assert_eq!(i.early_termination_pence, 6 * 1800);
        assert_eq!(i.outstanding_balance_pence, 2350);
        let out = switching_info(d("2026-11-22"), d("2025-01-01"), 1800, 0);
        assert_eq!(out.early_termination_pence, 0, "out of contract: nothing to pay");
    }

    #[test]
    fn made_codes_have_their_shape() {
        for n in [0u64, 1, 17_575, 17_576, 123_456_789_012, u64::MAX] {
            let pac = CodeKind::Pac.make(n);
            assert_eq!(parse_pac(&pac, "c").unwrap(), pac);
            assert_eq!(CodeKind::of(&pac).unwrap().0, CodeKind::Pac);
            let stac = CodeKind::Stac.make(n);
            assert_eq!(parse_stac(&stac, "c").unwrap(), stac);
            assert_eq!(CodeKind::of(&stac).unwrap().0, CodeKind::Stac);
        }
        assert_ne!(CodeKind::Pac.make(1), CodeKind::Pac.make(2));
        assert!(CodeKind::of("ABC12345X").is_err());
    }

    #[test]
    fn stacs() {
        assert_eq!(parse_stac("123456abc", "stacCode").unwrap(), "123456ABC");
        for bad in ["ABC123456", "12345ABCD", "123456AB", ""] {
            let e = parse_stac(bad, "stacCode").unwrap_err();
            assert!(matches!(e, Error::Invalid { ref field, .. } if field == "stacCode"));
        }
    }

    #[test]
    fn a_switching_request_is_a_pac_a_stac_or_the_information() {
        for k in REQUEST_KINDS {
            assert!(check_request_kind(k).is_ok());
        }
        for k in ["", "RequestPAC", "AddBar", "RequestPac "] {
            assert!(check_request_kind(k).is_err(), "{k:?}");
        }
    }
}
