//! The rules of a mobile on an order (AddMobileToOrder and SubmitOrder):
//! what each connection type needs, SIMs, port dates and PACs, bill caps.
//!
//! Checks here need no database. Those that depend on stored state (is the
//! number free, is the ICCID in use, is the CLI this customer's) are made
//! by the service that owns that state, with the same error kinds.

use crate::calendar::{is_working_day, next_working_day};
use crate::sim::parse_iccid_for;
use crate::switching::{parse_pac, parse_stac, CODE_VALID_DAYS};
use crate::{Cli, Error, Money, Network};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ConnectionType {
    New,
    Port,
    Migration,
    Disconnection,
}

/// What an activated mobile does to the customer's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// A new connection (a new number, or a number ported in).
    Connect,
    /// The customer's live connection with the number moves to the
    /// mobile's tariff, term and bill cap.
    Migrate,
    /// The customer's live connection with the number ceases.
    Cease,
}

/// Why an activated Migration or Disconnection is refused after all: the
/// number is no longer a live connection of the customer.
pub fn no_longer_live(cli: &str) -> String {
    format!("{cli} is no longer a live connection of this customer")
}

/// Why an activated New or Port mobile is refused after all: its number or
/// ICCID went live elsewhere while the order was provisioned.
pub const TAKEN_MEANWHILE: &str =
    "the number or ICCID went live on another connection before this order completed";

impl ConnectionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionType::New => "New",
            ConnectionType::Port => "Port",
            ConnectionType::Migration => "Migration",
            ConnectionType::Disconnection => "Disconnection",
        }
    }

    pub fn parse_field(text: &str, field: &str) -> Result<ConnectionType, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "new" => Ok(ConnectionType::New),
            "port" => Ok(ConnectionType::Port),
            "migration" => Ok(ConnectionType::Migration),
            "disconnection" => Ok(ConnectionType::Disconnection),
            _ => Err(Error::invalid(field, format!("unknown connection type {text:?}; expected New, Port, Migration or Disconnection"))),
        }
    }

    /// What the network's yes does to the customer's connections.
    pub fn activation(self) -> Activation {
        match self {
            ConnectionType::New | ConnectionType::Port => Activation::Connect,
            ConnectionType::Migration => Activation::Migrate,
            ConnectionType::Disconnection => Activation::Cease,
        }
    }

    /// Whether the mobile makes a new contract (which must offer a bill cap).
    pub fn makes_contract(self) -> bool {
        !matches!(self, ConnectionType::Disconnection)
    }
}

impl fmt::Display for ConnectionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SimType {
    Physical,
    #[serde(rename = "eSIM")]
    Esim,
}

impl SimType {
    pub fn as_str(self) -> &'static str {
        match self {
            SimType::Physical => "Physical",
            SimType::Esim => "eSIM",
        }
    }

    pub fn parse_field(text: &str, field: &str) -> Result<SimType, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "physical" => Ok(SimType::Physical),
            "esim" => Ok(SimType::Esim),
            _ => Err(Error::invalid(
                field,
                format!("unknown SIM type {text:?}; expected Physical or eSIM"),
            )),
        }
    }
}

/// AddMobileToOrder's fields as the API received them.
#[derive(Debug, Clone, Default)]
pub struct MobileInput {
    pub connection_type: String,
    pub network: String,
    pub tariff_id: Option<i64>,
    pub cli: Option<String>,
    pub pac_code: Option<String>,
    pub pac_expiry_date: Option<NaiveDate>,
    pub port_date: Option<NaiveDate>,
    pub stac_code: Option<String>,
    pub sim_type: Option<String>,
    pub iccid: Option<String>,
    pub bill_cap_offered: Option<bool>,
    pub enable_bill_cap: Option<bool>,
    pub bill_cap_value: Option<i64>,
}

/// A mobile whose fields have passed the checks that need no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobileRequest {
    pub connection_type: ConnectionType,
    pub network: Network,
    pub tariff_id: Option<i64>,
    /// `None` with `New`: allocate from the pool (or, on EE, assigned with the SIM).
    pub cli: Option<Cli>,
    pub pac_code: Option<String>,
    pub pac_expiry_date: Option<NaiveDate>,
    pub port_date: Option<NaiveDate>,
    pub stac_code: Option<String>,
    pub sim_type: Option<SimType>,
    pub iccid: Option<String>,
    pub bill_cap_offered: bool,
    pub enable_bill_cap: bool,
    pub bill_cap_pence: Option<i64>,
}

/// What the order rules need to know about the mobile's tariff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffLimits {
    pub id: i64,
    pub name: String,
    pub network: Network,
    pub retired: bool,
    pub bill_cap_eligible: bool,
    pub bill_cap_min_pence: i64,
    pub bill_cap_max_pence: i64,
}

fn forbidden(field: &str, what: &str, ct: ConnectionType) -> Error {
    Error::invalid(field, format!("{what} does not go with connectionType {ct}"))
}

