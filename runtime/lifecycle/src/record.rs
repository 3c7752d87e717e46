//! The on-disk records of one container: `containers/<id>/config.json` (what it is) and
//! `state.json` (what it is doing), each replaced atomically (write a temp file, rename it over
//! the old one), so a crash of the owning process leaves either the old or the new record, never
//! a torn one. This module owns the file formats and the directory layout; it never starts or
//! signals anything.
//!
//! Power loss is a harder crash, and the two records get different guarantees, because a state
//! write sits on the start path (twice per run) and an fsync costs 0.1-0.3 ms here:
//!
//! - `config.json` ([`write_atomic`]) is fsynced, renamed, and its directory fsynced: a create
//!   that answered survives power loss.
//! - `state.json` ([`replace`]) is renamed without an fsync. After power loss it holds an
//!   earlier state or the latest; on ext4 (`auto_da_alloc`, the default) a rename over an
//!   existing file also orders its data first, so it is never empty. Losing the last transition
//!   is harmless: after power loss nothing runs, and opening the store (`verbs/open.rs`) reports a container
//!   recorded as running as exited. A state file that a filesystem without that ordering left
//!   empty or zero-filled reads as missing (the container is `created`), never as corrupt.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
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
    /// The image's labels with the request's on top (`Config.Labels`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `Config.StopTimeout`: seconds `stop` waits by default (10 when unset; negative: ever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
}

/// Docker's `.HostConfig` subset the runtime uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostOptions {
    pub auto_remove: bool,
    /// Not Docker's: the owner removes the container right after its exit (the engine's
    /// `run --rm`, which reads the log first), so its upper dir is mounted volatile like an
    /// auto-remove one's and no exit pays for syncing it.
    #[serde(default)]
    pub disposable: bool,
    pub log_config: LogConfig,
    pub memory: Option<u64>,
    pub pids_limit: Option<u64>,
    pub cpu_shares: Option<u64>,
    /// `HostConfig.NetworkMode` as inspect shows it: `default`, `none`, `host`, a network name,
    /// or `container:<full ID>` (`NetworkMode`). Records older than it mean `default`.
    #[serde(default = "default_network_mode")]
    pub network_mode: String,
    /// `HostConfig.Binds` as the request gave them.
    #[serde(default)]
    pub binds: Vec<String>,
    /// `HostConfig.Mounts` as the request gave them.
    #[serde(default)]
    pub mounts: Vec<crate::binds::MountRequest>,
    /// What the two above bind, checked at create (inspect's `Mounts`).
    #[serde(default)]
    pub mount_points: Vec<crate::binds::MountPoint>,
    /// `HostConfig.SecurityOpt` as the request gave it ([`crate::security`]); records
    /// older than it had none (Docker's defaults).
    #[serde(default)]
    pub security_opt: Option<Vec<String>>,
    /// `HostConfig.GroupAdd` as the request gave it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
}

fn default_network_mode() -> String {
    "default".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfig {
    /// Always `json-file`: SDKs refuse to read logs of any other driver.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The driver's options as given (`--log-opt`), shown by inspect.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            kind: "json-file".into(),
            config: BTreeMap::new(),
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

    /// Creates the directory (`0710`, as dockerd's) with its empty `upper/`, `work/` and
    /// `rootfs/`.
    pub fn create(&self) -> Result<(), LifecycleError> {
        private_dir(&self.path, DIR_MODE)?;
        for d in [self.upper(), self.work(), self.rootfs()] {
            fs::create_dir_all(&d).map_err(|e| LifecycleError::io("create", d, e))?;
        }
        Ok(())
    }
}

/// The mode of `containers/` and of each container's directory, as dockerd's: the store's
/// owner, and search for its group. A container's files keep their image's set-id bits and
/// modes; nobody else may reach them.
pub const DIR_MODE: u32 = 0o710;

/// Creates the directory `path` with `mode`, or takes from an existing one every permission
/// `mode` does not grant.
pub fn private_dir(path: &Path, mode: u32) -> Result<(), LifecycleError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match fs::DirBuilder::new().mode(mode).create(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        other => other.map_err(|e| LifecycleError::io("create", path, e))?,
    }
    let current = fs::metadata(path)
        .map_err(|e| LifecycleError::io("stat", path, e))?
        .permissions()
        .mode()
        & 0o7777;
    if current & mode != current {
        fs::set_permissions(path, fs::Permissions::from_mode(current & mode))
            .map_err(|e| LifecycleError::io("chmod", path, e))?;
    }
    Ok(())
}

/// Replaces `path` with `value` as JSON, atomically and durably (survives power loss).
pub fn write_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), LifecycleError> {
    write_renamed(path, value, Durability::PowerLoss)
}

/// Replaces `path` with `value` as JSON, atomically: a crash of the process leaves the old
/// record or the new one. Not flushed; see the module docs for what power loss may do.
pub fn replace<T: Serialize>(path: &Path, value: &T) -> Result<(), LifecycleError> {
    write_renamed(path, value, Durability::ProcessCrash)
}

/// What a record write must survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    ProcessCrash,
    PowerLoss,
}

fn write_renamed<T: Serialize>(
    path: &Path,
    value: &T,
    durability: Durability,
) -> Result<(), LifecycleError> {
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(value).map_err(|source| LifecycleError::CorruptRecord {
        path: path.into(),
        source,
    })?;
    // Owner-only, as dockerd's `config.v2.json`.
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| LifecycleError::io("create", &tmp, e))?;
    f.write_all(&bytes)
        .and_then(|()| match durability {
            Durability::PowerLoss => f.sync_all(),
            Durability::ProcessCrash => Ok(()),
        })
        .map_err(|e| LifecycleError::io("write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| LifecycleError::io("rename", path, e))?;
    if durability == Durability::ProcessCrash {
        return Ok(());
    }
    // The rename is durable only once the directory entry is.
    let dir = path.parent().unwrap_or(Path::new("."));
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
    Ok(Some((config, load_state(&dir.state())?)))
}

/// The state record; `created` when there is none yet (create writes only the config) or when
/// power loss left an unflushed one empty or zero-filled (see the module docs).
fn load_state(path: &Path) -> Result<StateRecord, LifecycleError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StateRecord::default()),
        Err(e) => return Err(LifecycleError::io("read", path, e)),
    };
    if bytes.iter().all(|&b| b == 0) {
        return Ok(StateRecord::default());
    }
    serde_json::from_slice(&bytes).map_err(|source| LifecycleError::CorruptRecord {
        path: path.into(),
        source,
    })
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
    fn replace_leaves_no_temp_file_either() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let s = StateRecord {
            exit_code: 7,
            ..StateRecord::default()
        };
        replace(&path, &s).unwrap();
        assert_eq!(read::<StateRecord>(&path).unwrap(), s);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_state_lost_to_power_loss_reads_as_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(load_state(&path).unwrap(), StateRecord::default());
        fs::write(&path, b"").unwrap();
        assert_eq!(load_state(&path).unwrap(), StateRecord::default());
        fs::write(&path, [0u8; 141]).unwrap();
        assert_eq!(load_state(&path).unwrap(), StateRecord::default());
        fs::write(&path, b"{\"Status\":\"run").unwrap();
        assert!(load_state(&path).is_err());
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
