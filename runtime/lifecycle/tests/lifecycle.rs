//! Real containers from a busybox layer through the whole lifecycle: outputs, exit codes, the
//! json-file log, hostname, exec failures (127/126), names, rm/stop/kill of the wrong state,
//! `--rm`, restart, rename, shutdown, and a crash of the owning process followed by a reopen.
//! Live I/O (attach, stdin, pty, follow) is in `live_io`. Root only: each test skips with one
//! line without root, and fails under `BERTH_REQUIRE_ALL=1`.

mod archive;
mod async_waits;
mod commit_race;
mod common;
mod etc_files;
mod hostile;
mod live_io;

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{
    Containers, ExecOptions, LifecycleError, State, StateRecord, Stream, WaitCondition, WaitOutcome,
};
use common::{root_or_skip, FakeImages, TestStore};

const SOON: Duration = Duration::from_secs(20);

fn wait(t: &TestStore, id: &str, cond: WaitCondition) -> WaitOutcome {
    t.c()
        .wait(id, cond, Some(Instant::now() + SOON))
        .unwrap()
        .expect("container did not reach the wait condition in time")
}

fn run(t: &TestStore, argv: &[&str]) -> (String, WaitOutcome) {
    let id = t.create(argv);
    t.c().start(&id).unwrap();
    let out = wait(t, &id, WaitCondition::NotRunning);
    (id, out)
}

fn output(t: &TestStore, id: &str) -> (String, String) {
    let (mut out, mut err) = (String::new(), String::new());
    for e in t.c().logs(id).unwrap() {
        match e.stream {
            Stream::Stdout => out.push_str(&e.bytes),
            Stream::Stderr => err.push_str(&e.bytes),
        }
    }
    (out, err)
}

#[test]
fn run_records_output_exit_code_hostname_and_json_log() {
    if !root_or_skip("run_records_output_exit_code_hostname_and_json_log") {
        return;
    }
    let t = TestStore::new();
    let (id, outcome) = run(
        &t,
        &[
            "sh",
            "-c",
            "hostname; echo $HOSTNAME; echo oops >&2; printf tail; exit 3",
        ],
    );
    assert_eq!(
        outcome,
        WaitOutcome {
            status_code: 3,
            error: None
        }
    );
    let short = &id[..12];
    let (out, err) = output(&t, &id);
    assert_eq!(out, format!("{short}\n{short}\ntail"));
    assert_eq!(err, "oops\n");

    let info = t.c().inspect(&id).unwrap();
    assert_eq!(
        (info.state.status, info.state.exit_code, info.state.pid),
        (State::Exited, 3, 0)
    );
    assert!(!info.state.started_at.is_zero() && info.state.finished_at >= info.state.started_at);
    assert_eq!(info.config.config.hostname, short);
    assert_eq!(info.config.host_config.log_config.kind, "json-file");
    // The raw file is Docker's json-file format, one object per line.
    let raw = fs::read_to_string(&info.log_path).unwrap();
    assert!(info.log_path.ends_with(format!("{id}/{id}-json.log")));
    let first = raw.lines().find(|l| l.contains("stdout")).unwrap();
    let prefix = format!("{{\"log\":\"{short}\\n\",\"stream\":\"stdout\",\"time\":\"");
    assert!(
        first.starts_with(&prefix) && first.ends_with("Z\"}"),
        "{first}"
    );
    // The records on disk say the same as memory.
    let state: StateRecord =
        serde_json::from_slice(&fs::read(info.log_path.with_file_name("state.json")).unwrap())
            .unwrap();
    assert_eq!(state, info.state);
    assert!(t.cgroup_dirs().is_empty(), "{:?}", t.cgroup_dirs());
}

#[test]
fn image_cmd_env_and_workdir_are_used() {
    if !root_or_skip("image_cmd_env_and_workdir_are_used") {
        return;
    }
    let t = TestStore::new();
    let id = t.create_with(&[], |o| {
        o.entrypoint = Some(vec![
            "sh".into(),
            "-c".into(),
            "echo $FOO $PATH; pwd".into(),
        ]);
        o.env = vec!["FOO=bar".into()];
        o.working_dir = Some("/made/here".into());
    });
    t.c().start(&id).unwrap();
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    assert_eq!(
        output(&t, &id).0,
        "bar /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/made/here\n"
    );
}

#[test]
fn missing_executable_is_127_and_permission_denied_126_and_stay_created() {
    if !root_or_skip("missing_executable_is_127_and_permission_denied_126_and_stay_created") {
        return;
    }
    let t = TestStore::new();
    let cases = [
        (
            "nope",
            127,
            "exec: \"nope\": executable file not found in $PATH",
        ),
        (
            "/nope",
            127,
            "exec: \"/nope\": stat /nope: no such file or directory",
        ),
        (
            "/data/seed.txt",
            126,
            "exec: \"/data/seed.txt\": permission denied",
        ),
    ];
    for (cmd, code, inner) in cases {
        let id = t.create(&[cmd]);
        let e = t.c().start(&id).unwrap_err();
        let text = format!(
            "failed to create shim task: OCI runtime create failed: runc create failed: unable \
             to start container process: {inner}: unknown"
        );
        assert_eq!(
            (e.to_string(), e.kind()),
            (text.clone(), ErrorKind::InvalidParameter)
        );
        let s = t.c().inspect(&id).unwrap().state;
        assert_eq!(
            (s.status, s.exit_code, s.error.as_str()),
            (State::Created, code, text.as_str())
        );
        assert!(s.started_at.is_zero());
        let w = wait(&t, &id, WaitCondition::NotRunning);
        assert_eq!(
            w,
            WaitOutcome {
                status_code: code,
                error: Some(text)
            }
        );
    }
    assert!(t.cgroup_dirs().is_empty());
}

