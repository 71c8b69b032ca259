//! Corporate agreements (migration 0012): agreements owned by a partner's
//! business customers, the product offers each allows, the products on
//! it, and the orders that change them. An order is written with its job
//! (and its event) in one transaction; the worker moves it on, and the
//! product changes only in the transaction that completes it.

use crate::tx::Tx;
use crate::{args, Agreements, Result, StoreError, Visibility};
use chrono::{DateTime, NaiveDate, Utc};
use domain::agreement::{Configuration, OrderStatus, OrderType};

/// An agreement with its owner.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct AgreementRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: i64,
    pub category: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub status: String,
    pub organization_number: Option<String>,
    pub owner_name: String,
    pub updated_at: DateTime<Utc>,
}

const AGREEMENT_SELECT: &str = "SELECT a.id, a.partner_id, a.customer_id, a.category, a.valid_from, a.valid_to, a.status, \
    c.organization_number, c.company_name AS owner_name, a.updated_at FROM agreements a JOIN customers c ON c.id = a.customer_id";

/// A product offer with its characteristics (JSON).
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct OfferRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub characteristics: String,
}

/// A product on an agreement.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct ProductRow {
    pub id: i64,
    pub agreement_id: i64,
    pub offer_id: i64,
    pub name: String,
    pub status: String,
    pub configurations: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const PRODUCT_COLS: &str =
    "id, agreement_id, offer_id, name, status, configurations, created_at, updated_at";

/// An order on an agreement.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct OrderRow {
    pub id: i64,
    pub partner_id: i64,
    pub agreement_id: i64,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub product_id: Option<i64>,
    pub offer_id: Option<i64>,
    pub configurations: String,
    #[sqlx(try_from = "String")]
    pub status: OrderStatus,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

const ORDER_COLS: &str = "id, partner_id, agreement_id, type, product_id, offer_id, configurations, status, reason, created_by, created_at, updated_at, completed_at";

/// An order to place.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub partner_id: i64,
    pub agreement_id: i64,
    pub kind: OrderType,
    pub product_id: Option<i64>,
    pub offer_id: Option<i64>,
    pub configurations: Vec<Configuration>,
}

