//! Tasks controller (the diary): tasks on a customer, their comments and
//! statuses; and the Orders controller's tickets, the tasks raised on an
//! order (automatically when the network refuses it).

use super::params::{CustomerIdParam, OrderIdParam, TaskIdParam};
use super::views::{List, Page, Paging};
use crate::error::ApiResult;
use crate::extract::{Id, JsonBody};
use crate::Call;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use domain::task::{status_name, TaskInput};
use serde::{Deserialize, Serialize};
use store::tasks::{CommentRow, TaskRow};
use utoipa::ToSchema;

/// CreateTask's body.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTask {
    #[schema(minimum = 1)]
    pub customer_id: i64,
    /// See /api/Appendix/DiaryTypes.
    pub diary_type_id: i64,
    /// See /api/Appendix/DiaryTasks; must belong to the diary type.
    pub diary_task_id: i64,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub subject: String,
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    pub body: String,
    pub contract_id: Option<i64>,
    pub order_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskCreated {
    pub task_id: i64,
}

/// AddComment's body.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddComment {
    #[schema(minimum = 1)]
    pub task_id: i64,
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    pub comment: String,
    /// Move the task to this status (see /api/Appendix/StatusIds) with the comment.
    pub status_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskIds {
    /// 1 to 100 task ids.
    #[schema(min_items = 1, max_items = 100, value_type = Vec<super::views::PositiveId>)]
    pub task_ids: Vec<i64>,
}

/// A task of the diary.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub task_id: i64,
    pub customer_id: i64,
    pub diary_type_id: i64,
    pub diary_task_id: i64,
    pub subject: String,
    pub body: String,
    pub status_id: i64,
    /// The status's name: Open, In progress, Awaiting customer, Resolved, Closed.
    pub status: String,
    pub contract_id: Option<i64>,
    pub order_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TaskRow> for Task {
    fn from(t: TaskRow) -> Self {
        Task {
            task_id: t.id,
            customer_id: t.customer_id,
            diary_type_id: t.diary_type_id,
            diary_task_id: t.diary_task_id,
            subject: t.subject,
            body: t.body,
            status: status_name(t.status_id).unwrap_or("Unknown").into(),
            status_id: t.status_id,
            contract_id: t.contract_id,
            order_id: t.order_id,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub comment_id: i64,
    pub task_id: i64,
    pub comment: String,
    /// The status the comment moved the task to, if it did.
    pub status_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<CommentRow> for Comment {
    fn from(c: CommentRow) -> Self {
        Comment {
            comment_id: c.id,
            task_id: c.task_id,
            comment: c.body,
            status_id: c.status_id,
            created_by: c.created_by,
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentAdded {
    pub comment_id: i64,
    pub task_id: i64,
    pub status_id: i64,
}

/// One task of a bulk call: its comments or status, or `error` when it is
/// not visible to this client.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskItem {
    pub task_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<Vec<Comment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TaskItem {
    fn of(task_id: i64) -> Self {
        TaskItem { task_id, comments: None, status_id: None, status: None, error: None }
    }

    /// An id that is unknown or another partner's.
    fn missing(task_id: i64) -> Self {
        TaskItem { error: Some("not found".into()), ..TaskItem::of(task_id) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TaskItems {
    pub items: Vec<TaskItem>,
}

/// One order of GetTicketsForOrderBulk: its tickets, or `error`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketItem {
    pub order_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tickets: Option<Vec<Task>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketItems {
    pub items: Vec<TicketItem>,
}

/// Raises a task in a customer's diary, optionally on one of its contracts or orders.
#[utoipa::path(post, path = "/api/Tasks/CreateTask", tag = "Tasks", request_body = CreateTask,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat a request safely")),
    responses((status = 201, body = TaskCreated), (status = 400, description = "a field is missing or wrong; `field` names it"), (status = 404, description = "no such customer, contract or order visible to this client")))]
pub async fn create_task(
    Call { app, who }: Call,
    headers: HeaderMap,
    body: JsonBody<CreateTask>,
) -> ApiResult<Response> {
    let b = body.value;
    let cmd = app::tasks::CreateTask {
        customer_id: b.customer_id,
        contract_id: b.contract_id,
        order_id: b.order_id,
        task: TaskInput {
            diary_type_id: b.diary_type_id,
            diary_task_id: b.diary_task_id,
            subject: b.subject,
            body: b.body,
        },
    };
    let key = crate::idempotency::key(&headers, &body.hash)?;
    let done = app.create_task(&who, key, cmd).await?;
    Ok(crate::idempotency::respond(done, StatusCode::CREATED, |t| TaskCreated {
        task_id: t.task_id,
    }))
}

/// Adds a comment to a task, optionally moving it to another status.
#[utoipa::path(post, path = "/api/Tasks/AddComment", tag = "Tasks", request_body = AddComment,
    responses((status = 201, body = CommentAdded), (status = 400, description = "comment missing or too long, or an unknown statusId"), (status = 404, description = "no such task visible to this client"), (status = 409, description = "the task is closed")))]
pub async fn add_comment(
    Call { app, who }: Call,
    body: JsonBody<AddComment>,
) -> ApiResult<(StatusCode, Json<CommentAdded>)> {
    let b = body.value;
    let id = b.task_id;
    let (c, task) = app.add_comment(&who, id, &b.comment, b.status_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(CommentAdded { comment_id: c.id, task_id: id, status_id: task.status_id }),
    ))
}

/// A customer's tasks, newest first.
#[utoipa::path(get, path = "/api/Tasks/GetTasksForCustomer", tag = "Tasks", params(CustomerIdParam, Paging),
    responses((status = 200, body = List<Task>), (status = 400, description = "customerId missing or not a number"), (status = 404, description = "no such customer visible to this client")))]
pub async fn get_tasks_for_customer(
    Call { app, who }: Call,
    Id(id, _): Id<CustomerIdParam>,
    Page(page): Page,
) -> ApiResult<Json<List<Task>>> {
    let (rows, total) = app.page_under::<store::tasks::TaskRow>(&who, id, page).await?;
    Ok(Json(List::of(rows, page, total)))
}

/// A task's comments, oldest first.
#[utoipa::path(get, path = "/api/Tasks/GetCommentsForTask", tag = "Tasks", params(TaskIdParam, Paging),
    responses((status = 200, body = List<Comment>), (status = 400, description = "taskId missing or not a number"), (status = 404, description = "no such task visible to this client")))]
