//! Blob downloads as streams of bytes. Opening a blob is retried like any request (before
//! the first byte). When the body is cut off midway, the stream reopens the blob with
//! `Range: bytes=<offset>-` and carries on from the byte it stopped at, so the caller sees
//! one unbroken sequence of bytes; a registry that ignores the range (answers 200) has the
//! bytes already delivered skipped. Redirects (to storage on another host) are followed by
//! the HTTP client, which drops the `Authorization` header when the host changes. Bytes are
//! not verified here: the store does that as it writes, or the caller wraps the stream with
//! [`crate::verify::verified`] (see [`Client::blob_verified`]).

use crate::client::{Client, Repository};
use crate::error::{request_label, ApiError, RegistryError};
use crate::http::read_api_error;
use crate::manifest::check_descriptor;
use crate::retry;
use crate::verify::{verified, Verified};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use oci_spec::image::Descriptor;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_RANGE, RANGE};
use reqwest::{Method, StatusCode, Url};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The bytes of one blob; see the module doc.
pub struct BlobStream {
    size: u64,
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, RegistryError>> + Send>>,
}

impl fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStream")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl BlobStream {
    /// The size the descriptor announced.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, RegistryError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl Client {
    /// Opens a blob of `repo` (from [`crate::Resolved::repository`]). Fails before returning
    /// if the blob cannot be opened at all (after retries); later failures come through the
    /// stream.
    pub async fn blob(
        &self,
        repo: &Repository,
        descriptor: &Descriptor,
    ) -> Result<BlobStream, RegistryError> {
        check_descriptor(descriptor)?;
        let mut download = Download {
            client: self.clone(),
            repo: repo.clone(),
            descriptor: descriptor.clone(),
            url: repo.url(&format!("blobs/{}", descriptor.digest())),
            offset: 0,
            skip: 0,
            body: None,
            resumes_left: self.inner.resume_attempts,
            done: false,
        };
        download.open().await?;
        let inner = futures_util::stream::unfold(download, |mut d| async move {
            d.next_chunk().await.map(|item| (item, d))
        });
        Ok(BlobStream {
            size: descriptor.size(),
            inner: Box::pin(inner),
        })
    }

    /// [`Client::blob`], with size and digest checked as the bytes go by.
    pub async fn blob_verified(
        &self,
        repo: &Repository,
        descriptor: &Descriptor,
    ) -> Result<Verified<BlobStream>, RegistryError> {
        verified(self.blob(repo, descriptor).await?, descriptor)
    }
}

/// The state of one blob download across resumptions.
struct Download {
    client: Client,
    repo: Repository,
    descriptor: Descriptor,
    url: Url,
    /// Bytes delivered to the caller so far.
    offset: u64,
    /// Bytes to drop from the current body: those already delivered, when a resumption
    /// was answered with the whole blob.
    skip: u64,
    body: Option<Body>,
    resumes_left: u32,
    done: bool,
}

impl Download {
    /// Opens the blob from `offset`.
    async fn open(&mut self) -> Result<(), RegistryError> {
        let mut headers = HeaderMap::new();
        if self.offset > 0 {
            let range = HeaderValue::from_str(&format!("bytes={}-", self.offset))
                .expect("a range is a valid header");
            headers.insert(RANGE, range);
        }
        let response = self.client.get(&self.repo, &self.url, headers).await?;
        let status = response.status();
        self.skip = match status {
            StatusCode::OK => self.offset,
            StatusCode::PARTIAL_CONTENT if range_start(&response) == Some(self.offset) => 0,
            StatusCode::PARTIAL_CONTENT => {
                let cause = format!(
                    "registry answered a range request from {} with another range",
                    self.offset
                );
                return Err(RegistryError::Interrupted {
                    request: self.label(),
                    cause,
                });
            }
            _ => {
                return Err(status_error(
                    response,
                    self.descriptor.digest().to_string(),
                    self.label(),
                )
                .await)
            }
        };
        if self.skip > 0 {
            tracing::debug!(url = %self.url, skip = self.skip, "resumption answered with the whole blob");
        }
        self.body = Some(Box::pin(response.bytes_stream()));
        Ok(())
    }

    async fn next_chunk(&mut self) -> Option<Result<Bytes, RegistryError>> {
        while !self.done {
            if self.body.is_none() {
                if let Err(err) = self.open().await {
                    self.done = true;
                    return Some(Err(err));
                }
            }
            let body = self.body.as_mut().expect("opened above");
            match body.next().await {
                Some(Ok(chunk)) => {
                    if let Some(chunk) = self.deliver(chunk) {
                        return Some(Ok(chunk));
                    }
                }
                Some(Err(err)) => {
                    if let Some(fatal) = self.interrupted(err) {
                        return Some(Err(fatal));
                    }
                }
                None if self.offset < self.descriptor.size() && self.resumes_left > 0 => {
                    tracing::debug!(url = %self.url, offset = self.offset, "body ended early, resuming");
                    self.resumes_left -= 1;
                    self.body = None;
                }
                None => self.done = true,
            }
        }
        None
    }

    /// Drops what the caller already has and counts the rest as delivered.
    fn deliver(&mut self, mut chunk: Bytes) -> Option<Bytes> {
        let dropped = self.skip.min(chunk.len() as u64);
        self.skip -= dropped;
        let chunk = chunk.split_off(dropped as usize);
        self.offset += chunk.len() as u64;
        (!chunk.is_empty()).then_some(chunk)
    }

    /// Decides whether a body error is resumed (returns `None`) or the end (the error).
    fn interrupted(&mut self, err: reqwest::Error) -> Option<RegistryError> {
        if self.offset >= self.descriptor.size() {
            // Every announced byte arrived; a failure after them (a connection closed
            // uncleanly) loses nothing, and a range request past the end would get 416.
            self.done = true;
            return None;
        }
        if self.resumes_left > 0 && retry::is_transient_error(&err) {
            tracing::debug!(url = %self.url, offset = self.offset, error = %err, "blob body failed, resuming");
            self.resumes_left -= 1;
            self.body = None;
            return None;
        }
        self.done = true;
        Some(RegistryError::Interrupted {
            request: self.label(),
            cause: retry::describe(&err, &self.url),
        })
    }

    fn label(&self) -> String {
        request_label(&Method::GET, &self.url)
    }
}

/// A blob request's failure. A free function: `Download` holds a body that is not `Sync`,
/// so no `&Download` may live across an await.
async fn status_error(
    response: reqwest::Response,
    digest: String,
    request: String,
) -> RegistryError {
    let status = response.status();
    match (status, read_api_error(response).await) {
        (_, Some(cause)) if cause.code == "BLOB_UNKNOWN" => {
            RegistryError::BlobUnknown { digest, cause }
        }
        (StatusCode::NOT_FOUND, _) => RegistryError::BlobUnknown {
            digest,
            cause: ApiError::new("BLOB_UNKNOWN", "blob unknown to registry"),
        },
        (_, cause) => RegistryError::UnexpectedStatus {
            request,
            status: status.as_u16(),
            cause,
        },
    }
}

/// The first byte of a `Content-Range: bytes <start>-<end>/<size>` answer.
fn range_start(response: &reqwest::Response) -> Option<u64> {
    let value = response.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    value
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}
