//! The Docker basics walk of issue 5, as docker CLI arguments, and running it. Steps may
//! capture an ID from their stdout for later steps, written `{name}` (whole) or `{name:N}`
//! (first N characters, an ID prefix), so each engine is driven with its own IDs. The walk needs
//! an engine holding none of its images and containers (`clean`, `leftovers`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::{self, Client, Output};
use crate::confine::PROBE;

/// One command: its arguments, what of its stdout later steps use, and what is unstable in
/// what it prints.
#[derive(Debug)]
pub struct Step {
    pub args: &'static [&'static str],
    pub capture: Option<(&'static str, Capture)>,
    pub unstable: Unstable,
}

/// What of a step's stdout differs between runs of the same engine, removed before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unstable {
    Nothing,
    /// The line order: dockerd lists `diff` and `image prune` results in Go map order (and
    /// the lines hold no IDs that differ between engines).
    LineOrder,
    /// Every number (`top`: PIDs, CPU, start times).
    Numbers,
}

/// Which part of a step's stdout a variable takes.
#[derive(Debug, Clone, Copy)]
pub enum Capture {
    /// The first line (`run -d`, `commit`, `ps -aq`), without a `sha256:` prefix.
    FirstLine,
    /// The IMAGE ID of the `images` row with this repository and tag. Taken from the table
    /// rather than from `images -q REPO`, so that an engine without the `reference` filter
    /// shows up as one difference, not as every later step that uses the ID.
    ImageRow(&'static str, &'static str),
}

const fn step(args: &'static [&'static str]) -> Step {
    Step {
        args,
        capture: None,
        unstable: Unstable::Nothing,
    }
}

const fn unordered(args: &'static [&'static str]) -> Step {
    Step {
        unstable: Unstable::LineOrder,
        ..step(args)
    }
}

const fn keep(args: &'static [&'static str], name: &'static str) -> Step {
    Step {
        capture: Some((name, Capture::FirstLine)),
        ..step(args)
    }
}

const fn row(args: &'static [&'static str], name: &'static str, repo: &'static str) -> Step {
    Step {
        capture: Some((name, Capture::ImageRow(repo, "latest"))),
        ..step(args)
    }
}

/// `docker cp` both ways, into a created and a running container, and its errors (the docker
/// CLI only: the berth CLI has no `cp` yet). The host file is one both engines' runs see.
pub const CP_WALK: &[Step] = &[
    step(&["pull", "toolbox"]),
    step(&[
        "create",
        "--name",
        "cpc",
        "toolbox",
        "/toolbox",
        "cat",
        "/data/issue",
    ]),
    step(&["cp", "/etc/issue", "cpc:/data/"]),
    step(&["start", "-a", "cpc"]),
    // Debian's /etc/os-release is a link to ../usr/lib/os-release: refused, as climbing out
    // of the destination.
    step(&["cp", "/etc/os-release", "cpc:/data/"]),
    step(&["cp", "cpc:/nope", "."]),
    step(&["cp", "/etc/issue", "cpc:/nope/x"]),
    step(&[
        "run", "-d", "--name", "cpr", "toolbox", "/toolbox", "on-term", "0", "sleep",
    ]),
    step(&["cp", "/etc/issue", "cpr:/data/copied"]),
    step(&["exec", "cpr", "/toolbox", "cat", "/data/copied"]),
    step(&["cp", "cpr:/data/copied", "copied-out"]),
    step(&["cp", "cpr:/data/copied", "cpc:/data/x"]),
    step(&["rm", "-f", "cpc", "cpr"]),
];

