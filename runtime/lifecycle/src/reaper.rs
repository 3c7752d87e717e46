//! Deleting removed containers' directories off the caller's path. `rm` renames a container's
//! directory to `<root>/.removed-<id>` (one `rename`: its path is free and it is gone from every
//! listing before `rm` answers) and hands the tree to a background thread, which deletes it
//! (the upper dir, the log, the records: a dozen unlinks or far more, none of which the caller
//! needs to wait for). Trees left by a process that died first are deleted when the store is
//! next opened, before anything else runs.
//!
//! This module owns only that hand-over and the `.removed-` names; it never decides when a
//! container may be removed (`rm` does).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::Mutex;

use crate::error::LifecycleError;
use crate::id::ContainerId;

/// The prefix of a removed container's directory awaiting deletion.
const REMOVED_PREFIX: &str = ".removed-";

/// The deleting thread's inbox. Dropping the reaper lets the thread finish what it was given
/// and exit.
#[derive(Debug)]
pub(crate) struct Reaper {
    root: PathBuf,
    inbox: Mutex<Option<Sender<PathBuf>>>,
}

impl Reaper {
    /// Deletes the leftovers under `root`, then starts the deleting thread.
    pub fn start(root: &Path) -> Result<Reaper, LifecycleError> {
        remove_leftovers(root).map_err(|e| LifecycleError::io("remove", root, e))?;
        let (tx, rx) = mpsc::channel::<PathBuf>();
        let spawned = std::thread::Builder::new()
            .name("berth-reaper".into())
            .spawn(move || {
                for tree in rx {
                    // A failure leaves the tree for the next open to retry.
                    let _ = remove_tree(&tree);
                }
            });
        Ok(Reaper {
            root: root.to_path_buf(),
            // Without a thread, `bury` deletes synchronously.
            inbox: Mutex::new(spawned.ok().map(|_| tx)),
        })
    }

    /// Takes `dir` (the directory of container `id`) out of the store at once and deletes it
    /// in the background; synchronously when it cannot be moved aside.
    pub fn bury(&self, id: &ContainerId, dir: &Path) -> Result<(), LifecycleError> {
        let aside = self.root.join(format!("{REMOVED_PREFIX}{id}"));
        if fs::rename(dir, &aside).is_err() {
            return remove_tree(dir).map_err(|e| LifecycleError::io("remove", dir, e));
        }
        let inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        let unsent = match inbox.as_ref() {
            Some(tx) => tx.send(aside).err().map(|mpsc::SendError(aside)| aside),
            None => Some(aside),
        };
        match unsent {
            None => Ok(()),
            Some(aside) => remove_tree(&aside).map_err(|e| LifecycleError::io("remove", &aside, e)),
        }
    }
}

/// Best effort per tree: the previous owner's thread may still be deleting one (a reopen right
/// after a shutdown), and a tree that cannot be deleted now is retried at the next open; none
/// of them is visible as a container either way.
fn remove_leftovers(root: &Path) -> io::Result<()> {
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(REMOVED_PREFIX)
        {
            let _ = remove_tree(&entry.path());
        }
    }
    Ok(())
}

fn remove_tree(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> ContainerId {
        "a".repeat(64).parse().unwrap()
    }

    #[test]
    fn a_buried_directory_is_gone_at_once_and_deleted_later() {
        let root = tempfile::tempdir().unwrap();
        let reaper = Reaper::start(root.path()).unwrap();
        let dir = root.path().join(id().as_str());
        fs::create_dir_all(dir.join("upper/x")).unwrap();
        reaper.bury(&id(), &dir).unwrap();
        assert!(!dir.exists());
        drop(reaper);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while fs::read_dir(root.path()).unwrap().count() > 0 {
            assert!(std::time::Instant::now() < deadline, "never deleted");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn leftovers_of_a_dead_owner_are_deleted_at_start() {
        let root = tempfile::tempdir().unwrap();
        let left = root.path().join(format!("{REMOVED_PREFIX}{}", id()));
        fs::create_dir_all(left.join("work/work")).unwrap();
        fs::create_dir(root.path().join("keep")).unwrap();
        let _reaper = Reaper::start(root.path()).unwrap();
        assert!(!left.exists());
        assert!(root.path().join("keep").exists());
    }
}
