//! The staff portal's rules: who its users are (roles), what a user name
//! and a password must be, and when repeated failed logins lock an
//! account (with a back-off that doubles).

use crate::{Error, Result, Scope, Scopes};
use chrono::{DateTime, Duration, Utc};

/// What a portal user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Platform staff: every partner's records, and administration.
    PlatformAdmin,
    /// A partner's administrator: its records, its users and credentials.
    PartnerAdmin,
    /// A partner's agent: its records.
    PartnerAgent,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::PlatformAdmin, Role::PartnerAdmin, Role::PartnerAgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform-admin",
            Role::PartnerAdmin => "partner-admin",
            Role::PartnerAgent => "partner-agent",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text.trim().to_ascii_lowercase()).ok_or_else(
            || {
                Error::invalid(
                    field,
                    format!(
                        "{text:?} is not one of platform-admin, partner-admin or partner-agent"
                    ),
                )
            },
        )
    }

    /// The scopes the portal acts with for a user of this role: every
    /// scope of the partner's records; `admin` (every partner) for
    /// platform staff.
    pub fn scopes(self) -> Scopes {
        let names: Vec<&str> = Scope::ALL
            .iter()
            .filter(|s| self == Role::PlatformAdmin || **s != Scope::Admin)
            .map(|s| s.as_str())
            .collect();
        Scopes::parse(&names.join(" ")).expect("known scopes")
    }

    /// Whether the role administers users and credentials.
    pub fn administers(self) -> bool {
        matches!(self, Role::PlatformAdmin | Role::PartnerAdmin)
    }

    /// Refuses, unless this is platform staff: only they create partners
    /// (and whatever else spans them); `what` says what was asked.
    pub fn check_platform(self, what: &str) -> Result<()> {
        if self == Role::PlatformAdmin {
            Ok(())
        } else {
            Err(Error::Refused { field: None, message: format!("only platform staff {what}") })
        }
    }

    /// Refuses, unless this role administers users and credentials.
    pub fn check_administers(self) -> Result<()> {
        if self.administers() {
            Ok(())
        } else {
            Err(Error::Refused {
                field: None,
                message: "only an administrator manages users and credentials".into(),
            })
        }
    }

    /// Whether a user of this role may make a portal user of `other`: an
    /// administrator makes users of its own rank or below; only platform
    /// staff make platform staff.
    pub fn may_grant_role(self, other: Role) -> Result<()> {
        self.check_administers()?;
        if other == Role::PlatformAdmin && self != Role::PlatformAdmin {
            return Err(Error::invalid(
                "role",
                "only a platform administrator makes platform administrators",
            ));
        }
        Ok(())
    }

    /// The scopes a user of this role may give an API client: those it
    /// acts with itself, at least one.
    pub fn may_grant_scopes(self, scopes: Scopes) -> Result<()> {
        self.check_administers()?;
        scopes.check_some()?;
        if !self.scopes().covers(scopes) {
            return Err(Error::invalid(
                "scopes",
                "an API client cannot have a scope its maker lacks (admin is for platform staff)",
            ));
        }
        Ok(())
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Role> {
        Role::parse("role", s)
    }
}

impl TryFrom<String> for Role {
    type Error = Error;
    fn try_from(s: String) -> Result<Role> {
        s.parse()
    }
}

/// Checks a user name: 3–64 of lower-case letters, digits and `.-_@`.
pub fn check_username(text: &str) -> Result<String> {
    let u = text.trim().to_ascii_lowercase();
    let ok = (3..=64).contains(&u.len())
        && u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
    if !ok {
        return Err(Error::invalid(
            "username",
            "3 to 64 letters, digits, dots, dashes, underscores or @",
        ));
    }
    Ok(u)
}

/// Checks a new password: at least 12 characters, at most 200.
pub fn check_password(text: &str) -> Result<()> {
    let n = text.chars().count();
    if n < 12 {
        return Err(Error::invalid("password", "at least 12 characters"));
    }
    if n > 200 {
        return Err(Error::invalid("password", "at most 200 characters"));
    }
    Ok(())
}

