//! Starting the child: `clone(CLONE_VM | CLONE_VFORK | namespaces)` on a stack of its own.
//!
//! Why this shape. The daemon is a multi-threaded tokio process, so a plain `fork` would copy
//! its page tables (cost grows with the daemon's memory) and leave a child in which another
//! thread may have held the allocator's lock. With `CLONE_VM` the child shares the parent's
//! memory instead of copying it (no page-table copy: the start path does not slow down as the
//! daemon grows), and with `CLONE_VFORK` the calling thread sleeps until the child calls
//! `execve` or exits, so the plan the child reads cannot change or be freed under it. This is
//! how glibc's `posix_spawn` works. The price is discipline in the child: it must not allocate,
//! unwind or touch locks; it only reads the parent-built plan and makes system calls (rustix
//! calls return errno values directly, so not even `errno` is shared).
//!
//! `CLONE_NEWPID` in the same call makes the child PID 1 of its namespace with no extra fork,
//! and `CLONE_PIDFD` returns a pidfd for race-free signalling and async waiting.
//!
//! When the container has a cgroup v2 directory, the child is started with `clone3` and
//! `CLONE_INTO_CGROUP` instead: it is born in that directory. Writing a PID into any
//! `cgroup.procs` takes the kernel's global threadgroup rwsem for writing, which after a quiet
//! spell waits for an RCU grace period (about 10 ms, measured with strace on this host); being
//! born into the cgroup only takes it for reading. glibc has no public `clone3` wrapper, and a
//! child on a new stack cannot return through a Rust frame, so the call is a few lines of
//! assembly, as in glibc's own `clone3.S`.

use std::ffi::{c_int, c_void};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::error::SandboxError;

/// The child's stack: 256 KiB below a guard page. The setup code is shallow and the stack is
/// discarded by `execve`.
pub(crate) struct ChildStack {
    base: *mut c_void,
    len: usize,
}

const STACK_LEN: usize = 256 * 1024;
const GUARD_LEN: usize = 4096;

