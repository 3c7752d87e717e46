//! berth-store end to end, through the public API only: images imported as a pull would import
//! them, then looked up, tagged, listed, inspected, deleted and loaded, with the outcomes
//! dockerd 20.10 showed for the same steps (model/tests/reference/dockerd-20.10-observations.md,
//! sections 6, 7, 9 and 11; the section numbers are in the test names' comments).

use std::fs;
use std::io::Write;
use std::path::Path;

use berth_core::{ErrorKind, Kind};
use berth_store::{
    chain_ids, DeleteRecord, Digest, ImageId, ImageUser, ImageUsers, LeaseKind, ListOptions,
    LoadOptions, NoContainers, Reference, Store, StoreOptions,
};

#[path = "store/hardening.rs"]
mod hardening;

// ---------------------------------------------------------------- building images for tests

/// An image as a registry would serve it: gzip layers, a config, an OCI manifest.
struct Built {
    config: Vec<u8>,
    manifest: Vec<u8>,
    layers: Vec<Vec<u8>>,
    tars: Vec<Vec<u8>>,
}

impl Built {
    fn id(&self) -> ImageId {
        ImageId::new(Digest::of(&self.config))
    }

    fn manifest_digest(&self) -> Digest {
        Digest::of(&self.manifest)
    }
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        builder.append_data(&mut h, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// An image with one layer per entry of `layers`; `label` makes configs (and so IDs) differ.
fn image(created: &str, layers: &[&[(&str, &[u8])]], label: &str) -> Built {
    let tars: Vec<Vec<u8>> = layers.iter().map(|files| tar_of(files)).collect();
    let gz: Vec<Vec<u8>> = tars.iter().map(|t| gzip(t)).collect();
    let diff_ids: Vec<String> = tars.iter().map(|t| Digest::of(t).to_string()).collect();
    let history: Vec<serde_json::Value> = (0..tars.len())
        .map(|i| serde_json::json!({"created": created, "created_by": format!("layer {i}")}))
        .collect();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": created,
        "config": {"Cmd": ["sh"], "Labels": {"label": label}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    });
    let config = serde_json::to_vec(&config).unwrap();
    let descriptors: Vec<serde_json::Value> = gz
        .iter()
        .map(|l| {
            serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": Digest::of(l).to_string(), "size": l.len()})
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": Digest::of(&config).to_string(), "size": config.len()},
        "layers": descriptors,
    });
    Built {
        manifest: serde_json::to_vec(&manifest).unwrap(),
        config,
        layers: gz,
        tars,
    }
}

fn base(label: &str) -> Built {
    image(
        "2026-11-27T13:40:00Z",
        &[&[("bin/sh", b"#!shell"), ("etc/os", b"berth")]],
        label,
    )
}

fn r(s: &str) -> Reference {
    s.parse().unwrap()
}

/// Imports `built` as `docker pull name` would: the tag plus the digest reference.
fn pull(store: &Store, built: &Built, name: &str) -> ImageId {
    let name = r(name);
    let refs = [name.clone(), name.with_digest(&built.manifest_digest())];
    import(store, built, &refs)
}

fn import(store: &Store, built: &Built, refs: &[Reference]) -> ImageId {
    let plan = store.begin_import(&built.manifest, &built.config).unwrap();
    for (i, layer) in plan.layers().iter().enumerate() {
        if !layer.present {
            plan.unpack_layer(i, &built.layers[i][..]).unwrap();
        }
    }
    plan.finish(refs).unwrap()
}

/// `docker commit`: a child of `parent` with one more layer, tagged `tag`.
fn commit(store: &Store, parent: &Built, extra: &[(&str, &[u8])], tag: &str) -> (Built, ImageId) {
    let parent_id = parent.id();
    let mut files: Vec<&[(&str, &[u8])]> = Vec::new();
    let parent_files: Vec<(&str, &[u8])> = vec![("bin/sh", b"#!shell"), ("etc/os", b"berth")];
    files.push(&parent_files);
    files.push(extra);
    let child = image("2026-11-27T13:41:00Z", &files, tag);
    let id = import(store, &child, &[]);
    store.set_parent(&id, &parent_id).unwrap();
    store.tag(&id.to_string(), &r(tag)).unwrap();
    (child, id)
}

fn lines(records: &[DeleteRecord]) -> Vec<String> {
    records
        .iter()
        .map(|rec| match rec {
            DeleteRecord::Untagged(r) => format!("Untagged: {r}"),
            DeleteRecord::Deleted(d) => format!("Deleted: {d}"),
        })
        .collect()
}

fn open(dir: &Path) -> Store {
    let options = StoreOptions {
        sync_layers: false,
        keep_layer_blobs: true,
        ..StoreOptions::default()
    };
    Store::open_with(dir, options).unwrap()
}

/// A fake container half.
struct Containers(Vec<(ImageId, &'static str, bool)>);

impl ImageUsers for Containers {
    fn containers_using(&self, image: &ImageId) -> Vec<ImageUser> {
        self.0
            .iter()
            .filter(|(i, _, _)| i == image)
            .map(|(_, c, running)| ImageUser {
                container: c.repeat(64 / c.len()),
                running: *running,
            })
            .collect()
    }
}

fn err_text<T: std::fmt::Debug>(result: Result<T, berth_store::ImageError>) -> (ErrorKind, String) {
    let e = result.unwrap_err();
    (e.kind(), e.to_string())
}

// ---------------------------------------------------------------------------------- lookup

#[test]
fn lookup_by_tag_full_id_and_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let b = base("a");
    let id = pull(&store, &b, "bb");
    let hex = id.digest().hex().to_owned();
    for name in [
        "bb",
        "bb:latest",
        "docker.io/library/bb:latest",
        &hex,
        &hex[..1],
        &hex[..12],
    ] {
        assert_eq!(store.resolve(name).unwrap(), id, "{name}");
    }
    assert_eq!(store.resolve(&format!("sha256:{}", &hex[..3])).unwrap(), id);
    assert_eq!(store.resolve(&id.to_string()).unwrap(), id);
    let digest_ref = format!("bb@{}", b.manifest_digest());
    assert_eq!(store.resolve(&digest_ref).unwrap(), id);
}

#[test]
fn unknown_and_ambiguous_names_are_not_found_with_dockers_text() {
    // 6.6, 6.10
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut ids = Vec::new();
    let mut shared = None;
    for i in 0..17 {
        let id = import(&store, &base(&format!("amb{i}")), &[]);
        let first = &id.digest().hex()[..1];
        if ids
            .iter()
            .any(|other: &ImageId| &other.digest().hex()[..1] == first)
        {
            shared = Some(first.to_owned());
        }
        ids.push(id);
    }
    let shared = shared.expect("17 IDs share a first hex digit");
    let (kind, text) = err_text(store.resolve(&shared));
    assert_eq!(
        (kind, text),
        (
            ErrorKind::NotFound,
            format!("No such image: {shared}:latest")
        )
    );
    assert_eq!(
        err_text(store.resolve("foo")).1,
        "No such image: foo:latest"
    );
    assert_eq!(
        err_text(store.resolve("foo:bar")).1,
        "No such image: foo:bar"
    );
    assert_eq!(
        err_text(store.resolve("sha256:0123456789abcdef")).1,
        "No such image: sha256:0123456789abcdef"
    );
    assert_eq!(
        err_text(store.resolve("127.0.0.1:5055/foo")).1,
        "No such image: 127.0.0.1:5055/foo:latest"
    );
    let (kind, text) = err_text(store.resolve("FOO"));
    assert_eq!(kind, ErrorKind::InvalidParameter);
    assert_eq!(
        text,
        "invalid reference format: repository name must be lowercase"
    );
    assert_eq!(
        err_text(store.resolve("a:b:c")).1,
        "invalid reference format"
    );
}

// -------------------------------------------------------------------------------------- tag

#[test]
fn tag_points_a_new_name_and_refuses_digests() {
    // 7
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = pull(&store, &base("a"), "bb");
    store.tag("bb", &r("x7:tag_with.ok-chars")).unwrap();
    assert_eq!(store.resolve("x7:tag_with.ok-chars").unwrap(), id);
    let digest = r(&format!("x7@sha256:{}", "0".repeat(64)));
    let (kind, text) = err_text(store.tag("bb", &digest));
    assert_eq!(kind, ErrorKind::InvalidParameter);
    assert_eq!(text, "refusing to create a tag with a digest reference");
    assert_eq!(
        err_text(store.tag("nosuchimage", &r("x7"))).1,
        "No such image: nosuchimage:latest"
    );
    let inspect = store.inspect("x7:tag_with.ok-chars").unwrap();
    assert!(
        inspect.metadata.last_tag_time.starts_with("20"),
        "{:?}",
        inspect.metadata
    );
}

/// Regression: a pulled image showed the pull time as `Metadata.LastTagTime`, where dockerd
/// 20.10 shows Go's zero time until `docker tag` or `commit` with a repository tags it.
#[test]
fn last_tag_time_is_set_by_tag_and_commit_but_not_by_pull_or_load() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let zero = "0001-01-01T00:00:00Z";
    let last_tag = |name: &str| store.inspect(name).unwrap().metadata.last_tag_time;
    pull(&store, &base("pulled"), "pulled");
    assert_eq!(last_tag("pulled"), zero);
    store.tag("pulled", &r("retagged")).unwrap();
    assert!(
        last_tag("pulled").starts_with("20"),
        "{}",
        last_tag("pulled")
    );
    let committed = base("committed");
    let plan = store
        .begin_import(&committed.manifest, &committed.config)
        .unwrap();
    for (i, layer) in plan.layers().iter().enumerate() {
        if !layer.present {
            plan.unpack_layer(i, &committed.layers[i][..]).unwrap();
        }
    }
    plan.finish_tagged(&[r("committed")]).unwrap();
    assert!(last_tag("committed").starts_with("20"));
}

// ----------------------------------------------------------------------------------- delete

#[test]
fn rmi_of_a_tag_untags_its_digests_and_deletes_image_and_layers() {
    // 6.8, 6.9, 9.3 (the removal of 127.0.0.1:5055/library/bb:latest)
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let b = base("a");
    let id = pull(&store, &b, "127.0.0.1:5055/library/bb:latest");
    let records = store
        .delete(
            "127.0.0.1:5055/library/bb:latest",
            false,
            true,
            &NoContainers,
        )
        .unwrap();
    let diff = Digest::of(&b.tars[0]);
    assert_eq!(
        lines(&records),
        [
            "Untagged: 127.0.0.1:5055/library/bb:latest".to_string(),
            format!(
                "Untagged: 127.0.0.1:5055/library/bb@{}",
                b.manifest_digest()
            ),
            format!("Deleted: {id}"),
            format!("Deleted: {diff}"),
        ]
    );
    assert!(!store.layers().contains(&diff));
    assert!(
        store.blobs().list().unwrap().is_empty(),
        "config, manifest and layer blobs go too"
    );
}

#[test]
fn rmi_with_a_running_container_cannot_be_forced_and_the_last_tag_must_be() {
    // 6.1
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = import(&store, &base("r6"), &[r("r6")]);
    let users = Containers(vec![(id.clone(), "a130b5e039ff", true)]);
    let short = id.short().to_owned();
    let by_id = err_text(store.delete(&short, false, true, &users));
    let want = format!("conflict: unable to delete {short} (cannot be forced) - image is being used by running container a130b5e039ff");
    assert_eq!(by_id, (ErrorKind::Conflict, want.clone()));
    assert_eq!(err_text(store.delete(&short, true, true, &users)).1, want);
    let by_tag = err_text(store.delete("r6", false, true, &users)).1;
    assert_eq!(by_tag, format!("conflict: unable to remove repository reference \"r6\" (must force) - container a130b5e039ff is using its referenced image {short}"));
    let forced = store.delete("r6", true, true, &users).unwrap();
    assert_eq!(lines(&forced), ["Untagged: r6:latest"]);
    let list = store.list(ListOptions {
        all: true,
        ..ListOptions::default()
    });
    assert!(
        list.iter().any(|s| s.id == id && s.is_untagged()),
        "image kept, dangling"
    );
}

#[test]
fn rmi_with_a_stopped_container_must_be_forced() {
    // 6.3, 6.3b
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = import(&store, &base("s6"), &[r("s6")]);
    let users = Containers(vec![(id.clone(), "1680a31ce304", false)]);
    let short = id.short().to_owned();
    let (kind, text) = err_text(store.delete(&short, false, true, &users));
    assert_eq!(kind, ErrorKind::Conflict);
    assert_eq!(text, format!("conflict: unable to delete {short} (must be forced) - image is being used by stopped container 1680a31ce304"));
    assert!(err_text(store.delete("s6", false, true, &users))
        .1
        .contains("unable to remove repository reference \"s6\""));
    let forced = store.delete("s6", true, true, &users).unwrap();
    assert_eq!(
        lines(&forced)[..2],
        ["Untagged: s6:latest".to_string(), format!("Deleted: {id}")]
    );

    let id = import(&store, &base("s6b"), &[r("s6b")]);
    let users = Containers(vec![(id.clone(), "ce25d825110e", false)]);
    let forced = store.delete(id.short(), true, true, &users).unwrap();
    assert_eq!(
        lines(&forced)[..2],
        ["Untagged: s6b:latest".to_string(), format!("Deleted: {id}")]
    );
}

#[test]
fn rmi_by_id_with_several_repositories_or_tags_must_be_forced() {
    // 6.4, 6.4b
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = import(&store, &base("m6"), &[r("m6b"), r("m6")]);
    let short = id.short().to_owned();
    let want = format!("conflict: unable to delete {short} (must be forced) - image is referenced in multiple repositories");
    assert_eq!(
        err_text(store.delete(&short, false, true, &NoContainers)).1,
        want
    );
    let forced = store.delete(&short, true, true, &NoContainers).unwrap();
    assert_eq!(
        lines(&forced)[..3],
        [
            "Untagged: m6:latest".to_string(),
            "Untagged: m6b:latest".to_string(),
            format!("Deleted: {id}")
        ]
    );

    let id = import(&store, &base("m64"), &[r("m64:one"), r("m64:two")]);
    assert_eq!(
        err_text(store.delete(id.short(), false, true, &NoContainers)).0,
        ErrorKind::Conflict
    );
    assert_eq!(
        lines(&store.delete("m64:one", false, true, &NoContainers).unwrap()),
        ["Untagged: m64:one"]
    );
    let last = store
        .delete(id.short(), false, true, &NoContainers)
        .unwrap();
    assert_eq!(
        lines(&last)[..2],
        ["Untagged: m64:two".to_string(), format!("Deleted: {id}")]
    );
}

#[test]
fn rmi_of_a_parent_with_children_cannot_be_forced_and_the_child_prunes_it() {
    // 6.5 and "removing the child prunes the untagged parent"
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let parent = base("p6");
    let parent_id = import(&store, &parent, &[r("p6")]);
    let (child, child_id) = commit(&store, &parent, &[("hi", b"hi\n")], "p6child");
    let short = parent_id.short().to_owned();
    let want = format!(
        "conflict: unable to delete {short} (cannot be forced) - image has dependent child images"
    );
    assert_eq!(
        err_text(store.delete(&short, false, true, &NoContainers)).1,
        want
    );
    assert_eq!(
        err_text(store.delete(&short, true, true, &NoContainers)).1,
        want
    );
    assert_eq!(
        lines(&store.delete("p6", false, true, &NoContainers).unwrap()),
        ["Untagged: p6:latest"]
    );

    let shown = |all| -> Vec<ImageId> {
        store
            .list(ListOptions {
                all,
                dangling: None,
            })
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(shown(true), [child_id.clone(), parent_id.clone()]);
    assert_eq!(
        shown(false),
        std::slice::from_ref(&child_id),
        "untagged parent with a child hidden without -a"
    );
    assert_eq!(
        err_text(store.delete(&short, false, true, &NoContainers)).1,
        want
    );

    let chains = chain_ids(&[Digest::of(&child.tars[0]), Digest::of(&child.tars[1])]);
    let records = store.delete("p6child", false, true, &NoContainers).unwrap();
    assert_eq!(
        lines(&records),
        [
            "Untagged: p6child:latest".to_string(),
            format!("Deleted: {child_id}"),
            format!("Deleted: {}", chains[1]),
            format!("Deleted: {parent_id}"),
            format!("Deleted: {}", chains[0]),
        ]
    );
    assert_eq!(
        err_text(store.delete(&short, false, true, &NoContainers)).1,
        format!("No such image: {short}:latest")
    );
}

#[test]
fn shared_layers_are_released_only_by_the_last_image() {
    // 6.9: u6 and u6c share their base layer
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = base("u6");
    let a_id = import(&store, &a, &[r("u6")]);
    let b = base("u6-other-config");
    let b_id = import(&store, &b, &[r("u6b")]);
    assert_eq!(
        lines(&store.delete("u6", false, true, &NoContainers).unwrap()),
        [
            "Untagged: u6:latest".to_string(),
            format!("Deleted: {a_id}")
        ]
    );
    let diff = Digest::of(&b.tars[0]);
    assert!(store.layers().contains(&diff));
    let last = store.delete("u6b", false, true, &NoContainers).unwrap();
    assert_eq!(
        lines(&last),
        [
            "Untagged: u6b:latest".to_string(),
            format!("Deleted: {b_id}"),
            format!("Deleted: {diff}")
        ]
    );
    assert!(!store.layers().contains(&diff));
}

#[test]
fn a_forced_delete_keeps_layers_a_container_still_leases() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let b = base("leased");
    let id = import(&store, &b, &[r("leased")]);
    let lower = store.lease_layers("ctr1", &id).unwrap();
    assert_eq!(lower, [store.layers().diff_dir(&Digest::of(&b.tars[0]))]);
    let users = Containers(vec![(id.clone(), "ctr1", false)]);
    let records = store.delete("leased", true, true, &users).unwrap();
    assert_eq!(
        lines(&records),
        [
            "Untagged: leased:latest".to_string(),
            format!("Deleted: {id}")
        ]
    );
    assert!(
        lower[0].join("bin/sh").is_file(),
        "the container's lower dir survives"
    );
    let released = store.release_layers("ctr1").unwrap();
    assert_eq!(released, [Digest::of(&b.tars[0])]);
    assert!(!lower[0].exists());
    assert!(store.release_layers("ctr1").unwrap().is_empty());
}

#[test]
fn a_transient_lease_protects_layers_without_writing_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let b = base("held");
    let id = import(&store, &b, &[r("held")]);
    let lower = store
        .lease_layers_as("pending-1", &id, LeaseKind::Transient)
        .unwrap();
    assert_eq!(fs::read_dir(dir.path().join("leases")).unwrap().count(), 0);
    store
        .delete("held", true, true, &Containers(Vec::new()))
        .unwrap();
    assert!(lower[0].join("bin/sh").is_file(), "held while leased");
    let released = store.release_layers("pending-1").unwrap();
    assert_eq!(released, [Digest::of(&b.tars[0])]);
    assert!(!lower[0].exists());
}

