//! [`Sandbox::exec`]: a new process inside a running container (`docker exec`). It joins the
//! namespaces of the container's PID 1 instead of creating them, is born in its cgroup, and
//! then takes the same steps as a container's first process: streams, capabilities, identity,
//! working directory, command.
//!
//! The PID namespace is the one that cannot be joined by the process itself (`setns` with
//! `CLONE_NEWPID` only moves the caller's future children), so a short-lived thread joins it
//! first and the child is cloned from there, born inside. The child then joins the mount, UTS,
//! IPC and network namespaces through the container's pidfd in one `setns` call (Linux 5.8);
//! joining the mount namespace also puts it at the container's root. It is in every cgroup of
//! the container before its command runs, as the first process is: born in the v2 directory
//! where the kernel allows it, and joining each other directory (the v1 hierarchies, or v2
//! without `clone3`) by writing into its `cgroup.procs` first thing.

use std::convert::Infallible;
use std::ffi::{c_int, c_void};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use rustix::thread::ThreadNameSpaceType;

use crate::cgroup::ContainerCgroup;
use crate::child::{at, credentials, exec};
use crate::clone::{
    cloexec_from_3, clone_vfork, close_all_but, reset_signal_dispositions, ChildStack,
};
use crate::error::SandboxError;
use crate::lookup;
use crate::plan::ProcessPlan;
use crate::report::{Report, ReportContext, Step};
use crate::running::Running;
use crate::spawn::{kill_and_reap, pty_channel, read_report, reap, report_pipe, Sandbox};
use crate::spec::{Stdio, User};
use crate::timing::StepTimings;

/// What an exec runs, resolved by the caller: the command, its whole environment, the working
/// directory (inside the container) and the identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSpec {
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub user: User,
}

/// What the exec child reads; it lives on the parent's stack until the child has exec'd.
struct JoinPlan<'a> {
    /// The container's PID 1.
    target: BorrowedFd<'a>,
    process: ProcessPlan,
    report: OwnedFd,
    /// One open `cgroup.procs` per container cgroup the child is not born into.
    cgroup_procs: Vec<OwnedFd>,
    keep: Vec<RawFd>,
}

/// The namespaces the child joins itself (the PID namespace is joined before the clone).
fn joined_in_child() -> ThreadNameSpaceType {
    ThreadNameSpaceType::MOUNT
        | ThreadNameSpaceType::HOST_NAME_AND_NIS_DOMAIN_NAME
        | ThreadNameSpaceType::INTER_PROCESS_COMMUNICATION
        | ThreadNameSpaceType::NETWORK
}

impl Sandbox {
    /// Starts `spec`'s command inside the running container whose first process is `init`.
    /// Returns once the command runs, or with the reason it could not start (an exec failure
    /// is [`SandboxError::Exec`] with runc's text). The process is the caller's to wait for;
    /// it has no cgroup of its own to clean up.
    pub fn exec(
        &self,
        init: &Running,
        spec: &ExecSpec,
        stdio: Stdio,
    ) -> Result<Running, SandboxError> {
        let timings = Box::new(StepTimings::default());
        let (report_read, report_write) = report_pipe()?;
        let (pty_parent, pty_child) = pty_channel(&stdio)?;
        // The container's own filter and no_new_privs, as runc gives every exec.
        let confinement = init.confinement().clone();
        let process = ProcessPlan::new(
            &spec.argv,
            &spec.env,
            &spec.cwd,
            &spec.user,
            stdio,
            pty_child,
            &confinement,
        )?;
        let candidates = process.exec.candidate_names();
        let (cgroup_dir, cgroup_procs) = init.cgroups_for_exec(self.born_in_v2())?;
        let mut plan = JoinPlan {
            target: init.pidfd(),
            process,
            report: report_write,
            cgroup_procs,
            keep: Vec::new(),
        };
        let mut keep = plan.process.descriptors();
        keep.extend([plan.report.as_raw_fd(), plan.target.as_raw_fd()]);
        keep.extend(plan.cgroup_procs.iter().map(|fd| fd.as_raw_fd()));
        keep.sort_unstable();
        keep.dedup();
        plan.keep = keep;
        // The container's init exited after the caller looked: its namespaces are gone.
        let (pid, pidfd) = clone_in_pid_namespace(init.pidfd(), cgroup_dir.as_ref(), &plan)
            .map_err(|e| match e {
                SandboxError::Sys { source, .. } if source.raw_os_error() == Some(libc::ESRCH) => {
                    SandboxError::NotRunning { pid: init.pid() }
                }
                other => other,
            })?;
        // Our copies of the child's ends: the report pipe's write end (EOF once exec'd) and
        // the stdio copies.
        drop(plan);
        if let Some(report) = read_report(&report_read)? {
            reap(&pidfd);
            let ctx = ReportContext {
                argv0: &spec.argv[0],
                candidates: &candidates,
                mount_point: "",
                binds: &[],
                masked: &[],
                readonly: &[],
                cwd: &spec.cwd,
            };
            return Err(report.into_error(&ctx));
        }
        let pty_master = match pty_parent {
            Some(sock) => Some(crate::pty::receive_master(sock.as_fd()).inspect_err(|_| {
                kill_and_reap(&pidfd);
            })?),
            None => None,
        };
        Ok(Running::new(
            pid,
            pidfd,
            ContainerCgroup::none(),
            pty_master,
            timings,
            confinement,
        ))
    }
}

