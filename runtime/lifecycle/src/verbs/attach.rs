//! `attach`: a client's view of a container's live I/O. An [`Attachment`] carries the output
//! (past log first with `logs`, then the live output of the current or next run with
//! `stream`) and, for a container created with `OpenStdin`, a [`ContainerStdin`] writer. The
//! delivery rules (bounded channels, slow clients dropped) are the hub's; this verb only wires
//! clients to it, and never starts a container or reads its output itself.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Weak};

use rustix::event::{poll, PollFd, PollFlags};

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::hub::{Hub, StdinPipe};
use crate::images::Images;
use crate::output::{AttachOptions, OutputReceiver};

/// A client attached to a container.
#[derive(Debug)]
pub struct Attachment {
    /// Whether the container has a TTY (the daemon then sends raw bytes, not multiplexed frames).
    pub tty: bool,
    /// With `logs`, the past log replayed first; with `stream`, then the live output of the
    /// current run, or, when the container is not running, of its next run (docker run attaches
    /// before start). Closed when that run has ended and all its output was delivered, or at once
    /// when there is nothing to stream. A client that falls [`OUTPUT_BACKLOG_BYTES`] bytes behind is
    /// dropped (the channel closes early) so that it cannot stall the container.
    ///
    /// [`OUTPUT_BACKLOG_BYTES`]: crate::hub::OUTPUT_BACKLOG_BYTES
    pub output: OutputReceiver,
    /// With `stdin` and a container created with open_stdin: writes go to the container's stdin.
    pub stdin: Option<ContainerStdin>,
}

/// The container's stdin, for one attached client. `Write` blocks while the pipe is full
/// (the container is not reading): call it from a blocking thread; async callers use
/// [`ContainerStdin::try_write`] and wait on [`ContainerStdin::writable_fd`]. Dropping it
/// detaches; if the
/// container has stdin_once, the container's stdin is closed when the first attached stdin
/// detaches (Docker's StdinOnce). Writes after the run ended, or after stdin was closed, fail
/// with `BrokenPipe`.
#[derive(Debug)]
pub struct ContainerStdin {
    hub: Arc<Hub>,
    pipe: Weak<StdinPipe>,
    stdin_once: bool,
}

impl ContainerStdin {
    /// Writes what the pipe takes now: `WouldBlock` when it is full. After the run ended or
    /// stdin was closed, `BrokenPipe`.
    pub fn try_write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let pipe = self.pipe()?;
        loop {
            match rustix::io::write(&pipe.write, buf) {
                Err(rustix::io::Errno::INTR) => continue,
                done => return done.map_err(io::Error::from),
            }
        }
    }

    /// A duplicate of the pipe's write end, to wait until it is writable with the caller's
    /// own reactor after `try_write` answered `WouldBlock`. It keeps the pipe open (as a
    /// blocked `write` does), so drop it as soon as it reported room.
    pub fn writable_fd(&self) -> io::Result<OwnedFd> {
        let pipe = self.pipe()?;
        rustix::io::fcntl_dupfd_cloexec(&pipe.write, 0).map_err(io::Error::from)
    }

    fn pipe(&self) -> io::Result<Arc<StdinPipe>> {
        self.pipe
            .upgrade()
            .ok_or_else(|| io::ErrorKind::BrokenPipe.into())
    }
}

impl io::Write for ContainerStdin {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // The write end is non-blocking: sleep until the pipe has room.
                    let fd = self.writable_fd()?;
                    let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
                    match poll(&mut fds, None) {
                        Ok(_) | Err(rustix::io::Errno::INTR) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                done => return done,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for ContainerStdin {
    fn drop(&mut self) {
        if self.stdin_once {
            self.hub.close_stdin(&self.pipe);
        }
    }
}

impl<I: Images> Containers<I> {
    /// Attaches a client to the container's output and, if asked and allowed, its stdin.
    pub fn attach(
        &self,
        reference: &str,
        options: AttachOptions,
    ) -> Result<Attachment, LifecycleError> {
        let (hub, log_path, process) = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let entry = &reg.entries[&id];
            (
                entry.hub.clone(),
                entry.dir.log(&id),
                entry.config.config.clone(),
            )
        };
        // Stdin first: a client's writes must have a pipe before the run it attached for
        // starts and takes the pipe's read end.
        let stdin = match options.stdin && process.open_stdin {
            true => Some(ContainerStdin {
                hub: hub.clone(),
                pipe: hub
                    .stdin_pipe()?
                    .as_ref()
                    .map_or_else(Weak::new, Arc::downgrade),
                stdin_once: process.stdin_once,
            }),
            false => None,
        };
        let output = hub.attach_output(&options, &log_path)?;
        Ok(Attachment {
            tty: process.tty,
            output,
            stdin,
        })
    }
}
