//! `berth X` against `docker X` (CLI 28) on the same reference dockerd: each verb's main paths
//! must print the same bytes and exit alike, once times are normalised (and, where the docker
//! CLI walks Go maps or downloads layers concurrently, once line order is). berth runs in
//! process through `berth_client::cli::run`; docker runs as a child process.
//!
//! Needs the reference dockerd (`BERTH_REF_SOCKET`, default /tmp/berth-ref/docker.sock) and
//! the docker CLI 28; skips with one line when they are missing, fails under
//! `BERTH_REQUIRE_ALL=1`. Other engineers share that daemon, so every object here carries a
//! unique name and is removed at the end, and table comparisons are retried when a foreign
//! container changed the daemon between the two runs.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use berth_client::cli::{GlobalArgs, Io, Verb};
use clap::Parser;

#[derive(Debug, Parser)]
struct Top {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    verb: Verb,
}

/// What one command printed and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Output {
    out: String,
    err: String,
    code: i32,
}

/// The reference daemon and the docker CLI, or `None` (after one line) when either is missing.
fn reference(test: &str) -> Option<Env> {
    let socket = PathBuf::from(
        std::env::var("BERTH_REF_SOCKET").unwrap_or_else(|_| "/tmp/berth-ref/docker.sock".into()),
    );
    let docker = ["/usr/local/bin/docker"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    let missing = match (&docker, socket.exists()) {
        (_, false) => Some(format!(
            "no reference dockerd socket at {}",
            socket.display()
        )),
        (None, _) => Some("no docker CLI 28 at /usr/local/bin/docker".to_string()),
        _ => None,
    };
    if berth_testkit::skip(test, missing) {
        return None;
    }
    Some(Env {
        host: format!("unix://{}", socket.display()),
        docker: docker.unwrap_or_default(),
        _one_at_a_time: REFERENCE.lock().unwrap_or_else(|e| e.into_inner()),
    })
}

/// The tests share one reference dockerd and compare whole listings and inspect documents, so
/// one test's images and tags must not appear in another's output: they run one at a time.
static REFERENCE: Mutex<()> = Mutex::new(());

#[derive(Debug)]
struct Env {
    host: String,
    docker: PathBuf,
    _one_at_a_time: MutexGuard<'static, ()>,
}

impl Env {
    fn berth(&self, args: &[&str]) -> Output {
        let argv = ["berth", "-H", &self.host]
            .into_iter()
            .chain(args.iter().copied());
        let top = Top::try_parse_from(argv).expect("berth arguments parse");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = berth_client::cli::run(
            &top.global,
            top.verb,
            &mut Io {
                out: &mut out,
                err: &mut err,
                out_terminal: false,
                err_terminal: false,
            },
        );
        Output {
            out: String::from_utf8_lossy(&out).into_owned(),
            err: String::from_utf8_lossy(&err).into_owned(),
            code,
        }
    }

    fn docker(&self, args: &[&str]) -> Output {
        let output = Command::new(&self.docker)
            .args(args)
            .env("DOCKER_HOST", &self.host)
            .env_remove("DOCKER_CONTEXT")
            .output()
            .expect("docker runs");
        // Where docker names itself, berth names itself.
        let err = String::from_utf8_lossy(&output.stderr)
            .replace("docker: ", "berth: ")
            .replace("Run 'docker run --help'", "Run 'berth run --help'")
            .replace("Usage:  docker run", "Usage:  berth run");
        Output {
            out: String::from_utf8_lossy(&output.stdout).into_owned(),
            err,
            code: output.status.code().unwrap_or(-1),
        }
    }

    /// Asserts both print the same after `normalise`, retrying twice when they differ (a
    /// foreign container may have changed between the runs).
    fn same(&self, args: &[&str], normalise: fn(&str) -> String) {
        let mut last = None;
        for _ in 0..3 {
            let b = self.berth(args);
            let d = self.docker(args);
            let b = (normalise(&b.out), normalise(&b.err), b.code);
            let d = (normalise(&d.out), normalise(&d.err), d.code);
            if b == d {
                return;
            }
            last = Some((b, d));
        }
        let (b, d) = last.unwrap_or_default();
        panic!("berth {args:?} differs from docker:\nberth:  {b:?}\ndocker: {d:?}");
    }

    fn cleanup(&self, args: &[&str]) {
        let _ = self.docker(args);
    }

    /// Removes these containers when dropped, also when the test fails.
    fn guard(&self, containers: &[&str]) -> Guard<'_> {
        Guard {
            env: self,
            containers: containers.iter().map(|c| c.to_string()).collect(),
        }
    }
}