impl ChildStack {
    pub fn new() -> Result<ChildStack, SandboxError> {
        let len = STACK_LEN + GUARD_LEN;
        // SAFETY: an anonymous private mapping with no address hint has no preconditions; the
        // result is checked before use.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(SandboxError::sys(
                "mmap child stack",
                std::io::Error::last_os_error(),
            ));
        }
        let stack = ChildStack { base, len };
        // SAFETY: the first page lies inside the mapping made just above, which nothing else
        // references yet; making it inaccessible turns a stack overflow into a fault.
        if unsafe { libc::mprotect(base, GUARD_LEN, libc::PROT_NONE) } != 0 {
            return Err(SandboxError::sys(
                "mprotect guard page",
                std::io::Error::last_os_error(),
            ));
        }
        Ok(stack)
    }

    fn top(&self) -> *mut c_void {
        // The stack grows down from the end of the mapping; the end is 16-byte aligned since
        // the mapping is page aligned and page sized.
        self.base.wrapping_byte_add(self.len)
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are exactly the mapping made in `new`; the child that ran on it
        // has exec'd or exited (CLONE_VFORK returned), so nothing uses it any more.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// Runs `entry(arg)` in a new process created with `flags` (which must include `CLONE_VM`,
/// `CLONE_VFORK` and `CLONE_PIDFD`) and returns once it has called `execve` or exited.
///
/// # Safety
///
/// `entry` must be safe to run on a foreign stack in a process that shares this address space:
/// no allocation, no unwinding, no locks; and `arg` must stay valid until this returns.
pub(crate) unsafe fn clone_vfork(
    flags: c_int,
    entry: extern "C" fn(*mut c_void) -> c_int,
    arg: *mut c_void,
    stack: &ChildStack,
) -> Result<(i32, OwnedFd), SandboxError> {
    let mut pidfd: c_int = -1;
    let blocked = block_all_signals();
    // SAFETY: the stack is a live mapping owned by the caller for the whole call; the caller
    // guarantees `entry`/`arg` are fit to run in the child; CLONE_PIDFD makes the kernel store
    // the pidfd through the `parent_tid` argument, a live `c_int` here.
    let pid = unsafe { libc::clone(entry, stack.top(), flags, arg, &mut pidfd as *mut c_int) };
    let err = std::io::Error::last_os_error();
    restore_signals(&blocked);
    if pid < 0 {
        return Err(SandboxError::sys("clone", err));
    }
    // SAFETY: with CLONE_PIDFD a successful clone stored a fresh descriptor that nothing else
    // owns.
    Ok((pid, unsafe { OwnedFd::from_raw_fd(pidfd) }))
}

/// `struct clone_args` up to `cgroup` (CLONE_ARGS_SIZE_VER2, kernel 5.7).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Like [`clone_vfork`], but the child is born in the cgroup v2 directory `cgroup` (an open
/// directory descriptor) with `clone3(CLONE_INTO_CGROUP)`. `flags` are `clone` flags; their
/// low byte (the exit signal) goes to its own field, as `clone3` wants.
///
/// # Safety
///
/// As for [`clone_vfork`].
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn clone3_vfork_into(
    flags: c_int,
    cgroup: BorrowedFd<'_>,
    entry: extern "C" fn(*mut c_void) -> c_int,
    arg: *mut c_void,
    stack: &ChildStack,
) -> Result<(i32, OwnedFd), SandboxError> {
    let mut pidfd: c_int = -1;
    let args = CloneArgs {
        flags: (flags as u32 as u64 & !0xff) | CLONE_INTO_CGROUP,
        pidfd: &mut pidfd as *mut c_int as u64,
        exit_signal: (flags & 0xff) as u64,
        stack: stack.base as u64,
        stack_size: stack.len as u64,
        cgroup: cgroup.as_raw_fd() as u64,
        ..CloneArgs::default()
    };
    let blocked = block_all_signals();
    let ret: i64;
    // SAFETY: `args` and `pidfd` live on this frame for the whole call. The kernel starts the
    // child with rax = 0 and rsp at the top of `stack` (a live mapping the caller keeps until we
    // return; CLONE_VFORK keeps us here until the child execs or exits), 16-byte aligned, so
    // the `call` gives `entry` a correctly aligned frame. The child never comes back to Rust
    // code of this frame: it calls `entry(arg)` (r12/r13 survive the syscall) and exits with
    // its result; the caller guarantees `entry`/`arg` are fit to run there. In the parent only
    // rax (the result), rcx and r11 (clobbered by `syscall`) change.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r13",
            "call r12",
            "mov edi, eax",
            "mov eax, {exit}",
            "syscall",
            "ud2",
            "2:",
            exit = const libc::SYS_exit,
            inlateout("rax") libc::SYS_clone3 => ret,
            in("rdi") &args as *const CloneArgs,
            in("rsi") std::mem::size_of::<CloneArgs>(),
            in("r12") entry,
            in("r13") arg,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    restore_signals(&blocked);
    if ret < 0 {
        return Err(SandboxError::sys(
            "clone3",
            std::io::Error::from_raw_os_error(-ret as i32),
        ));
    }
    // SAFETY: with CLONE_PIDFD a successful clone3 stored a fresh descriptor that nothing else
    // owns.
    Ok((ret as i32, unsafe { OwnedFd::from_raw_fd(pidfd) }))
}

/// Blocks every signal on this thread and returns the previous mask. The child starts with
/// this mask, so none of the parent's handlers (Rust code of the daemon) can run in the child
/// before it resets them to their defaults.
fn block_all_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; all-zero is valid storage for sigfillset/pthread_sigmask
    // to write into.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers refer to live, writable sigset_t values on this stack frame.
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    old
}

fn restore_signals(old: &libc::sigset_t) {
    // SAFETY: `old` is the mask returned by pthread_sigmask in block_all_signals.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut()) };
}

