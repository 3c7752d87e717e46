//! The child's one message to the parent: which step failed, with which errno. It travels over
//! a close-on-exec pipe, so a successful `execve` closes the pipe and the parent reads EOF; a
//! failure writes one fixed-size record first. Encoding is fixed-size bytes so that the child
//! never allocates; the parent turns the record into a [`SandboxError`] with its own strings.

use std::io;

use crate::error::SandboxError;
use crate::exec_error;

/// The child's steps that can fail, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Step {
    Signals = 1,
    JoinCgroup,
    JoinNetns,
    Loopback,
    Propagation,
    Hostname,
    Overlay,
    PivotRoot,
    Proc,
    Dev,
    Sys,
    Bind,
    Mask,
    Readonly,
    Cwd,
    Stdio,
    Pty,
    Capabilities,
    Groups,
    Setgid,
    Setuid,
    Chdir,
    /// A path with a slash could not be stat'ed.
    LookupStat,
    /// A path was found but is a directory or has no execute bit.
    LookupDenied,
    /// No `PATH` entry holds the name.
    LookupNotFound,
    Execve,
    /// An exec joining the running container's namespaces.
    JoinNamespaces,
    NoNewPrivs,
    Seccomp,
}

impl Step {
    const ALL: [Step; 29] = [
        Step::Signals,
        Step::JoinCgroup,
        Step::JoinNetns,
        Step::Loopback,
        Step::Propagation,
        Step::Hostname,
        Step::Overlay,
        Step::PivotRoot,
        Step::Proc,
        Step::Dev,
        Step::Sys,
        Step::Bind,
        Step::Mask,
        Step::Readonly,
        Step::Cwd,
        Step::Stdio,
        Step::Pty,
        Step::Capabilities,
        Step::Groups,
        Step::Setgid,
        Step::Setuid,
        Step::Chdir,
        Step::LookupStat,
        Step::LookupDenied,
        Step::LookupNotFound,
        Step::Execve,
        Step::JoinNamespaces,
        Step::NoNewPrivs,
        Step::Seccomp,
    ];

    fn from_u32(v: u32) -> Option<Step> {
        Step::ALL.iter().copied().find(|s| *s as u32 == v)
    }
}

/// One failure record: the step, the errno, and an index into the step's list (which bind,
/// which masked path, which lookup candidate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    pub step: Step,
    pub errno: i32,
    pub index: u32,
}

pub(crate) const REPORT_LEN: usize = 12;

impl Report {
    pub fn encode(&self) -> [u8; REPORT_LEN] {
        let mut out = [0u8; REPORT_LEN];
        out[0..4].copy_from_slice(&(self.step as u32).to_ne_bytes());
        out[4..8].copy_from_slice(&self.errno.to_ne_bytes());
        out[8..12].copy_from_slice(&self.index.to_ne_bytes());
        out
    }

    pub fn decode(bytes: &[u8; REPORT_LEN]) -> Option<Report> {
        let word = |i: usize| [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]];
        Some(Report {
            step: Step::from_u32(u32::from_ne_bytes(word(0)))?,
            errno: i32::from_ne_bytes(word(4)),
            index: u32::from_ne_bytes(word(8)),
        })
    }
}

/// The names a report refers to, owned by the parent's plan.
pub(crate) struct ReportContext<'a> {
    pub argv0: &'a str,
    pub candidates: &'a [String],
    pub mount_point: &'a str,
    pub binds: &'a [String],
    pub masked: &'a [String],
    pub readonly: &'a [&'a str],
    pub cwd: &'a str,
}

