//! The registry client: its configuration, the repository handle (a path at the endpoint
//! that serves it), the `/v2/` challenge of each endpoint, and authorized, retried GETs.
//! Resolution is in `resolve.rs`, blob streaming in `blob.rs`. The client holds no image
//! state; it is cheap to clone and safe to share between tasks.

use crate::auth::{AuthRequest, Authenticator};
use crate::challenge::{self, Challenge};
use crate::credentials::Credentials;
use crate::error::{request_label, ApiError, RegistryError};
use crate::http::{read_api_error, Net};
use crate::retry::RetryPolicy;
use crate::transport::{host_port, Endpoint, HttpClients, TransportPolicy};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode, Url};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the client connects and authenticates.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Mirrors for Docker Hub images, like dockerd's `--registry-mirror` (tried in order,
    /// then Docker Hub itself).
    pub mirrors: Vec<String>,
    /// Registries that may use plain HTTP or unverified TLS, like `--insecure-registry`
    /// (`host[:port]` or a CIDR). Loopback registries always may.
    pub insecure_registries: Vec<String>,
    pub credentials: Credentials,
    /// Retries before the first byte of each response.
    pub retry: RetryPolicy,
    /// How often a blob download cut off midway is resumed from where it stopped.
    pub resume_attempts: u32,
    pub user_agent: String,
    pub connect_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            mirrors: Vec::new(),
            insecure_registries: Vec::new(),
            credentials: Credentials::none(),
            retry: RetryPolicy::default(),
            resume_attempts: 5,
            user_agent: concat!("berth/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(15),
        }
    }
}

/// A repository at the endpoint that served it: blobs are fetched from where the manifest
/// came from (a mirror, or the registry itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub(crate) endpoint: Endpoint,
    pub(crate) path: String,
}

impl Repository {
    /// A repository at a known endpoint (`http://127.0.0.1:5000`, `library/alpine`), for
    /// callers that fetch blobs without resolving first. [`Client::resolve`] returns the
    /// one that served the manifest.
    pub fn new(base_url: &str, path: &str) -> Result<Self, RegistryError> {
        let invalid = |reason: String| RegistryError::InvalidConfig {
            reason: format!("repository base URL {base_url:?}: {reason}"),
        };
        let base = Url::parse(base_url).map_err(|e| invalid(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(invalid("want http(s)://host[:port]".into()));
        }
        Ok(Repository {
            endpoint: Endpoint {
                base,
                mirror: false,
            },
            path: path.to_owned(),
        })
    }

    /// The repository's path on the registry (`library/alpine`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `scheme://host[:port]/` of the endpoint.
    pub fn base_url(&self) -> &Url {
        &self.endpoint.base
    }

    pub fn is_mirror(&self) -> bool {
        self.endpoint.mirror
    }

    /// `<base>/v2/<path>/<tail>`.
    pub(crate) fn url(&self, tail: &str) -> Url {
        let mut url = self.endpoint.base.clone();
        url.set_path(&format!("/v2/{}/{tail}", self.path));
        url
    }

    pub(crate) fn host(&self) -> String {
        host_port(&self.endpoint.base)
    }

    fn scope(&self) -> String {
        format!("repository:{}:pull", self.path)
    }
}

/// A distribution API v2 client; see the module doc.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub net: Net,
    auth: Authenticator,
    /// The `/v2/` challenge of each endpoint that answered, by base URL.
    challenges: Mutex<HashMap<String, Challenge>>,
    /// Insecure hosts where HTTPS failed and plain HTTP worked.
    pub plain_hosts: Mutex<HashSet<String>>,
    pub resume_attempts: u32,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, RegistryError> {
        let policy = TransportPolicy::new(&config.insecure_registries, &config.mirrors)?;
        let clients = HttpClients::new(&policy, &config.user_agent, config.connect_timeout)?;
        let inner = Inner {
            net: Net {
                policy,
                clients,
                retry: config.retry,
            },
            auth: Authenticator::new(config.credentials),
            challenges: Mutex::default(),
            plain_hosts: Mutex::default(),
            resume_attempts: config.resume_attempts,
        };
        Ok(Client {
            inner: Arc::new(inner),
        })
    }

