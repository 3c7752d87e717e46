//! The exec endpoints' bodies: `POST /containers/{id}/exec` (Go's `container.ExecOptions`) and
//! `POST /exec/{id}/start` (`container.ExecStartOptions`), in Go's field order.

use serde::{Deserialize, Serialize};

use crate::create::Strings;

/// `POST /containers/{id}/exec`'s body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecCreateBody {
    pub user: String,
    pub privileged: bool,
    pub tty: bool,
    /// `[height, width]`, sent only with `-t` on a terminal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_size: Option<[u32; 2]>,
    pub attach_stdin: bool,
    pub attach_stderr: bool,
    pub attach_stdout: bool,
    pub detach: bool,
    pub detach_keys: String,
    pub env: Option<Vec<String>>,
    pub working_dir: String,
    pub cmd: Option<Strings>,
}

/// `POST /exec/{id}/start`'s body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecStartBody {
    pub detach: bool,
    pub tty: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_size: Option<[u32; 2]>,
}

/// `POST /containers/{id}/exec`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdResponse {
    #[serde(rename = "Id")]
    pub id: String,
}
