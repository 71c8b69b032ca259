//! Call diverts: the four GSM call-forwarding kinds, their destination and
//! no-reply timer, and how an unconditional divert overrides the others.

use crate::number::parse_uk_phone;
use crate::Error;

/// The divert kinds (3GPP TS 22.082).
pub const KINDS: [&str; 4] = ["CFU", "CFB", "CFNRy", "CFNRc"];

/// The default and allowed no-reply timer of CFNRy, in seconds.
pub const NO_REPLY_DEFAULT: i64 = 20;
pub const NO_REPLY_RANGE: std::ops::RangeInclusive<i64> = 5..=30;

/// Parses a divert type, case-insensitively, answering its canonical name.
pub fn parse_kind(text: &str) -> Result<&'static str, Error> {
    KINDS.iter().find(|k| k.eq_ignore_ascii_case(text.trim())).copied().ok_or_else(|| {
        Error::invalid(
            "divertType",
            format!("{text:?} is not a divert type; expected CFU, CFB, CFNRy or CFNRc"),
        )
    })
}

/// Checks a divert's destination: a UK number, not the connection's own,
/// not premium rate (09…), not a 087 service number or 118 directory
/// enquiries. Answers it in national form.
pub fn parse_destination(text: &str, own_cli: &str) -> Result<String, Error> {
    let d = parse_uk_phone(text).map_err(|m| Error::invalid("destination", m))?;
    if d == own_cli {
        return Err(Error::invalid("destination", "a connection cannot divert to its own number"));
    }
    if d.starts_with("09") || d.starts_with("087") || d.starts_with("0118") {
        return Err(Error::invalid(
            "destination",
            format!("{d} is a premium-rate or service number; diverts to those are barred"),
        ));
    }
    Ok(d)
}

/// The no-reply timer: only with CFNRy, 5 to 30 seconds, default 20.
pub fn no_reply_seconds(kind: &str, given: Option<i64>) -> Result<Option<i64>, Error> {
    match (kind, given) {
        ("CFNRy", None) => Ok(Some(NO_REPLY_DEFAULT)),
        ("CFNRy", Some(s)) if NO_REPLY_RANGE.contains(&s) => Ok(Some(s)),
        ("CFNRy", Some(s)) => {
            Err(Error::invalid("noReplySeconds", format!("{s} is outside 5 to 30 seconds")))
        }
        (_, None) => Ok(None),
        (k, Some(_)) => Err(Error::invalid(
            "noReplySeconds",
            format!("only a CFNRy divert has a no-reply timer, not {k}"),
        )),
    }
}

/// Whether a divert of `kind` is in force given the kinds set: an
/// unconditional divert (CFU) overrides the conditional ones.
pub fn in_force(kind: &str, set: &[&str]) -> bool {
    kind == "CFU" || !set.contains(&"CFU")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(parse_kind("cfnry").unwrap(), "CFNRy");
        assert!(parse_kind("CFX").is_err());
    }

    #[test]
    fn destinations() {
        assert_eq!(parse_destination("+44 113 496 0000", "07700900001").unwrap(), "01134960000");
        for (bad, own) in [
            ("07700900001", "07700900001"),
            ("09098790000", "07700900001"),
            ("08712345678", "07700900001"),
            ("12", "07700900001"),
        ] {
            assert!(
                matches!(parse_destination(bad, own), Err(Error::Invalid { ref field, .. }) if field == "destination"),
                "{bad}"
            );
        }
    }

    #[test]
    fn timers() {
        assert_eq!(no_reply_seconds("CFNRy", None).unwrap(), Some(20));
        assert_eq!(no_reply_seconds("CFNRy", Some(5)).unwrap(), Some(5));
        assert!(no_reply_seconds("CFNRy", Some(31)).is_err());
        assert!(no_reply_seconds("CFB", Some(10)).is_err());
        assert_eq!(no_reply_seconds("CFU", None).unwrap(), None);
    }

    #[test]
    fn cfu_overrides() {
        assert!(in_force("CFB", &["CFB", "CFNRc"]));
        assert!(!in_force("CFB", &["CFB", "CFU"]));
        assert!(in_force("CFU", &["CFB", "CFU"]));
    }
}
