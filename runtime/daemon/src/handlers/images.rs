//! Image endpoints: pull (`images/create`, a stream of dockerd's progress lines, errors after
//! the 200 as `errorDetail` lines), list, inspect, history, tag, delete, load (the tar body
//! streamed to the engine, errors after the 200 as for pull) and commit.

use std::sync::Arc;

use berth_runtime::engine::{CommitOptions, DeleteRecord, ListOptions, PruneFilters};
use berth_runtime::pull::ProgressMessage;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::upload::upload;
use super::{blocking, json, streamed};
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::filters;
use crate::json::image;
use crate::request::CommitQuery;
use crate::versions::ApiVersion;
use crate::Context;

/// How many progress lines may wait for a slow client before the pull waits for it.
const PROGRESS_BACKLOG: usize = 256;

/// One line of a JSON message stream, as dockerd ends them.
fn line(value: &impl serde::Serialize) -> Bytes {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.extend_from_slice(b"\r\n");
    Bytes::from(bytes)
}

/// `POST /images/create?fromImage=`. A failure before the first progress line is an ordinary
/// error answer (404 for an unknown image); after it, an `errorDetail` line in the stream.
pub async fn pull(ctx: Arc<Context>, reference: String) -> Result<Response<Body>, ApiError> {
    ctx.registry()?;
    let (lines_tx, mut lines) = mpsc::unbounded_channel::<ProgressMessage>();
    let mut task = tokio::spawn(async move {
        let mut sink = |m: ProgressMessage| {
            let _ = lines_tx.send(m);
        };
        let registry = ctx.registry().map_err(|e| ApiError::from_kind(&e))?;
        let pulled = ctx
            .backend
            .pull(registry, &reference, &ctx.platform, &mut sink)
            .await;
        pulled.map_err(|e| ApiError::from_kind(&e))
    });
    let mut finished = None;
    let first = tokio::select! {
        first = lines.recv() => first,
        done = &mut task => {
            finished = Some(done);
            lines.recv().await
        }
    };
    if first.is_none() {
        // Nothing was reported: the pull failed before its first line (or said nothing at
        // all). Its own error is the answer, with its own status.
        let done = match finished {
            Some(done) => done,
            None => task.await,
        };
        done.map_err(|e| ApiError::system(format!("pull task: {e}")))??;
        return Ok(streamed(StatusCode::OK, "application/json", body::empty()));
    }
    let outcome = async move {
        match finished {
            Some(done) => done,
            None => task.await,
        }
    };
    let (tx, body) = body::channel(PROGRESS_BACKLOG);
    tokio::spawn(async move {
        let mut next = first;
        while let Some(message) = next {
            // A client that went away stops reading, not the pull: the image still lands.
            let _ = tx.send(line(&message)).await;
            next = lines.recv().await;
        }
        if let Ok(Err(e)) = outcome.await {
            let detail = json!({"errorDetail": {"message": e.message}, "error": e.message});
            let _ = tx.send(line(&detail)).await;
        }
    });
    Ok(streamed(StatusCode::OK, "application/json", body))
}

pub async fn list(
    ctx: &Context,
    v: ApiVersion,
    all: bool,
    dangling: Option<bool>,
    reference: Vec<String>,
) -> Result<Response<Body>, ApiError> {
    let (images, users) = blocking(ctx, move |e| {
        let images = e.images(ListOptions { all, dangling });
        let users: Vec<String> = e
            .containers(true)
            .into_iter()
            .map(|c| c.config.image_id)
            .collect();
        Ok((images, users))
    })
    .await?;
    let mut out: Vec<Value> = Vec::with_capacity(images.len());
    for s in images {
        let Some(s) = filters::by_reference(&reference, s)? else {
            continue;
        };
        let id = s.id.to_string();
        out.push(image::summary(
            &s,
            v,
            users.iter().filter(|u| **u == id).count(),
        ));
    }
    Ok(json(StatusCode::OK, &out))
}

