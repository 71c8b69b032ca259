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

/// What an alert is: a threshold reached, or one of the bill-limit
/// notices (the `alerts.kind` column allows exactly these).
pub const ALERT_KINDS: [&str; 3] = ["threshold", "billCapNear", "billCapReached"];

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
    pub const ALL: [Action; 2] = [Action::Notify, Action::Bar];

    pub fn parse(field: &str, text: &str) -> Result<Action> {
        match text.trim().to_ascii_lowercase().as_str() {
            "notify" => Ok(Action::Notify),
            "bar" => Ok(Action::Bar),
            _ => Err(Error::invalid(field, format!("{text:?} is not one of notify or bar"))),
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
            return Err(Error::invalid(field, "a percentage of the allowance is at most 1000"));
        }
    }
    ts.sort_by_key(|t| (t.kind as u8, t.value));
    if let Some(w) = ts.windows(2).find(|w| (w[0].kind, w[0].value) == (w[1].kind, w[1].value)) {
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
        Measure::DataMb => reading.data_bytes >= t.value * crate::usage::MB,
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
    ts.iter().filter(|t| !reached(t, before) && reached(t, after)).copied().collect()
}

/// An alert a period's reading calls for: a threshold reached, or a
/// bill-limit notice. The store keeps each once per period, so a reading
/// that calls for it again raises nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raise {
    /// `threshold`, `billCapNear` or `billCapReached`.
    pub kind: &'static str,
    pub measure: Measure,
    pub value: i64,
    pub action: Action,
    /// What the reading was, in the measure's unit (bytes for data).
    pub reading: i64,
}

/// What a connection's period so far calls for: the alerts, and the
/// reasons chargeable use must be barred (none: no bar).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub raises: Vec<Raise>,
    pub bar_reasons: Vec<BarReason>,
}

/// Why chargeable use is barred. Stored and shown as its words
/// ("dataMb 500 reached", "bill cap 1000 pence reached"), read back from
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum BarReason {
    /// A Bar threshold was reached.
    Threshold { measure: Measure, value: i64 },
    /// The bill cap was reached without the customer's consent to go on.
    BillCap { cap_pence: i64 },
    /// Words this version does not read (kept as they are, never a bill cap).
    Other(String),
}

impl BarReason {
    /// Whether the bill cap is the reason (the bill-limit record logs it).
    pub fn is_bill_cap(&self) -> bool {
        matches!(self, BarReason::BillCap { .. })
    }
}

impl std::fmt::Display for BarReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BarReason::Threshold { measure, value } => {
                write!(f, "{} {value} reached", measure.as_str())
            }
            BarReason::BillCap { cap_pence } => write!(f, "bill cap {cap_pence} pence reached"),
            BarReason::Other(words) => f.write_str(words),
        }
    }
}

impl From<BarReason> for String {
    fn from(r: BarReason) -> String {
        r.to_string()
    }
}

impl From<String> for BarReason {
    fn from(words: String) -> BarReason {
        let read = || {
            let rest = words.strip_suffix(" reached")?;
            if let Some(cap) = rest.strip_prefix("bill cap ") {
                let cap_pence = cap.strip_suffix(" pence")?.parse().ok()?;
                return Some(BarReason::BillCap { cap_pence });
            }
            let (measure, value) = rest.split_once(' ')?;
            Some(BarReason::Threshold {
                measure: Measure::parse("kind", measure).ok()?,
                value: value.parse().ok()?,
            })
        };
        read().unwrap_or(BarReason::Other(words))
    }
}

