//! Docker's multiplexed stream framing (attach and logs without a TTY): an 8-byte header
//! `[stream, 0, 0, 0, big-endian u32 length]` before each payload; stream 1 is stdout and 2
//! stderr. Splits a whole buffer, or copies a live stream to two writers frame by frame.

use std::io::{Read, Write};

/// Which stream a multiplexed frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    Stdout,
    Stderr,
}

impl Frame {
    fn of(byte: u8) -> Frame {
        if byte == 2 {
            Frame::Stderr
        } else {
            Frame::Stdout
        }
    }
}

/// Splits Docker's multiplexed stream (8-byte header: stream, 0, 0, 0, big-endian length).
pub fn demultiplex(mut bytes: &[u8]) -> Vec<(Frame, Vec<u8>)> {
    let mut frames = Vec::new();
    while bytes.len() >= 8 {
        let length = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let end = (8 + length).min(bytes.len());
        frames.push((Frame::of(bytes[0]), bytes[8..end].to_vec()));
        bytes = &bytes[end..];
    }
    frames
}

/// Copies a multiplexed stream to `stdout` and `stderr` as frames arrive, flushing each, until
/// the stream ends. A stream cut inside a frame ends the copy as the docker CLI does.
pub fn copy_demultiplexed(
    mut input: impl Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let mut header = [0u8; 8];
    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        if !read_full(&mut input, &mut header)? {
            return Ok(());
        }
        let mut left = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let out: &mut dyn Write = match Frame::of(header[0]) {
            Frame::Stdout => &mut *stdout,
            Frame::Stderr => &mut *stderr,
        };
        while left > 0 {
            let want = left.min(buffer.len());
            let read = input.read(&mut buffer[..want])?;
            if read == 0 {
                return Ok(());
            }
            out.write_all(&buffer[..read])?;
            left -= read;
        }
        out.flush()?;
    }
}

/// Fills `buf`; `false` when the stream ended before any byte of it.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut bytes = vec![1, 0, 0, 0, 0, 0, 0, 3];
        bytes.extend_from_slice(b"hi\n");
        bytes.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 2]);
        bytes.extend_from_slice(b"e\n");
        bytes
    }

    #[test]
    fn frames_split_by_their_headers() {
        let frames = demultiplex(&sample());
        assert_eq!(
            frames,
            vec![
                (Frame::Stdout, b"hi\n".to_vec()),
                (Frame::Stderr, b"e\n".to_vec())
            ]
        );
    }

    #[test]
    fn a_live_stream_goes_to_two_writers() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let bytes = sample();
        let reader = std::io::Read::chain(&bytes[..], &[1u8, 0, 0][..]);
        copy_demultiplexed(reader, &mut out, &mut err).unwrap();
        assert_eq!(out, b"hi\n");
        assert_eq!(err, b"e\n");
    }
}
