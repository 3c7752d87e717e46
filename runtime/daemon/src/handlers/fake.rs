//! A fake [`Backend`] for the handlers' unit tests: containers and images as plain records in
//! memory, Docker's rules for the few verbs the tests drive (create, start, stop, kill, rm,
//! rename, wait), and dockerd's texts for their errors. It runs no process and needs no root,
//! so what the tests check is the handlers' own logic: routing, status codes, error mapping,
//! JSON shapes, filters, query parsing. Every call is recorded, in order, for the tests to
//! assert what the handlers asked. Verbs the tests do not drive answer `NotImplemented`.

use std::sync::Mutex;

use berth_core::{ErrorKind, Timestamp};
use berth_runtime::backend::{Backend, BackendError, BoxFuture, Result};
use berth_runtime::engine::{
    AttachOptions, Attachment, CgroupInfo, CgroupVersion, Change, CommitOptions, ContainerConfig,
    ContainerId, ContainerName, ContainersPruned, CreateOptions, DeleteRecord, ExecInspect,
    ExecOptions, ExecStart, HistoryItem, ImageId, ImageInspect, ImageSummary, ImagesPruned,
    Inspect, ListOptions, LoadReport, LogFollow, LogSpan, PathStat, ProcessConfig, PruneFilters,
    State, StateRecord, Top, WaitCondition, WaitOutcome,
};
use berth_runtime::pull::{Client, Platform, ProgressMessage};

/// The fake's state: containers oldest first, images, and the calls made so far.
#[derive(Debug, Default)]
pub struct Fake {
    pub containers: Mutex<Vec<Inspect>>,
    pub images: Mutex<Vec<ImageSummary>>,
    pub calls: Mutex<Vec<String>>,
}

/// An image ID made of one repeated hex digit.
pub fn image_id(digit: char) -> ImageId {
    format!("sha256:{}", digit.to_string().repeat(64))
        .parse()
        .expect("a valid image ID")
}

/// A tagged image, created at Unix second 1000.
pub fn image(digit: char, tags: &[&str]) -> ImageSummary {
    ImageSummary {
        id: image_id(digit),
        parent_id: None,
        repo_tags: tags.iter().map(|t| t.to_string()).collect(),
        repo_digests: Vec::new(),
        created: 1000,
        size: 42,
        virtual_size: 42,
        labels: None,
    }
}

/// A container record: `id` is one repeated hex digit, `image` is typed as given.
pub fn container(digit: char, name: &str, image: &ImageSummary, state: StateRecord) -> Inspect {
    let id: ContainerId = digit.to_string().repeat(64).parse().expect("an ID");
    Inspect {
        config: ContainerConfig {
            id,
            name: name.parse().expect("a name"),
            created: Timestamp::from_unix_nanos(1_000 * 1_000_000_000),
            image: image.repo_tags.first().cloned().unwrap_or_default(),
            image_id: image.id.to_string(),
            path: "sh".into(),
            args: vec!["-c".into(), "true".into()],
            config: ProcessConfig::default(),
            host_config: Default::default(),
            layer_dirs: Vec::new(),
        },
        state,
        log_path: "/nonexistent/log.json".into(),
        etc_files: None,
    }
}

/// A state running since `started` (Unix seconds).
pub fn running_since(started: i64) -> StateRecord {
    StateRecord {
        status: State::Running,
        pid: 4242,
        started_at: Timestamp::from_unix_nanos(i128::from(started) * 1_000_000_000),
        ..StateRecord::default()
    }
}

fn not_implemented(verb: &str) -> BackendError {
    BackendError::new(ErrorKind::NotImplemented, format!("the fake has no {verb}"))
}

fn no_such_container(reference: &str) -> BackendError {
    BackendError::new(
        ErrorKind::NotFound,
        format!("No such container: {reference}"),
    )
}

impl Fake {
    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    /// The calls so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    /// Runs `f` on the container `reference` names (full ID, ID prefix or name).
    fn with<T>(&self, reference: &str, f: impl FnOnce(&mut Inspect) -> Result<T>) -> Result<T> {
        let mut list = self.containers.lock().unwrap();
        let c = list
            .iter_mut()
            .find(|c| {
                c.config.name.bare() == reference.trim_start_matches('/')
                    || (!reference.is_empty() && c.config.id.as_str().starts_with(reference))
            })
            .ok_or_else(|| no_such_container(reference))?;
        f(c)
    }

    fn set_state(&self, reference: &str, verb: &str, state: State) -> Result<()> {
        self.record(format!("{verb} {reference}"));
        self.with(reference, |c| {
            c.state.status = state;
            Ok(())
        })
    }
}

