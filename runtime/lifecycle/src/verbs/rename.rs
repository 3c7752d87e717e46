//! `rename`: dockerd's checks in dockerd's order (empty names, lookup, same name, then the new
//! name's validity and uniqueness, both reported as "Error when allocating new name"), then the
//! config record is rewritten atomically. The in-memory name changes only once the record
//! is written, so a failed write never leaves the two apart.

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::names::ContainerName;
use crate::record;

impl<I: Images> Containers<I> {
    /// Gives a container a new name (with or without the leading `/`).
    pub fn rename(&self, reference: &str, new_name: &str) -> Result<(), LifecycleError> {
        if reference.is_empty() || new_name.is_empty() {
            return Err(LifecycleError::RenameEmpty);
        }
        let mut reg = self.shared.lock();
        let id = crate::lookup::find(&reg, reference)?;
        let slashed = format!("/{}", new_name.strip_prefix('/').unwrap_or(new_name));
        if reg.entries[&id].config.name.as_str() == slashed {
            return Err(LifecycleError::RenameToSameName);
        }
        let allocate = |source| LifecycleError::RenameAllocate {
            source: Box::new(source),
        };
        let name: ContainerName = slashed.parse().map_err(allocate)?;
        if let Some(owner) = reg.names.get(&name) {
            return Err(allocate(LifecycleError::NameConflict {
                name: name.to_string(),
                id: owner.to_string(),
            }));
        }
        let entry = reg.entry_mut(&id);
        let mut config = entry.config.clone();
        let old = std::mem::replace(&mut config.name, name.clone());
        record::write_atomic(&entry.dir.config(), &config)?;
        entry.config = config;
        reg.names.remove(&old);
        reg.names.insert(name, id);
        Ok(())
    }
}
