//! A reseller's business customer and the checks on its fields.

use crate::number::parse_uk_phone;
use crate::Error;

/// A customer as the API's CreateCustomer call describes it, before checks.
#[derive(Debug, Clone, Default)]
pub struct CustomerInput {
    pub company_name: String,
    pub co_reg_number: Option<String>,
    /// A Norwegian organisation number (the corporate agreements face
    /// shows it as an agreement's owner).
    pub organization_number: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub address_lines: Vec<String>,
    pub town: String,
    pub postcode: String,
    pub billing_email: Option<String>,
}

/// A customer whose fields have all been checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomer {
    pub company_name: String,
    pub co_reg_number: Option<String>,
    pub organization_number: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub address_lines: Vec<String>,
    pub town: String,
    pub postcode: String,
    pub billing_email: String,
}

impl CustomerInput {
    /// Checks every field, answering the first problem with its JSON path.
    pub fn validate(self) -> Result<NewCustomer, Error> {
        let company_name = text_field(&self.company_name, "companyName", 2, 160)?;
        let co_reg_number = match self.co_reg_number.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) => Some(parse_company_number(n).map_err(|m| Error::invalid("coRegNumber", m))?),
        };
        let organization_number = match self.organization_number.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) => Some(crate::agreement::check_organization_number("organizationNumber", n)?),
        };
        let contact_name = text_field(&self.contact_name, "contact.name", 1, 120)?;
        let contact_email =
            parse_email(&self.contact_email).map_err(|m| Error::invalid("contact.email", m))?;
        let contact_phone = match self.contact_phone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => Some(parse_uk_phone(p).map_err(|m| Error::invalid("contact.phone", m))?),
        };
        if self.address_lines.is_empty() {
            return Err(Error::invalid("address.lines", "at least one address line is required"));
        }
        if self.address_lines.len() > 4 {
            return Err(Error::invalid("address.lines", "at most 4 address lines"));
        }
        let address_lines = self
            .address_lines
            .iter()
            .enumerate()
            .map(|(i, l)| text_field(l, &format!("address.lines[{i}]"), 1, 100))
            .collect::<Result<Vec<_>, _>>()?;
        let town = text_field(&self.town, "address.town", 1, 80)?;
        let postcode =
            parse_postcode(&self.postcode).map_err(|m| Error::invalid("address.postcode", m))?;
        let billing_email = match self.billing_email.as_deref().map(str::trim) {
            None | Some("") => contact_email.clone(),
            Some(e) => parse_email(e).map_err(|m| Error::invalid("billingEmail", m))?,
        };
        Ok(NewCustomer {
            company_name,
            co_reg_number,
            organization_number,
            contact_name,
            contact_email,
            contact_phone,
            address_lines,
            town,
            postcode,
            billing_email,
        })
    }
}

/// Trims a free-text field and checks its length (in characters) and that
/// it holds no control characters.
pub fn text_field(text: &str, field: &str, min: usize, max: usize) -> Result<String, Error> {
    let t = text.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(Error::missing(field));
    }
    if n < min {
        return Err(Error::invalid(field, format!("must be at least {min} characters")));
    }
    if n > max {
        return Err(Error::invalid(field, format!("must be at most {max} characters, got {n}")));
    }
    if t.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(t.to_owned())
}

/// Prefixes Companies House uses before six digits (Scotland, Northern
/// Ireland, LLPs, limited partnerships, overseas companies, charities, ...).
const COMPANY_PREFIXES: &[&str] = &[
    "SC", "NI", "OC", "SO", "NC", "LP", "SL", "NL", "R0", "IP", "SP", "IC", "SI", "NP", "NV", "RC",
    "SR", "NO", "FC", "SF", "NF", "GE", "CE", "CS", "PC", "RS", "SA", "SE", "SG", "SZ", "ZC", "NA",
    "NZ", "AC", "SR",
];

/// Checks a Companies House registration number: eight digits (England and
/// Wales; shorter numbers are zero-padded as Companies House displays them),
/// or a known two-character prefix and six digits. Answers it upper-cased.
pub fn parse_company_number(text: &str) -> Result<String, String> {
    let t = text.trim().to_ascii_uppercase();
    if !t.is_empty() && t.len() <= 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(format!("{t:0>8}"));
    }
    if t.len() == 8
        && t.is_ascii()
        && COMPANY_PREFIXES.contains(&&t[..2])
        && t[2..].bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(t);
    }
    Err(format!(
        "{:?} is not a Companies House number: expected 8 digits (e.g. 01234567) or a prefix such as SC, NI or OC and 6 digits",
        text.trim()
    ))
}

