//! The parent turns a [`Spec`] into a [`Plan`]: every string the child needs as a C string,
//! every path it would otherwise resolve on the host opened as a descriptor, the command's
//! candidate paths and its `argv`/`envp` arrays. Validation happens here, once, so the child
//! (which may not allocate) only reads.

use std::ffi::{c_char, CString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::Arc;

use rustix::fs::{Mode, OFlags};
use rustix::process::Gid;

use crate::caps;
use crate::cgroup::ContainerCgroup;
use crate::error::SandboxError;
use crate::lookup;
use crate::mounts::{self, BindPlan};
use crate::overlay::{c_string, OverlayApi, OverlayPlan};
use crate::report::ReportContext;
use crate::seccomp::load::SockFprogRef;
use crate::seccomp::Program;
use crate::spec::{Bind, Network, Spec, Stdio};
use crate::timing::StepTimings;

/// How the container's standard streams get set up in the child.
#[derive(Debug)]
pub(crate) enum StdioPlan {
    /// Descriptors (numbered 3 or more, so `dup2` onto 0..=2 never clobbers one of them).
    Fds([OwnedFd; 3]),
    /// Make a pty in the container's devpts and send the master back over `sock`.
    Pty { rows: u16, cols: u16, sock: OwnedFd },
}

/// The command, ready for `execve`.
#[derive(Debug)]
pub(crate) struct ExecPlan {
    /// The candidates as the parent words them in errors.
    names: Vec<String>,
    pub candidates: Vec<CString>,
    pub direct: bool,
    _argv: Vec<CString>,
    pub argv: Vec<*const c_char>,
    _env: Vec<CString>,
    pub envp: Vec<*const c_char>,
}

/// What a container's processes are confined by beyond capabilities, decided once per
/// container: its compiled seccomp filter (none when unconfined) and `no_new_privs`. An exec
/// gets its container's.
#[derive(Debug, Clone, Default)]
pub(crate) struct Confinement {
    pub seccomp: Option<Arc<Program>>,
    pub no_new_privs: bool,
}

/// The process half of a plan, the same for a container's first process and an exec:
/// streams, privileges, working directory and command.
#[derive(Debug)]
pub(crate) struct ProcessPlan {
    pub stdio: StdioPlan,
    pub caps: u64,
    pub no_new_privs: bool,
    /// The filter as the kernel reads it; points into `_program`, which it must not outlive.
    pub seccomp: Option<SockFprogRef>,
    _program: Option<Arc<Program>>,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<Gid>,
    pub cwd: CString,
    pub exec: ExecPlan,
}

impl ProcessPlan {
    /// Builds the process half: `argv` and `env` as C arrays, the command's candidate paths,
    /// the streams (a pty made in the container when `stdio` asks for one).
    pub fn new(
        argv: &[String],
        env: &[String],
        cwd: &str,
        user: &crate::spec::User,
        stdio: Stdio,
        pty_sock: Option<OwnedFd>,
        confinement: &Confinement,
    ) -> Result<ProcessPlan, SandboxError> {
        if argv.is_empty() || argv[0].is_empty() {
            return Err(SandboxError::spec("argv", "no command given"));
        }
        if !cwd.starts_with('/') {
            return Err(SandboxError::spec("cwd", "must be an absolute path"));
        }
        let (candidates, direct) = lookup::candidates(&argv[0], env);
        Ok(ProcessPlan {
            stdio: stdio_plan(stdio, pty_sock)?,
            caps: caps::docker_default_mask(),
            no_new_privs: confinement.no_new_privs,
            seccomp: confinement.seccomp.as_deref().map(SockFprogRef::new),
            _program: confinement.seccomp.clone(),
            uid: user.uid,
            gid: user.gid,
            groups: user
                .additional_gids
                .iter()
                .map(|g| Gid::from_raw(*g))
                .collect(),
            cwd: c_string("cwd", cwd.as_bytes().to_vec())?,
            exec: exec_plan(argv, env, candidates, direct)?,
        })
    }

    /// The descriptors the process half uses.
    pub fn descriptors(&self) -> Vec<RawFd> {
        match &self.stdio {
            StdioPlan::Fds(fds) => fds.iter().map(|f| f.as_raw_fd()).collect(),
            StdioPlan::Pty { sock, .. } => vec![sock.as_raw_fd()],
        }
    }
}

/// Everything the child reads. Built and owned by the parent; borrowed by the child.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub netns: Option<BorrowedFd<'a>>,
    pub loopback: bool,
    pub hostname: Vec<u8>,
    pub cgroup_procs: &'a [OwnedFd],
    pub overlay: OverlayPlan,
    pub binds: Vec<BindPlan>,
    /// Docker's masked paths on this host.
    pub masked: &'a [CString],
    /// `/a`, `/a/b`, `/a/b/c` for a cwd of `/a/b/c`: `mkdir -p` without allocation.
    pub cwd_dirs: Vec<CString>,
    pub process: ProcessPlan,
    pub report: OwnedFd,
    pub timings: &'a StepTimings,
    /// Every descriptor above, ascending: the child closes all others first thing.
    pub keep: Vec<RawFd>,
}

