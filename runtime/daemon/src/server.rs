//! The HTTP side: accept loops per listener, one hyper HTTP/1 connection per client (with
//! upgrades, for attach), and the request pipeline: version prefix, route, body (read whole
//! within [`BODY_LIMIT`] unless the endpoint streams it), typed request, execute. It adds the
//! headers dockerd puts on every answer and logs each request.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::service::service_fn;
use hyper::{Request as HttpRequest, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;

use crate::body::Body;
use crate::error::ApiError;
use crate::handlers::{self, Extras};
use crate::listen::Listener;
use crate::request::{self, Query, BODY_LIMIT};
use crate::router::Route;
use crate::versions::ApiVersion;
use crate::Context;

/// Starts one accept loop per listener.
pub fn accept_all(listeners: Vec<Listener>, ctx: Arc<Context>) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for listener in listeners {
        set.spawn(accept(listener, Arc::clone(&ctx)));
    }
    set
}

async fn accept(listener: Listener, ctx: Arc<Context>) {
    loop {
        let ctx = Arc::clone(&ctx);
        match &listener {
            Listener::Unix(l) => match l.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, ctx));
                }
                Err(e) => tracing::warn!("accept: {e}"),
            },
            Listener::Tcp(l) => match l.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, ctx));
                }
                Err(e) => tracing::warn!("accept: {e}"),
            },
            Listener::Tls(l, acceptor) => match l.accept().await {
                Ok((stream, peer)) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match acceptor.accept(stream).await {
                            Ok(tls) => connection(tls, ctx).await,
                            Err(e) => tracing::info!(%peer, "tls handshake refused: {e}"),
                        }
                    });
                }
                Err(e) => tracing::warn!("accept: {e}"),
            },
        }
    }
}

async fn connection<S>(stream: S, ctx: Arc<Context>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let ctx = Arc::clone(&ctx);
        async move { Ok::<_, std::convert::Infallible>(handle(ctx, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!("connection: {e}");
    }
}

async fn handle(ctx: Arc<Context>, req: HttpRequest<Incoming>) -> Response<Body> {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let response = pipeline(ctx, req)
        .await
        .unwrap_or_else(|e| error_response(&e));
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    with_common_headers(response)
}

async fn pipeline(
    ctx: Arc<Context>,
    mut req: HttpRequest<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let (version, path) = ApiVersion::split(req.uri().path())?;
    let route = Route::find(req.method(), path)?;
    let query = Query::parse(req.uri().query());
    let upgrade = match route {
        Route::ContainerAttach(_) | Route::ExecStart(_) => Some(hyper::upgrade::on(&mut req)),
        _ => None,
    };
    let wants_upgrade = req.headers().contains_key(hyper::header::UPGRADE);
    let (body, stream) = match route.streams_body() {
        true => (Bytes::new(), Some(req.into_body())),
        false => (read_body(req.into_body()).await?, None),
    };
    let request = request::parse(route, &query, &body)?;
    let extras = Extras {
        body: stream,
        upgrade: upgrade.filter(|_| wants_upgrade),
    };
    handlers::execute(ctx, version, request, extras).await
}

/// A JSON body, read whole; anything beyond [`BODY_LIMIT`] is refused.
async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::bad_request(
            format!("request body is too large (the limit is {BODY_LIMIT} bytes)"),
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "reading the request body: {e}"
        ))),
    }
}

/// Docker's error answer: `{"message": ...}`, or nothing for 304.
pub fn error_response(e: &ApiError) -> Response<Body> {
    let status = e.status();
    if status == StatusCode::NOT_MODIFIED {
        return handlers::empty(status);
    }
    if status.is_server_error() {
        tracing::warn!(status = status.as_u16(), "{}", e.message);
    }
    handlers::json(status, &serde_json::json!({ "message": e.message }))
}

fn with_common_headers(mut response: Response<Body>) -> Response<Body> {
    let h = response.headers_mut();
    h.insert("Api-Version", HeaderValue::from_static(API_VERSION));
    h.insert("Ostype", HeaderValue::from_static("linux"));
    h.insert("Server", HeaderValue::from_static(SERVER));
    response
}

const API_VERSION: &str = "1.53";
const SERVER: &str = concat!("berth/", env!("CARGO_PKG_VERSION"), " (linux)");

#[cfg(test)]
mod tests {
    #[test]
    fn the_advertised_version_is_the_newest_served() {
        assert_eq!(super::API_VERSION, crate::versions::MAX.to_string());
    }
}
