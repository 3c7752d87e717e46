//! Live container I/O on real containers: several attached clients, attach before start, log
//! replay, stdin (with StdinOnce), a pty (raw output, `tty`, resize), `follow_logs` without
//! gap or duplicate, and a slow client dropped without stalling the run.

use std::io::Write;
use std::time::{Duration, Instant};

use berth_lifecycle::{
    AttachOptions, LifecycleError, Output, OutputReceiver, Stream, WaitCondition,
};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::mpsc::Receiver;

use crate::common::{root_or_skip, TestStore};
use crate::{output, wait, SOON};

const ALL: AttachOptions = AttachOptions {
    stdin: false,
    stdout: true,
    stderr: true,
    logs: false,
    stream: true,
};

/// The two kinds of receivers the tests drain: attach output and log follow.
trait TryRecv<T> {
    fn try_recv(&mut self) -> Result<T, TryRecvError>;
}

impl<T> TryRecv<T> for Receiver<T> {
    fn try_recv(&mut self) -> Result<T, TryRecvError> {
        Receiver::try_recv(self)
    }
}

impl TryRecv<Output> for OutputReceiver {
    fn try_recv(&mut self) -> Result<Output, TryRecvError> {
        OutputReceiver::try_recv(self)
    }
}

/// Everything a receiver yields until it closes; panics if it stays open past [`SOON`].
fn drain<T>(rx: &mut impl TryRecv<T>) -> Vec<T> {
    let deadline = Instant::now() + SOON;
    let mut got = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(item) => got.push(item),
            Err(TryRecvError::Disconnected) => return got,
            Err(TryRecvError::Empty) => {
                assert!(
                    Instant::now() < deadline,
                    "receiver still open after {SOON:?}"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// The bytes of one stream, concatenated.
fn text(outputs: &[Output], stream: Stream) -> String {
    let bytes: Vec<u8> = outputs
        .iter()
        .filter(|o| o.stream == stream)
        .flat_map(|o| o.bytes.iter().copied())
        .collect();
    String::from_utf8(bytes).unwrap()
}

/// Polls the log until `done` holds for it.
/// Waits until the log's stdout and stderr satisfy `done`. The two streams are read by separate
/// threads, so one being logged says nothing about the other.
fn until_logged(t: &TestStore, id: &str, done: impl Fn(&str, &str) -> bool) {
    let deadline = Instant::now() + SOON;
    while !{
        let (out, err) = output(t, id);
        done(&out, &err)
    } {
        assert!(Instant::now() < deadline, "log never got there");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn numbers(from: u32, to: u32) -> String {
    (from..=to).map(|i| format!("{i}\n")).collect()
}

#[test]
fn two_clients_attached_before_start_each_get_the_whole_run() {
    if !root_or_skip("two_clients_attached_before_start_each_get_the_whole_run") {
        return;
    }
    let t = TestStore::new();
    let script = "for i in $(seq 1 300); do echo out$i; echo err$i >&2; done";
    let id = t.create(&["sh", "-c", script]);
    let mut a = t.c().attach(&id, ALL).unwrap();
    let mut b = t.c().attach(&id, ALL).unwrap();
    let only_err = AttachOptions {
        stdout: false,
        ..ALL
    };
    let mut c = t.c().attach(&id, only_err).unwrap();
    assert!(!a.tty && a.stdin.is_none());
    t.c().start(&id).unwrap();
    let (a, b, c) = (
        drain(&mut a.output),
        drain(&mut b.output),
        drain(&mut c.output),
    );
    let want_out: String = (1..=300).map(|i| format!("out{i}\n")).collect();
    let want_err: String = (1..=300).map(|i| format!("err{i}\n")).collect();
    for got in [&a, &b] {
        assert_eq!(text(got, Stream::Stdout), want_out);
        assert_eq!(text(got, Stream::Stderr), want_err);
    }
    assert_eq!(
        (text(&c, Stream::Stdout), text(&c, Stream::Stderr)),
        (String::new(), want_err)
    );
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
}

#[test]
fn attach_replays_the_log_only_with_logs_and_closes_without_stream() {
    if !root_or_skip("attach_replays_the_log_only_with_logs_and_closes_without_stream") {
        return;
    }
    let t = TestStore::new();
    let id = t.create_with(
        &["sh", "-c", "echo early; echo warn >&2; read x; echo late"],
        |o| {
            o.open_stdin = true;
        },
    );
    t.c().start(&id).unwrap();
    until_logged(&t, &id, |out, err| out == "early\n" && err == "warn\n");
    // Attached after both lines were logged: without logs it sees neither.
    let mut live = t
        .c()
        .attach(&id, AttachOptions { stdin: true, ..ALL })
        .unwrap();
    let replay = AttachOptions {
        logs: true,
        stream: false,
        stderr: false,
        ..ALL
    };
    let past = drain(&mut t.c().attach(&id, replay).unwrap().output);
    assert_eq!(
        (text(&past, Stream::Stdout), past.len()),
        ("early\n".into(), 1)
    );
    let nothing = AttachOptions {
        stream: false,
        ..ALL
    };
    assert!(drain(&mut t.c().attach(&id, nothing).unwrap().output).is_empty());
    let mut stdin = live.stdin.take().expect("open_stdin gives a writer");
    stdin.write_all(b"go\n").unwrap();
    let got = drain(&mut live.output);
    assert_eq!(text(&got, Stream::Stdout), "late\n");
    assert_eq!(text(&got, Stream::Stderr), "");
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    // After the run: logs and stream replays everything, then closes (nothing runs).
    let both = AttachOptions {
        logs: true,
        stream: false,
        ..ALL
    };
    let all = drain(&mut t.c().attach(&id, both).unwrap().output);
    assert_eq!(text(&all, Stream::Stdout), "early\nlate\n");
    assert_eq!(text(&all, Stream::Stderr), "warn\n");
}

#[test]
fn stdin_round_trip_with_stdin_once() {
    if !root_or_skip("stdin_round_trip_with_stdin_once") {
        return;
    }
    let t = TestStore::new();
    let id = t.create_with(&["cat"], |o| {
        o.open_stdin = true;
        o.stdin_once = true;
    });
    let opts = AttachOptions { stdin: true, ..ALL };
    let mut a = t.c().attach(&id, opts).unwrap();
    let mut stdin = a.stdin.take().expect("open_stdin gives a writer");
    // Written before the start: it waits in the pipe.
    stdin.write_all(b"hello\n").unwrap();
    t.c().start(&id).unwrap();
    stdin.write_all(b"world\n").unwrap();
    drop(stdin);
    assert_eq!(
        text(&drain(&mut a.output), Stream::Stdout),
        "hello\nworld\n"
    );
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    let inspect = t.c().inspect(&id).unwrap().config.config;
    assert!(inspect.open_stdin && inspect.stdin_once && !inspect.tty);

    // Without OpenStdin there is no writer, and the process reads EOF at once.
    let id = t.create(&["cat"]);
    let mut a = t.c().attach(&id, opts).unwrap();
    assert!(a.stdin.is_none());
    t.c().start(&id).unwrap();
    assert!(drain(&mut a.output).is_empty());
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
}

#[test]
fn a_tty_gives_raw_output_and_resizes() {
    if !root_or_skip("a_tty_gives_raw_output_and_resizes") {
        return;
    }
    let t = TestStore::new();
    let id = t.create_with(&["sh", "-c", "tty; echo err >&2; read x; stty size"], |o| {
        o.tty = true;
        o.open_stdin = true;
    });
    let mut a = t
        .c()
        .attach(&id, AttachOptions { stdin: true, ..ALL })
        .unwrap();
    assert!(a.tty);
    let not_running = t.c().resize(&id, 10, 20).unwrap_err();
    assert!(
        matches!(not_running, LifecycleError::NotRunning { .. }),
        "{not_running}"
    );
    t.c().start(&id).unwrap();
    until_logged(&t, &id, |out, _| out.contains("err"));
    t.c().resize(&id, 33, 77).unwrap();
    a.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    let got = drain(&mut a.output);
    assert!(got.iter().all(|o| o.stream == Stream::Stdout));
    // The terminal's line discipline: CRLF endings, stderr on the same stream, input echoed.
    assert_eq!(
        text(&got, Stream::Stdout),
        "/dev/pts/0\r\nerr\r\ngo\r\n33 77\r\n"
    );
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    assert!(t.c().inspect(&id).unwrap().config.config.tty);

    // Resizing a running container without a terminal does nothing, as in dockerd.
    let id = t.create_with(&["cat"], |o| o.open_stdin = true);
    t.c().start(&id).unwrap();
    t.c().resize(&id, 10, 20).unwrap();
    t.c().kill(&id, "KILL").unwrap();
}

#[test]
fn follow_logs_has_no_gap_and_no_duplicate() {
    if !root_or_skip("follow_logs_has_no_gap_and_no_duplicate") {
        return;
    }
    let t = TestStore::new();
    let script = "seq 1 1000; read x; seq 1001 30000; read y; exit 0";
    let id = t.create_with(&["sh", "-c", script], |o| {
        o.open_stdin = true;
        o.stdin_once = true;
    });
    let mut stdin = t
        .c()
        .attach(
            &id,
            AttachOptions {
                stdin: true,
                stream: false,
                ..ALL
            },
        )
        .unwrap()
        .stdin
        .unwrap();
    t.c().start(&id).unwrap();
    until_logged(&t, &id, |out, _| out.ends_with("\n1000\n"));
    // Released, then followed while it writes.
    stdin.write_all(b"\n").unwrap();
    let follow = t.c().follow_logs(&id).unwrap();
    let mut live = follow.live.expect("running: live entries follow");
    let mut got: String = follow.past.into_iter().map(|e| e.bytes).collect();
    let want = numbers(1, 30000);
    let deadline = Instant::now() + SOON;
    while got.len() < want.len() {
        match live.try_recv() {
            Ok(e) => got.push_str(&e.bytes),
            Err(TryRecvError::Empty) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(e) => panic!("live ended early ({e:?}) after {} bytes", got.len()),
        }
    }
    assert!(got == want, "past + live differ from 1..=30000");
    drop(stdin);
    assert!(drain(&mut live).is_empty());
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    let done = t.c().follow_logs(&id).unwrap();
    assert!(done.live.is_none());
    assert_eq!(done.past.into_iter().count(), 30000);
}

#[test]
fn a_slow_client_is_dropped_without_stalling_the_run() {
    if !root_or_skip("a_slow_client_is_dropped_without_stalling_the_run") {
        return;
    }
    let t = TestStore::new();
    // 16 MB in lines of 501 bytes, far more than a client may lag behind, in 1 MB pieces. Each
    // piece waits for a line on stdin, which the reading client sends once it has the piece
    // before: only a client that stops reading can fall behind, however the threads are
    // scheduled.
    let script = "for i in $(seq 16); do yes $(printf %0500d 0) | head -c 1000000; read x; done";
    let id = t.create_with(&["sh", "-c", script], |o| o.open_stdin = true);
    let mut slow = t.c().attach(&id, ALL).unwrap();
    let fast = t
        .c()
        .attach(&id, AttachOptions { stdin: true, ..ALL })
        .unwrap();
    let (mut output, mut stdin) = (fast.output, fast.stdin.unwrap());
    let counter = std::thread::spawn(move || {
        let (mut n, mut released) = (0usize, 0usize);
        while let Some(o) = output.blocking_recv() {
            n += o.bytes.len();
            while n >= (released + 1) * 1_000_000 {
                released += 1;
                stdin.write_all(b"\n").unwrap();
            }
        }
        n
    });
    t.c().start(&id).unwrap();
    // Nobody reads `slow`, and the run still ends.
    assert_eq!(wait(&t, &id, WaitCondition::NotRunning).status_code, 0);
    assert_eq!(counter.join().unwrap(), 16_000_000);
    let kept: usize = drain(&mut slow.output).iter().map(|o| o.bytes.len()).sum();
    assert!(kept < 16_000_000, "the slow client was never dropped");
}
