//! Comparing two runs of the walk: each step normalised (`normalise`) with one symbol table per
//! run, then stdout, stderr and exit code compared. Besides IDs, names and times, only what an
//! engine may legitimately do differently is set aside, each with its reason: the order of
//! `images` rows created at the same instant, the program name in the CLI's own errors, and the
//! inspect fields that describe the engine rather than the object.

use serde_json::Value;

use crate::cli::Output;
use crate::normalise::{civil_date, Symbols};
use crate::walk::{Run, WALK};

/// One step, normalised: what the comparison looks at.
#[derive(Debug, PartialEq)]
struct Seen {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Every difference between two runs of the walk, one text block each (empty: they agree).
pub fn differences(left: &Run, right: &Run) -> Vec<String> {
    let (mut ls, mut rs) = (symbols(), symbols());
    let mut found = Vec::new();
    for (i, ((args, l), (_, r))) in left.steps.iter().zip(&right.steps).enumerate() {
        let (l, r) = (seen(args, l, &mut ls), seen(args, r, &mut rs));
        if l == r {
            continue;
        }
        let (l_out, r_out) = match l.stdout.lines().count() > 20 {
            true => line_diff(&l.stdout, &r.stdout),
            false => (l.stdout.clone(), r.stdout.clone()),
        };
        found.push(format!(
            "step {} `docker {}`:\n--- {} (exit {}):\n{}{}\n--- {} (exit {}):\n{}{}",
            i + 1,
            WALK[i].args.join(" "),
            left.label,
            l.code,
            l_out,
            indent_err(&l.stderr),
            right.label,
            r.code,
            r_out,
            indent_err(&r.stderr),
        ));
    }
    found
}

/// For long outputs (inspect documents): only the lines each side has and the other lacks.
fn line_diff(left: &str, right: &str) -> (String, String) {
    let only = |a: &str, b: &str| -> String {
        let others: Vec<&str> = b.lines().collect();
        let lines: Vec<String> = a
            .lines()
            .filter(|l| !others.contains(l))
            .map(|l| format!("[only here] {l}\n"))
            .collect();
        lines.concat()
    };
    (only(left, right), only(right, left))
}

pub fn indent_err(stderr: &str) -> String {
    stderr.lines().map(|l| format!("[stderr] {l}\n")).collect()
}

fn symbols() -> Symbols {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_secs() / 86_400) as i64)
        .unwrap_or(0);
    Symbols::new(vec![civil_date(days), civil_date(days - 1)])
}

fn seen(args: &[String], output: &Output, symbols: &mut Symbols) -> Seen {
    let stdout = match args.first().map(String::as_str) {
        Some("inspect") if output.code == 0 => inspect(&output.stdout, symbols),
        Some("images") => symbols.text(&sort_ties(&output.stdout)),
        _ => symbols.text(&output.stdout),
    };
    Seen {
        stdout,
        stderr: symbols.text(&same_program_name(&output.stderr)),
        code: output.code,
    }
}

/// `images` rows in a stable order. Both engines list newest first, but dockerd orders images
/// created at the same instant (all fixtures: 2024-01-01; two tags of one image) differently
/// from run to run, so rows with the same CREATED text are sorted among themselves; the order
/// between different CREATED values is still compared.
fn sort_ties(table: &str) -> String {
    let mut lines: Vec<&str> = table.lines().collect();
    let created = |line: &str| -> String {
        let cells: Vec<&str> = line.split("  ").filter(|c| !c.trim().is_empty()).collect();
        cells
            .get(3)
            .map(|c| c.trim().to_string())
            .unwrap_or_default()
    };
    let mut start = 1;
    while start < lines.len() {
        let key = created(lines[start]);
        let end = (start..lines.len())
            .find(|&i| created(lines[i]) != key)
            .unwrap_or(lines.len());
        lines[start..end].sort_unstable();
        start = end;
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The berth CLI names itself where the docker CLI says `docker` (`docker: Error response
/// ...`, `Usage:  docker create ...`, `Run 'docker run --help'`); that is the only text the two
/// may word differently.
fn same_program_name(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| match l.strip_prefix("berth: ") {
            Some(rest) => format!("docker: {rest}\n"),
            None => format!(
                "{}\n",
                l.replace("Run 'berth ", "Run 'docker ")
                    .replace("Usage:  berth ", "Usage:  docker ")
            ),
        })
        .collect()
}

/// Inspect documents, normalised and pretty-printed with sorted keys, minus what describes the
/// engine rather than the image or container:
/// - `GraphDriver`: the storage driver's name and host paths (dockerd: overlay2 under its data
///   root; berth keeps its own layer store under `--root`);
/// - `DockerVersion` (images): the version of the engine that built or committed the image
///   (`20.10.24+dfsg1` on the reference);
/// - `NetworkSettings` and `Config.NetworkDisabled` (containers): networks are out of scope, and
///   the reference runs with `--bridge=none`, which is what sets `NetworkDisabled` there;
/// - the values (not the presence) of `ResolvConfPath`, `HostnamePath`, `HostsPath` and
///   `LogPath`: files under each engine's own root.
///
/// - from `HostConfig.MaskedPaths`, the paths current Docker masks and dockerd 20.10 does not
///   (`/proc/interrupts`, `/sys/devices/virtual/powercap` and the per-CPU `thermal_throttle`
///   directories, moby's advisories GHSA-6fw5-f8r9-fgfm and GHSA-jq35-85cj-fj4p): berth masks
///   them, as the issue asks, and shows what it masks.
///
/// Everything else must match, the rest of the sandbox defaults (`HostConfig.MaskedPaths`,
/// `ReadonlyPaths`) included.
fn inspect(stdout: &str, symbols: &mut Symbols) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(stdout) else {
        return format!("[not JSON]\n{}", symbols.text(stdout));
    };
    if let Some(items) = doc.as_array_mut() {
        items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(drop_engine_fields);
    }
    let doc = symbols.json(&doc);
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// A masked path of current Docker that dockerd 20.10 did not have yet.
fn newer_dockers_mask(path: &str) -> bool {
    let throttle =
        path.starts_with("/sys/devices/system/cpu/cpu") && path.ends_with("/thermal_throttle");
    throttle || path == "/proc/interrupts" || path == "/sys/devices/virtual/powercap"
}

fn drop_engine_fields(item: &mut serde_json::Map<String, Value>) {
    for key in ["GraphDriver", "DockerVersion", "NetworkSettings"] {
        item.remove(key);
    }
    if let Some(config) = item.get_mut("Config").and_then(Value::as_object_mut) {
        config.remove("NetworkDisabled");
    }
    let masked = item
        .get_mut("HostConfig")
        .and_then(|h| h.get_mut("MaskedPaths"))
        .and_then(Value::as_array_mut);
    if let Some(masked) = masked {
        masked.retain(|p| !p.as_str().is_some_and(newer_dockers_mask));
    }
    for key in ["ResolvConfPath", "HostnamePath", "HostsPath", "LogPath"] {
        if let Some(value) = item
            .get_mut(key)
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        {
            *value = Value::String("<path under the engine's root>".to_string());
        }
    }
}
