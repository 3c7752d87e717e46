//! Registry credentials from a docker-style `config.json` (`{"auths": {"host": {"auth":
//! base64("user:pass")}}}` or `username`/`password` fields). The path is always given by the
//! caller, which resolves `$DOCKER_CONFIG` or `~/.docker/config.json`: library code never
//! reads the environment. Credential helpers (`credsStore`, `credHelpers`) and identity
//! tokens are not supported; entries that use them are skipped with a warning.

use crate::error::RegistryError;
use base64::Engine as _;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// A user name and password for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub username: String,
    pub password: String,
}

/// Never prints the password.
impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl BasicCredentials {
    pub fn new(username: &str, password: &str) -> Self {
        BasicCredentials {
            username: username.to_owned(),
            password: password.to_owned(),
        }
    }

    /// The `Authorization` header value for Basic auth.
    pub fn header_value(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// Credentials by registry host.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    by_host: HashMap<String, BasicCredentials>,
}

#[derive(serde::Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
}

#[derive(serde::Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

impl Credentials {
    /// No credentials: every pull is anonymous.
    pub fn none() -> Self {
        Credentials::default()
    }

    /// Reads a docker `config.json`. A missing file means no credentials, as for docker.
    pub fn from_config_file(path: &Path) -> Result<Self, RegistryError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_config_json(&text, &path.display().to_string()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::none()),
            Err(err) => Err(RegistryError::Credentials {
                path: path.display().to_string(),
                reason: err.to_string(),
            }),
        }
    }

    /// Parses the text of a `config.json`; `origin` names it in errors.
    pub fn from_config_json(text: &str, origin: &str) -> Result<Self, RegistryError> {
        let error = |reason: String| RegistryError::Credentials {
            path: origin.to_owned(),
            reason,
        };
        let file: ConfigFile = serde_json::from_str(text).map_err(|e| error(e.to_string()))?;
        let mut credentials = Credentials::none();
        for (key, entry) in file.auths {
            match entry
                .credentials()
                .map_err(|reason| error(format!("auths[{key:?}]: {reason}")))?
            {
                Some(basic) => credentials.insert(&key, basic),
                None if entry.identitytoken.is_some() => {
                    tracing::warn!(registry = %key, "identity tokens are not supported; entry skipped")
                }
                None => {}
            }
        }
        Ok(credentials)
    }

    /// Adds credentials for a registry, named as in `config.json` (`host:port`,
    /// `https://index.docker.io/v1/`, ...).
    pub fn insert(&mut self, registry: &str, credentials: BasicCredentials) {
        self.by_host.insert(canonical_host(registry), credentials);
    }

    /// The credentials for a registry host (`registry-1.docker.io` finds Docker Hub's).
    pub fn for_host(&self, host: &str) -> Option<&BasicCredentials> {
        self.by_host.get(&canonical_host(host))
    }
}

impl AuthEntry {
    fn credentials(&self) -> Result<Option<BasicCredentials>, String> {
        if let Some(auth) = self.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8(decoded).map_err(|_| "auth is not UTF-8".to_owned())?;
            let (user, pass) = text.split_once(':').ok_or("auth is not user:password")?;
            return Ok(Some(BasicCredentials::new(
                user,
                pass.trim_end_matches('\0'),
            )));
        }
        match (&self.username, &self.password) {
            (Some(user), Some(pass)) if !user.is_empty() => {
                Ok(Some(BasicCredentials::new(user, pass)))
            }
            _ => Ok(None),
        }
    }
}

/// docker's `ConvertToHostname`, plus folding Docker Hub's names into one.
fn canonical_host(registry: &str) -> String {
    let stripped = registry
        .strip_prefix("https://")
        .or_else(|| registry.strip_prefix("http://"))
        .unwrap_or(registry);
    let host = stripped
        .split('/')
        .next()
        .unwrap_or_default()
        .to_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".to_owned(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
        "auths": {
            "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
            "127.0.0.1:5000": {"username": "alice", "password": "pa:ss"},
            "https://other.example/path": {"auth": "Ym9iOnB3"},
            "tokens.example": {"identitytoken": "xyz"}
        },
        "credsStore": "desktop"
    }"#;

    #[test]
    fn auth_and_username_password_entries_are_read() {
        let c = Credentials::from_config_json(CONFIG, "config.json").unwrap();
        assert_eq!(
            c.for_host("registry-1.docker.io"),
            Some(&BasicCredentials::new("hub", "secret"))
        );
        assert_eq!(
            c.for_host("127.0.0.1:5000"),
            Some(&BasicCredentials::new("alice", "pa:ss"))
        );
        assert_eq!(
            c.for_host("other.example"),
            Some(&BasicCredentials::new("bob", "pw"))
        );
        assert_eq!(c.for_host("tokens.example"), None);
        assert_eq!(c.for_host("127.0.0.1:5001"), None);
    }

    #[test]
    fn missing_file_is_no_credentials_and_bad_json_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Credentials::from_config_file(&dir.path().join("nope.json"))
            .unwrap()
            .for_host("docker.io")
            .is_none());
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{").unwrap();
        let err = Credentials::from_config_file(&bad).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("reading credentials from {}", bad.display())),
            "{err}"
        );
    }

    #[test]
    fn basic_header_and_debug_hide_nothing_they_should_not() {
        let c = BasicCredentials::new("alice", "secret");
        assert_eq!(c.header_value(), "Basic YWxpY2U6c2VjcmV0");
        assert!(!format!("{c:?}").contains("secret"));
    }
}
