//! The container's root: an overlay of the image layers under a per-container upper dir.
//!
//! `mount(2)` takes its options in one page, so a long `lowerdir=` list (many layers, long
//! store paths) does not fit. Layers are therefore handed to the kernel as descriptors. The
//! parent opens each layer (checking it exists and reserving a descriptor number); the child,
//! once in its own mount namespace, reopens each path onto the same number, because overlayfs
//! refuses layers whose mount belongs to another namespace ("failed to clone upperpath"). Then:
//!
//! 1. new mount API (`fsopen`/`fsconfig`), one `lowerdir+` per layer given as a descriptor
//!    (Linux 6.13+): no length limit at all;
//! 2. otherwise classic `mount(2)` after `chdir("<proc>/self/fd")`, naming each layer by its
//!    descriptor number (`lowerdir=12:13:14`), a few bytes per layer whatever the path length.
//!
//! Both run in the child, inside its private mount namespace: the host never sees the mount.

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{Mode, OFlags, CWD};
use rustix::io::Errno;
use rustix::mount::{
    fsconfig_create, fsconfig_set_fd, fsconfig_set_string, fsmount, fsopen, move_mount,
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountFlags, MoveMountFlags,
};

use crate::error::SandboxError;
use crate::spec::RootfsSpec;

/// Which kernel interface mounts the overlay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OverlayApi {
    /// The new mount API with layer descriptors when the kernel takes them, else `mount(2)`.
    #[default]
    Auto,
    /// Always `mount(2)` with descriptor numbers (older kernels; also lets tests cover it).
    LegacyMount,
}

/// What the child needs to mount the overlay, prepared by the parent.
#[derive(Debug)]
pub(crate) struct OverlayPlan {
    /// Layer paths (lower dirs, then upper, then work) and the descriptor numbers reserved for
    /// them, reopened by the child.
    paths: Vec<CString>,
    lower: Vec<OwnedFd>,
    upper: OwnedFd,
    work: OwnedFd,
    pub mount_point: CString,
    /// `<proc>/self/fd`, the directory the legacy path resolves descriptor numbers in.
    fd_dir: CString,
    /// `lowerdir=..,upperdir=..,workdir=..,index=off` with descriptor numbers.
    legacy_data: CString,
    api: OverlayApi,
    volatile: bool,
}

impl OverlayPlan {
    pub fn new(
        spec: &RootfsSpec,
        proc_root: &Path,
        api: OverlayApi,
    ) -> Result<OverlayPlan, SandboxError> {
        if spec.lower_dirs.is_empty() {
            return Err(SandboxError::spec(
                "rootfs.lower_dirs",
                "at least one layer is needed",
            ));
        }
        let lower = spec
            .lower_dirs
            .iter()
            .map(|d| open_dir(d))
            .collect::<Result<Vec<_>, _>>()?;
        if spec.volatile {
            // A volatile mount leaves `work/incompat/volatile` behind on purpose, and the
            // kernel refuses to mount the same work dir again until it is gone.
            remove_volatile_marker(&spec.work_dir)?;
        }
        let upper = open_dir(&spec.upper_dir)?;
        let work = open_dir(&spec.work_dir)?;
        let mut legacy_data = legacy_options(&lower, &upper, &work);
        if spec.volatile {
            legacy_data.push_str(",volatile");
        }
        let paths = spec
            .lower_dirs
            .iter()
            .chain([&spec.upper_dir, &spec.work_dir])
            .map(|p| c_string("rootfs", path_bytes(p)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OverlayPlan {
            paths,
            legacy_data: c_string("rootfs", legacy_data.into_bytes())?,
            lower,
            upper,
            work,
            mount_point: c_string("rootfs.mount_point", path_bytes(&spec.mount_point))?,
            fd_dir: c_string("proc_root", path_bytes(&proc_root.join("self/fd")))?,
            api,
            volatile: spec.volatile,
        })
    }

    /// The descriptor numbers the child mounts from.
    pub fn descriptors(&self) -> impl Iterator<Item = std::os::fd::RawFd> + '_ {
        use std::os::fd::AsRawFd;
        self.lower
            .iter()
            .chain([&self.upper, &self.work])
            .map(|fd| fd.as_raw_fd())
    }

