//! The engine: one object that owns an image store and the containers run from it, under one
//! root directory (the store's own layout, `images/`, `layers/`, `blobs/`, `leases/`, ..., next
//! to `containers/`), and answers Docker's verbs with Docker's semantics and texts. It is the
//! library the daemon and the embedded conformance engine call.
//!
//! It owns only the joins between the two halves: resolving images for the lifecycle with a
//! layer lease per container (`images.rs`), answering the store's "which containers use this
//! image?" for `rmi` (`users.rs`), and `commit`, which needs both. Every verb is a thin wrapper;
//! the rules live in `berth-store` and `berth-lifecycle`. It never depends on the reference
//! model.

mod archive;
mod cgroups;
mod changes;
mod commit;
mod containers;
mod error;
mod exec;
mod fsck;
mod image_verbs;
mod images;
mod prune;
mod run;
mod top;
mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use berth_lifecycle::Containers;
use berth_sandbox::HostConfig;
use berth_store::Store;

// The vocabulary of the engine's verbs, so that its users (the daemon) name one crate: the
// lifecycle's containers, execs, logs and live I/O, the store's images, and what inspect shows
// of the sandbox's confinement.
pub use berth_lifecycle::{
    AttachOptions, Attachment, Change, ChangeKind, ContainerConfig, ContainerId, ContainerName,
    ContainerStdin, CreateOptions, EtcFiles, ExecInspect, ExecOptions, ExecStreams, HostOptions,
    Inspect, LogConfig, LogEntry, LogFollow, LogSpan, MountRequest, NetworkMode, Output,
    OutputReceiver, PathStat, ProcessConfig, State, StateRecord, Stream, WaitCondition,
    WaitOutcome,
};
pub use berth_sandbox::{default_masked_paths, READONLY_PATH_NAMES};
pub use berth_store::{
    DeleteRecord, HistoryItem, ImageId, ImageInspect, ImageSummary, ListOptions, LoadReport,
};
pub use cgroups::{CgroupInfo, CgroupVersion};
pub use changes::apply_changes;
pub use commit::CommitOptions;
pub use error::EngineError;
pub use exec::ExecStart;
pub use fsck::{fsck, ContainerProblem, EngineFsck};
pub use images::StoreImages;
pub use prune::{match_kv_list, ContainersPruned, ImagesPruned, PruneFilters};
pub use run::RunOutput;
pub use top::Top;

/// Where an engine keeps its state on the host.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The store's root; containers live in `<root>/containers/`.
    pub root: PathBuf,
    /// The cgroup parent of every container, relative to each hierarchy's root.
    pub cgroup_parent: PathBuf,
    pub host: HostConfig,
    pub store: berth_store::StoreOptions,
}

impl EngineOptions {
    /// The defaults a daemon wants, under `root`.
    pub fn new(root: &Path) -> EngineOptions {
        EngineOptions {
            root: root.to_owned(),
            cgroup_parent: PathBuf::from("berth"),
            host: HostConfig::standard(),
            store: berth_store::StoreOptions::default(),
        }
    }
}

/// An image store and its containers.
#[derive(Debug)]
pub struct Engine {
    root: PathBuf,
    store: Store,
    containers: Containers<StoreImages>,
    cgroups: CgroupInfo,
}

impl Engine {
    /// Opens (creating if needed) the engine under `options.root`, repairing what a crash
    /// left: the lifecycle reports containers that were running as exited, leases whose
    /// container is gone (or whose create never finished) are released, and a container
    /// whose create died before its lease was recorded gets it. The store's lock is taken
    /// first: an engine another process has open is refused before anything is touched.
    pub fn open(options: EngineOptions) -> Result<Engine, EngineError> {
        let store = Store::open_with(&options.root, options.store)?;
        let cgroups = CgroupInfo::of_host(&options.host.cgroup_v1_root);
        let containers = Containers::open(
            berth_lifecycle::StoreOptions {
                root: options.root.join("containers"),
                cgroup_parent: options.cgroup_parent,
                host: options.host,
            },
            StoreImages::new(store.clone()),
        )?;
        let engine = Engine {
            root: options.root,
            store,
            containers,
            cgroups,
        };
        engine.release_orphaned_leases(true)?;
        engine.lease_unleased_containers()?;
        Ok(engine)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The cgroup version and driver `docker info` reports.
    pub fn cgroups(&self) -> CgroupInfo {
        self.cgroups
    }

    /// The image store itself, for tests and diagnostics that look beneath the engine's verbs.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The container lifecycle itself, for tests and diagnostics that look beneath the
    /// engine's verbs.
    pub fn containers(&self) -> &Containers<StoreImages> {
        &self.containers
    }

    /// Stops every running container (SIGTERM, then SIGKILL after `timeout`) and closes the
    /// engine. Leases stay: the containers still exist and may be started again.
    pub fn shutdown(self, timeout: Duration) {
        self.containers.shutdown(timeout);
    }
}
