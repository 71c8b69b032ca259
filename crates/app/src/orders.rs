//! The order process: draft orders, mobiles on them (checked by
//! `domain::ordering`, numbers reserved from the pool), submission (every
//! problem at once, then the provisioning job).

use crate::error::missing;
use crate::{App, Done, Key, Principal, Result};
use domain::order::OrderEvent;
use domain::ordering::MobileInput;
use domain::Scope;
use serde::{Deserialize, Serialize};
use store::orders::{HistoryRow, OrderMobile, OrderRow};

/// An order and its status, as a write left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub order_id: i64,
    pub status: domain::order::OrderStatus,
}

/// A mobile added to an order, with its number when one was reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileAdded {
    pub order_mobile_id: i64,
    pub cli: Option<String>,
}

impl App {
    /// CreateDraftOrder: a draft for a customer visible to the caller.
    pub async fn create_draft_order(
        &self,
        who: &Principal,
        key: Option<Key<'_>>,
        customer_id: i64,
        reference: Option<String>,
    ) -> Result<Done<OrderState>> {
        who.require(Scope::Orders)?;
        self.keyed(who, key, async |tx| {
            let reference = domain::order::check_reference(reference.as_deref())?;
            let order = self
                .store
                .orders()
                .create_order(tx, &who.actor, who.visibility(), customer_id, &reference)
                .await
                .map_err(missing("customer", customer_id))?;
            Ok(OrderState { order_id: order.id, status: order.status })
        })
        .await
    }

    /// AddMobileToOrder: checks what does not wait for submission (formats,
    /// tariff, SIM, number, bill cap limits) as of today, then adds the
    /// mobile to the draft.
    pub async fn add_mobile_to_order(
        &self,
        who: &Principal,
        key: Option<Key<'_>>,
        order_id: i64,
        input: MobileInput,
    ) -> Result<Done<MobileAdded>> {
        who.require(Scope::Orders)?;
        self.keyed(who, key, async |tx| {
            let req = input.check(self.store.clock().today())?;
            let orders = self.store.orders();
            let facts = orders
                .mobile_facts(tx, who.visibility(), order_id, &req)
                .await
                .map_err(missing("order", order_id))?;
            let order = &facts.order;
            domain::order::check_changeable(order.id, order.status)?;
            if let Some(limits) = &facts.tariff {
                domain::ordering::check_tariff(&req, limits)?;
            }
            let holder = facts.holder.as_ref();
            domain::ordering::check_against_live(
                &req,
                order.customer_id,
                holder,
                facts.iccid_live,
            )?;
            let (id, cli) =
                orders.add_mobile(tx, &who.actor, who.visibility(), order, &req).await?;
            Ok(MobileAdded { order_mobile_id: id, cli })
        })
        .await
    }

    /// SubmitOrder: every problem at once (changing nothing), or the order
    /// Submitted with its provisioning queued.
    pub async fn submit_order(
        &self,
        who: &Principal,
        key: Option<Key<'_>>,
        order_id: i64,
    ) -> Result<Done<OrderState>> {
        who.require(Scope::Orders)?;
        self.keyed(who, key, async |tx| {
            let now = self.store.now();
            let orders = self.store.orders();
            let (order, mobiles) = orders
                .begin_submit(tx, &who.actor, who.visibility(), order_id)
                .await
                .map_err(missing("order", order_id))?;
            domain::ordering::check_submission(order_id, &mobiles, now.date_naive())?;
            orders.finish_submit(tx, order_id, now.timestamp_millis()).await?;
            Ok(OrderState { order_id, status: order.status })
        })
        .await
    }
}

/// An order whole: its row, its mobiles (with bundles and bars) and its
/// status history.
#[derive(Debug, Clone)]
pub struct OrderWhole {
    pub order: OrderRow,
    pub mobiles: Vec<OrderMobile>,
    pub history: Vec<HistoryRow>,
}

