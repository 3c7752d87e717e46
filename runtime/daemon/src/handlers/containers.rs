//! Container endpoints: create, list, inspect, start, stop, kill, restart, wait, resize,
//! rename, delete. `wait`, `stop` and `restart` wait for an exit without holding a thread: a
//! task awaits the lifecycle's change notifications, so thousands of waiting clients cost
//! memory, never the engine's blocking threads. `wait` answers its headers at once and its
//! body at the exit, and stops waiting when its client goes away.

use std::sync::Arc;

use berth_core::{ErrorKind, Kind, Timestamp};
use berth_runtime::backend::{Backend, BoxFuture};
use berth_runtime::engine::{CreateOptions, Inspect, PruneFilters, WaitCondition, WaitOutcome};
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use super::{blocking, empty, json, streamed};
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::json::container;
use crate::request::{CreateBody, Grace, ListQuery, DEFAULT_STOP};
use crate::versions::ApiVersion;
use crate::Context;

pub async fn create(
    ctx: &Context,
    name: Option<String>,
    body: CreateBody,
) -> Result<Response<Body>, ApiError> {
    let options = create_options(name, body)?;
    let id = blocking(ctx, move |e| e.create(options)).await?;
    Ok(json(
        StatusCode::CREATED,
        &json!({"Id": id.as_str(), "Warnings": []}),
    ))
}

/// The request as the lifecycle takes it.
fn create_options(name: Option<String>, b: CreateBody) -> Result<CreateOptions, ApiError> {
    let host = b.host_config.unwrap_or_default();
    let positive = |n: i64| (n > 0).then_some(n as u64);
    let log_config = crate::log_config::checked(&host.log_config.kind, host.log_config.config)?;
    Ok(CreateOptions {
        image: b.image,
        name,
        cmd: b.cmd.map(|c| c.into_vec()).unwrap_or_default(),
        entrypoint: b.entrypoint.map(|e| {
            let e = e.into_vec();
            // `--entrypoint ""` arrives as `[""]`: no entrypoint at all.
            match e.as_slice() {
                [only] if only.is_empty() => Vec::new(),
                _ => e,
            }
        }),
        env: b.env.unwrap_or_default(),
        working_dir: b.working_dir.filter(|w| !w.is_empty()),
        user: b.user.filter(|u| !u.is_empty()),
        auto_remove: host.auto_remove,
        memory: positive(host.memory),
        pids_limit: host.pids_limit.and_then(positive),
        cpu_shares: positive(host.cpu_shares),
        tty: b.tty,
        open_stdin: b.open_stdin,
        stdin_once: b.stdin_once,
        attach_stdin: b.attach_stdin,
        attach_stdout: b.attach_stdout,
        attach_stderr: b.attach_stderr,
        labels: b.labels.unwrap_or_default(),
        hostname: b.hostname,
        network_mode: host.network_mode,
        security_opt: host.security_opt,
        binds: host.binds.unwrap_or_default(),
        mounts: host.mounts.unwrap_or_default(),
        group_add: host.group_add.unwrap_or_default(),
        stop_timeout: b.stop_timeout,
        log_config,
    })
}

pub async fn list(ctx: &Context, q: ListQuery, now: Timestamp) -> Result<Response<Body>, ApiError> {
    let all = q.all || q.limit.is_some();
    let now = crate::json::unix_nanos(now).unwrap_or(0);
    let rows = blocking(ctx, move |e| {
        let mut out = Vec::new();
        for c in e
            .containers(all)
            .into_iter()
            .filter(|c| q.filter.matches(c))
        {
            if q.limit.is_some_and(|n| out.len() >= n) {
                break;
            }
            out.push(container::summary(&c, &image_column(e, &c), now));
        }
        Ok(out)
    })
    .await?;
    Ok(json(StatusCode::OK, &rows))
}

/// `ps`'s IMAGE: the reference as typed while it still names the container's image, else the
/// full image ID (`sha256:...`; the CLI shortens it, dockerd does not).
fn image_column(e: &dyn Backend, c: &Inspect) -> String {
    let typed = &c.config.image;
    match e.resolve_image(typed) {
        Ok(id) if id.to_string() == c.config.image_id => typed.clone(),
        _ => c.config.image_id.clone(),
    }
}

pub async fn inspect(ctx: &Context, v: ApiVersion, id: String) -> Result<Response<Body>, ApiError> {
    let c = blocking(ctx, move |e| e.inspect_container(&id)).await?;
    Ok(json(StatusCode::OK, &container::inspect(&c, v)))
}