pub async fn inspect(
    ctx: &Context,
    v: ApiVersion,
    name: String,
) -> Result<Response<Body>, ApiError> {
    // dockerd's `LookupImage` wraps whatever its lookup said: `no such image: NAME: ...`.
    let asked = name.clone();
    let i = blocking(ctx, move |e| e.inspect_image(&name))
        .await
        .map_err(|e| ApiError::new(e.kind, format!("no such image: {asked}: {}", e.message)))?;
    Ok(json(StatusCode::OK, &image::inspect(&i, v)))
}

pub async fn history(ctx: &Context, name: String) -> Result<Response<Body>, ApiError> {
    let rows = blocking(ctx, move |e| e.history(&name)).await?;
    Ok(json(StatusCode::OK, &rows))
}

pub async fn tag(ctx: &Context, name: String, target: String) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| e.tag(&name, &target)).await?;
    Ok(super::empty(StatusCode::CREATED))
}

/// `DELETE /images/{name}`: untagged parents are always pruned (`noprune` is not honoured).
pub async fn delete(ctx: &Context, name: String, force: bool) -> Result<Response<Body>, ApiError> {
    let records = blocking(ctx, move |e| e.rmi(&name, force)).await?;
    Ok(json(StatusCode::OK, &delete_records(&records)))
}

/// `POST /images/prune`: `ImagesDeleted` is `null` when nothing was removed, as in dockerd.
pub async fn prune(ctx: &Context, filters: PruneFilters) -> Result<Response<Body>, ApiError> {
    let pruned = blocking(ctx, move |e| e.prune_images(&filters)).await?;
    let deleted = (!pruned.deleted.is_empty()).then(|| delete_records(&pruned.deleted));
    Ok(json(
        StatusCode::OK,
        &json!({"ImagesDeleted": deleted, "SpaceReclaimed": pruned.space_reclaimed}),
    ))
}

/// `rmi`'s `[{"Untagged": ...}, {"Deleted": ...}]`.
fn delete_records(records: &[DeleteRecord]) -> Vec<Value> {
    records
        .iter()
        .map(|r| match r {
            DeleteRecord::Untagged(s) => json!({ "Untagged": s }),
            DeleteRecord::Deleted(s) => json!({ "Deleted": s }),
        })
        .collect()
}

/// `POST /images/load`: the body is handed, as it arrives, to the engine, which spools it under
/// the store's space limits and loads it. As dockerd, any failure after the request was
/// accepted is answered 200 with an `errorDetail` line (`docker load` prints its message).
pub async fn load(ctx: &Context, body: Option<Incoming>) -> Result<Response<Body>, ApiError> {
    let Some(body) = body else {
        return Err(ApiError::bad_request(
            "load needs a tar archive as the body",
        ));
    };
    let (archive, feeding) = upload(body, "archive");
    let loading = blocking(ctx, move |e| e.load(Box::new(archive)));
    let (report, ()) = tokio::join!(loading, feeding);
    let out = match report {
        Ok(report) => report
            .lines
            .iter()
            .flat_map(|l| line(&json!({ "stream": format!("{l}\n") })))
            .collect(),
        Err(e) => {
            line(&json!({"errorDetail": {"message": e.message}, "error": e.message})).to_vec()
        }
    };
    Ok(streamed(
        StatusCode::OK,
        "application/json",
        body::full(out),
    ))
}

/// `POST /commit`: 201 `{"Id": "sha256:..."}`.
pub async fn commit(ctx: &Context, q: CommitQuery) -> Result<Response<Body>, ApiError> {
    let options = CommitOptions {
        reference: q.reference,
        changes: q.changes,
        comment: q.comment,
        author: q.author,
        pause: q.pause,
    };
    let container = q.container;
    let id = blocking(ctx, move |e| e.commit(&container, &options)).await?;
    Ok(json(StatusCode::CREATED, &json!({ "Id": id.to_string() })))
}
