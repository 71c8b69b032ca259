//! Reference data the mobile API's Appendix controller serves: ids that
//! other calls take (diary types and tasks, status ids, connection types).

use serde::Serialize;

/// One entry of a reference list.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: i64,
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'static str>,
}

const fn e(id: i64, name: &'static str, description: &'static str) -> Entry {
    Entry { id, name, description: Some(description) }
}

/// Connection types AddMobileToOrder takes.
pub const CONNECTION_TYPES: &[Entry] = &[
    e(1, "New", "a new connection with a number from the network's pool"),
    e(2, "Port", "a connection that keeps the customer's number from another provider (PAC)"),
    e(3, "Migration", "an existing connection of this customer moved to a new tariff or contract"),
    e(4, "Disconnection", "a connection leaving with a STAC, ceased on completion"),
];

/// Diary (task) types.
pub const DIARY_TYPES: &[Entry] = &[
    e(1, "Order", "work on an order"),
    e(2, "Fault", "a fault on a connection"),
    e(3, "Billing", "a billing query"),
    e(4, "Switching", "PAC, STAC and porting"),
    e(5, "Account", "account changes"),
    e(6, "Complaint", "a customer complaint (Ofcom complaints code)"),
];

/// A diary task within a diary type.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DiaryTask {
    pub id: i64,
    pub diary_type_id: i64,
    pub name: &'static str,
}

const fn t(id: i64, diary_type_id: i64, name: &'static str) -> DiaryTask {
    DiaryTask { id, diary_type_id, name }
}

/// Diary tasks, each under one diary type.
pub const DIARY_TASKS: &[DiaryTask] = &[
    t(101, 1, "Order rejected"),
    t(102, 1, "Order query"),
    t(103, 1, "Delivery query"),
    t(201, 2, "No service"),
    t(202, 2, "No data"),
    t(203, 2, "Call quality"),
    t(301, 3, "Invoice query"),
    t(302, 3, "Bill cap query"),
    t(401, 4, "PAC request"),
    t(402, 4, "STAC request"),
    t(403, 4, "Port failed"),
    t(501, 5, "Change of details"),
    t(502, 5, "Request rejected"),
    t(601, 6, "Complaint received"),
];

/// Task status ids.
pub const STATUS_IDS: &[Entry] = &[
    e(1, "Open", "raised, not yet picked up"),
    e(2, "In progress", "being worked on"),
    e(3, "Awaiting customer", "waiting for the customer"),
    e(4, "Resolved", "resolved, may be reopened"),
    e(5, "Closed", "closed"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_has_a_type_and_ids_are_unique() {
        for task in DIARY_TASKS {
            assert!(DIARY_TYPES.iter().any(|t| t.id == task.diary_type_id), "{task:?}");
        }
        let mut ids: Vec<i64> = DIARY_TASKS.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), DIARY_TASKS.len());
    }
}
