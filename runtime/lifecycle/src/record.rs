//! The on-disk records of one container: `containers/<id>/config.json` (what it is) and
//! `state.json` (what it is doing), each replaced atomically (write a temp file, fsync it, rename
//! it over the old one, fsync the directory), so a crash leaves either the old or the new record,
//! never a torn one. This module owns the file formats and the directory layout; it never starts
//! or signals anything.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::names::ContainerName;
use crate::state::StateRecord;
use crate::time::Timestamp;

/// What a container is: fixed at create, except its name (rename).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    pub id: ContainerId,
    pub name: ContainerName,
    pub created: Timestamp,
    /// The image reference as typed at create time.
    pub image: String,
    pub image_id: String,
    /// The resolved command: `argv[0]` and the rest (`.Path` and `.Args`).
    pub path: String,
    pub args: Vec<String>,
    pub config: ProcessConfig,
    pub host_config: HostOptions,
    /// The image's layer directories, bottom to top.
    pub layer_dirs: Vec<PathBuf>,
}

/// Docker's `.Config` subset the runtime uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessConfig {
    pub hostname: String,
    pub env: Vec<String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub working_dir: String,
    pub user: String,
    pub image: String,
    /// `-t`: the container's stdio is a pseudo-terminal (`Config.Tty`).
    #[serde(default)]
    pub tty: bool,
    /// `-i`: the engine keeps the container's stdin open for attached clients.
    #[serde(default)]
    pub open_stdin: bool,
    /// Close the container's stdin when the first attached stdin detaches.
    #[serde(default)]
    pub stdin_once: bool,
    /// As the client gave them at create; recorded for inspect only.
    #[serde(default)]
    pub attach_stdin: bool,
    #[serde(default)]
    pub attach_stdout: bool,
    #[serde(default)]
    pub attach_stderr: bool,
}

/// Docker's `.HostConfig` subset the runtime uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostOptions {
    pub auto_remove: bool,
    pub log_config: LogConfig,
    pub memory: Option<u64>,
    pub pids_limit: Option<u64>,
    pub cpu_shares: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfig {
    /// Always `json-file`: SDKs refuse to read logs of any other driver.
    #[serde(rename = "Type")]
    pub kind: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            kind: "json-file".into(),
        }
    }
}

/// The directory layout of one container under the store root.
#[derive(Debug, Clone)]
pub struct ContainerDir {
    pub path: PathBuf,
}

impl ContainerDir {
    pub fn new(root: &Path, id: &ContainerId) -> ContainerDir {
        ContainerDir {
            path: root.join(id.as_str()),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.path.join("config.json")
    }

    pub fn state(&self) -> PathBuf {
        self.path.join("state.json")
    }

    pub fn log(&self, id: &ContainerId) -> PathBuf {
        self.path.join(format!("{id}-json.log"))
    }

    pub fn upper(&self) -> PathBuf {
        self.path.join("upper")
    }

    pub fn work(&self) -> PathBuf {
        self.path.join("work")
    }

    pub fn rootfs(&self) -> PathBuf {
        self.path.join("rootfs")
    }

    /// Creates the directory with its empty `upper/`, `work/` and `rootfs/`.
    pub fn create(&self) -> Result<(), LifecycleError> {
        for d in [self.upper(), self.work(), self.rootfs()] {
            fs::create_dir_all(&d).map_err(|e| LifecycleError::io("create", d, e))?;
        }
        Ok(())
    }
}

/// Replaces `path` with `value` as JSON, atomically and durably.
pub fn write_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), LifecycleError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(value).map_err(|source| LifecycleError::CorruptRecord {
        path: path.into(),
        source,
    })?;
    let mut f = File::create(&tmp).map_err(|e| LifecycleError::io("create", &tmp, e))?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| LifecycleError::io("write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| LifecycleError::io("rename", path, e))?;
    // The rename is durable only once the directory entry is.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| LifecycleError::io("fsync", dir, e))
}

/// Reads one JSON record.
pub fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, LifecycleError> {
    let bytes = fs::read(path).map_err(|e| LifecycleError::io("read", path, e))?;
    serde_json::from_slice(&bytes).map_err(|source| LifecycleError::CorruptRecord {
        path: path.into(),
        source,
    })
}

/// Both records of a container directory. A directory without a complete `config.json` is a
/// create that crashed half way: `None`, and the caller removes it.
pub fn load(dir: &ContainerDir) -> Result<Option<(ContainerConfig, StateRecord)>, LifecycleError> {
    if !dir.config().exists() {
        return Ok(None);
    }
    let config: ContainerConfig = read(&dir.config())?;
    // A missing state file means the create crashed between the two writes: still created.
    let state = if dir.state().exists() {
        read(&dir.state())?
    } else {
        StateRecord::default()
    };
    Ok(Some((config, state)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut s = StateRecord::default();
        write_atomic(&path, &s).unwrap();
        s.exit_code = 3;
        write_atomic(&path, &s).unwrap();
        assert_eq!(read::<StateRecord>(&path).unwrap(), s);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }

    #[test]
    fn a_torn_record_is_reported_not_guessed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, b"{\"Status\":\"run").unwrap();
        let e = read::<StateRecord>(&path).unwrap_err();
        assert!(matches!(e, LifecycleError::CorruptRecord { .. }), "{e}");
    }
}
