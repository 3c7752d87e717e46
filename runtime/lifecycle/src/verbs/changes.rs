//! `changes` (`docker diff`) and the size of a container's writable layer (`SizeRw`): both
//! read the container's upper dir by descriptors, with the registry released, through
//! [`crate::upper_changes`] and [`crate::tree`]. This verb only reads; it never changes a
//! container or its files.

use std::collections::BTreeSet;

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::tree::{self, Kind};
use crate::upper_changes::{changes, Change};

impl<I: Images> Containers<I> {
    /// The container's filesystem changes, as `GET /containers/{id}/changes` lists them.
    pub fn changes(&self, reference: &str) -> Result<Vec<Change>, LifecycleError> {
        let (upper, layers) = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let entry = &reg.entries[&id];
            let mut layers = entry.config.layer_dirs.clone();
            layers.reverse();
            (entry.dir.upper(), layers)
        };
        changes(&upper, &layers).map_err(|e| LifecycleError::io("diff", upper, e))
    }

    /// The bytes of the regular files and symlinks in the container's upper dir, hard links
    /// counted once (dockerd's `SizeRw`); read by descriptors, as `diff` reads it.
    pub fn size_rw(&self, reference: &str) -> Result<u64, LifecycleError> {
        let upper = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            reg.entries[&id].dir.upper()
        };
        let mut seen = BTreeSet::new();
        let mut total = 0u64;
        tree::walk(&upper, &mut |_, entry| {
            let stat = entry.stat();
            if entry.kind() != Kind::Dir && seen.insert((stat.st_dev, stat.st_ino)) {
                total += u64::try_from(stat.st_size).unwrap_or(0);
            }
            Ok(())
        })
        .map_err(|e| LifecycleError::io("size", &upper, e))?;
        Ok(total)
    }
}
