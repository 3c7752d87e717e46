//! What can go wrong in a client verb, worded as the docker CLI 28 prints it.

use crate::cli::Io;
use crate::http::HttpError;

/// A failed client verb.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("Cannot connect to the Docker daemon at {host}. Is the docker daemon running?")]
    Connect { host: String },
    #[error("Error response from daemon: {message}")]
    Daemon { status: u16, message: String },
    #[error("error during connect: {0}")]
    Http(#[from] HttpError),
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("{0}")]
    Host(#[from] crate::transport::HostError),
    /// A complete message of the CLI's own (`Error: No such object: x`).
    #[error("{0}")]
    Message(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CliError {
    pub fn daemon(response: &crate::http::Response) -> CliError {
        CliError::Daemon {
            status: response.status,
            message: response.message(),
        }
    }

    /// Prints the error on stderr after `prefix` and answers `code`.
    pub fn report(&self, io: &mut Io<'_>, prefix: &str, code: i32) -> i32 {
        let _ = writeln!(io.err, "{prefix}{self}");
        let _ = io.err.flush();
        code
    }
}
