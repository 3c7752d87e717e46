//! The child's mount steps other than the overlay and `/dev`: private propagation, the switch
//! into the new root, fresh `/proc` and read-only `/sys`, bind mounts, and Docker's masked and
//! read-only paths. Everything after `pivot_root` uses paths inside the container, so symlinks
//! in the image resolve within the container root. No allocation: these run in the child.

use std::ffi::{CStr, CString};
use std::path::Path;

use rustix::fs::{Mode, OFlags, CWD};
use rustix::io::Errno;
use rustix::mount::{
    mount, mount_bind, mount_bind_recursive, mount_change, mount_remount, unmount, MountFlags,
    MountPropagationFlags, UnmountFlags,
};

/// The fixed part of current Docker's `MaskedPaths` (moby `oci/defaults.go`, v28.5.2): hidden
/// behind `/dev/null` (files) or an empty read-only tmpfs (directories). Newer than dockerd
/// 20.10's list by `/proc/interrupts` and `/sys/devices/virtual/powercap` (moby's advisories
/// GHSA-6fw5-f8r9-fgfm and GHSA-jq35-85cj-fj4p); [`masked_paths`] adds the per-CPU part.
pub const MASKED_PATHS: [&str; 12] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// moby `oci/defaults.go` `ReadonlyPaths` (unchanged from v20.10.24 to v28).
pub const READONLY_PATHS: [&CStr; 5] = [
    c"/proc/bus",
    c"/proc/fs",
    c"/proc/irq",
    c"/proc/sys",
    c"/proc/sysrq-trigger",
];

/// [`READONLY_PATHS`] as text (`HostConfig.ReadonlyPaths`): derived at compile time so the
/// list the child applies is the only copy.
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

/// Current Docker's masked paths for the host whose sysfs is at `sys_root`: [`MASKED_PATHS`],
/// then `/sys/devices/system/cpu/cpuN/thermal_throttle` for every possible CPU that has one
/// on the host (moby computes the same list once per daemon).
pub fn masked_paths(sys_root: &Path) -> Vec<String> {
    let cpu = sys_root.join("devices/system/cpu");
    let possible = std::fs::read_to_string(cpu.join("possible")).unwrap_or_default();
    let throttles = cpu_list(&possible)
        .into_iter()
        .map(|n| format!("cpu{n}/thermal_throttle"))
        .filter(|rel| cpu.join(rel).exists())
        .map(|rel| format!("/sys/devices/system/cpu/{rel}"));
    MASKED_PATHS
        .iter()
        .map(|p| p.to_string())
        .chain(throttles)
        .collect()
}

/// [`masked_paths`] of this host (`/sys`), computed once: what inspect shows as
/// `HostConfig.MaskedPaths`.
pub fn default_masked_paths() -> &'static [String] {
    static PATHS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    PATHS.get_or_init(|| masked_paths(Path::new("/sys")))
}

