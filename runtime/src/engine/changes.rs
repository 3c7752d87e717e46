//! `commit --change`: the Dockerfile instructions moby's `BuildFromConfig` accepts when
//! committing (CMD, ENTRYPOINT, ENV, WORKDIR, LABEL, USER, EXPOSE), applied to a run config.
//! JSON (exec) and shell forms both work; anything else is `<instr> is not a valid change
//! command`. Pure: it never touches images or containers.

use std::collections::BTreeMap;

use berth_store::RunConfig;

use super::EngineError;

/// Applies `changes` in order to `config`. Each element may hold several lines.
pub fn apply_changes(config: &mut RunConfig, changes: &[String]) -> Result<(), EngineError> {
    let mut cmd_set = false;
    for line in changes.iter().flat_map(|c| c.lines()) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (word, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(w, r)| (w, r.trim()));
        apply_one(config, &word.to_ascii_uppercase(), rest, &mut cmd_set)?;
    }
    Ok(())
}

fn apply_one(
    config: &mut RunConfig,
    instruction: &str,
    rest: &str,
    cmd_set: &mut bool,
) -> Result<(), EngineError> {
    let known = [
        "CMD",
        "ENTRYPOINT",
        "ENV",
        "WORKDIR",
        "LABEL",
        "USER",
        "EXPOSE",
    ];
    if !known.contains(&instruction) {
        return Err(EngineError::InvalidChange {
            instruction: instruction.to_ascii_lowercase(),
        });
    }
    if rest.is_empty() {
        return Err(EngineError::BadChange {
            reason: format!("{instruction} requires at least one argument"),
        });
    }
    match instruction {
        "CMD" => {
            config.cmd = Some(command(rest));
            *cmd_set = true;
        }
        "ENTRYPOINT" => {
            config.entrypoint = Some(command(rest));
            // An ENTRYPOINT drops the inherited CMD unless this commit set one (moby).
            if !*cmd_set {
                config.cmd = None;
            }
        }
        "ENV" => {
            let env = config.env.get_or_insert_with(Vec::new);
            for (k, v) in pairs(instruction, rest)? {
                set_env(env, &k, &v);
            }
        }
        "LABEL" => {
            let labels = config.labels.get_or_insert_with(BTreeMap::new);
            labels.extend(pairs(instruction, rest)?);
        }
        "WORKDIR" => config.working_dir = workdir(&config.working_dir, rest),
        "USER" => config.user = rest.to_string(),
        _ => expose(config, rest),
    }
    Ok(())
}

/// Exec form (a JSON array of strings) or shell form (`/bin/sh -c`).
fn command(rest: &str) -> Vec<String> {
    if rest.starts_with('[') {
        if let Ok(argv) = serde_json::from_str::<Vec<String>>(rest) {
            return argv;
        }
    }
    vec!["/bin/sh".into(), "-c".into(), rest.into()]
}

/// `KEY=VALUE ...` (quotes and backslashes as in a Dockerfile) or the legacy `KEY VALUE`.
fn pairs(instruction: &str, rest: &str) -> Result<Vec<(String, String)>, EngineError> {
    let words = words(rest);
    if !words[0].contains('=') {
        let (key, value) = rest
            .split_once(char::is_whitespace)
            .map_or((rest, ""), |(k, v)| (k, v.trim()));
        if value.is_empty() {
            return Err(EngineError::BadChange {
                reason: format!("{instruction} must have two arguments"),
            });
        }
        return Ok(vec![(key.to_string(), words_joined(value))]);
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(EngineError::BadChange {
                reason: format!(
                    "Syntax error - can't find = in \"{w}\". Must be of the form: name=value"
                ),
            }),
        })
        .collect()
}

/// The legacy form's value: quotes removed, inner whitespace kept as one space per gap.
fn words_joined(value: &str) -> String {
    words(value).join(" ")
}

