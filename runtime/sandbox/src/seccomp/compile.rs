//! runc's half of a profile (runc 1.1.5 `specconv.SetupSeccomp` and `seccomp.InitSeccomp`):
//! the resolved rules become a libseccomp filter, exported as classic BPF, with runc's
//! `-ENOSYS` stub in front ([`super::enosys`]). Runs in the parent (it allocates); the child
//! only loads the result. Each failure is worded as runc words it, because dockerd passes
//! runc's text on.

use std::io::{Read, Seek};

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};

use super::enosys::{self, ArchLimit, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};
use super::profile::Arg;
use super::program::{Program, SockFilter};
use super::resolve::Resolved;
use super::SeccompError;

/// The kernel loads at most this many instructions (`BPF_MAXINSNS`).
const MAX_INSNS: usize = 4096;

/// The filter for `resolved`.
pub fn compile(resolved: &Resolved) -> Result<Program, SeccompError> {
    // runc converts the whole section before it starts the container, so these are
    // configuration errors; the rest fail in the container's init.
    let default = action(&resolved.default_action, None)?;
    let arches = resolved
        .architectures
        .iter()
        .map(|a| arch(a))
        .collect::<Result<Vec<_>, _>>()?;
    let rules = resolved
        .rules
        .iter()
        .map(|r| {
            let act = action(&r.action, r.errno_ret)?;
            let ops = r.args.iter().map(operator).collect::<Result<Vec<_>, _>>()?;
            Ok((r, act, ops))
        })
        .collect::<Result<Vec<_>, SeccompError>>()?;
    if default == ScmpAction::Notify {
        return Err(init("SCMP_ACT_NOTIFY cannot be used as default action"));
    }
    if rules.iter().any(|(_, act, _)| *act == ScmpAction::Notify) {
        return Err(init(
            "seccomp notify needs a listener, which berth does not provide",
        ));
    }
    let mut filter = ScmpFilterContext::new(default).map_err(|e| lib("creating filter", e))?;
    // A binary tree of system call numbers instead of runc's linear list (same decisions, a
    // different layout): loading a filter makes the kernel run it once per system call number
    // and architecture to build its action cache, and a linear program made that cost ~1.1 ms
    // per container start here against ~0.3 ms for the tree (100 spawns of `true` each way,
    // against ~1.9 ms for a spawn without a filter).
    filter
        .set_ctl_optimize(2)
        .map_err(|e| lib("setting the filter's optimization level", e))?;
    for a in &arches {
        filter
            .add_arch(*a)
            .map_err(|e| lib("adding architecture to seccomp filter", e))?;
    }
    for (rule, act, ops) in &rules {
        for name in &rule.names {
            add(&mut filter, name, *act, default, &rule.args, ops)?;
        }
    }
    let exported = export(&filter)?;
    let mut insns = match patches(default) {
        true => enosys::stub(&limits(resolved, &arches)),
        false => Vec::new(),
    };
    insns.extend(exported);
    if insns.len() > MAX_INSNS {
        return Err(init(&format!(
            "error loading seccomp filter into kernel: {} instructions (the kernel takes {MAX_INSNS})",
            insns.len()
        )));
    }
    Ok(Program::new(insns))
}

/// runc's `matchCall` for one name: rules with the default action are redundant, names
/// libseccomp does not know are skipped, and conditions on the same argument become
/// separate rules.
fn add(
    filter: &mut ScmpFilterContext,
    name: &str,
    act: ScmpAction,
    default: ScmpAction,
    args: &[Arg],
    ops: &[ScmpCompareOp],
) -> Result<(), SeccompError> {
    if name.is_empty() {
        return Err(init("empty string is not a valid syscall"));
    }
    if act == default {
        return Ok(());
    }
    let Ok(call) = ScmpSyscall::from_name(name) else {
        return Ok(());
    };
    let mut conditions = Vec::with_capacity(args.len());
    for (arg, op) in args.iter().zip(ops) {
        if arg.index > 5 {
            return Err(init(&format!(
                "error creating seccomp syscall condition for syscall {name}: syscalls only \
                 have up to 6 arguments ({} given)",
                arg.index
            )));
        }
        let datum = match op {
            ScmpCompareOp::MaskedEqual(_) => arg.value_two,
            _ => arg.value,
        };
        conditions.push(ScmpArgCompare::new(arg.index as u32, *op, datum));
    }
    let mut seen = [0u8; 6];
    args.iter().for_each(|a| seen[a.index as usize] += 1);
    let added = match seen.iter().any(|n| *n > 1) {
        true => conditions
            .iter()
            .try_for_each(|c| filter.add_rule_conditional(act, call, &[*c]).map(drop)),
        false => filter
            .add_rule_conditional(act, call, &conditions)
            .map(drop),
    };
    added.map_err(|e| {
        let what = match args.is_empty() {
            true => format!("error adding seccomp filter rule for syscall {name}"),
            false => format!("error adding seccomp rule for syscall {name}"),
        };
        lib(&what, e)
    })
}