impl Backend for Fake {
    fn cgroups(&self) -> CgroupInfo {
        CgroupInfo {
            version: CgroupVersion::V1,
            driver: "cgroupfs",
        }
    }

    fn pull<'a>(
        &'a self,
        _registry: &'a Client,
        reference: &'a str,
        _platform: &'a Platform,
        _progress: &'a mut (dyn FnMut(ProgressMessage) + Send),
    ) -> BoxFuture<'a, Result<()>> {
        self.record(format!("pull {reference}"));
        Box::pin(async move {
            Err(BackendError::new(
                ErrorKind::NotFound,
                format!("pull access denied for {reference}, repository does not exist"),
            ))
        })
    }

    fn images(&self, options: ListOptions) -> Vec<ImageSummary> {
        self.record(format!("images all={}", options.all));
        self.images.lock().unwrap().clone()
    }

    fn resolve_image(&self, name: &str) -> Result<ImageId> {
        let images = self.images.lock().unwrap();
        images
            .iter()
            .find(|i| i.repo_tags.iter().any(|t| t == name) || i.id.to_string() == name)
            .map(|i| i.id.clone())
            .ok_or_else(|| BackendError::new(ErrorKind::NotFound, format!("No such image: {name}")))
    }

    fn inspect_image(&self, name: &str) -> Result<ImageInspect> {
        self.resolve_image(name)?;
        Err(not_implemented("image inspect"))
    }

    fn history(&self, _name: &str) -> Result<Vec<HistoryItem>> {
        Err(not_implemented("history"))
    }

    fn tag(&self, source: &str, target: &str) -> Result<ImageId> {
        self.record(format!("tag {source} {target}"));
        self.resolve_image(source)
    }

    fn rmi(&self, name: &str, force: bool) -> Result<Vec<DeleteRecord>> {
        self.record(format!("rmi {name} force={force}"));
        let id = self.resolve_image(name)?;
        Ok(vec![
            DeleteRecord::Untagged(name.to_string()),
            DeleteRecord::Deleted(id.to_string()),
        ])
    }

    fn prune_images(&self, _filters: &PruneFilters) -> Result<ImagesPruned> {
        Ok(ImagesPruned::default())
    }

    fn load(&self, _archive: Box<dyn std::io::Read + Send>) -> Result<LoadReport> {
        Err(not_implemented("load"))
    }

    fn commit(&self, _container: &str, _options: &CommitOptions) -> Result<ImageId> {
        Err(not_implemented("commit"))
    }

    fn create(&self, options: CreateOptions) -> Result<ContainerId> {
        self.record(format!("create {}", options.image));
        let image = self
            .images
            .lock()
            .unwrap()
            .iter()
            .find(|i| i.repo_tags.contains(&options.image))
            .cloned()
            .ok_or_else(|| {
                BackendError::new(
                    ErrorKind::NotFound,
                    format!("No such image: {}", options.image),
                )
            })?;
        let mut list = self.containers.lock().unwrap();
        let digit = char::from_digit(list.len() as u32 + 1, 16).unwrap_or('f');
        let name = options.name.unwrap_or_else(|| format!("fake_{digit}"));
        if list.iter().any(|c| c.config.name.bare() == name) {
            return Err(BackendError::new(
                ErrorKind::Conflict,
                format!("Conflict. The container name \"/{name}\" is already in use"),
            ));
        }
        let c = container(digit, &name, &image, StateRecord::default());
        let id = c.config.id.clone();
        list.push(c);
        Ok(id)
    }

    fn containers(&self, all: bool) -> Vec<Inspect> {
        let mut list = self.containers.lock().unwrap().clone();
        list.retain(|c| all || c.state.status.is_running());
        list.reverse();
        list
    }

    fn inspect_container(&self, reference: &str) -> Result<Inspect> {
        self.with(reference, |c| Ok(c.clone()))
    }

    fn start(&self, reference: &str) -> Result<()> {
        self.record(format!("start {reference}"));
        self.with(reference, |c| {
            if c.state.status.is_running() {
                return Err(BackendError::new(ErrorKind::NotModified, "already started"));
            }
            c.state.status = State::Running;
            Ok(())
        })
    }

    fn kill(&self, reference: &str, signal: &str) -> Result<()> {
        self.record(format!("kill {reference} {signal}"));
        self.with(reference, |c| match c.state.status.is_running() {
            true => Ok(()),
            false => Err(BackendError::new(
                ErrorKind::Conflict,
                format!("Container {} is not running", c.config.id.as_str()),
            )),
        })
    }

    fn stop_within<'a>(
        &'a self,
        reference: &'a str,
        _grace: BoxFuture<'a, ()>,
    ) -> BoxFuture<'a, Result<()>> {
        self.record(format!("stop {reference}"));
        let stopped = self.with(reference, |c| {
            if !c.state.status.is_running() {
                return Err(BackendError::new(ErrorKind::NotModified, "not running"));
            }
            c.state.status = State::Exited;
            Ok(())
        });
        Box::pin(std::future::ready(stopped))
    }

    fn wait(
        &self,
        reference: &str,
        condition: WaitCondition,
    ) -> Result<BoxFuture<'static, WaitOutcome>> {
        self.record(format!("wait {reference} {condition:?}"));
        let status_code = self.with(reference, |c| Ok(c.state.exit_code))?;
        Ok(Box::pin(std::future::ready(WaitOutcome {
            status_code,
            error: None,
        })))
    }

    fn after_wait(&self) -> Result<()> {
        self.record("after_wait".into());
        Ok(())
    }

    fn resize(&self, reference: &str, _height: u16, _width: u16) -> Result<()> {
        self.with(reference, |_| Ok(()))
    }

    fn rename(&self, reference: &str, new_name: &str) -> Result<()> {
        self.record(format!("rename {reference} {new_name}"));
        let name: ContainerName = new_name.parse()?;
        self.with(reference, |c| {
            c.config.name = name;
            Ok(())
        })
    }

    fn rm(&self, reference: &str, force: bool) -> Result<()> {
        self.record(format!("rm {reference} force={force}"));
        let id = self.with(reference, |c| {
            if c.state.status.is_running() && !force {
                return Err(BackendError::new(
                    ErrorKind::Conflict,
                    format!(
                        "You cannot remove a running container {}. Stop the container before \
                         attempting removal or force remove",
                        c.config.id.as_str()
                    ),
                ));
            }
            Ok(c.config.id.clone())
        })?;
        self.containers
            .lock()
            .unwrap()
            .retain(|c| c.config.id != id);
        Ok(())
    }

    fn changes(&self, reference: &str) -> Result<Vec<Change>> {
        self.with(reference, |_| Ok(Vec::new()))
    }

    fn pause(&self, reference: &str) -> Result<()> {
        self.set_state(reference, "pause", State::Paused)
    }

    fn unpause(&self, reference: &str) -> Result<()> {
        self.set_state(reference, "unpause", State::Running)
    }

    fn top(&self, _reference: &str, _ps_args: &str) -> Result<Top> {
        Err(not_implemented("top"))
    }

    fn prune_containers(&self, filters: &PruneFilters) -> Result<ContainersPruned> {
        self.record(format!("prune containers until={:?}", filters.until));
        Ok(ContainersPruned::default())
    }

    fn attach(&self, _reference: &str, _options: AttachOptions) -> Result<Attachment> {
        Err(not_implemented("attach"))
    }

    fn logs(&self, reference: &str) -> Result<LogSpan> {
        self.with(reference, |_| Ok(LogSpan::empty()))
    }

    fn follow_logs(&self, _reference: &str) -> Result<LogFollow> {
        Err(not_implemented("logs -f"))
    }

    fn exec_create(&self, reference: &str, _options: ExecOptions) -> Result<String> {
        self.with(reference, |_| Err(not_implemented("exec")))
    }

    fn exec_inspect(&self, exec_id: &str) -> Result<ExecInspect> {
        Err(BackendError::new(
            ErrorKind::NotFound,
            format!("No such exec instance: {exec_id}"),
        ))
    }

    fn exec_start(&self, exec_id: &str, _detach: bool) -> Result<ExecStart> {
        Err(self.exec_inspect(exec_id).unwrap_err())
    }

    fn exec_exited<'a>(&'a self, _exec_id: &'a str) -> BoxFuture<'a, Result<Option<i32>>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    fn exec_resize(&self, exec_id: &str, _height: u16, _width: u16) -> Result<()> {
        Err(self.exec_inspect(exec_id).unwrap_err())
    }

    fn archive_stat(&self, _container: &str, _path: &str) -> Result<PathStat> {
        Err(not_implemented("archive"))
    }

    fn archive(&self, _container: &str, _path: &str) -> Result<(PathStat, std::fs::File)> {
        Err(not_implemented("archive"))
    }

    fn export(&self, _container: &str) -> Result<std::fs::File> {
        Err(not_implemented("export"))
    }

    fn archive_put(
        &self,
        _container: &str,
        _path: &str,
        _archive: Box<dyn std::io::Read + Send>,
        _no_overwrite_dir_non_dir: bool,
        _copy_uid_gid: bool,
    ) -> Result<()> {
        Err(not_implemented("archive"))
    }
}
