//! The statuses the store keeps, one Rust enum each. A status column's
//! `CHECK` constraint lists exactly its enum's values on both engines (a
//! test compares them), so a row can hold no status the code does not
//! know, and a row type reads its status as the enum.

/// Declares a stored status: the enum, its text as stored and sent, every
/// value in order (`ALL`), parsing (`FromStr`, `TryFrom<String>` for row
/// decoding) and `Display`.
macro_rules! stored_status {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, as the `CHECK` constraint lists them.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The text stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(s: &str) -> Result<Self, $crate::Error> {
                $name::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::Error::invalid("status", format!("unknown {} {s:?}", $what)))
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::Error;
            fn try_from(s: String) -> Result<Self, $crate::Error> {
                s.parse()
            }
        }
    };
}
pub(crate) use stored_status;

stored_status! {
    /// A mobile on an order.
    MobileStatus, "mobile status" {
        /// On a Draft order.
        Draft = "Draft",
        /// Submitted, waiting for the network.
        Pending = "Pending",
        /// Live: its connection exists.
        Completed = "Completed",
        /// Refused by the network (the reason is kept).
        Rejected = "Rejected",
        /// Its order was cancelled.
        Cancelled = "Cancelled",
    }
}

stored_status! {
    /// A live connection (a contract).
    ConnectionStatus, "connection status" {
        Active = "Active",
        /// Moved to another provider with a PAC.
        PortedOut = "PortedOut",
        /// Ended: a STAC, or ceased.
        Ceased = "Ceased",
    }
}

impl ConnectionStatus {
    /// Whether the connection has ended (its CLI and SIM are free again).
    pub fn has_ended(self) -> bool {
        self != ConnectionStatus::Active
    }
}

stored_status! {
    /// A request object on a live connection.
    RequestStatus, "request status" {
        /// Queued for the network.
        Pending = "Pending",
        /// The network has it in hand.
        InProgress = "InProgress",
        /// Done: the connection changed.
        Completed = "Completed",
        /// Refused (the reason is kept); the connection is as it was.
        Rejected = "Rejected",
    }
}

impl RequestStatus {
    /// Whether the request still holds its conflict group.
    pub fn is_open(self) -> bool {
        matches!(self, RequestStatus::Pending | RequestStatus::InProgress)
    }
}

stored_status! {
    /// A job in the queue.
    JobState, "job state" {
        /// Waiting for its time (`run_at_ms`).
        Queued = "queued",
        /// Claimed by a worker under a lease.
        Running = "running",
        Done = "done",
        /// Out of attempts; the last error is kept.
        Dead = "dead",
    }
}

stored_status! {
    /// A number in a network's pool.
    PoolStatus, "number status" {
        Free = "free",
        /// Held by a mobile on an open order.
        Reserved = "reserved",
        /// Given to a live connection.
        Assigned = "assigned",
    }
}

stored_status! {
    /// What staff set an ISP subscriber to (`expired` is read from the
    /// expiration, never stored).
    SubscriberStatus, "subscriber status" {
        Active = "active",
        Suspended = "suspended",
        /// Deleted: disabled for good, history kept.
        Disabled = "disabled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_reads_back_what_it_writes() {
        for s in MobileStatus::ALL {
            assert_eq!(s.as_str().parse::<MobileStatus>(), Ok(s));
            assert_eq!(MobileStatus::try_from(s.to_string()), Ok(s));
        }
        assert_eq!(JobState::ALL.len(), 4);
        assert_eq!(JobState::Dead.as_str(), "dead");
        assert_eq!(serde_json::to_string(&PoolStatus::Reserved).unwrap(), "\"reserved\"");
        assert!("Lost".parse::<ConnectionStatus>().is_err());
        assert!(RequestStatus::InProgress.is_open() && !RequestStatus::Rejected.is_open());
        assert!(ConnectionStatus::PortedOut.has_ended() && !ConnectionStatus::Active.has_ended());
    }
}
