//! The attacks, one function each. A case returns what it saw (one line for the table) or why
//! the engine failed it. Names (images `hostile/...`, containers `hostile-...`) are the suite's
//! own, and each case removes what it made, since the reference dockerd is shared.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde_json::json;
use tar::EntryType;

use crate::archives::{self, Entry};
use crate::engine::{Engine, Kind};
use crate::Case;

pub fn all() -> Vec<Case> {
    let case = |name, run| Case {
        name,
        run,
        berth_only: None,
    };
    vec![
        case("gnu_long_name_bomb_in_a_load", gnu_long_name_bomb),
        case("pax_header_bomb_in_a_layer", pax_bomb_in_a_layer),
        case("layer_entries_that_climb_out", layer_escapes),
        Case {
            name: "fifo_as_etc_passwd",
            run: fifo_passwd,
            berth_only: Some("dockerd blocks this start for good, and a later rmi with it"),
        },
        case("etc_passwd_linked_to_dev_zero", dev_zero_passwd),
        case("etc_passwd_linked_to_the_hosts_shadow", host_shadow_passwd),
        case("reference_filter_of_3000_stars", reference_filter_stars),
        case("stop_with_the_largest_timeout", stop_max_timeout),
        case("create_with_content_type_text_plain", create_text_plain),
        case("create_with_a_64_mib_body", huge_body),
        case("create_with_json_nested_400000_deep", deep_json),
        case("numbers_that_do_not_parse", bad_numbers),
        case("a_client_that_never_finishes_its_headers", slow_headers),
        case("ten_thousand_idle_connections", idle_connections),
        case(
            "commit_while_a_directory_becomes_a_link_to_root",
            commit_swap_race,
        ),
        case("a_48_mib_log_read_back_whole_and_its_last_line", big_log),
    ]
}

fn expect(cond: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(why())
    }
}

/// A load whose first header is a GNU long name claiming 768 MiB, 3 MiB of it sent: Go's tar
/// reader refuses headers over 1 MiB, and so must berth, before buffering the claim.
fn gnu_long_name_bomb(e: &Engine) -> Result<String, String> {
    let r = e.load(&archives::header_bomb(
        EntryType::GNULongName,
        768 << 20,
        3 << 20,
    ));
    let text = r.text();
    expect(text.contains("archive/tar: header field too long"), || {
        format!("{} {text}", r.status)
    })?;
    Ok(format!("{}: {}", r.status, error_line(&text)))
}

/// A PAX header claiming 2 MiB as the first entry of an image's layer, a little over 1 MiB of
/// it sent (Go reads a special header up to its cap before refusing it, so a shorter one ends
/// in "unexpected EOF" on dockerd).
fn pax_bomb_in_a_layer(e: &Engine) -> Result<String, String> {
    let layer = archives::header_bomb(EntryType::XHeader, 2 << 20, (1 << 20) + 4096);
    let r = e.load(&archives::docker_save(
        "hostile/pax:1",
        &[layer],
        &["/true"],
    ));
    e.remove_image("hostile/pax:1");
    let text = r.text();
    expect(text.contains("header field too long"), || {
        format!("{} {text}", r.status)
    })?;
    Ok(format!("{}: {}", r.status, error_line(&text)))
}

/// Entries that climb out of the layer: `../` names, a file through a symlink to the host's
/// `/tmp`, a hard link to a host file. Whatever the engine answers, nothing appears on the host.
fn layer_escapes(e: &Engine) -> Result<String, String> {
    let nonce = format!("berth-hostile-escape-{}", std::process::id());
    let sentinels = [
        format!("/tmp/{nonce}-dotdot"),
        format!("/tmp/{nonce}-symlink"),
    ];
    let layer = archives::layer(&[
        Entry::File(
            format!("../../../../../../../..{}", sentinels[0]),
            b"x".to_vec(),
        ),
        Entry::Symlink("t".into(), "/tmp".into()),
        Entry::File(format!("t/{nonce}-symlink"), b"x".to_vec()),
        Entry::Hardlink("h".into(), "../../../../../../../../etc/hostname".into()),
    ]);
    let r = e.load(&archives::docker_save(
        "hostile/escape:1",
        &[layer],
        &["/true"],
    ));
    e.remove_image("hostile/escape:1");
    for path in &sentinels {
        if std::path::Path::new(path).exists() {
            let _ = std::fs::remove_file(path);
            return Err(format!("the layer wrote {path} on the host"));
        }
    }
    Ok(format!(
        "{}: {}; nothing written outside",
        r.status,
        error_line(&r.text())
    ))
}