#[test]
fn an_unknown_user_is_a_recorded_failed_start() {
    if !root_or_skip("an_unknown_user_is_a_recorded_failed_start") {
        return;
    }
    let t = TestStore::new();
    let id = t.create_with(&["true"], |o| o.user = Some("nobody".into()));
    let e = t.c().start(&id).unwrap_err();
    // dockerd 20.10 resolves the user itself, before runc: its text, unframed, and a 500.
    let text = "unable to find user nobody: no matching entries in passwd file";
    assert_eq!(
        (e.to_string().as_str(), e.kind()),
        (text, ErrorKind::System)
    );
    let s = t.c().inspect(&id).unwrap().state;
    assert_eq!(
        (s.status, s.exit_code, s.error.as_str()),
        (State::Created, 128, text)
    );
}

#[test]
fn a_memory_limit_oom_kill_is_137_with_oom_killed() {
    if !root_or_skip("a_memory_limit_oom_kill_is_137_with_oom_killed") {
        return;
    }
    let t = TestStore::new();
    // `tail` keeps the whole (endless, newline-free) line in memory.
    let id = t.create_with(&["tail", "/dev/zero"], |o| o.memory = Some(16 << 20));
    t.c().start(&id).unwrap();
    let w = wait(&t, &id, WaitCondition::NotRunning);
    let s = t.c().inspect(&id).unwrap().state;
    assert_eq!((w.status_code, s.exit_code, s.oom_killed), (137, 137, true));
    assert!(t.cgroup_dirs().is_empty());
}

#[test]
fn names_are_validated_unique_and_generated() {
    if !root_or_skip("names_are_validated_unique_and_generated") {
        return;
    }
    let t = TestStore::new();
    let create = |name: &str| {
        t.c().create(berth_lifecycle::CreateOptions {
            image: "busybox".into(),
            name: Some(name.into()),
            cmd: vec!["true".into()],
            ..Default::default()
        })
    };
    let e = create("a").unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.kind()),
        (
            "Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
            ErrorKind::InvalidParameter
        )
    );
    let first = create("web").unwrap();
    let e = create("/web").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(
        e.to_string(),
        format!(
            "Conflict. The container name \"/web\" is already in use by container \"{first}\". \
             You have to remove (or rename) that container to be able to reuse that name."
        )
    );
    assert_eq!(t.c().inspect("web").unwrap().config.id, first);
    let generated = t.create(&["true"]);
    let name = t.c().inspect(&generated).unwrap().config.name;
    assert!(name.bare().contains('_'), "{name}");
    let e = t
        .c()
        .create(berth_lifecycle::CreateOptions {
            image: "nosuch".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.kind()),
        ("No such image: nosuch:latest", ErrorKind::NotFound)
    );
    let e = t.c().inspect("nosuchctr").unwrap_err();
    assert_eq!(e.to_string(), "No such container: nosuchctr");
}

#[test]
fn rm_of_running_needs_force_and_force_kills() {
    if !root_or_skip("rm_of_running_needs_force_and_force_kills") {
        return;
    }
    let t = TestStore::new();
    let id = t.create(&["sleep", "1000"]);
    t.c().start(&id).unwrap();
    let e = t.c().remove(&id, false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(
        e.to_string(),
        format!(
            "You cannot remove a running container {id}. Stop the container before attempting \
             removal or force remove"
        )
    );
    let dir = t.options.root.join(&id);
    assert!(dir.exists());
    t.c().remove(&id[..10], true).unwrap();
    assert!(matches!(
        t.c().inspect(&id),
        Err(LifecycleError::NoSuchContainer { .. })
    ));
    assert!(!dir.exists());
    assert!(t.cgroup_dirs().is_empty());
}

#[test]
fn stop_and_kill_of_a_stopped_container() {
    if !root_or_skip("stop_and_kill_of_a_stopped_container") {
        return;
    }
    let t = TestStore::new();
    let created = t.create(&["true"]);
    let e = t.c().stop(&created, Duration::from_secs(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotModified);
    let (exited, _) = run(&t, &["true"]);
    assert_eq!(
        t.c()
            .stop(&exited, Duration::from_secs(1))
            .unwrap_err()
            .kind(),
        ErrorKind::NotModified
    );
    let name = t.c().inspect(&exited).unwrap().config.name;
    let e = t.c().kill(name.bare(), "KILL").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(
        e.to_string(),
        format!(
            "Cannot kill container: {}: Container {exited} is not running",
            name.bare()
        )
    );
    let e = t.c().kill("nosuch", "KILL").unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.kind()),
        (
            "Cannot kill container: nosuch: No such container: nosuch",
            ErrorKind::NotFound
        )
    );
    let e = t.c().kill(&exited, "BOGUS").unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.kind()),
        ("Invalid signal: BOGUS", ErrorKind::InvalidParameter)
    );
}

