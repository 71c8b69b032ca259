//! The order builder: a draft for a customer; mobiles added with choices
//! from the catalogue (network, then tariff, bundles and bars; a number
//! from the pool for New; PAC and a port date among the valid working
//! days for Port; SIM or eSIM; the bill cap offered and recorded); every
//! problem shown at once on submit; and an order page whose status and
//! timeline refresh themselves (htmx, the same URL answering a fragment)
//! while the order is provisioned.

use super::{from_htmx, none_row, shown, when, Answer, Fields, Notice, Outcome, Posted, Staff};
use crate::AppState;
use app::orders::OrderWhole;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use domain::order::OrderStatus;
use domain::ordering::{ExtraKind, MobileExtra, MobileInput};
use domain::Network;
use maud::{html, Markup};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/orders/new", get(new_order))
        .route("/portal/orders", post(create_order))
        .route("/portal/orders/{id}", get(order))
        .route("/portal/orders/{id}/mobiles", post(add_mobile))
        .route("/portal/orders/{id}/mobiles/{mobile}/remove", post(remove_mobile))
        .route("/portal/orders/{id}/submit", post(submit))
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    customer: String,
}

/// The first step: a draft for a customer, with an optional reference.
async fn new_order(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<NewQuery>,
) -> Answer {
    let id = super::id_of("customer", &q.customer)?;
    let c = state.app.customer(staff.principal(), id).await?;
    Ok(staff.page(
        StatusCode::OK,
        "New order",
        html! {
            p { "For " a href={"/portal/customers/" (c.id)} { (c.company_name) } "." }
            form method="post" action="/portal/orders" {
                (staff.csrf())
                input type="hidden" name="customer" value=(c.id);
                label for="reference" { "Your reference (optional)" }
                input id="reference" name="reference" maxlength="50";
                div { button type="submit" { "Start the order" } }
            }
        },
    ))
}

async fn create_order(State(state): State<AppState>, Posted { staff, form: f }: Posted) -> Answer {
    let customer = super::id_of("customer", f.get("customer"))?;
    let done =
        state.app.create_draft_order(staff.principal(), None, customer, f.opt("reference")).await?;
    let Some(o) = done.value() else {
        return Err(super::not_found("order not found"));
    };
    Ok(super::secured(Redirect::to(&format!("/portal/orders/{}", o.order_id)).into_response()))
}

#[derive(Deserialize, Default)]
struct OrderQuery {
    #[serde(default)]
    network: String,
}

