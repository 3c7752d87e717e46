//! Test support: a real `docker-registry` on a free loopback port (killed on drop), images
//! built in memory and pushed either with skopeo (from an OCI layout) or straight through
//! the distribution API, and small in-test HTTP servers. Every wait is bounded.

pub mod image;
pub mod process;
pub mod server;
pub mod token;

use std::path::Path;

/// True when the tools a registry test needs are installed. When one is missing, says so in
/// one line and returns false, unless `BERTH_REQUIRE_ALL=1`: then the test fails.
pub fn have_tools(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a registry test")
        .to_owned();
    let why = format!(
        "{} not installed (apt-get install docker-registry skopeo)",
        missing.join(", ")
    );
    !berth_testkit::skip(&test, Some(why))
}

fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(tool)))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Skips the calling test (returns) when the registry tools are missing.
#[macro_export]
macro_rules! require_registry {
    () => {
        if !$crate::support::have_tools(&["docker-registry", "skopeo"]) {
            return;
        }
    };
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}
