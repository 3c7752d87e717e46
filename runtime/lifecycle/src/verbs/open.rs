//! Opening a store, and the crash recovery that comes with it. [`Containers::open`] takes the
//! store's lock, reads every record and repairs what a dead owner left: a container recorded
//! as running has no process any more (its watcher died with the owner), so it is recorded as
//! exited with dockerd's unknown-status code 255, its leftover cgroup (and any process still
//! in it) removed, and an auto-remove one removed. Half-written creates and temp files are
//! deleted. It never touches what under the root is not a container's directory (the
//! reaper's own leftovers are the reaper's), and a record that cannot be read fails the open
//! rather than be lost.

use std::fs;
use std::sync::Arc;

use crate::containers::{Containers, Entry, Registry, Shared, StoreOptions};
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::images::Images;
use crate::record::{self, ContainerDir};
use crate::steps::removal;
use crate::time::Timestamp;

/// The exit code recorded for a container whose real exit status was lost with its owner.
const LOST_EXIT: i32 = 255;

impl<I: Images> Containers<I> {
    /// Opens (creating if needed) the store at `options.root` and repairs it after a crash.
    /// Fails while another live owner holds the store open.
    pub fn open(options: StoreOptions, images: I) -> Result<Containers<I>, LifecycleError> {
        if let Some(parent) = options.root.parent() {
            fs::create_dir_all(parent).map_err(|e| LifecycleError::io("create", parent, e))?;
        }
        record::private_dir(&options.root, record::DIR_MODE)?;
        let shared = Arc::new(Shared::new(options)?);
        {
            let mut reg = shared.lock();
            for id in container_dirs(&shared)? {
                recover_one(&shared, &mut reg, id)?;
            }
        }
        Ok(Containers { shared, images })
    }
}

/// The IDs of the container directories under the root; anything else there is left alone.
fn container_dirs(shared: &Shared) -> Result<Vec<ContainerId>, LifecycleError> {
    let read =
        fs::read_dir(&shared.root).map_err(|e| LifecycleError::io("read", &shared.root, e))?;
    let mut ids = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| LifecycleError::io("read", &shared.root, e))?;
        if let Some(id) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn recover_one(shared: &Shared, reg: &mut Registry, id: ContainerId) -> Result<(), LifecycleError> {
    let dir = ContainerDir::new(&shared.root, &id);
    for tmp in [dir.config(), dir.state()] {
        let _ = fs::remove_file(tmp.with_extension("json.tmp"));
    }
    let Some((config, mut state)) = record::load(&dir)? else {
        // A create that died before its config was written: nothing refers to it.
        return fs::remove_dir_all(&dir.path)
            .map_err(|e| LifecycleError::io("remove", &dir.path, e));
    };
    // Whatever state it was in, no process of ours runs in its cgroup any more.
    shared.sandbox.remove_leftover_cgroup(&shared.cgroup(&id))?;
    let was_running = state.status.is_running();
    if was_running {
        state.set_exited(LOST_EXIT, false, Timestamp::now());
        record::write_atomic(&dir.state(), &state)?;
    }
    reg.names.insert(config.name.clone(), id.clone());
    let auto_remove = config.host_config.auto_remove;
    reg.entries.insert(
        id.clone(),
        Entry {
            config,
            state,
            dir,
            process: None,
            exits: 0,
            hub: Default::default(),
            starting: false,
        },
    );
    if was_running && auto_remove {
        removal::remove_locked(shared, reg, &id)?;
    }
    Ok(())
}
