//! The files the walk's confinement steps name, at fixed host paths so that the steps stay
//! static and both engines bind the same bytes: the seccomp probe (`fixtures/probe`, built
//! here with `rustc` as a static binary), berth's default seccomp profile (moby's policy,
//! which dockerd must take as its own), and a profile of the right JSON but the wrong shape
//! (dockerd refuses it at start, after the CLI has sent it).

use std::path::Path;

/// `-v` for the probe: read-only at `/probe`.
pub const PROBE: &str = "/tmp/berth-walk-probe:/probe:ro";
pub const PROFILE_OPT: &str = "seccomp=/tmp/berth-walk-seccomp.json";
pub const BAD_PROFILE_OPT: &str = "seccomp=/tmp/berth-walk-seccomp-bad.json";

/// Writes the three files, once per test process (each built aside and renamed into place,
/// so walks of other processes never see half a file).
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(install_now);
}

fn install_now() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let staging = format!("/tmp/berth-walk-probe.{}", std::process::id());
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let status = std::process::Command::new(rustc)
        .args(["--edition", "2021", "-O", "-C", "panic=abort"])
        .args(["-C", "target-feature=+crt-static", "-o", &staging])
        .arg(root.join("fixtures/probe/seccomp_probe.rs"))
        .status()
        .expect("run rustc");
    assert!(status.success(), "building the seccomp probe failed");
    std::fs::rename(&staging, "/tmp/berth-walk-probe").unwrap();
    let profile = root.join("runtime/sandbox/src/seccomp/default.json");
    write(
        "/tmp/berth-walk-seccomp.json",
        &std::fs::read(profile).unwrap(),
    );
    write(
        "/tmp/berth-walk-seccomp-bad.json",
        br#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":"x"}"#,
    );
}

fn write(path: &str, bytes: &[u8]) {
    let staging = format!("{path}.{}", std::process::id());
    std::fs::write(&staging, bytes).unwrap();
    std::fs::rename(&staging, path).unwrap();
}
