//! A customer seen whole: details (editable), connections, orders, tasks,
//! switching requests, subscribers, agreements and alerts, one tab each
//! with its count.

use super::{none_row, shown, tabs, when, Answer, Notice, Outcome, Posted, Staff};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use domain::paging::PageRequest;
use maud::{html, Markup};
use serde::Deserialize;
use store::alerts::AlertRow;
use store::connections::ConnectionRow;
use store::customers::CustomerRow;
use store::orders::OrderRow;
use store::tasks::TaskRow;

pub fn router() -> Router<AppState> {
    Router::new().route("/portal/customers/{id}", get(customer).post(edit))
}

#[derive(Deserialize, Default)]
struct TabQuery {
    #[serde(default)]
    tab: String,
}

/// A customer, with the tab asked for (details by default).
async fn customer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<TabQuery>,
) -> Answer {
    let id = super::id_of("customer", &id)?;
    let c = state.app.customer(staff.principal(), id).await?;
    view(&state, &staff, &c, &q.tab, None).await
}

async fn view(
    state: &AppState,
    staff: &Staff,
    c: &CustomerRow,
    tab: &str,
    notice: Notice,
) -> Answer {
    let status = super::status(&notice);
    let who = staff.principal();
    let id = c.id;
    let page = || PageRequest::new(None, Some(100)).expect("a valid page");
    let (conns, n_conns) = state.app.page_under::<ConnectionRow>(who, id, page()).await?;
    let (orders, n_orders) = state.app.page_under::<OrderRow>(who, id, page()).await?;
    let (tasks, n_tasks) = state.app.page_under::<TaskRow>(who, id, page()).await?;
    let (switching, n_switching) = state
        .app
        .switching_requests(who, store::requests::SwitchingOf::Customer(id), page())
        .await?;
    let filter = store::isp::UserFilter { customer_id: Some(id), ..Default::default() };
    let (subs, n_subs) = state.app.isp_users(who, &filter, page()).await?;
    let agreements = state.app.agreements_for_customer(who, id).await?;
    let (alerts, n_alerts) = state.app.page_under::<AlertRow>(who, id, page()).await?;
    let count = |n: i64| Some(n as usize);
    let tab = match tab {
        "connections" | "orders" | "tasks" | "switching" | "subscribers" | "agreements"
        | "alerts" | "history" => tab,
        _ => "details",
    };
    let base = format!("/portal/customers/{id}");
    let body = html! {
        @if let Some((n, _)) = notice { (n) }
        (tabs(&base, tab, &[
            ("details", "Details", None),
            ("connections", "Connections", count(n_conns)),
            ("orders", "Orders", count(n_orders)),
            ("tasks", "Tasks", count(n_tasks)),
            ("switching", "Switching", count(n_switching)),
            ("subscribers", "Subscribers", count(n_subs)),
            ("agreements", "Agreements", Some(agreements.len())),
            ("alerts", "Alerts", count(n_alerts)),
            ("history", "History", None),
        ]))
        @match tab {
            "connections" => {
                table {
                    thead { tr { th scope="col" { "CLI" } th scope="col" { "Network" } th scope="col" { "Tariff" } th scope="col" { "Status" } } }
                    tbody {
                        @for k in &conns {
                            tr { td { a href={"/portal/connections/" (k.id)} { (k.cli) } } td { (k.network) } td { (k.tariff_name) } td { (k.status) } }
                        }
                        @if conns.is_empty() { (none_row(4, "connections")) }
                    }
                }
            }
            "orders" => {
                p { a href={"/portal/orders/new?customer=" (id)} { "Build a new order" } }
                table {
                    thead { tr { th scope="col" { "Order" } th scope="col" { "Reference" } th scope="col" { "Status" } th scope="col" { "Created" } } }
                    tbody {
                        @for o in &orders {
                            tr { td { a href={"/portal/orders/" (o.id)} { (o.id) } } td { (o.reference) } td { (o.status) } td { (when(&o.created_at)) } }
                        }
                        @if orders.is_empty() { (none_row(4, "orders")) }
                    }
                }
            }
            "tasks" => {
                table {
                    thead { tr { th scope="col" { "Task" } th scope="col" { "Subject" } th scope="col" { "Status" } th scope="col" { "Updated" } } }
                    tbody {
                        @for t in &tasks {
                            tr { td { a href={"/portal/tasks/" (t.id)} { (t.id) } } td { (t.subject) } td { (domain::task::status_name(t.status_id).unwrap_or("?")) } td { (when(&t.updated_at)) } }
                        }
                        @if tasks.is_empty() { (none_row(4, "tasks")) }
                    }
                }
            }
            "switching" => {
                table {
                    thead { tr { th scope="col" { "Request" } th scope="col" { "Connection" } th scope="col" { "Type" } th scope="col" { "Status" } th scope="col" { "Result" } } }
                    tbody {
                        @for r in &switching {
                            tr { td { (r.id) } td { a href={"/portal/connections/" (r.contract_id)} { (r.contract_id) } } td { (r.kind) } td { (r.status) } td { (r.result.clone().unwrap_or_default()) } }
                        }
                        @if switching.is_empty() { (none_row(5, "switching requests")) }
                    }
                }
            }
            "subscribers" => {
                table {
                    thead { tr { th scope="col" { "User name" } th scope="col" { "Profile" } th scope="col" { "Status" } } }
                    tbody {
                        @for u in &subs {
                            tr { td { a href={"/portal/subscribers/" (u.id)} { (u.username) } } td { (u.profile_name) } td { (u.status) } }
                        }
                        @if subs.is_empty() { (none_row(3, "subscribers")) }
                    }
                }
            }
            "agreements" => {
                table {
                    thead { tr { th scope="col" { "Agreement" } th scope="col" { "Category" } th scope="col" { "Status" } th scope="col" { "Valid" } } }
                    tbody {
                        @for a in &agreements {
                            tr { td { a href={"/portal/agreements/" (a.id)} { (a.id) } } td { (a.category) } td { (a.status) } td { (a.valid_from) " – " (a.valid_to.map(|d| d.to_string()).unwrap_or_default()) } }
                        }
                        @if agreements.is_empty() { (none_row(4, "agreements")) }
                    }
                }
            }
            "alerts" => {
                table {
                    thead { tr { th scope="col" { "Raised" } th scope="col" { "CLI" } th scope="col" { "Kind" } th scope="col" { "Threshold" } th scope="col" { "Action" } } }
                    tbody {
                        @for a in &alerts {
                            tr { td { (when(&a.raised_at)) } td { a href={"/portal/connections/" (a.connection_id)} { (a.cli) } } td { (a.kind) } td { (a.value) " " (a.measure) } td { (a.action) } }
                        }
                        @if alerts.is_empty() { (none_row(5, "alerts")) }
                    }
                }
            }
            "history" => {
                (super::history(&state.app.history(who, app::portal::Audited::Customer(id)).await?))
            }
            _ => { (details_form(staff, c)) }
        }
    };
    Ok(staff.page(status, &c.company_name, body))
}

