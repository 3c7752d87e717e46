//! The generated workload and what it promises: operations over the fixture images and a few
//! named containers, chosen by a seeded generator from what exists, and for every image
//! reference and container name whether an acknowledged operation says it must be there,
//! must be gone, or cannot be known (an operation the kill cut short).

use std::collections::BTreeMap;

use crate::daemon::Daemon;

/// The images of the fixture registry the workload pulls; `big` (25 MB, 4 layers) gives the
/// kills a pull long enough to land in.
const BASES: [&str; 4] = ["hello-world", "toolbox", "busybox", "big"];

/// A small, seeded generator (xorshift64*): the same seed gives the same run.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// One operation of the workload, as berth CLI arguments.
#[derive(Debug, Clone)]
pub enum Op {
    Pull(String),
    /// `run --rm`: a container that comes and goes, leaving nothing named.
    RunRm(String),
    /// `run -d --name`: a container that sleeps until stopped, or one that exits at once.
    RunDetached {
        name: String,
        sleeps: bool,
    },
    Create {
        name: String,
        image: String,
    },
    Commit {
        container: String,
        repo: String,
    },
    Tag {
        source: String,
        target: String,
    },
    Rm(String),
    Rmi(String),
}

impl Op {
    pub fn args(&self) -> Vec<String> {
        let words: Vec<&str> = match self {
            Op::Pull(image) => vec!["pull", image],
            Op::RunRm(image) => vec!["run", "--rm", image],
            Op::RunDetached { name, sleeps: true } => vec![
                "run", "-d", "--name", name, "toolbox", "/toolbox", "on-term", "0", "sleep",
            ],
            Op::RunDetached {
                name,
                sleeps: false,
            } => vec!["run", "-d", "--name", name, "hello-world"],
            Op::Create { name, image } => vec!["create", "--name", name, image],
            Op::Commit { container, repo } => vec!["commit", container, repo],
            Op::Tag { source, target } => vec!["tag", source, target],
            Op::Rm(name) => vec!["rm", "-f", name],
            Op::Rmi(image) => vec!["rmi", image],
        };
        words.into_iter().map(str::to_string).collect()
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Op::Pull(_) => "pull",
            Op::RunRm(_) => "run --rm",
            Op::RunDetached { .. } => "run -d",
            Op::Create { .. } => "create",
            Op::Commit { .. } => "commit",
            Op::Tag { .. } => "tag",
            Op::Rm(_) => "rm -f",
            Op::Rmi(_) => "rmi",
        }
    }
}

/// What the CLI said of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// It succeeded: its effect must survive any later crash.
    Done,
    /// It failed with the daemon up (a conflict, say): what it touched is not asserted.
    Failed,
    /// The kill cut it short: it may or may not have happened.
    Unknown,
}

/// Whether an image reference or a container name must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Present,
    Absent,
    Unknown,
}

/// The promises made so far.
#[derive(Debug, Default)]
pub struct World {
    images: BTreeMap<String, Presence>,
    containers: BTreeMap<String, Presence>,
    serial: u32,
}

impl World {
    /// An operation that makes sense now: runs and commits only of what is there.
    pub fn next_op(&mut self, rng: &mut Rng) -> Op {
        self.serial += 1;
        let n = self.serial;
        let images = present(&self.images);
        let containers = present(&self.containers);
        let ours: Vec<String> = images
            .iter()
            .filter(|i| i.starts_with("fault/"))
            .cloned()
            .collect();
        loop {
            let op = match rng.below(16) {
                0..=2 => Op::Pull(rng.pick(&BASES).unwrap().to_string()),
                3 | 4 if has(&images, "hello-world") => Op::RunRm("hello-world".into()),
                5 | 6 if has(&images, "toolbox") && has(&images, "hello-world") => {
                    Op::RunDetached {
                        name: format!("f{n}"),
                        sleeps: rng.below(2) == 0,
                    }
                }
                7 if !images.is_empty() => Op::Create {
                    name: format!("f{n}"),
                    image: rng.pick(&images).unwrap().to_string(),
                },
                8 | 9 if !containers.is_empty() => Op::Commit {
                    container: rng.pick(&containers).unwrap().to_string(),
                    repo: format!("fault/c{n}"),
                },
                10 if !images.is_empty() => Op::Tag {
                    source: rng.pick(&images).unwrap().to_string(),
                    target: format!("fault/t{n}"),
                },
                11 | 12 if !containers.is_empty() => {
                    Op::Rm(rng.pick(&containers).unwrap().to_string())
                }
                13 | 14 if !ours.is_empty() => Op::Rmi(rng.pick(&ours).unwrap().to_string()),
                15 if !images.is_empty() => Op::Rmi(rng.pick(&images).unwrap().to_string()),
                _ => continue,
            };
            return op;
        }
    }

    /// Takes what the CLI said of `op` into the promises.
    pub fn record(&mut self, op: &Op, expect: Expect) {
        let (table, key, done) = match op {
            Op::Pull(image) => (&mut self.images, image.clone(), Presence::Present),
            Op::RunRm(_) => return,
            Op::RunDetached { name, .. } | Op::Create { name, .. } => {
                (&mut self.containers, name.clone(), Presence::Present)
            }
            Op::Commit { repo, .. } => (&mut self.images, repo.clone(), Presence::Present),
            Op::Tag { target, .. } => (&mut self.images, target.clone(), Presence::Present),
            Op::Rm(name) => (&mut self.containers, name.clone(), Presence::Absent),
            Op::Rmi(image) => (&mut self.images, image.clone(), Presence::Absent),
        };
        let now = match expect {
            Expect::Done => done,
            Expect::Failed | Expect::Unknown => Presence::Unknown,
        };
        table.insert(key, now);
    }

    /// How many promises a check asserts.
    pub fn acknowledged(&self) -> usize {
        self.images
            .values()
            .chain(self.containers.values())
            .filter(|p| **p != Presence::Unknown)
            .count()
    }

    /// Every promise, against what the daemon answers: a failed check says which and why.
    pub fn check(&self, daemon: &Daemon) -> Result<(), String> {
        for (name, presence) in self.images.iter().chain(&self.containers) {
            let expected = match presence {
                Presence::Present => true,
                Presence::Absent => false,
                Presence::Unknown => continue,
            };
            let (exists, _) = daemon.cli_output(&["inspect", "--format", "{{.Id}}", name]);
            if exists != expected {
                return Err(format!(
                    "{name} should {} after an acknowledged operation, but inspect {}",
                    if expected { "exist" } else { "be gone" },
                    if exists { "finds it" } else { "does not" }
                ));
            }
        }
        Ok(())
    }
}

fn present(table: &BTreeMap<String, Presence>) -> Vec<String> {
    table
        .iter()
        .filter(|(_, p)| **p == Presence::Present)
        .map(|(k, _)| k.clone())
        .collect()
}

fn has(list: &[String], item: &str) -> bool {
    list.iter().any(|i| i == item)
}
