//! Orders: the portal's draft order process, and what provisioning does to
//! them. Each operation is one transaction that re-checks the order's state
//! as its first write, so concurrent calls and the worker never cross:
//! a mobile cannot be added to an order that was just submitted, and an
//! order cannot return to draft once the worker has claimed its job.
//! Every transition writes the order's history and an audit row.

use crate::audit::AuditEntry;
use crate::catalogue::unknown_tariff;
use crate::connections::{ConnectionBar, ConnectionBundle};
use crate::tx::Tx;
use crate::{args, in_list, Orders, Result, StoreError, Visibility};
use chrono::{DateTime, NaiveDate, Utc};
use domain::order::{OrderEvent, OrderStatus};
use domain::ordering::{
    no_longer_live, Activation, ConnectionType, ExtraKind, MobileExtra, MobileRequest,
    NumberHolder, SimType, SubmitFacts, TariffLimits, TAKEN_MEANWHILE,
};
use domain::paging::PageRequest;
use domain::status::{ConnectionStatus, MobileStatus};
use domain::{Cli, Error, Network};

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct OrderRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: i64,
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub status: OrderStatus,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct OrderMobileRow {
    pub id: i64,
    pub order_id: i64,
    pub connection_type: String,
    pub network: String,
    pub tariff_id: Option<i64>,
    pub cli: Option<String>,
    pub number_reserved: bool,
    pub pac_code: Option<String>,
    pub pac_expiry_date: Option<NaiveDate>,
    pub port_date: Option<NaiveDate>,
    pub stac_code: Option<String>,
    pub sim_type: Option<String>,
    pub iccid: Option<String>,
    pub bill_cap_offered: bool,
    pub enable_bill_cap: bool,
    pub bill_cap_pence: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: MobileStatus,
    pub reason: Option<String>,
    pub contract_id: Option<i64>,
    pub esim_activation_code: Option<String>,
    pub eid: Option<String>,
    pub network_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrderMobileRow {
    /// The mobile as the order rules see it.
    pub fn request(&self) -> Result<MobileRequest> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("order mobile {}: bad {what}", self.id));
        Ok(MobileRequest {
            connection_type: ConnectionType::parse_field(&self.connection_type, "connectionType")
                .map_err(|_| corrupt("connection type"))?,
            network: self.network.parse::<Network>().map_err(|_| corrupt("network"))?,
            tariff_id: self.tariff_id,
            cli: self.cli.as_deref().map(Cli::parse).transpose().map_err(|_| corrupt("cli"))?,
            pac_code: self.pac_code.clone(),
            pac_expiry_date: self.pac_expiry_date,
            port_date: self.port_date,
            stac_code: self.stac_code.clone(),
            sim_type: self
                .sim_type
                .as_deref()
                .map(|s| SimType::parse_field(s, "simType"))
                .transpose()
                .map_err(|_| corrupt("SIM type"))?,
            iccid: self.iccid.clone(),
            bill_cap_offered: self.bill_cap_offered,
            enable_bill_cap: self.enable_bill_cap,
            bill_cap_pence: self.bill_cap_pence,
        })
    }
}

