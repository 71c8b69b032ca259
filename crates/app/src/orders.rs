//! The order process: draft orders, mobiles on them (checked by
//! `domain::ordering`, numbers reserved from the pool), submission (every
//! problem at once, then the provisioning job).

use crate::{App, Done, Error, Key, Principal, Result};
use domain::ordering::MobileInput;
use domain::Scope;
use serde::{Deserialize, Serialize};

/// An order and its status, as a write left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub order_id: i64,
    pub status: String,
}

/// A mobile added to an order, with its number when one was reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileAdded {
    pub order_mobile_id: i64,
    pub cli: Option<String>,
}

fn order_not_found(id: i64) -> impl FnOnce(store::StoreError) -> Error {
    move |e| Error::store(e, || format!("order {id}"))
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
                .create_order_in(tx, &who.actor, who.visibility(), customer_id, &reference)
                .await
                .map_err(|e| Error::store(e, || format!("customer {customer_id}")))?;
            Ok(OrderState {
                order_id: order.id,
                status: order.status,
            })
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
            let (id, cli) = self
                .store
                .add_mobile_in(tx, &who.actor, who.visibility(), order_id, &req)
                .await
                .map_err(order_not_found(order_id))?;
            Ok(MobileAdded {
                order_mobile_id: id,
                cli,
            })
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
            let order = self
                .store
                .submit_order_in(
                    tx,
                    &who.actor,
                    who.visibility(),
                    order_id,
                    now.date_naive(),
                    now.timestamp_millis(),
                )
                .await
                .map_err(order_not_found(order_id))?;
            Ok(OrderState {
                order_id,
                status: order.status,
            })
        })
        .await
    }
}