fn present(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|v| !v.trim().is_empty())
}

impl MobileInput {
    /// Checks formats and what each connection type needs, as of `today`.
    pub fn check(self, today: NaiveDate) -> Result<MobileRequest, Error> {
        let ct = ConnectionType::parse_field(&self.connection_type, "connectionType")?;
        let network = Network::parse_field(&self.network, "network")?;
        use ConnectionType as C;

        let cli = match self.cli.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(Cli::parse_field(c, "cli")?),
        };
        match ct {
            C::New if cli.is_some() && !network.offers_numbers() => {
                return Err(Error::refused("cli", format!("{network} does not offer numbers to choose; leave cli empty and the number comes with the SIM")));
            }
            C::Port | C::Migration | C::Disconnection if cli.is_none() => {
                return Err(Error::invalid("cli", format!("is required with connectionType {ct}")))
            }
            _ => {}
        }

        let tariff_id = match (ct, self.tariff_id) {
            (C::Disconnection, Some(_)) => return Err(forbidden("tariffId", "a tariff", ct)),
            (C::Disconnection, None) => None,
            (_, None) => {
                return Err(Error::invalid(
                    "tariffId",
                    format!("is required with connectionType {ct}"),
                ))
            }
            (_, Some(id)) => Some(crate::paging::check_id("tariffId", id)?),
        };

        let (pac_code, pac_expiry_date, port_date) = if ct == C::Port {
            let pac = parse_pac(
                self.pac_code
                    .as_deref()
                    .filter(|p| !p.trim().is_empty())
                    .ok_or_else(|| Error::missing("pacCode"))?,
                "pacCode",
            )?;
            let port_date = self.port_date.ok_or_else(|| {
                Error::invalid("portDate", "is required with connectionType Port (YYYY-MM-DD)")
            })?;
            check_port_date(port_date, today)?;
            if let Some(expiry) = self.pac_expiry_date {
                check_pac_expiry(expiry, port_date, today)
                    .map_err(|m| Error::refused("pacExpiryDate", m))?;
            }
            (Some(pac), self.pac_expiry_date, Some(port_date))
        } else {
            if present(&self.pac_code) || self.pac_expiry_date.is_some() {
                return Err(forbidden("pacCode", "a PAC", ct));
            }
            if self.port_date.is_some() {
                return Err(forbidden("portDate", "a port date", ct));
            }
            (None, None, None)
        };

        let stac_code = if ct == C::Disconnection {
            Some(parse_stac(
                self.stac_code
                    .as_deref()
                    .filter(|p| !p.trim().is_empty())
                    .ok_or_else(|| Error::missing("stacCode"))?,
                "stacCode",
            )?)
        } else {
            if present(&self.stac_code) {
                return Err(forbidden("stacCode", "a STAC", ct));
            }
            None
        };

        let (sim_type, iccid) = match ct {
            C::New | C::Port => {
                let sim = SimType::parse_field(
                    self.sim_type.as_deref().unwrap_or("Physical"),
                    "simType",
                )?;
                match sim {
                    SimType::Physical => {
                        let raw =
                            self.iccid.as_deref().filter(|i| !i.trim().is_empty()).ok_or_else(
                                || Error::invalid("iccid", "is required with a Physical SIM"),
                            )?;
                        (Some(sim), Some(parse_iccid_for(raw, network, "iccid")?))
                    }
                    SimType::Esim => {
                        if !network.supports_esim() {
                            return Err(Error::refused(
                                "simType",
                                format!("eSIM is offered on Vodafone only, not {network}"),
                            ));
                        }
                        if present(&self.iccid) {
                            return Err(Error::invalid(
                                "iccid",
                                "an eSIM has no ICCID to give; omit iccid",
                            ));
                        }
                        (Some(sim), None)
                    }
                }
            }
            C::Migration | C::Disconnection => {
                if present(&self.sim_type) || present(&self.iccid) {
                    return Err(Error::invalid(
                        "iccid",
                        format!("a {ct} keeps the connection's SIM; change SIMs with ChangeSIM"),
                    ));
                }
                (None, None)
            }
        };

        let enable_bill_cap = self.enable_bill_cap.unwrap_or(false);
        let bill_cap_pence = match (ct, enable_bill_cap, self.bill_cap_value) {
            (C::Disconnection, true, _) | (C::Disconnection, _, Some(_)) => {
                return Err(forbidden("enableBillCap", "a bill cap", ct))
            }
            (_, true, None) => {
                return Err(Error::invalid(
                    "billCapValue",
                    "is required when enableBillCap is true (pence)",
                ))
            }
            (_, true, Some(v)) if v <= 0 => {
                return Err(Error::invalid("billCapValue", "must be a positive amount in pence"))
            }
            (_, true, Some(v)) => Some(v),
            (_, false, Some(v)) if v != 0 => {
                return Err(Error::invalid("billCapValue", "only goes with enableBillCap true"))
            }
            (_, false, _) => None,
        };
        Ok(MobileRequest {
            connection_type: ct,
            network,
            tariff_id,
            cli,
            pac_code,
            pac_expiry_date,
            port_date,
            stac_code,
            sim_type,
            iccid,
            bill_cap_offered: self.bill_cap_offered.unwrap_or(false),
            enable_bill_cap,
            bill_cap_pence,
        })
    }
}

