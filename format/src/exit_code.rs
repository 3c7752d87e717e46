//! The docker CLI's exit status for `docker run` when the daemon refuses to run the command:
//! 127 when the executable was not found, 126 when it could not be executed, 125 for any other
//! error (docker/cli's `runStartContainerErr`). The model and the berth CLI both decide it from
//! the daemon's error text, so it lives here once.

/// The docker CLI's mapping from a run error's text to its exit code.
pub fn run_exit_code(message: &str) -> i32 {
    let not_found = [
        "executable file not found",
        "no such file or directory",
        "system cannot find the file specified",
    ];
    if not_found.iter().any(|s| message.contains(s)) {
        127
    } else if message.contains("permission denied") || message.contains("is a directory") {
        126
    } else {
        125
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_exit_codes_follow_the_message() {
        assert_eq!(
            run_exit_code("exec: \"/x\": stat /x: no such file or directory: unknown"),
            127
        );
        assert_eq!(
            run_exit_code("exec: \"x\": executable file not found in $PATH: unknown"),
            127
        );
        assert_eq!(
            run_exit_code("exec: \"/d\": permission denied: unknown"),
            126
        );
        assert_eq!(run_exit_code("Conflict. The container name ..."), 125);
    }
}
