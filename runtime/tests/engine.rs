//! The engine on real containers from the fixture images (`scripts/fixtures`): runs, output,
//! exit codes, hostname, exec failures, `rmi` conflicts against containers, layer leases,
//! `--rm`, and commit round trips. Needs root and the fixtures; without them each test prints
//! one line and passes, unless `BERTH_REQUIRE_ALL=1`, when it fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{CreateOptions, State, WaitCondition};
use berth_runtime::engine::{CommitOptions, Engine, EngineError, EngineOptions, PruneFilters};
use berth_store::DeleteRecord;

#[path = "engine/hardening.rs"]
mod hardening;
mod hostile;

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn fixtures() -> PathBuf {
    match std::env::var_os("BERTH_FIXTURES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures"),
    }
}

/// True when the test may run; otherwise one line on stderr (or a panic under
/// `BERTH_REQUIRE_ALL=1`).
fn ready(test: &str) -> bool {
    let missing = if !berth_testkit::is_root() {
        Some("needs root".to_string())
    } else {
        ["toolbox", "hello-world"]
            .iter()
            .find(|n| !fixtures().join(n).join("index.json").exists())
            .map(|n| format!("fixture {n} missing (run scripts/fixtures)"))
    };
    !berth_testkit::skip(test, missing)
}

/// An engine in a temp dir with toolbox and hello-world loaded and a per-test cgroup parent,
/// removed (with every container) when dropped.
struct TestEngine {
    _dir: tempfile::TempDir,
    cgroup_parent: PathBuf,
    engine: Option<Engine>,
}

impl TestEngine {
    fn new() -> TestEngine {
        let dir = tempfile::Builder::new()
            .prefix("berth-engine-")
            .tempdir()
            .unwrap();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut options = EngineOptions::new(dir.path());
        options.cgroup_parent =
            PathBuf::from(format!("berth-engine-test-{}-{n}", std::process::id()));
        options.store.sync_layers = false;
        let engine = Engine::open(options.clone()).unwrap();
        for name in ["toolbox", "hello-world"] {
            engine.load(&fixtures().join(name)).unwrap();
        }
        TestEngine {
            _dir: dir,
            cgroup_parent: options.cgroup_parent,
            engine: Some(engine),
        }
    }

    fn e(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }

    fn create(&self, image: &str, argv: &[&str]) -> String {
        self.e().create(options(image, argv)).unwrap().to_string()
    }

    fn lease_exists(&self, owner: &str) -> bool {
        self.e()
            .store()
            .root()
            .join("leases")
            .join(format!("{owner}.json"))
            .exists()
    }

    fn wait(&self, id: &str, condition: WaitCondition) -> i32 {
        let deadline = Some(Instant::now() + Duration::from_secs(20));
        self.e()
            .wait(id, condition, deadline)
            .unwrap()
            .expect("container finished in time")
            .status_code
    }
}

