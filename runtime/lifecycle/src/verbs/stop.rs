//! `stop`: SIGTERM, then SIGKILL once the timeout passes, returning once the exit is recorded;
//! for async callers ([`Containers::stop_within`]) the grace period is a future of the
//! caller's runtime and no thread is held. The signalling and the sleeps are the stop step's
//! ([`crate::steps::halt`]). Stopping a container that is not running answers NotModified
//! (dockerd's 304). This verb never removes a container (an auto-remove one goes with its
//! exit).

use std::future::Future;
use std::time::Duration;

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::signal::SIGKILL;
use crate::steps::{exits, halt};

impl<I: Images> Containers<I> {
    /// Stops a running container: SIGTERM, SIGKILL after `timeout`, and returns once the exit
    /// is recorded.
    pub fn stop(&self, reference: &str, timeout: Duration) -> Result<(), LifecycleError> {
        let id = crate::lookup::find(&self.shared.lock(), reference)?;
        halt::stop_id(&self.shared, &id, timeout)
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
        let Some(signalled) = halt::signal_stop(&self.shared, &id)? else {
            return Ok(());
        };
        let exits = signalled.exits;
        let exited = || {
            self.shared
                .until(|r| exits::has_exited(r, &id, exits).then_some(()))
        };
        if !halt::finishes_first(exited(), grace).await {
            signalled.process.signal(SIGKILL)?;
            exited().await;
        }
        Ok(())
    }
}
