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
    /// No such record visible to the caller (another partner's record too).
    #[error("{0}")]
    NotFound(String),
    /// Conflicts with the current state of a record.
    #[error("{0}")]
    Conflict(String),
    /// A valid request a rule forbids (the 402 of the mobile API), naming
    /// the field the rule is about when there is one.
    #[error("{}", with_field(field.as_deref(), message))]
    Refused {
        field: Option<String>,
        message: String,
    },
    /// A conflict that passes: something was busy; the same request
    /// retried shortly should succeed. Never stored under an idempotency key.
    #[error("{0}")]
    Busy(String),
    /// Several problems found at once (SubmitOrder): each names its mobile
    /// and field. `message` summarises them.
    #[error("{message}")]
    Problems {
        message: String,
        problems: Vec<crate::ordering::Problem>,
    },
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A rule forbids the value of `field`.
    pub fn refused(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Refused {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A rule forbids the request as a whole.
    pub fn refused_whole(message: impl Into<String>) -> Self {
        Error::Refused {
            field: None,
            message: message.into(),
        }
    }

    /// The field at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => Some(field),
            Error::Refused { field, .. } => field.as_deref(),
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
            Error::NotFound("order 7 not found".into()),
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
        assert_eq!(
            r.to_string(),
            "enableBillCap: tariff 3 is not bill-cap eligible"
        );
        assert_eq!(Error::refused_whole("barred as stolen").field(), None);
    }
}
