//! The busybox image layer that the sandbox and lifecycle suites run containers on: Debian's
//! static busybox (`/bin/busybox`, from `busybox-static`) with its applet links, an
//! `/etc/passwd` with root, a non-executable `/data/seed.txt`, and the empty `/proc`, `/sys`,
//! `/dev` and `/tmp` an image has. Built once per test binary under the directory the caller
//! names (Cargo's target tmp dir), atomically: built aside, then renamed into place, so test
//! binaries running side by side never see half a layer and repeated runs never rebuild it.
//! Nothing here mounts or runs anything.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The layer's directory under `tmp_dir` (pass `env!("CARGO_TARGET_TMPDIR")`), built on the
/// first call; later calls answer the same directory whatever they pass.
pub fn busybox_layer(tmp_dir: &Path) -> &'static Path {
    static LAYER: OnceLock<PathBuf> = OnceLock::new();
    LAYER.get_or_init(|| {
        let layer = tmp_dir.join("berth-busybox-layer");
        if !layer.join("bin/busybox").exists() {
            let staging = tempfile::Builder::new()
                .prefix("busybox-layer-")
                .tempdir_in(tmp_dir)
                .unwrap();
            build(staging.path());
            if fs::rename(staging.path(), &layer).is_ok() {
                std::mem::forget(staging);
            }
        }
        layer
    })
}

fn build(layer: &Path) {
    for d in ["bin", "data", "etc", "proc", "sys", "dev", "tmp"] {
        fs::create_dir_all(layer.join(d)).unwrap();
    }
    fs::copy("/bin/busybox", layer.join("bin/busybox")).unwrap();
    let list = std::process::Command::new("/bin/busybox")
        .arg("--list")
        .output()
        .unwrap();
    for applet in String::from_utf8(list.stdout).unwrap().lines() {
        if applet != "busybox" {
            symlink("busybox", layer.join("bin").join(applet)).unwrap();
        }
    }
    fs::write(layer.join("data/seed.txt"), "seed\n").unwrap();
    fs::set_permissions(
        layer.join("data/seed.txt"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    fs::write(layer.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    fs::set_permissions(layer, fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layer_has_a_shell_the_seed_and_root() {
        let missing = (!Path::new("/bin/busybox").exists())
            .then(|| "no /bin/busybox (apt-get install busybox-static)".to_string());
        if crate::skip("the_layer_has_a_shell_the_seed_and_root", missing) {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let layer = busybox_layer(tmp.path());
        assert_eq!(
            fs::read_link(layer.join("bin/sh")).unwrap(),
            Path::new("busybox")
        );
        assert_eq!(
            fs::read_to_string(layer.join("data/seed.txt")).unwrap(),
            "seed\n"
        );
        let mode = fs::metadata(layer.join("data/seed.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
        assert!(fs::read_to_string(layer.join("etc/passwd"))
            .unwrap()
            .starts_with("root:x:0:0:"));
    }
}
