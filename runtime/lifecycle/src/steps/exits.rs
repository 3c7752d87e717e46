//! Process exits: the watcher thread that notices a container's process ended and records it,
//! and the sleeps that wait for an exit to be recorded (`stop`, `kill`, `rm -f`). The watcher
//! is the only code that reaps a container process; it drains the log pipes first, so once an
//! exit is recorded, `logs` holds everything the container wrote. This module never sends a
//! signal and never answers a client: the verbs decide what an exit means to them.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use rustix::event::{poll, PollFd, PollFlags};

use super::removal;
use crate::containers::{Process, Registry, Shared};
use crate::id::ContainerId;
use crate::time::Timestamp;

/// Starts the watcher of one process: it sleeps on the pidfd, drains the logs, reaps, records
/// the exit, removes the cgroup, and removes an auto-remove container.
pub(crate) fn watch(
    shared: Arc<Shared>,
    id: ContainerId,
    process: Arc<Process>,
    pidfd: OwnedFd,
    readers: Vec<JoinHandle<()>>,
) {
    std::thread::spawn(move || {
        wait_readable(&pidfd);
        // The pipes reach EOF once the container's PID namespace is gone.
        for r in readers {
            let _ = r.join();
        }
        let running = process
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(mut running) = running else { return };
        let exit = running.wait();
        let mut reg = shared.lock();
        let entry = reg.entry_mut(&id);
        match exit {
            Ok(exit) => entry
                .state
                .set_exited(exit.code, exit.oom_killed, Timestamp::now()),
            // Could not learn the status: record dockerd's "unknown" exit.
            Err(_) => entry.state.set_exited(255, false, Timestamp::now()),
        }
        entry.process = None;
        entry.exits += 1;
        // The readers are done, so every client has all of this run's output queued.
        entry.hub.end_run();
        let auto_remove = entry.config.host_config.auto_remove;
        // A failed write leaves the in-memory state right and the disk at "running", which
        // the next open repairs to an exit; there is no caller to report it to.
        let _ = reg.save_state(&id);
        // Removing the cgroup takes only a few rmdirs, and doing it before anyone is told about
        // the exit means a caller never sees an exited container with a cgroup left.
        let _ = running.cleanup();
        if auto_remove {
            let _ = removal::remove_locked(&shared, &mut reg, &id);
        }
        drop(reg);
        shared.notify();
    });
}

/// Blocks until the pidfd is readable, which the kernel signals when the process exits.
fn wait_readable(pidfd: &OwnedFd) {
    loop {
        let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
        match poll(&mut fds, None) {
            Ok(n) if n > 0 => return,
            Err(e) if e != rustix::io::Errno::INTR => return,
            _ => {}
        }
    }
}

/// Whether the container's exit count moved past `exits` (or it is gone).
pub(crate) fn has_exited(r: &Registry, id: &ContainerId, exits: u64) -> bool {
    r.entries.get(id).is_none_or(|e| e.exits != exits)
}

/// Sleeps until the container's exit count moves past `exits` (or it is removed), or until
/// `deadline` passes: whether the exit came.
pub(crate) fn wait_exit(
    shared: &Shared,
    id: &ContainerId,
    exits: u64,
    deadline: Option<Instant>,
) -> bool {
    let reg = shared.lock();
    shared
        .wait_until(reg, deadline, |r| has_exited(r, id, exits))
        .1
}
