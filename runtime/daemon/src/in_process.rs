//! The daemon served inside its caller's process, for the harness's embedded engine: the same
//! context, routing, handlers, JSON and error mapping as `berth daemon`, with no listening
//! socket. Each [`InProcess::connect`] makes a socket pair and serves one end as one HTTP/1
//! connection (upgrades included), so a client speaks to it exactly as to a daemon's socket.
//! There is no connection cap and no header deadline: the only client is the caller.

use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use berth_runtime::backend::Backend;
use berth_runtime::engine::Engine;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::{Context, DaemonConfig, DaemonError};

/// A daemon serving an already open engine from its own tokio runtime.
#[derive(Debug)]
pub struct InProcess {
    ctx: Arc<Context>,
    engine: Arc<Engine>,
    runtime: tokio::runtime::Runtime,
}

impl InProcess {
    /// Serves `engine` with `config`'s registry settings (its hosts and TLS are not used).
    pub fn new(engine: Engine, config: DaemonConfig) -> Result<InProcess, DaemonError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| DaemonError::io("start", "tokio runtime", e))?;
        let engine = Arc::new(engine);
        let backend: Arc<dyn Backend> = engine.clone();
        let ctx = Arc::new(Context::new(backend, config));
        Ok(InProcess {
            ctx,
            engine,
            runtime,
        })
    }

    /// The engine the daemon serves (for callers that also drive it directly).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A new connection: the returned end is the client's, the other is served from now on.
    pub fn connect(&self) -> std::io::Result<UnixStream> {
        let (client, server) = UnixStream::pair()?;
        server.set_nonblocking(true)?;
        let _entered = self.runtime.enter();
        let server = tokio::net::UnixStream::from_std(server)?;
        self.runtime.spawn(serve(Arc::clone(&self.ctx), server));
        Ok(client)
    }

    /// Stops the engine's containers (each given `grace` before SIGKILL) and the runtime.
    pub fn shutdown(self, grace: Duration) {
        let InProcess {
            ctx,
            engine,
            runtime,
        } = self;
        runtime.shutdown_timeout(Duration::from_secs(1));
        drop(ctx);
        if let Ok(engine) = Arc::try_unwrap(engine) {
            engine.shutdown(grace);
        }
    }
}

async fn serve(ctx: Arc<Context>, stream: tokio::net::UnixStream) {
    let service = service_fn(move |req| {
        let ctx = Arc::clone(&ctx);
        async move {
            let response = crate::server::handle(ctx, req).await;
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
    if let Err(e) = served {
        tracing::debug!("in-process connection: {e}");
    }
}