/// A mobile with the bundles and bars added to it.
#[derive(Debug, Clone)]
pub struct OrderMobile {
    pub row: OrderMobileRow,
    pub bundles: Vec<ConnectionBundle>,
    pub bars: Vec<ConnectionBar>,
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
struct OrderWithIccid {
    #[sqlx(flatten)]
    order: OrderRow,
    iccid_contract: Option<i64>,
}

/// What AddMobileToOrder's rules read: see [`Orders::mobile_facts`].
#[derive(Debug, Clone)]
pub struct MobileFacts {
    pub order: OrderRow,
    /// The tariff's limits, when the mobile names a tariff.
    pub tariff: Option<TariffLimits>,
    /// The live connection holding the number, for a Port, Migration or
    /// Disconnection.
    pub holder: Option<NumberHolder>,
    /// Whether the ICCID is live on a connection.
    pub iccid_live: bool,
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct HistoryRow {
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub note: Option<String>,
}

/// What the network answered for one mobile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Outcome {
    Activated {
        /// The number, when the network assigned it (EE) — else the mobile's.
        cli: Option<String>,
        network_reference: String,
        esim_activation_code: Option<String>,
        eid: Option<String>,
        /// The day the connection went live (the port date for ports).
        effective_date: NaiveDate,
    },
    Rejected {
        reason: String,
    },
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
struct SubmitRow {
    #[sqlx(flatten)]
    m: OrderMobileRow,
    tariff_name: Option<String>,
    tariff_network: Option<String>,
    tariff_retired: Option<bool>,
    tariff_bill_cap_eligible: Option<bool>,
    tariff_bill_cap_min_pence: Option<i64>,
    tariff_bill_cap_max_pence: Option<i64>,
    iccid_contract: Option<i64>,
    live_contract: Option<i64>,
}

const ORDER_COLS: &str = "id, partner_id, customer_id, reference, status, reason, created_by, created_at, updated_at, submitted_at, completed_at";
const MOBILE_COLS: &str = "id, order_id, connection_type, network, tariff_id, cli, number_reserved, pac_code, pac_expiry_date, port_date, stac_code, sim_type, iccid, bill_cap_offered, enable_bill_cap, bill_cap_pence, status, reason, contract_id, esim_activation_code, eid, network_reference, created_at, updated_at";
const M_MOBILE_COLS: &str = "m.id, m.order_id, m.connection_type, m.network, m.tariff_id, m.cli, m.number_reserved, m.pac_code, m.pac_expiry_date, m.port_date, m.stac_code, m.sim_type, m.iccid, m.bill_cap_offered, m.enable_bill_cap, m.bill_cap_pence, m.status, m.reason, m.contract_id, m.esim_activation_code, m.eid, m.network_reference, m.created_at, m.updated_at";

/// One status change of an order, for its history.
pub struct HistoryEntry<'a> {
    pub order_id: i64,
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub note: Option<&'a str>,
}

/// Writes orders' history rows (every status change, and the first
/// status), in one statement, inside the caller's transaction.
pub async fn write_history(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &str,
    entries: &[HistoryEntry<'_>],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    const COLS: usize = 4;
    let rows: Vec<String> =
        (0..entries.len()).map(|r| format!("({}, $1, $2)", in_list(3 + r * COLS, COLS))).collect();
    let mut values = args![now, actor];
    for e in entries {
        values.extend(args![e.order_id, e.from.map(OrderStatus::as_str), e.to.as_str(), e.note]);
    }
    let partners = crate::webhooks::subscribers(tx, "order.statusChanged").await?;
    if !partners.is_empty() {
        let ids: Vec<i64> = entries.iter().map(|e| e.order_id).collect();
        let sql = "SELECT id, partner_id, customer_id FROM orders WHERE id IN ($in)";
        let owners: Vec<(i64, i64, i64)> = tx.fetch_in(sql, Vec::new(), &ids).await?;
        for e in entries {
            let Some(&(_, partner, customer)) = owners.iter().find(|o| o.0 == e.order_id) else {
                continue;
            };
            if partners.contains(&partner) {
                let data = serde_json::json!({
                    "orderId": e.order_id, "customerId": customer,
                    "from": e.from.map(OrderStatus::as_str), "to": e.to.as_str(), "note": e.note,
                });
                crate::webhooks::emit(tx, partner, "order.statusChanged", data, now).await?;
            }
        }
    }
    tx.execute(
        &format!(
            "INSERT INTO order_history (order_id, from_status, to_status, note, at, actor) VALUES {}",
            rows.join(", ")
        ),
        values,
    )
    .await?;
    Ok(())
}

/// Bumps a Draft order's `updated_at` as a transaction's first write:
/// takes the write lock and proves the order is still a draft.
const TOUCH_DRAFT: &str = "UPDATE orders SET updated_at = $1 WHERE id = $2 AND status = 'Draft'";

fn not_draft(order: &OrderRow) -> StoreError {
    match domain::order::check_changeable(order.id, order.status) {
        Err(e) => e.into(),
        // A draft again by the time it was read: say so, to be retried.
        Ok(()) => StoreError::Conflict(format!("order {} changed meanwhile; try again", order.id)),
    }
}

/// The tariff facts the order rules need.
pub fn limits(t: &crate::catalogue::TariffRow) -> Result<TariffLimits> {
    Ok(TariffLimits {
        id: t.id,
        name: t.name.clone(),
        network: crate::catalogue::parse_network(&t.network)?,
        retired: t.retired,
        bill_cap_eligible: t.bill_cap_eligible,
        bill_cap_min_pence: t.bill_cap_min_pence,
        bill_cap_max_pence: t.bill_cap_max_pence,
    })
}

impl Orders<'_> {
    /// Creates a draft order for a customer visible to the caller, inside
    /// the caller's transaction, with its first history row.
    pub async fn create_order(
        &self,
        tx: &mut Tx,
        actor: &str,
        vis: Visibility,
        customer_id: i64,
        reference: &str,
    ) -> Result<OrderRow> {
        let (all, partner) = vis.binds();
        // From the customer's row when the caller may see it; then its
        // first history row.
        let order: Option<OrderRow> = tx
            .fetch_optional(
                &format!(
                    "INSERT INTO orders (partner_id, customer_id, reference, status, created_by, updated_by, created_at, updated_at) \
                     SELECT partner_id, id, $1, 'Draft', $2, $2, $3, $3 FROM customers WHERE id = $4 AND ($5 OR partner_id = $6) \
                     RETURNING {ORDER_COLS}"
                ),
                args![reference, actor, self.now(), customer_id, all, partner],
            )
            .await?;
        let order = order.ok_or(StoreError::NotFound)?;
        let entry =
            HistoryEntry { order_id: order.id, from: None, to: OrderStatus::Draft, note: None };
        write_history(tx, self.now(), actor, &[entry]).await?;
        Ok(order)
    }

    /// An order visible to the caller.
    pub async fn get_order(&self, vis: Visibility, id: i64) -> Result<OrderRow> {
        self.read_visible::<OrderRow>(&format!("SELECT {ORDER_COLS} FROM orders"), "", id, vis)
            .await
    }

    /// Orders visible to the caller among `ids` (others are simply absent).
    pub async fn orders_by_ids(&self, vis: Visibility, ids: &[i64]) -> Result<Vec<OrderRow>> {
        let (all, partner) = vis.binds();
        let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE ($1 OR partner_id = $2) AND id IN ($in) ORDER BY id");
        self.read_in(&sql, args![all, partner], ids).await
    }

    /// An order's mobiles with their bundles and bars, in the order added.
    pub async fn order_mobiles(&self, order_id: i64) -> Result<Vec<OrderMobile>> {
        self.mobiles_of(&[order_id]).await
    }

    /// The mobiles of several orders, with their bundles and bars, in three
    /// queries whatever their number.
    async fn mobiles_of(&self, order_ids: &[i64]) -> Result<Vec<OrderMobile>> {
        let ids = in_list(1, order_ids.len());
        let rows_sql = format!(
            "SELECT {MOBILE_COLS} FROM order_mobiles WHERE order_id IN ({ids}) ORDER BY id"
        );
        let id_args = || crate::tx::ids(order_ids);
        let rows: Vec<OrderMobileRow> = self.read_all(&rows_sql, id_args()).await?;
        let bundles: Vec<(i64, i64, String, i64)> = self.read_all(&format!(
            "SELECT ob.order_mobile_id, b.id, b.name, b.monthly_pence FROM order_mobile_bundles ob JOIN bundles b ON b.id = ob.bundle_id \
             JOIN order_mobiles m ON m.id = ob.order_mobile_id WHERE m.order_id IN ({ids}) ORDER BY b.id"), id_args()).await?;
        let bars: Vec<(i64, i64, String, String)> = self.read_all(&format!(
            "SELECT obr.order_mobile_id, b.id, b.bar_suffix, b.name FROM order_mobile_bars obr JOIN bars b ON b.id = obr.bar_id \
             JOIN order_mobiles m ON m.id = obr.order_mobile_id WHERE m.order_id IN ({ids}) ORDER BY b.id"), id_args()).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let id = row.id;
                OrderMobile {
                    bundles: bundles
                        .iter()
                        .filter(|b| b.0 == id)
                        .map(|b| ConnectionBundle {
                            tariff_option_id: b.1,
                            name: b.2.clone(),
                            monthly_pence: b.3,
                        })
                        .collect(),
                    bars: bars
                        .iter()
                        .filter(|b| b.0 == id)
                        .map(|b| ConnectionBar {
                            bar_id: b.1,
                            bar_suffix: b.2.clone(),
                            name: b.3.clone(),
                        })
                        .collect(),
                    row,
                }
            })
            .collect())
    }

    /// An order's status history, oldest first.
    pub async fn order_history(&self, order_id: i64) -> Result<Vec<HistoryRow>> {
        self.read_all::<HistoryRow>("SELECT from_status, to_status, at, actor, note FROM order_history WHERE order_id = $1 ORDER BY id", args![order_id]).await
    }

    /// The order a mobile belongs to, if visible to the caller.
    pub async fn order_of_mobile(
        &self,
        vis: Visibility,
        mobile_id: i64,
    ) -> Result<(OrderRow, OrderMobileRow)> {
        let row = self
            .read_optional::<OrderMobileRow>(
                &format!("SELECT {MOBILE_COLS} FROM order_mobiles WHERE id = $1"),
                args![mobile_id],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let order = self.get_order(vis, row.order_id).await?;
        Ok((order, row))
    }

    /// What AddMobileToOrder's rules read, inside the caller's transaction:
    /// the order, the tariff's limits, the live connection holding the
    /// number (for a Port, Migration or Disconnection) and whether the
    /// ICCID is live anywhere.
    pub async fn mobile_facts(
        &self,
        tx: &mut Tx,
        vis: Visibility,
        order_id: i64,
        req: &MobileRequest,
    ) -> Result<MobileFacts> {
        // The order and whether the ICCID is live anywhere, in one read.
        let (all, partner) = vis.binds();
        let found: Option<OrderWithIccid> = tx
            .fetch_optional(
                &format!(
                    "SELECT {ORDER_COLS}, (SELECT MIN(c.id) FROM connections c WHERE c.iccid = $4 AND c.status NOT IN ('Ceased', 'PortedOut')) AS iccid_contract \
                     FROM orders WHERE id = $1 AND ($2 OR partner_id = $3)"
                ),
                args![order_id, all, partner, &req.iccid],
            )
            .await?;
        let OrderWithIccid { order, iccid_contract } = found.ok_or(StoreError::NotFound)?;
        let tariff = match req.tariff_id {
            Some(tid) => {
                let catalogue = self.catalogue();
                let t = catalogue.tariff_cached(tid).await.map_err(unknown_tariff(tid))?;
                Some(limits(&t)?)
            }
            None => None,
        };
        let holder = match &req.cli {
            Some(c) if req.connection_type != ConnectionType::New => self
                .connections()
                .connection_by_cli(Visibility::All, c.as_str())
                .await
                .map(Some)
                .or_else(|e| match e {
                    StoreError::NotFound => Ok(None),
                    other => Err(other),
                })?
                .map(|x| NumberHolder {
                    customer_id: x.customer_id,
                    status: x.status,
                    network: x.network,
                }),
            _ => None,
        };
        Ok(MobileFacts { order, tariff, holder, iccid_live: iccid_contract.is_some() })
    }

    /// Adds a mobile the use case has checked to a draft order inside the
    /// caller's transaction: the draft guard, the ICCID not on another open
    /// order, the number's reservation (from the pool for `New` on Vodafone
    /// and O2), the mobile and its audit row. Answers its id and number.
    pub async fn add_mobile(
        &self,
        tx: &mut Tx,
        actor: &str,
        vis: Visibility,
        order: &OrderRow,
        req: &MobileRequest,
    ) -> Result<(i64, Option<String>)> {
        let order_id = order.id;
        let cli = req.cli.as_ref().map(|c| c.as_str().to_owned());
        let network = req.network;
        let pooled = req.connection_type == ConnectionType::New && network.offers_numbers();
        let now = self.now();
        // The first write proves the order is still a draft and takes its
        // lock (PostgreSQL's row lock; SQLite's one writer), so a SubmitOrder
        // in flight is waited for and then seen.
        if tx
            .execute(
                "UPDATE orders SET updated_at = $1, updated_by = $2 WHERE id = $3 AND status = 'Draft'",
                args![now, actor, order_id],
            )
            .await?
            != 1
        {
            return Err(not_draft(&self.get_order(vis, order_id).await?));
        }
        if let Some(iccid) = &req.iccid {
            let open: Option<(i64,)> = tx
                .fetch_optional(
                    "SELECT order_id FROM order_mobiles WHERE iccid = $1 AND status IN ('Draft', 'Pending') LIMIT 1",
                    args![iccid],
                )
                .await?;
            if open.is_some() {
                return Err(Error::Conflict(format!(
                    "iccid: {iccid} is already on another open order"
                ))
                .into());
            }
        }
        let cli = if pooled {
            Some(self.reserve_number(tx, network, cli.as_deref(), now).await?)
        } else {
            cli
        };
        let inserted: (i64, Option<String>) = tx
            .fetch_one(
                "INSERT INTO order_mobiles (order_id, connection_type, network, tariff_id, cli, number_reserved, pac_code, \
                 pac_expiry_date, port_date, stac_code, sim_type, iccid, bill_cap_offered, enable_bill_cap, bill_cap_pence, \
                 status, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'Draft', $16, $17, $17) RETURNING id, cli",
                args![
                    order_id,
                    req.connection_type.as_str(),
                    network.as_str(),
                    req.tariff_id,
                    cli.clone(),
                    pooled,
                    &req.pac_code,
                    req.pac_expiry_date,
                    req.port_date,
                    &req.stac_code,
                    req.sim_type.map(SimType::as_str),
                    &req.iccid,
                    req.bill_cap_offered,
                    req.enable_bill_cap,
                    req.bill_cap_pence,
                    actor,
                    now,
                ],
            )
            .await
            .map_err(|e| match e {
                // Another open order took the CLI or ICCID meanwhile.
                e if e.is_unique_violation() => {
                    StoreError::Conflict("the ICCID or CLI is already on another open order".into())
                }
                other => other,
            })?;
        let (id, cli) = inserted;
        if pooled {
            tx.execute(
                "UPDATE number_pool SET order_mobile_id = $1 WHERE cli = $2",
                args![id, cli.clone()],
            )
            .await?;
        }
        crate::audit::write(
            tx,
            now,
            &AuditEntry::of(actor, Some(order.partner_id), "order", order_id, "add_mobile")
                .after(serde_json::json!({
                    "orderMobileId": id, "connectionType": req.connection_type.as_str(),
                    "network": network.as_str(), "tariffId": req.tariff_id, "cli": cli, "iccid": req.iccid })),
        )
        .await?;
        Ok((id, cli))
    }

    /// Reserves a number of `network`'s pool inside the caller's
    /// transaction: `chosen` when it is free, else the lowest free one.
    async fn reserve_number(
        &self,
        tx: &mut Tx,
        network: Network,
        chosen: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        if let Some(c) = chosen {
            let n = tx
                .execute(
                    "UPDATE number_pool SET status = 'reserved', updated_at = $1 WHERE cli = $2 AND network = $3 AND status = 'free'",
                    args![now, c, network.as_str()],
                )
                .await?;
            if n == 1 {
                return Ok(c.to_owned());
            }
            let entry: Option<(String,)> = tx
                .fetch_optional("SELECT network FROM number_pool WHERE cli = $1", args![c])
                .await?;
            return Err(match entry {
                Some((n,)) if n == network.as_str() => {
                    Error::Conflict(format!("cli: {c} is not free in the {network} pool"))
                }
                _ => Error::invalid(
                    "cli",
                    format!("{c} is not a {network} pool number; see ListAvailableNumbers"),
                ),
            }
            .into());
        }
        // PostgreSQL: skip numbers other transactions are reserving, rather
        // than wait for them. SQLite has one writer: nobody else is.
        let lock = if tx.is_postgres() { " FOR UPDATE SKIP LOCKED" } else { "" };
        let picked: Option<(String,)> = tx
            .fetch_optional(
                &format!(
                    "UPDATE number_pool SET status = 'reserved', updated_at = $1 WHERE status = 'free' AND cli = \
                     (SELECT cli FROM number_pool WHERE network = $2 AND status = 'free' ORDER BY cli LIMIT 1{lock}) RETURNING cli"
                ),
                args![now, network.as_str()],
            )
            .await?;
        if let Some((cli,)) = picked {
            return Ok(cli);
        }
        let page = PageRequest::new(None, Some(1)).expect("a valid page");
        Err(if self.numbers().free_numbers(network, page).await?.1 == 0 {
            Error::Conflict(format!("cli: no free {network} numbers are left in the pool"))
        } else {
            Error::Busy("cli: the number pool is busy; try again".into())
        }
        .into())
    }

    /// Removes a mobile from a draft order, releasing its reserved number.
    pub async fn remove_mobile(
        &self,
        actor: &str,
        vis: Visibility,
        order_id: i64,
        mobile_id: i64,
    ) -> Result<()> {
        let order = self.get_order(vis, order_id).await?;
        let now = self.now();
        self.write(async |tx| {
            if tx.execute(TOUCH_DRAFT, args![now, order_id]).await? != 1 {
                return Err(not_draft(&order));
            }
            let gone: Option<(Option<String>, bool)> = tx
                .fetch_optional(
                    "DELETE FROM order_mobiles WHERE id = $1 AND order_id = $2 RETURNING cli, number_reserved",
                    args![mobile_id, order_id],
                )
                .await?;
            let Some((cli, reserved)) = gone else {
                return Err(Error::not_found(format!(
                    "order mobile {mobile_id} is not on order {order_id}"
                ))
                .into());
            };
            if reserved {
                tx.execute(
                    "UPDATE number_pool SET status = 'free', order_mobile_id = NULL, updated_at = $1 WHERE cli = $2 AND status = 'reserved'",
                    args![now, &cli],
                )
                .await?;
            }
            let entry = AuditEntry::of(actor, Some(order.partner_id), "order", order_id, "remove_mobile")
                .before(serde_json::json!({"orderMobileId": mobile_id, "cli": cli}));
            crate::audit::write(tx, now, &entry).await
        })
        .await
    }

    /// What [`domain::ordering::check_extra`] reads to add `extra` to a
    /// visible draft mobile on `network`: the bundles its tariff allows, and the
    /// network's bundles or bars (for a bundle, only when the tariff does
    /// not allow it, to say why).
    pub async fn extra_catalogue(
        &self,
        mobile: &OrderMobileRow,
        network: Network,
        extra: MobileExtra,
    ) -> Result<(Vec<i64>, Vec<i64>)> {
        let catalogue = self.catalogue();
        Ok(match (extra.kind, mobile.tariff_id) {
            (ExtraKind::Bundle, tariff) => {
                let allowed: Vec<i64> = match tariff {
                    Some(t) => {
                        catalogue.bundles_for_tariff(t).await?.iter().map(|b| b.id).collect()
                    }
                    None => Vec::new(),
                };
                let on_network = if allowed.contains(&extra.item) {
                    Vec::new()
                } else {
                    catalogue.bundles_for_network(network).await?.iter().map(|b| b.id).collect()
                };
                (allowed, on_network)
            }
            (ExtraKind::Bar, _) => (
                Vec::new(),
                catalogue.bars_for_network(network).await?.iter().map(|b| b.id).collect(),
            ),
        })
    }

    /// Adds or removes a bundle or bar row of a draft mobile (an addition
    /// checked by the use case): an insert that hits the primary key is a
    /// duplicate (409); a delete of nothing is not found (404).
    pub async fn change_mobile_extra(
        &self,
        actor: &str,
        order: &OrderRow,
        mobile_id: i64,
        extra: MobileExtra,
    ) -> Result<()> {
        let sql = match (extra.kind, extra.add) {
            (ExtraKind::Bundle, true) => {
                "INSERT INTO order_mobile_bundles (order_mobile_id, bundle_id) VALUES ($1, $2)"
            }
            (ExtraKind::Bundle, false) => {
                "DELETE FROM order_mobile_bundles WHERE order_mobile_id = $1 AND bundle_id = $2"
            }
            (ExtraKind::Bar, true) => {
                "INSERT INTO order_mobile_bars (order_mobile_id, bar_id) VALUES ($1, $2)"
            }
            (ExtraKind::Bar, false) => {
                "DELETE FROM order_mobile_bars WHERE order_mobile_id = $1 AND bar_id = $2"
            }
        };
        let now = self.now();
        let clash = extra.clash(mobile_id);
        self.write(async |tx| {
            if tx.execute(TOUCH_DRAFT, args![now, order.id]).await? != 1 {
                return Err(not_draft(order));
            }
            let changed = tx
                .execute(sql, args![mobile_id, extra.item])
                .await
                .map_err(|e| StoreError::unique_of(e, clash.clone()))?;
            if changed != 1 {
                return Err(if extra.add {
                    StoreError::Conflict(clash)
                } else {
                    Error::not_found(clash).into()
                });
            }
            let entry = AuditEntry::of(
                actor,
                Some(order.partner_id),
                "order_mobile",
                mobile_id,
                extra.action(),
            )
            .after(serde_json::json!({"item": extra.item}));
            crate::audit::write(tx, now, &entry).await
        })
        .await
    }

    /// Starts a submission inside the caller's transaction: moves a
    /// visible draft order to Submitted (with its history row) and answers
    /// what the submission rules read of each mobile. The use case checks
    /// them; a refusal rolls the move back.
    pub async fn begin_submit(
        &self,
        tx: &mut Tx,
        actor: &str,
        vis: Visibility,
        order_id: i64,
    ) -> Result<(OrderRow, Vec<SubmitFacts>)> {
        let now = self.now();
        let (all, partner) = vis.binds();
        let sql = format!(
            "SELECT {M_MOBILE_COLS}, t.name AS tariff_name, t.network AS tariff_network, t.retired AS tariff_retired, t.bill_cap_eligible AS tariff_bill_cap_eligible, \
             t.bill_cap_min_pence AS tariff_bill_cap_min_pence, t.bill_cap_max_pence AS tariff_bill_cap_max_pence, \
             (SELECT MIN(c.id) FROM connections c WHERE c.iccid = m.iccid AND c.status NOT IN ('Ceased', 'PortedOut')) AS iccid_contract, \
             (SELECT MIN(c.id) FROM connections c WHERE c.cli = m.cli AND c.customer_id = $2 AND c.status = 'Active') AS live_contract \
             FROM order_mobiles m LEFT JOIN tariffs t ON t.id = m.tariff_id WHERE m.order_id = $1 ORDER BY m.id");
        // The move is the first write: it takes the lock and proves the
        // order is visible and still a draft; a refusal below rolls it all
        // back, history row included.
        let moved: Option<OrderRow> = tx
            .fetch_optional(
                &format!(
                    "UPDATE orders SET status = 'Submitted', updated_at = $1, updated_by = $2, status_note = NULL, submitted_at = $1 \
                     WHERE id = $3 AND status = 'Draft' AND ($4 OR partner_id = $5) RETURNING {ORDER_COLS}"
                ),
                args![now, actor, order_id, all, partner],
            )
            .await?;
        let Some(order) = moved else {
            // Not visible (404), or not a draft (409 naming its state).
            let order = self.get_order(vis, order_id).await?;
            order.status.apply(OrderEvent::Submit)?;
            return Err(not_draft(&order));
        };
        let entry = HistoryEntry {
            order_id,
            from: Some(OrderStatus::Draft),
            to: OrderStatus::Submitted,
            note: None,
        };
        write_history(tx, now, actor, &[entry]).await?;
        let rows: Vec<SubmitRow> = tx.fetch_all(&sql, args![order_id, order.customer_id]).await?;
        Ok((order, submit_facts(&rows)?))
    }

    /// Ends a submission the use case has checked, in the same
    /// transaction: the mobiles Pending and the provisioning job queued to
    /// run at `now_ms`.
    pub async fn finish_submit(&self, tx: &mut Tx, order_id: i64, now_ms: i64) -> Result<()> {
        let now = self.now();
        tx.execute(
            "UPDATE order_mobiles SET status = 'Pending', updated_at = $1 WHERE order_id = $2",
            args![now, order_id],
        )
        .await?;
        crate::jobs::enqueue(tx, now, &crate::jobs::ProvisionOrder { order_id }, now_ms).await?;
        Ok(())
    }

    /// Moves `order` (as read) to `to`, Draft (ReturnOrderToDraft) or
    /// Cancelled (CancelOrder), as the use case decided: only while
    /// provisioning has not started, which is proved by removing the
    /// order's still-queued job in the same transaction.
    pub async fn withdraw_order(
        &self,
        actor: &str,
        vis: Visibility,
        order: &OrderRow,
        to: OrderStatus,
    ) -> Result<OrderRow> {
        let (order_id, from) = (order.id, order.status);
        let cancel = to == OrderStatus::Cancelled;
        let now = self.now();
        let started = || StoreError::Rule(domain::order::too_late_to_withdraw(order_id, from, to));
        self.write(async |tx| {
            let moved = tx
                .execute(
                    "UPDATE orders SET status = $1, updated_at = $2, updated_by = $3, status_note = NULL, \
                     completed_at = CASE WHEN $1 = 'Cancelled' THEN $2 ELSE completed_at END \
                     WHERE id = $4 AND status = $5",
                    args![to.as_str(), now, actor, order_id, from.as_str()],
                )
                .await?;
            if moved != 1 {
                return Err(started());
            }
            let entry = HistoryEntry {
                order_id,
                from: Some(from),
                to,
                note: None,
            };
            write_history(tx, now, actor, &[entry]).await?;
            if from == OrderStatus::Submitted {
                let removed = tx
                    .execute(
                        "DELETE FROM jobs WHERE kind = 'provision_order' AND idempotency_key LIKE $1 AND state = 'queued'",
                        args![format!("provision-order-{order_id}-%")],
                    )
                    .await?;
                if removed == 0 {
                    return Err(started());
                }
            }
            let mobile_status = if cancel {
                MobileStatus::Cancelled
            } else {
                MobileStatus::Draft
            };
            tx.execute(
                "UPDATE order_mobiles SET status = $1, updated_at = $2 WHERE order_id = $3",
                args![mobile_status, now, order_id],
            )
            .await?;
            if cancel {
                tx.execute(
                    "UPDATE number_pool SET status = 'free', order_mobile_id = NULL, updated_at = $1 WHERE status = 'reserved' \
                     AND cli IN (SELECT cli FROM order_mobiles WHERE order_id = $2 AND number_reserved)",
                    args![now, order_id],
                )
                .await?;
            }
            crate::audit::write(
                tx,
                now,
                &AuditEntry::of(actor, Some(order.partner_id), "order", order_id, if cancel { "cancel" } else { "return_to_draft" })
                    .before(serde_json::json!({"status": from}))
                    .after(serde_json::json!({"status": to})),
            )
            .await
        })
        .await?;
        self.get_order(vis, order_id).await
    }

    /// What the worker needs to provision an order, read off the writer:
    /// the order, all its mobiles, and for each the bundles, bars and
    /// tariff term a new connection takes. `None` when the order is not (or
    /// no longer) Submitted or InProgress.
    pub async fn provisioning_view(&self, order_id: i64) -> Result<Option<ProvisioningView>> {
        Ok(self.provisioning_views(&[order_id]).await?.pop().flatten())
    }

    /// [`Store::provisioning_view`] for several orders at once, in five
    /// queries whatever their number; answers in the order asked.
    pub async fn provisioning_views(
        &self,
        order_ids: &[i64],
    ) -> Result<Vec<Option<ProvisioningView>>> {
        if order_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = in_list(1, order_ids.len());
        let orders_sql = format!("SELECT {ORDER_COLS} FROM orders WHERE id IN ({ids})");
        let terms_sql = format!("SELECT m.order_id, m.id, t.term_months FROM order_mobiles m JOIN tariffs t ON t.id = m.tariff_id WHERE m.order_id IN ({ids})");
        let id_args = || crate::tx::ids(order_ids);
        let orders: Vec<OrderRow> = self.read_all(&orders_sql, id_args()).await?;
        let terms: Vec<(i64, i64, i64)> = self.read_all(&terms_sql, id_args()).await?;
        let mut mobiles = self.mobiles_of(order_ids).await?;
        let mut out = Vec::with_capacity(order_ids.len());
        for id in order_ids {
            let Some(order) = orders.iter().find(|o| o.id == *id) else {
                out.push(None);
                continue;
            };
            let status = order.status;
            if !matches!(status, OrderStatus::Submitted | OrderStatus::InProgress) {
                out.push(None);
                continue;
            }
            let (mine, rest): (Vec<OrderMobile>, Vec<OrderMobile>) =
                mobiles.into_iter().partition(|m| m.row.order_id == *id);
            mobiles = rest;
            out.push(Some(ProvisioningView {
                order: order.clone(),
                status,
                mobiles: mine,
                terms: terms.iter().filter(|t| t.0 == *id).map(|t| (t.1, t.2)).collect(),
            }));
        }
        Ok(out)
    }

    /// Applies the network's outcomes to one order; see [`Store::apply_batch`].
    pub async fn apply_outcomes(
        &self,
        actor: &str,
        view: &ProvisioningView,
        outcomes: &[(i64, Outcome)],
    ) -> Result<Option<OrderStatus>> {
        let batch = [OrderOutcomes { view, outcomes: outcomes.to_vec() }];
        Ok(self.apply_batch(actor, &batch).await?.pop().flatten())
    }

    /// Applies the networks' outcomes to several orders' pending mobiles in
    /// one transaction, with one multi-row statement for each kind of
    /// change across them all: Submitted orders move to InProgress, new
    /// connections are made (or changed, or ceased), mobiles are marked,
    /// numbers are assigned or released, connections are audited, and the
    /// orders with no mobile pending any more finish. Each change is guarded
    /// by the state it expects (the order Submitted as read, the mobile
    /// still Pending), so a job run twice applies nothing twice. Answers
    /// each order's status after, in the batch's order.
    pub async fn apply_batch(
        &self,
        actor: &str,
        batch: &[OrderOutcomes<'_>],
    ) -> Result<Vec<Option<OrderStatus>>> {
        let now = self.now();
        // Work out, off the database, what each answer does.
        struct Live<'a> {
            order: &'a OrderRow,
            m: &'a OrderMobileRow,
            cli: String,
            contract: Option<i64>,
            action: &'static str,
            code: Option<String>,
            eid: Option<String>,
            reference: String,
        }
        struct Make<'a> {
            order: &'a OrderRow,
            mobile: &'a OrderMobile,
            cli: String,
            start: NaiveDate,
            eid: Option<String>,
            term: i64,
        }
        enum Change<'a> {
            Migrate {
                order: &'a OrderRow,
                mobile: &'a OrderMobile,
                cli: String,
                start: NaiveDate,
                term: i64,
            },
            Cease {
                order: &'a OrderRow,
                cli: String,
            },
        }
        let mut makes: Vec<Make> = Vec::new();
        let mut live: Vec<Live> = Vec::new();
        let mut changes: Vec<(Change, Live)> = Vec::new();
        let mut refused: Vec<(&OrderRow, &OrderMobileRow, String)> = Vec::new();
        for item in batch {
            let view = item.view;
            for (mobile_id, outcome) in &item.outcomes {
                let Some(mobile) = view
                    .mobiles
                    .iter()
                    .find(|m| m.row.id == *mobile_id && m.row.status == MobileStatus::Pending)
                else {
                    continue;
                };
                let m = &mobile.row;
                let Outcome::Activated {
                    cli: assigned,
                    network_reference,
                    esim_activation_code,
                    eid,
                    effective_date,
                } = outcome
                else {
                    if let Outcome::Rejected { reason } = outcome {
                        refused.push((&view.order, m, reason.clone()));
                    }
                    continue;
                };
                let cli = assigned.clone().or_else(|| m.cli.clone()).unwrap_or_default();
                let term =
                    view.terms.iter().find(|(id, _)| id == mobile_id).map(|(_, t)| *t).unwrap_or(0);
                let l = Live {
                    order: &view.order,
                    m,
                    cli: cli.clone(),
                    contract: None,
                    action: "create",
                    code: esim_activation_code.clone(),
                    eid: eid.clone(),
                    reference: network_reference.clone(),
                };
                match ConnectionType::parse_field(&m.connection_type, "connectionType")
                    .map_err(|_| StoreError::Corrupt(format!("order mobile {mobile_id}")))?
                    .activation()
                {
                    Activation::Connect => {
                        makes.push(Make {
                            order: &view.order,
                            mobile,
                            cli,
                            start: *effective_date,
                            eid: eid.clone(),
                            term,
                        });
                        live.push(l);
                    }
                    Activation::Migrate => changes.push((
                        Change::Migrate {
                            order: &view.order,
                            mobile,
                            cli,
                            start: *effective_date,
                            term,
                        },
                        Live { action: "migrate", ..l },
                    )),
                    Activation::Cease => changes.push((
                        Change::Cease { order: &view.order, cli },
                        Live { action: "cease", ..l },
                    )),
                }
            }
        }
        let submitted: Vec<i64> = batch
            .iter()
            .filter(|b| b.view.status == OrderStatus::Submitted)
            .map(|b| b.view.order.id)
            .collect();
        const CHUNK: usize = 200;

        self.write(async |tx| {
            if !submitted.is_empty() {
                let sql = format!("UPDATE orders SET status = 'InProgress', updated_at = $1, updated_by = $2, status_note = NULL WHERE status = 'Submitted' AND id IN ({})", in_list(3, submitted.len()));
                let mut a = args![now, actor];
                a.extend(crate::tx::ids(&submitted));
                if tx.execute(&sql, a).await? != submitted.len() as u64 {
                    return Err(StoreError::Conflict(
                        "an order of the batch moved on while it was provisioned".into(),
                    ));
                }
                let moved: Vec<HistoryEntry> = submitted
                    .iter()
                    .map(|id| HistoryEntry {
                        order_id: *id,
                        from: Some(OrderStatus::Submitted),
                        to: OrderStatus::InProgress,
                        note: None,
                    })
                    .collect();
                write_history(tx, now, actor, &moved).await?;
            }
            for (change, mut l) in changes {
                let contract: Option<i64> = match change {
                    Change::Migrate { order, mobile, cli, start, term } => {
                        let m = &mobile.row;
                        tx.fetch_optional::<(i64,)>(
                            "UPDATE connections SET tariff_id = $1, start_date = $2, contract_end_date = $3, bill_cap_enabled = $4, bill_cap_pence = $5, bundles = $6, updated_at = $7 \
                             WHERE cli = $8 AND customer_id = $9 AND status = 'Active' RETURNING id",
                            args![m.tariff_id, start, domain::tariff::contract_end(start, term), m.enable_bill_cap, m.bill_cap_pence,
                                  serde_json::to_string(&mobile.bundles).expect("serialises"), now, &cli, order.customer_id]).await?.map(|(id,)| id)
                    }
                    Change::Cease { order, cli, .. } => tx.fetch_optional::<(i64,)>("UPDATE connections SET status = 'Ceased', updated_at = $1 WHERE cli = $2 AND customer_id = $3 AND status = 'Active' RETURNING id",
                        args![now, &cli, order.customer_id]).await?.map(|(id,)| id),
                };
                match contract {
                    Some(c) => {
                        l.contract = Some(c);
                        live.push(l);
                    }
                    None => refused.push((l.order, l.m, no_longer_live(&l.cli))),
                }
            }
            // New connections; a live connection with the number or ICCID
            // already makes its row a no-op (partial unique indexes).
            let mut made: Vec<(i64, String)> = Vec::new();
            for chunk in makes.chunks(CHUNK) {
                const COLS: usize = 16;
                let rows: Vec<String> = (0..chunk.len())
                    // created_at's placeholder stands for updated_at too.
                    .map(|r| format!("({}, ${})", in_list(r * COLS + 1, COLS), r * COLS + COLS))
                    .collect();
                let sql = format!(
                    "INSERT INTO connections (partner_id, customer_id, cli, network, status, tariff_id, sim_type, iccid, eid, start_date, contract_end_date, bill_cap_enabled, bill_cap_pence, bundles, bars, created_at, updated_at) \
                     VALUES {} ON CONFLICT DO NOTHING RETURNING id, cli", rows.join(", "));
                let mut a = Vec::with_capacity(chunk.len() * COLS);
                for mk in chunk {
                    let m = &mk.mobile.row;
                    a.extend(args![
                        mk.order.partner_id,
                        mk.order.customer_id,
                        mk.cli.clone(),
                        m.network.clone(),
                        ConnectionStatus::Active,
                        m.tariff_id,
                        m.sim_type.clone().unwrap_or_else(|| "Physical".into()),
                        m.iccid.clone(),
                        mk.eid.clone(),
                        mk.start,
                        domain::tariff::contract_end(mk.start, mk.term),
                        m.enable_bill_cap,
                        m.bill_cap_pence,
                        serde_json::to_string(&mk.mobile.bundles).expect("serialises"),
                        serde_json::to_string(&mk.mobile.bars).expect("serialises"),
                        now
                    ]);
                }
                made.extend(tx.fetch_all::<(i64, String)>(&sql, a).await?);
            }
            let mut kept = Vec::with_capacity(live.len());
            for l in live {
                if l.action != "create" {
                    kept.push(l);
                } else if let Some((id, _)) = made.iter().find(|(_, c)| *c == l.cli) {
                    kept.push(Live {
                        contract: Some(*id),
                        ..l
                    });
                } else {
                    refused.push((l.order, l.m, TAKEN_MEANWHILE.into()));
                }
            }
            let live = kept;
            for chunk in live.chunks(CHUNK) {
                const COLS: usize = 6;
                let rows: Vec<String> = (0..chunk.len())
                    .map(|r| format!("({})", in_list(r * COLS + 2, COLS)))
                    .collect();
                let sql = format!(
                    "WITH v (id, contract, cli, code, eid, reference) AS (VALUES {}) \
                     UPDATE order_mobiles SET status = 'Completed', contract_id = v.contract, cli = v.cli, esim_activation_code = v.code, eid = v.eid, network_reference = v.reference, updated_at = $1 \
                     FROM v WHERE order_mobiles.id = v.id AND order_mobiles.status = 'Pending'", rows.join(", "));
                let mut a = args![now];
                for l in chunk {
                    a.extend(args![
                        l.m.id,
                        l.contract,
                        l.cli.clone(),
                        l.code.clone(),
                        l.eid.clone(),
                        l.reference.clone()
                    ]);
                }
                if tx.execute(&sql, a).await? != chunk.len() as u64 {
                    return Err(StoreError::Conflict(
                        "a mobile of the batch was applied concurrently".into(),
                    ));
                }
                // Numbers taken from the pool are assigned to the mobile
                // that took them (known here: no lookup by number).
                let taken: Vec<&Live> = chunk.iter().filter(|l| l.action == "create").collect();
                if !taken.is_empty() {
                    let rows: Vec<String> = (0..taken.len())
                        .map(|r| format!("({})", in_list(2 + r * 2, 2)))
                        .collect();
                    let sql = format!(
                        "WITH v (cli, mobile) AS (VALUES {}) \
                         UPDATE number_pool SET status = 'assigned', updated_at = $1, \
                         order_mobile_id = (SELECT v.mobile FROM v WHERE v.cli = number_pool.cli) \
                         WHERE cli IN (SELECT cli FROM v)",
                        rows.join(", ")
                    );
                    let mut a = args![now];
                    for l in taken {
                        a.extend(args![l.cli.clone(), l.m.id]);
                    }
                    tx.execute(&sql, a).await?;
                }
                const ACOLS: usize = 5;
                let rows: Vec<String> = (0..chunk.len())
                    .map(|r| format!("($1, $2, 'connection', {})", in_list(3 + r * ACOLS, ACOLS)))
                    .collect();
                let sql = format!("INSERT INTO audit_log (at, actor, entity, partner_id, entity_id, action, before_json, after_json) VALUES {}", rows.join(", "));
                let mut a = args![now, actor];
                for l in chunk {
                    let contract = l.contract.expect("every live mobile has its contract");
                    a.extend(args![l.order.partner_id, contract.to_string(), l.action, None::<String>,
                        serde_json::json!({"orderId": l.order.id, "orderMobileId": l.m.id, "cli": l.cli, "networkReference": l.reference}).to_string()]);
                }
                tx.execute(&sql, a).await?;
            }
            for (order, m, reason) in &refused {
                let rejected = tx.execute("UPDATE order_mobiles SET status = 'Rejected', reason = $1, updated_at = $2 WHERE id = $3 AND status = 'Pending'",
                    args![reason, now, m.id]).await?;
                if m.number_reserved {
                    tx.execute("UPDATE number_pool SET status = 'free', order_mobile_id = NULL, updated_at = $1 WHERE cli = $2 AND status = 'reserved'",
                        args![now, &m.cli]).await?;
                }
                if rejected == 1 {
                    // Each refused mobile raises its own ticket, now.
                    let ticket =
                        domain::task::mobile_refused(order.id, m.id, m.cli.as_deref(), reason);
                    let on = crate::tasks::TicketOn {
                        partner_id: order.partner_id,
                        customer_id: order.customer_id,
                        contract_id: None,
                        order_id: Some(order.id),
                    };
                    crate::tasks::raise(tx, now, actor, on, &ticket).await?;
                }
            }
            // Finish the orders with nothing pending: one update, and their
            // history rows.
            let mut statuses = Vec::with_capacity(batch.len());
            let mut finished: Vec<(i64, OrderStatus, String, Option<String>)> = Vec::new();
            for item in batch {
                let v = item.view;
                let completed = v
                    .mobiles
                    .iter()
                    .filter(|m| m.row.status == MobileStatus::Completed)
                    .count()
                    + live.iter().filter(|l| l.order.id == v.order.id).count();
                let failed = v
                    .mobiles
                    .iter()
                    .filter(|m| m.row.status == MobileStatus::Rejected)
                    .count()
                    + refused.iter().filter(|r| r.0.id == v.order.id).count();
                if completed + failed < v.mobiles.len() {
                    statuses.push(Some(OrderStatus::InProgress));
                    continue;
                }
                let status =
                    OrderStatus::InProgress.apply(OrderEvent::Finish { completed, failed })?;
                let reason = v
                    .mobiles
                    .iter()
                    .find(|m| m.row.status == MobileStatus::Rejected)
                    .and_then(|m| m.row.reason.clone())
                    .or_else(|| {
                        refused
                            .iter()
                            .find(|r| r.0.id == v.order.id)
                            .map(|r| r.2.clone())
                    });
                finished.push((
                    v.order.id,
                    status,
                    format!("{completed} live, {failed} refused"),
                    reason,
                ));
                statuses.push(Some(status));
            }
            if !finished.is_empty() {
                let n = finished.len();
                let case = |col: usize| {
                    (0..n)
                        .map(|i| format!("WHEN ${} THEN ${}", 3 + i * 4, 3 + i * 4 + col))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let sql = format!(
                    "UPDATE orders SET status = CASE id {} END, status_note = CASE id {} END, reason = CASE id {} END, \
                     updated_at = $1, updated_by = $2, completed_at = $1 WHERE status = 'InProgress' AND id IN ({})",
                    case(1), case(2), case(3), (0..n).map(|i| format!("${}", 3 + i * 4)).collect::<Vec<_>>().join(", "));
                let mut a = args![now, actor];
                for (id, status, note, reason) in &finished {
                    a.extend(args![*id, status.as_str(), note.clone(), reason.clone()]);
                }
                if tx.execute(&sql, a).await? != n as u64 {
                    return Err(StoreError::Conflict(
                        "an order of the batch moved on while it was provisioned".into(),
                    ));
                }
                let ended: Vec<HistoryEntry> = finished
                    .iter()
                    .map(|(id, status, note, _)| HistoryEntry {
                        order_id: *id,
                        from: Some(OrderStatus::InProgress),
                        to: *status,
                        note: Some(note),
                    })
                    .collect();
                write_history(tx, now, actor, &ended).await?;
            }
            Ok::<_, StoreError>(statuses)
        })
        .await
    }
}

