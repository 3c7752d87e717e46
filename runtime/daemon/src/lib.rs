//! berth-daemon: the Docker Engine API served over berth-runtime.
//!
//! A request goes through three steps, as in Firecracker's API server: the routing table
//! (`router.rs`) names the endpoint, `request.rs` parses its query and body into a typed
//! [`request::Request`] (every 400 is decided there), and `handlers::execute` runs it on the
//! backend and shapes Docker's answer (`json/`). Handlers reach the engine only through
//! berth-runtime's `Backend` trait (`Arc<dyn Backend>`), so their logic is unit-tested against
//! a fake backend without root (`handlers/tests.rs`). The request's time is read once, when it
//! arrives (`server.rs`), and passed to the parser and the handlers. Errors become HTTP statuses in one function
//! (`error::status`). Listeners (`listen.rs`) are unix sockets and TCP with mutual TLS,
//! served under the bounds of `limits.rs` (header and TLS deadlines, a connection cap, accept
//! back-off; `accept.rs`), so that no client can stall the daemon. The engine is synchronous:
//! its short calls run on blocking threads, while everything that waits on a container (wait,
//! stop, attach, exec, logs -f) is awaited and holds no thread. Every parser of client input
//! is linear (or O(pattern × subject)) and total. [`InProcess`] serves the same pipeline
//! inside the caller's process over socket pairs (the harness's embedded engine). The crate
//! never depends on the reference model.

#![recursion_limit = "512"]

mod accept;
mod body;
pub mod error;
mod filters;
mod framing;
/// The request parsing the fuzz targets drive (`fuzz/`); not an interface.
#[doc(hidden)]
pub mod fuzzing;
mod goparse;
mod handlers;
mod in_process;
mod json;
pub mod limits;
pub mod listen;
mod log_config;
mod path_match;
mod request;
mod resources;
mod router;
mod server;
mod stream;
mod until;
mod versions;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use berth_runtime::backend::Backend;
use berth_runtime::engine::{Engine, EngineOptions};
use berth_runtime::pull::{Client, ClientConfig, Platform};

pub use error::DaemonError;
pub use in_process::InProcess;
pub use limits::Limits;
pub use listen::TlsFiles;
pub use versions::{ApiVersion, MAX as MAX_API_VERSION, MIN as MIN_API_VERSION};

/// The default socket, as `-H` defaults to.
pub const DEFAULT_HOST: &str = "unix:///run/berth/berth.sock";
/// The default root, as `--root` defaults to.
pub const DEFAULT_ROOT: &str = "/var/lib/berth";
/// How long shutdown waits for each container's SIGTERM before SIGKILL.
const SHUTDOWN_STOP: Duration = Duration::from_secs(10);

/// Everything `berth daemon` is told on its command line.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// `-H`: `unix:///path` or `tcp://host:port`.
    pub hosts: Vec<String>,
    pub root: PathBuf,
    /// `--tlsverify --tlscacert --tlscert --tlskey`: mutual TLS for `tcp://` hosts.
    pub tls: Option<TlsFiles>,
    pub registry_mirrors: Vec<String>,
    pub insecure_registries: Vec<String>,
    /// The cgroup parent of the containers (tests use their own).
    pub cgroup_parent: PathBuf,
    /// Timeouts and the connection cap.
    pub limits: Limits,
}

impl DaemonConfig {
    pub fn new(root: PathBuf) -> DaemonConfig {
        DaemonConfig {
            hosts: vec![DEFAULT_HOST.into()],
            root,
            tls: None,
            registry_mirrors: Vec::new(),
            insecure_registries: Vec::new(),
            cgroup_parent: PathBuf::from("berth"),
            limits: Limits::default(),
        }
    }
}

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Context {
    pub backend: Arc<dyn Backend>,
    /// Made at the first pull: an idle daemon does not carry an HTTP client's TLS roots.
    registry: OnceLock<Client>,
    pub platform: Platform,
    pub config: DaemonConfig,
}

impl Context {
    pub fn new(backend: Arc<dyn Backend>, config: DaemonConfig) -> Context {
        Context {
            backend,
            registry: OnceLock::new(),
            platform: Platform::host(),
            config,
        }
    }

