//! `execute`: runs a typed request on the backend (the engine, or a fake in the unit tests of
//! `tests.rs`) and shapes Docker's answer. The backend's short calls are synchronous, so they
//! go to a blocking thread ([`blocking`]); what can wait for
//! as long as a client likes (wait, stop, restart, attach and exec streams, logs -f) is
//! awaited on the runtime instead and never parks a blocking thread. Nothing here holds a
//! lock across a container's run. One file per area: system, images, containers, and the
//! streaming ones, attach, exec and logs.

mod archive;
mod attach;
mod containers;
mod exec;
#[cfg(test)]
mod fake;
mod images;
mod logs;
mod pipes;
mod system;
#[cfg(test)]
mod tests;
mod upload;

use std::sync::Arc;

use berth_core::Timestamp;
use berth_runtime::backend::{Backend, BackendError};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::upgrade::OnUpgrade;
use hyper::{Response, StatusCode};
use serde::Serialize;

use crate::accept::Slot;
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::request::Request;
use crate::versions::ApiVersion;
use crate::Context;

/// What a few endpoints need beyond the parsed request.
#[derive(Debug, Default)]
pub struct Extras {
    /// The request body, for endpoints that stream it (`load`).
    pub body: Option<Incoming>,
    /// The connection upgrade, when an attach asked for one.
    pub upgrade: Option<OnUpgrade>,
    /// The connection's place under the connection cap, which a hijacked stream keeps.
    pub slot: Option<Slot>,
}

/// Runs `request` and answers it; `now` is the request's time, read once when it arrived.
pub async fn execute(
    ctx: Arc<Context>,
    v: ApiVersion,
    now: Timestamp,
    request: Request,
    extras: Extras,
) -> Result<Response<Body>, ApiError> {
    use Request as R;
    match request {
        R::Ping { head } => Ok(system::ping(head)),
        R::Version => Ok(system::version()),
        R::Info => system::info(&ctx, v, now).await,
        R::ImagePull { reference } => images::pull(ctx, reference).await,
        R::ImageList {
            all,
            dangling,
            reference,
        } => images::list(&ctx, v, all, dangling, reference).await,
        R::ImageLoad => images::load(&ctx, extras.body).await,
        R::ArchiveStat { id, path } => archive::stat(&ctx, id, path).await,
        R::ArchiveGet { id, path } => archive::get(&ctx, id, path).await,
        R::ArchivePut { id, query } => archive::put(&ctx, id, query, extras.body).await,
        R::ContainerExport { id } => archive::export(&ctx, id).await,
        R::ImageInspect { name } => images::inspect(&ctx, v, name).await,
        R::ImageHistory { name } => images::history(&ctx, name).await,
        R::ImageTag { name, target } => images::tag(&ctx, name, target).await,
        R::ImageDelete { name, force } => images::delete(&ctx, name, force).await,
        R::Commit(q) => images::commit(&ctx, q).await,
        R::ContainerCreate { name, config } => containers::create(&ctx, name, *config).await,
        R::ContainerList(q) => containers::list(&ctx, q, now).await,
        R::ContainerInspect { id } => containers::inspect(&ctx, v, id).await,
        R::Start { id } => containers::start(&ctx, id).await,
        R::Stop { id, grace, signal } => containers::stop(&ctx, id, grace, signal).await,
        R::Kill { id, signal } => containers::kill(&ctx, id, signal).await,
        R::Restart { id, grace } => containers::restart(&ctx, id, grace).await,
        R::Wait { id, condition } => containers::wait(ctx, id, condition).await,
        R::Resize { id, height, width } => containers::resize(&ctx, id, height, width).await,
        R::Rename { id, name } => containers::rename(&ctx, id, name).await,
        R::Changes { id } => containers::changes(&ctx, id).await,
        R::Top { id, ps_args } => containers::top(&ctx, id, ps_args).await,
        R::Pause { id, paused } => containers::pause(&ctx, id, paused).await,
        R::ContainerDelete { id, force } => containers::delete(&ctx, id, force).await,
        R::ContainerPrune(filters) => containers::prune(&ctx, filters).await,
        R::ImagePrune(filters) => images::prune(&ctx, filters).await,
        R::Attach { id, options } => attach::attach(&ctx, v, id, options, extras).await,
        R::Logs { id, options } => logs::logs(&ctx, v, id, options).await,
        R::ExecCreate { id, options } => exec::create(&ctx, id, options).await,
        R::ExecStart { id, detach, tty } => exec::start(ctx, v, id, detach, tty, extras).await,
        R::ExecInspect { id } => exec::inspect(&ctx, id).await,
        R::ExecResize { id, height, width } => exec::resize(&ctx, id, height, width).await,
    }
}

/// Runs a backend call on a blocking thread.
pub async fn blocking<T, F>(ctx: &Context, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Backend) -> Result<T, BackendError> + Send + 'static,
{
    let backend = Arc::clone(&ctx.backend);
    tokio::task::spawn_blocking(move || f(backend.as_ref()))
        .await
        .map_err(|e| ApiError::system(format!("engine task: {e}")))?
        .map_err(|e| ApiError::from_kind(&e))
}

/// A JSON answer.
pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    let mut r = Response::new(body::full(bytes));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// An answer without a body.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(body::empty());
    *r.status_mut() = status;
    r
}

/// A streamed answer of type `content_type`.
pub fn streamed(status: StatusCode, content_type: &'static str, body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
