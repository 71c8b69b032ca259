//! Changes to a live connection, as request objects: bars, bundles, tariff
//! changes, SIM swaps, eSIM, diverts and switching (PAC, STAC, INFO). Each
//! finds the caller's connection, asks `domain` whether the change may be
//! made, and queues it (with its job and audit row, in one transaction);
//! the worker carries it out through the network.

use crate::error::missing;
use crate::{App, Error, Principal, Result};
use domain::ordering::ExtraKind;
use domain::status::ConnectionStatus;
use domain::switching::CodeKind;
use domain::{Network, Scope};
use serde_json::json;
use store::connections::ConnectionRow;
use store::requests::{self, RequestRow, SwitchingOf};

/// A request queued now, or one already open (or whose code is still
/// valid) that answers a repeated switching request.
#[derive(Debug, Clone)]
pub enum Queued {
    New(RequestRow),
    Current(RequestRow),
}

impl App {
    /// A connection visible to the caller, by contract id.
    pub async fn contract(&self, who: &Principal, id: i64) -> Result<ConnectionRow> {
        who.require(Scope::Connections)?;
        self.visible_contract(who, id).await
    }

    /// A connection visible to the caller, by contract id, whatever the
    /// scope the calling use case checked.
    pub(crate) async fn visible_contract(&self, who: &Principal, id: i64) -> Result<ConnectionRow> {
        domain::paging::check_id("contractId", id)?;
        self.store
            .connections()
            .connection_by_id(who.visibility(), id)
            .await
            .map_err(missing("contract", id))
    }

    /// A connection visible to the caller, by CLI (`07…`, `447…`, `+447…`).
    pub async fn connection_by_cli(&self, who: &Principal, cli: &str) -> Result<ConnectionRow> {
        who.require(Scope::Connections)?;
        self.visible_connection_by_cli(who, cli).await
    }

    /// A connection visible to the caller, by CLI, whatever the scope the
    /// calling use case checked.
    pub(crate) async fn visible_connection_by_cli(
        &self,
        who: &Principal,
        cli: &str,
    ) -> Result<ConnectionRow> {
        let cli = domain::Cli::parse_field(cli, "cli")?;
        self.store
            .connections()
            .connection_by_cli(who.visibility(), cli.as_str())
            .await
            .map_err(missing("connection with CLI", cli))
    }

    /// Queues a change to run now.
    async fn queue(
        &self,
        who: &Principal,
        conn: &ConnectionRow,
        kind: &str,
        group: &str,
        details: serde_json::Value,
    ) -> Result<RequestRow> {
        let now = self.store.now().timestamp_millis();
        self.queue_at(who, conn, (kind, group), &details, now).await
    }

    /// Queues a change on a connection that takes changes, to run at
    /// `run_at_ms`.
    async fn queue_at(
        &self,
        who: &Principal,
        conn: &ConnectionRow,
        (kind, group): (&str, &str),
        details: &serde_json::Value,
        run_at_ms: i64,
    ) -> Result<RequestRow> {
        domain::request::check_takes_changes(conn.id, conn.status)?;
        let requests = self.store.requests();
        Ok(requests.create_request(&who.actor, conn, kind, group, details, run_at_ms).await?)
    }

    /// Refuses any change but a stolen bar's removal on a connection
    /// barred as stolen.
    async fn refuse_if_stolen(&self, conn: &ConnectionRow) -> Result<()> {
        Ok(self.store.requests().live_state(conn).await?.refuse_if_stolen()?)
    }

    /// AddOrRemoveBar, AddBundle and RemoveBundle: the item must be one of
    /// the connection's network (see `kind`'s catalogue call) and the
    /// change allowed now (`domain::request::check_extra_change`).
    pub async fn change_extra(
        &self,
        who: &Principal,
        contract_id: i64,
        kind: ExtraKind,
        item: i64,
        add: bool,
    ) -> Result<RequestRow> {
        let conn = self.contract(who, contract_id).await?;
        let network = network_of(&conn)?;
        let catalogue = self.store.catalogue();
        let details = match kind {
            ExtraKind::Bar => {
                let bars = catalogue.bars_for_network(network).await?;
                let bar = bars.into_iter().find(|b| b.id == item);
                bar.map(|b| json!({"barId": b.id, "barSuffix": b.bar_suffix, "name": b.name}))
            }
            ExtraKind::Bundle => {
                let bundles = catalogue.bundles_for_network(network).await?;
                let bundle = bundles.into_iter().find(|b| b.id == item);
                bundle.map(|b| json!({"tariffOptionId": b.id, "name": b.name, "monthlyPence": b.monthly_pence}))
            }
        };
        let details = details.ok_or_else(|| {
            let (noun, list) = (kind.noun(), kind.catalogue_call());
            domain::Error::invalid(
                kind.field(),
                format!("there is no {network} {noun} {item}; see {list}"),
            )
        })?;
        let state = self.store.requests().live_state(&conn).await?;
        domain::request::check_extra_change(&state, kind, item, add)?;
        let group = format!("{}:{item}", kind.noun());
        self.queue(who, &conn, kind.request(add), &group, details).await
    }

