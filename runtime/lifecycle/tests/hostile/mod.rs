//! Images that attack the host through the passwd file a start reads: a FIFO, a directory, a
//! device, a link to `/dev/zero` or out of the image to the host's `/etc/shadow`, a file of
//! 100 MB. Each must fail the start clearly (or be read inside the container's own root) and
//! never hold up the other containers. The user is looked up in what the container sees: its
//! own changes over the image, whiteouts included.

use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{ExecOptions, State, WaitCondition};
use rustix::fs::{FileType, Mode};

use crate::common::{root_or_skip, FakeImages, TestStore};
use crate::{output, wait};

/// How long a verb may take before the test calls it blocked. A liveness bound, not a timing
/// claim: the calls answer in milliseconds, a blocked one never does.
const BLOCKED: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread and fails the test if it has not answered within [`BLOCKED`]
/// (the thread is abandoned: a blocked call cannot be joined).
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

/// A store whose image `committed` is busybox with a top layer that `build` fills.
fn hostile(build: impl FnOnce(&Path)) -> (tempfile::TempDir, TestStore) {
    let top = tempfile::tempdir().unwrap();
    fs::create_dir_all(top.path().join("etc")).unwrap();
    build(top.path());
    let t = TestStore::with_images(FakeImages(Some(top.path().to_path_buf())));
    (top, t)
}

fn create_as(t: &TestStore, user: &str, argv: &[&str]) -> String {
    t.create_with(argv, |o| {
        o.image = "committed".into();
        o.user = Some(user.to_string());
    })
}

fn mknod(path: &Path, kind: FileType, dev: u64) {
    rustix::fs::mknodat(rustix::fs::CWD, path, kind, Mode::from_raw_mode(0o644), dev).unwrap();
}

/// Starts a container of the hostile image as `user` and answers the start's error text,
/// after checking that the failure is recorded as dockerd records it.
fn failed_start(t: &TestStore, user: &str) -> String {
    let id = create_as(t, user, &["true"]);
    let c = t.c();
    let e = c.start(&id).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::System, "{e}");
    let s = c.inspect(&id).unwrap().state;
    assert_eq!(
        (s.status, s.exit_code, s.error.as_str()),
        (State::Created, 128, e.to_string().as_str())
    );
    e.to_string()
}

#[test]
fn start_with_a_fifo_passwd_fails_at_once_instead_of_hanging() {
    if !root_or_skip("start_with_a_fifo_passwd_fails_at_once_instead_of_hanging") {
        return;
    }
    let (_top, t) = hostile(|top| mknod(&top.join("etc/passwd"), FileType::Fifo, 0));
    let t = Arc::new(t);
    let t2 = t.clone();
    let text = bounded("start", move || failed_start(&t2, "nobody"));
    assert_eq!(
        text,
        "unable to find user nobody: open /etc/passwd: not a regular file"
    );
    // Even root is looked up in the passwd file (runc does), so it fails alike.
    let t2 = t.clone();
    let text = bounded("start", move || failed_start(&t2, ""));
    assert_eq!(
        text,
        "unable to find user 0: open /etc/passwd: not a regular file"
    );
}

#[test]
fn hostile_passwd_files_fail_the_start_with_a_clear_error() {
    if !root_or_skip("hostile_passwd_files_fail_the_start_with_a_clear_error") {
        return;
    }
    type Build = fn(&Path);
    let cases: [(&str, Build, &str, &str); 6] = [
        (
            "directory",
            |top| fs::create_dir(top.join("etc/passwd")).unwrap(),
            "",
            // dockerd: `read <its host path>/merged/etc/passwd: is a directory`.
            "unable to find user 0: read /etc/passwd: is a directory",
        ),
        (
            "device",
            |top| {
                let zero = rustix::fs::makedev(1, 5);
                mknod(&top.join("etc/passwd"), FileType::CharacterDevice, zero)
            },
            "nobody",
            "unable to find user nobody: open /etc/passwd: not a regular file",
        ),
        (
            "link to /dev/zero",
            // The container's /dev/zero is the sandbox's; in the image there is none, so
            // (as on dockerd, which resolves it in the image too) there is no passwd at all.
            |top| std::os::unix::fs::symlink("/dev/zero", top.join("etc/passwd")).unwrap(),
            "nobody",
            "unable to find user nobody: no matching entries in passwd file",
        ),
        (
            "100 MB",
            |top| {
                let f = fs::File::create(top.join("etc/passwd")).unwrap();
                f.set_len(100 << 20).unwrap();
            },
            "nobody",
            "unable to find user nobody: read /etc/passwd: file too large (over the limit of \
             16 MiB)",
        ),
        (
            "link loop",
            |top| std::os::unix::fs::symlink("passwd", top.join("etc/passwd")).unwrap(),
            "nobody",
            "unable to find user nobody: open /etc/passwd: too many levels of symbolic links",
        ),
        (
            "one endless line",
            |top| fs::write(top.join("etc/passwd"), "x".repeat(70_000)).unwrap(),
            "nobody",
            // runc's parser (Go's bufio.Scanner) gives up on a line over 64 KiB.
            "unable to find user nobody: bufio.Scanner: token too long",
        ),
    ];
    for (what, build, user, want) in cases {
        let (_top, t) = hostile(build);
        let t = Arc::new(t);
        let t2 = t.clone();
        let user = user.to_string();
        let text = bounded(what, move || failed_start(&t2, &user));
        assert_eq!(text, want, "{what}");
    }
}

