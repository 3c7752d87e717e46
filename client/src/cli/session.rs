//! The connection to the daemon a verb talks to: the address from `-H`, `BERTH_HOST` or the
//! default socket, TLS from the flags or `DOCKER_CERT_PATH`/`DOCKER_TLS_VERIFY`, and the API
//! version negotiated as the docker CLI does (ping, then the lower of the daemon's version and
//! the client's maximum).

use std::cell::OnceCell;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::cli::{CliError, GlobalArgs};
use crate::http::{Client, HttpError, Payload, Response, Streaming};
use crate::tls::{TlsFiles, TlsSettings};
use crate::transport::{Endpoint, Host};

/// Where the daemon is when neither `-H` nor `BERTH_HOST` says.
pub const DEFAULT_HOST: &str = "unix:///run/berth/berth.sock";
/// The newest API version this client speaks (docker CLI 28.2).
pub const CLI_MAX_VERSION: &str = "1.50";
/// What an old daemon that advertises no version is spoken to with.
const FALLBACK_VERSION: &str = "1.24";

/// A daemon to talk to, with the version negotiated on first use.
#[derive(Debug)]
pub struct Session {
    endpoint: Endpoint,
    client: OnceCell<Client>,
}

/// Resolves the endpoint from the flags and the environment.
pub fn endpoint_of(global: &GlobalArgs) -> Result<Endpoint, CliError> {
    let address = global
        .host
        .clone()
        .or_else(|| std::env::var("BERTH_HOST").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    let host: Host = address.parse()?;
    let verify =
        global.tlsverify || std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty());
    let tls = match host {
        Host::Tcp { .. } if verify => Some(Arc::new(TlsSettings::load(&tls_files(global))?)),
        _ => None,
    };
    Ok(Endpoint { host, tls })
}

/// The TLS files: each flag, else the file of that name in `DOCKER_CERT_PATH` (or ~/.docker).
fn tls_files(global: &GlobalArgs) -> TlsFiles {
    let dir = std::env::var_os("DOCKER_CERT_PATH")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
        .unwrap_or_default();
    let pick =
        |flag: &Option<PathBuf>, name: &str| Some(flag.clone().unwrap_or_else(|| dir.join(name)));
    TlsFiles {
        ca: pick(&global.tlscacert, "ca.pem"),
        cert: pick(&global.tlscert, "cert.pem"),
        key: pick(&global.tlskey, "key.pem"),
    }
}

/// Docker's version comparison: dotted numbers, part by part.
pub(crate) fn version_less(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a) < parts(b)
}

impl Session {
    pub fn new(global: &GlobalArgs) -> Result<Session, CliError> {
        Ok(Session::with_endpoint(endpoint_of(global)?))
    }

    pub fn with_endpoint(endpoint: Endpoint) -> Session {
        Session {
            endpoint,
            client: OnceCell::new(),
        }
    }

    pub fn host(&self) -> String {
        self.endpoint.host.to_string()
    }

    /// The client at the negotiated version; the first call pings the daemon.
    pub fn client(&self) -> Result<&Client, CliError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let base = Client::with_endpoint(self.endpoint.clone(), "")
            .with_timeout(None)
            .with_user_agent("Docker-Client/28.2.2 (linux)");
        let ping = base.ping().map_err(|e| self.connect_error(e))?;
        let version = match ping.header("api-version") {
            Some(v) if version_less(v, CLI_MAX_VERSION) => v.to_string(),
            Some(_) => CLI_MAX_VERSION.to_string(),
            None => FALLBACK_VERSION.to_string(),
        };
        Ok(self.client.get_or_init(|| base.with_version(&version)))
    }

    fn connect_error(&self, e: HttpError) -> CliError {
        match e {
            HttpError::Connect { .. } => CliError::Connect { host: self.host() },
            other => CliError::Http(other),
        }
    }

    /// One request, its answer read whole; transport failures become CLI errors.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, CliError> {
        let payload = body.map_or(Payload::None, Payload::Json);
        self.call_with(method, path, payload)
    }

    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        payload: Payload<'_>,
    ) -> Result<Response, CliError> {
        self.client()?
            .request_with(method, path, payload)
            .map_err(|e| self.connect_error(e))
    }

    /// One request that must succeed (status below 400); the daemon's message otherwise.
    pub fn expect(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, CliError> {
        let response = self.call(method, path, body)?;
        if response.status >= 400 {
            return Err(CliError::daemon(&response));
        }
        Ok(response)
    }

    /// A GET whose JSON answer must succeed.
    pub fn get_json(&self, path: &str) -> Result<Value, CliError> {
        let response = self.expect("GET", path, None)?;
        serde_json::from_slice(&response.body)
            .map_err(|e| CliError::Message(format!("invalid JSON from the daemon: {e}")))
    }

    /// A request whose answer is read as it arrives; an error status is read whole.
    pub fn stream(
        &self,
        method: &str,
        path: &str,
        payload: Payload<'_>,
    ) -> Result<Streaming, CliError> {
        let streaming = self
            .client()?
            .stream(method, path, payload)
            .map_err(|e| self.connect_error(e))?;
        if streaming.status >= 400 {
            let response = streaming.into_response()?;
            return Err(CliError::daemon(&response));
        }
        Ok(streaming)
    }
}

/// Percent-encodes a path segment or query value (berth-api's one encoder).
pub use berth_api::enc as encode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert!(version_less("1.41", "1.50"));
        assert!(version_less("1.9", "1.41"));
        assert!(!version_less("1.51", "1.50"));
    }

    #[test]
    fn an_unreachable_daemon_is_worded_as_docker_words_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.sock");
        let session = Session::with_endpoint(Endpoint::unix(&path));
        let e = session.client().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "Cannot connect to the Docker daemon at unix://{}. Is the docker daemon running?",
                path.display()
            )
        );
    }
}