    /// ChangeTariff, from its effective date (today by default), judged by
    /// the tariff rules on that date.
    pub async fn change_tariff(
        &self,
        who: &Principal,
        contract_id: i64,
        tariff_id: i64,
        effective: Option<chrono::NaiveDate>,
    ) -> Result<RequestRow> {
        let conn = self.contract(who, contract_id).await?;
        let today = self.store.clock().today();
        let effective = domain::tariff::effective_date(effective, today)?;
        let target = self.check_tariff_move(&conn, tariff_id, effective).await?;
        let details = serde_json::json!({"tariffId": target.id, "name": target.name, "monthlyPence": target.monthly_pence, "effectiveDate": effective});
        let run_at = if effective > today {
            crate::work::start_of(effective)
        } else {
            self.store.now().timestamp_millis()
        };
        self.queue_at(who, &conn, ("ChangeTariff", "tariff"), &details, run_at).await
    }

    /// ChangeSIM: a new SIM of the connection's network, not in use.
    pub async fn change_sim(&self, who: &Principal, cli: &str, iccid: &str) -> Result<RequestRow> {
        let conn = self.connection_by_cli(who, cli).await?;
        let iccid = domain::sim::parse_iccid_for(iccid, network_of(&conn)?, "iccid")?;
        if conn.iccid.as_deref() == Some(iccid.as_str()) {
            return Err(domain::Error::Conflict(format!(
                "iccid: {iccid} is already the SIM of contract {}",
                conn.id
            ))
            .into());
        }
        if let Some(place) = self.store.requests().iccid_in_use(&iccid).await? {
            return Err(domain::Error::Conflict(format!(
                "iccid: {iccid} is already in use on {place}"
            ))
            .into());
        }
        self.refuse_if_stolen(&conn).await?;
        let details = serde_json::json!({"iccid": iccid, "previousIccid": conn.iccid});
        self.queue(who, &conn, "ChangeSIM", "sim", details).await
    }

    /// CreateEsimRequest, on a network that offers eSIM.
    pub async fn create_esim(&self, who: &Principal, cli: &str) -> Result<RequestRow> {
        let conn = self.connection_by_cli(who, cli).await?;
        network_of(&conn)?.check_esim("cli", &conn.cli)?;
        self.refuse_if_stolen(&conn).await?;
        let details = serde_json::json!({"previousSimType": conn.sim_type, "previousIccid": conn.iccid, "previousEid": conn.eid});
        self.queue(who, &conn, "CreateEsim", "sim", details).await
    }

    /// SetDivert (or replace one).
    pub async fn set_divert(
        &self,
        who: &Principal,
        contract_id: i64,
        divert_type: &str,
        destination: &str,
        no_reply_seconds: Option<i64>,
    ) -> Result<RequestRow> {
        let kind = domain::divert::parse_kind(divert_type)?;
        let conn = self.contract(who, contract_id).await?;
        let destination = domain::divert::parse_destination(destination, &conn.cli)?;
        let no_reply = domain::divert::no_reply_seconds(kind, no_reply_seconds)?;
        self.refuse_if_stolen(&conn).await?;
        let details = serde_json::json!({"divertType": kind, "destination": destination, "noReplySeconds": no_reply});
        self.queue(who, &conn, "SetDivert", &format!("divert:{kind}"), details).await
    }

    /// RemoveDivert, of a divert that is set.
    pub async fn remove_divert(
        &self,
        who: &Principal,
        contract_id: i64,
        divert_type: &str,
    ) -> Result<RequestRow> {
        let kind = domain::divert::parse_kind(divert_type)?;
        let conn = self.contract(who, contract_id).await?;
        if !diverts_of(&conn)?.iter().any(|d| d.divert_type == kind) {
            return Err(domain::Error::Conflict(format!(
                "no {kind} divert is set on contract {}",
                conn.id
            ))
            .into());
        }
        self.refuse_if_stolen(&conn).await?;
        let details = serde_json::json!({"divertType": kind});
        self.queue(who, &conn, "RemoveDivert", &format!("divert:{kind}"), details).await
    }

    /// GetDiverts: the connection and the diverts set on it.
    pub async fn diverts(
        &self,
        who: &Principal,
        contract_id: i64,
    ) -> Result<Vec<store::connections::ConnectionDivert>> {
        diverts_of(&self.contract(who, contract_id).await?)
    }

