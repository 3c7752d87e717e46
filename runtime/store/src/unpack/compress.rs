//! Which compression a layer stream uses, told by its first bytes (as Docker's
//! `DetectCompression` does), and the streaming decoder for it. It owns only that choice; it
//! never buffers more than a read-ahead window.

use std::fmt;
use std::io::{self, BufRead, Read};

/// The compressions berth reads. Docker also reads bzip2 and xz; no registry serves those for
/// image layers, so they are recognised only to be refused with a clear message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        })
    }
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const BZIP2: &[u8] = b"BZh";
const XZ: &[u8] = &[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/// What the first bytes say: a known compression, or the name of one berth does not read.
pub fn detect(head: &[u8]) -> Result<Compression, &'static str> {
    if head.starts_with(GZIP) {
        Ok(Compression::Gzip)
    } else if head.starts_with(ZSTD) {
        Ok(Compression::Zstd)
    } else if head.starts_with(BZIP2) {
        Err("bzip2")
    } else if head.starts_with(XZ) {
        Err("xz")
    } else {
        Ok(Compression::None)
    }
}

/// Reads the stream's first bytes (enough for any magic number), retrying short reads so a
/// stream delivered a few bytes at a time is still recognised. The caller chains them back.
pub fn read_head<R: Read>(reader: &mut R) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; XZ.len()];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok(head)
}

/// A decoder reading `input` as `compression`. Gzip members are read back to back, as Go's
/// `gzip.Reader` does, so a multi-member layer hashes and unpacks like Docker's.
pub fn decoder<'a, R: BufRead + 'a>(
    compression: Compression,
    input: R,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(input),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(input)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn magic_numbers_pick_the_decoder() {
        assert_eq!(detect(&[0x1f, 0x8b, 8]), Ok(Compression::Gzip));
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd]), Ok(Compression::Zstd));
        assert_eq!(detect(b"etc/\0\0"), Ok(Compression::None));
        assert_eq!(detect(b""), Ok(Compression::None));
        assert_eq!(detect(b"BZh91AY"), Err("bzip2"));
    }

    #[test]
    fn gzip_and_zstd_round_trip() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"payload").unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&b"payload"[..], 1).unwrap();
        for (bytes, kind) in [(gz, Compression::Gzip), (zs, Compression::Zstd)] {
            let mut input = &bytes[..];
            let head = read_head(&mut input).unwrap();
            assert_eq!(detect(&head), Ok(kind));
            let whole = io::BufReader::new(io::Cursor::new(head).chain(input));
            let mut out = Vec::new();
            decoder(kind, whole).unwrap().read_to_end(&mut out).unwrap();
            assert_eq!(out, b"payload");
        }
    }
}
