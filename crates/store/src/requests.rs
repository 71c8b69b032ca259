//! Request objects: asynchronous changes to a live connection (bars,
//! bundles, tariff, SIM, eSIM, diverts, switching). A request is made Pending with its provisioning job in
//! one transaction; the worker asks the network and then completes it,
//! changing the connection, or rejects it, leaving the connection as it was
//! (the database raises a task). Two open requests of one conflict group on
//! a connection cannot exist (a partial unique index).

use crate::audit::AuditEntry;
use crate::connections::{ConnectionBar, ConnectionBundle, ConnectionRow};
use crate::tx::Tx;
use crate::{args, Requests, Result, StoreError, Visibility};
use chrono::{DateTime, Utc};
use domain::paging::PageRequest;
use domain::request::{Completion, Extras, LiveState, SimChange, STOLEN_SUFFIX};
use domain::status::{ConnectionStatus, RequestStatus};
use domain::switching::CodeKind;

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct RequestRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: i64,
    pub contract_id: i64,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub conflict_group: String,
    pub payload: String,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// What the network answered beyond yes or no (JSON): a switching
    /// code, an eSIM activation code.
    pub result: Option<String>,
}

impl RequestRow {
    /// What the request is about, as the network names it: a bar's suffix
    /// or a bundle's name; empty for other kinds.
    pub fn item(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.payload)
            .ok()
            .and_then(|v| {
                v.get("barSuffix")
                    .or_else(|| v.get("name"))
                    .and_then(|x| x.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    }
}

const REQUEST_COLS: &str = "id, partner_id, customer_id, contract_id, type, conflict_group, payload, status, reason, created_by, created_at, updated_at, completed_at, result";

/// The request types of switching (Ofcom text-to-switch).
pub use domain::switching::REQUEST_KINDS as SWITCHING_KINDS;

/// A switching code as stored: contract, request, expiry, use, kind.
type CodeRow = (i64, i64, DateTime<Utc>, Option<DateTime<Utc>>, String);

/// Whose switching requests to list.
#[derive(Debug, Clone, Copy)]
pub enum SwitchingOf {
    Contract(i64),
    Customer(i64),
}

/// Records a request's result and answers the row (either engine).
async fn set_result(tx: &mut Tx, id: i64, result: &serde_json::Value) -> Result<RequestRow> {
    tx.fetch_one(
        &format!("UPDATE requests SET result = $1 WHERE id = $2 RETURNING {REQUEST_COLS}"),
        args![result.to_string(), id],
    )
    .await
}

fn corrupt(what: &str, id: i64, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what} of contract {id}: {e}"))
}

impl Requests<'_> {
    /// The connection as the change rules see it.
    pub async fn live_state(&self, conn: &ConnectionRow) -> Result<LiveState> {
        let network = crate::catalogue::parse_network(&conn.network)?;
        let bars: Vec<ConnectionBar> =
            serde_json::from_str(&conn.bars).map_err(|e| corrupt("bars", conn.id, e))?;
        let bundles: Vec<ConnectionBundle> =
            serde_json::from_str(&conn.bundles).map_err(|e| corrupt("bundles", conn.id, e))?;
        let stolen = self
            .catalogue()
            .bars_for_network(network)
            .await?
            .into_iter()
            .find(|b| b.bar_suffix == STOLEN_SUFFIX)
            .map(|b| b.id);
        let allowed = self
            .catalogue()
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

    /// Makes a Pending request on a connection (the use case has checked
    /// that it takes changes) and queues it to run at `run_at_ms` (now, or
    /// a change's effective date).
    pub async fn create_request(
        &self,
        actor: &str,
        conn: &ConnectionRow,
        kind: &str,
        group: &str,
        payload: &serde_json::Value,
        run_at_ms: i64,
    ) -> Result<RequestRow> {
        let now = self.now();
        self.write(async |tx| {
            insert_request(tx, actor, conn, kind, group, payload, run_at_ms, now).await
        })
        .await
    }

    /// Where an ICCID is in use: a live connection's contract id, or an
    /// open order mobile's order id.
    pub async fn iccid_in_use(&self, iccid: &str) -> Result<Option<String>> {
        let (contract, order): (Option<i64>, Option<i64>) = self.read_one(
            "SELECT (SELECT MIN(id) FROM connections WHERE iccid = $1 AND status NOT IN ('Ceased', 'PortedOut')), \
                    (SELECT MIN(order_id) FROM order_mobiles WHERE iccid = $1 AND status IN ('Draft', 'Pending'))",
            args![iccid]).await?;
        // Say where, not which: the contract or order may be another
        // partner's.
        Ok(contract
            .map(|_| "a live connection".to_owned())
            .or(order.map(|_| "an open order".to_owned())))
    }

    /// A request visible to the caller.
    pub async fn get_request(&self, vis: Visibility, id: i64) -> Result<RequestRow> {
        self.read_visible::<RequestRow>(
            &format!("SELECT {REQUEST_COLS} FROM requests"),
            "",
            id,
            vis,
        )
        .await
    }

    /// The open request of a switching kind on a contract, or the one whose
    /// code is still valid (unused, unexpired): asking again answers it.
    pub async fn current_switching_request(
        &self,
        contract_id: i64,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<RequestRow>> {
        let candidates: Vec<(i64, String, Option<DateTime<Utc>>)> = self.read_all(
            "SELECT r.id, r.status, s.expires_at FROM requests r LEFT JOIN switching_codes s ON s.request_id = r.id \
             WHERE r.contract_id = $1 AND r.type = $2 AND (r.status IN ('Pending', 'InProgress') OR (s.code IS NOT NULL AND s.used_at IS NULL)) \
             ORDER BY r.id DESC LIMIT 4",
            args![contract_id, kind]).await?;
        let current = candidates.into_iter().find(|(_, status, expires)| {
            status != RequestStatus::Completed.as_str() || expires.is_some_and(|e| e > now)
        });
        match current {
            Some((id, _, _)) => Ok(Some(self.get_request(Visibility::All, id).await?)),
            None => Ok(None),
        }
    }

    /// A page of the switching requests of a visible contract or customer,
    /// newest first, with the total.
    pub async fn switching_requests(
        &self,
        vis: Visibility,
        of: SwitchingOf,
        page: PageRequest,
    ) -> Result<(Vec<RequestRow>, i64)> {
        let (col, id) = match of {
            SwitchingOf::Contract(id) => {
                self.connections().connection_by_id(vis, id).await?;
                ("contract_id", id)
            }
            SwitchingOf::Customer(id) => {
                self.customers().get_customer(vis, id).await?;
                ("customer_id", id)
            }
        };
        let kinds = crate::in_list(2, SWITCHING_KINDS.len());
        let filter = format!("{col} = $1 AND type IN ({kinds})");
        let mut args = args![id];
        args.extend(SWITCHING_KINDS.iter().map(|k| crate::Arg::from(*k)));
        self.read_page(
            &format!("SELECT {REQUEST_COLS} FROM requests WHERE {filter}"),
            "id DESC",
            args,
            page,
        )
        .await
    }
}

/// A switching code as issued: to which contract, by which request, and
/// when it expires or was used.
pub struct IssuedCode {
    pub contract_id: i64,
    pub request_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// The code of `kind` issued on `network`, if there is one.
pub async fn issued_code(
    tx: &mut Tx,
    network: &str,
    code: &str,
    kind: CodeKind,
) -> Result<Option<IssuedCode>> {
    let found: Option<CodeRow> = tx
        .fetch_optional(
            "SELECT contract_id, request_id, expires_at, used_at, kind FROM switching_codes WHERE network = $1 AND code = $2",
            args![network, code],
        )
        .await?;
    Ok(found.filter(|f| f.4 == kind.as_str()).map(
        |(contract_id, request_id, expires_at, used_at, _)| IssuedCode {
            contract_id,
            request_id,
            expires_at,
            used_at,
        },
    ))
}

/// Ends the live connection an issued code belongs to with `ended`,
/// marks the code used and notes it on its request's result, with the
/// audit entry. `false` when the connection is no longer live.
#[allow(clippy::too_many_arguments)]
pub async fn end_by_code(
    tx: &mut Tx,
    actor: &str,
    network: &str,
    code: &str,
    kind: CodeKind,
    issued: &IssuedCode,
    ended: ConnectionStatus,
    now: DateTime<Utc>,
) -> Result<bool> {
    let contract_id = issued.contract_id;
    let ended_row: Option<(i64, String)> = tx
        .fetch_optional(
            "UPDATE connections SET status = $1, ended_at = $2, updated_at = $2 WHERE id = $3 AND status = 'Active' RETURNING partner_id, cli",
            args![ended, now, contract_id],
        )
        .await?;
    let Some((partner_id, cli)) = ended_row else { return Ok(false) };
    tx.execute(
        "UPDATE switching_codes SET used_at = $1 WHERE network = $2 AND code = $3",
        args![now, network, code],
    )
    .await?;
    let (result,): (Option<String>,) =
        tx.fetch_one("SELECT result FROM requests WHERE id = $1", args![issued.request_id]).await?;
    let mut result: serde_json::Value = serde_json::from_str(result.as_deref().unwrap_or("{}"))
        .map_err(|e| corrupt("request result", contract_id, e))?;
    result["usedAt"] = serde_json::json!(now);
    tx.execute(
        "UPDATE requests SET result = $1 WHERE id = $2",
        args![result.to_string(), issued.request_id],
    )
    .await?;
    let entry = AuditEntry::of(actor, Some(partner_id), "connection", contract_id, ended.as_str())
        .before(serde_json::json!({"status": "Active", "cli": cli}))
        .after(serde_json::json!({"status": ended, "codeType": kind.as_str(), "requestId": issued.request_id}));
    crate::audit::write(tx, now, &entry).await?;
    Ok(true)
}

/// A device downloaded a live eSIM connection's profile (a network event):
/// its EID becomes known, on the connection and on the result of the
/// request that made the eSIM, with the audit entry. `None` when no live
/// eSIM connection has that number on that network.
pub async fn record_eid(
    tx: &mut Tx,
    actor: &str,
    network: &str,
    cli: &str,
    eid: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let conn: Option<(i64, i64)> = tx
        .fetch_optional(
            "UPDATE connections SET eid = $1, updated_at = $2 WHERE cli = $3 AND network = $4 AND sim_type = 'eSIM' AND status = 'Active' RETURNING id, partner_id",
            args![eid, now, cli, network],
        )
        .await?;
    let Some((contract_id, partner_id)) = conn else { return Ok(None) };
    let last: Option<(i64, Option<String>)> = tx
        .fetch_optional(
            "SELECT id, result FROM requests WHERE contract_id = $1 AND type = 'CreateEsim' AND status = 'Completed' ORDER BY id DESC LIMIT 1",
            args![contract_id],
        )
        .await?;
    if let Some((request_id, result)) = last {
        let mut result: serde_json::Value = serde_json::from_str(result.as_deref().unwrap_or("{}"))
            .map_err(|e| corrupt("request result", contract_id, e))?;
        result["eid"] = serde_json::json!(eid);
        tx.execute(
            "UPDATE requests SET result = $1, updated_at = $2 WHERE id = $3",
            args![result.to_string(), now, request_id],
        )
        .await?;
    }
    let entry =
        AuditEntry::of(actor, Some(partner_id), "connection", contract_id, "EsimDownloaded")
            .after(serde_json::json!({"eid": eid}));
    crate::audit::write(tx, now, &entry).await?;
    Ok(Some(contract_id))
}

/// Marks a Pending request finished with `status` and `reason`, once:
/// `None` when it was finished already.
pub async fn finish_pending(
    tx: &mut Tx,
    id: i64,
    status: RequestStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<RequestRow>> {
    tx.fetch_optional(
        &format!(
            "UPDATE requests SET status = $1, reason = $2, updated_at = $3, completed_at = $3 \
             WHERE id = $4 AND status = 'Pending' RETURNING {REQUEST_COLS}"
        ),
        args![status, reason, now, id],
    )
    .await
}

/// Stores the switching code the network issued for a completed PAC or
/// STAC request, with its audit entry, and answers the request with the
/// code as its result.
#[allow(clippy::too_many_arguments)]
pub async fn record_code(
    tx: &mut Tx,
    actor: &str,
    row: &RequestRow,
    kind: CodeKind,
    code: &str,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<RequestRow> {
    let (network,): (String,) = tx
        .fetch_one(
            "UPDATE connections SET updated_at = $1 WHERE id = $2 RETURNING network",
            args![now, row.contract_id],
        )
        .await?;
    tx.execute(
        "INSERT INTO switching_codes (network, code, kind, contract_id, request_id, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&network, code, kind.as_str(), row.contract_id, row.id, now, expires],
    )
    .await
    .map_err(|e| StoreError::unique_of(e, format!("the network issued {code} twice")))?;
    let after =
        serde_json::json!({"requestId": row.id, "codeType": kind.as_str(), "validUntil": expires});
    let entry =
        AuditEntry::of(actor, Some(row.partner_id), "connection", row.contract_id, &row.kind);
    crate::audit::write(tx, now, &entry.after(after)).await?;
    let result = serde_json::json!({"code": code, "codeType": kind.as_str(), "issuedAt": now, "validUntil": expires, "usedAt": null});
    set_result(tx, row.id, &result).await
}

/// A connection as a completed change finds it, its row locked for the
/// rest of the transaction.
pub struct Locked {
    pub extras: Extras,
    pub iccid: Option<String>,
    pub eid: Option<String>,
}

/// Reads a connection's extras and SIM for a change, locking its row
/// (touching it first takes the lock on PostgreSQL).
pub async fn lock_connection(tx: &mut Tx, contract_id: i64, now: DateTime<Utc>) -> Result<Locked> {
    let (bars, bundles, diverts, iccid, eid): (String, String, String, Option<String>, Option<String>) = tx
        .fetch_one(
            "UPDATE connections SET updated_at = $1 WHERE id = $2 RETURNING bars, bundles, diverts, iccid, eid",
            args![now, contract_id],
        )
        .await?;
    let extras = Extras {
        bars: serde_json::from_str(&bars).map_err(|e| corrupt("bars", contract_id, e))?,
        bundles: serde_json::from_str(&bundles).map_err(|e| corrupt("bundles", contract_id, e))?,
        diverts: serde_json::from_str(&diverts).map_err(|e| corrupt("diverts", contract_id, e))?,
    };
    Ok(Locked { extras, iccid, eid })
}

/// Writes what a completed change decided (`domain::request::complete`)
/// to the connection found `before`: its SIM, extras and tariff, with the
/// audit entry; answers the request, with the change's result if any.
pub async fn apply_completion(
    tx: &mut Tx,
    actor: &str,
    row: &RequestRow,
    before: &Locked,
    done: &Completion,
    now: DateTime<Utc>,
) -> Result<RequestRow> {
    let after_iccid = match &done.sim {
        // The new SIM replaces the old; a live connection using the new
        // ICCID meanwhile makes this fail, not double up.
        Some(SimChange::Physical { iccid }) => {
            tx.execute(
                "UPDATE connections SET iccid = $1, sim_type = 'Physical', eid = NULL WHERE id = $2",
                args![iccid, row.contract_id],
            )
            .await
            .map_err(|e| StoreError::unique_of(e, "the new SIM went live on another connection"))?;
            Some(iccid.clone())
        }
        Some(SimChange::Esim { eid }) => {
            tx.execute(
                "UPDATE connections SET iccid = NULL, sim_type = 'eSIM', eid = $1 WHERE id = $2",
                args![eid, row.contract_id],
            )
            .await?;
            None
        }
        None => before.iccid.clone(),
    };
    let Extras { bars, bundles, diverts } = &done.extras;
    let (bars_text, bundles_text, diverts_text) = (
        serde_json::to_string(bars).expect("serialises"),
        serde_json::to_string(bundles).expect("serialises"),
        serde_json::to_string(diverts).expect("serialises"),
    );
    tx.execute(
        "UPDATE connections SET bars = $1, bundles = $2, diverts = $3, tariff_id = COALESCE($4, tariff_id) WHERE id = $5",
        args![bars_text, bundles_text, diverts_text, done.tariff_id, row.contract_id],
    )
    .await?;
    let was = serde_json::json!({"bars": before.extras.bars.len(), "bundles": before.extras.bundles.len(), "iccid": before.iccid, "eid": before.eid});
    let is = serde_json::json!({"requestId": row.id, "bars": bars.len(), "bundles": bundles.len(), "iccid": after_iccid});
    let entry =
        AuditEntry::of(actor, Some(row.partner_id), "connection", row.contract_id, &row.kind);
    crate::audit::write(tx, now, &entry.before(was).after(is)).await?;
    match &done.result {
        Some(r) => set_result(tx, row.id, r).await,
        None => Ok(row.clone()),
    }
}

/// Tells the partner's webhooks that a request's status changed.
pub async fn announce(tx: &mut Tx, row: &RequestRow, now: DateTime<Utc>) -> Result<()> {
    let data = serde_json::json!({
        "requestId": row.id, "contractId": row.contract_id, "customerId": row.customer_id,
        "type": row.kind, "status": row.status.to_string(), "reason": row.reason,
    });
    crate::webhooks::emit(tx, row.partner_id, "request.statusChanged", data, now).await?;
    Ok(())
}

/// Queues a request object on `conn` inside the caller's transaction: the
/// row, its job (to run at `run_at_ms`) and its audit entry.
#[allow(clippy::too_many_arguments)]
pub async fn insert_request(
    tx: &mut crate::tx::Tx,
    actor: &str,
    conn: &ConnectionRow,
    kind: &str,
    group: &str,
    payload: &serde_json::Value,
    run_at_ms: i64,
    now: DateTime<Utc>,
) -> Result<RequestRow> {
    let row: RequestRow = tx
        .fetch_one(
            &format!(
                "INSERT INTO requests (partner_id, customer_id, contract_id, type, conflict_group, payload, status, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'Pending', $7, $8, $8) RETURNING {REQUEST_COLS}"
            ),
            args![conn.partner_id, conn.customer_id, conn.id, kind, group, payload.to_string(), actor, now],
        )
        .await
        .map_err(|e| {
            StoreError::unique_of(
                e,
                format!("a request that conflicts with this one ({group}) is already open on contract {}", conn.id),
            )
        })?;
    let job = crate::jobs::ConnectionRequest { request_id: row.id };
    crate::jobs::enqueue(tx, now, &job, run_at_ms).await?;
    crate::audit::write(
        tx,
        now,
        &AuditEntry::of(actor, Some(conn.partner_id), "request", row.id, "create")
            .after(serde_json::json!({"contractId": conn.id, "type": kind, "details": payload})),
    )
    .await?;
    Ok(row)
}

impl crate::read::Listing for RequestRow {
    const PARENT: crate::read::Parent = crate::read::Parent::Contract;
    const ORDER: &'static str = "id DESC";
    fn rows() -> String {
        format!("SELECT {REQUEST_COLS} FROM requests WHERE contract_id = $1")
    }
}
