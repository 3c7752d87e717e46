//! Authorization headers for registry requests. A registry's `/v2/` challenge says how:
//! nothing, Basic (credentials sent with every request), or Bearer, where a token for the
//! repository's scope is fetched from the challenge's realm (anonymously, or with Basic
//! credentials) and cached per realm, service, scope and user until it expires. Credentials
//! are never sent over plain HTTP to a host that is not loopback or insecure.

use crate::challenge::Challenge;
use crate::credentials::{BasicCredentials, Credentials};
use crate::error::{request_label, ApiError, RegistryError};
use crate::http::{read_api_error, Net};
use crate::transport::host_port;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Method, StatusCode, Url};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tokens live at least this long, whatever `expires_in` says (docker's rule).
const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Tokens are dropped this long before they expire, so that a request does not race it.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TokenKey {
    realm: String,
    service: String,
    scope: String,
    user: String,
}

#[derive(Clone)]
struct CachedToken {
    token: String,
    expires: Instant,
}

/// Tokens are secrets: a `Client` printed with `{:?}` must not show them.
impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("token", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

/// Holds the credentials and the token cache.
#[derive(Debug, Default)]
pub(crate) struct Authenticator {
    credentials: Credentials,
    tokens: Mutex<HashMap<TokenKey, CachedToken>>,
}

/// What the request needing authorization is, for error messages and token scopes.
pub(crate) struct AuthRequest<'a> {
    /// `host[:port]` of the registry endpoint, which picks the credentials.
    pub host: &'a str,
    /// `repository:<path>:pull`.
    pub scope: &'a str,
    /// `Get "https://..."`, the request errors are reported against.
    pub label: &'a str,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

impl Authenticator {
    pub fn new(credentials: Credentials) -> Self {
        Authenticator {
            credentials,
            tokens: Mutex::default(),
        }
    }

    /// The `Authorization` value for a request, if the challenge calls for one.
    pub async fn authorization(
        &self,
        net: &Net,
        challenge: &Challenge,
        request: &AuthRequest<'_>,
    ) -> Result<Option<String>, RegistryError> {
        let credentials = self.credentials.for_host(request.host);
        match challenge {
            Challenge::Anonymous => Ok(None),
            Challenge::Basic { .. } => Ok(credentials.map(BasicCredentials::header_value)),
            Challenge::Bearer { realm, service, .. } => {
                let key = TokenKey {
                    realm: realm.clone(),
                    service: service.clone().unwrap_or_default(),
                    scope: request.scope.to_owned(),
                    user: credentials.map(|c| c.username.clone()).unwrap_or_default(),
                };
                if let Some(token) = self.cached(&key) {
                    return Ok(Some(format!("Bearer {token}")));
                }
                let fetched =
                    fetch_token(net, &key, service.as_deref(), credentials, request.label).await?;
                let header = format!("Bearer {}", fetched.token);
                self.tokens
                    .lock()
                    .expect("token cache lock")
                    .insert(key, fetched);
                Ok(Some(header))
            }
        }
    }

    /// Drops a cached token that the registry refused, so the next request fetches anew.
    pub fn forget(&self, challenge: &Challenge, request: &AuthRequest<'_>) {
        if let Challenge::Bearer { realm, service, .. } = challenge {
            let user = self
                .credentials
                .for_host(request.host)
                .map(|c| c.username.clone())
                .unwrap_or_default();
            let key = TokenKey {
                realm: realm.clone(),
                service: service.clone().unwrap_or_default(),
                scope: request.scope.to_owned(),
                user,
            };
            self.tokens.lock().expect("token cache lock").remove(&key);
        }
    }

    fn cached(&self, key: &TokenKey) -> Option<String> {
        let tokens = self.tokens.lock().expect("token cache lock");
        tokens
            .get(key)
            .filter(|t| t.expires > Instant::now())
            .map(|t| t.token.clone())
    }
}

/// GETs a token from the realm, as distribution's client does: `service`, `scope` and
/// (with credentials) `account` as query parameters, Basic credentials in the header.
async fn fetch_token(
    net: &Net,
    key: &TokenKey,
    service: Option<&str>,
    credentials: Option<&BasicCredentials>,
    label: &str,
) -> Result<CachedToken, RegistryError> {
    let invalid = |reason: String| RegistryError::InvalidToken {
        request: label.to_owned(),
        reason,
    };
    let mut url =
        Url::parse(&key.realm).map_err(|e| invalid(format!("realm {:?}: {e}", key.realm)))?;
    {
        let mut query = url.query_pairs_mut();
        if let Some(service) = service {
            query.append_pair("service", service);
        }
        query.append_pair("scope", &key.scope);
        if let Some(c) = credentials {
            query.append_pair("account", &c.username);
        }
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid(format!("realm {url} is not an HTTP URL")));
    }
    let mut headers = HeaderMap::new();
    if let Some(c) = credentials {
        if url.scheme() == "http" && !net.policy.is_insecure(&host_port(&url)) {
            return Err(invalid(format!(
                "refusing to send credentials to {url} over plain HTTP"
            )));
        }
        let value = HeaderValue::from_str(&c.header_value()).map_err(|e| invalid(e.to_string()))?;
        headers.insert(AUTHORIZATION, value);
    }
    let response = net.send(Method::GET, &url, &headers).await?;
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        let cause = read_api_error(response)
            .await
            .unwrap_or_else(|| refused(credentials.is_some()));
        return Err(RegistryError::Unauthorized {
            request: label.to_owned(),
            cause,
        });
    }
    if !status.is_success() {
        let cause = read_api_error(response).await;
        return Err(RegistryError::UnexpectedStatus {
            request: request_label(&Method::GET, &url),
            status: status.as_u16(),
            cause,
        });
    }
    let body: TokenResponse = response.json().await.map_err(|e| invalid(e.to_string()))?;
    let token = body
        .token
        .or(body.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("no token".into()))?;
    let lifetime = Duration::from_secs(body.expires_in.unwrap_or(0)).max(MIN_TOKEN_LIFETIME);
    Ok(CachedToken {
        token,
        expires: Instant::now() + lifetime - EXPIRY_MARGIN,
    })
}

/// The message for a refusal that came without a body.
fn refused(with_credentials: bool) -> ApiError {
    if with_credentials {
        ApiError::new("UNAUTHORIZED", "incorrect username or password")
    } else {
        ApiError::new("UNAUTHORIZED", "authentication required")
    }
}
