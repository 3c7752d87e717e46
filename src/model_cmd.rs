//! `berth model SCENARIO`: read docker commands, answer each with the model, print the CLI
//! text the reference engine would print.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use berth_model::command::parse_line;
use berth_model::render::render;
use berth_model::{Catalog, Model, Profile, SeededEnv};

/// Runs the scenario; the exit code is 1 if any line could not be parsed.
pub fn run(scenario: &Path, profile: &str, seed: u64) -> anyhow::Result<i32> {
    let profile: Profile = profile.parse()?;
    let text = read(scenario)?;
    let mut model = Model::new(profile, Catalog::fixtures());
    let mut env = SeededEnv::with_seed(seed);
    let mut code = 0;
    for (number, line) in text.lines().enumerate() {
        let command = match parse_line(line) {
            Ok(Some(command)) => command,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("{}:{}: {e}", scenario.display(), number + 1);
                code = 1;
                continue;
            }
        };
        let answer = model.apply(&command, &mut env);
        let output = render(&command, answer.outcome(), env.peek());
        println!("$ {command}");
        print!("{}", output.stdout);
        for line in output.stderr.lines() {
            println!("! {line}");
        }
        if output.exit != 0 {
            println!("[exit {}]", output.exit);
        }
    }
    Ok(code)
}

fn read(path: &Path) -> anyhow::Result<String> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?;
    } else {
        text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(text)
}
