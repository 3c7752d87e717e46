//! The container registry: every known container's records in memory, guarded by one mutex,
//! with a condition variable that is notified on every state change (start, exit, removal) so
//! `wait` and `stop` can sleep on it, and a change counter that async callers await instead
//! (`until`), so that a daemon's waiting clients hold no thread. Every change is written to
//! disk before the lock is released, so what is on disk is never behind what a caller was
//! told. This module owns only the shared structure and its invariants (names unique, one
//! process handle per running container); it never implements a verb: the verbs live in
//! `verbs/`, one file each, and the steps several of them share in `steps/`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use berth_sandbox::{CgroupSpec, HostConfig, NetnsPool, Running, Sandbox};

use crate::error::LifecycleError;
use crate::hub::Hub;
use crate::id::ContainerId;
use crate::names::ContainerName;
use crate::record::{self, ContainerConfig, ContainerDir};
use crate::state::StateRecord;

/// Where the store lives on the host.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The `containers/` directory: one subdirectory per container.
    pub root: PathBuf,
    /// The cgroup parent of every container (relative to each hierarchy's root, e.g. `berth`).
    pub cgroup_parent: PathBuf,
    pub host: HostConfig,
}

/// A container's records, as `inspect` returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspect {
    pub config: ContainerConfig,
    pub state: StateRecord,
    /// `LogPath`: the json-file log.
    pub log_path: PathBuf,
    /// `HostnamePath`, `HostsPath`, `ResolvConfPath`: none until the first start writes them.
    pub etc_files: Option<crate::etc_files::EtcFiles>,
}

impl Inspect {
    /// What `entry` records, as inspect shows it.
    pub(crate) fn of(e: &Entry) -> Inspect {
        Inspect {
            config: e.config.clone(),
            state: e.state.clone(),
            log_path: e.dir.log(&e.config.id),
            etc_files: crate::etc_files::EtcFiles::written(&e.dir.path),
        }
    }

    /// The container's writable layer (overlay's upper directory).
    pub fn upper_dir(&self) -> PathBuf {
        self.dir().join("upper")
    }

    /// The container's own directory, which holds its records, log and overlay directories.
    pub fn dir(&self) -> &std::path::Path {
        self.log_path.parent().unwrap_or(std::path::Path::new("/"))
    }
}

/// The containers of one store. Cheap to share between threads by reference; every verb
/// blocks only as long as it must (`stop` and `wait` sleep without holding the registry).
#[derive(Debug)]
pub struct Containers<I> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) images: I,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub root: PathBuf,
    /// An exclusive `flock` on `<root>/.lock`, held while the store is open: two owners of one
    /// store would each believe the other's running containers crashed.
    _lock: std::fs::File,
    pub cgroup_parent: PathBuf,
    /// The shared read-only layer with the sandbox's mount points ([`crate::init_layer`]).
    pub init_layer: PathBuf,
    pub sandbox: Sandbox,
    /// The host's `/proc`.
    pub proc_root: PathBuf,
    /// Network namespaces prepared ahead, so no start pays for creating one.
    pub netns: NetnsPool,
    /// Deletes removed containers' directories off the caller's path ([`crate::reaper`]).
    pub reaper: crate::reaper::Reaper,
    registry: Mutex<Registry>,
    changed: Condvar,
    /// Bumped at every `notify`, for async waiters (a runtime-free tokio channel).
    generation: tokio::sync::watch::Sender<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub entries: BTreeMap<ContainerId, Entry>,
    pub names: HashMap<ContainerName, ContainerId>,
    /// The last state of recently removed containers, so a `wait` that was sleeping when an
    /// auto-removal happened can still answer the exit code. Bounded by [`TOMBSTONES`].
    pub tombstones: VecDeque<(ContainerId, StateRecord)>,
    /// The exec instances of the containers ([`crate::execs`]).
    pub execs: crate::execs::Execs,
}

const TOMBSTONES: usize = 256;

/// Prepared network namespaces kept ready: one covers back-to-back runs (a refill takes about
/// half a millisecond, a run several), the second a short burst.
const NETNS_POOL: usize = 2;

#[derive(Debug)]
pub(crate) struct Entry {
    pub config: ContainerConfig,
    pub state: StateRecord,
    pub dir: ContainerDir,
    /// Present exactly while the process lives (between a successful spawn and the recorded exit).
    pub process: Option<Arc<Process>>,
    /// How many exits were recorded since the store was opened; `wait next-exit` and `stop`
    /// watch it change.
    pub exits: u64,
    /// The container's live I/O: attached clients, log followers, stdin, the pty master.
    pub hub: Arc<Hub>,
    /// A start passed its checks and is reading the container's files with the registry
    /// released (the start step's claim); another start and `rm` wait until it is done, as
    /// dockerd's per-container lock makes them.
    pub starting: bool,
}

/// A live container process. Only the exit watcher reaps it; everyone else only signals.
#[derive(Debug)]
pub(crate) struct Process {
    pub running: Mutex<Option<Running>>,
}

impl Process {
    /// Sends `signal`; a process that already exited is not an error here (the caller decides).
    pub fn signal(&self, signal: i32) -> Result<(), LifecycleError> {
        let guard = self.running.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref().map(|r| r.signal(signal)) {
            None | Some(Ok(())) | Some(Err(berth_sandbox::SandboxError::NotRunning { .. })) => {
                Ok(())
            }
            Some(Err(e)) => Err(e.into()),
        }
    }

