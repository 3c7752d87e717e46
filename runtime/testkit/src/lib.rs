//! berth-testkit: what the workspace's test suites share, written once. A test that needs
//! something the machine may lack (root, a registry, a reference dockerd, the fixture images)
//! asks [`skip`] with what is missing: the test then says so in one line and returns, except
//! under `BERTH_REQUIRE_ALL=1` (which `scripts/test` sets), where a missing prerequisite is a
//! failure, never a skip. [`root_or_skip`] is that rule for root, and [`busybox_layer`] the
//! image layer the sandbox and lifecycle suites run containers on.
//!
//! Only tests, benches and `#[cfg(test)]` code use this crate: it is a dev-dependency of the
//! crates that use it and never a normal one, so nothing here reaches a build of berth. It
//! decides whether a test runs; it never starts a service, and never checks a result.

mod busybox;

use std::io::Write;

pub use busybox::busybox_layer;

/// The variable that turns every missing prerequisite into a failure.
pub const REQUIRE_ALL: &str = "BERTH_REQUIRE_ALL";

/// Whether `BERTH_REQUIRE_ALL=1` is set: a test that cannot run must then fail.
pub fn require_all() -> bool {
    std::env::var(REQUIRE_ALL).as_deref() == Ok("1")
}

/// The reference dockerd's socket: `BERTH_REF_SOCKET`, else where `scripts/refdockerd start`
/// puts it by default (which is what `scripts/test` starts).
pub fn reference_socket() -> std::path::PathBuf {
    std::env::var_os("BERTH_REF_SOCKET")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/tmp/berth-ref/docker.sock"))
}

/// Whether this process runs as root (its effective user ID is 0).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether `test` must stop here because of what `missing` names. With `None` the test runs
/// (false). With `Some(why)` it skips after one line on stderr (true), or panics under
/// `BERTH_REQUIRE_ALL=1`. The line goes straight to stderr, past the test harness's capture,
/// so that a skip is never silent. An empty `test` says only `skipped: <why>`. A failure is
/// reported at the caller's line.
#[track_caller]
pub fn skip(test: &str, missing: Option<String>) -> bool {
    let Some(why) = missing else {
        return false;
    };
    if require_all() {
        panic!("{}", failure(test, &why));
    }
    let _ = writeln!(std::io::stderr(), "{}", skip_line(test, &why));
    true
}

/// True when the test may run as root; otherwise [`skip`] with "needs root".
#[track_caller]
pub fn root_or_skip(test: &str) -> bool {
    !skip(test, (!is_root()).then(|| "needs root".to_string()))
}

/// The line a skipped test prints.
fn skip_line(test: &str, why: &str) -> String {
    match test {
        "" => format!("skipped: {why}"),
        _ => format!("skipped {test}: {why}"),
    }
}

/// The message a test fails with when it cannot run under `BERTH_REQUIRE_ALL=1`.
fn failure(test: &str, why: &str) -> String {
    match test {
        "" => format!("{why}, and {REQUIRE_ALL}=1 is set"),
        _ => format!("{test}: {why}, and {REQUIRE_ALL}=1 is set"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_names_the_test_and_what_is_missing() {
        assert_eq!(skip_line("t", "needs root"), "skipped t: needs root");
        assert_eq!(skip_line("", "no registry"), "skipped: no registry");
        assert_eq!(
            failure("t", "needs root"),
            "t: needs root, and BERTH_REQUIRE_ALL=1 is set"
        );
    }

    #[test]
    fn nothing_missing_is_no_skip() {
        assert!(!skip("t", None));
    }
}
