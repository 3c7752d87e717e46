//! The remote catalog: what the registry holds, standing in for it so the model can answer
//! `pull` and so the harness can move a remote tag (`remote-retag`) and show that tags move
//! while IDs do not. It also describes the fixture images the conformance suite uses.

use std::collections::BTreeMap;

use crate::fs::{Changes, Content, Node};
use crate::ids::Digest;
use crate::image::{Image, ImageConfig, Layer};
use berth_format::reference::Reference;
use berth_format::Timestamp;

/// An image as a registry serves it: the image and the digest of its manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemoteImage {
    pub manifest_digest: Digest,
    pub image: Image,
}

/// Tagged references (`docker.io/library/x:latest`, in full normalised form) to remote images.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Catalog {
    tags: BTreeMap<String, RemoteImage>,
}

impl Catalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Publishes `image` under the tagged reference `reference`.
    pub fn insert(&mut self, reference: &Reference, image: RemoteImage) {
        self.tags.insert(reference.to_string(), image);
    }

    /// What a pull of `reference` (tagged or by digest) would fetch.
    pub fn resolve(&self, reference: &Reference) -> Option<&RemoteImage> {
        match reference.digest() {
            Some(digest) => self
                .tags
                .iter()
                .filter(|(key, _)| repository_of(key) == reference.name())
                .map(|(_, remote)| remote)
                .find(|remote| remote.manifest_digest.as_str() == digest),
            None => self.tags.get(&reference.to_string()),
        }
    }

    /// Points tag `target` at what `source` points to, as pushing another image would.
    pub fn retag(&mut self, source: &Reference, target: &Reference) -> bool {
        match self.resolve(source).cloned() {
            Some(remote) => {
                self.tags.insert(target.to_string(), remote);
                true
            }
            None => false,
        }
    }

    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.tags.keys().map(String::as_str)
    }

    /// The fixture images of TESTING.md, as the model knows them: `hello-world`, `toolbox`
    /// and `busybox`. Their IDs are the model's own; the harness maps IDs symbolically.
    pub fn fixtures() -> Catalog {
        let mut catalog = Catalog::new();
        for (name, image) in [
            ("hello-world", hello_world()),
            ("hello-world:base", hello_world_base()),
            ("toolbox", toolbox()),
            ("busybox", busybox()),
        ] {
            let reference: Reference = name
                .parse::<Reference>()
                .expect("fixture names parse")
                .with_default_tag();
            let manifest_digest = Digest::of(format!("manifest {}", image.id).as_bytes());
            catalog.insert(
                &reference,
                RemoteImage {
                    manifest_digest,
                    image,
                },
            );
        }
        catalog
    }
}

fn repository_of(full: &str) -> &str {
    // A tagged key is `name:tag`; the tag never contains '/', the host port is before a '/'.
    match full.rfind(':') {
        Some(cut) if !full[cut..].contains('/') => &full[..cut],
        _ => full,
    }
}

/// The `created` time every fixture config carries.
pub const FIXTURE_CREATED: i64 = 1_704_067_200;

/// The PATH every fixture image sets.
pub const FIXTURE_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn layer(entries: Vec<(&str, Node)>) -> Layer {
    let changes: Changes = entries
        .into_iter()
        .map(|(p, n)| (p.to_string(), n))
        .collect();
    Layer {
        diff_id: crate::fs::changes_digest(&changes),
        size: crate::fs::changes_size(&changes) + 1_000,
        changes: std::rc::Rc::new(changes),
    }
}

fn fixture(cmd: &[&str], layers: Vec<Layer>) -> Image {
    let config = ImageConfig {
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        env: vec![FIXTURE_PATH.to_string()],
        ..ImageConfig::default()
    };
    Image::new(
        None,
        Timestamp::from_unix_seconds(FIXTURE_CREATED),
        config,
        layers,
        None,
    )
}

fn base_layer() -> Layer {
    layer(vec![
        ("/etc", Node::Dir),
        (
            "/etc/hello-base",
            Node::file(0o644, "hello-world base layer\n"),
        ),
    ])
}

fn hello_world() -> Image {
    let hello = layer(vec![(
        "/hello",
        Node::File {
            mode: 0o755,
            content: Content::Toolbox,
        },
    )]);
    fixture(&["/hello"], vec![base_layer(), hello])
}

fn hello_world_base() -> Image {
    fixture(&["/etc/hello-base"], vec![base_layer()])
}

fn toolbox() -> Image {
    fixture(
        &["/toolbox", "out", "hello from toolbox"],
        vec![layer(vec![
            ("/data", Node::Dir),
            ("/data/seed.txt", Node::file(0o644, "seed\n")),
            (
                "/toolbox",
                Node::File {
                    mode: 0o755,
                    content: Content::Toolbox,
                },
            ),
        ])],
    )
}

fn busybox() -> Image {
    fixture(
        &["sh"],
        vec![layer(vec![
            ("/bin", Node::Dir),
            (
                "/bin/busybox",
                Node::File {
                    mode: 0o755,
                    content: Content::Opaque,
                },
            ),
            (
                "/bin/sh",
                Node::File {
                    mode: 0o755,
                    content: Content::Opaque,
                },
            ),
            ("/etc", Node::Dir),
            ("/tmp", Node::Dir),
        ])],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_resolve_by_tag_and_digest() {
        let catalog = Catalog::fixtures();
        let tagged: Reference = "toolbox".parse::<Reference>().unwrap().with_default_tag();
        let remote = catalog.resolve(&tagged).unwrap().clone();
        let by_digest: Reference = format!("toolbox@{}", remote.manifest_digest)
            .parse()
            .unwrap();
        assert_eq!(catalog.resolve(&by_digest), Some(&remote));
    }

    #[test]
    fn retag_moves_the_tag_not_the_image() {
        let mut catalog = Catalog::fixtures();
        let hello: Reference = "hello-world:latest".parse().unwrap();
        let target: Reference = "toolbox:latest".parse().unwrap();
        let before = catalog.resolve(&target).unwrap().image.id.clone();
        assert!(catalog.retag(&hello, &target));
        let after = catalog.resolve(&target).unwrap().image.id.clone();
        assert_ne!(before, after);
        assert_eq!(after, catalog.resolve(&hello).unwrap().image.id);
    }
}
