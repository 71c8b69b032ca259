//! Customers: creating one (checked by `domain::customer`, written with its
//! audit row).

use crate::error::missing;
use crate::{App, Done, Key, Principal, Result};
use domain::customer::CustomerInput;
use domain::paging::PageRequest;
use domain::Scope;
use serde::{Deserialize, Serialize};
use store::customers::CustomerRow;

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
            Ok(CustomerCreated { customer_id: row.id })
        })
        .await
    }

    /// Changes a visible customer's details, checked as CreateCustomer's.
    pub async fn update_customer(
        &self,
        who: &Principal,
        id: i64,
        input: CustomerInput,
    ) -> Result<CustomerRow> {
        who.require(Scope::Customers)?;
        let customer = input.validate()?;
        self.store
            .customers()
            .update_customer(&who.actor, who.visibility(), id, &customer)
            .await
            .map_err(missing("customer", id))
    }

    /// GetCustomerDetails: one customer visible to the caller.
    pub async fn customer(&self, who: &Principal, id: i64) -> Result<CustomerRow> {
        let vis = who.visibility_for(Scope::Customers)?;
        self.store.customers().get_customer(vis, id).await.map_err(missing("customer", id))
    }

    /// The caller's customers, newest first, optionally searched; with the
    /// total.
    pub async fn customers(
        &self,
        who: &Principal,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<(Vec<CustomerRow>, i64)> {
        who.require(Scope::Customers)?;
        let search = domain::paging::check_search("search", search)?;
        Ok(self.store.customers().list_customers(who.visibility(), &search, page).await?)
    }
}
