//! The mobile networks a reseller sells on, and what each one offers.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A UK mobile network (host MNO) that connections are provisioned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Network {
    Vodafone,
    O2,
    EE,
}

impl Network {
    pub const ALL: [Network; 3] = [Network::Vodafone, Network::O2, Network::EE];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Vodafone => "Vodafone",
            Network::O2 => "O2",
            Network::EE => "EE",
        }
    }

    /// Appendix id of the network.
    pub fn id(self) -> i64 {
        match self {
            Network::Vodafone => 1,
            Network::O2 => 2,
            Network::EE => 3,
        }
    }

    /// The ICCID issuer prefix of the network's SIMs (`89` telecom, `44` UK,
    /// then the issuer): a SIM belongs to a network when its ICCID starts so.
    pub fn iccid_prefix(self) -> &'static str {
        match self {
            Network::Vodafone => "894410",
            Network::O2 => "894411",
            Network::EE => "894412",
        }
    }

    /// Whether the network hands resellers new numbers from a pool
    /// (Vodafone and O2 do; EE numbers come with the SIM).
    pub fn offers_numbers(self) -> bool {
        matches!(self, Network::Vodafone | Network::O2)
    }

    /// Whether the network supports eSIM through the reseller channel.
    pub fn supports_esim(self) -> bool {
        matches!(self, Network::Vodafone)
    }

    /// Refuses a new number chosen from a pool on a network that gives
    /// its numbers with the SIM (EE), naming `field`.
    pub fn check_offers_numbers(self, field: &str) -> Result<(), Error> {
        if self.offers_numbers() {
            Ok(())
        } else {
            Err(Error::refused(
                field,
                format!("{self} does not offer new numbers; they come with the SIM on activation"),
            ))
        }
    }

    /// Refuses an eSIM on a network that does not offer them, naming
    /// `field` and the number.
    pub fn check_esim(self, field: &str, cli: &str) -> Result<(), Error> {
        if self.supports_esim() {
            Ok(())
        } else {
            Err(Error::invalid(
                field,
                format!("{cli} is on {self}; eSIM is available on Vodafone only"),
            ))
        }
    }

    /// Parses a network name, case-insensitively, naming `field` on failure.
    pub fn parse_field(text: &str, field: &str) -> Result<Network, Error> {
        text.parse().map_err(|_| {
            Error::invalid(field, format!("unknown network {text:?}; expected Vodafone, O2 or EE"))
        })
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vodafone" | "vf" => Ok(Network::Vodafone),
            "o2" => Ok(Network::O2),
            "ee" => Ok(Network::EE),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_case_insensitively() {
        assert_eq!("vodafone".parse(), Ok(Network::Vodafone));
        assert_eq!(" O2 ".parse(), Ok(Network::O2));
        assert_eq!("ee".parse(), Ok(Network::EE));
        assert_eq!("Three".parse::<Network>(), Err(()));
        let e = Network::parse_field("Three", "network").unwrap_err();
        assert!(matches!(e, Error::Invalid { ref field, .. } if field == "network"));
    }

    #[test]
    fn capabilities() {
        assert!(Network::Vodafone.offers_numbers() && Network::O2.offers_numbers());
        assert!(!Network::EE.offers_numbers());
        assert!(Network::Vodafone.supports_esim());
        assert!(!Network::O2.supports_esim() && !Network::EE.supports_esim());
        assert!(Network::Vodafone.check_esim("cli", "07700900001").is_ok());
        assert!(Network::O2.check_offers_numbers("network").is_ok());
        assert_eq!(
            Network::EE.check_offers_numbers("network").unwrap_err().field(),
            Some("network")
        );
        assert!(Network::EE
            .check_esim("cli", "07700900001")
            .unwrap_err()
            .to_string()
            .contains("Vodafone only"));
        let prefixes: std::collections::HashSet<_> =
            Network::ALL.iter().map(|n| n.iccid_prefix()).collect();
        assert_eq!(prefixes.len(), 3);
    }
}
