//! Corporate agreements: the caller's agreements, their offers and
//! products, and orders that change them (checked against the agreement,
//! the product or offer and every configuration, then carried out by the
//! worker through the B2B network).

use crate::error::missing_by;
use crate::{App, Error, Principal, Result};
use chrono::{DateTime, Utc};
use domain::agreement::{self, Characteristic, Configuration, OrderStatus, OrderType};
use domain::Scope;
use store::agreements::{
    self, AgreementRow, NewOrder, OfferRow, OrderRow, ProductChange, ProductRow,
};

/// A page of a list: from 0, 1–1000 items.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub size: i64,
}

impl Page {
    /// Checks `page` (from 0, default 0) and `pageSize` (1–1000, default 100).
    pub fn new(page: Option<i64>, size: Option<i64>) -> Result<Page> {
        let page = page.unwrap_or(0);
        let size = size.unwrap_or(100);
        if !(0..=1_000_000).contains(&page) {
            return Err(domain::Error::invalid("page", "must be a whole number from 0").into());
        }
        if !(1..=1000).contains(&size) {
            return Err(domain::Error::invalid("pageSize", "must be from 1 to 1000").into());
        }
        Ok(Page { page, size })
    }

    fn offset(self) -> i64 {
        self.page * self.size
    }
}

/// An order as asked for.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub kind: OrderType,
    pub agreement_id: i64,
    pub product_id: Option<i64>,
    pub offer_id: Option<i64>,
    pub configurations: Vec<Configuration>,
}

/// An offer with its characteristics read.
#[derive(Debug, Clone)]
pub struct Offer {
    pub row: OfferRow,
    pub characteristics: Vec<Characteristic>,
}

/// The change the B2B network is asked to make for an order.
#[derive(Debug, Clone)]
pub struct B2bChange {
    pub order_id: i64,
    pub kind: OrderType,
    pub agreement_id: i64,
}

impl App {
    /// The caller's agreements; `since` (seconds) lists only those changed
    /// that recently.
    pub async fn agreements(
        &self,
        who: &Principal,
        page: Page,
        since: Option<i64>,
    ) -> Result<(Vec<AgreementRow>, i64)> {
        who.require(Scope::Agreements)?;
        let since = self.since(since)?;
        Ok(self.store.agreements().list(who.visibility(), page.offset(), page.size, since).await?)
    }

    /// A visible customer's agreements (the portal's customer page).
    pub async fn agreements_for_customer(
        &self,
        who: &Principal,
        customer_id: i64,
    ) -> Result<Vec<AgreementRow>> {
        who.require(Scope::Agreements)?;
        Ok(self.store.agreements().for_customer(who.visibility(), customer_id).await?)
    }

    /// One of the caller's agreements.
    pub async fn agreement(&self, who: &Principal, id: i64) -> Result<AgreementRow> {
        let vis = who.visibility_for(Scope::Agreements)?;
        self.store.agreements().get(vis, id).await.map_err(missing_by(
            "agreementId",
            "agreement",
            id,
        ))
    }

    /// The offers an agreement allows, with their characteristics.
    pub async fn offers(&self, who: &Principal, agreement_id: i64) -> Result<Vec<Offer>> {
        let a = self.agreement(who, agreement_id).await?;
        self.store.agreements().offers(a.id).await?.into_iter().map(offer).collect()
    }

    /// An agreement's products.
    pub async fn products(
        &self,
        who: &Principal,
        agreement_id: i64,
        page: Page,
        since: Option<i64>,
    ) -> Result<(Vec<ProductRow>, i64)> {
        let a = self.agreement(who, agreement_id).await?;
        let since = self.since(since)?;
        Ok(self.store.agreements().products(a.id, page.offset(), page.size, since).await?)
    }