/// A port date must be a working day, at least one working day ahead.
pub fn check_port_date(port_date: NaiveDate, today: NaiveDate) -> Result<(), Error> {
    let earliest = next_working_day(today);
    if port_date < earliest {
        return Err(Error::invalid("portDate", format!("{port_date} is too soon: the earliest port date is the next working day, {earliest}")));
    }
    if !is_working_day(port_date) {
        return Err(Error::invalid(
            "portDate",
            format!(
                "{port_date} is not a working day (weekends and English bank holidays are not)"
            ),
        ));
    }
    if port_date > today + Days::new(CODE_VALID_DAYS as u64) {
        return Err(Error::invalid(
            "portDate",
            format!("{port_date} is too far ahead: a PAC lasts {CODE_VALID_DAYS} days"),
        ));
    }
    Ok(())
}

/// Every date [`check_port_date`] accepts as of `today`, in order: what a
/// port-date picker offers.
pub fn port_dates(today: NaiveDate) -> Vec<NaiveDate> {
    let last = today + Days::new(CODE_VALID_DAYS as u64);
    next_working_day(today)
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| check_port_date(*d, today).is_ok())
        .collect()
}

/// A PAC must still be valid today and on the port date.
pub fn check_pac_expiry(
    expiry: NaiveDate,
    port_date: NaiveDate,
    today: NaiveDate,
) -> Result<(), String> {
    if expiry < today {
        return Err(format!("PAC expired on {expiry}"));
    }
    if expiry < port_date {
        return Err(format!("PAC expires on {expiry}, before the port date {port_date}"));
    }
    Ok(())
}

/// Checks a mobile against its tariff: the tariff's network, not retired,
/// and the bill cap (only on an eligible tariff, within its limits).
pub fn check_tariff(req: &MobileRequest, tariff: &TariffLimits) -> Result<(), Error> {
    if tariff.network != req.network {
        return Err(Error::invalid(
            "tariffId",
            format!("tariff {} is a {} tariff, not {}", tariff.id, tariff.network, req.network),
        ));
    }
    if tariff.retired {
        return Err(Error::refused(
            "tariffId",
            format!("tariff {} ({}) is retired and no longer sold", tariff.id, tariff.name),
        ));
    }
    if let Some(cap) = req.bill_cap_pence {
        if !tariff.bill_cap_eligible {
            return Err(Error::refused(
                "enableBillCap",
                format!(
                    "tariff {} ({}) is not bill-cap eligible; see BillCapEligibleTariffs",
                    tariff.id, tariff.name
                ),
            ));
        }
        if cap < tariff.bill_cap_min_pence || cap > tariff.bill_cap_max_pence {
            return Err(Error::refused(
                "billCapValue",
                format!(
                    "{} is outside this tariff's bill cap limits of {} to {}",
                    Money::gbp(cap),
                    Money::gbp(tariff.bill_cap_min_pence),
                    Money::gbp(tariff.bill_cap_max_pence)
                ),
            ));
        }
    }
    Ok(())
}

/// The connection that holds a mobile's number now, as the order rules
/// see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberHolder {
    pub customer_id: i64,
    pub status: crate::status::ConnectionStatus,
    pub network: String,
}

/// AddMobileToOrder's checks against what is live now: a Migration or
/// Disconnection names a live connection of the order's customer on the
/// mobile's network; a Port names a number not already live here; and
/// the SIM is not live on any connection (whose, is not said: it may be
/// another partner's).
pub fn check_against_live(
    req: &MobileRequest,
    customer_id: i64,
    holder: Option<&NumberHolder>,
    iccid_live: bool,
) -> Result<(), Error> {
    let live = holder.filter(|h| h.status == crate::status::ConnectionStatus::Active);
    if let Some(c) = &req.cli {
        match req.connection_type {
            ConnectionType::Migration | ConnectionType::Disconnection => {
                let Some(h) = live.filter(|h| h.customer_id == customer_id) else {
                    return Err(Error::invalid(
                        "cli",
                        format!("{c} is not a live connection of customer {customer_id}"),
                    ));
                };
                if h.network != req.network.as_str() {
                    return Err(Error::invalid(
                        "network",
                        format!("{c} is on {}, not {}", h.network, req.network),
                    ));
                }
            }
            ConnectionType::Port if live.is_some() => {
                return Err(Error::Conflict(format!(
                    "cli: {c} is already a live connection here; move it with a Migration instead"
                )));
            }
            _ => {}
        }
    }
    match &req.iccid {
        Some(iccid) if iccid_live => {
            Err(Error::Conflict(format!("iccid: {iccid} is already in use on a live connection")))
        }
        _ => Ok(()),
    }
}