/// Splits on unquoted whitespace, removing quotes and escaping backslashes.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    let mut in_word = false;
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('\\', q) if q != Some('\'') => cur.extend(chars.next()),
            ('"' | '\'', None) => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            (c, None) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                }
                in_word = false;
                continue;
            }
            (c, _) => cur.push(c),
        }
        in_word = true;
    }
    if in_word {
        out.push(cur);
    }
    out
}

fn set_env(env: &mut Vec<String>, key: &str, value: &str) {
    let entry = format!("{key}={value}");
    match env.iter_mut().find(|e| e.split('=').next() == Some(key)) {
        Some(e) => *e = entry,
        None => env.push(entry),
    }
}

/// A relative WORKDIR continues from the current one.
fn workdir(current: &str, dir: &str) -> String {
    if dir.starts_with('/') {
        return dir.to_string();
    }
    let base = if current.is_empty() { "/" } else { current };
    format!("{}/{dir}", base.trim_end_matches('/'))
}

fn expose(config: &mut RunConfig, rest: &str) {
    let ports = config.exposed_ports.get_or_insert_with(BTreeMap::new);
    for port in words(rest) {
        let port = if port.contains('/') {
            port
        } else {
            format!("{port}/tcp")
        };
        ports.insert(port, serde_json::json!({}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(changes: &[&str]) -> Result<RunConfig, EngineError> {
        let mut c = RunConfig {
            cmd: Some(vec!["old".into()]),
            env: Some(vec!["PATH=/bin".into(), "A=1".into()]),
            working_dir: "/w".into(),
            ..RunConfig::default()
        };
        let changes: Vec<String> = changes.iter().map(|s| s.to_string()).collect();
        apply_changes(&mut c, &changes).map(|()| c)
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cmd_in_exec_and_shell_form() {
        let c = apply(&[r#"CMD ["/toolbox","ls","/data"]"#]).unwrap();
        assert_eq!(c.cmd, Some(strings(&["/toolbox", "ls", "/data"])));
        let c = apply(&["cmd echo hi > /x"]).unwrap();
        assert_eq!(c.cmd, Some(strings(&["/bin/sh", "-c", "echo hi > /x"])));
    }

    #[test]
    fn entrypoint_drops_the_old_cmd_unless_this_commit_set_one() {
        let c = apply(&[r#"ENTRYPOINT ["/e"]"#]).unwrap();
        assert_eq!((c.entrypoint, c.cmd), (Some(strings(&["/e"])), None));
        let c = apply(&["CMD x", r#"ENTRYPOINT ["/e"]"#]).unwrap();
        assert_eq!(c.cmd, Some(strings(&["/bin/sh", "-c", "x"])));
    }

    #[test]
    fn env_label_workdir_user_expose() {
        let c = apply(&[
            r#"ENV A=2 B="two words""#,
            "ENV C legacy  value",
            r#"LABEL k=v "x y"=z"#,
            "WORKDIR sub",
            "USER 1000:1000",
            "EXPOSE 80 53/udp",
        ])
        .unwrap();
        assert_eq!(
            c.env,
            Some(strings(&[
                "PATH=/bin",
                "A=2",
                "B=two words",
                "C=legacy value"
            ]))
        );
        let labels = c.labels.unwrap();
        assert_eq!((labels["k"].as_str(), labels["x y"].as_str()), ("v", "z"));
        assert_eq!(c.working_dir, "/w/sub");
        assert_eq!(c.user, "1000:1000");
        let ports: Vec<_> = c.exposed_ports.unwrap().into_keys().collect();
        assert_eq!(ports, strings(&["53/udp", "80/tcp"]));
    }

    #[test]
    fn unknown_instructions_are_refused_in_mobys_words() {
        let e = apply(&["RUN rm -rf /"]).unwrap_err();
        assert_eq!(e.to_string(), "run is not a valid change command");
        let e = apply(&["ENV"]).unwrap_err();
        assert_eq!(e.to_string(), "ENV requires at least one argument");
        let e = apply(&["LABEL a=1 b"]).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("Syntax error - can't find = in \"b\""));
    }
}
