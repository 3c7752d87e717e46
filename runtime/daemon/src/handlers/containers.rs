//! Container endpoints: create, list, inspect, start, stop, kill, restart, wait, resize,
//! rename, delete. `wait` answers its headers at once and its body at the exit; it waits in
//! bounded slices, so a client that went away (`run -d` drops its wait) frees its thread
//! within a slice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_core::Kind as _;
use berth_lifecycle::{CreateOptions, Inspect, StateRecord, WaitCondition, WaitOutcome};
use berth_runtime::engine::{match_kv_list, Engine, PruneFilters};
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use super::{blocking, empty, json, streamed};
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::json::container;
use crate::request::{CreateBody, ListQuery};
use crate::versions::ApiVersion;
use crate::Context;

/// The longest a blocking wait runs before it checks whether its client is still there.
const WAIT_SLICE: Duration = Duration::from_secs(1);

pub async fn create(
    ctx: &Context,
    name: Option<String>,
    body: CreateBody,
) -> Result<Response<Body>, ApiError> {
    let options = create_options(name, body);
    let id = blocking(ctx, move |e| e.create(options)).await?;
    Ok(json(
        StatusCode::CREATED,
        &json!({"Id": id.as_str(), "Warnings": []}),
    ))
}

/// The request as the lifecycle takes it.
fn create_options(name: Option<String>, b: CreateBody) -> CreateOptions {
    let host = b.host_config.unwrap_or_default();
    let positive = |n: i64| (n > 0).then_some(n as u64);
    CreateOptions {
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
    }
}

