//! berth-core: the vocabulary every runtime crate shares. It owns the error kinds (the same
//! set the model and the harness use, each mapping to one HTTP status) and the runtime's one
//! [`Timestamp`], [`Reference`] and [`Digest`], each in a file of its own. It must stay small
//! and free of I/O (only `Timestamp::now` reads the clock) so that every other runtime crate
//! can depend on it. Beside them, Go's JSON syntax errors
//! ([`go_json`]), which dockerd and the docker CLI both print. What is printed for humans
//! (go-units, Go's number formats, the calendar) is the pure crate berth-format, which this
//! crate builds on.

use std::fmt;

pub mod digest;
pub mod go_json;
pub mod reference;
pub mod time;

pub use digest::{Digest, DigestError};
pub use reference::{Reference, ReferenceError};
pub use time::{TimeError, Timestamp};

/// What kind of failure an error is, independent of its wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    NotFound,
    InvalidParameter,
    Conflict,
    Unauthorized,
    Forbidden,
    Unavailable,
    NotModified,
    NotImplemented,
    System,
}

impl ErrorKind {
    /// The HTTP status the Engine API answers with for this kind.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::NotFound => 404,
            ErrorKind::InvalidParameter => 400,
            ErrorKind::Conflict => 409,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::Unavailable => 503,
            ErrorKind::NotModified => 304,
            ErrorKind::NotImplemented => 501,
            ErrorKind::System => 500,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Every runtime error answers what kind it is.
pub trait Kind {
    fn kind(&self) -> ErrorKind;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_dockers_statuses() {
        assert_eq!(ErrorKind::NotFound.http_status(), 404);
        assert_eq!(ErrorKind::Conflict.http_status(), 409);
        assert_eq!(ErrorKind::NotModified.http_status(), 304);
    }
}
