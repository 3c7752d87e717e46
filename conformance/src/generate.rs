//! Generation of cases. A case is a swarm mask (which kinds of command are on) and a list of
//! raw intents; each intent is resolved against the model's state when the case runs, so
//! weights follow the state (no `logs` storm on an empty engine) while proptest can still
//! shrink the intent list. Resolution yields command templates whose `{cN}` / `{cN:12}`
//! handles each engine fills with its own ID of the N-th container created in the case.

use berth_model::Model;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// One raw choice; what it becomes depends on the state it meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub kind: u8,
    pub a: u8,
    pub b: u8,
    pub flag: bool,
}

/// A generated case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Bit k set: command kind k may be generated (swarm testing).
    pub swarm: u32,
    pub intents: Vec<Intent>,
}

/// The kinds of generated command, with their weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    RunShort,
    RunSleeper,
    RunFailing,
    Create,
    Start,
    Stop,
    Kill,
    Restart,
    Rm,
    Logs,
    Wait,
    Inspect,
    Rename,
    Commit,
    Tag,
    Rmi,
    Pull,
    Ps,
    Images,
    RemoteRetag,
}

const KINDS: &[(Kind, u32)] = &[
    (Kind::RunShort, 8),
    (Kind::RunSleeper, 4),
    (Kind::RunFailing, 2),
    (Kind::Create, 3),
    (Kind::Start, 3),
    (Kind::Stop, 3),
    (Kind::Kill, 2),
    (Kind::Restart, 1),
    (Kind::Rm, 4),
    (Kind::Logs, 2),
    (Kind::Wait, 2),
    (Kind::Inspect, 2),
    (Kind::Rename, 2),
    (Kind::Commit, 3),
    (Kind::Tag, 2),
    (Kind::Rmi, 4),
    (Kind::Pull, 3),
    (Kind::Ps, 1),
    (Kind::Images, 1),
    (Kind::RemoteRetag, 1),
];

const NAMES: &[&str] = &["web", "db", "cache", "n1"];
const BAD_NAMES: &[&str] = &["a", "-x", "x!y"];
const IMAGES: &[&str] = &[
    "toolbox",
    "hello-world",
    "hello-world:base",
    "toolbox:latest",
];
const TAGS: &[&str] = &["mine:v1", "mine:v2", "other", "toolbox:old"];
/// References `docker images REF` filters by: a repository (all its tags), one tag of an
/// image that may carry several, and one that names nothing.
const IMAGE_FILTERS: &[&str] = &[
    "hello-world",
    "hello-world:base",
    "toolbox",
    "mine",
    "mine:v1",
    "other",
    "nosuch",
];
const SHORT_PROGRAMS: &[&str] = &[
    "/toolbox out hello",
    "/toolbox out a err b exit 3",
    "/toolbox write /data/new x",
    "/toolbox rm /data/seed.txt ls /data",
    "/toolbox cat /data/seed.txt",
    "/toolbox cat /data/missing",
    "/toolbox hostname env PATH uid pid",
    "/toolbox exit 0",
    "",
];
const SLEEPERS: &[&str] = &[
    "/toolbox sleep",
    // `up` is printed once the handler is in place, and the harness waits for it before the
    // next step: PID 1 ignores a SIGTERM that arrives before.
    "/toolbox on-term 7 out up sleep",
    "/toolbox ignore-term out ready sleep",
];
const FAILING: &[&str] = &["/nope", "nope", "/data/seed.txt", "/toolbox bogus-op"];

/// The proptest strategy for cases of up to `max_len` intents.
pub fn cases(max_len: usize) -> impl Strategy<Value = Case> {
    let intent = (any::<u8>(), any::<u8>(), any::<u8>(), any::<bool>())
        .prop_map(|(kind, a, b, flag)| Intent { kind, a, b, flag });
    (any::<u32>(), proptest::collection::vec(intent, 1..=max_len))
        .prop_map(|(swarm, intents)| Case { swarm, intents })
}

fn pick<'a>(items: &[&'a str], n: u8) -> &'a str {
    items[n as usize % items.len()]
}

