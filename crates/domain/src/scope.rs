//! What an API client or user may do.

use crate::Error;
use std::fmt;

/// One permission. `Admin` is platform staff: it sees every partner's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Customers,
    Connections,
    Orders,
    Tasks,
    Usage,
    Isp,
    Agreements,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::Customers,
        Scope::Connections,
        Scope::Orders,
        Scope::Tasks,
        Scope::Usage,
        Scope::Isp,
        Scope::Agreements,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Customers => "customers",
            Scope::Connections => "connections",
            Scope::Orders => "orders",
            Scope::Tasks => "tasks",
            Scope::Usage => "usage",
            Scope::Isp => "isp",
            Scope::Agreements => "agreements",
            Scope::Admin => "admin",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, written on the wire and in storage as a space- or
/// comma-separated list (`"customers connections"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u16);

impl Scopes {
    /// Parses a list of scope names; an unknown name is an error naming it.
    pub fn parse(text: &str) -> Result<Scopes, Error> {
        let mut s = Scopes::default();
        for name in text.split([' ', ',']).filter(|n| !n.is_empty()) {
            let scope = Scope::ALL.iter().find(|sc| sc.as_str() == name).ok_or_else(|| {
                Error::invalid(
                    "scopes",
                    format!(
                        "unknown scope {name:?}; known scopes: {}",
                        Scopes::all().to_string().replace(' ', ", ")
                    ),
                )
            })?;
            s.0 |= scope.bit();
        }
        Ok(s)
    }

    pub fn all() -> Scopes {
        Scopes(Scope::ALL.iter().fold(0, |acc, s| acc | s.bit()))
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// A new credential's scopes: refused when there are none.
    pub fn check_some(self) -> Result<Scopes, Error> {
        if self.is_empty() {
            return Err(Error::invalid("scopes", "choose at least one scope"));
        }
        Ok(self)
    }

    /// Whether every scope of `other` is in `self`.
    pub fn covers(self, other: Scopes) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(s.to_owned()))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

/// Checks a new API client: at least one scope, and a description of at
/// most 200 characters (trimmed).
pub fn check_client(scopes: Scopes, description: &str) -> Result<&str, Error> {
    scopes.check_some()?;
    crate::text::check_description(description)
}

/// Checks that an API user may be given a token: not a disabled one.
pub fn check_token_holder(username: &str, disabled: bool) -> Result<(), Error> {
    if disabled {
        return Err(Error::Conflict(format!("user {username:?} is disabled")));
    }
    Ok(())
}

/// Checks a new API user: a name of 1 to 64 characters with no spaces or
/// colons (Basic authentication splits at the first colon), a password as
/// any other ([`crate::portal::check_password`]), and at least one scope.
pub fn check_api_user(username: &str, password: &str, scopes: &Scopes) -> Result<(), Error> {
    let ok = (1..=64).contains(&username.len())
        && !username.contains(':')
        && !username.chars().any(char::is_whitespace);
    if !ok {
        return Err(Error::invalid("username", "1 to 64 characters with no spaces or colons"));
    }
    crate::portal::check_password(password)?;
    scopes.check_some()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown_names() {
        let s = Scopes::parse("customers,connections admin").unwrap();
        assert!(s.contains(Scope::Customers) && s.contains(Scope::Admin));
        assert!(!s.contains(Scope::Orders));
        assert_eq!(s.to_string(), "customers connections admin");
        assert_eq!(Scopes::parse(&s.to_string()).unwrap(), s);
        let e = Scopes::parse("customers, root").unwrap_err();
        assert!(e.to_string().contains("\"root\""));
        assert!(Scopes::parse("").unwrap().is_empty());
    }

    #[test]
    fn covers() {
        let all = Scopes::all();
        let some = Scopes::parse("orders").unwrap();
        assert!(all.covers(some));
        assert!(!some.covers(all));
    }

    #[test]
    fn an_api_user_has_a_plain_name_a_long_password_and_a_scope() {
        let some = Scopes::parse("customers").unwrap();
        let good = "a-long-password";
        assert!(check_api_user("crm-sync", good, &some).is_ok());
        for (name, password, scopes, field) in [
            ("", good, "customers", "username"),
            ("has space", good, "customers", "username"),
            ("has:colon", good, "customers", "username"),
            (&*"x".repeat(65), good, "customers", "username"),
            ("crm-sync", "short", "customers", "password"),
            ("crm-sync", good, "", "scopes"),
        ] {
            let scopes = Scopes::parse(scopes).unwrap();
            match check_api_user(name, password, &scopes) {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{name:?}"),
                other => panic!("{name:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_api_client_has_a_scope_and_a_short_description() {
        let some = Scopes::parse("orders").unwrap();
        assert_eq!(check_client(some, "  crm sync ").unwrap(), "crm sync");
        assert!(check_client(some, &"d".repeat(200)).is_ok());
        assert!(check_client(some, &"d".repeat(201)).is_err());
        assert!(check_client(Scopes::parse("").unwrap(), "x").is_err());
    }
}
