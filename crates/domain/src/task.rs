//! The task diary: tasks raised on a customer (optionally on one of its
//! contracts or orders), their comments, and their status.

use crate::appendix::{DIARY_TASKS, DIARY_TYPES, STATUS_IDS};
use crate::customer::text_field;
use crate::Error;

/// Status ids (see the Appendix's StatusIds).
pub const OPEN: i64 = 1;
pub const CLOSED: i64 = 5;

/// The diary type and task of a task raised automatically when an order
/// or request is refused: "Order" / "Order rejected".
pub const REJECTED_ORDER_TYPE: i64 = 1;
pub const REJECTED_ORDER_TASK: i64 = 101;
/// The diary type and task of a task raised when a network refuses a
/// request on a live connection: "Account" / "Request rejected".
pub const REJECTED_REQUEST_TYPE: i64 = 5;
pub const REJECTED_REQUEST_TASK: i64 = 502;

/// A task the platform raises by itself, decided here and written by the
/// store in the transaction of the change that raised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub diary_type_id: i64,
    pub diary_task_id: i64,
    pub subject: String,
    pub body: String,
}

/// The ticket a mobile the network refused raises at once (not when its
/// whole order ends, which a port can hold for days), naming its number
/// when it has one and its own reason.
pub fn mobile_refused(
    order_id: i64,
    order_mobile_id: i64,
    cli: Option<&str>,
    reason: &str,
) -> Ticket {
    let which = match cli.filter(|c| !c.is_empty()) {
        Some(c) => format!("mobile {c}"),
        None => format!("mobile {order_mobile_id}"),
    };
    Ticket {
        diary_type_id: REJECTED_ORDER_TYPE,
        diary_task_id: REJECTED_ORDER_TASK,
        subject: format!("Order {order_id}: {which} was rejected"),
        body: if reason.trim().is_empty() {
            "refused by the network".into()
        } else {
            reason.to_owned()
        },
    }
}

/// The ticket a request the network refused raises, on its contract.
pub fn request_refused(request_id: i64, kind: &str, reason: Option<&str>) -> Ticket {
    Ticket {
        diary_type_id: REJECTED_REQUEST_TYPE,
        diary_task_id: REJECTED_REQUEST_TASK,
        subject: format!("Request {request_id} ({kind}) was rejected"),
        body: reason
            .filter(|r| !r.trim().is_empty())
            .unwrap_or("refused by the network")
            .to_owned(),
    }
}

/// A task as CreateTask received it.
#[derive(Debug, Clone)]
pub struct TaskInput {
    pub diary_type_id: i64,
    pub diary_task_id: i64,
    pub subject: String,
    pub body: String,
}

/// A task whose fields are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub diary_type_id: i64,
    pub diary_task_id: i64,
    pub subject: String,
    pub body: String,
}

impl TaskInput {
    pub fn validate(self) -> Result<NewTask, Error> {
        if !DIARY_TYPES.iter().any(|t| t.id == self.diary_type_id) {
            return Err(Error::invalid(
                "diaryTypeId",
                format!("{} is not a diary type; see /api/Appendix/DiaryTypes", self.diary_type_id),
            ));
        }
        match DIARY_TASKS.iter().find(|t| t.id == self.diary_task_id) {
            None => {
                return Err(Error::invalid(
                    "diaryTaskId",
                    format!(
                        "{} is not a diary task; see /api/Appendix/DiaryTasks",
                        self.diary_task_id
                    ),
                ))
            }
            Some(t) if t.diary_type_id != self.diary_type_id => {
                return Err(Error::invalid(
                    "diaryTaskId",
                    format!(
                        "diary task {} belongs to diary type {}, not {}",
                        t.id, t.diary_type_id, self.diary_type_id
                    ),
                ))
            }
            Some(_) => {}
        }
        Ok(NewTask {
            diary_type_id: self.diary_type_id,
            diary_task_id: self.diary_task_id,
            subject: text_field(&self.subject, "subject", 1, 200)?,
            body: body_field(&self.body, "body")?,
        })
    }
}

/// Free text of a task or comment: 1 to 4,000 characters, line breaks and
/// tabs allowed, no other control characters.
pub fn body_field(text: &str, field: &str) -> Result<String, Error> {
    let t = text.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(Error::missing(field));
    }
    if n > 4000 {
        return Err(Error::invalid(field, format!("must be at most 4000 characters, got {n}")));
    }
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Error::invalid(
            field,
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(t.to_owned())
}

/// The name of a status id, or an error naming `statusId`.
pub fn status_name(id: i64) -> Result<&'static str, Error> {
    STATUS_IDS.iter().find(|s| s.id == id).map(|s| s.name).ok_or_else(|| {
        Error::invalid("statusId", format!("{id} is not a status; see /api/Appendix/StatusIds"))
    })
}

