//! `pause` and `unpause`: the container's cgroup frozen and thawed (its processes stay, stopped
//! by the kernel), with dockerd's checks and texts. A signal sent to a paused container resumes
//! it, as dockerd's `killWithSignal` does, so that the signal is handled at all.

use crate::containers::{Containers, Process, Shared};
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::images::Images;
use crate::state::State;

impl<I: Images> Containers<I> {
    /// Freezes a running container.
    pub fn pause(&self, reference: &str) -> Result<(), LifecycleError> {
        self.set_paused(reference, true)
    }

    /// Thaws a paused container.
    pub fn unpause(&self, reference: &str) -> Result<(), LifecycleError> {
        self.set_paused(reference, false)
    }

    fn set_paused(&self, reference: &str, paused: bool) -> Result<(), LifecycleError> {
        let mut reg = self.shared.lock();
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
        self.shared.notify();
        Ok(())
    }
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