    /// The registry client, with the daemon's mirrors and insecure registries.
    pub fn registry(&self) -> Result<&Client, DaemonError> {
        if let Some(client) = self.registry.get() {
            return Ok(client);
        }
        let client = Client::new(ClientConfig {
            mirrors: self.config.registry_mirrors.clone(),
            insecure_registries: self.config.insecure_registries.clone(),
            ..ClientConfig::default()
        })
        .map_err(|e| DaemonError::Registry {
            reason: e.to_string(),
        })?;
        Ok(self.registry.get_or_init(|| client))
    }
}

/// Opens the engine, binds every host, and serves until `shutdown` resolves; then stops
/// accepting, stops the running containers and returns.
pub async fn serve(
    config: DaemonConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), DaemonError> {
    let listeners = listen::bind_all(&config.hosts, config.tls.as_ref()).await?;
    let engine = match open_engine(&config).await {
        Ok(engine) => engine,
        Err(e) => {
            // A root another daemon has open (or any failure to open it) must not leave this
            // daemon's sockets behind.
            drop(listeners);
            for path in listen::unix_paths(&config.hosts) {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    let engine = Arc::new(engine);
    let context = Arc::new(Context::new(
        Arc::clone(&engine) as Arc<dyn Backend>,
        config,
    ));
    tracing::info!(hosts = ?context.config.hosts, "berth daemon serving API {}", versions::MAX);
    let limits = context.config.limits;
    let mut accepting = accept::accept_all(listeners, Arc::clone(&context), limits);
    shutdown.await;
    tracing::info!("shutting down: no new connections, stopping containers");
    accepting.abort_all();
    for path in listen::unix_paths(&context.config.hosts) {
        let _ = std::fs::remove_file(path);
    }
    drop(context);
    tokio::task::spawn_blocking(move || stop_all(engine))
        .await
        .map_err(|e| DaemonError::Engine {
            root: PathBuf::new(),
            reason: e.to_string(),
        })
}

async fn open_engine(config: &DaemonConfig) -> Result<Engine, DaemonError> {
    let mut options = EngineOptions::new(&config.root);
    options.cgroup_parent = config.cgroup_parent.clone();
    let root = config.root.clone();
    tokio::task::spawn_blocking(move || Engine::open(options))
        .await
        .map_err(|e| DaemonError::Engine {
            root: root.clone(),
            reason: e.to_string(),
        })?
        .map_err(|e| DaemonError::Engine {
            root,
            reason: e.to_string(),
        })
}

/// Stops every running container. The engine is closed when this was its last user; a
/// handler still holding it (a client mid-request) gets its containers stopped one by one.
fn stop_all(engine: Arc<Engine>) {
    match Arc::try_unwrap(engine) {
        Ok(engine) => engine.shutdown(SHUTDOWN_STOP),
        Err(engine) => {
            for c in engine.ps(false) {
                let _ = engine.stop(c.config.id.as_str(), SHUTDOWN_STOP);
            }
        }
    }
}

/// `berth daemon`: serves on a new runtime until SIGTERM or SIGINT. The soft open-file limit
/// is raised to the hard one first, as dockerd's Go runtime raises it.
pub fn run(config: DaemonConfig) -> Result<(), DaemonError> {
    limits::raise_open_files();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(256)
        .enable_all()
        .build()
        .map_err(|e| DaemonError::io("start", "tokio runtime", e))?;
    let served = runtime.block_on(serve(config, signalled()));
    // Clients still connected hold tasks and, for a moment, blocking threads (waits slice at
    // one second); the containers are already stopped, so do not wait long for them.
    runtime.shutdown_timeout(Duration::from_secs(2));
    served
}

/// Resolves at the first SIGTERM or SIGINT.
async fn signalled() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// `-l/--log-level` as dockerd takes it: `debug`, `info`, `warn`, `error`, `fatal`.
pub fn init_logging(level: &str) -> Result<(), DaemonError> {
    let level = match level {
        "trace" => tracing::Level::TRACE,
        "debug" => tracing::Level::DEBUG,
        "info" => tracing::Level::INFO,
        "warn" | "warning" => tracing::Level::WARN,
        "error" | "fatal" | "panic" => tracing::Level::ERROR,
        other => {
            return Err(DaemonError::LogLevel {
                level: other.to_string(),
            })
        }
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init()
        .map_err(|e| DaemonError::LogLevel {
            level: e.to_string(),
        })
}
