//! Content digests: the `sha256:<64 hex>` names every blob, layer and image goes by, and the
//! readers that compute them while bytes stream past. This module owns parsing and hashing; it
//! never touches the filesystem. Only sha256 is accepted because it is the only algorithm Docker
//! uses for image IDs, DiffIDs and ChainIDs.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use berth_core::{ErrorKind, Kind};
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

/// A reader that hashes every byte it hands out.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: Hasher::default(),
        }
    }

    /// Reads what is left so the digest covers the whole stream, then returns digest and length.
    pub fn finish(mut self) -> io::Result<(Digest, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let len = self.hasher.len();
        Ok((self.hasher.finish(), len))
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A reader that copies every byte it hands out into a writer (the blob being stored while the
/// same bytes are unpacked), so a layer crosses the network and the disk once.
#[derive(Debug)]
pub struct TeeReader<R, W> {
    inner: R,
    copy: W,
}

impl<R: Read, W: Write> TeeReader<R, W> {
    pub fn new(inner: R, copy: W) -> TeeReader<R, W> {
        TeeReader { inner, copy }
    }

    pub fn into_parts(self) -> (R, W) {
        (self.inner, self.copy)
    }
}

impl<R: Read, W: Write> Read for TeeReader<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        Ok(n)
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
    fn hashing_reader_finish_covers_unread_bytes() {
        let mut reader = HashingReader::new(&b"hello world"[..]);
        let mut first = [0u8; 5];
        reader.read_exact(&mut first).unwrap();
        let (digest, len) = reader.finish().unwrap();
        assert_eq!(digest, Digest::of(b"hello world"));
        assert_eq!(len, 11);
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
