//! Free text that staff and integrators attach to records: its limits.

use crate::{Error, Result};

/// Checks a description (of an API client, token or webhook endpoint):
/// trimmed, at most 200 characters.
pub fn check_description(text: &str) -> Result<&str> {
    let t = text.trim();
    if t.chars().count() > 200 {
        return Err(Error::invalid("description", "at most 200 characters"));
    }
    Ok(t)
}

/// Checks a name given to a record (a partner): trimmed, 1 to 200
/// characters.
pub fn check_name(text: &str) -> Result<&str> {
    let t = text.trim();
    match t.chars().count() {
        0 => Err(Error::invalid("name", "is required")),
        1..=200 => Ok(t),
        _ => Err(Error::invalid("name", "at most 200 characters")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_is_trimmed_and_at_most_200_characters() {
        assert_eq!(check_description("  nightly sync ").unwrap(), "nightly sync");
        assert_eq!(check_description("").unwrap(), "");
        assert!(check_description(&"ø".repeat(200)).is_ok());
        match check_description(&"ø".repeat(201)) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "description"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_name_is_trimmed_required_and_at_most_200_characters() {
        assert_eq!(check_name("  Acme Dealers ").unwrap(), "Acme Dealers");
        assert!(check_name(&"n".repeat(200)).is_ok());
        for bad in ["", "   ", &"n".repeat(201)] {
            match check_name(bad) {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "name"),
                other => panic!("{other:?}"),
            }
        }
    }
}
