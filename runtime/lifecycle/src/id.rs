//! Container IDs: 64 lowercase hex characters from the kernel's CSPRNG, re-rolled when the first
//! 12 (the short ID, which is also the hostname) are all digits, as dockerd does so a short ID is
//! never mistaken for a number. Randomness is a parameter so tests can force the re-roll.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A full container ID, known to be 64 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContainerId(String);

impl ContainerId {
    /// A fresh ID from the kernel's random source.
    pub fn generate() -> ContainerId {
        ContainerId::generate_with(&mut fill_random)
    }

    /// A fresh ID from `fill`, re-rolled while its short form is all digits.
    pub fn generate_with(fill: &mut dyn FnMut(&mut [u8])) -> ContainerId {
        loop {
            let mut bytes = [0u8; 32];
            fill(&mut bytes);
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            if !hex[..12].bytes().all(|b| b.is_ascii_digit()) {
                return ContainerId(hex);
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 characters: the hostname and the `ps` column.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

/// Fills `buf` from `getrandom(2)`, which blocks only before the kernel pool is seeded at boot.
pub(crate) fn fill_random(buf: &mut [u8]) {
    let mut filled = 0;
    while filled < buf.len() {
        match rustix::rand::getrandom(&mut buf[filled..], rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => filled += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => panic!("getrandom failed: {e}"),
        }
    }
}

impl FromStr for ContainerId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(ContainerId(s.to_string()))
        } else {
            Err(format!("invalid container ID {s:?}"))
        }
    }
}

impl TryFrom<String> for ContainerId {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ContainerId> for String {
    fn from(id: ContainerId) -> String {
        id.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_digit_short_ids_are_rerolled() {
        let mut calls = 0;
        let id = ContainerId::generate_with(&mut |buf: &mut [u8]| {
            calls += 1;
            // 0x12 renders as "12": six such bytes make an all-digit short ID.
            buf.fill(if calls == 1 { 0x12 } else { 0xab });
        });
        assert_eq!(calls, 2);
        assert_eq!(id.short(), "abababababab");
    }

    #[test]
    fn generated_ids_are_64_hex_and_parse() {
        let id = ContainerId::generate();
        assert_eq!(id.as_str().parse::<ContainerId>().unwrap(), id);
        assert!("ABC".parse::<ContainerId>().is_err());
    }
}