/// What a change to a draft mobile's extras is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraKind {
    Bundle,
    Bar,
}

impl ExtraKind {
    /// The field that names the item in the mobile face's calls.
    pub fn field(self) -> &'static str {
        match self {
            ExtraKind::Bundle => "tariffOptionId",
            ExtraKind::Bar => "barId",
        }
    }

    /// What the item is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            ExtraKind::Bundle => "bundle",
            ExtraKind::Bar => "bar",
        }
    }

    /// The request a change to a live connection makes.
    pub fn request(self, add: bool) -> &'static str {
        match (self, add) {
            (ExtraKind::Bundle, true) => "AddBundle",
            (ExtraKind::Bundle, false) => "RemoveBundle",
            (ExtraKind::Bar, true) => "AddBar",
            (ExtraKind::Bar, false) => "RemoveBar",
        }
    }

    /// The call that lists a network's items.
    pub fn catalogue_call(self) -> &'static str {
        match self {
            ExtraKind::Bundle => "ListBundlesForNetwork",
            ExtraKind::Bar => "ListBarsForNetwork",
        }
    }
}

/// Adding or removing a bundle or a bar on a draft order's mobile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MobileExtra {
    pub kind: ExtraKind,
    pub add: bool,
    pub item: i64,
}

impl MobileExtra {
    /// A change naming `item`, which must be a valid id.
    pub fn new(kind: ExtraKind, add: bool, item: i64) -> Result<MobileExtra, Error> {
        crate::paging::check_id(kind.field(), item)?;
        Ok(MobileExtra { kind, add, item })
    }

    /// The audit trail's name for it: `add_bundle`, `remove_bar`, ...
    pub fn action(self) -> &'static str {
        match (self.kind, self.add) {
            (ExtraKind::Bundle, true) => "add_bundle",
            (ExtraKind::Bundle, false) => "remove_bundle",
            (ExtraKind::Bar, true) => "add_bar",
            (ExtraKind::Bar, false) => "remove_bar",
        }
    }

    /// What is said when the item is already on the mobile (adding) or
    /// not on it (removing).
    pub fn clash(self, mobile_id: i64) -> String {
        let state = if self.add { "already" } else { "not" };
        format!("{} {} is {state} on order mobile {mobile_id}", self.kind.noun(), self.item)
    }
}

/// What adding an extra to a mobile is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ExtraFacts<'a> {
    pub connection_type: &'a str,
    pub network: Network,
    pub tariff_id: Option<i64>,
    /// The bundles the mobile's tariff allows.
    pub tariff_bundles: &'a [i64],
    /// The network's bundles or bars (the kind being added); for a bundle
    /// only read when the tariff does not allow it, to say why.
    pub on_network: &'a [i64],
}

/// A bundle added must be one the mobile's tariff allows (a mobile with no
/// tariff takes none); a bar, one of the mobile's network. Removing is
/// checked by what is there.
pub fn check_extra(extra: MobileExtra, facts: &ExtraFacts<'_>) -> Result<(), Error> {
    if !extra.add {
        return Ok(());
    }
    let (id, network) = (extra.item, facts.network);
    match extra.kind {
        ExtraKind::Bundle => {
            let Some(tariff) = facts.tariff_id else {
                return Err(Error::invalid(
                    "orderMobileId",
                    format!("a {} has no tariff to add bundles to", facts.connection_type),
                ));
            };
            if facts.tariff_bundles.contains(&id) {
                return Ok(());
            }
            Err(Error::invalid(
                "tariffOptionId",
                match facts.on_network.contains(&id) {
                    true => format!(
                        "bundle {id} is not available on tariff {tariff}; see ListBundlesForTariff"
                    ),
                    false => format!("there is no {network} bundle {id}"),
                },
            ))
        }
        ExtraKind::Bar if facts.on_network.contains(&id) => Ok(()),
        ExtraKind::Bar => Err(Error::invalid(
            "barId",
            format!("there is no {network} bar {id}; see ListBarsForNetwork"),
        )),
    }
}

/// One problem SubmitOrder found: which mobile, which field, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub order_mobile_id: Option<i64>,
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(order_mobile_id: Option<i64>, field: &str, message: impl Into<String>) -> Self {
        Problem { order_mobile_id, field: field.into(), message: message.into() }
    }
}

/// A stored mobile as SubmitOrder sees it: its request, its tariff's
/// limits, and what the database says about its SIM and number now.
#[derive(Debug, Clone)]
pub struct SubmitFacts {
    pub order_mobile_id: i64,
    pub request: MobileRequest,
    pub tariff: Option<TariffLimits>,
    /// The ICCID, when it is already on a live connection.
    pub iccid_in_use: Option<String>,
    /// Whether the CLI is a live connection of this customer.
    pub live_connection: bool,
}