/// Loads `archive`, creates a container running as `user` and starts it: the start's answer.
fn start_as(e: &Engine, tag: &str, archive: &[u8], user: &str) -> Result<String, String> {
    let r = e.load(archive);
    expect(r.status == 200 && !r.text().contains("errorDetail"), || {
        format!("load: {} {}", r.status, r.text())
    })?;
    let name = format!("hostile-{}", tag.replace([':', '/'], "-"));
    e.remove_container(&name);
    e.create(&name, &json!({"Image": tag, "User": user}));
    let started = e.call_with(
        "POST",
        &format!("/containers/{name}/start"),
        None,
        b"",
        Duration::from_secs(30),
    );
    e.remove_container(&name);
    e.remove_image(tag);
    let started = started.map_err(|err| format!("start: {err}"))?;
    Ok(format!("{} {}", started.status, message(&started.json())))
}

fn fifo_passwd(e: &Engine) -> Result<String, String> {
    let tag = "hostile/fifo:1";
    let seen = start_as(
        e,
        tag,
        &archives::passwd_image(tag, Entry::Fifo("etc/passwd")),
        "nobody",
    )?;
    expect(seen.starts_with("500 ") && seen.contains("passwd"), || {
        seen.clone()
    })?;
    Ok(seen)
}

fn dev_zero_passwd(e: &Engine) -> Result<String, String> {
    let tag = "hostile/zero:1";
    let passwd = Entry::Symlink("etc/passwd".into(), "/dev/zero".into());
    let seen = start_as(e, tag, &archives::passwd_image(tag, passwd), "nobody")?;
    expect(seen.starts_with("500 "), || seen.clone())?;
    Ok(seen)
}

/// `/etc/passwd` links to `../../../../etc/shadow`: the user must be looked up in what the
/// container sees (where the link leads nowhere), never in the host's shadow file, whose
/// `daemon:` line would otherwise give a uid.
fn host_shadow_passwd(e: &Engine) -> Result<String, String> {
    let tag = "hostile/shadow:1";
    let passwd = Entry::Symlink(
        "etc/passwd".into(),
        "../../../../../../../../etc/shadow".into(),
    );
    let seen = start_as(e, tag, &archives::passwd_image(tag, passwd), "daemon")?;
    expect(
        seen.starts_with("500 ") && seen.contains("unable to find user daemon"),
        || seen.clone(),
    )?;
    Ok(seen)
}

fn reference_filter_stars(e: &Engine) -> Result<String, String> {
    let filters = json!({"reference": [format!("{}q", "*".repeat(3000))]}).to_string();
    let path = format!("/images/json?filters={}", encode(&filters));
    let r = e.call_with("GET", &path, None, b"", Duration::from_secs(10))?;
    expect(r.status == 200, || format!("{} {}", r.status, r.text()))?;
    Ok(format!("{} {}", r.status, r.text().trim()))
}

/// A container that ignores SIGTERM, stopped with `t` = 2^63-1 seconds: dockerd's nanosecond
/// product wraps negative and kills at once (204); berth once panicked adding it to a clock.
fn stop_max_timeout(e: &Engine) -> Result<String, String> {
    e.pull("busybox");
    let name = "hostile-stop";
    e.remove_container(name);
    e.create(name, &json!({"Image": "busybox", "Cmd": ["sleep", "1000"]}));
    let started = e.call("POST", &format!("/containers/{name}/start"), None);
    expect(started.status == 204, || {
        format!("start: {}", started.text())
    })?;
    let r = e.call_with(
        "POST",
        &format!("/containers/{name}/stop?t=9223372036854775807"),
        None,
        b"",
        Duration::from_secs(30),
    );
    e.remove_container(name);
    let r = r?;
    expect(r.status == 204, || format!("{} {}", r.status, r.text()))?;
    Ok("204".into())
}

fn create_text_plain(e: &Engine) -> Result<String, String> {
    let r = e.call_with(
        "POST",
        "/containers/create?name=hostile-plain",
        Some("text/plain"),
        br#"{"Image":"busybox","HostConfig":{"Binds":["/:/host"]}}"#,
        Duration::from_secs(10),
    )?;
    e.remove_container("hostile-plain");
    let want = "Content-Type specified (text/plain) must be 'application/json'";
    expect(r.status == 400 && message(&r.json()) == want, || {
        format!("{} {}", r.status, r.text())
    })?;
    Ok(format!("{} {want}", r.status))
}

/// 64 MiB of one unterminated label value. berth refuses a JSON body over 1 MiB before reading
/// it; dockerd reads it all and fails to decode it: both refuse, neither holds it long.
fn huge_body(e: &Engine) -> Result<String, String> {
    let mut body = br#"{"Image":"busybox","Labels":{"a":""#.to_vec();
    body.extend(std::iter::repeat_n(b'a', 64 << 20));
    let r = e.call_with(
        "POST",
        "/containers/create?name=hostile-huge",
        Some("application/json"),
        &body,
        Duration::from_secs(60),
    );
    e.remove_container("hostile-huge");
    let r = r?;
    let refused = match e.kind {
        Kind::Berth => r.status == 400,
        Kind::Dockerd => r.status >= 400,
    };
    expect(refused, || format!("{} {}", r.status, r.text()))?;
    Ok(format!("{} {}", r.status, message(&r.json())))
}

