//! Request objects on a live connection, and the rules of bar and bundle
//! changes: a bar must be on to be removed and off to be added, a bundle
//! likewise and only one the connection's tariff allows, and a connection
//! barred as stolen takes no change but the removal of that bar.

use crate::status::ConnectionStatus;
use crate::Error;

/// The operator bar that blocks all usage of a lost or stolen SIM.
pub const STOLEN_SUFFIX: &str = "STOLEN";

/// What a connection looks like to the change rules.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub contract_id: i64,
    /// Bars on, by id.
    pub bars: Vec<i64>,
    /// The stolen bar's id on this connection's network.
    pub stolen_bar_id: Option<i64>,
    /// Bundles on, by id.
    pub bundles: Vec<i64>,
    /// Bundles the connection's tariff allows.
    pub allowed_bundles: Vec<i64>,
}

impl LiveState {
    fn stolen(&self) -> bool {
        self.stolen_bar_id.is_some_and(|s| self.bars.contains(&s))
    }

    /// Refuses any change while the connection is barred as stolen.
    pub fn refuse_if_stolen(&self) -> Result<(), Error> {
        if self.stolen() {
            return Err(Error::refused_whole(format!(
                "contract {} is barred as stolen: no change is allowed but removing that bar",
                self.contract_id
            )));
        }
        Ok(())
    }
}

/// Checks adding (`add`) or removing a bar.
pub fn check_bar_change(state: &LiveState, bar_id: i64, add: bool) -> Result<(), Error> {
    let removing_stolen = !add && state.stolen_bar_id == Some(bar_id);
    if !removing_stolen {
        state.refuse_if_stolen()?;
    }
    let on = state.bars.contains(&bar_id);
    match (add, on) {
        (true, true) => Err(Error::Conflict(format!(
            "bar {bar_id} is already on contract {}",
            state.contract_id
        ))),
        (false, false) => Err(Error::Conflict(format!(
            "bar {bar_id} is not on contract {}",
            state.contract_id
        ))),
        _ => Ok(()),
    }
}

/// Checks adding (`add`) or removing a bundle.
pub fn check_bundle_change(state: &LiveState, bundle_id: i64, add: bool) -> Result<(), Error> {
    state.refuse_if_stolen()?;
    let on = state.bundles.contains(&bundle_id);
    if add && !state.allowed_bundles.contains(&bundle_id) {
        return Err(Error::invalid("tariffOptionId", format!("bundle {bundle_id} is not available on this connection's tariff; see ListBundlesForTariff")));
    }
    match (add, on) {
        (true, true) => Err(Error::Conflict(format!(
            "bundle {bundle_id} is already on contract {}",
            state.contract_id
        ))),
        (false, false) => Err(Error::Conflict(format!(
            "bundle {bundle_id} is not on contract {}",
            state.contract_id
        ))),
        _ => Ok(()),
    }
}

/// Parses AddOrRemoveBar's `action`.
pub fn parse_action(text: &str) -> Result<bool, Error> {
    match text.trim().to_ascii_lowercase().as_str() {
        "add" => Ok(true),
        "remove" => Ok(false),
        _ => Err(Error::invalid(
            "action",
            format!("{text:?} is not an action; expected Add or Remove"),
        )),
    }
}

/// Only an Active connection takes changes: one ported out or ceased
/// refuses a new request, and a request still waiting when it ended is
/// refused with the same words.
pub fn check_takes_changes(contract_id: i64, status: ConnectionStatus) -> Result<(), Error> {
    if status.has_ended() {
        return Err(Error::Conflict(format!(
            "contract {contract_id} is {status}; only an Active connection takes changes"
        )));
    }
    Ok(())
}

/// The reason given for what is refused when the network could not be
/// reached before the job ran out of attempts.
pub fn unreachable(attempts: i64, error: &str) -> String {
    format!("the network could not be reached after {attempts} attempts: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_active_connection_takes_changes() {
        assert_eq!(check_takes_changes(5, ConnectionStatus::Active), Ok(()));
        assert_eq!(
            check_takes_changes(5, ConnectionStatus::PortedOut),
            Err(Error::Conflict(
                "contract 5 is PortedOut; only an Active connection takes changes".into()
            ))
        );
        assert!(unreachable(8, "timeout").contains("after 8 attempts: timeout"));
    }

    fn state() -> LiveState {
        LiveState {
            contract_id: 50001,
            bars: vec![7],
            stolen_bar_id: Some(11),
            bundles: vec![301],
            allowed_bundles: vec![301, 302],
        }
    }

    #[test]
    fn bars() {
        assert_eq!(check_bar_change(&state(), 8, true), Ok(()));
        assert_eq!(check_bar_change(&state(), 7, false), Ok(()));
        assert!(matches!(
            check_bar_change(&state(), 7, true),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            check_bar_change(&state(), 8, false),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn stolen_blocks_everything_but_its_removal() {
        let stolen = LiveState {
            bars: vec![7, 11],
            ..state()
        };
        assert!(matches!(
            check_bar_change(&stolen, 8, true),
            Err(Error::Refused { .. })
        ));
        assert!(matches!(
            check_bar_change(&stolen, 7, false),
            Err(Error::Refused { .. })
        ));
        assert!(matches!(
            check_bundle_change(&stolen, 302, true),
            Err(Error::Refused { .. })
        ));
        assert_eq!(check_bar_change(&stolen, 11, false), Ok(()));
        assert_eq!(
            check_bar_change(&state(), 11, true),
            Ok(()),
            "barring as stolen is allowed"
        );
    }

    #[test]
    fn bundles() {
        assert_eq!(check_bundle_change(&state(), 302, true), Ok(()));
        assert_eq!(check_bundle_change(&state(), 301, false), Ok(()));
        assert!(matches!(
            check_bundle_change(&state(), 301, true),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            check_bundle_change(&state(), 302, false),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            check_bundle_change(&state(), 999, true),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn actions() {
        assert_eq!(parse_action("add"), Ok(true));
        assert_eq!(parse_action("Remove"), Ok(false));
        assert!(parse_action("toggle").is_err());
    }
}
