//! What the docker CLI prints for each answer: stdout, stderr and the exit code.

use crate::command::Command;
use crate::container::{LogChunk, Stream};
use crate::error::{ErrorKind, ModelError};
use crate::render::pull::pull_lines;
use crate::render::table::{images_table, ps_table, ImagesFormat, PsFormat};
use crate::response::{DeleteItem, Outcome, PullReport, Response};
use berth_format::exit_code::run_exit_code;
use berth_format::Timestamp;

/// A CLI invocation's visible result.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CliOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit: i32,
}

impl CliOutput {
    fn out(&mut self, line: impl AsRef<str>) {
        self.stdout.push_str(line.as_ref());
        self.stdout.push('\n');
    }

    fn err(&mut self, line: impl AsRef<str>) {
        self.stderr.push_str(line.as_ref());
        self.stderr.push('\n');
    }

    fn chunks(&mut self, chunks: &[LogChunk]) {
        for chunk in chunks {
            match chunk.stream {
                Stream::Stdout => self.stdout.push_str(&chunk.text),
                Stream::Stderr => self.stderr.push_str(&chunk.text),
            }
        }
    }
}

/// Renders `outcome` as the CLI prints the answer to `command`.
pub fn render(command: &Command, outcome: &Outcome, now: Timestamp) -> CliOutput {
    let mut out = CliOutput::default();
    match (command, outcome) {
        (Command::Run { opts, .. }, Err(e)) => {
            pulled_first(&mut out, &opts.image, e.pulled.as_deref());
            run_error(&mut out, e)
        }
        (Command::Inspect { .. }, Err(e)) => {
            out.out("[]");
            out.err(match e.kind {
                ErrorKind::NotFound => format!("Error: {}", e.message),
                _ => daemon_error(e),
            });
            out.exit = 1;
        }
        (Command::Rename { old, new }, Err(e)) => {
            if old.is_empty() || new.is_empty() {
                out.err(format!("Error: {}", e.message));
            } else {
                out.err(daemon_error(e));
                out.err(format!("Error: failed to rename container named {old}"));
            }
            out.exit = 1;
        }
        // The CLI parses the reference itself: a bad one fails before anything is sent.
        (Command::Pull { .. }, Err(e)) if e.message.starts_with("invalid reference format") => {
            out.err(&e.message);
            out.exit = 1;
        }
        (Command::Pull { reference }, Err(e)) => {
            if !has_tag_or_digest(reference) {
                out.out("Using default tag: latest");
            }
            out.err(daemon_error(e));
            out.exit = 1;
        }
        (Command::Tag { .. }, Err(e)) if e.message.starts_with("Error parsing reference") => {
            out.err(&e.message);
            out.exit = 1;
        }
        (_, Err(e)) => {
            if let Command::Create(opts) = command {
                pulled_first(&mut out, &opts.image, e.pulled.as_deref());
            }
            out.err(daemon_error(e));
            out.exit = 1;
        }
        (_, Ok(response)) => render_ok(&mut out, command, response, now),
    }
    out
}

/// Whether a (valid) reference names a tag or a digest; the port of a registry host is no tag.
fn has_tag_or_digest(reference: &str) -> bool {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    last.contains(':') || reference.contains('@')
}

fn daemon_error(e: &ModelError) -> String {
    format!("Error response from daemon: {}", e.message)
}

/// `run` errors: prefixed `docker:`, a hint, and 125, or 127/126 when the message says the
/// executable was not found or could not be executed. (`create` errors print plainly, exit 1.)
fn run_error(out: &mut CliOutput, e: &ModelError) {
    out.err(format!("docker: {}", daemon_error(e)));
    out.err("");
    out.err("Run 'docker run --help' for more information");
    out.exit = run_exit_code(&e.message);
}

