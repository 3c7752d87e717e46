//! Unpack tests: what a layer turns into on disk, the streaming checks, and every known way a
//! hostile tar tries to reach outside its layer directory. Each hostile case asserts three
//! things: the error is InvalidParameter, the outside sentinel directory is untouched, and the
//! `layers/` directory holds nothing afterwards (no layer, no temporary directory).

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use berth_core::{ErrorKind, Kind};
use berth_testkit::root_or_skip;
use tar::EntryType;

use crate::digest::Digest;
use crate::layer::{LayerError, LayerStore};
use crate::testutil::{gzip, Layer, MTIME};
use crate::unpack::{Compression, UnpackError, UnpackOptions};

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    layers: LayerStore,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("passwd"), b"sentinel").unwrap();
    let layers = LayerStore::open(&root, false).unwrap();
    Fixture {
        root,
        outside,
        layers,
        _dir: dir,
    }
}

impl Fixture {
    fn unpack(&self, bytes: &[u8]) -> Result<PathBuf, LayerError> {
        let (record, _) = self.layers.unpack(bytes, &UnpackOptions::default())?;
        Ok(self.layers.diff_dir(&record.diff_id))
    }

    /// The hostile-tar verdict: refused as InvalidParameter, nothing outside touched, nothing
    /// left in `layers/`.
    fn assert_refused(&self, bytes: &[u8]) {
        let err = self.unpack(bytes).expect_err("hostile layer accepted");
        assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
        assert!(
            matches!(err, LayerError::Unpack(UnpackError::Escape { .. })),
            "refused for the wrong reason: {err}"
        );
        self.assert_clean();
    }

