//! A container's root filesystem for the daemon's own use while the container does not run
//! (`docker cp` into or out of a created or exited container): the same overlay a start
//! mounts, mounted in a mount namespace of its own that a parked thread keeps alive, and
//! handed back as a directory descriptor. Dropping the [`PrivateRoot`] ends the thread, its
//! namespace goes with it and the mount is released. The host never sees the mount, and a
//! daemon that dies mid-copy leaves nothing mounted behind.
//!
//! Why a thread stays: a mount whose namespace is gone still works through a descriptor, but
//! every reference dropped on it takes the global mount lock for writing, and the kernel then
//! refuses each scoped lookup that crosses a `..` (`RESOLVE_IN_ROOT` answers `EAGAIN`: it
//! cannot prove the `..` did not race a mount). A live namespace keeps lookups on the fast
//! path.
//!
//! The overlay's upper and work dirs are in use while the root is held: the caller must keep
//! the container from starting until it is dropped.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::mpsc;

use rustix::fs::{Mode, OFlags};

use crate::error::SandboxError;
use crate::overlay::{OverlayApi, OverlayPlan};
use crate::spec::RootfsSpec;

/// A privately mounted root; see the module docs.
#[derive(Debug)]
pub struct PrivateRoot {
    root: OwnedFd,
    /// Dropped to let the namespace's thread end.
    _release: mpsc::Sender<()>,
}

impl PrivateRoot {
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }
}

/// Mounts `rootfs` privately and answers its root. `proc_root` is the host's `/proc`.
pub fn detached_root(rootfs: &RootfsSpec, proc_root: &Path) -> Result<PrivateRoot, SandboxError> {
    let plan = OverlayPlan::new(rootfs, proc_root, OverlayApi::Auto)?;
    let (opened, root_rx) = mpsc::channel::<Result<OwnedFd, SandboxError>>();
    let (release, released) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("berth-rootfs-view".into())
        .spawn(move || {
            let root = (|| {
                // SAFETY: unsharing the mount namespace (and with it this thread's fs struct:
                // root and working directory) affects only this thread, which mounts the
                // overlay, opens its root and then only waits; no other code runs on it.
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
            })();
            let mounted = root.is_ok();
            if opened.send(root).is_ok() && mounted {
                // Parked until the root is dropped (the sender goes away).
                let _ = released.recv();
            }
        })
        .map_err(|e| SandboxError::sys("spawn the rootfs view thread", e))?;
    let root = root_rx
        .recv()
        .map_err(|_| SandboxError::sys("rootfs view thread", std::io::Error::other("ended")))??;
    Ok(PrivateRoot {
        root,
        _release: release,
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
        let proc_path = format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&root.fd())
        );
        let seen = fs::read_to_string(Path::new(&proc_path).join("from-image")).unwrap();
        assert_eq!(seen, "image");
        fs::write(Path::new(&proc_path).join("written"), "cp").unwrap();
        assert_eq!(fs::read_to_string(upper.join("written")).unwrap(), "cp");
        assert_eq!(fs::read_dir(&mount_point).unwrap().count(), 0);
        drop(root);
    }
}