    /// An authorized GET with retries. A 401 is answered once by fetching a fresh token;
    /// a second 401 is the registry refusing us.
    pub(crate) async fn get(
        &self,
        repo: &Repository,
        url: &Url,
        headers: HeaderMap,
    ) -> Result<Response, RegistryError> {
        let label = request_label(&Method::GET, url);
        let (host, scope) = (repo.host(), repo.scope());
        let request = AuthRequest {
            host: &host,
            scope: &scope,
            label: &label,
        };
        let challenge = self.challenge(&repo.endpoint).await?;
        for first_try in [true, false] {
            let mut headers = headers.clone();
            if let Some(value) = self
                .inner
                .auth
                .authorization(&self.inner.net, &challenge, &request)
                .await?
            {
                let value =
                    HeaderValue::from_str(&value).map_err(|e| RegistryError::InvalidToken {
                        request: label.clone(),
                        reason: e.to_string(),
                    })?;
                headers.insert(AUTHORIZATION, value);
            }
            let response = self.inner.net.send(Method::GET, url, &headers).await?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            if first_try && matches!(challenge, Challenge::Bearer { .. }) {
                self.inner.auth.forget(&challenge, &request);
                continue;
            }
            let cause = read_api_error(response)
                .await
                .unwrap_or_else(|| ApiError::new("UNAUTHORIZED", "authentication required"));
            return Err(RegistryError::Unauthorized {
                request: label,
                cause,
            });
        }
        unreachable!("the loop returns on its second pass")
    }

    /// The endpoint's `/v2/` challenge, asked once per endpoint and kept.
    async fn challenge(&self, endpoint: &Endpoint) -> Result<Challenge, RegistryError> {
        let key = endpoint.base.to_string();
        if let Some(known) = self
            .inner
            .challenges
            .lock()
            .expect("challenges lock")
            .get(&key)
        {
            return Ok(known.clone());
        }
        let mut url = endpoint.base.clone();
        url.set_path("/v2/");
        let response = self
            .inner
            .net
            .send(Method::GET, &url, &HeaderMap::new())
            .await?;
        let found = match response.status() {
            status if status.is_success() => Challenge::Anonymous,
            StatusCode::UNAUTHORIZED => {
                let header = header(&response, WWW_AUTHENTICATE.as_str()).unwrap_or_default();
                challenge::parse(&header).unwrap_or(Challenge::Basic {
                    realm: String::new(),
                })
            }
            status => {
                let request = request_label(&Method::GET, &url);
                let cause = read_api_error(response).await;
                return Err(RegistryError::UnexpectedStatus {
                    request,
                    status: status.as_u16(),
                    cause,
                });
            }
        };
        self.inner
            .challenges
            .lock()
            .expect("challenges lock")
            .insert(key, found.clone());
        Ok(found)
    }

    /// After a success over plain HTTP, later pulls from that host skip the HTTPS try.
    pub(crate) fn remember_scheme(&self, repo: &Repository) {
        if repo.base_url().scheme() == "http" && !repo.is_mirror() {
            self.inner
                .plain_hosts
                .lock()
                .expect("plain hosts lock")
                .insert(repo.host());
        }
    }
}

pub(crate) fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    fn assert_send<T: Send>(_: &T) {}

    /// The daemon spawns pulls onto tokio's thread pool, so every future must be `Send`.
    #[test]
    fn client_futures_can_move_between_threads() {
        let client = Client::new(ClientConfig::default()).unwrap();
        let reference = crate::reference::parse("alpine").unwrap();
        let repo = Repository::new("http://127.0.0.1:1", "library/alpine").unwrap();
        let descriptor: oci_spec::image::Descriptor = serde_json::from_str(
            r#"{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":0,
            "digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}"#,
        )
        .unwrap();
        let platform = Platform::host();
        assert_send(&client.resolve(&reference, &platform));
        assert_send(&client.blob(&repo, &descriptor));
        assert_send(&client.blob_verified(&repo, &descriptor));
    }

    #[test]
    fn repositories_need_an_http_base() {
        assert!(Repository::new("ftp://x", "a").is_err());
        assert!(Repository::new("not a url", "a").is_err());
        let repo = Repository::new("https://r.example", "library/alpine").unwrap();
        assert_eq!(
            repo.url("manifests/latest").as_str(),
            "https://r.example/v2/library/alpine/manifests/latest"
        );
        assert_eq!(repo.scope(), "repository:library/alpine:pull");
    }
}
