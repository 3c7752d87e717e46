//! Scenario files: plain docker commands, one per line (`#` comments, blank lines ignored).

use berth_model::command::{parse_line, CommandError};
use berth_model::Command;

/// A line that is not a command the harness knows.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {source}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub source: CommandError,
}

/// Parses a scenario; every line must be a known command.
pub fn parse(file: &str, text: &str) -> Result<Vec<Command>, ScenarioError> {
    let mut commands = Vec::new();
    for (number, line) in text.lines().enumerate() {
        match parse_line(line) {
            Ok(Some(command)) => commands.push(command),
            Ok(None) => {}
            Err(source) => {
                return Err(ScenarioError {
                    file: file.to_string(),
                    line: number + 1,
                    source,
                })
            }
        }
    }
    Ok(commands)
}

/// The scenario that ships with berth.
pub fn basics() -> Vec<Command> {
    parse(
        "fixtures/scenarios/basics.txt",
        include_str!("../../fixtures/scenarios/basics.txt"),
    )
    .expect("basics.txt parses")
}
