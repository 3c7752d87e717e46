//! Shared test scaffolding: the root check, a busybox image layer, a fake image store over it,
//! and a store whose cgroup parent is unique per test and removed afterwards.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{
    Containers, CreateOptions, ImageConfig, ImageInfo, Images, Resolved, StoreOptions,
};
use berth_sandbox::HostConfig;

pub use berth_testkit::root_or_skip;

/// The test kit's busybox layer ([`berth_testkit::busybox_layer`]): Debian's static busybox
/// with its applet links and a non-executable `/data/seed.txt`, built once under Cargo's
/// target tmp dir.
pub fn busybox_layer() -> &'static Path {
    berth_testkit::busybox_layer(Path::new(env!("CARGO_TARGET_TMPDIR")))
}

#[derive(Debug, thiserror::Error)]
#[error("No such image: {0}:latest")]
pub struct NoSuchImage(String);

impl Kind for NoSuchImage {
    fn kind(&self) -> ErrorKind {
        ErrorKind::NotFound
    }
}

/// `busybox`, whose single layer is [`busybox_layer`] and whose Cmd is `sh`; with a layer
/// given, also `committed`: busybox plus that layer on top.
#[derive(Debug, Default)]
pub struct FakeImages(pub Option<PathBuf>);

impl Images for FakeImages {
    type Error = NoSuchImage;
    type Lease = ();

    fn resolve(&self, reference: &str) -> Result<Resolved<()>, NoSuchImage> {
        let mut layer_dirs = vec![busybox_layer().to_path_buf()];
        match (reference, &self.0) {
            ("busybox", _) => {}
            ("committed", Some(top)) => layer_dirs.push(top.clone()),
            _ => return Err(NoSuchImage(reference.into())),
        }
        let image = ImageInfo {
            id: format!("sha256:{}", "b".repeat(64)),
            layer_dirs,
            config: ImageConfig {
                cmd: vec!["sh".into()],
                env: vec![
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
                ],
                ..ImageConfig::default()
            },
        };
        Ok(Resolved { image, lease: () })
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A store in a temp dir with a per-test cgroup parent.
pub struct TestStore {
    pub dir: tempfile::TempDir,
    pub options: StoreOptions,
    pub store: Option<Containers<FakeImages>>,
}

impl TestStore {
    pub fn new() -> TestStore {
        TestStore::with_images(FakeImages::default())
    }

    pub fn with_images(images: FakeImages) -> TestStore {
        let dir = tempfile::Builder::new()
            .prefix("berth-lc-")
            .tempdir()
            .unwrap();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let options = StoreOptions {
            root: dir.path().join("containers"),
            cgroup_parent: PathBuf::from(format!("berth-lc-test-{}-{n}", std::process::id())),
            host: HostConfig::standard(),
        };
        let store = Containers::open(options.clone(), images).unwrap();
        TestStore {
            dir,
            options,
            store: Some(store),
        }
    }

    pub fn c(&self) -> &Containers<FakeImages> {
        self.store.as_ref().unwrap()
    }

    /// `create` of busybox with `argv` as Cmd.
    pub fn create(&self, argv: &[&str]) -> String {
        self.create_with(argv, |_| {})
    }

    pub fn create_with(&self, argv: &[&str], tweak: impl FnOnce(&mut CreateOptions)) -> String {
        let mut o = CreateOptions {
            image: "busybox".into(),
            cmd: argv.iter().map(|s| s.to_string()).collect(),
            ..CreateOptions::default()
        };
        tweak(&mut o);
        self.c().create(o).unwrap().to_string()
    }

    /// Every cgroup directory of this store's parent, in every hierarchy.
    pub fn cgroup_dirs(&self) -> Vec<PathBuf> {
        cgroup_children(&self.options.cgroup_parent)
    }
}

/// The directories below `parent` in every mounted cgroup hierarchy.
pub fn cgroup_children(parent: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for h in hierarchies() {
        if let Ok(rd) = fs::read_dir(h.join(parent)) {
            found.extend(rd.flatten().filter(|e| e.path().is_dir()).map(|e| e.path()));
        }
    }
    found
}

fn hierarchies() -> Vec<PathBuf> {
    let mut hs = vec![PathBuf::from("/sys/fs/cgroup")];
    if let Ok(rd) = fs::read_dir("/sys/fs/cgroup") {
        hs.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    hs
}

impl Drop for TestStore {
    /// Stops what still runs, then removes the per-test cgroup parent everywhere.
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            store.shutdown(Duration::from_secs(1));
        }
        for h in hierarchies() {
            let dir = h.join(&self.options.cgroup_parent);
            for _ in 0..100 {
                match fs::remove_dir(&dir) {
                    Err(e) if e.raw_os_error() == Some(libc_ebusy()) => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    _ => break,
                }
            }
        }
    }
}

fn libc_ebusy() -> i32 {
    16
}