/// The strings the parent needs to word a failure the child reports.
#[derive(Debug)]
pub(crate) struct PlanNames<'a> {
    pub argv0: String,
    pub candidates: Vec<String>,
    pub mount_point: String,
    pub binds: Vec<String>,
    pub cwd: String,
    pub masked: &'a [String],
}

impl PlanNames<'_> {
    pub fn context(&self) -> ReportContext<'_> {
        ReportContext {
            argv0: &self.argv0,
            candidates: &self.candidates,
            mount_point: &self.mount_point,
            binds: &self.binds,
            masked: self.masked,
            readonly: &mounts::READONLY_PATH_NAMES,
            cwd: &self.cwd,
        }
    }
}

/// The pieces of a plan that come from outside the spec.
pub(crate) struct PlanInputs<'a> {
    pub proc_root: &'a Path,
    pub overlay_api: OverlayApi,
    pub cgroup: &'a ContainerCgroup,
    pub report: OwnedFd,
    pub pty_sock: Option<OwnedFd>,
    pub timings: &'a StepTimings,
    pub confinement: &'a Confinement,
    /// The masked paths, as the child mounts them and as errors name them.
    pub masked: &'a [CString],
    pub masked_names: &'a [String],
}

pub(crate) fn build<'a>(
    spec: &'a Spec,
    stdio: Stdio,
    inputs: PlanInputs<'a>,
) -> Result<(Plan<'a>, PlanNames<'a>), SandboxError> {
    validate(spec)?;
    let process = ProcessPlan::new(
        &spec.argv,
        &spec.env,
        &spec.cwd,
        &spec.user,
        stdio,
        inputs.pty_sock,
        inputs.confinement,
    )?;
    let candidates = process.exec.candidate_names();
    let names = PlanNames {
        argv0: spec.argv[0].clone(),
        candidates,
        mount_point: spec.rootfs.mount_point.display().to_string(),
        binds: spec.binds.iter().map(|b| b.destination.clone()).collect(),
        cwd: spec.cwd.clone(),
        masked: inputs.masked_names,
    };
    let mut plan = Plan {
        netns: match &spec.network {
            Network::Prepared(ns) => Some(ns.fd()),
            _ => None,
        },
        loopback: matches!(spec.network, Network::Isolated),
        hostname: spec.hostname.as_bytes().to_vec(),
        cgroup_procs: inputs.cgroup.procs(),
        overlay: OverlayPlan::new(&spec.rootfs, inputs.proc_root, inputs.overlay_api)?,
        binds: spec.binds.iter().map(bind_plan).collect::<Result<_, _>>()?,
        masked: inputs.masked,
        cwd_dirs: cwd_prefixes(&spec.cwd)?,
        process,
        report: inputs.report,
        timings: inputs.timings,
        keep: Vec::new(),
    };
    plan.keep = plan.descriptors();
    Ok((plan, names))
}

impl Plan<'_> {
    /// The descriptors the child uses, sorted and without repeats.
    fn descriptors(&self) -> Vec<RawFd> {
        let stdio = self.process.descriptors();
        let mut fds: Vec<RawFd> = self
            .netns
            .iter()
            .map(|f| f.as_raw_fd())
            .chain(self.cgroup_procs.iter().map(|f| f.as_raw_fd()))
            .chain(self.overlay.descriptors())
            .chain(self.binds.iter().map(|b| b.source.as_raw_fd()))
            .chain(stdio)
            .chain([self.report.as_raw_fd()])
            .collect();
        fds.sort_unstable();
        fds.dedup();
        fds
    }
}

