//! The container verbs: thin wrappers over `berth-lifecycle` that add what only the engine
//! knows, the layer lease of each container (moved from its pending owner to the container ID
//! at create, released at removal). Texts and rules are the lifecycle's, unchanged.

use std::future::Future;
use std::time::{Duration, Instant};

use berth_lifecycle::{
    AttachOptions, Attachment, ContainerId, CreateOptions, Disposal, Inspect, LogFollow,
    WaitCondition, WaitOutcome,
};
use berth_store::ImageId;

use super::{Engine, EngineError};

impl Engine {
    /// `docker create`: answers the new container's ID. The container holds a lease on its
    /// image's layers until it is removed.
    pub fn create(&self, options: CreateOptions) -> Result<ContainerId, EngineError> {
        self.create_as(options, Disposal::Kept)
    }

    /// `create` for a container the caller removes as soon as it exits, having read its log
    /// (`run --rm`): its root filesystem changes are never synced (see
    /// `Containers::create_disposable`).
    pub fn create_disposable(&self, options: CreateOptions) -> Result<ContainerId, EngineError> {
        self.create_as(options, Disposal::Disposable)
    }

    /// The create answers the resolve's pending lease with the ID (a failed create has
    /// released it); it is released only after the container's own lease is taken, so the
    /// layers are never unheld in between.
    fn create_as(
        &self,
        options: CreateOptions,
        disposal: Disposal,
    ) -> Result<ContainerId, EngineError> {
        let created = self.containers.create_leased(options, disposal)?;
        let adopted = self.adopt_lease(&created.id);
        created.lease.release()?;
        adopted.map(|()| created.id)
    }

    /// Takes the lease of a just-created container under its own ID. An image deleted in
    /// between leaves a container that could not run: it is removed again.
    fn adopt_lease(&self, id: &ContainerId) -> Result<(), EngineError> {
        let image = self.image_of(id.as_str())?;
        if let Err(e) = self.store.lease_layers(id.as_str(), &image) {
            let _ = self.containers.remove(id.as_str(), true);
            return Err(e.into());
        }
        Ok(())
    }

    /// The image a container was created from.
    pub(crate) fn image_of(&self, reference: &str) -> Result<ImageId, EngineError> {
        let c = self.containers.inspect(reference)?;
        c.config
            .image_id
            .parse()
            .map_err(|_| EngineError::CorruptImageId {
                container: c.config.id.to_string(),
                image_id: c.config.image_id.clone(),
            })
    }

    pub fn start(&self, reference: &str) -> Result<(), EngineError> {
        Ok(self.containers.start(reference)?)
    }

    /// `docker stop -t`: SIGTERM, then SIGKILL after `timeout`.
    pub fn stop(&self, reference: &str, timeout: Duration) -> Result<(), EngineError> {
        Ok(self.containers.stop(reference, timeout)?)
    }

    /// `docker kill -s`: any signal, by name (`KILL`, `SIGHUP`) or number.
    pub fn kill(&self, reference: &str, signal: &str) -> Result<(), EngineError> {
        Ok(self.containers.kill(reference, signal)?)
    }

    pub fn restart(&self, reference: &str, timeout: Duration) -> Result<(), EngineError> {
        Ok(self.containers.restart(reference, timeout)?)
    }

    /// `docker rm [-f]`; the container's layer lease goes with it.
    pub fn rm(&self, reference: &str, force: bool) -> Result<(), EngineError> {
        let id = self.containers.inspect(reference)?.config.id;
        self.containers.remove(id.as_str(), force)?;
        self.store.release_layers(id.as_str())?;
        Ok(())
    }

    pub fn rename(&self, reference: &str, new_name: &str) -> Result<(), EngineError> {
        Ok(self.containers.rename(reference, new_name)?)
    }

    /// `docker pause`: freezes every process of a running container.
    pub fn pause(&self, reference: &str) -> Result<(), EngineError> {
        Ok(self.containers.pause(reference)?)
    }

    pub fn unpause(&self, reference: &str) -> Result<(), EngineError> {
        Ok(self.containers.unpause(reference)?)
    }

    /// `docker diff`: the container's changes to its root filesystem.
    pub fn changes(&self, reference: &str) -> Result<Vec<berth_lifecycle::Change>, EngineError> {
        Ok(self.containers.changes(reference)?)
    }

    /// Everything the container wrote to stdout and stderr so far, in order, read as it is
    /// consumed.
    pub fn logs(&self, reference: &str) -> Result<berth_lifecycle::LogSpan, EngineError> {
        Ok(self.containers.logs(reference)?)
    }

    /// `docker logs -f`: the log so far and, while the container runs, the entries after it
    /// (no gap, no duplicate); `live` closes when the run ends.
    pub fn follow_logs(&self, reference: &str) -> Result<LogFollow, EngineError> {
        Ok(self.containers.follow_logs(reference)?)
    }

    /// `POST /containers/{id}/attach`: the container's output (past and/or live) and, for a
    /// container created with `OpenStdin`, a writer to its stdin.
    pub fn attach(
        &self,
        reference: &str,
        options: AttachOptions,
    ) -> Result<Attachment, EngineError> {
        Ok(self.containers.attach(reference, options)?)
    }

    /// `POST /containers/{id}/resize`: the pty size of a running container.
    pub fn resize(&self, reference: &str, height: u16, width: u16) -> Result<(), EngineError> {
        Ok(self.containers.resize(reference, height, width)?)
    }

    /// `docker wait` / `POST /containers/{id}/wait`; `Ok(None)` when `deadline` passed first.
    /// A wait that saw its container go (`--rm`) also releases that container's lease.
    pub fn wait(
        &self,
        reference: &str,
        condition: WaitCondition,
        deadline: Option<Instant>,
    ) -> Result<Option<WaitOutcome>, EngineError> {
        let outcome = self.containers.wait(reference, condition, deadline)?;
        self.release_orphaned_leases(false)?;
        Ok(outcome)
    }

    /// [`Engine::wait`] for async callers, without a deadline: the container is looked up now
    /// (a wrong reference is an error at once, `next-exit` counts from now) and the future
    /// waits holding no thread. Call [`Engine::release_removed_leases`] once it resolved.
    pub fn wait_async(
        &self,
        reference: &str,
        condition: WaitCondition,
    ) -> Result<impl Future<Output = WaitOutcome> + Send + 'static, EngineError> {
        Ok(self.containers.wait_async(reference, condition)?)
    }

    /// [`Engine::stop`] for async callers: SIGTERM (or nothing, for a container already
    /// signalled), then SIGKILL once `grace` resolves (a timer of the caller's runtime);
    /// resolves once the exit is recorded.
    pub async fn stop_within(
        &self,
        reference: &str,
        grace: impl Future<Output = ()>,
    ) -> Result<(), EngineError> {
        Ok(self.containers.stop_within(reference, grace).await?)
    }

    /// What [`Engine::wait`] does after its wait, for callers that waited with
    /// [`Engine::wait_async`] instead: the layer leases of containers removed meanwhile
    /// (`--rm`) go.
    pub fn release_removed_leases(&self) -> Result<(), EngineError> {
        self.release_orphaned_leases(false)
    }

    /// `docker ps [-a]`: running containers, or all of them, newest first.
    pub fn ps(&self, all: bool) -> Vec<Inspect> {
        let mut list: Vec<Inspect> = self
            .containers
            .list()
            .into_iter()
            .filter(|c| all || c.state.status.is_running())
            .collect();
        list.reverse();
        list
    }

    pub fn inspect_container(&self, reference: &str) -> Result<Inspect, EngineError> {
        Ok(self.containers.inspect(reference)?)
    }
}