#[test]
fn a_transient_lease_ends_with_the_process_and_replaces_a_durable_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = import(&store, &base("held"), &[r("held")]);
    store.lease_layers("owner", &id).unwrap();
    assert_eq!(fs::read_dir(dir.path().join("leases")).unwrap().count(), 1);
    store
        .lease_layers_as("owner", &id, LeaseKind::Transient)
        .unwrap();
    assert_eq!(fs::read_dir(dir.path().join("leases")).unwrap().count(), 0);
    drop(store);
    let store = open(dir.path());
    assert!(store.release_layers("owner").unwrap().is_empty());
}

// ------------------------------------------------------------------------------------- list

#[test]
fn a_moved_tag_leaves_the_old_image_listed_by_its_digest() {
    // 9.3, 9.4, 9.5
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let old = base("old");
    let old_id = pull(&store, &old, "bb");
    let new = image("2026-11-27T13:43:00Z", &[&[("bin/sh", b"v2")]], "new");
    let new_id = pull(&store, &new, "bb");
    let list = store.list(ListOptions::default());
    assert_eq!(
        list.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        [new_id.clone(), old_id.clone()]
    );
    assert_eq!(list[0].repo_tags, ["bb:latest"]);
    assert_eq!(list[1].repo_tags, Vec::<String>::new());
    assert_eq!(
        list[1].repo_digests,
        [format!("bb@{}", old.manifest_digest())]
    );
    assert_eq!(list[1].created, 1_795_786_800);
    let dangling = store.list(ListOptions {
        all: false,
        dangling: Some(true),
    });
    assert_eq!(
        dangling.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&old_id)
    );
    // Untagging by digest reference keeps the image (a container may still use it).
    let digest_ref = format!("bb@{}", old.manifest_digest());
    let users = Containers(vec![(old_id.clone(), "da1b41f7cb69", false)]);
    let text = err_text(store.delete(&digest_ref, false, true, &users)).1;
    assert!(
        text.starts_with(&format!(
            "conflict: unable to remove repository reference \"{digest_ref}\""
        )),
        "{text}"
    );
}