impl Report {
    /// The error the parent returns for this report.
    pub fn into_error(self, ctx: &ReportContext<'_>) -> SandboxError {
        let pick = |list: &[String]| list.get(self.index as usize).cloned().unwrap_or_default();
        let exec = |message: String| SandboxError::Exec {
            exit_code: exec_error::docker_exit_code(&message).unwrap_or(126),
            message,
        };
        match self.step {
            Step::LookupStat => exec(exec_error::stat_failed(ctx.argv0, self.errno)),
            Step::LookupDenied => exec(exec_error::permission_denied(ctx.argv0)),
            Step::LookupNotFound => exec(exec_error::not_found_in_path(ctx.argv0)),
            Step::Execve => {
                let path = pick(ctx.candidates);
                exec(exec_error::exec_failed(&path, self.errno))
            }
            step => SandboxError::ChildSetup {
                step: self.describe(step, ctx),
                source: io::Error::from_raw_os_error(self.errno),
            },
        }
    }

    fn describe(&self, step: Step, ctx: &ReportContext<'_>) -> String {
        let i = self.index as usize;
        let nth = |list: &[&str]| list.get(i).copied().unwrap_or("?").to_string();
        match step {
            Step::Signals => "reset signal dispositions".into(),
            Step::JoinCgroup => "join cgroup".into(),
            Step::JoinNetns => "join prepared network namespace".into(),
            Step::Loopback => "bring up the loopback interface".into(),
            Step::Propagation => "make / private".into(),
            Step::Hostname => "set hostname".into(),
            Step::Overlay => format!("mount overlay on {}", ctx.mount_point),
            Step::PivotRoot => format!("pivot_root into {}", ctx.mount_point),
            Step::Proc => "mount /proc".into(),
            Step::Dev => "prepare /dev".into(),
            Step::Sys => "mount /sys".into(),
            Step::Bind => format!(
                "bind mount onto {}",
                ctx.binds.get(i).map(String::as_str).unwrap_or("?")
            ),
            Step::Mask => format!(
                "mask {}",
                ctx.masked.get(i).map(String::as_str).unwrap_or("?")
            ),
            Step::Readonly => format!("make {} read-only", nth(ctx.readonly)),
            Step::Cwd => format!("create working directory {}", ctx.cwd),
            Step::Stdio => "set up stdio".into(),
            Step::Pty => "set up the terminal".into(),
            Step::Capabilities => "drop capabilities".into(),
            Step::Groups => "set supplementary groups".into(),
            Step::Setgid => "set gid".into(),
            Step::Setuid => "set uid".into(),
            Step::Chdir => format!("chdir to cwd ({:?}) set in config.json failed", ctx.cwd),
            Step::JoinNamespaces => "join the container's namespaces".into(),
            Step::NoNewPrivs => "set no_new_privs".into(),
            Step::Seccomp => "error loading seccomp filter into kernel".into(),
            Step::LookupStat | Step::LookupDenied | Step::LookupNotFound | Step::Execve => {
                "exec".into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ReportContext<'static> {
        ReportContext {
            argv0: "nope",
            candidates: &[],
            mount_point: "/r",
            binds: &[],
            masked: &[],
            readonly: &[],
            cwd: "/",
        }
    }

    #[test]
    fn every_step_round_trips() {
        for step in Step::ALL {
            let r = Report {
                step,
                errno: 13,
                index: 7,
            };
            assert_eq!(Report::decode(&r.encode()), Some(r));
        }
        assert_eq!(Report::decode(&[0xff; REPORT_LEN]), None);
    }

    #[test]
    fn lookup_reports_become_dockers_exec_errors() {
        let r = Report {
            step: Step::LookupNotFound,
            errno: 0,
            index: 0,
        };
        let e = r.into_error(&ctx());
        assert_eq!(e.exit_code(), Some(127));
        assert_eq!(
            e.to_string(),
            "exec: \"nope\": executable file not found in $PATH"
        );
    }

    #[test]
    fn setup_reports_name_the_step_and_the_path() {
        let r = Report {
            step: Step::Mask,
            errno: libc::EPERM,
            index: 0,
        };
        let masked = ["/proc/kcore".to_string()];
        let ctx = ReportContext {
            masked: &masked,
            ..ctx()
        };
        let text = r.into_error(&ctx).to_string();
        assert!(text.starts_with("mask /proc/kcore: "), "{text}");
    }
}
