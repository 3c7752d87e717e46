//! Freezing and thawing a container's cgroup with its record kept in step: the pause and
//! unpause step with dockerd's checks and texts (`pause`, `unpause` and `commit` use it), and
//! the thaw after a signal, which dockerd's `killWithSignal` does so that a paused container
//! handles the signal at all. The processes stay, stopped by the kernel. This module never
//! sends a signal and never waits for an exit.

use crate::containers::{Process, Shared};
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::state::State;

/// Freezes (`paused`) or thaws the container `reference` names, refusing as dockerd does a
/// container that is not running, already paused, or not paused.
pub(crate) fn set_paused(
    shared: &Shared,
    reference: &str,
    paused: bool,
) -> Result<(), LifecycleError> {
    let mut reg = shared.lock();
    let id = crate::lookup::find(&reg, reference)?;
    let entry = reg.entry_mut(&id);
    let refused = match (entry.state.status, paused) {
        (State::Running, true) | (State::Paused, false) => None,
        (State::Paused, true) => Some(LifecycleError::AlreadyPaused { id: id.to_string() }),
        (status, true) if !status.is_running() => {
            Some(LifecycleError::NotRunning { id: id.to_string() })
        }
        _ => Some(LifecycleError::NotPaused { id: id.to_string() }),
    };
    if let Some(e) = refused {
        return Err(e);
    }
    let Some(process) = entry.process.clone() else {
        return Err(LifecycleError::NotRunning { id: id.to_string() });
    };
    process.freeze(paused)?;
    entry.state.status = if paused {
        State::Paused
    } else {
        State::Running
    };
    reg.save_state(&id)?;
    drop(reg);
    shared.notify();
    Ok(())
}

/// After a signal: thaws the container if it is paused and records it running again.
pub(crate) fn resume_if_paused(
    shared: &Shared,
    id: &ContainerId,
    process: &Process,
) -> Result<(), LifecycleError> {
    let mut reg = shared.lock();
    let Some(entry) = reg.entries.get_mut(id) else {
        return Ok(());
    };
    if entry.state.status != State::Paused {
        return Ok(());
    }
    process.freeze(false)?;
    entry.state.status = State::Running;
    reg.save_state(id)?;
    drop(reg);
    shared.notify();
    Ok(())
}
