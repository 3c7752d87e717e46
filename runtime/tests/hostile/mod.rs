//! Hostile images, built here as OCI layouts (the busybox fixture plus one layer written by the
//! test) and loaded into the store as any image is: a passwd that is a FIFO, a directory, a
//! device, a link to `/dev/zero` or out of the image to the host's `/etc/shadow`, a real
//! 100 MB file. Each start fails promptly with a clear error while other verbs keep
//! answering. And a container that swaps a directory for a link to `/` while it is committed:
//! the committed image never holds a host file.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{CreateOptions, State};
use berth_runtime::engine::CommitOptions;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{fixtures, options, ready, TestEngine};

/// A liveness bound for one verb (not a timing claim: a blocked verb never answers).
const BLOCKED: Duration = Duration::from_secs(60);

fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(BLOCKED) {
        Ok(answer) => answer,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not answer within {BLOCKED:?}: blocked")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked (see above)"),
    }
}

/// One member of the hostile layer.
enum Member {
    Dir(&'static str),
    Fifo(&'static str),
    CharDevice(&'static str, u32, u32),
    Symlink(&'static str, &'static str),
    /// A regular file of `size` bytes repeating `pattern`.
    File(&'static str, &'static [u8], u64),
}

/// Writes the layer as an uncompressed tar into `path` and answers its sha256 and size.
fn write_layer(path: &Path, members: &[Member]) -> (String, u64) {
    let mut builder = tar::Builder::new(BufWriter::new(File::create(path).unwrap()));
    for member in members {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        h.set_size(0);
        match member {
            Member::Dir(name) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                builder.append_data(&mut h, name, io::empty()).unwrap();
            }
            Member::Fifo(name) => {
                h.set_entry_type(tar::EntryType::Fifo);
                builder.append_data(&mut h, name, io::empty()).unwrap();
            }
            Member::CharDevice(name, major, minor) => {
                h.set_entry_type(tar::EntryType::Char);
                h.set_device_major(*major).unwrap();
                h.set_device_minor(*minor).unwrap();
                builder.append_data(&mut h, name, io::empty()).unwrap();
            }
            Member::Symlink(name, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                builder.append_link(&mut h, name, target).unwrap();
            }
            Member::File(name, pattern, size) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(*size);
                let data = Cycle {
                    pattern,
                    at: 0,
                    left: *size,
                };
                builder.append_data(&mut h, name, data).unwrap();
            }
        }
    }
    builder.into_inner().unwrap().flush().unwrap();
    let mut hash = Sha256::new();
    let mut file = File::open(path).unwrap();
    let size = io::copy(&mut file, &mut hash).unwrap();
    (format!("{:x}", hash.finalize()), size)
}

/// `left` bytes of `pattern`, repeated.
struct Cycle {
    pattern: &'static [u8],
    at: usize,
    left: u64,
}

impl Read for Cycle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for b in &mut buf[..n] {
            *b = self.pattern[self.at];
            self.at = (self.at + 1) % self.pattern.len();
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Writes an OCI layout `dir/<name>/`: the busybox fixture with `members` as a layer on top,
/// tagged `<name>:latest` once loaded.
fn hostile_layout(dir: &Path, name: &str, members: &[Member]) -> PathBuf {
    let base = fixtures().join("busybox");
    let layout = dir.join(name);
    let blobs = layout.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    for entry in fs::read_dir(base.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
    }
    fs::copy(base.join("oci-layout"), layout.join("oci-layout")).unwrap();
    let read_json =
        |p: PathBuf| -> Value { serde_json::from_slice(&fs::read(p).unwrap()).unwrap() };
    let index = read_json(base.join("index.json"));
    let digest = |d: &Value| {
        d["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:")
            .to_string()
    };
    let mut manifest = read_json(blobs.join(digest(&index["manifests"][0])));
    let mut config = read_json(blobs.join(digest(&manifest["config"])));
    let staged = layout.join("layer.tar");
    let (layer, size) = write_layer(&staged, members);
    fs::rename(&staged, blobs.join(&layer)).unwrap();
    config["rootfs"]["diff_ids"]
        .as_array_mut()
        .unwrap()
        .push(json!(format!("sha256:{layer}")));
    if let Some(history) = config["history"].as_array_mut() {
        history.push(json!({"created_by": "hostile layer"}));
    }
    let config = serde_json::to_vec(&config).unwrap();
    fs::write(blobs.join(sha256(&config)), &config).unwrap();
    manifest["config"]["digest"] = json!(format!("sha256:{}", sha256(&config)));
    manifest["config"]["size"] = json!(config.len());
    manifest["layers"].as_array_mut().unwrap().push(json!({
        "mediaType": "application/vnd.oci.image.layer.v1.tar",
        "digest": format!("sha256:{layer}"),
        "size": size,
    }));
    let manifest = serde_json::to_vec(&manifest).unwrap();
    fs::write(blobs.join(sha256(&manifest)), &manifest).unwrap();
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{}", sha256(&manifest)),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    });
    fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    layout
}

fn as_user(image: &str, user: &str, argv: &[&str]) -> CreateOptions {
    CreateOptions {
        user: Some(user.into()),
        ..options(image, argv)
    }
}

#[test]
fn hostile_images_fail_their_start_promptly_with_a_clear_error() {
    if !ready("hostile_images_fail_their_start_promptly_with_a_clear_error") {
        return;
    }
    let t = Arc::new(TestEngine::new());
    t.e().load(&fixtures().join("busybox")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "hostile-fifo",
            vec![Member::Dir("etc"), Member::Fifo("etc/passwd")],
            "nobody",
            "unable to find user nobody: open /etc/passwd: not a regular file",
        ),
        (
            "hostile-dir",
            vec![Member::Dir("etc"), Member::Dir("etc/passwd")],
            "",
            "unable to find user 0: read /etc/passwd: is a directory",
        ),
        (
            "hostile-device",
            vec![Member::Dir("etc"), Member::CharDevice("etc/passwd", 1, 5)],
            "nobody",
            "unable to find user nobody: open /etc/passwd: not a regular file",
        ),
        (
            "hostile-zero",
            vec![
                Member::Dir("etc"),
                Member::Symlink("etc/passwd", "/dev/zero"),
            ],
            "nobody",
            // As on dockerd: the image has no /dev/zero, so it has no passwd at all.
            "unable to find user nobody: no matching entries in passwd file",
        ),
        (
            "hostile-shadow",
            vec![
                Member::Dir("etc"),
                Member::Symlink("etc/passwd", "/etc/shadow"),
            ],
            // The host's /etc/shadow names root; the image has none. (A link climbing out
            // with `../../..` is refused when the store unpacks the layer.)
            "root",
            "unable to find user root: no matching entries in passwd file",
        ),
        (
            "hostile-big",
            vec![
                Member::Dir("etc"),
                Member::File("etc/passwd", b"someone:x:1:1::/:/bin/sh\n", 100 << 20),
            ],
            "nobody",
            "unable to find user nobody: read /etc/passwd: file too large (over the limit of \
             16 MiB)",
        ),
    ];
    let other = t.create("busybox", &["sleep", "1000"]);
    t.e().start(&other).unwrap();
    for (name, members, user, want) in cases {
        let layout = hostile_layout(dir.path(), name, &members);
        t.e().load(&layout).unwrap();
        let t2 = t.clone();
        let create = as_user(name, user, &["true"]);
        let (id, e) = bounded(name, move || {
            let id = t2.e().create(create).unwrap();
            (id.clone(), t2.e().start(id.as_str()).unwrap_err())
        });
        assert_eq!(
            (e.to_string().as_str(), e.kind()),
            (want, ErrorKind::System)
        );
        let state = t.e().inspect_container(id.as_str()).unwrap().state;
        assert_eq!((state.status, state.exit_code), (State::Created, 128));
        // The others were never held up.
        let t2 = t.clone();
        let listed = bounded("ps", move || t2.e().ps(true).len());
        assert!(listed >= 2);
    }
    assert_eq!(
        t.e().inspect_container(&other).unwrap().state.status,
        State::Running
    );
}

#[test]
fn a_committed_image_never_holds_host_files_of_a_link_swapped_in_mid_commit() {
    if !ready("a_committed_image_never_holds_host_files_of_a_link_swapped_in_mid_commit") {
        return;
    }
    let t = TestEngine::new();
    t.e().load(&fixtures().join("busybox")).unwrap();
    let script = "mkdir -p /w/d && echo mine > /w/d/f && while true; do \
                  mv /w/d /w/real; ln -s / /w/d; rm /w/d; mv /w/real /w/d; done";
    let racer = t.create("busybox", &["sh", "-c", script]);
    t.e().start(&racer).unwrap();
    let allowed = ["/w", "/w/d", "/w/d/f", "/w/real", "/w/real/f"];
    let mut caught_link = false;
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut commits = 0;
    while (commits < 12 || !caught_link) && Instant::now() < deadline {
        // Unpaused first (the race is live), every third one as dockerd does by default.
        let commit = CommitOptions {
            pause: commits % 3 == 2,
            ..CommitOptions::default()
        };
        let image = t.e().commit(&racer, &commit).unwrap().to_string();
        let argv = ["sh", "-c", "find /w; [ -L /w/d ] && echo link || true"];
        let out = t.e().run(options(&image, &argv)).unwrap();
        for line in out.stdout.lines() {
            match line {
                "link" => caught_link = true,
                path => assert!(allowed.contains(&path), "{path} in the committed image"),
            }
        }
        t.e().rm(out.id.as_str(), true).unwrap();
        t.e().rmi(&image, true).unwrap();
        commits += 1;
    }
    assert!(caught_link, "no commit caught the link in {commits} tries");
    assert_eq!(
        t.e().inspect_container(&racer).unwrap().state.status,
        State::Running
    );
}
