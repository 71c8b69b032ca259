//! Request objects on a live connection, and the rules of bar and bundle
//! changes: a bar must be on to be removed and off to be added, a bundle
//! likewise and only one the connection's tariff allows, and a connection
//! barred as stolen takes no change but the removal of that bar.

use crate::ordering::ExtraKind;
use crate::status::ConnectionStatus;
use crate::Error;
use serde::{Deserialize, Serialize};

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

/// A bundle on a connection, as contracted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionBundle {
    pub tariff_option_id: i64,
    pub name: String,
    pub monthly_pence: i64,
}

/// A bar on a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionBar {
    pub bar_id: i64,
    pub bar_suffix: String,
    pub name: String,
}

/// A call divert on a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionDivert {
    pub divert_type: String,
    pub destination: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_reply_seconds: Option<i64>,
}

/// The parts of a live connection a completed request may change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extras {
    pub bars: Vec<ConnectionBar>,
    pub bundles: Vec<ConnectionBundle>,
    pub diverts: Vec<ConnectionDivert>,
}

/// What happens to the connection's SIM when a request completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimChange {
    /// A physical SIM replaces what was there.
    Physical { iccid: String },
    /// An eSIM profile replaces the SIM; `eid` once a device downloads it.
    Esim { eid: Option<String> },
}

/// What a completed change request does to its connection, decided from
/// the request and the connection's extras before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub extras: Extras,
    /// The new tariff (ChangeTariff).
    pub tariff_id: Option<i64>,
    pub sim: Option<SimChange>,
    /// What the request answers beyond yes or no (an eSIM's activation code).
    pub result: Option<serde_json::Value>,
}

/// What the network answered to a change it made (the parts a
/// completion uses).
#[derive(Debug, Clone, Copy, Default)]
pub struct Answer<'a> {
    pub esim_activation_code: Option<&'a str>,
    pub eid: Option<&'a str>,
}

/// Applies a completed change request of `kind` with its stored `payload`
/// to the connection's `before` extras. `Err` says what in the stored
/// request or the network's answer cannot be read: data, not a client's
/// mistake.
pub fn complete(
    kind: &str,
    payload: &str,
    before: Extras,
    answer: Answer<'_>,
) -> Result<Completion, String> {
    fn read<T: serde::de::DeserializeOwned>(payload: &str) -> Result<T, String> {
        serde_json::from_str(payload)
            .map_err(|e| format!("the request payload cannot be read: {e}"))
    }
    let Extras { mut bars, mut bundles, mut diverts } = before;
    let mut done =
        Completion { extras: Extras::default(), tariff_id: None, sim: None, result: None };
    match kind {
        "AddBar" => bars.push(read(payload)?),
        "RemoveBar" => {
            let gone: ConnectionBar = read(payload)?;
            bars.retain(|b| b.bar_id != gone.bar_id);
        }
        "AddBundle" => bundles.push(read(payload)?),
        "RemoveBundle" => {
            let gone: ConnectionBundle = read(payload)?;
            bundles.retain(|b| b.tariff_option_id != gone.tariff_option_id);
        }
        "SetDivert" => {
            let d: ConnectionDivert = read(payload)?;
            diverts.retain(|x| x.divert_type != d.divert_type);
            diverts.push(d);
        }
        "RemoveDivert" => {
            let d: serde_json::Value = read(payload)?;
            diverts.retain(|x| Some(x.divert_type.as_str()) != d["divertType"].as_str());
        }
        "ChangeTariff" => {
            let d: serde_json::Value = read(payload)?;
            done.tariff_id =
                Some(d["tariffId"].as_i64().ok_or("a tariff change names no tariffId")?);
        }
        "ChangeSIM" => {
            let d: serde_json::Value = read(payload)?;
            let iccid = d["iccid"].as_str().ok_or("a SIM change names no iccid")?;
            done.sim = Some(SimChange::Physical { iccid: iccid.to_owned() });
        }
        "CreateEsim" => {
            let code = answer
                .esim_activation_code
                .filter(|c| c.starts_with("LPA:1$"))
                .ok_or("the network answered no activation code")?;
            done.sim = Some(SimChange::Esim { eid: answer.eid.map(str::to_owned) });
            done.result = Some(serde_json::json!({"activationCode": code, "eid": answer.eid}));
        }
        other => return Err(format!("{other:?} is not a change request")),
    }
    done.extras = Extras { bars, bundles, diverts };
    Ok(done)
}

