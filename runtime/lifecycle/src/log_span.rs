//! A stretch of a container's json-file log, read as it is consumed: an open file and the byte
//! range of whole lines it covers. Nothing reads a whole log into memory: a container controls
//! how much it logs, so `docker logs` of a 10 GB log must cost a buffer, not 10 GB, and
//! `--tail 1` must read one line from the end, not the file. The range is fixed when the span
//! is taken (under the hub's lock for a follower, so the live entries start where it ends);
//! what is appended later is not part of it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::LifecycleError;
use crate::json_log::LogEntry;

/// How much of the file a backwards search for the tail reads at once.
const TAIL_BLOCK: u64 = 64 * 1024;

/// Whole log lines `start..end` of an open log file.
#[derive(Debug)]
pub struct LogSpan {
    file: Option<File>,
    start: u64,
    end: u64,
}

impl LogSpan {
    /// The log at `path` as it is now; a missing file is an empty log (a container that never
    /// ran).
    pub(crate) fn open(path: &Path) -> Result<LogSpan, LifecycleError> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LogSpan::empty()),
            Err(e) => return Err(LifecycleError::io("open", path, e)),
        };
        let end = file
            .metadata()
            .map_err(|e| LifecycleError::io("stat", path, e))?
            .len();
        Ok(LogSpan {
            file: Some(file),
            start: 0,
            end,
        })
    }

    pub fn empty() -> LogSpan {
        LogSpan {
            file: None,
            start: 0,
            end: 0,
        }
    }

    /// Only the last `n` lines, found by reading backwards from the end a block at a time
    /// (dockerd's tail counts the file's lines, before any stream or time filter).
    pub fn tail(mut self, n: usize) -> Result<LogSpan, LifecycleError> {
        let Some(file) = &self.file else {
            return Ok(self);
        };
        self.start = line_start_before(file, self.start, self.end, n)
            .map_err(|e| LifecycleError::io("read", Path::new("json log"), e))?;
        Ok(self)
    }
}

/// The offset where the last `n` lines of `start..end` begin.
fn line_start_before(file: &File, start: u64, end: u64, n: usize) -> std::io::Result<u64> {
    if n == 0 {
        return Ok(end);
    }
    // The last line ends with the range's last byte; its own newline is not a boundary.
    let mut newlines = 0;
    let mut pos = end.saturating_sub(1);
    let mut block = vec![0u8; TAIL_BLOCK as usize];
    while pos > start {
        let from = pos.saturating_sub(TAIL_BLOCK).max(start);
        let len = (pos - from) as usize;
        file.read_exact_at(&mut block[..len], from)?;
        for (i, byte) in block[..len].iter().enumerate().rev() {
            if *byte == b'\n' {
                newlines += 1;
                if newlines == n {
                    return Ok(from + i as u64 + 1);
                }
            }
        }
        pos = from;
    }
    Ok(start)
}

impl IntoIterator for LogSpan {
    type Item = LogEntry;
    type IntoIter = LogEntries;

    fn into_iter(self) -> LogEntries {
        let reader = self.file.and_then(|mut file| {
            file.seek(SeekFrom::Start(self.start)).ok()?;
            Some(BufReader::new(file.take(self.end - self.start)))
        });
        LogEntries {
            reader,
            line: Vec::new(),
        }
    }
}

/// The entries of a span, in file order. A line that does not parse (a torn last line after
/// a crash) is skipped, and a read error ends the entries.
#[derive(Debug)]
pub struct LogEntries {
    reader: Option<BufReader<std::io::Take<File>>>,
    line: Vec<u8>,
}

impl Iterator for LogEntries {
    type Item = LogEntry;

    fn next(&mut self) -> Option<LogEntry> {
        let reader = self.reader.as_mut()?;
        loop {
            self.line.clear();
            match reader.read_until(b'\n', &mut self.line) {
                Ok(0) | Err(_) => {
                    self.reader = None;
                    return None;
                }
                Ok(_) => {
                    if let Ok(entry) = serde_json::from_slice::<LogEntry>(&self.line) {
                        return Some(entry);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_log::{LogFile, Stream};

    fn log_of(lines: usize) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x-json.log");
        let mut log = LogFile::open(&path).unwrap();
        for i in 0..lines {
            log.append(Stream::Stdout, format!("line {i}\n").as_bytes());
        }
        (dir, path)
    }

    fn texts(span: LogSpan) -> Vec<String> {
        span.into_iter().map(|e| e.bytes).collect()
    }

    #[test]
    fn a_span_reads_every_entry_and_the_tail_only_the_last_lines() {
        let (_dir, path) = log_of(5000);
        assert_eq!(texts(LogSpan::open(&path).unwrap()).len(), 5000);
        let tail = LogSpan::open(&path).unwrap().tail(3).unwrap();
        assert_eq!(texts(tail), ["line 4997\n", "line 4998\n", "line 4999\n"]);
        assert!(texts(LogSpan::open(&path).unwrap().tail(0).unwrap()).is_empty());
        assert_eq!(
            texts(LogSpan::open(&path).unwrap().tail(9999).unwrap()).len(),
            5000
        );
    }

    #[test]
    fn what_is_logged_after_a_span_was_taken_is_not_part_of_it() {
        let (_dir, path) = log_of(2);
        let span = LogSpan::open(&path).unwrap();
        LogFile::open(&path)
            .unwrap()
            .append(Stream::Stderr, b"later\n");
        assert_eq!(texts(span), ["line 0\n", "line 1\n"]);
    }

    #[test]
    fn a_missing_log_and_a_torn_last_line_read_as_what_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        assert!(texts(LogSpan::open(&dir.path().join("none")).unwrap()).is_empty());
        let (_dir, path) = log_of(2);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"log\":\"torn")
            .unwrap();
        assert_eq!(texts(LogSpan::open(&path).unwrap()).len(), 2);
        assert_eq!(
            texts(LogSpan::open(&path).unwrap().tail(1).unwrap()),
            Vec::<String>::new(),
            "the torn line is the last line"
        );
    }

    use std::io::Write;
}
