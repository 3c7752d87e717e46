//! The async side of the lifecycle, on real containers: `wait_async` and `stop_within` resolve
//! on the registry's change notifications (no thread held while they wait), and a container's
//! stdin can be written without blocking (`try_write` says `WouldBlock` when the pipe is full,
//! `writable_fd` is what to wait on). Every wait is bounded by [`SOON`].

use std::io::ErrorKind as IoKind;
use std::time::Duration;

use berth_lifecycle::{AttachOptions, State, WaitCondition};

use crate::common::{root_or_skip, TestStore};
use crate::{wait, SOON};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn wait_async_answers_at_the_exit_and_next_exit_counts_from_the_call() {
    if !root_or_skip("wait_async_answers_at_the_exit_and_next_exit_counts_from_the_call") {
        return;
    }
    let t = TestStore::new();
    let rt = runtime();
    let id = t.create(&["sh", "-c", "exit 5"]);
    // Registered before the start: the run's exit is the next one.
    let next = t.c().wait_async(&id, WaitCondition::NextExit).unwrap();
    t.c().start(&id).unwrap();
    let outcome = rt
        .block_on(async { tokio::time::timeout(SOON, next).await })
        .unwrap();
    assert_eq!(outcome.status_code, 5);
    // Not running already: answered at once, with the last exit.
    let now = t.c().wait_async(&id, WaitCondition::NotRunning).unwrap();
    let outcome = rt
        .block_on(async { tokio::time::timeout(SOON, now).await })
        .unwrap();
    assert_eq!(outcome.status_code, 5);
    // A removal ends a `removed` wait.
    let removed = t.c().wait_async(&id, WaitCondition::Removed).unwrap();
    t.c().remove(&id, false).unwrap();
    let outcome = rt
        .block_on(async { tokio::time::timeout(SOON, removed).await })
        .unwrap();
    assert_eq!(outcome.status_code, 5);
    assert!(t.c().wait_async("nope", WaitCondition::NotRunning).is_err());
}

#[test]
fn stop_within_kills_once_the_grace_resolves() {
    if !root_or_skip("stop_within_kills_once_the_grace_resolves") {
        return;
    }
    let t = TestStore::new();
    let rt = runtime();
    // sleep as PID 1 ignores SIGTERM: a grace that is already over means SIGKILL at once.
    let id = t.create(&["sleep", "1000"]);
    t.c().start(&id).unwrap();
    let stopped = t.c().stop_within(&id, std::future::ready(()));
    rt.block_on(async { tokio::time::timeout(SOON, stopped).await })
        .unwrap()
        .unwrap();
    let s = t.c().inspect(&id).unwrap().state;
    assert_eq!((s.status, s.exit_code), (State::Exited, 137));
    // A process that obeys SIGTERM ends on its own, even with a grace that never ends.
    let id = t.create(&[
        "sh",
        "-c",
        "trap 'exit 3' TERM; while true; do sleep 0.05; done",
    ]);
    t.c().start(&id).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let stopped = t.c().stop_within(&id, std::future::pending());
    rt.block_on(async { tokio::time::timeout(SOON, stopped).await })
        .unwrap()
        .unwrap();
    assert_eq!(t.c().inspect(&id).unwrap().state.exit_code, 3);
    // Not running: dockerd's 304.
    let e = rt
        .block_on(t.c().stop_within(&id, std::future::ready(())))
        .unwrap_err();
    assert_eq!(
        berth_core::Kind::kind(&e),
        berth_core::ErrorKind::NotModified
    );
}

#[test]
fn container_stdin_says_would_block_when_the_pipe_is_full() {
    if !root_or_skip("container_stdin_says_would_block_when_the_pipe_is_full") {
        return;
    }
    let t = TestStore::new();
    // A container that never reads its stdin.
    let id = t.create_with(&["sleep", "1000"], |o| o.open_stdin = true);
    t.c().start(&id).unwrap();
    let options = AttachOptions {
        stdin: true,
        ..AttachOptions::default()
    };
    let mut stdin = t.c().attach(&id, options).unwrap().stdin.unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut full = false;
    // A pipe holds 64 KiB by default, at most 1 MiB unprivileged: bounded either way.
    for _ in 0..64 {
        match stdin.try_write(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == IoKind::WouldBlock => {
                full = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(full, "the pipe never filled");
    assert!(stdin.writable_fd().is_ok());
    t.c().kill(&id, "KILL").unwrap();
    wait(&t, &id, WaitCondition::NotRunning);
    // The run ended: its stdin is gone.
    let e = stdin.try_write(b"x").unwrap_err();
    assert_eq!(e.kind(), IoKind::BrokenPipe, "{e}");
}
