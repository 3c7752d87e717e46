//! Hostile clients against a real `berth daemon` process: each test is named after an attack,
//! drives the daemon over its socket, checks the status and text dockerd 20.10 gives (checked
//! by hand against the reference dockerd), then checks that the daemon still answers `_ping`,
//! and that its peak resident memory (VmHWM) stayed under 256 MiB.
//!
//! The daemon runs in a process of its own so that its memory, threads and open-file limit
//! are its own: this test binary re-runs itself as the ignored test `harness::hostile_daemon_child`,
//! which calls `berth_daemon::run` (what `berth daemon` calls) with the configuration the
//! parent passes in environment variables. Every wait is bounded by a read timeout or a loop
//! count; no test asserts how long anything took.

mod harness;

use std::io::{BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde_json::Value;

use crate::{read_body, read_head, read_reply, ready, root_or_skip, send, Reply};
use harness::{filters, raise_own_open_files, Hostile, Setup};

#[test]
fn reference_filter_with_3000_stars_answers() {
    let test = "reference_filter_with_3000_stars_answers";
    if !ready(test) {
        return;
    }
    let d = Hostile::start(Setup {
        images: true,
        ..Setup::default()
    });
    // Before: a backtracking matcher that took minutes on two cores (dockerd: ~10 ms).
    let stars = format!("{}q", "*".repeat(3000));
    let (status, list) = d.json(
        "GET",
        &format!(
            "/images/json?{}",
            filters(&serde_json::json!({"reference": [stars]}))
        ),
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    // Stars between letters, the other classic blow-up, over every tag.
    let alternating = format!("{}z", "*o".repeat(3000));
    let (status, list) = d.json(
        "GET",
        &format!(
            "/images/json?{}",
            filters(&serde_json::json!({"reference": [alternating]}))
        ),
        None,
    );
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (200, Some(0)),
        "{list}"
    );
    // Ordinary patterns still match as dockerd matches them, listing only the matching tags.
    let (status, list) = d.json(
        "GET",
        &format!(
            "/images/json?{}",
            filters(&serde_json::json!({"reference": ["tool*"]}))
        ),
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list[0]["RepoTags"],
        serde_json::json!(["toolbox:latest"]),
        "{list}"
    );
    // A malformed pattern is dockerd's text (dockerd answers it with a 500).
    let (status, v) = d.json(
        "GET",
        &format!(
            "/images/json?{}",
            filters(&serde_json::json!({"reference": ["x["]}))
        ),
        None,
    );
    assert_eq!(
        (status, v["message"].as_str()),
        (400, Some("syntax error in pattern"))
    );
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn name_filter_with_a_pathological_regex_answers() {
    let test = "name_filter_with_a_pathological_regex_answers";
    if !ready(test) {
        return;
    }
    let d = Hostile::start(Setup {
        images: true,
        ..Setup::default()
    });
    for _ in 0..3 {
        d.create(&["/toolbox", "exit", "0"], "");
    }
    // Exponential for a backtracking engine, linear for this one; and one too big to compile.
    for pattern in ["^(a|a)*b$", "(x+x+)+y", "(a{1000}){1000}"] {
        let f = filters(&serde_json::json!({"name": [pattern]}));
        let (status, list) = d.json("GET", &format!("/containers/json?all=1&{f}"), None);
        assert_eq!(
            (status, list.as_array().map(Vec::len)),
            (200, Some(0)),
            "{pattern}: {list}"
        );
    }
    let f = filters(&serde_json::json!({"name": ["^/[a-z]+_[a-z]+$"]}));
    let (_, list) = d.json("GET", &format!("/containers/json?all=1&{f}"), None);
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn stop_with_max_int64_timeout_kills_at_once() {
    let test = "stop_with_max_int64_timeout_kills_at_once";
    if !ready(test) {
        return;
    }
    let d = Hostile::start(Setup {
        images: true,
        ..Setup::default()
    });
    let id = d.run(&["/toolbox", "ignore-term", "sleep"], "");
    // Before: 500 "task panicked: overflow when adding duration to instant". dockerd's
    // seconds-to-nanoseconds product wraps negative, so it kills at once and answers 204.
    let (status, v) = d.json(
        "POST",
        &format!("/containers/{id}/stop?t=9223372036854775807"),
        None,
    );
    assert_eq!(status, 204, "{v}");
    let (_, c) = d.json("GET", &format!("/containers/{id}/json"), None);
    assert_eq!(
        (
            c["State"]["Status"].as_str(),
            c["State"]["ExitCode"].as_i64()
        ),
        (Some("exited"), Some(137)),
        "{c}"
    );
    // The same wrap for restart; it runs again afterwards.
    let (status, v) = d.json(
        "POST",
        &format!("/containers/{id}/restart?t=9223372036854775807"),
        None,
    );
    assert_eq!(status, 204, "{v}");
    let (_, c) = d.json("GET", &format!("/containers/{id}/json"), None);
    assert_eq!(c["State"]["Status"].as_str(), Some("running"), "{c}");
    assert_eq!(
        d.json("POST", &format!("/containers/{id}/kill"), None).0,
        204
    );
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn create_with_text_plain_content_type_is_refused() {
    let test = "create_with_text_plain_content_type_is_refused";
    if !ready(test) {
        return;
    }
    let d = Hostile::start(Setup {
        images: true,
        ..Setup::default()
    });
    let body = br#"{"Image":"toolbox","Cmd":["/toolbox","exit","0"]}"#;
    let length = format!("Content-Length: {}", body.len());
    // What a web page may send cross-origin without a preflight.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let ct = format!("Content-Type: {content_type}");
        let r = d.raw("POST", "/containers/create", &[&ct, &length], body);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            (r.status, v["message"].as_str().unwrap()),
            (
                400,
                format!("Content-Type specified ({content_type}) must be 'application/json'")
                    .as_str()
            )
        );
    }
    // No Content-Type with a body, chunked or not, is refused as well.
    let r = d.raw("POST", "/containers/create", &[&length], body);
    assert_eq!(r.status, 400);
    let chunked = [
        format!("{:x}\r\n", body.len()).into_bytes(),
        body.to_vec(),
        b"\r\n0\r\n\r\n".to_vec(),
    ]
    .concat();
    let r = d.raw(
        "POST",
        "/containers/create",
        &["Transfer-Encoding: chunked"],
        &chunked,
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (r.status, v["message"].as_str()),
        (
            400,
            Some("Content-Type specified () must be 'application/json'")
        )
    );
    let (_, list) = d.json("GET", "/containers/json?all=1", None);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "a refused create ran: {list}"
    );
    // JSON with parameters is JSON.
    let ct = "Content-Type: application/json; charset=utf-8";
    let r = d.raw("POST", "/containers/create", &[ct, &length], body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    // The other JSON endpoints check it too, before anything else.
    let r = d.raw(
        "POST",
        "/commit?container=nope",
        &["Content-Type: text/plain"],
        b"",
    );
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let r = d.raw("POST", "/exec/nope/start", &["Content-Length: 0"], b"");
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (r.status, v["message"].as_str()),
        (400, Some("got EOF while reading request body"))
    );
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn thousand_idle_connections_leave_ping_answering() {
    let test = "thousand_idle_connections_leave_ping_answering";
    if !root_or_skip(test) {
        return;
    }
    raise_own_open_files();
    let d = Hostile::start(Setup::default());
    let idle: Vec<UnixStream> = (0..1200).map(|_| d.connect()).collect();
    // Half of them sent part of a request and stopped.
    for mut s in idle.iter().step_by(2) {
        s.write_all(b"GET /_ping HTTP/1.1\r\nHo").unwrap();
    }
    d.still_answers();
    let (status, _) = d.json("GET", "/containers/json?all=1", None);
    assert_eq!(status, 200);
    assert!(idle.len() >= 1000);
    d.peak_memory_is_bounded(test);
}

#[test]
fn slow_headers_are_cut_off_by_the_header_timeout() {
    let test = "slow_headers_are_cut_off_by_the_header_timeout";
    if !root_or_skip(test) {
        return;
    }
    let d = Hostile::start(Setup {
        header_timeout: Some(Duration::from_millis(500)),
        ..Setup::default()
    });
    let mut s = d.connect();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    // A request whose headers never end, one byte per 100 ms.
    let request = format!(
        "GET /_ping HTTP/1.1\r\nHost: d\r\nX-Slow: {}",
        "a".repeat(600)
    );
    let mut cut_off_after = None;
    for (sent, byte) in request.bytes().enumerate() {
        if s.write_all(&[byte]).is_err() {
            cut_off_after = Some(sent);
            break;
        }
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            // Closed by the daemon (or reset).
            Ok(0) => {
                cut_off_after = Some(sent);
                break;
            }
            Ok(_) => panic!("the daemon answered an unfinished request"),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                cut_off_after = Some(sent);
                break;
            }
        }
    }
    let sent = cut_off_after.expect("the slow client was never disconnected");
    assert!(sent < request.len());
    assert!(
        d.logs_eventually("sent no complete request headers within"),
        "{}",
        d.log()
    );
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn connection_cap_makes_new_clients_wait_and_says_so() {
    let test = "connection_cap_makes_new_clients_wait_and_says_so";
    if !root_or_skip(test) {
        return;
    }
    let d = Hostile::start(Setup {
        max_connections: Some(20),
        ..Setup::default()
    });
    let mut held: Vec<UnixStream> = (0..20).map(|_| d.connect()).collect();
    // The 21st waits in the listen backlog; the daemon says why, once.
    let mut waiting = d.connect();
    send(&mut waiting, "GET", "/_ping", None, &[]);
    assert!(
        d.logs_eventually("connection limit reached: 20 connections are open"),
        "{}",
        d.log()
    );
    // One closes: the waiting client is served.
    drop(held.pop());
    let r = read_reply(&mut BufReader::new(waiting));
    assert_eq!((r.status, r.body.as_slice()), (200, &b"OK"[..]));
    drop(held);
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn open_file_limit_is_raised_to_the_hard_limit() {
    let test = "open_file_limit_is_raised_to_the_hard_limit";
    if !root_or_skip(test) {
        return;
    }
    let d = Hostile::start(Setup {
        open_files: Some((300, 600)),
        ..Setup::default()
    });
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", d.pid())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers, ["600", "600"], "{line}");
    d.still_answers();
}

#[test]
fn descriptor_exhaustion_backs_off_instead_of_spinning() {
    let test = "descriptor_exhaustion_backs_off_instead_of_spinning";
    if !root_or_skip(test) {
        return;
    }
    raise_own_open_files();
    // Few descriptors and no cap below them: accept itself fails with EMFILE.
    let d = Hostile::start(Setup {
        open_files: Some((160, 160)),
        max_connections: Some(100_000),
        ..Setup::default()
    });
    let mut held = Vec::new();
    let mut backed_off = false;
    for _ in 0..400 {
        held.push(d.connect());
        // Doubling delays show the retries back off (5 ms, 10 ms, 20 ms, ...).
        if d.log().contains("retrying in 20ms") {
            backed_off = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..200 {
        if backed_off {
            break;
        }
        backed_off = d.log().contains("retrying in 20ms");
        std::thread::sleep(Duration::from_millis(25));
    }
    let log = d.log();
    assert!(backed_off, "{log}");
    assert!(
        log.contains("Too many open files") && log.contains("retrying in 5ms"),
        "{log}"
    );
    drop(held);
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn huge_json_body_is_refused_with_bounded_memory() {
    let test = "huge_json_body_is_refused_with_bounded_memory";
    if !root_or_skip(test) {
        return;
    }
    let d = Hostile::start(Setup::default());
    let json = "Content-Type: application/json";
    // Declared huge: refused before a byte of it is read.
    let r = d.raw(
        "POST",
        "/containers/create",
        &[json, "Content-Length: 107374182400"],
        b"{",
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (r.status, v["message"].as_str()),
        (
            400,
            Some("request body is too large (the limit is 1048576 bytes)")
        )
    );
    // Chunked and endless: read up to the limit only (the daemon answers, then hangs up).
    let mut s = d.connect();
    let head = "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    s.write_all(head.as_bytes()).unwrap();
    let chunk = [
        format!("{:x}\r\n", 64 << 10).into_bytes(),
        vec![b' '; 64 << 10],
        b"\r\n".to_vec(),
    ]
    .concat();
    for _ in 0..64 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let r = read_reply(&mut BufReader::new(s));
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn deeply_nested_json_is_refused() {
    let test = "deeply_nested_json_is_refused";
    if !root_or_skip(test) {
        return;
    }
    let d = Hostile::start(Setup::default());
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // Where the body is parsed into values (a command, a commit's config), nesting beyond
    // serde_json's limit is refused; where it is skipped (an unknown field), it is skipped
    // without recursion (the create then fails on the missing image, an ordinary 404).
    let body = format!(r#"{{"Image":"toolbox","Cmd":{}}}"#, nested(400_000));
    let (status, v) = d.json("POST", "/containers/create", Some(&body));
    assert_eq!(status, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("recursion limit"),
        "{v}"
    );
    let body = format!(r#"{{"Image":"toolbox","Bogus":{}}}"#, nested(400_000));
    let (status, v) = d.json("POST", "/containers/create", Some(&body));
    assert_eq!(status, 404, "{v}");
    let body = format!(r#"{{"Cmd":{}}}"#, nested(400_000));
    let (status, _) = d.json("POST", "/containers/x/exec", Some(&body));
    assert_eq!(status, 400);
    let (status, _) = d.json("POST", "/commit?container=x", Some(&nested(400_000)));
    assert_eq!(status, 400);
    let f = format!("filters={}", "%5B".repeat(1000));
    let (status, v) = d.json("GET", &format!("/containers/json?{f}"), None);
    assert_eq!(status, 400, "{v}");
    // A query string too long to be a request at all is hyper's 414.
    let f = format!("filters={}", "%5B".repeat(50_000));
    let (status, _) = d.json("GET", &format!("/containers/json?{f}"), None);
    assert_eq!(status, 414);
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

#[test]
fn out_of_range_numbers_are_400_in_dockerds_words() {
    let test = "out_of_range_numbers_are_400_in_dockerds_words";
    if !ready(test) {
        return;
    }
    let d = Hostile::start(Setup {
        images: true,
        ..Setup::default()
    });
    let id = d.run(
        &["/toolbox", "out", "a", "out", "b", "sleep"],
        r#","Tty":true"#,
    );
    // Every text checked against dockerd 20.10, which answers these with 500.
    let atoi = |s: &str, why: &str| format!("strconv.Atoi: parsing \"{s}\": {why}");
    let parse_int = |s: &str, why: &str| format!("strconv.ParseInt: parsing \"{s}\": {why}");
    let big = "99999999999999999999";
    let cases: Vec<(String, String)> = vec![
        (
            format!("/containers/{id}/stop?t={big}"),
            atoi(big, "value out of range"),
        ),
        (
            format!("/containers/{id}/stop?t=soon"),
            atoi("soon", "invalid syntax"),
        ),
        (
            format!("/containers/{id}/restart?t=1.5"),
            atoi("1.5", "invalid syntax"),
        ),
        (
            format!("/containers/{id}/resize?h={big}&w=1"),
            atoi(big, "value out of range"),
        ),
        (
            format!("/containers/{id}/resize?h=10"),
            atoi("", "invalid syntax"),
        ),
        (
            "/exec/nope/resize?h=x&w=1".to_string(),
            atoi("x", "invalid syntax"),
        ),
        (
            format!("/containers/json?limit={big}"),
            atoi(big, "value out of range"),
        ),
        (
            format!("/containers/{id}/logs?stdout=1&since={big}"),
            parse_int(big, "value out of range"),
        ),
        (
            format!("/containers/{id}/logs?stdout=1&until=1.{big}"),
            parse_int(big, "value out of range"),
        ),
        (
            format!("/containers/{id}/logs?stdout=1&since=1.5.5"),
            parse_int("5.5", "invalid syntax"),
        ),
        (
            format!("/containers/{id}/kill?signal={big}"),
            format!("Invalid signal: {big}"),
        ),
    ];
    for (path, message) in &cases {
        let method = match path.contains("/logs") || path.contains("/json") {
            true => "GET",
            false => "POST",
        };
        assert_eq!(d.error(method, path), (400, message.clone()), "{path}");
    }
    // Values dockerd accepts are accepted: huge sizes wrap as its 16-bit window size does,
    // a tail that is not a number is every line, a timestamp beyond Go's range wraps.
    for path in [
        format!("/containers/{id}/resize?h=-1&w=70000"),
        format!("/containers/{id}/resize?h=4294967296&w=1"),
    ] {
        assert_eq!(d.json("POST", &path, None).0, 200, "{path}");
    }
    let logs = |query: &str| {
        let mut s = d.connect();
        send(
            &mut s,
            "GET",
            &format!("/containers/{id}/logs?stdout=1&{query}"),
            None,
            &[],
        );
        let mut r = BufReader::new(s);
        let (status, headers) = read_head(&mut r);
        let head = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        let body = read_body(&mut r, &head);
        assert_eq!(status, 200, "{query}");
        String::from_utf8_lossy(&body).replace("\r\n", "\n")
    };
    // The output reaches the log a moment after the start.
    for _ in 0..400 {
        if logs("tail=all") == "a\nb\n" {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    for query in [
        "tail=abc",
        "tail=-5",
        &format!("tail={big}"),
        "since=9223372036854775807",
    ] {
        assert_eq!(logs(query), "a\nb\n", "{query}");
    }
    assert_eq!(logs("tail=1"), "b\n");
    // Limits in create, in dockerd's words.
    for (host_config, message) in [
        (r#"{"Memory":1}"#, "Minimum memory limit allowed is 6MB"),
        (r#"{"Memory":-1}"#, "Minimum memory limit allowed is 6MB"),
        (
            r#"{"OomScoreAdj":5000}"#,
            "Invalid value 5000, range for oom score adj is [-1000, 1000]",
        ),
        (r#"{"ShmSize":-1}"#, "SHM size can not be less than 0"),
    ] {
        let body = format!(r#"{{"Image":"toolbox","HostConfig":{host_config}}}"#);
        let (status, v) = d.json("POST", "/containers/create", Some(&body));
        assert_eq!(
            (status, v["message"].as_str()),
            (400, Some(message)),
            "{host_config}"
        );
    }
    let body = r#"{"Image":"toolbox","HostConfig":{"Memory":9223372036854775807,"PidsLimit":9223372036854775807,"CpuShares":9223372036854775807}}"#;
    assert_eq!(d.json("POST", "/containers/create", Some(body)).0, 201);
    assert_eq!(
        d.json("POST", &format!("/containers/{id}/kill"), None).0,
        204
    );
    d.still_answers();
    d.peak_memory_is_bounded(test);
}

/// Reads a whole wait answer: its status code.
fn wait_status(r: &mut BufReader<UnixStream>) -> i64 {
    let (status, headers) = read_head(r);
    assert_eq!(status, 200);
    let head = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    let body: Value = serde_json::from_slice(&read_body(r, &head)).unwrap();
    body["StatusCode"].as_i64().unwrap()
}

/// Sends a request on a connection of its own and keeps the connection to read it later.
fn pending(d: &Hostile, method: &str, path: &str, headers: &[&str]) -> BufReader<UnixStream> {
    let mut s = d.connect();
    send(&mut s, method, path, None, headers);
    BufReader::new(s)
}

#[test]
fn waits_stops_attaches_and_execs_hold_no_thread_each() {
    let test = "waits_stops_attaches_and_execs_hold_no_thread_each";
    if !ready(test) {
        return;
    }
    raise_own_open_files();
    let d = Hostile::start(Setup {
        images: true,
        ..Setup::default()
    });
    let id = d.run(
        &["/toolbox", "ignore-term", "sleep"],
        r#","OpenStdin":true"#,
    );
    let threads_before = d.status_field("Threads");
    // More than the 256 blocking threads the daemon has: before, the 257th request that
    // needed one (any ps, inspect, create) waited behind them.
    let waits: Vec<_> = (0..300)
        .map(|_| pending(&d, "POST", &format!("/containers/{id}/wait"), &[]))
        .collect();
    let stops: Vec<_> = (0..50)
        .map(|_| pending(&d, "POST", &format!("/containers/{id}/stop?t=-1"), &[]))
        .collect();
    let attach = format!("/containers/{id}/attach?stream=1&stdin=1&stdout=1");
    let upgrade = ["Connection: Upgrade", "Upgrade: tcp"];
    // One after the other, so that their short set-up calls share a blocking thread.
    let mut attaches = Vec::new();
    for _ in 0..50 {
        let mut a = pending(&d, "POST", &attach, &upgrade);
        assert_eq!(read_head(&mut a).0, 101);
        attaches.push(a);
    }
    let mut execs = Vec::new();
    for _ in 0..20 {
        let body = r#"{"Cmd":["/toolbox","sleep"],"AttachStdin":true,"AttachStdout":true}"#;
        let (status, v) = d.json("POST", &format!("/containers/{id}/exec"), Some(body));
        assert_eq!(status, 201, "{v}");
        let exec = v["Id"].as_str().unwrap().to_string();
        let mut s = d.connect();
        send(
            &mut s,
            "POST",
            &format!("/exec/{exec}/start"),
            Some(br#"{"Detach":false}"#),
            &upgrade,
        );
        let mut r = BufReader::new(s);
        assert_eq!(read_head(&mut r).0, 101);
        execs.push(r);
    }
    // Everything above is waiting. The engine still has its blocking threads for others.
    let (status, list) = d.json("GET", "/containers/json", None);
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (200, Some(1)),
        "{list}"
    );
    // The lifecycle watches each exec's process with a thread of its own (as each
    // container's), so 20 execs add 20; no client adds one.
    let threads = d.status_field("Threads");
    assert!(
        threads < threads_before + 20 + 20,
        "{threads} threads for 420 waiting clients ({threads_before} before)"
    );
    d.still_answers();
    // The container ends: every wait and stop answers.
    let (status, _) = d.json("POST", &format!("/containers/{id}/kill"), None);
    assert_eq!(status, 204);
    for mut w in waits {
        assert_eq!(wait_status(&mut w), 137);
    }
    for mut s in stops {
        assert_eq!(read_head(&mut s).0, 204);
    }
    for mut a in attaches {
        let mut rest = Vec::new();
        let _ = a.read_to_end(&mut rest);
    }
    d.still_answers();
    d.peak_memory_is_bounded(test);
}
