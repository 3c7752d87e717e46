//! An Engine API endpoint as a harness engine: each command is sent as docker CLI 28 sends it
//! (pull on a 404 from create, attach and wait before start for `run`, and so on), and each
//! answer becomes an observation.

use berth_api::answer::{
    ContainerInspect, ContainerSummary, ImageDeleteItem, ImageInspect, ImageSummary, WaitResponse,
};
use berth_api::create::{ContainerCreateBody, Strings};
use berth_api::query::{self, CommitQuery, WaitCondition};
use berth_api::{enc, API_VERSION};
use berth_client::sequence::{self, Running};
use berth_client::transport::Endpoint;
use berth_model::command::{Command, CreateOpts};
use berth_model::ErrorKind;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::http::{Client, HttpError, Response};
use crate::api::mux::{demultiplex, Frame};
use crate::engine::{Engine, EngineError};
use crate::observe::{digest_repo, ContainerView, ImageView, Observation, Probe};
use crate::registry_tags::RegistryTags;

/// Where images come from for an engine whose own pull cannot reach them: the embedded
/// engine's fixture layouts, served as a registry would serve them. `pull` stands in for the
/// engine's `docker pull` (and the pull of a `run` whose image is missing), `retag` for the
/// registry's `remote-retag`, `restore` for putting the moved tags back.
pub trait ImageSource: std::fmt::Debug {
    fn pull(&self, reference: &str) -> Observation;
    fn retag(&self, source: &str, target: &str) -> Observation;
    fn restore(&self);
}

/// A Docker Engine API endpoint.
#[derive(Debug)]
pub struct ApiEngine {
    name: String,
    client: Client,
    /// The registry the engine pulls from, whose tags `remote-retag` moves.
    tags: Option<RegistryTags>,
    /// Images not pulled through the engine's own pull (the embedded engine's fixtures).
    images: Option<Box<dyn ImageSource + Send + Sync>>,
}

fn kind_of(status: u16) -> ErrorKind {
    match status {
        404 => ErrorKind::NotFound,
        400 => ErrorKind::InvalidParameter,
        409 => ErrorKind::Conflict,
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Forbidden,
        503 => ErrorKind::Unavailable,
        304 => ErrorKind::NotModified,
        501 => ErrorKind::NotImplemented,
        _ => ErrorKind::System,
    }
}

fn error_of(response: &Response) -> Observation {
    if response.status == 304 {
        return Observation::NotModified;
    }
    Observation::Error {
        kind: kind_of(response.status),
        message: response.message(),
    }
}

/// The output an attached client saw, split by stream.
fn split_frames(bytes: &[u8]) -> (String, String) {
    let mut out = (String::new(), String::new());
    for (stream, data) in demultiplex(bytes) {
        let text = String::from_utf8_lossy(&data);
        match stream {
            Frame::Stdout => out.0.push_str(&text),
            Frame::Stderr => out.1.push_str(&text),
        }
    }
    out
}

impl ApiEngine {
    pub fn new(name: &str, socket: &std::path::Path, registry: Option<String>) -> ApiEngine {
        ApiEngine::with_endpoint(name, Endpoint::unix(socket), registry)
    }

    /// Any endpoint: a unix socket, or `tcp://` with mutual TLS.
    pub fn with_endpoint(name: &str, endpoint: Endpoint, registry: Option<String>) -> ApiEngine {
        ApiEngine {
            name: name.to_string(),
            client: Client::with_endpoint(endpoint, API_VERSION),
            tags: registry.map(RegistryTags::new),
            images: None,
        }
    }

    /// Images from `images` rather than the engine's own pull (see [`ImageSource`]).
    pub fn with_images(mut self, images: Box<dyn ImageSource + Send + Sync>) -> ApiEngine {
        self.images = Some(images);
        self
    }

