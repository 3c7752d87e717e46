//! The crate's layers, checked against its source: a verb module (`verbs/`) never uses another
//! verb's module, a step (`steps/`) never uses a verb, and nothing below the steps uses them.
//! The lists of verb and step files live here: a file added to `verbs/` or `steps/` without
//! its name on the list fails the test, so the rule cannot be skipped by forgetting it. Only
//! module paths are checked (`super::stop`, `crate::verbs::{start, rm}`, `steps::halt`), not
//! calls through `self`: a verb reaching another through a method of `Containers` is caught in
//! review, not here.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Every verb module (`src/verbs/<name>.rs`).
const VERBS: &[&str] = &[
    "archive",
    "attach",
    "changes",
    "commit",
    "create",
    "exec_create",
    "exec_inspect",
    "exec_resize",
    "exec_start",
    "inspect",
    "kill",
    "list",
    "logs",
    "open",
    "pause",
    "rename",
    "resize",
    "restart",
    "rm",
    "shutdown",
    "start",
    "stop",
    "top",
    "wait",
];

/// Every step module (`src/steps/<name>.rs`).
const STEPS: &[&str] = &[
    "exits", "freezer", "halt", "launch", "removal", "spec", "streams", "view",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The modules of `dir` (file stems, `mod.rs` left out) with their code, comments removed.
fn modules(dir: &Path) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| p.file_stem().is_some_and(|s| s != "mod"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, code_of(&fs::read_to_string(&p).unwrap()))
        })
        .collect();
    found.sort();
    found
}

/// `text` without its `//` comments (doc comments included), which may name any module.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segments that follow `prefix` in `code`: `a` in `prefix a::b`, and `a` and
/// `b` in `prefix{a::x, b}`.
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        let glued = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if glued {
            continue;
        }
        let rest = code[at + prefix.len()..].trim_start();
        match rest.strip_prefix('{') {
            Some(group) => names.extend(group_items(group).into_iter().map(|i| ident(i.trim()))),
            None => {
                names.insert(ident(rest));
            }
        }
    }
    names.remove("");
    names
}

/// The top-level items of a `{...}` group (`group` starts after its `{`).
fn group_items(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0usize, 0usize, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The verb modules `code` names, through any path that can reach one.
fn verbs_named(code: &str) -> BTreeSet<String> {
    ["super::", "verbs::", "crate::"]
        .iter()
        .flat_map(|prefix| names_after(code, prefix))
        .filter(|name| VERBS.contains(&name.as_str()))
        .collect()
}

#[test]
fn the_lists_name_every_verb_and_step_file() {
    let stems = |dir: &str| -> Vec<String> {
        modules(&src().join(dir))
            .into_iter()
            .map(|(m, _)| m)
            .collect()
    };
    let sorted = |list: &[&str]| {
        let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(stems("verbs"), sorted(VERBS), "src/verbs/ and VERBS differ");
    assert_eq!(stems("steps"), sorted(STEPS), "src/steps/ and STEPS differ");
}

#[test]
fn no_verb_imports_another_verb() {
    for (verb, code) in modules(&src().join("verbs")) {
        let mut others = verbs_named(&code);
        others.remove(&verb);
        assert!(
            others.is_empty(),
            "verbs/{verb}.rs uses the verb(s) {others:?}"
        );
    }
}

#[test]
fn steps_use_no_verb_and_the_rest_neither() {
    for (step, code) in modules(&src().join("steps")) {
        let verbs = verbs_named(&code);
        assert!(
            verbs.is_empty(),
            "steps/{step}.rs uses the verb(s) {verbs:?}"
        );
        assert!(!code.contains("verbs::"), "steps/{step}.rs names verbs::");
    }
    for (module, code) in modules(&src()) {
        // The crate root declares the layers and re-exports what the verbs define; this file
        // names verbs in its lists and its examples.
        if module == "lib" || module == "layering" {
            continue;
        }
        for upper in ["verbs::", "steps::"] {
            assert!(
                names_after(&code, upper).is_empty(),
                "{module}.rs names {upper}, a layer above it"
            );
        }
        let verbs = verbs_named(&code);
        assert!(verbs.is_empty(), "{module}.rs uses the verb(s) {verbs:?}");
    }
}

/// The check itself: paths of every shape a verb could use to reach another are seen.
#[test]
fn every_path_to_a_verb_is_seen() {
    let code = code_of(
        "use super::{stop::halt, start};\n\
         use crate::verbs::rm;\n\
         let x = crate::verbs::{kill::KILL_GRACE, wait};\n\
         use super::super::verbs::pause;\n\
         // use super::exec_start; (a comment names nothing)\n\
         use crate::steps::launch; use mysuper::logs;",
    );
    let seen: Vec<String> = verbs_named(&code).into_iter().collect();
    assert_eq!(seen, ["kill", "pause", "rm", "start", "stop", "wait"]);
    assert_eq!(
        names_after(&code, "steps::")
            .into_iter()
            .collect::<Vec<_>>(),
        ["launch"]
    );
}