#[test]
fn sizes_created_and_labels_come_from_layers_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let b = base("sized");
    let id = pull(&store, &b, "sized");
    let list = store.list(ListOptions::default());
    assert_eq!(list[0].size, 7 + 5);
    assert_eq!(list[0].virtual_size, list[0].size);
    assert_eq!(list[0].labels.as_ref().unwrap()["label"], "sized");
    let inspect = store.inspect("sized").unwrap();
    assert_eq!(inspect.id, id.to_string());
    assert_eq!(inspect.created, "2026-11-27T13:40:00Z");
    assert_eq!(inspect.repo_tags, ["sized:latest"]);
    assert_eq!(inspect.root_fs.layers, [Digest::of(&b.tars[0]).to_string()]);
    assert_eq!(inspect.size, 12);
    assert_eq!(
        (inspect.os.as_str(), inspect.architecture.as_str()),
        ("linux", "amd64")
    );
    let json = serde_json::to_value(&inspect).unwrap();
    assert_eq!(json["ContainerConfig"]["Hostname"], "");
    assert_eq!(json["Config"]["Cmd"][0], "sh");
    assert_eq!(json["Parent"], "");
    assert!(json["Metadata"]["LastTagTime"].as_str().unwrap().len() > 10);
}

#[test]
fn history_is_newest_first_with_layer_sizes_and_local_ids() {
    // 11
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let parent = base("h");
    let parent_id = import(&store, &parent, &[r("hbase")]);
    let (_, child_id) = commit(&store, &parent, &[("hi", b"hi\n")], "hchild");
    let history = store.history("hchild").unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].id, child_id.to_string());
    assert_eq!(history[0].size, 3);
    assert_eq!(history[0].created_by, "layer 1");
    assert_eq!(
        history[0].tags.as_deref(),
        Some(&["hchild:latest".to_string()][..])
    );
    assert_eq!(history[1].id, parent_id.to_string());
    assert_eq!(history[1].size, 12);
    let inspect = store.inspect("hchild").unwrap();
    assert_eq!(inspect.parent, parent_id.to_string());
}

