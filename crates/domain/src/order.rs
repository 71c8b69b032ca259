//! The order state machine: every legal move of an order, and the refusal
//! (a conflict naming the current state) of every other.
//!
//! ```text
//! Draft ──submit──▶ Submitted ──start──▶ InProgress ──finish──▶ Completed
//!   ▲                 │   │                   │                 PartiallyCompleted
//!   └─return to draft─┘   ├─cancel──▶ Cancelled                 Rejected
//!                         └─reject──▶ Rejected (validation or network refusal)
//! ```
//! A draft may also be cancelled. Completed, PartiallyCompleted, Rejected
//! and Cancelled are final.

use crate::Error;

crate::status::stored_status! {
    /// An order's place in the state machine above.
    OrderStatus, "order status" {
        Draft = "Draft",
        Submitted = "Submitted",
        InProgress = "InProgress",
        Completed = "Completed",
        Rejected = "Rejected",
        PartiallyCompleted = "PartiallyCompleted",
        Cancelled = "Cancelled",
    }
}

/// What happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    /// SubmitOrder, after its validation passed.
    Submit,
    /// ReturnOrderToDraft.
    ReturnToDraft,
    /// CancelOrder.
    Cancel,
    /// The provisioning worker starts on it.
    Start,
    /// The network refused the whole order.
    Reject,
    /// Every mobile has an outcome: how many completed and how many failed.
    Finish { completed: usize, failed: usize },
}

impl OrderStatus {
    /// Whether nothing more can happen to the order.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Completed
                | OrderStatus::Rejected
                | OrderStatus::PartiallyCompleted
                | OrderStatus::Cancelled
        )
    }

    /// A sentence for MonitorOrder's `statusText`.
    pub fn text(self) -> &'static str {
        match self {
            OrderStatus::Draft => "Being built; add mobiles, then submit",
            OrderStatus::Submitted => "Submitted and queued for provisioning",
            OrderStatus::InProgress => "Being provisioned on the network",
            OrderStatus::Completed => "Every mobile is live",
            OrderStatus::Rejected => "Refused; see the reasons on the order and its mobiles",
            OrderStatus::PartiallyCompleted => "Some mobiles are live and some were refused",
            OrderStatus::Cancelled => "Cancelled before provisioning started",
        }
    }

    /// The state after `event`, or a conflict naming the current state.
    pub fn apply(self, event: OrderEvent) -> Result<OrderStatus, Error> {
        use OrderEvent as E;
        use OrderStatus as S;
        let next = match (self, event) {
            (S::Draft, E::Submit) => S::Submitted,
            (S::Submitted, E::ReturnToDraft) => S::Draft,
            (S::Draft | S::Submitted, E::Cancel) => S::Cancelled,
            (S::Submitted, E::Start) => S::InProgress,
            (S::Submitted | S::InProgress, E::Reject) => S::Rejected,
            (S::InProgress, E::Finish { completed, failed }) => match (completed, failed) {
                (0, 0) => {
                    return Err(Error::Conflict("an order with no mobiles cannot finish".into()))
                }
                (_, 0) => S::Completed,
                (0, _) => S::Rejected,
                _ => S::PartiallyCompleted,
            },
            (from, event) => {
                let why = match event {
                    E::Submit => "only a Draft order can be submitted",
                    E::ReturnToDraft => "only a Submitted order whose provisioning has not started can return to Draft",
                    E::Cancel => "only a Draft order, or a Submitted order whose provisioning has not started, can be cancelled",
                    E::Start => "only a Submitted order can start provisioning",
                    E::Reject => "only a Submitted or InProgress order can be rejected",
                    E::Finish { .. } => "only an InProgress order can finish",
                };
                return Err(Error::Conflict(format!("the order is {from}; {why}")));
            }
        };
        Ok(next)
    }
}

/// Whether an order's mobiles, bundles and bars may change: only while
/// it is a Draft.
pub fn check_changeable(order_id: i64, status: OrderStatus) -> Result<(), Error> {
    if status == OrderStatus::Draft {
        return Ok(());
    }
    Err(Error::Conflict(format!("order {order_id} is {status}; only a Draft order can be changed")))
}

/// The refusal of a move back to Draft or to Cancelled (`to`) of an order
/// in `from` whose provisioning has already started.
pub fn too_late_to_withdraw(order_id: i64, from: OrderStatus, to: OrderStatus) -> Error {
    let what = if to == OrderStatus::Cancelled { "cancelled" } else { "returned to Draft" };
    Error::Conflict(format!(
        "order {order_id} is {from}: provisioning has started, so it can no longer be {what}"
    ))
}

