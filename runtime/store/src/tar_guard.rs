//! The one way this crate reads a tar archive: a streaming guard in front of the `tar` crate
//! that follows the archive's entry boundaries and refuses an oversized extension header before
//! a byte of it is buffered.
//!
//! The `tar` crate reads a GNU long name or link (`L`, `K`) and a PAX header (`x`) whole into
//! memory, however large the header claims to be: a 3.5 MB archive claiming a 768 MiB long
//! name made it allocate 768 MiB. Go's `archive/tar`, which dockerd uses, caps those records
//! (and PAX global headers, `g`) at 1 MiB and fails with `archive/tar: header field too long`;
//! this guard applies the same cap with the same text, and the callers wrap it the way dockerd
//! does (`Error processing tar file(exit status 1): ...`).
//!
//! To know where headers are, it replays the `tar` crate's own framing, with the crate's own
//! header parsing: a 512-byte header, the extension blocks of a GNU sparse entry, then the
//! entry's data (the header's size, or the `size` record of a preceding PAX header, as the crate
//! takes it) padded to 512 bytes; an all-zero header ends the archive. It never interprets an
//! entry beyond that and never changes a byte that passes through.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// Go's `maxSpecialFileSize`: the most a PAX header or GNU long name or link may hold.
pub const MAX_SPECIAL: u64 = 1 << 20;

const BLOCK: usize = 512;

/// Why the guard refused an archive; carried inside the `io::Error` it returns, so callers can
/// tell it from other read failures (see [`fault_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TarFault {
    /// An `x`, `g`, `L` or `K` header claims more than [`MAX_SPECIAL`] bytes.
    FieldTooLong,
    /// A header whose size cannot be read, so the entry boundaries are unknown.
    InvalidHeader,
}

impl fmt::Display for TarFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Go's `tar.ErrFieldTooLong` and `tar.ErrHeader`, word for word.
        f.write_str(match self {
            TarFault::FieldTooLong => "archive/tar: header field too long",
            TarFault::InvalidHeader => "archive/tar: invalid tar header",
        })
    }
}

impl std::error::Error for TarFault {}

impl From<TarFault> for io::Error {
    fn from(fault: TarFault) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, fault)
    }
}

/// The guard's refusal inside an I/O error, if that is what `e` is.
pub fn fault_of(e: &io::Error) -> Option<TarFault> {
    e.get_ref()?.downcast_ref::<TarFault>().copied()
}

/// A tar archive read through the guard. Every tar this crate reads is opened here.
pub fn archive<R: Read>(reader: R) -> tar::Archive<TarGuard<R>> {
    tar::Archive::new(TarGuard::new(reader))
}

/// Where the guard is in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The next bytes are a header.
    Header,
    /// The next bytes are a GNU sparse extension block, then `data` bytes of the entry.
    SparseExtension { data: u64 },
    /// Inside an entry: `data` bytes of content, then `pad` bytes up to the block boundary.
    Body { data: u64, pad: u64 },
    /// After the all-zero block that ends the archive: nothing more is interpreted.
    End,
}

/// See the module docs.
#[derive(Debug)]
pub struct TarGuard<R> {
    inner: R,
    phase: Phase,
    /// The header block being read or served, and how much of it is filled and served.
    block: [u8; BLOCK],
    filled: usize,
    served: usize,
    /// The content of the PAX header being read, to learn the next entry's `size`.
    pax: Option<Vec<u8>>,
    /// The size a PAX header set for the next entry.
    pax_size: Option<u64>,
}

impl<R> TarGuard<R> {
    pub fn new(inner: R) -> TarGuard<R> {
        TarGuard {
            inner,
            phase: Phase::Header,
            block: [0; BLOCK],
            filled: 0,
            served: 0,
            pax: None,
            pax_size: None,
        }
    }

    /// Decides what follows the header block just read, or refuses it.
    fn inspect_header(&mut self) -> Result<Phase, TarFault> {
        if self.block.iter().all(|&b| b == 0) {
            return Ok(Phase::End);
        }
        let header = tar::Header::from_byte_slice(&self.block);
        if header.cksum().ok() != Some(checksum(&self.block)) {
            // The crate refuses a header with a wrong checksum before it looks at anything
            // else; its error is the one to report, so the guard lets the block through.
            return Ok(Phase::End);
        }
        let kind = header.entry_type();
        let size = header.entry_size().map_err(|_| TarFault::InvalidHeader)?;
        let special = kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink();
        if special && size > MAX_SPECIAL {
            return Err(TarFault::FieldTooLong);
        }
        // The crate gathers `x`, `L` and `K` only from headers with a ustar or GNU magic; any
        // other header is an entry of its own and uses up a pending PAX header.
        let recognised = header.as_gnu().is_some() || header.as_ustar().is_some();
        let gathered = recognised
            && (kind.is_pax_local_extensions() || kind.is_gnu_longname() || kind.is_gnu_longlink());
        let data = match (special, gathered) {
            (false, _) => self.pax_size.take().unwrap_or(size),
            (true, false) => {
                self.pax_size = None;
                size
            }
            (true, true) => size,
        };
        if recognised && kind.is_pax_local_extensions() {
            // An empty PAX header sets nothing; a non-empty one is read to learn its `size`.
            self.pax_size = None;
            self.pax = (size > 0).then(|| Vec::with_capacity(size as usize));
        }
        let sparse_extended = !special
            && kind.is_gnu_sparse()
            && header.as_gnu().is_some_and(|gnu| gnu.is_extended());
        match sparse_extended {
            true => Ok(Phase::SparseExtension { data }),
            false => body(data),
        }
    }