// ----------------------------------------------------------------------------------- import

#[test]
fn layers_unpack_in_parallel_and_a_second_pull_finds_them_present() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let files: Vec<Vec<(String, Vec<u8>)>> = (0..4)
        .map(|l| {
            (0..50)
                .map(|f| (format!("l{l}/f{f}"), vec![l as u8; 1000 * f]))
                .collect()
        })
        .collect();
    let borrowed: Vec<Vec<(&str, &[u8])>> = files
        .iter()
        .map(|l| l.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect())
        .collect();
    let slices: Vec<&[(&str, &[u8])]> = borrowed.iter().map(Vec::as_slice).collect();
    let built = image("2026-01-01T00:00:00Z", &slices, "parallel");
    let plan = store.begin_import(&built.manifest, &built.config).unwrap();
    assert!(plan.layers().iter().all(|l| !l.present));
    std::thread::scope(|s| {
        for (i, layer) in built.layers.iter().enumerate() {
            let plan = &plan;
            s.spawn(move || plan.unpack_layer(i, &layer[..]).unwrap());
        }
    });
    let id = plan.finish(&[r("par")]).unwrap();
    assert_eq!(id, built.id());
    let again = store.begin_import(&built.manifest, &built.config).unwrap();
    assert!(again.layers().iter().all(|l| l.present), "Already exists");
    assert!(again.image_exists());
    for layer in &built.layers {
        assert!(
            store.blobs().contains(&Digest::of(layer)),
            "compressed blob kept"
        );
    }
}

