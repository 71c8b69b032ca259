//! Corporate agreements (the B2B face): Norwegian organisation numbers,
//! product offers' configuration characteristics and the checks of a
//! configuration against them, order types, and an order's life
//! (`RECEIVED → IN_PROGRESS → COMPLETED | FAILED`).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Checks a Norwegian organisation number (Enhetsregisteret): 9 digits,
/// the last a modulus-11 check digit over the first eight with the
/// weights 3, 2, 7, 6, 5, 4, 3, 2 (a remainder giving 10 is never issued).
pub fn check_organization_number(field: &str, text: &str) -> Result<String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            format!("{text:?} is not an organisation number: 9 digits"),
        ));
    }
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = [3, 2, 7, 6, 5, 4, 3, 2].iter().zip(&d).map(|(w, x)| w * x).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => {
            return Err(Error::invalid(
                field,
                format!("{digits} is not an organisation number: no number has that check digit"),
            ))
        }
        c => c,
    };
    if d[8] != check {
        return Err(Error::invalid(
            field,
            format!("{digits} is not an organisation number: its check digit is wrong"),
        ));
    }
    Ok(digits)
}

/// A Norwegian mobile number as the B2B face takes it: 8 digits starting 4
/// or 9, optionally after `+47`, `0047` or `47`. Answers the 8 digits.
pub fn check_norwegian_msisdn(field: &str, text: &str) -> Result<String> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let national = t
        .strip_prefix("+47")
        .or_else(|| t.strip_prefix("0047"))
        .or_else(|| (t.len() == 10).then(|| t.strip_prefix("47")).flatten())
        .unwrap_or(&t);
    let ok = national.len() == 8
        && national.bytes().all(|b| b.is_ascii_digit())
        && matches!(national.as_bytes()[0], b'4' | b'9');
    if !ok {
        return Err(Error::invalid(
            field,
            format!("{text:?} is not a Norwegian mobile number (8 digits starting 4 or 9, optionally +47)"),
        ));
    }
    Ok(national.to_owned())
}

/// What a configuration characteristic holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    String,
    Number,
    Email,
    Msisdn,
    Enum,
}

/// One configuration characteristic of a product offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Characteristic {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    pub required: bool,
    /// For `enum`: the values allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
    /// For `string`: a regular expression the whole value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// A configuration value as given, and as kept on a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    pub id: i64,
    pub value: String,
}

/// The field an error about configuration `id` names.
fn conf_field(id: i64) -> String {
    format!("configurations[id={id}]")
}

/// Checks one value against its characteristic; answers it normalised.
pub fn check_value(c: &Characteristic, value: &str) -> Result<String> {
    let field = conf_field(c.id);
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, format!("{} must not be empty", c.name)));
    }
    if v.chars().count() > 500 {
        return Err(Error::invalid(field, format!("{} is at most 500 characters", c.name)));
    }
    match c.value_type {
        ValueType::String => {
            if let Some(p) = &c.pattern {
                let re = regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                    Error::invalid(
                        field.clone(),
                        format!("the offer's pattern does not compile: {e}"),
                    )
                })?;
                if !re.is_match(v) {
                    return Err(Error::invalid(
                        field,
                        format!("{} {v:?} does not match the pattern {p}", c.name),
                    ));
                }
            }
            Ok(v.to_owned())
        }
        ValueType::Number => {
            v.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| {
                Error::invalid(field, format!("{} must be a number, not {v:?}", c.name))
            })?;
            Ok(v.to_owned())
        }
        ValueType::Email => {
            let (local, domain) = v.split_once('@').unwrap_or(("", ""));
            let ok = !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.contains(char::is_whitespace)
                && v.matches('@').count() == 1;
            if !ok {
                return Err(Error::invalid(
                    field,
                    format!("{} {v:?} is not an e-mail address", c.name),
                ));
            }
            Ok(v.to_owned())
        }
        ValueType::Msisdn => check_norwegian_msisdn(&field, v),
        ValueType::Enum => {
            if !c.allowed_values.iter().any(|a| a == v) {
                return Err(Error::invalid(
                    field,
                    format!("{} must be one of {}, not {v:?}", c.name, c.allowed_values.join(", ")),
                ));
            }
            Ok(v.to_owned())
        }
    }
}

