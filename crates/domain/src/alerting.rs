//! CapZ alerting: thresholds on a connection's data use or out-of-bundle
//! spend in a billing period, each with what happens when it is reached.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Measure {
    /// Data used this period, in MB (MiB).
    DataMb,
    /// Data used this period, in per cent of the allowance.
    DataPercent,
    /// Out-of-bundle spend this period, in pence.
    SpendPence,
}

/// What reaching a threshold does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// An alert is raised.
    Notify,
    /// An alert is raised and chargeable use is barred.
    Bar,
}

/// One threshold, as stored on the connection and shown on the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Threshold {
    pub kind: Measure,
    pub value: i64,
    pub action: Action,
}

/// At most this many thresholds on a connection.
pub const MAX_THRESHOLDS: usize = 10;

impl Measure {
    pub fn parse(field: &str, text: &str) -> Result<Measure> {
        match text.trim().to_ascii_lowercase().as_str() {
            "datamb" => Ok(Measure::DataMb),
            "datapercent" => Ok(Measure::DataPercent),
            "spendpence" => Ok(Measure::SpendPence),
            _ => Err(Error::invalid(
                field,
                format!("{text:?} is not one of dataMb, dataPercent or spendPence"),
            )),
        }
    }
}

impl Action {
    pub fn parse(field: &str, text: &str) -> Result<Action> {
        match text.trim().to_ascii_lowercase().as_str() {
            "notify" => Ok(Action::Notify),
            "bar" => Ok(Action::Bar),
            _ => Err(Error::invalid(
                field,
                format!("{text:?} is not one of notify or bar"),
            )),
        }
    }
}

/// A connection's thresholds, checked: at most [`MAX_THRESHOLDS`], each
/// value above 0 (a percentage at most 1,000), no two alike; answered in
/// a fixed order (by measure, then value).
pub fn check_thresholds(mut ts: Vec<Threshold>) -> Result<Vec<Threshold>> {
    if ts.len() > MAX_THRESHOLDS {
        return Err(Error::invalid(
            "thresholds",
            format!("at most {MAX_THRESHOLDS} thresholds on a connection"),
        ));
    }
    for (i, t) in ts.iter().enumerate() {
        let field = format!("thresholds[{i}].value");
        if t.value <= 0 {
            return Err(Error::invalid(field, "must be more than 0"));
        }
        if t.kind == Measure::DataPercent && t.value > 1000 {
            return Err(Error::invalid(
                field,
                "a percentage of the allowance is at most 1000",
            ));
        }
    }
    ts.sort_by_key(|t| (t.kind as u8, t.value));
    if let Some(w) = ts
        .windows(2)
        .find(|w| (w[0].kind, w[0].value) == (w[1].kind, w[1].value))
    {
        return Err(Error::invalid(
            "thresholds",
            format!("{:?} {} is given twice", w[0].kind, w[0].value),
        ));
    }
    Ok(ts)
}

/// A connection's period so far, as thresholds read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reading {
    pub data_bytes: i64,
    /// `None`: unlimited (a percentage threshold is never reached).
    pub data_allowance_bytes: Option<i64>,
    pub spend_pence: i64,
}

/// Whether `reading` has reached `t`.
pub fn reached(t: &Threshold, reading: &Reading) -> bool {
    match t.kind {
        Measure::DataMb => reading.data_bytes >= t.value * 1024 * 1024,
        Measure::DataPercent => match reading.data_allowance_bytes {
            Some(a) if a > 0 => reading.data_bytes * 100 >= t.value * a,
            _ => false,
        },
        Measure::SpendPence => reading.spend_pence >= t.value,
    }
}

/// The thresholds reached going from `before` to `after`: each once, when
/// it is first reached, however many records it took.
pub fn newly_reached(ts: &[Threshold], before: &Reading, after: &Reading) -> Vec<Threshold> {
    ts.iter()
        .filter(|t| !reached(t, before) && reached(t, after))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: i64 = 1024 * 1024;

    fn t(kind: Measure, value: i64, action: Action) -> Threshold {
        Threshold {
            kind,
            value,
            action,
        }
    }

    #[test]
    fn thresholds_are_checked_and_ordered() {
        let ok = check_thresholds(vec![
            t(Measure::SpendPence, 500, Action::Bar),
            t(Measure::DataMb, 1000, Action::Notify),
            t(Measure::DataPercent, 80, Action::Notify),
        ])
        .unwrap();
        assert_eq!(ok[0].kind, Measure::DataMb);
        assert_eq!(ok[2].kind, Measure::SpendPence);
        let err = |ts| check_thresholds(ts).unwrap_err().to_string();
        assert!(err(vec![t(Measure::DataMb, 0, Action::Bar)]).starts_with("thresholds[0].value"));
        assert!(err(vec![t(Measure::DataPercent, 1001, Action::Bar)]).contains("at most 1000"));
        assert!(err(vec![
            t(Measure::DataMb, 5, Action::Bar),
            t(Measure::DataMb, 5, Action::Notify)
        ])
        .contains("given twice"));
        assert!(err(vec![t(Measure::DataMb, 5, Action::Bar); 11]).contains("at most 10"));
        assert_eq!(check_thresholds(vec![]), Ok(vec![]));
    }

    #[test]
    fn a_threshold_is_reached_once() {
        let ts = [
            t(Measure::DataMb, 100, Action::Notify),
            t(Measure::DataPercent, 80, Action::Bar),
            t(Measure::SpendPence, 500, Action::Notify),
        ];
        let at = |mb: i64, pence: i64| Reading {
            data_bytes: mb * MB,
            data_allowance_bytes: Some(1000 * MB),
            spend_pence: pence,
        };
        assert_eq!(newly_reached(&ts, &at(0, 0), &at(99, 499)), vec![]);
        assert_eq!(newly_reached(&ts, &at(99, 0), &at(100, 0)), vec![ts[0]]);
        assert_eq!(
            newly_reached(&ts, &at(100, 0), &at(900, 0)),
            vec![ts[1]],
            "already past 100 MB"
        );
        assert_eq!(
            newly_reached(&ts, &at(0, 0), &at(2000, 600)).len(),
            3,
            "one import past all three"
        );
        let unlimited = Reading {
            data_allowance_bytes: None,
            ..at(5000, 0)
        };
        assert!(!reached(&ts[1], &unlimited), "no percentage of unlimited");
        assert_eq!(Measure::parse("k", "DATAMB"), Ok(Measure::DataMb));
        assert!(Action::parse("a", "shout").is_err());
    }
}