#[test]
fn a_passwd_link_out_of_the_image_reads_the_images_file_never_the_hosts() {
    if !root_or_skip("a_passwd_link_out_of_the_image_reads_the_images_file_never_the_hosts") {
        return;
    }
    // On the host this path is /etc/shadow, which names root: read there, root would get a
    // uid from its "last changed" field.
    let link = |top: &Path| {
        std::os::unix::fs::symlink("../../../../etc/shadow", top.join("etc/passwd")).unwrap()
    };
    let host_shadow = fs::read_to_string("/etc/shadow").unwrap_or_default();
    assert!(host_shadow.starts_with("root:") || host_shadow.contains("\nroot:"));
    let (_top, t) = hostile(link);
    assert_eq!(
        failed_start(&t, "root"),
        "unable to find user root: no matching entries in passwd file"
    );
    // With a shadow file of its own, the image gets that one (the link resolved in its root).
    let (_top, t) = hostile(|top| {
        link(top);
        fs::write(top.join("etc/shadow"), "root:x:4242:4243::/r:/bin/sh\n").unwrap();
    });
    let id = create_as(&t, "root", &["sh", "-c", "id -u; id -g; echo $HOME"]);
    t.c().start(&id).unwrap();
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    assert_eq!(output(&t, &id).0, "4242\n4243\n/r\n");
}

#[test]
fn a_hostile_start_never_holds_up_other_containers() {
    if !root_or_skip("a_hostile_start_never_holds_up_other_containers") {
        return;
    }
    // A FIFO in the image, and a passwd just under the cap in one container's own layer (a
    // start that reads for a while).
    let (_top, t) = hostile(|top| mknod(&top.join("etc/passwd"), FileType::Fifo, 0));
    let t = Arc::new(t);
    let other = t.create(&["sleep", "1000"]);
    t.c().start(&other).unwrap();
    let fifo = create_as(&t, "nobody", &["true"]);
    let big = create_as(&t, "nobody:nogroup", &["true"]);
    let etc = t.c().inspect(&big).unwrap().upper_dir().join("etc");
    fs::create_dir_all(&etc).unwrap();
    let line = "someone:x:1:1::/:/bin/sh\n";
    fs::write(etc.join("passwd"), line.repeat((15 << 20) / line.len())).unwrap();
    let starter = {
        let t = t.clone();
        std::thread::spawn(move || {
            for _ in 0..20 {
                for id in [&fifo, &big] {
                    assert!(t.c().start(id).is_err());
                }
            }
        })
    };
    let mut answered = 0;
    while !starter.is_finished() || answered == 0 {
        let t2 = t.clone();
        let other = other.clone();
        let (listed, state) = bounded("ps and inspect", move || {
            (t2.c().list().len(), t2.c().inspect(&other).unwrap().state)
        });
        assert_eq!((listed, state.status), (3, State::Running));
        answered += 1;
    }
    starter.join().unwrap();
    t.c().remove(&other, true).unwrap();
}

#[test]
fn the_user_is_looked_up_in_what_the_container_sees() {
    if !root_or_skip("the_user_is_looked_up_in_what_the_container_sees") {
        return;
    }
    let t = TestStore::new();
    // A passwd added to a created container (as `docker cp` does) counts at its start.
    let id = t.create_with(&["sh", "-c", "id -u; echo $HOME"], |o| {
        o.user = Some("bob".into())
    });
    let e = t.c().start(&id).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unable to find user bob: no matching entries in passwd file"
    );
    let upper = t.c().inspect(&id).unwrap().upper_dir();
    fs::create_dir_all(upper.join("etc")).unwrap();
    fs::write(upper.join("etc/passwd"), "bob:x:888:888::/b:/bin/sh\n").unwrap();
    t.c().start(&id).unwrap();
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    assert_eq!(output(&t, &id).0, "888\n/b\n");

    // A passwd the container deleted (a whiteout in its upper dir) is gone at its restart.
    let id = t.create_with(&["rm", "/etc/passwd"], |o| o.user = Some("root".into()));
    t.c().start(&id).unwrap();
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    assert_eq!(
        t.c().start(&id).unwrap_err().to_string(),
        "unable to find user root: no matching entries in passwd file"
    );

    // An exec sees the running container's own passwd.
    let id = t.create(&[
        "sh",
        "-c",
        "echo bob:x:777:778::/home/bob:/bin/sh >> /etc/passwd; sleep 1000",
    ]);
    t.c().start(&id).unwrap();
    let exec_as_bob = || {
        let exec = t
            .c()
            .exec_create(
                &id,
                ExecOptions {
                    cmd: vec!["sh".into(), "-c".into(), "id -u; id -g; echo $HOME".into()],
                    user: "bob".into(),
                    attach_stdout: true,
                    ..ExecOptions::default()
                },
            )
            .unwrap();
        let streams = t.c().exec_start(&exec, false)?;
        let mut out = String::new();
        std::io::Read::read_to_string(&mut streams.stdout.unwrap(), &mut out).unwrap();
        Ok::<_, berth_lifecycle::LifecycleError>(out)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let out = loop {
        match exec_as_bob() {
            Ok(out) => break out,
            // The shell may not have appended yet.
            Err(e) if Instant::now() < deadline => {
                assert_eq!(
                    e.to_string(),
                    "unable to find user bob: no matching entries in passwd file"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(out, "777\n778\n/home/bob\n");
    t.c().remove(&id, true).unwrap();
}