/// In the child: every signal back to its default action, then (just before `execve`) an
/// empty mask; the command must not inherit the daemon's handlers, ignored signals (Rust
/// ignores SIGPIPE) or blocked set.
pub(crate) fn reset_signal_dispositions() {
    for sig in 1..libc::SIGRTMAX() {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: a zeroed sigaction with SIG_DFL (0) as handler is a valid argument; the old
        // action is not requested. Signals the C library reserves answer EINVAL, ignored.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

pub(crate) fn unblock_all_signals() {
    // SAFETY: an empty, initialised sigset_t is a valid mask to install.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
    }
}

/// In the child: closes every descriptor from 3 up except `keep` (ascending), a few
/// `close_range` calls. Close-on-exec alone would let the child hold the daemon's files (a
/// client's socket, a store's lock) for the milliseconds of its setup; closing them at once
/// means the container never holds anything the plan did not give it. Kernels without
/// `close_range` (< 5.11) fall back to [`cloexec_from_3`].
pub(crate) fn close_all_but(keep: &[std::os::fd::RawFd]) {
    for (first, last) in gaps_from_3(keep) {
        // SAFETY: close_range closes descriptors in this process's own table (the child's
        // copy: clone was not given CLONE_FILES); the plan's descriptors lie outside every
        // range closed, and no memory is touched.
        unsafe { libc::syscall(libc::SYS_close_range, first, last, 0u32) };
    }
}

/// The inclusive ranges of descriptor numbers from 3 up that are not in `keep` (ascending).
/// An iterator, so the child can walk it without allocating.
fn gaps_from_3(keep: &[std::os::fd::RawFd]) -> impl Iterator<Item = (u32, u32)> + '_ {
    let kept = keep.iter().filter_map(|&fd| u32::try_from(fd).ok());
    let mut first = 3u32;
    kept.map(Some).chain([None]).filter_map(move |fd| match fd {
        Some(fd) => {
            let gap = (fd > first).then(|| (first, fd - 1));
            // A RawFd is an i32, so this cannot overflow.
            first = first.max(fd + 1);
            gap
        }
        None => Some((first, u32::MAX)),
    })
}

/// In the child: marks every descriptor from 3 up close-on-exec in one call, so nothing the
/// daemon had open leaks into the container. Kernels without `close_range` (< 5.11) keep
/// relying on the daemon opening everything with `O_CLOEXEC`, as Rust's std does.
pub(crate) fn cloexec_from_3() {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags on descriptors; it closes
    // nothing and touches no memory.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
}

/// In the child: opens `path` (close-on-exec) and puts the new descriptor at `target`'s number,
/// replacing what the child inherited there. The child's descriptor table is its own copy, so
/// the parent's descriptor is untouched.
pub(crate) fn reopen_onto(
    path: &std::ffi::CStr,
    flags: rustix::fs::OFlags,
    target: std::os::fd::BorrowedFd<'_>,
) -> Result<(), rustix::io::Errno> {
    let fresh = rustix::fs::openat(
        rustix::fs::CWD,
        path,
        flags | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    move_onto(fresh, target)
}

/// In the child: `dup3(fd, target, O_CLOEXEC)`, then closes `fd`.
pub(crate) fn move_onto(
    fd: OwnedFd,
    target: std::os::fd::BorrowedFd<'_>,
) -> Result<(), rustix::io::Errno> {
    // SAFETY: both descriptors are open for the duration of the call (`fd` is owned here,
    // `target` is borrowed from the plan); dup3 atomically replaces `target`'s slot in this
    // process's own descriptor table and touches no memory.
    let rc = unsafe { libc::dup3(fd.as_raw_fd(), target.as_raw_fd(), libc::O_CLOEXEC) };
    if rc < 0 {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return Err(rustix::io::Errno::from_raw_os_error(errno));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::gaps_from_3;

    #[test]
    fn the_gaps_around_kept_descriptors_cover_everything_else_from_3() {
        let gaps = |keep: &[i32]| gaps_from_3(keep).collect::<Vec<_>>();
        assert_eq!(gaps(&[]), [(3, u32::MAX)]);
        assert_eq!(gaps(&[3, 4, 9]), [(5, 8), (10, u32::MAX)]);
        assert_eq!(gaps(&[5, 5, 6]), [(3, 4), (7, u32::MAX)]);
        // Standard streams and negative numbers are never in a range, kept or not.
        assert_eq!(gaps(&[-1, 0, 2, 7]), [(3, 6), (8, u32::MAX)]);
    }
}
