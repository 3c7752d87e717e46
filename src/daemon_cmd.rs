//! `berth daemon`: the flags of dockerd that berth takes, turned into a
//! `berth_daemon::DaemonConfig`; the daemon itself lives in `berth-daemon`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use berth_daemon::{DaemonConfig, TlsFiles, DEFAULT_HOST, DEFAULT_ROOT};

/// Flags as dockerd spells them.
#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// Daemon socket(s) to listen on: unix:///path or tcp://IP:PORT (tcp needs --tlsverify
    /// unless it is a loopback address).
    #[arg(short = 'H', long = "host", default_value = DEFAULT_HOST)]
    hosts: Vec<String>,
    /// Root directory of persistent state (images, containers).
    #[arg(long, default_value = DEFAULT_ROOT)]
    root: PathBuf,
    /// Require clients to present a certificate signed by --tlscacert (mutual TLS).
    #[arg(long)]
    tlsverify: bool,
    /// Trust certs signed only by this CA.
    #[arg(long)]
    tlscacert: Option<PathBuf>,
    /// Path to the TLS certificate file.
    #[arg(long)]
    tlscert: Option<PathBuf>,
    /// Path to the TLS key file.
    #[arg(long)]
    tlskey: Option<PathBuf>,
    /// Preferred Docker registry mirror (repeatable).
    #[arg(long = "registry-mirror")]
    registry_mirrors: Vec<String>,
    /// Registry that may be reached over plain HTTP or unverified TLS (repeatable).
    #[arg(long = "insecure-registry")]
    insecure_registries: Vec<String>,
    /// Logging level: debug, info, warn, error, fatal.
    #[arg(short = 'l', long = "log-level", default_value = "info")]
    log_level: String,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(args: DaemonArgs) -> anyhow::Result<()> {
    berth_daemon::init_logging(&args.log_level)?;
    let tls = tls_files(&args)?;
    let mut config = DaemonConfig::new(args.root);
    config.hosts = args.hosts;
    config.tls = tls;
    config.registry_mirrors = args.registry_mirrors;
    config.insecure_registries = args.insecure_registries;
    berth_daemon::run(config).context("berth daemon")
}

/// The TLS files, all three with --tlsverify; berth serves TLS only mutually authenticated.
fn tls_files(args: &DaemonArgs) -> anyhow::Result<Option<TlsFiles>> {
    match (&args.tlscacert, &args.tlscert, &args.tlskey, args.tlsverify) {
        (None, None, None, false) => Ok(None),
        (Some(ca), Some(cert), Some(key), true) => Ok(Some(TlsFiles {
            ca: ca.clone(),
            cert: cert.clone(),
            key: key.clone(),
        })),
        _ => bail!(
            "TLS needs all of --tlsverify --tlscacert --tlscert --tlskey: berth serves TCP \
             only with client certificates"
        ),
    }
}