impl Drop for TestEngine {
    fn drop(&mut self) {
        let Some(engine) = self.engine.take() else {
            return;
        };
        for c in engine.ps(true) {
            let _ = engine.rm(c.config.id.as_str(), true);
        }
        engine.shutdown(Duration::from_secs(1));
        let mut hierarchies = vec![PathBuf::from("/sys/fs/cgroup")];
        if let Ok(rd) = fs::read_dir("/sys/fs/cgroup") {
            hierarchies.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
        for h in hierarchies {
            let _ = fs::remove_dir(h.join(&self.cgroup_parent));
        }
    }
}

fn options(image: &str, argv: &[&str]) -> CreateOptions {
    CreateOptions {
        image: image.into(),
        cmd: argv.iter().map(|s| s.to_string()).collect(),
        ..CreateOptions::default()
    }
}

#[test]
fn hello_world_greets() {
    if !ready("hello_world_greets") {
        return;
    }
    let t = TestEngine::new();
    let out = t.e().run(options("hello-world", &[])).unwrap();
    assert_eq!(out.exit_code, 0);
    assert!(
        out.stdout.starts_with("Hello from berth!"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn toolbox_output_streams_and_exit_code() {
    if !ready("toolbox_output_streams_and_exit_code") {
        return;
    }
    let t = TestEngine::new();
    let argv = ["/toolbox", "out", "a", "err", "b", "exit", "3"];
    let out = t.e().run(options("toolbox", &argv)).unwrap();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
        ("a\n", "b\n", 3)
    );
    let c = t.e().inspect_container(out.id.as_str()).unwrap();
    assert_eq!((c.state.status, c.state.exit_code), (State::Exited, 3));
    assert_eq!(c.config.config.hostname, out.id.short());
}

#[test]
fn hostname_is_the_short_id() {
    if !ready("hostname_is_the_short_id") {
        return;
    }
    let t = TestEngine::new();
    let out = t
        .e()
        .run(options("toolbox", &["/toolbox", "hostname"]))
        .unwrap();
    assert_eq!(out.stdout, format!("{}\n", out.id.short()));
}

#[test]
fn missing_executable_is_127_and_stays_created() {
    if !ready("missing_executable_is_127_and_stays_created") {
        return;
    }
    let t = TestEngine::new();
    let id = t.create("toolbox", &["/nope"]);
    let err = t.e().start(&id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    assert!(err.to_string().contains("/nope"), "{err}");
    let c = t.e().inspect_container(&id).unwrap();
    assert_eq!((c.state.status, c.state.exit_code), (State::Created, 127));
    let mut run = options("toolbox", &["/nope"]);
    run.auto_remove = true;
    assert!(t.e().run(run).is_err());
    assert_eq!(t.e().ps(true).len(), 1, "the --rm one is gone");
}

#[test]
fn rmi_conflicts_follow_docker_and_leases_keep_layers() {
    if !ready("rmi_conflicts_follow_docker_and_leases_keep_layers") {
        return;
    }
    let t = TestEngine::new();
    let image = t.e().inspect_image("toolbox").unwrap().id;
    let short = &image["sha256:".len()..][..12];
    let stopped = t.create("toolbox", &["/toolbox", "out", "again"]);
    t.e().start(&stopped).unwrap();
    assert_eq!(t.wait(&stopped, WaitCondition::NotRunning), 0);
    let running = t.create("toolbox", &["/toolbox", "sleep"]);
    t.e().start(&running).unwrap();

    for force in [false, true] {
        let err = t.e().rmi(short, force).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "conflict: unable to delete {short} (cannot be forced) - image is being used \
                 by running container {}",
                &running[..12]
            )
        );
        assert_eq!(err.kind(), ErrorKind::Conflict);
    }
    t.e().kill(&running, "KILL").unwrap();
    assert_eq!(t.wait(&running, WaitCondition::NotRunning), 137);
    let err = t.e().rmi(short, false).unwrap_err().to_string();
    let want = format!("conflict: unable to delete {short} (must be forced) - image is being used by stopped container ");
    assert!(err.starts_with(&want), "{err}");

    let records = t.e().rmi(short, true).unwrap();
    assert_eq!(records[0], DeleteRecord::Untagged("toolbox:latest".into()));
    assert!(records.contains(&DeleteRecord::Deleted(image.clone())));
    let err = t.e().inspect_image("toolbox").unwrap_err();
    assert_eq!(err.to_string(), "No such image: toolbox:latest");

    // The image is gone, but the stopped container's lease kept its lower dirs.
    t.e().start(&stopped).unwrap();
    // Not next-exit: the run may end before a wait registered after the start.
    assert_eq!(t.wait(&stopped, WaitCondition::NotRunning), 0);
    let said: Vec<String> = t
        .e()
        .logs(&stopped)
        .unwrap()
        .into_iter()
        .map(|e| e.bytes)
        .collect();
    assert_eq!(said, ["again\n", "again\n"]);

    let layers = t.e().store().root().join("layers");
    let count = || fs::read_dir(&layers).unwrap().count();
    let before = count();
    t.e().rm(&stopped, false).unwrap();
    assert_eq!(count(), before, "the other container still holds the layer");
    t.e().rm(&running, false).unwrap();
    assert_eq!(count(), before - 1, "the last lease released the layer");
    assert!(!t.lease_exists(&running) && !t.lease_exists(&stopped));
}

/// The lease a resolve takes travels to create as a value (no thread-local): a create that
/// fails after its image was resolved and leased (the name is checked after the image, as in
/// dockerd) drops it, so nothing keeps the image's layers once the image is deleted.
#[test]
fn a_create_that_fails_after_its_resolve_releases_the_pending_lease() {
    if !ready("a_create_that_fails_after_its_resolve_releases_the_pending_lease") {
        return;
    }
    let t = TestEngine::new();
    let named = |image: &str, argv: &[&str]| CreateOptions {
        name: Some("taken".into()),
        ..options(image, argv)
    };
    t.e().create(named("hello-world", &["/hello"])).unwrap();
    let err = t.e().create(named("toolbox", &["/toolbox"])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    let layers = t.e().store().root().join("layers");
    let count = || fs::read_dir(&layers).unwrap().count();
    let before = count();
    t.e().rmi("toolbox", false).unwrap();
    assert!(
        count() < before,
        "a leaked pending lease kept toolbox's layers"
    );
    // And one that succeeds holds its layers under the container's ID alone.
    let id = t.create("hello-world", &["/hello"]);
    assert!(t.lease_exists(&id));
}

#[test]
fn auto_remove_removes_the_container_and_its_lease() {
    if !ready("auto_remove_removes_the_container_and_its_lease") {
        return;
    }
    let t = TestEngine::new();
    let mut o = options("toolbox", &["/toolbox", "out", "bye", "exit", "4"]);
    o.auto_remove = true;
    let id = t.e().create(o.clone()).unwrap().to_string();
    assert!(t.lease_exists(&id));
    t.e().start(&id).unwrap();
    assert_eq!(t.wait(&id, WaitCondition::Removed), 4);
    let err = t.e().inspect_container(&id).unwrap_err();
    assert_eq!(err.to_string(), format!("No such container: {id}"));
    assert!(!t.lease_exists(&id));

    let out = t.e().run(o).unwrap();
    assert_eq!((out.stdout.as_str(), out.exit_code), ("bye\n", 4));
    assert!(t.e().ps(true).is_empty());
    assert!(!t.lease_exists(out.id.as_str()));
}

#[test]
fn verbs_pass_through_with_dockers_texts() {
    if !ready("verbs_pass_through_with_dockers_texts") {
        return;
    }
    let t = TestEngine::new();
    let mut o = options("toolbox", &["/toolbox", "sleep"]);
    o.name = Some("sleeper".into());
    let id = t.e().create(o).unwrap().to_string();
    t.e().start("sleeper").unwrap();
    assert_eq!(t.e().ps(false).len(), 1);
    let err = t.e().rm("sleeper", false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    t.e().rename("sleeper", "dozer").unwrap();
    assert_eq!(
        t.e().inspect_container("dozer").unwrap().config.id.as_str(),
        id
    );
    t.e().stop("dozer", Duration::from_millis(200)).unwrap();
    assert_eq!(t.wait(&id, WaitCondition::NotRunning), 137);
    assert!(t.e().ps(false).is_empty());
    assert_eq!(t.e().ps(true).len(), 1);
    t.e().restart("dozer", Duration::from_millis(200)).unwrap();
    assert_eq!(t.e().ps(false).len(), 1, "restart runs it again");
    t.e().kill("dozer", "KILL").unwrap();
    assert_eq!(t.wait(&id, WaitCondition::NotRunning), 137);
    let err = t.e().stop("dozer", Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotModified);
    let err = t.e().start("nosuch").unwrap_err();
    assert_eq!(err.to_string(), "No such container: nosuch");
    t.e().tag("toolbox", "tb:v1").unwrap();
    let tags: Vec<String> = t
        .e()
        .images(false)
        .into_iter()
        .flat_map(|i| i.repo_tags)
        .collect();
    assert!(tags.contains(&"tb:v1".to_string()), "{tags:?}");
    t.e().rm("dozer", true).unwrap();
}

#[test]
fn commit_round_trip() {
    if !ready("commit_round_trip") {
        return;
    }
    let t = TestEngine::new();
    let argv = [
        "/toolbox",
        "write",
        "/data/new",
        "hi",
        "rm",
        "/data/seed.txt",
    ];
    let out = t.e().run(options("toolbox", &argv)).unwrap();
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    let commit = CommitOptions {
        reference: Some("committed:v1".into()),
        changes: vec![r#"CMD ["/toolbox","ls","/data"]"#.into()],
        comment: "msg".into(),
        ..CommitOptions::default()
    };
    let id = t.e().commit(out.id.as_str(), &commit).unwrap();
    assert!(id.to_string().starts_with("sha256:"));

    let listed = t.e().run(options("committed:v1", &[])).unwrap();
    assert_eq!(listed.stdout, "new\n");
    let cat = ["/toolbox", "cat", "/data/new"];
    assert_eq!(
        t.e().run(options("committed:v1", &cat)).unwrap().stdout,
        "hi"
    );

    let inspect = t.e().inspect_image("committed:v1").unwrap();
    let parent = t.e().inspect_image("toolbox").unwrap();
    assert_eq!(inspect.parent, parent.id);
    assert_eq!(inspect.container, out.id.as_str());
    assert_eq!(inspect.comment, "msg");
    assert_eq!(
        inspect.root_fs.layers.len(),
        parent.root_fs.layers.len() + 1
    );
    assert_eq!(
        inspect.container_config.cmd.as_deref(),
        Some(&argv.map(String::from)[..])
    );
    let image = t.e().store().image("committed:v1").unwrap();
    let last = image.config.history.last().unwrap();
    assert_eq!(last.created_by.as_deref(), Some(argv.join(" ").as_str()));
    assert!(!last.empty_layer);
}

#[test]
fn commit_of_an_unchanged_container_adds_no_layer() {
    if !ready("commit_of_an_unchanged_container_adds_no_layer") {
        return;
    }
    let t = TestEngine::new();
    // Never started, so its upper dir is empty (for one that ran, see the next test).
    let created = t.create("toolbox", &[]);
    let bad = CommitOptions {
        changes: vec!["RUN true".into()],
        ..CommitOptions::default()
    };
    let err = t.e().commit(&created, &bad).unwrap_err();
    assert!(matches!(err, EngineError::InvalidChange { .. }));
    assert_eq!(err.to_string(), "run is not a valid change command");
    let id = t.e().commit(&created, &CommitOptions::default()).unwrap();
    let image = t.e().store().image(&id.to_string()).unwrap();
    let parent = t.e().store().image("toolbox").unwrap();
    assert_eq!(image.record.diff_ids, parent.record.diff_ids);
    assert!(image.config.history.last().unwrap().empty_layer);
    assert_eq!(image.record.parent.as_ref(), Some(parent.id()));
    assert_eq!(
        t.e().run(options(&id.to_string(), &[])).unwrap().stdout,
        "hello from toolbox\n"
    );
}

/// Regression: the sandbox's `/proc`, `/dev` and `/sys` mount points used to be created in
/// the upper dir of images that lack them, so every container that ran had changes. They live
/// in the init layer now, as in dockerd, and a file the process writes is still committed.
#[test]
fn commit_of_a_container_that_ran_unchanged_adds_no_layer() {
    if !ready("commit_of_a_container_that_ran_unchanged_adds_no_layer") {
        return;
    }
    let t = TestEngine::new();
    for image in ["hello-world", "toolbox"] {
        let out = t.e().run(options(image, &[])).unwrap();
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
        let id = t
            .e()
            .commit(out.id.as_str(), &CommitOptions::default())
            .unwrap();
        let committed = t.e().store().image(&id.to_string()).unwrap();
        let parent = t.e().store().image(image).unwrap();
        assert_eq!(committed.record.diff_ids, parent.record.diff_ids, "{image}");
        assert!(committed.config.history.last().unwrap().empty_layer);
    }
    let argv = ["/toolbox", "write", "/new", "hi"];
    let out = t.e().run(options("toolbox", &argv)).unwrap();
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    let id = t
        .e()
        .commit(out.id.as_str(), &CommitOptions::default())
        .unwrap();
    let committed = t.e().store().image(&id.to_string()).unwrap();
    let parent = t.e().store().image("toolbox").unwrap();
    assert_eq!(
        committed.record.diff_ids.len(),
        parent.record.diff_ids.len() + 1
    );
    let cat = ["/toolbox", "cat", "/new"];
    assert_eq!(
        t.e().run(options(&id.to_string(), &cat)).unwrap().stdout,
        "hi"
    );
}

#[test]
fn labels_merge_and_prune_removes_what_is_unused() {
    if !ready("labels_merge_and_prune_removes_what_is_unused") {
        return;
    }
    let t = TestEngine::new();
    let labelled = |argv: &[&str], labels: &[(&str, &str)]| {
        let mut o = options("toolbox", argv);
        o.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.e().create(o).unwrap().to_string()
    };
    let kept = labelled(&["/toolbox", "out", "x"], &[("keep", "")]);
    let written = labelled(
        &["/toolbox", "write", "/data/new", "1234"],
        &[("tier", "a")],
    );
    let running = labelled(&["/toolbox", "sleep"], &[("tier", "a")]);
    t.e().start(&written).unwrap();
    t.e().start(&running).unwrap();
    t.wait(&written, WaitCondition::NotRunning);

    // The committed image carries the container's labels and the LABEL change; a container
    // made from it starts with them, its own on top.
    let commit = CommitOptions {
        reference: Some("labelled:v1".into()),
        changes: vec!["LABEL stage=two".into()],
        ..CommitOptions::default()
    };
    let image = t.e().commit(&written, &commit).unwrap().to_string();
    let mut o = options("labelled:v1", &[]);
    o.labels = [("tier".to_string(), "b".to_string())].into();
    let child = t.e().create(o).unwrap().to_string();
    let labels = t
        .e()
        .inspect_container(&child)
        .unwrap()
        .config
        .config
        .labels;
    let pairs: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(pairs, [("stage", "two"), ("tier", "b")]);

    // label=tier=a admits `written` (and `running`, which is never pruned); label!=keep would
    // keep `kept`.
    let only_a = PruneFilters {
        labels: vec!["tier=a".into()],
        ..PruneFilters::default()
    };
    let pruned = t.e().prune_containers(&only_a).unwrap();
    assert_eq!(pruned.deleted, [written]);
    assert_eq!(
        pruned.space_reclaimed, 4,
        "the upper dir holds /data/new's 4 bytes"
    );
    let not_kept = PruneFilters {
        not_labels: vec!["keep".into()],
        ..PruneFilters::default()
    };
    assert_eq!(t.e().prune_containers(&not_kept).unwrap().deleted, [child]);
    let before = PruneFilters {
        until: Some(1),
        ..PruneFilters::default()
    };
    assert!(t.e().prune_containers(&before).unwrap().deleted.is_empty());
    assert_eq!(
        t.e()
            .prune_containers(&PruneFilters::default())
            .unwrap()
            .deleted,
        [kept]
    );

    // Nothing is dangling; with `-a`, the committed image goes (toolbox is used by the
    // running container, hello-world by nobody).
    let dangling = t.e().prune_images(&PruneFilters::default()).unwrap();
    assert!(dangling.deleted.is_empty());
    let all = PruneFilters {
        dangling_only: false,
        ..PruneFilters::default()
    };
    let pruned = t.e().prune_images(&all).unwrap();
    assert!(pruned
        .deleted
        .contains(&DeleteRecord::Untagged("labelled:v1".into())));
    assert!(pruned.deleted.contains(&DeleteRecord::Deleted(image)));
    assert!(pruned
        .deleted
        .contains(&DeleteRecord::Untagged("hello-world:latest".into())));
    assert!(pruned.space_reclaimed > 0);
    let left: Vec<String> = t
        .e()
        .images(true)
        .into_iter()
        .flat_map(|i| i.repo_tags)
        .collect();
    assert_eq!(left, ["toolbox:latest"]);
    t.e().rm(&running, true).unwrap();
}

/// A tar of `(name, kind, content or link target)` members, as a client would send it.
fn tar_of(members: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_mode(if *kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_uid(1234);
        header.set_gid(5678);
        match kind {
            tar::EntryType::Symlink => {
                header.set_size(0);
                builder.append_link(&mut header, name, data).unwrap();
            }
            _ => {
                header.set_size(data.len() as u64);
                builder
                    .append_data(&mut header, name, data.as_bytes())
                    .unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

/// `docker cp` into a created container, then out again: members land under the destination
/// with their owners (or the container user's with copyUIDGID), a `.wh.` name is a plain
/// file, a symlink climbing out is followed inside the container's root only, and the
/// destination's errors are dockerd's.
#[test]
fn archive_put_extracts_inside_the_container_only() {
    if !ready("archive_put_extracts_inside_the_container_only") {
        return;
    }
    let t = TestEngine::new();
    let id = t.create(
        "toolbox",
        &["/toolbox", "cat", "/data/dir/file", "cat", "/etc/planted"],
    );
    use tar::EntryType as T;
    let archive = tar_of(&[
        ("dir/", T::Directory, ""),
        ("dir/file", T::Regular, "copied"),
        ("dir/.wh.kept", T::Regular, "plain"),
        ("esc", T::Symlink, "/../../../etc"),
        ("esc/planted", T::Regular, "inside"),
    ]);
    t.e()
        .archive_put(&id, "/data", &archive[..], false, false)
        .unwrap();
    assert!(
        !Path::new("/etc/planted").exists(),
        "an archive wrote on the host"
    );
    t.e().start(&id).unwrap();
    assert_eq!(t.wait(&id, WaitCondition::NotRunning), 0);
    let logs: String = t
        .e()
        .logs(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.bytes)
        .collect();
    assert_eq!(logs, "copiedinside");

    let (stat, tar) = t.e().archive(&id, "/data/dir").unwrap();
    assert_eq!(stat.name, "dir");
    let mut listed = Vec::new();
    let mut archive_out = tar::Archive::new(tar);
    for entry in archive_out.entries().unwrap() {
        let entry = entry.unwrap();
        let owner = (entry.header().uid().unwrap(), entry.header().gid().unwrap());
        listed.push((entry.path().unwrap().display().to_string(), owner));
    }
    assert_eq!(
        listed,
        [
            ("dir/".to_string(), (1234, 5678)),
            ("dir/.wh.kept".to_string(), (1234, 5678)),
            ("dir/file".to_string(), (1234, 5678)),
        ]
    );
    // copyUIDGID: owned by the container's user (root here).
    let again = tar_of(&[("owned", T::Regular, "x")]);
    t.e()
        .archive_put(&id, "/data", &again[..], false, true)
        .unwrap();
    let (_, tar) = t.e().archive(&id, "/data/owned").unwrap();
    let mut archive_out = tar::Archive::new(tar);
    let entry = archive_out.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(
        (entry.header().uid().unwrap(), entry.header().gid().unwrap()),
        (0, 0)
    );

    let kind_of = |path: &str, archive: &[u8], no_overwrite: bool| {
        let e = t
            .e()
            .archive_put(&id, path, archive, no_overwrite, false)
            .unwrap_err();
        (e.kind(), e.to_string())
    };
    assert_eq!(
        kind_of("/data/dir/file", &again, false),
        (
            ErrorKind::InvalidParameter,
            "extraction point is not a directory".into()
        )
    );
    assert_eq!(
        kind_of("/nope", &again, false),
        (
            ErrorKind::NotFound,
            format!("Could not find the file /nope in container {id}")
        )
    );
    let file_over_dir = tar_of(&[("dir", T::Regular, "x")]);
    let (kind, text) = kind_of("/data", &file_over_dir, true);
    assert_eq!(kind, ErrorKind::System);
    assert!(text.contains("cannot overwrite directory"), "{text}");
}

/// `--group-add` joins the process to the groups (by GID, or by name from the container's own
/// group file), and a name it lacks fails the start in libcontainer's words.
#[test]
fn group_add_joins_groups_or_fails_the_start() {
    if !ready("group_add_joins_groups_or_fails_the_start") {
        return;
    }
    let t = TestEngine::new();
    let mut o = options("toolbox", &["/toolbox", "cat", "/proc/self/status"]);
    o.group_add = vec!["4242".into(), "7".into()];
    let out = t.e().run(o).unwrap();
    let groups = out
        .stdout
        .lines()
        .find(|l| l.starts_with("Groups:"))
        .unwrap();
    assert_eq!(
        groups.split_whitespace().collect::<Vec<_>>(),
        ["Groups:", "0", "7", "4242"]
    );
    let mut o = options("toolbox", &["/toolbox", "exit", "0"]);
    o.group_add = vec!["nope".into()];
    let id = t.e().create(o).unwrap().to_string();
    let e = t.e().start(&id).unwrap_err();
    assert!(
        e.to_string()
            .contains("Unable to find group nope: no matching entries in group file"),
        "{e}"
    );
}

/// `docker cp`'s hostile inputs: a body that is no archive is refused as bad input with nothing
/// written, a FIFO in the container is archived by its header and never opened (a read would
/// block), and a path through a symlink to the host's root stays in the container.
#[test]
fn archive_hostile_inputs_are_refused_or_contained() {
    if !ready("archive_hostile_inputs_are_refused_or_contained") {
        return;
    }
    let t = TestEngine::new();
    let id = t.create("toolbox", &["/toolbox", "exit", "0"]);
    let garbage = vec![0x5a_u8; 4096];
    let e = t
        .e()
        .archive_put(&id, "/data", &garbage[..], false, false)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{e}");
    use tar::EntryType as T;
    let archive = tar_of(&[("fifo", T::Fifo, ""), ("root", T::Symlink, "/")]);
    t.e()
        .archive_put(&id, "/data", &archive[..], false, false)
        .unwrap();
    let (stat, tar) = t.e().archive(&id, "/data/fifo").unwrap();
    assert_eq!(stat.mode & (1 << 25), 1 << 25, "a named pipe");
    let mut out = tar::Archive::new(tar);
    let entry = out.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(entry.header().entry_type(), T::Fifo);
    // /data/root -> / resolves to the container's root, whose /etc/hostname is the init
    // layer's empty file, not the host's.
    let (_, tar) = t.e().archive(&id, "/data/root/etc/hostname").unwrap();
    let mut out = tar::Archive::new(tar);
    let entry = out.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(entry.header().size().unwrap(), 0);
}
