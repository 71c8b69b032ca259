//! A connection: tariff, bundles, bars (added and removed after a
//! confirmation, as a request object the worker carries out), diverts,
//! SIM or eSIM (the activation code as text and QR), switching codes with
//! the early-termination information, this period's use, alerting and the
//! bill limit, its requests (refreshing themselves while any is open) and
//! its audit history.

use super::{from_htmx, none_row, shown, when, Answer, Notice, Outcome, Posted, Staff};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use domain::paging::PageRequest;
use maud::{html, Markup, PreEscaped};
use store::requests::RequestRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/connections/{id}", get(connection))
        .route("/portal/connections/{id}/requests", get(requests_fragment))
        .route("/portal/connections/{id}/bars", post(change_bar))
        .route("/portal/connections/{id}/switching", post(switching))
        .route("/portal/connections/{id}/alerting", post(alerting))
        .route("/portal/connections/{id}/bill-cap", post(bill_cap))
        .route("/portal/connections/{id}/consent", post(consent))
}

async fn connection(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Answer {
    let id = super::id_of("contract", &id)?;
    view(&state, &staff, id, None).await
}

async fn view(state: &AppState, staff: &Staff, id: i64, notice: Notice) -> Answer {
    let status = super::status(&notice);
    let who = staff.principal();
    let c = state.app.contract(who, id).await?;
    let (period, reading) = state.app.usage_so_far(&c).await?;
    let catalogue = match app::requests::network_of(&c) {
        Ok(n) => state.app.bars(n).await?,
        Err(_) => vec![],
    };
    let requests =
        state.app.page_under::<RequestRow>(who, id, PageRequest::new(None, Some(10))?).await?.0;
    let switching = state
        .app
        .switching_requests(
            who,
            store::requests::SwitchingOf::Contract(id),
            PageRequest::new(None, Some(5))?,
        )
        .await?
        .0;
    let daily = state.app.daily_data(&c, period, &reading).await?;
    let settings = state.app.alerting_settings(who, id).await?;
    let limit = state.app.bill_limit(who, id).await?;
    let history = state.app.history(who, app::portal::Audited::Connection(id)).await?;
    let bars: Vec<domain::request::ConnectionBar> =
        serde_json::from_str(&c.bars).unwrap_or_default();
    let bundles: Vec<domain::request::ConnectionBundle> =
        serde_json::from_str(&c.bundles).unwrap_or_default();
    let diverts: Vec<domain::request::ConnectionDivert> =
        serde_json::from_str(&c.diverts).unwrap_or_default();
    let addable: Vec<_> =
        catalogue.iter().filter(|b| !bars.iter().any(|on| on.bar_id == b.id)).collect();
    let activation = requests
        .iter()
        .filter_map(|r| r.result.as_deref())
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .find_map(|v| v["activationCode"].as_str().map(str::to_owned));
    let body = html! {
        @if let Some((n, _)) = notice { (n) }
        dl {
            dt { "Contract" } dd { (c.id) }
            dt { "Customer" } dd { a href={"/portal/customers/" (c.customer_id)} { "Customer " (c.customer_id) } }
            dt { "Network" } dd { (c.network) }
            dt { "Tariff" } dd { (c.tariff_name) " · " (domain::money::Money::gbp(c.tariff_monthly_pence)) " a month" }
            dt { "Status" } dd { (c.status) }
            dt { "Term" } dd { "from " (c.start_date) " to " (c.contract_end_date) }
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
            p { "From " (period.start) " to " (period.end) ": " (domain::usage::mb_up(reading.data_bytes)) " MB of data"
                @if let Some(a) = reading.data_allowance_bytes { " of " (a / domain::usage::MB) " MB" }
                "; " (domain::money::Money::gbp(reading.spend_pence)) " out of bundle." }
            (usage_chart(&daily))
        }
        section aria-labelledby="alerting" {
            h2 id="alerting" { "Alerts and bill limit" }
            dl {
                dt { "Thresholds" } dd {
                    @if settings.thresholds.is_empty() { "none" }
                    @for (i, t) in settings.thresholds.iter().enumerate() { @if i > 0 { "; " } (format!("{:?}", t.kind)) " " (t.value) " → " (format!("{:?}", t.action)) }
                }
                dt { "Usage bar" } dd {
                    @if settings.alert_bar { "on since " (settings.alert_bar_since.as_ref().map(when).unwrap_or_default()) ": " (settings.alert_bar_reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) } @else { "off" }
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
            details {
                summary { "Change the thresholds" }
                form method="post" action={"/portal/connections/" (c.id) "/alerting"} {
                    (staff.csrf())
                    p { "Up to three here (empty rows are dropped); a bar threshold bars chargeable use until the next period." }
                    @for i in 0..3usize {
                        @let t = settings.thresholds.get(i);
                        fieldset {
                            legend { "Threshold " (i + 1) }
                            label for={"measure" (i)} { "Measure" }
                            select id={"measure" (i)} name="measure" {
                                @for (v, l) in [("dataMb", "data, MB"), ("dataPercent", "data, % of allowance"), ("spendPence", "spend out of bundle, pence")] {
                                    option value=(v) selected[t.is_some_and(|t| t.kind.as_str() == v)] { (l) }
                                }
                            }
                            label for={"value" (i)} { "Value" }
                            input id={"value" (i)} name="value" inputmode="numeric" value=(t.map(|t| t.value.to_string()).unwrap_or_default());
                            label for={"action" (i)} { "Then" }
                            select id={"action" (i)} name="action" {
                                option value="notify" selected[t.is_some_and(|t| t.action == domain::alerting::Action::Notify)] { "notify" }
                                option value="bar" selected[t.is_some_and(|t| t.action == domain::alerting::Action::Bar)] { "notify and bar" }
                            }
                        }
                    }
                    button type="submit" { "Save thresholds" }
                }
            }
            details {
                summary { "Set the bill cap" }
                form method="post" action={"/portal/connections/" (c.id) "/bill-cap"} {
                    (staff.csrf())
                    label for="cap" { "Cap (£; empty removes it)" }
                    input id="cap" name="cap" inputmode="decimal" value=(limit.cap.map(|p| format!("{}.{:02}", p / 100, p % 100)).unwrap_or_default());
                    div { button type="submit" { "Save the cap" } }
                }
            }
            @if limit.cap.is_some() {
                details open[limit.barred] {
                    summary { "Record the customer's consent to spend beyond the cap" }
                    form method="post" action={"/portal/connections/" (c.id) "/consent"} {
                        (staff.csrf())
                        label for="consented_by" { "Who consented" }
                        input id="consented_by" name="consented_by" required autocomplete="off";
                        label for="method" { "How" }
                        select id="method" name="method" {
                            @for m in domain::bill_limit::Method::ALL { option value=(m.as_str()) { (m.as_str()) } }
                        }
                        label for="note" { "Note" }
                        input id="note" name="note" maxlength="500";
                        div { button type="submit" { "Record consent" } }
                    }
                }
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

/// This period's data use as an SVG drawn here: a bar a day, each as high
/// as the use so far that day (so the bars climb towards the allowance),
/// and the allowance as a dashed line. Each bar's tooltip gives the day's
/// own use.
fn usage_chart(d: &app::usage::DailyData) -> Markup {
    const W: f64 = 600.0;
    const H: f64 = 180.0;
    const LEFT: f64 = 72.0;
    const BOTTOM: f64 = 20.0;
    let mb = |b: i64| b as f64 / 1_048_576.0;
    let slots = (d.period.end - d.period.start).num_days().max(1) as f64;
    let mut running = 0;
    let bars: Vec<(chrono::NaiveDate, i64, i64)> = d
        .days
        .iter()
        .map(|(day, bytes)| {
            running += bytes;
            (*day, *bytes, running)
        })
        .collect();
    let top = mb(running.max(d.allowance_bytes.unwrap_or(0))).max(1.0) * 1.1;
    let y = |v: f64| (H - BOTTOM) - v / top * (H - BOTTOM - 8.0);
    let slot = (W - LEFT - 4.0) / slots;
    let summary = format!(
        "Data used so far this period: {:.0} MB{}",
        mb(running),
        d.allowance_bytes
            .map(|a| format!(" of a {:.0} MB allowance", mb(a)))
            .unwrap_or_else(|| " (unlimited)".into())
    );
    html! {
        figure {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (W) " " (H)} width="100%" role="img" aria-label=(summary) style="max-width:40rem" {
                title { (summary) }
                line x1=(LEFT) y1=(y(0.0)) x2=(W) y2=(y(0.0)) stroke="#888" {}
                text x=(LEFT - 4.0) y=(y(0.0)) text-anchor="end" font-size="10" { "0" }
                text x=(LEFT - 4.0) y=(y(top / 1.1) + 4.0) text-anchor="end" font-size="10" { (format!("{:.0} MB", top / 1.1)) }
                @for (i, (day, bytes, total)) in bars.iter().enumerate() {
                    rect x=(format!("{:.1}", LEFT + i as f64 * slot + 1.0)) y=(format!("{:.1}", y(mb(*total))))
                        width=(format!("{:.1}", (slot - 2.0).max(1.0))) height=(format!("{:.1}", y(0.0) - y(mb(*total))))
                        fill="#4a7bd0" {
                        title { (day) ": " (format!("{:.1}", mb(*bytes))) " MB that day, " (format!("{:.1}", mb(*total))) " MB so far" }
                    }
                }
                @if let Some(a) = d.allowance_bytes {
                    line x1=(LEFT) y1=(format!("{:.1}", y(mb(a)))) x2=(W) y2=(format!("{:.1}", y(mb(a)))) stroke="#c00" stroke-dasharray="6 4" {}
                    text x=(W - 4.0) y=(format!("{:.1}", y(mb(a)) - 4.0)) text-anchor="end" font-size="10" fill="#c00" { "allowance " (format!("{:.0}", mb(a))) " MB" }
                }
                text x=(LEFT) y=(H - 4.0) font-size="10" { (d.period.start) }
                text x=(W - 4.0) y=(H - 4.0) text-anchor="end" font-size="10" { (d.period.end.pred_opt().unwrap_or(d.period.end)) }
            }
            figcaption { (summary) "." }
        }
    }
}

fn switching_row(r: &RequestRow) -> Markup {
    let result: serde_json::Value =
        r.result.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
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
        .page_under::<RequestRow>(staff.principal(), id, PageRequest::new(None, Some(10))?)
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

/// Asks for a PAC, STAC or the information: the request (or the one still
/// current) shows on the page with its code when the network answers.
async fn switching(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("contract", &id)?;
    let done = async {
        let kind = f.get("kind");
        let (r, how) = match state.app.request_switching(staff.principal(), id, kind).await? {
            app::requests::Queued::New(r) => (r, "asked for"),
            app::requests::Queued::Current(r) => (r, "still current"),
        };
        Ok(html! { p.ok role="status" { "Request " (r.id) " (" (r.kind) ") " (how) ": " (r.status) "." } })
    }
    .await;
    shown(done, Outcome::Queued, async |n| view(&state, &staff, id, n).await).await
}

/// Adds or removes a bar: first a confirmation page, then (confirmed) the
/// request object, shown on the connection page.
async fn change_bar(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("contract", &id)?;
    let action = f.get("action");
    let parsed = (|| {
        let bar_id = f
            .get("bar_id")
            .parse::<i64>()
            .map_err(|_| domain::Error::invalid("bar", "choose a bar"))?;
        let add = match action {
            "add" => true,
            "remove" => false,
            _ => return Err(domain::Error::invalid("action", "add or remove the bar")),
        };
        Ok((bar_id, add))
    })();
    let (bar_id, add) = match parsed {
        Ok(x) => x,
        Err(e) => {
            return shown(Err(e.into()), Outcome::Saved, async |n| {
                view(&state, &staff, id, n).await
            })
            .await;
        }
    };
    if f.get("confirmed") != "yes" {
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
                    input type="hidden" name="action" value=(action);
                    input type="hidden" name="confirmed" value="yes";
                    button type="submit" { (verb) " the bar" }
                    " "
                    a href={"/portal/connections/" (id)} { "Cancel" }
                }
            },
        ));
    }
    let done = async {
        let r = state
            .app
            .change_extra(staff.principal(), id, domain::ordering::ExtraKind::Bar, bar_id, add)
            .await?;
        Ok(html! { p.ok role="status" { "Request " (r.id) " (" (r.kind) ") is " (r.status) "." } })
    }
    .await;
    shown(done, Outcome::Queued, async |n| view(&state, &staff, id, n).await).await
}

async fn alerting(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("contract", &id)?;
    let done = async {
        let (measures, values, actions) = (f.all("measure"), f.all("value"), f.all("action"));
        let mut thresholds = Vec::new();
        for (i, value) in values.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let field = format!("thresholds[{i}]");
            thresholds.push(domain::alerting::Threshold {
                kind: domain::alerting::Measure::parse(
                    &field,
                    measures.get(i).copied().unwrap_or(""),
                )?,
                value: value.parse().map_err(|_| {
                    domain::Error::invalid(format!("{field}.value"), "a whole number")
                })?,
                action: domain::alerting::Action::parse(
                    &field,
                    actions.get(i).copied().unwrap_or(""),
                )?,
            });
        }
        let n = thresholds.len();
        state.app.set_alerting_settings(staff.principal(), id, thresholds).await?;
        Ok(html! { p.ok role="status" { (n) " thresholds saved." } })
    }
    .await;
    shown(done, Outcome::Saved, async |n| view(&state, &staff, id, n).await).await
}

async fn bill_cap(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("contract", &id)?;
    let done = async {
        let cap = match f.get("cap") {
            "" => None,
            v => Some(
                domain::money::parse_pounds(v)
                    .ok_or_else(|| domain::Error::invalid("cap", "an amount in pounds such as 30.00"))?,
            ),
        };
        state.app.set_bill_cap(staff.principal(), id, cap).await?;
        Ok(html! { p.ok role="status" {
            @match cap { Some(p) => { "Bill cap set to " (domain::money::Money::gbp(p)) "." }, None => "Bill cap removed." }
        } })
    }
    .await;
    shown(done, Outcome::Saved, async |n| view(&state, &staff, id, n).await).await
}

async fn consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("contract", &id)?;
    let done = async {
        let method = domain::bill_limit::Method::parse("method", f.get("method"))?;
        state
            .app
            .record_consent(staff.principal(), id, f.get("consented_by"), method, f.get("note"))
            .await?;
        Ok(html! { p.ok role="status" { "Consent recorded." } })
    }
    .await;
    shown(done, Outcome::Saved, async |n| view(&state, &staff, id, n).await).await
}
