//! Network namespaces: bringing the loopback interface up in a fresh one, and preparing one
//! ahead of time. Creating a network namespace is the most expensive namespace the kernel makes
//! (every per-namespace network subsystem initialises itself), so a caller that starts many
//! containers can create [`PreparedNetns`] off the start path and hand them to spawns.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::io::Errno;
use rustix::ioctl::{Opcode, Updater};
use rustix::net::{AddressFamily, SocketType};

use crate::error::SandboxError;

/// Brings `lo` up in the calling thread's network namespace with one `SIOCSIFFLAGS` ioctl,
/// the cheapest way there is (no netlink round trip). Safe to call in the child: no allocation.
pub(crate) fn loopback_up() -> Result<(), Errno> {
    let sock = rustix::net::socket(AddressFamily::INET, SocketType::DGRAM, None)?;
    // SAFETY: `ifreq` is a plain C struct for which all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    req.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_LOOPBACK) as libc::c_short;
    // SAFETY: SIOCSIFFLAGS takes exactly one `ifreq`, which lives on this stack frame for the
    // whole call; the socket descriptor is owned and open.
    unsafe {
        let set_flags = Updater::<{ libc::SIOCSIFFLAGS as Opcode }, libc::ifreq>::new(&mut req);
        rustix::ioctl::ioctl(&sock, set_flags)
    }
}

/// A network namespace with loopback up, created ahead of a spawn and joined with `setns`.
/// The namespace lives as long as this value or a process inside it.
#[derive(Debug)]
pub struct PreparedNetns {
    fd: OwnedFd,
}

impl PreparedNetns {
    /// Creates a namespace on a short-lived thread (unsharing the network namespace of a
    /// thread of a multi-threaded process is allowed and leaves the other threads alone),
    /// brings loopback up there, and keeps a descriptor to it. `proc_root` is the host's
    /// `/proc`.
    pub fn create(proc_root: &Path) -> Result<PreparedNetns, SandboxError> {
        let path = proc_root.join("thread-self/ns/net");
        std::thread::spawn(move || -> Result<OwnedFd, SandboxError> {
            // SAFETY: only the network namespace of this thread changes; the thread ends right
            // after, and no other code runs on it meanwhile.
            unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET) }
                .map_err(|e| SandboxError::sys("unshare(CLONE_NEWNET)", e))?;
            loopback_up().map_err(|e| SandboxError::sys("bring up loopback", e))?;
            std::fs::File::open(&path)
                .map(OwnedFd::from)
                .map_err(|e| SandboxError::path("open", &path, e))
        })
        .join()
        .map_err(|_| SandboxError::sys("netns thread", std::io::Error::other("panicked")))?
        .map(|fd| PreparedNetns { fd })
    }

    /// The network namespace a running process is in (`--network container:<id>`), to be
    /// joined as a prepared one is. `proc_root` is the host's `/proc`.
    pub fn of_process(proc_root: &Path, pid: i32) -> Result<PreparedNetns, SandboxError> {
        let path = proc_root.join(format!("{pid}/ns/net"));
        std::fs::File::open(&path)
            .map(|f| PreparedNetns { fd: f.into() })
            .map_err(|e| SandboxError::path("open", &path, e))
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