/// Checks an e-mail address the way a sender would before trying it: one
/// `@`, a local part, a dotted domain of letters, digits and hyphens, no
/// spaces, at most 254 characters. Answers it with the domain lower-cased.
pub fn parse_email(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("is required".into());
    }
    if t.len() > 254 {
        return Err("e-mail address is longer than 254 characters".into());
    }
    let bad = || format!("{t:?} is not an e-mail address");
    let (local, domain) = t.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return Err(bad());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(bad());
    }
    let local_ok =
        local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    if !local_ok {
        return Err(bad());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(format!("{t:?} is not an e-mail address: the domain needs a dot"));
    }
    for label in &labels {
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(bad());
        }
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// Checks a UK postcode and answers it in the Royal Mail form: upper case,
/// one space before the three-character inward code (`LS1 4AP`).
///
/// Outward codes: `A9`, `A99`, `A9A`, `AA9`, `AA99`, `AA9A`; inward `9AA`.
/// `GIR 0AA` (Girobank) is also valid.
pub fn parse_postcode(text: &str) -> Result<String, String> {
    let compact: String =
        text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if compact.is_empty() {
        return Err("is required".into());
    }
    let bad = || format!("{:?} is not a UK postcode (e.g. LS1 4AP)", text.trim());
    if compact == "GIR0AA" {
        return Ok("GIR 0AA".into());
    }
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return Err(bad());
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let i = inward.as_bytes();
    // The inward code's letters never include C, I, K, M, O or V.
    let inward_letter = |b: u8| b.is_ascii_uppercase() && !b"CIKMOV".contains(&b);
    if !(i[0].is_ascii_digit() && inward_letter(i[1]) && inward_letter(i[2])) {
        return Err(bad());
    }
    let shape: String = outward
        .bytes()
        .map(|b| {
            if b.is_ascii_digit() {
                '9'
            } else if b.is_ascii_uppercase() {
                'A'
            } else {
                '?'
            }
        })
        .collect();
    if !matches!(shape.as_str(), "A9" | "A99" | "A9A" | "AA9" | "AA99" | "AA9A") {
        return Err(bad());
    }
    // First position never Q, V or X; second (when a letter) never I, J or Z.
    let o = outward.as_bytes();
    if b"QVX".contains(&o[0]) || (o[1].is_ascii_uppercase() && b"IJZ".contains(&o[1])) {
        return Err(bad());
    }
    Ok(format!("{outward} {inward}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CustomerInput {
        CustomerInput {
            company_name: " Acme Widgets Ltd ".into(),
            co_reg_number: Some("1234567".into()),
            organization_number: Some("912 345 688".into()),
            contact_name: "Jane Smith".into(),
            contact_email: "jane@ACME.example".into(),
            contact_phone: Some("07700 900123".into()),
            address_lines: vec!["1 High Street".into()],
            town: "Leeds".into(),
            postcode: "ls14ap".into(),
            billing_email: None,
        }
    }

    #[test]
    fn normalises_a_good_customer() {
        let c = input().validate().unwrap();
        assert_eq!(c.organization_number.as_deref(), Some("912345688"));
        let bad = CustomerInput { organization_number: Some("912345687".into()), ..input() };
        assert!(bad.validate().unwrap_err().to_string().starts_with("organizationNumber"));
        assert_eq!(c.company_name, "Acme Widgets Ltd");
        assert_eq!(c.co_reg_number.as_deref(), Some("01234567"));
        assert_eq!(c.contact_email, "jane@acme.example");
        assert_eq!(
            c.billing_email, "jane@acme.example",
            "billing e-mail defaults to the contact's"
        );
        assert_eq!(c.contact_phone.as_deref(), Some("07700900123"));
        assert_eq!(c.postcode, "LS1 4AP");
    }

    fn field_of(r: Result<NewCustomer, Error>) -> String {
        match r {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    /// The field a CustomerInput is refused on: [`input`] changed by `change`.
    fn refusal(change: impl FnOnce(&mut CustomerInput)) -> String {
        let mut i = input();
        change(&mut i);
        field_of(i.validate())
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(refusal(|m| m.company_name = " ".into()), "companyName");
        assert_eq!(refusal(|m| m.company_name = "A\u{0}B".into()), "companyName");
        assert_eq!(refusal(|m| m.company_name = "x".repeat(161)), "companyName");
        assert_eq!(refusal(|m| m.co_reg_number = Some("XX123456".into())), "coRegNumber");
        assert_eq!(refusal(|m| m.contact_email = "jane".into()), "contact.email");
        assert_eq!(refusal(|m| m.contact_phone = Some("12".into())), "contact.phone");
        assert_eq!(refusal(|m| m.address_lines = vec![]), "address.lines");
        assert_eq!(refusal(|m| m.address_lines = vec!["a".into(), "".into()]), "address.lines[1]");
        assert_eq!(refusal(|m| m.town = "".into()), "address.town");
        assert_eq!(refusal(|m| m.postcode = "LS1".into()), "address.postcode");
        assert_eq!(refusal(|m| m.billing_email = Some("a@b".into())), "billingEmail");
    }

    #[test]
    fn company_numbers() {
        assert_eq!(parse_company_number("01234567").unwrap(), "01234567");
        assert_eq!(parse_company_number("sc123456").unwrap(), "SC123456");
        assert_eq!(parse_company_number("OC301234").unwrap(), "OC301234");
        assert_eq!(parse_company_number("NI012345").unwrap(), "NI012345");
        for bad in ["123456789", "AB123456", "SC12345", "SC1234567", "0123456A", "'; --"] {
            assert!(parse_company_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            parse_email("Jane.Smith+crm@Example.CO.UK").unwrap(),
            "Jane.Smith+crm@example.co.uk"
        );
        for bad in [
            "",
            "jane",
            "jane@",
            "@acme.example",
            "jane@acme",
            "ja ne@acme.example",
            "jane@@acme.example",
            "jane@acme..example",
            ".jane@acme.example",
            "jane@-acme.example",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn postcodes() {
        for (input, want) in [
            ("LS1 4AP", "LS1 4AP"),
            ("sw1a1aa", "SW1A 1AA"),
            ("M1 1AE", "M1 1AE"),
            ("B33 8TH", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("W1A 0AX", "W1A 0AX"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("gir 0aa", "GIR 0AA"),
        ] {
            assert_eq!(parse_postcode(input).unwrap(), want, "{input}");
        }
        for bad in [
            "",
            "LS1",
            "LS1 4A",
            "1LS 4AP",
            "LS1 AAP",
            "LS1 4CP",
            "QS1 4AP",
            "LZ1 4AP",
            "LS1-4AP",
            "LS123 4AP",
        ] {
            assert!(parse_postcode(bad).is_err(), "{bad}");
        }
    }
}
