//! berth-format must stay pure, because the model depends on it: no file, network,
//! environment, thread, process, clock, random or console access anywhere in `format/src`, and
//! no dependency on another crate of the workspace (which could bring those in).

use std::path::{Path, PathBuf};

const BANNED: &[&str] = &[
    "std::fs",
    "std::net",
    "std::env",
    "std::thread",
    "std::process",
    "SystemTime",
    "Instant::now",
    "rand::",
    "tokio::",
    "std::io::stdin",
    "std::io::stdout",
    "println!",
    "eprintln!",
    "unsafe ",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("format/src is readable") {
        let path = entry.expect("directory entries are readable").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn offences(line: &str) -> Vec<&'static str> {
    let code = line.split("//").next().unwrap_or("");
    BANNED
        .iter()
        .copied()
        .filter(|b| code.contains(b))
        .collect()
}

#[test]
fn format_src_touches_nothing_outside() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() >= 8, "the scan must see the crate's files");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source files are readable");
        for (number, line) in text.lines().enumerate() {
            for banned in offences(line) {
                found.push(format!("{}:{}: {banned}", file.display(), number + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "berth-format must stay pure:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_workspace_crate_is_a_dependency() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let text = std::fs::read_to_string(manifest).expect("the manifest is readable");
    let deps: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("berth-"))
        .collect();
    assert!(deps.is_empty(), "berth-format depends on {deps:?}");
}

#[test]
fn the_scan_would_catch_an_offence() {
    assert_eq!(
        offences("let t = std::time::SystemTime::now();"),
        ["SystemTime"]
    );
    assert!(offences("// SystemTime in a comment").is_empty());
}
