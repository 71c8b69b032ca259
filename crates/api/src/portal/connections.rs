//! A connection: tariff, bundles, bars (added and removed after a
//! confirmation, as a request object the worker carries out), diverts,
//! SIM or eSIM (the activation code as text and QR), switching codes with
//! the early-termination information, this period's use, alerting and the
//! bill limit, its requests (refreshing themselves while any is open) and
//! its audit history.

use super::{from_htmx, none_row, when, Answer, Staff};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::paging::PageRequest;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use store::requests::RequestRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/connections/{id}", get(connection))
        .route("/portal/connections/{id}/requests", get(requests_fragment))
        .route("/portal/connections/{id}/bars", post(change_bar))
        .route("/portal/connections/{id}/switching", post(switching))
}

async fn connection(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Answer {
    let id = super::id_of("contract", &id)?;
    view(&state, &staff, id, None, StatusCode::OK).await
}

async fn view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    notice: Option<Markup>,
    status: StatusCode,
) -> Answer {
    let who = staff.principal();
    let c = state.app.contract(who, id).await?;
    let (period, reading) = state.app.usage_so_far(&c).await?;
    let catalogue = match app::requests::network_of(&c) {
        Ok(n) => state.app.bars(n).await?,
        Err(_) => vec![],
    };
    let requests = state
        .app
        .requests_for_contract(who, id, PageRequest::new(None, Some(10))?)
        .await?
        .0;
    let switching = state
        .app
        .switching_requests(
            who,
            store::requests::SwitchingOf::Contract(id),
            PageRequest::new(None, Some(5))?,
        )
        .await?
        .0;
    let settings = state.app.alerting_settings(who, id).await?;
    let limit = state.app.bill_limit(who, id).await?;
    let history = state
        .app
        .history(who, app::portal::Audited::Connection(id))
        .await?;
    let bars: Vec<domain::request::ConnectionBar> =
        serde_json::from_str(&c.bars).unwrap_or_default();
    let bundles: Vec<domain::request::ConnectionBundle> =
        serde_json::from_str(&c.bundles).unwrap_or_default();
    let diverts: Vec<domain::request::ConnectionDivert> =
        serde_json::from_str(&c.diverts).unwrap_or_default();
    let addable: Vec<_> = catalogue
        .iter()
        .filter(|b| !bars.iter().any(|on| on.bar_id == b.id))
        .collect();
    let activation = requests
        .iter()
        .filter_map(|r| r.result.as_deref())
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .find_map(|v| v["activationCode"].as_str().map(str::to_owned));
    let body = html! {
        @if let Some(n) = notice { (n) }
        dl {
            dt { "Contract" } dd { (c.id) }
            dt { "Customer" } dd { a href={"/portal/customers/" (c.customer_id)} { "Customer " (c.customer_id) } }
            dt { "Network" } dd { (c.network) }
            dt { "Tariff" } dd { (c.tariff_name) " · " (domain::money::Money::gbp(c.tariff_monthly_pence)) " a month" }
            dt { "Status" } dd { (c.status) }
            dt { "Contract" } dd { "from " (c.start_date) " to " (c.contract_end_date) }
            dt { "Bundles" } dd {
                @if bundles.is_empty() { "none" }
                @for (i, b) in bundles.iter().enumerate() { @if i > 0 { ", " } (b.name) }
            }
            dt { "Diverts" } dd {
                @if diverts.is_empty() { "none" }
                @for (i, d) in diverts.iter().enumerate() { @if i > 0 { ", " } (d.divert_type) " → " (d.destination) }
            }
        }
        section aria-labelledby="sim" {
            h2 id="sim" { "SIM" }
            dl {
                dt { "Type" } dd { (c.sim_type) }
                @if let Some(i) = &c.iccid { dt { "ICCID" } dd { (i) } }
                @if let Some(e) = &c.eid { dt { "EID" } dd { (e) } }
                @if let Some(code) = &activation {
                    dt { "eSIM activation code" } dd { code { (code) } }
                }
            }
            @if let Some(code) = &activation { (qr(code)) }
        }
        section aria-labelledby="bars" {
            h2 id="bars" { "Bars (" (bars.len()) ")" }
            ul {
                @for b in &bars {
                    li {
                        (b.name) " (" (b.bar_suffix) ") "
                        form.inline method="post" action={"/portal/connections/" (c.id) "/bars"} {
                            (staff.csrf())
                            input type="hidden" name="bar_id" value=(b.bar_id);
                            input type="hidden" name="action" value="remove";
                            button type="submit" aria-label={"Remove the bar " (b.name)} { "Remove…" }
                        }
                    }
                }
                @if bars.is_empty() { li { "No bars." } }
            }
            @if !addable.is_empty() {
                form method="post" action={"/portal/connections/" (c.id) "/bars"} {
                    (staff.csrf())
                    input type="hidden" name="action" value="add";
                    label for="bar_id" { "Add a bar" }
                    select id="bar_id" name="bar_id" {
                        @for b in &addable { option value=(b.id) { (b.name) " (" (b.bar_suffix) ")" } }
                    }
                    " "
                    button type="submit" { "Add…" }
                }
            }
        }
        section aria-labelledby="usage" {
            h2 id="usage" { "This period" }
            p { "From " (period.start) " to " (period.end) ": " ((reading.data_bytes + (1 << 20) - 1) >> 20) " MB of data; " (domain::money::Money::gbp(reading.spend_pence)) " out of bundle." }
        }
        section aria-labelledby="alerting" {
            h2 id="alerting" { "Alerts and bill limit" }
            dl {
                dt { "Thresholds" } dd {
                    @if settings.thresholds.is_empty() { "none" }
                    @for (i, t) in settings.thresholds.iter().enumerate() { @if i > 0 { "; " } (format!("{:?}", t.kind)) " " (t.value) " → " (format!("{:?}", t.action)) }
                }
                dt { "Usage bar" } dd {
                    @if settings.alert_bar { "on since " (settings.alert_bar_since.as_ref().map(when).unwrap_or_default()) ": " (settings.alert_bar_reasons.join(", ")) } @else { "off" }
                }
                dt { "Bill cap" } dd {
                    @match limit.cap { Some(p) => { (domain::money::Money::gbp(p)) }, None => "none" }
                }
                dt { "Spend this period" } dd { (domain::money::Money::gbp(limit.spend_pence)) @if limit.barred { " (barred at the cap)" } }
                @if let Some(at) = limit.consent_at { dt { "Consent" } dd { "given at " (domain::money::Money::gbp(at)) } }
            }
            @if !limit.log.is_empty() {
                h3 { "Bill limit notices and consents" }
                ul { @for l in &limit.log { li { (when(&l.at)) " · " (l.event) } } }
            }
        }
        section aria-labelledby="switching" {
            h2 id="switching" { "Switching" }
            form method="post" action={"/portal/connections/" (c.id) "/switching"} {
                (staff.csrf())
                fieldset {
                    legend { "Ask the network for" }
                    label { input type="radio" name="kind" value="RequestPac" checked; " a PAC (keep the number, leave)" }
                    label { input type="radio" name="kind" value="RequestStac"; " a STAC (leave without the number)" }
                    label { input type="radio" name="kind" value="RequestInfo"; " the switching information only" }
                }
                button type="submit" { "Request" }
            }
            table {
                thead { tr { th scope="col" { "Request" } th scope="col" { "Type" } th scope="col" { "Status" } th scope="col" { "Code" } th scope="col" { "Early termination" } } }
                tbody {
                    @for r in &switching { (switching_row(r)) }
                    @if switching.is_empty() { (none_row(5, "switching requests")) }
                }
            }
        }
        section aria-labelledby="requests" {
            h2 id="requests" { "Requests" }
            (requests_table(c.id, &requests))
        }
        section aria-labelledby="history" {
            h2 id="history" { "History" }
            (super::history(&history))
        }
    };
    Ok(staff.page(status, &c.cli, body))
}