    fn assert_clean(&self) {
        let mut outside: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        outside.sort();
        assert_eq!(outside, ["passwd"], "outside directory changed");
        assert_eq!(fs::read(self.outside.join("passwd")).unwrap(), b"sentinel");
        let left: Vec<_> = fs::read_dir(self.root.join("layers")).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    fn out(&self) -> &str {
        self.outside.to_str().unwrap()
    }
}

fn mtime(path: &Path) -> i64 {
    fs::symlink_metadata(path).unwrap().mtime()
}

#[test]
fn files_dirs_links_modes_and_times_are_kept() {
    let f = fixture();
    let tar = Layer::new()
        .dir("etc/")
        .raw(EntryType::Regular, "etc/motd", "", b"hello\n", 0o640)
        .symlink("etc/link", "motd")
        .hard_link("etc/hard", "etc/motd")
        .raw(EntryType::Directory, "ro/", "", b"", 0o555)
        .file("ro/inside", b"x")
        .raw(EntryType::Fifo, "fifo", "", b"", 0o600)
        .tar();
    let dir = f.unpack(&tar).unwrap();
    assert_eq!(fs::read(dir.join("etc/motd")).unwrap(), b"hello\n");
    let meta = fs::metadata(dir.join("etc/motd")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
    assert_eq!(meta.mtime(), MTIME as i64);
    assert_eq!(meta.nlink(), 2, "hard link shares the inode");
    assert_eq!(
        fs::read_link(dir.join("etc/link")).unwrap(),
        Path::new("motd")
    );
    assert_eq!(mtime(&dir.join("etc/link")), MTIME as i64);
    let ro = fs::metadata(dir.join("ro")).unwrap();
    assert_eq!(ro.permissions().mode() & 0o7777, 0o555);
    assert_eq!(ro.mtime(), MTIME as i64, "dir mtime set after its children");
    assert_eq!(mtime(&dir.join("etc")), MTIME as i64);
    assert!(fs::metadata(dir.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn gzip_zstd_and_plain_give_the_same_diff_id() {
    let tar = Layer::new().file("a", b"same").tar();
    let zst = zstd::encode_all(&tar[..], 3).unwrap();
    let mut seen = Vec::new();
    for (bytes, kind) in [
        (tar.clone(), Compression::None),
        (gzip(&tar), Compression::Gzip),
        (zst, Compression::Zstd),
    ] {
        let f = fixture();
        let (record, unpacked) = f
            .layers
            .unpack(&bytes[..], &UnpackOptions::default())
            .unwrap();
        assert_eq!(unpacked.compression, kind);
        assert_eq!(unpacked.blob, Digest::of(&bytes));
        assert_eq!(record.diff_id, Digest::of(&tar));
        seen.push(record.diff_id);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn size_counts_files_and_symlinks_once_like_overlay2() {
    let f = fixture();
    let tar = Layer::new()
        .file("a", b"12345")
        .hard_link("b", "a")
        .symlink("c", "abc")
        .file("d", b"old-contents")
        .file("d", b"new")
        .tar();
    let (record, _) = f
        .layers
        .unpack(&tar[..], &UnpackOptions::default())
        .unwrap();
    assert_eq!(record.size, 5 + 3 + 3);
}

#[test]
fn a_later_member_replaces_an_earlier_one_and_dirs_merge() {
    let f = fixture();
    let tar = Layer::new()
        .dir("d/")
        .file("d/keep", b"1")
        .dir("d/")
        .file("x", b"file first")
        .dir("x/")
        .file("x/y", b"now a dir")
        .tar();
    let dir = f.unpack(&tar).unwrap();
    assert!(dir.join("d/keep").is_file());
    assert!(dir.join("x/y").is_file());
}

#[test]
fn missing_parents_are_created() {
    let f = fixture();
    let dir = f.unpack(&Layer::new().file("a/b/c", b"x").tar()).unwrap();
    assert!(dir.join("a/b/c").is_file());
    let mode = fs::metadata(dir.join("a/b")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);
}

#[test]
fn owners_xattrs_and_devices_are_kept_as_root() {
    if !root_or_skip("owners_xattrs_and_devices_are_kept_as_root") {
        return;
    }
    let f = fixture();
    let tar = Layer::new()
        .file_with("owned", b"x", 1234, 0o4755, &[("user.note", b"kept")])
        .char_device("null", 1, 3)
        .file_with(
            "forged",
            b"x",
            0,
            0o644,
            &[("trusted.overlay.opaque", b"y")],
        )
        .tar();
    let dir = f.unpack(&tar).unwrap();
    let meta = fs::metadata(dir.join("owned")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (1234, 1234));
    assert_eq!(
        meta.permissions().mode() & 0o7777,
        0o4755,
        "setuid survives chown"
    );
    let note = rustix::fs::getxattr(dir.join("owned"), "user.note", &mut [0u8; 16][..]);
    assert_eq!(note.unwrap(), 4);
    let null = fs::metadata(dir.join("null")).unwrap();
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), rustix::fs::makedev(1, 3));
    let forged = rustix::fs::getxattr(
        dir.join("forged"),
        "trusted.overlay.opaque",
        &mut [0u8; 4][..],
    );
    assert!(
        forged.is_err(),
        "overlay xattrs from the archive are dropped"
    );
}

#[test]
fn whiteouts_become_overlayfs_whiteouts_as_root() {
    if !root_or_skip("whiteouts_become_overlayfs_whiteouts_as_root") {
        return;
    }
    let f = fixture();
    let tar = Layer::new()
        .dir("etc/")
        .file("etc/.wh.passwd", b"")
        .dir("opaque/")
        .file("opaque/.wh..wh..opq", b"")
        .file("opaque/new", b"x")
        .file(".wh..wh.plnk", b"")
        .tar();
    let dir = f.unpack(&tar).unwrap();
    let wh = fs::symlink_metadata(dir.join("etc/passwd")).unwrap();
    assert!(wh.file_type().is_char_device());
    assert_eq!(wh.rdev(), 0);
    assert!(!dir.join("etc/.wh.passwd").exists());
    let mut value = [0u8; 4];
    let n =
        rustix::fs::getxattr(dir.join("opaque"), "trusted.overlay.opaque", &mut value[..]).unwrap();
    assert_eq!(&value[..n], b"y");
    assert!(dir.join("opaque/new").is_file());
    assert!(
        !dir.join(".wh..wh.plnk").exists(),
        "aufs metadata is skipped"
    );
}

#[test]
fn escape_by_dotdot_is_refused() {
    let f = fixture();
    f.assert_refused(&Layer::new().file("a/../../x", b"x").tar());
    f.assert_refused(&Layer::new().file("../outside/passwd", b"x").tar());
}

#[test]
fn escape_by_absolute_path_is_refused() {
    let f = fixture();
    let name = format!("{}/pwned", f.out());
    f.assert_refused(&Layer::new().file(&name, b"x").tar());
}

#[test]
fn escape_through_a_symlink_is_refused() {
    let f = fixture();
    let tar = Layer::new()
        .symlink("link", f.out())
        .file("link/pwned", b"x")
        .tar();
    f.assert_refused(&tar);
    let tar = Layer::new()
        .symlink("link", f.out())
        .file("link/passwd", b"overwritten")
        .tar();
    f.assert_refused(&tar);
}

#[test]
fn escape_through_a_symlink_chain_is_refused() {
    let f = fixture();
    let tar = Layer::new()
        .symlink("a", "b")
        .symlink("b", "c/d")
        .dir("c/")
        .symlink("c/d", f.out())
        .file("a/pwned", b"x")
        .tar();
    f.assert_refused(&tar);
    let tar = Layer::new()
        .symlink("x", "y")
        .symlink("y", "/")
        .file("x/tmp/pwned", b"x")
        .tar();
    f.assert_refused(&tar);
}

/// dockerd loads such a link (its check runs in a chroot of the layer, where the target is
/// cleaned back to the root); a link is only ever followed beneath a root, so only an entry
/// written through it could escape, and that is refused.
#[test]
fn a_relative_symlink_target_that_climbs_out_is_kept_as_dockerd_keeps_it() {
    let f = fixture();
    let dir = f
        .unpack(&Layer::new().symlink("up", "../../../../etc").tar())
        .unwrap();
    assert_eq!(
        fs::read_link(dir.join("up")).unwrap(),
        Path::new("../../../../etc")
    );
    let through = Layer::new()
        .symlink("up", "../../../../etc")
        .file("up/pwned", b"x")
        .tar();
    fixture().assert_refused(&through);
}

#[test]
fn escape_by_a_hard_link_is_refused() {
    let f = fixture();
    f.assert_refused(&Layer::new().hard_link("h", "../outside/passwd").tar());
    let absolute = format!("{}/passwd", f.out());
    f.assert_refused(&Layer::new().hard_link("h", &absolute).tar());
    let tar = Layer::new()
        .symlink("l", f.out())
        .hard_link("h", "l/passwd")
        .tar();
    f.assert_refused(&tar);
}

#[test]
fn a_hard_link_to_a_symlink_links_the_symlink_itself() {
    let f = fixture();
    let tar = Layer::new()
        .symlink("l", &format!("{}/passwd", f.out()))
        .hard_link("h", "l")
        .tar();
    let dir = f.unpack(&tar).unwrap();
    assert!(fs::symlink_metadata(dir.join("h")).unwrap().is_symlink());
}

#[test]
fn a_symlink_replacing_a_directory_mid_archive_is_not_followed() {
    let f = fixture();
    let tar = Layer::new()
        .dir("d/")
        .file("d/first", b"1")
        .symlink("d", f.out())
        .file("d/passwd", b"overwritten")
        .tar();
    f.assert_refused(&tar);
}

#[test]
fn whiteouts_pointing_outside_are_refused() {
    let f = fixture();
    f.assert_refused(&Layer::new().file("../.wh.passwd", b"").tar());
    let tar = Layer::new()
        .symlink("link", f.out())
        .file("link/.wh.passwd", b"")
        .tar();
    f.assert_refused(&tar);
    let tar = Layer::new()
        .symlink("link", f.out())
        .file("link/.wh..wh..opq", b"")
        .tar();
    f.assert_refused(&tar);
}

#[test]
fn a_proc_magic_link_is_not_followed() {
    let f = fixture();
    let tar = Layer::new()
        .symlink("p", "/proc/self/root")
        .file("p/tmp/pwned", b"x")
        .tar();
    f.assert_refused(&tar);
}

#[test]
fn a_corrupt_gzip_stream_is_refused_and_leaves_nothing() {
    let f = fixture();
    let mut bytes = Layer::new().file("a", &[7u8; 4096]).gzip();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0xff;
    }
    let err = f.unpack(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    assert!(err.to_string().contains("reading layer stream"), "{err}");
    f.assert_clean();
}

#[test]
fn a_truncated_blob_is_refused_and_leaves_nothing() {
    let f = fixture();
    let bytes = Layer::new().file("a", &[7u8; 100_000]).gzip();
    let err = f.unpack(&bytes[..bytes.len() / 2]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    f.assert_clean();
    let plain = Layer::new().file("a", &[7u8; 100_000]).tar();
    let err = f.unpack(&plain[..5000]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    f.assert_clean();
}

#[test]
fn a_diff_id_mismatch_is_refused_and_leaves_nothing() {
    let f = fixture();
    let bytes = Layer::new().file("a", b"x").gzip();
    let expected = Digest::of(b"something else");
    let options = UnpackOptions {
        diff_id: Some(expected.clone()),
        ..UnpackOptions::default()
    };
    let err = f.layers.unpack(&bytes[..], &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    let text = err.to_string();
    assert!(
        text.contains("DiffID mismatch") && text.contains(&expected.to_string()),
        "{text}"
    );
    f.assert_clean();
}

#[test]
fn a_blob_digest_mismatch_is_refused_and_leaves_nothing() {
    let f = fixture();
    let bytes = Layer::new().file("a", b"x").gzip();
    let options = UnpackOptions {
        blob: Some(Digest::of(b"other")),
        ..UnpackOptions::default()
    };
    let err = f.layers.unpack(&bytes[..], &options).unwrap_err();
    assert!(err.to_string().contains("blob digest mismatch"), "{err}");
    f.assert_clean();
}

#[test]
fn the_same_layer_unpacked_twice_at_once_ends_as_one() {
    let f = fixture();
    let bytes = Layer::new().file("a", &[1u8; 200_000]).gzip();
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            f.layers
                .unpack(&bytes[..], &UnpackOptions::default())
                .unwrap()
        });
        let b = s.spawn(|| {
            f.layers
                .unpack(&bytes[..], &UnpackOptions::default())
                .unwrap()
        });
        assert_eq!(a.join().unwrap().0, b.join().unwrap().0);
    });
    let entries: Vec<_> = fs::read_dir(f.root.join("layers")).unwrap().collect();
    assert_eq!(entries.len(), 1);
}
