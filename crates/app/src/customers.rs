//! Customers: creating one (checked by `domain::customer`, written with its
//! audit row).

use crate::{App, Done, Key, Principal, Result};
use domain::customer::CustomerInput;
use domain::Scope;
use serde::{Deserialize, Serialize};

/// A customer made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCreated {
    pub customer_id: i64,
}

impl App {
    /// CreateCustomer: a customer of the caller's partner.
    pub async fn create_customer(
        &self,
        who: &Principal,
        key: Option<Key<'_>>,
        input: CustomerInput,
    ) -> Result<Done<CustomerCreated>> {
        who.require(Scope::Customers)?;
        self.keyed(who, key, async |tx| {
            let customer = input.validate()?;
            let row = store::customers::insert(
                tx,
                self.store.now(),
                &who.actor,
                who.partner_id,
                &customer,
            )
            .await?;
            Ok(CustomerCreated {
                customer_id: row.id,
            })
        })
        .await
    }
}