/// The order: a page, or (asked by htmx) just its live part.
async fn order(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Answer {
    let id = super::id_of("order", &id)?;
    if from_htmx(&headers) {
        let whole = state.app.order_whole(staff.principal(), id).await?;
        return Ok(super::fragment(live(&whole, &staff.session.csrf)));
    }
    view(&state, &staff, id, &q.network, None).await
}

async fn view(state: &AppState, staff: &Staff, id: i64, network: &str, notice: Notice) -> Answer {
    let status = super::status(&notice);
    let whole = state.app.order_whole(staff.principal(), id).await?;
    let o = &whole.order;
    let draft = o.status == OrderStatus::Draft;
    let builder =
        if draft { Some(add_mobile_form(state, staff, id, network).await?) } else { None };
    let body = html! {
        @if let Some((n, _)) = notice { (n) }
        dl {
            dt { "Customer" } dd { a href={"/portal/customers/" (o.customer_id)} { "Customer " (o.customer_id) } }
            dt { "Reference" } dd { (o.reference) }
            dt { "Created" } dd { (when(&o.created_at)) " by " (o.created_by) }
        }
        (live(&whole, &staff.session.csrf))
        @if draft {
            h2 { "Add a mobile" }
            @if let Some(b) = builder { (b) }
            h2 { "Submit" }
            form method="post" action={"/portal/orders/" (id) "/submit"} {
                (staff.csrf())
                p { "Everything is checked again on submit; every problem is listed at once and nothing changes until there are none." }
                button type="submit" { "Submit the order" }
            }
        }
    };
    Ok(staff.page(status, &format!("Order {id}"), body))
}

/// Status, mobiles and timeline; while the order is being provisioned it
/// asks for itself again every two seconds.
fn live(w: &OrderWhole, csrf: &str) -> Markup {
    let o = &w.order;
    let moving = !o.status.is_final() && o.status != OrderStatus::Draft;
    html! {
        div id="order-live" aria-live="polite"
            hx-get=[moving.then(|| format!("/portal/orders/{}", o.id))]
            hx-trigger=[moving.then_some("every 2s")]
            hx-swap="outerHTML" {
            p { "Status: " strong id="order-status" { (o.status) } @if let Some(r) = &o.reason { " — " (r) } }
            table {
                caption { "Mobiles (" (w.mobiles.len()) ")" }
                thead { tr { th scope="col" { "Mobile" } th scope="col" { "Type" } th scope="col" { "Network" } th scope="col" { "Number" } th scope="col" { "SIM" } th scope="col" { "Extras" } th scope="col" { "Status" } th scope="col" { "" } } }
                tbody {
                    @for m in &w.mobiles {
                        tr {
                            td { (m.row.id) } td { (m.row.connection_type) } td { (m.row.network) }
                            td {
                                @match (m.row.contract_id, &m.row.cli) {
                                    (Some(k), Some(cli)) => a href={"/portal/connections/" (k)} { (cli) },
                                    (_, Some(cli)) => { (cli) },
                                    _ => "from the network",
                                }
                                @if let Some(d) = m.row.port_date { " (port " (d) ")" }
                            }
                            td { (m.row.sim_type.clone().unwrap_or_default()) @if let Some(i) = &m.row.iccid { " " (i) } @if let Some(c) = &m.row.esim_activation_code { br; code { (c) } } }
                            td {
                                @for b in &m.bundles { (b.name) "; " }
                                @for b in &m.bars { (b.name) " bar; " }
                                @if m.row.enable_bill_cap { "cap " (domain::money::Money::gbp(m.row.bill_cap_pence.unwrap_or(0))) }
                            }
                            td { (m.row.status) @if let Some(r) = &m.row.reason { " — " (r) } }
                            td {
                                @if o.status == OrderStatus::Draft {
                                    form.inline method="post" action={"/portal/orders/" (o.id) "/mobiles/" (m.row.id) "/remove"} {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button type="submit" aria-label={"Remove mobile " (m.row.id)} { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                    @if w.mobiles.is_empty() { (none_row(8, "mobiles yet")) }
                }
            }
            h2 { "Timeline" }
            ol.timeline {
                @for h in &w.history {
                    li { (when(&h.at)) ": " strong { (h.to_status) } " · " (h.actor) @if let Some(n) = &h.note { " — " (n) } }
                }
            }
        }
    }
}

/// The add-a-mobile form for `network` (chosen first: the catalogue
/// depends on it).
async fn add_mobile_form(
    state: &AppState,
    staff: &Staff,
    id: i64,
    network: &str,
) -> Result<Markup, super::Refusal> {
    let network = Network::parse_field(network, "network").unwrap_or(Network::Vodafone);
    let tariffs: Vec<_> =
        state.app.tariffs(network, false).await?.into_iter().filter(|t| !t.retired).collect();
    let bundles = state.app.bundles(network).await?;
    let bars = state.app.bars(network).await?;
    let numbers = if network.offers_numbers() {
        state
            .app
            .free_numbers(
                staff.principal(),
                network,
                domain::paging::PageRequest::new(None, Some(20))?,
            )
            .await?
            .0
    } else {
        vec![]
    };
    let port_dates = domain::ordering::port_dates(state.app.now().date_naive());
    Ok(html! {
        form method="get" action={"/portal/orders/" (id)} {
            label for="network" { "Network" }
            select id="network" name="network" {
                @for n in Network::ALL { option value=(n.as_str()) selected[n == network] { (n) } }
            }
            " " button type="submit" { "Choose network" }
        }
        form method="post" action={"/portal/orders/" (id) "/mobiles"} {
            (staff.csrf())
            input type="hidden" name="network" value=(network.as_str());
            fieldset {
                legend { "Connection (" (network) ")" }
                label { input type="radio" name="connection_type" value="New" checked; " New number" }
                label { input type="radio" name="connection_type" value="Port"; " Port a number in (PAC)" }
            }
            label for="tariff_id" { "Tariff" }
            select id="tariff_id" name="tariff_id" required {
                @for t in &tariffs { option value=(t.id) { (t.name) " · " (domain::money::Money::gbp(t.monthly_pence)) " a month, " (t.term_months) " months" @if t.bill_cap_eligible { " · cap " (domain::money::Money::gbp(t.bill_cap_min_pence)) "–" (domain::money::Money::gbp(t.bill_cap_max_pence)) } } }
            }
            fieldset {
                legend { "New: the number" }
                @if network.offers_numbers() {
                    label for="number" { "Number from the pool" }
                    select id="number" name="number" {
                        option value="" { "Any free number" }
                        @for n in &numbers { option value=(n) { (n) } }
                    }
                } @else {
                    p { (network) " gives the number with the SIM." }
                }
            }
            fieldset {
                legend { "Port: the number and its PAC" }
                label for="port_cli" { "Number to port" }
                input id="port_cli" name="port_cli" inputmode="tel" autocomplete="off";
                label for="pac" { "PAC" }
                input id="pac" name="pac" autocomplete="off" placeholder="ABC123456";
                label for="pac_expiry" { "PAC expires on" }
                input id="pac_expiry" name="pac_expiry" type="date";
                label for="port_date" { "Port date (working days only)" }
                select id="port_date" name="port_date" {
                    @for d in &port_dates { option value=(d) { (d.format("%a %e %b %Y")) } }
                }
            }
            fieldset {
                legend { "SIM" }
                label for="sim_type" { "SIM type" }
                select id="sim_type" name="sim_type" {
                    option value="Physical" { "Physical SIM" }
                    @if network.supports_esim() { option value="eSIM" { "eSIM" } }
                }
                label for="iccid" { "ICCID (physical SIM)" }
                input id="iccid" name="iccid" inputmode="numeric" autocomplete="off";
            }
            fieldset {
                legend { "Bundles and bars" }
                @for b in &bundles { label { input type="checkbox" name="bundle" value=(b.id); " " (b.name) " (" (domain::money::Money::gbp(b.monthly_pence)) ")" } }
                @for b in &bars { label { input type="checkbox" name="bar" value=(b.id); " " (b.name) " bar" } }
            }
            fieldset {
                legend { "Bill cap (Ofcom: offered to every consumer)" }
                label { input type="checkbox" name="bill_cap_offered" value="true" checked; " The bill cap was offered" }
                label { input type="checkbox" name="enable_bill_cap" value="true"; " The customer wants a cap" }
                label for="bill_cap" { "Cap (£)" }
                input id="bill_cap" name="bill_cap" inputmode="decimal" placeholder="25.00";
            }
            div { button type="submit" { "Add the mobile" } }
        }
    })
}

/// What the form says, as the API's AddMobileToOrder input: the use case
/// checks it.
fn mobile_input(f: &Fields) -> Result<MobileInput, domain::Error> {
    let port = f.get("connection_type") == "Port";
    let date = |k: &str| -> Result<Option<chrono::NaiveDate>, domain::Error> {
        match f.opt(k) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| domain::Error::invalid(k, "a date such as 2026-12-01")),
        }
    };
    let bill_cap_value = match f.opt("bill_cap") {
        None => None,
        Some(v) => Some(domain::money::parse_pounds(&v).ok_or_else(|| {
            domain::Error::invalid("billCapValue", "an amount in pounds such as 25.00")
        })?),
    };
    let sim = f.get("sim_type");
    Ok(MobileInput {
        connection_type: f.get("connection_type").to_owned(),
        network: f.get("network").to_owned(),
        tariff_id: f.get("tariff_id").parse().ok(),
        cli: if port { f.opt("port_cli") } else { f.opt("number") },
        pac_code: if port { f.opt("pac") } else { None },
        pac_expiry_date: if port { date("pac_expiry")? } else { None },
        port_date: if port { date("port_date")? } else { None },
        stac_code: None,
        sim_type: Some(sim.to_owned()).filter(|s| !s.is_empty()),
        iccid: if sim == "eSIM" { None } else { f.opt("iccid") },
        bill_cap_offered: Some(f.get("bill_cap_offered") == "true"),
        enable_bill_cap: Some(f.get("enable_bill_cap") == "true"),
        bill_cap_value,
    })
}

async fn add_mobile(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("order", &id)?;
    let network = f.get("network").to_owned();
    let done = async {
        let input = mobile_input(&f)?;
        let added = state
            .app
            .add_mobile_to_order(staff.principal(), None, id, input)
            .await?
            .value()
            .ok_or_else(|| domain::Error::not_found(format!("order {id} not found")))?;
        for (kind, items) in [
            (ExtraKind::Bundle, f.ids("bundle")),
            (ExtraKind::Bar, f.ids("bar")),
        ] {
            for item in items {
                let change = MobileExtra::new(kind, true, item)?;
                state
                    .app
                    .change_mobile_extra(staff.principal(), added.order_mobile_id, change)
                    .await?;
            }
        }
        Ok(html! { p.ok role="status" { "Mobile " (added.order_mobile_id) " added" @if let Some(c) = &added.cli { " with " (c) } "." } })
    }
    .await;
    shown(done, Outcome::Created, async |n| view(&state, &staff, id, &network, n).await).await
}

async fn remove_mobile(
    State(state): State<AppState>,
    Path((id, mobile)): Path<(String, String)>,
    Posted { staff, .. }: Posted,
) -> Answer {
    let id = super::id_of("order", &id)?;
    let mobile = super::id_of("order mobile", &mobile)?;
    let done = state
        .app
        .remove_mobile_from_order(staff.principal(), id, mobile)
        .await
        .map(|()| html! { p.ok role="status" { "Mobile " (mobile) " removed." } });
    shown(done, Outcome::Ended, async |n| view(&state, &staff, id, "", n).await).await
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, .. }: Posted,
) -> Answer {
    let id = super::id_of("order", &id)?;
    let done = state
        .app
        .submit_order(staff.principal(), None, id)
        .await
        .map(|_| html! { p.ok role="status" { "Order submitted: its progress shows below as the networks answer." } });
    shown(done, Outcome::Submitted, async |n| view(&state, &staff, id, "", n).await).await
}