fn render_ok(out: &mut CliOutput, command: &Command, response: &Response, now: Timestamp) {
    match (command, response) {
        (_, Response::Pulled(report)) => pull_lines(report, true).iter().for_each(|l| out.out(l)),
        (Command::Images { quiet, .. }, Response::Images(list)) => {
            out.stdout = images_table(
                list,
                ImagesFormat {
                    quiet: *quiet,
                    no_trunc: false,
                },
                now,
            );
        }
        (
            Command::Ps {
                quiet, no_trunc, ..
            },
            Response::Containers(list),
        ) => {
            out.stdout = ps_table(
                list,
                PsFormat {
                    quiet: *quiet,
                    no_trunc: *no_trunc,
                },
                now,
            );
        }
        (_, Response::InspectContainer(_) | Response::InspectImage(_)) => {
            let json = crate::inspect::inspect_json(response).expect("inspect answers render");
            out.out(
                serde_json::to_string_pretty(&serde_json::json!([json])).expect("json renders"),
            );
        }
        (Command::Create(opts), Response::Created { id, pulled }) => {
            pulled_first(out, &opts.image, pulled.as_ref());
            out.out(id.as_str());
        }
        (Command::Run { opts, .. }, Response::Ran(run)) => {
            pulled_first(out, &opts.image, run.pulled.as_ref());
            if run.detached {
                out.out(run.id.as_str());
            }
            out.chunks(&run.output);
            out.exit = run.exit.unwrap_or(0);
            if let Some(e) = &run.start_error {
                run_error(out, e);
            }
        }
        (_, Response::Attached { output, exit }) => {
            out.chunks(output);
            out.exit = exit.unwrap_or(0);
        }
        (_, Response::Logs(chunks)) => out.chunks(chunks),
        (_, Response::Committed { id }) => out.out(id.as_str()),
        (_, Response::PerTarget(results)) => per_target(out, command, results),
        _ => {}
    }
}

/// What `run`/`create` print on stderr before the pull they needed.
fn pulled_first(out: &mut CliOutput, image: &str, pulled: Option<&PullReport>) {
    if let Some(report) = pulled {
        out.err(format!(
            "Unable to find image '{}' locally",
            report.familiar_or(image)
        ));
        pull_lines(report, false)
            .iter()
            .filter(|l| !l.starts_with("Using default tag"))
            .for_each(|l| out.err(l));
    }
}

impl PullReport {
    fn familiar_or(&self, _typed: &str) -> &str {
        &self.familiar
    }
}

/// Multi-target verbs print each success as typed (or its answer) and each failure, then
/// exit 1 if anything failed. `start` adds its own summary line.
fn per_target(out: &mut CliOutput, command: &Command, results: &[(String, Outcome)]) {
    let mut failed = Vec::new();
    for (target, outcome) in results {
        match outcome {
            Ok(Response::Waited { status }) => out.out(status.to_string()),
            Ok(Response::ImageDeleted(items)) => {
                items.iter().for_each(|item| out.out(delete_line(item)))
            }
            Ok(_) => out.out(target),
            Err(e) if e.kind == ErrorKind::NotModified => out.out(target),
            Err(e) => {
                out.err(daemon_error(e));
                // `rm -f` and `rmi -f` report missing objects but do not fail for them
                // (checked with docker CLI 28.2.2: `docker rmi -f nosuch:tag` exits 0).
                let forced = matches!(
                    command,
                    Command::Rm { force: true, .. } | Command::Rmi { force: true, .. }
                );
                let forced_missing = forced && e.kind == ErrorKind::NotFound;
                if !forced_missing {
                    failed.push(target.as_str());
                }
            }
        }
    }
    if failed.is_empty() {
        return;
    }
    if let Command::Start { .. } = command {
        out.err(format!(
            "Error: failed to start containers: {}",
            failed.join(", ")
        ));
    }
    out.exit = 1;
}

fn delete_line(item: &DeleteItem) -> String {
    match item {
        DeleteItem::Untagged(r) => format!("Untagged: {r}"),
        DeleteItem::Deleted(d) => format!("Deleted: {d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Command {
        crate::command::parse_line(line).unwrap().unwrap()
    }

    #[test]
    fn forced_removal_of_missing_objects_prints_but_succeeds() {
        let missing = || Err(ModelError::not_found("No such image: nosuch:tag"));
        let results = vec![("nosuch:tag".to_string(), missing())];
        let now = Timestamp::UNIX_EPOCH;
        for (line, exit) in [
            ("docker rmi -f nosuch:tag", 0),
            ("docker rmi nosuch:tag", 1),
        ] {
            let out = render(&parse(line), &Ok(Response::PerTarget(results.clone())), now);
            assert_eq!(
                out.stderr,
                "Error response from daemon: No such image: nosuch:tag\n"
            );
            assert_eq!(out.exit, exit, "{line}");
        }
    }

    #[test]
    fn a_failed_pull_of_an_untagged_reference_announces_the_default_tag() {
        let e = || Err(ModelError::not_found("manifest unknown"));
        let now = Timestamp::UNIX_EPOCH;
        let untagged = render(&parse("docker pull nosuch"), &e(), now);
        assert_eq!(untagged.stdout, "Using default tag: latest\n");
        let tagged = render(&parse("docker pull localhost:5000/nosuch:v1"), &e(), now);
        assert_eq!(tagged.stdout, "");
        let on_port = render(&parse("docker pull localhost:5000/nosuch"), &e(), now);
        assert_eq!(on_port.stdout, "Using default tag: latest\n");
    }
}
