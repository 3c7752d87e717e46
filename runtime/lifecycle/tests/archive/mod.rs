//! `docker cp` out of a container and `export`, on real containers: names rebased on the
//! path's last element as moby writes them, symlinks stated with their target inside the
//! container, the last name followed only with a trailing `/`, a missing path worded as
//! dockerd's, and a running container's `/proc` visited but never descended into.

use std::io::Read;
use std::time::{Duration, Instant};

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{State, WaitCondition};

use crate::common::{root_or_skip, TestStore};

/// The member names of a tar, and the content of the regular files among them.
fn members(mut tar: impl Read) -> Vec<(String, String)> {
    let mut bytes = Vec::new();
    tar.read_to_end(&mut bytes).unwrap();
    tar::Archive::new(&bytes[..])
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let mut content = Vec::new();
            if e.header().entry_type() == tar::EntryType::Regular {
                e.read_to_end(&mut content).unwrap();
            }
            (name, String::from_utf8_lossy(&content).into_owned())
        })
        .collect()
}

fn names(tar: impl Read) -> Vec<String> {
    members(tar).into_iter().map(|(n, _)| n).collect()
}

#[test]
fn archives_of_a_stopped_container_are_rebased_and_links_stated() {
    if !root_or_skip("archives_of_a_stopped_container_are_rebased_and_links_stated") {
        return;
    }
    let t = TestStore::new();
    let script = "mkdir /data/d && echo hi > /data/d/f && ln -s /data/d /data/link";
    let id = t.create(&["sh", "-c", script]);
    t.c().start(&id).unwrap();
    let w = t
        .c()
        .wait(
            &id,
            WaitCondition::NotRunning,
            Some(Instant::now() + Duration::from_secs(20)),
        )
        .unwrap()
        .unwrap();
    assert_eq!(w.status_code, 0);

    let (stat, tar) = t.c().archive(&id, "/data/d").unwrap();
    assert_eq!((stat.name.as_str(), stat.mode >> 31), ("d", 1));
    assert_eq!(
        members(tar),
        [("d/".into(), String::new()), ("d/f".into(), "hi\n".into())]
    );
    let link = t.c().archive_stat(&id, "data/link").unwrap();
    assert_eq!(
        (link.mode & (1 << 27), link.link_target.as_str()),
        (1 << 27, "/data/d")
    );
    let (_, tar) = t.c().archive(&id, "/data/link").unwrap();
    assert_eq!(names(tar), ["link"]);
    let (_, tar) = t.c().archive(&id, "/data/link/").unwrap();
    assert_eq!(names(tar), ["link/", "link/f"]);
    let (stat, tar) = t.c().archive(&id, "/data/d/.").unwrap();
    assert_eq!(stat.name, ".");
    assert_eq!(names(tar), ["./", "./f"]);

    let missing = t.c().archive_stat(&id, "/nope/x").unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert_eq!(
        missing.to_string(),
        format!("Could not find the file /nope/x in container {id}")
    );
    let not_dir = t.c().archive_stat(&id, "/data/d/f/").unwrap_err();
    assert_eq!(not_dir.kind(), ErrorKind::System);

    let exported = names(t.c().export(&id).unwrap());
    for want in [
        "bin/busybox",
        "data/d/",
        "data/d/f",
        "data/link",
        "etc/hostname",
    ] {
        assert!(
            exported.iter().any(|n| n == want),
            "{want} not in {exported:?}"
        );
    }
    // The view is released with the archive: the container starts again.
    t.c().start(&id).unwrap();
}

#[test]
fn a_running_containers_proc_is_not_descended_into() {
    if !root_or_skip("a_running_containers_proc_is_not_descended_into") {
        return;
    }
    let t = TestStore::new();
    let id = t.create(&["sh", "-c", "echo live > /tmp/mark; exec sleep 30"]);
    t.c().start(&id).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.c().archive_stat(&id, "/tmp/mark").is_err() {
        assert!(Instant::now() < deadline, "the mark never appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(t.c().inspect(&id).unwrap().state.status, State::Running);
    let (_, tar) = t.c().archive(&id, "/proc").unwrap();
    assert_eq!(names(tar), ["proc/"]);
    let (_, tar) = t.c().archive(&id, "/tmp/mark").unwrap();
    assert_eq!(members(tar), [("mark".into(), "live\n".into())]);
    let exported = names(t.c().export(&id).unwrap());
    assert!(exported.iter().any(|n| n == "proc/"));
    assert!(
        !exported.iter().any(|n| n.starts_with("proc/1")),
        "{exported:?}"
    );
    t.c().kill(&id, "KILL").ok();
}