    /// RequestPac, RequestStac, RequestInfo (`kind`): the switching
    /// information as of today in the details; while a request of the kind
    /// is open or its code valid, that one answers.
    pub async fn request_switching(
        &self,
        who: &Principal,
        contract_id: i64,
        kind: &str,
    ) -> Result<Queued> {
        domain::switching::check_request_kind(kind)?;
        let conn = self.contract(who, contract_id).await?;
        self.refuse_if_stolen(&conn).await?;
        let current = async || {
            self.store.requests().current_switching_request(conn.id, kind, self.store.now()).await
        };
        if let Some(row) = current().await? {
            return Ok(Queued::Current(row));
        }
        let details = switching_details(&conn, self.store.clock().today());
        match self.queue(who, &conn, kind, &format!("switching:{kind}"), details).await {
            Ok(row) => Ok(Queued::New(row)),
            // Asked twice at once: the other call's request is the answer.
            Err(Error::Rule(domain::Error::Conflict(why))) => match current().await? {
                Some(row) => Ok(Queued::Current(row)),
                None => Err(domain::Error::Conflict(why).into()),
            },
            Err(e) => Err(e),
        }
    }

    /// A gaining provider used one of our switching codes on `network`
    /// (the network's event): a PAC ports the number out, a STAC ends the
    /// connection (`CodeKind::ends_in`), once and before the code expires
    /// (`CodeKind::check_use`). Answers the contract and its new status.
    pub async fn switch_out(
        &self,
        network: Network,
        code: &str,
    ) -> Result<(i64, ConnectionStatus)> {
        let (kind, code) = CodeKind::of(code)?;
        let (actor, network) = (format!("network:{network}"), network.to_string());
        let now = self.store.now();
        self.store
            .write(async |tx| -> Result<_> {
                let issued =
                    requests::issued_code(tx, &network, &code, kind).await?.ok_or_else(|| {
                        domain::Error::not_found(format!(
                            "no {} {code} was issued on {network}",
                            kind.as_str()
                        ))
                    })?;
                kind.check_use(&code, issued.used_at, issued.expires_at, now)?;
                let ended = kind.ends_in();
                if !requests::end_by_code(tx, &actor, &network, &code, kind, &issued, ended, now)
                    .await?
                {
                    let id = issued.contract_id;
                    return Err(domain::Error::Conflict(format!(
                        "contract {id} is no longer live"
                    ))
                    .into());
                }
                Ok((issued.contract_id, ended))
            })
            .await
    }

    /// A device downloaded a live eSIM connection's profile (the network's
    /// event): its EID, checked, becomes known. Answers the contract.
    pub async fn esim_downloaded(&self, network: Network, cli: &str, eid: &str) -> Result<i64> {
        let eid = domain::sim::parse_eid(eid).map_err(|m| domain::Error::invalid("eid", m))?;
        let (actor, network) = (format!("network:{network}"), network.to_string());
        let now = self.store.now();
        self.store
            .write(async |tx| -> Result<_> {
                let found = requests::record_eid(tx, &actor, &network, cli, &eid, now).await?;
                found.ok_or_else(|| {
                    domain::Error::not_found(format!("no live eSIM connection {cli} on {network}"))
                        .into()
                })
            })
            .await
    }

    /// GetSwitchingRequests of a contract or of a customer's contracts.
    pub async fn switching_requests(
        &self,
        who: &Principal,
        of: SwitchingOf,
        page: domain::paging::PageRequest,
    ) -> Result<(Vec<RequestRow>, i64)> {
        let vis = who.visibility_for(Scope::Connections)?;
        let (what, id) = match of {
            SwitchingOf::Contract(id) => ("contract", id),
            SwitchingOf::Customer(id) => ("customer", id),
        };
        self.store.requests().switching_requests(vis, of, page).await.map_err(missing(what, id))
    }

    /// GetRequest.
    pub async fn request(&self, who: &Principal, id: i64) -> Result<RequestRow> {
        let vis = who.visibility_for(Scope::Connections)?;
        self.store.requests().get_request(vis, id).await.map_err(missing("request", id))
    }
}

/// A connection's network, as stored.
pub fn network_of(conn: &ConnectionRow) -> Result<Network> {
    Ok(store::catalogue::parse_network(&conn.network)?)
}

/// The diverts set on a connection (stored as JSON on its row).
fn diverts_of(conn: &ConnectionRow) -> Result<Vec<store::connections::ConnectionDivert>> {
    serde_json::from_str(&conn.diverts)
        .map_err(|e| Error::Internal(format!("diverts of contract {}: {e}", conn.id)))
}

/// The switching information of a connection as of `today`, as a
/// request's details: what the customer must be told before switching.
fn switching_details(conn: &ConnectionRow, today: chrono::NaiveDate) -> serde_json::Value {
    let i = domain::switching::switching_info(
        today,
        conn.contract_end_date,
        conn.tariff_monthly_pence,
        conn.balance_pence,
    );
    let gbp = |p: i64| domain::money::Money::gbp(p).to_string();
    serde_json::json!({
        "cli": conn.cli,
        "contractEndDate": i.contract_end_date,
        "remainingMonths": i.remaining_months,
        "monthlyPence": i.monthly_pence,
        "earlyTerminationChargePence": i.early_termination_pence,
        "earlyTerminationCharge": gbp(i.early_termination_pence),
        "outstandingBalancePence": i.outstanding_balance_pence,
        "outstandingBalance": gbp(i.outstanding_balance_pence),
    })
}
