//! A started container process: signal it, wait for it (blocking, or through its pidfd from an
//! async runtime), and clean up its cgroups. Mounts need no cleanup: they live only in the
//! container's mount namespace, which the kernel tears down with its last process.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::process::{WaitId, WaitIdOptions};

use crate::cgroup::ContainerCgroup;
use crate::error::SandboxError;
use crate::plan::Confinement;
use crate::timing::StepTimings;

/// How a container process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// The exit status, or 128 + the signal number when a signal killed it (Docker's rule).
    pub code: i32,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
    /// Whether the kernel's OOM killer killed a process of the container's cgroup.
    pub oom_killed: bool,
}

/// A container process started by [`crate::Sandbox::spawn`]. Dropping it without
/// [`Running::cleanup`] kills the process and removes its cgroups (best effort).
#[derive(Debug)]
pub struct Running {
    pid: i32,
    pidfd: OwnedFd,
    cgroup: ContainerCgroup,
    exit: Option<Exit>,
    pty_master: Option<OwnedFd>,
    timings: Box<StepTimings>,
    /// What the container's processes run under; every exec gets the same.
    confinement: Confinement,
    cleaned: bool,
}

impl Running {
    pub(crate) fn new(
        pid: i32,
        pidfd: OwnedFd,
        cgroup: ContainerCgroup,
        pty_master: Option<OwnedFd>,
        timings: Box<StepTimings>,
        confinement: Confinement,
    ) -> Running {
        Running {
            pid,
            pidfd,
            cgroup,
            exit: None,
            pty_master,
            timings,
            confinement,
            cleaned: false,
        }
    }

    /// What an exec needs to join every cgroup of the container (see
    /// [`ContainerCgroup::join_for_exec`]).
    pub(crate) fn cgroups_for_exec(
        &self,
        born_in_v2: bool,
    ) -> Result<(Option<OwnedFd>, Vec<OwnedFd>), SandboxError> {
        self.cgroup.join_for_exec(born_in_v2)
    }

    pub(crate) fn confinement(&self) -> &Confinement {
        &self.confinement
    }

    /// The process ID in the host's PID namespace (it is 1 inside the container).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// A pidfd for the process: readable once it has exited, so an async caller can wait with
    /// `tokio::io::unix::AsyncFd` and then call [`Running::try_wait`].
    pub fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }

    /// The pty master, when the spec asked for a terminal (once; the caller owns it then).
    pub fn take_pty_master(&mut self) -> Option<OwnedFd> {
        self.pty_master.take()
    }

    /// Where the time of the spawn went.
    pub fn timings(&self) -> &StepTimings {
        &self.timings
    }

    /// Sends signal number `signal` through the pidfd (no PID-reuse race).
    pub fn signal(&self, signal: i32) -> Result<(), SandboxError> {
        // SAFETY: pidfd_send_signal reads no memory when `info` is NULL; the descriptor is
        // owned by `self` and open.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.pidfd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0u32,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ESRCH) => Err(SandboxError::NotRunning { pid: self.pid }),
            Some(libc::EINVAL) => Err(SandboxError::spec(
                "signal",
                format!("invalid signal {signal}"),
            )),
            _ => Err(SandboxError::sys("pidfd_send_signal", err)),
        }
    }

    /// The exit, if the process has ended; never blocks.
    pub fn try_wait(&mut self) -> Result<Option<Exit>, SandboxError> {
        self.reap(WaitIdOptions::EXITED | WaitIdOptions::NOHANG)
    }

    /// Blocks until the process ends. The whole container ends with it: when PID 1 of a PID
    /// namespace exits, the kernel kills every other process in it.
    pub fn wait(&mut self) -> Result<Exit, SandboxError> {
        loop {
            if let Some(exit) = self.reap(WaitIdOptions::EXITED)? {
                return Ok(exit);
            }
        }
    }

    fn reap(&mut self, options: WaitIdOptions) -> Result<Option<Exit>, SandboxError> {
        if let Some(exit) = self.exit {
            return Ok(Some(exit));
        }
        let status = loop {
            match rustix::process::waitid(WaitId::PidFd(self.pidfd.as_fd()), options) {
                Err(Errno::INTR) => continue,
                other => break other.map_err(|e| SandboxError::sys("waitid", e))?,
            }
        };
        // NOHANG with nothing to report answers an empty status (pid 0).
        let Some(status) = status.filter(|s| s.exited() || s.killed() || s.dumped()) else {
            return Ok(None);
        };
        let signal = status.terminating_signal();
        let exit = Exit {
            code: match signal {
                Some(sig) => 128 + sig,
                None => status.exit_status().unwrap_or(0),
            },
            signal,
            oom_killed: self.cgroup.oom_killed(),
        };
        self.exit = Some(exit);
        Ok(Some(exit))
    }

    /// Kills the process if it still runs, reaps it, and removes its cgroups.
    /// The container's cgroup v2 directory, which an exec is born into.
    pub fn cgroup_v2_dir(&self) -> Option<&std::path::Path> {
        self.cgroup.v2_dir()
    }

    /// Freezes (`pause`) or thaws (`unpause`) every process of the container.
    pub fn freeze(&self, frozen: bool) -> Result<(), SandboxError> {
        self.cgroup.freeze(frozen)
    }

    pub fn cleanup(mut self) -> Result<(), SandboxError> {
        self.cleanup_inner()
    }

    fn cleanup_inner(&mut self) -> Result<(), SandboxError> {
        if self.cleaned {
            return Ok(());
        }
        if self.exit.is_none() {
            match self.signal(libc::SIGKILL) {
                Ok(()) | Err(SandboxError::NotRunning { .. }) => {}
                Err(e) => return Err(e),
            }
            self.wait()?;
        }
        self.cgroup.remove()?;
        self.cleaned = true;
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.cleanup_inner();
    }
}
