//! The request pipeline: version prefix, route, the body's framing checked (Content-Type of
//! the JSON endpoints, `framing.rs`), body (read whole within [`BODY_LIMIT`] unless the
//! endpoint streams it), typed request, execute. It adds the headers dockerd puts on every
//! answer and logs each request. Connections are accepted and served in `accept.rs`.

use std::sync::Arc;

use berth_core::Timestamp;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request as HttpRequest, Response, StatusCode};

use crate::accept::Slot;
use crate::body::Body;
use crate::error::ApiError;
use crate::framing::{self, Framing};
use crate::handlers::{self, Extras};
use crate::request::{self, Query, BODY_LIMIT};
use crate::router::Route;
use crate::versions::ApiVersion;
use crate::Context;

pub async fn handle(ctx: Arc<Context>, req: HttpRequest<Incoming>) -> Response<Body> {
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
    // The request's one reading of the clock: parsing (`until=24h`) and the answer (`Up 3
    // seconds`, `SystemTime`) both count from it.
    let now = Timestamp::now();
    let (version, path) = ApiVersion::split(req.uri().path())?;
    let route = Route::find(req.method(), path)?;
    let query = Query::parse(req.uri().query());
    let upgrade = match route {
        Route::ContainerAttach(_) | Route::ExecStart(_) => Some(hyper::upgrade::on(&mut req)),
        _ => None,
    };
    let wants_upgrade = req.headers().contains_key(hyper::header::UPGRADE);
    framing::check(&route, &framing_of(&req))?;
    let slot = req.extensions_mut().remove::<Slot>();
    let (body, stream) = match route.streams_body() {
        true => (Bytes::new(), Some(req.into_body())),
        false => {
            let within = ctx.config.limits.body_read_timeout;
            (read_body(req.into_body(), within).await?, None)
        }
    };
    let request = request::parse(route, &query, &body, now)?;
    let extras = Extras {
        body: stream,
        upgrade: upgrade.filter(|_| wants_upgrade),
        slot,
    };
    handlers::execute(ctx, version, now, request, extras).await
}

/// The body's framing as the headers declare it: hyper knows a `Content-Length` body's size
/// exactly (0 without a body) and a chunked one's not at all.
fn framing_of(req: &HttpRequest<Incoming>) -> Framing {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        .unwrap_or_default();
    Framing {
        content_type,
        length: req.body().size_hint().exact(),
    }
}

/// A JSON body, read whole within `within`; anything beyond [`BODY_LIMIT`] is refused (before
/// it is read, when `Content-Length` already says so), so no body holds more than that in
/// memory and no trickled body holds its connection for long.
async fn read_body(body: Incoming, within: std::time::Duration) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::bad_request(format!(
            "request body is too large (the limit is {BODY_LIMIT} bytes)"
        ))
    };
    if body.size_hint().lower() > BODY_LIMIT as u64 {
        return Err(too_large());
    }
    let collected = tokio::time::timeout(within, Limited::new(body, BODY_LIMIT).collect())
        .await
        .map_err(|_| {
            ApiError::bad_request(format!("the request body did not arrive within {within:?}"))
        })?;
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
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
    h.insert("Api-Version", HeaderValue::from_static(ADVERTISED));
    h.insert("Ostype", HeaderValue::from_static("linux"));
    h.insert("Server", HeaderValue::from_static(SERVER));
    response
}

/// The `Api-Version` header: the newest version served.
const ADVERTISED: &str = "1.53";
const SERVER: &str = concat!("berth/", env!("CARGO_PKG_VERSION"), " (linux)");

#[cfg(test)]
mod tests {
    #[test]
    fn the_advertised_version_is_the_newest_served() {
        assert_eq!(super::ADVERTISED, crate::versions::MAX.to_string());
    }
}
