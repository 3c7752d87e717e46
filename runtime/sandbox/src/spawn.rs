//! [`Sandbox::spawn`]: cgroup, plan, clone, and the verdict of the child's report pipe. The
//! function returns only once the command runs (`execve` succeeded) or with the reason it could
//! not start; in the failure case the child is reaped and its cgroups removed before returning.

use std::ffi::c_void;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use rustix::pipe::PipeFlags;
use rustix::process::{WaitId, WaitIdOptions};

use crate::cgroup::{self, CgroupLayout, ContainerCgroup};
use crate::child::child_main;
use crate::clone::{clone_vfork, ChildStack};
use crate::error::SandboxError;
use crate::overlay::OverlayApi;
use crate::plan::{self, Confinement, PlanInputs};
use crate::report::{Report, REPORT_LEN};
use crate::running::Running;
use crate::seccomp::SeccompCache;
use crate::spec::{CgroupSpec, Network, Spec, Stdio};
use crate::timing::{Mark, StepTimings};

/// The host paths the sandbox reads and writes. Tests point them at temp dirs or fakes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// The host's procfs (`/proc`).
    pub proc_root: PathBuf,
    /// Where v1 hierarchies are mounted, one directory per controller (`/sys/fs/cgroup`).
    pub cgroup_v1_root: PathBuf,
    /// The unified hierarchy (`/sys/fs/cgroup/unified` on hybrid hosts, `/sys/fs/cgroup` on
    /// pure v2 hosts).
    pub cgroup_v2_root: PathBuf,
    /// The host's sysfs (`/sys`), where the per-CPU masked paths are looked up.
    pub sys_root: PathBuf,
    pub overlay_api: OverlayApi,
    /// Start children directly in their cgroup v2 directory when the kernel can
    /// (`CLONE_INTO_CGROUP`); `false` makes them join by writing `cgroup.procs`, the path
    /// other architectures and older kernels take (tests use it to exercise that path here).
    pub clone_into_cgroup: bool,
}

impl HostConfig {
    /// The standard locations, choosing the v2 root by whether `/sys/fs/cgroup` itself is a
    /// v2 mount.
    pub fn standard() -> HostConfig {
        let base = PathBuf::from("/sys/fs/cgroup");
        let v2 = if base.join("cgroup.controllers").exists() {
            base.clone()
        } else {
            base.join("unified")
        };
        HostConfig {
            proc_root: PathBuf::from("/proc"),
            cgroup_v1_root: base,
            cgroup_v2_root: v2,
            sys_root: PathBuf::from("/sys"),
            clone_into_cgroup: true,
            overlay_api: OverlayApi::Auto,
        }
    }
}

/// Starts container processes on one host.
#[derive(Debug)]
pub struct Sandbox {
    host: HostConfig,
    layout: CgroupLayout,
    /// Whether children start inside their v2 directory (see [`cgroup`]).
    born_in_v2: bool,
    /// Seccomp filters compiled so far, one per (profile, capability set).
    seccomp: SeccompCache,
    /// Docker's masked paths on this host, as the child mounts them and as errors name them.
    masked: Vec<std::ffi::CString>,
    masked_names: Vec<String>,
}

impl Sandbox {
    /// Looks at the host's cgroup layout once; spawns reuse it.
    pub fn new(host: HostConfig) -> Sandbox {
        let layout = CgroupLayout::detect(&host.cgroup_v1_root, &host.cgroup_v2_root);
        let born_in_v2 = host.clone_into_cgroup && cgroup::can_be_born_in_v2(&layout);
        let masked_names = crate::mounts::masked_paths(&host.sys_root);
        // Paths built from fixed text and CPU numbers hold no NUL byte.
        let masked = masked_names
            .iter()
            .filter_map(|p| std::ffi::CString::new(p.as_str()).ok())
            .collect();
        Sandbox {
            masked,
            masked_names,
            host,
            layout,
            born_in_v2,
            seccomp: SeccompCache::for_host(),
        }
    }

    /// Whether children are born in their v2 directory (`clone3` with `CLONE_INTO_CGROUP`).
    pub(crate) fn born_in_v2(&self) -> bool {
        self.born_in_v2
    }

    pub fn cgroup_layout(&self) -> &CgroupLayout {
        &self.layout
    }

    /// Removes the cgroup directories of a container whose owner died, killing what is left.
    pub fn remove_leftover_cgroup(&self, cgroup: &CgroupSpec) -> Result<(), SandboxError> {
        cgroup::remove_leftover(&self.layout, cgroup)
    }

    /// Starts `spec`'s command as PID 1 of fresh namespaces on its overlay root. Blocking (the
    /// calling thread sleeps while the child sets up); from async code, call it on a blocking
    /// thread. An exec failure (127/126, Docker's texts) is returned here, never as an exit.
    pub fn spawn(&self, spec: &Spec, stdio: Stdio) -> Result<Running, SandboxError> {
        let timings = Box::new(StepTimings::default());
        timings.mark(Mark::Start);
        // Before anything is created: a bad profile fails the start with nothing to undo.
        let confinement = self.confinement(spec)?;
        let mut cgroup =
            ContainerCgroup::create(&self.layout, &spec.cgroup, &spec.limits, self.born_in_v2)?;
        timings.mark(Mark::CgroupReady);
        match self.start(spec, stdio, &cgroup, &confinement, &timings) {
            Ok((pid, pidfd, pty_master)) => {
                timings.mark(Mark::Returned);
                Ok(Running::new(
                    pid,
                    pidfd,
                    cgroup,
                    pty_master,
                    timings,
                    confinement,
                ))
            }
            Err(e) => {
                let _ = cgroup.remove();
                Err(e)
            }
        }
    }

