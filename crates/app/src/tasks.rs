//! The task diary: raising a task on a customer (checked by
//! `domain::task`; a contract or order named must be that customer's).

use crate::{App, Done, Error, Key, Principal, Result};
use domain::task::TaskInput;
use domain::Scope;
use serde::{Deserialize, Serialize};

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
                .create_task_in(
                    tx,
                    &who.actor,
                    who.visibility(),
                    customer,
                    cmd.contract_id,
                    cmd.order_id,
                    &task,
                )
                .await
                .map_err(|e| Error::store(e, || format!("customer {customer}")))?;
            Ok(TaskCreated { task_id: row.id })
        })
        .await
    }
}
