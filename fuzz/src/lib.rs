//! What each fuzz target checks, as plain functions over bytes: the targets in
//! `fuzz_targets/` call them under libFuzzer. Each panics only when berth breaks a promise on
//! some input: a crash, a hang, memory beyond libFuzzer's limit, or an invariant (named in each
//! function) that does not hold. An error answer to bad input is the expected outcome.

use std::path::Path;

use berth_store::{SpaceLimits, Store, StoreOptions, UnpackOptions};

/// What an input may expand to: small, so that a bomb is refused quickly and the disk stays
/// clean.
fn limits() -> SpaceLimits {
    SpaceLimits {
        max_bytes: Some(8 << 20),
        min_free: 0,
    }
}

/// Scratch space on tmpfs when there is one: every input unpacks into a new directory.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let builder = tempfile::Builder::new().prefix("berth-fuzz-").tempdir_in(shm);
    builder.unwrap_or_else(|_| tempfile::tempdir().expect("a temp dir"))
}

/// A layer stream (tar, gzip or zstd) unpacked into an empty directory: an answer, never a
/// panic, and nothing written outside the directory (its parent holds nothing else after).
pub fn unpack_layer(data: &[u8]) {
    let parent = scratch();
    let dir = parent.path().join("layer");
    std::fs::create_dir(&dir).unwrap();
    let options = UnpackOptions {
        limits: limits(),
        ..UnpackOptions::default()
    };
    let _ = berth_store::unpack::unpack_into(data, &dir, &options);
    let names: Vec<_> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["layer"], "the unpack wrote beside its directory");
}

/// A `docker load` upload (docker-save or OCI-layout tar, maybe compressed) into a new store:
/// an answer, never a panic, and the store consistent afterwards whatever the answer (`fsck`
/// finds no damage once the store is closed).
pub fn load_archive(data: &[u8]) {
    let dir = scratch();
    let root = dir.path().join("root");
    {
        let options = StoreOptions {
            sync_layers: false,
            limits: limits(),
            ..StoreOptions::default()
        };
        let store = Store::open_with(&root, options).expect("a new store opens");
        let _ = store.load_stream(data, &Default::default());
    }
    let report = berth_store::fsck(&root).expect("fsck of a closed store");
    assert!(report.damage().is_empty(), "{:?}", report.damage());
}

/// An image reference, as the runtime (`berth_store::Reference`) and the model and CLI
/// (berth-format's) each parse it: both answer, a parsed reference prints to a string that
/// parses back to itself, and the two parsers accept the same strings (they implement the same
/// Docker function).
pub fn reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let store = text.parse::<berth_store::Reference>();
    let model = berth_format::reference::Reference::parse_normalized(text);
    if let Ok(r) = &store {
        let again: berth_store::Reference = r.to_string().parse().expect("store round trip");
        assert_eq!(&again, r, "store reference {text:?} does not round-trip");
    }
    if let Ok(r) = &model {
        let again = berth_format::reference::Reference::parse_normalized(&r.to_string())
            .expect("model round trip");
        assert_eq!(&again, r, "model reference {text:?} does not round-trip");
    }
    assert_eq!(
        store.is_ok(),
        model.is_ok(),
        "store and model disagree on {text:?}: store {store:?}, model {model:?}"
    );
}

/// An Engine API request: a method, a path with its query and a body, one per line of the
/// input (the body is the rest). The parse answers a typed request or an error, never a panic,
/// and in bounded time (libFuzzer's timeout is the hang check: the reference filter once took
/// minutes on a pattern of stars).
pub fn request(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let method = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let target = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();
    let _ = berth_daemon::fuzzing::parse_request(method.trim(), target.trim(), body);
}

/// The images `reference` filter's matcher (Go's `path.Match`): pattern and name are the two
/// halves of the input around its first newline. It answers in bounded time, and agrees with
/// itself: a name matches a pattern made of the name with its special characters escaped.
pub fn filters(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, name) = text.split_once('\n').unwrap_or((text, "alpine:latest"));
    let _ = berth_daemon::fuzzing::path_match(pattern, name);
    let escaped: String = name
        .chars()
        .flat_map(|c| match c {
            '*' | '?' | '[' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    assert_eq!(
        berth_daemon::fuzzing::path_match(&escaped, name),
        Ok(true),
        "{name:?} does not match its own escaped form {escaped:?}"
    );
}