/// The walk. Only one container at a time uses `toolbox:latest` when `rmi` is refused because
/// of a container: dockerd names whichever container it finds first, in map order.
pub const WALK: &[Step] = &[
    step(&["pull", "hello-world"]),
    step(&["run", "hello-world"]),
    row(&["images"], "hello", "hello-world"),
    step(&["images", "-a"]),
    step(&["images", "-q", "hello-world"]),
    step(&["inspect", "hello-world"]),
    step(&["inspect", "{hello}"]),
    step(&["inspect", "{hello:5}"]),
    step(&["ps", "-a"]),
    // The management commands: the same verbs under `container` and `image`.
    step(&["image", "ls", "hello-world"]),
    step(&["image", "inspect", "-f", "{{.Os}}", "hello-world"]),
    step(&["image", "inspect", "nosuch"]),
    step(&["container", "ls", "-a"]),
    step(&["container", "inspect", "hello-world"]),
    step(&["container", "rm", "nosuch"]),
    step(&["image", "rm", "nosuch"]),
    step(&[
        "run",
        "--name",
        "hi",
        "-l",
        "tier=demo",
        "--label",
        "solo",
        "hello-world",
    ]),
    step(&["logs", "hi"]),
    step(&["inspect", "hi"]),
    step(&["ps", "-a", "-f", "label=tier=demo"]),
    step(&[
        "ps",
        "-a",
        "--filter",
        "label=solo",
        "--filter",
        "label=nope",
    ]),
    keep(
        &[
            "run", "-d", "--name", "bg", "toolbox", "/toolbox", "out", "started", "err", "warned",
        ],
        "bg",
    ),
    step(&["wait", "bg"]),
    step(&["logs", "bg"]),
    step(&["ps", "-a"]),
    step(&["rm", "hi", "{bg:12}"]),
    step(&["rm", "hi"]),
    step(&["run", "--rm", "toolbox", "/toolbox", "out", "gone"]),
    step(&["ps", "-a"]),
    step(&[
        "run",
        "--name",
        "writer",
        "-l",
        "stage=one",
        "toolbox",
        "/toolbox",
        "write",
        "/data/new",
        "hi",
    ]),
    unordered(&["diff", "writer"]),
    step(&["diff", "hi"]),
    step(&["diff", "nosuch"]),
    row(&["images"], "toolbox", "toolbox"),
    keep(&["commit", "writer", "toolbox:written"], "written"),
    step(&[
        "inspect",
        "-f",
        "{{json .Config.Labels}}",
        "toolbox:written",
    ]),
    step(&["tag", "toolbox:written", "mine:v1"]),
    step(&["images"]),
    step(&["rmi", "toolbox"]),
    step(&["rmi", "{written:12}"]),
    step(&["rmi", "toolbox:written"]),
    step(&["images"]),
    step(&[
        "run", "-d", "--name", "sleeper", "toolbox", "/toolbox", "on-term", "0", "sleep",
    ]),
    step(&["rmi", "-f", "toolbox"]),
    Step {
        unstable: Unstable::Numbers,
        ..step(&["top", "sleeper"])
    },
    step(&["top", "sleeper", "-o", "comm"]),
    step(&["top", "writer"]),
    step(&["exec", "sleeper", "/toolbox", "out", "inside", "err", "too"]),
    step(&[
        "exec", "-w", "/data", "-e", "A=1", "sleeper", "/toolbox", "env", "A",
    ]),
    step(&[
        "exec", "-t", "sleeper", "/toolbox", "env", "TERM", "env", "HOME",
    ]),
    step(&[
        "run", "--rm", "-t", "toolbox", "/toolbox", "env", "TERM", "env", "PATH",
    ]),
    step(&["exec", "sleeper", "/nosuch"]),
    step(&[
        "exec",
        "-w",
        "/var/opt/nope",
        "sleeper",
        "/toolbox",
        "out",
        "x",
    ]),
    step(&[
        "exec",
        "-d",
        "sleeper",
        "/toolbox",
        "write",
        "/data/exec",
        "x",
    ]),
    step(&["exec", "writer", "/toolbox", "out", "x"]),
    step(&["exec", "nosuch", "/toolbox"]),
    step(&[
        "run",
        "--rm",
        "--network",
        "host",
        "toolbox",
        "/toolbox",
        "hostname",
    ]),
    step(&[
        "run", "--rm", "--net", "none", "-h", "named", "toolbox", "/toolbox", "hostname",
    ]),
    step(&[
        "run",
        "--rm",
        "--network",
        "container:sleeper",
        "toolbox",
        "/toolbox",
        "hostname",
    ]),
    step(&[
        "run",
        "--rm",
        "--network",
        "container:sleeper",
        "-h",
        "x",
        "toolbox",
    ]),
    step(&["run", "--rm", "--network", "container:", "toolbox"]),
    step(&[
        "run",
        "--rm",
        "--network",
        "bogus",
        "toolbox",
        "/toolbox",
        "out",
        "x",
    ]),
    step(&["run", "--rm", "--network", "container:nosuch", "toolbox"]),
    step(&["run", "--rm", "toolbox", "/nope"]),
    step(&[
        "run",
        "--rm",
        "-v",
        "/etc/hostname:/probe:ro",
        "toolbox",
        "/toolbox",
        "cat",
        "/probe",
    ]),
    step(&[
        "run",
        "--rm",
        "--mount",
        "type=bind,src=/etc,dst=/host,readonly",
        "toolbox",
        "/toolbox",
        "write",
        "/host/berth-walk",
        "x",
    ]),
    step(&[
        "create",
        "--name",
        "cfg",
        "--group-add",
        "4242",
        "--stop-timeout",
        "3",
        "--log-opt",
        "max-file=5",
        "--log-opt",
        "max-size=1m",
        "toolbox",
    ]),
    step(&[
        "inspect",
        "-f",
        "{{json .HostConfig.GroupAdd}} {{json .Config.StopTimeout}} \
         {{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Config}}",
        "cfg",
    ]),
    step(&["rm", "cfg"]),
    step(&["create", "--log-driver", "nope", "toolbox"]),
    step(&["create", "--log-opt", "foo=1", "toolbox"]),
    step(&["create", "--name", "mnt", "-v", "/etc:/host:ro", "toolbox"]),
    step(&[
        "inspect",
        "-f",
        // Not `{{json .Mounts}}`: the berth CLI prints JSON keys sorted, Go in struct order.
        "Binds={{json .HostConfig.Binds}} {{.HostConfig.NetworkMode}}",
        "mnt",
    ]),
    step(&["rm", "mnt"]),
    step(&["run", "--rm", "-v", "/etc:/x", "-v", "/tmp:/x/", "toolbox"]),
    step(&["run", "--rm", "-v", "/etc:/x:bogus", "toolbox"]),
    step(&["run", "--rm", "-v", "/etc:/x:ro:z", "toolbox"]),
    step(&["create", "-v", "/etc::ro", "toolbox"]),
    step(&[
        "run",
        "--rm",
        "--mount",
        "type=bind,src=/berth-no-such-dir,dst=/x",
        "toolbox",
    ]),
    step(&["run", "--rm", "--mount", "type=bind,src=/etc", "toolbox"]),
    step(&[
        "run",
        "--rm",
        "--env-file",
        "/etc/os-release",
        "-e",
        "ID=mine",
        "toolbox",
        "/toolbox",
        "env",
        "ID",
        "env",
        "VERSION_ID",
    ]),
    step(&[
        "run",
        "--rm",
        "--env-file",
        "/berth/no/such/file",
        "toolbox",
    ]),
    step(&[
        "exec",
        "--env-file",
        "/etc/os-release",
        "sleeper",
        "/toolbox",
        "env",
        "ID",
    ]),
    step(&[
        "exec",
        "--env-file",
        "/berth/no/such/file",
        "sleeper",
        "true",
    ]),
    // Docker's confinement, observed from inside by the seccomp probe (`confine`): the
    // default profile, no-new-privileges, unconfined, a profile file (berth's own default,
    // which dockerd must take as the same policy), an exec, and refused options.
    step(&["run", "--rm", "-v", PROBE, "toolbox", "/probe", "status"]),
    step(&[
        "run",
        "--rm",
        "-v",
        PROBE,
        "toolbox",
        "/probe",
        "keyctl",
        "bpf",
        "userfaultfd",
        "perf_event_open",
        "unshare-user",
        "personality-query",
        "personality-exec",
        "clone3",
        "mseal",
    ]),
    step(&[
        "run",
        "--rm",
        "--security-opt",
        "no-new-privileges",
        "-v",
        PROBE,
        "toolbox",
        "/probe",
        "status",
    ]),
    step(&[
        "run",
        "--rm",
        "--security-opt",
        "seccomp=unconfined",
        "-v",
        PROBE,
        "toolbox",
        "/probe",
        "status",
        "keyctl",
        "unshare-user",
        "clone3",
    ]),
    step(&[
        "run",
        "--rm",
        "--security-opt",
        crate::confine::PROFILE_OPT,
        "--security-opt",
        "no-new-privileges:true",
        "-v",
        PROBE,
        "toolbox",
        "/probe",
        "status",
        "keyctl",
        "personality-exec",
        "clone3",
        "mseal",
    ]),
    step(&[
        "run",
        "-d",
        "--name",
        "guarded",
        "--security-opt",
        "no-new-privileges=true",
        "-v",
        PROBE,
        "toolbox",
        "/toolbox",
        "on-term",
        "0",
        "sleep",
    ]),
    step(&["exec", "guarded", "/probe", "status", "keyctl"]),
    step(&["rm", "-f", "guarded"]),
    step(&[
        "create",
        "--name",
        "sec",
        "--security-opt",
        "no-new-privileges:true",
        "--security-opt",
        "seccomp=unconfined",
        "toolbox",
    ]),
    // Not a bare `{{...}}`: the walk would take it for a variable.
    step(&[
        "inspect",
        "-f",
        "SecurityOpt={{json .HostConfig.SecurityOpt}}",
        "sec",
    ]),
    step(&["rm", "sec"]),
    step(&["create", "--security-opt", "foo", "toolbox"]),
    step(&["create", "--security-opt", "foo=bar", "toolbox"]),
    step(&[
        "create",
        "--security-opt",
        "no-new-privileges=maybe",
        "toolbox",
    ]),
    step(&["run", "--rm", "--security-opt", "seccomp=", "toolbox"]),
    step(&[
        "run",
        "--rm",
        "--security-opt",
        "seccomp=/berth/no/such.json",
        "toolbox",
    ]),
    step(&[
        "run",
        "--rm",
        "--security-opt",
        crate::confine::BAD_PROFILE_OPT,
        "toolbox",
    ]),
    step(&[
        "run",
        "--rm",
        "--security-opt",
        "seccomp=builtin",
        "toolbox",
    ]),
    step(&["pause", "sleeper"]),
    step(&["exec", "sleeper", "/toolbox", "out", "x"]),
    step(&["pause", "sleeper"]),
    step(&["ps"]),
    step(&["rm", "sleeper"]),
    step(&["start", "sleeper"]),
    step(&["unpause", "sleeper", "nosuch"]),
    step(&["unpause", "sleeper"]),
    step(&["rm", "sleeper"]),
    step(&["stop", "-t", "1", "sleeper"]),
    step(&["rm", "writer", "sleeper", "nosuch"]),
    step(&["rmi", "toolbox"]),
    step(&["images", "-a"]),
    step(&["rmi", "{toolbox}"]),
    step(&["rmi", "-f", "{toolbox}"]),
    step(&["rmi", "mine:v1"]),
    step(&["images", "-a"]),
    step(&["rmi", "hello-world"]),
    step(&["rmi", "-f", "hello-world"]),
    keep(&["ps", "-aq"], "first"),
    step(&["ps", "-a"]),
    step(&["rm", "{first}"]),
    step(&["images", "-a"]),
    step(&["ps", "-a"]),
    keep(
        &["create", "--name", "made", "-l", "k=v", "hello-world"],
        "made",
    ),
    step(&["create", "--name", "made", "hello-world"]),
    step(&["create", "-m", "x", "hello-world"]),
    step(&["ps", "-a"]),
    step(&["start", "-a", "{made:12}"]),
    step(&["rm", "made"]),
    step(&["run", "--name", "p1", "-l", "tier=demo", "hello-world"]),
    step(&["run", "--name", "p2", "hello-world"]),
    // One container only: more would be listed in map order, and their IDs sort differently
    // on each engine.
    step(&["container", "prune", "-f", "--filter", "label=tier=demo"]),
    step(&["ps", "-a"]),
    step(&["container", "prune", "-f"]),
    step(&["image", "prune", "-f"]),
    unordered(&["image", "prune", "-a", "-f"]),
    step(&["images", "-a"]),
];

