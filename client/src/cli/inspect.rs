//! `inspect [-f FORMAT] [--type container|image] NAME...`: the daemon's JSON for each object
//! (a container first, then an image, as the docker CLI tries them), printed as one array
//! indented like Go's `json.MarshalIndent`, keys in the daemon's order; or, with `-f`, a
//! simple Go template (`{{.Id}}`, `{{.State.Status}}`, `{{json .Config}}`) per object.

use clap::{Args, ValueEnum};
use serde_json::Value;

use crate::cli::session::encode;
use crate::cli::{CliError, Io, Session};

/// Which kind of object to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectType {
    Container,
    Image,
}

/// `inspect`.
#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// Format output using a custom template.
    #[arg(short, long)]
    pub format: Option<String>,
    /// Only inspect objects of the given type.
    #[arg(long = "type")]
    pub kind: Option<ObjectType>,
    /// Display total file sizes if the type is container.
    #[arg(short, long)]
    pub size: bool,
    #[arg(required = true)]
    pub names: Vec<String>,
}

pub fn inspect(session: &Session, args: &InspectArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let template = args.format.as_deref().map(Template::parse).transpose()?;
    let mut raws = Vec::new();
    let mut errors = Vec::new();
    for name in &args.names {
        match find(session, name, args) {
            Ok(Some(raw)) => raws.push(raw),
            Ok(None) => errors.push(format!("Error: No such object: {name}")),
            Err(CliError::Daemon { message, .. }) => {
                errors.push(format!("Error response from daemon: {message}"))
            }
            Err(e) => return Err(e),
        }
    }
    match &template {
        // The CLI's template inspector prints a newline when nothing else was printed.
        Some(_) if raws.is_empty() => writeln!(io.out)?,
        Some(template) => {
            for raw in &raws {
                let value: Value = serde_json::from_slice(raw)
                    .map_err(|e| CliError::Message(format!("invalid JSON from the daemon: {e}")))?;
                writeln!(io.out, "{}", template.render(&value)?)?;
            }
        }
        None if raws.is_empty() => writeln!(io.out, "[]")?,
        None => {
            let joined = [b"[".to_vec(), raws.join(&b","[..]), b"]".to_vec()].concat();
            writeln!(io.out, "{}", indent(&joined))?;
        }
    }
    if errors.is_empty() {
        return Ok(0);
    }
    writeln!(io.err, "{}", errors.join("\n"))?;
    Ok(1)
}

/// The raw JSON of the first object called `name`, or `None` when there is none.
fn find(session: &Session, name: &str, args: &InspectArgs) -> Result<Option<Vec<u8>>, CliError> {
    let size = if args.size { "?size=1" } else { "" };
    let paths = [
        (
            ObjectType::Container,
            format!("/containers/{}/json{size}", encode(name)),
        ),
        (ObjectType::Image, format!("/images/{}/json", encode(name))),
    ];
    for (kind, path) in paths {
        if args.kind.is_some_and(|k| k != kind) {
            continue;
        }
        let response = session.call("GET", &path, None)?;
        match response.status {
            200 => return Ok(Some(response.body)),
            // Asked for one type, the CLI reports the daemon's own not-found.
            404 if args.kind.is_none() => continue,
            _ => return Err(CliError::daemon(&response)),
        }
    }
    Ok(None)
}

/// The docker CLI's indented JSON (`MarshalIndent` with four spaces, HTML escaping off) of
/// already valid JSON: keys keep the daemon's order, and `\u003c`, `\u003e`, `\u0026` print
/// as the characters.
pub fn indent(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"    ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                _ if escaped => {
                    escaped = false;
                    out.push(c);
                }
                // The CLI re-encodes without HTML escaping: `\u003c` prints as `<`.
                '\\' if chars.peek() == Some(&'u') => {
                    let ahead: String = chars.clone().take(5).collect();
                    match ahead.as_str() {
                        "u003c" => out.push('<'),
                        "u003e" => out.push('>'),
                        "u0026" => out.push('&'),
                        _ => {
                            escaped = true;
                            out.push(c);
                            continue;
                        }
                    }
                    chars.nth(4);
                }
                '\\' => {
                    escaped = true;
                    out.push(c);
                }
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                _ => out.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            _ => out.push(c),
        }
    }
    out
}

/// A parsed `-f` template: text and `{{.Path}}` / `{{json .Path}}` actions.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Field { path: Vec<String>, json: bool },
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, CliError> {
        let unsupported = |what: &str| {
            CliError::Message(format!(
                "template parsing error: template: :1: unsupported action {what:?} (berth supports {{{{.Field.Path}}}} and {{{{json .Field}}}})"
            ))
        };
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("{{") {
            parts.push(Part::Text(rest[..start].to_string()));
            let end = rest[start..].find("}}").ok_or_else(|| unsupported(rest))? + start;
            let action = rest[start + 2..end].trim().trim_matches('-').trim();
            let (json, path) = match action.strip_prefix("json ") {
                Some(path) => (true, path.trim()),
                None => (false, action),
            };
            let path = path.strip_prefix('.').ok_or_else(|| unsupported(action))?;
            let path: Vec<String> = path
                .split('.')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            if path
                .iter()
                .any(|p| !p.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                return Err(unsupported(action));
            }
            parts.push(Part::Field { path, json });
            rest = &rest[end + 2..];
        }
        parts.push(Part::Text(rest.to_string()));
        Ok(Template { parts })
    }

    pub fn render(&self, value: &Value) -> Result<String, CliError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field { path, json } => {
                    let mut field = Some(value);
                    for key in path {
                        field = field.and_then(|f| f.get(key));
                    }
                    match (field, json) {
                        (Some(field), true) => out.push_str(&field.to_string()),
                        (None, true) => out.push_str("null"),
                        (Some(field), false) => out.push_str(&go_print(field)),
                        (None, false) => out.push_str("<no value>"),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// How Go's templates print a value (`fmt.Sprint`). The docker CLI decodes into typed structs,
/// so a `null` prints as whatever its Go type's zero prints (`[]`, `map[]`, `<nil>`); without
/// the types, berth prints `<nil>` for it.
fn go_print(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_print).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let cells: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_print(&map[*k])))
                .collect();
            format!("map[{}]", cells.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_matches_go() {
        let raw =
            br#"[{"Id":"x","Args":["a",  "b"],"Empty":{},"L":[],"H":"\u003c&\u003e","N":null}]"#;
        assert_eq!(
            indent(raw),
            "[\n    {\n        \"Id\": \"x\",\n        \"Args\": [\n            \"a\",\n            \"b\"\n        ],\n        \"Empty\": {},\n        \"L\": [],\n        \"H\": \"<&>\",\n        \"N\": null\n    }\n]"
        );
    }

    #[test]
    fn templates_print_fields_as_go_does() {
        let value = serde_json::json!({"Id": "abc", "State": {"Status": "exited", "ExitCode": 0, "Pid": 12345},
            "Created": 1795796427, "Args": ["a", "b"], "Config": {"Env": null}});
        let t = Template::parse("{{.Id}} {{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}")
            .unwrap();
        assert_eq!(t.render(&value).unwrap(), "abc exited 0 12345");
        let t = Template::parse("{{.Created}}|{{.Args}}|{{json .Args}}|{{.Config.Env}}|{{.Nope}}")
            .unwrap();
        assert_eq!(
            t.render(&value).unwrap(),
            "1795796427|[a b]|[\"a\",\"b\"]|<nil>|<no value>"
        );
        assert!(Template::parse("{{range .Args}}").is_err());
    }
}
