//! A running container that attacks `commit` and `diff`, which read its upper dir while it
//! runs: a directory swapped for a link to `/` over and over must be recorded as a link and
//! never followed, so no host file ever reaches an image. And commit pauses the container
//! meanwhile, as dockerd does, unless told not to.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use berth_lifecycle::State;

use crate::common::{root_or_skip, TestStore};

/// The tar member names and, for links, their targets.
fn members(tar_bytes: &[u8]) -> Vec<(String, tar::EntryType, Option<PathBuf>)> {
    tar::Archive::new(tar_bytes)
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let link = e.link_name().unwrap().map(|l| l.into_owned());
            (path, e.header().entry_type(), link)
        })
        .collect()
}

#[test]
fn commit_and_diff_never_follow_a_directory_swapped_for_a_link_to_the_host_root() {
    if !root_or_skip("commit_and_diff_never_follow_a_directory_swapped_for_a_link_to_the_host_root")
    {
        return;
    }
    let t = TestStore::new();
    // `d` flips between a directory holding one file and a symlink to `/` as fast as a shell
    // can flip it; the host's root, if ever followed, would add its whole tree under `d/`.
    let script = "mkdir -p /w/d && echo mine > /w/d/f && while true; do \
                  mv /w/d /w/real; ln -s / /w/d; rm /w/d; mv /w/real /w/d; done";
    let id = t.create(&["sh", "-c", script]);
    t.c().start(&id).unwrap();
    let allowed = ["w/", "w/d/", "w/d/f", "w/real/", "w/real/f", "w/d"];
    let mut seen_link = false;
    let mut seen_dir = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut rounds = 0;
    // Without pausing (the race is live) until both states were caught, then with it.
    while (!seen_link || !seen_dir || rounds < 20) && Instant::now() < deadline {
        let mut tar_bytes = Vec::new();
        t.c()
            .commit_layer(&id, rounds % 4 == 3, &mut tar_bytes)
            .unwrap();
        for (path, kind, link) in members(&tar_bytes) {
            if path.starts_with("w/") || path == "w" {
                assert!(allowed.contains(&path.as_str()), "{path} in the layer");
            }
            if path == "w/d" {
                assert_eq!(kind, tar::EntryType::Symlink);
                assert_eq!(link.as_deref(), Some(Path::new("/")));
                seen_link = true;
            }
            if path == "w/d/" {
                seen_dir = true;
            }
            // Nothing of the host's root filesystem, wherever it might land.
            assert!(
                !path.contains("etc/shadow") && !path.contains("bin/busybox"),
                "{path}"
            );
        }
        // `diff` walks the same tree the same way.
        for change in t.c().changes(&id).unwrap() {
            let known = ["/w", "/w/d", "/w/d/f", "/w/real", "/w/real/f"];
            assert!(known.contains(&change.path.as_str()), "{change:?}");
        }
        rounds += 1;
    }
    assert!(seen_link && seen_dir, "the swap was never caught mid-way");
    assert_eq!(t.c().inspect(&id).unwrap().state.status, State::Running);
    t.c().remove(&id, true).unwrap();
}

/// A sink that records the container's state when the commit writes its first bytes.
struct Observer<'a> {
    t: &'a TestStore,
    id: &'a str,
    seen: Option<State>,
}

impl Write for Observer<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.seen.is_none() {
            self.seen = Some(self.t.c().inspect(self.id).unwrap().state.status);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn commit_pauses_a_running_container_unless_told_not_to() {
    if !root_or_skip("commit_pauses_a_running_container_unless_told_not_to") {
        return;
    }
    let t = TestStore::new();
    let id = t.create(&["sh", "-c", "echo x > /x; sleep 1000"]);
    t.c().start(&id).unwrap();
    let during = |pause: bool| {
        let mut sink = Observer {
            t: &t,
            id: &id,
            seen: None,
        };
        t.c().commit_layer(&id, pause, &mut sink).unwrap();
        (sink.seen.unwrap(), t.c().inspect(&id).unwrap().state.status)
    };
    // dockerd: `pause`, `commit`, `unpause` events by default; `commit` alone with -p=false.
    assert_eq!(during(true), (State::Paused, State::Running));
    assert_eq!(during(false), (State::Running, State::Running));
    // A container the user paused stays paused.
    t.c().pause(&id).unwrap();
    assert_eq!(during(true), (State::Paused, State::Paused));
    t.c().unpause(&id).unwrap();
    t.c().remove(&id, true).unwrap();
}
