//! Content verification: sha256 digests and sizes of manifests and blobs. The store verifies
//! blobs itself while it writes them; [`verified`] is for callers that want the client to do
//! it. A stream wrapped here never yields a byte past the descriptor's size and ends with an
//! error instead of a clean end when the content is not the content asked for.

use crate::error::RegistryError;
use bytes::Bytes;
use futures_util::Stream;
use oci_spec::image::{Descriptor, Digest, DigestAlgorithm};
use sha2::{Digest as _, Sha256};
use std::pin::Pin;
use std::task::{Context, Poll};

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| {
            [
                DIGITS[usize::from(b >> 4)] as char,
                DIGITS[usize::from(b & 15)] as char,
            ]
        })
        .collect()
}

/// Checks bytes against a digest; `what` (`manifest`, `blob`) names them in the error.
pub fn verify_bytes(
    what: &'static str,
    expected: &Digest,
    bytes: &[u8],
) -> Result<(), RegistryError> {
    require_sha256(expected)?;
    let actual = sha256_digest(bytes);
    if actual == expected.to_string() {
        Ok(())
    } else {
        Err(RegistryError::DigestMismatch {
            what,
            expected: expected.to_string(),
            actual,
        })
    }
}

fn require_sha256(digest: &Digest) -> Result<(), RegistryError> {
    match digest.algorithm() {
        DigestAlgorithm::Sha256 => Ok(()),
        _ => Err(RegistryError::UnsupportedDigest {
            digest: digest.to_string(),
        }),
    }
}

/// Incremental sha256 and size check against a descriptor.
#[derive(Debug, Clone)]
pub struct DigestVerifier {
    expected: Digest,
    size: u64,
    seen: u64,
    hasher: Sha256,
}

impl DigestVerifier {
    pub fn new(descriptor: &Descriptor) -> Result<Self, RegistryError> {
        require_sha256(descriptor.digest())?;
        Ok(DigestVerifier {
            expected: descriptor.digest().clone(),
            size: descriptor.size(),
            seen: 0,
            hasher: Sha256::new(),
        })
    }

    /// Feeds more bytes; fails as soon as there are more than the descriptor's size.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), RegistryError> {
        self.seen += chunk.len() as u64;
        if self.seen > self.size {
            return Err(self.size_error());
        }
        self.hasher.update(chunk);
        Ok(())
    }

    /// Bytes fed so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Checks the size and the digest of everything fed.
    pub fn finish(self) -> Result<(), RegistryError> {
        if self.seen != self.size {
            return Err(self.size_error());
        }
        let actual = format!("sha256:{}", hex(&self.hasher.finalize()));
        if actual == self.expected.to_string() {
            Ok(())
        } else {
            Err(RegistryError::DigestMismatch {
                what: "blob",
                expected: self.expected.to_string(),
                actual,
            })
        }
    }

    fn size_error(&self) -> RegistryError {
        RegistryError::SizeMismatch {
            what: "blob",
            digest: self.expected.to_string(),
            expected: self.size,
            actual: self.seen,
        }
    }
}

/// Wraps a blob stream so that it verifies size and digest as it goes.
pub fn verified<S>(stream: S, descriptor: &Descriptor) -> Result<Verified<S>, RegistryError>
where
    S: Stream<Item = Result<Bytes, RegistryError>> + Unpin,
{
    Ok(Verified {
        inner: stream,
        verifier: Some(DigestVerifier::new(descriptor)?),
    })
}

/// A stream that checks its bytes against a descriptor; see [`verified`].
#[derive(Debug)]
pub struct Verified<S> {
    inner: S,
    /// `None` once the end (or an error) has been reported.
    verifier: Option<DigestVerifier>,
}

impl<S> Stream for Verified<S>
where
    S: Stream<Item = Result<Bytes, RegistryError>> + Unpin,
{
    type Item = Result<Bytes, RegistryError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(verifier) = this.verifier.as_mut() else {
            return Poll::Ready(None);
        };
        let item = match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        let result = match item {
            Some(Ok(chunk)) => verifier.update(&chunk).map(|()| Some(chunk)),
            Some(Err(err)) => Err(err),
            None => this
                .verifier
                .take()
                .map(DigestVerifier::finish)
                .transpose()
                .map(|_| None),
        };
        match result {
            Ok(Some(chunk)) => Poll::Ready(Some(Ok(chunk))),
            Ok(None) => Poll::Ready(None),
            Err(err) => {
                this.verifier = None;
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{stream, StreamExt};
    use oci_spec::image::MediaType;

    fn descriptor(content: &[u8]) -> Descriptor {
        Descriptor::new(
            MediaType::ImageLayer,
            content.len() as u64,
            sha256_digest(content).parse::<Digest>().unwrap(),
        )
    }

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, RegistryError>> + Unpin {
        stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    async fn collect(
        s: impl Stream<Item = Result<Bytes, RegistryError>> + Unpin,
    ) -> Result<Vec<u8>, RegistryError> {
        let mut out = Vec::new();
        let mut s = s;
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[test]
    fn sha256_of_nothing_is_the_well_known_one() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[tokio::test]
    async fn good_content_streams_through() {
        let d = descriptor(b"hello world");
        let out = collect(verified(chunks(&[b"hello ", b"world"]), &d).unwrap())
            .await
            .unwrap();
        assert_eq!(out, b"hello world");
    }

    #[tokio::test]
    async fn wrong_content_ends_in_a_mismatch_naming_both_digests() {
        let d = descriptor(b"hello world");
        let err = collect(verified(chunks(&[b"hello", b" WORLD"]), &d).unwrap())
            .await
            .unwrap_err();
        let RegistryError::DigestMismatch {
            expected, actual, ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(*expected, d.digest().to_string());
        assert_eq!(*actual, sha256_digest(b"hello WORLD"));
    }

    #[tokio::test]
    async fn too_many_bytes_stop_the_stream_early_and_too_few_fail_at_the_end() {
        let d = descriptor(b"abc");
        let mut s = verified(chunks(&[b"ab", b"cd", b"never"]), &d).unwrap();
        assert_eq!(s.next().await.unwrap().unwrap(), "ab");
        assert!(matches!(
            s.next().await,
            Some(Err(RegistryError::SizeMismatch { actual: 4, .. }))
        ));
        assert!(s.next().await.is_none());
        let err = collect(verified(chunks(&[b"ab"]), &d).unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                RegistryError::SizeMismatch {
                    expected: 3,
                    actual: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn verify_bytes_checks_manifests() {
        let d = descriptor(b"{}");
        verify_bytes("manifest", d.digest(), b"{}").unwrap();
        let err = verify_bytes("manifest", d.digest(), b"{ }").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("manifest verification failed for digest sha256:"),
            "{err}"
        );
    }
}
