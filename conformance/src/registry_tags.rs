//! The fixture registry's tags as the harness moves them. `remote-retag` copies one tag's
//! manifest over another's; every tag it moved is put back from the fixture layouts at the next
//! reset and when the run ends, so each case starts from the same registry and the registry is
//! left as it was found. The tags `remote-retag` can move are also restored at the first reset,
//! since an earlier run may have been killed with one moved.

use std::path::PathBuf;
use std::process::Command as Process;

use berth_api::split_reference;

/// Every tag the generator's `remote-retag` may move (see `generate.rs`).
pub const RETAG_TARGETS: &[&str] = &["toolbox:latest", "hello-world:latest"];

/// One registry's movable tags.
#[derive(Debug)]
pub struct RegistryTags {
    /// `host:port`.
    registry: String,
    /// The fixture OCI layouts moved tags are restored from.
    fixtures: Option<PathBuf>,
    /// Tags moved since the last restore.
    moved: Vec<String>,
}

impl RegistryTags {
    pub fn new(registry: String) -> RegistryTags {
        RegistryTags {
            registry,
            fixtures: None,
            moved: Vec::new(),
        }
    }

    /// Knowing the fixture layouts, restores every movable tag at the first reset.
    pub fn with_fixtures(mut self, dir: PathBuf) -> RegistryTags {
        self.fixtures = Some(dir);
        self.moved = RETAG_TARGETS.iter().map(|t| t.to_string()).collect();
        self
    }

    /// `docker://host:port/[library/]name:tag`, as the registry serves a fixture.
    fn path(&self, reference: &str) -> String {
        let (name, tag) = split_reference(reference);
        let name = if name.contains('/') {
            name
        } else {
            format!("library/{name}")
        };
        format!("docker://{}/{name}:{tag}", self.registry)
    }

    /// Points `target` at what `source` holds; `Ok(false)` when skopeo could not copy it.
    pub fn retag(&mut self, source: &str, target: &str) -> Result<bool, String> {
        self.moved.push(target.to_string());
        skopeo(&self.path(source), &self.path(target))
    }

    /// Puts every moved tag back to its fixture, under both names the registry serves it by.
    pub fn restore(&mut self) -> Result<(), String> {
        let moved = std::mem::take(&mut self.moved);
        if moved.is_empty() {
            return Ok(());
        }
        let Some(fixtures) = &self.fixtures else {
            return Err(
                "remote-retag moved tags and no --fixtures dir is known to restore them".into(),
            );
        };
        for target in moved {
            let (name, tag) = split_reference(&target);
            let layout = format!("oci:{}:{tag}", fixtures.join(&name).display());
            for path in [format!("library/{name}"), name.clone()] {
                let dest = format!("docker://{}/{path}:{tag}", self.registry);
                if !skopeo(&layout, &dest)? {
                    return Err(format!("could not restore {path}:{tag} from {layout}"));
                }
            }
        }
        Ok(())
    }
}

impl Drop for RegistryTags {
    /// Leaves the registry as it was found, however the run ended: the registry is shared
    /// (tests, the reference dockerd and other runs pull the same fixture tags).
    fn drop(&mut self) {
        if let Err(e) = self.restore() {
            eprintln!(
                "berth conform: the registry {} keeps a moved tag: {e}",
                self.registry
            );
        }
    }
}

fn skopeo(source: &str, dest: &str) -> Result<bool, String> {
    Process::new("skopeo")
        .args([
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--preserve-digests",
            source,
            dest,
        ])
        .status()
        .map(|s| s.success())
        .map_err(|e| format!("skopeo: {e}"))
}
