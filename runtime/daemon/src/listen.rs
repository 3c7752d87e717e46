//! Listeners: `-H unix:///path` (mode 0660, parent directory created, a stale socket of a dead
//! daemon replaced, a live one refused) and `-H tcp://host:port`, which is served only with
//! mutual TLS (a client certificate signed by `--tlscacert` is required), or in plain text
//! only when bound to loopback. It owns binding and the TLS handshake set-up; it never reads
//! a request.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::TlsAcceptor;

use crate::error::DaemonError;

/// `--tlscacert --tlscert --tlskey`, with `--tlsverify`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A bound listener.
pub enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
    Tls(TcpListener, TlsAcceptor),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Listener::Unix(_) => "Listener::Unix",
            Listener::Tcp(_) => "Listener::Tcp",
            Listener::Tls(..) => "Listener::Tls",
        })
    }
}

/// What a `-H` value names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl Host {
    pub fn parse(host: &str) -> Result<Host, DaemonError> {
        let bad = |reason: &str| DaemonError::Host {
            host: host.into(),
            reason: reason.into(),
        };
        if let Some(path) = host.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(bad("a unix socket path must be absolute"));
            }
            return Ok(Host::Unix(PathBuf::from(path)));
        }
        if let Some(addr) = host.strip_prefix("tcp://") {
            let addr = addr.trim_end_matches('/');
            return addr
                .parse()
                .map(Host::Tcp)
                .map_err(|_| bad("expected tcp://IP:PORT"));
        }
        Err(bad("only unix:// and tcp:// hosts are supported"))
    }
}

/// The socket paths of the unix hosts, to remove at shutdown.
pub fn unix_paths(hosts: &[String]) -> Vec<PathBuf> {
    hosts
        .iter()
        .filter_map(|h| match Host::parse(h) {
            Ok(Host::Unix(p)) => Some(p),
            _ => None,
        })
        .collect()
}

/// Binds every host; nothing is served until all are bound. Every host is parsed before any is
/// bound, and TCP hosts are bound before unix sockets: a client (or a script) that waits for the
/// unix socket to accept a connection then finds every listener up.
pub async fn bind_all(
    hosts: &[String],
    tls: Option<&TlsFiles>,
) -> Result<Vec<Listener>, DaemonError> {
    let parsed = hosts
        .iter()
        .map(|h| Ok((h, Host::parse(h)?)))
        .collect::<Result<Vec<_>, DaemonError>>()?;
    let (tcp, unix): (Vec<_>, Vec<_>) = parsed
        .into_iter()
        .partition(|(_, h)| matches!(h, Host::Tcp(_)));
    let mut listeners = Vec::with_capacity(hosts.len());
    for (host, parsed) in tcp.into_iter().chain(unix) {
        listeners.push(match parsed {
            Host::Unix(path) => Listener::Unix(bind_unix(&path)?),
            Host::Tcp(addr) => bind_tcp(host, addr, tls).await?,
        });
    }
    Ok(listeners)
}

fn bind_unix(path: &Path) -> Result<UnixListener, DaemonError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DaemonError::io("create", dir, e))?;
    }
    if path.exists() {
        // A socket someone answers on belongs to a live daemon; one nobody answers on is
        // what a killed daemon left behind.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(DaemonError::SocketInUse { path: path.into() });
        }
        std::fs::remove_file(path).map_err(|e| DaemonError::io("remove", path, e))?;
    }
    let listener = UnixListener::bind(path).map_err(|e| DaemonError::io("bind", path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
        .map_err(|e| DaemonError::io("chmod", path, e))?;
    Ok(listener)
}

async fn bind_tcp(
    host: &str,
    addr: SocketAddr,
    tls: Option<&TlsFiles>,
) -> Result<Listener, DaemonError> {
    let acceptor = match tls {
        Some(files) => Some(acceptor(files)?),
        None if addr.ip().is_loopback() => None,
        None => {
            return Err(DaemonError::Host {
                host: host.into(),
                reason: "refusing to serve the API on a non-loopback TCP address without TLS: \
                         anyone who can reach it would control the host as root; \
                         use --tlsverify --tlscacert --tlscert --tlskey, or a unix socket"
                    .into(),
            })
        }
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| DaemonError::io("bind", host, e))?;
    Ok(match acceptor {
        Some(a) => Listener::Tls(listener, a),
        None => Listener::Tcp(listener),
    })
}

/// A TLS acceptor that requires a client certificate signed by the CA.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, DaemonError> {
    let tls = |what: &str, path: &Path, e: &dyn std::fmt::Display| DaemonError::Tls {
        reason: format!("{what} {}: {e}", path.display()),
    };
    let certs = |path: &Path| -> Result<Vec<CertificateDer<'static>>, DaemonError> {
        CertificateDer::pem_file_iter(path)
            .and_then(|i| i.collect::<Result<Vec<_>, _>>())
            .map_err(|e| tls("reading certificates from", path, &e))
    };
    let mut roots = RootCertStore::empty();
    for ca in certs(&files.ca)? {
        roots
            .add(ca)
            .map_err(|e| tls("adding the CA of", &files.ca, &e))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| tls("client verifier for", &files.ca, &e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| tls("reading the key", &files.key, &e))?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls("protocol versions for", &files.cert, &e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(&files.cert)?, key)
        .map_err(|e| tls("using the certificate", &files.cert, &e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_parse() {
        assert_eq!(
            Host::parse("unix:///run/x.sock").unwrap(),
            Host::Unix("/run/x.sock".into())
        );
        assert_eq!(
            Host::parse("tcp://127.0.0.1:2376").unwrap(),
            Host::Tcp("127.0.0.1:2376".parse().unwrap())
        );
        assert!(Host::parse("fd://").is_err() && Host::parse("unix://rel").is_err());
    }
}