/// Reads a connection's period against its thresholds and bill cap
/// (`consented`: the customer agreed, after a notice, to go beyond it).
pub fn verdict(
    thresholds: &[Threshold],
    cap: Option<i64>,
    consented: bool,
    reading: &Reading,
) -> Verdict {
    let mut v = Verdict::default();
    for t in thresholds.iter().filter(|t| reached(t, reading)) {
        v.raises.push(Raise {
            kind: "threshold",
            measure: t.kind,
            value: t.value,
            action: t.action,
            reading: match t.kind {
                Measure::SpendPence => reading.spend_pence,
                _ => reading.data_bytes,
            },
        });
        if t.action == Action::Bar {
            v.bar_reasons.push(BarReason::Threshold { measure: t.kind, value: t.value });
        }
    }
    if let Some(cap) = cap {
        let bars = crate::bill_limit::must_bar(Some(cap), reading.spend_pence, consented);
        for notice in crate::bill_limit::notices_due(Some(cap), reading.spend_pence) {
            v.raises.push(Raise {
                kind: notice.as_str(),
                measure: Measure::SpendPence,
                value: cap,
                action: if notice == crate::bill_limit::Notice::Reached && bars {
                    Action::Bar
                } else {
                    Action::Notify
                },
                reading: reading.spend_pence,
            });
        }
        if bars {
            v.bar_reasons.push(BarReason::BillCap { cap_pence: cap });
        }
    }
    v
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::DataMb => "dataMb",
            Measure::DataPercent => "dataPercent",
            Measure::SpendPence => "spendPence",
        }
    }
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Notify => "notify",
            Action::Bar => "bar",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::usage::MB;

    fn words(v: &Verdict) -> Vec<String> {
        v.bar_reasons.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn bar_reasons_read_back_from_their_words() {
        for r in [
            BarReason::Threshold { measure: Measure::DataMb, value: 500 },
            BarReason::Threshold { measure: Measure::SpendPence, value: 1 },
            BarReason::BillCap { cap_pence: 1000 },
            BarReason::Other("barred by hand".into()),
        ] {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<BarReason>(&json).unwrap(), r, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&BarReason::BillCap { cap_pence: 1000 }).unwrap(),
            r#""bill cap 1000 pence reached""#
        );
        let odd = BarReason::from("bill cap lots reached".to_owned());
        assert!(!odd.is_bill_cap(), "words it cannot read are not a bill cap");
        assert_eq!(odd.to_string(), "bill cap lots reached");
    }

    fn t(kind: Measure, value: i64, action: Action) -> Threshold {
        Threshold { kind, value, action }
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
        let unlimited = Reading { data_allowance_bytes: None, ..at(5000, 0) };
        assert!(!reached(&ts[1], &unlimited), "no percentage of unlimited");
        assert_eq!(Measure::parse("k", "DATAMB"), Ok(Measure::DataMb));
        assert!(Action::parse("a", "shout").is_err());
    }

    #[test]
    fn the_verdict_raises_alerts_and_says_why_to_bar() {
        let ts =
            [t(Measure::DataMb, 100, Action::Notify), t(Measure::SpendPence, 500, Action::Bar)];
        let r = |mb: i64, pence: i64| Reading {
            data_bytes: mb * MB,
            data_allowance_bytes: None,
            spend_pence: pence,
        };
        assert_eq!(verdict(&ts, None, false, &r(50, 100)), Verdict::default());
        let v = verdict(&ts, None, false, &r(150, 100));
        assert_eq!(v.raises.len(), 1);
        assert!(v.bar_reasons.is_empty(), "notify only");
        let v = verdict(&ts, None, false, &r(150, 600));
        assert_eq!(words(&v), vec!["spendPence 500 reached"]);
        // A cap of 1,000: the notice at 80%, then at the cap with a bar…
        let v = verdict(&[], Some(1000), false, &r(0, 800));
        assert_eq!(v.raises[0].kind, "billCapNear");
        assert!(v.bar_reasons.is_empty());
        let v = verdict(&[], Some(1000), false, &r(0, 1000));
        assert_eq!(v.raises.len(), 2);
        assert_eq!(v.raises[1].action, Action::Bar);
        assert_eq!(words(&v), vec!["bill cap 1000 pence reached"]);
        assert!(v.bar_reasons[0].is_bill_cap());
        // …unless the customer consented.
        let v = verdict(&[], Some(1000), true, &r(0, 1200));
        assert_eq!(v.raises[1].action, Action::Notify);
        assert!(v.bar_reasons.is_empty());
    }
}