impl App {
    /// RemoveMobileFromOrder: a reserved number goes back to the pool.
    pub async fn remove_mobile_from_order(
        &self,
        who: &Principal,
        order_id: i64,
        order_mobile_id: i64,
    ) -> Result<()> {
        let vis = who.visibility_for(Scope::Orders)?;
        self.store
            .orders()
            .remove_mobile(&who.actor, vis, order_id, order_mobile_id)
            .await
            .map_err(missing("order", order_id))
    }

    /// The bundle and bar calls on a draft order's mobile; answers the
    /// mobile as it is after.
    pub async fn change_mobile_extra(
        &self,
        who: &Principal,
        order_mobile_id: i64,
        change: domain::ordering::MobileExtra,
    ) -> Result<OrderMobile> {
        let vis = who.visibility_for(Scope::Orders)?;
        let (orders, m) = (self.store.orders(), order_mobile_id);
        let (order, mobile) =
            orders.order_of_mobile(vis, m).await.map_err(missing("order mobile", m))?;
        if change.add {
            let network = store::catalogue::parse_network(&mobile.network)?;
            let (tariff_bundles, on_network) =
                orders.extra_catalogue(&mobile, network, change).await?;
            let facts = domain::ordering::ExtraFacts {
                connection_type: &mobile.connection_type,
                network,
                tariff_id: mobile.tariff_id,
                tariff_bundles: &tariff_bundles,
                on_network: &on_network,
            };
            domain::ordering::check_extra(change, &facts)?;
        }
        orders.change_mobile_extra(&who.actor, &order, m, change).await?;
        orders
            .order_mobiles(order.id)
            .await?
            .into_iter()
            .find(|x| x.row.id == m)
            .ok_or_else(|| domain::Error::not_found(format!("order mobile {m} not found")).into())
    }

    /// ReturnOrderToDraft (`cancel` false) or CancelOrder (`cancel` true),
    /// while provisioning has not started.
    pub async fn withdraw_order(
        &self,
        who: &Principal,
        order_id: i64,
        cancel: bool,
    ) -> Result<OrderState> {
        let vis = who.visibility_for(Scope::Orders)?;
        let orders = self.store.orders();
        let order = orders.get_order(vis, order_id).await.map_err(missing("order", order_id))?;
        let event = if cancel { OrderEvent::Cancel } else { OrderEvent::ReturnToDraft };
        let to = order.status.apply(event)?;
        let order = orders.withdraw_order(&who.actor, vis, &order, to).await?;
        Ok(OrderState { order_id, status: order.status })
    }

    /// MonitorOrder: the order and its mobiles.
    pub async fn order_and_mobiles(
        &self,
        who: &Principal,
        order_id: i64,
    ) -> Result<(OrderRow, Vec<OrderMobile>)> {
        who.require(Scope::Orders)?;
        let order = self
            .store
            .orders()
            .get_order(who.visibility(), order_id)
            .await
            .map_err(missing("order", order_id))?;
        let mobiles = self.store.orders().order_mobiles(order_id).await?;
        Ok((order, mobiles))
    }

    /// MonitorOrderBulk: those of `ids` the caller may see.
    pub async fn orders_by_ids(&self, who: &Principal, ids: &[i64]) -> Result<Vec<OrderRow>> {
        who.require(Scope::Orders)?;
        domain::paging::check_bulk_ids("orderIds", ids)?;
        Ok(self.store.orders().orders_by_ids(who.visibility(), ids).await?)
    }

    /// ListAvailableNumbers: the free numbers of a network that gives them
    /// from a pool.
    pub async fn free_numbers(
        &self,
        who: &Principal,
        network: domain::Network,
        page: domain::paging::PageRequest,
    ) -> Result<(Vec<String>, i64)> {
        who.require(Scope::Orders)?;
        network.check_offers_numbers("network")?;
        Ok(self.store.numbers().free_numbers(network, page).await?)
    }

    /// GetOrderDetails: the order, its mobiles and its history.
    pub async fn order_whole(&self, who: &Principal, order_id: i64) -> Result<OrderWhole> {
        let (order, mobiles) = self.order_and_mobiles(who, order_id).await?;
        let history = self.store.orders().order_history(order_id).await?;
        Ok(OrderWhole { order, mobiles, history })
    }
}
