//! The container's `/dev`: a small tmpfs with the six device nodes Docker provides, a private
//! devpts instance (so the container's ptys are its own and `/dev/ptmx` points there), shm,
//! mqueue, and the usual `/proc/self/fd` symlinks. Device nodes are made with `mknod` (this
//! sandbox runs as real root, so there is no user namespace forbidding it); the devices cgroup
//! keeps the container from opening any other device. Runs in the child: no allocation.

use std::ffi::CStr;

use rustix::fs::{FileType, Mode, CWD};
use rustix::io::Errno;
use rustix::mount::MountFlags;

use crate::mounts::{mkdir, mount_fs};

/// Docker's device nodes: path, major, minor (all `crw-rw-rw-`).
const NODES: [(&CStr, u32, u32); 6] = [
    (c"/dev/null", 1, 3),
    (c"/dev/zero", 1, 5),
    (c"/dev/full", 1, 7),
    (c"/dev/random", 1, 8),
    (c"/dev/urandom", 1, 9),
    (c"/dev/tty", 5, 0),
];

/// The links runc makes (no `/dev/core`: the reference dockerd's containers have none).
const LINKS: [(&CStr, &CStr); 5] = [
    (c"/proc/self/fd", c"/dev/fd"),
    (c"/proc/self/fd/0", c"/dev/stdin"),
    (c"/proc/self/fd/1", c"/dev/stdout"),
    (c"/proc/self/fd/2", c"/dev/stderr"),
    (c"pts/ptmx", c"/dev/ptmx"),
];

/// Builds `/dev`. Expects the umask to be 0 so that modes are exactly the ones given.
pub(crate) fn populate() -> Result<(), Errno> {
    mount_fs(
        c"tmpfs",
        c"/dev",
        c"tmpfs",
        MountFlags::NOSUID | MountFlags::STRICTATIME,
        Some(c"mode=755,size=65536k"),
    )?;
    for (path, major, minor) in NODES {
        rustix::fs::mknodat(
            CWD,
            path,
            FileType::CharacterDevice,
            Mode::from_raw_mode(0o666),
            rustix::fs::makedev(major, minor),
        )?;
    }
    mkdir(c"/dev/pts", 0o755)?;
    mount_fs(
        c"devpts",
        c"/dev/pts",
        c"devpts",
        MountFlags::NOSUID | MountFlags::NOEXEC,
        Some(c"newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )?;
    mkdir(c"/dev/shm", 0o1777)?;
    mount_fs(
        c"shm",
        c"/dev/shm",
        c"tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        Some(c"mode=1777,size=65536k"),
    )?;
    mkdir(c"/dev/mqueue", 0o755)?;
    mount_fs(
        c"mqueue",
        c"/dev/mqueue",
        c"mqueue",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        None,
    )?;
    for (target, link) in LINKS {
        rustix::fs::symlinkat(target, CWD, link)?;
    }
    Ok(())
}