/// One walk's results: the arguments as run and what each printed.
#[derive(Debug)]
pub struct Run {
    pub label: String,
    pub steps: Vec<(Vec<String>, Output)>,
}

/// Runs the whole walk with `client` against `socket`.
pub fn run(label: &str, walk: &[Step], client: &Client, socket: &Path, scratch: &Path) -> Run {
    let mut vars = BTreeMap::new();
    let mut steps = Vec::new();
    for step in walk {
        let args: Vec<String> = step.args.iter().map(|a| expand(a, &vars)).collect();
        // A step that needs an ID an earlier step failed to print is not run: that earlier
        // step is the difference to report, not the empty argument this one would get.
        let output = match args.iter().any(String::is_empty) {
            true => Output {
                stdout: String::new(),
                stderr: "[walk harness] not run: an ID it needs was not printed\n".to_string(),
                code: -2,
            },
            false => cli::run(client, socket, &args, scratch),
        };
        let output = stable(output, step.unstable);
        if let Some((name, capture)) = step.capture {
            vars.insert(name, captured(capture, &output.stdout));
        }
        steps.push((args, output));
    }
    Run {
        label: label.to_string(),
        steps,
    }
}

/// `output` without what `unstable` says differs between runs.
fn stable(mut output: Output, unstable: Unstable) -> Output {
    match unstable {
        Unstable::Nothing => {}
        Unstable::LineOrder => {
            let mut lines: Vec<&str> = output.stdout.lines().collect();
            lines.sort_unstable();
            output.stdout = lines.iter().map(|l| format!("{l}\n")).collect();
        }
        Unstable::Numbers => {
            let mut masked = String::new();
            let mut in_number = false;
            for c in output.stdout.chars() {
                match (c.is_ascii_digit(), in_number) {
                    (true, false) => masked.push('N'),
                    (true, true) => {}
                    (false, _) => masked.push(c),
                }
                in_number = c.is_ascii_digit();
            }
            output.stdout = masked;
        }
    }
    output
}

