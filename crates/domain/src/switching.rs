//! Switching codes under Ofcom's text-to-switch rules: the PAC (keep the
//! number) and the STAC (leave without it).

use crate::Error;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacs() {
        assert_eq!(parse_pac("abc123456", "pacCode").unwrap(), "ABC123456");
        for bad in [
            "AB1234567",
            "ABC12345",
            "ABC1234567",
            "123456ABC",
            "ÄBC123456",
            "",
        ] {
            assert!(parse_pac(bad, "pacCode").is_err(), "{bad}");
        }
    }

    #[test]
    fn stacs() {
        assert_eq!(parse_stac("123456abc", "stacCode").unwrap(), "123456ABC");
        for bad in ["ABC123456", "12345ABCD", "123456AB", ""] {
            let e = parse_stac(bad, "stacCode").unwrap_err();
            assert!(matches!(e, Error::Invalid { ref field, .. } if field == "stacCode"));
        }
    }
}