    /// The container's filter (from the cache after the first container with the same
    /// profile and capabilities) and `no_new_privs`.
    fn confinement(&self, spec: &Spec) -> Result<Confinement, SandboxError> {
        Ok(Confinement {
            seccomp: self
                .seccomp
                .program(&spec.seccomp, crate::caps::docker_default_mask())?,
            no_new_privs: spec.no_new_privileges,
        })
    }

    fn start(
        &self,
        spec: &Spec,
        stdio: Stdio,
        cgroup: &ContainerCgroup,
        confinement: &Confinement,
        timings: &StepTimings,
    ) -> Result<(i32, OwnedFd, Option<OwnedFd>), SandboxError> {
        let (report_read, report_write) = report_pipe()?;
        let (pty_parent, pty_child) = pty_channel(&stdio)?;
        let inputs = PlanInputs {
            proc_root: &self.host.proc_root,
            overlay_api: self.host.overlay_api,
            cgroup,
            report: report_write,
            pty_sock: pty_child,
            timings,
            confinement,
            masked: &self.masked,
            masked_names: &self.masked_names,
        };
        let (plan, names) = plan::build(spec, stdio, inputs)?;
        timings.mark(Mark::Planned);
        let stack = ChildStack::new()?;
        let (pid, pidfd) = clone_child(clone_flags(&spec.network), cgroup, &plan, &stack)?;
        // Closes our copies of the child's ends: the report pipe's write end (so the read
        // below sees EOF after a successful exec), the stdio copies and the layer descriptors.
        drop(plan);
        if let Some(report) = read_report(&report_read)? {
            reap(&pidfd);
            return Err(report.into_error(&names.context()));
        }
        let pty_master = match pty_parent {
            Some(sock) => Some(crate::pty::receive_master(sock.as_fd()).inspect_err(|_| {
                kill_and_reap(&pidfd);
            })?),
            None => None,
        };
        Ok((pid, pidfd, pty_master))
    }
}

/// Starts `child_main(plan)`: born inside the container's v2 directory when it has one,
/// otherwise with `clone` (the child then joins its cgroups itself).
fn clone_child(
    flags: i32,
    cgroup: &ContainerCgroup,
    plan: &plan::Plan<'_>,
    stack: &ChildStack,
) -> Result<(i32, OwnedFd), SandboxError> {
    let arg = plan as *const _ as *mut c_void;
    #[cfg(target_arch = "x86_64")]
    if let Some(dir) = cgroup.born_into() {
        // SAFETY: `child_main` only makes system calls on the plan it is given (see child.rs:
        // no allocation, no unwinding, no locks), and `plan` outlives this call, which returns
        // only once the child has exec'd or exited.
        return unsafe { crate::clone::clone3_vfork_into(flags, dir, child_main, arg, stack) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = cgroup;
    // SAFETY: as above.
    unsafe { clone_vfork(flags, child_main, arg, stack) }
}

/// The namespaces: mount, PID (the command is PID 1), UTS, IPC, and network unless the
/// container shares the host's or joins a prepared one.
fn clone_flags(network: &Network) -> i32 {
    let mut flags = libc::CLONE_VM
        | libc::CLONE_VFORK
        | libc::CLONE_PIDFD
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWIPC
        | libc::SIGCHLD;
    if matches!(network, Network::Isolated) {
        flags |= libc::CLONE_NEWNET;
    }
    flags
}

/// The child's report pipe (close-on-exec: EOF once the command is exec'd).
pub(crate) fn report_pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(|e| SandboxError::sys("pipe", e))
}

/// For a pty: a socket pair over which the child sends back the master it made in the
/// container's devpts (parent's end, child's end); nothing otherwise.
pub(crate) fn pty_channel(
    stdio: &Stdio,
) -> Result<(Option<OwnedFd>, Option<OwnedFd>), SandboxError> {
    match stdio {
        Stdio::Pty { .. } => {
            let (parent, child) = rustix::net::socketpair(
                AddressFamily::UNIX,
                SocketType::STREAM,
                SocketFlags::CLOEXEC,
                None,
            )
            .map_err(|e| SandboxError::sys("socketpair", e))?;
            Ok((Some(parent), Some(child)))
        }
        Stdio::Fds { .. } => Ok((None, None)),
    }
}

/// EOF: the command was exec'd. A full record: the step that failed.
pub(crate) fn read_report(fd: &OwnedFd) -> Result<Option<Report>, SandboxError> {
    let mut buf = [0u8; REPORT_LEN];
    let mut filled = 0;
    while filled < REPORT_LEN {
        match rustix::io::read(fd, &mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(SandboxError::sys("read child report", e)),
        }
    }
    match filled {
        0 => Ok(None),
        REPORT_LEN => Ok(Report::decode(&buf)),
        _ => Err(SandboxError::sys(
            "read child report",
            std::io::Error::other("truncated report"),
        )),
    }
}

pub(crate) fn reap(pidfd: &OwnedFd) {
    while let Err(Errno::INTR) =
        rustix::process::waitid(WaitId::PidFd(pidfd.as_fd()), WaitIdOptions::EXITED)
    {}
}

pub(crate) fn kill_and_reap(pidfd: &OwnedFd) {
    let _ = rustix::process::pidfd_send_signal(pidfd, rustix::process::Signal::KILL);
    reap(pidfd);
}