#[test]
fn stop_sends_term_then_kill_after_the_timeout() {
    if !root_or_skip("stop_sends_term_then_kill_after_the_timeout") {
        return;
    }
    let t = TestStore::new();
    // sleep as PID 1 has no TERM handler, so the kernel drops SIGTERM: SIGKILL ends it (137).
    let id = t.create(&["sleep", "1000"]);
    t.c().start(&id).unwrap();
    let began = Instant::now();
    t.c().stop(&id, Duration::from_millis(300)).unwrap();
    assert!(began.elapsed() >= Duration::from_millis(300));
    let s = t.c().inspect(&id).unwrap().state;
    assert_eq!((s.status, s.exit_code, s.pid), (State::Exited, 137, 0));

    // A shell that traps TERM exits with its own code, well before the timeout.
    let id = t.create(&[
        "sh",
        "-c",
        "trap 'exit 3' TERM; echo up; while true; do sleep 0.05; done",
    ]);
    t.c().start(&id).unwrap();
    let deadline = Instant::now() + SOON;
    while output(&t, &id).0.is_empty() {
        assert!(Instant::now() < deadline, "the trap was never set");
        std::thread::sleep(Duration::from_millis(10));
    }
    let began = Instant::now();
    t.c().stop(&id, Duration::from_secs(10)).unwrap();
    assert!(began.elapsed() < Duration::from_secs(5));
    assert_eq!(t.c().inspect(&id).unwrap().state.exit_code, 3);

    // kill -s 99 is refused by the daemon; kill -s KILL ends it with 137.
    let id = t.create(&["sleep", "1000"]);
    t.c().start(&id).unwrap();
    let e = t.c().kill(&id, "99").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Cannot kill container: {id}: The linux daemon does not support signal 99")
    );
    assert_eq!(e.kind(), ErrorKind::System);
    t.c().kill(&id, "sigkill").unwrap();
    assert_eq!(t.c().inspect(&id).unwrap().state.exit_code, 137);
    assert!(t.cgroup_dirs().is_empty());
}

#[test]
fn auto_remove_after_exit_and_after_a_failed_start() {
    if !root_or_skip("auto_remove_after_exit_and_after_a_failed_start") {
        return;
    }
    let t = TestStore::new();
    let id = t.create_with(&["sh", "-c", "exit 7"], |o| o.auto_remove = true);
    t.c().start(&id).unwrap();
    let w = wait(&t, &id, WaitCondition::Removed);
    assert_eq!(w.status_code, 7);
    assert!(matches!(
        t.c().inspect(&id),
        Err(LifecycleError::NoSuchContainer { .. })
    ));
    // A wait that arrives once the container is gone (the client asked just before start, the
    // daemon got to it after the removal) still gets the exit, by full ID only.
    let late = wait(&t, &id, WaitCondition::Removed);
    assert_eq!(late.status_code, 7);
    assert!(t.c().wait(&id[..12], WaitCondition::Removed, None).is_err());
    assert!(!t.options.root.join(&id).exists());

    let id = t.create_with(&["nope"], |o| o.auto_remove = true);
    assert_eq!(
        t.c().start(&id).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    assert!(matches!(
        t.c().inspect(&id),
        Err(LifecycleError::NoSuchContainer { .. })
    ));
    assert!(!t.options.root.join(&id).exists());
    assert!(t.cgroup_dirs().is_empty());
}

#[test]
fn restart_and_next_exit() {
    if !root_or_skip("restart_and_next_exit") {
        return;
    }
    let t = TestStore::new();
    let (id, _) = run(&t, &["sh", "-c", "echo run"]);
    let first = t.c().inspect(&id).unwrap().state;
    t.c().restart(&id, Duration::from_secs(1)).unwrap();
    // Not next-exit: the second run may have ended before a wait registered here, and then the
    // next exit would never come (the daemon test registers next-exit before the start).
    let w = wait(&t, &id, WaitCondition::NotRunning);
    assert_eq!(w.status_code, 0);
    let again = t.c().inspect(&id).unwrap().state;
    assert!(again.started_at > first.started_at);
    // The log keeps both runs, as Docker's json-file does.
    assert_eq!(output(&t, &id).0, "run\nrun\n");
    t.c().start(&id).unwrap();
    wait(&t, &id, WaitCondition::NotRunning);

    let id = t.create(&["sleep", "1000"]);
    t.c().start(&id).unwrap();
    let e = t.c().start(&id).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotModified);
    let pid = t.c().inspect(&id).unwrap().state.pid;
    t.c().restart(&id, Duration::from_millis(100)).unwrap();
    let s = t.c().inspect(&id).unwrap().state;
    assert_eq!(s.status, State::Running);
    assert_ne!(s.pid, pid);
    t.c().remove(&id, true).unwrap();
}

