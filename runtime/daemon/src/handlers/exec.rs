//! The exec endpoints: create (`POST /containers/{id}/exec`), start (`POST /exec/{id}/start`,
//! hijacked with `Upgrade: tcp` like attach, or the output as the response body), inspect and
//! resize. A started exec's output goes to the client until the process has ended and its exit
//! code is recorded, so a client that inspects right after the stream closes reads it. A
//! command that cannot start is reported in the stream, as dockerd does, with exit code 126.
//! The process's pipes (or pty master) are read and written on the runtime's reactor and its
//! exit is awaited: a running exec holds no thread.

use std::fs::File;
use std::sync::Arc;

use berth_lifecycle::{ExecOptions, ExecStreams, LifecycleError, Stream};
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::pipes::{self, Stdin};
use super::{blocking, empty, json, streamed, Extras};
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::stream::{content_type, frame};
use crate::versions::ApiVersion;
use crate::Context;

/// Output chunks queued between the readers and the client.
const BACKLOG: usize = 64;

pub async fn create(
    ctx: &Context,
    id: String,
    options: ExecOptions,
) -> Result<Response<Body>, ApiError> {
    let exec_id = blocking(ctx, move |e| {
        Ok(e.containers().exec_create(&id, options)?)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &json!({ "Id": exec_id })))
}

/// What a start produced: the process's streams, or the text of why it could not start.
enum Started {
    Running(ExecStreams),
    Failed { message: String },
}

/// `POST /exec/{id}/start`. The output is multiplexed unless the *start* request asks for a
/// TTY, whatever the exec was created with, as dockerd frames it: an SDK that starts an exec
/// created with `Tty: true` without a TTY of its own reads stdcopy frames, as it expects.
pub async fn start(
    ctx: Arc<Context>,
    v: ApiVersion,
    id: String,
    detach: bool,
    tty: bool,
    extras: Extras,
) -> Result<Response<Body>, ApiError> {
    let exec_id = id.clone();
    let started = blocking(&ctx, move |e| {
        match e.containers().exec_start(&exec_id, detach) {
            Ok(streams) => Ok(Started::Running(streams)),
            Err(LifecycleError::ExecFailed { message }) => Ok(Started::Failed { message }),
            Err(other) => Err(other.into()),
        }
    })
    .await?;
    if detach {
        return Ok(empty(StatusCode::OK));
    }
    let kind = content_type(v, tty);
    let (tx, rx) = mpsc::channel::<Bytes>(BACKLOG);
    let stdin = pump(ctx, id, started, tty, tx);
    let Some(upgrade) = extras.upgrade else {
        // The output as the response body; no stdin without a hijacked connection.
        drop(stdin);
        return Ok(streamed(StatusCode::OK, kind, body::from_receiver(rx)));
    };
    let stream = move |io| hijacked(io, rx, stdin);
    tokio::spawn(super::attach::hijack(upgrade, extras.slot, stream));
    Ok(super::attach::switching_protocols(kind))
}

/// Starts the readers of the exec's output (framed into `tx` unless `tty`), and, once both
/// ended, waits for the exit to be recorded before `tx` closes. Answers the exec's stdin, if
/// attached.
fn pump(
    ctx: Arc<Context>,
    id: String,
    started: Started,
    tty: bool,
    tx: mpsc::Sender<Bytes>,
) -> Option<File> {
    let streams = match started {
        Started::Running(streams) => streams,
        Started::Failed { message } => {
            let text = format!("{message}\r\n");
            let _ = tx.try_send(frame(tty, Stream::Stdout, text.as_bytes()));
            return None;
        }
    };
    let readers: Vec<_> = [
        (Stream::Stdout, streams.stdout),
        (Stream::Stderr, streams.stderr),
    ]
    .into_iter()
    .filter_map(|(stream, file)| file.map(|f| (stream, f)))
    .map(|(stream, file)| tokio::spawn(read_into(file, stream, tty, tx.clone())))
    .collect();
    tokio::spawn(async move {
        for reader in readers {
            let _ = reader.await;
        }
        let _ = ctx.engine.containers().exec_exited(&id).await;
        drop(tx);
    });
    streams.stdin
}

/// Copies one output stream into frames until EOF (the process and its children closed it;
/// a pty master reads EIO then) or until the client is gone.
async fn read_into(file: File, stream: Stream, tty: bool, tx: mpsc::Sender<Bytes>) {
    let mut pipe = match pipes::reader(file) {
        Ok(pipe) => pipe,
        Err(e) => return tracing::warn!("exec output: {e}"),
    };
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if tx.send(frame(tty, stream, &buf[..n])).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The hijacked connection: output to the client until the exec ended, the client's bytes to
/// the exec's stdin until the client closes its side.
async fn hijacked<S>(io: S, mut rx: mpsc::Receiver<Bytes>, stdin: Option<File>)
where
    S: AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let (reader, mut writer) = tokio::io::split(io);
    let stdin = match stdin.map(pipes::writer).transpose() {
        Ok(stdin) => stdin,
        Err(e) => {
            tracing::warn!("exec stdin: {e}");
            None
        }
    };
    let stdin = stdin.map(|s| tokio::spawn(pipes::copy_stdin(reader, Stdin::Exec(s))));
    while let Some(chunk) = rx.recv().await {
        if writer.write_all(&chunk).await.is_err() || writer.flush().await.is_err() {
            break;
        }
    }
    let _ = writer.shutdown().await;
    if let Some(task) = stdin {
        task.abort();
    }
}

pub async fn inspect(ctx: &Context, id: String) -> Result<Response<Body>, ApiError> {
    let i = blocking(ctx, move |e| Ok(e.containers().exec_inspect(&id)?)).await?;
    let (entrypoint, arguments) = i
        .options
        .cmd
        .split_first()
        .map_or((String::new(), Vec::new()), |(first, rest)| {
            (first.clone(), rest.to_vec())
        });
    let mut process = json!({
        "tty": i.options.tty,
        "entrypoint": entrypoint,
        "arguments": arguments,
        "privileged": i.options.privileged,
    });
    if !i.options.user.is_empty() {
        process["user"] = Value::String(i.options.user.clone());
    }
    Ok(json(
        StatusCode::OK,
        &json!({
            "ID": i.id,
            "Running": i.running,
            "ExitCode": i.exit_code,
            "ProcessConfig": process,
            "OpenStdin": i.options.attach_stdin,
            "OpenStderr": i.options.attach_stderr,
            "OpenStdout": i.options.attach_stdout,
            "CanRemove": false,
            "ContainerID": i.container.as_str(),
            "DetachKeys": "",
            "Pid": i.pid,
        }),
    ))
}

pub async fn resize(ctx: &Context, id: String, h: u16, w: u16) -> Result<Response<Body>, ApiError> {
    blocking(ctx, move |e| Ok(e.containers().exec_resize(&id, h, w)?)).await?;
    Ok(empty(StatusCode::OK))
}