pub async fn list(ctx: &Context, q: ListQuery) -> Result<Response<Body>, ApiError> {
    check_filters(&q)?;
    let all = q.all || q.limit.is_some();
    let rows = blocking(ctx, move |e| {
        let now = crate::json::unix_nanos(berth_lifecycle::Timestamp::now()).unwrap_or(0);
        let mut out = Vec::new();
        for c in e.ps(all).into_iter().filter(|c| matches(c, &q)) {
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

const FILTERS: &[&str] = &["status", "name", "id", "label"];

fn check_filters(q: &ListQuery) -> Result<(), ApiError> {
    for key in q.filters.keys() {
        if !FILTERS.contains(&key.as_str()) {
            return Err(ApiError::bad_request(format!("Invalid filter '{key}'")));
        }
    }
    for status in q.filters.get("status").into_iter().flatten() {
        const STATES: &[&str] = &[
            "created",
            "running",
            "paused",
            "restarting",
            "removing",
            "exited",
            "dead",
        ];
        if !STATES.contains(&status.as_str()) {
            return Err(ApiError::bad_request(format!(
                "Invalid filter 'status={status}'"
            )));
        }
    }
    Ok(())
}

/// Values of one filter key are alternatives; keys all have to match. A `label` value is a
/// key (present, any value) or `key=value`.
fn matches(c: &Inspect, q: &ListQuery) -> bool {
    let any = |key: &str, test: &dyn Fn(&str) -> bool| {
        q.filters
            .get(key)
            .is_none_or(|values| values.iter().any(|v| test(v)))
    };
    any("status", &|s| c.state.status.to_string() == s)
        && any("name", &|n| {
            c.config.name.bare().contains(n.trim_start_matches('/'))
        })
        && any("id", &|id| c.config.id.as_str().starts_with(id))
        && labelled(c, q)
}

/// dockerd's label filter: unlike the other keys, every `label` value must match.
fn labelled(c: &Inspect, q: &ListQuery) -> bool {
    let filters = q
        .filters
        .get("label")
        .map(Vec::as_slice)
        .unwrap_or_default();
    match_kv_list(filters, &c.config.config.labels)
}

/// `ps`'s IMAGE: the reference as typed while it still names the container's image, else the
/// full image ID (`sha256:...`; the CLI shortens it, dockerd does not).
fn image_column(e: &Engine, c: &Inspect) -> String {
    let typed = &c.config.image;
    match e.store().resolve(typed) {
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

/// `stop`: SIGTERM (or `signal`), then SIGKILL after `timeout`.
pub async fn stop(
    ctx: &Context,
    id: String,
    timeout: Duration,
    signal: Option<String>,
) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| {
        let Some(signal) = signal else {
            return e.stop(&id, timeout);
        };
        // A custom stop signal: send it, give the process `timeout`, then stop it for good
        // (which also answers 304 for a container that was not running).
        if e.kill(&id, &signal).is_ok() {
            let _ = e.wait(
                &id,
                WaitCondition::NotRunning,
                Some(Instant::now() + timeout),
            );
        }
        e.stop(&id, Duration::ZERO)
    })
    .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn kill(ctx: &Context, id: String, signal: String) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| e.kill(&id, &signal)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn restart(
    ctx: &Context,
    id: String,
    timeout: Duration,
) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| e.restart(&id, timeout)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn resize(ctx: &Context, id: String, h: u16, w: u16) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| Ok(e.containers().resize(&id, h, w)?)).await?;
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
/// headers go out at once, and the body `{"StatusCode":N,"Error":null}` at the exit.
pub async fn wait(
    ctx: Arc<Context>,
    id: String,
    condition: WaitCondition,
) -> Result<Response<Body>, ApiError> {
    let lookup = id.clone();
    let first = blocking(&ctx, move |e| e.inspect_container(&lookup)).await?;
    let (tx, body) = body::channel(1);
    let engine = Arc::clone(&ctx.engine);
    tokio::task::spawn_blocking(move || {
        let full_id = first.config.id.to_string();
        let outcome = wait_sliced(&engine, &full_id, condition, &first.state, &|| {
            tx.is_closed()
        });
        if let Some(outcome) = outcome {
            let _ = tx.blocking_send(wait_body(outcome));
        }
    });
    Ok(streamed(StatusCode::OK, "application/json", body))
}

fn wait_body(outcome: Result<WaitOutcome, ApiError>) -> Bytes {
    let value: Value = match outcome {
        Ok(o) => json!({
            "StatusCode": o.status_code,
            "Error": o.error.map(|m| json!({"Message": m})),
        }),
        Err(e) => json!({"StatusCode": -1, "Error": {"Message": e.message}}),
    };
    let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

/// Waits for `condition` in slices of [`WAIT_SLICE`] until it holds or `gone()` says the
/// client left (`None`). Between two slices the condition is re-checked from the state
/// records, so an exit that falls between them is not missed: `base` is the state when the
/// wait began.
fn wait_sliced(
    engine: &Engine,
    id: &str,
    condition: WaitCondition,
    base: &StateRecord,
    gone: &dyn Fn() -> bool,
) -> Option<Result<WaitOutcome, ApiError>> {
    let mut slice_condition = condition;
    let mut last = base.clone();
    loop {
        let deadline = Some(Instant::now() + WAIT_SLICE);
        match engine.wait(id, slice_condition, deadline) {
            Ok(Some(outcome)) => return Some(Ok(outcome)),
            Ok(None) => {}
            // Removed between two slices: every condition is met by then.
            Err(e) if e.kind() == berth_core::ErrorKind::NotFound => {
                return Some(Ok(outcome_of(&last)));
            }
            Err(e) => return Some(Err(ApiError::from_kind(&e))),
        }
        if gone() {
            return None;
        }
        let Ok(now) = engine.inspect_container(id) else {
            continue;
        };
        last = now.state.clone();
        if condition == WaitCondition::NextExit && last.finished_at != base.finished_at {
            // It exited between two slices.
            return Some(Ok(outcome_of(&last)));
        } else if condition == WaitCondition::NextExit && last.started_at != base.started_at {
            // Started since the wait began and still running: its exit is the next one.
            slice_condition = WaitCondition::NotRunning;
        }
    }
}

fn outcome_of(state: &StateRecord) -> WaitOutcome {
    WaitOutcome {
        status_code: state.exit_code,
        error: (!state.error.is_empty()).then(|| state.error.clone()),
    }
}
