//! What a client of a container's live I/O holds: the [`Output`] chunks of an attached client
//! (what it asked for in [`AttachOptions`]) through an [`OutputReceiver`], which replays the
//! past log before anything live, and a log follower's [`LogFollow`]. The hub fills them; this
//! module only hands out in order and gives back budget as the client takes. It never reads
//! a pipe, never writes a log and never blocks a container.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::mpsc::Receiver;

use crate::json_log::{LogEntry, Stream};
use crate::log_span::{LogEntries, LogSpan};

/// What `POST /containers/{id}/attach` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttachOptions {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// Replay the log so far first.
    pub logs: bool,
    /// Then the live output of the current run (or the next, if none runs).
    pub stream: bool,
}

/// One piece of container output. With a TTY everything is `Stream::Stdout` (raw).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stream: Stream,
    pub bytes: Vec<u8>,
}

/// The log of a container so far and, while it runs, its next entries (`docker logs -f`).
#[derive(Debug)]
pub struct LogFollow {
    /// Every entry logged before the subscription, in order, read as it is consumed.
    pub past: LogSpan,
    /// The entries after `past`, with no gap and no duplicate; `None` when the container is
    /// not running, otherwise closed when the run ends (or when this follower fell too far
    /// behind: it is dropped rather than stall the container).
    pub live: Option<Receiver<LogEntry>>,
}

/// An attached client's end of its output: chunks in order, `None` once the run ended (or the
/// client was dropped for lagging too far behind: the hub's byte budget). Receiving releases
/// budget.
#[derive(Debug)]
pub struct OutputReceiver {
    /// The replayed log (with `logs`), given before anything live.
    past: Past,
    rx: Receiver<Output>,
    pending: Arc<AtomicUsize>,
}

/// The log an attach replays, filtered to the streams it asked for.
#[derive(Debug)]
struct Past {
    entries: LogEntries,
    stdout: bool,
    stderr: bool,
}

impl Past {
    fn next(&mut self) -> Option<Output> {
        let (stdout, stderr) = (self.stdout, self.stderr);
        self.entries
            .find(|e| match e.stream {
                Stream::Stdout => stdout,
                Stream::Stderr => stderr,
            })
            .map(|e| Output {
                stream: e.stream,
                bytes: e.bytes.into_bytes(),
            })
    }
}

impl OutputReceiver {
    /// The receiver of a client that asked for `options`: `past` replayed first, then what
    /// the hub sends on `rx`, which counts the bytes in flight in `pending`.
    pub(crate) fn new(
        past: LogSpan,
        options: &AttachOptions,
        rx: Receiver<Output>,
        pending: Arc<AtomicUsize>,
    ) -> OutputReceiver {
        OutputReceiver {
            past: Past {
                entries: past.into_iter(),
                stdout: options.stdout,
                stderr: options.stderr,
            },
            rx,
            pending,
        }
    }

    fn took(&self, output: Option<Output>) -> Option<Output> {
        if let Some(o) = &output {
            let _ = self
                .pending
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |p| {
                    Some(p.saturating_sub(o.bytes.len()))
                });
        }
        output
    }

    /// The next chunk, from async code (the daemon).
    pub async fn recv(&mut self) -> Option<Output> {
        if let Some(past) = self.past.next() {
            return Some(past);
        }
        let output = self.rx.recv().await;
        self.took(output)
    }

    /// The next chunk, blocking the calling thread (never from inside an async runtime).
    pub fn blocking_recv(&mut self) -> Option<Output> {
        if let Some(past) = self.past.next() {
            return Some(past);
        }
        let output = self.rx.blocking_recv();
        self.took(output)
    }

    /// The next chunk if one is there, without waiting.
    pub fn try_recv(&mut self) -> Result<Output, TryRecvError> {
        if let Some(past) = self.past.next() {
            return Ok(past);
        }
        let output = self.rx.try_recv()?;
        Ok(self.took(Some(output)).expect("a received chunk"))
    }
}