#[test]
fn rename_follows_dockerd() {
    if !root_or_skip("rename_follows_dockerd") {
        return;
    }
    let mut t = TestStore::new();
    let a = t.create_with(&["true"], |o| o.name = Some("e5a".into()));
    let b = t.create_with(&["true"], |o| o.name = Some("e5b".into()));
    let text = |r: Result<(), LifecycleError>| {
        let e = r.unwrap_err();
        (e.to_string(), e.kind().http_status())
    };
    assert_eq!(
        text(t.c().rename("e5a", "e5a")),
        (
            "Renaming a container with the same name as its current name".into(),
            400
        )
    );
    assert_eq!(
        text(t.c().rename("e5a", "")),
        ("Neither old nor new names may be empty".into(), 400)
    );
    assert_eq!(
        text(t.c().rename("e5a", "a")),
        ("Error when allocating new name: Invalid container name (/a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed".into(), 400)
    );
    assert_eq!(
        text(t.c().rename("e5a", "/e5b")),
        (format!("Error when allocating new name: Conflict. The container name \"/e5b\" is already in use by container \"{b}\". You have to remove (or rename) that container to be able to reuse that name."), 409)
    );
    assert_eq!(
        text(t.c().rename("nosuchctr", "e5q")),
        ("No such container: nosuchctr".into(), 404)
    );
    t.c().rename("e5a", "/e5z").unwrap();
    assert_eq!(t.c().inspect("e5z").unwrap().config.id.as_str(), a);
    assert!(t.c().inspect("e5a").is_err());
    // The new name is on disk: a reopened store knows it. Only one owner at a time.
    assert!(Containers::open(t.options.clone(), FakeImages::default()).is_err());
    t.store.take().unwrap().shutdown(Duration::from_secs(1));
    let reopened = Containers::open(t.options.clone(), FakeImages::default()).unwrap();
    assert_eq!(
        reopened.inspect("e5z").unwrap().config.name.as_str(),
        "/e5z"
    );
}

#[test]
fn shutdown_stops_running_containers_and_records_their_exits() {
    if !root_or_skip("shutdown_stops_running_containers_and_records_their_exits") {
        return;
    }
    let mut t = TestStore::new();
    let id = t.create(&["sleep", "1000"]);
    t.c().start(&id).unwrap();
    let began = Instant::now();
    t.store.take().unwrap().shutdown(Duration::from_millis(200));
    assert!(began.elapsed() >= Duration::from_millis(200));
    assert!(t.cgroup_dirs().is_empty());
    let reopened = Containers::open(t.options.clone(), FakeImages::default()).unwrap();
    let s = reopened.inspect(&id).unwrap().state;
    assert_eq!((s.status, s.exit_code), (State::Exited, 137));
}

