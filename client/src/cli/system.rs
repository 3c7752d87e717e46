//! `version`: berth's client section and the daemon's `GET /version`, laid out as docker CLI
//! 28's template does (labels padded to 20 columns by its tabwriter).

use berth_format::Timestamp;
use serde_json::Value;

use crate::cli::session::CLI_MAX_VERSION;
use crate::cli::table::text;
use crate::cli::{CliError, Io, Session};

/// Go's name for this machine's architecture.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// A `label:<tab>value` line as the CLI's tabwriter (min width 20, padding 1) prints it.
fn row(indent: &str, label: &str, value: &str) -> String {
    let cell = format!("{indent}{label}:");
    let width = (cell.chars().count() + 1).max(20);
    format!("{cell:<width$}{value}\n")
}

pub fn version(session: &Session, io: &mut Io<'_>) -> Result<i32, CliError> {
    let negotiated = session.client().map(|c| c.version().to_string());
    let api = match &negotiated {
        Ok(v) if v != CLI_MAX_VERSION => format!("{v} (downgraded from {CLI_MAX_VERSION})"),
        _ => CLI_MAX_VERSION.to_string(),
    };
    let mut out = String::from("Client:\n");
    out.push_str(&row(" ", "Version", env!("CARGO_PKG_VERSION")));
    out.push_str(&row(" ", "API version", &api));
    out.push_str(&row(
        " ",
        "OS/Arch",
        &format!("{}/{}", std::env::consts::OS, go_arch()),
    ));
    out.push_str(&row(" ", "Context", "default"));
    io.out.write_all(out.as_bytes())?;
    negotiated?;
    let server = session.get_json("/version")?;
    io.out.write_all(server_section(&server).as_bytes())?;
    Ok(0)
}

/// The `Server:` section from the daemon's answer.
pub fn server_section(server: &Value) -> String {
    let mut out = String::from("\nServer:");
    let platform = text(&server["Platform"], "Name");
    if !platform.is_empty() {
        out.push(' ');
        out.push_str(platform);
    }
    out.push('\n');
    for component in server["Components"].as_array().into_iter().flatten() {
        let name = text(component, "Name");
        let details = &component["Details"];
        let detail = |key: &str| match &details[key] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        out.push_str(&format!(" {name}:\n"));
        if name == "Engine" {
            out.push_str(&row("  ", "Version", text(component, "Version")));
            out.push_str(&row(
                "  ",
                "API version",
                &format!(
                    "{} (minimum version {})",
                    detail("ApiVersion"),
                    detail("MinAPIVersion")
                ),
            ));
            out.push_str(&row("  ", "Go version", &detail("GoVersion")));
            out.push_str(&row("  ", "Git commit", &detail("GitCommit")));
            out.push_str(&row("  ", "Built", &reformat_date(&detail("BuildTime"))));
            out.push_str(&row(
                "  ",
                "OS/Arch",
                &format!("{}/{}", detail("Os"), detail("Arch")),
            ));
            out.push_str(&row("  ", "Experimental", &detail("Experimental")));
        } else {
            out.push_str(&row("  ", "Version", text(component, "Version")));
            let mut keys: Vec<&String> = details
                .as_object()
                .map(|d| d.keys().collect())
                .unwrap_or_default();
            keys.sort();
            for key in keys {
                out.push_str(&row("  ", key, &detail(key)));
            }
        }
    }
    out
}

/// The CLI's `reformatDate`: an RFC 3339 build time in Go's ANSIC form, else as given.
fn reformat_date(build_time: &str) -> String {
    Timestamp::parse_rfc3339(build_time).map_or_else(|_| build_time.to_string(), Timestamp::ansic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_section_matches_docker_28() {
        let server = serde_json::json!({"Platform": {"Name": ""}, "Components": [
            {"Name": "Engine", "Version": "20.10.24+dfsg1", "Details": {"ApiVersion": "1.41",
             "Arch": "amd64", "BuildTime": "2026-05-07T21:09:36.000000000+00:00", "Experimental": "false",
             "GitCommit": "5d6db84", "GoVersion": "go1.19.8", "KernelVersion": "6.1",
             "MinAPIVersion": "1.12", "Os": "linux"}},
            {"Name": "docker-init", "Version": "0.19.0", "Details": {"GitCommit": ""}}]});
        assert_eq!(
            server_section(&server),
            "\nServer:\n Engine:\n  Version:          20.10.24+dfsg1\n  API version:      1.41 (minimum version 1.12)\n  Go version:       go1.19.8\n  Git commit:       5d6db84\n  Built:            Thu May  7 21:09:36 2026\n  OS/Arch:          linux/amd64\n  Experimental:     false\n docker-init:\n  Version:          0.19.0\n  GitCommit:        \n"
        );
    }
}
