//! The child's mount steps other than the overlay and `/dev`: private propagation, the switch
//! into the new root, fresh `/proc` and read-only `/sys`, bind mounts, and Docker's masked and
//! read-only paths. Everything after `pivot_root` uses paths inside the container, so symlinks
//! in the image resolve within the container root. No allocation: these run in the child.

use std::ffi::{CStr, CString};

use rustix::fs::{Mode, OFlags, CWD};
use rustix::io::Errno;
use rustix::mount::{
    mount, mount_bind, mount_bind_recursive, mount_change, mount_remount, unmount, MountFlags,
    MountPropagationFlags, UnmountFlags,
};

/// moby `oci/defaults.go` (v20.10.24) `MaskedPaths`: hidden behind `/dev/null` (files) or an
/// empty read-only tmpfs (directories).
pub const MASKED_PATHS: [&CStr; 10] = [
    c"/proc/asound",
    c"/proc/acpi",
    c"/proc/kcore",
    c"/proc/keys",
    c"/proc/latency_stats",
    c"/proc/timer_list",
    c"/proc/timer_stats",
    c"/proc/sched_debug",
    c"/proc/scsi",
    c"/sys/firmware",
];

/// moby `oci/defaults.go` (v20.10.24) `ReadonlyPaths`.
pub const READONLY_PATHS: [&CStr; 5] = [
    c"/proc/bus",
    c"/proc/fs",
    c"/proc/irq",
    c"/proc/sys",
    c"/proc/sysrq-trigger",
];

/// [`MASKED_PATHS`] as text, for reports and for what inspect shows (`HostConfig.MaskedPaths`):
/// derived at compile time so the list the child applies is the only copy.
pub const MASKED_PATH_NAMES: [&str; 10] = names(MASKED_PATHS);

/// [`READONLY_PATHS`] as text (`HostConfig.ReadonlyPaths`).
pub const READONLY_PATH_NAMES: [&str; 5] = names(READONLY_PATHS);

/// The text of each path; the lists are ASCII literals, so the conversion cannot fail at run
/// time (a non-UTF-8 entry would fail the build).
const fn names<const N: usize>(paths: [&'static CStr; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = match std::str::from_utf8(paths[i].to_bytes()) {
            Ok(name) => name,
            Err(_) => panic!("masked and read-only paths are ASCII"),
        };
        i += 1;
    }
    out
}

const NOSUID_NODEV_NOEXEC: MountFlags = MountFlags::NOSUID
    .union(MountFlags::NODEV)
    .union(MountFlags::NOEXEC);

