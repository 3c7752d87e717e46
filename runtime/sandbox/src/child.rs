//! The child, from `clone` to `execve`, as an ordered list of steps. Each step says why it sits
//! where it does. The child shares the parent's memory until `execve` (see [`crate::clone`]),
//! so nothing here allocates, unwinds or takes a lock: steps read the parent-built [`Plan`] and
//! make system calls. The first failing step is reported to the parent over the close-on-exec
//! pipe, and the child exits.

use std::convert::Infallible;
use std::ffi::{c_int, c_void};
use std::os::fd::AsFd;

use rustix::io::Errno;
use rustix::process::{Gid, Uid};
use rustix::thread::LinkNameSpaceType;

use crate::clone::{cloexec_from_3, close_all_but, reset_signal_dispositions, unblock_all_signals};
use crate::plan::{Plan, ProcessPlan, StdioPlan};
use crate::report::{Report, Step};
use crate::timing::Mark;
use crate::{caps, dev, lookup, mounts, netns, seccomp};

/// The function `clone` starts the child in.
pub(crate) extern "C" fn child_main(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `&Plan` that `spawn` passed to `clone_vfork`; the parent thread
    // sleeps (CLONE_VFORK) until this process execs or exits, so the plan outlives every use.
    let plan = unsafe { &*(arg as *const Plan<'_>) };
    plan.timings.mark(Mark::ChildRunning);
    let report = match run(plan) {
        Ok(never) => match never {},
        Err(report) => report,
    };
    // If even this write fails the parent sees EOF without an exec; the exit status still
    // tells it the child died.
    let _ = rustix::io::write(&plan.report, &report.encode());
    127
}

pub(crate) fn at(step: Step) -> impl Fn(Errno) -> Report {
    move |e| Report {
        step,
        errno: e.raw_os_error(),
        index: 0,
    }
}

fn at_index(step: Step, index: usize) -> impl Fn(Errno) -> Report {
    move |e| Report {
        step,
        errno: e.raw_os_error(),
        index: index as u32,
    }
}

fn run(plan: &Plan<'_>) -> Result<Infallible, Report> {
    join(plan)?;
    plan.timings.mark(Mark::Joined);
    isolate(plan)?;
    plan.timings.mark(Mark::Isolated);
    plan.overlay.mount().map_err(at(Step::Overlay))?;
    for (i, bind) in plan.binds.iter().enumerate() {
        bind.detach_source().map_err(at_index(Step::Bind, i))?;
    }
    plan.timings.mark(Mark::OverlayMounted);
    mounts::pivot_into(plan.overlay.mount_point.as_c_str()).map_err(at(Step::PivotRoot))?;
    plan.timings.mark(Mark::Pivoted);
    filesystems(plan)?;
    plan.timings.mark(Mark::FilesystemsReady);
    credentials(&plan.process)?;
    plan.timings.mark(Mark::Credentials);
    let chosen = lookup::resolve(&plan.process.exec.candidates, plan.process.exec.direct)?;
    plan.timings.mark(Mark::ExecCalled);
    exec(&plan.process, chosen)
}

/// Step 1: Become part of the container before doing anything else.
fn join(plan: &Plan<'_>) -> Result<(), Report> {
    // The parent's handlers are daemon code: they must never run here, and the command must
    // start from default dispositions (signals stay blocked until just before execve).
    reset_signal_dispositions();
    // Nothing the daemon had open may leak into the container, nor be held during setup.
    close_all_but(&plan.keep);
    cloexec_from_3();
    // Into the cgroups first, so every later allocation and task counts against the limits.
    for fd in plan.cgroup_procs {
        rustix::io::write(fd, b"0").map_err(at(Step::JoinCgroup))?;
    }
    // A prepared network namespace replaces creating one in clone (Network::Prepared).
    if let Some(ns) = plan.netns {
        rustix::thread::move_into_link_name_space(ns, Some(LinkNameSpaceType::Network))
            .map_err(at(Step::JoinNetns))?;
    }
    // A fresh network namespace has `lo` down; Docker's containers have it up.
    if plan.loopback {
        netns::loopback_up().map_err(at(Step::Loopback))?;
    }
    Ok(())
}

/// Step 2: Private mount propagation (before any mount, so none reaches the host) and hostname.
fn isolate(plan: &Plan<'_>) -> Result<(), Report> {
    mounts::make_private().map_err(at(Step::Propagation))?;
    rustix::system::sethostname(&plan.hostname).map_err(at(Step::Hostname))
}

/// Step 3: After pivot_root: the kernel filesystems, binds and Docker's masks, all at paths inside
/// the container (image symlinks resolve within the new root). `/dev` comes before the masks
/// (they bind `/dev/null`), and the working directory last, while we are still root.
fn filesystems(plan: &Plan<'_>) -> Result<(), Report> {
    // Exact modes for device nodes and directories; the command gets Docker's 0022 back.
    rustix::process::umask(rustix::fs::Mode::empty());
    mounts::mount_proc().map_err(at(Step::Proc))?;
    dev::populate().map_err(at(Step::Dev))?;
    mounts::mount_sys().map_err(at(Step::Sys))?;
    for (i, bind) in plan.binds.iter().enumerate() {
        bind.attach().map_err(at_index(Step::Bind, i))?;
    }
    for (i, path) in plan.masked.iter().enumerate() {
        mounts::mask(path).map_err(at_index(Step::Mask, i))?;
    }
    for (i, path) in mounts::READONLY_PATHS.iter().enumerate() {
        mounts::make_readonly(path).map_err(at_index(Step::Readonly, i))?;
    }
    for dir in &plan.cwd_dirs {
        mounts::mkdir(dir, 0o755).map_err(at(Step::Cwd))?;
    }
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    Ok(())
}

/// Step 4: Streams, session, confinement, capabilities, identity, working directory, in that
/// order: the pty needs root and must be the controlling terminal of a new session; without
/// `no_new_privs` loading a seccomp filter needs CAP_SYS_ADMIN, so (as runc does) the filter
/// goes in now, before capabilities are bounded (while we still hold CAP_SETPCAP); with it,
/// the filter waits until just before `execve` ([`exec`]), so that as few of our own calls
/// as possible have to pass it. The uid is dropped last among them because it takes the
/// remaining privileges with it; chdir runs as the user, so permissions apply as for runc.
pub(crate) fn credentials(plan: &ProcessPlan) -> Result<(), Report> {
    stdio(plan)?;
    if plan.no_new_privs {
        seccomp::load::set_no_new_privs().map_err(at(Step::NoNewPrivs))?;
    } else {
        load_filter(plan)?;
    }
    caps::bound_to(plan.caps).map_err(at(Step::Capabilities))?;
    rustix::thread::set_thread_groups(&plan.groups).map_err(at(Step::Groups))?;
    let gid = Gid::from_raw(plan.gid);
    rustix::thread::set_thread_res_gid(gid, gid, gid).map_err(at(Step::Setgid))?;
    let uid = Uid::from_raw(plan.uid);
    rustix::thread::set_thread_res_uid(uid, uid, uid).map_err(at(Step::Setuid))?;
    rustix::process::chdir(plan.cwd.as_c_str()).map_err(at(Step::Chdir))
}

fn load_filter(plan: &ProcessPlan) -> Result<(), Report> {
    match &plan.seccomp {
        Some(prog) => seccomp::load::load(prog.get()).map_err(at(Step::Seccomp)),
        None => Ok(()),
    }
}

fn stdio(plan: &ProcessPlan) -> Result<(), Report> {
    match &plan.stdio {
        StdioPlan::Fds([stdin, stdout, stderr]) => {
            rustix::process::setsid().map_err(at(Step::Stdio))?;
            rustix::stdio::dup2_stdin(stdin).map_err(at(Step::Stdio))?;
            rustix::stdio::dup2_stdout(stdout).map_err(at(Step::Stdio))?;
            rustix::stdio::dup2_stderr(stderr).map_err(at(Step::Stdio))
        }
        StdioPlan::Pty { rows, cols, sock } => {
            crate::pty::open_in_container(*rows, *cols, sock.as_fd(), plan.uid)
                .map_err(at(Step::Pty))
        }
    }
}

/// Step 5: The command. Signals are unblocked only now, with default dispositions in place.
pub(crate) fn exec(plan: &ProcessPlan, chosen: usize) -> Result<Infallible, Report> {
    let Some(path) = plan.exec.candidates.get(chosen) else {
        return Err(at(Step::Execve)(Errno::NOENT));
    };
    if plan.no_new_privs {
        load_filter(plan)?;
    }
    unblock_all_signals();
    // SAFETY: path, argv and envp are NUL-terminated C strings and NULL-terminated pointer
    // arrays owned by the plan, which outlives this call (the parent waits for us).
    unsafe {
        libc::execve(
            path.as_ptr(),
            plan.exec.argv.as_ptr(),
            plan.exec.envp.as_ptr(),
        )
    };
    let errno = std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO);
    Err(Report {
        step: Step::Execve,
        errno,
        index: chosen as u32,
    })
}