/// Whether a task in status `current` may move to `next` (or take a
/// comment, with `next` = `current`): a closed task is final.
pub fn check_status_change(task_id: i64, current: i64, next: i64) -> Result<(), Error> {
    status_name(next)?;
    if current == CLOSED {
        return Err(Error::Conflict(format!("task {task_id} is Closed; raise a new task instead")));
    }
    Ok(())
}

/// Whether a task may be given to a portal user: only to a user of the
/// task's partner (platform staff of the house may take any), and not
/// once the task is closed.
pub fn check_assignment(
    task_id: i64,
    status_id: i64,
    task_partner: i64,
    user_partner: Option<i64>,
    user_is_platform: bool,
) -> Result<(), Error> {
    if status_id == CLOSED {
        return Err(Error::Conflict(format!("task {task_id} is Closed; raise a new task instead")));
    }
    match user_partner {
        None => Ok(()),
        Some(p) if p == task_partner || user_is_platform => Ok(()),
        Some(_) => Err(Error::invalid(
            "assignee",
            "a task is given only to a portal user of its own partner",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_goes_to_its_partners_staff_and_never_once_closed() {
        assert!(check_assignment(1, OPEN, 7, Some(7), false).is_ok());
        assert!(check_assignment(1, OPEN, 7, None, false).is_ok(), "unassign");
        assert!(check_assignment(1, OPEN, 7, Some(8), true).is_ok(), "platform staff");
        assert!(matches!(
            check_assignment(1, OPEN, 7, Some(8), false),
            Err(Error::Invalid { field, .. }) if field == "assignee"
        ));
        assert!(matches!(check_assignment(1, CLOSED, 7, Some(7), false), Err(Error::Conflict(_))));
    }

    fn input() -> TaskInput {
        TaskInput {
            diary_type_id: 2,
            diary_task_id: 201,
            subject: " No service since Monday ".into(),
            body: "Customer reports no signal.\nChecked the masts.".into(),
        }
    }

    fn field(r: Result<NewTask, Error>) -> String {
        match r {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    /// The field a TaskInput is refused on: [`input`] changed by `change`.
    fn refusal(change: impl FnOnce(&mut TaskInput)) -> String {
        let mut i = input();
        change(&mut i);
        field(i.validate())
    }

    #[test]
    fn a_good_task() {
        let t = input().validate().unwrap();
        assert_eq!(t.subject, "No service since Monday");
        assert!(t.body.contains('\n'));
    }

    #[test]
    fn refusals_name_the_field() {
        assert_eq!(refusal(|m| m.diary_type_id = 99), "diaryTypeId");
        assert_eq!(refusal(|m| m.diary_task_id = 9999), "diaryTaskId");
        assert_eq!(refusal(|m| m.diary_task_id = 101), "diaryTaskId", "a task of another type");
        assert_eq!(refusal(|m| m.subject = "".into()), "subject");
        assert_eq!(refusal(|m| m.subject = "x".repeat(201)), "subject");
        assert_eq!(refusal(|m| m.body = "".into()), "body");
        assert_eq!(refusal(|m| m.body = "a\u{7}b".into()), "body");
        assert_eq!(refusal(|m| m.body = "x".repeat(4001)), "body");
    }

    #[test]
    fn statuses() {
        assert_eq!(status_name(3).unwrap(), "Awaiting customer");
        assert!(status_name(6).is_err());
        assert!(check_status_change(1, OPEN, 4).is_ok());
        assert!(check_status_change(1, 4, OPEN).is_ok(), "a resolved task may be reopened");
        assert!(matches!(check_status_change(1, CLOSED, OPEN), Err(Error::Conflict(_))));
        assert!(matches!(check_status_change(1, OPEN, 9), Err(Error::Invalid { .. })));
    }

    #[test]
    fn the_automatic_tasks_exist_in_the_appendix() {
        for (ty, task) in [
            (REJECTED_ORDER_TYPE, REJECTED_ORDER_TASK),
            (REJECTED_REQUEST_TYPE, REJECTED_REQUEST_TASK),
        ] {
            assert!(DIARY_TASKS.iter().any(|t| t.id == task && t.diary_type_id == ty));
        }
    }

    #[test]
    fn tickets_name_what_was_refused_and_why() {
        let t = mobile_refused(7, 31, Some("07700900123"), "SIM not found");
        assert_eq!(t.subject, "Order 7: mobile 07700900123 was rejected");
        assert_eq!(t.body, "SIM not found");
        assert_eq!((t.diary_type_id, t.diary_task_id), (1, 101));
        let t = mobile_refused(7, 31, None, "");
        assert_eq!(t.subject, "Order 7: mobile 31 was rejected");
        assert_eq!(t.body, "refused by the network");
        let t = request_refused(800001, "AddBar", Some("bar not allowed"));
        assert_eq!(t.subject, "Request 800001 (AddBar) was rejected");
        assert_eq!(
            (t.diary_type_id, t.diary_task_id, t.body.as_str()),
            (5, 502, "bar not allowed")
        );
        assert_eq!(request_refused(1, "AddBar", None).body, "refused by the network");
    }
}
