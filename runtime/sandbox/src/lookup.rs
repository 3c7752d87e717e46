//! Resolving the command the way runc does (Go's `exec.LookPath`, run inside the container
//! after `pivot_root`, with the container's `PATH`). The parent computes the candidate paths
//! (string work, allocation allowed); the child only `stat`s them, in order.

use std::ffi::CString;

use rustix::fs::{AtFlags, FileType, CWD};

use crate::report::{Report, Step};

/// The paths to try for `argv0`. `direct` is true when `argv0` has a slash: it is then the one
/// candidate, and a failure names it; otherwise each `PATH` entry (empty means `.`) joined with
/// the name, in order, the last `PATH=` of `env` winning as `os.Getenv` sees it.
pub(crate) fn candidates(argv0: &str, env: &[String]) -> (Vec<String>, bool) {
    if argv0.contains('/') {
        return (vec![argv0.to_string()], true);
    }
    let path = env
        .iter()
        .rev()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("");
    if path.is_empty() {
        return (Vec::new(), false);
    }
    let list = path
        .split(':')
        .map(|dir| go_join(if dir.is_empty() { "." } else { dir }, argv0))
        .collect();
    (list, false)
}

/// Go's `filepath.Join(dir, name)`: join with one slash, then `Clean`.
fn go_join(dir: &str, name: &str) -> String {
    let joined = format!("{dir}/{name}");
    let rooted = joined.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            p => parts.push(p),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// In the child: the index of the first candidate that exists, is not a directory and has an
/// execute bit (Go's `findExecutable`), or the report runc's error corresponds to.
pub(crate) fn resolve(candidates: &[CString], direct: bool) -> Result<usize, Report> {
    let fail = |step, errno| Report {
        step,
        errno,
        index: 0,
    };
    for (i, candidate) in candidates.iter().enumerate() {
        match rustix::fs::statat(CWD, candidate.as_c_str(), AtFlags::empty()) {
            Ok(st) => {
                let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
                if !is_dir && st.st_mode & 0o111 != 0 {
                    return Ok(i);
                }
                if direct {
                    return Err(fail(Step::LookupDenied, libc::EACCES));
                }
            }
            Err(e) if direct => return Err(fail(Step::LookupStat, e.raw_os_error())),
            Err(_) => {}
        }
    }
    Err(fail(Step::LookupNotFound, libc::ENOENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_slash_are_used_as_they_are() {
        assert_eq!(candidates("/bin/sh", &[]), (vec!["/bin/sh".into()], true));
        assert_eq!(candidates("./run", &[]), (vec!["./run".into()], true));
    }

    #[test]
    fn path_entries_are_joined_and_cleaned_like_go() {
        let env = vec![
            "PATH=/ignored".to_string(),
            "PATH=/usr/local/bin/::/bin/../sbin".to_string(),
        ];
        let (list, direct) = candidates("sh", &env);
        assert!(!direct);
        assert_eq!(list, vec!["/usr/local/bin/sh", "sh", "/sbin/sh"]);
    }

    #[test]
    fn no_path_means_no_candidates() {
        assert_eq!(candidates("sh", &["HOME=/".into()]), (vec![], false));
    }
}
