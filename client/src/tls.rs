//! TLS to a `tcp://` daemon as the docker CLI sets it up: the daemon's certificate checked
//! against `--tlscacert`, and `--tlscert`/`--tlskey` presented for mutual TLS. Built on rustls
//! with the aws-lc-rs provider; PEM files only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// The files of a TLS set-up, as the flags or `DOCKER_CERT_PATH` name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not read CA certificate {path:?}: {source}")]
    Ca {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("failed to add CA certificate from {path:?}: {source}")]
    CaRejected {
        path: PathBuf,
        source: rustls::Error,
    },
    #[error("could not load X509 key pair: {path:?}: {source}")]
    KeyPair {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("could not load X509 key pair: {0}")]
    Rejected(rustls::Error),
    #[error("a CA certificate (--tlscacert) is required to verify the daemon")]
    NoCa,
}

/// A ready client configuration.
#[derive(Debug)]
pub struct TlsSettings {
    config: Arc<rustls::ClientConfig>,
}

impl TlsSettings {
    /// Loads the CA and, when both are given, the client key pair.
    pub fn load(files: &TlsFiles) -> Result<TlsSettings, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let ca = files.ca.as_deref().ok_or(TlsError::NoCa)?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in read_certs(ca).map_err(|source| TlsError::Ca {
            path: ca.to_path_buf(),
            source,
        })? {
            roots.add(cert).map_err(|source| TlsError::CaRejected {
                path: ca.to_path_buf(),
                source,
            })?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Rejected)?
            .with_root_certificates(roots);
        let config = match (&files.cert, &files.key) {
            (Some(cert), Some(key)) => {
                let chain = read_certs(cert).map_err(|source| TlsError::KeyPair {
                    path: cert.clone(),
                    source,
                })?;
                let key =
                    PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::KeyPair {
                        path: key.clone(),
                        source,
                    })?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(TlsError::Rejected)?
            }
            _ => builder.with_no_client_auth(),
        };
        Ok(TlsSettings {
            config: Arc::new(config),
        })
    }

    /// A client session for `host` (a DNS name or an IP address).
    pub fn session(&self, host: &str) -> std::io::Result<rustls::ClientConnection> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        rustls::ClientConnection::new(self.config.clone(), name).map_err(std::io::Error::other)
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, rustls::pki_types::pem::Error> {
    CertificateDer::pem_file_iter(path)?.collect()
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::server::WebPkiClientVerifier;

    use super::*;
    use crate::http::Client;
    use crate::transport::{Endpoint, Host};

    /// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
    fn pki(dir: &Path) -> (TlsFiles, PathBuf, PathBuf) {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let write = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let issue = |name: &str, sans: Vec<String>| {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(sans)
                .unwrap()
                .signed_by(&key, &ca)
                .unwrap();
            (
                write(&format!("{name}.pem"), cert.pem()),
                write(&format!("{name}-key.pem"), key.serialize_pem()),
            )
        };
        let (server_cert, server_key) = issue("server", vec!["127.0.0.1".into()]);
        let (client_cert, client_key) = issue("client", vec!["client".into()]);
        let files = TlsFiles {
            ca: Some(write("ca.pem", ca.pem())),
            cert: Some(client_cert),
            key: Some(client_key),
        };
        (files, server_cert, server_key)
    }

    /// A one-connection TLS server that requires a client certificate and answers `_ping`.
    fn serve(files: &TlsFiles, cert: &Path, key: &Path) -> (u16, std::thread::JoinHandle<bool>) {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for ca in read_certs(files.ca.as_deref().unwrap()).unwrap() {
            roots.add(ca).unwrap();
        }
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                read_certs(cert).unwrap(),
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let thread = std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let session = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut stream = rustls::StreamOwned::new(session, socket);
            let mut line = String::new();
            let mut reader = BufReader::new(&mut stream);
            if reader.read_line(&mut line).is_err() {
                return false;
            }
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {}
            let answer = "HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Length: 2\r\n\r\nOK";
            stream.write_all(answer.as_bytes()).unwrap();
            stream.conn.send_close_notify();
            let _ = stream.flush();
            true
        });
        (port, thread)
    }

    #[test]
    fn mutual_tls_reaches_a_daemon_that_requires_a_client_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (files, cert, key) = pki(dir.path());
        let (port, server) = serve(&files, &cert, &key);
        let endpoint = Endpoint {
            host: Host::Tcp {
                host: "127.0.0.1".into(),
                port,
            },
            tls: Some(Arc::new(TlsSettings::load(&files).unwrap())),
        };
        let ping = Client::with_endpoint(endpoint, "").ping().unwrap();
        assert_eq!(
            (ping.status, ping.header("api-version")),
            (200, Some("1.45"))
        );
        assert!(server.join().unwrap());
    }

    #[test]
    fn without_a_client_certificate_the_daemon_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let (files, cert, key) = pki(dir.path());
        let (port, server) = serve(&files, &cert, &key);
        let anonymous = TlsFiles {
            cert: None,
            key: None,
            ..files
        };
        let endpoint = Endpoint {
            host: Host::Tcp {
                host: "127.0.0.1".into(),
                port,
            },
            tls: Some(Arc::new(TlsSettings::load(&anonymous).unwrap())),
        };
        assert!(Client::with_endpoint(endpoint, "").ping().is_err());
        assert!(!server.join().unwrap());
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let files = TlsFiles {
            ca: Some("/nonexistent/ca.pem".into()),
            ..TlsFiles::default()
        };
        let e = TlsSettings::load(&files).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    }
}
