//! The core error: what went wrong, in terms each API face maps once to its
//! own wire shape.

/// A domain error. Each API face maps every variant to one status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    /// A valid request a rule forbids (the 402 of the mobile API).
    #[error("{0}")]
    Refused(String),
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

    /// Shorthand for a missing required parameter.
    pub fn missing(field: &str) -> Self {
        Error::invalid(field, "is required")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
