//! In the child: `no_new_privs` and the filter itself, each one system call on what the
//! parent prepared. No allocation, no libseccomp (which allocates): the program was exported
//! in the parent.

use rustix::io::Errno;

use super::program::SockFprog;

const SECCOMP_SET_MODE_FILTER: libc::c_ulong = 1;

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: `execve` can no longer grant privileges (setuid bits,
/// file capabilities), and a filter may be loaded without CAP_SYS_ADMIN.
pub(crate) fn set_no_new_privs() -> Result<(), Errno> {
    rustix::thread::set_no_new_privs(true)
}

/// Installs `prog` on the calling thread, with no flags (as runc does for Docker's profiles).
/// Without `no_new_privs` the caller must still hold CAP_SYS_ADMIN.
pub(crate) fn load(prog: &SockFprog) -> Result<(), Errno> {
    // SAFETY: `prog` points at a live `sock_fprog` whose `filter` array (owned by the plan's
    // Program, kept alive by the parent until we exec or exit) holds `len` instructions; the
    // kernel copies them and writes nothing back.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            0 as libc::c_ulong,
            prog as *const SockFprog,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let errno = std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL);
    Err(Errno::from_raw_os_error(errno))
}

/// A `sock_fprog` for a program the plan keeps alive: built in the parent so the child only
/// passes its address.
#[derive(Debug)]
pub(crate) struct SockFprogRef(SockFprog);

impl SockFprogRef {
    pub fn new(program: &super::Program) -> SockFprogRef {
        SockFprogRef(program.fprog())
    }

    pub fn get(&self) -> &SockFprog {
        &self.0
    }
}
