//! `pull`: fetch an image from the catalog, record its tag and digest references, and report
//! progress as the pull stream does (layers already present say `Already exists`; an image
//! already present pulls no layers at all).

use crate::error::ModelError;
use crate::ids::Digest;
use crate::model::Model;
use crate::response::{LayerPull, PullReport};
use berth_format::reference::Reference;

impl Model {
    pub(crate) fn pull(&mut self, arg: &str) -> Result<PullReport, ModelError> {
        let parsed: Reference =
            arg.parse()
                .map_err(|e: berth_format::reference::ReferenceError| {
                    self.profile.reference_error(&e.to_string())
                })?;
        let default_tag = parsed.tag().is_none() && parsed.digest().is_none();
        let reference = parsed.with_default_tag();
        let remote = self
            .catalog
            .resolve(&reference)
            .cloned()
            .ok_or_else(|| self.profile.manifest_unknown(&reference.familiar()))?;
        let id = remote.image.id.clone();
        let layers = if self.store.contains(&id) {
            Vec::new()
        } else {
            self.layer_pulls(&remote.image)
        };
        let up_to_date = self.tagged(&reference).as_ref() == Some(&id);
        self.store.insert(std::rc::Rc::new(remote.image));
        let digest_ref: Reference = format!("{}@{}", reference.name(), remote.manifest_digest)
            .parse()
            .expect("a repository name with a valid digest parses");
        self.store.set_ref(digest_ref, id.clone());
        self.store.set_ref(reference.clone(), id);
        Ok(PullReport {
            familiar: reference.familiar(),
            full: reference.to_string(),
            path: reference.path().to_string(),
            tag_or_digest: reference
                .digest()
                .or(reference.tag())
                .unwrap_or("latest")
                .to_string(),
            default_tag,
            layers,
            digest: remote.manifest_digest,
            up_to_date,
        })
    }

    fn layer_pulls(&self, image: &crate::image::Image) -> Vec<LayerPull> {
        let pull = |(layer, chain): (&crate::image::Layer, &Digest)| LayerPull {
            short: layer.diff_id.short().to_string(),
            already_exists: self.chain_held(chain),
        };
        image.layers.iter().zip(&image.chain).map(pull).collect()
    }

    /// Whether any image or any container holds the layer with this chain ID.
    pub(crate) fn chain_held(&self, chain: &Digest) -> bool {
        let mut holders = self
            .store
            .images()
            .chain(self.containers.values().map(|c| &c.base));
        holders.any(|image| image.chain.contains(chain))
    }
}
