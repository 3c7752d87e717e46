//! [`Backend`] for the [`Engine`]: each call is the engine verb of the same name (or the one
//! the doc of the trait names), its error wrapped unchanged.

use std::fs::File;
use std::io::Read;

use berth_lifecycle::{
    AttachOptions, Attachment, Change, ContainerId, CreateOptions, ExecInspect, ExecOptions,
    Inspect, LogFollow, LogSpan, PathStat, WaitCondition, WaitOutcome,
};
use berth_registry::progress::ProgressMessage;
use berth_registry::{Client, Platform};
use berth_store::{
    DeleteRecord, HistoryItem, ImageId, ImageInspect, ImageSummary, ListOptions, LoadReport,
};

use super::{Backend, BoxFuture, Result};
use crate::engine::{
    CgroupInfo, CommitOptions, ContainersPruned, Engine, ExecStart, ImagesPruned, PruneFilters, Top,
};

impl Backend for Engine {
    fn cgroups(&self) -> CgroupInfo {
        Engine::cgroups(self)
    }

    fn pull<'a>(
        &'a self,
        registry: &'a Client,
        reference: &'a str,
        platform: &'a Platform,
        progress: &'a mut (dyn FnMut(ProgressMessage) + Send),
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            Engine::pull(self, registry, reference, platform, progress).await?;
            Ok(())
        })
    }

    fn images(&self, options: ListOptions) -> Vec<ImageSummary> {
        self.list_images(options)
    }

    fn resolve_image(&self, name: &str) -> Result<ImageId> {
        Ok(Engine::resolve_image(self, name)?)
    }

    fn inspect_image(&self, name: &str) -> Result<ImageInspect> {
        Ok(Engine::inspect_image(self, name)?)
    }

    fn history(&self, name: &str) -> Result<Vec<HistoryItem>> {
        Ok(Engine::history(self, name)?)
    }

    fn tag(&self, source: &str, target: &str) -> Result<ImageId> {
        Ok(Engine::tag(self, source, target)?)
    }

    fn rmi(&self, name: &str, force: bool) -> Result<Vec<DeleteRecord>> {
        Ok(Engine::rmi(self, name, force)?)
    }

    fn prune_images(&self, filters: &PruneFilters) -> Result<ImagesPruned> {
        Ok(Engine::prune_images(self, filters)?)
    }

    fn load(&self, archive: Box<dyn std::io::Read + Send>) -> Result<LoadReport> {
        Ok(self.load_stream(archive)?)
    }

    fn commit(&self, container: &str, options: &CommitOptions) -> Result<ImageId> {
        Ok(Engine::commit(self, container, options)?)
    }

    fn create(&self, options: CreateOptions) -> Result<ContainerId> {
        Ok(Engine::create(self, options)?)
    }

    fn containers(&self, all: bool) -> Vec<Inspect> {
        self.ps(all)
    }

    fn inspect_container(&self, reference: &str) -> Result<Inspect> {
        Ok(Engine::inspect_container(self, reference)?)
    }

    fn start(&self, reference: &str) -> Result<()> {
        Ok(Engine::start(self, reference)?)
    }

    fn kill(&self, reference: &str, signal: &str) -> Result<()> {
        Ok(Engine::kill(self, reference, signal)?)
    }

    fn stop_within<'a>(
        &'a self,
        reference: &'a str,
        grace: BoxFuture<'a, ()>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { Ok(Engine::stop_within(self, reference, grace).await?) })
    }

    fn wait(
        &self,
        reference: &str,
        condition: WaitCondition,
    ) -> Result<BoxFuture<'static, WaitOutcome>> {
        Ok(Box::pin(self.wait_async(reference, condition)?))
    }

    fn after_wait(&self) -> Result<()> {
        Ok(self.release_removed_leases()?)
    }

    fn resize(&self, reference: &str, height: u16, width: u16) -> Result<()> {
        Ok(Engine::resize(self, reference, height, width)?)
    }

    fn rename(&self, reference: &str, new_name: &str) -> Result<()> {
        Ok(Engine::rename(self, reference, new_name)?)
    }

    fn rm(&self, reference: &str, force: bool) -> Result<()> {
        Ok(Engine::rm(self, reference, force)?)
    }

    fn changes(&self, reference: &str) -> Result<Vec<Change>> {
        Ok(Engine::changes(self, reference)?)
    }

    fn pause(&self, reference: &str) -> Result<()> {
        Ok(Engine::pause(self, reference)?)
    }

    fn unpause(&self, reference: &str) -> Result<()> {
        Ok(Engine::unpause(self, reference)?)
    }

    fn top(&self, reference: &str, ps_args: &str) -> Result<Top> {
        Ok(Engine::top(self, reference, ps_args)?)
    }

    fn prune_containers(&self, filters: &PruneFilters) -> Result<ContainersPruned> {
        Ok(Engine::prune_containers(self, filters)?)
    }

    fn attach(&self, reference: &str, options: AttachOptions) -> Result<Attachment> {
        Ok(Engine::attach(self, reference, options)?)
    }

    fn logs(&self, reference: &str) -> Result<LogSpan> {
        Ok(Engine::logs(self, reference)?)
    }

    fn follow_logs(&self, reference: &str) -> Result<LogFollow> {
        Ok(Engine::follow_logs(self, reference)?)
    }

    fn exec_create(&self, reference: &str, options: ExecOptions) -> Result<String> {
        Ok(Engine::exec_create(self, reference, options)?)
    }

    fn exec_inspect(&self, exec_id: &str) -> Result<ExecInspect> {
        Ok(Engine::exec_inspect(self, exec_id)?)
    }

    fn exec_start(&self, exec_id: &str, detach: bool) -> Result<ExecStart> {
        Ok(Engine::exec_start(self, exec_id, detach)?)
    }

    fn exec_exited<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, Result<Option<i32>>> {
        Box::pin(async move { Ok(Engine::exec_exited(self, exec_id).await?) })
    }

    fn exec_resize(&self, exec_id: &str, height: u16, width: u16) -> Result<()> {
        Ok(Engine::exec_resize(self, exec_id, height, width)?)
    }

    fn archive_stat(&self, container: &str, path: &str) -> Result<PathStat> {
        Ok(Engine::archive_stat(self, container, path)?)
    }

    fn archive(&self, container: &str, path: &str) -> Result<(PathStat, File)> {
        Ok(Engine::archive(self, container, path)?)
    }

    fn export(&self, container: &str) -> Result<File> {
        Ok(Engine::export(self, container)?)
    }

    fn archive_put(
        &self,
        container: &str,
        path: &str,
        archive: Box<dyn Read + Send>,
        no_overwrite_dir_non_dir: bool,
        copy_uid_gid: bool,
    ) -> Result<()> {
        Ok(Engine::archive_put(
            self,
            container,
            path,
            archive,
            no_overwrite_dir_non_dir,
            copy_uid_gid,
        )?)
    }
}
