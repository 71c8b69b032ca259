//! The task diary: raising a task on a customer (checked by
//! `domain::task`; a contract or order named must be that customer's).

use crate::error::missing;
use crate::{App, Done, Key, Principal, Result};
use domain::paging::PageRequest;
use domain::task::TaskInput;
use domain::Scope;
use serde::{Deserialize, Serialize};
use store::tasks::{CommentRow, TaskRow};

/// CreateTask's command.
#[derive(Debug, Clone)]
pub struct CreateTask {
    pub customer_id: i64,
    pub contract_id: Option<i64>,
    pub order_id: Option<i64>,
    pub task: TaskInput,
}

/// A task raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCreated {
    pub task_id: i64,
}

impl App {
    /// CreateTask: a task on a customer visible to the caller.
    pub async fn create_task(
        &self,
        who: &Principal,
        key: Option<Key<'_>>,
        cmd: CreateTask,
    ) -> Result<Done<TaskCreated>> {
        who.require(Scope::Tasks)?;
        self.keyed(who, key, async |tx| {
            let task = cmd.task.validate()?;
            let customer = cmd.customer_id;
            let row = self
                .store
                .tasks()
                .create_task(
                    tx,
                    &who.actor,
                    who.visibility(),
                    customer,
                    cmd.contract_id,
                    cmd.order_id,
                    &task,
                )
                .await
                .map_err(missing("customer", customer))?;
            Ok(TaskCreated { task_id: row.id })
        })
        .await
    }
}

impl App {
    /// AddComment: a comment on a visible task, moving it to `status_id`
    /// when given (a closed task takes neither).
    pub async fn add_comment(
        &self,
        who: &Principal,
        task_id: i64,
        comment: &str,
        status_id: Option<i64>,
    ) -> Result<(CommentRow, TaskRow)> {
        let vis = who.visibility_for(Scope::Tasks)?;
        let comment = domain::task::body_field(comment, "comment")?;
        let tasks = self.store.tasks();
        let task = tasks.get_task(vis, task_id).await.map_err(missing("task", task_id))?;
        let next = status_id.unwrap_or(task.status_id);
        domain::task::check_status_change(task_id, task.status_id, next)?;
        Ok(tasks.add_comment(&who.actor, &task, &comment, status_id, next).await?)
    }

    /// The task list: the caller's tasks by status, type and assignee.
    pub async fn tasks(
        &self,
        who: &Principal,
        filter: &store::tasks::TaskFilter,
        page: PageRequest,
    ) -> Result<(Vec<TaskRow>, i64)> {
        who.require(Scope::Tasks)?;
        if let Some(s) = filter.status_id {
            domain::task::status_name(s)?;
        }
        Ok(self.store.tasks().list_tasks(who.visibility(), filter, page).await?)
    }

    /// A visible task.
    pub async fn task(&self, who: &Principal, task_id: i64) -> Result<TaskRow> {
        let vis = who.visibility_for(Scope::Tasks)?;
        self.store.tasks().get_task(vis, task_id).await.map_err(missing("task", task_id))
    }

    /// Gives a visible task to a portal user (by name), or to no one.
    pub async fn assign_task(
        &self,
        who: &Principal,
        task_id: i64,
        assignee: Option<&str>,
    ) -> Result<TaskRow> {
        let task = self.task(who, task_id).await?;
        let user = match assignee.map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(name) => Some(
                // Only users the caller sees: another partner's are "no such user".
                self.store
                    .portal()
                    .users_visible(who.visibility())
                    .await?
                    .into_iter()
                    .find(|u| u.username == name.to_ascii_lowercase() && u.disabled_at.is_none())
                    .ok_or_else(|| {
                        domain::Error::invalid("assignee", format!("no portal user named {name:?}"))
                    })?,
            ),
        };
        domain::task::check_assignment(
            task_id,
            task.status_id,
            task.partner_id,
            user.as_ref().map(|u| u.partner_id),
            user.as_ref().is_some_and(|u| u.role == domain::portal::Role::PlatformAdmin),
        )?;
        Ok(self
            .store
            .tasks()
            .assign(&who.actor, &task, user.as_ref().map(|u| u.username.as_str()))
            .await?)
    }

    /// GetCommentsForTask: a visible task's comments, oldest first.
    pub async fn comments_for_task(
        &self,
        who: &Principal,
        task_id: i64,
    ) -> Result<Vec<CommentRow>> {
        let vis = who.visibility_for(Scope::Tasks)?;
        self.store.tasks().get_task(vis, task_id).await.map_err(missing("task", task_id))?;
        Ok(self.store.tasks().comments_for_tasks(&[task_id]).await?)
    }

    /// Up to 100 tasks the caller may see among `ids` (others are simply
    /// absent).
    pub async fn tasks_by_ids(&self, who: &Principal, ids: &[i64]) -> Result<Vec<TaskRow>> {
        who.require(Scope::Tasks)?;
        domain::paging::check_bulk_ids("taskIds", ids)?;
        Ok(self.store.tasks().tasks_by_ids(who.visibility(), ids).await?)
    }

    /// The comments of the tasks the caller may see among `ids`: those
    /// tasks' ids, and their comments.
    pub async fn comments_for_tasks(
        &self,
        who: &Principal,
        ids: &[i64],
    ) -> Result<(Vec<i64>, Vec<CommentRow>)> {
        let visible: Vec<i64> = self.tasks_by_ids(who, ids).await?.iter().map(|t| t.id).collect();
        let comments = self.store.tasks().comments_for_tasks(&visible).await?;
        Ok((visible, comments))
    }

    /// GetTicketsForOrder: the tasks raised on an order the caller may see.
    pub async fn tickets_for_order(&self, who: &Principal, order_id: i64) -> Result<Vec<TaskRow>> {
        let vis = who.visibility_for(Scope::Orders)?;
        self.store.orders().get_order(vis, order_id).await.map_err(missing("order", order_id))?;
        Ok(self.store.tasks().tasks_for_orders(&[order_id]).await?)
    }

    /// The tickets of up to 100 orders: the ids of those the caller may
    /// see, and their tickets.
    pub async fn tickets_for_orders(
        &self,
        who: &Principal,
        ids: &[i64],
    ) -> Result<(Vec<i64>, Vec<TaskRow>)> {
        let visible: Vec<i64> = self.orders_by_ids(who, ids).await?.iter().map(|o| o.id).collect();
        let tickets = self.store.tasks().tasks_for_orders(&visible).await?;
        Ok((visible, tickets))
    }
}
