//! Orders: the portal's draft order process, and what provisioning does to
//! them. Each operation is one transaction that re-checks the order's state
//! as its first write, so concurrent calls and the worker never cross:
//! a mobile cannot be added to an order that was just submitted, and an
//! order cannot return to draft once the worker has claimed its job.
//! Every transition writes the order's history and an audit row.

use crate::connections::{ConnectionBar, ConnectionBundle};
use crate::{enqueue_job, on_db, write_audit, Result, Store, StoreError, Visibility};
use chrono::{DateTime, NaiveDate, Utc};
use domain::order::{OrderEvent, OrderStatus};
use domain::ordering::{
    check_tariff, submit_problems, ConnectionType, MobileRequest, Problem, SimType, TariffLimits,
};
use domain::paging::PageRequest;
use domain::{Cli, Error, Network};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: i64,
    pub reference: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl OrderRow {
    pub fn status(&self) -> Result<OrderStatus> {
        self.status.parse().map_err(|_| {
            StoreError::Corrupt(format!("order {} has status {:?}", self.id, self.status))
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
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
    pub status: String,
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
            network: self
                .network
                .parse::<Network>()
                .map_err(|_| corrupt("network"))?,
            tariff_id: self.tariff_id,
            cli: self
                .cli
                .as_deref()
                .map(Cli::parse)
                .transpose()
                .map_err(|_| corrupt("cli"))?,
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub note: Option<String>,
}

/// What the network answered for one mobile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    tag = "result",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
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

#[derive(Debug, Clone, sqlx::FromRow)]
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

/// Moves an order from one status to another inside a transaction (the
/// database writes its history row); evaluates to whether it moved (the
/// order was in `from`).
macro_rules! move_order {
    ($tx:expr, $id:expr, $from:expr, $to:expr, $actor:expr, $note:expr) => {{
        let to: OrderStatus = $to;
        let from: OrderStatus = $from;
        let note: Option<String> = $note;
        sqlx::query(
            "UPDATE orders SET status = $1, updated_at = $2, updated_by = $5, status_note = $6, \
             submitted_at = CASE WHEN $1 = 'Submitted' THEN $2 ELSE submitted_at END, \
             completed_at = CASE WHEN $1 IN ('Completed', 'Rejected', 'PartiallyCompleted', 'Cancelled') THEN $2 ELSE completed_at END \
             WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(crate::now())
        .bind($id)
        .bind(from.as_str())
        .bind($actor)
        .bind(note)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            == 1
    }};
}

/// Bumps a Draft order's `updated_at` as a transaction's first write:
/// takes the write lock and proves the order is still a draft.
const TOUCH_DRAFT: &str = "UPDATE orders SET updated_at = $1 WHERE id = $2 AND status = 'Draft'";

fn not_draft(order: &OrderRow) -> StoreError {
    StoreError::Rule(Error::Conflict(format!(
        "order {} is {}; only a Draft order can be changed",
        order.id, order.status
    )))
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

impl Store {
    /// Creates a draft order for a customer visible to the caller.
    pub async fn create_order(
        &self,
        actor: &str,
        vis: Visibility,
        customer_id: i64,
        reference: &str,
    ) -> Result<OrderRow> {
        let customer = self.get_customer(vis, customer_id).await?;
        let now = crate::now();
        // One statement: the database writes the history row.
        Ok(
            on_db!(self.writer(), p => sqlx::query_as::<_, OrderRow>(&format!(
            "INSERT INTO orders (partner_id, customer_id, reference, status, created_by, updated_by, created_at, updated_at) VALUES ($1, $2, $3, 'Draft', $4, $4, $5, $5) RETURNING {ORDER_COLS}"))
            .bind(customer.partner_id).bind(customer_id).bind(reference).bind(actor).bind(now)
            .fetch_one(p).await)?,
        )
    }

    /// An order visible to the caller.
    pub async fn get_order(&self, vis: Visibility, id: i64) -> Result<OrderRow> {
        let (all, partner) = vis.binds();
        on_db!(self.db(), p => sqlx::query_as::<_, OrderRow>(&format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1 AND ($2 OR partner_id = $3)"))
            .bind(id).bind(all).bind(partner).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// Orders visible to the caller among `ids` (others are simply absent).
    pub async fn orders_by_ids(&self, vis: Visibility, ids: &[i64]) -> Result<Vec<OrderRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.get_order(vis, *id).await {
                Ok(o) => out.push(o),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// A page of a visible customer's orders, newest first, with the total.
    pub async fn orders_for_customer(
        &self,
        vis: Visibility,
        customer_id: i64,
        page: PageRequest,
    ) -> Result<(Vec<OrderRow>, i64)> {
        self.get_customer(vis, customer_id).await?;
        on_db!(self.db(), p => {
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE customer_id = $1").bind(customer_id).fetch_one(p).await?;
            let rows = sqlx::query_as::<_, OrderRow>(&format!("SELECT {ORDER_COLS} FROM orders WHERE customer_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"))
                .bind(customer_id).bind(page.limit()).bind(page.offset()).fetch_all(p).await?;
            Ok((rows, total))
        })
    }

    /// An order's mobiles with their bundles and bars, in the order added.
    pub async fn order_mobiles(&self, order_id: i64) -> Result<Vec<OrderMobile>> {
        on_db!(self.db(), p => {
            let rows = sqlx::query_as::<_, OrderMobileRow>(&format!("SELECT {MOBILE_COLS} FROM order_mobiles WHERE order_id = $1 ORDER BY id"))
                .bind(order_id).fetch_all(p).await?;
            let bundles: Vec<(i64, i64, String, i64)> = sqlx::query_as(
                "SELECT ob.order_mobile_id, b.id, b.name, b.monthly_pence FROM order_mobile_bundles ob JOIN bundles b ON b.id = ob.bundle_id \
                 JOIN order_mobiles m ON m.id = ob.order_mobile_id WHERE m.order_id = $1 ORDER BY b.id")
                .bind(order_id).fetch_all(p).await?;
            let bars: Vec<(i64, i64, String, String)> = sqlx::query_as(
                "SELECT obr.order_mobile_id, b.id, b.bar_suffix, b.name FROM order_mobile_bars obr JOIN bars b ON b.id = obr.bar_id \
                 JOIN order_mobiles m ON m.id = obr.order_mobile_id WHERE m.order_id = $1 ORDER BY b.id")
                .bind(order_id).fetch_all(p).await?;
            Ok(rows.into_iter().map(|row| {
                let id = row.id;
                OrderMobile {
                    bundles: bundles.iter().filter(|b| b.0 == id).map(|b| ConnectionBundle { tariff_option_id: b.1, name: b.2.clone(), monthly_pence: b.3 }).collect(),
                    bars: bars.iter().filter(|b| b.0 == id).map(|b| ConnectionBar { bar_id: b.1, bar_suffix: b.2.clone(), name: b.3.clone() }).collect(),
                    row,
                }
            }).collect())
        })
    }

    /// An order's status history, oldest first.
    pub async fn order_history(&self, order_id: i64) -> Result<Vec<HistoryRow>> {
        Ok(
            on_db!(self.db(), p => sqlx::query_as::<_, HistoryRow>("SELECT from_status, to_status, at, actor, note FROM order_history WHERE order_id = $1 ORDER BY id")
            .bind(order_id).fetch_all(p).await)?,
        )
    }

    /// The order a mobile belongs to, if visible to the caller.
    pub async fn order_of_mobile(
        &self,
        vis: Visibility,
        mobile_id: i64,
    ) -> Result<(OrderRow, OrderMobileRow)> {
        let row = on_db!(self.db(), p => sqlx::query_as::<_, OrderMobileRow>(&format!("SELECT {MOBILE_COLS} FROM order_mobiles WHERE id = $1"))
            .bind(mobile_id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)?;
        let order = self.get_order(vis, row.order_id).await?;
        Ok((order, row))
    }

    /// Whether an ICCID is on an open (draft or pending) order mobile.
    async fn iccid_on_open_order(&self, iccid: &Option<String>) -> Result<bool> {
        let Some(iccid) = iccid else { return Ok(false) };
        let n: i64 = on_db!(self.db(), p => sqlx::query_scalar("SELECT COUNT(*) FROM order_mobiles WHERE iccid = $1 AND status IN ('Draft', 'Pending')")
            .bind(iccid).fetch_one(p).await)?;
        Ok(n > 0)
    }

    /// The live contract using an ICCID, if any.
    async fn iccid_contract(&self, iccid: &str) -> Result<Option<i64>> {
        Ok(
            on_db!(self.db(), p => sqlx::query_scalar("SELECT MIN(id) FROM connections WHERE iccid = $1 AND status NOT IN ('Ceased', 'PortedOut')")
            .bind(iccid).fetch_one(p).await)?,
        )
    }

    /// Adds a mobile to a draft order, after every check that does not
    /// wait for submission. Answers its id and number (reserved from the
    /// pool for `New` on Vodafone and O2; `None` on EE until activation).
    pub async fn add_mobile(
        &self,
        actor: &str,
        vis: Visibility,
        order_id: i64,
        req: &MobileRequest,
    ) -> Result<(i64, Option<String>)> {
        let order = self.get_order(vis, order_id).await?;
        if order.status != "Draft" {
            return Err(not_draft(&order));
        }
        if let Some(tid) = req.tariff_id {
            let t = self.tariff(tid).await.map_err(|e| match e {
                StoreError::NotFound => StoreError::Rule(Error::invalid(
                    "tariffId",
                    format!("there is no tariff {tid}"),
                )),
                other => other,
            })?;
            check_tariff(req, &limits(&t)?)?;
        }
        let cli = req.cli.as_ref().map(|c| c.as_str().to_owned());
        match (req.connection_type, &cli) {
            (ConnectionType::Migration | ConnectionType::Disconnection, Some(c)) => {
                let live = self
                    .connection_by_cli(Visibility::All, c)
                    .await
                    .ok()
                    .filter(|x| x.customer_id == order.customer_id && x.status == "Active");
                let Some(conn) = live else {
                    return Err(Error::invalid(
                        "cli",
                        format!(
                            "{c} is not a live connection of customer {}",
                            order.customer_id
                        ),
                    )
                    .into());
                };
                if conn.network != req.network.as_str() {
                    return Err(Error::invalid(
                        "network",
                        format!("{c} is on {}, not {}", conn.network, req.network),
                    )
                    .into());
                }
            }
            (ConnectionType::Port, Some(c)) => {
                if let Ok(conn) = self.connection_by_cli(Visibility::All, c).await {
                    if conn.status == "Active" {
                        return Err(Error::Conflict(format!("cli: {c} is already a live connection here; move it with a Migration instead")).into());
                    }
                }
            }
            _ => {}
        }
        if let Some(iccid) = &req.iccid {
            if let Some(contract) = self.iccid_contract(iccid).await? {
                return Err(Error::Conflict(format!(
                    "iccid: {iccid} is already in use on contract {contract}"
                ))
                .into());
            }
        }
        let network = req.network;
        let pooled = req.connection_type == ConnectionType::New && network.offers_numbers();
        // One statement. With an empty cli on a pooled network it takes the
        // lowest free number; the database refuses a non-draft order or a
        // number that is not free, reserves the number, and audits.
        let sql = "INSERT INTO order_mobiles (order_id, connection_type, network, tariff_id, cli, number_reserved, pac_code, pac_expiry_date, port_date, stac_code, sim_type, iccid, \
                   bill_cap_offered, enable_bill_cap, bill_cap_pence, status, created_by, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, CASE WHEN $6 AND $5 IS NULL THEN (SELECT cli FROM number_pool WHERE network = $3 AND status = 'free' ORDER BY cli LIMIT 1) ELSE $5 END, \
                   $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'Draft', $16, $17, $17) RETURNING id, cli";
        // Two allocations racing for one free number: the loser tries again.
        for _ in 0..5 {
            let now = crate::now();
            let inserted: std::result::Result<(i64, Option<String>), sqlx::Error> = on_db!(self.writer(), p => sqlx::query_as(sql)
                .bind(order_id).bind(req.connection_type.as_str()).bind(network.as_str()).bind(req.tariff_id).bind(&cli).bind(pooled)
                .bind(&req.pac_code).bind(req.pac_expiry_date).bind(req.port_date).bind(&req.stac_code)
                .bind(req.sim_type.map(SimType::as_str)).bind(&req.iccid).bind(req.bill_cap_offered).bind(req.enable_bill_cap).bind(req.bill_cap_pence)
                .bind(actor).bind(now)
                .fetch_one(p).await);
            let err = match inserted {
                Ok(row) => return Ok(row),
                Err(e) => e,
            };
            let message = match &err {
                sqlx::Error::Database(db) => db.message().to_owned(),
                _ => String::new(),
            };
            if message.contains("switchboard: order not draft") {
                return Err(not_draft(&self.get_order(vis, order_id).await?));
            }
            let duplicate = matches!(&err, sqlx::Error::Database(db) if db.is_unique_violation());
            let number_taken = message.contains("switchboard: number not free")
                || (pooled && duplicate && !self.iccid_on_open_order(&req.iccid).await?);
            if !number_taken {
                return Err(StoreError::unique(
                    err,
                    "the ICCID or CLI is already on another open order",
                ));
            }
            if let Some(c) = &cli {
                return Err(match self.pool_status(c).await? {
                    None => Error::invalid(
                        "cli",
                        format!("{c} is not a {network} pool number; see ListAvailableNumbers"),
                    ),
                    Some(_) => {
                        Error::Conflict(format!("cli: {c} is not free in the {network} pool"))
                    }
                }
                .into());
            }
            let page = PageRequest::new(None, Some(1)).expect("a valid page");
            if self.free_numbers(network, page).await?.1 == 0 {
                return Err(Error::Conflict(format!(
                    "cli: no free {network} numbers are left in the pool"
                ))
                .into());
            }
        }
        Err(Error::Conflict("cli: the number pool is busy; try again".into()).into())
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
        let now = crate::now();
        on_db!(self.writer(), p => {
            let mut tx = p.begin().await?;
            if sqlx::query(TOUCH_DRAFT).bind(now).bind(order_id).execute(&mut *tx).await?.rows_affected() != 1 {
                return Err(not_draft(&order));
            }
            let gone: Option<(Option<String>, bool)> = sqlx::query_as("DELETE FROM order_mobiles WHERE id = $1 AND order_id = $2 RETURNING cli, number_reserved")
                .bind(mobile_id).bind(order_id).fetch_optional(&mut *tx).await?;
            let Some((cli, reserved)) = gone else {
                return Err(Error::NotFound(format!("order mobile {mobile_id} is not on order {order_id}")).into());
            };
            if reserved {
                sqlx::query("UPDATE number_pool SET status = 'free', order_mobile_id = NULL, updated_at = $1 WHERE cli = $2 AND status = 'reserved'")
                    .bind(now).bind(&cli).execute(&mut *tx).await?;
            }
            write_audit!(&mut *tx, crate::audit::AuditEntry {
                actor, partner_id: Some(order.partner_id), entity: "order", entity_id: order_id.to_string(), action: "remove_mobile",
                before: Some(serde_json::json!({"orderMobileId": mobile_id, "cli": cli})), after: None,
            })?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Adds a bundle of the mobile's network and tariff to a draft mobile.
    pub async fn add_mobile_bundle(
        &self,
        actor: &str,
        vis: Visibility,
        mobile_id: i64,
        bundle_id: i64,
    ) -> Result<()> {
        let (order, m) = self.order_of_mobile(vis, mobile_id).await?;
        let Some(tariff) = m.tariff_id else {
            return Err(Error::invalid(
                "orderMobileId",
                format!("a {} has no tariff to add bundles to", m.connection_type),
            )
            .into());
        };
        let allowed = self.bundles_for_tariff(tariff).await?;
        if !allowed.iter().any(|b| b.id == bundle_id) {
            let why = match self.bundles_for_network(m.network.parse().map_err(|_| StoreError::Corrupt("network".into()))?).await?.iter().any(|b| b.id == bundle_id) {
                true => format!("bundle {bundle_id} is not available on tariff {tariff}; see ListBundlesForTariff"),
                false => format!("there is no {} bundle {bundle_id}", m.network),
            };
            return Err(Error::invalid("tariffOptionId", why).into());
        }
        self.change_mobile_extra(
            actor,
            &order,
            mobile_id,
            "INSERT INTO order_mobile_bundles (order_mobile_id, bundle_id) VALUES ($1, $2)",
            bundle_id,
            "add_bundle",
            format!("bundle {bundle_id} is already on order mobile {mobile_id}"),
        )
        .await
    }

    pub async fn remove_mobile_bundle(
        &self,
        actor: &str,
        vis: Visibility,
        mobile_id: i64,
        bundle_id: i64,
    ) -> Result<()> {
        let (order, _) = self.order_of_mobile(vis, mobile_id).await?;
        self.change_mobile_extra(
            actor,
            &order,
            mobile_id,
            "DELETE FROM order_mobile_bundles WHERE order_mobile_id = $1 AND bundle_id = $2",
            bundle_id,
            "remove_bundle",
            format!("bundle {bundle_id} is not on order mobile {mobile_id}"),
        )
        .await
    }

    /// Adds a bar of the mobile's network to a draft mobile.
    pub async fn add_mobile_bar(
        &self,
        actor: &str,
        vis: Visibility,
        mobile_id: i64,
        bar_id: i64,
    ) -> Result<()> {
        let (order, m) = self.order_of_mobile(vis, mobile_id).await?;
        let network: Network = m
            .network
            .parse()
            .map_err(|_| StoreError::Corrupt("network".into()))?;
        if !self
            .bars_for_network(network)
            .await?
            .iter()
            .any(|b| b.id == bar_id)
        {
            return Err(Error::invalid(
                "barId",
                format!("there is no {network} bar {bar_id}; see ListBarsForNetwork"),
            )
            .into());
        }
        self.change_mobile_extra(
            actor,
            &order,
            mobile_id,
            "INSERT INTO order_mobile_bars (order_mobile_id, bar_id) VALUES ($1, $2)",
            bar_id,
            "add_bar",
            format!("bar {bar_id} is already on order mobile {mobile_id}"),
        )
        .await
    }

    pub async fn remove_mobile_bar(
        &self,
        actor: &str,
        vis: Visibility,
        mobile_id: i64,
        bar_id: i64,
    ) -> Result<()> {
        let (order, _) = self.order_of_mobile(vis, mobile_id).await?;
        self.change_mobile_extra(
            actor,
            &order,
            mobile_id,
            "DELETE FROM order_mobile_bars WHERE order_mobile_id = $1 AND bar_id = $2",
            bar_id,
            "remove_bar",
            format!("bar {bar_id} is not on order mobile {mobile_id}"),
        )
        .await
    }

    /// Adds or removes a bundle or bar row of a draft mobile: an insert
    /// that hits the primary key is a duplicate (409); a delete of nothing
    /// is not found (404).
    #[allow(clippy::too_many_arguments)]
    async fn change_mobile_extra(
        &self,
        actor: &str,
        order: &OrderRow,
        mobile_id: i64,
        sql: &str,
        item: i64,
        action: &str,
        missing: String,
    ) -> Result<()> {
        let now = crate::now();
        let inserting = sql.starts_with("INSERT");
        on_db!(self.writer(), p => {
            let mut tx = p.begin().await?;
            if sqlx::query(TOUCH_DRAFT).bind(now).bind(order.id).execute(&mut *tx).await?.rows_affected() != 1 {
                return Err(not_draft(order));
            }
            let changed = sqlx::query(sql).bind(mobile_id).bind(item).execute(&mut *tx).await
                .map_err(|e| StoreError::unique(e, missing.clone()))
                .map(|r| r.rows_affected())?;
            if changed != 1 {
                return Err(if inserting { StoreError::Conflict(missing) } else { Error::NotFound(missing).into() });
            }
            write_audit!(&mut *tx, crate::audit::AuditEntry {
                actor, partner_id: Some(order.partner_id), entity: "order_mobile", entity_id: mobile_id.to_string(), action,
                before: None, after: Some(serde_json::json!({"item": item})),
            })?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Submits a draft order: checks every mobile as of `today` and either
    /// answers every problem at once (changing nothing) or moves the order
    /// to Submitted and queues its provisioning, in one transaction.
    pub async fn submit_order(
        &self,
        actor: &str,
        vis: Visibility,
        order_id: i64,
        today: NaiveDate,
        now_ms: i64,
    ) -> Result<OrderRow> {
        let order = self.get_order(vis, order_id).await?;
        order.status()?.apply(OrderEvent::Submit)?;
        let now = crate::now();
        let sql = format!(
            "SELECT {M_MOBILE_COLS}, t.name AS tariff_name, t.network AS tariff_network, t.retired AS tariff_retired, t.bill_cap_eligible AS tariff_bill_cap_eligible, \
             t.bill_cap_min_pence AS tariff_bill_cap_min_pence, t.bill_cap_max_pence AS tariff_bill_cap_max_pence, \
             (SELECT MIN(c.id) FROM connections c WHERE c.iccid = m.iccid AND c.status NOT IN ('Ceased', 'PortedOut')) AS iccid_contract, \
             (SELECT MIN(c.id) FROM connections c WHERE c.cli = m.cli AND c.customer_id = $2 AND c.status = 'Active') AS live_contract \
             FROM order_mobiles m LEFT JOIN tariffs t ON t.id = m.tariff_id WHERE m.order_id = $1 ORDER BY m.id");
        on_db!(self.writer(), p => {
            let mut tx = p.begin().await?;
            // The move is the first write: it takes the lock and proves the
            // order is still a draft; a refusal below rolls it back.
            if !move_order!(tx, order_id, OrderStatus::Draft, OrderStatus::Submitted, actor, None) {
                return Err(not_draft(&self.get_order(vis, order_id).await?));
            }
            let rows = sqlx::query_as::<_, SubmitRow>(&sql).bind(order_id).bind(order.customer_id).fetch_all(&mut *tx).await?;
            let problems = submission_problems(order_id, &rows, today)?;
            if !problems.is_empty() {
                let n = problems.len();
                return Err(Error::Problems {
                    message: format!("Order {order_id} has {n} problem{}", if n == 1 { "" } else { "s" }),
                    problems,
                }.into());
            }
            sqlx::query("UPDATE order_mobiles SET status = 'Pending', updated_at = $1 WHERE order_id = $2").bind(now).bind(order_id).execute(&mut *tx).await?;
            let payload = serde_json::json!({"orderId": order_id}).to_string();
            enqueue_job!(&mut *tx, "provision_order", &payload, now_ms, &format!("provision-order-{order_id}-{now_ms}"))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(OrderRow {
            status: OrderStatus::Submitted.as_str().into(),
            updated_at: now,
            submitted_at: Some(now),
            ..order
        })
    }

    /// ReturnOrderToDraft (`cancel` false) or CancelOrder (`cancel` true):
    /// allowed only before provisioning starts, which is proved by removing
    /// the order's still-queued job in the same transaction.
    pub async fn withdraw_order(
        &self,
        actor: &str,
        vis: Visibility,
        order_id: i64,
        cancel: bool,
    ) -> Result<OrderRow> {
        let order = self.get_order(vis, order_id).await?;
        let from = order.status()?;
        let to = from.apply(if cancel {
            OrderEvent::Cancel
        } else {
            OrderEvent::ReturnToDraft
        })?;
        let now = crate::now();
        let started = || {
            StoreError::Rule(Error::Conflict(format!(
                "order {order_id} is {from}: provisioning has started, so it can no longer be {}",
                if cancel {
                    "cancelled"
                } else {
                    "returned to Draft"
                }
            )))
        };
        on_db!(self.writer(), p => {
            let mut tx = p.begin().await?;
            if !move_order!(tx, order_id, from, to, actor, None) {
                return Err(started());
            }
            if from == OrderStatus::Submitted {
                let removed = sqlx::query("DELETE FROM jobs WHERE kind = 'provision_order' AND idempotency_key LIKE $1 AND state = 'queued'")
                    .bind(format!("provision-order-{order_id}-%")).execute(&mut *tx).await?.rows_affected();
                if removed == 0 {
                    return Err(started());
                }
            }
            let mobile_status = if cancel { "Cancelled" } else { "Draft" };
            sqlx::query("UPDATE order_mobiles SET status = $1, updated_at = $2 WHERE order_id = $3").bind(mobile_status).bind(now).bind(order_id).execute(&mut *tx).await?;
            if cancel {
                sqlx::query("UPDATE number_pool SET status = 'free', order_mobile_id = NULL, updated_at = $1 WHERE status = 'reserved' AND cli IN (SELECT cli FROM order_mobiles WHERE order_id = $2 AND number_reserved)")
                    .bind(now).bind(order_id).execute(&mut *tx).await?;
            }
            write_audit!(&mut *tx, crate::audit::AuditEntry {
                actor, partner_id: Some(order.partner_id), entity: "order", entity_id: order_id.to_string(),
                action: if cancel { "cancel" } else { "return_to_draft" },
                before: Some(serde_json::json!({"status": from})), after: Some(serde_json::json!({"status": to})),
            })?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        self.get_order(vis, order_id).await
    }

    /// What the worker needs to provision an order, read in one go (off
    /// the writer): the order, all its mobiles, and for each the bundles,
    /// bars and tariff term a new connection takes. `None` when the order
    /// is not (or no longer) Submitted or InProgress.
    pub async fn provisioning_view(&self, order_id: i64) -> Result<Option<ProvisioningView>> {
        let order = match self.get_order(Visibility::All, order_id).await {
            Ok(o) => o,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let status = order.status()?;
        if !matches!(status, OrderStatus::Submitted | OrderStatus::InProgress) {
            return Ok(None);
        }
        let mobiles = self.order_mobiles(order_id).await?;
        let terms: Vec<(i64, i64)> = on_db!(self.db(), p => sqlx::query_as(
            "SELECT m.id, t.term_months FROM order_mobiles m JOIN tariffs t ON t.id = m.tariff_id WHERE m.order_id = $1")
            .bind(order_id).fetch_all(p).await)?;
        Ok(Some(ProvisioningView {
            order,
            status,
            mobiles,
            terms,
        }))
    }

    /// Applies the network's outcomes to an order's pending mobiles in one
    /// transaction: the order moves to InProgress (if it was Submitted),
    /// live connections are made (or changed, or ceased), numbers are
    /// assigned or released, and when no mobile is pending any more the
    /// order finishes. Every change is guarded by the state it expects
    /// (the order's status as read, the mobile still Pending), so a retried
    /// job applies nothing twice. Answers the order's status after, or
    /// `None` when the order had moved on meanwhile.
    pub async fn apply_outcomes(
        &self,
        actor: &str,
        view: &ProvisioningView,
        outcomes: &[(i64, Outcome)],
    ) -> Result<Option<OrderStatus>> {
        let now = crate::now();
        let order = &view.order;
        let order_id = order.id;
        on_db!(self.writer(), p => {
            let mut tx = p.begin().await?;
            // The order must still be as read; otherwise it moved on under us.
            let as_read = if view.status == OrderStatus::Submitted {
                move_order!(tx, order_id, OrderStatus::Submitted, OrderStatus::InProgress, actor, None)
            } else {
                sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2 AND status = 'InProgress'")
                    .bind(now).bind(order_id).execute(&mut *tx).await?.rows_affected() == 1
            };
            if !as_read {
                return Ok(None);
            }
            let mut completed = view.mobiles.iter().filter(|m| m.row.status == "Completed").count();
            let mut failed = view.mobiles.iter().filter(|m| m.row.status == "Rejected").count();
            let mut first_reason = view.mobiles.iter().find(|m| m.row.status == "Rejected").and_then(|m| m.row.reason.clone());
            // Sort the answers: new connections are made with one multi-row
            // insert, completed mobiles marked with one update, their
            // numbers assigned with one more and audited with one insert.
            struct Live<'a> { m: &'a OrderMobileRow, cli: String, contract: Option<i64>, action: &'static str, code: &'a Option<String>, eid: &'a Option<String>, reference: &'a String }
            let mut inserts: Vec<(&OrderMobile, String, &NaiveDate, &Option<String>)> = Vec::new();
            let mut live: Vec<Live> = Vec::new();
            let mut refused: Vec<(&OrderMobileRow, String)> = Vec::new();
            for (mobile_id, outcome) in outcomes {
                let Some(mobile) = view.mobiles.iter().find(|m| m.row.id == *mobile_id && m.row.status == "Pending") else { continue };
                let m = &mobile.row;
                match outcome {
                    Outcome::Rejected { reason } => refused.push((m, reason.clone())),
                    Outcome::Activated { cli: assigned, network_reference, esim_activation_code, eid, effective_date } => {
                        let cli = assigned.clone().or_else(|| m.cli.clone()).unwrap_or_default();
                        let ct = ConnectionType::parse_field(&m.connection_type, "connectionType").map_err(|_| StoreError::Corrupt(format!("order mobile {mobile_id}")))?;
                        let term = view.terms.iter().find(|(id, _)| id == mobile_id).map(|(_, t)| *t).unwrap_or(0);
                        let changed: Option<i64> = match ct {
                            ConnectionType::New | ConnectionType::Port => {
                                inserts.push((mobile, cli.clone(), effective_date, eid));
                                live.push(Live { m, cli, contract: None, action: "create", code: esim_activation_code, eid, reference: network_reference });
                                continue;
                            }
                            ConnectionType::Migration => sqlx::query_scalar(
                                "UPDATE connections SET tariff_id = $1, start_date = $2, contract_end_date = $3, bill_cap_enabled = $4, bill_cap_pence = $5, bundles = $6, updated_at = $7 \
                                 WHERE cli = $8 AND customer_id = $9 AND status = 'Active' RETURNING id")
                                .bind(m.tariff_id).bind(effective_date).bind(crate::demo::contract_end(*effective_date, term)).bind(m.enable_bill_cap).bind(m.bill_cap_pence)
                                .bind(serde_json::to_string(&mobile.bundles).expect("serialises")).bind(now).bind(&cli).bind(order.customer_id)
                                .fetch_optional(&mut *tx).await?,
                            ConnectionType::Disconnection => sqlx::query_scalar("UPDATE connections SET status = 'Ceased', updated_at = $1 WHERE cli = $2 AND customer_id = $3 AND status = 'Active' RETURNING id")
                                .bind(now).bind(&cli).bind(order.customer_id).fetch_optional(&mut *tx).await?,
                        };
                        match changed {
                            Some(contract) => live.push(Live { m, cli, contract: Some(contract), action: if ct == ConnectionType::Migration { "migrate" } else { "cease" }, code: esim_activation_code, eid, reference: network_reference }),
                            None => refused.push((m, format!("{cli} is no longer a live connection of this customer"))),
                        }
                    }
                }
            }
            if !inserts.is_empty() {
                // A live connection with the number or ICCID already makes
                // its row a no-op (partial unique indexes).
                const COLS: usize = 16;
                let rows: Vec<String> = (0..inserts.len())
                    // created_at's placeholder stands for updated_at too.
                    .map(|r| format!("({}, ${})", (1..=COLS).map(|c| format!("${}", r * COLS + c)).collect::<Vec<_>>().join(", "), r * COLS + COLS))
                    .collect();
                let sql = format!(
                    "INSERT INTO connections (partner_id, customer_id, cli, network, status, tariff_id, sim_type, iccid, eid, start_date, contract_end_date, bill_cap_enabled, bill_cap_pence, bundles, bars, created_at, updated_at) \
                     VALUES {} ON CONFLICT DO NOTHING RETURNING id, cli", rows.join(", "));
                let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
                for (mobile, cli, start, eid) in &inserts {
                    let m = &mobile.row;
                    let term = view.terms.iter().find(|(id, _)| *id == m.id).map(|(_, t)| *t).unwrap_or(0);
                    q = q.bind(order.partner_id).bind(order.customer_id).bind(cli.clone()).bind(m.network.clone()).bind("Active").bind(m.tariff_id)
                        .bind(m.sim_type.clone().unwrap_or_else(|| "Physical".into())).bind(m.iccid.clone()).bind((*eid).clone()).bind(**start)
                        .bind(crate::demo::contract_end(**start, term)).bind(m.enable_bill_cap).bind(m.bill_cap_pence)
                        .bind(serde_json::to_string(&mobile.bundles).expect("serialises")).bind(serde_json::to_string(&mobile.bars).expect("serialises")).bind(now);
                }
                let made = q.fetch_all(&mut *tx).await?;
                let mut kept = Vec::with_capacity(live.len());
                for l in live {
                    if l.action != "create" {
                        kept.push(l);
                    } else if let Some((id, _)) = made.iter().find(|(_, c)| *c == l.cli) {
                        kept.push(Live { contract: Some(*id), ..l });
                    } else {
                        refused.push((l.m, "the number or ICCID went live on another connection before this order completed".into()));
                    }
                }
                live = kept;
            }
            if !live.is_empty() {
                const COLS: usize = 6;
                let rows: Vec<String> = (0..live.len())
                    .map(|r| format!("({})", (1..=COLS).map(|c| format!("${}", r * COLS + c + 1)).collect::<Vec<_>>().join(", ")))
                    .collect();
                let sql = format!(
                    "WITH v (id, contract, cli, code, eid, reference) AS (VALUES {}) \
                     UPDATE order_mobiles SET status = 'Completed', contract_id = v.contract, cli = v.cli, esim_activation_code = v.code, eid = v.eid, network_reference = v.reference, updated_at = $1 \
                     FROM v WHERE order_mobiles.id = v.id AND order_mobiles.status = 'Pending'", rows.join(", "));
                let mut q = sqlx::query(&sql).bind(now);
                for l in &live {
                    q = q.bind(l.m.id).bind(l.contract).bind(l.cli.clone()).bind(l.code.clone()).bind(l.eid.clone()).bind(l.reference.clone());
                }
                if q.execute(&mut *tx).await?.rows_affected() != live.len() as u64 {
                    return Err(StoreError::Conflict(format!("order {order_id} was applied concurrently")));
                }
                let numbers: Vec<&String> = live.iter().filter(|l| l.action == "create").map(|l| &l.cli).collect();
                if !numbers.is_empty() {
                    let marks: Vec<String> = (0..numbers.len()).map(|i| format!("${}", i + 2)).collect();
                    let sql = format!(
                        "UPDATE number_pool SET status = 'assigned', updated_at = $1, \
                         order_mobile_id = (SELECT MAX(m.id) FROM order_mobiles m WHERE m.cli = number_pool.cli AND m.status = 'Completed') \
                         WHERE cli IN ({})", marks.join(", "));
                    let mut q = sqlx::query(&sql).bind(now);
                    for n in numbers {
                        q = q.bind(n.clone());
                    }
                    q.execute(&mut *tx).await?;
                }
                const ACOLS: usize = 4;
                let rows: Vec<String> = (0..live.len())
                    .map(|r| format!("($1, $2, $3, 'connection', {})", (1..=ACOLS).map(|c| format!("${}", 3 + r * ACOLS + c)).collect::<Vec<_>>().join(", ")))
                    .collect();
                let sql = format!("INSERT INTO audit_log (at, actor, partner_id, entity, entity_id, action, before_json, after_json) VALUES {}", rows.join(", "));
                let mut q = sqlx::query(&sql).bind(now).bind(actor).bind(order.partner_id);
                for l in &live {
                    let contract = l.contract.expect("every live mobile has its contract");
                    q = q.bind(contract.to_string()).bind(l.action).bind(None::<String>)
                        .bind(serde_json::json!({"orderId": order_id, "orderMobileId": l.m.id, "cli": l.cli, "networkReference": l.reference}).to_string());
                }
                q.execute(&mut *tx).await?;
                completed += live.len();
            }
            for (m, reason) in refused {
                sqlx::query("UPDATE order_mobiles SET status = 'Rejected', reason = $1, updated_at = $2 WHERE id = $3 AND status = 'Pending'").bind(&reason).bind(now).bind(m.id).execute(&mut *tx).await?;
                if m.number_reserved {
                    sqlx::query("UPDATE number_pool SET status = 'free', order_mobile_id = NULL, updated_at = $1 WHERE cli = $2 AND status = 'reserved'")
                        .bind(now).bind(&m.cli).execute(&mut *tx).await?;
                }
                first_reason.get_or_insert(reason);
                failed += 1;
            }
            let mut status = OrderStatus::InProgress;
            if completed + failed == view.mobiles.len() {
                status = OrderStatus::InProgress.apply(OrderEvent::Finish { completed, failed })?;
                let _ = move_order!(tx, order_id, OrderStatus::InProgress, status, actor, Some(format!("{completed} live, {failed} refused")));
                if failed > 0 {
                    sqlx::query("UPDATE orders SET reason = $1 WHERE id = $2").bind(&first_reason).bind(order_id).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(Some(status))
        })
    }
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
        self.mobiles
            .iter()
            .map(|m| &m.row)
            .filter(|m| m.status == "Pending")
    }
}

fn submission_problems(
    order_id: i64,
    rows: &[SubmitRow],
    today: NaiveDate,
) -> Result<Vec<Problem>> {
    if rows.is_empty() {
        return Ok(vec![Problem::new(
            None,
            "orderId",
            format!("order {order_id} has no mobiles; add one with AddMobileToOrder"),
        )]);
    }
    let mut problems = Vec::new();
    for r in rows {
        let req = r.m.request()?;
        let limits = match (&r.tariff_name, &r.tariff_network) {
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
        problems.extend(submit_problems(r.m.id, &req, limits.as_ref(), today));
        if let (Some(iccid), Some(contract)) = (&r.m.iccid, r.iccid_contract) {
            problems.push(Problem::new(
                Some(r.m.id),
                "iccid",
                format!("{iccid} is already in use on contract {contract}"),
            ));
        }
        if matches!(
            req.connection_type,
            ConnectionType::Migration | ConnectionType::Disconnection
        ) && r.live_contract.is_none()
        {
            problems.push(Problem::new(
                Some(r.m.id),
                "cli",
                "is no longer a live connection of this customer",
            ));
        }
    }
    Ok(problems)
}