fn deep_json(e: &Engine) -> Result<String, String> {
    let body = "[".repeat(400_000);
    let r = e.call_with(
        "POST",
        "/containers/create?name=hostile-deep",
        Some("application/json"),
        body.as_bytes(),
        Duration::from_secs(30),
    )?;
    e.remove_container("hostile-deep");
    expect(r.status >= 400 && r.status < 600, || {
        format!("{} {}", r.status, r.text())
    })?;
    Ok(format!("{} {}", r.status, message(&r.json())))
}

/// Numbers dockerd parses with Go's `strconv`: the same words from both (dockerd answers them
/// with a 500, berth with a 400, since the client is at fault).
fn bad_numbers(e: &Engine) -> Result<String, String> {
    e.pull("busybox");
    let name = "hostile-numbers";
    e.remove_container(name);
    e.create(name, &json!({"Image": "busybox"}));
    let mut seen = Vec::new();
    for (path, want) in [
        (
            format!("/containers/{name}/logs?stdout=1&since=abc"),
            r#"strconv.ParseInt: parsing "abc": invalid syntax"#,
        ),
        (
            format!("/containers/{name}/stop?t=99999999999999999999"),
            r#"strconv.Atoi: parsing "99999999999999999999": value out of range"#,
        ),
    ] {
        let method = if path.contains("/logs") {
            "GET"
        } else {
            "POST"
        };
        let r = e.call(method, &path, None);
        let got = message(&r.json());
        let status_ok = match e.kind {
            Kind::Berth => r.status == 400,
            Kind::Dockerd => r.status == 500,
        };
        if !status_ok || got != want {
            e.remove_container(name);
            return Err(format!("{path}: {} {}", r.status, r.text()));
        }
        seen.push(r.status.to_string());
    }
    e.remove_container(name);
    Ok(seen.join(", "))
}

/// A client that sends half a request line and waits: it must not hold up anyone else (the
/// check after the case runs while it still waits).
fn slow_headers(e: &Engine) -> Result<String, String> {
    let mut slow = UnixStream::connect(&e.socket).map_err(|err| err.to_string())?;
    slow.write_all(b"GET /_ping HTTP/1.1\r\nHo")
        .map_err(|err| err.to_string())?;
    e.still_answers()?;
    drop(slow);
    Ok("others served while it waits".into())
}

/// Ten thousand connections that send nothing, held open while the engine is asked to answer.
fn idle_connections(e: &Engine) -> Result<String, String> {
    raise_open_files(12_000)?;
    let mut held = Vec::with_capacity(10_000);
    for i in 0..10_000 {
        match UnixStream::connect(&e.socket) {
            Ok(s) => held.push(s),
            Err(err) => return Err(format!("connection {i}: {err}")),
        }
    }
    let answered = e.still_answers();
    let peak = e
        .peak_rss_kib()
        .map_or(String::new(), |k| format!(", peak RSS {} MiB", k / 1024));
    drop(held);
    answered?;
    Ok(format!("_ping and ps answered with 10000 held{peak}"))
}

/// A container keeps swapping `/w/d` between a directory and a link to `/` while it is
/// committed: a commit that followed the link on the host would put the host's root into the
/// image. Each image must hold, at `/w/d` and `/w/x`, only what the container made.
fn commit_swap_race(e: &Engine) -> Result<String, String> {
    e.pull("busybox");
    let name = "hostile-swap";
    e.remove_container(name);
    let swap = "mkdir -p /w/d; while :; do mv /w/d /w/x; ln -s / /w/d; rm /w/d; mv /w/x /w/d; done";
    e.create(
        name,
        &json!({"Image": "busybox", "Cmd": ["sh", "-c", swap]}),
    );
    let started = e.call("POST", &format!("/containers/{name}/start"), None);
    expect(started.status == 204, || {
        format!("start: {}", started.text())
    })?;
    let mut result = Ok(String::new());
    for i in 0..5 {
        let repo = format!("hostile/swap{i}");
        let c = e.call(
            "POST",
            &format!("/commit?container={name}&repo={repo}&tag=1"),
            Some("{}"),
        );
        if c.status != 201 {
            result = Err(format!("commit: {} {}", c.status, c.text()));
            break;
        }
        let check = run_to_exit(
            e,
            &format!("{repo}:1"),
            "test ! -e /w/d/etc/debian_version && test ! -e /w/x/etc/debian_version",
        );
        e.remove_image(&format!("{repo}:1"));
        match check {
            Ok(0) => {}
            Ok(code) => {
                result = Err(format!("commit {i} holds the host's /etc (exit {code})"));
                break;
            }
            Err(err) => {
                result = Err(err);
                break;
            }
        }
    }
    e.remove_container(name);
    result.map(|_| "5 commits, no host file in any".into())
}

