//! The image config as Docker reads it (`application/vnd.docker.container.image.v1+json`, of
//! which the OCI config is a subset). `oci_spec`'s `ImageConfiguration` is not used here because
//! it drops what Docker's inspect shows: `container`, `container_config`, `docker_version`, and
//! the Docker-only fields of `config` (`Hostname`, `AttachStdout`, ...). The image ID is the
//! digest of the config's exact bytes, so this type is only ever parsed, never re-serialised
//! into a stored config. It owns the field set and its JSON names; it never does I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::digest::Digest;

/// A Docker/OCI image config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(
        default,
        rename = "os.version",
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub config: Option<RunConfig>,
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub container_config: Option<RunConfig>,
    #[serde(default)]
    pub docker_version: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub history: Vec<History>,
    pub rootfs: RootFs,
}

/// `rootfs`: the DiffIDs of the layers, bottom first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub diff_ids: Vec<Digest>,
}

/// One `history` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// Docker's `container.Config`, with its JSON names and its `omitempty` fields, so that it
/// serialises as the Engine API shows it (`"Volumes":null`, `"Labels":null`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RunConfig {
    pub hostname: String,
    pub domainname: String,
    pub user: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    pub env: Option<Vec<String>>,
    #[serde(deserialize_with = "str_slice")]
    pub cmd: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub args_escaped: bool,
    pub image: String,
    pub volumes: Option<BTreeMap<String, Value>>,
    pub working_dir: String,
    #[serde(deserialize_with = "str_slice")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub network_disabled: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mac_address: String,
    pub on_build: Option<Vec<String>>,
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "str_slice"
    )]
    pub shell: Option<Vec<String>>,
}

impl ImageConfig {
    pub fn parse(bytes: &[u8]) -> Result<ImageConfig, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Docker's `strslice.StrSlice`: a JSON array of strings, or a single string meaning a
/// one-element array, or null.
fn str_slice<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => None,
        Some(OneOrMany::One(s)) => Some(vec![s]),
        Some(OneOrMany::Many(v)) => Some(v),
    })
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMITTED: &str = r#"{"architecture":"amd64","author":"Ann Author","config":{"Hostname":"8ca0ca696cfc","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["/bin/echo","x"],"Image":"bb","Volumes":null,"WorkingDir":"","Entrypoint":null,"NetworkDisabled":true,"OnBuild":null,"Labels":{}},"container":"8ca0ca696cfc02668324015bfc13e6b2587c584f5db2943732c28ad069521700","container_config":{"Hostname":"8ca0ca696cfc","Cmd":["sh","-c","echo hi \u003e /hi; rm /data/seed.txt"],"Image":"bb"},"created":"2026-11-27T13:43:49.098383598Z","docker_version":"20.10.24+dfsg1","history":[{"created":"2026-11-27T13:43:12.284867042Z","comment":"Imported from -"},{"created":"2026-11-27T13:43:49.098383598Z","author":"Ann Author","created_by":"sh -c echo hi \u003e /hi; rm /data/seed.txt","comment":"msg"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:9c9c6104289509643bf3e7e2c39af945c51a4b6e7d78a089783ed9be0f6cf38a","sha256:efef028319df599198cb05d6b3573edc66d8ad8fe0a2232ca1cd610934b9e5a3"]}}"#;

    #[test]
    fn a_docker_committed_config_keeps_its_docker_fields() {
        let c = ImageConfig::parse(COMMITTED.as_bytes()).unwrap();
        assert_eq!(c.container.as_deref().map(str::len), Some(64));
        assert_eq!(c.docker_version.as_deref(), Some("20.10.24+dfsg1"));
        let run = c.config.unwrap();
        assert_eq!(run.hostname, "8ca0ca696cfc");
        assert!(run.network_disabled);
        assert_eq!(
            run.cmd,
            Some(vec!["/bin/echo".to_string(), "x".to_string()])
        );
        assert_eq!(c.rootfs.diff_ids.len(), 2);
        assert_eq!(c.history[1].comment.as_deref(), Some("msg"));
    }

    #[test]
    fn run_config_serialises_like_the_engine_api() {
        let run = RunConfig {
            cmd: Some(vec!["sh".into()]),
            ..RunConfig::default()
        };
        let json = serde_json::to_string(&run).unwrap();
        assert_eq!(
            json,
            r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["sh"],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}"#
        );
    }

    #[test]
    fn a_string_cmd_is_a_one_element_list() {
        let run: RunConfig = serde_json::from_str(r#"{"Cmd":"sh","Entrypoint":null}"#).unwrap();
        assert_eq!(run.cmd, Some(vec!["sh".to_string()]));
        assert_eq!(run.entrypoint, None);
    }

    #[test]
    fn an_oci_config_without_docker_fields_parses() {
        let c = ImageConfig::parse(
            br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":[]},"history":null}"#,
        )
        .unwrap();
        assert_eq!(c.config.unwrap().env, Some(vec!["PATH=/bin".to_string()]));
        assert!(c.history.is_empty());
    }
}
