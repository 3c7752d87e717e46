//! A container process's environment as dockerd builds it: the daemon's defaults (`PATH`,
//! `HOSTNAME`, `TERM` with a terminal), the config's entries over them by key, and runc's `HOME`
//! last. `create` merges the image's and the request's entries with the same rule, and `exec`
//! adds its own on top. Pure: it never reads a file or a variable of the host.

use crate::record::ProcessConfig;

/// Docker's default `PATH` for Linux containers whose config has none.
pub(crate) const DEFAULT_PATH: &str =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// dockerd's `CreateDaemonEnvironment`: the default PATH, HOSTNAME, `TERM=xterm` with a
/// terminal, then the config's entries, each replacing the entry with its key in place (so a
/// PATH of the image stays first, as `env` shows it on dockerd).
pub(crate) fn process_env(process: &ProcessConfig, tty: bool) -> Vec<String> {
    let mut base = vec![
        DEFAULT_PATH.to_string(),
        format!("HOSTNAME={}", process.hostname),
    ];
    if tty {
        base.push("TERM=xterm".to_string());
    }
    replace_or_append(&base, &process.env)
}

/// runc's last touch: `HOME` from the user's passwd entry (else `/`) when the environment has
/// none.
pub(crate) fn with_home(mut env: Vec<String>, home: &str) -> Vec<String> {
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={home}"));
    }
    env
}

/// Appends `overrides` to `base`, an entry replacing the one with the same key in place
/// (moby's `ReplaceOrAppendEnvValues`; a bare `KEY` without `=` removes it).
pub(crate) fn replace_or_append(base: &[String], overrides: &[String]) -> Vec<String> {
    let key = |e: &str| e.split('=').next().unwrap_or_default().to_string();
    let mut env: Vec<String> = base.to_vec();
    for o in overrides {
        let k = key(o);
        match (env.iter().position(|e| key(e) == k), o.contains('=')) {
            (Some(i), true) => env[i] = o.clone(),
            (Some(i), false) => {
                env.remove(i);
            }
            (None, true) => env.push(o.clone()),
            (None, false) => {}
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn env_is_path_hostname_then_config() {
        let p = ProcessConfig {
            hostname: "abc".into(),
            env: vec!["A=1".into()],
            ..Default::default()
        };
        assert_eq!(
            process_env(&p, false),
            [DEFAULT_PATH, "HOSTNAME=abc", "A=1"]
        );
        assert_eq!(
            with_home(process_env(&p, true), "/root"),
            [
                DEFAULT_PATH,
                "HOSTNAME=abc",
                "TERM=xterm",
                "A=1",
                "HOME=/root"
            ]
        );
        let p = ProcessConfig {
            hostname: "abc".into(),
            env: vec!["PATH=/x".into(), "HOSTNAME=mine".into()],
            ..Default::default()
        };
        // Replaced in place: `docker run busybox env` prints the image's PATH first on dockerd.
        assert_eq!(process_env(&p, false), ["PATH=/x", "HOSTNAME=mine"]);
    }

    #[test]
    fn request_env_replaces_by_key() {
        let env = replace_or_append(
            &strings(&["PATH=/bin", "A=1", "B=2"]),
            &strings(&["A=9", "C=3", "B"]),
        );
        assert_eq!(env, strings(&["PATH=/bin", "A=9", "C=3"]));
    }
}