fn switching_row(r: &RequestRow) -> Markup {
    let result: serde_json::Value = r
        .result
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let details: serde_json::Value = serde_json::from_str(&r.payload).unwrap_or_default();
    let code = result["pac"]
        .as_str()
        .or(result["stac"].as_str())
        .or(result["code"].as_str())
        .unwrap_or("");
    html! {
        tr {
            td { (r.id) } td { (r.kind) } td { (r.status) } td { code { (code) } }
            td {
                @if let Some(etc) = details["earlyTerminationCharge"].as_str() {
                    (etc) " (" (details["remainingMonths"]) " months left; balance " (details["outstandingBalance"].as_str().unwrap_or("")) ")"
                }
            }
        }
    }
}

/// The requests table; while any is open it asks again every two seconds
/// (htmx), so a bar added shows itself complete.
fn requests_table(contract_id: i64, requests: &[RequestRow]) -> Markup {
    let open = requests.iter().any(|r| r.status.is_open());
    html! {
        div id="requests-table" aria-live="polite"
            hx-get=[open.then(|| format!("/portal/connections/{contract_id}/requests"))]
            hx-trigger=[open.then_some("every 2s")]
            hx-swap="outerHTML" {
            table {
                thead { tr { th scope="col" { "Request" } th scope="col" { "Type" } th scope="col" { "Status" } th scope="col" { "Reason" } th scope="col" { "Updated" } } }
                tbody {
                    @for r in requests {
                        tr data-request=(r.id) { td { (r.id) } td { (r.kind) } td { (r.status) } td { (r.reason.clone().unwrap_or_default()) } td { (when(&r.updated_at)) } }
                    }
                    @if requests.is_empty() { (none_row(5, "requests")) }
                }
            }
        }
    }
}