/// Not a test on its own: the body of the process that `crash_and_reopen` kills. It runs only
/// when that test re-executes this binary with `BERTH_LIFECYCLE_CRASH_ROOT` set.
#[test]
fn crash_helper_child() {
    let Ok(root) = std::env::var("BERTH_LIFECYCLE_CRASH_ROOT") else {
        return;
    };
    let options = berth_lifecycle::StoreOptions {
        root: PathBuf::from(&root),
        cgroup_parent: PathBuf::from(std::env::var("BERTH_LIFECYCLE_CRASH_CGROUP").unwrap()),
        host: berth_sandbox::HostConfig::standard(),
    };
    let c = Containers::open(options, FakeImages::default()).unwrap();
    let id = c
        .create(berth_lifecycle::CreateOptions {
            image: "busybox".into(),
            cmd: vec!["sleep".into(), "1000".into()],
            ..Default::default()
        })
        .unwrap();
    c.start(id.as_str()).unwrap();
    // Written then renamed, so the test never reads a `ready` that exists but is still empty.
    let ready = PathBuf::from(&root).join("ready");
    fs::write(ready.with_extension("tmp"), id.as_str()).unwrap();
    fs::rename(ready.with_extension("tmp"), &ready).unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn crash_and_reopen_reports_exited_and_cleans_the_cgroup() {
    if !root_or_skip("crash_and_reopen_reports_exited_and_cleans_the_cgroup") {
        return;
    }
    let mut t = TestStore::new();
    t.store.take();
    let root = &t.options.root;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_helper_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("BERTH_LIFECYCLE_CRASH_ROOT", root)
        .env("BERTH_LIFECYCLE_CRASH_CGROUP", &t.options.cgroup_parent)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = root.join("ready");
    let began = Instant::now();
    while !ready.exists() {
        assert!(began.elapsed() < SOON, "helper never started its container");
        std::thread::sleep(Duration::from_millis(10));
    }
    let id = fs::read_to_string(&ready).unwrap();
    let state: StateRecord =
        serde_json::from_slice(&fs::read(root.join(&id).join("state.json")).unwrap()).unwrap();
    assert_eq!(state.status, State::Running);
    // The owner dies without any cleanup; the container process outlives it.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(PathBuf::from(format!("/proc/{}", state.pid)).exists());
    assert!(!t.cgroup_dirs().is_empty());

    t.store = Some(Containers::open(t.options.clone(), FakeImages::default()).unwrap());
    let s = t.c().inspect(&id).unwrap().state;
    assert_eq!((s.status, s.exit_code, s.pid), (State::Exited, 255, 0));
    assert!(t.cgroup_dirs().is_empty(), "{:?}", t.cgroup_dirs());
    let gone = Instant::now();
    while PathBuf::from(format!("/proc/{}", state.pid)).exists() {
        assert!(
            gone.elapsed() < SOON,
            "the container process survived the reopen"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Every record parses, and no temp file is left.
    for f in fs::read_dir(root.join(&id)).unwrap().flatten() {
        assert!(!f.file_name().to_string_lossy().ends_with(".tmp"));
    }
    let _: berth_lifecycle::ContainerConfig =
        serde_json::from_slice(&fs::read(root.join(&id).join("config.json")).unwrap()).unwrap();
    // It can run again, and be removed.
    t.c().start(&id).unwrap();
    assert_eq!(t.c().inspect(&id).unwrap().state.status, State::Running);
    t.c().remove(&id, true).unwrap();
}

/// Unpacks an OCI layer tar into an overlay lower dir: `.wh.<name>` becomes a 0/0 character
/// device, `.wh..wh..opq` the opaque xattr (what the image store does for real).
fn unpack_for_overlay(tar_bytes: &[u8], dest: &std::path::Path) {
    let mut archive = tar::Archive::new(tar_bytes);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let parent = dest.join(path.parent().unwrap());
        if name == ".wh..wh..opq" {
            rustix::fs::lsetxattr(
                &parent,
                "trusted.overlay.opaque",
                b"y",
                rustix::fs::XattrFlags::empty(),
            )
            .unwrap();
        } else if let Some(hidden) = name.strip_prefix(".wh.") {
            rustix::fs::mknodat(
                rustix::fs::CWD,
                parent.join(hidden),
                rustix::fs::FileType::CharacterDevice,
                rustix::fs::Mode::from_raw_mode(0o600),
                0,
            )
            .unwrap();
        } else {
            entry.unpack_in(dest).unwrap();
        }
    }
}

#[test]
fn commit_layer_has_oci_whiteouts_and_round_trips() {
    if !root_or_skip("commit_layer_has_oci_whiteouts_and_round_trips") {
        return;
    }
    let t = TestStore::new();
    // The opaque directory is /tmp, not /etc: /etc holds the bound hostname, hosts and
    // resolv.conf, which cannot be removed (in dockerd neither).
    let script = "echo new > /data/new.txt; rm /data/seed.txt; rm -r /tmp; mkdir /tmp; \
                  echo fresh > /tmp/f; ln -s new.txt /data/link";
    let (id, w) = run(&t, &["sh", "-c", script]);
    assert_eq!(w.status_code, 0, "{:?}", output(&t, &id));
    let mut tar_bytes = Vec::new();
    let layer = t.c().commit_layer(&id, true, &mut tar_bytes).unwrap();
    assert!(layer.changed && layer.size == tar_bytes.len() as u64);
    assert!(layer.diff_id.starts_with("sha256:") && layer.diff_id.len() == 71);
    let names: Vec<String> = tar::Archive::new(&tar_bytes[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "data/",
        "data/.wh.seed.txt",
        "data/link",
        "data/new.txt",
        "tmp/",
        "tmp/.wh..wh..opq",
        "tmp/f",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    // The same changes give the same bytes.
    let mut again = Vec::new();
    assert_eq!(t.c().commit_layer(&id, true, &mut again).unwrap(), layer);

    let top = tempfile::tempdir().unwrap();
    unpack_for_overlay(&tar_bytes, top.path());
    let t2 = TestStore::with_images(FakeImages(Some(top.path().to_path_buf())));
    let id = t2.create_with(&["sh", "-c", "cat /data/link; ls /data /tmp"], |o| {
        o.image = "committed".into()
    });
    t2.c().start(&id).unwrap();
    assert_eq!(wait(&t2, &id, WaitCondition::NotRunning).status_code, 0);
    assert_eq!(
        output(&t2, &id).0,
        "new\n/data:\nlink\nnew.txt\n\n/tmp:\nf\n"
    );
}

#[test]
fn reopen_removes_half_created_containers_and_temp_files() {
    if !root_or_skip("reopen_removes_half_created_containers_and_temp_files") {
        return;
    }
    let mut t = TestStore::new();
    let id = t.create(&["true"]);
    t.store.take().unwrap().shutdown(Duration::from_secs(1));
    let root = t.options.root.clone();
    // A crash mid-write leaves a temp file; a crash mid-create a directory without config.
    fs::write(root.join(&id).join("state.json.tmp"), b"{\"Sta").unwrap();
    let half = "f".repeat(64);
    fs::create_dir_all(root.join(&half).join("upper")).unwrap();
    fs::write(root.join(&half).join("state.json"), b"{}").unwrap();
    t.store = Some(Containers::open(t.options.clone(), FakeImages::default()).unwrap());
    assert_eq!(t.c().list().len(), 1);
    assert_eq!(t.c().inspect(&id).unwrap().state.status, State::Created);
    assert!(!root.join(&id).join("state.json.tmp").exists());
    assert!(!root.join(&half).exists());
}

#[test]
fn a_second_owner_of_one_store_is_refused() {
    if !root_or_skip("a_second_owner_of_one_store_is_refused") {
        return;
    }
    let t = TestStore::new();
    let e = Containers::open(t.options.clone(), FakeImages::default()).unwrap_err();
    assert!(e.to_string().contains(".lock"), "{e}");
    assert!(t.c().list().is_empty());
}

#[test]
fn each_container_gets_a_private_network_with_only_loopback_up() {
    if !root_or_skip("each_container_gets_a_private_network_with_only_loopback_up") {
        return;
    }
    let t = TestStore::new();
    // Alive together until the end, so no namespace (nor its inode number) can be freed and
    // reused between them: the pool must hand each its own.
    let script = "readlink /proc/self/ns/net; ls /sys/class/net; cat /sys/class/net/lo/flags; \
                  exec sleep 1000";
    let ids: Vec<String> = (0..3).map(|_| t.create(&["sh", "-c", script])).collect();
    for id in &ids {
        t.c().start(id).unwrap();
    }
    let host = fs::read_link("/proc/self/ns/net").unwrap();
    let mut seen: Vec<String> = Vec::new();
    for id in &ids {
        let deadline = Instant::now() + SOON;
        while output(&t, id).0.lines().count() < 3 {
            assert!(Instant::now() < deadline, "{id} never printed its network");
            std::thread::sleep(Duration::from_millis(10));
        }
        let (out, _) = output(&t, id);
        let (ns, rest) = out.split_once('\n').unwrap();
        assert_eq!(rest, "lo\n0x9\n");
        assert_ne!(PathBuf::from(ns), host);
        assert!(!seen.iter().any(|s| s == ns), "{ns} handed out twice");
        seen.push(ns.to_string());
    }
    for id in &ids {
        t.c().remove(id, true).unwrap();
    }
}

#[test]
fn pause_freezes_and_a_signal_resumes_as_dockerd_does() {
    if !root_or_skip("pause_freezes_and_a_signal_resumes_as_dockerd_does") {
        return;
    }
    let t = TestStore::new();
    let id = t.create(&["sh", "-c", "while true; do echo x; sleep 0.02; done"]);
    let text = |r: Result<(), LifecycleError>| r.unwrap_err().to_string();
    assert_eq!(
        text(t.c().pause(&id)),
        format!("Container {id} is not running")
    );
    t.c().start(&id).unwrap();
    t.c().pause(&id).unwrap();
    let s = t.c().inspect(&id).unwrap().state;
    assert_eq!(s.status, State::Paused);
    // Frozen: nothing more reaches the log, once what was in the pipe at the freeze is read
    // (a reader thread can be descheduled for a while on a loaded machine, hence the window).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut frozen = output(&t, &id).0.len();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = output(&t, &id).0.len();
        if now == frozen {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the log kept growing while paused"
        );
        frozen = now;
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(output(&t, &id).0.len(), frozen);
    assert_eq!(
        text(t.c().pause(&id)),
        format!("Container {id} is already paused")
    );
    assert_eq!(
        text(t.c().start(&id)),
        "cannot start a paused container, try unpause instead"
    );
    let e = t.c().remove(&id, false).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("You cannot remove a paused container"),
        "{e}"
    );
    t.c().unpause(&id).unwrap();
    assert_eq!(
        text(t.c().unpause(&id)),
        format!("Container {id} is not paused")
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while output(&t, &id).0.len() == frozen {
        assert!(
            Instant::now() < deadline,
            "the log never grew after unpause"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // A signal to a paused container resumes it (PID 1 without a handler ignores TERM).
    t.c().pause(&id).unwrap();
    t.c().kill(&id, "TERM").unwrap();
    assert_eq!(t.c().inspect(&id).unwrap().state.status, State::Running);
    // Stop of a paused container: TERM, resume, KILL after the timeout.
    t.c().pause(&id).unwrap();
    t.c().stop(&id, Duration::from_millis(100)).unwrap();
    let s = t.c().inspect(&id).unwrap().state;
    assert_eq!((s.status, s.exit_code), (State::Exited, 137));
    t.c().remove(&id, false).unwrap();
}

#[test]
fn exec_runs_in_the_container_and_records_its_exit() {
    if !root_or_skip("exec_runs_in_the_container_and_records_its_exit") {
        return;
    }
    let t = TestStore::new();
    let id = t.create_with(&["sleep", "1000"], |o| {
        o.env = vec!["FROM_CONTAINER=1".into()];
        o.working_dir = Some("/tmp".into());
    });
    let options = |cmd: &[&str]| ExecOptions {
        cmd: cmd.iter().map(|s| s.to_string()).collect(),
        attach_stdout: true,
        attach_stderr: true,
        ..ExecOptions::default()
    };
    let text = |e: LifecycleError| e.to_string();
    assert_eq!(
        text(t.c().exec_create(&id, options(&["true"])).unwrap_err()),
        format!("Container {id} is not running")
    );
    t.c().start(&id).unwrap();
    assert_eq!(
        text(t.c().exec_create(&id, options(&[])).unwrap_err()),
        "No exec command specified"
    );
    let mut o = options(&[
        "sh",
        "-c",
        "echo $FROM_CONTAINER $A $(pwd) $(hostname); echo e >&2; exit 5",
    ]);
    o.env = vec!["A=2".into()];
    let exec = t.c().exec_create(&id, o).unwrap();
    let inspect = t.c().exec_inspect(&exec).unwrap();
    assert_eq!(
        (inspect.running, inspect.exit_code, inspect.pid),
        (false, None, 0)
    );
    let streams = t.c().exec_start(&exec, false).unwrap();
    let read = |f: Option<std::fs::File>| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f.unwrap(), &mut s).unwrap();
        s
    };
    let (out, err) = (read(streams.stdout), read(streams.stderr));
    assert_eq!(out, format!("1 2 /tmp {}\n", &id[..12]));
    assert_eq!(err, "e\n");
    assert_eq!(t.c().exec_wait(&exec, None).unwrap(), Some(5));
    let inspect = t.c().exec_inspect(&exec).unwrap();
    assert_eq!((inspect.running, inspect.exit_code), (false, Some(5)));
    assert!(inspect.pid > 0);
    assert_eq!(
        text(t.c().exec_start(&exec, false).unwrap_err()),
        format!("Error: Exec command {exec} has already run")
    );
    // Not in the container's log.
    assert_eq!(output(&t, &id), (String::new(), String::new()));
    // A missing command: dockerd's text, exit code 126.
    let missing = t.c().exec_create(&id, options(&["nosuch"])).unwrap();
    assert_eq!(
        text(t.c().exec_start(&missing, false).unwrap_err()),
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \
         \"nosuch\": executable file not found in $PATH: unknown"
    );
    assert_eq!(t.c().exec_inspect(&missing).unwrap().exit_code, Some(126));
    // Paused: refused; removed with the container.
    t.c().pause(&id).unwrap();
    assert_eq!(
        text(t.c().exec_create(&id, options(&["true"])).unwrap_err()),
        format!("Container {id} is paused, unpause the container before exec")
    );
    t.c().remove(&id, true).unwrap();
    assert_eq!(
        text(t.c().exec_inspect(&exec).unwrap_err()),
        format!("No such exec instance: {exec}")
    );
}

#[test]
fn network_modes_follow_dockerd() {
    if !root_or_skip("network_modes_follow_dockerd") {
        return;
    }
    let t = TestStore::new();
    let err = |e: LifecycleError| (e.kind(), e.to_string());
    let ns_of = |pid: &str| {
        fs::read_link(format!("/proc/{pid}/ns/net"))
            .unwrap()
            .display()
            .to_string()
    };
    let run = |id: &str| {
        t.c().start(id).unwrap();
        assert_eq!(wait(&t, id, WaitCondition::NotRunning).status_code, 0);
        output(&t, id).0
    };
    let script = "readlink /proc/self/ns/net; readlink /proc/self/ns/uts; hostname; cat /etc/hosts";
    let with = |mode: &str| {
        let mode = mode.to_string();
        t.create_with(&["sh", "-c", script], move |o| o.network_mode = mode)
    };

    // host: the host's namespace, hostname and hosts file, in a UTS namespace of its own.
    let host = with("host");
    let nodename = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let c = t.c().inspect(&host).unwrap().config;
    assert_eq!(
        (
            c.config.hostname.as_str(),
            c.host_config.network_mode.as_str()
        ),
        (nodename.trim(), "host")
    );
    let out = run(&host);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], ns_of("self"));
    assert_ne!(
        lines[1],
        fs::read_link("/proc/self/ns/uts")
            .unwrap()
            .display()
            .to_string()
    );
    assert_eq!(lines[2], nodename.trim());
    assert!(out.ends_with(&fs::read_to_string("/etc/hosts").unwrap()));

    // none and bridge: a namespace of its own, as by default.
    for mode in ["none", "bridge"] {
        let id = with(mode);
        assert_eq!(
            t.c().inspect(&id).unwrap().config.host_config.network_mode,
            mode
        );
        let out = run(&id);
        assert_ne!(out.lines().next().unwrap(), ns_of("self"));
    }
    assert_eq!(
        t.c()
            .inspect(&t.create(&["true"]))
            .unwrap()
            .config
            .host_config
            .network_mode,
        "default"
    );

    // container:<name>: recorded by full ID, joins its namespace and takes its hostname.
    let target = t.create(&["sleep", "1000"]);
    t.c().start(&target).unwrap();
    let target_info = t.c().inspect(&target).unwrap();
    let name = target_info.config.name.bare().to_string();
    let joiner = with(&format!("container:{name}"));
    assert_eq!(
        t.c()
            .inspect(&joiner)
            .unwrap()
            .config
            .host_config
            .network_mode,
        format!("container:{target}")
    );
    let out = run(&joiner);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], ns_of(&target_info.state.pid.to_string()));
    assert_eq!(lines[2], &target[..12]);
    assert_eq!(
        t.c().inspect(&joiner).unwrap().config.config.hostname,
        &target[..12]
    );

    // dockerd's refusals: at create, then as failed starts (exit code 128, still created).
    let create = |mode: &str, hostname: Option<&str>| {
        t.c().create(berth_lifecycle::CreateOptions {
            image: "busybox".into(),
            cmd: vec!["true".into()],
            network_mode: mode.into(),
            hostname: hostname.map(String::from),
            ..Default::default()
        })
    };
    assert_eq!(
        err(create("container:x", Some("h")).unwrap_err()),
        (
            ErrorKind::InvalidParameter,
            "conflicting options: hostname and the network mode".into()
        )
    );
    assert_eq!(
        err(create("container:", None).unwrap_err()),
        (
            ErrorKind::InvalidParameter,
            "Invalid network mode: invalid container format container:<name|id>".into()
        )
    );
    let named = create("host", Some("chosen")).unwrap();
    assert_eq!(
        t.c()
            .inspect(named.as_str())
            .unwrap()
            .config
            .config
            .hostname,
        "chosen"
    );
    t.c().stop(&target, Duration::from_secs(0)).unwrap();
    let failed_start = |mode: &str| {
        let id = create(mode, None).unwrap();
        let e = err(t.c().start(id.as_str()).unwrap_err());
        let s = t.c().inspect(id.as_str()).unwrap().state;
        assert_eq!(
            (s.status, s.exit_code, s.error.as_str()),
            (State::Created, 128, e.1.as_str())
        );
        e
    };
    assert_eq!(
        failed_start("mynet"),
        (ErrorKind::NotFound, "network mynet not found".into())
    );
    assert_eq!(
        failed_start("container:nosuch"),
        (ErrorKind::NotFound, "No such container: nosuch".into())
    );
    assert_eq!(
        failed_start(&format!("container:{name}")),
        (
            ErrorKind::Conflict,
            format!("cannot join network of a non running container: {target}")
        )
    );
    let own = t
        .c()
        .create(berth_lifecycle::CreateOptions {
            image: "busybox".into(),
            name: Some("own".into()),
            cmd: vec!["true".into()],
            network_mode: "container:own".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        err(t.c().start(own.as_str()).unwrap_err()),
        (ErrorKind::System, "cannot join own network".into())
    );
}

#[test]
fn binds_show_host_paths_and_stay_out_of_the_container_layer() {
    if !root_or_skip("binds_show_host_paths_and_stay_out_of_the_container_layer") {
        return;
    }
    let t = TestStore::new();
    let host = tempfile::tempdir().unwrap();
    fs::write(host.path().join("seed"), "from the host\n").unwrap();
    fs::write(host.path().join("file"), "one file\n").unwrap();
    let dir = host.path().display().to_string();
    let missing = host.path().join("made/at/start");
    let id = t.create_with(
        &[
            "sh",
            "-c",
            "cat /data/seed /etc/one; echo back > /data/written; ls /new; \
             touch /ro/x 2>/dev/null || echo read-only",
        ],
        |o| {
            o.binds = vec![
                format!("{dir}:/data"),
                format!("{}:/new/:rw", missing.display()),
                format!("{dir}:/ro:ro,Z"),
            ];
            o.mounts = vec![berth_lifecycle::MountRequest {
                kind: "bind".into(),
                source: format!("{dir}/file"),
                target: "/etc/one".into(),
                read_only: true,
            }];
        },
    );
    let points = t.c().inspect(&id).unwrap().config.host_config.mount_points;
    let shown: Vec<(&str, &str, bool)> = points
        .iter()
        .map(|p| (p.destination.as_str(), p.mode.as_str(), p.rw))
        .collect();
    assert_eq!(
        shown,
        [
            ("/data", "", true),
            ("/new", "rw", true),
            ("/ro", "ro,Z", false),
            ("/etc/one", "", false)
        ]
    );
    assert!(
        !missing.exists(),
        "a -v source is made at start, not at create"
    );
    t.c().start(&id).unwrap();
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    assert_eq!(output(&t, &id).0, "from the host\none file\nread-only\n");
    assert!(missing.is_dir());
    assert_eq!(
        fs::read_to_string(host.path().join("written")).unwrap(),
        "back\n"
    );
    // The mount points the image lacked are the container's only changes (the fixture has
    // /data); what went through a bind is not one.
    let mut changes: Vec<String> = t
        .c()
        .changes(&id)
        .unwrap()
        .iter()
        .map(|c| c.path.clone())
        .collect();
    changes.sort();
    assert_eq!(changes, ["/etc", "/etc/one", "/new", "/ro"]);

    // dockerd's refusals, at create.
    let refused = |binds: &[&str]| {
        t.c()
            .create(berth_lifecycle::CreateOptions {
                image: "busybox".into(),
                cmd: vec!["true".into()],
                binds: binds.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            })
            .unwrap_err()
    };
    let e = refused(&["/a:/x", "/b:/x"]);
    assert_eq!(
        (e.kind(), e.to_string()),
        (
            ErrorKind::InvalidParameter,
            "Duplicate mount point: /x".into()
        )
    );
    let e = refused(&["/a:/x:ro:z"]);
    assert_eq!(
        (e.kind(), e.to_string()),
        (
            ErrorKind::System,
            "invalid volume specification: '/a:/x:ro:z'".into()
        )
    );
    assert!(refused(&["name:/x"])
        .to_string()
        .contains("berth has no volumes"));
}