/// Removes a test's containers at its end, pass or fail.
#[derive(Debug)]
struct Guard<'a> {
    env: &'a Env,
    containers: Vec<String>,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let mut args = vec!["rm", "-f"];
        args.extend(self.containers.iter().map(String::as_str));
        self.env.cleanup(&args);
    }
}

fn exact(s: &str) -> String {
    s.to_string()
}

/// Time phrases (`3 seconds ago`, `Up Less than a second`) become `T`, and table cells are
/// joined by ` | ` so column widths, which follow the times, do not matter.
fn times(s: &str) -> String {
    s.lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(normalise_time_phrase)
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn normalise_time_phrase(cell: &str) -> String {
    let units = [
        "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
        "month", "months", "year", "years",
    ];
    let words: Vec<&str> = cell.split(' ').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w == "Less" && words.get(i + 3) == Some(&"second") {
            out.push("T");
            i += 4;
        } else if (w == "About" || w.parse::<u64>().is_ok())
            && words
                .get(i + 1)
                .is_some_and(|u| units.contains(u) || *u == "a" || *u == "an")
        {
            out.push("T");
            i += if w == "About" { 3 } else { 2 };
        } else {
            out.push(w);
            i += 1;
        }
    }
    out.join(" ")
}

/// Times normalised, then lines sorted: the CLI's row order within one image follows Go's
/// map order, and layers download concurrently.
/// Lines in a stable order, without dockerd's racy `Verifying Checksum` and `Download
/// complete` progress lines (its transfer manager hands each watcher only a layer's latest
/// progress, so whether a fast download's intermediate steps show is a race, not behaviour;
/// the acceptance walk drops them for the same reason).
fn sorted(s: &str) -> String {
    let normalised = times(s);
    let mut lines: Vec<&str> = normalised
        .lines()
        .filter(|l| !l.ends_with(": Verifying Checksum") && !l.ends_with(": Download complete"))
        .collect();
    lines.sort_unstable();
    lines.join("\n")
}

fn unique(prefix: &str) -> String {
    format!("h3t-{prefix}-{}", std::process::id())
}

fn busybox(env: &Env) {
    let pulled = env.docker(&["pull", "-q", "busybox"]);
    assert_eq!(pulled.code, 0, "busybox pulls: {pulled:?}");
}

#[test]
fn ps_and_images_print_docker_28_tables() {
    let Some(env) = reference("ps_and_images_print_docker_28_tables") else {
        return;
    };
    busybox(&env);
    let (a, b) = (unique("ps-a"), unique("ps-b"));
    let _guard = env.guard(&[&a, &b]);
    env.docker(&["run", "--name", &a, "busybox", "echo", "hi"]);
    env.docker(&["run", "-d", "--name", &b, "busybox", "sleep", "60"]);
    for args in [
        &["ps"][..],
        &["ps", "-a"],
        &["ps", "-a", "--no-trunc"],
        &["ps", "-aq"],
    ] {
        env.same(args, times);
    }
    for args in [
        &["images"][..],
        &["images", "-a"],
        &["images", "-q"],
        &["images", "--no-trunc"],
    ] {
        env.same(args, sorted);
    }
}

#[test]
fn inspect_prints_the_daemons_json_and_templates() {
    let Some(env) = reference("inspect_prints_the_daemons_json_and_templates") else {
        return;
    };
    busybox(&env);
    let name = unique("inspect");
    let _guard = env.guard(&[&name]);
    env.docker(&["run", "--name", &name, "-e", "A=<&>", "busybox", "true"]);
    env.same(&["inspect", &name], exact);
    env.same(&["inspect", "busybox"], exact);
    env.same(&["inspect", &name, "nosuch-h3t"], exact);
    env.same(
        &[
            "inspect",
            "-f",
            "{{.Id}} {{.State.Status}} {{.State.ExitCode}} {{json .Config.Env}}",
            &name,
        ],
        exact,
    );
    env.same(&["inspect", "-f", "{{.Id}}", "nosuch-h3t"], exact);
    env.same(&["inspect", "--type", "image", &name], exact);
    env.same(&["inspect", "--type", "container", "busybox"], exact);
}

