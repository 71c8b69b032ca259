//! The dashboard and the search box.

use super::{when, Answer, Staff};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/portal", get(dashboard)).route("/portal/search", get(search))
}

/// The dashboard: the caller's records at a glance, and what changed last.
async fn dashboard(State(state): State<AppState>, staff: Staff) -> Answer {
    let d = state.app.dashboard(staff.principal()).await?;
    let recent = state.app.recent_activity(staff.principal(), 15).await?;
    Ok(staff.page(
        StatusCode::OK,
        "Dashboard",
        html! {
            ul.tiles {
                li { b { (d.live_connections) } "live connections" }
                li { b { (d.orders_in_progress) } "orders in progress" }
                li { a href="/portal/tasks" { b { (d.open_tasks) } "open tasks" } }
                li { b { (d.alerts_today) } "alerts today" }
                li { a href="/portal/subscribers?online=1" { b { (d.sessions_online) } "RADIUS sessions online" } }
            }
            h2 { "Recent activity" }
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Record" } } }
                tbody {
                    @for a in &recent {
                        tr {
                            td { (when(&a.at)) } td { (a.actor) } td { (a.action) }
                            td {
                                @match super::link_of(&a.entity, &a.entity_id) {
                                    Some(href) => a href=(href) { (a.entity) " " (a.entity_id) },
                                    None => { (a.entity) " " (a.entity_id) }
                                }
                            }
                        }
                    }
                    @if recent.is_empty() { (super::none_row(4, "activity yet")) }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// The search box: straight to the record when there is one match, a
/// grouped list otherwise.
async fn search(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<SearchQuery>,
) -> Answer {
    let found = match state.app.search(staff.principal(), &q.q).await {
        Ok(f) => f,
        Err(e) => match super::problem(&e) {
            Some(p) => return Ok(staff.page(StatusCode::BAD_REQUEST, "Search", p)),
            None => return Err(e.into()),
        },
    };
    if found.len() == 1 {
        let to = if let Some(c) = found.connections.first() {
            format!("/portal/connections/{}", c.id)
        } else if let Some(c) = found.customers.first() {
            format!("/portal/customers/{}", c.id)
        } else if let Some(o) = found.orders.first() {
            format!("/portal/orders/{o}")
        } else {
            format!("/portal/subscribers/{}", found.subscribers[0].id)
        };
        return Ok(super::secured(Redirect::to(&to).into_response()));
    }
    Ok(staff.page(
        StatusCode::OK,
        "Search",
        html! {
            p role="status" { (found.len()) " found for “" (q.q) "”." }
            @if !found.connections.is_empty() {
                h2 { "Connections (" (found.connections.len()) ")" }
                ul { @for c in &found.connections { li { a href={"/portal/connections/" (c.id)} { (c.cli) } " · " (c.network) " · " (c.status) } } }
            }
            @if !found.customers.is_empty() {
                h2 { "Customers (" (found.customers.len()) ")" }
                ul { @for c in &found.customers { li { a href={"/portal/customers/" (c.id)} { (c.company_name) } " · " (c.postcode) } } }
            }
            @if !found.orders.is_empty() {
                h2 { "Orders (" (found.orders.len()) ")" }
                ul { @for o in &found.orders { li { a href={"/portal/orders/" (o)} { "Order " (o) } } } }
            }
            @if !found.subscribers.is_empty() {
                h2 { "Subscribers (" (found.subscribers.len()) ")" }
                ul { @for u in &found.subscribers { li { a href={"/portal/subscribers/" (u.id)} { (u.username) } " · " (u.status) } } }
            }
        },
    ))
}
