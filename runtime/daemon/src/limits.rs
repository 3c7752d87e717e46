//! The daemon's bounds on what clients may hold: how long a client may take to send a
//! request's headers (which also closes idle keep-alive connections), a JSON body, and a TLS
//! handshake, and how many connections may be open at once. The connection cap follows the
//! open-file limit, which [`raise_open_files`] lifts to its hard maximum at start, as Go 1.19+
//! programs (dockerd among them) do. It owns these numbers, never a socket.

use std::time::Duration;

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// How long a client may take to send a request's headers; hyper's default, and far below
/// dockerd's five minutes, which leave a slow-headers client holding a connection that long.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may take to send a JSON body (at most [`crate::request::BODY_LIMIT`]
/// bytes) once its headers arrived.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a TLS client may take to finish its handshake (what Go's clients allow).
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The most connections ever open at once. One that has sent nothing costs a socket and about
/// 1.6 KiB (10,000 idle ones: 16 MB); one being served holds hyper's buffers, about 17 KiB, so
/// that a client that opens this many and sends one byte on each holds the daemon under
/// ~220 MB until the header timeout closes them.
const MAX_CONNECTIONS: usize = 12288;
/// Never fewer than this, however low the open-file limit.
const MIN_CONNECTIONS: usize = 16;
/// Descriptors kept for everything but connections: the store, container pipes and pidfds,
/// TLS files, the registry client.
const RESERVED_FILES: u64 = 256;

/// The bounds one daemon applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub tls_handshake_timeout: Duration,
    /// Open connections (hijacked attach and exec streams included); at the cap the daemon
    /// accepts again only once one closes. `None`: derived from the open-file limit.
    pub max_connections: Option<usize>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            tls_handshake_timeout: TLS_HANDSHAKE_TIMEOUT,
            max_connections: None,
        }
    }
}

impl Limits {
    /// The connection cap: as configured, or what the open-file limit leaves after
    /// [`RESERVED_FILES`], within [`MIN_CONNECTIONS`]..=[`MAX_CONNECTIONS`].
    pub fn connections(&self) -> usize {
        self.max_connections
            .unwrap_or_else(|| cap_for(getrlimit(Resource::Nofile).current))
            .max(1)
    }
}

fn cap_for(open_files: Option<u64>) -> usize {
    let Some(open_files) = open_files else {
        return MAX_CONNECTIONS;
    };
    let share = open_files.saturating_sub(RESERVED_FILES);
    usize::try_from(share)
        .unwrap_or(usize::MAX)
        .clamp(MIN_CONNECTIONS, MAX_CONNECTIONS)
}

/// Lifts the soft open-file limit to the hard one, as the Go runtime does at start for
/// dockerd; answers the limit in force (`None`: unlimited). A refusal keeps the old limit.
pub fn raise_open_files() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return limit.current;
    }
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => {
            tracing::debug!(
                "raised the open-file limit from {:?} to {:?}",
                limit.current,
                limit.maximum
            );
            limit.maximum
        }
        Err(e) => {
            tracing::warn!("could not raise the open-file limit: {e}");
            limit.current
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_follows_the_open_file_limit() {
        assert_eq!(cap_for(Some(1024)), 768);
        assert_eq!(cap_for(Some(64)), MIN_CONNECTIONS);
        assert_eq!(cap_for(Some(1 << 20)), MAX_CONNECTIONS);
        assert_eq!(cap_for(None), MAX_CONNECTIONS);
        let fixed = Limits {
            max_connections: Some(3),
            ..Limits::default()
        };
        assert_eq!(fixed.connections(), 3);
    }
}