fn captured(capture: Capture, stdout: &str) -> String {
    let value = match capture {
        Capture::FirstLine => stdout.lines().next().unwrap_or("").trim(),
        Capture::ImageRow(repo, tag) => stdout
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|cells| cells.len() > 2 && cells[0] == repo && cells[1] == tag)
            .map(|cells| cells[2])
            .unwrap_or(""),
    };
    value.trim_start_matches("sha256:").to_string()
}

fn expand(arg: &str, vars: &BTreeMap<&str, String>) -> String {
    let Some(inner) = arg.strip_prefix('{').and_then(|a| a.strip_suffix('}')) else {
        return arg.to_string();
    };
    let (name, len) = match inner.split_once(':') {
        Some((name, len)) => (name, len.parse().ok()),
        None => (inner, None),
    };
    let value = vars.get(name).cloned().unwrap_or_default();
    match len {
        Some(len) => value.chars().take(len).collect(),
        None => value,
    }
}

/// The walk's own objects on an engine, so that a shared engine can be cleaned before and after
/// without touching anything else on it.
pub const WALK_CONTAINERS: &[&str] = &[
    "hi", "bg", "writer", "sleeper", "mnt", "guarded", "sec", "cpc", "cpr", "cfg",
];
pub const WALK_IMAGES: &[&str] = &["mine:v1", "toolbox:written", "toolbox", "hello-world"];

