//! The use cases' error: a domain refusal (kind, code, field, message), a
//! missing scope, or a fault of ours. Each face renders it once.

/// What a use case answers when it does not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule or check refused the command; see [`domain::Error`].
    #[error(transparent)]
    Rule(#[from] domain::Error),
    /// The caller lacks the scope the operation needs.
    #[error("this call needs the {0} scope")]
    Forbidden(domain::Scope),
    /// A fault of ours (storage, a corrupt row); logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// Whether the same request, retried, may well succeed (never stored
    /// under an idempotency key).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Rule(e) => e.is_retryable(),
            Error::Forbidden(_) => false,
            Error::Internal(_) => true,
        }
    }
}

/// Maps a storage error for a record the caller named: a missing one is
/// "`what` `id` not found" (`.map_err(missing("customer", id))`).
pub fn missing(
    what: &'static str,
    id: impl std::fmt::Display,
) -> impl FnOnce(store::StoreError) -> Error {
    move |err| not_found_or(err, || domain::Error::not_found(format!("{what} {id} not found")))
}

/// [`missing`] for a record named by the parameter `field` (e.g.
/// `agreementId`), which the not-found names as data.
pub fn missing_by(
    field: &'static str,
    what: &'static str,
    id: impl std::fmt::Display,
) -> impl FnOnce(store::StoreError) -> Error {
    move |err| {
        not_found_or(err, || domain::Error::not_found_by(field, format!("{what} {id} not found")))
    }
}

/// `err`, with a not-found replaced by `named`.
fn not_found_or(err: store::StoreError, named: impl FnOnce() -> domain::Error) -> Error {
    match err {
        store::StoreError::NotFound => Error::Rule(named()),
        other => Error::from(other),
    }
}

impl From<store::StoreError> for Error {
    fn from(e: store::StoreError) -> Self {
        use store::StoreError as S;
        match e {
            S::NotFound => Error::Rule(domain::Error::not_found("not found")),
            S::Conflict(m) => Error::Rule(domain::Error::Conflict(m)),
            S::Rule(e) => Error::Rule(e),
            other => Error::Internal(other.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
