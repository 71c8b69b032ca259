//! Usage records as networks deliver them: CSV rows (a file, or a feed's
//! CSV body) and JSON objects (a feed's JSON body), read into checked
//! [`UsageRecord`]s. One row's fault is that row's: it never stops the
//! others.
//!
//! CSV: a header row naming the columns, in any order:
//!
//! | column | required | what |
//! | --- | --- | --- |
//! | `network` | unless given for the whole file | `Vodafone`, `O2` or `EE` |
//! | `record_id` | yes | the network's id for the record, unique per network |
//! | `cli` | yes | the connection's number: `07…`, `447…` or `+447…` |
//! | `kind` | yes | `Voice` (seconds), `SMS`, `MMS` (messages) or `Data` (bytes) |
//! | `direction` | no | `Outgoing` (the default) or `Incoming` |
//! | `destination` | yes | `UK`, `INTERNATIONAL-1`…`3`, `PREMIUM`, `ROAMING-1`…`3` |
//! | `event_time` | yes | RFC 3339 (`2026-11-28T09:15:00Z`), or `YYYY-MM-DD HH:MM:SS` in UTC |
//! | `quantity` | yes | a whole number in the kind's unit |
//!
//! JSON: the same fields in camelCase (`recordId`, `eventTime`), quantity a
//! number.

use chrono::{DateTime, NaiveDateTime, Utc};
use domain::usage::{Destination, Direction, UsageKind, UsageRecord};
use domain::{Cli, Error, Network};

/// Where each column is in a file's rows.
#[derive(Debug, Clone)]
pub struct Columns {
    network: Option<usize>,
    default_network: Option<Network>,
    record_id: usize,
    cli: usize,
    kind: usize,
    direction: Option<usize>,
    destination: usize,
    event_time: usize,
    quantity: usize,
    width: usize,
}

impl Columns {
    /// Reads the header row. Refused when a required column is missing, or
    /// when neither a `network` column nor a network for the whole file is
    /// given.
    pub fn from_header(
        header: &csv::StringRecord,
        default_network: Option<Network>,
    ) -> Result<Columns, String> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        let find = |name: &str| names.iter().position(|n| n == name);
        let mut missing = Vec::new();
        let mut need = |name: &'static str| {
            let at = find(name);
            if at.is_none() {
                missing.push(name);
            }
            at.unwrap_or(0)
        };
        let (record_id, cli, kind, destination, event_time, quantity) = (
            need("record_id"),
            need("cli"),
            need("kind"),
            need("destination"),
            need("event_time"),
            need("quantity"),
        );
        let network = find("network");
        if network.is_none() && default_network.is_none() {
            missing.push("network (or --network for the whole file)");
        }
        if !missing.is_empty() {
            return Err(format!(
                "the header lacks the column{} {}; it has: {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                names.join(", ")
            ));
        }
        Ok(Columns {
            network,
            default_network,
            record_id,
            cli,
            kind,
            direction: find("direction"),
            destination,
            event_time,
            quantity,
            width: names.len(),
        })
    }

    /// One row as a record, or why it is not one.
    pub fn record(
        &self,
        row: &csv::StringRecord,
        now: DateTime<Utc>,
    ) -> Result<UsageRecord, Error> {
        if row.len() != self.width {
            return Err(Error::invalid(
                "row",
                format!("has {} fields where the header has {}", row.len(), self.width),
            ));
        }
        let at = |i: usize| row.get(i).unwrap_or("").trim();
        let network = match self.network.map(at).filter(|n| !n.is_empty()) {
            Some(n) => n.parse::<Network>().map_err(|_| {
                Error::invalid("network", format!("{n:?} is not one of Vodafone, O2 or EE"))
            })?,
            None => self.default_network.ok_or_else(|| Error::missing("network"))?,
        };
        let record = UsageRecord {
            network,
            record_id: at(self.record_id).to_owned(),
            cli: Cli::parse_field(at(self.cli), "cli")?.as_str().to_owned(),
            kind: UsageKind::parse("kind", at(self.kind))?,
            direction: Direction::parse("direction", self.direction.map(at).unwrap_or(""))?,
            destination: Destination::parse("destination", at(self.destination))?,
            event_at: event_time(at(self.event_time))?,
            quantity: quantity(at(self.quantity))?,
        };
        domain::usage::check_record(&record, now)?;
        Ok(record)
    }
}

