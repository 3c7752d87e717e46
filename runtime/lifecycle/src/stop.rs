//! `stop` and `restart`: SIGTERM, then SIGKILL once the timeout passes, sleeping on the
//! registry's condition variable (never holding the registry while the container winds down).
//! Stopping a container that is not running answers NotModified (dockerd's 304).

use std::time::{Duration, Instant};

use crate::containers::{Containers, Shared};
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::images::Images;

impl<I: Images> Containers<I> {
    /// Stops a running container: SIGTERM, SIGKILL after `timeout`, and returns once the exit
    /// is recorded.
    pub fn stop(&self, reference: &str, timeout: Duration) -> Result<(), LifecycleError> {
        let id = crate::lookup::find(&self.shared.lock(), reference)?;
        stop_id(&self.shared, &id, timeout)
    }

    /// Stops the container if it runs, then starts it again.
    pub fn restart(&self, reference: &str, timeout: Duration) -> Result<(), LifecycleError> {
        let id = crate::lookup::find(&self.shared.lock(), reference)?;
        match stop_id(&self.shared, &id, timeout) {
            Ok(()) | Err(LifecycleError::NotModified { .. }) => {}
            Err(e) => return Err(e),
        }
        // An auto-remove container is gone once stopped, as with dockerd: `No such container`.
        crate::start::start_id(&self.shared, &id, reference)
    }
}

pub(crate) fn stop_id(
    shared: &Shared,
    id: &ContainerId,
    timeout: Duration,
) -> Result<(), LifecycleError> {
    let (process, exits) = {
        let reg = shared.lock();
        let entry = reg
            .entries
            .get(id)
            .ok_or_else(|| LifecycleError::NoSuchContainer {
                reference: id.to_string(),
            })?;
        if !entry.state.status.can_stop() {
            return Err(LifecycleError::NotModified {
                id: id.to_string(),
                what: "stopped",
            });
        }
        (entry.process.clone(), entry.exits)
    };
    let Some(process) = process else {
        return Ok(());
    };
    process.signal(libc_signal::SIGTERM)?;
    crate::pause::resume_if_paused(shared, id, &process)?;
    if !wait_exit(shared, id, exits, Some(Instant::now() + timeout)) {
        process.signal(libc_signal::SIGKILL)?;
        wait_exit(shared, id, exits, None);
    }
    Ok(())
}

/// Sleeps until the container's exit count moves past `exits` (or it is removed).
pub(crate) fn wait_exit(
    shared: &Shared,
    id: &ContainerId,
    exits: u64,
    deadline: Option<Instant>,
) -> bool {
    let reg = shared.lock();
    shared
        .wait_until(reg, deadline, |r| {
            r.entries.get(id).is_none_or(|e| e.exits != exits)
        })
        .1
}

/// The two signal numbers this crate sends itself (Linux values).
pub(crate) mod libc_signal {
    pub const SIGKILL: i32 = 9;
    pub const SIGTERM: i32 = 15;
}