#[test]
fn an_import_refuses_a_config_the_manifest_does_not_name_and_a_wrong_layer() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = base("a");
    let b = image("2026-01-01T00:00:00Z", &[&[("other", b"x")]], "b");
    let err = store.begin_import(&a.manifest, &b.config).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    let plan = store.begin_import(&a.manifest, &a.config).unwrap();
    let err = plan.unpack_layer(0, &b.layers[0][..]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert!(err.to_string().contains("digest mismatch"), "{err}");
    let err = plan.finish(&[r("a")]).unwrap_err();
    assert!(err.to_string().contains("never unpacked"), "{err}");
    assert!(store.images().is_empty());
}

// ------------------------------------------------------------------------ persistence & GC

#[test]
fn a_reopened_store_has_the_same_images_and_drops_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let parent = base("keep");
    {
        let store = open(dir.path());
        pull(&store, &parent, "keep");
        commit(&store, &parent, &[("x", b"x")], "keepchild");
        // An import dropped before it finished: it takes its layer back, and reopening finds
        // nothing of it either.
        let orphan = image("2026-01-01T00:00:00Z", &[&[("o", b"o")]], "orphan");
        let plan = store
            .begin_import(&orphan.manifest, &orphan.config)
            .unwrap();
        plan.unpack_layer(0, &orphan.layers[0][..]).unwrap();
        fs::create_dir(dir.path().join("layers/.tmp-crashed-1-1")).unwrap();
        fs::write(dir.path().join("ingest/.tmp-partial-1-1"), b"part").unwrap();
    }
    let store = open(dir.path());
    let inspect = store.inspect("keepchild").unwrap();
    assert_eq!(inspect.parent, parent.id().to_string());
    assert_eq!(store.inspect("keep").unwrap().repo_digests.len(), 1);
    assert_eq!(
        store.layers().list().unwrap().len(),
        2,
        "orphan layer collected"
    );
    assert_eq!(fs::read_dir(dir.path().join("ingest")).unwrap().count(), 0);
    let names: Vec<_> = fs::read_dir(dir.path().join("layers"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.to_string_lossy().starts_with(".tmp")),
        "{names:?}"
    );
}

