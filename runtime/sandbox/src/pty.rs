//! `docker run -t`: a pseudo-terminal made inside the container's own devpts instance, as runc
//! does with its console socket, so the container sees `/dev/pts/0` and the daemon holds the
//! master. The child opens the pair, sends the master over a unix socket (SCM_RIGHTS) and makes
//! the slave its controlling terminal and its stdio. The child part does not allocate.

use std::io::IoSliceMut;
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use rustix::pty::OpenptFlags;
use rustix::termios::Winsize;

use crate::error::SandboxError;

/// In the child, after `/dev/pts` is mounted and before the uid changes.
pub(crate) fn open_in_container(
    rows: u16,
    cols: u16,
    sock: BorrowedFd<'_>,
    uid: u32,
) -> Result<(), Errno> {
    let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
    let master = rustix::pty::openpt(flags)?;
    rustix::pty::unlockpt(&master)?;
    let slave = rustix::pty::ioctl_tiocgptpeer(&master, OpenptFlags::RDWR | OpenptFlags::NOCTTY)?;
    rustix::termios::tcsetwinsize(
        &slave,
        Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )?;
    send_fd(sock, &master)?;
    drop(master);
    // The terminal belongs to the user who will run in it, as with runc.
    if uid != 0 {
        rustix::fs::fchown(&slave, Some(rustix::process::Uid::from_raw(uid)), None)?;
    }
    rustix::process::setsid()?;
    rustix::process::ioctl_tiocsctty(&slave)?;
    rustix::stdio::dup2_stdin(&slave)?;
    rustix::stdio::dup2_stdout(&slave)?;
    rustix::stdio::dup2_stderr(&slave)
}

fn send_fd(sock: BorrowedFd<'_>, fd: &OwnedFd) -> Result<(), Errno> {
    use std::os::fd::AsFd;
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [fd.as_fd()];
    control.push(SendAncillaryMessage::ScmRights(&fds));
    let payload = [std::io::IoSlice::new(b"m")];
    rustix::net::sendmsg(sock, &payload, &mut control, SendFlags::empty()).map(|_| ())
}

/// In the parent, after the child exec'd: the master the child sent.
pub(crate) fn receive_master(sock: BorrowedFd<'_>) -> Result<OwnedFd, SandboxError> {
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut byte)];
    rustix::net::recvmsg(sock, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC)
        .map_err(|e| SandboxError::sys("receive pty master", e))?;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = message {
            if let Some(fd) = fds.next() {
                return Ok(fd);
            }
        }
    }
    Err(SandboxError::sys(
        "receive pty master",
        std::io::Error::other("no descriptor received"),
    ))
}
