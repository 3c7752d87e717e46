//! `pause` and `unpause`: the container's cgroup frozen and thawed (its processes stay,
//! stopped by the kernel), with dockerd's checks and texts, through the freezer step
//! ([`crate::steps::freezer`]) that `commit` shares. Neither verb ever signals the container.

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::steps::freezer;

impl<I: Images> Containers<I> {
    /// Freezes a running container.
    pub fn pause(&self, reference: &str) -> Result<(), LifecycleError> {
        freezer::set_paused(&self.shared, reference, true)
    }

    /// Thaws a paused container.
    pub fn unpause(&self, reference: &str) -> Result<(), LifecycleError> {
        freezer::set_paused(&self.shared, reference, false)
    }
}