/// runc patches the filter unless the default action lets calls through.
fn patches(default: ScmpAction) -> bool {
    !matches!(
        default,
        ScmpAction::Allow | ScmpAction::Log | ScmpAction::Trace(_)
    )
}

/// The highest number of any rule's call, per architecture of the filter (runc's
/// `findLastSyscalls`, which counts every rule, whatever its action).
fn limits(resolved: &Resolved, arches: &[ScmpArch]) -> Vec<ArchLimit> {
    let mut out: Vec<ArchLimit> = Vec::new();
    let mut all: Vec<ScmpArch> = arches.to_vec();
    if !all.contains(&ScmpArch::native()) {
        all.insert(0, ScmpArch::native());
    }
    for a in all {
        let Some(audit_arch) = audit_arch(a) else {
            continue;
        };
        let max = resolved
            .rules
            .iter()
            .flat_map(|r| r.names.iter())
            .filter_map(|n| ScmpSyscall::from_name_by_arch(n, a).ok())
            .map(|s| s.as_raw_syscall())
            .filter(|n| *n > 0)
            .max()
            .map(|n| n as u32);
        let entry = match out.iter_mut().find(|l| l.audit_arch == audit_arch) {
            Some(entry) => entry,
            None => {
                out.push(ArchLimit {
                    audit_arch,
                    max: None,
                    max_x32: None,
                });
                out.last_mut().expect("just pushed")
            }
        };
        match a {
            ScmpArch::X32 => entry.max_x32 = max.map(|n| n | X32_SYSCALL_BIT),
            _ => entry.max = max,
        }
    }
    out
}

/// The `AUDIT_ARCH_*` value the kernel reports for `a` (x32 reports x86-64's). Architectures
/// berth is not built for get no stub section: their calls go straight to the filter.
fn audit_arch(a: ScmpArch) -> Option<u32> {
    Some(match a {
        ScmpArch::X8664 | ScmpArch::X32 => AUDIT_ARCH_X86_64,
        ScmpArch::X86 => 0x4000_0003,
        ScmpArch::Aarch64 => 0xC000_00B7,
        ScmpArch::Arm => 0x4000_0028,
        ScmpArch::Native => return audit_arch(ScmpArch::native()),
        _ => return None,
    })
}

/// libseccomp writes the program to a descriptor; a memfd keeps it off the disk.
fn export(filter: &ScmpFilterContext) -> Result<Vec<SockFilter>, SeccompError> {
    let fd = rustix::fs::memfd_create("berth-seccomp", rustix::fs::MemfdFlags::CLOEXEC)
        .map_err(|e| init(&format!("error creating scratch memfd: {e}")))?;
    filter
        .export_bpf(&fd)
        .map_err(|e| lib("error exporting BPF", e))?;
    let mut file = std::fs::File::from(fd);
    let mut bytes = Vec::new();
    file.rewind()
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(|e| init(&format!("error reading exported BPF: {e}")))?;
    Program::from_exported(&bytes)
        .ok_or_else(|| init("parsing generated BPF filter: program halted mid-instruction"))
}

/// runc's `ConvertStringToAction` and `getAction`: plain `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE`
/// return `EPERM`; `errnoRet` is truncated to 16 bits as runc's `int16` conversion does.
fn action(name: &str, errno_ret: Option<u64>) -> Result<ScmpAction, SeccompError> {
    let code = |default: i32| errno_ret.map_or(default, |v| (v as u16) as i32);
    Ok(match name {
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => ScmpAction::KillThread,
        "SCMP_ACT_KILL_PROCESS" => ScmpAction::KillProcess,
        "SCMP_ACT_ERRNO" => ScmpAction::Errno(code(libc::EPERM)),
        "SCMP_ACT_TRAP" => ScmpAction::Trap,
        "SCMP_ACT_ALLOW" => ScmpAction::Allow,
        "SCMP_ACT_TRACE" => ScmpAction::Trace(code(libc::EPERM) as u16),
        "SCMP_ACT_LOG" => ScmpAction::Log,
        "SCMP_ACT_NOTIFY" => ScmpAction::Notify,
        other => {
            return Err(config(&format!(
                "string {other} is not a valid action for seccomp"
            )))
        }
    })
}

fn arch(name: &str) -> Result<ScmpArch, SeccompError> {
    name.parse::<ScmpArch>()
        .map_err(|_| config(&format!("string {name} is not a valid arch for seccomp")))
}

