//! One measured `docker run` through the Engine API, sent as docker CLI 28 sends it: create
//! (pulling on a 404), attach, wait registered before start, start, read the output until the
//! stream closes, collect the exit code, then remove the container. Cold runs remove the image
//! first, outside the clock. This file owns the request sequence, never the statistics.

use std::io::Read;
use std::thread::JoinHandle;
use std::time::Instant;

use serde_json::{json, Value};

use crate::api::http::{Client, HttpError, Response};
use crate::bench::error::BenchError;
use crate::bench::phases::Sample;
use crate::bench::settings::Mode;
use crate::bench::wait::PendingWait;

/// The API version every engine is driven at, the one the conformance harness pins (dockerd
/// 20.10's newest), so all engines are measured on the same wire format.
pub const API_VERSION: &str = "1.41";

/// An engine under benchmark: its display name and a client for its socket.
#[derive(Debug, Clone)]
pub struct ApiTarget {
    pub name: String,
    pub client: Client,
}

impl ApiTarget {
    pub fn new(name: &str, socket: &std::path::Path) -> ApiTarget {
        ApiTarget {
            name: name.to_string(),
            client: Client::new(socket, API_VERSION),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Response, BenchError> {
        self.client
            .request(method, path, body)
            .map_err(|source| self.unreachable(source))
    }

    fn unreachable(&self, source: HttpError) -> BenchError {
        BenchError::Unreachable {
            engine: self.name.clone(),
            source,
        }
    }

    fn engine(&self, step: &'static str, response: &Response) -> BenchError {
        BenchError::Engine {
            engine: self.name.clone(),
            step,
            status: response.status,
            message: response.message(),
        }
    }

    fn protocol(&self, step: &'static str, why: impl ToString) -> BenchError {
        BenchError::Protocol {
            engine: self.name.clone(),
            step,
            why: why.to_string(),
        }
    }
}

/// Milliseconds from `since` to `at`.
fn ms(since: Instant, at: Instant) -> f64 {
    at.duration_since(since).as_secs_f64() * 1000.0
}

/// Runs `image` once and measures every phase.
pub fn run_once(target: &ApiTarget, image: &str, mode: Mode) -> Result<Sample, BenchError> {
    if mode == Mode::Cold {
        remove_image(target, image)?;
    }
    let began = Instant::now();
    let (id, pull) = create(target, image)?;
    let created = Instant::now();
    let reader = attach(target, &id)?;
    let wait =
        PendingWait::register(&target.client, &id).map_err(|why| target.protocol("wait", why))?;
    let response = target.call("POST", &format!("/containers/{id}/start"), None)?;
    let started = Instant::now();
    if response.status != 204 {
        let error = target.engine("start", &response);
        let _ = remove_container(target, &id);
        return Err(error);
    }
    let (exited, exit_code) = wait.finish().map_err(|why| target.protocol("wait", why))?;
    let first_byte = reader
        .join()
        .map_err(|_| target.protocol("attach", "the reader panicked"))?
        .map_err(|why| target.protocol("attach", why))?;
    let removing = Instant::now();
    remove_container(target, &id)?;
    let removed = Instant::now();
    Ok(Sample {
        pull,
        create: ms(began, created),
        start: ms(began, started),
        first_byte: first_byte.map(|at| ms(began, at)),
        exit: ms(began, exited),
        remove: ms(removing, removed),
        total: ms(began, removed),
        exit_code,
    })
}

/// Creates the container, pulling once on a 404 as the CLI does; returns its id and how long
/// the pull took, if there was one.
fn create(target: &ApiTarget, image: &str) -> Result<(String, Option<f64>), BenchError> {
    let body = json!({ "Image": image, "AttachStdout": true, "AttachStderr": true });
    let mut response = target.call("POST", "/containers/create", Some(&body))?;
    let mut pulled = None;
    if response.status == 404 {
        let pulling = Instant::now();
        pull(target, image, &response)?;
        pulled = Some(ms(pulling, Instant::now()));
        response = target.call("POST", "/containers/create", Some(&body))?;
    }
    if response.status != 201 {
        return Err(target.engine("create", &response));
    }
    let id = response
        .json()
        .and_then(|v| v["Id"].as_str().map(str::to_string))
        .ok_or_else(|| target.protocol("create", "no Id in the answer"))?;
    Ok((id, pulled))
}

/// Pulls `image`; a failure becomes "image missing", naming the 404 that led here.
fn pull(target: &ApiTarget, image: &str, not_found: &Response) -> Result<(), BenchError> {
    let (name, tag) = split_reference(image);
    let path = format!("/images/create?fromImage={}&tag={}", enc(&name), enc(&tag));
    let response = target.call("POST", &path, None)?;
    let missing = |why: String| BenchError::ImageMissing {
        engine: target.name.clone(),
        image: image.to_string(),
        why: format!("{why} (create said: {})", not_found.message()),
    };
    if response.status != 200 {
        return Err(missing(format!(
            "pull answered {}: {}",
            response.status,
            response.message()
        )));
    }
    match pull_error(&response.body) {
        Some(error) => Err(missing(error)),
        None => Ok(()),
    }
}

/// The first `error` of a pull's progress stream, if any.
fn pull_error(body: &[u8]) -> Option<String> {
    body.split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .find_map(|message| message["error"].as_str().map(str::to_string))
}

/// Attaches to the container and reads its output on a thread, returning when the first
/// byte arrived (`None` when the stream closed without output).
fn attach(
    target: &ApiTarget,
    id: &str,
) -> Result<JoinHandle<Result<Option<Instant>, String>>, BenchError> {
    let path = format!("/containers/{id}/attach?stream=1&stdout=1&stderr=1");
    let stream = match target.client.upgrade(&path) {
        Ok(Ok(stream)) => stream,
        Ok(Err(response)) => return Err(target.engine("attach", &response)),
        Err(source) => return Err(target.unreachable(source)),
    };
    Ok(std::thread::spawn(move || read_output(stream)))
}

/// Reads the attach stream to its end, noting when the first byte came.
fn read_output(mut stream: berth_client::http::Upgraded) -> Result<Option<Instant>, String> {
    let mut first = None;
    let mut buffer = [0u8; 8192];
    loop {
        let read = stream.read(&mut buffer).map_err(|e| e.to_string())?;
        if read == 0 {
            return Ok(first);
        }
        first.get_or_insert_with(Instant::now);
    }
}

fn remove_container(target: &ApiTarget, id: &str) -> Result<(), BenchError> {
    let response = target.call("DELETE", &format!("/containers/{id}?force=1"), None)?;
    match response.status {
        204 => Ok(()),
        _ => Err(target.engine("remove", &response)),
    }
}

/// Removes the image so the next run pulls it; an image that is already gone is fine.
pub fn remove_image(target: &ApiTarget, image: &str) -> Result<(), BenchError> {
    let response = target.call("DELETE", &format!("/images/{}?force=1", enc(image)), None)?;
    match response.status {
        200 | 404 => Ok(()),
        _ => Err(target.engine("remove image", &response)),
    }
}

/// Splits `name[:tag]` or `name@digest` as the CLI does for `fromImage` and `tag`.
fn split_reference(reference: &str) -> (String, String) {
    if let Some((name, digest)) = reference.split_once('@') {
        return (name.to_string(), digest.to_string());
    }
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[slash..].rfind(':') {
        Some(i) => (
            reference[..slash + i].to_string(),
            reference[slash + i + 1..].to_string(),
        ),
        None => (reference.to_string(), "latest".to_string()),
    }
}

/// Percent-encodes a query or path value.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_like_the_cli() {
        let split = |r: &str| split_reference(r);
        assert_eq!(
            split("hello-world"),
            ("hello-world".into(), "latest".into())
        );
        assert_eq!(
            split("127.0.0.1:5000/big:v1"),
            ("127.0.0.1:5000/big".into(), "v1".into())
        );
        assert_eq!(split("a@sha256:00"), ("a".into(), "sha256:00".into()));
    }

    #[test]
    fn pull_errors_are_found_in_the_progress_stream() {
        let body = b"{\"status\":\"Pulling\"}\n{\"error\":\"manifest unknown\"}\n";
        assert_eq!(pull_error(body), Some("manifest unknown".into()));
        assert_eq!(pull_error(b"{\"status\":\"Done\"}\n"), None);
    }
}
