//! `wait`: block (or, for async callers, await holding no thread) until dockerd's condition
//! holds for a container: not running, its next exit, or its removal; a container removed just
//! before the wait came in answers from its tombstone. Exits are recorded by the exit watcher
//! ([`crate::steps::exits`]), which drains the log pipes first, so once `wait` answers, `logs`
//! holds everything the container wrote. This verb only reads the registry; it never changes a
//! container.

use std::sync::Arc;
use std::time::Instant;

use crate::containers::{Containers, Registry};
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::images::Images;
use crate::state::StateRecord;

/// dockerd's `condition` values; anything unknown means not-running, as dockerd treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitCondition {
    /// Answer as soon as the container is not running (at once for created or exited ones).
    #[default]
    NotRunning,
    /// Answer at the next exit, even if the container is not running now.
    NextExit,
    /// Answer once the container is removed.
    Removed,
}

impl std::str::FromStr for WaitCondition {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "next-exit" => WaitCondition::NextExit,
            "removed" => WaitCondition::Removed,
            _ => WaitCondition::NotRunning,
        })
    }
}

/// The body of `POST /containers/{id}/wait`: `StatusCode`, and `Error.Message` when the last
/// start failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitOutcome {
    pub status_code: i32,
    pub error: Option<String>,
}

impl WaitOutcome {
    fn of(state: &StateRecord) -> WaitOutcome {
        WaitOutcome {
            status_code: state.exit_code,
            error: (!state.error.is_empty()).then(|| state.error.clone()),
        }
    }

    /// The answer for a removed container: its exit code, and never an error (dockerd answers
    /// a `removed` wait on an auto-remove container whose start failed with `"Error":null`).
    fn of_removed(state: &StateRecord) -> WaitOutcome {
        WaitOutcome {
            status_code: state.exit_code,
            error: None,
        }
    }
}

impl<I: Images> Containers<I> {
    /// Blocks until `condition` holds for the container, or until `deadline` passes (then
    /// `Ok(None)`).
    pub fn wait(
        &self,
        reference: &str,
        condition: WaitCondition,
        deadline: Option<Instant>,
    ) -> Result<Option<WaitOutcome>, LifecycleError> {
        let reg = self.shared.lock();
        let id = match crate::lookup::find(&reg, reference) {
            Ok(id) => id,
            // Removed just before the wait came in (an auto-remove container that ran at once):
            // asked by its full ID, it answers with its last state, as if it had been waiting.
            Err(e) => {
                let buried = reference
                    .parse::<ContainerId>()
                    .ok()
                    .and_then(|id| reg.tombstone(&id).map(WaitOutcome::of_removed));
                return buried.map(Some).ok_or(e);
            }
        };
        let exits = reg.entries[&id].exits;
        let mut outcome = None;
        let (_reg, done) = self.shared.wait_until(reg, deadline, |reg| {
            outcome = check(reg, &id, condition, exits);
            outcome.is_some()
        });
        Ok(if done { outcome } else { None })
    }

    /// [`Containers::wait`] for async callers, without a deadline: the container is looked up
    /// now (a wrong reference is an error at once, and `NextExit` counts from now) and the
    /// future, which owns what it needs, waits holding no thread. Dropping it ends the wait.
    pub fn wait_async(
        &self,
        reference: &str,
        condition: WaitCondition,
    ) -> Result<impl std::future::Future<Output = WaitOutcome> + Send + 'static, LifecycleError>
    {
        let (id, exits, mut last) = {
            let reg = self.shared.lock();
            match crate::lookup::find(&reg, reference) {
                Ok(id) => {
                    let entry = &reg.entries[&id];
                    (id.clone(), entry.exits, entry.state.clone())
                }
                // Removed just before the wait came in, as in `wait`.
                Err(e) => {
                    let buried = reference.parse::<ContainerId>().ok().and_then(|id| {
                        let state = reg.tombstone(&id).cloned();
                        state.map(|state| (id, state))
                    });
                    let (id, state) = buried.ok_or(e)?;
                    (id, 0, state)
                }
            }
        };
        let shared = Arc::clone(&self.shared);
        Ok(async move {
            shared
                .until(|reg| {
                    let answer = check(reg, &id, condition, exits);
                    match reg.entries.get(&id) {
                        Some(entry) => last = entry.state.clone(),
                        // Gone, and its tombstone already evicted: its last known state.
                        None => return answer.or_else(|| Some(WaitOutcome::of_removed(&last))),
                    }
                    answer
                })
                .await
        })
    }
}

fn check(reg: &Registry, id: &ContainerId, cond: WaitCondition, exits: u64) -> Option<WaitOutcome> {
    let Some(entry) = reg.entries.get(id) else {
        // Removed while we waited: every condition is met by then.
        return reg.tombstone(id).map(WaitOutcome::of_removed);
    };
    let met = match cond {
        WaitCondition::NotRunning => !entry.state.status.is_running(),
        WaitCondition::NextExit => entry.exits != exits,
        WaitCondition::Removed => false,
    };
    met.then(|| WaitOutcome::of(&entry.state))
}
