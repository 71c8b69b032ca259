//! Request objects: asynchronous changes to a live connection (bars and
//! bundles so far). A request is made Pending with its provisioning job in
//! one transaction; the worker asks the network and then completes it,
//! changing the connection, or rejects it, leaving the connection as it was
//! (the database raises a task). Two open requests of one conflict group on
//! a connection cannot exist (a partial unique index).

use crate::connections::{ConnectionBar, ConnectionBundle, ConnectionDivert, ConnectionRow};
use crate::orders::Outcome;
use crate::{enqueue_job, on_db, write_audit, Result, Store, StoreError, Visibility};
use chrono::{DateTime, Utc};
use domain::paging::PageRequest;
use domain::request::{LiveState, STOLEN_SUFFIX};
use domain::Error;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: i64,
    pub contract_id: i64,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub conflict_group: String,
    pub payload: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

const REQUEST_COLS: &str = "id, partner_id, customer_id, contract_id, type, conflict_group, payload, status, reason, created_by, created_at, updated_at, completed_at";

fn corrupt(what: &str, id: i64, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what} of contract {id}: {e}"))
}

impl Store {
    /// The connection as the change rules see it.
    pub async fn live_state(&self, conn: &ConnectionRow) -> Result<LiveState> {
        let network = crate::catalogue::parse_network(&conn.network)?;
        let bars: Vec<ConnectionBar> =
            serde_json::from_str(&conn.bars).map_err(|e| corrupt("bars", conn.id, e))?;
        let bundles: Vec<ConnectionBundle> =
            serde_json::from_str(&conn.bundles).map_err(|e| corrupt("bundles", conn.id, e))?;
        let stolen = self
            .bars_for_network(network)
            .await?
            .into_iter()
            .find(|b| b.bar_suffix == STOLEN_SUFFIX)
            .map(|b| b.id);
        let allowed = self
            .bundles_for_tariff(conn.tariff_id)
            .await?
            .into_iter()
            .map(|b| b.id)
            .collect();
        Ok(LiveState {
            contract_id: conn.id,
            bars: bars.iter().map(|b| b.bar_id).collect(),
            stolen_bar_id: stolen,
            bundles: bundles.iter().map(|b| b.tariff_option_id).collect(),
            allowed_bundles: allowed,
        })
    }

