//! berth-store: the image half of berth's runtime, as a library. It keeps images the way
//! Docker's classic store does (image ID = config digest, tags and digest references, parents
//! set by commit) on an OCI-layout blob store, and unpacks layers for overlayfs in one
//! streaming pass each, confined to their directory by `openat2(RESOLVE_BENEATH)`.
//!
//! Layout under the root directory:
//!
//! ```text
//! .lock                   flock held while the store is open (taken before anything else)
//! blobs/sha256/<hex>      verified blobs (configs, manifests, kept layer blobs)
//! ingest/                 blobs being written (removed on open)
//! tmp/                    spooled uploads and inflated archives of `load` (removed on open)
//! layers/<diffid hex>/    diff/ (an overlay lower dir) and layer.json
//! images/<hex>.json       image records
//! images/quarantine/      records an open found broken and set aside
//! leases/<owner>.json     containers' holds on layers
//! repositories.json       tags and digest references
//! ```
//!
//! The root is `0710` and nothing beneath it is wider than its user needs (`layout`): layers
//! keep their images' set-id bits and device nodes. Every tar is read through `tar_guard`,
//! every untrusted stream written within `space` limits, and `fsck` checks a closed store.
//!
//! It never depends on the reference model (`berth-model`): the conformance harness is only
//! worth something if the two are written independently. Everything here is synchronous;
//! async callers run it on a blocking thread.

mod atomic;
pub mod blob;
pub mod config;
mod delete;
pub mod digest;
mod error;
pub mod fsck;
mod image;
mod import;
mod ingest;
mod inspect;
pub mod layer;
mod layout;
mod lease;
mod list;
mod load;
mod lock;
mod record;
mod references;
mod repair;
pub mod space;
mod spool;
mod store;
pub mod tar_guard;
pub mod unpack;

#[cfg(test)]
mod testutil;

pub use blob::{BlobError, BlobStore};
pub use config::{History, ImageConfig, RootFs, RunConfig};
pub use delete::{DeleteRecord, ImageUser, ImageUsers, NoContainers};
// The runtime's one digest and reference are berth-core's; the store's API speaks them.
pub use berth_core::{Reference, ReferenceError};
pub use digest::{chain_ids, Digest, DigestError};
pub use error::{ConflictReason, ImageError};
pub use fsck::{fsck, FsckError, FsckReport, Problem, Severity};
pub use image::{Image, ImageId, ImageRecord};
pub use import::{ImportError, ImportPlan, PlannedLayer};
pub use ingest::BlobWriter;
pub use inspect::{HistoryItem, ImageInspect, Metadata, RootFsInspect};
pub use layer::{LayerError, LayerRecord, LayerStore};
pub use lease::{Lease, LeaseKind};
pub use list::{ImageSummary, ListOptions};
pub use load::{LoadError, LoadOptions, LoadReport};
pub use record::RecordError;
pub use repair::Repair;
pub use space::{SpaceError, SpaceGuard, SpaceLimits};
pub use store::{Store, StoreOptions};
pub use unpack::{
    extract_archive, ArchiveOptions, Compression, UnpackError, UnpackOptions, UnpackedLayer,
};
