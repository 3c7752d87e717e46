//! `kill`: send any signal to a running container. The signal is parsed before the container
//! is looked up (an invalid one is a plain 400); every later failure is wrapped in dockerd's
//! `Cannot kill container: <arg>: ...`. SIGKILL returns once the exit is recorded, as dockerd's
//! `Kill` does. A paused container is thawed to handle the signal. This verb never records an
//! exit itself (the exit watcher does) and never escalates one signal to another.

use std::time::{Duration, Instant};

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::signal::Signal;
use crate::steps::{exits, freezer};

/// How long a SIGKILL may take to show up as an exit before `kill` returns anyway.
const KILL_GRACE: Duration = Duration::from_secs(10);

impl<I: Images> Containers<I> {
    /// Sends `signal` (a name or number, as `docker kill -s` takes it).
    pub fn kill(&self, reference: &str, signal: &str) -> Result<(), LifecycleError> {
        let signal: Signal = signal.parse()?;
        self.kill_parsed(reference, signal)
            .map_err(|source| LifecycleError::Kill {
                reference: reference.into(),
                source: Box::new(source),
            })
    }

    fn kill_parsed(&self, reference: &str, signal: Signal) -> Result<(), LifecycleError> {
        let (id, process, exits) = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let number = signal.validate()?;
            let entry = &reg.entries[&id];
            let process = match (&entry.process, entry.state.status.can_kill()) {
                (Some(p), true) => p.clone(),
                _ => return Err(LifecycleError::NotRunning { id: id.to_string() }),
            };
            process.signal(number)?;
            (id, process, entry.exits)
        };
        freezer::resume_if_paused(&self.shared, &id, &process)?;
        drop(process);
        if signal == Signal::KILL {
            exits::wait_exit(&self.shared, &id, exits, Some(Instant::now() + KILL_GRACE));
        }
        Ok(())
    }
}
