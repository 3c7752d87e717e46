//! `GET /containers/{id}/logs`: the last `tail` lines of the json-file log (counted before
//! any filter, as dockerd counts them), filtered by stream and `since`/`until`, with
//! `timestamps`, framed as attach frames them; with `follow`, then the live entries until the
//! run ends or the client leaves. The log is read as the client takes it, never held whole.

use berth_runtime::engine::{LogEntry, Stream};
use bytes::Bytes;
use hyper::{Response, StatusCode};

use super::{blocking, streamed};
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::json::unix_nanos;
use crate::request::LogsQuery;
use crate::stream::{content_type, frame};
use crate::versions::ApiVersion;
use crate::Context;

/// Frames a follower may have queued for a slow client.
const LOG_BACKLOG: usize = 64;

pub async fn logs(
    ctx: &Context,
    v: ApiVersion,
    id: String,
    q: LogsQuery,
) -> Result<Response<Body>, ApiError> {
    let follow = q.follow;
    let tail = q.tail;
    let (tty, past, live) = blocking(ctx, move |e| {
        let tty = e.inspect_container(&id)?.config.config.tty;
        let (past, live) = match follow {
            true => {
                let f = e.follow_logs(&id)?;
                (f.past, f.live)
            }
            false => (e.logs(&id)?, None),
        };
        // Found by reading back from the end: `--tail 1` of a huge log reads one line.
        let past = match tail {
            Some(n) => past.tail(n)?,
            None => past,
        };
        Ok((tty, past, live))
    })
    .await?;
    let (tx, body) = body::channel(LOG_BACKLOG);
    tokio::spawn(async move {
        // The stored entries are read as the client takes them (a buffer's worth at a time,
        // from the page cache in practice), so a log of any size costs no more memory.
        for entry in past {
            if past_until(&entry, &q) {
                return;
            }
            if wanted(&entry, &q) && tx.send(render(&entry, &q, tty)).await.is_err() {
                return;
            }
        }
        let Some(mut live) = live else { return };
        while let Some(entry) = live.recv().await {
            if past_until(&entry, &q) {
                return;
            }
            if wanted(&entry, &q) && tx.send(render(&entry, &q, tty)).await.is_err() {
                return;
            }
        }
    });
    Ok(streamed(StatusCode::OK, content_type(v, tty), body))
}

fn wanted(e: &LogEntry, q: &LogsQuery) -> bool {
    let stream = match e.stream {
        Stream::Stdout => q.stdout,
        Stream::Stderr => q.stderr,
    };
    let t = unix_nanos(e.time).unwrap_or(0);
    stream && q.since.is_none_or(|since| t >= since)
}

fn past_until(e: &LogEntry, q: &LogsQuery) -> bool {
    q.until
        .is_some_and(|until| unix_nanos(e.time).unwrap_or(0) > until)
}

fn render(e: &LogEntry, q: &LogsQuery, tty: bool) -> Bytes {
    let text = match q.timestamps {
        true => format!("{} {}", e.time.rfc3339_nano_fixed(), e.bytes),
        false => e.bytes.clone(),
    };
    frame(tty, e.stream, text.as_bytes())
}
