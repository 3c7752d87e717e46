//! The json-file log driver: each line a container writes to stdout or stderr becomes one
//! `{"log":"...\n","stream":"stdout","time":"<RFC3339Nano>"}` line of `<id>-json.log`, split
//! at newlines (and at 16 KiB, as Docker's copier does for long lines), in the order the
//! daemon read them. Encoding follows moby's `jsonlog` (HTML characters escaped, invalid
//! UTF-8 replaced). Reading the file back gives ordered (stream, bytes) chunks.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::Deserialize;

use crate::error::LifecycleError;
use crate::time::Timestamp;

/// Docker's copier hands at most this much of a line to the driver at once.
const MAX_LINE: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// One record of the log: what was written, to which stream, when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    #[serde(rename = "log")]
    pub bytes: String,
    pub stream: Stream,
    pub time: Timestamp,
}

/// The open log file, shared by the two stream readers of one container run.
#[derive(Debug)]
pub(crate) struct LogWriter {
    file: Mutex<File>,
}

impl LogWriter {
    /// Opens `path` for appending: a restarted container keeps its earlier logs, as in Docker.
    pub fn open(path: &Path) -> Result<Arc<LogWriter>, LifecycleError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| LifecycleError::io("open", path, e))?;
        Ok(Arc::new(LogWriter {
            file: Mutex::new(file),
        }))
    }

    fn write(&self, stream: Stream, chunk: &[u8]) {
        let mut line = String::with_capacity(chunk.len() + 64);
        line.push_str("{\"log\":");
        escape_json(&String::from_utf8_lossy(chunk), &mut line);
        line.push_str(&format!(
            ",\"stream\":\"{}\",\"time\":\"{}\"}}\n",
            stream.as_str(),
            Timestamp::now()
        ));
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // A full disk loses log lines but must not stop the container (Docker behaves alike).
        let _ = f.write_all(line.as_bytes());
    }
}

/// Copies `fd` into the log until EOF (the container and everything it started are gone).
pub(crate) fn spawn_reader(stream: Stream, fd: OwnedFd, log: Arc<LogWriter>) -> JoinHandle<()> {
    std::thread::spawn(move || copy_lines(stream, File::from(fd), &log))
}

fn copy_lines(stream: Stream, mut src: File, log: &LogWriter) {
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        pending.extend_from_slice(&buf[..n]);
        let mut start = 0;
        while let Some(end) = line_end(&pending[start..]) {
            log.write(stream, &pending[start..start + end]);
            start += end;
        }
        pending.drain(..start);
    }
    // A last line without a newline is logged as it is, like `printf no-newline`.
    if !pending.is_empty() {
        log.write(stream, &pending);
    }
}

/// Length of the first complete chunk: through a newline, or a full [`MAX_LINE`].
fn line_end(data: &[u8]) -> Option<usize> {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) if i < MAX_LINE => Some(i + 1),
        _ if data.len() >= MAX_LINE => Some(MAX_LINE),
        _ => None,
    }
}

/// moby's `jsonlog` string encoding: JSON escapes, plus `<`, `>`, `&`, U+2028 and U+2029 as
/// `\uXXXX`, as Go's HTML-safe encoder writes them.
fn escape_json(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Reads a json-file log back, in file order. A missing file is an empty log (a container that
/// never ran); a torn last line (a crash mid-write) is skipped.
pub(crate) fn read_log(path: &Path) -> Result<Vec<LogEntry>, LifecycleError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LifecycleError::io("open", path, e)),
    };
    let mut entries = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| LifecycleError::io("read", path, e))?;
        if let Ok(entry) = serde_json::from_str::<LogEntry>(&line) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

impl<I: crate::Images> crate::Containers<I> {
    /// Everything the container wrote to stdout and stderr, in the order it was logged.
    pub fn logs(&self, reference: &str) -> Result<Vec<LogEntry>, LifecycleError> {
        let path = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            reg.entries[&id].dir.log(&id)
        };
        read_log(&path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(stream: Stream, input: &[u8]) -> Vec<LogEntry> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x-json.log");
        let log = LogWriter::open(&path).unwrap();
        let src = dir.path().join("src");
        std::fs::write(&src, input).unwrap();
        copy_lines(stream, File::open(&src).unwrap(), &log);
        read_log(&path).unwrap()
    }

    #[test]
    fn lines_are_split_at_newlines_and_the_tail_kept() {
        let e = logged(Stream::Stderr, b"a\n\nb<&>\"\x01\nno-newline");
        let texts: Vec<_> = e.iter().map(|e| e.bytes.as_str()).collect();
        assert_eq!(texts, ["a\n", "\n", "b<&>\"\u{1}\n", "no-newline"]);
        assert!(e
            .iter()
            .all(|e| e.stream == Stream::Stderr && !e.time.is_zero()));
    }

    #[test]
    fn long_lines_are_cut_at_16k() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.push(b'\n');
        let e = logged(Stream::Stdout, &input);
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].bytes.len(), e[1].bytes.len()), (MAX_LINE, 11));
    }

    #[test]
    fn encoding_is_mobys() {
        let mut s = String::new();
        escape_json("a<b>&\"\\\n\u{7}\u{2028}é", &mut s);
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\\\n\u0007\u2028é""#);
    }
}
