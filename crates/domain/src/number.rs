//! UK telephone numbers: a mobile CLI (MSISDN) and general contact numbers.

use crate::Error;
use serde::{Serialize, Serializer};
use std::fmt;

/// A UK mobile number (CLI), held in its one canonical national form
/// `07xxxxxxxxx`. Accepted as `07…`, `447…` or `+447…`, with spaces allowed
/// between digits; anything else is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cli(String);

impl Cli {
    /// Parses a CLI, naming `field` in the error.
    pub fn parse_field(text: &str, field: &str) -> Result<Cli, Error> {
        Cli::parse(text).map_err(|why| Error::invalid(field, why))
    }

    /// Parses a CLI, answering why it is not one.
    pub fn parse(text: &str) -> Result<Cli, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("is required".into());
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, trimmed),
        };
        if !rest.chars().all(|c| c.is_ascii_digit() || c == ' ') {
            return Err(format!(
                "{trimmed:?} is not a UK mobile number: only digits, spaces and a leading + are allowed"
            ));
        }
        let digits: String = rest.chars().filter(|c| *c != ' ').collect();
        let national = if plus || digits.starts_with("44") {
            match digits.strip_prefix("44") {
                Some(n) if !n.starts_with('0') => format!("0{n}"),
                _ => {
                    return Err(format!(
                        "{trimmed:?} is not a UK mobile number: expected +447… or 447…"
                    ))
                }
            }
        } else {
            digits
        };
        if national.len() != 11 || !national.starts_with("07") {
            return Err(format!(
                "{trimmed:?} is not a UK mobile number: expected 07 followed by 9 digits, 447… or +447…"
            ));
        }
        // 070 is personal numbering and 076 pagers (except 07624, the Isle
        // of Man's mobiles): neither is a mobile CLI.
        if national.starts_with("070")
            || (national.starts_with("076") && !national.starts_with("07624"))
        {
            return Err(format!(
                "{trimmed:?} is not a mobile number (070/076 ranges are not mobile)"
            ));
        }
        Ok(Cli(national))
    }

    /// The canonical national form, `07xxxxxxxxx`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The international form without `+`, `447xxxxxxxxx` (E.164 digits).
    pub fn e164(&self) -> String {
        format!("44{}", &self.0[1..])
    }

    /// Whether the number is in Ofcom's range reserved for drama and tests,
    /// 07700 900000–900999.
    pub fn is_drama_range(&self) -> bool {
        self.0.starts_with("07700900")
    }
}

impl fmt::Display for Cli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Cli {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Normalises a UK contact telephone number (landline or mobile) to its
/// national digits `0…` (10 or 11 digits). Accepts `0…`, `44…`, `+44…`,
/// with spaces, hyphens and brackets as people write them.
pub fn parse_uk_phone(text: &str) -> Result<String, String> {
    // "+44 (0)20 …" is how many UK businesses print their number.
    let owned = text.trim().replacen("(0)", "", 1);
    let t = owned.as_str();
    if !t.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '+'))
        || t.chars().skip(1).any(|c| c == '+')
    {
        return Err(format!("{:?} is not a UK telephone number", text.trim()));
    }
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let national = if t.starts_with('+') || digits.starts_with("44") {
        match digits.strip_prefix("44") {
            Some(n) if !n.starts_with('0') => format!("0{n}"),
            _ => return Err(format!("{t:?} is not a UK telephone number")),
        }
    } else {
        digits
    };
    if !national.starts_with('0')
        || !(10..=11).contains(&national.len())
        || national.starts_with("00")
    {
        return Err(format!(
            "{t:?} is not a UK telephone number: expected 0 followed by 9 or 10 digits"
        ));
    }
    Ok(national)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_forms_and_answers_one() {
        for input in
            ["07700900123", "447700900123", "+447700900123", "07700 900123", "+44 7700 900123"]
        {
            assert_eq!(Cli::parse(input).unwrap().as_str(), "07700900123", "{input}");
        }
        assert_eq!(Cli::parse("07700900123").unwrap().e164(), "447700900123");
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "0770090012",
            "077009001234",
            "01132345678",
            "+4407700900123",
            "4407700900123",
            "+337700900123",
            "07700-900123",
            "07700900I23",
            "'; DROP TABLE x;--",
            "07012345678",
            "07612345678",
            "++447700900123",
            "0044770090012",
        ] {
            assert!(Cli::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Cli::parse("07624123456").is_ok(), "Isle of Man mobiles are mobiles");
    }

    #[test]
    fn error_names_the_field() {
        let e = Cli::parse_field("123", "cli").unwrap_err();
        assert!(matches!(e, Error::Invalid { ref field, .. } if field == "cli"));
    }

    #[test]
    fn drama_range() {
        assert!(Cli::parse("07700900999").unwrap().is_drama_range());
        assert!(!Cli::parse("07700901000").unwrap().is_drama_range());
    }

    #[test]
    fn contact_phones() {
        assert_eq!(parse_uk_phone("0113 496 0000").unwrap(), "01134960000");
        assert_eq!(parse_uk_phone("+44 (0)20 7946 0000").unwrap(), "02079460000");
        assert_eq!(parse_uk_phone("+44 20 7946 0000").unwrap(), "02079460000");
        assert_eq!(parse_uk_phone("07700900123").unwrap(), "07700900123");
        assert!(parse_uk_phone("12345").is_err());
        assert!(parse_uk_phone("0044 20 7946 0000").is_err());
        assert!(parse_uk_phone("020 7946 0000 ext 5").is_err());
    }
}