/// The kind an intent asks for, under the swarm mask (at least a few kinds always stay on).
fn kind_of(intent: &Intent, swarm: u32) -> Kind {
    let enabled: Vec<(Kind, u32)> = KINDS
        .iter()
        .enumerate()
        .filter(|(i, (k, _))| {
            swarm & (1 << i) != 0 || matches!(k, Kind::RunShort | Kind::Rm | Kind::Ps)
        })
        .map(|(_, kw)| *kw)
        .collect();
    let total: u32 = enabled.iter().map(|(_, w)| w).sum();
    let mut at = u32::from(intent.kind) * total / 256;
    for (kind, weight) in &enabled {
        if at < *weight {
            return *kind;
        }
        at -= weight;
    }
    Kind::RunShort
}

/// A container target: a pool name a live container holds (generated names differ between
/// engines, so only chosen names are used), a handle (full or short ID) of a container created
/// in this case, or an unknown name.
fn target(model: &Model, created: usize, n: u8, running_only: Option<bool>) -> String {
    let named: Vec<String> = model
        .containers()
        .filter(|c| running_only.is_none_or(|want| c.state.is_running() == want))
        .map(|c| c.name.trim_start_matches('/').to_string())
        .filter(|name| NAMES.contains(&name.as_str()))
        .collect();
    match n % 8 {
        0 => "nosuch".to_string(),
        1..=3 if created > 0 => format!("{{c{}:12}}", usize::from(n / 8) % created + 1),
        4 if created > 0 => format!("{{c{}}}", usize::from(n / 8) % created + 1),
        5 if created > 0 => format!("{{c{}:1}}", usize::from(n / 8) % created + 1),
        _ if !named.is_empty() => named[usize::from(n / 8) % named.len()].clone(),
        _ => pick(NAMES, n).to_string(),
    }
}

fn name_flag(n: u8) -> String {
    match n % 6 {
        0 | 1 => String::new(),
        2 => format!("--name {} ", pick(BAD_NAMES, n / 6)),
        _ => format!("--name {} ", pick(NAMES, n / 6)),
    }
}

