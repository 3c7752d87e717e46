//! Pulling images from a registry into the store, as `docker pull` does. A pull normalises
//! the reference (`latest` by default), resolves it for the platform, starts an import in the
//! store, then downloads and unpacks the missing layers, up to three at once and each in one
//! streaming pass (`layer.rs`), while reporting dockerd's progress stream in dockerd's order
//! (`progress.rs`). The image is registered, with its tag and its digest reference (RepoTags
//! and RepoDigests), only once every layer is in and verified; a failed pull registers
//! nothing. This module glues `berth-registry` and `berth-store`; it never parses manifests,
//! verifies digests or writes files itself.

mod error;
mod layer;
mod progress;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use berth_registry::Resolved;
use berth_store::{Digest, ImageId, ImportPlan, Reference, Store};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

// What a caller of `pull` passes and receives, so it names one crate.
pub use berth_registry::progress::ProgressMessage;
pub use berth_registry::{Client, ClientConfig, Platform};
pub use error::PullError;
pub use progress::MAX_CONCURRENT_DOWNLOADS;

use layer::{Event, LayerJob};
use progress::Reporter;

/// How a pull ended for the reference it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullStatus {
    /// `Status: Downloaded newer image for ...`: the reference now points somewhere new.
    Downloaded,
    /// `Status: Image is up to date for ...`: it already pointed at this image.
    UpToDate,
}

/// What a successful pull produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOutcome {
    /// The image ID (config digest).
    pub id: ImageId,
    /// The normalised reference that was pulled.
    pub reference: Reference,
    /// The digest the reference resolved to (the index's when there is one): `Digest:`.
    pub digest: Digest,
    pub status: PullStatus,
    /// Layers downloaded and unpacked by this pull (not those that already existed).
    pub layers_fetched: usize,
}

/// Pulls `reference` for `platform` from the registry into `store`, reporting dockerd's
/// progress messages to `progress` as they happen.
pub async fn pull(
    client: &Client,
    store: &Store,
    reference: &str,
    platform: &Platform,
    progress: &mut (dyn FnMut(ProgressMessage) + Send),
) -> Result<PullOutcome, PullError> {
    // Parsed once: the store and the registry both take this typed reference.
    let reference: Reference = reference.parse()?;
    let resolved = client.resolve(&reference, platform).await?;
    let mut reporter = Reporter::new(progress);
    reporter.emit(ProgressMessage::pulling_from(
        &tag_or_digest(&reference),
        reference.path(),
    ));
    let digest = resolved.digest().clone();
    let plan = Arc::new(begin_import(store, &resolved).await?);
    let id = plan.image_id().clone();
    let up_to_date = store.target(&reference).as_ref() == Some(&id);
    // As dockerd: an image already in the store is not looked at layer by layer.
    let layers_fetched = match plan.image_exists() {
        true => 0,
        false => fetch_layers(client, &resolved, &plan, &mut reporter).await?,
    };
    let plan = Arc::into_inner(plan).ok_or_else(|| PullError::Task {
        reason: "a layer task still holds the import".into(),
    })?;
    finish(plan, recorded_references(&reference, &digest)).await?;
    reporter.emit(ProgressMessage::digest(&digest.to_string()));
    let status = match up_to_date {
        true => PullStatus::UpToDate,
        false => PullStatus::Downloaded,
    };
    reporter.emit(match status {
        PullStatus::UpToDate => ProgressMessage::up_to_date(&reference.familiar()),
        PullStatus::Downloaded => ProgressMessage::downloaded_newer(&reference.familiar()),
    });
    Ok(PullOutcome {
        id,
        reference,
        digest,
        status,
        layers_fetched,
    })
}

/// The id of the `Pulling from` line: the tag, or the digest of a digest reference.
fn tag_or_digest(reference: &Reference) -> String {
    match (reference.digest(), reference.tag()) {
        (Some(digest), _) => digest.to_string(),
        (None, tag) => tag.unwrap_or("latest").to_owned(),
    }
}

/// What dockerd records for a pull: the tag and `name@digest`, or just the digest reference.
fn recorded_references(reference: &Reference, digest: &Digest) -> Vec<Reference> {
    match reference.is_digest() {
        true => vec![reference.clone()],
        false => vec![reference.clone(), reference.with_digest(digest)],
    }
}

async fn begin_import(store: &Store, resolved: &Resolved) -> Result<ImportPlan, PullError> {
    let (store, manifest, config) = (
        store.clone(),
        resolved.manifest.bytes.clone(),
        resolved.config_bytes.clone(),
    );
    let plan = tokio::task::spawn_blocking(move || store.begin_import(&manifest, &config))
        .await
        .map_err(PullError::task)?;
    Ok(plan?)
}

async fn finish(plan: ImportPlan, references: Vec<Reference>) -> Result<ImageId, PullError> {
    let id = tokio::task::spawn_blocking(move || plan.finish(&references))
        .await
        .map_err(PullError::task)?;
    Ok(id?)
}

/// Downloads and unpacks every missing layer, [`MAX_CONCURRENT_DOWNLOADS`] at a time and
/// bottom first, forwarding progress. On the first failure the other layers are told to stop
/// and are waited for, so that nothing of this pull is still writing when it returns.
async fn fetch_layers(
    client: &Client,
    resolved: &Resolved,
    plan: &Arc<ImportPlan>,
    reporter: &mut Reporter<'_>,
) -> Result<usize, PullError> {
    reporter.announce(plan.layers());
    let (events, mut inbox) = mpsc::unbounded_channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let job = |index: usize| LayerJob {
        index,
        client: client.clone(),
        repository: resolved.repository.clone(),
        descriptor: resolved.layers[index].clone(),
        plan: Arc::clone(plan),
        cancel: Arc::clone(&cancel),
        events: events.clone(),
    };
    let mut queue: VecDeque<usize> = (plan.layers().iter().enumerate())
        .filter(|(_, layer)| !layer.present)
        .map(|(index, _)| index)
        .collect();
    let total = queue.len();
    let mut tasks = JoinSet::new();
    let mut first_error = None;
    while tasks.len() < MAX_CONCURRENT_DOWNLOADS {
        let Some(index) = queue.pop_front() else {
            break;
        };
        tasks.spawn(job(index).run());
    }
    let mut running = tasks.len();
    while running > 0 {
        let Some(event) = inbox.recv().await else {
            break;
        };
        match event {
            Event::Progress(message) => reporter.emit(message),
            Event::Done { index, result } => {
                running -= 1;
                match result {
                    Ok(()) => reporter.unpacked(index),
                    Err(err) if first_error.is_none() => {
                        cancel.store(true, Ordering::Relaxed);
                        reporter.silence();
                        first_error = Some(err);
                    }
                    Err(_) => {}
                }
                if first_error.is_none() {
                    if let Some(next) = queue.pop_front() {
                        tasks.spawn(job(next).run());
                        running += 1;
                    }
                }
            }
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(err) = joined {
            first_error.get_or_insert(PullError::task(err));
        }
    }
    first_error.map_or(Ok(total), Err)
}
