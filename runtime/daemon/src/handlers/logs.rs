//! `GET /containers/{id}/logs`: the json-file log filtered by stream, `since`/`until` and
//! `tail`, with `timestamps`, framed as attach frames them; with `follow`, then the live
//! entries until the run ends or the client leaves.

use berth_lifecycle::{LogEntry, Stream};
use bytes::Bytes;
use hyper::{Response, StatusCode};

use super::{blocking, streamed};
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::json::unix_nanos;
use crate::request::LogsQuery;
use crate::stream::{content_type, fixed_timestamp, frame};
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
    let (tty, past, live) = blocking(ctx, move |e| {
        let tty = e.inspect_container(&id)?.config.config.tty;
        match follow {
            true => {
                let f = e.containers().follow_logs(&id)?;
                Ok((tty, f.past, f.live))
            }
            false => Ok((tty, e.logs(&id)?, None)),
        }
    })
    .await?;
    let past = select(past, &q);
    let (tx, body) = body::channel(LOG_BACKLOG);
    tokio::spawn(async move {
        for entry in &past {
            if tx.send(render(entry, &q, tty)).await.is_err() {
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

/// The stored entries the query asks for: stream, time window, then the last `tail`.
fn select(entries: Vec<LogEntry>, q: &LogsQuery) -> Vec<LogEntry> {
    let mut kept: Vec<LogEntry> = entries
        .into_iter()
        .filter(|e| wanted(e, q) && !past_until(e, q))
        .collect();
    if let Some(n) = q.tail {
        kept.drain(..kept.len().saturating_sub(n));
    }
    kept
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
        true => format!("{} {}", fixed_timestamp(e.time), e.bytes),
        false => e.bytes.clone(),
    };
    frame(tty, e.stream, text.as_bytes())
}
