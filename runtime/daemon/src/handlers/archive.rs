//! `docker cp` and `docker export`: `HEAD`, `GET` and `PUT /containers/{id}/archive` and
//! `GET /containers/{id}/export`, as dockerd 20.10 answers them. The path's stat travels in
//! `X-Docker-Container-Path-Stat` (base64 of moby's `ContainerPathStat` JSON); a tar going out
//! is streamed from the pipe the runtime's writer thread fills, and one coming in is handed to
//! the runtime as it arrives.

use std::fs::File;

use base64::Engine as _;
use berth_api::answer::ContainerPathStat;
use berth_runtime::engine::PathStat;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use super::upload::upload;
use super::{blocking, empty, streamed};
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::request::ArchivePutQuery;
use crate::Context;

/// The header the docker CLI reads a path's stat from.
const STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// dockerd's text for a missing `path` (its words run together, as in moby).
const NO_PATH: &str = "bad parameter: pathcannot be empty";

/// `HEAD .../archive?path=`: the stat alone.
pub async fn stat(ctx: &Context, id: String, path: String) -> Result<Response<Body>, ApiError> {
    let path = required(path)?;
    let stat = blocking(ctx, move |b| b.archive_stat(&id, &path)).await?;
    let mut r = empty(StatusCode::OK);
    with_stat(&mut r, &stat)?;
    Ok(r)
}

/// `GET .../archive?path=`: the stat, and the path as a tar.
pub async fn get(ctx: &Context, id: String, path: String) -> Result<Response<Body>, ApiError> {
    let path = required(path)?;
    let (stat, tar) = blocking(ctx, move |b| b.archive(&id, &path)).await?;
    let mut r = streamed(StatusCode::OK, "application/x-tar", stream_file(tar)?);
    with_stat(&mut r, &stat)?;
    Ok(r)
}

/// `GET .../export`: the container's root filesystem as a tar.
pub async fn export(ctx: &Context, id: String) -> Result<Response<Body>, ApiError> {
    let tar = blocking(ctx, move |b| b.export(&id)).await?;
    Ok(streamed(
        StatusCode::OK,
        "application/x-tar",
        stream_file(tar)?,
    ))
}

/// `PUT .../archive?path=`: the body, a tar, extracted into the directory `path`.
pub async fn put(
    ctx: &Context,
    id: String,
    q: ArchivePutQuery,
    body: Option<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let path = required(q.path)?;
    let Some(body) = body else {
        return Err(ApiError::bad_request("the archive to extract is missing"));
    };
    let (archive, feeding) = upload(body, "archive");
    let extracting = blocking(ctx, move |b| {
        b.archive_put(
            &id,
            &path,
            Box::new(archive),
            q.no_overwrite_dir_non_dir,
            q.copy_uid_gid,
        )
    });
    let (done, ()) = tokio::join!(extracting, feeding);
    done?;
    Ok(empty(StatusCode::OK))
}

fn required(path: String) -> Result<String, ApiError> {
    match path.is_empty() {
        true => Err(ApiError::bad_request(NO_PATH)),
        false => Ok(path),
    }
}

/// Sets the stat header: moby's `ContainerPathStat` as JSON, base64 (standard alphabet).
fn with_stat(r: &mut Response<Body>, stat: &PathStat) -> Result<(), ApiError> {
    let answer = ContainerPathStat {
        name: stat.name.clone(),
        size: stat.size,
        mode: stat.mode,
        mtime: stat.mtime.rfc3339_nano(),
        link_target: stat.link_target.clone(),
    };
    let json = serde_json::to_string(&answer).map_err(|e| ApiError::system(e.to_string()))?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(json);
    let value = HeaderValue::from_str(&encoded).map_err(|e| ApiError::system(e.to_string()))?;
    r.headers_mut().insert(STAT_HEADER, value);
    Ok(())
}

/// A pipe's content as a streamed body, read on the reactor (no thread while the client is
/// slow); the writer sees a broken pipe when the client goes away.
fn stream_file(file: File) -> Result<Body, ApiError> {
    let mut pipe = super::pipes::reader(file).map_err(|e| ApiError::system(e.to_string()))?;
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.send(Bytes::copy_from_slice(&buf[..n])).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    Ok(body::from_receiver(rx))
}
