//! `restart`: the stop step if the container runs (a container that does not is no error),
//! then the start step, as dockerd's `ContainerRestart`. An auto-remove container is gone once
//! stopped, so its restart answers `No such container`, as with dockerd. This verb never
//! starts a container whose stop failed.

use std::time::Duration;

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::steps::{halt, launch};

impl<I: Images> Containers<I> {
    /// Stops the container if it runs, then starts it again.
    pub fn restart(&self, reference: &str, timeout: Duration) -> Result<(), LifecycleError> {
        let id = crate::lookup::find(&self.shared.lock(), reference)?;
        match halt::stop_id(&self.shared, &id, timeout) {
            Ok(()) | Err(LifecycleError::NotModified { .. }) => {}
            Err(e) => return Err(e),
        }
        // An auto-remove container is gone once stopped, as with dockerd: `No such container`.
        launch::start_id(&self.shared, &id, reference)
    }
}