/// One order's answers, for [`Store::apply_batch`].
pub struct OrderOutcomes<'a> {
    pub view: &'a ProvisioningView,
    pub outcomes: Vec<(i64, Outcome)>,
}

/// An order as the worker provisions it.
#[derive(Debug, Clone)]
pub struct ProvisioningView {
    pub order: OrderRow,
    pub status: OrderStatus,
    pub mobiles: Vec<OrderMobile>,
    /// (order mobile id, tariff term in months).
    terms: Vec<(i64, i64)>,
}

impl ProvisioningView {
    /// The mobiles still waiting for the network.
    pub fn pending(&self) -> impl Iterator<Item = &OrderMobileRow> {
        self.mobiles.iter().map(|m| &m.row).filter(|m| m.status == MobileStatus::Pending)
    }
}

/// What SubmitOrder's rules need to know of each stored mobile.
fn submit_facts(rows: &[SubmitRow]) -> Result<Vec<SubmitFacts>> {
    rows.iter()
        .map(|r| {
            let tariff = match (&r.tariff_name, &r.tariff_network) {
                (Some(name), Some(network)) => Some(TariffLimits {
                    id: r.m.tariff_id.unwrap_or_default(),
                    name: name.clone(),
                    network: crate::catalogue::parse_network(network)?,
                    retired: r.tariff_retired.unwrap_or(false),
                    bill_cap_eligible: r.tariff_bill_cap_eligible.unwrap_or(false),
                    bill_cap_min_pence: r.tariff_bill_cap_min_pence.unwrap_or(0),
                    bill_cap_max_pence: r.tariff_bill_cap_max_pence.unwrap_or(0),
                }),
                _ => None,
            };
            Ok(SubmitFacts {
                order_mobile_id: r.m.id,
                request: r.m.request()?,
                tariff,
                iccid_in_use: r.iccid_contract.and(r.m.iccid.clone()),
                live_connection: r.live_contract.is_some(),
            })
        })
        .collect()
}

impl crate::read::Listing for OrderRow {
    const PARENT: crate::read::Parent = crate::read::Parent::Customer;
    const ORDER: &'static str = "id DESC";
    fn rows() -> String {
        format!("SELECT {ORDER_COLS} FROM orders WHERE customer_id = $1")
    }
}
