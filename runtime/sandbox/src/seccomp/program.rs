//! A compiled seccomp filter: classic BPF instructions (`struct sock_filter`) as the kernel
//! takes them, owned by the parent and only read by the child. Also the few opcodes the
//! ENOSYS stub uses, and (for tests) an interpreter of exactly those.

/// `struct sock_filter`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// `struct sock_fprog`: what `seccomp(SECCOMP_SET_MODE_FILTER)` reads.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct SockFprog {
    pub len: u16,
    pub filter: *const SockFilter,
}

pub(super) const LD_W_ABS: u16 = 0x20;
pub(super) const JMP_JA: u16 = 0x05;
pub(super) const JMP_JEQ_K: u16 = 0x15;
pub(super) const JMP_JGT_K: u16 = 0x25;
pub(super) const JMP_JSET_K: u16 = 0x45;
pub(super) const RET_K: u16 = 0x06;

/// `offsetof(struct seccomp_data, nr)` and `arch`.
pub(super) const DATA_NR: u32 = 0;
pub(super) const DATA_ARCH: u32 = 4;

pub(super) const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;

/// The instructions of one filter, ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    insns: Vec<SockFilter>,
}

impl Program {
    pub(super) fn new(insns: Vec<SockFilter>) -> Program {
        Program { insns }
    }

    pub fn instructions(&self) -> &[SockFilter] {
        &self.insns
    }

    /// The kernel's view of the program; valid while `self` lives.
    pub(crate) fn fprog(&self) -> SockFprog {
        SockFprog {
            // The kernel refuses more than BPF_MAXINSNS (4096); compile checks the length.
            len: self.insns.len() as u16,
            filter: self.insns.as_ptr(),
        }
    }

    /// Reads what `seccomp_export_bpf` wrote: instructions in host byte order.
    pub(super) fn from_exported(bytes: &[u8]) -> Option<Vec<SockFilter>> {
        if !bytes.len().is_multiple_of(8) {
            return None;
        }
        let insns = bytes
            .chunks_exact(8)
            .map(|c| SockFilter {
                code: u16::from_ne_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect();
        Some(insns)
    }
}

/// Runs `insns` on a system call the way the kernel would, for the opcodes above; an opcode
/// outside them ends the run with `None` (that is where libseccomp's own program starts).
#[cfg(test)]
pub(super) fn run_stub(insns: &[SockFilter], arch: u32, nr: u32) -> Option<u32> {
    let mut acc = 0u32;
    let mut pc = 0usize;
    while let Some(i) = insns.get(pc) {
        pc += 1;
        let jump = |taken: bool| if taken { i.jt } else { i.jf } as usize;
        match i.code {
            LD_W_ABS => acc = if i.k == DATA_ARCH { arch } else { nr },
            JMP_JA => pc += i.k as usize,
            JMP_JEQ_K => pc += jump(acc == i.k),
            JMP_JGT_K => pc += jump(acc > i.k),
            JMP_JSET_K => pc += jump(acc & i.k != 0),
            RET_K => return Some(i.k),
            _ => return None,
        }
        if pc >= insns.len() {
            return None;
        }
    }
    None
}
