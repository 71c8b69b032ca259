//! The core error: what went wrong, in terms each API face maps once to its
//! own wire shape.

/// A domain error. Each API face maps every variant to one status code.
/// It is data: a kind, a stable code, the field at fault when one is, and
/// a message; stored as JSON under an idempotency key so a repeated
/// request gets the same refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Error {
    /// Bad input: `field` names the parameter, `message` says what is wrong.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// No such record visible to the caller (another partner's record too),
    /// naming the parameter that pointed at it when one did.
    #[error("{0}")]
    NotFound(Missing),
    /// Conflicts with the current state of a record.
    #[error("{0}")]
    Conflict(String),
    /// A valid request a rule forbids (the 402 of the mobile API), naming
    /// the field the rule is about when there is one.
    #[error("{}", with_field(field.as_deref(), message))]
    Refused { field: Option<String>, message: String },
    /// A conflict that passes: something was busy; the same request
    /// retried shortly should succeed. Never stored under an idempotency key.
    #[error("{0}")]
    Busy(String),
    /// Several problems found at once (SubmitOrder): each names its mobile
    /// and field. `message` summarises them.
    #[error("{message}")]
    Problems { message: String, problems: Vec<crate::ordering::Problem> },
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { field: field.into(), message: message.into() }
    }

    /// No such record (or none the caller may see).
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::NotFound(Missing { field: None, message: message.into() })
    }

    /// No record for the value of `field` (e.g. `agreementId`).
    pub fn not_found_by(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::NotFound(Missing { field: Some(field.into()), message: message.into() })
    }

    /// A rule forbids the value of `field`.
    pub fn refused(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Refused { field: Some(field.into()), message: message.into() }
    }

    /// A rule forbids the request as a whole.
    pub fn refused_whole(message: impl Into<String>) -> Self {
        Error::Refused { field: None, message: message.into() }
    }

    /// The field at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => Some(field),
            Error::Refused { field, .. } => field.as_deref(),
            Error::NotFound(m) => m.field.as_deref(),
            _ => None,
        }
    }

    /// Shorthand for a missing required parameter.
    pub fn missing(field: &str) -> Self {
        Error::invalid(field, "is required")
    }

    /// A stable code naming the kind of error, for clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Refused { .. } => "refused",
            Error::Busy(_) => "busy",
            Error::Problems { .. } => "problems",
        }
    }

    /// Whether the same request, retried, may well succeed: such answers
    /// are never stored under an idempotency key.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Busy(_))
    }
}

/// What was not found: the message, and the parameter that pointed at it
/// when one did. Stored as the bare message when no parameter is named, so
/// answers stored under an idempotency key before the field existed (and
/// readers from before it) still read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "MissingForm", into = "MissingForm")]
pub struct Missing {
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// [`Missing`] as stored: the message alone, or with its field.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum MissingForm {
    Message(String),
    Full { field: String, message: String },
}

impl From<MissingForm> for Missing {
    fn from(f: MissingForm) -> Self {
        match f {
            MissingForm::Message(message) => Missing { field: None, message },
            MissingForm::Full { field, message } => Missing { field: Some(field), message },
        }
    }
}

impl From<Missing> for MissingForm {
    fn from(m: Missing) -> Self {
        match m.field {
            None => MissingForm::Message(m.message),
            Some(field) => MissingForm::Full { field, message: m.message },
        }
    }
}

/// `field: message`, or the message alone.
fn with_field(field: Option<&str>, message: &str) -> String {
    match field {
        Some(f) => format!("{f}: {message}"),
        None => message.to_owned(),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_data_that_round_trip() {
        for e in [
            Error::invalid("customerId", "must be a whole number"),
            Error::not_found("order 7 not found"),
            Error::not_found_by("agreementId", "agreement 7 not found"),
            Error::Busy("the number pool is busy; try again".into()),
            Error::Problems {
                message: "Order 1 has 1 problem".into(),
                problems: vec![crate::ordering::Problem::new(Some(3), "pacCode", "expired")],
            },
        ] {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Error>(&json).unwrap(), e, "{json}");
        }
        assert!(Error::Busy("x".into()).is_retryable());
        assert!(!Error::Conflict("x".into()).is_retryable());
        assert_eq!(Error::missing("contact").code(), "invalid");
        let r = Error::refused("enableBillCap", "tariff 3 is not bill-cap eligible");
        assert_eq!(r.field(), Some("enableBillCap"));
        assert_eq!(r.to_string(), "enableBillCap: tariff 3 is not bill-cap eligible");
        assert_eq!(Error::refused_whole("barred as stolen").field(), None);
        assert_eq!(Error::not_found_by("agreementId", "x").field(), Some("agreementId"));
    }

    #[test]
    fn a_not_found_stored_before_it_named_its_field_still_reads() {
        let old = r#"{"kind":"not_found","detail":"order 7 not found"}"#;
        let e: Error = serde_json::from_str(old).unwrap();
        assert_eq!(e, Error::not_found("order 7 not found"));
        assert_eq!(serde_json::to_string(&e).unwrap(), old, "stored as before");
        assert_eq!(e.to_string(), "order 7 not found");
    }
}
