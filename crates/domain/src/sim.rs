//! SIM and device identifiers: ICCID, IMEI and eUICC EID, with their
//! checksums.

use crate::{Error, Network};

/// The Luhn (mod 10) check used by ICCIDs and IMEIs: true when the last
/// digit is the check digit of the others.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The Luhn check digit to append to `payload`.
pub fn luhn_check_digit(payload: &str) -> char {
    for d in 0..10u8 {
        let candidate = format!("{payload}{d}");
        if luhn_valid(&candidate) {
            return char::from(b'0' + d);
        }
    }
    unreachable!("one of ten digits always completes a Luhn sum")
}

/// Checks an ICCID (ITU-T E.118): 19 or 20 digits, `89` (telecom) prefix,
/// Luhn check digit last. Answers the digits on success.
pub fn parse_iccid(text: &str) -> Result<String, String> {
    let t: String = text.trim().chars().filter(|c| *c != ' ').collect();
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{:?} is not an ICCID: digits only", text.trim()));
    }
    if !(19..=20).contains(&t.len()) {
        return Err(format!("ICCID must be 19 or 20 digits, got {}", t.len()));
    }
    if !t.starts_with("89") {
        return Err("ICCID must start with 89 (telecommunications)".into());
    }
    if !luhn_valid(&t) {
        return Err("ICCID check digit is wrong (Luhn)".into());
    }
    Ok(t)
}

/// Checks an ICCID and that it belongs to `network`, naming `field`.
pub fn parse_iccid_for(text: &str, network: Network, field: &str) -> Result<String, Error> {
    let iccid = parse_iccid(text).map_err(|m| Error::invalid(field, m))?;
    if !iccid.starts_with(network.iccid_prefix()) {
        return Err(Error::invalid(
            field,
            format!(
                "ICCID {iccid} is not a {network} SIM ({network} ICCIDs start {})",
                network.iccid_prefix()
            ),
        ));
    }
    Ok(iccid)
}

/// Builds a valid ICCID for `network` from a serial (demo data and tests).
pub fn make_iccid(network: Network, serial: u64) -> String {
    let payload = format!("{}{:012}", network.iccid_prefix(), serial % 1_000_000_000_000);
    let check = luhn_check_digit(&payload);
    format!("{payload}{check}")
}

/// Checks an IMEI: 15 digits with a Luhn check digit.
pub fn parse_imei(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.len() != 15 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err("IMEI must be 15 digits".into());
    }
    if !luhn_valid(t) {
        return Err("IMEI check digit is wrong (Luhn)".into());
    }
    Ok(t.to_owned())
}

/// Checks an eUICC identifier (EID, GSMA SGP.02): 32 digits whose value
/// mod 97 is 1 (the ISO 7064 check used by IBANs).
pub fn parse_eid(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.len() != 32 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err("EID must be 32 digits".into());
    }
    if mod97(t) != 1 {
        return Err("EID check digits are wrong (mod 97)".into());
    }
    Ok(t.to_owned())
}

/// Builds a valid EID from its first 30 digits (demo data and tests).
pub fn make_eid(first30: &str) -> String {
    assert_eq!(first30.len(), 30);
    let check = 98 - mod97(&format!("{first30}00"));
    format!("{first30}{check:02}")
}

fn mod97(digits: &str) -> u32 {
    digits.bytes().fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("7992739871a"));
        assert_eq!(luhn_check_digit("7992739871"), '3');
    }

    #[test]
    fn iccids() {
        let good = make_iccid(Network::Vodafone, 17);
        assert_eq!(good.len(), 19);
        assert_eq!(parse_iccid(&good).unwrap(), good);
        assert!(parse_iccid_for(&good, Network::Vodafone, "iccid").is_ok());
        let wrong_net = parse_iccid_for(&good, Network::O2, "iccid").unwrap_err();
        assert!(wrong_net.to_string().contains("not a O2 SIM"));
        // A 20-digit ICCID is allowed.
        let long = format!("{}{}", "8944110000000000001", "");
        let long20 = format!("{long}{}", luhn_check_digit(&long));
        assert!(parse_iccid(&long20).is_ok());
        // Wrong check digit, wrong prefix, wrong length, letters.
        let mut bad = good.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == '0' { '1' } else { '0' });
        assert!(parse_iccid(&bad).unwrap_err().contains("Luhn"));
        let p = "7944100000000000001";
        assert!(parse_iccid(&format!("{p}{}", luhn_check_digit(p))).unwrap_err().contains("89"));
        assert!(parse_iccid("89441").unwrap_err().contains("19 or 20"));
        assert!(parse_iccid("89441000000000000x1").is_err());
    }

    #[test]
    fn imeis() {
        assert!(parse_imei("490154203237518").is_ok());
        assert!(parse_imei("490154203237517").is_err());
        assert!(parse_imei("49015420323751").is_err());
    }

    #[test]
    fn eids() {
        let eid = make_eid("890490320000000000000000000012");
        assert_eq!(eid.len(), 32);
        assert!(parse_eid(&eid).is_ok());
        assert!(parse_eid("89049032000000000000000000001200").is_err() || eid.ends_with("00"));
        let mut bad = eid.clone();
        bad.replace_range(5..6, if &eid[5..6] == "9" { "8" } else { "9" });
        assert!(parse_eid(&bad).unwrap_err().contains("mod 97"));
        assert!(parse_eid("1234").is_err());
    }
}
