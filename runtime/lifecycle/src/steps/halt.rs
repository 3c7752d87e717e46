//! The stop step that `stop`, `stop_within` and `restart` share: SIGTERM (a paused container
//! is thawed to receive it), then SIGKILL once the grace period passes, sleeping on the
//! registry's condition variable (never holding the registry while the container winds down)
//! or, for async callers, awaiting whichever comes first of the exit and a timer. A container
//! that is not running answers NotModified (dockerd's 304). This module never looks a
//! container up by a reference and never records an exit (the exit watcher does).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::{exits, freezer};
use crate::containers::{Process, Shared};
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::signal::{SIGKILL, SIGTERM};

/// Stops `id`: SIGTERM, SIGKILL after `timeout`, and returns once the exit is recorded.
pub(crate) fn stop_id(
    shared: &Shared,
    id: &ContainerId,
    timeout: Duration,
) -> Result<(), LifecycleError> {
    let Some(Signalled { process, exits }) = signal_stop(shared, id)? else {
        return Ok(());
    };
    // A deadline beyond what the clock can hold is no deadline.
    if !exits::wait_exit(shared, id, exits, Instant::now().checked_add(timeout)) {
        process.signal(SIGKILL)?;
        exits::wait_exit(shared, id, exits, None);
    }
    Ok(())
}

/// A stop under way: the process was sent SIGTERM, and its exit is the one after `exits`.
pub(crate) struct Signalled {
    pub process: Arc<Process>,
    pub exits: u64,
}

/// The first step of a stop: SIGTERM (a paused container is thawed to receive it). `None`
/// for a container that runs no process.
pub(crate) fn signal_stop(
    shared: &Shared,
    id: &ContainerId,
) -> Result<Option<Signalled>, LifecycleError> {
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
    process.signal(SIGTERM)?;
    freezer::resume_if_paused(shared, id, &process)?;
    Ok(Some(Signalled { process, exits }))
}

/// Polls both futures until one is done: whether it was `first`.
pub(crate) async fn finishes_first(first: impl Future, second: impl Future) -> bool {
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
