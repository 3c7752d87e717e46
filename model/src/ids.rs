//! Identifiers: container IDs, image IDs and content digests, parsed once and known good after.

use std::fmt;
use std::rc::Rc;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// A sha256 content digest, `sha256:<64 lowercase hex>`. The text is shared, so clones never
/// allocate; `key` (the first 16 hex digits as a number) orders digests exactly as their text
/// does while settling nearly every comparison without touching the text.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Digest {
    key: u64,
    text: Rc<str>,
}

/// The ordering key of a 64-hex string: its first 16 digits as a number.
fn key_of(hex: &str) -> u64 {
    u64::from_str_radix(&hex[..16], 16).expect("callers pass validated hex")
}

/// Feeds bytes straight into a sha256, so digests of serialised values need no buffer.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why a string is not a digest or an ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("invalid digest {0:?}: want sha256:<64 hex>")]
    Digest(String),
    #[error("invalid container id {0:?}: want 64 lowercase hex")]
    Container(String),
}

/// `sha256:` followed by the lowercase hex of `bytes`, without going through `fmt`.
fn sha256_text(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(7 + bytes.len() * 2);
    out.push_str("sha256:");
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Self::from_hash(Sha256::digest(bytes).into())
    }

    /// The digest of `value`'s JSON serialisation, hashed as it is written.
    pub fn of_json<T: serde::Serialize>(value: &T) -> Digest {
        let mut writer = HashWriter(Sha256::new());
        serde_json::to_writer(&mut writer, value).expect("model values always serialise");
        Self::from_hash(writer.0.finalize().into())
    }

    fn from_hash(hash: [u8; 32]) -> Digest {
        let text: Rc<str> = sha256_text(&hash).into();
        Digest {
            key: u64::from_be_bytes(hash[..8].try_into().expect("32 bytes")),
            text,
        }
    }

    /// The 64 hex characters after `sha256:`.
    pub fn hex(&self) -> &str {
        &self.text[7..]
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The digest's text, shared.
    pub fn shared(&self) -> Rc<str> {
        self.text.clone()
    }

    /// Docker's short form: the first 12 hex characters.
    pub fn short(&self) -> &str {
        &self.hex()[..12]
    }
}

impl FromStr for Digest {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("sha256:") {
            Some(hex) if is_hex64(hex) => Ok(Digest {
                key: key_of(hex),
                text: s.into(),
            }),
            _ => Err(IdError::Digest(s.to_string())),
        }
    }
}

impl TryFrom<String> for Digest {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.text.to_string()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An image ID is the digest of the image's config.
pub type ImageId = Digest;

/// A container ID: 64 lowercase hex characters, shared and keyed like [`Digest`].
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ContainerId {
    key: u64,
    text: Rc<str>,
}

impl ContainerId {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first 12 characters: `ps`, the hostname and conflict texts use it.
    pub fn short(&self) -> &str {
        &self.text[..12]
    }

    /// Docker re-rolls IDs whose short form is all digits, because the short ID becomes the
    /// hostname and an all-digit hostname could be read as a number.
    pub fn is_acceptable(&self) -> bool {
        !self.short().bytes().all(|b| b.is_ascii_digit())
    }
}

impl FromStr for ContainerId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_hex64(s) {
            Ok(ContainerId {
                key: key_of(s),
                text: s.into(),
            })
        } else {
            Err(IdError::Container(s.to_string()))
        }
    }
}

impl TryFrom<String> for ContainerId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ContainerId> for String {
    fn from(id: ContainerId) -> String {
        id.text.to_string()
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_parses_and_shortens() {
        let d = Digest::of(b"");
        assert_eq!(
            d.as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(d.short(), "e3b0c44298fc");
        assert_eq!(d.as_str().parse::<Digest>().unwrap(), d);
        assert!("sha256:abc".parse::<Digest>().is_err());
        assert!(
            "md5:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                .parse::<Digest>()
                .is_err()
        );
    }

    #[test]
    fn all_digit_short_ids_are_rerolled() {
        let digits: ContainerId = format!("{}{}", "123456789012", "a".repeat(52))
            .parse()
            .unwrap();
        assert!(!digits.is_acceptable());
        let mixed: ContainerId = format!("{}{}", "12345678901a", "0".repeat(52))
            .parse()
            .unwrap();
        assert!(mixed.is_acceptable());
    }
}
