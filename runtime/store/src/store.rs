//! The image store as one object: blobs, layers, image records and references under one root
//! directory, with one lock around the in-memory index so that each operation sees and leaves
//! a consistent state. It owns opening (and the clean-up a crash calls for), lookups by
//! reference or ID prefix as Docker 20.10 does them, tags, and layer leases for containers.
//! The other verbs live in their own files as further `impl Store` blocks. It never knows
//! about containers beyond the `ImageUsers` answers and the leases they take.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::atomic;
use crate::blob::BlobStore;
use crate::config::ImageConfig;
use crate::digest::{chain_ids, Digest};
use crate::error::ImageError;
use crate::image::{Image, ImageId, ImageRecord, ImageRecords};
use crate::layer::LayerStore;
use crate::layout;
use crate::lease::Leases;
use crate::lock::RootLock;
use crate::references::References;
use crate::repair::{self, Repair};
use crate::space::SpaceLimits;
use berth_core::reference::Reference;
use berth_core::Timestamp;

/// How the store behaves; the defaults are what a daemon wants.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Flush each unpacked layer to disk before publishing it (one `syncfs` per layer).
    pub sync_layers: bool,
    /// Keep pulled layers' compressed blobs under `blobs/` (written in the same pass).
    pub keep_layer_blobs: bool,
    /// What one layer, inflated archive or upload may write, and the free space kept.
    pub limits: SpaceLimits,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            sync_layers: true,
            keep_layer_blobs: true,
            limits: SpaceLimits::default(),
        }
    }
}

/// The image store; cheap to clone (clones share everything).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub root: PathBuf,
    pub options: StoreOptions,
    pub blobs: BlobStore,
    pub layers: LayerStore,
    pub records: ImageRecords,
    pub repairs: Vec<Repair>,
    pub state: Mutex<State>,
    /// Held while the store is open; dropped last.
    pub _lock: RootLock,
}

/// Everything the lock protects.
#[derive(Debug)]
pub(crate) struct State {
    pub images: BTreeMap<ImageId, Image>,
    pub refs: References,
    pub leases: Leases,
    /// Layers an import in progress relies on, with a count per import.
    pub pins: HashMap<Digest, usize>,
    /// Blobs (configs, manifests) an import in progress relies on, with a count per import.
    pub blob_pins: HashMap<Digest, usize>,
}

impl Store {
    /// What one layer, archive or upload may write, and the free space kept.
    pub fn limits(&self) -> SpaceLimits {
        self.inner.options.limits
    }

    /// Opens the store under `root` with default options.
    pub fn open(root: &Path) -> Result<Store, ImageError> {
        Store::open_with(root, StoreOptions::default())
    }

    /// Opens (creating if needed) the store under `root`, after taking the root's lock: a
    /// store another process has open is refused untouched. Leftovers of a crash are removed:
    /// unfinished ingests, unpacks and spool files, records that cannot stand (quarantined,
    /// see [`Store::repairs`]), references to missing images, and layers and blobs no record
    /// refers to any more.
    pub fn open_with(root: &Path, options: StoreOptions) -> Result<Store, ImageError> {
        layout::create_root(root).map_err(io_at(root))?;
        let lock = RootLock::acquire(root)
            .map_err(io_at(root))?
            .ok_or_else(|| ImageError::Locked {
                root: root.to_owned(),
            })?;
        layout::create_dirs(root).map_err(io_at(root))?;
        let spool = root.join(crate::spool::DIR);
        atomic::clear_dir(&spool).map_err(io_at(&spool))?;
        let blobs = BlobStore::open(root)?;
        let layers = LayerStore::open(root, options.sync_layers)?;
        let records = ImageRecords::open(root)?;
        let mut repairs = Vec::new();
        let images = repair::load_images(&blobs, &layers, &records, &mut repairs)?;
        let mut refs = References::open(root)?;
        repair::drop_dangling_references(&mut refs, &images, &mut repairs)?;
        let state = State {
            images,
            refs,
            leases: Leases::open(root)?,
            pins: HashMap::new(),
            blob_pins: HashMap::new(),
        };
        let store = Store {
            inner: Arc::new(Inner {
                root: root.to_owned(),
                options,
                blobs,
                layers,
                records,
                repairs,
                state: Mutex::new(state),
                _lock: lock,
            }),
        };
        store.collect_garbage()?;
        Ok(store)
    }