/// The longest reference a customer may give an order.
pub const REFERENCE_MAX_CHARS: usize = 50;

/// An order's reference (the customer's purchase order number): optional,
/// at most [`REFERENCE_MAX_CHARS`] characters, no control characters;
/// answered trimmed.
pub fn check_reference(reference: Option<&str>) -> crate::Result<String> {
    let r = reference.unwrap_or_default();
    if r.chars().count() > REFERENCE_MAX_CHARS || r.chars().any(char::is_control) {
        return Err(crate::Error::invalid(
            "reference",
            format!("must be at most {REFERENCE_MAX_CHARS} characters, no control characters"),
        ));
    }
    Ok(r.trim().to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn references() {
        use super::check_reference;
        assert_eq!(check_reference(None).unwrap(), "");
        assert_eq!(check_reference(Some(" PO-7781 ")).unwrap(), "PO-7781");
        assert_eq!(check_reference(Some(&"x".repeat(50))).unwrap().len(), 50);
        for bad in ["x".repeat(51), "PO\n1".into()] {
            assert!(
                matches!(check_reference(Some(&bad)), Err(crate::Error::Invalid { field, .. }) if field == "reference")
            );
        }
    }

    use super::OrderEvent as E;
    use super::OrderStatus as S;
    use super::*;

    #[test]
    fn a_started_order_is_too_late_to_withdraw() {
        let e = too_late_to_withdraw(7, OrderStatus::Submitted, OrderStatus::Cancelled);
        assert_eq!(e.code(), "conflict");
        assert!(
            e.to_string().contains(
                "order 7 is Submitted: provisioning has started, so it can no longer be cancelled"
            ),
            "{e}"
        );
        let back = too_late_to_withdraw(7, OrderStatus::Submitted, OrderStatus::Draft);
        assert!(back.to_string().ends_with("returned to Draft"), "{back}");
    }

    #[test]
    fn only_a_draft_order_changes() {
        assert!(check_changeable(7, OrderStatus::Draft).is_ok());
        for s in [OrderStatus::Submitted, OrderStatus::InProgress, OrderStatus::Cancelled] {
            let e = check_changeable(7, s).unwrap_err();
            assert_eq!(e.code(), "conflict");
            assert!(e.to_string().contains(&format!("order 7 is {s}; only a Draft")), "{e}");
        }
    }

    const EVENTS: [OrderEvent; 8] = [
        E::Submit,
        E::ReturnToDraft,
        E::Cancel,
        E::Start,
        E::Reject,
        E::Finish { completed: 2, failed: 0 },
        E::Finish { completed: 1, failed: 1 },
        E::Finish { completed: 0, failed: 2 },
    ];

    /// The whole table: every (state, event) pair, legal or not.
    fn expected(from: S, e: E) -> Option<S> {
        match (from, e) {
            (S::Draft, E::Submit) => Some(S::Submitted),
            (S::Submitted, E::ReturnToDraft) => Some(S::Draft),
            (S::Draft, E::Cancel) | (S::Submitted, E::Cancel) => Some(S::Cancelled),
            (S::Submitted, E::Start) => Some(S::InProgress),
            (S::Submitted, E::Reject) | (S::InProgress, E::Reject) => Some(S::Rejected),
            (S::InProgress, E::Finish { completed: 2, failed: 0 }) => Some(S::Completed),
            (S::InProgress, E::Finish { completed: 1, failed: 1 }) => Some(S::PartiallyCompleted),
            (S::InProgress, E::Finish { completed: 0, failed: 2 }) => Some(S::Rejected),
            _ => None,
        }
    }

    #[test]
    fn every_transition() {
        for from in S::ALL {
            for e in EVENTS {
                match (from.apply(e), expected(from, e)) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} {e:?}"),
                    (Err(Error::Conflict(m)), None) => {
                        assert!(m.contains(from.as_str()), "{m} names the current state")
                    }
                    (got, want) => panic!("{from} {e:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn final_states_accept_nothing() {
        for from in S::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(EVENTS.iter().all(|e| from.apply(*e).is_err()), "{from}");
        }
        assert!(S::InProgress.apply(E::Finish { completed: 0, failed: 0 }).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>().unwrap(), s);
        }
        assert!("Done".parse::<S>().is_err());
    }
}
