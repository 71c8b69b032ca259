//! Lists under one parent record (a customer's connections, orders,
//! tasks and alerts; a contract's requests), one use case for them all:
//! the scope each kind of row needs checked, the tenancy given, and the
//! parent not visible answered as "customer 7 not found".

use crate::error::missing;
use crate::{App, Principal, Result};
use domain::paging::PageRequest;
use domain::Scope;
use store::alerts::AlertRow;
use store::connections::ConnectionRow;
use store::orders::OrderRow;
use store::read::Listing;
use store::requests::RequestRow;
use store::tasks::TaskRow;

/// Rows listed under a parent, and the scope that reads them.
pub trait Listed: Listing {
    const SCOPE: Scope;
}

impl Listed for ConnectionRow {
    const SCOPE: Scope = Scope::Connections;
}

impl Listed for RequestRow {
    const SCOPE: Scope = Scope::Connections;
}

impl Listed for OrderRow {
    const SCOPE: Scope = Scope::Orders;
}

impl Listed for TaskRow {
    const SCOPE: Scope = Scope::Tasks;
}

impl Listed for AlertRow {
    const SCOPE: Scope = Scope::Usage;
}

impl App {
    /// A page of the rows under a parent the caller sees, with the total:
    /// GetConnectionByCustomerId, GetOrdersForCustomer,
    /// GetTasksForCustomer, GetAlerts, GetRequestsForContract, and the
    /// portal's tabs.
    pub async fn page_under<R: Listed>(
        &self,
        who: &Principal,
        parent_id: i64,
        page: PageRequest,
    ) -> Result<(Vec<R>, i64)> {
        let vis = who.visibility_for(R::SCOPE)?;
        let rows = self.store.page_under::<R>(vis, parent_id, page).await;
        rows.map_err(missing(R::PARENT.name(), parent_id))
    }
}