// ------------------------------------------------------------------------------------- load

/// A classic `docker save` archive of `images` (config, tags), each layer as `<n>/layer.tar`.
fn docker_save(images: &[(&Built, &[&str])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    let add = |builder: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        builder.append_data(&mut h, name, data).unwrap();
    };
    for (built, tags) in images {
        let config_name = format!("{}.json", Digest::of(&built.config).hex());
        add(&mut builder, &config_name, &built.config);
        let mut layer_names = Vec::new();
        for tar in &built.tars {
            let name = format!("{}/layer.tar", Digest::of(tar).hex());
            add(&mut builder, &name, tar);
            layer_names.push(name);
        }
        manifest.push(
            serde_json::json!({"Config": config_name, "RepoTags": tags, "Layers": layer_names}),
        );
    }
    add(
        &mut builder,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    builder.into_inner().unwrap()
}

#[test]
fn load_reads_a_docker_save_archive_plain_or_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    let a = base("load-a");
    let b = base("load-b");
    let archive = docker_save(&[(&a, &["bb:latest", "bb:v1"]), (&b, &[])]);
    let path = dir.path().join("save.tar");
    fs::write(&path, &archive).unwrap();
    let report = store.load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(report.images, [a.id(), b.id()]);
    assert_eq!(
        report.lines,
        [
            "Loaded image: bb:latest".to_string(),
            "Loaded image: bb:v1".to_string(),
            format!("Loaded image ID: {}", a.id()),
            format!("Loaded image ID: {}", b.id())
        ]
    );
    assert_eq!(store.resolve("bb:v1").unwrap(), a.id());

    let moved = docker_save(&[(&b, &["bb:latest"])]);
    let gz = dir.path().join("save.tar.gz");
    fs::write(&gz, gzip(&moved)).unwrap();
    let report = store.load(&gz, &LoadOptions::default()).unwrap();
    assert_eq!(report.lines, [format!("The image bb:latest already exists, renaming the old one with ID {} to empty string", a.id()), "Loaded image: bb:latest".to_string()]);
    assert_eq!(store.resolve("bb").unwrap(), b.id());
}