#[test]
fn run_prints_output_and_exits_as_docker_does() {
    let Some(env) = reference("run_prints_output_and_exits_as_docker_does") else {
        return;
    };
    busybox(&env);
    env.same(
        &[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ],
        exact,
    );
    env.same(
        &[
            "run",
            "--rm",
            "-e",
            "X=1",
            "-w",
            "/tmp",
            "-u",
            "1:2",
            "busybox",
            "sh",
            "-c",
            "echo $X; pwd; id",
        ],
        exact,
    );
    env.same(
        &[
            "run",
            "--rm",
            "--entrypoint",
            "echo",
            "busybox",
            "a",
            "-n",
            "b",
        ],
        exact,
    );
    env.same(
        &[
            "run",
            "--rm",
            "-m",
            "64m",
            "--pids-limit",
            "10",
            "-c",
            "512",
            "busybox",
            "true",
        ],
        exact,
    );
    env.same(&["run", "--rm", "busybox", "/nonexistent"], exact);
    env.same(&["run", "--rm", "busybox", "/etc"], exact);
    env.same(&["run", "--rm", "127.0.0.1:5000/nosuch-h3t"], exact);
    env.same(&["run", "--rm", "BAD"], exact);
    env.same(&["run", "--rm", "-m", "lots", "busybox", "true"], exact);
    let name = unique("detach");
    let _guard = env.guard(&[&name]);
    let detached = env.berth(&["run", "-d", "--name", &name, "busybox", "sleep", "30"]);
    assert_eq!(detached.code, 0, "{detached:?}");
    let id = detached.out.trim();
    assert!(
        id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{detached:?}"
    );
    let inspected = env.docker(&["inspect", "-f", "{{.Id}}", &name]);
    assert_eq!(inspected.out.trim(), id);
}

