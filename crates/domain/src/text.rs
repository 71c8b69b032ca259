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
}