/// Checks configurations against an offer's characteristics: each id
/// known and given once, each value of its type; when `complete` (a new
/// product), every required characteristic present (its default taken
/// when it has one). Answers the configurations to keep, in the offer's
/// order.
pub fn check_configurations(
    offer: &[Characteristic],
    given: &[Configuration],
    complete: bool,
) -> Result<Vec<Configuration>> {
    let mut out = Vec::new();
    for (i, g) in given.iter().enumerate() {
        if given[..i].iter().any(|x| x.id == g.id) {
            return Err(Error::invalid(conf_field(g.id), "is given twice"));
        }
        if !offer.iter().any(|c| c.id == g.id) {
            return Err(Error::invalid(
                conf_field(g.id),
                format!(
                    "is not a configuration of this offer (its ids: {})",
                    offer.iter().map(|c| c.id.to_string()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    for c in offer {
        match given.iter().find(|g| g.id == c.id) {
            Some(g) => out.push(Configuration { id: c.id, value: check_value(c, &g.value)? }),
            None if complete && c.required => match &c.default {
                Some(d) => out.push(Configuration { id: c.id, value: d.clone() }),
                None => {
                    return Err(Error::invalid(conf_field(c.id), format!("{} is required", c.name)))
                }
            },
            None => {}
        }
    }
    Ok(out)
}

/// A product's configurations after an update: the given ones replace
/// theirs, the rest stay.
pub fn updated(current: &[Configuration], changes: &[Configuration]) -> Vec<Configuration> {
    let mut out = current.to_vec();
    for ch in changes {
        match out.iter_mut().find(|c| c.id == ch.id) {
            Some(c) => c.value = ch.value.clone(),
            None => out.push(ch.clone()),
        }
    }
    out
}

/// What an order does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    UpdateProduct,
    AddProduct,
    RemoveProduct,
}

impl OrderType {
    pub const ALL: [OrderType; 3] =
        [OrderType::UpdateProduct, OrderType::AddProduct, OrderType::RemoveProduct];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::UpdateProduct => "UPDATE_PRODUCT",
            OrderType::AddProduct => "ADD_PRODUCT",
            OrderType::RemoveProduct => "REMOVE_PRODUCT",
        }
    }

    pub fn parse(text: &str) -> Result<OrderType> {
        OrderType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                Error::invalid(
                    "type",
                    format!("{text:?} is not one of UPDATE_PRODUCT, ADD_PRODUCT or REMOVE_PRODUCT"),
                )
            })
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Received,
    InProgress,
    Completed,
    Failed,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] = [
        OrderStatus::Received,
        OrderStatus::InProgress,
        OrderStatus::Completed,
        OrderStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Received => "RECEIVED",
            OrderStatus::InProgress => "IN_PROGRESS",
            OrderStatus::Completed => "COMPLETED",
            OrderStatus::Failed => "FAILED",
        }
    }

    /// Whether the order has ended (nothing moves it again).
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Failed)
    }

    /// Whether an order may move from `self` to `to`.
    pub fn may_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Received, InProgress)
                | (Received, Failed)
                | (InProgress, Completed)
                | (InProgress, Failed)
        )
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OrderStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        OrderStatus::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            Error::invalid("status", format!("{s:?} is not an agreement order status"))
        })
    }
}

