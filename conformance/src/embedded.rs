//! berth's runtime as a harness engine, in-process: a runtime engine over a temporary root,
//! driven through the library the daemon uses, each command mapped to the runtime calls the
//! way `api::engine` maps it to Engine API calls (pull on "No such image" at create, start
//! failures of `run` as `start_error`, one answer per target for per-target verbs, ...).
//!
//! Images come from a registry when one is given (as a Docker Hub mirror, the way the
//! reference dockerd is set up), otherwise from the fixture OCI layouts, loaded on demand when
//! `pull`, `run` or `create` names a fixture (only the tag named stays), as a registry serving
//! them would: an unknown repository or tag is `manifest unknown`, and `remote-retag` moves a
//! tag over the layouts for the rest of the case. So `berth conform` needs nothing running.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use berth_core::Kind;
use berth_lifecycle::{CreateOptions, Inspect, Stream, WaitCondition};
use berth_model::command::{Command, CreateOpts};
use berth_model::ErrorKind;
use berth_runtime::engine::{
    CommitOptions, Engine as Runtime, EngineError as RuntimeError, EngineOptions,
};
use berth_store::DeleteRecord;
use serde_json::{json, Value};

use crate::api::split_reference;
use crate::engine::{Engine, EngineError};
use crate::observe::{digest_repo, ContainerView, ImageView, Observation, Probe};
use crate::registry_tags::RegistryTags;

/// The fixture repositories the embedded engine can load without a registry.
pub const FIXTURES: &[&str] = &["hello-world", "toolbox", "busybox", "big"];

/// How long a step may wait for a container to exit before the engine counts as stuck.
const EXIT_DEADLINE: Duration = Duration::from_secs(60);

/// dockerd's default `stop`/`restart` timeout.
const DEFAULT_STOP: Duration = Duration::from_secs(10);

/// What an attached client saw: stdout, stderr and the exit code, or the start error.
type Attached = Result<(String, String, i32), (ErrorKind, String)>;

/// berth's runtime, embedded.
#[derive(Debug)]
pub struct EmbeddedEngine {
    /// `None` only while dropping.
    engine: Option<Runtime>,
    cgroup_parent: PathBuf,
    fixtures: PathBuf,
    client: Option<berth_registry::Client>,
    tokio: tokio::runtime::Runtime,
    /// The registry images are pulled from, if any, whose tags `remote-retag` moves.
    tags: Option<RegistryTags>,
    /// Without a registry, the tags `remote-retag` moved over the fixture layouts:
    /// (repository, tag) -> (fixture layout, manifest digest).
    moved: BTreeMap<(String, String), (&'static str, String)>,
    /// Dropped last: the root.
    _root: tempfile::TempDir,
}

fn model_kind(kind: berth_core::ErrorKind) -> ErrorKind {
    use berth_core::ErrorKind as K;
    match kind {
        K::NotFound => ErrorKind::NotFound,
        K::InvalidParameter => ErrorKind::InvalidParameter,
        K::Conflict => ErrorKind::Conflict,
        K::Unauthorized => ErrorKind::Unauthorized,
        K::Forbidden => ErrorKind::Forbidden,
        K::Unavailable => ErrorKind::Unavailable,
        K::NotModified => ErrorKind::NotModified,
        K::NotImplemented => ErrorKind::NotImplemented,
        K::System => ErrorKind::System,
    }
}

/// An error as the API engine reports the matching HTTP answer (304 is `NotModified`).
fn observed<E: Kind + std::fmt::Display>(e: &E) -> Observation {
    match model_kind(e.kind()) {
        ErrorKind::NotModified => Observation::NotModified,
        kind => Observation::Error {
            kind,
            message: e.to_string(),
        },
    }
}

fn done(result: Result<(), RuntimeError>) -> Observation {
    match result {
        Ok(()) => Observation::Done,
        Err(e) => observed(&e),
    }
}

/// The fixture repository a reference names, if any (`hello-world`, `library/toolbox:x`).
fn fixture_of(reference: &str) -> Option<&'static str> {
    let (name, _) = split_reference(reference);
    let name = name
        .strip_prefix("docker.io/")
        .unwrap_or(&name)
        .trim_start_matches("library/");
    FIXTURES.iter().copied().find(|f| *f == name)
}