pub async fn get_comments_for_task(
    Call { app, who }: Call,
    Id(id, _): Id<TaskIdParam>,
    Page(page): Page,
) -> ApiResult<Json<List<Comment>>> {
    let rows = app.comments_for_task(&who, id).await?;
    Ok(Json(List::paginate(rows, page)))
}

/// Up to 100 tasks' comments at once; an unknown or another partner's task
/// is reported in its item.
#[utoipa::path(post, path = "/api/Tasks/GetCommentsForTaskBulk", tag = "Tasks", request_body = TaskIds,
    responses((status = 200, body = TaskItems), (status = 400, description = "no ids, more than 100, or a non-positive id")))]
pub async fn get_comments_for_task_bulk(
    Call { app, who }: Call,
    body: JsonBody<TaskIds>,
) -> ApiResult<Json<TaskItems>> {
    let ids = body.value.task_ids;
    let (visible_ids, comments) = app.comments_for_tasks(&who, &ids).await?;
    let items = ids
        .iter()
        .map(|id| match visible_ids.contains(id) {
            true => TaskItem {
                comments: Some(
                    comments
                        .iter()
                        .filter(|c| c.task_id == *id)
                        .cloned()
                        .map(Comment::from)
                        .collect(),
                ),
                ..TaskItem::of(*id)
            },
            false => TaskItem::missing(*id),
        })
        .collect();
    Ok(Json(TaskItems { items }))
}

/// Up to 100 tasks' statuses at once; an unknown or another partner's task
/// is reported in its item.
#[utoipa::path(post, path = "/api/Tasks/ViewTaskStatusBulk", tag = "Tasks", request_body = TaskIds,
    responses((status = 200, body = TaskItems), (status = 400, description = "no ids, more than 100, or a non-positive id")))]
pub async fn view_task_status_bulk(
    Call { app, who }: Call,
    body: JsonBody<TaskIds>,
) -> ApiResult<Json<TaskItems>> {
    let ids = body.value.task_ids;
    let visible = app.tasks_by_ids(&who, &ids).await?;
    let items = ids
        .iter()
        .map(|id| match visible.iter().find(|t| t.id == *id) {
            Some(t) => TaskItem {
                status_id: Some(t.status_id),
                status: Some(status_name(t.status_id).unwrap_or("Unknown").into()),
                ..TaskItem::of(*id)
            },
            None => TaskItem::missing(*id),
        })
        .collect();
    Ok(Json(TaskItems { items }))
}

/// The tasks raised on an order, such as the one raised when the network
/// refuses it.
#[utoipa::path(get, path = "/api/Orders/GetTicketsForOrder", tag = "Orders", params(OrderIdParam, Paging),
    responses((status = 200, body = List<Task>), (status = 400, description = "orderId missing or not a number"), (status = 404, description = "no such order visible to this client")))]
pub async fn get_tickets_for_order(
    Call { app, who }: Call,
    Id(id, _): Id<OrderIdParam>,
    Page(page): Page,
) -> ApiResult<Json<List<Task>>> {
    let rows = app.tickets_for_order(&who, id).await?;
    Ok(Json(List::paginate(rows, page)))
}

/// Up to 100 orders' tickets at once; an unknown or another partner's
/// order is reported in its item.
#[utoipa::path(post, path = "/api/Orders/GetTicketsForOrderBulk", tag = "Orders", request_body = super::orders::OrderIds,
    responses((status = 200, body = TicketItems), (status = 400, description = "no ids, more than 100, or a non-positive id")))]
pub async fn get_tickets_for_order_bulk(
    Call { app, who }: Call,
    body: JsonBody<super::orders::OrderIds>,
) -> ApiResult<Json<TicketItems>> {
    let ids = body.value.order_ids;
    let (visible, tickets) = app.tickets_for_orders(&who, &ids).await?;
    let items = ids
        .iter()
        .map(|id| match visible.contains(id) {
            true => TicketItem {
                order_id: *id,
                tickets: Some(
                    tickets
                        .iter()
                        .filter(|t| t.order_id == Some(*id))
                        .cloned()
                        .map(Task::from)
                        .collect(),
                ),
                error: None,
            },
            false => TicketItem { order_id: *id, tickets: None, error: Some("not found".into()) },
        })
        .collect();
    Ok(Json(TicketItems { items }))
}
