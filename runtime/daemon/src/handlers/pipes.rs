//! Process pipes and pty masters driven from async code, so that a client's attach or exec
//! streams hold no thread however long they last: a descriptor the daemon alone owns (an
//! exec's pipes or pty master) is made non-blocking and handed to tokio's reactor; a
//! container's stdin, which the lifecycle shares between attached clients, is written with
//! its non-blocking `try_write` and waited on through a short-lived duplicate. Also the copy
//! of a hijacked client's bytes into such a stdin.

use std::io;
use std::os::fd::OwnedFd;

use berth_runtime::engine::ContainerStdin;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;

/// A process's output (pipe or pty master) as an async reader. It reads 0 at end of file; a
/// pty master whose process is gone fails with EIO, which also ends it.
pub fn reader(fd: impl Into<OwnedFd>) -> io::Result<pipe::Receiver> {
    let fd = fd.into();
    rustix::io::ioctl_fionbio(&fd, true)?;
    // Unchecked because a pty master is not a FIFO; the reactor works the same for both.
    pipe::Receiver::from_owned_fd_unchecked(fd)
}

/// A process's input (pipe or pty master) as an async writer.
pub fn writer(fd: impl Into<OwnedFd>) -> io::Result<pipe::Sender> {
    let fd = fd.into();
    rustix::io::ioctl_fionbio(&fd, true)?;
    pipe::Sender::from_owned_fd_unchecked(fd)
}

/// Where a hijacked client's bytes go.
#[derive(Debug)]
pub enum Stdin {
    /// A container's stdin, shared with other attached clients.
    Container(ContainerStdin),
    /// An exec's stdin pipe or pty master.
    Exec(pipe::Sender),
}

impl Stdin {
    async fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        let stdin = match self {
            Stdin::Exec(pipe) => return pipe.write_all(data).await,
            Stdin::Container(stdin) => stdin,
        };
        while !data.is_empty() {
            match stdin.try_write(data) {
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Wait for room on a duplicate, dropped once there is some: holding it
                    // longer would keep the container's stdin open.
                    let room = pipe::Sender::from_owned_fd_unchecked(stdin.writable_fd()?)?;
                    room.writable().await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Client bytes to a process's stdin until the client closes its side or the process stops
/// taking them. Dropping `stdin` at the end detaches it: a container's closes with StdinOnce
/// (a run that has not started yet still reads what was written, as with `echo x | docker run
/// -i`), an exec's pipe closes and the process reads EOF.
pub async fn copy_stdin<R: AsyncRead + Unpin>(mut reader: R, mut stdin: Stdin) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stdin.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    drop(stdin);
}
