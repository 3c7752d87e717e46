//! runc's `-ENOSYS` stub (runc 1.1.5, `libcontainer/seccomp/patchbpf`), which dockerd's
//! containers run in front of libseccomp's filter: a system call numbered above the highest
//! one the profile names, for its architecture, fails with `ENOSYS` instead of the default
//! action's `EPERM`. That is how a C library learns that a call is unknown and falls back to
//! an older one, as it would on an older kernel; `EPERM` would make it give up. Only when the
//! default action refuses (runc skips the stub for allow, log and trace).
//!
//! Layout (every jump forward, offsets resolved once the stub's length is known):
//!
//! ```text
//!         ld  arch
//!         jeq ARCH_1 -> S1          (one per architecture)
//!         ja  FILTER
//! S1:     ld  nr
//!         [x86-64 with x32: jset X32_BIT -> X]
//!         jgt MAX -> ENOSYS
//!         ja  FILTER
//! X:      jgt MAX_X32 -> ENOSYS
//!         ja  FILTER
//! ENOSYS: ret ERRNO(ENOSYS)
//! FILTER: (libseccomp's program)
//! ```

use super::program::{
    SockFilter, DATA_ARCH, DATA_NR, JMP_JA, JMP_JEQ_K, JMP_JGT_K, JMP_JSET_K, LD_W_ABS, RET_K,
    SECCOMP_RET_ERRNO,
};

/// The x32 ABI marks its system call numbers with this bit on x86-64.
pub(super) const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// `AUDIT_ARCH_X86_64`, which x32 processes report too.
pub(super) const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;

/// One `AUDIT_ARCH_*` value as the kernel reports it in `seccomp_data.arch`, and the highest
/// system call number of the profile for each ABI that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ArchLimit {
    pub audit_arch: u32,
    /// The highest number for the architecture's own ABI (without the x32 bit).
    pub max: Option<u32>,
    /// x86-64 only: the highest x32 number (with the x32 bit).
    pub max_x32: Option<u32>,
}

/// A jump target: an index into the stub, or the first instruction after it.
#[derive(Clone, Copy)]
enum To {
    At(usize),
    Filter,
    Enosys,
}

/// An instruction whose jump targets are not resolved yet.
struct Pending {
    code: u16,
    k: u32,
    jt: Option<To>,
    jf: Option<To>,
}

fn op(code: u16, k: u32, jt: Option<To>, jf: Option<To>) -> Pending {
    Pending { code, k, jt, jf }
}

/// The stub for `limits`, empty when there is nothing to check.
pub(super) fn stub(limits: &[ArchLimit]) -> Vec<SockFilter> {
    let limits: Vec<&ArchLimit> = limits
        .iter()
        .filter(|l| l.max.is_some() || l.max_x32.is_some())
        .collect();
    if limits.is_empty() {
        return Vec::new();
    }
    let mut p = vec![op(LD_W_ABS, DATA_ARCH, None, None)];
    // The arch dispatch: targets filled in once the sections are placed.
    let dispatch: Vec<usize> = limits
        .iter()
        .map(|l| {
            p.push(op(JMP_JEQ_K, l.audit_arch, None, None));
            p.len() - 1
        })
        .collect();
    p.push(op(JMP_JA, 0, Some(To::Filter), None));
    for (limit, at) in limits.iter().zip(dispatch) {
        p[at].jt = Some(To::At(p.len()));
        section(&mut p, limit);
    }
    let enosys = p.len();
    p.push(op(
        RET_K,
        SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        None,
        None,
    ));
    resolve(p, enosys)
}

