//! The seccomp probe (`fixtures/probe/seccomp_probe.rs`), built once per test run with `rustc`
//! as a static binary under Cargo's target tmp dir, to be bind-mounted into containers.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The probe binary (built on first use).
pub fn probe() -> &'static Path {
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE.get_or_init(|| {
        let source =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/probe/seccomp_probe.rs");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("berth-seccomp-probe");
        let staging = out.with_extension(format!("{}.tmp", std::process::id()));
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let status = std::process::Command::new(rustc)
            .args(["--edition", "2021", "-O", "-C", "panic=abort"])
            .args(["-C", "target-feature=+crt-static", "-o"])
            .arg(&staging)
            .arg(&source)
            .status()
            .expect("run rustc");
        assert!(status.success(), "building {} failed", source.display());
        std::fs::rename(&staging, &out).unwrap();
        out
    })
}