#[test]
fn load_refuses_an_archive_whose_layer_does_not_match_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    let mut a = base("bad");
    a.tars[0] = tar_of(&[("evil", b"x")]);
    let path = dir.path().join("bad.tar");
    fs::write(&path, docker_save(&[(&a, &["bad:latest"])])).unwrap();
    let err = store.load(&path, &LoadOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert!(err.to_string().contains("DiffID mismatch"), "{err}");
    assert!(store.images().is_empty());
    assert!(store.layers().list().unwrap().is_empty());
}

/// An OCI layout directory named `name` holding `built` under the tag annotation `tag`.
fn oci_layout(parent: &Path, name: &str, built: &Built, tag: &str) -> std::path::PathBuf {
    let dir = parent.join(name);
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    for blob in [&built.config, &built.manifest]
        .into_iter()
        .chain(&built.layers)
    {
        fs::write(blobs.join(Digest::of(blob).hex()), blob).unwrap();
    }
    fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": built.manifest_digest().to_string(), "size": built.manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": tag}}]});
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    dir
}

#[test]
fn load_reads_an_oci_layout_directory_named_after_its_repository() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    let built = base("oci");
    let layout = oci_layout(dir.path(), "hello-world", &built, "latest");
    let report = store.load(&layout, &LoadOptions::default()).unwrap();
    assert_eq!(report.lines, ["Loaded image: hello-world:latest"]);
    assert_eq!(store.resolve("hello-world").unwrap(), built.id());
    let options = LoadOptions {
        repository: Some("127.0.0.1:5000/hw".into()),
    };
    store.load(&layout, &options).unwrap();
    assert_eq!(
        store.resolve("127.0.0.1:5000/hw:latest").unwrap(),
        built.id()
    );

    // The same layout as a tar file: no directory name to go by, so the tag needs a repository.
    let mut archive = tar::Builder::new(Vec::new());
    archive.append_dir_all(".", &layout).unwrap();
    let path = dir.path().join("layout.tar");
    fs::write(&path, archive.into_inner().unwrap()).unwrap();
    let report = store.load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(report.lines, [format!("Loaded image ID: {}", built.id())]);
    let options = LoadOptions {
        repository: Some("fromtar".into()),
    };
    let report = store.load(&path, &options).unwrap();
    assert_eq!(report.lines, ["Loaded image: fromtar:latest"]);
}