    /// Places an order: the agreement must be the caller's and open, the
    /// product on it (or the offer allowed on it), and every
    /// configuration right for the offer. Answers at once; the worker
    /// carries it out.
    pub async fn place_agreement_order(
        &self,
        who: &Principal,
        key: Option<crate::Key<'_>>,
        o: PlaceOrder,
    ) -> Result<crate::Done<String>> {
        let now = self.store.now();
        // Checked inside the keyed work: a retry of an order already taken
        // answers it, even when the same order could not be placed now.
        self.keyed(who, key, async |tx| {
            let order = self.checked_order(who, &o).await?;
            let row = store::agreements::place_in(tx, &who.actor, &order, now).await?;
            Ok(agreement::order_number(row.id))
        })
        .await
    }

    /// An order checked against its agreement (open, the caller's), its
    /// offer or product, and its configurations.
    async fn checked_order(&self, who: &Principal, o: &PlaceOrder) -> Result<NewOrder> {
        let a = self.agreement(who, o.agreement_id).await?;
        agreement::check_agreement_open(
            &a.status,
            a.valid_from,
            a.valid_to,
            self.store.clock().today(),
        )?;
        let offers = self.offers(who, a.id).await?;
        let (offer_id, product_id, configurations) = match o.kind {
            OrderType::AddProduct => {
                let id = o.offer_id.ok_or_else(|| {
                    domain::Error::invalid(
                        "productOfferingId",
                        "ADD_PRODUCT names the offer to add",
                    )
                })?;
                let offer = offers.iter().find(|x| x.row.id == id).ok_or_else(|| {
                    domain::Error::invalid(
                        "productOfferingId",
                        format!("offer {id} is not allowed on agreement {}", a.id),
                    )
                })?;
                let confs = agreement::check_configurations(
                    &offer.characteristics,
                    &o.configurations,
                    true,
                )?;
                (Some(id), None, confs)
            }
            OrderType::UpdateProduct | OrderType::RemoveProduct => {
                let id = o.product_id.ok_or_else(|| {
                    domain::Error::invalid("productId", "name the product (productId)")
                })?;
                let product = self
                    .store
                    .agreements()
                    .product(a.id, id)
                    .await?
                    .filter(|p| p.status == "ACTIVE")
                    .ok_or_else(|| {
                        domain::Error::invalid(
                            "productId",
                            format!("product {id} is not an active product of agreement {}", a.id),
                        )
                    })?;
                if o.kind == OrderType::RemoveProduct {
                    (Some(product.offer_id), Some(id), vec![])
                } else {
                    if o.configurations.is_empty() {
                        return Err(domain::Error::invalid(
                            "configurations",
                            "UPDATE_PRODUCT changes at least one configuration",
                        )
                        .into());
                    }
                    let offer =
                        offers.iter().find(|x| x.row.id == product.offer_id).ok_or_else(|| {
                            domain::Error::invalid(
                                "productId",
                                format!(
                                    "product {id}'s offer is no longer allowed on agreement {}",
                                    a.id
                                ),
                            )
                        })?;
                    let confs = agreement::check_configurations(
                        &offer.characteristics,
                        &o.configurations,
                        false,
                    )?;
                    (Some(product.offer_id), Some(id), confs)
                }
            }
        };
        Ok(NewOrder {
            partner_id: a.partner_id,
            agreement_id: a.id,
            kind: o.kind,
            product_id,
            offer_id,
            configurations,
        })
    }

    /// One of the caller's orders, by its 12-digit number.
    pub async fn agreement_order(&self, who: &Principal, number: &str) -> Result<OrderRow> {
        who.require(Scope::Agreements)?;
        let missing = || Error::Rule(domain::Error::not_found(format!("order {number} not found")));
        let id = agreement::order_id(number).ok_or_else(missing)?;
        self.store.agreements().order(who.visibility(), id).await.map_err(|e| match e {
            store::StoreError::NotFound => missing(),
            e => e.into(),
        })
    }