/// Checks adding (`add`) or removing a bar or a bundle on a live
/// connection: nothing while the stolen bar is on, except lifting that bar;
/// a bundle added must be one its tariff allows; no item added twice or
/// removed when it is not there.
pub fn check_extra_change(
    state: &LiveState,
    kind: ExtraKind,
    item: i64,
    add: bool,
) -> Result<(), Error> {
    let lifting_stolen = kind == ExtraKind::Bar && !add && state.stolen_bar_id == Some(item);
    if !lifting_stolen {
        state.refuse_if_stolen()?;
    }
    let on = match kind {
        ExtraKind::Bar => state.bars.contains(&item),
        ExtraKind::Bundle => {
            if add && !state.allowed_bundles.contains(&item) {
                return Err(Error::invalid("tariffOptionId", format!("bundle {item} is not available on this connection's tariff; see ListBundlesForTariff")));
            }
            state.bundles.contains(&item)
        }
    };
    let noun = kind.noun();
    match (add, on) {
        (true, true) => Err(Error::Conflict(format!(
            "{noun} {item} is already on contract {}",
            state.contract_id
        ))),
        (false, false) => {
            Err(Error::Conflict(format!("{noun} {item} is not on contract {}", state.contract_id)))
        }
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

    fn bar(id: i64) -> ConnectionBar {
        ConnectionBar { bar_id: id, bar_suffix: format!("B{id}"), name: format!("bar {id}") }
    }

    #[test]
    fn a_completed_request_changes_only_its_part() {
        let before = Extras { bars: vec![bar(1)], ..Extras::default() };
        let add = complete(
            "AddBar",
            &serde_json::to_string(&bar(2)).unwrap(),
            before.clone(),
            Answer::default(),
        )
        .unwrap();
        assert_eq!(add.extras.bars, vec![bar(1), bar(2)]);
        assert_eq!((add.tariff_id, add.sim.clone()), (None, None));
        let removed = complete(
            "RemoveBar",
            r#"{"barId":1,"barSuffix":"B1","name":"bar 1"}"#,
            before.clone(),
            Answer::default(),
        )
        .unwrap();
        assert!(removed.extras.bars.is_empty());
        let divert = |t: &str, d: &str| format!(r#"{{"divertType":"{t}","destination":"{d}"}}"#);
        let set = complete(
            "SetDivert",
            &divert("Busy", "07700900001"),
            before.clone(),
            Answer::default(),
        )
        .unwrap();
        let again =
            complete("SetDivert", &divert("Busy", "07700900002"), set.extras, Answer::default())
                .unwrap();
        assert_eq!(again.extras.diverts.len(), 1, "one divert of a type");
        assert_eq!(again.extras.diverts[0].destination, "07700900002");
        let gone =
            complete("RemoveDivert", r#"{"divertType":"Busy"}"#, again.extras, Answer::default())
                .unwrap();
        assert!(gone.extras.diverts.is_empty());
        let tariff =
            complete("ChangeTariff", r#"{"tariffId":9}"#, before.clone(), Answer::default())
                .unwrap();
        assert_eq!((tariff.tariff_id, tariff.extras), (Some(9), before.clone()));
        let sim = complete("ChangeSIM", r#"{"iccid":"8944"}"#, before.clone(), Answer::default())
            .unwrap();
        assert_eq!(sim.sim, Some(SimChange::Physical { iccid: "8944".into() }));
        let esim = complete(
            "CreateEsim",
            "{}",
            before.clone(),
            Answer { esim_activation_code: Some("LPA:1$x$y"), eid: None },
        )
        .unwrap();
        assert_eq!(esim.sim, Some(SimChange::Esim { eid: None }));
        assert_eq!(esim.result.unwrap()["activationCode"], "LPA:1$x$y");
    }

    #[test]
    fn an_unreadable_completion_is_said_not_guessed() {
        let none = Answer::default();
        assert!(complete("CreateEsim", "{}", Extras::default(), none)
            .unwrap_err()
            .contains("no activation code"));
        assert!(complete("AddBar", "{", Extras::default(), none).unwrap_err().contains("payload"));
        assert!(complete("ChangeTariff", "{}", Extras::default(), none)
            .unwrap_err()
            .contains("tariffId"));
        assert!(complete("Teleport", "{}", Extras::default(), none)
            .unwrap_err()
            .contains("not a change request"));
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
        assert_eq!(check_extra_change(&state(), ExtraKind::Bar, 8, true), Ok(()));
        assert_eq!(check_extra_change(&state(), ExtraKind::Bar, 7, false), Ok(()));
        assert!(matches!(
            check_extra_change(&state(), ExtraKind::Bar, 7, true),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            check_extra_change(&state(), ExtraKind::Bar, 8, false),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn stolen_blocks_everything_but_its_removal() {
        let stolen = LiveState { bars: vec![7, 11], ..state() };
        assert!(matches!(
            check_extra_change(&stolen, ExtraKind::Bar, 8, true),
            Err(Error::Refused { .. })
        ));
        assert!(matches!(
            check_extra_change(&stolen, ExtraKind::Bar, 7, false),
            Err(Error::Refused { .. })
        ));
        assert!(matches!(
            check_extra_change(&stolen, ExtraKind::Bundle, 302, true),
            Err(Error::Refused { .. })
        ));
        assert_eq!(check_extra_change(&stolen, ExtraKind::Bar, 11, false), Ok(()));
        assert_eq!(
            check_extra_change(&state(), ExtraKind::Bar, 11, true),
            Ok(()),
            "barring as stolen is allowed"
        );
    }

    #[test]
    fn bundles() {
        assert_eq!(check_extra_change(&state(), ExtraKind::Bundle, 302, true), Ok(()));
        assert_eq!(check_extra_change(&state(), ExtraKind::Bundle, 301, false), Ok(()));
        assert!(matches!(
            check_extra_change(&state(), ExtraKind::Bundle, 301, true),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            check_extra_change(&state(), ExtraKind::Bundle, 302, false),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            check_extra_change(&state(), ExtraKind::Bundle, 999, true),
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
