//! A container's live I/O hub: the one place a run's output goes through. The reader threads
//! hand every chunk they read to [`Hub::record`], which, under one lock, sends the raw chunk to
//! every attached client, appends the complete lines to the json-file log and sends those log
//! entries to every log follower. Because the log and the subscriber lists share that lock, a
//! client that takes a snapshot of the log and subscribes under it sees no gap and no duplicate.
//!
//! The hub also holds the run's stdin pipe (with `OpenStdin`) and the pty master (with `Tty`).
//! Delivery never waits: a subscriber that fell too far behind ([`OUTPUT_BACKLOG_BYTES`] bytes
//! of output, or [`FOLLOW_BACKLOG`] log entries) is dropped, which closes its receiver. A slow
//! client therefore loses its stream but can never stall the container or its log. (Bytes the
//! client received from a replayed log count against nothing, so the budget is looser by at
//! most that log.) This module never starts, signals or reaps anything.

use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{self, Sender};

use crate::error::LifecycleError;
use crate::json_log::{LogEntry, LogFile, Stream};
use crate::log_span::LogSpan;
use crate::output::{AttachOptions, LogFollow, Output, OutputReceiver};

/// How many bytes of output an attached client may lag behind before it is dropped. Counted in
/// bytes, not chunks: a chunk is one read of a pipe, and a container writing small lines makes
/// many tiny chunks, which must not get a briefly paused client (a CLI on a full terminal)
/// dropped, while a client that stops reading altogether must not hold unbounded memory.
pub(crate) const OUTPUT_BACKLOG_BYTES: usize = 4 << 20;
/// The channel's bound in chunks; the byte budget above is what normally applies.
const OUTPUT_BACKLOG: usize = 65536;
/// How many log entries a follower may lag behind: two full reads of one-byte lines, since
/// one read's lines are delivered at once. (tokio allocates channel slots as they fill, so an
/// idle follower costs nothing.)
pub(crate) const FOLLOW_BACKLOG: usize = 65536;

/// The live I/O of one container, shared by its registry entry, its reader threads and the
/// stdin writers handed to clients.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    state: Mutex<HubState>,
}

#[derive(Debug, Default)]
struct HubState {
    /// The current run's log; `None` between runs, which is how the hub knows a run is live.
    log: Option<LogFile>,
    /// Attached clients: of the current run, or of the next one when none is live.
    outputs: Vec<OutputSub>,
    /// Log followers of the current run.
    follows: Vec<Sender<LogEntry>>,
    /// The stdin pipe of the current (or next) run; `None` once closed (`StdinOnce`).
    stdin: Option<Arc<StdinPipe>>,
    /// The read end of a stdin closed before its run started (`StdinOnce`, as in `echo x |
    /// docker run -i`): the next run reads what was written, then end of file.
    closed_read: Option<OwnedFd>,
    /// The pty master of the current run.
    master: Option<Arc<OwnedFd>>,
}

#[derive(Debug)]
struct OutputSub {
    tx: Sender<Output>,
    /// Bytes sent and not yet received, shared with the client's [`OutputReceiver`].
    pending: Arc<AtomicUsize>,
    stdout: bool,
    stderr: bool,
}

impl OutputSub {
    /// Hands `output` over unless the client is too far behind (or gone): `false` drops it.
    fn deliver(&self, output: Output) -> bool {
        let len = output.bytes.len();
        if self.pending.load(Ordering::Acquire) + len > OUTPUT_BACKLOG_BYTES {
            return false;
        }
        self.pending.fetch_add(len, Ordering::AcqRel);
        deliver(&self.tx, output)
    }

    fn wants(&self, stream: Stream) -> bool {
        match stream {
            Stream::Stdout => self.stdout,
            Stream::Stderr => self.stderr,
        }
    }
}

