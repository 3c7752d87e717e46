//! Forgetting a container: it leaves the registry with its name and its exec instances, its
//! clients waiting for a next run are let go, its last state is kept as a tombstone for late
//! `wait`s, and its directory goes to the reaper ([`crate::reaper`]). `rm`, a failed or ended
//! auto-remove run and crash recovery all end here. This module never checks whether a
//! container may be removed (the caller has) and never stops a process.

use crate::containers::{Registry, Shared};
use crate::error::LifecycleError;
use crate::id::ContainerId;

/// Forgets `id` and deletes its directory. The caller has checked that it is not running.
pub(crate) fn remove_locked(
    shared: &Shared,
    reg: &mut Registry,
    id: &ContainerId,
) -> Result<(), LifecycleError> {
    let Some(entry) = reg.entries.remove(id) else {
        return Ok(());
    };
    reg.names.remove(&entry.config.name);
    crate::execs::forget_container(&mut reg.execs, id);
    // Clients waiting for a next run that will never come.
    entry.hub.end_run();
    reg.bury(id.clone(), entry.state);
    shared.notify();
    // Gone from the store's directory at once; the tree is deleted in the background.
    shared.reaper.bury(id, &entry.dir.path)
}
