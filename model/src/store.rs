//! The model's image store: images with their references and their number of children, kept
//! consistent by the only methods that change them. Listing, lookup and delete then never scan
//! the whole store to learn an image's tags or whether it has children.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::ids::ImageId;
use crate::image::Image;
use berth_format::reference::Reference;

/// A reference in the store, with its full and familiar forms kept for lookups and listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefEntry {
    pub full: Rc<str>,
    pub reference: Reference,
    pub image: ImageId,
    pub familiar: Rc<str>,
}

/// An image and what points at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub image: Rc<Image>,
    /// The references to this image, sorted by full form as moby's reference store sorts.
    pub refs: Vec<RefEntry>,
    /// Images linked to this one as their parent. As in moby, a link is made only when the
    /// parent exists at the time, so this can differ from what children's configs claim.
    pub children: BTreeSet<ImageId>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ImageStore {
    images: BTreeMap<ImageId, Stored>,
    /// Full normalised reference -> the image it points at.
    refs: BTreeMap<Rc<str>, ImageId>,
}

impl ImageStore {
    pub fn get(&self, id: &ImageId) -> Option<&Rc<Image>> {
        self.images.get(id).map(|s| &s.image)
    }

    pub fn contains(&self, id: &ImageId) -> bool {
        self.images.contains_key(id)
    }

    pub fn images(&self) -> impl Iterator<Item = &Rc<Image>> {
        self.images.values().map(|s| &s.image)
    }

    pub fn stored(&self) -> impl Iterator<Item = &Stored> {
        self.images.values()
    }

    pub fn ids(&self) -> impl Iterator<Item = &ImageId> {
        self.images.keys()
    }

    pub fn len(&self) -> usize {
        self.images.len()
    }

    pub fn has_children(&self, id: &ImageId) -> bool {
        self.images.get(id).is_some_and(|s| !s.children.is_empty())
    }

    /// Adds an image (a no-op if it is already there: IDs are content). Returns whether its
    /// parent, if it names one, could be linked: moby's `SetParent` fails for an unknown parent.
    pub fn insert(&mut self, image: Rc<Image>) -> bool {
        if self.images.contains_key(&image.id) {
            return true;
        }
        let linked = match image.parent.as_ref() {
            None => true,
            Some(parent) => match self.images.get_mut(parent) {
                Some(parent) => {
                    parent.children.insert(image.id.clone());
                    true
                }
                None => false,
            },
        };
        let children = BTreeSet::new();
        let stored = Stored {
            image: image.clone(),
            refs: Vec::new(),
            children,
        };
        self.images.insert(image.id.clone(), stored);
        linked
    }

    /// Removes an image that no reference points at any more.
    pub fn remove(&mut self, id: &ImageId) -> Option<Rc<Image>> {
        let stored = self.images.remove(id)?;
        debug_assert!(stored.refs.is_empty(), "untag before deleting");
        let parent = stored.image.parent.as_ref();
        if let Some(parent) = parent.and_then(|p| self.images.get_mut(p)) {
            parent.children.remove(id);
        }
        Some(stored.image)
    }

    /// The image a full normalised reference points at.
    pub fn tagged(&self, full: &str) -> Option<&ImageId> {
        self.refs.get(full)
    }

    /// Points `reference` at `id` (which must be stored), moving it from any other image.
    pub fn set_ref(&mut self, reference: Reference, id: ImageId) {
        let full: Rc<str> = reference.to_string().into();
        self.remove_ref(&full);
        let familiar = reference.familiar().into();
        let entry = RefEntry {
            full: full.clone(),
            reference,
            image: id.clone(),
            familiar,
        };
        let stored = self
            .images
            .get_mut(&id)
            .expect("references point at stored images");
        let at = stored
            .refs
            .binary_search_by(|e| e.full.cmp(&full))
            .unwrap_or_else(|at| at);
        stored.refs.insert(at, entry);
        self.refs.insert(full, id);
    }

    /// Removes a reference by its full form.
    pub fn remove_ref(&mut self, full: &str) -> Option<RefEntry> {
        let image = self.refs.remove(full)?;
        let stored = self.images.get_mut(&image)?;
        let at = stored.refs.iter().position(|e| &*e.full == full)?;
        Some(stored.refs.remove(at))
    }

    /// The references to `id`, in moby's order.
    pub fn refs_of(&self, id: &ImageId) -> impl Iterator<Item = &RefEntry> {
        self.images
            .get(id)
            .map(|s| s.refs.as_slice())
            .unwrap_or_default()
            .iter()
    }

    pub fn all_refs(&self) -> impl Iterator<Item = &RefEntry> {
        self.images.values().flat_map(|s| s.refs.iter())
    }
}
