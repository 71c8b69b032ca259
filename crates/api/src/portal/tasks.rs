//! Tasks: the list with filters (status, type, assignee), and a task page
//! with its comments, a status change with a comment, and assignment.

use super::{none_row, shown, when, Answer, Notice, Outcome, Posted, Staff};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use domain::appendix::{DIARY_TYPES, STATUS_IDS};
use domain::paging::PageRequest;
use maud::html;
use serde::Deserialize;
use store::tasks::TaskFilter;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/tasks", get(list))
        .route("/portal/tasks/{id}", get(task))
        .route("/portal/tasks/{id}/comments", post(comment))
        .route("/portal/tasks/{id}/assign", post(assign))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    page: Option<i64>,
}

fn status_of(id: i64) -> &'static str {
    domain::task::status_name(id).unwrap_or("?")
}

fn type_of(id: i64) -> &'static str {
    DIARY_TYPES.iter().find(|t| t.id == id).map(|t| t.name).unwrap_or("?")
}

/// The caller's tasks, filtered; open ones by default.
async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<ListQuery>) -> Answer {
    let number = |field: &str, v: &str| -> Result<Option<i64>, domain::Error> {
        match v.trim() {
            "" | "any" => Ok(None),
            t => t
                .parse()
                .map(Some)
                .map_err(|_| domain::Error::invalid(field, "choose one from the list")),
        }
    };
    let filter = TaskFilter {
        status_id: number("status", &q.status)?,
        diary_type_id: number("type", &q.r#type)?,
        assignee: match q.assignee.trim() {
            "" => None,
            "none" => Some(String::new()),
            a => Some(a.to_ascii_lowercase()),
        },
    };
    let page = PageRequest::new(q.page, Some(50))?;
    let (tasks, total) = state.app.tasks(staff.principal(), &filter, page).await?;
    let selected = |v: &str, id: i64| v.trim() == id.to_string();
    Ok(staff.page(
        StatusCode::OK,
        "Tasks",
        html! {
            form method="get" action="/portal/tasks" {
                label for="status" { "Status" }
                select id="status" name="status" {
                    option value="any" { "Any" }
                    @for s in STATUS_IDS { option value=(s.id) selected[selected(&q.status, s.id)] { (s.name) } }
                }
                label for="type" { "Type" }
                select id="type" name="type" {
                    option value="any" { "Any" }
                    @for t in DIARY_TYPES { option value=(t.id) selected[selected(&q.r#type, t.id)] { (t.name) } }
                }
                label for="assignee" { "Assignee (a user name, or “none”)" }
                input id="assignee" name="assignee" value=(q.assignee) autocomplete="off";
                div {
                    button type="submit" { "Filter" }
                    " " a href={"/portal/tasks?assignee=" (staff.session.username)} { "My tasks" }
                }
            }
            p role="status" { (total) " tasks." }
            table {
                thead { tr { th scope="col" { "Task" } th scope="col" { "Subject" } th scope="col" { "Type" } th scope="col" { "Status" } th scope="col" { "Assignee" } th scope="col" { "Customer" } th scope="col" { "Updated" } } }
                tbody {
                    @for t in &tasks {
                        tr {
                            td { a href={"/portal/tasks/" (t.id)} { (t.id) } } td { (t.subject) } td { (type_of(t.diary_type_id)) }
                            td { (status_of(t.status_id)) } td { (t.assigned_to.clone().unwrap_or_default()) }
                            td { a href={"/portal/customers/" (t.customer_id)} { (t.customer_id) } } td { (when(&t.updated_at)) }
                        }
                    }
                    @if tasks.is_empty() { (none_row(7, "tasks match")) }
                }
            }
        },
    ))
}

async fn task(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Answer {
    let id = super::id_of("task", &id)?;
    view(&state, &staff, id, None).await
}

async fn view(state: &AppState, staff: &Staff, id: i64, notice: Notice) -> Answer {
    let status = super::status(&notice);
    let t = state.app.task(staff.principal(), id).await?;
    let comments = state.app.comments_for_task(staff.principal(), id).await?;
    let closed = t.status_id == domain::task::CLOSED;
    Ok(staff.page(
        status,
        &format!("Task {id}: {}", t.subject),
        html! {
            @if let Some((n, _)) = notice { (n) }
            dl {
                dt { "Customer" } dd { a href={"/portal/customers/" (t.customer_id)} { "Customer " (t.customer_id) } }
                @if let Some(c) = t.contract_id { dt { "Connection" } dd { a href={"/portal/connections/" (c)} { (c) } } }
                @if let Some(o) = t.order_id { dt { "Order" } dd { a href={"/portal/orders/" (o)} { (o) } } }
                dt { "Type" } dd { (type_of(t.diary_type_id)) }
                dt { "Status" } dd id="task-status" { (status_of(t.status_id)) }
                dt { "Assignee" } dd id="task-assignee" { (t.assigned_to.clone().unwrap_or_else(|| "no one".into())) }
                dt { "Raised" } dd { (when(&t.created_at)) " by " (t.created_by) }
            }
            p { (t.body) }
            h2 { "Comments (" (comments.len()) ")" }
            ol {
                @for c in &comments {
                    li { (when(&c.created_at)) " · " (c.created_by) @if let Some(s) = c.status_id { " · to " strong { (status_of(s)) } } p { (c.body) } }
                }
            }
            @if !closed {
                h2 { "Comment or change the status" }
                form method="post" action={"/portal/tasks/" (id) "/comments"} {
                    (staff.csrf())
                    label for="comment" { "Comment" }
                    textarea id="comment" name="comment" rows="3" required {}
                    label for="status_id" { "Status" }
                    select id="status_id" name="status_id" {
                        @for s in STATUS_IDS { option value=(s.id) selected[s.id == t.status_id] { (s.name) } }
                    }
                    div { button type="submit" { "Save" } }
                }
                h2 { "Assign" }
                form method="post" action={"/portal/tasks/" (id) "/assign"} {
                    (staff.csrf())
                    label for="assign_to" { "Portal user (empty: no one)" }
                    input id="assign_to" name="assignee" value=(t.assigned_to.clone().unwrap_or_default()) autocomplete="off";
                    div {
                        button type="submit" { "Assign" }
                        " "
                        button type="submit" name="assignee" value=(staff.session.username) { "Take it myself" }
                    }
                }
            }
        },
    ))
}

async fn comment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("task", &id)?;
    let status = f.get("status_id").parse::<i64>().ok();
    let done = state
        .app
        .add_comment(staff.principal(), id, f.get("comment"), status)
        .await
        .map(|(_, t)| html! { p.ok role="status" { "Saved; the task is " (status_of(t.status_id)) "." } });
    shown(done, Outcome::Created, async |n| view(&state, &staff, id, n).await).await
}

/// The assign form: the button "Take it myself" sends its own value
/// after the text field's, so the last `assignee` wins.
async fn assign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { staff, form: f }: Posted,
) -> Answer {
    let id = super::id_of("task", &id)?;
    let assignee = Some(f.last("assignee")).filter(|a| !a.is_empty());
    let done = state
        .app
        .assign_task(staff.principal(), id, assignee)
        .await
        .map(|t| html! { p.ok role="status" { "Assigned to " (t.assigned_to.clone().unwrap_or_else(|| "no one".into())) "." } });
    shown(done, Outcome::Saved, async |n| view(&state, &staff, id, n).await).await
}