/// Whether an order may be submitted as of `today`: every problem at
/// once ([`submission_problems`]) as one [`Error::Problems`].
pub fn check_submission(
    order_id: i64,
    mobiles: &[SubmitFacts],
    today: NaiveDate,
) -> Result<(), Error> {
    let problems = submission_problems(order_id, mobiles, today);
    if problems.is_empty() {
        return Ok(());
    }
    let n = problems.len();
    Err(Error::Problems {
        message: format!("Order {order_id} has {n} problem{}", if n == 1 { "" } else { "s" }),
        problems,
    })
}

/// Every problem that keeps an order from being submitted, as of `today`:
/// no mobiles at all, and for each mobile its own checks
/// ([`submit_problems`]), a SIM already live elsewhere, or a Migration or
/// Disconnection of a number that is no longer this customer's.
pub fn submission_problems(
    order_id: i64,
    mobiles: &[SubmitFacts],
    today: NaiveDate,
) -> Vec<Problem> {
    if mobiles.is_empty() {
        return vec![Problem::new(
            None,
            "orderId",
            format!("order {order_id} has no mobiles; add one with AddMobileToOrder"),
        )];
    }
    let mut problems = Vec::new();
    for m in mobiles {
        let id = m.order_mobile_id;
        problems.extend(submit_problems(id, &m.request, m.tariff.as_ref(), today));
        if let Some(iccid) = &m.iccid_in_use {
            problems.push(Problem::new(
                Some(id),
                "iccid",
                format!("{iccid} is already in use on a live connection"),
            ));
        }
        if matches!(
            m.request.connection_type,
            ConnectionType::Migration | ConnectionType::Disconnection
        ) && !m.live_connection
        {
            problems.push(Problem::new(
                Some(id),
                "cli",
                "is no longer a live connection of this customer",
            ));
        }
    }
    problems
}

