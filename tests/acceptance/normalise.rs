//! Normalisation of what a CLI printed, so that two engines (or two CLIs) that behave the same
//! print the same: image and container IDs (full, `sha256:`-prefixed and 12-hex short) become
//! `<idN>` symbols in order of first appearance, generated container names `<nameN>`, recent
//! times `<time>` and sub-day durations `<dur>`. Everything else is kept byte for byte, except
//! the runs of spaces that pad table columns (their width follows the replaced strings).
//!
//! Not `berth_conformance::normalise`: the CLI prints short IDs (`images`, `ps`) long before (or
//! without ever) printing the full ID, so symbols here are keyed by the 12-hex prefix, and the
//! CLI's texts carry durations and pull progress that an Engine API observation never has.

use std::collections::BTreeMap;

use serde_json::Value;

/// One walk's symbol table: the same ID or name always gets the same symbol, no two share one.
#[derive(Debug, Default)]
pub struct Symbols {
    /// 12-hex prefix -> symbol number.
    ids: BTreeMap<String, usize>,
    names: BTreeMap<String, usize>,
    /// Today's and yesterday's dates (`YYYY-MM-DD`, UTC): timestamps on them are "recent".
    recent_days: Vec<String>,
}

impl Symbols {
    /// A table that treats timestamps on the given dates (`YYYY-MM-DD`) as recent.
    pub fn new(recent_days: Vec<String>) -> Symbols {
        Symbols {
            recent_days,
            ..Symbols::default()
        }
    }

    fn id(&mut self, hex: &str) -> usize {
        let next = self.ids.len() + 1;
        *self.ids.entry(hex[..12].to_string()).or_insert(next)
    }

    fn name(&mut self, name: &str) -> usize {
        let next = self.names.len() + 1;
        *self.names.entry(name.to_string()).or_insert(next)
    }

    /// Normalises one stream (stdout or stderr) of one command.
    pub fn text(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            if is_racy_pull_progress(line) || is_cp_writer_log(line) {
                continue;
            }
            let line = self.ids_in(line);
            let line = self.names_in(&line);
            let line = self.times_in(&line);
            out.push_str(&collapse_padding(&line));
        }
        out
    }

    /// Normalises every string of a JSON document (the output of `inspect`).
    pub fn json(&mut self, value: &Value) -> Value {
        match value {
            Value::String(s) => {
                let s = self.ids_in(s);
                let s = self.names_in(&s);
                Value::String(self.times_in(&s))
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), self.json(v))).collect())
            }
            other => other.clone(),
        }
    }

    /// 64-hex runs (with their `sha256:` prefix) and 12-hex runs become symbols.
    fn ids_in(&mut self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < bytes.len() {
            let run = bytes[i..].iter().take_while(|b| is_hex(**b)).count();
            let before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            let after = !bytes.get(i + run).is_some_and(u8::is_ascii_alphanumeric);
            if before && after && (run == 64 || run == 12) {
                let hex = &text[i..i + run];
                if out.ends_with("sha256:") {
                    out.truncate(out.len() - "sha256:".len());
                    out.push_str("sha256:");
                }
                let n = self.id(hex);
                out.push_str(&match run {
                    64 => format!("<id{n}>"),
                    _ => format!("<id{n}:12>"),
                });
                i += run;
                continue;
            }
            // Copy the run (or one character) unchanged.
            let end = (i + run.max(1)..=bytes.len())
                .find(|e| text.is_char_boundary(*e))
                .unwrap_or(bytes.len());
            out.push_str(&text[i..end]);
            i = end;
        }
        out
    }

    /// Words shaped like `adjective_surname` (optionally with digits) are generated names,
    /// unless they are a path component (`/proc/timer_list`); `/name` at the start is a name.
    fn names_in(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let mut in_path = false;
        for c in text.chars().chain(std::iter::once('\0')) {
            if c.is_ascii_alphanumeric() || c == '_' {
                if word.is_empty() {
                    in_path = out.ends_with('/') && out.len() > 1;
                }
                word.push(c);
                continue;
            }
            if !in_path && is_generated_name(&word) {
                out.push_str(&format!("<name{}>", self.name(&word)));
            } else {
                out.push_str(&word);
            }
            word.clear();
            if c != '\0' {
                out.push(c);
            }
        }
        out
    }

    /// Durations up to hours (`Less than a second`, `3 seconds`, `About a minute`, `5 hours`)
    /// and RFC 3339 timestamps on a recent day. Older ones stay: the fixture images were all
    /// created on 2024-01-01, which both engines must report alike (`2 years ago`).
    fn times_in(&self, text: &str) -> String {
        let mut out = text.to_string();
        for fixed in ["Less than a second", "About a minute", "About an hour"] {
            out = out.replace(fixed, "<dur>");
        }
        out = replace_counted_durations(&out);
        self.replace_recent_timestamps(&out)
    }

    fn replace_recent_timestamps(&self, text: &str) -> String {
        let mut out = text.to_string();
        for day in &self.recent_days {
            while let Some(start) = out.find(&format!("{day}T")) {
                let len = out[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || ":.+-".contains(c)))
                    .unwrap_or(out.len() - start);
                out.replace_range(start..start + len, "<time>");
            }
        }
        out
    }
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_generated_name(word: &str) -> bool {
    let Some((left, right)) = word.split_once('_') else {
        return false;
    };
    let right = right.trim_end_matches(|c: char| c.is_ascii_digit());
    !left.is_empty()
        && right.len() > 1
        && left
            .chars()
            .chain(right.chars())
            .all(|c| c.is_ascii_lowercase())
}