    /// In the child: mounts the overlay on the mount point.
    pub fn mount(&self) -> Result<(), Errno> {
        let fds = self.lower.iter().chain([&self.upper, &self.work]);
        for (path, fd) in self.paths.iter().zip(fds) {
            crate::clone::reopen_onto(path, OFlags::PATH | OFlags::DIRECTORY, fd.as_fd())?;
        }
        if self.api == OverlayApi::Auto {
            match self.mount_with_fds() {
                Err(Errno::INVAL | Errno::NOSYS | Errno::NODEV | Errno::BADF) => {}
                done => return done,
            }
        }
        self.mount_legacy()
    }

    fn mount_with_fds(&self) -> Result<(), Errno> {
        let fs = fsopen(c"overlay", FsOpenFlags::FSOPEN_CLOEXEC)?;
        for layer in &self.lower {
            fsconfig_set_fd(fs.as_fd(), c"lowerdir+", layer.as_fd())?;
        }
        fsconfig_set_fd(fs.as_fd(), c"upperdir", self.upper.as_fd())?;
        fsconfig_set_fd(fs.as_fd(), c"workdir", self.work.as_fd())?;
        fsconfig_set_string(fs.as_fd(), c"index", c"off")?;
        if self.volatile {
            rustix::mount::fsconfig_set_flag(fs.as_fd(), c"volatile")?;
        }
        fsconfig_create(fs.as_fd())?;
        let mnt = fsmount(
            fs.as_fd(),
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::empty(),
        )?;
        move_mount(
            mnt.as_fd(),
            c"",
            CWD,
            self.mount_point.as_c_str(),
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )
    }

    fn mount_legacy(&self) -> Result<(), Errno> {
        rustix::process::chdir(self.fd_dir.as_c_str())?;
        rustix::mount::mount(
            c"overlay",
            self.mount_point.as_c_str(),
            c"overlay",
            MountFlags::empty(),
            Some(self.legacy_data.as_c_str()),
        )
    }
}

/// The `mount(2)` options naming layers by descriptor number, resolved in `<proc>/self/fd`.
fn legacy_options(lower: &[OwnedFd], upper: &OwnedFd, work: &OwnedFd) -> String {
    use std::os::fd::AsRawFd;
    let lowers: Vec<String> = lower.iter().map(|fd| fd.as_raw_fd().to_string()).collect();
    format!(
        "lowerdir={},upperdir={},workdir={},index=off",
        lowers.join(":"),
        upper.as_raw_fd(),
        work.as_raw_fd()
    )
}

/// The marker only exists when this work dir was mounted before (a restart): a fresh
/// container pays one `stat`, a restart a recursive removal (the kernel puts files inside).
fn remove_volatile_marker(work_dir: &Path) -> Result<(), SandboxError> {
    let incompat = work_dir.join("work/incompat");
    match std::fs::remove_dir_all(&incompat) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(SandboxError::path("remove", incompat, e))
        }
        _ => Ok(()),
    }
}

fn open_dir(path: &Path) -> Result<OwnedFd, SandboxError> {
    rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| SandboxError::path("open layer", path, e.into()))
}

pub(crate) fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

pub(crate) fn c_string(field: &'static str, bytes: Vec<u8>) -> Result<CString, SandboxError> {
    CString::new(bytes).map_err(|_| SandboxError::spec(field, "contains a NUL byte"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_options_stay_short_for_many_long_layers() {
        let dir = tempfile::tempdir().unwrap();
        let long = "x".repeat(200);
        let mut lower = Vec::new();
        for i in 0..100 {
            let p = dir.path().join(format!("{long}{i}"));
            std::fs::create_dir(&p).unwrap();
            lower.push(open_dir(&p).unwrap());
        }
        let up = open_dir(dir.path()).unwrap();
        let work = open_dir(dir.path()).unwrap();
        let data = legacy_options(&lower, &up, &work);
        assert!(data.len() < 4096, "{} bytes", data.len());
        assert!(data.starts_with("lowerdir="));
        assert!(data.ends_with(",index=off"));
    }
}