/// The time-dependent and legal checks SubmitOrder makes on each stored
/// mobile, as of `today`.
pub fn submit_problems(
    id: i64,
    m: &MobileRequest,
    tariff: Option<&TariffLimits>,
    today: NaiveDate,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if m.connection_type.makes_contract() && !m.bill_cap_offered {
        out.push(Problem::new(
            Some(id),
            "billCapOffered",
            "a bill cap must be offered on every new contract",
        ));
    }
    if let Some(port_date) = m.port_date {
        if let Err(Error::Invalid { message, .. }) = check_port_date(port_date, today) {
            out.push(Problem::new(Some(id), "portDate", message));
        }
        if let Some(expiry) = m.pac_expiry_date {
            if let Err(message) = check_pac_expiry(expiry, port_date, today) {
                out.push(Problem::new(Some(id), "pacCode", message));
            }
        }
    }
    if let Some(t) = tariff {
        match check_tariff(m, t) {
            Err(Error::Invalid { field, message }) => {
                out.push(Problem::new(Some(id), &field, message))
            }
            Err(Error::Refused { field, message }) => {
                out.push(Problem::new(Some(id), field.as_deref().unwrap_or("tariffId"), message))
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn new_and_port_connect_a_migration_moves_and_a_disconnection_ceases() {
        assert_eq!(ConnectionType::New.activation(), Activation::Connect);
        assert_eq!(ConnectionType::Port.activation(), Activation::Connect);
        assert_eq!(ConnectionType::Migration.activation(), Activation::Migrate);
        assert_eq!(ConnectionType::Disconnection.activation(), Activation::Cease);
        assert_eq!(
            no_longer_live("07700900123"),
            "07700900123 is no longer a live connection of this customer"
        );
    }

    #[test]
    fn the_port_date_picker_offers_exactly_the_dates_the_check_accepts() {
        // Friday 18 December 2026: Christmas, Boxing Day (Monday 28th
        // observed) and weekends are left out.
        let today = NaiveDate::from_ymd_opt(2026, 12, 18).unwrap();
        let dates = port_dates(today);
        assert_eq!(dates.first(), NaiveDate::from_ymd_opt(2026, 12, 21).as_ref());
        assert!(!dates.contains(&NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()));
        assert!(!dates.contains(&NaiveDate::from_ymd_opt(2026, 12, 26).unwrap()));
        assert!(!dates.contains(&NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()));
        for d in today.iter_days().take(40) {
            assert_eq!(dates.contains(&d), check_port_date(d, today).is_ok(), "{d}");
        }
    }
    use super::*;
    use crate::sim::make_iccid;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap() // a Monday
    }

    fn new_vf() -> MobileInput {
        MobileInput {
            connection_type: "New".into(),
            network: "Vodafone".into(),
            tariff_id: Some(2),
            cli: Some(String::new()),
            sim_type: Some("Physical".into()),
            iccid: Some(make_iccid(Network::Vodafone, 77)),
            bill_cap_offered: Some(true),
            enable_bill_cap: Some(true),
            bill_cap_value: Some(2500),
            ..Default::default()
        }
    }

    fn port() -> MobileInput {
        MobileInput {
            connection_type: "Port".into(),
            cli: Some("07700900456".into()),
            pac_code: Some("ABC123456".into()),
            port_date: NaiveDate::from_ymd_opt(2026, 11, 25),
            enable_bill_cap: None,
            bill_cap_value: None,
            ..new_vf()
        }
    }

    /// The field a mobile is refused on: `base` changed by `change`,
    /// checked today.
    fn refusal(base: MobileInput, change: impl FnOnce(&mut MobileInput)) -> String {
        let mut m = base;
        change(&mut m);
        field(m.check(today()))
    }

    fn field(r: Result<MobileRequest, Error>) -> String {
        match r {
            Err(Error::Invalid { field, .. }) => field,
            Err(Error::Refused { field, .. }) => {
                field.expect("a refusal of a mobile names its field")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn extras_of_a_draft_mobile() {
        let add_bundle = MobileExtra::new(ExtraKind::Bundle, true, 301).unwrap();
        let facts = ExtraFacts {
            connection_type: "New",
            network: Network::Vodafone,
            tariff_id: Some(2),
            tariff_bundles: &[301],
            on_network: &[301, 302],
        };
        assert_eq!(check_extra(add_bundle, &facts), Ok(()));
        let other = MobileExtra { item: 302, ..add_bundle };
        let e = check_extra(other, &facts).unwrap_err();
        assert_eq!(e.field(), Some("tariffOptionId"));
        assert!(e.to_string().contains("not available on tariff 2"), "{e}");
        let unknown = MobileExtra { item: 999, ..add_bundle };
        assert!(check_extra(unknown, &facts)
            .unwrap_err()
            .to_string()
            .contains("no Vodafone bundle 999"));
        let no_tariff = ExtraFacts { connection_type: "Disconnection", tariff_id: None, ..facts };
        assert_eq!(check_extra(add_bundle, &no_tariff).unwrap_err().field(), Some("orderMobileId"));
        let bar = MobileExtra::new(ExtraKind::Bar, true, 7).unwrap();
        let bars = ExtraFacts { on_network: &[7], ..facts };
        assert_eq!(check_extra(bar, &bars), Ok(()));
        assert_eq!(
            check_extra(MobileExtra { item: 8, ..bar }, &bars).unwrap_err().field(),
            Some("barId")
        );
        let remove = MobileExtra::new(ExtraKind::Bar, false, 8).unwrap();
        assert_eq!(check_extra(remove, &bars), Ok(()), "removing is checked by what is there");
        assert_eq!(remove.action(), "remove_bar");
        assert_eq!(remove.clash(5), "bar 8 is not on order mobile 5");
        assert_eq!(add_bundle.clash(5), "bundle 301 is already on order mobile 5");
        assert_eq!(MobileExtra::new(ExtraKind::Bar, true, 0).unwrap_err().field(), Some("barId"));
    }

    #[test]
    fn a_mobile_against_what_is_live() {
        use crate::status::ConnectionStatus as S;
        let holder = |customer_id, status, network: &str| NumberHolder {
            customer_id,
            status,
            network: network.into(),
        };
        let migration = MobileInput {
            connection_type: "Migration".into(),
            pac_code: None,
            port_date: None,
            sim_type: None,
            iccid: None,
            ..port()
        }
        .check(today())
        .unwrap();
        let ok = holder(1000, S::Active, "Vodafone");
        assert_eq!(check_against_live(&migration, 1000, Some(&ok), false), Ok(()));
        for (h, want) in [
            (None, "cli"),
            (Some(holder(1001, S::Active, "Vodafone")), "cli"),
            (Some(holder(1000, S::Ceased, "Vodafone")), "cli"),
            (Some(holder(1000, S::Active, "O2")), "network"),
        ] {
            let e = check_against_live(&migration, 1000, h.as_ref(), false).unwrap_err();
            assert_eq!(e.field(), Some(want), "{h:?}: {e}");
        }
        let port = port().check(today()).unwrap();
        assert_eq!(check_against_live(&port, 1000, None, false), Ok(()));
        let ended = holder(1, S::PortedOut, "Vodafone");
        assert_eq!(
            check_against_live(&port, 1000, Some(&ended), false),
            Ok(()),
            "a number that left may come back"
        );
        assert!(matches!(
            check_against_live(&port, 1000, Some(&ok), false),
            Err(Error::Conflict(m)) if m.contains("with a Migration instead")
        ));
        let new = new_vf().check(today()).unwrap();
        match check_against_live(&new, 1000, None, true) {
            Err(Error::Conflict(m)) => {
                assert!(m.ends_with("is already in use on a live connection"), "{m}")
            }
            other => panic!("a live SIM is refused: {other:?}"),
        }
    }

    #[test]
    fn a_good_new_mobile() {
        let m = new_vf().check(today()).unwrap();
        assert_eq!(m.connection_type, ConnectionType::New);
        assert_eq!(m.cli, None, "empty cli: allocate from the pool");
        assert_eq!(m.bill_cap_pence, Some(2500));
    }

    #[test]
    fn new_mobile_refusals() {
        assert_eq!(refusal(new_vf(), |m| m.connection_type = "Upgrade".into()), "connectionType");
        assert_eq!(refusal(new_vf(), |m| m.network = "Three".into()), "network");
        assert_eq!(refusal(new_vf(), |m| m.tariff_id = None), "tariffId");
        assert_eq!(refusal(new_vf(), |m| m.cli = Some("12".into())), "cli");
        assert_eq!(
            refusal(new_vf(), |m| {
                m.network = "EE".into();
                m.cli = Some("07700900500".into());
                m.iccid = Some(make_iccid(Network::EE, 1));
            }),
            "cli"
        );
        assert_eq!(refusal(new_vf(), |m| m.iccid = None), "iccid");
        assert_eq!(refusal(new_vf(), |m| m.iccid = Some(make_iccid(Network::O2, 1))), "iccid");
        assert_eq!(refusal(new_vf(), |m| m.sim_type = Some("nano".into())), "simType");
        assert_eq!(
            refusal(new_vf(), |m| {
                m.network = "O2".into();
                m.sim_type = Some("eSIM".into());
                m.iccid = None;
            }),
            "simType"
        );
        assert_eq!(refusal(new_vf(), |m| m.sim_type = Some("eSIM".into())), "iccid");
        assert_eq!(refusal(new_vf(), |m| m.pac_code = Some("ABC123456".into())), "pacCode");
        assert_eq!(refusal(new_vf(), |m| m.stac_code = Some("123456ABC".into())), "stacCode");
        assert_eq!(refusal(new_vf(), |m| m.bill_cap_value = None), "billCapValue");
        assert_eq!(refusal(new_vf(), |m| m.enable_bill_cap = Some(false)), "billCapValue");
        assert_eq!(refusal(new_vf(), |m| m.bill_cap_value = Some(-5)), "billCapValue");
        let esim = MobileInput { sim_type: Some("esim".into()), iccid: None, ..new_vf() }
            .check(today())
            .unwrap();
        assert_eq!((esim.sim_type, esim.iccid), (Some(SimType::Esim), None));
    }

    #[test]
    fn ports_need_a_pac_and_a_working_day_ahead() {
        let p = port().check(today()).unwrap();
        assert_eq!(p.pac_code.as_deref(), Some("ABC123456"));
        assert_eq!(refusal(port(), |m| m.pac_code = None), "pacCode");
        assert_eq!(refusal(port(), |m| m.pac_code = Some("123456ABC".into())), "pacCode");
        assert_eq!(refusal(port(), |m| m.cli = None), "cli");
        assert_eq!(refusal(port(), |m| m.port_date = None), "portDate");
        // Today, a weekend, a bank holiday, too far ahead.
        for bad in [(2026, 11, 23), (2026, 11, 28), (2026, 12, 25), (2027, 1, 29)] {
            let d = NaiveDate::from_ymd_opt(bad.0, bad.1, bad.2);
            assert_eq!(
                field(MobileInput { port_date: d, ..port() }.check(today())),
                "portDate",
                "{bad:?}"
            );
        }
        assert!(
            MobileInput { port_date: NaiveDate::from_ymd_opt(2026, 11, 24), ..port() }
                .check(today())
                .is_ok(),
            "the next working day is fine"
        );
        let expired =
            MobileInput { pac_expiry_date: NaiveDate::from_ymd_opt(2026, 11, 1), ..port() }
                .check(today())
                .unwrap_err();
        assert!(expired.to_string().contains("PAC expired on 2026-11-01"), "{expired}");
        let early =
            MobileInput { pac_expiry_date: NaiveDate::from_ymd_opt(2026, 11, 24), ..port() }
                .check(today())
                .unwrap_err();
        assert!(early.to_string().contains("before the port date"), "{early}");
    }

    #[test]
    fn migrations_and_disconnections() {
        let mig = MobileInput {
            connection_type: "Migration".into(),
            cli: Some("07700900001".into()),
            sim_type: None,
            iccid: None,
            ..new_vf()
        };
        assert!(mig.clone().check(today()).is_ok());
        assert_eq!(
            field(
                MobileInput { iccid: Some(make_iccid(Network::Vodafone, 1)), ..mig.clone() }
                    .check(today())
            ),
            "iccid"
        );
        assert_eq!(field(MobileInput { cli: None, ..mig }.check(today())), "cli");
        let disc = MobileInput {
            connection_type: "Disconnection".into(),
            network: "Vodafone".into(),
            cli: Some("07700900001".into()),
            stac_code: Some("123456abc".into()),
            ..Default::default()
        };
        assert_eq!(disc.clone().check(today()).unwrap().stac_code.as_deref(), Some("123456ABC"));
        assert_eq!(
            field(MobileInput { stac_code: None, ..disc.clone() }.check(today())),
            "stacCode"
        );
        assert_eq!(
            field(MobileInput { tariff_id: Some(2), ..disc.clone() }.check(today())),
            "tariffId"
        );
        assert_eq!(
            field(
                MobileInput { enable_bill_cap: Some(true), bill_cap_value: Some(100), ..disc }
                    .check(today())
            ),
            "enableBillCap"
        );
    }

    fn limits(eligible: bool) -> TariffLimits {
        TariffLimits {
            id: 2,
            name: "Business SIM 30GB".into(),
            network: Network::Vodafone,
            retired: false,
            bill_cap_eligible: eligible,
            bill_cap_min_pence: 500,
            bill_cap_max_pence: 25_000,
        }
    }

    #[test]
    fn tariff_and_bill_cap_rules() {
        let m = new_vf().check(today()).unwrap();
        assert_eq!(check_tariff(&m, &limits(true)), Ok(()));
        assert!(check_tariff(&m, &limits(false))
            .unwrap_err()
            .to_string()
            .contains("enableBillCap"));
        let too_high =
            MobileInput { bill_cap_value: Some(30_000), ..new_vf() }.check(today()).unwrap();
        assert!(check_tariff(&too_high, &limits(true))
            .unwrap_err()
            .to_string()
            .contains("£250.00"));
        let o2 = TariffLimits { network: Network::O2, ..limits(true) };
        assert!(
            matches!(check_tariff(&m, &o2), Err(Error::Invalid { ref field, .. }) if field == "tariffId")
        );
        let retired = TariffLimits { retired: true, ..limits(true) };
        assert!(check_tariff(&m, &retired).unwrap_err().to_string().contains("retired"));
    }

    #[test]
    fn an_order_is_refused_for_no_mobiles_a_live_sim_or_a_number_no_longer_held() {
        assert_eq!(
            submission_problems(90001, &[], today()),
            vec![Problem::new(
                None,
                "orderId",
                "order 90001 has no mobiles; add one with AddMobileToOrder"
            )]
        );
        let fine = SubmitFacts {
            order_mobile_id: 5,
            request: new_vf().check(today()).unwrap(),
            tariff: Some(limits(true)),
            iccid_in_use: None,
            live_connection: false,
        };
        assert_eq!(submission_problems(90001, std::slice::from_ref(&fine), today()), vec![]);
        assert!(check_submission(90001, std::slice::from_ref(&fine), today()).is_ok());
        match check_submission(90001, &[], today()) {
            Err(Error::Problems { message, problems }) => {
                assert_eq!(message, "Order 90001 has 1 problem");
                assert_eq!(problems[0].field, "orderId");
            }
            other => panic!("{other:?}"),
        }
        let sim_taken =
            SubmitFacts { iccid_in_use: Some("8944100000000000077".into()), ..fine.clone() };
        let p = submission_problems(90001, &[sim_taken], today());
        assert_eq!((p.len(), p[0].field.as_str()), (1, "iccid"));
        let migration = MobileInput {
            connection_type: "Migration".into(),
            cli: Some("07700900456".into()),
            iccid: None,
            sim_type: None,
            ..new_vf()
        }
        .check(today())
        .unwrap();
        let gone = SubmitFacts { request: migration, ..fine.clone() };
        let p = submission_problems(90001, std::slice::from_ref(&gone), today());
        assert!(p.iter().any(|p| p.field == "cli" && p.message.contains("no longer")), "{p:?}");
        let held = SubmitFacts { live_connection: true, ..gone };
        assert!(!submission_problems(90001, &[held], today()).iter().any(|p| p.field == "cli"));
    }

    #[test]
    fn submit_reports_every_problem() {
        let no_offer =
            MobileInput { bill_cap_offered: Some(false), ..new_vf() }.check(today()).unwrap();
        let p = submit_problems(1, &no_offer, Some(&limits(true)), today());
        assert_eq!(
            p,
            vec![Problem::new(
                Some(1),
                "billCapOffered",
                "a bill cap must be offered on every new contract"
            )]
        );
        let port = MobileInput { pac_expiry_date: NaiveDate::from_ymd_opt(2026, 11, 30), ..port() }
            .check(today())
            .unwrap();
        // A week later the port date has passed and the PAC has expired.
        let later = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let p = submit_problems(2, &port, Some(&limits(true)), later);
        let fields: Vec<&str> = p.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["portDate", "pacCode"], "{p:?}");
        assert!(p[1].message.contains("PAC expired on 2026-11-30"));
        let ineligible =
            submit_problems(3, &new_vf().check(today()).unwrap(), Some(&limits(false)), today());
        assert_eq!(ineligible[0].field, "enableBillCap");
    }
}
