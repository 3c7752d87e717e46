//! The json-file log driver: each line a container writes to stdout or stderr becomes one
//! `{"log":"...\n","stream":"stdout","time":"<RFC3339Nano>"}` line of `<id>-json.log`, split
//! at newlines (and at 16 KiB, as Docker's copier does for long lines), in the order the
//! daemon read them. Encoding follows moby's `jsonlog` (HTML characters escaped, invalid
//! UTF-8 replaced). This module owns the file's format: writing a line, and cutting what a
//! reader thread read into lines. Reading a log back is the log span's, and the open file of a
//! live run belongs to the container's hub, which writes to it under its lock; this module
//! never reads a log and never decides when one is written.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

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

/// A log file's mode, as dockerd's json-file logs.
pub const LOG_MODE: u32 = 0o640;

/// The open log file of one container run. The [`Hub`] owns it, so writes to it and deliveries
/// to log followers happen under one lock.
#[derive(Debug)]
pub(crate) struct LogFile {
    file: File,
}

impl LogFile {
    /// Opens `path` for appending: a restarted container keeps its earlier logs, as in Docker.
    pub fn open(path: &Path) -> Result<LogFile, LifecycleError> {
        // 0640, as dockerd's json-file logs; a log from before is narrowed to it too.
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(LOG_MODE)
            .open(path)
            .map_err(|e| LifecycleError::io("open", path, e))?;
        file.set_permissions(Permissions::from_mode(LOG_MODE))
            .map_err(|e| LifecycleError::io("chmod", path, e))?;
        Ok(LogFile { file })
    }

    /// Appends one line and answers the entry as it was logged.
    pub fn append(&mut self, stream: Stream, chunk: &[u8]) -> LogEntry {
        let entry = LogEntry {
            bytes: String::from_utf8_lossy(chunk).into_owned(),
            stream,
            time: Timestamp::now(),
        };
        let mut line = String::with_capacity(chunk.len() + 64);
        line.push_str("{\"log\":");
        escape_json(&entry.bytes, &mut line);
        line.push_str(&format!(
            ",\"stream\":\"{}\",\"time\":\"{}\"}}\n",
            stream.as_str(),
            entry.time
        ));
        // A full disk loses log lines but must not stop the container (Docker behaves alike).
        let _ = self.file.write_all(line.as_bytes());
        entry
    }
}

/// Reads `src` to the end and hands `sink` each chunk read with the complete lines it
/// finished; a last line without a newline comes with an empty chunk at the end.
pub(crate) fn copy_lines(mut src: impl Read, mut sink: impl FnMut(&[u8], &[&[u8]])) {
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
        let mut lines: Vec<&[u8]> = Vec::new();
        while let Some(end) = line_end(&pending[start..]) {
            lines.push(&pending[start..start + end]);
            start += end;
        }
        sink(&buf[..n], &lines);
        pending.drain(..start);
    }
    // A last line without a newline is logged as it is, like `printf no-newline`.
    if !pending.is_empty() {
        sink(&[], &[&pending]);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The log file's lines as entries, whole: for tests of what was logged.
    fn read_log(path: &Path) -> Vec<LogEntry> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn logged(stream: Stream, input: &[u8]) -> Vec<LogEntry> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x-json.log");
        let mut log = LogFile::open(&path).unwrap();
        copy_lines(input, |_, lines| {
            for line in lines {
                log.append(stream, line);
            }
        });
        read_log(&path)
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
