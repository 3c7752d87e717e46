//! Docker's device rules as a cgroup v2 device program (`BPF_PROG_TYPE_CGROUP_DEVICE`), the
//! way runc enforces them on v2 hosts. A container born straight into its v2 directory
//! (`CLONE_INTO_CGROUP`) never joins a v1 devices cgroup, since that join is a slow
//! `cgroup.procs` write; the kernel runs this program on every device open and `mknod` of a
//! task in the directory (before the v1 check, on hybrid hosts too). The program is built
//! from the same [`DEVICE_ALLOW`] list the v1 path writes.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

use super::v1::DEVICE_ALLOW;

/// One eBPF instruction (`struct bpf_insn`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Insn {
    code: u8,
    regs: u8,
    off: i16,
    imm: i32,
}

const LDX_MEM_W: u8 = 0x61;
const MOV64_X: u8 = 0xbf;
const MOV64_K: u8 = 0xb7;
const AND64_K: u8 = 0x57;
const RSH64_K: u8 = 0x77;
const JNE_K: u8 = 0x55;
const JA: u8 = 0x05;
const EXIT: u8 = 0x95;

/// `bpf_cgroup_dev_ctx.access_type`: device type in the low 16 bits, access in the high ones.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;
const ACC_MKNOD: i32 = 1;
const ACC_READ: i32 = 2;
const ACC_WRITE: i32 = 4;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: dst | (src << 4),
        off,
        imm,
    }
}

/// A parsed v1 rule such as `c 1:3 rwm` (`None` is `*`).
struct Rule {
    kind: i32,
    major: Option<i32>,
    minor: Option<i32>,
    access: i32,
}

fn parse(rule: &str) -> Rule {
    let mut parts = rule.split_whitespace();
    let kind = match parts.next() {
        Some("b") => DEV_BLOCK,
        _ => DEV_CHAR,
    };
    let (major, minor) = parts
        .next()
        .and_then(|n| n.split_once(':'))
        .unwrap_or(("*", "*"));
    let number = |s: &str| s.parse().ok();
    let access = parts.next().unwrap_or("").chars().fold(0, |acc, c| {
        acc | match c {
            'm' => ACC_MKNOD,
            'r' => ACC_READ,
            'w' => ACC_WRITE,
            _ => 0,
        }
    });
    Rule {
        kind,
        major: number(major),
        minor: number(minor),
        access,
    }
}

/// The program: r2 = access, r3 = type, r4 = major, r5 = minor; each rule is a block that
/// jumps to the next rule on the first mismatch and returns 1 (allow) when all match; after
/// the last rule, 0 (deny).
pub(super) fn program() -> Vec<Insn> {
    let mut p = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),
        insn(MOV64_X, 3, 2, 0, 0),
        insn(AND64_K, 3, 0, 0, 0xffff),
        insn(RSH64_K, 2, 0, 0, 16),
        insn(LDX_MEM_W, 4, 1, 4, 0),
        insn(LDX_MEM_W, 5, 1, 8, 0),
    ];
    let mut to_allow = Vec::new();
    for rule in DEVICE_ALLOW.iter().map(|r| parse(r)) {
        let mut block = vec![insn(JNE_K, 3, 0, 0, rule.kind)];
        if let Some(major) = rule.major {
            block.push(insn(JNE_K, 4, 0, 0, major));
        }
        if let Some(minor) = rule.minor {
            block.push(insn(JNE_K, 5, 0, 0, minor));
        }
        // Allowed when the requested access has no bit outside the rule's.
        block.push(insn(MOV64_X, 6, 2, 0, 0));
        block.push(insn(AND64_K, 6, 0, 0, !rule.access & 7));
        block.push(insn(JNE_K, 6, 0, 0, 0));
        block.push(insn(JA, 0, 0, 0, 0));
        // Every conditional jump of the block skips to the next rule, just past its `ja`.
        let len = block.len();
        for (i, ins) in block.iter_mut().enumerate() {
            if ins.code == JNE_K {
                ins.off = (len - 1 - i) as i16;
            }
        }
        to_allow.push(p.len() + len - 1);
        p.extend(block);
    }
    p.push(insn(MOV64_K, 0, 0, 0, 0));
    p.push(insn(EXIT, 0, 0, 0, 0));
    let allow = p.len();
    for at in to_allow {
        p[at].off = (allow - at - 1) as i16;
    }
    p.push(insn(MOV64_K, 0, 0, 0, 1));
    p.push(insn(EXIT, 0, 0, 0, 0));
    p
}

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;

/// The `BPF_PROG_LOAD` part of `union bpf_attr` up to `expected_attach_type`.
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

/// The `BPF_PROG_ATTACH` part of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct ProgAttachAttr {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
}

/// The program, loaded once per process: loading (the kernel's verifier) measured about
/// 0.3 ms, attaching a loaded program a few microseconds. The program is immutable and the
/// same for every container, so one descriptor serves them all.
pub(super) fn loaded() -> std::io::Result<BorrowedFd<'static>> {
    static PROGRAM: OnceLock<Result<OwnedFd, i32>> = OnceLock::new();
    match PROGRAM.get_or_init(|| load().map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))) {
        Ok(fd) => Ok(fd.as_fd()),
        Err(errno) => Err(std::io::Error::from_raw_os_error(*errno)),
    }
}

