//! berth's runtime as a harness engine, in process: `berth daemon`'s own routing, handlers,
//! JSON and error mapping ([`berth_daemon::InProcess`]) over a temporary root, driven by the
//! same [`ApiEngine`] (and so the same docker CLI request sequence) as any other endpoint,
//! through an in-process transport instead of a socket. A bug in the daemon's answers is
//! therefore visible to `--engine embedded` too; nothing here shapes an answer of its own.
//!
//! Images come from a registry when one is given (as a Docker Hub mirror, the way the
//! reference dockerd is set up), otherwise from the fixture OCI layouts, loaded on demand when
//! `pull`, `run` or `create` names a fixture (only the tag named stays), as a registry serving
//! them would: an unknown repository or tag is `manifest unknown`, and `remote-retag` moves a
//! tag over the layouts for the rest of the case. So `berth conform` needs nothing running.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use berth_api::split_reference;
use berth_client::transport::{Dial, Endpoint};
use berth_core::Kind;
use berth_daemon::{DaemonConfig, InProcess};
use berth_model::command::Command;
use berth_model::ErrorKind;
use berth_runtime::engine::{Engine as Runtime, EngineOptions};

use crate::api::{ApiEngine, ImageSource};
use crate::engine::{Engine, EngineError};
use crate::observe::{Observation, Probe};

/// The fixture repositories the embedded engine can load without a registry.
pub const FIXTURES: &[&str] = &["hello-world", "toolbox", "busybox", "big"];

/// berth's runtime, embedded: the daemon in process and the API engine that drives it.
#[derive(Debug)]
pub struct EmbeddedEngine {
    /// `None` only while dropping (it holds the daemon's dialer, so it goes first).
    api: Option<ApiEngine>,
    /// `None` only while dropping.
    daemon: Option<Arc<InProcess>>,
    cgroup_parent: PathBuf,
    /// Dropped last: the root.
    _root: tempfile::TempDir,
}

/// The in-process daemon as the client's transport.
struct Dialer(Arc<InProcess>);

impl Dial for Dialer {
    fn dial(&self) -> std::io::Result<std::os::unix::net::UnixStream> {
        self.0.connect()
    }
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

/// A fixture load's error as a registry pull through the daemon would report it.
fn observed<E: Kind + std::fmt::Display>(e: &E) -> Observation {
    Observation::Error {
        kind: model_kind(e.kind()),
        message: e.to_string(),
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
fn blob_index(layout: &Path) -> Result<serde_json::Value, String> {
    let path = layout.join("index.json");
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))
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
        let mut config = DaemonConfig::new(root.path().to_path_buf());
        config.hosts = Vec::new();
        config.cgroup_parent = cgroup_parent.clone();
        if let Some(registry) = &registry {
            config.registry_mirrors = vec![format!("http://{registry}")];
            config.insecure_registries = vec![registry.clone()];
        }
        let daemon =
            Arc::new(InProcess::new(engine, config).map_err(|e| fail(format!("daemon: {e}")))?);
        let endpoint = Endpoint::in_process(Arc::new(Dialer(Arc::clone(&daemon))));
        let api = ApiEngine::with_endpoint("embedded", endpoint, registry.clone());
        let api = match registry {
            Some(_) => api.with_fixtures(fixtures),
            None => api.with_images(Box::new(FixtureImages {
                daemon: Arc::clone(&daemon),
                fixtures: fixtures.to_path_buf(),
                moved: Mutex::default(),
            })),
        };
        Ok(EmbeddedEngine {
            api: Some(api),
            daemon: Some(daemon),
            cgroup_parent,
            _root: root,
        })
    }

    /// The runtime itself, for callers that drive it directly (the startup benchmark).
    pub fn runtime(&self) -> &Runtime {
        self.daemon
            .as_ref()
            .expect("the daemon lives until drop")
            .engine()
    }

    /// Makes `reference` present: pulled from the registry, or loaded from its fixture layout.
    pub fn provide_image(&self, reference: &str) -> Result<(), String> {
        match self.api().pull_image(reference) {
            Ok(Observation::Pulled { .. }) => Ok(()),
            Ok(Observation::Error { message, .. }) => Err(message),
            Ok(other) => Err(format!("unexpected answer to the pull: {other:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    fn api(&self) -> &ApiEngine {
        self.api.as_ref().expect("the API engine lives until drop")
    }

    fn api_mut(&mut self) -> &mut ApiEngine {
        self.api.as_mut().expect("the API engine lives until drop")
    }
}

impl Engine for EmbeddedEngine {
    fn name(&self) -> String {
        "embedded".to_string()
    }

    fn apply(&mut self, command: &Command) -> Result<Observation, EngineError> {
        self.api_mut().apply(command)
    }

    fn probe(&mut self) -> Result<Probe, EngineError> {
        self.api_mut().probe()
    }

    fn reset(&mut self) -> Result<(), EngineError> {
        self.api_mut().reset()
    }
}

impl Drop for EmbeddedEngine {
    fn drop(&mut self) {
        // Leave the registry as it was found, and nothing behind in the root.
        if let Some(mut api) = self.api.take() {
            let _ = api.reset();
        }
        if let Some(daemon) = self.daemon.take().and_then(|d| Arc::try_unwrap(d).ok()) {
            daemon.shutdown(Duration::from_secs(1));
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

/// Moved tags: (repository, tag) -> (fixture layout, manifest digest).
type Moved = BTreeMap<(String, String), (&'static str, String)>;

/// The fixture layouts as the registry the embedded engine pulls from when none is given.
#[derive(Debug)]
struct FixtureImages {
    daemon: Arc<InProcess>,
    fixtures: PathBuf,
    /// The tags `remote-retag` moved over the fixture layouts:
    /// (repository, tag) -> (fixture layout, manifest digest).
    moved: Mutex<Moved>,
}

impl FixtureImages {
    fn moved(&self) -> MutexGuard<'_, Moved> {
        self.moved.lock().unwrap_or_else(|e| e.into_inner())
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
        if let Some(found) = self.moved().get(&(fixture.to_string(), tag.clone())) {
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
    fn load(&self, reference: &str) -> Observation {
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
            let parsed: serde_json::Value =
                serde_json::from_slice(&manifest).map_err(|e| system(e.to_string()))?;
            let config = blob(parsed["config"]["digest"].as_str().unwrap_or_default())?;
            let store = self.daemon.engine().store();
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
}

impl ImageSource for FixtureImages {
    fn pull(&self, reference: &str) -> Observation {
        self.load(reference)
    }

    /// `remote-retag` without a registry: the target tag resolves to the source's manifest
    /// from now on, as if a registry serving the fixtures had moved it.
    fn retag(&self, source: &str, target: &str) -> Observation {
        let (Ok(found), Some(repository)) = (self.resolve_fixture(source), fixture_of(target))
        else {
            return Observation::Error {
                kind: ErrorKind::NotFound,
                message: format!("remote-retag {source} {target} failed"),
            };
        };
        let (_, tag) = split_reference(target);
        self.moved().insert((repository.to_string(), tag), found);
        Observation::Done
    }

    fn restore(&self) {
        self.moved().clear();
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
}
