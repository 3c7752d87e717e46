//! Wiring of the client verbs (`berth ps`, `berth run`, ...): the process's standard streams
//! and whether they are terminals, handed to `berth_client::cli`, which does the work.

use std::io::IsTerminal;

use berth_client::cli::{GlobalArgs, Io, Verb};

/// Runs one client verb and answers its exit code.
pub fn run(global: &GlobalArgs, verb: Verb) -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut io = Io {
        out_terminal: stdout.is_terminal(),
        err_terminal: stderr.is_terminal(),
        out: &mut stdout.lock(),
        err: &mut stderr.lock(),
    };
    berth_client::cli::run(global, verb, &mut io)
}
