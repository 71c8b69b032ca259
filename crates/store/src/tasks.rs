//! The task diary: tasks on a customer, optionally on one of its contracts
//! or orders, and their comments. Tasks raised by refused orders are
//! written by the database (see the migrations); here are those raised by
//! people and integrators, and everything read.

use crate::audit::AuditEntry;
use crate::tx::Tx;
use crate::{args, Result, StoreError, Tasks, Visibility};
use chrono::{DateTime, Utc};
use domain::paging::PageRequest;
use domain::task::{NewTask, OPEN};
use domain::Error;

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct TaskRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: i64,
    pub diary_type_id: i64,
    pub diary_task_id: i64,
    pub subject: String,
    pub body: String,
    pub status_id: i64,
    pub contract_id: Option<i64>,
    pub order_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The portal user working it, if anyone.
    pub assigned_to: Option<String>,
}

/// The task list's filters (all optional).
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub status_id: Option<i64>,
    pub diary_type_id: Option<i64>,
    /// A portal user name; `Some("")` lists the unassigned.
    pub assignee: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct CommentRow {
    pub id: i64,
    pub task_id: i64,
    pub body: String,
    pub status_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const TASK_COLS: &str = "id, partner_id, customer_id, diary_type_id, diary_task_id, subject, body, status_id, contract_id, order_id, created_by, created_at, updated_at, assigned_to";
const COMMENT_COLS: &str = "id, task_id, body, status_id, created_by, created_at";

impl Tasks<'_> {
    /// Raises a task on a visible customer inside the caller's transaction;
    /// a contract or order given must be that customer's.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_task(
        &self,
        tx: &mut Tx,
        actor: &str,
        vis: Visibility,
        customer_id: i64,
        contract_id: Option<i64>,
        order_id: Option<i64>,
        task: &NewTask,
    ) -> Result<TaskRow> {
        let customer = self.customers().get_customer(vis, customer_id).await?;
        if let Some(c) = contract_id {
            let conn = self.connections().connection_by_id(vis, c).await.map_err(|e| match e {
                StoreError::NotFound => Error::not_found(format!("contract {c} not found")).into(),
                other => other,
            })?;
            if conn.customer_id != customer_id {
                return Err(Error::invalid(
                    "contractId",
                    format!("contract {c} is not customer {customer_id}'s"),
                )
                .into());
            }
        }
        if let Some(o) = order_id {
            let order = self.orders().get_order(vis, o).await.map_err(|e| match e {
                StoreError::NotFound => Error::not_found(format!("order {o} not found")).into(),
                other => other,
            })?;
            if order.customer_id != customer_id {
                return Err(Error::invalid(
                    "orderId",
                    format!("order {o} is not customer {customer_id}'s"),
                )
                .into());
            }
        }
        let now = self.now();
        let on = TicketOn { partner_id: customer.partner_id, customer_id, contract_id, order_id };
        let ticket = domain::task::Ticket {
            diary_type_id: task.diary_type_id,
            diary_task_id: task.diary_task_id,
            subject: task.subject.clone(),
            body: task.body.clone(),
        };
        let row = raise(tx, now, actor, on, &ticket).await?;
        crate::audit::write(
            tx,
            now,
            &AuditEntry::of(actor, Some(customer.partner_id), "task", row.id, "create")
                .after(serde_json::json!({"customerId": customer_id, "diaryTypeId": task.diary_type_id,
                    "diaryTaskId": task.diary_task_id, "subject": task.subject, "contractId": contract_id, "orderId": order_id})),
        )
        .await?;
        Ok(row)
    }

    /// A task visible to the caller.
    pub async fn get_task(&self, vis: Visibility, id: i64) -> Result<TaskRow> {
        self.read_visible::<TaskRow>(&format!("SELECT {TASK_COLS} FROM tasks"), "", id, vis).await
    }

    /// Adds a comment to `task` (as read), recording `status_id` as given
    /// and moving the task to `next` (the use case has checked the move),
    /// unless the task changed meanwhile.
    pub async fn add_comment(
        &self,
        actor: &str,
        task: &TaskRow,
        body: &str,
        status_id: Option<i64>,
        next: i64,
    ) -> Result<(CommentRow, TaskRow)> {
        let task_id = task.id;
        let now = self.now();
        self.write(async |tx| {
            // The guard on the status read keeps two changes from crossing.
            let updated: Option<TaskRow> = tx
                .fetch_optional(
                    &format!("UPDATE tasks SET status_id = $1, updated_at = $2 WHERE id = $3 AND status_id = $4 RETURNING {TASK_COLS}"),
                    args![next, now, task_id, task.status_id],
                )
                .await?;
            let Some(updated) = updated else {
                return Err(Error::Conflict(format!(
                    "task {task_id} changed meanwhile; read it and try again"
                ))
                .into());
            };
            let comment: CommentRow = tx
                .fetch_one(
                    &format!("INSERT INTO task_comments (task_id, body, status_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {COMMENT_COLS}"),
                    args![task_id, body, status_id, actor, now],
                )
                .await?;
            if next != task.status_id {
                let entry = AuditEntry::of(actor, Some(task.partner_id), "task", task_id, "status")
                    .before(serde_json::json!({"statusId": task.status_id}))
                    .after(serde_json::json!({"statusId": next, "commentId": comment.id}));
                crate::audit::write(tx, now, &entry).await?;
            }
            Ok((comment, updated))
        })
        .await
    }

    /// A page of the visible tasks matching `f`, newest first, with the total.
    pub async fn list_tasks(
        &self,
        vis: Visibility,
        f: &TaskFilter,
        page: PageRequest,
    ) -> Result<(Vec<TaskRow>, i64)> {
        let (all, partner) = vis.binds();
        let filter = "($1 OR partner_id = $2) AND ($3 IS NULL OR status_id = $3) AND ($4 IS NULL OR diary_type_id = $4) \
             AND ($5 IS NULL OR ($5 = '' AND assigned_to IS NULL) OR assigned_to = $5)";
        self.read_page(
            &format!("SELECT {TASK_COLS} FROM tasks WHERE {filter}"),
            "id DESC",
            args![all, partner, f.status_id, f.diary_type_id, f.assignee.as_deref()],
            page,
        )
        .await
    }

    /// Gives a visible task to a portal user (or to no one), with an
    /// audit row; the caller has checked the user may have it.
    pub async fn assign(
        &self,
        actor: &str,
        task: &TaskRow,
        assignee: Option<&str>,
    ) -> Result<TaskRow> {
        let now = self.now();
        self.write(async |tx| {
            let row: TaskRow = tx
                .fetch_one(
                    &format!("UPDATE tasks SET assigned_to = $1, updated_at = $2 WHERE id = $3 RETURNING {TASK_COLS}"),
                    args![assignee, now, task.id],
                )
                .await?;
            let entry = AuditEntry::of(actor, Some(task.partner_id), "task", task.id, "assign")
                .before(serde_json::json!({"assignedTo": task.assigned_to}))
                .after(serde_json::json!({"assignedTo": assignee}));
            crate::audit::write(tx, now, &entry).await?;
            Ok(row)
        })
        .await
    }

    /// The visible tasks among `ids` (others are simply absent).
    pub async fn tasks_by_ids(&self, vis: Visibility, ids: &[i64]) -> Result<Vec<TaskRow>> {
        let (all, partner) = vis.binds();
        let sql = format!("SELECT {TASK_COLS} FROM tasks WHERE ($1 OR partner_id = $2) AND id IN ($in) ORDER BY id");
        self.read_in(&sql, args![all, partner], ids).await
    }

    /// The comments of tasks (the caller checks the tasks are visible),
    /// oldest first.
    pub async fn comments_for_tasks(&self, task_ids: &[i64]) -> Result<Vec<CommentRow>> {
        let sql =
            format!("SELECT {COMMENT_COLS} FROM task_comments WHERE task_id IN ($in) ORDER BY id");
        self.read_in(&sql, Vec::new(), task_ids).await
    }

    /// The tasks raised on orders (the caller checks the orders are
    /// visible), oldest first.
    pub async fn tasks_for_orders(&self, order_ids: &[i64]) -> Result<Vec<TaskRow>> {
        let sql = format!("SELECT {TASK_COLS} FROM tasks WHERE order_id IN ($in) ORDER BY id");
        self.read_in(&sql, Vec::new(), order_ids).await
    }
}