/// A container writes 48 MiB of output; reading its log back, whole and with `tail=1`, must
/// not cost the daemon the log's size in memory (berth once read every log whole, and the
/// tail after it).
fn big_log(e: &Engine) -> Result<String, String> {
    e.pull("busybox");
    let name = "hostile-log";
    e.remove_container(name);
    let script = "head -c 50331648 /dev/zero | tr '\\0' x | fold -w 1023; echo last";
    let code = run_named(e, name, "busybox", script);
    let before = e.peak_rss_kib();
    let whole = e.call_with(
        "GET",
        &format!("/containers/{name}/logs?stdout=1"),
        None,
        b"",
        Duration::from_secs(120),
    );
    let tail = e.call_with(
        "GET",
        &format!("/containers/{name}/logs?stdout=1&tail=1"),
        None,
        b"",
        Duration::from_secs(30),
    );
    e.remove_container(name);
    expect(code == Ok(0), || format!("the writer ended {code:?}"))?;
    let (whole, tail) = (whole?, tail?);
    // Frames: an 8-byte header per line.
    let lines = 50331648 / 1023 + 2;
    expect(whole.body.len() > 50331648 + 8 * (lines - 1), || {
        format!("the whole log came back as {} bytes", whole.body.len())
    })?;
    expect(
        one_frame(&tail.body) && tail.body.ends_with(b"last\n"),
        || format!("tail=1 gave {:?}", String::from_utf8_lossy(&tail.body)),
    )?;
    let grew = match (before, e.peak_rss_kib()) {
        (Some(before), Some(after)) => after.saturating_sub(before) / 1024,
        _ => 0,
    };
    expect(grew < 32, || {
        format!("reading it back grew the daemon's peak RSS by {grew} MiB")
    })?;
    Ok(format!(
        "{} MiB back in {} lines; tail=1 one line{}",
        whole.body.len() >> 20,
        lines,
        match e.kind {
            Kind::Berth => format!("; peak RSS grew {grew} MiB"),
            Kind::Dockerd => String::new(),
        }
    ))
}

/// Whether `body` is exactly one stdcopy frame (an 8-byte header with the payload's length).
fn one_frame(body: &[u8]) -> bool {
    body.len() > 8
        && u32::from_be_bytes([body[4], body[5], body[6], body[7]]) as usize == body.len() - 8
}

/// Runs `sh -c script` in a container `name` (kept); its exit code.
fn run_named(e: &Engine, name: &str, image: &str, script: &str) -> Result<i64, String> {
    e.create(name, &json!({"Image": image, "Cmd": ["sh", "-c", script]}));
    let started = e.call("POST", &format!("/containers/{name}/start"), None);
    if started.status != 204 {
        return Err(format!("start: {}", started.text()));
    }
    let waited = e.call_with(
        "POST",
        &format!("/containers/{name}/wait"),
        None,
        b"",
        Duration::from_secs(120),
    )?;
    waited.json()["StatusCode"]
        .as_i64()
        .ok_or_else(|| format!("wait: {}", waited.text()))
}

/// Runs `sh -c script` in a new container of `image`; its exit code.
fn run_to_exit(e: &Engine, image: &str, script: &str) -> Result<i64, String> {
    let name = "hostile-check";
    e.remove_container(name);
    e.create(name, &json!({"Image": image, "Cmd": ["sh", "-c", script]}));
    let started = e.call("POST", &format!("/containers/{name}/start"), None);
    if started.status != 204 {
        e.remove_container(name);
        return Err(format!("start of a check: {}", started.text()));
    }
    let waited = e.call("POST", &format!("/containers/{name}/wait"), None);
    e.remove_container(name);
    waited.json()["StatusCode"]
        .as_i64()
        .ok_or_else(|| format!("wait: {}", waited.text()))
}

fn message(v: &serde_json::Value) -> String {
    v["message"].as_str().unwrap_or_default().to_string()
}

/// The `errorDetail` message of a streamed answer, or its first line.
fn error_line(text: &str) -> String {
    text.lines()
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v["errorDetail"]["message"].as_str().map(str::to_string)
        })
        .unwrap_or_else(|| text.lines().next().unwrap_or_default().to_string())
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// This process needs a descriptor per idle connection.
fn raise_open_files(want: u64) -> Result<(), String> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let hard = limit.maximum.unwrap_or(u64::MAX);
    if hard < want {
        return Err(format!("the open-file limit is {hard}, under {want}"));
    }
    rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit {
            current: Some(want),
            maximum: limit.maximum,
        },
    )
    .map_err(|e| format!("setrlimit: {e}"))
}
