//! A run's streams, as the start step sets them up: pipes for stdout and stderr (stdin from
//! the hub's pipe with `OpenStdin`, else `/dev/null`), or a pty whose master the sandbox hands
//! back; then the reader threads that copy the output into the container's I/O hub, and for a
//! terminal with `OpenStdin` the relay from the stdin pipe to the master. This module owns the
//! parent's ends of those streams until the hub has them; it never decides when a container
//! starts, and never writes a log line itself (the hub does, under its lock).

use std::fs::File;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::thread::JoinHandle;

use berth_sandbox::{Running, Stdio};

use crate::error::LifecycleError;
use crate::hub::Hub;
use crate::json_log::{self, LogFile, Stream};

/// The parent's ends of the output pipes, read once the process runs.
pub(crate) enum OutputPipes {
    Fds { stdout: OwnedFd, stderr: OwnedFd },
    Pty,
}

/// The container's streams: a pty (its master comes back from the sandbox), or pipes for
/// stdout and stderr with stdin from the hub's pipe (`OpenStdin`) or `/dev/null`.
pub(crate) fn stdio(
    hub: &Hub,
    tty: bool,
    open_stdin: bool,
) -> Result<(Stdio, OutputPipes), LifecycleError> {
    if tty {
        // dockerd's console starts at 0x0 until a client resizes it.
        return Ok((Stdio::Pty { rows: 0, cols: 0 }, OutputPipes::Pty));
    }
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let stdin: OwnedFd = if open_stdin {
        hub.take_stdin_read()?
    } else {
        File::open("/dev/null")
            .map_err(|e| LifecycleError::io("open", "/dev/null", e))?
            .into()
    };
    let stdio = Stdio::Fds {
        stdin,
        stdout: out_w,
        stderr: err_w,
    };
    let pipes = OutputPipes::Fds {
        stdout: out_r,
        stderr: err_r,
    };
    Ok((stdio, pipes))
}

/// Starts the run in the hub, then its readers (and, for a pty with `OpenStdin`, the relay
/// from the stdin pipe to the master). The hub has the log before any reader can deliver.
pub(crate) fn connect(
    hub: &Arc<Hub>,
    log: LogFile,
    running: &mut Running,
    pipes: OutputPipes,
    open_stdin: bool,
) -> Result<Vec<JoinHandle<()>>, LifecycleError> {
    match pipes {
        OutputPipes::Fds { stdout, stderr } => {
            hub.begin_run(log, None);
            Ok(vec![
                spawn_reader(Stream::Stdout, stdout.into(), hub.clone()),
                spawn_reader(Stream::Stderr, stderr.into(), hub.clone()),
            ])
        }
        OutputPipes::Pty => {
            let master = running.take_pty_master().ok_or_else(|| {
                LifecycleError::io("open", "pty", std::io::Error::other("no master"))
            })?;
            let reader = File::from(
                master
                    .try_clone()
                    .map_err(|e| LifecycleError::io("dup", "pty", e))?,
            );
            let master = Arc::new(master);
            if open_stdin {
                crate::relay::spawn(hub.take_stdin_read()?, master.clone());
            }
            hub.begin_run(log, Some(master));
            Ok(vec![spawn_reader(Stream::Stdout, reader, hub.clone())])
        }
    }
}

/// Copies `src` into `hub` until EOF (the container and everything it started are gone; for
/// a pty master, the read error once the last slave closes).
fn spawn_reader(stream: Stream, src: File, hub: Arc<Hub>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        json_log::copy_lines(src, |raw, lines| hub.record(stream, raw, lines));
    })
}

fn pipe() -> Result<(OwnedFd, OwnedFd), LifecycleError> {
    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| LifecycleError::io("pipe", "", e.into()))
}