#[test]
fn run_pulls_a_missing_image_first() {
    let Some(env) = reference("run_pulls_a_missing_image_first") else {
        return;
    };
    let image = "127.0.0.1:5000/hello-world:latest";
    let mut outputs = Vec::new();
    for berth in [true, false] {
        env.cleanup(&["rmi", image]);
        let args = ["run", "--rm", image];
        let output = if berth {
            env.berth(&args)
        } else {
            env.docker(&args)
        };
        outputs.push((output.out, sorted(&output.err), output.code));
    }
    env.cleanup(&["rmi", image]);
    assert!(outputs[0].1.contains("Unable to find image"), "{outputs:?}");
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn pull_prints_plain_status_lines_without_a_terminal() {
    let Some(env) = reference("pull_prints_plain_status_lines_without_a_terminal") else {
        return;
    };
    let image = "127.0.0.1:5000/hello-world";
    for args in [
        &["pull", image][..],
        &["pull", "-q", image],
        &["pull", "127.0.0.1:5000/nosuch-h3t:1"],
    ] {
        let mut outputs = Vec::new();
        for berth in [true, false] {
            env.cleanup(&["rmi", image]);
            let output = if berth {
                env.berth(args)
            } else {
                env.docker(args)
            };
            outputs.push((sorted(&output.out), output.err, output.code));
        }
        assert_eq!(outputs[0], outputs[1], "{args:?}");
    }
    env.same(&["pull", image], sorted);
    env.cleanup(&["rmi", image]);
}

/// Runs the same lifecycle with berth on one container and docker on another; the outputs
/// must match once the names are swapped.
#[test]
fn lifecycle_verbs_print_and_exit_alike() {
    let Some(env) = reference("lifecycle_verbs_print_and_exit_alike") else {
        return;
    };
    busybox(&env);
    let names = [unique("life-b"), unique("life-d")];
    let renamed = [unique("life-b2"), unique("life-d2")];
    let _guard = env.guard(&[&names[0], &names[1], &renamed[0], &renamed[1]]);
    let mut transcripts = Vec::new();
    for (i, berth) in [true, false].into_iter().enumerate() {
        let (name, new) = (names[i].as_str(), renamed[i].as_str());
        let cli = |args: &[&str]| {
            if berth {
                env.berth(args)
            } else {
                env.docker(args)
            }
        };
        env.docker(&[
            "run",
            "-d",
            "--name",
            name,
            "busybox",
            "sh",
            "-c",
            // The fourth start (`start -a`) ends at once instead of sleeping.
            "n=$(cat /n 2>/dev/null || echo 0); echo $((n+1)) >/n; echo one; sleep 1; echo two >&2; \
             [ $n -ge 3 ] || sleep 30",
        ]);
        // Both lines must be in the log before the first `logs`, however loaded the machine.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !env.docker(&["logs", name]).err.contains("two") {
            assert!(
                std::time::Instant::now() < deadline,
                "{name} never logged `two`"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let steps: Vec<Vec<&str>> = vec![
            vec!["logs", name],
            vec!["logs", "--tail", "1", name],
            vec!["logs", "-t", "--since", "1h", name],
            vec!["kill", "-s", "BOGUS", name],
            vec!["stop", "-t", "1", name],
            vec!["wait", name],
            vec!["start", name],
            vec!["restart", "-t", "0", name],
            vec!["kill", name],
            vec!["wait", name],
            vec!["rename", name, new],
            vec!["rename", name, new],
            vec!["start", "-a", new],
            vec!["rm", new],
            vec!["rm", "-f", new],
            vec!["rm", new],
            vec!["rm", "-f", new],
        ];
        let mut transcript = Vec::new();
        for step in steps {
            let output = cli(&step);
            let text = format!("{step:?} -> {}|{}|{}", output.out, output.err, output.code);
            // logs -t prints the daemon's own timestamps, identical for both but for the
            // container they came from; keep only the message.
            let text = text
                .lines()
                .map(|l| l.split_once("Z ").map_or(l, |(_, rest)| rest).to_string())
                .collect::<Vec<_>>()
                .join("\n");
            transcript.push(text.replace(name, "NAME").replace(new, "NEW"));
        }
        transcripts.push(transcript);
        env.cleanup(&["rm", "-f", name, new]);
    }
    assert_eq!(transcripts[0], transcripts[1]);
}

#[test]
fn commit_tag_rmi_and_load_work_on_images() {
    let Some(env) = reference("commit_tag_rmi_and_load_work_on_images") else {
        return;
    };
    busybox(&env);
    let name = unique("commit");
    let repo = unique("img");
    let _guard = env.guard(&[&name]);
    env.docker(&["run", "--name", &name, "busybox", "sh", "-c", "echo x > /x"]);
    let committed = env.berth(&[
        "commit",
        "-m",
        "msg",
        "-a",
        "me",
        "-c",
        "ENV A=1",
        &name,
        &format!("{repo}:c"),
    ]);
    assert_eq!(committed.code, 0, "{committed:?}");
    assert!(committed.out.starts_with("sha256:"), "{committed:?}");
    let inspected = env.docker(&[
        "inspect",
        "-f",
        "{{.Id}} {{.Comment}} {{.Author}} {{.Config.Env}}",
        &format!("{repo}:c"),
    ]);
    assert_eq!(
        inspected.out,
        format!(
            "{} msg me [PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin A=1]\n",
            committed.out.trim()
        )
    );
    for (tool, tag) in [("berth", "b"), ("docker", "d")] {
        let args = ["tag", "busybox", &format!("{repo}:{tag}")].map(String::from);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = if tool == "berth" {
            env.berth(&args)
        } else {
            env.docker(&args)
        };
        assert_eq!(
            (out.out.as_str(), out.err.as_str(), out.code),
            ("", "", 0),
            "{tool}"
        );
    }
    env.same(&["tag", "nosuch-h3t", "x-h3t"], exact);
    let b = env.berth(&["rmi", &format!("{repo}:b")]);
    let d = env.docker(&["rmi", &format!("{repo}:d")]);
    assert_eq!(b.out.replace(":b", ":T"), d.out.replace(":d", ":T"));
    env.same(&["rmi", "nosuch-h3t"], exact);
    env.same(&["rmi", "-f", "nosuch-h3t"], exact);
    env.same(&["tag", "busybox", "BAD"], exact);
    env.same(&["rmi", &format!("{repo}:c")], exact);

    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("image.tar");
    env.docker(&["tag", "busybox", &format!("{repo}:load")]);
    let saved = env.docker(&[
        "save",
        "-o",
        archive.to_str().unwrap(),
        &format!("{repo}:load"),
    ]);
    assert_eq!(saved.code, 0, "{saved:?}");
    env.cleanup(&["rmi", &format!("{repo}:load")]);
    let b = env.berth(&["load", "-i", archive.to_str().unwrap()]);
    env.cleanup(&["rmi", &format!("{repo}:load")]);
    let d = env.docker(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(b, d);
    assert!(b.out.contains("Loaded image"), "{b:?}");
    env.same(&["load", "-i", "/nonexistent-h3t.tar"], exact);
    env.cleanup(&["rmi", &format!("{repo}:load")]);
    env.cleanup(&["rm", "-f", &name]);
}

/// The client sections are each program's own; the daemon's sections must match.
#[test]
fn version_and_info_print_the_daemons_sections() {
    let Some(env) = reference("version_and_info_print_the_daemons_sections") else {
        return;
    };
    let server = |s: &str| {
        s.split_once("\nServer:")
            .map(|(_, s)| s.to_string())
            .unwrap_or_default()
    };
    let b = env.berth(&["version"]);
    let d = env.docker(&["version"]);
    assert_eq!((server(&b.out), b.code), (server(&d.out), d.code));
    assert!(!server(&b.out).is_empty());
    let api = |s: &str| {
        s.lines()
            .find(|l| l.starts_with(" API version:"))
            .map(str::to_string)
    };
    assert_eq!(api(&b.out), api(&d.out));
    // Counts move as other tests run, and the CLI lists runtimes in Go's map order;
    // everything else must match.
    let stable = |s: &str| {
        server(s)
            .lines()
            .filter(|l| {
                !["Containers:", "Running:", "Paused:", "Stopped:", "Images:"]
                    .contains(&l.split_whitespace().next().unwrap_or(""))
            })
            .map(|l| match l.strip_prefix(" Runtimes: ") {
                Some(names) => {
                    let mut names: Vec<&str> = names.split(' ').collect();
                    names.sort_unstable();
                    format!(" Runtimes: {}", names.join(" "))
                }
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let b = env.berth(&["info"]);
    let d = env.docker(&["info"]);
    assert_eq!(
        (stable(&b.out), b.err, b.code),
        (stable(&d.out), d.err, d.code)
    );
}

#[test]
fn an_unreachable_daemon_is_named() {
    let Some(env) = reference("an_unreachable_daemon_is_named") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let host = format!("unix://{}", dir.path().join("none.sock").display());
    let env = Env { host, ..env };
    env.same(&["ps"], exact);
    env.same(&["run", "busybox"], exact);
}

/// Bad flags and wrong argument counts, worded and exited as `main` does it: parsing fails,
/// then `usage_error` words the failure. docker names itself where berth names itself.
#[test]
fn usage_errors_print_and_exit_as_docker_does() {
    use clap::CommandFactory;
    let Some(env) = reference("usage_errors_print_and_exit_as_docker_does") else {
        return;
    };
    let lines = [
        "run --bogus busybox",
        "run -dz busybox",
        "run --name",
        "run --name=x",
        "run",
        "ps x",
        "ps --bogus",
        "images a b",
        "pull a b",
        "commit",
        "commit a b c",
        "tag a",
        "rename a",
        "rm",
        "rmi",
        "logs",
        "wait",
        "kill -s",
        "stop -t x a",
        "stop a --timeout",
        "restart --time 99999999999999999999 a",
        "load x",
        "version x",
        "info x",
        "create",
        "create -d busybox",
        "exec",
        "exec c",
        "exec --bogus c true",
        "exec -e",
        "exec -e =x c true",
        "container prune --bogus",
        "container prune --filter",
        "image prune x",
        "image prune -a --filter bogus",
        "bogus",
    ];
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let argv: Vec<std::ffi::OsString> = ["berth", "-H", &env.host]
            .into_iter()
            .chain(words.iter().copied())
            .map(Into::into)
            .collect();
        let err = Top::try_parse_from(&argv).expect_err(line);
        let berth = berth_client::cli::usage_error(&err, &argv, &Top::command())
            .unwrap_or_else(|| panic!("{line}: left to clap: {err}"));
        let docker = env.docker(&words);
        let docker_err = docker.err.replace("docker", "berth");
        assert_eq!(
            (berth.text.as_str(), berth.code, ""),
            (docker_err.as_str(), docker.code, docker.out.as_str()),
            "{line}"
        );
    }
}

/// `exec` in a running container: output on both streams, the command's exit code, the
/// flags that shape the process, `-d`, and the failures (a command that does not exist, a
/// stopped, paused or missing container) print and exit as docker's do.
#[test]
fn exec_prints_and_exits_as_docker_does() {
    let Some(env) = reference("exec_prints_and_exits_as_docker_does") else {
        return;
    };
    busybox(&env);
    let (running, stopped) = (unique("exec-run"), unique("exec-stopped"));
    let _guard = env.guard(&[&running, &stopped]);
    let started = env.docker(&["run", "-d", "--name", &running, "busybox", "sleep", "300"]);
    assert_eq!(started.code, 0, "{started:?}");
    let created = env.docker(&["create", "--name", &stopped, "busybox", "true"]);
    assert_eq!(created.code, 0, "{created:?}");
    let c = running.as_str();
    let steps: Vec<Vec<&str>> = vec![
        vec!["exec", c, "echo", "hi"],
        vec!["exec", c, "sh", "-c", "echo out; echo err >&2; exit 3"],
        vec![
            "exec",
            "-e",
            "X=1",
            "-w",
            "/tmp",
            "-u",
            "1:2",
            c,
            "sh",
            "-c",
            "echo $X; pwd; id",
        ],
        vec!["exec", c, "echo", "-e", "-d", "a"],
        vec!["exec", "-t", c, "sh", "-c", "echo a; echo b >&2; exit 4"],
        vec!["exec", c, "nosuch"],
        vec!["exec", "-w", "/nosuch", c, "pwd"],
        vec!["exec", "-u", "nosuchuser", c, "id"],
        vec!["exec", "-d", c, "sleep", "1"],
        vec!["exec", &stopped, "echo", "hi"],
        vec!["exec", "-d", &stopped, "echo", "hi"],
        vec!["exec", "nosuch-h3t", "echo", "hi"],
    ];
    for step in &steps {
        env.same(step, exact);
    }
    // `-d` prints nothing, yet the command runs.
    let detached = env.berth(&["exec", "-d", c, "sh", "-c", "echo ran >/tmp/detached"]);
    assert_eq!(
        (detached.out.as_str(), detached.err.as_str(), detached.code),
        ("", "", 0)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while env.docker(&["exec", c, "cat", "/tmp/detached"]).out != "ran\n" {
        assert!(std::time::Instant::now() < deadline, "exec -d never ran");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(env.docker(&["pause", c]).code, 0);
    env.same(&["exec", c, "echo", "hi"], exact);
    env.cleanup(&["unpause", c]);
}

/// `container prune` and `image prune -a`, limited by a label only this test uses (the daemon
/// is shared): the same objects, made the same way, are pruned by berth and by docker, and
/// both print the same once IDs are placeholders and lines are in order.
#[test]
fn prune_prints_what_it_removed_as_docker_does() {
    let Some(env) = reference("prune_prints_what_it_removed_as_docker_does") else {
        return;
    };
    busybox(&env);
    let mut transcripts = Vec::new();
    for berth in [true, false] {
        let tool = if berth { "b" } else { "d" };
        let label = unique(&format!("prune-{tool}"));
        let (kept, repo) = (
            unique(&format!("kept-{tool}")),
            unique(&format!("img-{tool}")),
        );
        let _guard = env.guard(&[&kept]);
        let cli = |args: &[&str]| match berth {
            true => env.berth(args),
            false => env.docker(args),
        };
        let mut ids = Vec::new();
        for n in 0..2 {
            let made = env.docker(&["create", "-l", &label, "busybox", "true"]);
            ids.push(made.out.trim().to_string());
            if n == 0 {
                env.docker(&["start", "-a", &ids[0]]);
            }
        }
        env.docker(&[
            "run",
            "--name",
            &kept,
            "busybox",
            "sh",
            "-c",
            "echo four > /f",
        ]);
        let committed = env.docker(&["commit", "-c", &format!("LABEL {label}=1"), &kept, &repo]);
        ids.push(
            committed
                .out
                .trim()
                .trim_start_matches("sha256:")
                .to_string(),
        );
        let filter = format!("label={label}");
        let mut transcript = Vec::new();
        for args in [
            vec!["container", "prune", "-f", "--filter", &filter],
            vec!["container", "prune", "-f", "--filter", &filter],
            vec!["image", "prune", "-a", "-f", "--filter", &filter],
            vec!["container", "prune", "-f", "--filter", "until=bogus"],
        ] {
            let output = cli(&args);
            let mut text = format!("{}|{}|{}", output.out, output.err, output.code);
            for (i, id) in ids.iter().enumerate() {
                text = text.replace(id, &format!("<id{i}>"));
            }
            // The image's layer ID and the names differ from run to run.
            let mut lines: Vec<String> = text
                .lines()
                .map(|l| match l.strip_prefix("deleted: sha256:") {
                    Some(rest) if !rest.starts_with('<') => "deleted: <layer>".to_string(),
                    _ => l.replace(&repo, "REPO"),
                })
                .collect();
            lines.sort();
            transcript.push(lines);
        }
        transcripts.push(transcript);
    }
    assert_eq!(transcripts[0], transcripts[1]);
}
