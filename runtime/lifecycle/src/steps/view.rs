//! A container's root filesystem as its processes see it, opened for the daemon's own reads
//! and writes (`docker cp`, `export`). A running or paused container is reached through its
//! init's `/proc/<pid>/root`, which is its own mount tree (its `/etc/hosts` and `/proc`
//! included). A container that does not run gets the same overlay a start mounts, mounted
//! privately by the sandbox ([`berth_sandbox::detached_root`]); it is claimed meanwhile, as a
//! start claims it, so a start or an `rm` waits until the view is dropped.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

use berth_sandbox::{PrivateRoot, RootfsSpec};
use rustix::fs::{Mode, OFlags};

use crate::containers::{Process, Shared};
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::layers::lower_layers;

/// An open root, and the claim that keeps a stopped container from starting under it.
#[derive(Debug)]
pub(crate) struct View {
    root: Root,
    /// Whether the container's processes run (and can change the tree meanwhile).
    pub running: bool,
    _claim: Option<Claim>,
}

/// Where the root came from; both hold it open.
#[derive(Debug)]
enum Root {
    Live(OwnedFd),
    Private(PrivateRoot),
}

impl View {
    /// The root directory opened for listing and for lookups below it (a descriptor of its
    /// own, which the caller may keep as long as it holds the view).
    pub fn open_root(&self) -> Result<OwnedFd, LifecycleError> {
        self.root()
            .try_clone_to_owned()
            .and_then(crate::beneath::pin_fd)
            .and_then(|pinned| pinned.open_dir())
            .map_err(|e| LifecycleError::io("open", "the container's root", e))
    }

    /// The root directory (an `O_PATH` descriptor): `/` for lookups with `RESOLVE_IN_ROOT`.
    pub fn root(&self) -> BorrowedFd<'_> {
        match &self.root {
            Root::Live(fd) => fd.as_fd(),
            Root::Private(private) => private.fd(),
        }
    }
}

/// Opens the root of the container `reference` names.
pub(crate) fn open(shared: &Arc<Shared>, reference: &str) -> Result<View, LifecycleError> {
    let id = crate::lookup::find(&shared.lock(), reference)?;
    let (mut reg, _) = shared.wait_until(shared.lock(), None, |r| {
        r.entries.get(&id).is_none_or(|e| !e.starting)
    });
    let gone = || LifecycleError::NoSuchContainer {
        reference: reference.into(),
    };
    let entry = reg.entries.get_mut(&id).ok_or_else(gone)?;
    if let Some(process) = entry.process.clone() {
        drop(reg);
        return live(shared, process, id);
    }
    entry.starting = true;
    let spec = RootfsSpec {
        lower_dirs: lower_layers(&shared.init_layer, &entry.config.layer_dirs),
        upper_dir: entry.dir.upper(),
        work_dir: entry.dir.work(),
        mount_point: entry.dir.rootfs(),
        volatile: false,
    };
    drop(reg);
    let claim = Claim {
        shared: shared.clone(),
        id: id.clone(),
    };
    let root = berth_sandbox::detached_root(&spec, &shared.proc_root)?;
    Ok(View {
        root: Root::Private(root),
        running: false,
        _claim: Some(claim),
    })
}

/// The root of a running container, through its init's `/proc` entry. The init is asked,
/// by its pidfd, whether it still lives after the open: a PID reused meanwhile would have
/// failed that check, so the root opened is this container's.
fn live(shared: &Shared, process: Arc<Process>, id: ContainerId) -> Result<View, LifecycleError> {
    let not_running = || LifecycleError::NotRunning { id: id.to_string() };
    let running = process.running.lock().unwrap_or_else(|e| e.into_inner());
    let init = running.as_ref().ok_or_else(not_running)?;
    let path = shared.proc_root.join(format!("{}/root", init.pid()));
    let root = rustix::fs::open(
        &path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|_| not_running())?;
    init.signal(0).map_err(|_| not_running())?;
    drop(running);
    Ok(View {
        root: Root::Live(root),
        running: true,
        _claim: None,
    })
}

/// A stopped container held for a view: `starting` is set, so a start or an `rm` waits.
#[derive(Debug)]
struct Claim {
    shared: Arc<Shared>,
    id: ContainerId,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut reg = self.shared.lock();
        if let Some(entry) = reg.entries.get_mut(&self.id) {
            entry.starting = false;
        }
        drop(reg);
        self.shared.notify();
    }
}
