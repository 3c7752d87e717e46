//! Docker's words for a command that cannot start. runc resolves the command with Go's
//! `exec.LookPath` inside the container and dockerd wraps runc's error in a fixed frame; these
//! functions build the same texts byte for byte, and map them to the exit code dockerd records
//! (`daemon/errors.go`, `translateContainerdStartErr`, v20.10.24).

use std::io;

/// `exec: "<name>": executable file not found in $PATH` (a name without a slash, no match).
pub fn not_found_in_path(name: &str) -> String {
    format!(
        "exec: {}: executable file not found in $PATH",
        go_quote(name)
    )
}

/// `exec: "<path>": stat <path>: <errno text>` (a path with a slash that cannot be stat'ed).
pub fn stat_failed(path: &str, errno: i32) -> String {
    format!(
        "exec: {}: stat {path}: {}",
        go_quote(path),
        go_errno_text(errno)
    )
}

/// `exec: "<path>": permission denied` (found, but a directory or without any x bit).
pub fn permission_denied(path: &str) -> String {
    format!("exec: {}: permission denied", go_quote(path))
}

/// `exec <path>: <errno text>`: `execve` itself failed (bad format, missing interpreter).
pub fn exec_failed(path: &str, errno: i32) -> String {
    format!("exec {path}: {}", go_errno_text(errno))
}

/// The full text dockerd 20.10 answers for a failed start, e.g. `failed to create shim task:
/// OCI runtime create failed: runc create failed: unable to start container process: exec:
/// "/nope": stat /nope: no such file or directory: unknown`.
pub fn docker_start_error(runtime_message: &str) -> String {
    format!(
        "failed to create shim task: OCI runtime create failed: runc create failed: \
         unable to start container process: {runtime_message}: unknown"
    )
}

/// The full text dockerd 20.10 writes to an exec's stream when its command cannot start, e.g.
/// `OCI runtime exec failed: exec failed: unable to start container process: exec: "nope":
/// executable file not found in $PATH: unknown` (the exec's exit code is then 126).
pub fn docker_exec_error(runtime_message: &str) -> String {
    format!(
        "OCI runtime exec failed: exec failed: unable to start container process: \
         {runtime_message}: unknown"
    )
}

/// The exit code dockerd records for a start that failed with `message`: 127 when the text
/// says a file is missing, 126 for a permission problem, `None` otherwise (dockerd then
/// records 128). The last match wins, as in dockerd.
pub fn docker_exit_code(message: &str) -> Option<i32> {
    let lower = message.to_lowercase();
    let mut code = None;
    if lower.contains("executable file not found") || lower.contains("no such file or directory") {
        code = Some(127);
    }
    if lower.contains("permission denied") {
        code = Some(126);
    }
    if lower.contains("not a directory") {
        code = Some(127);
    }
    code
}

/// Go's `syscall.Errno.Error()`: the C library's text with a lowercase first letter.
pub fn go_errno_text(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    let text = text.split(" (os error").next().unwrap_or_default();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => format!("errno {errno}"),
    }
}

/// Go's `strconv.Quote`, which runc's texts put around a command.
pub use berth_core::go_json::go_quote;

#[cfg(test)]
mod tests {
    use super::*;

    // The three texts below are copied from dockerd 20.10.24's answers
    // (model/tests/reference/dockerd-20.10-observations.md, section 1).
    #[test]
    fn texts_match_dockerd_20_10() {
        assert_eq!(
            docker_start_error(&stat_failed("/nope", libc::ENOENT)),
            "failed to create shim task: OCI runtime create failed: runc create failed: unable \
             to start container process: exec: \"/nope\": stat /nope: no such file or \
             directory: unknown"
        );
        assert_eq!(
            docker_start_error(&not_found_in_path("nope")),
            "failed to create shim task: OCI runtime create failed: runc create failed: unable \
             to start container process: exec: \"nope\": executable file not found in $PATH: \
             unknown"
        );
        assert_eq!(
            docker_start_error(&permission_denied("/data/seed.txt")),
            "failed to create shim task: OCI runtime create failed: runc create failed: unable \
             to start container process: exec: \"/data/seed.txt\": permission denied: unknown"
        );
    }

    #[test]
    fn exit_codes_follow_dockerds_substring_rules() {
        assert_eq!(docker_exit_code(&not_found_in_path("x")), Some(127));
        assert_eq!(
            docker_exit_code(&stat_failed("/x", libc::ENOENT)),
            Some(127)
        );
        assert_eq!(docker_exit_code(&permission_denied("/x")), Some(126));
        assert_eq!(docker_exit_code(&exec_failed("/x", libc::ENOEXEC)), None);
        assert_eq!(docker_exit_code("mount: not a directory"), Some(127));
    }

    #[test]
    fn errno_texts_are_gos() {
        assert_eq!(go_errno_text(libc::ENOENT), "no such file or directory");
        assert_eq!(go_errno_text(libc::EACCES), "permission denied");
        assert_eq!(go_errno_text(libc::ENOEXEC), "exec format error");
    }

    #[test]
    fn quoting_escapes_like_go() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
    }
}