impl Agreements<'_> {
    /// The visible agreements, by id, from `page`; changed since `since`
    /// when given. With the total.
    pub async fn list(
        &self,
        vis: Visibility,
        offset: i64,
        limit: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<(Vec<AgreementRow>, i64)> {
        let (all, partner) = vis.binds();
        let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        self.read_window(
            &format!("{AGREEMENT_SELECT} WHERE ($1 OR a.partner_id = $2) AND a.updated_at >= $3"),
            "a.id",
            args![all, partner, since],
            limit,
            offset,
        )
        .await
    }

    /// A visible customer's agreements, oldest first.
    pub async fn for_customer(
        &self,
        vis: Visibility,
        customer_id: i64,
    ) -> Result<Vec<AgreementRow>> {
        let (all, partner) = vis.binds();
        self.read_all(
            &format!("{AGREEMENT_SELECT} WHERE a.customer_id = $1 AND ($2 OR a.partner_id = $3) ORDER BY a.id"),
            args![customer_id, all, partner],
        )
        .await
    }

    /// A visible agreement.
    pub async fn get(&self, vis: Visibility, id: i64) -> Result<AgreementRow> {
        let (all, partner) = vis.binds();
        self.read_optional(
            &format!("{AGREEMENT_SELECT} WHERE a.id = $1 AND ($2 OR a.partner_id = $3)"),
            args![id, all, partner],
        )
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The offers an agreement allows.
    pub async fn offers(&self, agreement_id: i64) -> Result<Vec<OfferRow>> {
        self.read_all(
            "SELECT o.id, o.name, o.description, o.characteristics FROM product_offers o \
             JOIN agreement_offers ao ON ao.offer_id = o.id WHERE ao.agreement_id = $1 ORDER BY o.id",
            args![agreement_id],
        )
        .await
    }

    /// An agreement's products, by id (removed ones too), changed since
    /// `since` when given; with the total.
    pub async fn products(
        &self,
        agreement_id: i64,
        offset: i64,
        limit: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<(Vec<ProductRow>, i64)> {
        let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        self.read_window(
            &format!("SELECT {PRODUCT_COLS} FROM agreement_products WHERE agreement_id = $1 AND updated_at >= $2"),
            "id",
            args![agreement_id, since],
            limit,
            offset,
        )
        .await
    }

    /// A product of this agreement.
    pub async fn product(&self, agreement_id: i64, id: i64) -> Result<Option<ProductRow>> {
        self.read_optional(
            &format!(
                "SELECT {PRODUCT_COLS} FROM agreement_products WHERE id = $1 AND agreement_id = $2"
            ),
            args![id, agreement_id],
        )
        .await
    }

    /// A visible order.
    pub async fn order(&self, vis: Visibility, id: i64) -> Result<OrderRow> {
        let (all, partner) = vis.binds();
        self.read_optional(
            &format!("SELECT {ORDER_COLS} FROM agreement_orders WHERE id = $1 AND ($2 OR partner_id = $3)"),
            args![id, all, partner],
        )
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// An agreement's orders, newest first; with the total.
    pub async fn orders(
        &self,
        agreement_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<OrderRow>, i64)> {
        self.read_window(
            &format!("SELECT {ORDER_COLS} FROM agreement_orders WHERE agreement_id = $1"),
            "id DESC",
            args![agreement_id],
            limit,
            offset,
        )
        .await
    }

    /// Moves an order on from `from` to `to` in a transaction of its own
    /// (see [`advance_in`]).
    pub async fn advance(
        &self,
        actor: &str,
        id: i64,
        from: OrderStatus,
        to: OrderStatus,
        reason: Option<&str>,
    ) -> Result<Option<OrderRow>> {
        let now = self.now();
        self.write(async |tx| advance_in(tx, actor, id, from, to, reason, now).await).await
    }
}

/// Moves an order on from `from` to `to` (the worker's steps) inside the
/// caller's transaction, with its audit entry and its event. `None` when
/// the order was not in `from`.
#[allow(clippy::too_many_arguments)]
pub async fn advance_in(
    tx: &mut Tx,
    actor: &str,
    id: i64,
    from: OrderStatus,
    to: OrderStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<OrderRow>> {
    debug_assert!(from.may_become(to), "an order cannot move from {from} to {to}");
    let row: Option<OrderRow> = tx
        .fetch_optional(
            &format!(
                "UPDATE agreement_orders SET status = $1, reason = $2, updated_at = $3, \
                 completed_at = CASE WHEN $4 THEN $3 ELSE completed_at END \
                 WHERE id = $5 AND status = $6 RETURNING {ORDER_COLS}"
            ),
            args![to.as_str(), reason, now, to.is_final(), id, from.as_str()],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let entry = crate::audit::AuditEntry::of(
        actor,
        Some(row.partner_id),
        "agreement_order",
        row.id,
        to.as_str(),
    )
    .after(serde_json::json!({"from": from.as_str(), "reason": reason}));
    crate::audit::write(tx, now, &entry).await?;
    status_event(tx, &row, Some(from), now).await?;
    Ok(Some(row))
}

/// A product's configurations as they stand.
pub async fn configurations_of(tx: &mut Tx, product_id: i64) -> Result<Vec<Configuration>> {
    let (current,): (String,) = tx
        .fetch_one("SELECT configurations FROM agreement_products WHERE id = $1", args![product_id])
        .await?;
    serde_json::from_str(&current)
        .map_err(|e| StoreError::Corrupt(format!("agreement product {product_id}: {e}")))
}

/// What a completed order does to its agreement's products (the use case
/// decides it, `domain::agreement::updated` merging an update's
/// configurations).
pub enum ProductChange<'a> {
    Add { offer_id: i64, configurations: &'a [Configuration] },
    Set { product_id: i64, configurations: Vec<Configuration> },
    Remove { product_id: i64 },
}

/// Writes a completed order's change to its agreement's products, and
/// marks the agreement changed.
pub async fn change_products(
    tx: &mut Tx,
    agreement_id: i64,
    change: ProductChange<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    let text = |c: &[Configuration]| serde_json::to_string(c).expect("configurations serialise");
    match change {
        ProductChange::Add { offer_id, configurations } => {
            let (name,): (String,) = tx
                .fetch_one("SELECT name FROM product_offers WHERE id = $1", args![offer_id])
                .await?;
            tx.execute(
                "INSERT INTO agreement_products (agreement_id, offer_id, name, status, configurations, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $5)",
                args![agreement_id, offer_id, name, text(configurations), now],
            )
            .await?;
        }
        ProductChange::Set { product_id, configurations } => {
            tx.execute(
                "UPDATE agreement_products SET configurations = $1, updated_at = $2 WHERE id = $3",
                args![text(&configurations), now, product_id],
            )
            .await?;
        }
        ProductChange::Remove { product_id } => {
            tx.execute(
                "UPDATE agreement_products SET status = 'REMOVED', updated_at = $1 WHERE id = $2",
                args![now, product_id],
            )
            .await?;
        }
    }
    tx.execute("UPDATE agreements SET updated_at = $1 WHERE id = $2", args![now, agreement_id])
        .await?;
    Ok(())
}

/// The order's status change as a webhook event (the outbox).
async fn status_event(
    tx: &mut Tx,
    o: &OrderRow,
    from: Option<OrderStatus>,
    now: DateTime<Utc>,
) -> Result<()> {
    let data = serde_json::json!({
        "orderId": domain::agreement::order_number(o.id), "agreementId": o.agreement_id, "type": o.kind,
        "from": from.map(OrderStatus::as_str), "to": o.status.as_str(), "reason": o.reason,
    });
    crate::webhooks::emit(tx, o.partner_id, "agreementOrder.statusChanged", data, now).await?;
    Ok(())
}

/// Places an order inside the caller's transaction: the row, its job,
/// its audit entry and its event.
pub async fn place_in(
    tx: &mut Tx,
    actor: &str,
    o: &NewOrder,
    now: DateTime<Utc>,
) -> Result<OrderRow> {
    let confs = serde_json::to_string(&o.configurations).expect("configurations serialise");
    let row: OrderRow = tx
        .fetch_one(
            &format!(
                "INSERT INTO agreement_orders (partner_id, agreement_id, type, product_id, offer_id, configurations, status, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'RECEIVED', $7, $8, $8) RETURNING {ORDER_COLS}"
            ),
            args![o.partner_id, o.agreement_id, o.kind.as_str(), o.product_id, o.offer_id, confs.as_str(), actor, now],
        )
        .await?;
    let job = crate::jobs::AgreementOrder { order_id: row.id };
    crate::jobs::enqueue(tx, now, &job, now.timestamp_millis()).await?;
    crate::audit::write(
        tx,
        now,
        &crate::audit::AuditEntry::of(
            actor,
            Some(o.partner_id),
            "agreement_order",
            row.id,
            "create",
        )
        .after(serde_json::json!({"agreementId": o.agreement_id, "type": o.kind.as_str()})),
    )
    .await?;
    status_event(tx, &row, None, now).await?;
    Ok(row)
}