/// Stops mount events from propagating between the new namespace and the host, both ways:
/// without it, the overlay (and every mount below) could appear in the host's namespace, and
/// `pivot_root` refuses a shared new root.
pub(crate) fn make_private() -> Result<(), Errno> {
    mount_change(
        c"/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
}

/// Makes the overlay the root of this mount namespace and detaches the host's tree.
/// `pivot_root(".", ".")` (as runc does) stacks the old root on top of the new one at `/`,
/// so no `old_root` directory has to be created in the container's upper layer; the lazy
/// unmount then drops the whole host tree from this namespace.
pub(crate) fn pivot_into(new_root: &CStr) -> Result<(), Errno> {
    rustix::process::chdir(new_root)?;
    rustix::process::pivot_root(c".", c".")?;
    unmount(c".", UnmountFlags::DETACH)?;
    // pivot_root does not promise where the working directory ends up.
    rustix::process::chdir(c"/")
}

/// Mounts `fstype` on `target`, creating the directory when the image lacks it.
pub(crate) fn mount_fs(
    source: &CStr,
    target: &CStr,
    fstype: &CStr,
    flags: MountFlags,
    data: Option<&CStr>,
) -> Result<(), Errno> {
    match mount(source, target, fstype, flags, data) {
        Err(Errno::NOENT) => {
            mkdir(target, 0o755)?;
            mount(source, target, fstype, flags, data)
        }
        done => done,
    }
}

pub(crate) fn mkdir(path: &CStr, mode: u32) -> Result<(), Errno> {
    match rustix::fs::mkdirat(CWD, path, Mode::from_raw_mode(mode)) {
        Err(Errno::EXIST) => Ok(()),
        done => done,
    }
}

/// A fresh procfs: it shows the container's own PID namespace only.
pub(crate) fn mount_proc() -> Result<(), Errno> {
    mount_fs(c"proc", c"/proc", c"proc", NOSUID_NODEV_NOEXEC, None)
}

/// sysfs, read-only, as Docker mounts it.
pub(crate) fn mount_sys() -> Result<(), Errno> {
    mount_fs(
        c"sysfs",
        c"/sys",
        c"sysfs",
        NOSUID_NODEV_NOEXEC | MountFlags::RDONLY,
        None,
    )
}

/// Hides `path`: `/dev/null` over a file, an empty read-only tmpfs over a directory, nothing
/// when the kernel has no such file.
pub(crate) fn mask(path: &CStr) -> Result<(), Errno> {
    match mount_bind(c"/dev/null", path) {
        Err(Errno::NOTDIR) => mount(c"tmpfs", path, c"tmpfs", MountFlags::RDONLY, None),
        Err(Errno::NOENT) => Ok(()),
        done => done,
    }
}

/// Makes `path` a read-only bind of itself (skipped when missing).
pub(crate) fn make_readonly(path: &CStr) -> Result<(), Errno> {
    match mount_bind_recursive(path, path) {
        Err(Errno::NOENT) => return Ok(()),
        other => other?,
    }
    mount_remount(
        path,
        MountFlags::BIND | MountFlags::RDONLY | NOSUID_NODEV_NOEXEC,
        c"",
    )
}

/// One bind mount. The parent opens the source (reserving a descriptor number); the child
/// clones the source's mount tree into a detached mount on that number while the host tree is
/// still visible (`open_tree(OPEN_TREE_CLONE)`, a mount of its own namespace, as bind mounts
/// require), and attaches it after `pivot_root` at a destination resolved inside the container.
#[derive(Debug)]
pub(crate) struct BindPlan {
    pub source: std::os::fd::OwnedFd,
    pub source_path: CString,
    pub destination: CString,
    pub is_dir: bool,
    pub readonly: bool,
}

impl BindPlan {
    /// Before pivot_root.
    pub fn detach_source(&self) -> Result<(), Errno> {
        use rustix::mount::{open_tree, OpenTreeFlags};
        let tree = open_tree(
            CWD,
            self.source_path.as_c_str(),
            OpenTreeFlags::OPEN_TREE_CLONE
                | OpenTreeFlags::OPEN_TREE_CLOEXEC
                | OpenTreeFlags::AT_RECURSIVE,
        )?;
        crate::clone::move_onto(tree, std::os::fd::AsFd::as_fd(&self.source))
    }

    /// After pivot_root (and /proc).
    pub fn attach(&self) -> Result<(), Errno> {
        use rustix::mount::{move_mount, MoveMountFlags};
        self.ensure_destination()?;
        move_mount(
            std::os::fd::AsFd::as_fd(&self.source),
            c"",
            CWD,
            self.destination.as_c_str(),
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )?;
        if self.readonly {
            mount_remount(
                self.destination.as_c_str(),
                MountFlags::BIND | MountFlags::RDONLY,
                c"",
            )?;
        }
        Ok(())
    }

    fn ensure_destination(&self) -> Result<(), Errno> {
        if self.is_dir {
            return mkdir(self.destination.as_c_str(), 0o755);
        }
        // EXCL: an existing file (in a lower layer) must not be opened for writing, which
        // would copy it up into the container's upper dir and show as a change of the container.
        let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC;
        match rustix::fs::openat(
            CWD,
            self.destination.as_c_str(),
            flags,
            Mode::from_raw_mode(0o644),
        ) {
            Ok(_) | Err(Errno::EXIST) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
