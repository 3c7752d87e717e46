//! An Engine API endpoint as a harness engine: each command is sent as docker CLI 28 sends it
//! (pull on a 404 from create, attach and wait before start for `run`, and so on), and each
//! answer becomes an observation.

use berth_client::transport::Endpoint;
use berth_model::command::{Command, CreateOpts};
use berth_model::ErrorKind;
use serde_json::{json, Value};

use crate::api::http::{Client, HttpError, Response};
use crate::api::mux::{demultiplex, Frame};
use crate::engine::{Engine, EngineError};
use crate::observe::{digest_repo, ContainerView, ImageView, Observation, Probe};
use crate::registry_tags::RegistryTags;

/// The API version every engine is driven at (dockerd 20.10's newest).
pub const API_VERSION: &str = "1.41";

/// A Docker Engine API endpoint.
#[derive(Debug)]
pub struct ApiEngine {
    name: String,
    client: Client,
    /// The registry the engine pulls from, whose tags `remote-retag` moves.
    tags: Option<RegistryTags>,
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

fn enc(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Splits `name[:tag]` or `name@digest` as the CLI does for `fromImage` and `tag`.
pub(crate) fn split_reference(reference: &str) -> (String, String) {
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
        }
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

    fn pull(&self, reference: &str) -> Result<Observation, EngineError> {
        let (name, tag) = split_reference(reference);
        let response = self.call(
            "POST",
            &format!("/images/create?fromImage={}&tag={}", enc(&name), enc(&tag)),
            None,
        )?;
        if response.status != 200 {
            return Ok(error_of(&response));
        }
        let mut up_to_date = false;
        for line in response
            .body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
        {
            let message: Value =
                serde_json::from_slice(line).map_err(|e| self.protocol("pull", &e.to_string()))?;
            if let Some(error) = message.get("error").and_then(Value::as_str) {
                return Ok(Observation::Error {
                    kind: ErrorKind::System,
                    message: error.to_string(),
                });
            }
            let status = message
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default();
            up_to_date |= status.starts_with("Status: Image is up to date");
        }
        Ok(Observation::Pulled { up_to_date })
    }

    /// `create` as the CLI does it: a 404 for the image makes it pull and try once more.
    fn create(
        &self,
        opts: &CreateOpts,
        attach: bool,
    ) -> Result<Result<String, Observation>, EngineError> {
        let mut body = json!({
            "Image": opts.image,
            "AttachStdout": attach,
            "AttachStderr": attach,
            "HostConfig": { "AutoRemove": opts.auto_remove },
        });
        if !opts.command.is_empty() {
            body["Cmd"] = json!(opts.command);
        }
        let path = match &opts.name {
            Some(name) => format!("/containers/create?name={}", enc(name)),
            None => "/containers/create".to_string(),
        };
        let mut response = self.call("POST", &path, Some(&body))?;
        // The CLI pulls on any 404 (`errdefs.IsNotFound`), whatever the text: podman words it
        // `no such image: docker.io/library/...`.
        if response.status == 404 {
            if let Observation::Error { kind, message } = self.pull(&opts.image)? {
                return Ok(Err(Observation::Error { kind, message }));
            }
            response = self.call("POST", &path, Some(&body))?;
        }
        if response.status != 201 {
            return Ok(Err(error_of(&response)));
        }
        let id = response
            .json()
            .and_then(|v| v["Id"].as_str().map(str::to_string));
        Ok(Ok(id.ok_or_else(|| {
            self.protocol("create", "no Id in the answer")
        })?))
    }

    /// Attach, wait and start, as an attached `run` or `start -a` does; returns the output,
    /// the exit code, or the start error.
    fn run_attached(
        &self,
        id: &str,
        auto_remove: bool,
    ) -> Result<Result<(String, String, i32), Observation>, EngineError> {
        let stream = self
            .client
            .upgrade(&format!(
                "/containers/{id}/attach?stream=1&stdout=1&stderr=1"
            ))
            .map_err(|e| self.unreachable(e))?;
        let mut stream = match stream {
            Ok(stream) => stream,
            Err(response) => return Ok(Err(error_of(&response))),
        };
        let condition = if auto_remove { "removed" } else { "next-exit" };
        // As the CLI does, the wait is registered before start; if start fails it is cancelled
        // (the container will never exit, so the answer would never come).
        let path = format!("/containers/{id}/wait?condition={condition}");
        // The head arrives once the engine has the wait in place (an auto-remove container may
        // be gone by the time a wait that was merely sent is looked at).
        let pending = self
            .client
            .begin_head("POST", &path)
            .map_err(|e| self.unreachable(e))?;
        let cancel = pending
            .connection()
            .canceller()
            .map_err(|e| self.protocol("wait", &e.to_string()))?;
        let waiter = std::thread::spawn(move || pending.finish());
        let started = self.call("POST", &format!("/containers/{id}/start"), None)?;
        if started.status != 204 {
            drop(stream);
            let _ = cancel.shutdown(std::net::Shutdown::Both);
            let _ = waiter.join();
            return Ok(Err(error_of(&started)));
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stream, &mut bytes)
            .map_err(|e| self.protocol("attach", &e.to_string()))?;
        let waited = waiter
            .join()
            .map_err(|_| self.protocol("wait", "waiter panicked"))?
            .map_err(|e| self.unreachable(e))?;
        let code = waited
            .json()
            .and_then(|v| v["StatusCode"].as_i64())
            .unwrap_or(-1) as i32;
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
            let started = self.call("POST", &format!("/containers/{id}/start"), None)?;
            let start_error =
                (started.status != 204).then(|| (kind_of(started.status), started.message()));
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
        let mut path = format!("/commit?container={}", enc(target));
        if let Some(repository) = repository {
            let (repo, tag) = split_reference(repository);
            path.push_str(&format!("&repo={}&tag={}", enc(&repo), enc(&tag)));
        }
        if let Some(message) = message {
            path.push_str(&format!("&comment={}", enc(message)));
        }
        for change in changes {
            path.push_str(&format!("&changes={}", enc(change)));
        }
        // No body, as the docker CLI 28 sends it (`Content-Length: 0`: its container config is
        // nil without `--change` config; seen with strace). podman 4.3 answers that with 500
        // `Decode(): EOF` (containers/podman#26261), which the harness must show, not avoid.
        let response = self.call("POST", &path, None)?;
        if response.status != 201 {
            return Ok(error_of(&response));
        }
        let id = response
            .json()
            .and_then(|v| v["Id"].as_str().map(str::to_string));
        Ok(Observation::Committed {
            id: id.ok_or_else(|| self.protocol("commit", "no Id"))?,
        })
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
        let items = response
            .json()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        let lines = items
            .iter()
            .filter_map(
                |item| match (item["Untagged"].as_str(), item["Deleted"].as_str()) {
                    (Some(r), _) => Some(format!("Untagged: {r}")),
                    (_, Some(d)) => Some(format!("Deleted: {d}")),
                    _ => None,
                },
            )
            .collect();
        Ok(Observation::Deleted { items: lines })
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

    fn list(&self, path: &str) -> Result<Vec<Value>, EngineError> {
        let response = self.call("GET", path, None)?;
        response
            .json()
            .and_then(|v| v.as_array().cloned())
            .ok_or_else(|| self.protocol(path, "not a JSON list"))
    }

    fn container_view(&self, summary: &Value) -> Result<ContainerView, EngineError> {
        let id = summary["Id"].as_str().unwrap_or_default().to_string();
        let inspect = self
            .call("GET", &format!("/containers/{id}/json"), None)?
            .json()
            .unwrap_or_default();
        let (stdout, stderr) = match self.logs(&id)? {
            Observation::Logs { stdout, stderr } => (stdout, stderr),
            _ => (String::new(), String::new()),
        };
        Ok(ContainerView {
            name: summary["Names"][0]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            id,
            image: summary["Image"].as_str().unwrap_or_default().to_string(),
            image_id: summary["ImageID"].as_str().unwrap_or_default().to_string(),
            command: summary["Command"].as_str().unwrap_or_default().to_string(),
            state: summary["State"].as_str().unwrap_or_default().to_string(),
            exit_code: inspect["State"]["ExitCode"].as_i64().unwrap_or(-1) as i32,
            stdout,
            stderr,
        })
    }

    fn image_view(&self, summary: &Value) -> Result<ImageView, EngineError> {
        let id = summary["Id"].as_str().unwrap_or_default().to_string();
        let inspect = self
            .call("GET", &format!("/images/{id}/json"), None)?
            .json()
            .unwrap_or_default();
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        let mut repo_tags: Vec<String> = strings(&summary["RepoTags"])
            .into_iter()
            .filter(|t| t != "<none>:<none>")
            .collect();
        let mut digest_repos: Vec<String> = strings(&summary["RepoDigests"])
            .iter()
            .filter(|d| *d != "<none>@<none>")
            .map(|d| digest_repo(d))
            .collect();
        repo_tags.sort();
        digest_repos.sort();
        Ok(ImageView {
            id,
            parent: summary["ParentId"].as_str().unwrap_or_default().to_string(),
            repo_tags,
            digest_repos,
            layers: inspect["RootFS"]["Layers"].as_array().map_or(0, Vec::len),
        })
    }
}

impl Engine for ApiEngine {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn apply(&mut self, command: &Command) -> Result<Observation, EngineError> {
        match command {
            Command::Pull { reference } => self.pull(reference),
            Command::Images { all, .. } => Ok(Observation::Listed {
                count: self
                    .list(&format!("/images/json?all={}", u8::from(*all)))?
                    .len(),
                rendered: None,
            }),
            Command::Ps { all, .. } => Ok(Observation::Listed {
                count: self
                    .list(&format!("/containers/json?all={}", u8::from(*all)))?
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
                let id = inspect
                    .json()
                    .and_then(|v| v["Id"].as_str().map(str::to_string))
                    .unwrap_or_default();
                let auto_remove = inspect
                    .json()
                    .and_then(|v| v["HostConfig"]["AutoRemove"].as_bool())
                    .unwrap_or(false);
                Ok(match self.run_attached(&id, auto_remove)? {
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
                        status: response
                            .json()
                            .and_then(|v| v["StatusCode"].as_i64())
                            .unwrap_or(-1) as i32,
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
                let (repo, tag) = split_reference(target);
                self.simple(
                    "POST",
                    &format!(
                        "/images/{}/tag?repo={}&tag={}",
                        enc(source),
                        enc(&repo),
                        enc(&tag)
                    ),
                    201,
                )
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
            .list("/containers/json?all=1")?
            .iter()
            .map(|c| self.container_view(c))
            .collect::<Result<_, _>>()?;
        let images = self
            .list("/images/json?all=1")?
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
        for container in self.list("/containers/json?all=1")? {
            let id = container["Id"].as_str().unwrap_or_default();
            self.call("DELETE", &format!("/containers/{id}?force=1"), None)?;
        }
        for _ in 0..5 {
            let images = self.list("/images/json?all=1")?;
            if images.is_empty() {
                break;
            }
            for image in images {
                let id = image["Id"].as_str().unwrap_or_default();
                self.call("DELETE", &format!("/images/{id}?force=1"), None)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_like_the_cli() {
        assert_eq!(
            split_reference("toolbox"),
            ("toolbox".into(), "latest".into())
        );
        assert_eq!(split_reference("mine:v1"), ("mine".into(), "v1".into()));
        assert_eq!(
            split_reference("127.0.0.1:5000/x"),
            ("127.0.0.1:5000/x".into(), "latest".into())
        );
        assert_eq!(
            split_reference("x@sha256:ab"),
            ("x".into(), "sha256:ab".into())
        );
    }
}
