//! A container's root filesystem for the daemon's own use while the container does not run
//! (`docker cp` into or out of a created or exited container): the same overlay a start
//! mounts, mounted in a mount namespace of its own on a short-lived thread, and handed back as
//! a directory descriptor. When the thread ends its namespace goes with it and the mount is
//! detached from every tree; the descriptor keeps it alive, and closing the descriptor
//! releases it. The host never sees the mount, and a daemon that dies mid-copy leaves nothing
//! mounted behind.
//!
//! The overlay's upper and work dirs are in use while the descriptor is open: the caller must
//! keep the container from starting until it is closed.

use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{Mode, OFlags};

use crate::error::SandboxError;
use crate::overlay::{OverlayApi, OverlayPlan};
use crate::spec::RootfsSpec;

/// Mounts `rootfs` privately and answers a descriptor of its root directory. `proc_root` is
/// the host's `/proc`.
pub fn detached_root(rootfs: &RootfsSpec, proc_root: &Path) -> Result<OwnedFd, SandboxError> {
    let plan = OverlayPlan::new(rootfs, proc_root, OverlayApi::Auto)?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| -> Result<OwnedFd, SandboxError> {
                // SAFETY: unsharing the mount namespace (and with it this thread's fs struct:
                // root and working directory) affects only this thread, which mounts the
                // overlay, opens its root and ends; no other code runs on it meanwhile.
                unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNS) }
                    .map_err(|e| SandboxError::sys("unshare(CLONE_NEWNS)", e))?;
                crate::mounts::make_private()
                    .map_err(|e| SandboxError::sys("make / private", e))?;
                plan.mount()
                    .map_err(|e| SandboxError::sys("mount overlay", e))?;
                rustix::fs::open(
                    plan.mount_point.as_c_str(),
                    OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| SandboxError::sys("open the overlay's root", e))
            })
            .join()
            .map_err(|_| {
                SandboxError::sys("detached root thread", std::io::Error::other("panicked"))
            })?
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// The view shows the layers and the upper dir as the container sees them, writes land in
    /// the upper dir, and nothing is mounted on the host's mount point.
    #[test]
    fn a_detached_root_is_the_containers_view_and_invisible_to_the_host() {
        if !berth_testkit::root_or_skip("a_detached_root_is_the_containers_view") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let [lower, upper, work, mount_point] =
            ["lower", "upper", "work", "rootfs"].map(|n| dir.path().join(n));
        for d in [&lower, &upper, &work, &mount_point] {
            fs::create_dir(d).unwrap();
        }
        fs::write(lower.join("from-image"), "image").unwrap();
        let spec = RootfsSpec {
            lower_dirs: vec![lower],
            upper_dir: upper.clone(),
            work_dir: work,
            mount_point: mount_point.clone(),
            volatile: false,
        };
        let root = detached_root(&spec, Path::new("/proc")).unwrap();
        let proc_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&root));
        let seen = fs::read_to_string(Path::new(&proc_path).join("from-image")).unwrap();
        assert_eq!(seen, "image");
        fs::write(Path::new(&proc_path).join("written"), "cp").unwrap();
        assert_eq!(fs::read_to_string(upper.join("written")).unwrap(), "cp");
        assert_eq!(fs::read_dir(&mount_point).unwrap().count(), 0);
        drop(root);
    }
}
