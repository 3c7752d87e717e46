//! Docker's stream framing for attach and logs: without a TTY each chunk is a frame with an
//! 8-byte header (`[stream, 0, 0, 0, big-endian u32 length]`, stream 1 stdout, 2 stderr);
//! with a TTY the bytes go raw. From API 1.42 the `Content-Type` names which one it is.

use berth_runtime::engine::Stream;
use bytes::{BufMut, Bytes, BytesMut};

use crate::versions::ApiVersion;

pub const MULTIPLEXED: &str = "application/vnd.docker.multiplexed-stream";
pub const RAW: &str = "application/vnd.docker.raw-stream";

/// The stream's content type for `v` (older versions say `raw-stream` for both).
pub fn content_type(v: ApiVersion, tty: bool) -> &'static str {
    match v.has_stream_content_type() && !tty {
        true => MULTIPLEXED,
        false => RAW,
    }
}

/// One chunk as the client reads it.
pub fn frame(tty: bool, stream: Stream, payload: &[u8]) -> Bytes {
    if tty {
        return Bytes::copy_from_slice(payload);
    }
    let mut out = BytesMut::with_capacity(8 + payload.len());
    out.put_u8(match stream {
        Stream::Stdout => 1,
        Stream::Stderr => 2,
    });
    out.put_slice(&[0, 0, 0]);
    out.put_u32(payload.len() as u32);
    out.put_slice(payload);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_dockers_header() {
        assert_eq!(
            &frame(false, Stream::Stderr, b"hi")[..],
            &[2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']
        );
        assert_eq!(&frame(true, Stream::Stderr, b"hi")[..], b"hi");
        assert_eq!(content_type(ApiVersion(41), false), RAW);
        assert_eq!(content_type(ApiVersion(42), false), MULTIPLEXED);
    }
}
