//! `docker top`: the host's `ps`, restricted to the container's processes, as dockerd's
//! `ContainerTop` runs it: `ps ARGS -qPID,PID,...` (again without `-q` when the options refuse
//! it), titles from the first line, and only the rows whose PID is the container's; the last
//! column keeps its spaces (the command line).

use std::process::Command;

use super::{Engine, EngineError};

/// `GET /containers/{id}/top`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Top {
    pub titles: Vec<String>,
    pub processes: Vec<Vec<String>>,
}

impl Engine {
    /// The container's processes as `ps ps_args` (default `-ef`) shows them.
    pub fn top(&self, reference: &str, ps_args: &str) -> Result<Top, EngineError> {
        let ps_args = match ps_args {
            "" => "-ef",
            given => given,
        };
        let pids = self.containers.pids(reference)?;
        let args: Vec<&str> = ps_args.split(' ').collect();
        let selected = pids
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let ps = |with_pids: bool| {
            let mut command = Command::new("ps");
            command.args(&args);
            if with_pids {
                command.arg(format!("-q{selected}"));
            }
            command.output()
        };
        let output = match ps(true) {
            Ok(out) if out.status.success() => out,
            _ => {
                let out = ps(false).map_err(|e| EngineError::Top {
                    reason: format!("ps: {e}"),
                })?;
                if !out.status.success() {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    let first = stderr.lines().next().unwrap_or_default();
                    return Err(EngineError::Top {
                        reason: format!("ps: {first}"),
                    });
                }
                out
            }
        };
        parse_ps(&String::from_utf8_lossy(&output.stdout), &pids)
    }
}

/// moby's `parsePSOutput`.
fn parse_ps(output: &str, pids: &[i32]) -> Result<Top, EngineError> {
    let mut lines = output.lines();
    let titles: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split_ascii_whitespace()
        .map(String::from)
        .collect();
    let pid_column = titles
        .iter()
        .position(|t| t == "PID")
        .ok_or_else(|| EngineError::Top {
            reason: "Couldn't find PID field in ps output".into(),
        })?;
    let last = titles.len() - 1;
    let processes = lines
        .map(|line| line.split_ascii_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields.len() > last && fields.len() > pid_column)
        .filter(|fields| {
            fields[pid_column]
                .parse::<i32>()
                .is_ok_and(|pid| pids.contains(&pid))
        })
        .map(|fields| {
            let mut row: Vec<String> = fields[..last].iter().map(|f| f.to_string()).collect();
            row.push(fields[last..].join(" "));
            row
        })
        .collect();
    Ok(Top { titles, processes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_the_containers_with_the_command_whole() {
        let out = "UID  PID  PPID  CMD\nroot  10  1  sleep 30\nroot  11  10  sh -c x y\nroot  12  1  other\n";
        let top = parse_ps(out, &[10, 11]).unwrap();
        assert_eq!(top.titles, ["UID", "PID", "PPID", "CMD"]);
        assert_eq!(
            top.processes,
            [
                vec!["root", "10", "1", "sleep 30"],
                vec!["root", "11", "10", "sh -c x y"]
            ]
        );
        let e = parse_ps("USER COMMAND\n", &[1]).unwrap_err();
        assert_eq!(e.to_string(), "Couldn't find PID field in ps output");
    }
}
