//! One layer of a pull, in one streaming pass: the blob's bytes come off the network, are
//! counted for `Downloading`, and are read by the store's unpacker on a blocking thread
//! through [`SyncIoBridge`]; the store hashes them (blob digest), inflates, hashes again
//! (DiffID) and writes the files, so nothing is buffered whole or read twice. This module
//! owns that plumbing and the mapping of its failures; it never decides the order of the
//! progress stream (`progress.rs`) nor which layers to fetch (`mod.rs`).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use berth_registry::progress::{layer_id, ProgressMessage, ProgressThrottle};
use berth_registry::{Client, Descriptor, RegistryError, Repository};
use berth_store::ImportPlan;
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::error::PullError;

/// What a layer task tells the pull.
#[derive(Debug)]
pub enum Event {
    Progress(ProgressMessage),
    Done {
        index: usize,
        result: Result<(), PullError>,
    },
}

/// Everything one layer task needs; cheap clones of the pull's shared parts.
#[derive(Debug)]
pub struct LayerJob {
    pub index: usize,
    pub client: Client,
    pub repository: Repository,
    pub descriptor: Descriptor,
    pub plan: Arc<ImportPlan>,
    /// Set when another layer failed: this one stops at its next chunk.
    pub cancel: Arc<AtomicBool>,
    pub events: UnboundedSender<Event>,
}

impl LayerJob {
    /// Fetches and unpacks the layer, then reports how it went (always, exactly once).
    pub async fn run(self) {
        let (index, events) = (self.index, self.events.clone());
        let result = self.fetch().await;
        // The receiver lives until every job has reported; a send cannot fail before that.
        let _ = events.send(Event::Done { index, result });
    }

    async fn fetch(self) -> Result<(), PullError> {
        let stream = self.client.blob(&self.repository, &self.descriptor).await?;
        // The unpacker sees registry failures as I/O errors; the original is kept here so the
        // caller gets the registry's kind and text, not a wrapped "reading layer stream".
        let failure: Arc<Mutex<Option<RegistryError>>> = Arc::default();
        let mut meter = Meter::new(&self.descriptor, self.events.clone());
        let (cancel, stash) = (Arc::clone(&self.cancel), Arc::clone(&failure));
        let bytes = stream.map(move |item| {
            if cancel.load(Ordering::Relaxed) {
                return Err(io::Error::other("pull cancelled: another layer failed"));
            }
            let chunk = item.map_err(|err| {
                let text = err.to_string();
                *stash.lock().expect("failure lock") = Some(err);
                io::Error::other(text)
            })?;
            meter.advance(chunk.len());
            Ok(chunk)
        });
        // Created here, inside the runtime: the bridge keeps a handle to drive the stream
        // from the blocking thread.
        let reader = SyncIoBridge::new(StreamReader::new(bytes));
        let (plan, index) = (Arc::clone(&self.plan), self.index);
        let unpacked = tokio::task::spawn_blocking(move || plan.unpack_layer(index, reader))
            .await
            .map_err(PullError::task)?;
        let registry_failure = failure.lock().expect("failure lock").take();
        match (unpacked, registry_failure) {
            (Ok(_), _) => Ok(()),
            (Err(_), Some(registry)) => Err(registry.into()),
            (Err(store), None) => Err(store.into()),
        }
    }
}

/// Turns byte counts into throttled `Downloading` messages, as moby's `progress.Reader` does.
struct Meter {
    id: String,
    total: i64,
    current: i64,
    reported: i64,
    throttle: ProgressThrottle,
    events: UnboundedSender<Event>,
}

impl Meter {
    fn new(descriptor: &Descriptor, events: UnboundedSender<Event>) -> Self {
        let total = descriptor.size() as i64;
        Meter {
            id: layer_id(descriptor.digest().as_ref()),
            total,
            current: 0,
            reported: 0,
            throttle: ProgressThrottle::new(total),
            events,
        }
    }

    fn advance(&mut self, n: usize) {
        self.current += n as i64;
        let due = self.throttle.advance(n, Instant::now());
        // The read that completes the blob is always reported, as the one meeting EOF is.
        let due = due.or((self.current >= self.total).then_some(self.current));
        if let Some(current) = due.filter(|&c| c != self.reported) {
            self.reported = current;
            let message = ProgressMessage::downloading(&self.id, current, self.total);
            let _ = self.events.send(Event::Progress(message));
        }
    }
}