    /// Where the fixture layouts are, so tags moved by `remote-retag` can be restored.
    pub fn with_fixtures(mut self, dir: &std::path::Path) -> ApiEngine {
        self.tags = self.tags.map(|t| t.with_fixtures(dir.to_path_buf()));
        self
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, EngineError> {
        self.client
            .request(method, path, body)
            .map_err(|e| self.unreachable(e))
    }

    /// A JSON answer as its berth-api type.
    fn parse<T: DeserializeOwned>(
        &self,
        what: &str,
        response: &Response,
    ) -> Result<T, EngineError> {
        serde_json::from_slice(&response.body).map_err(|e| self.protocol(what, &e.to_string()))
    }

    fn unreachable(&self, e: HttpError) -> EngineError {
        EngineError::Unreachable {
            engine: self.name.clone(),
            what: e.to_string(),
        }
    }

    fn protocol(&self, command: &str, what: &str) -> EngineError {
        EngineError::Protocol {
            engine: self.name.clone(),
            command: command.to_string(),
            what: what.to_string(),
        }
    }

    /// `docker pull REFERENCE`, as an observation.
    pub fn pull_image(&self, reference: &str) -> Result<Observation, EngineError> {
        if let Some(images) = &self.images {
            return Ok(images.pull(reference));
        }
        let response = self.call("POST", &query::pull_path(reference), None)?;
        if response.status != 200 {
            return Ok(error_of(&response));
        }
        let mut up_to_date = false;
        for line in response
            .body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
        {
            let message: berth_api::stream::ProgressMessage =
                serde_json::from_slice(line).map_err(|e| self.protocol("pull", &e.to_string()))?;
            if let Some(error) = message.error {
                return Ok(Observation::Error {
                    kind: ErrorKind::System,
                    message: error,
                });
            }
            up_to_date |= message.status.starts_with("Status: Image is up to date");
        }
        Ok(Observation::Pulled { up_to_date })
    }

    /// `create` as the CLI does it (berth-client's sequence): a 404 for the image makes it
    /// pull and try once more.
    fn create(
        &self,
        opts: &CreateOpts,
        attach: bool,
    ) -> Result<Result<String, Observation>, EngineError> {
        let mut body = ContainerCreateBody::docker_cli(&opts.image);
        body.attach_stdout = attach;
        body.attach_stderr = attach;
        if !opts.command.is_empty() {
            body.cmd = Some(Strings::Many(opts.command.clone()));
        }
        if let Some(host) = body.host_config.as_mut() {
            host.auto_remove = opts.auto_remove;
        }
        let pull = |response: &Response| -> Result<bool, Failed> {
            // The CLI pulls on any 404 (`errdefs.IsNotFound`), whatever the text: podman words
            // it `no such image: docker.io/library/...`.
            if response.status != 404 {
                return Ok(false);
            }
            match self.pull_image(&opts.image).map_err(Failed::Engine)? {
                Observation::Error { kind, message } => {
                    Err(Failed::Observed(Observation::Error { kind, message }))
                }
                _ => Ok(true),
            }
        };
        match sequence::create(&self.client, opts.name.as_deref(), &body, pull) {
            Ok(Ok(created)) => Ok(Ok(created.id)),
            Ok(Err(response)) => Ok(Err(error_of(&response))),
            Err(Failed::Observed(observation)) => Ok(Err(observation)),
            Err(Failed::Engine(e)) => Err(e),
            Err(Failed::Http(e)) => Err(self.unreachable(e)),
        }
    }

    /// Attach, wait and start, as an attached `run` or `start -a` does (berth-client's
    /// sequence); returns the output, the exit code, or the start error.
    fn run_attached(
        &self,
        id: &str,
        auto_remove: bool,
    ) -> Result<Result<(String, String, i32), Observation>, EngineError> {
        let condition = match auto_remove {
            true => WaitCondition::Removed,
            false => WaitCondition::NextExit,
        };
        let started = sequence::attach_and_start(&self.client, id, false, condition)
            .map_err(|e| self.unreachable(e))?;
        let Running { mut stream, wait } = match started {
            Ok(running) => running,
            Err(response) => return Ok(Err(error_of(&response))),
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stream, &mut bytes)
            .map_err(|e| self.protocol("attach", &e.to_string()))?;
        let waited = wait.finish().map_err(|e| self.unreachable(e))?;
        let code = waited.answer.map_or(-1, |w| w.status_code) as i32;
        let (stdout, stderr) = split_frames(&bytes);
        Ok(Ok((stdout, stderr, code)))
    }

    fn run(&self, opts: &CreateOpts, detach: bool) -> Result<Observation, EngineError> {
        let id = match self.create(opts, !detach)? {
            Ok(id) => id,
            Err(observation) => return Ok(observation),
        };
        let ran = |stdout, stderr, exit, start_error| Observation::Ran {
            id: id.clone(),
            stdout,
            stderr,
            exit,
            start_error,
        };
        if detach {
            let started = sequence::start(&self.client, &id).map_err(|e| self.unreachable(e))?;
            let start_error = started
                .err()
                .map(|response| (kind_of(response.status), response.message()));
            return Ok(ran(String::new(), String::new(), None, start_error));
        }
        Ok(match self.run_attached(&id, opts.auto_remove)? {
            Ok((stdout, stderr, code)) => ran(stdout, stderr, Some(code), None),
            Err(Observation::Error { kind, message }) => {
                ran(String::new(), String::new(), None, Some((kind, message)))
            }
            Err(other) => other,
        })
    }

    /// A per-target verb: one call per target, in order.
    fn each(
        &self,
        targets: &[String],
        mut op: impl FnMut(&str) -> Result<Observation, EngineError>,
    ) -> Result<Observation, EngineError> {
        let mut results = Vec::new();
        for target in targets {
            if target.is_empty() {
                let message = "invalid container name or ID: value is empty".to_string();
                results.push((
                    target.clone(),
                    Observation::Error {
                        kind: ErrorKind::InvalidParameter,
                        message,
                    },
                ));
                continue;
            }
            results.push((target.clone(), op(target)?));
        }
        Ok(Observation::PerTarget { results })
    }

    fn simple(&self, method: &str, path: &str, ok: u16) -> Result<Observation, EngineError> {
        let response = self.call(method, path, None)?;
        Ok(if response.status == ok {
            Observation::Done
        } else {
            error_of(&response)
        })
    }

    fn inspect(&self, target: &str) -> Result<Observation, EngineError> {
        let container = self.call("GET", &format!("/containers/{}/json", enc(target)), None)?;
        if container.status == 200 {
            return Ok(Observation::Inspected {
                document: container.json().unwrap_or_default(),
            });
        }
        if container.status != 404 {
            return Ok(error_of(&container));
        }
        let image = self.call("GET", &format!("/images/{}/json", enc(target)), None)?;
        Ok(match image.status {
            200 => Observation::Inspected {
                document: image.json().unwrap_or_default(),
            },
            404 => Observation::Error {
                kind: ErrorKind::NotFound,
                message: format!("No such object: {target}"),
            },
            _ => error_of(&image),
        })
    }

    fn commit(
        &self,
        target: &str,
        repository: Option<&str>,
        changes: &[String],
        message: Option<&str>,
    ) -> Result<Observation, EngineError> {
        let path = CommitQuery {
            container: target.to_string(),
            reference: repository.map(str::to_string),
            comment: message.map(str::to_string),
            changes: changes.to_vec(),
        }
        .path();
        // No body, as the docker CLI 28 sends it (`Content-Length: 0`: its container config is
        // nil without `--change` config; seen with strace). podman 4.3 answers that with 500
        // `Decode(): EOF` (containers/podman#26261), which the harness must show, not avoid.
        let response = self.call("POST", &path, None)?;
        if response.status != 201 {
            return Ok(error_of(&response));
        }
        let created: berth_api::exec::IdResponse = self.parse("commit", &response)?;
        if created.id.is_empty() {
            return Err(self.protocol("commit", "no Id"));
        }
        Ok(Observation::Committed { id: created.id })
    }

    fn rmi(&self, target: &str, force: bool) -> Result<Observation, EngineError> {
        let response = self.call(
            "DELETE",
            &format!("/images/{}?force={}", enc(target), u8::from(force)),
            None,
        )?;
        if response.status != 200 {
            return Ok(error_of(&response));
        }
        let items: Vec<ImageDeleteItem> = self.parse("rmi", &response)?;
        Ok(Observation::Deleted {
            items: items.iter().map(ToString::to_string).collect(),
        })
    }

    fn logs(&self, target: &str) -> Result<Observation, EngineError> {
        let response = self.call(
            "GET",
            &format!("/containers/{}/logs?stdout=1&stderr=1", enc(target)),
            None,
        )?;
        if response.status != 200 {
            return Ok(error_of(&response));
        }
        let (stdout, stderr) = split_frames(&response.body);
        Ok(Observation::Logs { stdout, stderr })
    }

    /// Moves a tag in the registry by copying the source manifest over it.
    fn retag(&mut self, source: &str, target: &str) -> Result<Observation, EngineError> {
        if let Some(images) = &self.images {
            return Ok(images.retag(source, target));
        }
        let name = self.name.clone();
        let protocol = |what: String| EngineError::Protocol {
            engine: name.clone(),
            command: "remote-retag".into(),
            what,
        };
        let tags = self
            .tags
            .as_mut()
            .ok_or_else(|| protocol("no registry configured".into()))?;
        Ok(match tags.retag(source, target).map_err(protocol)? {
            true => Observation::Done,
            false => Observation::Error {
                kind: ErrorKind::NotFound,
                message: format!("remote-retag {source} {target} failed"),
            },
        })
    }

    fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, EngineError> {
        let response = self.call("GET", path, None)?;
        if response.status != 200 {
            // An engine failing to list its own state: say what it said, not what a list
            // parser makes of an error document.
            return Err(self.protocol(path, &format!("{} {}", response.status, response.message())));
        }
        self.parse(path, &response)
    }

    fn container_view(&self, summary: &ContainerSummary) -> Result<ContainerView, EngineError> {
        let id = summary.id.clone();
        let inspected = self.call("GET", &format!("/containers/{id}/json"), None)?;
        let exit_code = serde_json::from_slice::<ContainerInspect>(&inspected.body)
            .map_or(-1, |c| c.state.exit_code) as i32;
        let (stdout, stderr) = match self.logs(&id)? {
            Observation::Logs { stdout, stderr } => (stdout, stderr),
            _ => (String::new(), String::new()),
        };
        Ok(ContainerView {
            name: summary
                .names
                .first()
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            id,
            image: summary.image.clone(),
            image_id: summary.image_id.clone(),
            command: summary.command.clone(),
            state: summary.state.clone(),
            exit_code,
            stdout,
            stderr,
        })
    }

    fn image_view(&self, summary: &ImageSummary) -> Result<ImageView, EngineError> {
        let id = summary.id.clone();
        let inspected = self.call("GET", &format!("/images/{id}/json"), None)?;
        let layers = serde_json::from_slice::<ImageInspect>(&inspected.body)
            .map_or(0, |i| i.root_fs.layers.len());
        let mut repo_tags: Vec<String> = summary
            .repo_tags
            .iter()
            .filter(|t| *t != "<none>:<none>")
            .cloned()
            .collect();
        let mut digest_repos: Vec<String> = summary
            .repo_digests
            .iter()
            .filter(|d| *d != "<none>@<none>")
            .map(|d| digest_repo(d))
            .collect();
        repo_tags.sort();
        digest_repos.sort();
        Ok(ImageView {
            id,
            parent: summary.parent_id.clone(),
            repo_tags,
            digest_repos,
            layers,
        })
    }
}

/// Why `create` did not create: below HTTP, an engine error, or an observation to report.
#[derive(Debug)]
enum Failed {
    Http(HttpError),
    Engine(EngineError),
    Observed(Observation),
}

impl From<HttpError> for Failed {
    fn from(e: HttpError) -> Failed {
        Failed::Http(e)
    }
}

impl Engine for ApiEngine {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn apply(&mut self, command: &Command) -> Result<Observation, EngineError> {
        match command {
            Command::Pull { reference } => self.pull_image(reference),
            Command::Images { all, reference, .. } => Ok(Observation::Listed {
                count: self
                    .list::<ImageSummary>(&query::images_path(*all, reference.as_deref()))?
                    .len(),
                rendered: None,
            }),
            Command::Ps { all, .. } => Ok(Observation::Listed {
                count: self
                    .list::<ContainerSummary>(&format!("/containers/json?all={}", u8::from(*all)))?
                    .len(),
                rendered: None,
            }),
            Command::Inspect { target } => self.inspect(target),
            Command::Create(opts) => Ok(match self.create(opts, false)? {
                Ok(id) => Observation::Created { id },
                Err(observation) => observation,
            }),
            Command::Run { opts, detach } => self.run(opts, *detach),
            Command::Start {
                targets,
                attach: false,
            } => self.each(targets, |t| {
                self.simple("POST", &format!("/containers/{}/start", enc(t)), 204)
            }),
            Command::Start {
                targets,
                attach: true,
            } => {
                let [target] = targets.as_slice() else {
                    let message =
                        "you cannot start and attach multiple containers at once".to_string();
                    return Ok(Observation::Error {
                        kind: ErrorKind::InvalidParameter,
                        message,
                    });
                };
                let inspect =
                    self.call("GET", &format!("/containers/{}/json", enc(target)), None)?;
                if inspect.status != 200 {
                    return Ok(error_of(&inspect));
                }
                let inspected: ContainerInspect = self.parse("start", &inspect)?;
                let auto_remove = inspected.host_config.auto_remove;
                Ok(match self.run_attached(&inspected.id, auto_remove)? {
                    Ok((stdout, stderr, code)) => Observation::Attached {
                        stdout,
                        stderr,
                        exit: Some(code),
                    },
                    Err(observation) => observation,
                })
            }
            Command::Stop { targets, timeout } | Command::Restart { targets, timeout } => {
                let verb = if matches!(command, Command::Stop { .. }) {
                    "stop"
                } else {
                    "restart"
                };
                let t = timeout.map(|t| format!("?t={t}")).unwrap_or_default();
                self.each(targets, |target| {
                    self.simple(
                        "POST",
                        &format!("/containers/{}/{verb}{t}", enc(target)),
                        204,
                    )
                })
            }
            Command::Kill { targets, signal } => {
                let s = signal
                    .as_ref()
                    .map(|s| format!("?signal={}", enc(s)))
                    .unwrap_or_default();
                self.each(targets, |target| {
                    self.simple("POST", &format!("/containers/{}/kill{s}", enc(target)), 204)
                })
            }
            Command::Wait { targets } => self.each(targets, |target| {
                let response =
                    self.call("POST", &format!("/containers/{}/wait", enc(target)), None)?;
                Ok(match response.status {
                    200 => Observation::Waited {
                        status: serde_json::from_slice::<WaitResponse>(&response.body)
                            .map_or(-1, |w| w.status_code) as i32,
                    },
                    _ => error_of(&response),
                })
            }),
            Command::Rm { targets, force } => {
                let mut results = Vec::new();
                for target in targets {
                    let observation = if target.is_empty() {
                        Observation::Error {
                            kind: ErrorKind::InvalidParameter,
                            message: "container name cannot be empty".into(),
                        }
                    } else {
                        self.simple(
                            "DELETE",
                            &format!("/containers/{}?force={}", enc(target), u8::from(*force)),
                            204,
                        )?
                    };
                    results.push((target.clone(), observation));
                }
                Ok(Observation::PerTarget { results })
            }
            Command::Logs { target } => self.logs(target),
            Command::Rename { old, new } => self.simple(
                "POST",
                &format!("/containers/{}/rename?name={}", enc(old), enc(new)),
                204,
            ),
            Command::Commit {
                target,
                repository,
                changes,
                message,
            } => self.commit(target, repository.as_deref(), changes, message.as_deref()),
            Command::Tag { source, target } => {
                self.simple("POST", &query::tag_path(source, target), 201)
            }
            Command::Rmi { targets, force } => self.each(targets, |t| self.rmi(t, *force)),
            Command::RemoteRetag { source, target } => self.retag(source, target),
        }
    }

