//! The readers that hash content while it streams past (a blob as it is stored, a layer as it
//! is inflated) and the tee that stores a blob while the same bytes are unpacked. The digest
//! type itself, its parsing and the ChainID formula are berth-core's, re-exported here for the
//! store's modules. Nothing here touches the filesystem.

use std::io::{self, Read, Write};

pub use berth_core::digest::{chain_ids, Digest, DigestError, Hasher};

/// A reader that hashes every byte it hands out.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: Hasher::default(),
        }
    }

    /// Reads what is left so the digest covers the whole stream, then returns digest and length.
    pub fn finish(mut self) -> io::Result<(Digest, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let len = self.hasher.len();
        Ok((self.hasher.finish(), len))
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A reader that copies every byte it hands out into a writer (the blob being stored while the
/// same bytes are unpacked), so a layer crosses the network and the disk once.
#[derive(Debug)]
pub struct TeeReader<R, W> {
    inner: R,
    copy: W,
}

impl<R: Read, W: Write> TeeReader<R, W> {
    pub fn new(inner: R, copy: W) -> TeeReader<R, W> {
        TeeReader { inner, copy }
    }

    pub fn into_parts(self) -> (R, W) {
        (self.inner, self.copy)
    }
}

impl<R: Read, W: Write> Read for TeeReader<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_reader_finish_covers_unread_bytes() {
        let mut reader = HashingReader::new(&b"hello world"[..]);
        let mut first = [0u8; 5];
        reader.read_exact(&mut first).unwrap();
        let (digest, len) = reader.finish().unwrap();
        assert_eq!(digest, Digest::of(b"hello world"));
        assert_eq!(len, 11);
    }

    #[test]
    fn tee_reader_copies_what_it_hands_out() {
        let mut copy = Vec::new();
        let mut tee = TeeReader::new(&b"layer"[..], &mut copy);
        let mut out = Vec::new();
        tee.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"layer");
        let (_, copy) = tee.into_parts();
        assert_eq!(copy.as_slice(), b"layer");
    }
}
