//! The ISP: subscribers with filters, an "online now" view from the
//! RADIUS sessions, and a subscriber page with its profile, status
//! actions (suspend, activate, renew), sessions and usage.

use super::{none_row, shown, when, Answer, Notice, Outcome, Posted, Staff};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use domain::isp::{effective_status, ReadStatus};
use domain::paging::PageRequest;
use domain::status::SubscriberStatus;
use maud::{html, Markup};
use serde::Deserialize;
use store::isp::{SessionRow, UserFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/subscribers", get(list))
        .route("/portal/subscribers/{id}", get(subscriber))
        .route("/portal/subscribers/{id}/status", post(change_status))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    online: String,
    #[serde(default)]
    page: Option<i64>,
}

fn mb(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn sessions_table(rows: &[SessionRow], with_user: bool) -> Markup {
    html! {
        table {
            thead { tr {
                @if with_user { th scope="col" { "User" } }
                th scope="col" { "Started" } th scope="col" { "NAS" } th scope="col" { "IP" } th scope="col" { "Time" }
                th scope="col" { "Down" } th scope="col" { "Up" } th scope="col" { "Ended" }
            } }
            tbody {
                @for s in rows {
                    tr {
                        @if with_user { td { @match s.user_id { Some(u) => a href={"/portal/subscribers/" (u)} { (s.username) }, None => { (s.username) } } } }
                        td { (when(&s.started_at)) } td { (s.nas_identifier.clone().or(s.nas_ip.clone()).unwrap_or_default()) }
                        td { (s.framed_ip.clone().unwrap_or_default()) } td { (s.session_time / 60) " min" }
                        td { (mb(s.output_bytes)) } td { (mb(s.input_bytes)) }
                        td { @match &s.stopped_at { Some(t) => { (when(t)) " " (s.terminate_cause.clone().unwrap_or_default()) }, None => "online" } }
                    }
                }
                @if rows.is_empty() { (none_row(if with_user { 8 } else { 7 }, "sessions")) }
            }
        }
    }
}

/// Subscribers by status and text, or the sessions online now.
async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<ListQuery>) -> Answer {
    let page = PageRequest::new(q.page, Some(50))?;
    let filters = html! {
        form method="get" action="/portal/subscribers" {
            label for="sub_status" { "Status" }
            select id="sub_status" name="status" {
                option value="" { "Any" }
                @for s in ReadStatus::ALL { option value=(s.as_str()) selected[q.status == s.as_str()] { (s.as_str()) } }
            }
            label for="sub_q" { "User name, MAC or IP contains" }
            input id="sub_q" name="q" value=(q.q) autocomplete="off";
            div {
                button type="submit" { "Filter" }
                " " a href="/portal/subscribers?online=1" { "Online now" }
            }
        }
    };
    if !q.online.is_empty() {
        let (rows, total) = state.app.sessions_online(staff.principal(), page).await?;
        return Ok(staff.page(
            StatusCode::OK,
            "Online now",
            html! { (filters) p role="status" { (total) " sessions open." } (sessions_table(&rows, true)) },
        ));
    }
    let status = match q.status.trim() {
        "" => None,
        s => Some(domain::isp::parse_status(s)?),
    };
    let filter = UserFilter { status, q: q.q.trim().to_owned(), ..Default::default() };
    let (users, total) = state.app.isp_users(staff.principal(), &filter, page).await?;
    let now = state.app.now();
    Ok(staff.page(
        StatusCode::OK,
        "Subscribers",
        html! {
            (filters)
            p role="status" { (total) " subscribers." }
            table {
                thead { tr { th scope="col" { "User name" } th scope="col" { "Profile" } th scope="col" { "Status" } th scope="col" { "Expires" } th scope="col" { "Customer" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { a href={"/portal/subscribers/" (u.id)} { (u.username) } } td { (u.profile_name) }
                            td { (effective_status(u.status, u.expiration, now).as_str()) }
                            td { (u.expiration.as_ref().map(when).unwrap_or_default()) }
                            td { @if let Some(c) = u.customer_id { a href={"/portal/customers/" (c)} { (c) } } }
                        }
                    }
                    @if users.is_empty() { (none_row(5, "subscribers match")) }
                }
            }
        },
    ))
}

async fn subscriber(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Answer {
    let id = super::id_of("user", &id)?;
    view(&state, &staff, id, None).await
}

async fn view(state: &AppState, staff: &Staff, id: i64, notice: Notice) -> Answer {
    let status = super::status(&notice);
    let key = id.to_string();
    let u = state.app.isp_user(staff.principal(), &key).await?;
    let (_, sessions, total) = state
        .app
        .isp_user_sessions(staff.principal(), &key, PageRequest::new(None, Some(20))?)
        .await?;
    let now = state.app.now();
    let read = effective_status(u.status, u.expiration, now);
    let (down, up) =
        sessions.iter().fold((0, 0), |(d, up), s| (d + s.output_bytes, up + s.input_bytes));
    let action = |value: &str, label: &str| {
        html! {
            form.inline method="post" action={"/portal/subscribers/" (id) "/status"} {
                (staff.csrf())
                input type="hidden" name="action" value=(value);
                button type="submit" { (label) }
            }
            " "
        }
    };
    Ok(staff.page(
        status,
        &u.username,
        html! {
            @if let Some((n, _)) = notice { (n) }
            dl {
                dt { "Status" } dd id="subscriber-status" { (read.as_str()) }
                dt { "Profile" } dd { (u.profile_name) }
                dt { "Expires" } dd { (u.expiration.as_ref().map(when).unwrap_or_else(|| "never".into())) }
                dt { "Customer" } dd { @if let Some(c) = u.customer_id { a href={"/portal/customers/" (c)} { (c) } } @else { "none" } }
                dt { "MAC" } dd { (u.mac.clone().unwrap_or_default()) }
                dt { "Static IP" } dd { (u.static_ip.clone().unwrap_or_default()) }
                dt { "Last login" } dd { (u.last_auth_at.as_ref().map(when).unwrap_or_default()) " " (u.last_auth_result.clone().unwrap_or_default()) }
            }
            @if u.status != SubscriberStatus::Disabled {
                p {
                    @if u.status == SubscriberStatus::Active { (action("suspend", "Suspend")) }
                    @if u.status == SubscriberStatus::Suspended { (action("activate", "Activate")) }
                    (action("renew", "Renew"))
                }
            }
            h2 { "Sessions (" (total) ")" }
            p { "Latest " (sessions.len()) ": " (mb(down)) " down, " (mb(up)) " up." }
            (sessions_table(&sessions, false))
        },
    ))
}

async fn change_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("user", &id)?;
    let key = id.to_string();
    let who = staff.principal();
    let action = f.get("action");
    let done = match action {
        "suspend" => state.app.set_isp_user_status(who, &key, SubscriberStatus::Suspended).await,
        "activate" => state.app.set_isp_user_status(who, &key, SubscriberStatus::Active).await,
        "renew" => state.app.renew_isp_user(who, &key).await,
        _ => Err(domain::Error::invalid("action", "suspend, activate or renew").into()),
    }
    .map(|u| html! { p.ok role="status" { (u.username) ": done (" (action) ")." } });
    shown(done, Outcome::Saved, async |n| view(&state, &staff, id, n).await).await
}