    /// Makes a Pending request on a live connection and queues it to run
    /// at `run_at_ms` (now, or a change's effective date).
    pub async fn create_request(
        &self,
        actor: &str,
        conn: &ConnectionRow,
        kind: &str,
        group: &str,
        payload: &serde_json::Value,
        run_at_ms: i64,
    ) -> Result<RequestRow> {
        if conn.status != "Active" {
            return Err(Error::Conflict(format!(
                "contract {} is {}; only an Active connection takes changes",
                conn.id, conn.status
            ))
            .into());
        }
        let now = crate::now();
        let payload_text = payload.to_string();
        on_db!(self.writer(), p => {
            let mut tx = p.begin().await?;
            let row = sqlx::query_as::<_, RequestRow>(&format!(
                "INSERT INTO requests (partner_id, customer_id, contract_id, type, conflict_group, payload, status, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'Pending', $7, $8, $8) RETURNING {REQUEST_COLS}"))
                .bind(conn.partner_id).bind(conn.customer_id).bind(conn.id).bind(kind).bind(group).bind(&payload_text).bind(actor).bind(now)
                .fetch_one(&mut *tx).await
                .map_err(|e| StoreError::unique(e, format!("a request that conflicts with this one ({group}) is already open on contract {}", conn.id)))?;
            let job = serde_json::json!({"requestId": row.id}).to_string();
            enqueue_job!(&mut *tx, "connection_request", &job, run_at_ms, &format!("request-{}", row.id))?;
            write_audit!(&mut *tx, crate::audit::AuditEntry {
                actor, partner_id: Some(conn.partner_id), entity: "request", entity_id: row.id.to_string(), action: "create", before: None,
                after: Some(serde_json::json!({"contractId": conn.id, "type": kind, "details": payload})),
            })?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Where an ICCID is in use: a live connection's contract id, or an
    /// open order mobile's order id.
    pub async fn iccid_in_use(&self, iccid: &str) -> Result<Option<String>> {
        let (contract, order): (Option<i64>, Option<i64>) = on_db!(self.db(), p => sqlx::query_as(
            "SELECT (SELECT MIN(id) FROM connections WHERE iccid = $1 AND status NOT IN ('Ceased', 'PortedOut')), \
                    (SELECT MIN(order_id) FROM order_mobiles WHERE iccid = $1 AND status IN ('Draft', 'Pending'))")
            .bind(iccid).fetch_one(p).await)?;
        Ok(contract
            .map(|c| format!("contract {c}"))
            .or(order.map(|o| format!("order {o}"))))
    }

    /// A request visible to the caller.
    pub async fn get_request(&self, vis: Visibility, id: i64) -> Result<RequestRow> {
        let (all, partner) = vis.binds();
        on_db!(self.db(), p => sqlx::query_as::<_, RequestRow>(&format!("SELECT {REQUEST_COLS} FROM requests WHERE id = $1 AND ($2 OR partner_id = $3)"))
            .bind(id).bind(all).bind(partner).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// A page of a visible contract's requests, newest first, with the total.
    pub async fn requests_for_contract(
        &self,
        vis: Visibility,
        contract_id: i64,
        page: PageRequest,
    ) -> Result<(Vec<RequestRow>, i64)> {
        self.connection_by_id(vis, contract_id).await?;
        on_db!(self.db(), p => {
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE contract_id = $1").bind(contract_id).fetch_one(p).await?;
            let rows = sqlx::query_as::<_, RequestRow>(&format!("SELECT {REQUEST_COLS} FROM requests WHERE contract_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"))
                .bind(contract_id).bind(page.limit()).bind(page.offset()).fetch_all(p).await?;
            Ok((rows, total))
        })
    }

    /// Finishes a Pending request with the network's answer, once: on
    /// acceptance the connection changes in the same transaction; a
    /// refusal leaves it as it was. `None` if it was finished already.
    pub async fn finish_request(
        &self,
        actor: &str,
        id: i64,
        outcome: &Outcome,
    ) -> Result<Option<RequestRow>> {
        let now = crate::now();
        let (status, reason) = match outcome {
            Outcome::Activated { .. } => ("Completed", None),
            Outcome::Rejected { reason } => ("Rejected", Some(reason.clone())),
        };
        on_db!(self.writer(), p => {
            let mut tx = p.begin().await?;
            let row: Option<RequestRow> = sqlx::query_as::<_, RequestRow>(&format!(
                "UPDATE requests SET status = $1, reason = $2, updated_at = $3, completed_at = $3 WHERE id = $4 AND status = 'Pending' RETURNING {REQUEST_COLS}"))
                .bind(status).bind(&reason).bind(now).bind(id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else { return Ok(None) };
            if status == "Completed" {
                // Touching the row first takes its lock on PostgreSQL.
                let (bars, bundles, diverts, before_iccid): (String, String, String, Option<String>) = sqlx::query_as("UPDATE connections SET updated_at = $1 WHERE id = $2 RETURNING bars, bundles, diverts, iccid")
                    .bind(now).bind(row.contract_id).fetch_one(&mut *tx).await?;
                let mut diverts: Vec<ConnectionDivert> = serde_json::from_str(&diverts).map_err(|e| corrupt("diverts", row.contract_id, e))?;
                let mut bars: Vec<ConnectionBar> = serde_json::from_str(&bars).map_err(|e| corrupt("bars", row.contract_id, e))?;
                let mut bundles: Vec<ConnectionBundle> = serde_json::from_str(&bundles).map_err(|e| corrupt("bundles", row.contract_id, e))?;
                let (before_bars, before_bundles) = (bars.len(), bundles.len());
                match row.kind.as_str() {
                    "AddBar" => bars.push(serde_json::from_str(&row.payload).map_err(|e| corrupt("request payload", row.contract_id, e))?),
                    "RemoveBar" => {
                        let gone: ConnectionBar = serde_json::from_str(&row.payload).map_err(|e| corrupt("request payload", row.contract_id, e))?;
                        bars.retain(|b| b.bar_id != gone.bar_id);
                    }
                    "AddBundle" => bundles.push(serde_json::from_str(&row.payload).map_err(|e| corrupt("request payload", row.contract_id, e))?),
                    "RemoveBundle" => {
                        let gone: ConnectionBundle = serde_json::from_str(&row.payload).map_err(|e| corrupt("request payload", row.contract_id, e))?;
                        bundles.retain(|b| b.tariff_option_id != gone.tariff_option_id);
                    }
                    "ChangeTariff" | "ChangeSIM" => {}
                    "SetDivert" => {
                        let d: ConnectionDivert = serde_json::from_str(&row.payload).map_err(|e| corrupt("request payload", row.contract_id, e))?;
                        diverts.retain(|x| x.divert_type != d.divert_type);
                        diverts.push(d);
                    }
                    "RemoveDivert" => {
                        let d: serde_json::Value = serde_json::from_str(&row.payload).map_err(|e| corrupt("request payload", row.contract_id, e))?;
                        diverts.retain(|x| Some(x.divert_type.as_str()) != d["divertType"].as_str());
                    }
                    other => return Err(StoreError::Corrupt(format!("request {id} has an unknown type {other:?}"))),
                }
                let details: serde_json::Value = serde_json::from_str(&row.payload).map_err(|e| corrupt("request payload", row.contract_id, e))?;
                let tariff: Option<i64> = (row.kind == "ChangeTariff").then(|| details["tariffId"].as_i64()).flatten();
                if row.kind == "ChangeSIM" {
                    // The new SIM replaces the old; a live connection using
                    // the new ICCID meanwhile makes this fail, not double up.
                    sqlx::query("UPDATE connections SET iccid = $1, sim_type = 'Physical', eid = NULL WHERE id = $2")
                        .bind(details["iccid"].as_str()).bind(row.contract_id).execute(&mut *tx).await
                        .map_err(|e| StoreError::unique(e, "the new SIM went live on another connection"))?;
                }
                sqlx::query("UPDATE connections SET bars = $1, bundles = $2, diverts = $3, tariff_id = COALESCE($4, tariff_id) WHERE id = $5")
                    .bind(serde_json::to_string(&bars).expect("serialises")).bind(serde_json::to_string(&bundles).expect("serialises"))
                    .bind(serde_json::to_string(&diverts).expect("serialises")).bind(tariff).bind(row.contract_id)
                    .execute(&mut *tx).await?;
                write_audit!(&mut *tx, crate::audit::AuditEntry {
                    actor, partner_id: Some(row.partner_id), entity: "connection", entity_id: row.contract_id.to_string(), action: row.kind.as_str(),
                    before: Some(serde_json::json!({"bars": before_bars, "bundles": before_bundles, "iccid": before_iccid})),
                    after: Some(serde_json::json!({"requestId": id, "bars": bars.len(), "bundles": bundles.len(), "iccid": details["iccid"].as_str().map(str::to_owned).or_else(|| before_iccid.clone())})),
                })?;
            }
            tx.commit().await?;
            Ok(Some(row))
        })
    }
}