    /// An agreement's orders, newest first.
    pub async fn agreement_orders(
        &self,
        who: &Principal,
        agreement_id: i64,
        page: Page,
    ) -> Result<(Vec<OrderRow>, i64)> {
        let a = self.agreement(who, agreement_id).await?;
        Ok(self.store.agreements().orders(a.id, page.offset(), page.size).await?)
    }

    /// The worker's first step: moves a RECEIVED order IN_PROGRESS and
    /// answers what to ask the B2B network; `None` when the order is no
    /// longer waiting (a job run twice), or is already in progress (then
    /// the same change is asked again).
    pub async fn agreement_order_to_run(&self, actor: &str, id: i64) -> Result<Option<B2bChange>> {
        let row = match self
            .store
            .agreements()
            .advance(actor, id, OrderStatus::Received, OrderStatus::InProgress, None)
            .await?
        {
            Some(row) => row,
            None => match self.store.agreements().order(store::Visibility::All, id).await {
                Ok(row) if row.status == OrderStatus::InProgress => row,
                Ok(_) | Err(store::StoreError::NotFound) => return Ok(None),
                Err(e) => return Err(e.into()),
            },
        };
        let kind = OrderType::parse(&row.kind)?;
        Ok(Some(B2bChange { order_id: row.id, kind, agreement_id: row.agreement_id }))
    }

    /// The worker's second step: the network's answer (or the worker's
    /// giving up) ends the order, COMPLETED with its change or FAILED
    /// with the reason.
    pub async fn agreement_order_finished(
        &self,
        actor: &str,
        id: i64,
        refused: Option<&str>,
    ) -> Result<()> {
        let to = if refused.is_some() { OrderStatus::Failed } else { OrderStatus::Completed };
        let now = self.store.now();
        self.store
            .write(async |tx| -> Result<()> {
                let moved = agreements::advance_in(
                    tx,
                    actor,
                    id,
                    OrderStatus::InProgress,
                    to,
                    refused,
                    now,
                )
                .await?;
                let Some(order) = moved else { return Ok(()) };
                if to == OrderStatus::Completed {
                    // The product changes only with the order's completion.
                    let corrupt =
                        |what: &str| Error::Internal(format!("order {}: {what}", order.id));
                    let given: Vec<Configuration> = serde_json::from_str(&order.configurations)
                        .map_err(|e| corrupt(&e.to_string()))?;
                    let product = order.product_id.ok_or_else(|| corrupt("names no product"));
                    let change = match OrderType::parse(&order.kind)
                        .map_err(|e| corrupt(&e.to_string()))?
                    {
                        OrderType::AddProduct => ProductChange::Add {
                            offer_id: order.offer_id.ok_or_else(|| corrupt("adds no offer"))?,
                            configurations: &given,
                        },
                        OrderType::UpdateProduct => {
                            let product_id = product?;
                            let current = agreements::configurations_of(tx, product_id).await?;
                            ProductChange::Set {
                                product_id,
                                configurations: agreement::updated(&current, &given),
                            }
                        }
                        OrderType::RemoveProduct => ProductChange::Remove { product_id: product? },
                    };
                    agreements::change_products(tx, order.agreement_id, change, now).await?;
                }
                Ok(())
            })
            .await
    }

    /// `since` seconds ago, checked.
    fn since(&self, since: Option<i64>) -> Result<Option<DateTime<Utc>>> {
        match since {
            None => Ok(None),
            Some(s) if (0..=10 * 365 * 86_400).contains(&s) => {
                Ok(Some(self.store.now() - chrono::Duration::seconds(s)))
            }
            Some(_) => Err(domain::Error::invalid("since", "seconds, from 0 to ten years").into()),
        }
    }
}

fn offer(row: OfferRow) -> Result<Offer> {
    let characteristics = serde_json::from_str(&row.characteristics).map_err(|e| {
        Error::Internal(format!("offer {}: characteristics unreadable: {e}", row.id))
    })?;
    Ok(Offer { row, characteristics })
}
