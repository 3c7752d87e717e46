//! Crash consistency and privacy of the engine's own files: a container whose lease a crash
//! lost gets it back at open (so `rmi -f` cannot take its layers), `fsck` of a root after
//! ordinary verbs finds nothing, and container files have dockerd's modes.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use berth_lifecycle::WaitCondition;
use berth_runtime::engine::{fsck, ContainerProblem, Engine, EngineOptions};

use super::{options, ready, TestEngine};

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

/// Closes the test engine's engine (as a crash would leave its root, containers stopped)
/// and answers its options for a reopen.
fn close(t: &mut TestEngine) -> EngineOptions {
    let engine = t.engine.take().unwrap();
    let mut options = EngineOptions::new(engine.root());
    options.cgroup_parent = t.cgroup_parent.clone();
    options.store.sync_layers = false;
    engine.shutdown(Duration::from_secs(1));
    options
}

#[test]
fn a_container_whose_lease_a_crash_lost_gets_it_back_when_the_engine_opens() {
    if !ready("a_container_whose_lease_a_crash_lost_gets_it_back_when_the_engine_opens") {
        return;
    }
    let mut t = TestEngine::new();
    let id = t.create("toolbox", &["/toolbox", "out", "still here"]);
    let options = close(&mut t);
    // The crash between recording the container and recording its lease.
    let lease = options.root.join("leases").join(format!("{id}.json"));
    fs::remove_file(&lease).unwrap();
    let report = fsck(&options.root).unwrap();
    assert_eq!(
        report.containers,
        [ContainerProblem::Unleased {
            container: id.clone()
        }]
    );
    assert!(report.damage().is_empty(), "{:?}", report.damage());

    t.engine = Some(Engine::open(options).unwrap());
    assert!(lease.is_file(), "the lease was not taken again");
    // With the lease back, a forced rmi of its image keeps the container's layers.
    t.e().rmi("toolbox", true).unwrap();
    t.e().start(&id).unwrap();
    assert_eq!(t.wait(&id, WaitCondition::NotRunning), 0);
    let said: Vec<String> = t
        .e()
        .logs(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.bytes)
        .collect();
    assert_eq!(said, ["still here\n"]);
}

#[test]
fn fsck_finds_nothing_after_ordinary_verbs_and_container_files_are_private() {
    if !ready("fsck_finds_nothing_after_ordinary_verbs_and_container_files_are_private") {
        return;
    }
    let mut t = TestEngine::new();
    let kept = t
        .e()
        .run(options("toolbox", &["/toolbox", "write", "/f", "x"]))
        .unwrap();
    let commit = berth_runtime::engine::CommitOptions {
        reference: Some("committed:fsck".into()),
        ..Default::default()
    };
    t.e().commit(kept.id.as_str(), &commit).unwrap();
    let gone = t.create("hello-world", &[]);
    t.e().rm(&gone, false).unwrap();

    let root = t.e().root().to_owned();
    let dir = root.join("containers").join(kept.id.as_str());
    assert_eq!(mode(&root), 0o710);
    assert_eq!(mode(&root.join("containers")), 0o710);
    assert_eq!(mode(&dir), 0o710);
    assert_eq!(mode(&dir.join(format!("{}-json.log", kept.id))), 0o640);
    assert_eq!(mode(&dir.join("config.json")), 0o600);

    let options = close(&mut t);
    let report = fsck(&options.root).unwrap();
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(report.container_count, 1);
    // toolbox, hello-world and its base (one layout holds the chain), the commit.
    assert_eq!(report.store.images, 4);
    t.engine = Some(Engine::open(options).unwrap());
}
