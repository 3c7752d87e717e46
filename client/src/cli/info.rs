//! `info`: the client section (berth's own) and the daemon's `GET /info`, printed in the order
//! and words of docker CLI 28's `prettyPrintServerInfo`.

use berth_format::units::bytes_size;
use serde_json::Value;

use crate::cli::table::{strings, text};
use crate::cli::{CliError, Io, Session};

pub fn info(session: &Session, io: &mut Io<'_>) -> Result<i32, CliError> {
    writeln!(io.out, "Client:")?;
    writeln!(io.out, " Version:    {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(io.out, " Context:    default")?;
    writeln!(io.out, " Debug Mode: false")?;
    writeln!(io.out)?;
    writeln!(io.out, "Server:")?;
    let info = match session.get_json("/info") {
        Ok(info) => info,
        Err(e) => {
            writeln!(io.out, "ERROR: {e}")?;
            writeln!(io.out, "errors pretty printing info")?;
            return Ok(1);
        }
    };
    io.out.write_all(server(&info).as_bytes())?;
    for warning in strings(&info, "Warnings") {
        writeln!(io.err, "{warning}")?;
    }
    Ok(0)
}

/// The server section, from the daemon's answer.
pub fn server(info: &Value) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    let n = |field: &str| info[field].as_i64().unwrap_or(0);
    let flag = |field: &str| info[field].as_bool().unwrap_or(false);
    let non_empty = |line: &mut dyn FnMut(String), label: &str, field: &str| {
        let value = text(info, field);
        if !value.is_empty() {
            line(format!(" {label}: {value}"));
        }
    };
    line(format!(" Containers: {}", n("Containers")));
    line(format!("  Running: {}", n("ContainersRunning")));
    line(format!("  Paused: {}", n("ContainersPaused")));
    line(format!("  Stopped: {}", n("ContainersStopped")));
    line(format!(" Images: {}", n("Images")));
    non_empty(&mut line, "Server Version", "ServerVersion");
    non_empty(&mut line, "Storage Driver", "Driver");
    for pair in info["DriverStatus"].as_array().into_iter().flatten() {
        line(format!(
            "  {}: {}",
            pair[0].as_str().unwrap_or(""),
            pair[1].as_str().unwrap_or("")
        ));
    }
    line(format!(" Logging Driver: {}", text(info, "LoggingDriver")));
    line(format!(" Cgroup Driver: {}", text(info, "CgroupDriver")));
    non_empty(&mut line, "Cgroup Version", "CgroupVersion");
    let plugins = &info["Plugins"];
    line(" Plugins:".to_string());
    line(format!(
        "  Volume: {}",
        strings(plugins, "Volume").join(" ")
    ));
    line(format!(
        "  Network: {}",
        strings(plugins, "Network").join(" ")
    ));
    let authorization = strings(plugins, "Authorization");
    if !authorization.is_empty() {
        line(format!("  Authorization: {}", authorization.join(" ")));
    }
    line(format!("  Log: {}", strings(plugins, "Log").join(" ")));
    line(format!(
        " Swarm: {}",
        text(&info["Swarm"], "LocalNodeState")
    ));
    if let Some(runtimes) = info["Runtimes"].as_object().filter(|r| !r.is_empty()) {
        let mut names: Vec<&str> = runtimes.keys().map(String::as_str).collect();
        names.sort_unstable();
        line(format!(" Runtimes: {}", names.join(" ")));
        line(format!(
            " Default Runtime: {}",
            text(info, "DefaultRuntime")
        ));
    }
    if text(info, "OSType") == "linux" {
        line(format!(" Init Binary: {}", text(info, "InitBinary")));
        for (name, field) in [
            ("containerd", "ContainerdCommit"),
            ("runc", "RuncCommit"),
            ("init", "InitCommit"),
        ] {
            let commit = &info[field];
            let (id, expected) = (text(commit, "ID"), text(commit, "Expected"));
            if id == expected {
                line(format!(" {name} version: {id}"));
            } else {
                line(format!(" {name} version: {id} (expected: {expected})"));
            }
        }
        security_options(info, &mut line);
    }
    non_empty(&mut line, "Kernel Version", "KernelVersion");
    non_empty(&mut line, "Operating System", "OperatingSystem");
    non_empty(&mut line, "OSType", "OSType");
    non_empty(&mut line, "Architecture", "Architecture");
    line(format!(" CPUs: {}", n("NCPU")));
    line(format!(
        " Total Memory: {}",
        bytes_size(n("MemTotal") as f64)
    ));
    non_empty(&mut line, "Name", "Name");
    non_empty(&mut line, "ID", "ID");
    line(format!(" Docker Root Dir: {}", text(info, "DockerRootDir")));
    line(format!(" Debug Mode: {}", flag("Debug")));
    non_empty(&mut line, "HTTP Proxy", "HttpProxy");
    non_empty(&mut line, "HTTPS Proxy", "HttpsProxy");
    non_empty(&mut line, "No Proxy", "NoProxy");
    let labels = strings(info, "Labels");
    if !labels.is_empty() {
        line(" Labels:".to_string());
        labels.iter().for_each(|l| line(format!("  {l}")));
    }
    line(format!(" Experimental: {}", flag("ExperimentalBuild")));
    registries(&info["RegistryConfig"], &mut line);
    line(format!(
        " Live Restore Enabled: {}",
        flag("LiveRestoreEnabled")
    ));
    line(String::new());
    out
}

/// `Security Options:` from `name=seccomp,profile=default` entries.
fn security_options(info: &Value, line: &mut dyn FnMut(String)) {
    let options = strings(info, "SecurityOptions");
    if options.is_empty() {
        return;
    }
    line(" Security Options:".to_string());
    for option in options {
        for pair in option.split(',') {
            match pair.split_once('=') {
                Some(("name", name)) => line(format!("  {name}")),
                Some(("profile", profile)) => line(format!("   Profile: {profile}")),
                _ => {}
            }
        }
    }
}

/// `Insecure Registries:` and `Registry Mirrors:`. Go walks the index map in random order;
/// the names are printed sorted here.
fn registries(config: &Value, line: &mut dyn FnMut(String)) {
    let cidrs = strings(config, "InsecureRegistryCIDRs");
    let indexes = config["IndexConfigs"].as_object();
    if !cidrs.is_empty() || indexes.is_some_and(|i| !i.is_empty()) {
        line(" Insecure Registries:".to_string());
        let mut insecure: Vec<&str> = indexes
            .into_iter()
            .flatten()
            .filter(|(_, index)| index["Secure"].as_bool() == Some(false))
            .map(|(_, index)| text(index, "Name"))
            .collect();
        insecure.sort_unstable();
        insecure.iter().for_each(|name| line(format!("  {name}")));
        cidrs.iter().for_each(|cidr| line(format!("  {cidr}")));
    }
    let mirrors = strings(config, "Mirrors");
    if !mirrors.is_empty() {
        line(" Registry Mirrors:".to_string());
        mirrors.iter().for_each(|m| line(format!("  {m}")));
    }
}
