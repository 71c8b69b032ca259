//! The caller of a use case, however it authenticated (a JWT, HTTP Basic,
//! an API token, later a portal session): who to write in audit rows,
//! which partner's records it sees, what it may do.

use crate::{Error, Result};
use domain::{Scope, Scopes};
use store::Visibility;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// For audit rows: `client:sb_…` or `user:NAME`.
    pub actor: String,
    pub partner_id: i64,
    pub scopes: Scopes,
}

impl Principal {
    /// Platform staff (`admin`) see every partner; everyone else their own.
    pub fn visibility(&self) -> Visibility {
        if self.scopes.contains(Scope::Admin) {
            Visibility::All
        } else {
            Visibility::Partner(self.partner_id)
        }
    }

    /// The records the caller may see with `scope`: fails with
    /// [`Error::Forbidden`] unless it has the scope.
    pub fn visibility_for(&self, scope: Scope) -> Result<Visibility> {
        self.require(scope)?;
        Ok(self.visibility())
    }

    /// Fails with [`Error::Forbidden`] unless the caller has `scope`.
    pub fn require(&self, scope: Scope) -> Result<()> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(Error::Forbidden(scope))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_visibility() {
        let p = Principal {
            actor: "client:x".into(),
            partner_id: 7,
            scopes: Scopes::parse("customers orders").unwrap(),
        };
        assert_eq!(p.visibility(), Visibility::Partner(7));
        assert!(p.require(Scope::Orders).is_ok());
        assert!(matches!(p.require(Scope::Tasks), Err(Error::Forbidden(Scope::Tasks))));
        let admin = Principal { scopes: Scopes::parse("admin").unwrap(), ..p };
        assert_eq!(admin.visibility(), Visibility::All);
    }
}
