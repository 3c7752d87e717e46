//! `stop` and `restart`: SIGTERM, then SIGKILL once the timeout passes, sleeping on the
//! registry's condition variable (never holding the registry while the container winds down),
//! or, for async callers ([`Containers::stop_within`]), awaiting the registry's changes with
//! no thread held. Stopping a container that is not running answers NotModified (dockerd's
//! 304).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::containers::{Containers, Process, Registry, Shared};
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

    /// [`Containers::stop`] for async callers: SIGTERM, then SIGKILL once `grace` resolves
    /// (a timer of the caller's runtime; a future that never resolves waits for the process
    /// however long it takes). Resolves once the exit is recorded.
    pub async fn stop_within(
        &self,
        reference: &str,
        grace: impl Future<Output = ()>,
    ) -> Result<(), LifecycleError> {
        let id = crate::lookup::find(&self.shared.lock(), reference)?;
        let Some(signalled) = signal_stop(&self.shared, &id)? else {
            return Ok(());
        };
        let exits = signalled.exits;
        let exited = || {
            self.shared
                .until(|r| has_exited(r, &id, exits).then_some(()))
        };
        if !finishes_first(exited(), grace).await {
            signalled.process.signal(libc_signal::SIGKILL)?;
            exited().await;
        }
        Ok(())
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
    let Some(Signalled { process, exits }) = signal_stop(shared, id)? else {
        return Ok(());
    };
    // A deadline beyond what the clock can hold is no deadline.
    if !wait_exit(shared, id, exits, Instant::now().checked_add(timeout)) {
        process.signal(libc_signal::SIGKILL)?;
        wait_exit(shared, id, exits, None);
    }
    Ok(())
}

/// A stop under way: the process was sent SIGTERM, and its exit is the one after `exits`.
struct Signalled {
    process: Arc<Process>,
    exits: u64,
}

/// The first step of a stop: SIGTERM (a paused container is thawed to receive it). `None`
/// for a container that runs no process.
fn signal_stop(shared: &Shared, id: &ContainerId) -> Result<Option<Signalled>, LifecycleError> {
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
        return Ok(None);
    };
    process.signal(libc_signal::SIGTERM)?;
    crate::pause::resume_if_paused(shared, id, &process)?;
    Ok(Some(Signalled { process, exits }))
}

/// Whether the container's exit count moved past `exits` (or it is gone).
fn has_exited(r: &Registry, id: &ContainerId, exits: u64) -> bool {
    r.entries.get(id).is_none_or(|e| e.exits != exits)
}

/// Polls both futures until one is done: whether it was `first`.
async fn finishes_first(first: impl Future, second: impl Future) -> bool {
    let (mut first, mut second) = (pin!(first), pin!(second));
    std::future::poll_fn(|cx| {
        if first.as_mut().poll(cx).is_ready() {
            Poll::Ready(true)
        } else if second.as_mut().poll(cx).is_ready() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    })
    .await
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
        .wait_until(reg, deadline, |r| has_exited(r, id, exits))
        .1
}

/// The two signal numbers this crate sends itself (Linux values).
pub(crate) mod libc_signal {
    pub const SIGKILL: i32 = 9;
    pub const SIGTERM: i32 = 15;
}
