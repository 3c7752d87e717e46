//! The model must stay pure: no file, network, environment, thread, process, clock, random or
//! console access anywhere in `model/src`, nor in `format/src` (berth-format, the pure crate the
//! model prints through). Everything of that kind comes in through `Env`.

use std::path::Path;

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

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source directory is readable") {
        let path = entry.expect("directory entries are readable").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn model_src_touches_nothing_outside() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&manifest.join("src"), &mut files);
    rust_files(&manifest.join("../format/src"), &mut files);
    assert!(
        files.len() > 10,
        "the scan must see the model's files, found {}",
        files.len()
    );
    let mut offences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source files are readable");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for banned in BANNED.iter().filter(|b| code.contains(*b)) {
                offences.push(format!("{}:{}: {banned}", file.display(), number + 1));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "the model must stay pure:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_scan_would_catch_an_offence() {
    let line = "let t = std::time::SystemTime::now();";
    assert!(BANNED.iter().any(|b| line.contains(b)));
}
