//! `docker commit`: the container's filesystem changes become a layer (written by the
//! lifecycle as an OCI tar, unpacked by the store), and a new image config is built from the
//! parent image's and the container's: `config` is the container's run config with `changes`
//! applied (moby's `BuildFromConfig` then `merge`), `container_config` the container's run
//! config as it was, `container` its ID, history the parent's plus one entry, `Parent` the
//! container's image. When the container changed nothing, no layer is added and the history
//! entry says `empty_layer`, as moby does. A running container is paused while its layer is
//! written unless the caller asks not to (`pause=false`), as dockerd does.

use std::fs::{self, File};
use std::io::BufWriter;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use berth_core::Timestamp;
use berth_lifecycle::{CommittedLayer, ContainerId, Inspect};
use berth_store::{History, Image, ImageConfig, ImageId, Reference, RunConfig};

use super::changes::apply_changes;
use super::{Engine, EngineError};

/// What `docker commit` asks for beyond the container.
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// `repository[:tag]` (`:latest` when no tag); `None` leaves the image untagged.
    pub reference: Option<String>,
    /// `-c`: Dockerfile instructions (CMD, ENTRYPOINT, ENV, WORKDIR, LABEL, USER, EXPOSE).
    pub changes: Vec<String>,
    /// `-m`: the image's and the history entry's comment.
    pub comment: String,
    /// `-a`.
    pub author: String,
    /// `-p` (the API's `pause`): freeze a running container while its layer is written. On
    /// by default, as in dockerd since API 1.13.
    pub pause: bool,
}

impl Default for CommitOptions {
    fn default() -> Self {
        CommitOptions {
            reference: None,
            changes: Vec::new(),
            comment: String::new(),
            author: String::new(),
            pause: true,
        }
    }
}

static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

impl Engine {
    /// Commits a container to a new image and answers its ID (`sha256:...`).
    pub fn commit(&self, container: &str, options: &CommitOptions) -> Result<ImageId, EngineError> {
        // A bad reference or change is reported before anything is written.
        let references: Vec<Reference> = options
            .reference
            .as_deref()
            .map(str::parse)
            .transpose()?
            .into_iter()
            .collect();
        let info = self.containers.inspect(container)?;
        let parent_id = self.image_of(info.config.id.as_str())?;
        let parent = self.store.image(&parent_id.to_string())?;
        let mut config = container_run_config(&info, &parent);
        apply_changes(&mut config, &options.changes)?;
        let temp = TempLayer::new(self, &info.config.id)?;
        let layer = temp.write(self, &info.config.id, options.pause)?;
        let image = new_config(&parent, &info, config, &layer, options)?;
        let bytes = serde_json::to_vec(&image).expect("image configs serialise");
        let n = image.rootfs.diff_ids.len();
        let plan = self.store.begin_import_config(&bytes, vec![(None, 0); n])?;
        if layer.changed && !plan.layers()[n - 1].present {
            let file = File::open(&temp.0).map_err(|e| EngineError::io("open", &temp.0, e))?;
            plan.unpack_layer(n - 1, file)?;
        }
        let id = plan.finish_tagged(&references)?;
        self.store.set_parent(&id, &parent_id)?;
        Ok(id)
    }
}

/// The layer tar, written to a file under the engine root and removed when dropped.
struct TempLayer(PathBuf);

impl TempLayer {
    fn new(engine: &Engine, id: &ContainerId) -> Result<TempLayer, EngineError> {
        let dir = engine.root.join("tmp");
        fs::create_dir_all(&dir).map_err(|e| EngineError::io("create", &dir, e))?;
        let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        Ok(TempLayer(
            dir.join(format!("commit-{}-{n}.tar", id.short())),
        ))
    }

    fn write(
        &self,
        engine: &Engine,
        id: &ContainerId,
        pause: bool,
    ) -> Result<CommittedLayer, EngineError> {
        let file = File::create(&self.0).map_err(|e| EngineError::io("create", &self.0, e))?;
        let mut out = BufWriter::new(file);
        let layer = engine
            .containers
            .commit_layer(id.as_str(), pause, &mut out)?;
        out.flush()
            .map_err(|e| EngineError::io("write", &self.0, e))?;
        Ok(layer)
    }
}

impl Drop for TempLayer {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Docker's `.Config` of the container: the image's run config with what the container's
/// create decided on top.
fn container_run_config(c: &Inspect, parent: &Image) -> RunConfig {
    let p = &c.config.config;
    let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    RunConfig {
        hostname: p.hostname.clone(),
        user: p.user.clone(),
        env: Some(p.env.clone()),
        cmd: non_empty(&p.cmd),
        image: c.config.image.clone(),
        working_dir: p.working_dir.clone(),
        entrypoint: non_empty(&p.entrypoint),
        labels: Some(p.labels.clone()),
        ..parent.config.config.clone().unwrap_or_default()
    }
}

fn new_config(
    parent: &Image,
    c: &Inspect,
    mut config: RunConfig,
    layer: &CommittedLayer,
    options: &CommitOptions,
) -> Result<ImageConfig, EngineError> {
    let container_config = container_run_config(c, parent);
    // moby's `merge`: without an entrypoint, an emptied Cmd falls back to the container's.
    if config.entrypoint.as_ref().is_none_or(Vec::is_empty) {
        if config.cmd.as_ref().is_none_or(Vec::is_empty) {
            config.cmd = container_config.cmd.clone();
        }
        if config.entrypoint.is_none() {
            config.entrypoint = container_config.entrypoint.clone();
        }
    }
    let p = &parent.config;
    let mut rootfs = p.rootfs.clone();
    if layer.changed {
        rootfs.diff_ids.push(layer.diff_id.parse()?);
    }
    let created = Timestamp::now().rfc3339_nano();
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let mut history = p.history.clone();
    history.push(History {
        created: Some(created.clone()),
        created_by: Some(c.config.config.cmd.join(" ")),
        author: non_empty(&options.author),
        comment: non_empty(&options.comment),
        empty_layer: !layer.changed,
    });
    Ok(ImageConfig {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        variant: p.variant.clone(),
        os_version: p.os_version.clone(),
        created: Some(created),
        author: non_empty(&options.author),
        comment: non_empty(&options.comment),
        config: Some(config),
        container: Some(c.config.id.to_string()),
        container_config: Some(container_config),
        docker_version: None,
        history,
        rootfs,
    })
}
