//! Passwords kept encrypted at rest for CHAP and MS-CHAP, which need the
//! cleartext on the RADIUS server: AES-256-GCM with a key from
//! configuration (never from the database it protects), a random 96-bit
//! nonce per password, stored as base64 of nonce ‖ ciphertext ‖ tag.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;

/// Seals and opens passwords with one key.
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key redacted>)")
    }
}

impl Sealer {
    /// A sealer from 64 hex digits (32 bytes).
    pub fn from_hex(key: &str) -> Result<Sealer, String> {
        let bytes = hex::decode(key.trim())
            .map_err(|_| "the password key must be 64 hex digits".to_owned())?;
        if bytes.len() != 32 {
            return Err(format!(
                "the password key must be 32 bytes (64 hex digits), not {}",
                bytes.len()
            ));
        }
        Ok(Sealer { cipher: Aes256Gcm::new_from_slice(&bytes).expect("32-byte key") })
    }

    pub fn seal(&self, password: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(&nonce, password.as_bytes())
                .expect("AES-GCM encryption of a short password cannot fail"),
        );
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    /// The password, or `None` when the text was not sealed with this key.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::STANDARD.decode(sealed).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(plain).ok()
    }
}

/// Whether two secrets are equal, in time that depends only on their
/// lengths.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"pw", b"pw"));
        assert!(!same_secret(b"pw", b"pW") && !same_secret(b"pw", b"pw "));
    }

    #[test]
    fn seals_and_opens() {
        let s = Sealer::from_hex(KEY).unwrap();
        let a = s.seal("pppoe-secret");
        let b = s.seal("pppoe-secret");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("pppoe"));
        assert_eq!(s.open(&a).as_deref(), Some("pppoe-secret"));
        let other = Sealer::from_hex(&KEY.replace("00", "ff")).unwrap();
        assert_eq!(other.open(&a), None, "another key opens nothing");
        let mut tampered = base64::engine::general_purpose::STANDARD.decode(&a).unwrap();
        tampered[14] ^= 1;
        let tampered = base64::engine::general_purpose::STANDARD.encode(tampered);
        assert_eq!(s.open(&tampered), None, "tampering is detected");
        assert!(Sealer::from_hex("abcd").is_err());
        assert!(Sealer::from_hex("zz").is_err());
    }
}
