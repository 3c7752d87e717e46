//! The docker CLI's request sequence for `run`, `create` and `start -a`, the one copy that the
//! berth CLI, the conformance harness and `berth bench` all send, in docker CLI 28's order:
//! `POST /containers/create` (on a 404, pull through the caller's puller and create once
//! more), then for an attached run `POST .../attach` (upgraded), `POST .../wait` registered
//! before start (its head read, so the engine has the wait in place), `POST .../start`; the
//! caller reads the stream its own way and then collects the wait's answer; `--rm` is the
//! daemon's (`condition=removed`), or `DELETE /containers/{id}` for callers that remove
//! themselves. Answers the daemon refused come back as the [`Response`], so each caller words
//! them its own way; only failures below HTTP are errors here.

use std::time::{Duration, Instant};

use berth_api::answer::WaitResponse;
use berth_api::create::{ContainerCreateBody, ContainerCreateResponse};
use berth_api::query::{self, WaitCondition};

use crate::http::{Client, HttpError, Response, Upgraded};
use crate::transport::Canceller;

/// An answer the daemon gave instead of success, or the value.
pub type Answer<T> = Result<T, Response>;

fn malformed(target: &str, what: impl ToString) -> HttpError {
    HttpError::Malformed {
        method: "POST".into(),
        target: target.into(),
        what: what.to_string(),
    }
}

/// Creates the container; on a 404 calls `pull` with that answer and, if it says so (`true`),
/// creates once more. `pull` is where each caller pulls its way (progress bars, a timer, a
/// fixture loader) and decides whether the 404 was for the image.
pub fn create<E: From<HttpError>>(
    client: &Client,
    name: Option<&str>,
    body: &ContainerCreateBody,
    mut pull: impl FnMut(&Response) -> Result<bool, E>,
) -> Result<Answer<ContainerCreateResponse>, E> {
    let path = query::create_path(name);
    let json = serde_json::to_value(body).map_err(|e| malformed(&path, e))?;
    let mut response = client.request("POST", &path, Some(&json))?;
    if response.status == 404 && pull(&response)? {
        response = client.request("POST", &path, Some(&json))?;
    }
    if response.status != 201 {
        return Ok(Err(response));
    }
    let created = serde_json::from_slice(&response.body).map_err(|e| malformed(&path, e))?;
    Ok(Ok(created))
}

/// `POST /containers/{id}/start`.
pub fn start(client: &Client, id: &str) -> Result<Answer<()>, HttpError> {
    let response = client.request("POST", &format!("/containers/{id}/start"), None)?;
    Ok(if response.status < 300 {
        Ok(())
    } else {
        Err(response)
    })
}

/// `DELETE /containers/{id}[?force=1]`.
pub fn remove(client: &Client, id: &str, force: bool) -> Result<Answer<()>, HttpError> {
    let force = if force { "?force=1" } else { "" };
    let response = client.request("DELETE", &format!("/containers/{id}{force}"), None)?;
    Ok(if response.status < 300 {
        Ok(())
    } else {
        Err(response)
    })
}

/// A started, attached container: its output stream and the wait registered before start.
#[derive(Debug)]
pub struct Running {
    pub stream: Upgraded,
    pub wait: Waiter,
}

/// Attach, register the wait, start: what `run` and `start -a` do once the container exists.
/// When start fails the wait is given up (for `removed`, after giving the daemon up to ten
/// seconds to remove the container, as the CLI does with `--rm`) and start's answer returned.
pub fn attach_and_start(
    client: &Client,
    id: &str,
    stdin: bool,
    condition: WaitCondition,
) -> Result<Answer<Running>, HttpError> {
    let stream = match client.upgrade(&query::attach_path(id, stdin))? {
        Ok(stream) => stream,
        Err(response) => return Ok(Err(response)),
    };
    let wait = Waiter::register(client, id, condition)?;
    if let Err(response) = start(client, id)? {
        drop(stream);
        match condition {
            WaitCondition::Removed => wait.settle(Duration::from_secs(10)),
            _ => wait.cancel(),
        }
        return Ok(Err(response));
    }
    Ok(Ok(Running { stream, wait }))
}

/// The wait's answer, and when it arrived (the benchmark's exit time).
#[derive(Debug)]
pub struct Waited {
    pub answer: Answer<WaitResponse>,
    pub at: Instant,
}

/// A `wait` registered before start, answered on a thread.
#[derive(Debug)]
pub struct Waiter {
    cancel: Canceller,
    thread: std::thread::JoinHandle<Result<(Response, Instant), HttpError>>,
}

impl Waiter {
    /// Sends the wait and returns once its head arrived, so the daemon has registered it
    /// before the container starts (a `--rm` container may be gone by the time a wait that
    /// was merely sent gets looked at).
    pub fn register(
        client: &Client,
        id: &str,
        condition: WaitCondition,
    ) -> Result<Waiter, HttpError> {
        let path = query::wait_path(id, condition);
        let pending = client.begin_head("POST", &path)?;
        let cancel = pending
            .connection()
            .canceller()
            .map_err(|e| malformed(&path, e))?;
        let thread = std::thread::spawn(move || {
            let response = pending.finish()?;
            Ok((response, Instant::now()))
        });
        Ok(Waiter { cancel, thread })
    }

    /// Gives the wait up at once.
    pub fn cancel(self) {
        let _ = self.cancel.shutdown(std::net::Shutdown::Both);
        let _ = self.thread.join();
    }

    /// Waits at most `limit` for the answer, then drops it.
    pub fn settle(self, limit: Duration) {
        let _ = self.cancel.set_read_timeout(Some(limit));
        let _ = self.thread.join();
    }

    /// Blocks until the answer arrives.
    pub fn finish(self) -> Result<Waited, HttpError> {
        let (response, at) = self
            .thread
            .join()
            .map_err(|_| malformed("wait", "the wait thread panicked"))??;
        if response.status >= 400 {
            return Ok(Waited {
                answer: Err(response),
                at,
            });
        }
        let answer = serde_json::from_slice(&response.body).map_err(|e| {
            malformed(
                "wait",
                format!("{e}: {:?}", String::from_utf8_lossy(&response.body)),
            )
        })?;
        Ok(Waited {
            answer: Ok(answer),
            at,
        })
    }
}
