//! `fsck` of a whole engine root: the image store's check ([`berth_store::fsck`]) and the
//! joins only the engine knows, between container records and layer leases. Like the store's,
//! it is read-only, runs on a root no engine has open, and sorts what it finds into leftovers
//! (what a crash may leave and the next open repairs) and damage (what no crash may leave).
//! This module owns the container half of the report; it never repairs anything.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use berth_lifecycle::{ContainerConfig, StateRecord};
use berth_store::{FsckReport, ImageId, Lease, Problem, Severity};

use super::images::PENDING_PREFIX;
use super::EngineError;

/// One way the container records and the leases disagree with what the engine's writes
/// promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerProblem {
    /// A container directory without `config.json`: a create that died before its record was
    /// written. The next open removes it.
    HalfCreated { dir: PathBuf },
    /// A record's temporary file (`*.json.tmp`), left by a write that never finished.
    TempRecord { path: PathBuf },
    /// A lease whose owner is no container: released by the next open.
    OrphanLease { owner: String },
    /// A container with no lease: a create that died between recording the container and its
    /// lease. The next open takes the lease again, from its image.
    Unleased { container: String },
    /// A container record that cannot be read.
    UnreadableRecord { path: PathBuf, reason: String },
    /// A container with neither a lease nor its image: nothing holds its layers.
    Unrooted { container: String, image: String },
}

impl ContainerProblem {
    pub fn severity(&self) -> Severity {
        match self {
            ContainerProblem::HalfCreated { .. }
            | ContainerProblem::TempRecord { .. }
            | ContainerProblem::OrphanLease { .. }
            | ContainerProblem::Unleased { .. } => Severity::Leftover,
            ContainerProblem::UnreadableRecord { .. } | ContainerProblem::Unrooted { .. } => {
                Severity::Damage
            }
        }
    }
}

impl fmt::Display for ContainerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ContainerProblem as C;
        match self {
            C::HalfCreated { dir } => write!(f, "half-created container {}", dir.display()),
            C::TempRecord { path } => write!(f, "temporary record {}", path.display()),
            C::OrphanLease { owner } => write!(f, "lease {owner} has no container"),
            C::Unleased { container } => write!(f, "container {container} holds no lease"),
            C::UnreadableRecord { path, reason } => {
                write!(
                    f,
                    "container record {} is unreadable: {reason}",
                    path.display()
                )
            }
            C::Unrooted { container, image } => write!(
                f,
                "container {container}: no lease and its image {image} is gone"
            ),
        }
    }
}

/// What [`fsck`] found: the store's report and the containers'.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineFsck {
    pub store: FsckReport,
    pub containers: Vec<ContainerProblem>,
    /// Container records that could be read.
    pub container_count: usize,
}

impl EngineFsck {
    pub fn is_clean(&self) -> bool {
        self.store.is_clean() && self.containers.is_empty()
    }

    /// Every problem no crash may cause, as text (store first).
    pub fn damage(&self) -> Vec<String> {
        let store = self.store.damage().into_iter().map(Problem::to_string);
        let containers = self
            .containers
            .iter()
            .filter(|p| p.severity() == Severity::Damage)
            .map(ContainerProblem::to_string);
        store.chain(containers).collect()
    }
}

/// Checks the engine root `root` (no engine may have it open): the store, then every container
/// record against the leases and images.
pub fn fsck(root: &Path) -> Result<EngineFsck, EngineError> {
    let store = berth_store::fsck(root)?;
    let leases = leases(&root.join("leases"))?;
    let images: BTreeSet<String> = images(root)?;
    let mut report = EngineFsck {
        store,
        ..EngineFsck::default()
    };
    let mut containers = BTreeSet::new();
    for dir in entries(&root.join("containers"))? {
        let name = name_of(&dir);
        if !is_container_id(&name) || !dir.is_dir() {
            continue;
        }
        let Some(config) = container(&dir, &mut report)? else {
            continue;
        };
        report.container_count += 1;
        let id = config.id.to_string();
        if !leases.contains(&id) {
            report
                .containers
                .push(match images.contains(&config.image_id) {
                    true => ContainerProblem::Unleased {
                        container: id.clone(),
                    },
                    false => ContainerProblem::Unrooted {
                        container: id.clone(),
                        image: config.image_id.clone(),
                    },
                });
        }
        containers.insert(id);
    }
    for owner in leases.difference(&containers) {
        if owner.starts_with(PENDING_PREFIX) || is_container_id(owner) {
            let owner = owner.clone();
            report
                .containers
                .push(ContainerProblem::OrphanLease { owner });
        }
    }
    Ok(report)
}

/// One container directory: its temporary records, and its config when it has a readable one.
fn container(dir: &Path, report: &mut EngineFsck) -> Result<Option<ContainerConfig>, EngineError> {
    for path in entries(dir)? {
        if name_of(&path).ends_with(".json.tmp") {
            report
                .containers
                .push(ContainerProblem::TempRecord { path });
        }
    }
    let config_path = dir.join("config.json");
    if !config_path.exists() {
        let dir = dir.to_owned();
        report
            .containers
            .push(ContainerProblem::HalfCreated { dir });
        return Ok(None);
    }
    let config = read::<ContainerConfig>(&config_path);
    let state = dir.join("state.json");
    let state = match fs::read(&state) {
        Ok(bytes) if !bytes.iter().all(|&b| b == 0) => read::<StateRecord>(&state).map(|_| ()),
        _ => Ok(()),
    };
    match (config, state) {
        (Ok(config), Ok(())) => Ok(Some(config)),
        (Err((path, reason)), _) | (_, Err((path, reason))) => {
            let problem = ContainerProblem::UnreadableRecord { path, reason };
            report.containers.push(problem);
            Ok(None)
        }
    }
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, (PathBuf, String)> {
    let bytes = fs::read(path).map_err(|e| (path.to_owned(), e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| (path.to_owned(), e.to_string()))
}

/// The owners of the lease records that can be read.
fn leases(dir: &Path) -> Result<BTreeSet<String>, EngineError> {
    let mut owners = BTreeSet::new();
    for path in entries(dir)? {
        let name = name_of(&path);
        let Some(owner) = name.strip_suffix(".json") else {
            continue;
        };
        // An unreadable lease is the store report's to name.
        if read::<Lease>(&path).is_ok() {
            owners.insert(owner.to_owned());
        }
    }
    Ok(owners)
}

/// The IDs (`sha256:...`) of the image records present (a damaged one is the store report's
/// to name).
fn images(root: &Path) -> Result<BTreeSet<String>, EngineError> {
    let mut ids = BTreeSet::new();
    for path in entries(&root.join("images"))? {
        let name = name_of(&path);
        let Some(hex) = name.strip_suffix(".json") else {
            continue;
        };
        if let Ok(id) = format!("sha256:{hex}").parse::<ImageId>() {
            ids.insert(id.to_string());
        }
    }
    Ok(ids)
}

fn entries(dir: &Path) -> Result<Vec<PathBuf>, EngineError> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(EngineError::io("read", dir, e)),
    };
    let mut paths = Vec::new();
    for entry in read {
        paths.push(entry.map_err(|e| EngineError::io("read", dir, e))?.path());
    }
    paths.sort();
    Ok(paths)
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Container IDs are 64 lowercase hex characters.
fn is_container_id(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