/// Resolves an intent against the model's state into a command template.
pub fn resolve(intent: &Intent, swarm: u32, model: &Model, created: usize) -> String {
    let Intent { a, b, flag, .. } = *intent;
    let has_containers = model.containers().next().is_some();
    let kind = match kind_of(intent, swarm) {
        // Verbs about containers on an engine with none make little sense: run something.
        Kind::Start
        | Kind::Stop
        | Kind::Kill
        | Kind::Restart
        | Kind::Logs
        | Kind::Wait
        | Kind::Rename
        | Kind::Commit
            if !has_containers =>
        {
            Kind::RunShort
        }
        kind => kind,
    };
    let rm = if flag && a % 3 == 0 { "--rm " } else { "" };
    match kind {
        Kind::RunShort => format!(
            "docker run {rm}{}{} {}",
            name_flag(a),
            pick(IMAGES, b),
            pick(SHORT_PROGRAMS, a / 3)
        )
        .trim_end()
        .to_string(),
        Kind::RunSleeper => format!(
            "docker run -d {rm}{}toolbox {}",
            name_flag(a),
            pick(SLEEPERS, b)
        ),
        Kind::RunFailing => format!(
            "docker run {rm}{}toolbox {}",
            name_flag(a),
            pick(FAILING, b)
        ),
        Kind::Create => format!(
            "docker create {}{} {}",
            name_flag(a),
            pick(IMAGES, b),
            pick(SHORT_PROGRAMS, a / 5)
        )
        .trim_end()
        .to_string(),
        Kind::Start => format!(
            "docker start {}{}",
            if flag { "-a " } else { "" },
            target(model, created, a, Some(false))
        ),
        Kind::Stop => format!(
            "docker stop -t {} {}",
            u8::from(flag),
            target(model, created, a, None)
        ),
        Kind::Kill => format!(
            "docker kill {}{}",
            if flag { "-s TERM " } else { "" },
            target(model, created, a, None)
        ),
        Kind::Restart => format!("docker restart -t 1 {}", target(model, created, a, None)),
        Kind::Rm => format!(
            "docker rm {}{}",
            if flag { "-f " } else { "" },
            target(model, created, a, None)
        ),
        Kind::Logs => format!("docker logs {}", target(model, created, a, None)),
        Kind::Wait => format!("docker wait {}", target(model, created, a, Some(false))),
        Kind::Inspect if b % 2 == 0 => format!("docker inspect {}", pick(IMAGES, a)),
        Kind::Inspect => format!("docker inspect {}", target(model, created, a, None)),
        Kind::Rename => format!(
            "docker rename {} -- {}",
            target(model, created, a, None),
            pick(if b % 4 == 0 { BAD_NAMES } else { NAMES }, b)
        ),
        Kind::Commit if flag => format!(
            "docker commit -c 'CMD [\"/toolbox\",\"ls\",\"/data\"]' {} {}",
            target(model, created, a, None),
            pick(TAGS, b)
        ),
        Kind::Commit => format!(
            "docker commit {} {}",
            target(model, created, a, None),
            pick(TAGS, b)
        ),
        Kind::Tag => format!("docker tag {} {}", pick(IMAGES, a), pick(TAGS, b)),
        Kind::Rmi => format!(
            "docker rmi {}{}",
            if flag { "-f " } else { "" },
            pick(if a % 3 == 0 { TAGS } else { IMAGES }, b)
        ),
        Kind::Pull => format!(
            "docker pull {}",
            pick(
                if a % 5 == 0 {
                    &["nosuch", "toolbox:nosuch"][..]
                } else {
                    IMAGES
                },
                b
            )
        ),
        Kind::Ps => format!("docker ps{}", if flag { " -a" } else { "" }),
        // A third of them filter by a reference, so that an image with several tags is listed
        // through one of them (dockerd shows only the tags that match).
        Kind::Images => format!(
            "docker images{}{}",
            if flag { " -a" } else { "" },
            match a % 3 {
                0 => format!(" {}", pick(IMAGE_FILTERS, b)),
                _ => String::new(),
            }
        ),
        Kind::RemoteRetag => format!(
            "remote-retag {} {}",
            pick(&["hello-world", "toolbox"], a),
            pick(&["toolbox", "hello-world"], a)
        ),
    }
}

/// Fills `{cN}` and `{cN:12}` handles with an engine's container IDs (creation order).
pub fn fill(template: &str, created: &[String]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{c") {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let token = &rest[open + 2..open + close];
        let (index, len) = match token.split_once(':') {
            Some((i, len)) => (i, len.parse::<usize>().unwrap_or(64).min(64)),
            None => (token, 64),
        };
        let id = index
            .parse::<usize>()
            .ok()
            .and_then(|i| created.get(i.wrapping_sub(1)));
        match id {
            Some(id) => out.push_str(&id[..len]),
            None => out.push_str("nosuchhandle"),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_model::{Catalog, Profile};

    #[test]
    fn handles_are_filled_per_engine() {
        let ids = vec!["a".repeat(64), "b".repeat(64)];
        assert_eq!(
            fill("docker rm {c2:12} {c1}", &ids),
            format!("docker rm bbbbbbbbbbbb {}", "a".repeat(64))
        );
        assert_eq!(fill("docker rm {c9}", &ids), "docker rm nosuchhandle");
    }

    #[test]
    fn every_resolved_intent_parses() {
        let model = Model::new(Profile::Docker2010, Catalog::fixtures());
        let ids = vec!["c".repeat(64)];
        for kind in 0..=255u8 {
            for a in [0u8, 7, 100, 255] {
                let intent = Intent {
                    kind,
                    a,
                    b: a.wrapping_mul(3),
                    flag: a % 2 == 0,
                };
                let line = fill(&resolve(&intent, u32::MAX, &model, 1), &ids);
                assert!(berth_model::command::parse_line(&line).is_ok(), "{line}");
            }
        }
    }
}
