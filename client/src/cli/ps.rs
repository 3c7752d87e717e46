//! `ps`: the container table exactly as docker CLI 28 prints it. STATUS comes from the daemon
//! (it computes it); CREATED, the IMAGE and COMMAND cells and the layout are the docker CLI's
//! pure renderers in berth-format, which the model prints through too.

use berth_format::cells::{id_cell, ps_command_cell, ps_image_cell};
use berth_format::tabwriter::tabwrite;
use berth_format::Timestamp;
use clap::Args;
use serde_json::{json, Value};

use crate::cli::session::encode;
use crate::cli::table::{ago, now, strings, text};
use crate::cli::{CliError, Io, Session};

/// `ps [-a] [-q] [--no-trunc] [-f KEY=VALUE...]`.
#[derive(Debug, Clone, Args)]
pub struct PsArgs {
    /// Show all containers (default shows just running).
    #[arg(short, long)]
    pub all: bool,
    /// Only display container IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Filter output based on conditions provided (`status=exited`, `label=KEY[=VALUE]`, ...).
    #[arg(short, long, value_parser = filter_pair)]
    pub filter: Vec<(String, String)>,
}

/// docker's `-f NAME=VALUE`, split at the first `=`.
pub(crate) fn filter_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) => Ok((name.trim().to_lowercase(), value.trim().to_string())),
        None => Err("bad format of filter (expected name=value)".into()),
    }
}

/// `GET /containers/json` with the query docker CLI 28 sends: `all=1`, and the filters as
/// `{"NAME":{"VALUE":true}}`.
fn list_path(args: &PsArgs) -> String {
    let mut query = Vec::new();
    if args.all {
        query.push("all=1".to_string());
    }
    query.extend(filters_query(&args.filter));
    match query.is_empty() {
        true => "/containers/json".to_string(),
        false => format!("/containers/json?{}", query.join("&")),
    }
}

/// `filters={"NAME":{"VALUE":true}}`, encoded, as the docker CLI sends `-f` pairs; `None`
/// without any.
pub(crate) fn filters_query(pairs: &[(String, String)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let mut filters = serde_json::Map::new();
    for (name, value) in pairs {
        let values = filters.entry(name.clone()).or_insert_with(|| json!({}));
        values[value.as_str()] = json!(true);
    }
    Some(format!(
        "filters={}",
        encode(&Value::Object(filters).to_string())
    ))
}

pub fn ps(session: &Session, args: &PsArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let list = session.get_json(&list_path(args))?;
    let rows = list.as_array().map(Vec::as_slice).unwrap_or_default();
    let text = render(rows, args, now());
    io.out.write_all(text.as_bytes())?;
    Ok(0)
}

/// The table (or the IDs with `-q`) for the API's container list.
pub fn render(rows: &[Value], args: &PsArgs, now: Timestamp) -> String {
    let id = |c: &Value| id_cell(text(c, "Id"), args.no_trunc);
    if args.quiet {
        return rows.iter().map(|c| id(c) + "\n").collect();
    }
    let header = "CONTAINER ID|IMAGE|COMMAND|CREATED|STATUS|PORTS|NAMES";
    let mut table = vec![header.split('|').map(str::to_string).collect::<Vec<_>>()];
    for c in rows {
        table.push(vec![
            id(c),
            ps_image_cell(text(c, "Image"), text(c, "ImageID"), args.no_trunc),
            ps_command_cell(text(c, "Command"), args.no_trunc),
            ago(c["Created"].as_i64().unwrap_or(0), now),
            text(c, "Status").to_string(),
            ports(&c["Ports"]),
            names(c),
        ]);
    }
    tabwrite(&table)
}

/// docker/cli's `Names`: the container's own names (no link aliases) without the slash.
fn names(c: &Value) -> String {
    strings(c, "Names")
        .iter()
        .filter_map(|n| {
            let n = n.trim_start_matches('/');
            (!n.contains('/')).then(|| n.to_string())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The PORTS cell: `IP:PUBLIC->PRIVATE/TYPE` for published ports, `PRIVATE/TYPE` otherwise.
fn ports(ports: &Value) -> String {
    let Some(list) = ports.as_array() else {
        return String::new();
    };
    list.iter()
        .map(|p| {
            let private = p["PrivatePort"].as_u64().unwrap_or(0);
            let kind = text(p, "Type");
            match p["PublicPort"].as_u64() {
                Some(public) => format!("{}:{public}->{private}/{kind}", text(p, "IP")),
                None => format!("{private}/{kind}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_format::Duration;

    /// The reference dockerd's answer and docker 28's table for it (two seconds later).
    #[test]
    fn the_table_matches_docker_28() {
        let rows: Value = serde_json::json!([
            {"Id": "de79c9c46cd5aa60c8fac43056c23e2d615a490e8014d1ac45b3fc44e64ecf5e",
             "Names": ["/h3-b"], "Image": "busybox",
             "ImageID": "sha256:fc436f0cc9628263e43cb7dc22bb6b7e3e6110925e8ef9090dfac46160ef61c8",
             "Command": "sleep 300", "Created": 1795796427, "Ports": [],
             "Status": "Up Less than a second"},
            {"Id": "9da368ebc3724375c2a890b32927bf1eab63f1fbf1333ded45be5eb35de23115",
             "Names": ["/competent_hamilton"], "Image": "127.0.0.1:5000/busybox",
             "ImageID": "sha256:fc436f0cc9628263e43cb7dc22bb6b7e3e6110925e8ef9090dfac46160ef61c8",
             "Command": "/nonexist", "Created": 1795796307, "Ports": [], "Status": "Created"}
        ]);
        let args = PsArgs {
            all: true,
            quiet: false,
            no_trunc: false,
            filter: Vec::new(),
        };
        let now = Timestamp::from_unix_seconds(1795796427) + Duration::from_millis(500);
        let expected = concat!(
            "CONTAINER ID   IMAGE                    COMMAND       CREATED                  STATUS                  PORTS     NAMES\n",
            "de79c9c46cd5   busybox                  \"sleep 300\"   Less than a second ago   Up Less than a second             h3-b\n",
            "9da368ebc372   127.0.0.1:5000/busybox   \"/nonexist\"   2 minutes ago            Created                           competent_hamilton\n",
        );
        assert_eq!(render(rows.as_array().unwrap(), &args, now), expected);
        let quiet = PsArgs {
            quiet: true,
            ..args
        };
        assert_eq!(
            render(rows.as_array().unwrap(), &quiet, now),
            "de79c9c46cd5\n9da368ebc372\n"
        );
    }
}