/// The `index.json` of an OCI layout.
fn blob_index(layout: &Path) -> Result<Value, String> {
    let path = layout.join("index.json");
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `ps`'s COMMAND as dockerd builds it (arguments with a space in single quotes).
fn command_line(path: &str, args: &[String]) -> String {
    let mut line = path.to_string();
    for arg in args {
        line.push(' ');
        if arg.contains(' ') {
            line.push_str(&format!("'{arg}'"));
        } else {
            line.push_str(arg);
        }
    }
    line
}

/// The output of `entries[from..]`, split by stream.
fn split_logs(entries: &[berth_lifecycle::LogEntry], from: usize) -> (String, String) {
    let mut out = (String::new(), String::new());
    for entry in entries.iter().skip(from) {
        match entry.stream {
            Stream::Stdout => out.0.push_str(&entry.bytes),
            Stream::Stderr => out.1.push_str(&entry.bytes),
        }
    }
    out
}

/// A container's inspect document in Docker's shape (the fields the runner compares, and a
/// few more).
fn container_document(c: &Inspect) -> Value {
    let list_or_null = |v: &[String]| {
        if v.is_empty() {
            Value::Null
        } else {
            json!(v)
        }
    };
    let p = &c.config.config;
    json!({
        "Id": c.config.id.as_str(),
        "Created": c.config.created.to_string(),
        "Path": c.config.path,
        "Args": c.config.args,
        "State": {
            "Status": c.state.status.to_string(),
            "Running": c.state.status.is_running(),
            "OOMKilled": c.state.oom_killed,
            "Pid": c.state.pid,
            "ExitCode": c.state.exit_code,
            "Error": c.state.error,
            "StartedAt": c.state.started_at.to_string(),
            "FinishedAt": c.state.finished_at.to_string(),
        },
        "Image": c.config.image_id,
        "LogPath": c.log_path.display().to_string(),
        "Name": format!("/{}", c.config.name.as_str().trim_start_matches('/')),
        "Config": {
            "Hostname": p.hostname,
            "Env": list_or_null(&p.env),
            "Cmd": list_or_null(&p.cmd),
            "Entrypoint": list_or_null(&p.entrypoint),
            "WorkingDir": p.working_dir,
            "User": p.user,
            "Image": p.image,
        },
        "HostConfig": serde_json::to_value(&c.config.host_config).unwrap_or_default(),
    })
}

impl EmbeddedEngine {
    /// An engine over a fresh temporary root. `fixtures` holds the OCI layouts
    /// (`target/fixtures`); `registry` (`127.0.0.1:PORT`) serves them as a Docker Hub mirror.
    pub fn new(fixtures: &Path, registry: Option<String>) -> Result<EmbeddedEngine, EngineError> {
        let fail = |what: String| EngineError::Unreachable {
            engine: "embedded".into(),
            what,
        };
        let root = tempfile::Builder::new()
            .prefix("berth-embedded-")
            .tempdir()
            .map_err(|e| fail(format!("temp root: {e}")))?;
        let cgroup_parent = PathBuf::from(format!(
            "berth-embedded-{}-{}",
            std::process::id(),
            root.path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let mut options = EngineOptions::new(root.path());
        options.cgroup_parent = cgroup_parent.clone();
        options.store.sync_layers = false;
        let engine = Runtime::open(options).map_err(|e| fail(format!("open: {e}")))?;
        let client = match &registry {
            Some(registry) => Some(
                berth_registry::Client::new(berth_registry::ClientConfig {
                    mirrors: vec![format!("http://{registry}")],
                    insecure_registries: vec![registry.clone()],
                    connect_timeout: Duration::from_secs(5),
                    ..berth_registry::ClientConfig::default()
                })
                .map_err(|e| fail(format!("registry client: {e}")))?,
            ),
            None => None,
        };
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| fail(format!("tokio: {e}")))?;
        Ok(EmbeddedEngine {
            engine: Some(engine),
            cgroup_parent,
            fixtures: fixtures.to_path_buf(),
            tags: registry.map(|r| RegistryTags::new(r).with_fixtures(fixtures.to_path_buf())),
            moved: BTreeMap::new(),
            client,
            tokio,
            _root: root,
        })
    }

    /// The runtime itself, for callers that drive it directly (the startup benchmark).
    pub fn runtime(&self) -> &Runtime {
        self.e()
    }

    /// Makes `reference` present: pulled from the registry, or loaded from its fixture layout.
    pub fn provide_image(&self, reference: &str) -> Result<(), String> {
        match self.pull(reference) {
            Observation::Pulled { .. } => Ok(()),
            Observation::Error { message, .. } => Err(message),
            other => Err(format!("unexpected answer to the pull: {other:?}")),
        }
    }

    fn e(&self) -> &Runtime {
        self.engine.as_ref().expect("the engine lives until drop")
    }

    fn protocol(&self, command: &str, what: &str) -> EngineError {
        EngineError::Protocol {
            engine: self.name(),
            command: command.to_string(),
            what: what.to_string(),
        }
    }

    /// The image a reference names now, if any.
    fn image_id(&self, reference: &str) -> Option<String> {
        self.e().inspect_image(reference).ok().map(|i| i.id)
    }

    /// `docker pull`: from the registry, or from the fixture layouts.
    fn pull(&self, reference: &str) -> Observation {
        match &self.client {
            Some(client) => {
                let store = self.e().store();
                let platform = berth_registry::Platform::host();
                let outcome = self.tokio.block_on(berth_runtime::pull::pull(
                    client,
                    store,
                    reference,
                    &platform,
                    &mut |_| {},
                ));
                match outcome {
                    Ok(o) => Observation::Pulled {
                        up_to_date: o.status == berth_runtime::pull::PullStatus::UpToDate,
                    },
                    Err(e) => observed(&e),
                }
            }
            None => self.load_fixture(reference),
        }
    }

    /// The fixture layout and manifest a reference names, as a registry serving the fixtures
    /// (with the tags `remote-retag` moved) would resolve it; a missing repository or tag is
    /// the registry's `manifest unknown`.
    fn resolve_fixture(&self, reference: &str) -> Result<(&'static str, String), Observation> {
        let (name, tag) = split_reference(reference);
        let unknown = || Observation::Error {
            kind: ErrorKind::NotFound,
            message: format!(
                "manifest for {name}:{tag} not found: manifest unknown: manifest unknown"
            ),
        };
        let Some(fixture) = fixture_of(reference) else {
            return Err(unknown());
        };
        if let Some(found) = self.moved.get(&(fixture.to_string(), tag.clone())) {
            return Ok(found.clone());
        }
        let layout = self.fixtures.join(fixture);
        let index = blob_index(&layout).map_err(|what| Observation::Error {
            kind: ErrorKind::System,
            message: format!("{}: {what}", layout.display()),
        })?;
        index["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag.as_str())
            .and_then(|m| m["digest"].as_str())
            .map(|digest| (fixture, digest.to_string()))
            .ok_or_else(unknown)
    }

    /// A pull from the fixture layout `reference` names: the manifest its tag names is
    /// imported as a registry pull would import it, recording the tag and the digest reference
    /// (RepoTags and RepoDigests), and nothing else.
    fn load_fixture(&self, reference: &str) -> Observation {
        let (fixture, manifest_digest) = match self.resolve_fixture(reference) {
            Ok(found) => found,
            Err(observation) => return observation,
        };
        let manifest_digest = manifest_digest.as_str();
        let layout = self.fixtures.join(fixture);
        let system = |what: String| Observation::Error {
            kind: ErrorKind::System,
            message: format!("{}: {what}", layout.display()),
        };
        let blob = |digest: &str| {
            let path = layout.join("blobs").join(digest.replacen(':', "/", 1));
            std::fs::read(&path).map_err(|e| system(format!("{}: {e}", path.display())))
        };
        let run = || -> Result<bool, Observation> {
            let manifest = blob(manifest_digest)?;
            let parsed: Value =
                serde_json::from_slice(&manifest).map_err(|e| system(e.to_string()))?;
            let config = blob(parsed["config"]["digest"].as_str().unwrap_or_default())?;
            let store = self.e().store();
            let plan = store
                .begin_import(&manifest, &config)
                .map_err(|e| observed(&e))?;
            for (i, layer) in plan.layers().iter().enumerate() {
                if layer.present {
                    continue;
                }
                let digest = layer
                    .blob
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                let bytes = blob(&digest)?;
                plan.unpack_layer(i, bytes.as_slice())
                    .map_err(|e| observed(&e))?;
            }
            let wanted: berth_store::Reference = reference.parse().map_err(|e| observed(&e))?;
            let digest: berth_store::Digest = manifest_digest.parse().map_err(|e| observed(&e))?;
            let up_to_date = store.target(&wanted).as_ref() == Some(plan.image_id());
            let digested = wanted.with_digest(&digest);
            plan.finish(&[wanted, digested]).map_err(|e| observed(&e))?;
            Ok(up_to_date)
        };
        match run() {
            Ok(up_to_date) => Observation::Pulled { up_to_date },
            Err(observation) => observation,
        }
    }

    /// `create` as the CLI does it: "No such image" makes it pull and try once more.
    fn create(&self, opts: &CreateOpts, auto_remove: bool) -> Result<String, Observation> {
        let options = || CreateOptions {
            image: opts.image.clone(),
            name: opts.name.clone(),
            cmd: opts.command.clone(),
            auto_remove,
            ..CreateOptions::default()
        };
        match self.e().create(options()) {
            Ok(id) => return Ok(id.to_string()),
            Err(e) => {
                let missing = model_kind(e.kind()) == ErrorKind::NotFound
                    && e.to_string().starts_with("No such image");
                if !missing {
                    return Err(observed(&e));
                }
            }
        }
        if let error @ Observation::Error { .. } = self.pull(&opts.image) {
            return Err(error);
        }
        self.e()
            .create(options())
            .map(|id| id.to_string())
            .map_err(|e| observed(&e))
    }

    /// Starts `id` and collects what an attached client would see: the output written after
    /// the start and the exit code; or the start error.
    fn start_attached(&self, id: &str) -> Result<Attached, EngineError> {
        let seen = self.e().logs(id).map_or(0, |l| l.into_iter().count());
        if let Err(e) = self.e().start(id) {
            return Ok(Err((model_kind(e.kind()), e.to_string())));
        }
        let deadline = Some(Instant::now() + EXIT_DEADLINE);
        let exit = self
            .e()
            .wait(id, WaitCondition::NotRunning, deadline)
            .map_err(|e| self.protocol("wait", &e.to_string()))?
            .ok_or_else(|| self.protocol("wait", "the container did not exit in time"))?;
        let (stdout, stderr) = match self.e().logs(id) {
            Ok(entries) => split_logs(&entries.into_iter().collect::<Vec<_>>(), seen),
            Err(_) => Default::default(),
        };
        Ok(Ok((stdout, stderr, exit.status_code)))
    }

    fn run(&self, opts: &CreateOpts, detach: bool) -> Result<Observation, EngineError> {
        // Attached, the container is removed here once its output is read (the lifecycle's
        // auto-removal would delete the log first); detached, the lifecycle removes it.
        let id = match self.create(opts, detach && opts.auto_remove) {
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
            let start_error = self
                .e()
                .start(&id)
                .err()
                .map(|e| (model_kind(e.kind()), e.to_string()));
            return Ok(ran(String::new(), String::new(), None, start_error));
        }
        let attached = self.start_attached(&id)?;
        if opts.auto_remove {
            let _ = self.e().rm(&id, true);
        }
        Ok(match attached {
            Ok((stdout, stderr, code)) => ran(stdout, stderr, Some(code), None),
            Err(start_error) => ran(String::new(), String::new(), None, Some(start_error)),
        })
    }

    /// A per-target verb: one call per target, in order.
    fn each(
        &self,
        targets: &[String],
        empty: &str,
        mut op: impl FnMut(&str) -> Result<Observation, EngineError>,
    ) -> Result<Observation, EngineError> {
        let mut results = Vec::new();
        for target in targets {
            let observation = if target.is_empty() {
                Observation::Error {
                    kind: ErrorKind::InvalidParameter,
                    message: empty.to_string(),
                }
            } else {
                op(target)?
            };
            results.push((target.clone(), observation));
        }
        Ok(Observation::PerTarget { results })
    }

    fn inspect(&self, target: &str) -> Observation {
        match self.e().inspect_container(target) {
            Ok(c) => {
                return Observation::Inspected {
                    document: container_document(&c),
                }
            }
            Err(e) if model_kind(e.kind()) != ErrorKind::NotFound => return observed(&e),
            Err(_) => {}
        }
        match self.e().inspect_image(target) {
            Ok(image) => Observation::Inspected {
                document: serde_json::to_value(&image).unwrap_or_default(),
            },
            Err(e) if model_kind(e.kind()) == ErrorKind::NotFound => Observation::Error {
                kind: ErrorKind::NotFound,
                message: format!("No such object: {target}"),
            },
            Err(e) => observed(&e),
        }
    }

    fn rmi(&self, target: &str, force: bool) -> Observation {
        match self.e().rmi(target, force) {
            Ok(records) => Observation::Deleted {
                items: records
                    .into_iter()
                    .map(|r| match r {
                        DeleteRecord::Untagged(r) => format!("Untagged: {r}"),
                        DeleteRecord::Deleted(d) => format!("Deleted: {d}"),
                    })
                    .collect(),
            },
            Err(e) => observed(&e),
        }
    }

    fn logs(&self, target: &str) -> Observation {
        match self.e().logs(target) {
            Ok(entries) => {
                let (stdout, stderr) = split_logs(&entries.into_iter().collect::<Vec<_>>(), 0);
                Observation::Logs { stdout, stderr }
            }
            Err(e) => observed(&e),
        }
    }

    /// Moves a tag in the registry by copying the source manifest over it (as `api::engine`).
    fn retag(&mut self, source: &str, target: &str) -> Result<Observation, EngineError> {
        let Some(tags) = self.tags.as_mut() else {
            return Ok(self.retag_locally(source, target));
        };
        let moved = tags
            .retag(source, target)
            .map_err(|what| self.protocol("remote-retag", &what))?;
        Ok(match moved {
            true => Observation::Done,
            false => Observation::Error {
                kind: ErrorKind::NotFound,
                message: format!("remote-retag {source} {target} failed"),
            },
        })
    }

    /// `remote-retag` without a registry: the target tag resolves to the source's manifest
    /// from now on, as if a registry serving the fixtures had moved it.
    fn retag_locally(&mut self, source: &str, target: &str) -> Observation {
        let (Ok(found), Some(repository)) = (self.resolve_fixture(source), fixture_of(target))
        else {
            return Observation::Error {
                kind: ErrorKind::NotFound,
                message: format!("remote-retag {source} {target} failed"),
            };
        };
        let (_, tag) = split_reference(target);
        self.moved.insert((repository.to_string(), tag), found);
        Observation::Done
    }

    /// Puts every registry tag `remote-retag` moved back to its fixture.
    fn restore_moved(&mut self) -> Result<(), EngineError> {
        self.moved.clear();
        match self.tags.as_mut() {
            Some(tags) => tags.restore().map_err(|what| self.protocol("reset", &what)),
            None => Ok(()),
        }
    }

    fn container_view(&self, c: &Inspect) -> ContainerView {
        let id = c.config.id.to_string();
        let (stdout, stderr) = match self.logs(&id) {
            Observation::Logs { stdout, stderr } => (stdout, stderr),
            _ => Default::default(),
        };
        // The IMAGE column: the reference as typed while it still names the same image.
        let image = if self.image_id(&c.config.image).as_deref() == Some(&c.config.image_id) {
            c.config.image.clone()
        } else {
            c.config.image_id.clone()
        };
        ContainerView {
            name: c.config.name.as_str().trim_start_matches('/').to_string(),
            id,
            image,
            image_id: c.config.image_id.clone(),
            command: command_line(&c.config.path, &c.config.args),
            state: c.state.status.to_string(),
            exit_code: c.state.exit_code,
            stdout,
            stderr,
        }
    }

    fn image_view(&self, summary: &berth_store::ImageSummary) -> ImageView {
        let id = summary.id.to_string();
        let layers = self
            .e()
            .inspect_image(&id)
            .map_or(0, |i| i.root_fs.layers.len());
        let mut repo_tags = summary.repo_tags.clone();
        let mut digest_repos: Vec<String> = summary
            .repo_digests
            .iter()
            .map(|d| digest_repo(d))
            .collect();
        repo_tags.sort();
        digest_repos.sort();
        ImageView {
            id,
            parent: summary
                .parent_id
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            repo_tags,
            digest_repos,
            layers,
        }
    }

    fn remove_everything(&self) {
        let engine = self.e();
        for c in engine.ps(true) {
            let _ = engine.rm(c.config.id.as_str(), true);
        }
        for _ in 0..5 {
            let images = engine.images(true);
            if images.is_empty() {
                break;
            }
            for image in images {
                let _ = engine.rmi(&image.id.to_string(), true);
            }
        }
    }
}

impl Engine for EmbeddedEngine {
    fn name(&self) -> String {
        "embedded".to_string()
    }

    fn apply(&mut self, command: &Command) -> Result<Observation, EngineError> {
        const EMPTY: &str = "invalid container name or ID: value is empty";
        let e = self.e();
        match command {
            Command::Pull { reference } => Ok(self.pull(reference)),
            Command::Images { all, .. } => Ok(Observation::Listed {
                count: e.images(*all).len(),
                rendered: None,
            }),
            Command::Ps { all, .. } => Ok(Observation::Listed {
                count: e.ps(*all).len(),
                rendered: None,
            }),
            Command::Inspect { target } => Ok(self.inspect(target)),
            Command::Create(opts) => Ok(match self.create(opts, opts.auto_remove) {
                Ok(id) => Observation::Created { id },
                Err(observation) => observation,
            }),
            Command::Run { opts, detach } => self.run(opts, *detach),
            Command::Start {
                targets,
                attach: false,
            } => self.each(targets, EMPTY, |t| Ok(done(e.start(t)))),
            Command::Start {
                targets,
                attach: true,
            } => {
                let [target] = targets.as_slice() else {
                    return Ok(Observation::Error {
                        kind: ErrorKind::InvalidParameter,
                        message: "you cannot start and attach multiple containers at once".into(),
                    });
                };
                let c = match e.inspect_container(target) {
                    Ok(c) => c,
                    Err(err) => return Ok(observed(&err)),
                };
                let id = c.config.id.to_string();
                Ok(match self.start_attached(&id)? {
                    Ok((stdout, stderr, code)) => Observation::Attached {
                        stdout,
                        stderr,
                        exit: Some(code),
                    },
                    Err((kind, message)) => Observation::Error { kind, message },
                })
            }
            Command::Stop { targets, timeout } => {
                let t = timeout.map_or(DEFAULT_STOP, |t| Duration::from_secs(t.into()));
                self.each(targets, EMPTY, |target| Ok(done(e.stop(target, t))))
            }
            Command::Restart { targets, timeout } => {
                let t = timeout.map_or(DEFAULT_STOP, |t| Duration::from_secs(t.into()));
                self.each(targets, EMPTY, |target| Ok(done(e.restart(target, t))))
            }
            Command::Kill { targets, signal } => {
                let signal = signal.as_deref().unwrap_or("KILL");
                self.each(targets, EMPTY, |target| Ok(done(e.kill(target, signal))))
            }
            Command::Wait { targets } => self.each(targets, EMPTY, |target| {
                let deadline = Some(Instant::now() + EXIT_DEADLINE);
                Ok(match e.wait(target, WaitCondition::NotRunning, deadline) {
                    Ok(Some(outcome)) => Observation::Waited {
                        status: outcome.status_code,
                    },
                    Ok(None) => return Err(self.protocol("wait", "no exit in time")),
                    Err(err) => observed(&err),
                })
            }),
            Command::Rm { targets, force } => {
                self.each(targets, "container name cannot be empty", |target| {
                    Ok(done(e.rm(target, *force)))
                })
            }
            Command::Logs { target } => Ok(self.logs(target)),
            Command::Rename { old, new } => Ok(done(e.rename(old, new))),
            Command::Commit {
                target,
                repository,
                changes,
                message,
            } => {
                let options = CommitOptions {
                    reference: repository.clone(),
                    changes: changes.clone(),
                    comment: message.clone().unwrap_or_default(),
                    author: String::new(),
                    ..CommitOptions::default()
                };
                Ok(match e.commit(target, &options) {
                    Ok(id) => Observation::Committed { id: id.to_string() },
                    Err(err) => observed(&err),
                })
            }
            Command::Tag { source, target } => Ok(done(e.tag(source, target).map(|_| ()))),
            Command::Rmi { targets, force } => {
                self.each(targets, EMPTY, |t| Ok(self.rmi(t, *force)))
            }
            Command::RemoteRetag { source, target } => self.retag(source, target),
        }
    }

    fn probe(&mut self) -> Result<Probe, EngineError> {
        let containers = self
            .e()
            .ps(true)
            .iter()
            .map(|c| self.container_view(c))
            .collect();
        let images = self
            .e()
            .images(true)
            .iter()
            .map(|i| self.image_view(i))
            .collect();
        Ok(Probe { containers, images }.canonical())
    }

    fn reset(&mut self) -> Result<(), EngineError> {
        self.restore_moved()?;
        self.remove_everything();
        Ok(())
    }
}

impl Drop for EmbeddedEngine {
    fn drop(&mut self) {
        // Leave the registry as it was found.
        let _ = self.restore_moved();
        self.remove_everything();
        if let Some(engine) = self.engine.take() {
            engine.shutdown(Duration::from_secs(1));
        }
        let mut hierarchies = vec![PathBuf::from("/sys/fs/cgroup")];
        if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
            hierarchies.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
        for h in hierarchies {
            let _ = std::fs::remove_dir(h.join(&self.cgroup_parent));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_recognised_by_repository() {
        assert_eq!(fixture_of("hello-world"), Some("hello-world"));
        assert_eq!(fixture_of("hello-world:base"), Some("hello-world"));
        assert_eq!(fixture_of("docker.io/library/toolbox:x"), Some("toolbox"));
        assert_eq!(fixture_of("mine:v1"), None);
    }

    #[test]
    fn commands_print_like_ps() {
        let args = vec!["out".to_string(), "hello there".to_string()];
        assert_eq!(
            command_line("/toolbox", &args),
            "/toolbox out 'hello there'"
        );
    }
}