pub async fn start(ctx: &Context, id: String) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| e.start(&id)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `stop`: SIGTERM (or `signal`), then SIGKILL once `grace` passed.
pub async fn stop(
    ctx: &Context,
    id: String,
    grace: Grace,
    signal: Option<String>,
) -> Result<Response<Body>, ApiError> {
    let grace = container_grace(ctx, &id, grace).await;
    let backend = &ctx.backend;
    let Some(signal) = signal else {
        backend.stop_within(&id, timer(grace)).await?;
        return Ok(empty(StatusCode::NO_CONTENT));
    };
    // A custom stop signal: send it, give the process `grace`, then stop it for good (which
    // also answers 304 for a container that was not running).
    let target = id.clone();
    if blocking(ctx, move |e| e.kill(&target, &signal))
        .await
        .is_ok()
    {
        if let Ok(exited) = backend.wait(&id, WaitCondition::NotRunning) {
            let _ = tokio::time::timeout_at(deadline(grace), exited).await;
        }
    }
    backend
        .stop_within(&id, Box::pin(std::future::ready(())))
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// A timer that fires once `grace` passed, or never.
/// The grace a stop gives: the client's `t`, else the container's `StopTimeout`, else
/// dockerd's 10 seconds (a container that cannot be read gets those; the stop itself then
/// says what is wrong with it).
async fn container_grace(ctx: &Context, id: &str, grace: Grace) -> Grace {
    if grace != Grace::ContainerDefault {
        return grace;
    }
    let target = id.to_string();
    let own = blocking(ctx, move |b| b.inspect_container(&target))
        .await
        .ok()
        .and_then(|c| c.config.config.stop_timeout);
    own.map_or(Grace::After(DEFAULT_STOP), Grace::of_seconds)
}

fn timer(grace: Grace) -> BoxFuture<'static, ()> {
    Box::pin(tokio::time::sleep_until(deadline(grace)))
}

/// When `grace` ends: never is a deadline far beyond any wait (tokio caps it at about two
/// years, and adding to the clock can then not overflow).
fn deadline(grace: Grace) -> tokio::time::Instant {
    const FAR: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 24 * 3600);
    let wait = match grace {
        Grace::Forever => FAR,
        Grace::After(d) => d.min(FAR),
        Grace::ContainerDefault => DEFAULT_STOP,
    };
    tokio::time::Instant::now() + wait
}

pub async fn kill(ctx: &Context, id: String, signal: String) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| e.kill(&id, &signal)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `restart`: a stop (if it runs), then a start.
pub async fn restart(ctx: &Context, id: String, grace: Grace) -> Result<Response<Body>, ApiError> {
    let grace = container_grace(ctx, &id, grace).await;
    match ctx.backend.stop_within(&id, timer(grace)).await {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotModified => {}
        Err(e) => return Err(e.into()),
    }
    blocking(ctx, move |e| e.start(&id)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn resize(ctx: &Context, id: String, h: u16, w: u16) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| e.resize(&id, h, w)).await?;
    Ok(empty(StatusCode::OK))
}

pub async fn rename(ctx: &Context, id: String, name: String) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| e.rename(&id, &name)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn delete(ctx: &Context, id: String, force: bool) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| e.rm(&id, force)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `GET /containers/{id}/changes`: `null` when nothing changed, as in dockerd.
pub async fn changes(ctx: &Context, id: String) -> Result<Response<Body>, ApiError> {
    let changes = blocking(ctx, move |e| e.changes(&id)).await?;
    let list: Vec<Value> = changes
        .iter()
        .map(|c| json!({"Path": c.path, "Kind": c.kind as u8}))
        .collect();
    let body = match list.is_empty() {
        true => Value::Null,
        false => Value::Array(list),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `POST /containers/{id}/pause` and `/unpause`.
pub async fn pause(ctx: &Context, id: String, paused: bool) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| match paused {
        true => e.pause(&id),
        false => e.unpause(&id),
    })
    .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `GET /containers/{id}/top`.
pub async fn top(ctx: &Context, id: String, ps_args: String) -> Result<Response<Body>, ApiError> {
    let top = blocking(ctx, move |e| e.top(&id, &ps_args)).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"Titles": top.titles, "Processes": top.processes}),
    ))
}

/// `POST /containers/prune`: `ContainersDeleted` is `null` when nothing was removed, as in
/// dockerd.
pub async fn prune(ctx: &Context, filters: PruneFilters) -> Result<Response<Body>, ApiError> {
    let pruned = blocking(ctx, move |e| e.prune_containers(&filters)).await?;
    let deleted = (!pruned.deleted.is_empty()).then_some(pruned.deleted);
    Ok(json(
        StatusCode::OK,
        &json!({"ContainersDeleted": deleted, "SpaceReclaimed": pruned.space_reclaimed}),
    ))
}

/// `POST /containers/{id}/wait`: the container is looked up (404 before the 200), the
/// headers go out at once, and the body `{"StatusCode":N,"Error":null}` at the exit. The wait
/// is a task awaiting the lifecycle; it ends when the client goes away.
pub async fn wait(
    ctx: Arc<Context>,
    id: String,
    condition: WaitCondition,
) -> Result<Response<Body>, ApiError> {
    // Looked up now, so that a wrong name is a 404 and `next-exit` counts from now.
    let exited = ctx.backend.wait(&id, condition)?;
    let backend = Arc::clone(&ctx.backend);
    let (tx, body) = body::channel(1);
    tokio::spawn(async move {
        let outcome = tokio::select! {
            outcome = exited => outcome,
            () = tx.closed() => return,
        };
        let _ = tokio::task::spawn_blocking(move || backend.after_wait()).await;
        let _ = tx.send(wait_body(outcome)).await;
    });
    Ok(streamed(StatusCode::OK, "application/json", body))
}

fn wait_body(outcome: WaitOutcome) -> Bytes {
    let value = json!({
        "StatusCode": outcome.status_code,
        "Error": outcome.error.map(|m| json!({"Message": m})),
    });
    let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}
