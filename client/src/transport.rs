//! Where a daemon is and how bytes reach it: the `-H` address (`unix://PATH`, `tcp://HOST:PORT`,
//! a bare path), and one [`Connection`] type over a unix socket, plain TCP or TLS over TCP.
//! A [`Dialer`] stands in for the address when the daemon runs in this very process (the
//! harness's embedded engine): each connection is one end of a socket pair whose other end
//! the daemon serves, so every request still goes through the daemon's HTTP routing.
//! It owns only connecting; HTTP framing lives in `http`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use crate::tls::TlsSettings;

/// The daemon address the docker CLI calls the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Unix(PathBuf),
    Tcp {
        host: String,
        port: u16,
    },
    /// A daemon in this process, reached through its dialer.
    InProcess(Dialer),
}

/// Opens a connection to a daemon served in this process (`berth_daemon::InProcess`).
pub trait Dial: Send + Sync {
    fn dial(&self) -> std::io::Result<UnixStream>;
}

/// A shared [`Dial`]; two dialers are the same host when they are the same object.
#[derive(Clone)]
pub struct Dialer(pub Arc<dyn Dial>);

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dialer")
    }
}

impl PartialEq for Dialer {
    fn eq(&self, other: &Dialer) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Dialer {}

/// Why an address could not be parsed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HostError {
    #[error("Invalid bind address format: {0}")]
    Format(String),
    #[error("invalid tcp address {0:?}: a port is required")]
    Port(String),
}

impl FromStr for Host {
    type Err = HostError;

    fn from_str(s: &str) -> Result<Host, HostError> {
        if let Some(path) = s.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(HostError::Format(s.to_string()));
            }
            return Ok(Host::Unix(PathBuf::from(path)));
        }
        if let Some(address) = s.strip_prefix("tcp://") {
            let address = address.trim_end_matches('/');
            let (host, port) = address
                .rsplit_once(':')
                .ok_or_else(|| HostError::Port(s.to_string()))?;
            let port = port.parse().map_err(|_| HostError::Port(s.to_string()))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            return Ok(Host::Tcp {
                host: host.to_string(),
                port,
            });
        }
        if s.starts_with('/') {
            return Ok(Host::Unix(PathBuf::from(s)));
        }
        Err(HostError::Format(s.to_string()))
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Unix(path) => write!(f, "unix://{}", path.display()),
            Host::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Host::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Host::InProcess(_) => f.write_str("in-process"),
        }
    }
}

/// How to reach a daemon: its address plus, for TCP, the TLS settings.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: Host,
    pub tls: Option<Arc<TlsSettings>>,
}

impl Endpoint {
    pub fn unix(path: impl Into<PathBuf>) -> Endpoint {
        Endpoint {
            host: Host::Unix(path.into()),
            tls: None,
        }
    }

    /// A daemon in this process.
    pub fn in_process(dial: Arc<dyn Dial>) -> Endpoint {
        Endpoint {
            host: Host::InProcess(Dialer(dial)),
            tls: None,
        }
    }

    /// Opens one connection.
    pub fn connect(&self) -> std::io::Result<Connection> {
        match (&self.host, &self.tls) {
            (Host::Unix(path), _) => UnixStream::connect(path).map(Connection::Unix),
            (Host::InProcess(dialer), _) => dialer.0.dial().map(Connection::Unix),
            (Host::Tcp { host, port }, None) => {
                let stream = TcpStream::connect((host.as_str(), *port))?;
                stream.set_nodelay(true)?;
                Ok(Connection::Tcp(stream))
            }
            (Host::Tcp { host, port }, Some(tls)) => {
                let stream = TcpStream::connect((host.as_str(), *port))?;
                stream.set_nodelay(true)?;
                let session = tls.session(host)?;
                Ok(Connection::Tls(Box::new(rustls::StreamOwned::new(
                    session, stream,
                ))))
            }
        }
    }
}

/// One open connection to a daemon.
#[derive(Debug)]
pub enum Connection {
    Unix(UnixStream),
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

/// A handle that can close a [`Connection`] from another thread (to cancel a pending `wait`)
/// or end its writing half (stdin closed).
#[derive(Debug)]
pub enum Canceller {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Canceller {
    pub fn shutdown(&self, how: std::net::Shutdown) -> std::io::Result<()> {
        match self {
            Canceller::Unix(s) => s.shutdown(how),
            Canceller::Tcp(s) => s.shutdown(how),
        }
    }

    /// Bounds how long the connection's reads may block (the socket option is shared).
    pub fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
        match self {
            Canceller::Unix(s) => s.set_read_timeout(timeout),
            Canceller::Tcp(s) => s.set_read_timeout(timeout),
        }
    }
}

impl Connection {
    pub fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
        match self {
            Connection::Unix(s) => s.set_read_timeout(timeout),
            Connection::Tcp(s) => s.set_read_timeout(timeout),
            Connection::Tls(s) => s.sock.set_read_timeout(timeout),
        }
    }

    /// A second handle on the underlying socket, for shutting it down from elsewhere.
    pub fn canceller(&self) -> std::io::Result<Canceller> {
        match self {
            Connection::Unix(s) => s.try_clone().map(Canceller::Unix),
            Connection::Tcp(s) => s.try_clone().map(Canceller::Tcp),
            Connection::Tls(s) => s.sock.try_clone().map(Canceller::Tcp),
        }
    }

    /// A second, independent handle for writing while another thread reads (attach with
    /// stdin). TLS state cannot be shared between threads, so TLS has none.
    pub fn try_clone_plain(&self) -> Option<Connection> {
        match self {
            Connection::Unix(s) => s.try_clone().ok().map(Connection::Unix),
            Connection::Tcp(s) => s.try_clone().ok().map(Connection::Tcp),
            Connection::Tls(_) => None,
        }
    }

    pub fn shutdown(&mut self, how: std::net::Shutdown) -> std::io::Result<()> {
        match self {
            Connection::Unix(s) => s.shutdown(how),
            Connection::Tcp(s) => s.shutdown(how),
            Connection::Tls(s) => {
                s.conn.send_close_notify();
                s.flush()?;
                s.sock.shutdown(how)
            }
        }
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Connection::Unix(s) => s.read(buf),
            Connection::Tcp(s) => s.read(buf),
            // A daemon that closes without close_notify ends the stream; treat it as EOF as
            // Go's TLS client does.
            Connection::Tls(s) => match s.read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            },
        }
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Connection::Unix(s) => s.write(buf),
            Connection::Tcp(s) => s.write(buf),
            Connection::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Connection::Unix(s) => s.flush(),
            Connection::Tcp(s) => s.flush(),
            Connection::Tls(s) => s.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_the_docker_cli_takes_them() {
        assert_eq!(
            "unix:///run/berth/berth.sock".parse(),
            Ok(Host::Unix("/run/berth/berth.sock".into()))
        );
        assert_eq!(
            "tcp://127.0.0.1:2376".parse(),
            Ok(Host::Tcp {
                host: "127.0.0.1".into(),
                port: 2376
            })
        );
        assert!(matches!("tcp://x".parse::<Host>(), Err(HostError::Port(_))));
        assert!(matches!(
            "ftp://x".parse::<Host>(),
            Err(HostError::Format(_))
        ));
        let h: Host = "tcp://[::1]:2375".parse().unwrap();
        assert_eq!(h.to_string(), "tcp://[::1]:2375");
    }
}
