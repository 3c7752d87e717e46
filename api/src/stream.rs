//! Stream frames: the JSON messages of a pull's progress stream, and the 8-byte header of
//! Docker's multiplexed attach and logs streams (`stdcopy`).

use serde::{Deserialize, Serialize};

/// One line of a pull's (or load's) progress stream (Go's `jsonmessage.JSONMessage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgressMessage {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(rename = "progressDetail", skip_serializing_if = "Option::is_none")]
    pub progress_detail: Option<ProgressDetail>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub progress: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(rename = "errorDetail", skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<ErrorDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `progressDetail`: bytes done of a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgressDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// `errorDetail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    pub message: String,
}

/// The first `error` of a progress stream (one JSON message a line), if any.
pub fn first_error(body: &[u8]) -> Option<String> {
    messages(body).find_map(|m| m.error)
}

/// The messages of a progress stream; a line that is not a message is skipped.
pub fn messages(body: &[u8]) -> impl Iterator<Item = ProgressMessage> + '_ {
    body.split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| serde_json::from_slice(line).ok())
}

/// Which stream a multiplexed frame carries (the header's first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdStream {
    Stdin,
    Stdout,
    Stderr,
}

/// The 8-byte header before each multiplexed frame: `[stream, 0, 0, 0, big-endian u32 length]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub stream: StdStream,
    pub length: u32,
}

impl FrameHeader {
    pub const LEN: usize = 8;

    /// Reads a header; any stream byte but 0 and 2 counts as stdout, as the docker CLI's
    /// reader treats it.
    pub fn parse(bytes: [u8; 8]) -> FrameHeader {
        let stream = match bytes[0] {
            0 => StdStream::Stdin,
            2 => StdStream::Stderr,
            _ => StdStream::Stdout,
        };
        FrameHeader {
            stream,
            length: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        }
    }

    pub fn encode(self) -> [u8; 8] {
        let stream = match self.stream {
            StdStream::Stdin => 0,
            StdStream::Stdout => 1,
            StdStream::Stderr => 2,
        };
        let [a, b, c, d] = self.length.to_be_bytes();
        [stream, 0, 0, 0, a, b, c, d]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_errors_are_found_in_the_progress_stream() {
        let body = b"{\"status\":\"Pulling\"}\n{\"error\":\"manifest unknown\"}\n";
        assert_eq!(first_error(body), Some("manifest unknown".into()));
        assert_eq!(first_error(b"{\"status\":\"Done\"}\n"), None);
    }

    #[test]
    fn frame_headers_round_trip() {
        let header = FrameHeader {
            stream: StdStream::Stderr,
            length: 258,
        };
        assert_eq!(header.encode(), [2, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(FrameHeader::parse(header.encode()), header);
    }
}