impl TryFrom<String> for OrderStatus {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

/// The order id as the face shows it: 12 digits.
pub fn order_number(id: i64) -> String {
    format!("{:012}", 10_780_000_000 + id)
}

/// The row id of an order number, if it is one.
pub fn order_id(number: &str) -> Option<i64> {
    let n: i64 = number.trim().parse().ok()?;
    (number.trim().len() == 12 && n > 10_780_000_000).then_some(n - 10_780_000_000)
}

/// Checks that an agreement takes orders on `today`: active, and within
/// its validity. The error names `agreementId` (the face's 400001).
pub fn check_agreement_open(
    status: &str,
    valid_from: chrono::NaiveDate,
    valid_to: Option<chrono::NaiveDate>,
    today: chrono::NaiveDate,
) -> Result<()> {
    if status != "ACTIVE" {
        return Err(Error::invalid(
            "agreementId",
            format!("the agreement is {status}: it takes no orders"),
        ));
    }
    if today < valid_from || valid_to.is_some_and(|to| today > to) {
        return Err(Error::invalid(
            "agreementId",
            format!(
                "the agreement is valid from {valid_from}{}: not today",
                valid_to.map(|t| format!(" to {t}")).unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn organisation_numbers_carry_a_mod_11_check_digit() {
        // Brønnøysundregistrene's own number, and Equinor's.
        assert_eq!(check_organization_number("o", "974 760 673"), Ok("974760673".into()));
        assert_eq!(check_organization_number("o", "923609016"), Ok("923609016".into()));
        assert!(check_organization_number("o", "974760674")
            .unwrap_err()
            .to_string()
            .contains("check digit"));
        assert!(check_organization_number("o", "97476067").is_err());
        assert!(check_organization_number("o", "97476067x").is_err());
    }

    #[test]
    fn norwegian_mobile_numbers() {
        assert_eq!(check_norwegian_msisdn("m", "+47 912 34 567"), Ok("91234567".into()));
        assert_eq!(check_norwegian_msisdn("m", "004741234567"), Ok("41234567".into()));
        assert_eq!(check_norwegian_msisdn("m", "4791234567"), Ok("91234567".into()));
        assert!(check_norwegian_msisdn("m", "21234567").is_err(), "a landline");
        assert!(check_norwegian_msisdn("m", "9123456").is_err());
    }

    fn offer() -> Vec<Characteristic> {
        vec![
            Characteristic {
                id: 6420,
                name: "E-mail".into(),
                value_type: ValueType::Email,
                required: true,
                allowed_values: vec![],
                pattern: None,
                default: None,
            },
            Characteristic {
                id: 6140,
                name: "Invoice account".into(),
                value_type: ValueType::String,
                required: true,
                allowed_values: vec![],
                pattern: Some("[0-9]{8}".into()),
                default: Some("10000000".into()),
            },
            Characteristic {
                id: 7001,
                name: "Size".into(),
                value_type: ValueType::Enum,
                required: false,
                allowed_values: vec!["5GB".into(), "10GB".into()],
                pattern: None,
                default: None,
            },
            Characteristic {
                id: 7002,
                name: "Number".into(),
                value_type: ValueType::Msisdn,
                required: false,
                allowed_values: vec![],
                pattern: None,
                default: None,
            },
        ]
    }

    fn conf(id: i64, value: &str) -> Configuration {
        Configuration { id, value: value.into() }
    }

    #[test]
    fn configurations_are_checked_against_the_offer() {
        let o = offer();
        let ok = check_configurations(&o, &[conf(6420, "a@b.no"), conf(7002, "+4791234567")], true)
            .unwrap();
        assert_eq!(ok, vec![conf(6420, "a@b.no"), conf(6140, "10000000"), conf(7002, "91234567")]);
        let err = |given: &[Configuration], complete| {
            check_configurations(&o, given, complete).unwrap_err().to_string()
        };
        assert!(err(&[conf(6140, "1")], true).starts_with("configurations[id=6420]"), "required");
        assert!(err(&[conf(6420, "a@b.no"), conf(6140, "1234")], true).contains("pattern"));
        assert!(err(&[conf(6420, "not mail")], false).contains("e-mail"));
        assert!(err(&[conf(7001, "7GB")], false).contains("one of 5GB, 10GB"));
        assert!(err(&[conf(7002, "12345678")], false).starts_with("configurations[id=7002]"));
        assert!(err(&[conf(9999, "x")], false).contains("not a configuration"));
        assert!(err(&[conf(7001, "5GB"), conf(7001, "5GB")], false).contains("twice"));
        // An update need not repeat what is required.
        assert_eq!(
            check_configurations(&o, &[conf(7001, "10GB")], false).unwrap(),
            vec![conf(7001, "10GB")]
        );
        let number = Characteristic { value_type: ValueType::Number, ..o[0].clone() };
        assert!(check_value(&number, "12.5").is_ok());
        assert!(check_value(&number, "twelve").is_err());
        assert_eq!(
            updated(&[conf(1, "a"), conf(2, "b")], &[conf(2, "c")]),
            vec![conf(1, "a"), conf(2, "c")]
        );
    }

    #[test]
    fn orders_move_forward_only() {
        use OrderStatus::*;
        assert!(Received.may_become(InProgress));
        assert!(InProgress.may_become(Completed));
        assert!(InProgress.may_become(Failed));
        assert!(!Completed.may_become(Failed));
        assert!(!Failed.may_become(InProgress));
        assert!(Completed.is_final() && Failed.is_final());
        assert!(!Received.is_final() && !InProgress.is_final());
        assert_eq!(OrderType::parse("add_product"), Ok(OrderType::AddProduct));
        assert!(OrderType::parse("BUY").is_err());
        assert_eq!(order_number(1), "010780000001");
        assert_eq!(order_id("010780000001"), Some(1));
        assert_eq!(order_id("1"), None);
    }

    #[test]
    fn an_agreement_takes_orders_when_active_and_valid() {
        let d = |m, day| NaiveDate::from_ymd_opt(2030, m, day).unwrap();
        assert!(check_agreement_open("ACTIVE", d(1, 1), None, d(6, 1)).is_ok());
        assert!(check_agreement_open("ACTIVE", d(1, 1), Some(d(3, 1)), d(6, 1)).is_err());
        assert!(check_agreement_open("ACTIVE", d(7, 1), None, d(6, 1)).is_err());
        let e = check_agreement_open("TERMINATED", d(1, 1), None, d(6, 1)).unwrap_err();
        assert_eq!(e.field(), Some("agreementId"));
    }
}
