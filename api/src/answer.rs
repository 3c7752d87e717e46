//! Answers a client reads: errors, `wait`, and the fields of the list and inspect answers that
//! berth's client and harness look at. The daemon writes these documents with their full set
//! of fields in dockerd's order (its `json` module); what is here is what clients rely on.

use serde::{Deserialize, Serialize};

/// Every error answer: `{"message": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorResponse {
    pub message: String,
}

/// `POST /containers/{id}/wait`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct WaitResponse {
    pub status_code: i64,
    /// Present when the wait itself failed (dockerd 20.10 sends `null` otherwise).
    pub error: Option<WaitError>,
}

/// `WaitResponse.Error`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct WaitError {
    pub message: String,
}

/// `X-Docker-Container-Path-Stat` of `HEAD`/`GET /containers/{id}/archive` (base64 of this
/// JSON): moby's `ContainerPathStat`, `mode` being Go's `os.FileMode` bits and `mtime` Go's
/// RFC 3339 text with nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerPathStat {
    pub name: String,
    pub size: i64,
    pub mode: u32,
    pub mtime: String,
    pub link_target: String,
}

/// An entry of `GET /containers/json`, the fields clients read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerSummary {
    pub id: String,
    pub names: Vec<String>,
    pub image: String,
    #[serde(rename = "ImageID")]
    pub image_id: String,
    pub command: String,
    pub state: String,
    pub status: String,
}

/// An entry of `GET /images/json`, the fields clients read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageSummary {
    pub id: String,
    pub parent_id: String,
    #[serde(deserialize_with = "crate::go::zero_if_null")]
    pub repo_tags: Vec<String>,
    #[serde(deserialize_with = "crate::go::zero_if_null")]
    pub repo_digests: Vec<String>,
}

/// An entry of `DELETE /images/{name}`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageDeleteItem {
    Untagged(String),
    Deleted(String),
}

impl std::fmt::Display for ImageDeleteItem {
    /// As `docker rmi` prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageDeleteItem::Untagged(r) => write!(f, "Untagged: {r}"),
            ImageDeleteItem::Deleted(d) => write!(f, "Deleted: {d}"),
        }
    }
}

/// The fields of `GET /containers/{id}/json` a client acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerInspect {
    pub id: String,
    pub state: ContainerState,
    pub config: InspectConfig,
    pub host_config: InspectHostConfig,
}

/// `State` of a container inspect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerState {
    pub status: String,
    pub exit_code: i64,
}

/// `Config` of a container inspect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InspectConfig {
    pub tty: bool,
}

/// `HostConfig` of a container inspect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InspectHostConfig {
    pub auto_remove: bool,
}

/// The fields of `GET /images/{name}/json` a client acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageInspect {
    pub id: String,
    #[serde(rename = "RootFS")]
    pub root_fs: RootFs,
}

/// `RootFS` of an image inspect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RootFs {
    #[serde(deserialize_with = "crate::go::zero_if_null")]
    pub layers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rmi_items_read_as_dockerd_writes_them() {
        let items: Vec<ImageDeleteItem> =
            serde_json::from_str(r#"[{"Untagged":"a:b"},{"Deleted":"sha256:00"}]"#).unwrap();
        let lines: Vec<String> = items.iter().map(ToString::to_string).collect();
        assert_eq!(lines, ["Untagged: a:b", "Deleted: sha256:00"]);
    }

    #[test]
    fn a_wait_without_error_reads_null() {
        let wait: WaitResponse = serde_json::from_str(r#"{"StatusCode":3,"Error":null}"#).unwrap();
        assert_eq!(wait.status_code, 3);
        assert_eq!(wait.error, None);
    }
}