/// One architecture's checks, appended to `p`. On x86-64 the x32 bit picks the ABI first,
/// so an x32 call is never compared with the native limit (nor the other way round); without
/// an x32 limit, x32 calls go to the filter, which answers its bad-architecture action.
fn section(p: &mut Vec<Pending>, limit: &ArchLimit) {
    p.push(op(LD_W_ABS, DATA_NR, None, None));
    let jset = (limit.audit_arch == AUDIT_ARCH_X86_64).then(|| {
        p.push(op(JMP_JSET_K, X32_SYSCALL_BIT, Some(To::Filter), None));
        p.len() - 1
    });
    if let Some(max) = limit.max {
        p.push(op(JMP_JGT_K, max, Some(To::Enosys), None));
    }
    p.push(op(JMP_JA, 0, Some(To::Filter), None));
    if let (Some(max), Some(jset)) = (limit.max_x32, jset) {
        p[jset].jt = Some(To::At(p.len()));
        p.push(op(JMP_JGT_K, max, Some(To::Enosys), None));
        p.push(op(JMP_JA, 0, Some(To::Filter), None));
    }
}

/// Turns targets into the relative offsets cBPF wants (from the next instruction). A missing
/// target falls through. The stub is a few dozen instructions, far from the 255 a conditional
/// jump can reach.
fn resolve(p: Vec<Pending>, enosys: usize) -> Vec<SockFilter> {
    let end = p.len();
    let offset = |from: usize, to: Option<To>| -> u32 {
        let target = match to {
            None => return 0,
            Some(To::At(i)) => i,
            Some(To::Filter) => end,
            Some(To::Enosys) => enosys,
        };
        (target - from - 1) as u32
    };
    p.iter()
        .enumerate()
        .map(|(i, ins)| match ins.code {
            JMP_JA => SockFilter {
                code: JMP_JA,
                jt: 0,
                jf: 0,
                k: offset(i, ins.jt),
            },
            code => SockFilter {
                code,
                jt: u8::try_from(offset(i, ins.jt)).expect("short stub"),
                jf: u8::try_from(offset(i, ins.jf)).expect("short stub"),
                k: ins.k,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::program::run_stub;
    use super::*;

    const X86_64: u32 = AUDIT_ARCH_X86_64;
    const I386: u32 = 0x4000_0003;
    const ENOSYS: Option<u32> = Some(SECCOMP_RET_ERRNO | libc::ENOSYS as u32);

    #[test]
    fn calls_above_the_profiles_highest_get_enosys_per_abi() {
        let stub = stub(&[
            ArchLimit {
                audit_arch: X86_64,
                max: Some(449),
                max_x32: Some(X32_SYSCALL_BIT | 547),
            },
            ArchLimit {
                audit_arch: I386,
                max: Some(450),
                max_x32: None,
            },
        ]);
        // `None`: on into libseccomp's filter.
        assert_eq!(run_stub(&stub, X86_64, 39), None);
        assert_eq!(run_stub(&stub, X86_64, 449), None);
        assert_eq!(run_stub(&stub, X86_64, 450), ENOSYS);
        assert_eq!(run_stub(&stub, X86_64, X32_SYSCALL_BIT | 547), None);
        assert_eq!(run_stub(&stub, X86_64, X32_SYSCALL_BIT | 548), ENOSYS);
        assert_eq!(run_stub(&stub, I386, 450), None);
        assert_eq!(run_stub(&stub, I386, 451), ENOSYS);
        assert_eq!(
            run_stub(&stub, 0xC000_00B7, 9999),
            None,
            "another architecture"
        );
    }

    #[test]
    fn x32_alone_leaves_native_calls_to_the_filter() {
        let stub = stub(&[ArchLimit {
            audit_arch: X86_64,
            max: None,
            max_x32: Some(X32_SYSCALL_BIT | 10),
        }]);
        assert_eq!(run_stub(&stub, X86_64, 9999), None);
        assert_eq!(run_stub(&stub, X86_64, X32_SYSCALL_BIT | 11), ENOSYS);
    }

    #[test]
    fn without_x32_rules_x32_calls_meet_the_filter() {
        let stub = stub(&[ArchLimit {
            audit_arch: X86_64,
            max: Some(10),
            max_x32: None,
        }]);
        assert_eq!(run_stub(&stub, X86_64, X32_SYSCALL_BIT | 1), None);
        assert_eq!(run_stub(&stub, X86_64, 11), ENOSYS);
    }

    #[test]
    fn nothing_to_check_is_no_stub() {
        assert!(stub(&[]).is_empty());
    }
}
