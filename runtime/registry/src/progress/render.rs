//! Draws a JSON progress stream as docker CLI 28's `jsonmessage.DisplayJSONMessagesStream`
//! does, byte for byte. On a terminal, every id that carries progress owns a line, redrawn
//! in place: the cursor moves up to it (`ESC[<n>A`), erases it (`ESC[2K`), writes, and moves
//! back down (`ESC[<n>B`); a message without progress ends the block. Without a terminal,
//! messages whose progress would draw something are dropped and the rest are printed one
//! per line as `id: status`. Differences from the CLI: `time`/`timeNano` are printed in UTC
//! (the CLI uses the local zone; pull streams never carry them), and `aux` messages are
//! skipped without a callback.

use super::message::ProgressMessage;
use berth_core::{ErrorKind, Kind, Timestamp};
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};

/// Go's fallback width when the terminal size cannot be read.
const DEFAULT_WIDTH: u16 = 200;

/// Why rendering stopped.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("writing progress: {0}")]
    Io(#[from] io::Error),
    #[error("reading progress stream: {0}")]
    Json(#[from] serde_json::Error),
    /// The stream reported an error (`errorDetail`); its message is what the CLI prints.
    #[error("{message}")]
    Remote { code: i64, message: String },
}

impl Kind for RenderError {
    fn kind(&self) -> ErrorKind {
        match self {
            RenderError::Io(_) => ErrorKind::System,
            RenderError::Json(_) => ErrorKind::InvalidParameter,
            RenderError::Remote { .. } => ErrorKind::System,
        }
    }
}

/// A stateful renderer for one stream.
pub struct Renderer<W: Write> {
    out: W,
    terminal: bool,
    width: u16,
    /// Line of each id in the current block of progress lines, counted from the top.
    lines: HashMap<String, usize>,
    clock: Box<dyn Fn() -> i64 + Send>,
}

impl<W: Write> fmt::Debug for Renderer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("terminal", &self.terminal)
            .field("width", &self.width)
            .finish_non_exhaustive()
    }
}

impl<W: Write> Renderer<W> {
    /// `terminal`: whether `out` is a terminal. `width`: its columns, `None` when unknown
    /// (Go then assumes 200, which draws bars).
    pub fn new(out: W, terminal: bool, width: Option<u16>) -> Self {
        let clock = Box::new(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            i64::try_from(now.as_nanos()).unwrap_or(i64::MAX)
        });
        Renderer {
            out,
            terminal,
            width: width.unwrap_or(DEFAULT_WIDTH),
            lines: HashMap::new(),
            clock,
        }
    }

    /// Replaces the clock (Unix nanoseconds) used for time-left estimates.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// Draws one message. An error message is not drawn: it is returned.
    pub fn display(&mut self, message: &ProgressMessage) -> Result<(), RenderError> {
        if message.aux.is_some() {
            return Ok(());
        }
        let mut diff = 0;
        if !message.id.is_empty()
            && (message.progress_detail.is_some() || !message.progress.is_empty())
        {
            let next = self.lines.len();
            let line = *self.lines.entry(message.id.clone()).or_insert(next);
            if line == next && self.terminal {
                self.out.write_all(b"\n")?;
            }
            diff = self.lines.len() - line;
            if self.terminal {
                cursor(&mut self.out, diff, 'A')?;
            }
        } else {
            // Anything else ends the block: later progress must not redraw older lines.
            self.lines.clear();
        }
        let result = self.draw(message);
        if !message.id.is_empty() && self.terminal {
            cursor(&mut self.out, diff, 'B')?;
        }
        result
    }

    /// `JSONMessage.Display`.
    fn draw(&mut self, m: &ProgressMessage) -> Result<(), RenderError> {
        if let Some(error) = &m.error_detail {
            return Err(RenderError::Remote {
                code: error.code,
                message: error.message.clone(),
            });
        }
        let now = (self.clock)();
        let rendered = m
            .progress_detail
            .as_ref()
            .map(|p| p.render(self.width, now));
        let mut endl = "";
        if self.terminal && m.stream.is_empty() && m.progress_detail.is_some() {
            self.out.write_all(b"\x1b[2K\r")?;
            endl = "\r";
        } else if rendered.as_deref().is_some_and(|r| !r.is_empty()) {
            return Ok(());
        }
        let out = &mut self.out;
        if m.time_nano != 0 {
            write!(out, "{} ", fixed_utc(m.time_nano))?;
        } else if m.time != 0 {
            write!(out, "{} ", fixed_utc(m.time.saturating_mul(1_000_000_000)))?;
        }
        if !m.id.is_empty() {
            write!(out, "{}: ", m.id)?;
        }
        if !m.from.is_empty() {
            write!(out, "(from {}) ", m.from)?;
        }
        match rendered {
            Some(bar) if self.terminal => write!(out, "{} {bar}{endl}", m.status)?,
            _ if !m.progress.is_empty() => write!(out, "{} {}{endl}", m.status, m.progress)?,
            _ if !m.stream.is_empty() => write!(out, "{}{endl}", m.stream)?,
            _ => writeln!(out, "{}{endl}", m.status)?,
        }
        Ok(())
    }
}