/// Clones the child from a thread that joined `init`'s PID namespace first, so the child is
/// born there (and in the container's cgroup, when it has a v2 directory).
fn clone_in_pid_namespace(
    init: BorrowedFd<'_>,
    cgroup_dir: Option<&OwnedFd>,
    plan: &JoinPlan<'_>,
) -> Result<(i32, OwnedFd), SandboxError> {
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD;
    // The plan holds raw pointers (argv, envp), so it crosses into the thread as an address;
    // the thread is joined before this function returns and the plan outlives it.
    let arg = plan as *const JoinPlan<'_> as usize;
    let init = init.as_raw_fd();
    let cgroup = cgroup_dir.map(|d| d.as_raw_fd());
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                // SAFETY: `init` is the raw number of a pidfd the caller keeps open (borrowed
                // for the whole call).
                let init = unsafe { BorrowedFd::borrow_raw(init) };
                rustix::thread::move_into_thread_name_spaces(init, ThreadNameSpaceType::PROCESS_ID)
                    .map_err(|e| SandboxError::sys("setns(CLONE_NEWPID)", e))?;
                let stack = ChildStack::new()?;
                let stack = &stack;
                let arg = arg as *mut c_void;
                #[cfg(target_arch = "x86_64")]
                if let Some(dir) = cgroup {
                    // SAFETY: `dir` is open for the whole call (the caller holds it);
                    // `join_main` only makes system calls on the plan (no allocation, no
                    // unwinding, no locks), and the plan outlives this call, which returns
                    // only once the child has exec'd or exited.
                    return unsafe {
                        crate::clone::clone3_vfork_into(
                            flags,
                            BorrowedFd::borrow_raw(dir),
                            join_main,
                            arg,
                            stack,
                        )
                    };
                }
                #[cfg(not(target_arch = "x86_64"))]
                let _ = cgroup;
                // SAFETY: as above.
                unsafe { clone_vfork(flags, join_main, arg, stack) }
            })
            .join()
            .map_err(|_| SandboxError::sys("exec thread", std::io::Error::other("panicked")))?
    })
}

/// The function the exec child starts in.
extern "C" fn join_main(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `&JoinPlan` passed to the clone; the cloning thread sleeps
    // (CLONE_VFORK) until this process execs or exits, so the plan outlives every use.
    let plan = unsafe { &*(arg as *const JoinPlan<'_>) };
    let report = match run(plan) {
        Ok(never) => match never {},
        Err(report) => report,
    };
    let _ = rustix::io::write(&plan.report, &report.encode());
    127
}

/// The steps, in order: default signal dispositions and nothing of the daemon's open; into the
/// container's cgroups and namespaces (which also roots the child in the container); then what a first
/// process does after its filesystems are ready.
fn run(plan: &JoinPlan<'_>) -> Result<Infallible, Report> {
    reset_signal_dispositions();
    close_all_but(&plan.keep);
    cloexec_from_3();
    // Into the container's cgroups before anything else, so the command's limits hold for
    // every byte this process allocates.
    for fd in &plan.cgroup_procs {
        rustix::io::write(fd, b"0").map_err(at(Step::JoinCgroup))?;
    }
    rustix::thread::move_into_thread_name_spaces(plan.target, joined_in_child())
        .map_err(at(Step::JoinNamespaces))?;
    credentials(&plan.process)?;
    let chosen = lookup::resolve(&plan.process.exec.candidates, plan.process.exec.direct)?;
    exec(&plan.process, chosen)
}