/// Failed logins in a row before an account locks.
pub const FREE_FAILURES: i64 = 5;
/// The first lock; each further failure doubles it, up to [`MAX_LOCK`].
pub const FIRST_LOCK_SECS: i64 = 30;
pub const MAX_LOCK_SECS: i64 = 15 * 60;

/// Until when an account that has failed `failures` times in a row, the
/// last at `last_failure`, is locked (`None`: not locked).
pub fn locked_until(failures: i64, last_failure: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let extra = failures - FREE_FAILURES;
    if extra < 0 {
        return None;
    }
    let secs = FIRST_LOCK_SECS.saturating_mul(1 << extra.min(10)).min(MAX_LOCK_SECS);
    last_failure.map(|at| at + Duration::seconds(secs))
}

/// Whether an account is locked at `now`.
pub fn is_locked(failures: i64, last_failure: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    locked_until(failures, last_failure).is_some_and(|until| now < until)
}

/// How long a portal session lives without use, and at most.
pub const IDLE_SECS: i64 = 8 * 3600;
pub const MAX_SESSION_SECS: i64 = 7 * 24 * 3600;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_platform_staff_act_across_partners() {
        assert!(Role::PlatformAdmin.check_platform("create partners").is_ok());
        for r in [Role::PartnerAdmin, Role::PartnerAgent] {
            let e = r.check_platform("create partners").unwrap_err();
            assert_eq!(e.to_string(), "only platform staff create partners");
        }
    }

    #[test]
    fn only_administrators_grant_and_never_above_themselves() {
        let all = Scopes::all();
        let partner = Role::PartnerAdmin.scopes();
        assert!(Role::PartnerAgent.check_administers().is_err());
        assert!(Role::PartnerAgent.may_grant_role(Role::PartnerAgent).is_err());
        assert!(Role::PartnerAdmin.may_grant_role(Role::PartnerAgent).is_ok());
        assert!(Role::PartnerAdmin.may_grant_role(Role::PartnerAdmin).is_ok());
        assert!(Role::PartnerAdmin.may_grant_role(Role::PlatformAdmin).is_err());
        assert!(Role::PlatformAdmin.may_grant_role(Role::PlatformAdmin).is_ok());
        assert!(Role::PartnerAdmin.may_grant_scopes(partner).is_ok());
        assert!(Role::PartnerAdmin.may_grant_scopes(all).is_err(), "admin scope");
        assert!(Role::PlatformAdmin.may_grant_scopes(all).is_ok());
        assert!(Role::PartnerAdmin.may_grant_scopes(Scopes::parse("").unwrap()).is_err());
        assert!(Role::PartnerAgent.may_grant_scopes(partner).is_err());
    }

    #[test]
    fn repeated_failures_lock_with_a_doubling_back_off() {
        let t = Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap();
        assert_eq!(locked_until(4, Some(t)), None, "four failures are free");
        assert_eq!(locked_until(5, Some(t)), Some(t + Duration::seconds(30)));
        assert_eq!(locked_until(6, Some(t)), Some(t + Duration::seconds(60)));
        assert_eq!(locked_until(40, Some(t)), Some(t + Duration::seconds(MAX_LOCK_SECS)));
        assert!(is_locked(5, Some(t), t + Duration::seconds(29)));
        assert!(!is_locked(5, Some(t), t + Duration::seconds(30)));
    }

    #[test]
    fn users_and_roles() {
        assert_eq!(check_username(" Jane.Smith@North "), Ok("jane.smith@north".into()));
        assert!(check_username("jo").is_err());
        assert!(check_username("jane smith").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("a long enough password").is_ok());
        assert_eq!(Role::parse("role", "Partner-Admin"), Ok(Role::PartnerAdmin));
        assert!(Role::parse("role", "boss").is_err());
        assert!(Role::PlatformAdmin.scopes().contains(Scope::Admin));
        assert!(!Role::PartnerAgent.scopes().contains(Scope::Admin));
        assert!(Role::PartnerAgent.scopes().contains(Scope::Customers));
        assert!(!Role::PartnerAgent.administers());
    }
}
