//! Docker's JSON message streams (pull, load) rendered as the docker CLI's `jsonmessage` does:
//! on a terminal each layer keeps one line, redrawn in place with a progress bar; otherwise
//! only lines without a progress bar are printed, one per line. An `error` message ends the
//! stream as an error.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use berth_format::units::human_size;
use serde_json::Value;

use crate::cli::CliError;

/// How the output looks: a terminal of some width, or plain lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Terminal { width: u16 },
    Plain,
}

/// The width of the terminal on standard output or error (0 when unknown).
pub fn terminal_width(stderr: bool) -> u16 {
    let size = if stderr {
        rustix::termios::tcgetwinsize(std::io::stderr())
    } else {
        rustix::termios::tcgetwinsize(std::io::stdout())
    };
    size.map_or(0, |s| s.ws_col)
}

/// Renders the stream of JSON messages in `input` to `out`; an `error` message ends it.
pub fn render(input: impl BufRead, out: &mut dyn Write, display: Display) -> Result<(), CliError> {
    let mut lines: HashMap<String, usize> = HashMap::new();
    let terminal = matches!(display, Display::Terminal { .. });
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let message: Value = serde_json::from_str(&line)
            .map_err(|e| CliError::Message(format!("invalid JSON message: {e}")))?;
        if message.get("aux").is_some() {
            continue;
        }
        if let Some(error) = message["errorDetail"]["message"]
            .as_str()
            .or_else(|| message["error"].as_str())
        {
            out.flush()?;
            return Err(CliError::Message(error.to_string()));
        }
        let id = message["id"].as_str().unwrap_or("");
        let progress = message.get("progressDetail").filter(|p| !p.is_null());
        let mut diff = 0;
        if !id.is_empty() && progress.is_some() {
            let count = lines.len();
            let line = *lines.entry(id.to_string()).or_insert_with(|| {
                if terminal {
                    let _ = out.write_all(b"\n");
                }
                count
            });
            diff = lines.len() - line;
            if terminal && diff > 0 {
                write!(out, "\x1b[{diff}A")?;
            }
        } else {
            // Anything that is not progress starts a new history, as the CLI does.
            lines.clear();
        }
        display_one(&message, progress, out, display)?;
        if !id.is_empty() && terminal && diff > 0 {
            write!(out, "\x1b[{diff}B")?;
        }
        out.flush()?;
    }
    Ok(())
}

/// `JSONMessage.Display`.
fn display_one(
    message: &Value,
    progress: Option<&Value>,
    out: &mut dyn Write,
    display: Display,
) -> std::io::Result<()> {
    let bar = progress
        .map(|p| progress_string(p, display))
        .unwrap_or_default();
    let mut endl = "";
    match display {
        Display::Terminal { .. } if message.get("stream").is_none() && progress.is_some() => {
            out.write_all(b"\x1b[2K\r")?;
            endl = "\r";
        }
        // Progress bars are not drawn without a terminal.
        Display::Plain if !bar.is_empty() => return Ok(()),
        _ => {}
    }
    let id = message["id"].as_str().unwrap_or("");
    if !id.is_empty() {
        write!(out, "{id}: ")?;
    }
    if let Some(from) = message["from"].as_str() {
        write!(out, "(from {from}) ")?;
    }
    let status = message["status"].as_str().unwrap_or("");
    if progress.is_some() && matches!(display, Display::Terminal { .. }) {
        write!(out, "{status} {bar}{endl}")
    } else if let Some(text) = message["progress"].as_str().filter(|t| !t.is_empty()) {
        write!(out, "{status} {text}{endl}")
    } else if let Some(stream) = message["stream"].as_str() {
        write!(out, "{stream}{endl}")
    } else {
        writeln!(out, "{status}{endl}")
    }
}

/// `JSONProgress.String`: `[====>   ] 1.2MB/3.4MB` (the bar only when wider than 110
/// columns), without the time-left estimate when the start time is unknown.
fn progress_string(detail: &Value, display: Display) -> String {
    let current = detail["current"].as_i64().unwrap_or(0);
    let total = detail["total"].as_i64().unwrap_or(0);
    let width = match display {
        Display::Terminal { width } => width,
        Display::Plain => 200,
    };
    if current <= 0 && total <= 0 {
        return String::new();
    }
    if total <= 0 {
        return format!("{:>8}", human_size(current as f64));
    }
    let percentage = ((current as f64 / total as f64 * 100.0) as i64 / 2).clamp(0, 50) as usize;
    let mut text = String::new();
    if width > 110 {
        text = format!(
            "[{}>{}] ",
            "=".repeat(percentage),
            " ".repeat(50 - percentage)
        );
    }
    let current_size = human_size(current as f64);
    if current > total {
        text.push_str(&format!("{current_size:>8}"));
    } else {
        text.push_str(&format!("{current_size:>8}/{}", human_size(total as f64)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const PULL: &str = concat!(
        r#"{"status":"Pulling from library/busybox","id":"latest"}"#,
        "\n",
        r#"{"status":"Pulling fs layer","progressDetail":{},"id":"d5263ae442a8"}"#,
        "\n",
        r#"{"status":"Downloading","progressDetail":{"current":1024,"total":2048},"progress":"[=>  ]","id":"d5263ae442a8"}"#,
        "\n",
        r#"{"status":"Download complete","progressDetail":{},"id":"d5263ae442a8"}"#,
        "\n",
        r#"{"status":"Pull complete","progressDetail":{},"id":"d5263ae442a8"}"#,
        "\n",
        r#"{"status":"Digest: sha256:8aa7"}"#,
        "\n",
        r#"{"status":"Status: Downloaded newer image for busybox:latest"}"#,
        "\n",
    );

    #[test]
    fn without_a_terminal_only_status_lines_are_printed() {
        let mut out = Vec::new();
        render(PULL.as_bytes(), &mut out, Display::Plain).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "latest: Pulling from library/busybox\nd5263ae442a8: Pulling fs layer\n\
             d5263ae442a8: Download complete\nd5263ae442a8: Pull complete\n\
             Digest: sha256:8aa7\nStatus: Downloaded newer image for busybox:latest\n"
        );
    }

    #[test]
    fn on_a_terminal_layers_are_redrawn_in_place_with_bars() {
        let mut out = Vec::new();
        render(PULL.as_bytes(), &mut out, Display::Terminal { width: 120 }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(
            "\x1b[1A\x1b[2K\rd5263ae442a8: Downloading [=========================>                         ]  1.024kB/2.048kB\r\x1b[1B"
        ), "{text:?}");
        let narrow = progress_string(
            &serde_json::json!({"current": 1024, "total": 2048}),
            Display::Terminal { width: 80 },
        );
        assert_eq!(narrow, " 1.024kB/2.048kB");
    }

    #[test]
    fn an_error_message_ends_the_stream() {
        let input =
            "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n";
        let e = render(input.as_bytes(), &mut Vec::new(), Display::Plain).unwrap_err();
        assert_eq!(e.to_string(), "manifest unknown");
    }
}
