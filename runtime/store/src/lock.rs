//! The store root's lock: an exclusive `flock` on `<root>/.lock`, taken before anything under
//! the root is looked at or changed and held for as long as the store is open. Opening a store
//! repairs what a crash left (unfinished ingests and unpacks, spool files, unreferenced layers
//! and blobs); done by a second process while the first is mid-pull, those "leftovers" are the
//! first one's work in progress. This module owns the lock file; it never touches anything else.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{flock, FlockOperation};
use rustix::io::Errno;

/// The lock file's name under the root.
pub const LOCK_FILE: &str = ".lock";

/// How long an open waits for the lock before concluding another owner has it. A lock belongs
/// to an open file description, and a child forked by any thread of this process (a
/// container's sandbox before it closes its descriptors) holds a copy for a few milliseconds:
/// a store reopened in that window would otherwise be refused. A real second owner still holds
/// it after the wait.
const PATIENCE: Duration = Duration::from_secs(2);

/// The held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct RootLock {
    _file: File,
}

impl RootLock {
    /// Takes the lock of the store at `root` (which must exist). `Ok(None)` when another
    /// owner holds it.
    pub fn acquire(root: &Path) -> io::Result<Option<RootLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(root.join(LOCK_FILE))?;
        let deadline = Instant::now() + PATIENCE;
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Some(RootLock { _file: file })),
                Err(Errno::WOULDBLOCK) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(Errno::WOULDBLOCK) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_owner_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = RootLock::acquire(dir.path()).unwrap().expect("free lock");
        assert!(RootLock::acquire(dir.path()).unwrap().is_none());
        drop(first);
        assert!(RootLock::acquire(dir.path()).unwrap().is_some());
    }
}
