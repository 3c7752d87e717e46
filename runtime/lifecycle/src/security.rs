//! `HostConfig.SecurityOpt` as dockerd 20.10 reads it (`parseSecurityOpt`): `no-new-privileges`
//! alone or `=BOOL`, `seccomp=unconfined|PROFILE-JSON`, and the SELinux and AppArmor options,
//! which are accepted and have no effect (berth has neither), each as `KEY=VALUE` or the
//! deprecated `KEY:VALUE`. Checked at create with dockerd's texts; the list itself is kept as
//! the client sent it (inspect shows it back) and read again at start. A profile's JSON is not
//! looked at here: dockerd decodes it at start, and so does the sandbox. This module never
//! applies an option itself.

use berth_sandbox::Seccomp;

use crate::error::LifecycleError;

/// What the options ask of the sandbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityOptions {
    pub seccomp: Seccomp,
    pub no_new_privileges: bool,
}

/// Reads `options` in order (a later one wins), as dockerd does.
pub fn parse(options: &[String]) -> Result<SecurityOptions, LifecycleError> {
    let mut out = SecurityOptions::default();
    for opt in options {
        if opt == "no-new-privileges" {
            out.no_new_privileges = true;
            continue;
        }
        if opt == "disable" {
            continue;
        }
        let split = opt.split_once('=').or_else(|| opt.split_once(':'));
        let Some((key, value)) = split else {
            return Err(invalid(1, opt));
        };
        match key {
            "label" | "apparmor" => {}
            "seccomp" => {
                out.seccomp = match value {
                    "" => Seccomp::Default,
                    "unconfined" => Seccomp::Unconfined,
                    profile => Seccomp::Profile(profile.into()),
                }
            }
            "no-new-privileges" => {
                out.no_new_privileges = go_parse_bool(value).ok_or_else(|| invalid(2, opt))?
            }
            _ => return Err(invalid(2, opt)),
        }
    }
    Ok(out)
}

fn invalid(which: u8, opt: &str) -> LifecycleError {
    LifecycleError::InvalidSecurityOpt {
        message: format!(
            "invalid --security-opt {which}: {}",
            berth_sandbox::exec_error::go_quote(opt)
        ),
    }
}

/// Go's `strconv.ParseBool`.
fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[&str]) -> Result<SecurityOptions, String> {
        let list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        parse(&list).map_err(|e| e.to_string())
    }

    #[test]
    fn dockerds_forms_are_read() {
        assert_eq!(opts(&[]).unwrap(), SecurityOptions::default());
        assert!(opts(&["no-new-privileges"]).unwrap().no_new_privileges);
        assert!(opts(&["no-new-privileges:true"]).unwrap().no_new_privileges);
        assert!(opts(&["no-new-privileges=1"]).unwrap().no_new_privileges);
        let off = opts(&["no-new-privileges", "no-new-privileges=false"]).unwrap();
        assert!(!off.no_new_privileges, "the last one wins");
        assert_eq!(
            opts(&["seccomp=unconfined"]).unwrap().seccomp,
            Seccomp::Unconfined
        );
        assert_eq!(
            opts(&["seccomp:unconfined"]).unwrap().seccomp,
            Seccomp::Unconfined
        );
        assert_eq!(opts(&["seccomp="]).unwrap().seccomp, Seccomp::Default);
        assert_eq!(
            opts(&["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"])
                .unwrap()
                .seccomp,
            Seccomp::Profile("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}".into())
        );
        for ignored in ["label=disable", "apparmor=x", "disable", "label:type:x"] {
            assert_eq!(opts(&[ignored]).unwrap(), SecurityOptions::default());
        }
    }

    /// The texts the reference dockerd answered (HTTP 500) at create.
    #[test]
    fn bad_options_are_refused_with_dockerds_texts() {
        assert_eq!(
            opts(&["foo"]).unwrap_err(),
            r#"invalid --security-opt 1: "foo""#
        );
        assert_eq!(
            opts(&["foo=bar"]).unwrap_err(),
            r#"invalid --security-opt 2: "foo=bar""#
        );
        assert_eq!(
            opts(&["no-new-privileges=maybe"]).unwrap_err(),
            r#"invalid --security-opt 2: "no-new-privileges=maybe""#
        );
        assert_eq!(
            opts(&["no-new-privileges="]).unwrap_err(),
            r#"invalid --security-opt 2: "no-new-privileges=""#
        );
    }
}
