//! The reference store, `repositories.json`: which image each tag (`repo:tag`) and digest
//! reference (`repo@sha256:<manifest>`) points to. The file keeps Docker's shape
//! (`{"Repositories":{repo:{ref:id}}}`) but with fully normalised names
//! (`docker.io/library/alpine:latest`), so that no reader has to re-apply Docker's defaults.
//! Every change is saved atomically before it is reported. It owns the mapping only; the rules
//! about when a reference may be added or removed live with the operations (`Store`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::image::ImageId;
use crate::record::{self, RecordError};
use berth_core::reference::Reference;

/// The file's name under the root.
pub const FILE: &str = "repositories.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct RepositoriesFile {
    #[serde(rename = "Repositories", default)]
    repositories: BTreeMap<String, BTreeMap<Reference, ImageId>>,
}

/// See the module docs.
#[derive(Debug)]
pub struct References {
    path: PathBuf,
    refs: BTreeMap<Reference, ImageId>,
}

impl References {
    /// Loads `root/repositories.json` (an absent file is an empty store).
    pub fn open(root: &Path) -> Result<References, RecordError> {
        remove_stale_temps(root)?;
        References::read(root)
    }

    /// Loads `root/repositories.json` without changing anything on disk.
    pub fn read(root: &Path) -> Result<References, RecordError> {
        let path = root.join(FILE);
        let file: RepositoriesFile = record::read(&path)?.unwrap_or_default();
        let refs = file.repositories.into_values().flatten().collect();
        Ok(References { path, refs })
    }

    /// Every reference and its target.
    pub fn all(&self) -> impl Iterator<Item = (&Reference, &ImageId)> {
        self.refs.iter()
    }

    /// Removes every reference whose target `keep` refuses, in one save; answers them.
    pub fn retain(
        &mut self,
        keep: impl Fn(&ImageId) -> bool,
    ) -> Result<Vec<(Reference, ImageId)>, RecordError> {
        let dropped: Vec<(Reference, ImageId)> = self
            .refs
            .iter()
            .filter(|(_, id)| !keep(id))
            .map(|(r, id)| (r.clone(), id.clone()))
            .collect();
        if !dropped.is_empty() {
            self.refs.retain(|_, id| keep(id));
            self.save()?;
        }
        Ok(dropped)
    }

    /// The image a reference points to. A reference with both tag and digest is looked up by
    /// its digest, as Docker does.
    pub fn get(&self, reference: &Reference) -> Option<&ImageId> {
        self.refs.get(&reference.key())
    }

    /// Every reference to `id`, sorted by full name (Docker's order for `Untagged:` lines).
    pub fn of(&self, id: &ImageId) -> Vec<Reference> {
        self.refs
            .iter()
            .filter(|(_, target)| *target == id)
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Whether any reference points to `id`.
    pub fn any(&self, id: &ImageId) -> bool {
        self.refs.values().any(|target| target == id)
    }

    /// Points `reference` at `id`, replacing what it pointed to; returns the previous target.
    pub fn set(
        &mut self,
        reference: &Reference,
        id: &ImageId,
    ) -> Result<Option<ImageId>, RecordError> {
        let previous = self.refs.insert(reference.key(), id.clone());
        if previous.as_ref() != Some(id) {
            self.save()?;
        }
        Ok(previous)
    }

    /// Removes `reference`; returns what it pointed to, if anything.
    pub fn remove(&mut self, reference: &Reference) -> Result<Option<ImageId>, RecordError> {
        let previous = self.refs.remove(&reference.key());
        if previous.is_some() {
            self.save()?;
        }
        Ok(previous)
    }

    fn save(&self) -> Result<(), RecordError> {
        let mut file = RepositoriesFile::default();
        for (reference, id) in &self.refs {
            file.repositories
                .entry(reference.name())
                .or_default()
                .insert(reference.clone(), id.clone());
        }
        record::write(&self.path, &file)
    }
}

/// A save interrupted by a crash leaves `.tmp-repositories.json-*` next to the file. Only
/// those are removed: the root directory is shared with the container half.
fn remove_stale_temps(root: &Path) -> Result<(), RecordError> {
    let prefix = format!("{}repositories.json-", crate::atomic::TEMP_PREFIX);
    for entry in std::fs::read_dir(root).map_err(record::io_at(root))? {
        let entry = entry.map_err(record::io_at(root))?;
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(record::io_at(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;

    fn id(n: u8) -> ImageId {
        ImageId::new(Digest::of(&[n]))
    }

    fn r(s: &str) -> Reference {
        s.parse().unwrap()
    }

    #[test]
    fn references_survive_a_reopen_in_dockers_shape() {
        let dir = tempfile::tempdir().unwrap();
        let mut refs = References::open(dir.path()).unwrap();
        refs.set(&r("alpine"), &id(1)).unwrap();
        refs.set(&r("alpine").with_digest(&Digest::of(b"m")), &id(1))
            .unwrap();
        let text = std::fs::read_to_string(dir.path().join("repositories.json")).unwrap();
        assert!(
            text.starts_with(r#"{"Repositories":{"docker.io/library/alpine":{"#),
            "{text}"
        );
        let again = References::open(dir.path()).unwrap();
        assert_eq!(again.of(&id(1)).len(), 2);
        assert_eq!(
            again.get(&r("docker.io/library/alpine:latest")),
            Some(&id(1))
        );
    }

    #[test]
    fn of_sorts_by_full_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut refs = References::open(dir.path()).unwrap();
        refs.set(&r("m6b"), &id(1)).unwrap();
        refs.set(&r("m6"), &id(1)).unwrap();
        let names: Vec<_> = refs.of(&id(1)).iter().map(Reference::familiar).collect();
        assert_eq!(names, ["m6:latest", "m6b:latest"]);
    }

    #[test]
    fn an_interrupted_save_is_cleaned_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".tmp-repositories.json-1-1");
        std::fs::write(&stale, b"{").unwrap();
        std::fs::write(dir.path().join(".tmp-someone-else"), b"").unwrap();
        References::open(dir.path()).unwrap();
        assert!(!stale.exists());
        assert!(dir.path().join(".tmp-someone-else").exists());
    }

    #[test]
    fn remove_reports_the_old_target() {
        let dir = tempfile::tempdir().unwrap();
        let mut refs = References::open(dir.path()).unwrap();
        refs.set(&r("x"), &id(1)).unwrap();
        assert_eq!(refs.remove(&r("x")).unwrap(), Some(id(1)));
        assert_eq!(refs.remove(&r("x")).unwrap(), None);
        assert!(!refs.any(&id(1)));
    }
}
