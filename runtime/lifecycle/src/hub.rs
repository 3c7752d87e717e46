//! A container's live I/O hub: the one place a run's output goes through. The reader threads
//! hand every chunk they read to [`Hub::record`], which, under one lock, sends the raw chunk to
//! every attached client, appends the complete lines to the json-file log and sends those log
//! entries to every log follower. Because the log and the subscriber lists share that lock, a
//! client that takes a snapshot of the log and subscribes under it sees no gap and no duplicate.
//!
//! The hub also holds the run's stdin pipe (with `OpenStdin`) and the pty master (with `Tty`).
//! Delivery never waits: channels are bounded, and a subscriber whose channel is full (it fell
//! [`OUTPUT_BACKLOG`] chunks or [`FOLLOW_BACKLOG`] entries behind) is dropped, which closes its
//! receiver. A slow client therefore loses its stream but can never stall the container or its
//! log. This module never starts, signals or reaps anything.

use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::mpsc::{self, error::TrySendError, Receiver, Sender};

use crate::attach::{AttachOptions, Output};
use crate::error::LifecycleError;
use crate::logs::{self, LogEntry, LogFile, LogFollow, Stream};

/// How many output chunks an attached client may lag behind. A chunk is one read of a pipe, so
/// a container writing small lines faster than a client reads makes many small chunks: 1024 of
/// them lets a client that stops reading for a while (a test draining one attachment after
/// another, a CLI paused on a full terminal) keep every byte of a chatty run. tokio allocates
/// slots as they fill, so the bound costs nothing until used (at most 32 MiB, 1024 x 32 KiB).
pub(crate) const OUTPUT_BACKLOG: usize = 1024;
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
    /// The pty master of the current run.
    master: Option<Arc<OwnedFd>>,
}

#[derive(Debug)]
struct OutputSub {
    tx: Sender<Output>,
    stdout: bool,
    stderr: bool,
}

impl OutputSub {
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
        s.master = None;
    }

    /// One chunk a reader thread read from `stream`, and the complete log lines it finished.
    pub fn record(&self, stream: Stream, raw: &[u8], lines: &[&[u8]]) {
        let mut s = self.lock();
        if !raw.is_empty() {
            s.outputs.retain(|sub| {
                !sub.wants(stream)
                    || deliver(
                        &sub.tx,
                        Output {
                            stream,
                            bytes: raw.to_vec(),
                        },
                    )
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
    /// (with `stream`) the live output until the current or next run ends.
    pub fn attach_output(
        &self,
        options: &AttachOptions,
        log_path: &Path,
    ) -> Result<Receiver<Output>, LifecycleError> {
        let mut s = self.lock();
        let past = if options.logs {
            logs::read_log(log_path)?
        } else {
            Vec::new()
        };
        let sub = |stream| match stream {
            Stream::Stdout => options.stdout,
            Stream::Stderr => options.stderr,
        };
        let past: Vec<LogEntry> = past.into_iter().filter(|e| sub(e.stream)).collect();
        let (tx, rx) = mpsc::channel(past.len() + OUTPUT_BACKLOG);
        for e in past {
            let output = Output {
                stream: e.stream,
                bytes: e.bytes.into_bytes(),
            };
            // The channel has room for every past entry.
            let _ = tx.try_send(output);
        }
        if options.stream {
            s.outputs.push(OutputSub {
                tx,
                stdout: options.stdout,
                stderr: options.stderr,
            });
        }
        Ok(rx)
    }

    /// The log so far and, when a run is live, a subscription to the entries after it.
    pub fn follow(&self, log_path: &Path) -> Result<LogFollow, LifecycleError> {
        let mut s = self.lock();
        let past = logs::read_log(log_path)?;
        let live = s.log.is_some().then(|| {
            let (tx, rx) = mpsc::channel(FOLLOW_BACKLOG);
            s.follows.push(tx);
            rx
        });
        Ok(LogFollow { past, live })
    }

    /// The stdin pipe a client may write to: the current run's, or a new one for the next
    /// run when none is live (writes wait in the pipe until the run starts). `None` when the
    /// live run's stdin was already closed.
    pub fn stdin_pipe(&self) -> Result<Option<Arc<StdinPipe>>, LifecycleError> {
        let mut s = self.lock();
        if s.stdin.is_none() && s.log.is_none() {
            s.stdin = Some(Arc::new(StdinPipe::new()?));
        }
        Ok(s.stdin.clone())
    }

    /// For a starting run: the read end of the stdin pipe, made now if no client made one
    /// (or if a start that failed took it).
    pub fn take_stdin_read(&self) -> Result<OwnedFd, LifecycleError> {
        let mut s = self.lock();
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
    /// closes when the last in-flight write through it returns.
    pub fn close_stdin(&self, pipe: &Weak<StdinPipe>) {
        let mut s = self.lock();
        if s.stdin
            .as_ref()
            .map(Arc::downgrade)
            .is_some_and(|p| p.ptr_eq(pipe))
        {
            s.stdin = None;
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

fn stdin_pipe() -> Result<(OwnedFd, OwnedFd), LifecycleError> {
    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| LifecycleError::io("pipe", "stdin", e.into()))
}

/// Sends without waiting; answers whether the subscriber stays (a full or closed channel
/// drops it).
fn deliver<T>(tx: &Sender<T>, item: T) -> bool {
    match tx.try_send(item) {
        Ok(()) => true,
        Err(TrySendError::Full(_) | TrySendError::Closed(_)) => false,
    }
}