    /// What the open repaired beyond routine leftovers (each also logged as a warning).
    pub fn repairs(&self) -> &[Repair] {
        &self.inner.repairs
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    pub fn layers(&self) -> &LayerStore {
        &self.inner.layers
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the in-memory index as the last completed
        // step left it (every step writes disk first), so the data is still usable.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Resolves a name as Docker 20.10's `GetImage` does: a full 64-hex ID or `sha256:<64hex>`
    /// exactly; otherwise a reference (`abcd` is `abcd:latest`) and then a unique ID prefix of
    /// any length. An unknown or ambiguous name is `No such image: <ref with :latest>`.
    pub fn resolve(&self, name: &str) -> Result<ImageId, ImageError> {
        resolve_in(&self.lock(), name)
    }

    /// The image `name` resolves to.
    pub fn image(&self, name: &str) -> Result<Image, ImageError> {
        let state = self.lock();
        let id = resolve_in(&state, name)?;
        Ok(state.images[&id].clone())
    }

    /// Every image, by ID.
    pub fn images(&self) -> Vec<Image> {
        self.lock().images.values().cloned().collect()
    }

    /// Points tag `target` at the image `source` resolves to (Docker's `tag`, which always
    /// replaces an existing tag). A digest reference cannot be a tag.
    pub fn tag(&self, source: &str, target: &Reference) -> Result<ImageId, ImageError> {
        let mut state = self.lock();
        let id = resolve_in(&state, source)?;
        target.check_taggable()?;
        self.add_reference(&mut state, target, &id)?;
        self.touch_tag_time(&mut state, &id)?;
        Ok(id)
    }

    /// Removes one reference without deleting anything else; returns what it pointed to.
    pub fn untag(&self, reference: &Reference) -> Result<Option<ImageId>, ImageError> {
        Ok(self.lock().refs.remove(reference)?)
    }

    /// The image a reference points to, if any.
    pub fn target(&self, reference: &Reference) -> Option<ImageId> {
        self.lock().refs.get(reference).cloned()
    }

    /// Every reference to an image, sorted by full name.
    pub fn references(&self, id: &ImageId) -> Vec<Reference> {
        self.lock().refs.of(id)
    }

    /// Adds a tag or digest reference (a digest reference never moves to another image). It
    /// leaves the tag time alone: pull and load tag without touching it, as Docker does.
    pub(crate) fn add_reference(
        &self,
        state: &mut State,
        reference: &Reference,
        id: &ImageId,
    ) -> Result<(), ImageError> {
        if let (Some(digest), Some(old)) = (reference.digest(), state.refs.get(reference)) {
            if old != id {
                return Err(ImageError::DigestTaken {
                    digest: digest.clone(),
                });
            }
        }
        state.refs.set(reference, id)?;
        Ok(())
    }

    /// Records now as the image's `LastTagTime`. Only Docker's `TagImage` path does this
    /// (`docker tag`, `commit` with a repository); pull and load leave Go's zero time.
    pub(crate) fn touch_tag_time(&self, state: &mut State, id: &ImageId) -> Result<(), ImageError> {
        let image = state.images.get_mut(id).expect("resolved images exist");
        image.record.last_tag_time = Some(Timestamp::now().rfc3339_nano());
        self.inner.records.write(&image.record)?;
        Ok(())
    }

    /// Writes a new image record and adds it to the index (records are written last).
    pub(crate) fn insert_image(
        &self,
        state: &mut State,
        record: ImageRecord,
        config: Arc<ImageConfig>,
    ) -> Result<(), ImageError> {
        self.inner.records.write(&record)?;
        state
            .images
            .insert(record.id.clone(), Image { record, config });
        Ok(())
    }

    /// Records `parent` as the parent of `child` (commit, and `load` of committed images).
    /// Both must be present.
    pub fn set_parent(&self, child: &ImageId, parent: &ImageId) -> Result<(), ImageError> {
        let mut state = self.lock();
        if !state.images.contains_key(parent) {
            return Err(ImageError::NotFound {
                name: parent.to_string(),
            });
        }
        let Some(image) = state.images.get_mut(child) else {
            return Err(ImageError::NotFound {
                name: child.to_string(),
            });
        };
        image.record.parent = Some(parent.clone());
        self.inner.records.write(&image.record)?;
        Ok(())
    }

    /// Removes layers and blobs that nothing refers to: no image, no lease, no import in
    /// progress. Run on open, when nothing else can be in flight.
    fn collect_garbage(&self) -> Result<(), ImageError> {
        let state = self.lock();
        let used_layers = used_diff_ids(&state);
        for layer in self.inner.layers.list()? {
            if !used_layers.contains(&layer) {
                self.inner.layers.remove(&layer)?;
            }
        }
        let used_blobs = used_blobs(&state);
        for blob in self.inner.blobs.list()? {
            if !used_blobs.contains(&blob) {
                self.inner.blobs.delete(&blob)?;
            }
        }
        Ok(())
    }
}

/// DiffIDs some image, lease or import still needs.
pub(crate) fn used_diff_ids(state: &State) -> BTreeSet<Digest> {
    let images = state.images.values().flat_map(|i| i.record.diff_ids.iter());
    images
        .chain(state.leases.diff_ids())
        .chain(state.pins.keys())
        .cloned()
        .collect()
}

/// ChainIDs some image or lease still holds (Docker's layer reference counts).
pub(crate) fn used_chain_ids(state: &State) -> BTreeSet<Digest> {
    let images = state.images.values().flat_map(Image::chain_ids);
    let leases = state.leases.stacks().flat_map(chain_ids);
    images.chain(leases).collect()
}

/// Blobs some image or import in progress still pins (config, manifest, kept layer blobs).
pub(crate) fn used_blobs(state: &State) -> BTreeSet<Digest> {
    let mut used: BTreeSet<Digest> = state.blob_pins.keys().cloned().collect();
    for image in state.images.values() {
        used.insert(image.id().digest().clone());
        used.extend(image.record.manifest.iter().cloned());
        used.extend(image.record.layer_blobs.iter().cloned());
    }
    used
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> ImageError + '_ {
    move |source| ImageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The lookup of `Store::resolve`, on a state already locked.
pub(crate) fn resolve_in(state: &State, name: &str) -> Result<ImageId, ImageError> {
    if let Some(id) = full_id(name) {
        return match state.images.contains_key(&id) {
            true => Ok(id),
            false => Err(ImageError::NotFound {
                name: id.to_string(),
            }),
        };
    }
    let reference: Reference = name.parse()?;
    if let Some(id) = state.refs.get(&reference) {
        if state.images.contains_key(id) {
            return Ok(id.clone());
        }
    }
    search_prefix(state, name).ok_or_else(|| ImageError::NotFound {
        name: reference.familiar(),
    })
}

/// `<64hex>` or `sha256:<64hex>`: Docker's `ParseAnyReference` takes these as IDs.
fn full_id(name: &str) -> Option<ImageId> {
    let hex = name.strip_prefix("sha256:").unwrap_or(name);
    Digest::from_hex(hex).ok().map(ImageId::new)
}

/// Docker's `digestset.Lookup`: a unique image whose hex ID starts with `name` (optionally
/// prefixed `sha256:`).
fn search_prefix(state: &State, name: &str) -> Option<ImageId> {
    let prefix = match name.split_once(':') {
        Some(("sha256", hex)) => hex,
        Some(_) => return None,
        None => name,
    };
    let mut found = state
        .images
        .keys()
        .filter(|id| id.digest().hex().starts_with(prefix));
    match (found.next(), found.next()) {
        (Some(id), None) => Some(id.clone()),
        _ => None,
    }
}