// --------------------------------------------------------------------------- fixture images

fn fixtures_dir() -> std::path::PathBuf {
    std::env::var_os("BERTH_FIXTURES_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fixtures"),
        std::path::PathBuf::from,
    )
}

#[test]
fn the_fixture_images_load_with_their_pinned_ids() {
    let dir = fixtures_dir();
    let Ok(set) = berth_fixtures::FixtureSet::load(&dir) else {
        let why = format!(
            "fixtures not built in {} (run scripts/fixtures)",
            dir.display()
        );
        berth_testkit::skip("", Some(why));
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let store = open(root.path());
    for image in &set.images {
        let needs_root = (image.name == "big" && !berth_testkit::is_root())
            .then(|| "its whiteouts need root".to_string());
        if berth_testkit::skip("big", needs_root) {
            continue;
        }
        let options = LoadOptions {
            repository: Some(image.name.clone()),
        };
        store.load(&dir.join(&image.layout), &options).unwrap();
        let name = format!("{}:{}", image.name, image.tag);
        let inspect = store.inspect(&name).unwrap();
        assert_eq!(inspect.id, image.config_digest.to_string(), "{name}");
        let diff_ids: Vec<String> = image.layers.iter().map(|l| l.diff_id.to_string()).collect();
        assert_eq!(inspect.root_fs.layers, diff_ids, "{name}");
        assert_eq!(inspect.config.unwrap().cmd.unwrap(), image.cmd, "{name}");
    }
}
