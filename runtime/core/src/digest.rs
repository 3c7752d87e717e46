//! Content digests: the `sha256:<64 hex>` names every blob, layer and image goes by, parsed,
//! printed and computed (at once or incrementally), and the OCI ChainID formula over them. The
//! store and the registry name content with this one type. Pure: the readers that hash bytes
//! as they stream past belong to the store. Only sha256 is accepted because it is the only
//! algorithm Docker uses for image IDs, DiffIDs and ChainIDs.

use std::fmt;
use std::str::FromStr;

use crate::{ErrorKind, Kind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// Why a string is not a sha256 digest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    #[error("invalid checksum digest format: {input}")]
    Format { input: String },
    #[error("unsupported digest algorithm: {input}")]
    Algorithm { input: String },
    #[error("invalid checksum digest length: {input}")]
    Length { input: String },
}

impl Kind for DigestError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidParameter
    }
}

/// A sha256 digest, kept as its 64 lowercase hex characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    hex: String,
}

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_hasher(Sha256::new_with_prefix(bytes))
    }

    /// Parses a bare 64-hex string (the form used in file names).
    pub fn from_hex(hex: &str) -> Result<Digest, DigestError> {
        if hex.len() != 64 {
            return Err(DigestError::Length {
                input: hex.to_owned(),
            });
        }
        if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(DigestError::Format {
                input: hex.to_owned(),
            });
        }
        Ok(Digest {
            hex: hex.to_owned(),
        })
    }

    /// The 64 hex characters, without the algorithm.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Docker's short form: the first 12 hex characters.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }

    fn from_hasher(hasher: Sha256) -> Digest {
        let bytes = hasher.finalize();
        let mut hex = String::with_capacity(64);
        for b in bytes {
            hex.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        Digest { hex }
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Digest, DigestError> {
        let Some((algorithm, hex)) = s.split_once(':') else {
            return Err(DigestError::Format {
                input: s.to_owned(),
            });
        };
        if algorithm != "sha256" {
            return Err(DigestError::Algorithm {
                input: s.to_owned(),
            });
        }
        Digest::from_hex(hex).map_err(|e| match e {
            DigestError::Length { .. } => DigestError::Length {
                input: s.to_owned(),
            },
            _ => DigestError::Format {
                input: s.to_owned(),
            },
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.short())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The ChainIDs of a stack of DiffIDs, bottom first: the first equals its DiffID, each next one
/// is `sha256(parent_chain + " " + diff_id)` as the OCI image spec defines.
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut chains: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for diff in diff_ids {
        let next = match chains.last() {
            None => diff.clone(),
            Some(parent) => Digest::of(format!("{parent} {diff}").as_bytes()),
        };
        chains.push(next);
    }
    chains
}

/// A sha256 that can be fed incrementally and read out once.
#[derive(Default)]
pub struct Hasher {
    inner: Sha256,
    len: u64,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher").field("len", &self.len).finish()
    }
}

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// How many bytes went in.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(self) -> Digest {
        Digest::from_hasher(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn digest_of_empty_input_is_the_well_known_one() {
        assert_eq!(Digest::of(b"").to_string(), format!("sha256:{EMPTY}"));
    }

    #[test]
    fn parse_rejects_other_algorithms_lengths_and_case() {
        assert!(matches!(
            "sha512:00".parse::<Digest>(),
            Err(DigestError::Algorithm { .. })
        ));
        assert!(matches!(
            "sha256:abc".parse::<Digest>(),
            Err(DigestError::Length { .. })
        ));
        assert!(matches!(
            format!("sha256:{}", EMPTY.to_uppercase()).parse::<Digest>(),
            Err(DigestError::Format { .. })
        ));
        assert!(matches!(
            EMPTY.parse::<Digest>(),
            Err(DigestError::Format { .. })
        ));
    }

    #[test]
    fn chain_ids_follow_the_oci_formula() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        let chains = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(chains[0], a);
        assert_eq!(chains[1], Digest::of(format!("{a} {b}").as_bytes()));
    }

    #[test]
    fn short_is_twelve_hex() {
        assert_eq!(Digest::of(b"").short(), &EMPTY[..12]);
    }
}