    fn version(&mut self) -> Option<Value> {
        self.call("GET", "/version", None).ok()?.json()
    }

    fn probe(&mut self) -> Result<Probe, EngineError> {
        let containers = self
            .list::<ContainerSummary>("/containers/json?all=1")?
            .iter()
            .map(|c| self.container_view(c))
            .collect::<Result<_, _>>()?;
        let images = self
            .list::<ImageSummary>("/images/json?all=1")?
            .iter()
            .map(|i| self.image_view(i))
            .collect::<Result<_, _>>()?;
        Ok(Probe { containers, images }.canonical())
    }

    fn reset(&mut self) -> Result<(), EngineError> {
        if let Some(tags) = self.tags.as_mut() {
            let name = self.name.clone();
            tags.restore().map_err(|what| EngineError::Protocol {
                engine: name,
                command: "reset".into(),
                what,
            })?;
        }
        if let Some(images) = &self.images {
            images.restore();
        }
        for container in self.list::<ContainerSummary>("/containers/json?all=1")? {
            // A refusal is left for the probe to show, as before.
            let _refused = sequence::remove(&self.client, &container.id, true)
                .map_err(|e| self.unreachable(e))?;
        }
        for _ in 0..5 {
            let images = self.list::<ImageSummary>("/images/json?all=1")?;
            if images.is_empty() {
                break;
            }
            for image in images {
                self.call("DELETE", &format!("/images/{}?force=1", image.id), None)?;
            }
        }
        Ok(())
    }
}
