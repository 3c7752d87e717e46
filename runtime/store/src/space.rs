//! Disk-space limits on everything an untrusted stream makes the store write: unpacked layer
//! files, an archive inflated for `load`, an upload spooled before it is loaded. A gzip of zeros
//! a few megabytes long can expand to more than any disk holds; without a limit it fills the
//! filesystem the store shares with everything else before the write fails.
//!
//! Two limits, checked as bytes are written: an optional cap on the total (`max_bytes`), and a
//! reserve of free space the store never eats into (`min_free`), read from the filesystem with
//! `statvfs` before a write announced as large and after every [`CHECK_EVERY`] bytes. Several
//! writers at once each keep the reserve, so together they overshoot it by at most
//! [`CHECK_EVERY`] each. This module owns the accounting and its error; it never writes.

use std::io;
use std::path::{Path, PathBuf};

use berth_core::{ErrorKind, Kind};

/// How often the free space is read while bytes are written.
pub const CHECK_EVERY: u64 = 8 << 20;

/// The free space kept by default: enough for the system to go on working.
pub const DEFAULT_MIN_FREE: u64 = 128 << 20;

/// Limits on what one untrusted stream may make the store write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceLimits {
    /// The most bytes one stream may expand to (an uncompressed layer, an inflated archive,
    /// an upload); `None` for no cap beyond the free space.
    pub max_bytes: Option<u64>,
    /// The free space on the store's filesystem that a write never eats into.
    pub min_free: u64,
}

impl Default for SpaceLimits {
    fn default() -> SpaceLimits {
        SpaceLimits {
            max_bytes: None,
            min_free: DEFAULT_MIN_FREE,
        }
    }
}

/// A write refused because of a limit.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    #[error("{what} expands to more than the limit of {limit} bytes")]
    TooLarge { what: &'static str, limit: u64 },
    #[error(
        "no space left for {what} in {}: {needed} more bytes would leave less than the {reserve} bytes kept free ({available} available)",
        path.display()
    )]
    DiskFull {
        what: &'static str,
        path: PathBuf,
        needed: u64,
        available: u64,
        reserve: u64,
    },
    #[error("reading the free space of {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Kind for SpaceError {
    fn kind(&self) -> ErrorKind {
        match self {
            SpaceError::TooLarge { .. } => ErrorKind::InvalidParameter,
            SpaceError::DiskFull { .. } | SpaceError::Io { .. } => ErrorKind::System,
        }
    }
}

impl From<SpaceError> for io::Error {
    fn from(e: SpaceError) -> io::Error {
        io::Error::other(e)
    }
}

/// The [`SpaceError`] inside an I/O error, if that is what `e` carries.
pub fn space_error(e: &io::Error) -> Option<&SpaceError> {
    e.get_ref()?.downcast_ref::<SpaceError>()
}

/// The running account of one stream's writes under `dir`'s filesystem.
#[derive(Debug)]
pub struct SpaceGuard {
    dir: PathBuf,
    what: &'static str,
    limits: SpaceLimits,
    written: u64,
    unchecked: u64,
}

impl SpaceGuard {
    /// An account for writes of `what` (a layer, an archive) under `dir`.
    pub fn new(dir: &Path, what: &'static str, limits: SpaceLimits) -> SpaceGuard {
        SpaceGuard {
            dir: dir.to_owned(),
            what,
            limits,
            written: 0,
            unchecked: 0,
        }
    }

    /// Bytes accounted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Before writing `n` bytes in one go (a file whose size the archive declares): refuses
    /// at once what could never fit, instead of after writing most of it.
    pub fn expect(&mut self, n: u64) -> Result<(), SpaceError> {
        self.check_cap(n)?;
        if n >= CHECK_EVERY {
            self.check_free(n)?;
        }
        Ok(())
    }