/// A record from a feed's JSON object.
pub fn from_json(v: &serde_json::Value, now: DateTime<Utc>) -> Result<UsageRecord, Error> {
    let obj = v.as_object().ok_or_else(|| Error::invalid("record", "must be a JSON object"))?;
    let text = |name: &str| -> Result<String, Error> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(serde_json::Value::Number(n)) if name == "quantity" => Ok(n.to_string()),
            Some(_) => Err(Error::invalid(name, "must be text (a JSON string)")),
        }
    };
    for key in obj.keys() {
        if ![
            "network",
            "recordId",
            "cli",
            "kind",
            "direction",
            "destination",
            "eventTime",
            "quantity",
        ]
        .contains(&key.as_str())
        {
            return Err(Error::invalid(
                key.as_str(),
                "is not a field of a usage record; the fields are network, recordId, cli, kind, direction, destination, eventTime and quantity",
            ));
        }
    }
    let required = |name: &str| -> Result<String, Error> {
        let t = text(name)?;
        if t.trim().is_empty() {
            return Err(Error::missing(name));
        }
        Ok(t)
    };
    let network = required("network")?;
    let record = UsageRecord {
        network: network.parse::<Network>().map_err(|_| {
            Error::invalid("network", format!("{network:?} is not one of Vodafone, O2 or EE"))
        })?,
        record_id: required("recordId")?.trim().to_owned(),
        cli: Cli::parse_field(&required("cli")?, "cli")?.as_str().to_owned(),
        kind: UsageKind::parse("kind", &required("kind")?)?,
        direction: Direction::parse("direction", &text("direction")?)?,
        destination: Destination::parse("destination", &required("destination")?)?,
        event_at: event_time(&required("eventTime")?)?,
        quantity: match obj.get("quantity") {
            Some(serde_json::Value::Number(n)) => {
                n.as_i64().ok_or_else(|| Error::invalid("quantity", "must be a whole number"))?
            }
            _ => quantity(&required("quantity")?)?,
        },
    };
    domain::usage::check_record(&record, now)?;
    Ok(record)
}

fn event_time(text: &str) -> Result<DateTime<Utc>, Error> {
    if text.is_empty() {
        return Err(Error::missing("eventTime"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").map(|t| t.and_utc()))
        .map_err(|_| {
            Error::invalid(
                "eventTime",
                format!("{text:?} is not a time: RFC 3339 (2026-11-28T09:15:00Z) or YYYY-MM-DD HH:MM:SS in UTC"),
            )
        })
}

fn quantity(text: &str) -> Result<i64, Error> {
    if text.is_empty() {
        return Err(Error::missing("quantity"));
    }
    text.parse::<i64>()
        .map_err(|_| Error::invalid("quantity", format!("{text:?} is not a whole number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2030-01-16T10:00:00Z".parse().unwrap()
    }

    fn columns(header: &str, network: Option<Network>) -> Result<Columns, String> {
        Columns::from_header(
            &csv::StringRecord::from(header.split(',').collect::<Vec<_>>()),
            network,
        )
    }

    fn row(text: &str) -> csv::StringRecord {
        csv::StringRecord::from(text.split(',').collect::<Vec<_>>())
    }

    #[test]
    fn rows_by_their_header() {
        let c = columns("quantity,event_time,destination,kind,cli,record_id", Some(Network::O2))
            .unwrap();
        let r = c
            .record(&row("2048,2030-01-15T08:00:00Z,ROAMING-1,data,+447700900123,o2-77"), now())
            .unwrap();
        assert_eq!(r.network, Network::O2);
        assert_eq!(r.cli, "07700900123");
        assert_eq!(
            (r.kind, r.direction, r.destination),
            (UsageKind::Data, Direction::Outgoing, Destination::Roaming(1))
        );
        assert_eq!(r.quantity, 2048);
        let bad = |text: &str| c.record(&row(text), now()).unwrap_err().to_string();
        assert!(bad("x,2030-01-15T08:00:00Z,UK,data,07700900123,o2-1").starts_with("quantity"));
        assert!(bad("1,yesterday,UK,data,07700900123,o2-1").starts_with("eventTime"));
        assert!(bad("1,2030-01-15 08:00:00,UK,data,0770090012,o2-1").starts_with("cli"));
        assert!(bad("1,2030-01-15 08:00:00,UK,data,07700900123")
            .contains("has 5 fields where the header has 6"));
        assert!(bad("-3,2030-01-15 08:00:00,UK,data,07700900123,o2-1").contains("0 or more"));
    }

    #[test]
    fn a_header_missing_columns_is_refused_by_name() {
        let e = columns("record_id,cli,kind", None).unwrap_err();
        assert!(e.contains("destination, event_time, quantity, network"), "{e}");
        assert!(columns("network,record_id,cli,kind,destination,event_time,quantity", None).is_ok());
    }

    #[test]
    fn json_records() {
        let good = serde_json::json!({"network": "Vodafone", "recordId": "vf-1", "cli": "07700900123", "kind": "Voice",
            "direction": "Incoming", "destination": "UK", "eventTime": "2030-01-15T08:00:00Z", "quantity": 61});
        let r = from_json(&good, now()).unwrap();
        assert_eq!((r.kind, r.direction, r.quantity), (UsageKind::Voice, Direction::Incoming, 61));
        let mut odd = good.clone();
        odd["colour"] = "red".into();
        assert!(from_json(&odd, now()).unwrap_err().to_string().starts_with("colour"));
        let mut no_id = good.clone();
        no_id["recordId"] = serde_json::Value::Null;
        assert_eq!(from_json(&no_id, now()).unwrap_err().to_string(), "recordId: is required");
        let mut half = good;
        half["quantity"] = serde_json::json!(1.5);
        assert!(from_json(&half, now()).unwrap_err().to_string().starts_with("quantity"));
    }
}