fn validate(spec: &Spec) -> Result<(), SandboxError> {
    if spec.hostname.len() > 64 {
        return Err(SandboxError::spec("hostname", "longer than 64 bytes"));
    }
    if let Some(b) = spec.binds.iter().find(|b| !b.destination.starts_with('/')) {
        return Err(SandboxError::spec(
            "binds",
            format!("{} is not absolute", b.destination),
        ));
    }
    Ok(())
}

fn bind_plan(bind: &Bind) -> Result<BindPlan, SandboxError> {
    let source = rustix::fs::open(&bind.source, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| SandboxError::path("open bind source", &bind.source, e.into()))?;
    Ok(BindPlan {
        source,
        source_path: c_string("binds", crate::overlay::path_bytes(&bind.source))?,
        destination: c_string("binds", bind.destination.clone().into_bytes())?,
        is_dir: bind.source.is_dir(),
        readonly: bind.readonly,
    })
}

fn cwd_prefixes(cwd: &str) -> Result<Vec<CString>, SandboxError> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    for part in cwd.split('/').filter(|p| !p.is_empty()) {
        prefix.push('/');
        prefix.push_str(part);
        out.push(c_string("cwd", prefix.clone().into_bytes())?);
    }
    Ok(out)
}

fn stdio_plan(stdio: Stdio, pty_sock: Option<OwnedFd>) -> Result<StdioPlan, SandboxError> {
    match (stdio, pty_sock) {
        (
            Stdio::Fds {
                stdin,
                stdout,
                stderr,
            },
            _,
        ) => Ok(StdioPlan::Fds([
            high_dup(stdin.as_fd())?,
            high_dup(stdout.as_fd())?,
            high_dup(stderr.as_fd())?,
        ])),
        (Stdio::Pty { rows, cols }, Some(sock)) => Ok(StdioPlan::Pty { rows, cols, sock }),
        (Stdio::Pty { .. }, None) => Err(SandboxError::spec("stdio", "pty without a socket")),
    }
}

/// A close-on-exec copy numbered 3 or more.
fn high_dup(fd: BorrowedFd<'_>) -> Result<OwnedFd, SandboxError> {
    rustix::io::fcntl_dupfd_cloexec(fd, 3).map_err(|e| SandboxError::sys("dup stdio", e))
}

impl ExecPlan {
    /// The candidate paths, for error texts.
    pub fn candidate_names(&self) -> Vec<String> {
        self.names.clone()
    }
}

fn exec_plan(
    argv: &[String],
    env: &[String],
    candidates: Vec<String>,
    direct: bool,
) -> Result<ExecPlan, SandboxError> {
    let to_c = |field, list: &[String]| {
        list.iter()
            .map(|s| c_string(field, s.clone().into_bytes()))
            .collect::<Result<Vec<_>, _>>()
    };
    let argv_c = to_c("argv", argv)?;
    let env_c = to_c("env", env)?;
    let pointers = |list: &[CString]| {
        let mut v: Vec<*const c_char> = list.iter().map(|c| c.as_ptr()).collect();
        v.push(std::ptr::null());
        v
    };
    Ok(ExecPlan {
        candidates: to_c("argv", &candidates)?,
        names: candidates,
        direct,
        argv: pointers(&argv_c),
        envp: pointers(&env_c),
        _argv: argv_c,
        _env: env_c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwd_prefixes_list_every_ancestor() {
        let p = cwd_prefixes("/a/b//c/").unwrap();
        let p: Vec<&str> = p.iter().map(|c| c.to_str().unwrap()).collect();
        assert_eq!(p, vec!["/a", "/a/b", "/a/b/c"]);
        assert!(cwd_prefixes("/").unwrap().is_empty());
    }

    #[test]
    fn argv_and_env_are_null_terminated_arrays() {
        let plan = exec_plan(
            &["sh".into(), "-c".into()],
            &["A=1".into()],
            vec!["/bin/sh".into()],
            false,
        )
        .unwrap();
        assert_eq!(plan.argv.len(), 3);
        assert!(plan.argv[2].is_null());
        assert_eq!(plan.envp.len(), 2);
        assert!(plan.envp[1].is_null());
    }

    #[test]
    fn nul_bytes_are_refused() {
        let err = exec_plan(&["a\0b".into()], &[], vec![], true).unwrap_err();
        assert!(matches!(
            err,
            SandboxError::InvalidSpec { field: "argv", .. }
        ));
    }
}
