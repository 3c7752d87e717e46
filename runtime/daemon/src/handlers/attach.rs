//! `POST /containers/{id}/attach`: with `Upgrade: tcp` the connection is hijacked (101) and
//! carries the container's output (multiplexed frames, or raw with a TTY) one way and the
//! client's stdin the other; without an upgrade the output is the response body. The output
//! comes from the lifecycle's attachment (replayed log with `logs=1`, then the live run with
//! `stream=1`); the connection closes when that ends. Output and stdin are both awaited on the
//! runtime: an attached client holds no thread.

use berth_runtime::engine::{AttachOptions, Attachment};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE, UPGRADE};
use hyper::upgrade::OnUpgrade;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::pipes::{self, Stdin};
use super::{blocking, streamed, Extras};
use crate::accept::Slot;
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::request::AttachQuery;
use crate::stream::{content_type, frame};
use crate::versions::ApiVersion;
use crate::Context;

/// Output chunks queued for a slow response-body client.
const BACKLOG: usize = 64;

pub async fn attach(
    ctx: &Context,
    v: ApiVersion,
    id: String,
    q: AttachQuery,
    extras: Extras,
) -> Result<Response<Body>, ApiError> {
    let options = AttachOptions {
        stdin: q.stdin,
        stdout: q.stdout,
        stderr: q.stderr,
        logs: q.logs,
        stream: q.stream,
    };
    let attachment = blocking(ctx, move |e| e.attach(&id, options)).await?;
    let kind = content_type(v, attachment.tty);
    let Some(upgrade) = extras.upgrade else {
        return Ok(as_body(attachment, kind));
    };
    tokio::spawn(hijack(upgrade, extras.slot, move |io| {
        hijacked(io, attachment)
    }));
    Ok(switching_protocols(kind))
}

/// Serves `stream` on the upgraded connection once the `101` went out, holding the
/// connection's place under the cap until it ends.
pub(super) async fn hijack<F, Fut>(upgrade: OnUpgrade, slot: Option<Slot>, stream: F)
where
    F: FnOnce(TokioIo<hyper::upgrade::Upgraded>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    match upgrade.await {
        Ok(upgraded) => stream(TokioIo::new(upgraded)).await,
        Err(e) => tracing::debug!("upgrade failed: {e}"),
    }
    drop(slot);
}

/// The `101` that hands the connection over to a hijacked stream of `kind` (attach and exec).
pub(super) fn switching_protocols(kind: &'static str) -> Response<Body> {
    let mut r = Response::new(body::empty());
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(UPGRADE, HeaderValue::from_static("tcp"));
    r
}

/// Without an upgrade: output only, as the response body.
fn as_body(mut a: Attachment, kind: &'static str) -> Response<Body> {
    let (tx, body) = body::channel(BACKLOG);
    let tty = a.tty;
    tokio::spawn(async move {
        while let Some(out) = a.output.recv().await {
            if tx.send(frame(tty, out.stream, &out.bytes)).await.is_err() {
                return;
            }
        }
    });
    streamed(StatusCode::OK, kind, body)
}

/// The hijacked connection: output to the client until it ends, stdin from the client until
/// it closes its side (then the container's stdin is released, closing it with StdinOnce).
async fn hijacked<S>(io: S, mut a: Attachment)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (reader, mut writer) = tokio::io::split(io);
    let stdin = a
        .stdin
        .take()
        .map(|s| tokio::spawn(pipes::copy_stdin(reader, Stdin::Container(s))));
    let tty = a.tty;
    while let Some(out) = a.output.recv().await {
        let chunk = frame(tty, out.stream, &out.bytes);
        if writer.write_all(&chunk).await.is_err() || writer.flush().await.is_err() {
            break;
        }
    }
    let _ = writer.shutdown().await;
    if let Some(task) = stdin {
        task.abort();
    }
}
