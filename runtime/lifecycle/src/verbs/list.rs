//! `list` (`docker ps -a`'s question to the runtime): every container's records, oldest
//! first; filtering and formatting are the caller's. This verb only reads the registry, for as
//! long as the copy takes.

use crate::containers::{Containers, Inspect};
use crate::images::Images;

impl<I: Images> Containers<I> {
    /// Every container, oldest first.
    pub fn list(&self) -> Vec<Inspect> {
        let reg = self.shared.lock();
        let mut all: Vec<Inspect> = reg.entries.values().map(Inspect::of).collect();
        all.sort_by_key(|c| c.config.created);
        all
    }
}