    /// After a sparse extension block: another one, or the entry's data.
    fn inspect_extension(&self, data: u64) -> Result<Phase, TarFault> {
        let mut extension = tar::GnuExtSparseHeader::new();
        extension.as_mut_bytes().copy_from_slice(&self.block);
        match extension.is_extended() {
            true => Ok(Phase::SparseExtension { data }),
            false => body(data),
        }
    }

    /// The entry's content is over: a PAX header read in full sets the next entry's size.
    fn end_of_data(&mut self) {
        if let Some(pax) = self.pax.take() {
            self.pax_size = pax_size(&pax);
        }
    }
}

/// A header's checksum as the `tar` crate computes it: the bytes, with the checksum field
/// itself counted as spaces.
fn checksum(block: &[u8; BLOCK]) -> u32 {
    let bytes = block[..148].iter().chain(&block[156..]);
    bytes.map(|&b| u32::from(b)).sum::<u32>() + 8 * u32::from(b' ')
}

/// An entry of `data` bytes, padded to the next block.
fn body(data: u64) -> Result<Phase, TarFault> {
    let pad = (BLOCK as u64 - data % BLOCK as u64) % BLOCK as u64;
    data.checked_add(pad).ok_or(TarFault::InvalidHeader)?;
    Ok(match (data, pad) {
        (0, 0) => Phase::Header,
        _ => Phase::Body { data, pad },
    })
}

/// The `size` record of a PAX header as the `tar` crate reads it: the first one, and none
/// once a record is malformed.
fn pax_size(pax: &[u8]) -> Option<u64> {
    for record in tar::PaxExtensions::new(pax) {
        let record = record.ok()?;
        if record.key() == Ok("size") {
            return record.value().ok()?.parse().ok();
        }
    }
    None
}

impl<R: Read> TarGuard<R> {
    /// Reads the rest of a block; `Ok(false)` at a clean end of the stream.
    fn fill_block(&mut self) -> io::Result<bool> {
        while self.filled < BLOCK {
            match self.inner.read(&mut self.block[self.filled..]) {
                Ok(0) => return Ok(self.filled > 0),
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Reads one header or extension block and decides what follows it.
    fn next_block(&mut self) -> io::Result<bool> {
        self.filled = 0;
        self.served = 0;
        if !self.fill_block()? {
            return Ok(false);
        }
        if self.filled < BLOCK {
            // A truncated archive: pass the short block on and let the reader report it.
            self.phase = Phase::End;
            return Ok(true);
        }
        self.phase = match self.phase {
            Phase::SparseExtension { data } => self.inspect_extension(data)?,
            _ => self.inspect_header()?,
        };
        Ok(true)
    }

    fn read_body(&mut self, buf: &mut [u8], data: u64, pad: u64) -> io::Result<usize> {
        let left = if data > 0 { data } else { pad };
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Ok(0);
        }
        if data > 0 {
            if let Some(pax) = &mut self.pax {
                pax.extend_from_slice(&buf[..n]);
            }
        }
        self.advance(n as u64);
        Ok(n)
    }

    /// Moves `n` bytes through the current entry's content and padding.
    fn advance(&mut self, n: u64) {
        let Phase::Body { data, pad } = self.phase else {
            return;
        };
        let from_data = n.min(data);
        let from_pad = (n - from_data).min(pad);
        let (data, pad) = (data - from_data, pad - from_pad);
        if data == 0 && from_data > 0 {
            self.end_of_data();
        }
        self.phase = match (data, pad) {
            (0, 0) => Phase::Header,
            _ => Phase::Body { data, pad },
        };
    }
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.served < self.filled {
                let n = buf.len().min(self.filled - self.served);
                buf[..n].copy_from_slice(&self.block[self.served..self.served + n]);
                self.served += n;
                return Ok(n);
            }
            match self.phase {
                Phase::End => return self.inner.read(buf),
                Phase::Body { data, pad } => return self.read_body(buf, data, pad),
                Phase::Header | Phase::SparseExtension { .. } => {
                    if !self.next_block()? {
                        return Ok(0);
                    }
                }
            }
        }
    }
}

/// The `tar` crate seeks only to skip an entry's content (`entries_with_seek`); the guard
/// follows, and refuses a seek that would land anywhere but inside or at the end of it.
impl<R: Read + Seek> Seek for TarGuard<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let SeekFrom::Current(delta) = pos else {
            return Err(io::Error::other("the tar guard seeks only forward"));
        };
        if delta == 0 {
            return self.inner.seek(pos);
        }
        let skipping = u64::try_from(delta).ok();
        let left = match self.phase {
            Phase::Body { data, pad } if self.served == self.filled && self.pax.is_none() => {
                data + pad
            }
            Phase::End => u64::MAX,
            _ => 0,
        };
        match skipping.filter(|&n| n <= left) {
            Some(n) => {
                let at = self.inner.seek(pos)?;
                self.advance(n);
                Ok(at)
            }
            None => Err(io::Error::other("tar seek outside the current entry")),
        }
    }
}

#[cfg(test)]
mod tests;
