//! The order of a pull's progress messages. Layers download and unpack in parallel and in one
//! pass each, but the stream must read as dockerd's does: every layer announced bottom first
//! (`Pulling fs layer` or `Already exists`), `Waiting` for those beyond the concurrency limit,
//! byte counts as they come, and `Extracting` / `Pull complete` strictly bottom first, because
//! dockerd applies layers one on top of the other. This module holds that ordering state and
//! the caller's callback; it never touches the network or the store.

use berth_registry::progress::{layer_id, ProgressMessage};
use berth_store::PlannedLayer;

/// How many layers dockerd downloads at once (`--max-concurrent-downloads`).
pub const MAX_CONCURRENT_DOWNLOADS: usize = 3;

/// Where a layer stands in the progress stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LayerState {
    /// Already in the store: announced as `Already exists`, nothing more.
    Present,
    /// Being fetched.
    Pending,
    /// Fetched and unpacked, `Pull complete` not yet sent (a lower layer is still going).
    Unpacked,
    /// `Pull complete` sent.
    Reported,
}

/// One layer as the stream names it.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    size: i64,
    state: LayerState,
}

/// The progress stream of one pull; see the module doc.
pub struct Reporter<'a> {
    sink: &'a mut (dyn FnMut(ProgressMessage) + Send),
    rows: Vec<Row>,
    /// Once the pull failed, nothing more is reported: the caller reports the error.
    silenced: bool,
}

impl std::fmt::Debug for Reporter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("rows", &self.rows)
            .finish()
    }
}

impl<'a> Reporter<'a> {
    pub fn new(sink: &'a mut (dyn FnMut(ProgressMessage) + Send)) -> Self {
        Reporter {
            sink,
            rows: Vec::new(),
            silenced: false,
        }
    }

    pub fn emit(&mut self, message: ProgressMessage) {
        if !self.silenced {
            (self.sink)(message);
        }
    }

    /// Stops the stream after a failure.
    pub fn silence(&mut self) {
        self.silenced = true;
    }

    /// Announces every layer bottom first, then marks those that wait for a download slot.
    pub fn announce(&mut self, layers: &[PlannedLayer]) {
        self.rows = layers.iter().map(row).collect();
        for i in 0..self.rows.len() {
            let message = match self.rows[i].state {
                LayerState::Present => ProgressMessage::already_exists(&self.rows[i].id),
                _ => ProgressMessage::pulling_fs_layer(&self.rows[i].id),
            };
            self.emit(message);
        }
        let waiting: Vec<String> = self
            .pending()
            .skip(MAX_CONCURRENT_DOWNLOADS)
            .map(|r| r.id.clone())
            .collect();
        for id in waiting {
            self.emit(ProgressMessage::waiting(&id));
        }
    }

    /// Layer `index` is unpacked and verified: its download lines now, its `Pull complete`
    /// (and those of the layers above it that were waiting on it) once every lower layer is
    /// done.
    pub fn unpacked(&mut self, index: usize) {
        let id = self.rows[index].id.clone();
        self.emit(ProgressMessage::verifying_checksum(&id));
        self.emit(ProgressMessage::download_complete(&id));
        self.rows[index].state = LayerState::Unpacked;
        self.release_in_order();
    }

    fn release_in_order(&mut self) {
        for i in 0..self.rows.len() {
            match self.rows[i].state {
                LayerState::Present | LayerState::Reported => continue,
                LayerState::Pending => return,
                LayerState::Unpacked => {
                    let Row { id, size, .. } = self.rows[i].clone();
                    self.emit(ProgressMessage::extracting(&id, size, size));
                    self.emit(ProgressMessage::pull_complete(&id));
                    self.rows[i].state = LayerState::Reported;
                }
            }
        }
    }

    fn pending(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.state == LayerState::Pending)
    }
}

fn row(layer: &PlannedLayer) -> Row {
    let digest = layer.blob.as_ref().unwrap_or(&layer.diff_id);
    Row {
        id: layer_id(&digest.to_string()),
        size: layer.blob_size as i64,
        state: if layer.present {
            LayerState::Present
        } else {
            LayerState::Pending
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_store::Digest;

    fn layer(n: u8, present: bool) -> PlannedLayer {
        let hex = format!("{n:x}").repeat(64);
        PlannedLayer {
            blob: Some(Digest::from_hex(&hex).unwrap()),
            blob_size: 10,
            diff_id: Digest::from_hex(&hex).unwrap(),
            present,
        }
    }

    fn lines(run: impl FnOnce(&mut Reporter)) -> Vec<String> {
        let mut out = Vec::new();
        let mut sink = |m: ProgressMessage| out.push(format!("{}: {}", m.id, m.status));
        run(&mut Reporter::new(&mut sink));
        out
    }

    #[test]
    fn layers_beyond_three_downloads_wait_and_present_ones_do_not_count() {
        let layers: Vec<_> = (1..=5).map(|n| layer(n, n == 2)).collect();
        let out = lines(|r| r.announce(&layers));
        let id = |n: u8| format!("{n:x}").repeat(12);
        assert_eq!(
            out,
            [
                format!("{}: Pulling fs layer", id(1)),
                format!("{}: Already exists", id(2)),
                format!("{}: Pulling fs layer", id(3)),
                format!("{}: Pulling fs layer", id(4)),
                format!("{}: Pulling fs layer", id(5)),
                format!("{}: Waiting", id(5)),
            ]
        );
    }

    #[test]
    fn pull_complete_goes_bottom_first_even_when_upper_layers_finish_first() {
        let layers: Vec<_> = (1..=3).map(|n| layer(n, false)).collect();
        let out = lines(|r| {
            r.announce(&layers);
            r.unpacked(2);
            r.unpacked(0);
            r.unpacked(1);
        });
        let completes: Vec<_> = out
            .iter()
            .filter(|l| l.ends_with("Pull complete"))
            .collect();
        let id = |n: u8| format!("{n:x}").repeat(12);
        assert_eq!(
            completes,
            [1, 2, 3]
                .map(|n| format!("{}: Pull complete", id(n)))
                .iter()
                .collect::<Vec<_>>()
        );
        // Layer 3 finished first, but its Pull complete waited for layers 1 and 2.
        let third_done = out
            .iter()
            .position(|l| l == &format!("{}: Download complete", id(3)));
        let first_complete = out.iter().position(|l| l.ends_with("Pull complete"));
        assert!(third_done < first_complete);
    }

    #[test]
    fn a_silenced_reporter_says_nothing() {
        let out = lines(|r| {
            r.silence();
            r.announce(&[layer(1, false)]);
        });
        assert!(out.is_empty());
    }
}