    /// Accounts `n` bytes about to be written.
    pub fn charge(&mut self, n: u64) -> Result<(), SpaceError> {
        self.check_cap(n)?;
        self.written += n;
        self.unchecked += n;
        if self.unchecked >= CHECK_EVERY {
            self.unchecked = 0;
            self.check_free(0)?;
        }
        Ok(())
    }

    fn check_cap(&self, n: u64) -> Result<(), SpaceError> {
        match self.limits.max_bytes {
            Some(limit) if self.written.saturating_add(n) > limit => Err(SpaceError::TooLarge {
                what: self.what,
                limit,
            }),
            _ => Ok(()),
        }
    }

    fn check_free(&self, needed: u64) -> Result<(), SpaceError> {
        let available = available(&self.dir).map_err(|source| SpaceError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let reserve = self.limits.min_free;
        if available < reserve.saturating_add(needed) {
            return Err(SpaceError::DiskFull {
                what: self.what,
                path: self.dir.clone(),
                needed,
                available,
                reserve,
            });
        }
        Ok(())
    }
}

/// Bytes an unprivileged writer may still use on `dir`'s filesystem (root could use the
/// blocks reserved for it too; the store does not count on them).
pub fn available(dir: &Path) -> io::Result<u64> {
    let stat = rustix::fs::statvfs(dir)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// A writer that accounts every byte with a [`SpaceGuard`] before passing it on.
#[derive(Debug)]
pub struct GuardedWriter<W> {
    inner: W,
    guard: SpaceGuard,
}

impl<W> GuardedWriter<W> {
    pub fn new(inner: W, guard: SpaceGuard) -> GuardedWriter<W> {
        GuardedWriter { inner, guard }
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: io::Write> io::Write for GuardedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.guard.charge(buf.len() as u64)?;
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that fails once more than `max` bytes came through: the uncompressed side of a
/// decoder, so that a bomb stops being inflated (and hashed) at the cap.
#[derive(Debug)]
pub struct Capped<R> {
    inner: R,
    what: &'static str,
    max: Option<u64>,
    seen: u64,
}

impl<R> Capped<R> {
    pub fn new(inner: R, what: &'static str, max: Option<u64>) -> Capped<R> {
        Capped {
            inner,
            what,
            max,
            seen: 0,
        }
    }
}

impl<R: io::Read> io::Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        match self.max {
            Some(limit) if self.seen > limit => Err(SpaceError::TooLarge {
                what: self.what,
                limit,
            }
            .into()),
            _ => Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_every_byte_charged() {
        let dir = tempfile::tempdir().unwrap();
        let limits = SpaceLimits {
            max_bytes: Some(10),
            min_free: 0,
        };
        let mut guard = SpaceGuard::new(dir.path(), "a layer", limits);
        guard.charge(6).unwrap();
        assert!(guard.expect(5).is_err());
        let err = guard.charge(5).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            err.to_string(),
            "a layer expands to more than the limit of 10 bytes"
        );
        assert_eq!(guard.written(), 6);
    }

    #[test]
    fn a_write_that_would_eat_into_the_reserve_is_refused_before_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let free = available(dir.path()).unwrap();
        let mut guard = SpaceGuard::new(dir.path(), "a layer", SpaceLimits::default());
        let err = guard.expect(free).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::System);
        assert!(
            err.to_string().starts_with("no space left for a layer in "),
            "{err}"
        );
        guard.expect(CHECK_EVERY).unwrap();
    }

    #[test]
    fn the_reserve_is_checked_as_bytes_stream_in() {
        let dir = tempfile::tempdir().unwrap();
        let limits = SpaceLimits {
            max_bytes: None,
            min_free: u64::MAX / 2,
        };
        let mut guard = SpaceGuard::new(dir.path(), "an upload", limits);
        // Small writes are not checked one by one, only every CHECK_EVERY bytes.
        guard.charge(CHECK_EVERY - 1).unwrap();
        assert!(matches!(guard.charge(1), Err(SpaceError::DiskFull { .. })));
    }
}