    /// Freezes or thaws the process's cgroup; a process that already exited is left alone.
    pub fn freeze(&self, frozen: bool) -> Result<(), LifecycleError> {
        let guard = self.running.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(running) => Ok(running.freeze(frozen)?),
            None => Ok(()),
        }
    }
}

/// How long a store waits for its lock before concluding another owner has it.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Takes the exclusive `flock`, waiting a little if it is held. A lock belongs to the open file
/// description, and a process forked by any thread of this one (a container's sandbox child
/// before it closes its descriptors, a helper before its `exec`) holds a copy for a few
/// milliseconds: a store reopened in that window would otherwise be refused. A real second
/// owner still holds it after the wait.
fn lock_exclusive(lock: &std::fs::File) -> rustix::io::Result<()> {
    let deadline = std::time::Instant::now() + LOCK_PATIENCE;
    loop {
        match rustix::fs::flock(lock, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Err(rustix::io::Errno::WOULDBLOCK) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

impl Shared {
    pub fn new(options: StoreOptions) -> Result<Shared, LifecycleError> {
        let path = options.root.join(".lock");
        let lock =
            std::fs::File::create(&path).map_err(|e| LifecycleError::io("open", &path, e))?;
        lock_exclusive(&lock).map_err(|e| LifecycleError::io("lock", &path, e.into()))?;
        let init_layer = crate::init_layer::ensure(&options.root)?;
        let reaper = crate::reaper::Reaper::start(&options.root)?;
        Ok(Shared {
            netns: NetnsPool::start(&options.host.proc_root, NETNS_POOL),
            proc_root: options.host.proc_root.clone(),
            reaper,
            init_layer,
            root: options.root,
            _lock: lock,
            cgroup_parent: options.cgroup_parent,
            sandbox: Sandbox::new(options.host),
            registry: Mutex::new(Registry::default()),
            changed: Condvar::new(),
            generation: tokio::sync::watch::Sender::new(0),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock leaves records that were already written to disk
        // consistent, so the registry stays usable.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn notify(&self) {
        self.changed.notify_all();
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Resolves with the first `Some` that `check` answers, asking it now and after every
    /// change; it holds the registry only while `check` runs and no thread while it waits.
    /// Subscribing before the first check means no change can fall between a check and the
    /// wait that follows it.
    pub async fn until<T>(&self, mut check: impl FnMut(&Registry) -> Option<T>) -> T {
        let mut changes = self.generation.subscribe();
        loop {
            if let Some(answer) = check(&self.lock()) {
                return answer;
            }
            // The sender lives as long as `self`, so this never fails while anyone awaits.
            let _ = changes.changed().await;
        }
    }

    /// Sleeps until `done` holds or `deadline` passes; answers whether `done` held.
    pub fn wait_until<'a>(
        &'a self,
        mut guard: MutexGuard<'a, Registry>,
        deadline: Option<Instant>,
        mut done: impl FnMut(&Registry) -> bool,
    ) -> (MutexGuard<'a, Registry>, bool) {
        loop {
            if done(&guard) {
                return (guard, true);
            }
            guard = match deadline {
                None => self.changed.wait(guard).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return (guard, false);
                    }
                    self.changed
                        .wait_timeout(guard, left.min(Duration::from_secs(1)))
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    pub fn cgroup(&self, id: &ContainerId) -> CgroupSpec {
        CgroupSpec {
            parent: self.cgroup_parent.clone(),
            name: id.to_string(),
        }
    }
}

impl Registry {
    /// Persists `id`'s state (atomically, not flushed: see [`record`] for why that is
    /// enough); the in-memory copy is the caller's to change first.
    pub fn save_state(&self, id: &ContainerId) -> Result<(), LifecycleError> {
        let e = &self.entries[id];
        record::replace(&e.dir.state(), &e.state)
    }

    pub fn entry_mut(&mut self, id: &ContainerId) -> &mut Entry {
        self.entries
            .get_mut(id)
            .expect("looked-up container is registered")
    }

    pub fn bury(&mut self, id: ContainerId, state: StateRecord) {
        if self.tombstones.len() == TOMBSTONES {
            self.tombstones.pop_front();
        }
        self.tombstones.push_back((id, state));
    }

    pub fn tombstone(&self, id: &ContainerId) -> Option<&StateRecord> {
        self.tombstones
            .iter()
            .rev()
            .find(|(i, _)| i == id)
            .map(|(_, s)| s)
    }
}

/// A registry entry for unit tests that never touch the disk.
#[cfg(test)]
pub(crate) fn test_entry(id: &ContainerId, name: &str) -> Entry {
    use crate::record::{HostOptions, ProcessConfig};
    Entry {
        config: ContainerConfig {
            id: id.clone(),
            name: name.parse().unwrap(),
            created: crate::time::Timestamp::ZERO,
            image: "img".into(),
            image_id: String::new(),
            path: "true".into(),
            args: Vec::new(),
            config: ProcessConfig::default(),
            host_config: HostOptions::default(),
            layer_dirs: Vec::new(),
        },
        state: StateRecord::default(),
        dir: ContainerDir::new(std::path::Path::new("/nonexistent"), id),
        process: None,
        exits: 0,
        hub: Default::default(),
        starting: false,
    }
}