/// `N second(s)`, `N minute(s)`, `N hour(s)` become `<dur>`; days and longer stay.
fn replace_counted_durations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(|c: char| c.is_ascii_digit()) {
        let digits = rest[pos..].chars().take_while(char::is_ascii_digit).count();
        let after = &rest[pos + digits..];
        let starts_word = pos == 0 || !rest.as_bytes()[pos - 1].is_ascii_alphanumeric();
        let unit = ["seconds", "second", "minutes", "minute", "hours", "hour"]
            .into_iter()
            .find(|u| after.starts_with(&format!(" {u}")));
        match unit {
            Some(unit) if starts_word => {
                out.push_str(&rest[..pos]);
                out.push_str("<dur>");
                rest = &after[1 + unit.len()..];
            }
            _ => {
                out.push_str(&rest[..pos + digits]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// dockerd downloads layers concurrently, so which intermediate progress lines a pull prints
/// without a terminal (`Waiting`, `Verifying Checksum`, ...) and their interleaving between
/// layers vary from run to run on the same engine. Kept: the per-layer outcome (`Pull
/// complete`, `Already exists`) in order, which is the layer order, and every other line.
fn is_racy_pull_progress(line: &str) -> bool {
    let Some((id, status)) = line.trim_end().split_once(": ") else {
        return false;
    };
    id.len() == 12
        && id.bytes().all(is_hex)
        && [
            "Pulling fs layer",
            "Waiting",
            "Downloading",
            "Verifying Checksum",
            "Download complete",
            "Extracting",
        ]
        .iter()
        .any(|s| status.starts_with(s))
}

/// `docker cp` into a container tars the source on a goroutine while it asks the engine
/// about the destination; when the copy ends early (an error from either side) that goroutine
/// may or may not still be writing, and logs `Can't add file ... closed pipe` if it was. The
/// docker CLI's own race, on any engine; the error that ended the copy is kept.
fn is_cp_writer_log(line: &str) -> bool {
    line.contains("level=error msg=\"Can't add file ")
        || line.contains("level=error msg=\"Can't close tar writer")
}

/// Table padding: runs of two or more spaces become one tab, since column widths follow the
/// widths of the IDs, names and durations replaced above.
fn collapse_padding(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut spaces = 0;
    for c in line.chars() {
        if c == ' ' {
            spaces += 1;
            continue;
        }
        match spaces {
            0 => {}
            1 => out.push(' '),
            _ if c == '\n' => {}
            _ => out.push('\t'),
        }
        spaces = 0;
        out.push(c);
    }
    out
}

/// `YYYY-MM-DD` of a day given as days since 1970-01-01.
pub fn civil_date(days: i64) -> String {
    let (year, month, day) = berth_format::civil::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols() -> Symbols {
        Symbols::new(vec!["2026-11-27".into()])
    }

    #[test]
    fn short_ids_seen_first_share_the_symbol_of_the_full_id() {
        let mut s = symbols();
        let full = "c4b875bf8643e42bdb2909596850d0cba9d3e4b8af9276cbf1f959df87176f79";
        let table = "hello-world   latest    c4b875bf8643   2 years ago   1.15MB\n";
        assert_eq!(
            s.text(table),
            "hello-world\tlatest\t<id1:12>\t2 years ago\t1.15MB\n"
        );
        assert_eq!(s.text(&format!("sha256:{full}\n")), "sha256:<id1>\n");
        assert_eq!(s.text(&format!("{}\n", "ab".repeat(32))), "<id2>\n");
    }

    #[test]
    fn names_durations_and_recent_times_become_placeholders() {
        let mut s = symbols();
        let row = "aa1ef9a7e82b   hello-world   \"/hello\"   Less than a second ago   \
                   Exited (0) 12 seconds ago             vibrant_banach\n";
        assert_eq!(
            s.text(row),
            "<id1:12>\thello-world\t\"/hello\"\t<dur> ago\tExited (0) <dur> ago\t<name1>\n"
        );
        let doc = serde_json::json!({"Created": "2026-11-27T16:18:36.865587045Z",
            "Old": "2024-01-01T00:00:00Z", "Name": "/vibrant_banach"});
        assert_eq!(s.text("/proc/timer_list\n"), "/proc/timer_list\n");
        assert_eq!(
            s.json(&doc),
            serde_json::json!({"Created": "<time>", "Old": "2024-01-01T00:00:00Z",
                "Name": "/<name1>"})
        );
    }

    #[test]
    fn racy_pull_progress_is_dropped_and_outcomes_kept() {
        let mut s = symbols();
        let pull = "3799a9b2f04f: Pulling fs layer\n3799a9b2f04f: Verifying Checksum\n\
                    3799a9b2f04f: Pull complete\nStatus: Downloaded newer image\n";
        assert_eq!(
            s.text(pull),
            "<id1:12>: Pull complete\nStatus: Downloaded newer image\n"
        );
    }

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(20_784), "2026-11-27");
    }
}
