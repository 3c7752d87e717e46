//! `rm`: remove a stopped container's records, log and upper dir; with force, kill a running
//! one first. The container leaves the registry and its directory is moved aside before `rm`
//! answers ([`crate::steps::removal`]); deleting the tree happens off the caller's path
//! ([`crate::reaper`]). Mounts need no cleanup (they live only in the container's mount
//! namespace) and the exit watcher has already removed the cgroup by the time a container
//! counts as stopped.

use std::time::{Duration, Instant};

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::signal::SIGKILL;
use crate::state::State;
use crate::steps::{exits, freezer, removal};

impl<I: Images> Containers<I> {
    /// Removes a container; a running one only with `force` (which kills it first).
    pub fn remove(&self, reference: &str, force: bool) -> Result<(), LifecycleError> {
        let (id, kill) = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            // A start in progress finishes first, as on dockerd's container lock: then this
            // removes a running container (with force) or refuses to.
            let (reg, _) = self.shared.wait_until(reg, None, |r| {
                r.entries.get(&id).is_none_or(|e| !e.starting)
            });
            let Some(entry) = reg.entries.get(&id) else {
                return Err(LifecycleError::NoSuchContainer {
                    reference: reference.into(),
                });
            };
            match entry.state.status {
                State::Paused if !force => {
                    return Err(LifecycleError::RemovePaused { id: id.to_string() })
                }
                status if status.is_running() && !force => {
                    return Err(LifecycleError::RemoveRunning { id: id.to_string() })
                }
                _ => {}
            }
            (id.clone(), entry.process.clone().map(|p| (p, entry.exits)))
        };
        if let Some((process, exits)) = kill {
            process.signal(SIGKILL)?;
            freezer::resume_if_paused(&self.shared, &id, &process)?;
            let deadline = Instant::now() + Duration::from_secs(10);
            exits::wait_exit(&self.shared, &id, exits, Some(deadline));
        }
        let mut reg = self.shared.lock();
        if !reg.entries.contains_key(&id) {
            // Auto-removed while it was being killed: the caller's wish is fulfilled.
            return Ok(());
        }
        removal::remove_locked(&self.shared, &mut reg, &id)
    }
}