/// `aec.Up(n)` / `aec.Down(n)`: nothing for 0.
/// Go's `time.Unix(0, nanos).UTC().Format(RFC3339NanoFixed)`, as the CLI stamps a message.
fn fixed_utc(unix_nanos: i64) -> String {
    Timestamp::from_unix_nanos(i128::from(unix_nanos)).rfc3339_nano_fixed()
}

fn cursor(out: &mut impl Write, n: usize, direction: char) -> io::Result<()> {
    if n == 0 {
        return Ok(());
    }
    write!(out, "\x1b[{n}{direction}")
}

/// Reads a whole stream of JSON messages (any whitespace between them, `\r\n` included)
/// and draws it; stops at the first error message and returns it.
pub fn render_stream<R: Read, W: Write>(
    input: R,
    out: W,
    terminal: bool,
    width: Option<u16>,
) -> Result<W, RenderError> {
    let mut renderer = Renderer::new(out, terminal, width);
    for message in serde_json::Deserializer::from_reader(input).into_iter::<ProgressMessage>() {
        renderer.display(&message?)?;
    }
    renderer.out.flush()?;
    Ok(renderer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dockerd 20.10's stream for `docker pull bb` (observations §8), verbatim.
    const PULL: &str = concat!(
        "{\"status\":\"Pulling from library/bb\",\"id\":\"latest\"}\r\n",
        "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"6e42542e7267\"}\r\n",
        "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":36445,\"total\":1068791},\"progress\":\"[=\\u003e                                                 ]  36.45kB/1.069MB\",\"id\":\"6e42542e7267\"}\r\n",
        "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1068791,\"total\":1068791},\"progress\":\"[==================================================\\u003e]  1.069MB/1.069MB\",\"id\":\"6e42542e7267\"}\r\n",
        "{\"status\":\"Verifying Checksum\",\"progressDetail\":{},\"id\":\"6e42542e7267\"}\r\n",
        "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"6e42542e7267\"}\r\n",
        "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":32768,\"total\":1068791},\"progress\":\"[=\\u003e                                                 ]  32.77kB/1.069MB\",\"id\":\"6e42542e7267\"}\r\n",
        "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":1068791,\"total\":1068791},\"progress\":\"[==================================================\\u003e]  1.069MB/1.069MB\",\"id\":\"6e42542e7267\"}\r\n",
        "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"6e42542e7267\"}\r\n",
        "{\"status\":\"Digest: sha256:113b36625ae3178513c843224b3e0547efc7902a687aff55f0e5b107f1a86176\"}\r\n",
        "{\"status\":\"Status: Downloaded newer image for bb:latest\"}\r\n",
    );

    fn render(input: &str, terminal: bool, width: Option<u16>) -> Result<String, RenderError> {
        render_stream(input.as_bytes(), Vec::new(), terminal, width)
            .map(|out| String::from_utf8(out).unwrap())
    }

    /// What the docker CLI 28 printed for this pull without a terminal (observations §8,
    /// minus the CLI's own `Using default tag` and final reference lines).
    #[test]
    fn without_a_terminal_only_status_lines_are_printed() {
        assert_eq!(
            render(PULL, false, None).unwrap(),
            "latest: Pulling from library/bb\n\
             6e42542e7267: Pulling fs layer\n\
             6e42542e7267: Verifying Checksum\n\
             6e42542e7267: Download complete\n\
             6e42542e7267: Pull complete\n\
             Digest: sha256:113b36625ae3178513c843224b3e0547efc7902a687aff55f0e5b107f1a86176\n\
             Status: Downloaded newer image for bb:latest\n"
        );
    }

    /// Worked out by hand from `DisplayJSONMessagesStream` and `Display`: a new id prints a
    /// newline and gets a line; each redraw goes up `diff` lines (1 for the only layer),
    /// erases, writes `id: status bar\r` and comes back down.
    #[test]
    fn on_a_wide_terminal_the_layer_line_is_redrawn_in_place_with_a_bar() {
        let bar1 = format!("[=>{}]  36.45kB/1.069MB", " ".repeat(49));
        let bar2 = format!("[{}>]  1.069MB/1.069MB", "=".repeat(50));
        let bar3 = format!("[=>{}]  32.77kB/1.069MB", " ".repeat(49));
        let redraw = |status: &str| format!("\x1b[1A\x1b[2K\r6e42542e7267: {status}\r\x1b[1B");
        let want = [
            "latest: Pulling from library/bb\n".to_owned(),
            "\n".to_owned() + &redraw("Pulling fs layer "),
            redraw(&format!("Downloading {bar1}")),
            redraw(&format!("Downloading {bar2}")),
            redraw("Verifying Checksum "),
            redraw("Download complete "),
            redraw(&format!("Extracting {bar3}")),
            redraw(&format!("Extracting {bar2}")),
            redraw("Pull complete "),
            "Digest: sha256:113b36625ae3178513c843224b3e0547efc7902a687aff55f0e5b107f1a86176\n"
                .to_owned(),
            "Status: Downloaded newer image for bb:latest\n".to_owned(),
        ]
        .concat();
        assert_eq!(render(PULL, true, Some(120)).unwrap(), want);
    }

    #[test]
    fn narrow_terminals_drop_the_bar_but_keep_the_counts() {
        let out = render(PULL, true, Some(80)).unwrap();
        assert!(
            out.contains("\r6e42542e7267: Downloading  36.45kB/1.069MB\r"),
            "{out:?}"
        );
        assert!(!out.contains("[=") && !out.contains("=>"), "{out:?}");
    }

    /// Two layers: the second id takes the line below; redrawing the first goes up 2.
    #[test]
    fn several_layers_each_keep_their_line() {
        let stream = concat!(
            "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"aaa\"}",
            "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"bbb\"}",
            "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"aaa\"}",
            "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"bbb\"}",
        );
        let want = concat!(
            "\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B",
            "\n\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B",
            "\x1b[2A\x1b[2K\raaa: Pull complete \r\x1b[2B",
            "\x1b[1A\x1b[2K\rbbb: Pull complete \r\x1b[1B",
        );
        assert_eq!(render(stream, true, Some(200)).unwrap(), want);
        assert_eq!(render(stream, false, None).unwrap(), "aaa: Pulling fs layer\nbbb: Pulling fs layer\naaa: Pull complete\nbbb: Pull complete\n");
    }

    #[test]
    fn an_error_message_stops_the_stream_with_its_text() {
        let stream = "{\"status\":\"Pulling from library/x\",\"id\":\"latest\"}\r\n{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}\r\n{\"status\":\"never\"}";
        let mut out = Vec::new();
        let mut r = Renderer::new(&mut out, false, None);
        let mut last = Ok(());
        for m in serde_json::Deserializer::from_str(stream).into_iter::<ProgressMessage>() {
            last = r.display(&m.unwrap());
            if last.is_err() {
                break;
            }
        }
        assert_eq!(last.unwrap_err().to_string(), "boom");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "latest: Pulling from library/x\n"
        );
        assert!(matches!(
            render(stream, false, None),
            Err(RenderError::Remote { .. })
        ));
    }

    #[test]
    fn garbage_is_a_json_error_and_stream_and_time_fields_print_as_go_does() {
        assert!(matches!(
            render("{\"status\":", false, None),
            Err(RenderError::Json(_))
        ));
        let build = "{\"stream\":\"Step 1/2\\n\"}{\"status\":\"x\",\"timeNano\":1000000000,\"from\":\"img\",\"id\":\"e\"}";
        assert_eq!(
            render(build, false, None).unwrap(),
            "Step 1/2\n1970-01-01T00:00:01.000000000Z e: (from img) x\n"
        );
    }

    #[test]
    fn time_left_uses_the_injected_clock() {
        let stream = "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":100,\"total\":1000,\"start\":1000},\"id\":\"l\"}";
        let mut out = Vec::new();
        let mut r = Renderer::new(&mut out, true, Some(80)).with_clock(|| 1_010_000_000_000);
        r.display(&serde_json::from_str(stream).unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\n\x1b[1A\x1b[2K\rl: Downloading     100B/1kB 1m30s\r\x1b[1B"
        );
    }
}
