//! The stdin relay of a container with a terminal and `OpenStdin`: clients write into the
//! hub's stdin pipe (so writes made before the start wait there, as for a pipe-fed container)
//! and this thread copies the pipe into the pty master. It ends when the pipe reaches EOF
//! (stdin closed, or the run ended and the hub dropped the write end) or the master fails
//! (the container is gone). Closing stdin cannot close a terminal, so with `StdinOnce` the
//! process sees no EOF, only silence, which is what a detached terminal gives under Docker too.

use std::os::fd::OwnedFd;
use std::sync::Arc;

use rustix::io::Errno;

/// Copies `from` into `master` on a thread of its own until either side ends.
pub(crate) fn spawn(from: OwnedFd, master: Arc<OwnedFd>) {
    std::thread::spawn(move || copy(&from, &master));
}

fn copy(from: &OwnedFd, to: &OwnedFd) {
    let mut buf = [0u8; 8192];
    loop {
        let n = match rustix::io::read(from, &mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(_) => return,
        };
        if write_all(to, &buf[..n]).is_err() {
            return;
        }
    }
}

fn write_all(to: &OwnedFd, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        match rustix::io::write(to, data) {
            Ok(n) => data = &data[n..],
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