/// Who and what a ticket the platform raises by itself is on.
#[derive(Debug, Clone, Copy)]
pub struct TicketOn {
    pub partner_id: i64,
    pub customer_id: i64,
    pub contract_id: Option<i64>,
    pub order_id: Option<i64>,
}

/// Writes a task, open, inside the caller's transaction: one a person
/// raised (CreateTask), or a ticket `domain::task` decided on for the change
/// that raised it.
pub async fn raise(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &str,
    on: TicketOn,
    t: &domain::task::Ticket,
) -> Result<TaskRow> {
    tx.fetch_one(
        &format!(
            "INSERT INTO tasks (partner_id, customer_id, diary_type_id, diary_task_id, subject, body, status_id, contract_id, \
             order_id, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             RETURNING {TASK_COLS}"
        ),
        args![
            on.partner_id,
            on.customer_id,
            t.diary_type_id,
            t.diary_task_id,
            &t.subject,
            &t.body,
            OPEN,
            on.contract_id,
            on.order_id,
            actor,
            now,
        ],
    )
    .await
}

impl crate::read::Listing for TaskRow {
    const PARENT: crate::read::Parent = crate::read::Parent::Customer;
    const ORDER: &'static str = "id DESC";
    fn rows() -> String {
        format!("SELECT {TASK_COLS} FROM tasks WHERE customer_id = $1")
    }
}