fn details_form(staff: &Staff, c: &CustomerRow) -> Markup {
    let lines: Vec<String> = serde_json::from_str(&c.address_lines).unwrap_or_default();
    let field = |id: &str, label: &str, value: &str, kind: &str, auto: &str| {
        html! {
            label for=(id) { (label) }
            input id=(id) name=(id) type=(kind) value=(value) autocomplete=(auto);
        }
    };
    html! {
        form method="post" action={"/portal/customers/" (c.id)} {
            (staff.csrf())
            (field("company_name", "Company name", &c.company_name, "text", "organization"))
            (field("co_reg_number", "Company number", c.co_reg_number.as_deref().unwrap_or(""), "text", "off"))
            (field("contact_name", "Contact name", &c.contact_name, "text", "name"))
            (field("contact_email", "Contact e-mail", &c.contact_email, "email", "email"))
            (field("contact_phone", "Contact phone", c.contact_phone.as_deref().unwrap_or(""), "tel", "tel"))
            label for="address_lines" { "Address (one line each)" }
            textarea id="address_lines" name="address_lines" rows="3" autocomplete="street-address" { (lines.join("\n")) }
            (field("town", "Town", &c.town, "text", "address-level2"))
            (field("postcode", "Postcode", &c.postcode, "text", "postal-code"))
            (field("billing_email", "Billing e-mail", &c.billing_email, "email", "email"))
            div { button type="submit" { "Save details" } }
        }
    }
}

/// Saves the details (checked as the API's CreateCustomer); a refusal is
/// shown on the form with what was typed kept.
async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("customer", &id)?;
    let current = state.app.customer(staff.principal(), id).await?;
    let input = domain::customer::CustomerInput {
        company_name: f.get("company_name").to_owned(),
        co_reg_number: f.opt("co_reg_number"),
        organization_number: current.organization_number.clone(),
        contact_name: f.get("contact_name").to_owned(),
        contact_email: f.get("contact_email").to_owned(),
        contact_phone: f.opt("contact_phone"),
        address_lines: f
            .get("address_lines")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        town: f.get("town").to_owned(),
        postcode: f.get("postcode").to_owned(),
        billing_email: f.opt("billing_email"),
    };
    let saved = state.app.update_customer(staff.principal(), id, input.clone()).await;
    // Shown as saved, or as typed (with the refusal).
    let mut shown_as = current.clone();
    if let Ok(c) = &saved {
        shown_as = c.clone();
    } else {
        shown_as.company_name = input.company_name;
        shown_as.co_reg_number = input.co_reg_number;
        shown_as.contact_name = input.contact_name;
        shown_as.contact_email = input.contact_email;
        shown_as.contact_phone = input.contact_phone;
        shown_as.address_lines = serde_json::to_string(&input.address_lines).unwrap_or_default();
        shown_as.town = input.town;
        shown_as.postcode = input.postcode;
        shown_as.billing_email = input.billing_email.unwrap_or_default();
    }
    let done = saved.map(|_| html! { p.ok role="status" { "Details saved." } });
    shown(done, Outcome::Saved, async |n| view(&state, &staff, &shown_as, "details", n).await).await
}
