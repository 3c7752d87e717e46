//! `inspect`: one container's records as they stand, found by dockerd's lookup rules. This
//! verb only reads the registry, for as long as the copy takes; it never reads a container's
//! files.

use crate::containers::{Containers, Inspect};
use crate::error::LifecycleError;
use crate::images::Images;

impl<I: Images> Containers<I> {
    /// One container's records (`docker inspect`).
    pub fn inspect(&self, reference: &str) -> Result<Inspect, LifecycleError> {
        let reg = self.shared.lock();
        let id = crate::lookup::find(&reg, reference)?;
        Ok(Inspect::of(&reg.entries[&id]))
    }
}