/// The engine's side of a container's stdin: the write end, and the read end until a run
/// takes it. Writes go in without a lock, so one blocked writer never holds up a close.
#[derive(Debug)]
pub(crate) struct StdinPipe {
    read: Mutex<Option<OwnedFd>>,
    pub write: OwnedFd,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        // Every field is valid after any partial update, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A run started: its output now goes to `log` and the current subscribers.
    pub fn begin_run(&self, log: LogFile, master: Option<Arc<OwnedFd>>) {
        let mut s = self.lock();
        s.log = Some(log);
        s.master = master;
    }

    /// The run ended (or failed to start, or the container is removed) and all its output was
    /// recorded: every subscriber's channel closes once drained, stdin and the master go.
    pub fn end_run(&self) {
        let mut s = self.lock();
        s.log = None;
        s.outputs.clear();
        s.follows.clear();
        s.stdin = None;
        s.closed_read = None;
        s.master = None;
    }

    /// One chunk a reader thread read from `stream`, and the complete log lines it finished.
    pub fn record(&self, stream: Stream, raw: &[u8], lines: &[&[u8]]) {
        let mut s = self.lock();
        if !raw.is_empty() {
            s.outputs.retain(|sub| {
                !sub.wants(stream)
                    || sub.deliver(Output {
                        stream,
                        bytes: raw.to_vec(),
                    })
            });
        }
        for line in lines {
            let Some(log) = s.log.as_mut() else { return };
            let entry = log.append(stream, line);
            if !s.follows.is_empty() {
                s.follows.retain(|tx| deliver(tx, entry.clone()));
            }
        }
    }

    /// An attached client's output: the past log from `log_path` first (with `logs`), then
    /// (with `stream`) the live output until the current or next run ends. The past is a span
    /// of the log taken under the lock (read later, as the client takes it), so the live
    /// output starts where it ends.
    pub fn attach_output(
        &self,
        options: &AttachOptions,
        log_path: &Path,
    ) -> Result<OutputReceiver, LifecycleError> {
        let mut s = self.lock();
        let past = match options.logs {
            true => LogSpan::open(log_path)?,
            false => LogSpan::empty(),
        };
        let (tx, rx) = mpsc::channel(OUTPUT_BACKLOG);
        let pending = Arc::new(AtomicUsize::new(0));
        if options.stream {
            s.outputs.push(OutputSub {
                tx,
                pending: Arc::clone(&pending),
                stdout: options.stdout,
                stderr: options.stderr,
            });
        }
        Ok(OutputReceiver::new(past, options, rx, pending))
    }

    /// The log so far and, when a run is live, a subscription to the entries after it.
    pub fn follow(&self, log_path: &Path) -> Result<LogFollow, LifecycleError> {
        let mut s = self.lock();
        let past = LogSpan::open(log_path)?;
        let live = s.log.is_some().then(|| {
            let (tx, rx) = mpsc::channel(FOLLOW_BACKLOG);
            s.follows.push(tx);
            rx
        });
        Ok(LogFollow { past, live })
    }

    /// The stdin pipe a client may write to: the current run's, or a new one for the next
    /// run when none is live (writes wait in the pipe until the run starts). `None` when the
    /// live (or next) run's stdin was already closed.
    pub fn stdin_pipe(&self) -> Result<Option<Arc<StdinPipe>>, LifecycleError> {
        let mut s = self.lock();
        if s.stdin.is_none() && s.log.is_none() && s.closed_read.is_none() {
            s.stdin = Some(Arc::new(StdinPipe::new()?));
        }
        Ok(s.stdin.clone())
    }

    /// For a starting run: the read end of the stdin pipe (of one closed before the start, if
    /// any), made now if no client made one (or if a start that failed took it).
    pub fn take_stdin_read(&self) -> Result<OwnedFd, LifecycleError> {
        let mut s = self.lock();
        if let Some(fd) = s.closed_read.take() {
            return Ok(fd);
        }
        if let Some(fd) = s.stdin.as_ref().and_then(|p| p.take_read()) {
            return Ok(fd);
        }
        let (read, write) = stdin_pipe()?;
        s.stdin = Some(Arc::new(StdinPipe {
            read: Mutex::new(None),
            write,
        }));
        Ok(read)
    }