/// Removes the walk's containers (by name, and every container of its images) and images.
pub fn clean(client: &Client, socket: &Path, scratch: &Path) {
    let mut victims: Vec<String> = WALK_CONTAINERS.iter().map(|s| s.to_string()).collect();
    for image in WALK_IMAGES {
        let filter = format!("ancestor={image}");
        let args = ["ps", "-aq", "--filter", &filter].map(String::from);
        let listed = cli::run(client, socket, &args, scratch);
        victims.extend(listed.stdout.lines().map(String::from));
    }
    for victim in victims {
        cli::run(client, socket, &["rm".into(), "-f".into(), victim], scratch);
    }
    for image in WALK_IMAGES {
        let args = ["rmi", "-f", image].map(String::from);
        cli::run(client, socket, &args, scratch);
    }
}

/// Images the workspace's other suites pull into the reference engine (the client's CLI tests
/// use busybox). Removed before a walk when no container uses them, so the walk does not depend
/// on running before those suites.
pub const OTHER_SUITES_IMAGES: &[&str] = &["busybox"];

/// Removes [`OTHER_SUITES_IMAGES`] (without force: an image in use stays, and is reported).
pub fn clean_other_suites(client: &Client, socket: &Path, scratch: &Path) {
    for image in OTHER_SUITES_IMAGES {
        cli::run(client, socket, &["rmi".into(), image.to_string()], scratch);
    }
}

/// What else the engine holds (`ps -aq`, `images -aq`): must be empty before a walk.
pub fn leftovers(client: &Client, socket: &Path, scratch: &Path) -> String {
    let ps = cli::run(client, socket, &["ps".into(), "-aq".into()], scratch);
    let images = cli::run(client, socket, &["images".into(), "-aq".into()], scratch);
    format!("{}{}", ps.stdout, images.stdout).trim().to_string()
}

/// The run as a readable transcript, raw (not normalised), for `BERTH_WALK_DUMP=DIR`.
pub fn transcript(run: &Run) -> String {
    let mut out = String::new();
    for (args, output) in &run.steps {
        out.push_str(&format!("$ {}\n{}", args.join(" "), output.stdout));
        out.push_str(&crate::compare::indent_err(&output.stderr));
        out.push_str(&format!("[exit {}]\n", output.code));
    }
    out
}