/// The requests table alone, for htmx; a browser asking for it as a page
/// is sent to the connection page.
async fn requests_fragment(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let id = super::id_of("contract", &id)?;
    if !from_htmx(&headers) {
        return Ok(super::secured(
            Redirect::to(&format!("/portal/connections/{id}")).into_response(),
        ));
    }
    let requests = state
        .app
        .requests_for_contract(staff.principal(), id, PageRequest::new(None, Some(10))?)
        .await?
        .0;
    Ok(super::fragment(requests_table(id, &requests)))
}

/// An eSIM activation code as a QR code (SVG, drawn here; nothing fetched).
fn qr(code: &str) -> Markup {
    match qrcode::QrCode::new(code.as_bytes()) {
        Ok(q) => {
            let svg = q
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(160, 160)
                .quiet_zone(true)
                .build();
            let svg = svg.trim_start_matches(|c| c != '<').to_owned();
            let svg = match svg.find("<svg") {
                Some(i) => svg[i..].replacen(
                    "<svg",
                    "<svg role=\"img\" aria-label=\"QR code of the activation code\"",
                    1,
                ),
                None => svg,
            };
            html! { figure { (PreEscaped(svg)) figcaption { "Scan to install the eSIM" } } }
        }
        Err(_) => html! {},
    }
}

#[derive(Deserialize)]
struct SwitchingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
}

/// Asks for a PAC, STAC or the information: the request (or the one still
/// current) shows on the page with its code when the network answers.
async fn switching(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<SwitchingForm>,
) -> Answer {
    staff.checked(&f.csrf)?;
    let id = super::id_of("contract", &id)?;
    if !matches!(
        f.kind.as_str(),
        "RequestPac" | "RequestStac" | "RequestInfo"
    ) {
        let notice = html! { p.error role="alert" { "Choose a PAC, a STAC or the information." } };
        return view(
            &state,
            &staff,
            id,
            Some(notice),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .app
        .request_switching(staff.principal(), id, &f.kind)
        .await
    {
        Ok(q) => {
            let (r, how) = match q {
                app::requests::Queued::New(r) => (r, "asked for"),
                app::requests::Queued::Current(r) => (r, "still current"),
            };
            let notice = html! { p.ok role="status" { "Request " (r.id) " (" (r.kind) ") " (how) ": " (r.status) "." } };
            view(&state, &staff, id, Some(notice), StatusCode::ACCEPTED).await
        }
        Err(e) => match super::problem(&e) {
            Some(p) => view(&state, &staff, id, Some(p), StatusCode::CONFLICT).await,
            None => Err(e.into()),
        },
    }
}

#[derive(Deserialize)]
struct BarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bar_id: String,
    #[serde(default)]
    action: String,
    /// Set by the confirmation page's button.
    #[serde(default)]
    confirmed: String,
}

/// Adds or removes a bar: first a confirmation page, then (confirmed) the
/// request object, shown on the connection page.
async fn change_bar(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<BarForm>,
) -> Answer {
    staff.checked(&f.csrf)?;
    let id = super::id_of("contract", &id)?;
    let Ok(bar_id) = f.bar_id.parse::<i64>() else {
        let notice = html! { p.error role="alert" { "Choose a bar." } };
        return view(
            &state,
            &staff,
            id,
            Some(notice),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let add = match f.action.as_str() {
        "add" => true,
        "remove" => false,
        _ => {
            let notice = html! { p.error role="alert" { "Say whether to add or remove the bar." } };
            return view(
                &state,
                &staff,
                id,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if f.confirmed != "yes" {
        let c = state.app.contract(staff.principal(), id).await?;
        let name = match app::requests::network_of(&c) {
            Ok(n) => state
                .app
                .bars(n)
                .await?
                .into_iter()
                .find(|b| b.id == bar_id)
                .map(|b| format!("{} ({})", b.name, b.bar_suffix))
                .unwrap_or_else(|| format!("bar {bar_id}")),
            Err(_) => format!("bar {bar_id}"),
        };
        let verb = if add { "Add" } else { "Remove" };
        return Ok(staff.page(
            StatusCode::OK,
            &format!("{verb} a bar"),
            html! {
                p { (verb) " " strong { (name) } (if add { " to " } else { " from " }) (c.cli) "? The network is asked at once." }
                form method="post" action={"/portal/connections/" (id) "/bars"} {
                    (staff.csrf())
                    input type="hidden" name="bar_id" value=(bar_id);
                    input type="hidden" name="action" value=(f.action);
                    input type="hidden" name="confirmed" value="yes";
                    button type="submit" { (verb) " the bar" }
                    " "
                    a href={"/portal/connections/" (id)} { "Cancel" }
                }
            },
        ));
    }
    match state
        .app
        .change_bar(staff.principal(), id, bar_id, add)
        .await
    {
        Ok(r) => {
            let notice = html! { p.ok role="status" { "Request " (r.id) " (" (r.kind) ") is " (r.status) "." } };
            view(&state, &staff, id, Some(notice), StatusCode::ACCEPTED).await
        }
        Err(e) => match super::problem(&e) {
            Some(p) => view(&state, &staff, id, Some(p), StatusCode::CONFLICT).await,
            None => Err(e.into()),
        },
    }
}