fn operator(arg: &Arg) -> Result<ScmpCompareOp, SeccompError> {
    Ok(match arg.op.as_str() {
        "SCMP_CMP_NE" => ScmpCompareOp::NotEqual,
        "SCMP_CMP_LT" => ScmpCompareOp::Less,
        "SCMP_CMP_LE" => ScmpCompareOp::LessOrEqual,
        "SCMP_CMP_EQ" => ScmpCompareOp::Equal,
        "SCMP_CMP_GE" => ScmpCompareOp::GreaterEqual,
        "SCMP_CMP_GT" => ScmpCompareOp::Greater,
        // libseccomp masks the argument with the first value and compares with the second.
        "SCMP_CMP_MASKED_EQ" => ScmpCompareOp::MaskedEqual(arg.value),
        other => {
            return Err(config(&format!(
                "string {other} is not a valid operator for seccomp"
            )))
        }
    })
}

fn config(message: &str) -> SeccompError {
    SeccompError::RuntimeConfig(message.to_string())
}

fn init(message: &str) -> SeccompError {
    SeccompError::RuntimeInit(message.to_string())
}

fn lib(what: &str, e: libseccomp::error::SeccompError) -> SeccompError {
    init(&format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::profile::decode;
    use crate::seccomp::resolve::{resolve, Host, NativeArch};

    fn default_program(caps: u64) -> Program {
        let host = Host {
            arch: NativeArch::build(),
            kernel: Some(crate::seccomp::profile::KernelVersion {
                kernel: 6,
                major: 1,
            }),
            caps,
        };
        let profile = decode(crate::seccomp::DEFAULT_PROFILE).unwrap();
        compile(&resolve(&profile, &host).unwrap().unwrap()).unwrap()
    }

    /// The stub in front of the default profile on x86-64: calls above `futex_waitv` (449, the
    /// highest the profile names that this libseccomp knows) get ENOSYS, as under dockerd.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_default_profile_starts_with_runcs_enosys_stub() {
        let p = default_program(crate::caps::docker_default_mask());
        let enosys = Some(super::super::program::SECCOMP_RET_ERRNO | libc::ENOSYS as u32);
        let run = |nr| super::super::program::run_stub(p.instructions(), AUDIT_ARCH_X86_64, nr);
        let last = ScmpSyscall::from_name("futex_waitv").map(|s| s.as_raw_syscall() as u32);
        let last = last.unwrap_or(448);
        // The stub lets it through (the interpreter then runs into libseccomp's program).
        assert_ne!(run(last), enosys);
        assert_eq!(run(last + 1), enosys);
        assert_eq!(run(1000), enosys);
    }

    #[test]
    fn runcs_texts_for_bad_names() {
        let bad = |doc: &str| {
            let host = Host {
                arch: NativeArch::build(),
                kernel: None,
                caps: 0,
            };
            let resolved = resolve(&decode(doc).unwrap(), &host).unwrap().unwrap();
            compile(&resolved).unwrap_err().to_string()
        };
        assert_eq!(
            bad(r#"{"defaultAction":"SCMP_ACT_BOGUS","syscalls":[]}"#),
            "failed to create shim task: OCI runtime create failed: runc create failed: string \
             SCMP_ACT_BOGUS is not a valid action for seccomp: unknown"
        );
        assert_eq!(
            bad(r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_FOO"]}"#),
            "failed to create shim task: OCI runtime create failed: runc create failed: string \
             SCMP_ARCH_FOO is not a valid arch for seccomp: unknown"
        );
        assert_eq!(
            bad(
                r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],
                "action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_BAD"}]}]}"#
            ),
            "failed to create shim task: OCI runtime create failed: runc create failed: string \
             SCMP_CMP_BAD is not a valid operator for seccomp: unknown"
        );
        assert_eq!(
            bad(
                r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],
                "action":"SCMP_ACT_ERRNO","args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#
            ),
            "failed to create shim task: OCI runtime create failed: runc create failed: unable \
             to start container process: error creating seccomp syscall condition for syscall \
             mkdir: syscalls only have up to 6 arguments (7 given): unknown"
        );
    }

    #[test]
    fn unknown_names_are_skipped_and_allow_gets_no_stub() {
        let host = Host {
            arch: NativeArch::build(),
            kernel: None,
            caps: 0,
        };
        let doc = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["nosuchcall",
            "mkdir"],"action":"SCMP_ACT_ERRNO"}]}"#;
        let p = compile(&resolve(&decode(doc).unwrap(), &host).unwrap().unwrap()).unwrap();
        let enosys = super::super::program::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
        assert!(!p
            .instructions()
            .iter()
            .any(|i| i.code == super::super::program::RET_K && i.k == enosys));
        assert!(p.instructions().len() > 4, "mkdir's rule is there");
    }
}
