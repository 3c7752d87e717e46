//! One measured `docker run` through the Engine API, sent as docker CLI 28 sends it (berth-
//! client's one copy of the sequence): create (pulling on a 404), attach, wait registered
//! before start, start, read the output until the stream closes, collect the exit code, then
//! remove the container. Cold runs remove the image first, outside the clock. This file times
//! the sequence, never computes the statistics.

use std::io::Read;
use std::time::{Duration, Instant};

use berth_api::create::ContainerCreateBody;
use berth_api::query::{self, WaitCondition};
use berth_api::{enc, API_VERSION};
use berth_client::sequence::{self, Running};

use crate::api::http::{Client, HttpError, Response};
use crate::bench::error::BenchError;
use crate::bench::phases::Sample;
use crate::bench::settings::Mode;

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
            // A run may take long on a loaded machine; the wait must outlast it.
            client: Client::new(socket, API_VERSION).with_timeout(Some(Duration::from_secs(120))),
        }
    }

    fn call(&self, method: &str, path: &str) -> Result<Response, BenchError> {
        self.client
            .request(method, path, None)
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
    let started = sequence::attach_and_start(&target.client, &id, false, WaitCondition::NextExit)
        .map_err(|source| target.unreachable(source))?;
    let Running { stream, wait } = match started {
        Ok(running) => running,
        Err(response) => {
            let error = target.engine("start", &response);
            let _ = remove_container(target, &id);
            return Err(error);
        }
    };
    let started = Instant::now();
    let reader = std::thread::spawn(move || read_output(stream));
    let waited = wait.finish().map_err(|e| target.protocol("wait", e))?;
    let exited = waited.at;
    let exit_code = match waited.answer {
        Ok(w) if w.error.as_ref().is_none_or(|e| e.message.is_empty()) => w.status_code,
        Ok(w) => {
            let message = w.error.map(|e| e.message).unwrap_or_default();
            return Err(target.protocol("wait", format!("wait reported {message:?}")));
        }
        Err(response) => return Err(target.engine("wait", &response)),
    };
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
    let mut body = ContainerCreateBody::docker_cli(image);
    body.attach_stdout = true;
    body.attach_stderr = true;
    let mut pulled = None;
    let pull = |not_found: &Response| -> Result<bool, Step> {
        let pulling = Instant::now();
        pull(target, image, not_found).map_err(Step::Bench)?;
        pulled = Some(ms(pulling, Instant::now()));
        Ok(true)
    };
    let created = match sequence::create(&target.client, None, &body, pull) {
        Ok(Ok(created)) => created,
        Ok(Err(response)) => return Err(target.engine("create", &response)),
        Err(Step::Bench(e)) => return Err(e),
        Err(Step::Http(source)) => return Err(target.unreachable(source)),
    };
    if created.id.is_empty() {
        return Err(target.protocol("create", "no Id in the answer"));
    }
    Ok((created.id, pulled))
}

/// Why the create step failed: below HTTP, or in the pull.
#[derive(Debug)]
enum Step {
    Http(HttpError),
    Bench(BenchError),
}

impl From<HttpError> for Step {
    fn from(e: HttpError) -> Step {
        Step::Http(e)
    }
}

/// Pulls `image`; a failure becomes "image missing", naming the 404 that led here.
fn pull(target: &ApiTarget, image: &str, not_found: &Response) -> Result<(), BenchError> {
    let response = target.call("POST", &query::pull_path(image))?;
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
    match berth_api::stream::first_error(&response.body) {
        Some(error) => Err(missing(error)),
        None => Ok(()),
    }
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
    match sequence::remove(&target.client, id, true) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(response)) => Err(target.engine("remove", &response)),
        Err(source) => Err(target.unreachable(source)),
    }
}

/// Removes the image so the next run pulls it; an image that is already gone is fine.
pub fn remove_image(target: &ApiTarget, image: &str) -> Result<(), BenchError> {
    let response = target.call("DELETE", &format!("/images/{}?force=1", enc(image)))?;
    match response.status {
        200 | 404 => Ok(()),
        _ => Err(target.engine("remove image", &response)),
    }
}
