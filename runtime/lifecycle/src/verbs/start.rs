//! `start`: a created or exited container runs again. The verb only finds the container; the
//! claim, the spawn and dockerd's failure rules are the start step's ([`crate::steps::launch`]),
//! which `restart` shares. Starting a running container answers NotModified (dockerd's 304).

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::steps::launch;

impl<I: Images> Containers<I> {
    /// Starts a created or exited container. Answers NotModified when it already runs.
    pub fn start(&self, reference: &str) -> Result<(), LifecycleError> {
        let id = crate::lookup::find(&self.shared.lock(), reference)?;
        launch::start_id(&self.shared, &id, reference)
    }
}