    /// Closes the container's stdin, if `pipe` is still its stdin (`StdinOnce`). The write end
    /// closes when the last in-flight write through it returns. A pipe no run has taken yet
    /// keeps its read end for the next run, so what was written before the start is read.
    pub fn close_stdin(&self, pipe: &Weak<StdinPipe>) {
        let mut s = self.lock();
        if s.stdin
            .as_ref()
            .map(Arc::downgrade)
            .is_some_and(|p| p.ptr_eq(pipe))
        {
            let closed = s.stdin.take().and_then(|p| p.take_read());
            s.closed_read = closed.or(s.closed_read.take());
        }
    }

    /// The pty master of the live run, when it has a terminal.
    pub fn master(&self) -> Option<Arc<OwnedFd>> {
        self.lock().master.clone()
    }
}

impl StdinPipe {
    fn new() -> Result<StdinPipe, LifecycleError> {
        let (read, write) = stdin_pipe()?;
        Ok(StdinPipe {
            read: Mutex::new(Some(read)),
            write,
        })
    }

    fn take_read(&self) -> Option<OwnedFd> {
        self.read.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// A container's stdin pipe. The engine's write end is non-blocking, so that an async writer
/// can wait for room without a thread (`ContainerStdin::try_write`); the read end the
/// container gets stays blocking, as a program expects its stdin.
fn stdin_pipe() -> Result<(OwnedFd, OwnedFd), LifecycleError> {
    let io = |e: rustix::io::Errno| LifecycleError::io("pipe", "stdin", e.into());
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(io)?;
    rustix::io::ioctl_fionbio(&write, true).map_err(io)?;
    Ok((read, write))
}

/// Sends without waiting; answers whether the subscriber stays (a full or closed channel
/// drops it).
fn deliver<T>(tx: &Sender<T>, item: T) -> bool {
    match tx.try_send(item) {
        Ok(()) => true,
        Err(TrySendError::Full(_) | TrySendError::Closed(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn write_all(pipe: &StdinPipe, bytes: &[u8]) {
        assert_eq!(rustix::io::write(&pipe.write, bytes).unwrap(), bytes.len());
    }

    fn read_to_end(fd: OwnedFd) -> Vec<u8> {
        let mut out = Vec::new();
        std::fs::File::from(fd).read_to_end(&mut out).unwrap();
        out
    }

    /// Regression: a `StdinOnce` client that wrote and detached before the start (`echo x |
    /// docker run -i`) lost what it wrote; the run got a fresh, empty pipe.
    #[test]
    fn stdin_closed_before_the_start_keeps_its_data_for_the_run() {
        let hub = Hub::default();
        let pipe = hub.stdin_pipe().unwrap().unwrap();
        write_all(&pipe, b"hello\n");
        let weak = Arc::downgrade(&pipe);
        drop(pipe);
        hub.close_stdin(&weak);
        // The close holds for the next run: no new client gets a pipe to write to.
        assert!(hub.stdin_pipe().unwrap().is_none());
        // The run reads the data, then end of file (the write end is gone).
        assert_eq!(read_to_end(hub.take_stdin_read().unwrap()), b"hello\n");
    }

    #[test]
    fn stdin_closed_during_a_run_ends_at_eof_and_the_next_run_gets_a_new_pipe() {
        let hub = Hub::default();
        let pipe = hub.stdin_pipe().unwrap().unwrap();
        let read = hub.take_stdin_read().unwrap();
        write_all(&pipe, b"x");
        let weak = Arc::downgrade(&pipe);
        drop(pipe);
        hub.close_stdin(&weak);
        assert_eq!(read_to_end(read), b"x");
        hub.end_run();
        let next = hub.stdin_pipe().unwrap().unwrap();
        assert!(!Weak::ptr_eq(&Arc::downgrade(&next), &weak));
    }
}