/// The kernel's CPU list format (`0-3,8,10-11`); anything unreadable is no CPU.
fn cpu_list(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (first, last) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(first), Ok(last)) = (first.parse::<u32>(), last.parse::<u32>()) {
            // Bounded: a bogus range must not allocate without end.
            out.extend((first..=last).take(4096));
        }
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

    /// After pivot_root (and /proc). A read-only bind is read-only all the way down: every
    /// mount of the cloned tree gets the read-only attribute and keeps its other flags
    /// (`nosuid`, `nodev`, `noexec` of the source), set on the detached tree before it is
    /// attached, so the container never sees it writable.
    pub fn attach(&self) -> Result<(), Errno> {
        use rustix::mount::{move_mount, MoveMountFlags};
        self.ensure_destination()?;
        let recursive = match self.readonly {
            true => set_readonly_recursive(std::os::fd::AsFd::as_fd(&self.source)),
            false => Ok(true),
        }?;
        move_mount(
            std::os::fd::AsFd::as_fd(&self.source),
            c"",
            CWD,
            self.destination.as_c_str(),
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )?;
        if !recursive {
            remount_readonly_keeping_flags(self.destination.as_c_str())?;
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

/// `struct mount_attr` (Linux 5.12).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

const MOUNT_ATTR_RDONLY: u64 = 0x1;
const AT_RECURSIVE: libc::c_uint = 0x8000;

/// `mount_setattr(tree, AT_RECURSIVE, +RDONLY)` on a detached tree; `Ok(false)` when the
/// kernel has no `mount_setattr` (before 5.12), where only the top mount can be made
/// read-only, as Docker does there.
fn set_readonly_recursive(tree: std::os::fd::BorrowedFd<'_>) -> Result<bool, Errno> {
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: `tree` is an open mount descriptor borrowed for the call, the path is an empty
    // C string (AT_EMPTY_PATH), and `attr` is a live, fully initialised `mount_attr` whose
    // size is passed; the kernel only reads it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            std::os::fd::AsRawFd::as_raw_fd(&tree),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH as libc::c_uint | AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::ENOSYS) => Ok(false),
        errno => Err(Errno::from_raw_os_error(errno.unwrap_or(libc::EINVAL))),
    }
}

/// The old way, one mount: a read-only remount that repeats the mount's own flags (a bind
/// remount sets exactly the flags given, so leaving `nosuid` out would clear it).
fn remount_readonly_keeping_flags(target: &CStr) -> Result<(), Errno> {
    use rustix::fs::StatVfsMountFlags as V;
    let have = rustix::fs::statvfs(target)?.f_flag;
    let mut flags = MountFlags::BIND | MountFlags::RDONLY;
    for (vfs, mount) in [
        (V::NOSUID, MountFlags::NOSUID),
        (V::NODEV, MountFlags::NODEV),
        (V::NOEXEC, MountFlags::NOEXEC),
        (V::NOATIME, MountFlags::NOATIME),
        (V::NODIRATIME, MountFlags::NODIRATIME),
        (V::RELATIME, MountFlags::RELATIME),
    ] {
        if have.contains(vfs) {
            flags |= mount;
        }
    }
    mount_remount(target, flags, c"")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fallback for kernels without `mount_setattr`: the remount keeps the mount's own
    /// flags. Runs in a thread with a mount namespace of its own, so the host sees nothing.
    #[test]
    fn the_old_kernels_remount_keeps_nosuid_nodev_noexec() {
        if !berth_testkit::root_or_skip("the_old_kernels_remount_keeps_nosuid_nodev_noexec") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let target = CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
        let flags = std::thread::spawn(move || {
            // SAFETY: unsharing the mount namespace (and with it this thread's fs struct)
            // affects only this short-lived test thread, which touches nothing but the mounts
            // below and exits afterwards.
            unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNS) }.unwrap();
            make_private().unwrap();
            let nosuid = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
            mount(c"tmpfs", target.as_c_str(), c"tmpfs", nosuid, None).unwrap();
            remount_readonly_keeping_flags(target.as_c_str()).unwrap();
            rustix::fs::statvfs(target.as_c_str()).unwrap().f_flag
        })
        .join()
        .unwrap();
        use rustix::fs::StatVfsMountFlags as V;
        for want in [V::RDONLY, V::NOSUID, V::NODEV, V::NOEXEC] {
            assert!(flags.contains(want), "{flags:?} lacks {want:?}");
        }
    }

    #[test]
    fn cpu_lists_parse_like_the_kernels() {
        assert_eq!(cpu_list("0-3,8,10-11\n"), [0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(cpu_list("0\n"), [0]);
        assert!(cpu_list("").is_empty());
        assert!(cpu_list("x-y").is_empty());
    }

    #[test]
    fn thermal_throttle_dirs_of_possible_cpus_are_masked() {
        let sys = tempfile::tempdir().unwrap();
        let cpu = sys.path().join("devices/system/cpu");
        std::fs::create_dir_all(cpu.join("cpu1/thermal_throttle")).unwrap();
        std::fs::create_dir_all(cpu.join("cpu0")).unwrap();
        std::fs::write(cpu.join("possible"), "0-1\n").unwrap();
        let paths = masked_paths(sys.path());
        assert_eq!(paths.len(), MASKED_PATHS.len() + 1);
        assert_eq!(
            paths.last().unwrap(),
            "/sys/devices/system/cpu/cpu1/thermal_throttle"
        );
        assert!(paths.contains(&"/sys/devices/virtual/powercap".to_string()));
    }
}