/// Loads the program; the descriptor can be attached to any number of directories.
pub(super) fn load() -> std::io::Result<OwnedFd> {
    let insns = program();
    let license = c"GPL";
    let mut attr = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        expected_attach_type: BPF_CGROUP_DEVICE,
        ..ProgLoadAttr::default()
    };
    attr.prog_name[..12].copy_from_slice(b"berth_device");

    // SAFETY: `attr` is a fully initialised prefix of `union bpf_attr` and its size is passed;
    // the instruction array and the license string it points to outlive the call; the kernel
    // copies them and writes nothing into our memory (no log buffer is given).
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_LOAD,
            &attr as *const ProgLoadAttr,
            std::mem::size_of::<ProgLoadAttr>(),
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a successful BPF_PROG_LOAD returns a fresh descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Attaches `prog` to the v2 directory `dir` (exclusive mode: it replaces a program attached
/// there before). The directory keeps the program after `prog` is closed.
pub(super) fn attach(prog: BorrowedFd<'_>, dir: BorrowedFd<'_>) -> std::io::Result<()> {
    let attr = ProgAttachAttr {
        target_fd: dir.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        ..ProgAttachAttr::default()
    };
    // SAFETY: `attr` is a fully initialised prefix of `union bpf_attr` and its size is passed;
    // both descriptors are open for the duration of the call; nothing is written back.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_ATTACH,
            &attr as *const ProgAttachAttr,
            std::mem::size_of::<ProgAttachAttr>(),
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_like_v1_lines() {
        let r = parse("c 136:* rwm");
        assert_eq!(
            (r.kind, r.major, r.minor, r.access),
            (DEV_CHAR, Some(136), None, 7)
        );
        let r = parse("b *:* m");
        assert_eq!(
            (r.kind, r.major, r.minor, r.access),
            (DEV_BLOCK, None, None, 1)
        );
    }

    /// Runs the program the way the kernel would, for the few opcodes it uses.
    fn run(p: &[Insn], kind: i32, access: i32, major: i32, minor: i32) -> i64 {
        let mut r = [0i64; 11];
        let ctx = [((access << 16) | kind) as i64, major as i64, minor as i64];
        let mut pc = 0usize;
        loop {
            let i = p[pc];
            let (dst, src) = ((i.regs & 0xf) as usize, (i.regs >> 4) as usize);
            pc += 1;
            match i.code {
                LDX_MEM_W => r[dst] = ctx[i.off as usize / 4],
                MOV64_X => r[dst] = r[src],
                MOV64_K => r[dst] = i.imm as i64,
                AND64_K => r[dst] &= i.imm as i64,
                RSH64_K => r[dst] >>= i.imm,
                JNE_K if r[dst] != i.imm as i64 => pc = (pc as i64 + i.off as i64) as usize,
                JNE_K => {}
                JA => pc = (pc as i64 + i.off as i64) as usize,
                EXIT => return r[0],
                other => panic!("unexpected opcode {other:#x}"),
            }
        }
    }

    /// The kernel's verifier accepts the program and a v2 directory takes it. Needs root and
    /// a unified hierarchy at `/sys/fs/cgroup/unified` or `/sys/fs/cgroup`.
    #[test]
    fn the_kernel_takes_the_program() {
        if !berth_testkit::root_or_skip("the_kernel_takes_the_program") {
            return;
        }
        let base = std::path::Path::new("/sys/fs/cgroup");
        let v2 = if base.join("cgroup.controllers").exists() {
            base.to_path_buf()
        } else {
            base.join("unified")
        };
        let dir = v2.join(format!("berth-bpf-test-{}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        // Remove the directory before any assertion, so a failure leaves nothing behind.
        let result = super::super::open_dir(&dir)
            .map_err(|e| e.to_string())
            .and_then(|fd| {
                let prog = load().map_err(|e| format!("BPF_PROG_LOAD: {e}"))?;
                attach(prog.as_fd(), fd.as_fd()).map_err(|e| format!("BPF_PROG_ATTACH: {e}"))
            });
        std::fs::remove_dir(&dir).unwrap();
        result.unwrap();
    }

    /// Regression: offsets on non-jump instructions made the verifier refuse the program
    /// ("BPF_MOV uses reserved fields").
    #[test]
    fn only_jumps_carry_offsets() {
        for i in program() {
            if !matches!(i.code, JNE_K | JA | LDX_MEM_W) {
                assert_eq!(i.off, 0, "{i:?}");
            }
        }
    }

    #[test]
    fn the_program_allows_exactly_dockers_devices() {
        let p = program();
        let rw = ACC_READ | ACC_WRITE;
        assert_eq!(run(&p, DEV_CHAR, rw, 1, 3), 1, "/dev/null");
        assert_eq!(run(&p, DEV_CHAR, rw, 136, 4), 1, "a pty");
        assert_eq!(run(&p, DEV_CHAR, rw, 10, 200), 1, "tun");
        assert_eq!(run(&p, DEV_CHAR, ACC_READ, 1, 1), 0, "/dev/mem");
        assert_eq!(run(&p, DEV_BLOCK, ACC_READ, 8, 0), 0, "a disk");
        assert_eq!(run(&p, DEV_BLOCK, ACC_MKNOD, 8, 0), 1, "mknod anything");
        assert_eq!(run(&p, DEV_CHAR, ACC_MKNOD | ACC_READ, 1, 1), 0);
        assert_eq!(run(&p, DEV_CHAR, rw, 10, 201), 0);
    }
}
