//! `create`: resolve the image, merge its config with the request (dockerd's rules for Cmd,
//! Entrypoint, Env, WorkingDir, User), pick the ID and the name, and write the records, in
//! dockerd's order of checks. Nothing is mounted or started here; the container's directory
//! holds only empty `upper/`, `work/` and `rootfs/` until `start`.

use std::collections::BTreeMap;

use berth_core::Kind;

use crate::containers::{Containers, Entry};
use crate::error::LifecycleError;
use crate::id::{fill_random, ContainerId};
use crate::images::{Created, ImageInfo, Images, Resolved};
use crate::names::{self, ContainerName};
use crate::network::NetworkMode;
use crate::record::{self, ContainerConfig, ContainerDir, HostOptions, ProcessConfig};
use crate::state::StateRecord;
use crate::time::Timestamp;

/// What `docker create` / `POST /containers/create` asks for. `None` and empty fields take the
/// image's values.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub image: String,
    pub name: Option<String>,
    pub cmd: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    /// `--rm`: remove the container once it exits (or fails to start).
    pub auto_remove: bool,
    pub memory: Option<u64>,
    pub pids_limit: Option<u64>,
    pub cpu_shares: Option<u64>,
    /// `-t`: allocate a pseudo-terminal (raw output, resizable).
    pub tty: bool,
    /// `-i`: keep stdin open for attached clients; without it stdin is `/dev/null`.
    pub open_stdin: bool,
    /// Close stdin once the first attached client detaches from it.
    pub stdin_once: bool,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    /// `--label`: added to the image's labels, replacing any with the same key.
    pub labels: BTreeMap<String, String>,
    /// `--hostname`; empty or `None` means the short ID (the host's name with `--network host`).
    pub hostname: Option<String>,
    /// `--network`: `HostConfig.NetworkMode` ([`NetworkMode`]); empty means `default`.
    pub network_mode: String,
    /// `-v SRC:DST[:MODE]`: `HostConfig.Binds`, binds of absolute host paths.
    pub binds: Vec<String>,
    /// `--mount`: `HostConfig.Mounts`, of type `bind`.
    pub mounts: Vec<crate::binds::MountRequest>,
    /// `--security-opt`: `HostConfig.SecurityOpt` as sent (`None` is JSON `null`).
    pub security_opt: Option<Vec<String>>,
    /// `--group-add`: supplementary groups by name or GID, resolved at each start.
    pub group_add: Vec<String>,
    /// `--stop-timeout`: seconds `stop` gives the process when the client names none.
    pub stop_timeout: Option<i64>,
    /// `--log-driver`/`--log-opt`, checked by the caller (berth writes json-file logs only).
    pub log_config: crate::record::LogConfig,
}

/// What happens to a container after its exit, beyond Docker's `AutoRemove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposal {
    /// Kept until someone removes it; its root filesystem changes are synced at exit.
    Kept,
    /// Removed by its creator right after the exit; nothing is synced.
    Disposable,
}

impl<I: Images> Containers<I> {
    /// Creates a container and answers its ID. The image's lease ends with the call; a caller
    /// that must keep the layers held uses [`Containers::create_leased`].
    pub fn create(&self, options: CreateOptions) -> Result<ContainerId, LifecycleError> {
        self.create_leased(options, Disposal::Kept).map(|c| c.id)
    }

    /// Creates a container that the caller removes as soon as it exits, having read its log
    /// (`run --rm` without a live attach): its changes to the root filesystem are never synced
    /// to disk, as for `auto_remove`, but the container stays until the caller removes it.
    pub fn create_disposable(&self, options: CreateOptions) -> Result<ContainerId, LifecycleError> {
        self.create_leased(options, Disposal::Disposable)
            .map(|c| c.id)
    }

    /// Creates a container and hands over the lease its image was resolved with: held from the
    /// resolve until the records are written, so the layers cannot go in between, and then the
    /// caller's to move to the container (a failed create drops it).
    pub fn create_leased(
        &self,
        options: CreateOptions,
        disposal: Disposal,
    ) -> Result<Created<I::Lease>, LifecycleError> {
        // dockerd checks the host config before it looks the image up.
        let network = NetworkMode::parse(&options.network_mode)?;
        let hostname = options.hostname.clone().filter(|h| !h.is_empty());
        if matches!(network, NetworkMode::Container(_)) && hostname.is_some() {
            return Err(LifecycleError::HostnameWithNetworkMode);
        }
        let Resolved { image, lease } =
            self.images
                .resolve(&options.image)
                .map_err(|e| LifecycleError::Image {
                    kind: e.kind(),
                    source: Box::new(e),
                })?;
        // dockerd looks the image up first (a missing image is a 404 the CLI answers by
        // pulling) and only then checks the name: `docker run --name a hello-world` pulls
        // hello-world and then fails on the name (checked against dockerd 20.10).
        let wanted: Option<ContainerName> = options.name.as_deref().map(str::parse).transpose()?;
        let process = merge(&options, &image);
        let argv: Vec<String> = process
            .entrypoint
            .iter()
            .chain(&process.cmd)
            .cloned()
            .collect();
        let Some((path, args)) = argv.split_first() else {
            return Err(LifecycleError::NoCommand);
        };
        let mut reg = self.shared.lock();
        let id = loop {
            let id = ContainerId::generate();
            if !reg.entries.contains_key(&id) {
                break id;
            }
        };
        let name = match wanted {
            Some(name) => {
                if let Some(owner) = reg.names.get(&name) {
                    return Err(LifecycleError::NameConflict {
                        name: name.to_string(),
                        id: owner.to_string(),
                    });
                }
                name
            }
            None => names::generate(&id, &|n| reg.names.contains_key(n), &mut fill_random),
        };
        // After the name, as dockerd sets the security options; the list is kept as sent.
        crate::security::parse(options.security_opt.as_deref().unwrap_or_default())?;
        // After the image and the name, as dockerd registers mount points.
        let mount_points = crate::binds::mount_points(&options.binds, &options.mounts)?;
        let network_mode = match &network {
            // Stored by full ID when the container exists; an unknown one fails at start.
            NetworkMode::Container(reference) => match crate::lookup::find(&reg, reference) {
                Ok(target) => format!("container:{target}"),
                Err(_) => options.network_mode.clone(),
            },
            NetworkMode::Default if options.network_mode.is_empty() => "default".to_string(),
            _ => options.network_mode.clone(),
        };
        let hostname = hostname.unwrap_or_else(|| match network {
            NetworkMode::Host => crate::network::host_hostname(),
            _ => id.short().to_string(),
        });
        let config = ContainerConfig {
            id: id.clone(),
            name: name.clone(),
            created: Timestamp::now(),
            image: options.image.clone(),
            image_id: image.id.clone(),
            path: path.clone(),
            args: args.to_vec(),
            config: ProcessConfig {
                hostname,
                ..process
            },
            host_config: HostOptions {
                auto_remove: options.auto_remove,
                disposable: disposal == Disposal::Disposable,
                memory: options.memory,
                pids_limit: options.pids_limit,
                cpu_shares: options.cpu_shares,
                network_mode,
                binds: options.binds.clone(),
                mounts: options.mounts.clone(),
                mount_points,
                security_opt: options.security_opt.clone(),
                group_add: options.group_add.clone(),
                log_config: options.log_config.clone(),
            },
            layer_dirs: image.layer_dirs,
        };
        let dir = ContainerDir::new(&self.shared.root, &id);
        write_new(&dir, &config).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir.path);
        })?;
        reg.names.insert(name, id.clone());
        let entry = Entry {
            config,
            state: StateRecord::default(),
            dir,
            process: None,
            exits: 0,
            hub: Default::default(),
            starting: false,
        };
        reg.entries.insert(id.clone(), entry);
        Ok(Created { id, lease })
    }
}

/// Only the config is written (durably): a container without a state file is `created`
/// ([`record::load`]), and a directory without a config is an unfinished create that the next
/// open removes, so a crash at any point leaves nothing half made. The state file appears at
/// the first transition.
fn write_new(dir: &ContainerDir, config: &ContainerConfig) -> Result<(), LifecycleError> {
    dir.create()?;
    record::write_atomic(&dir.config(), config)
}

/// dockerd's merge of the request with the image config (`daemon/commit.go`, `merge`): an
/// explicit entrypoint drops the image's Cmd; the request's env entries come first, as given
/// (a bare `KEY` included), then the image's whose key the request does not name.
fn merge(options: &CreateOptions, image: &ImageInfo) -> ProcessConfig {
    let ic = &image.config;
    let own_entrypoint = options.entrypoint.as_ref().is_some_and(|ep| !ep.is_empty());
    let cmd = if own_entrypoint || !options.cmd.is_empty() {
        options.cmd.clone()
    } else {
        ic.cmd.clone()
    };
    // `--entrypoint ""` (Some, empty) clears the image's entrypoint; only None inherits it.
    let entrypoint = options
        .entrypoint
        .clone()
        .unwrap_or_else(|| ic.entrypoint.clone());
    ProcessConfig {
        hostname: String::new(),
        env: merge_env(&options.env, &ic.env),
        cmd,
        entrypoint,
        working_dir: options
            .working_dir
            .clone()
            .unwrap_or_else(|| ic.working_dir.clone()),
        user: options.user.clone().unwrap_or_else(|| ic.user.clone()),
        image: options.image.clone(),
        tty: options.tty,
        open_stdin: options.open_stdin,
        stdin_once: options.stdin_once,
        attach_stdin: options.attach_stdin,
        attach_stdout: options.attach_stdout,
        attach_stderr: options.attach_stderr,
        stop_timeout: options.stop_timeout,
        labels: ic
            .labels
            .iter()
            .chain(&options.labels)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// `merge`'s env rule: the request's entries kept as written, the image's appended unless the
/// request has their key (with or without a value).
fn merge_env(own: &[String], image: &[String]) -> Vec<String> {
    let key = |e: &str| e.split('=').next().unwrap_or_default().to_string();
    let mut env = own.to_vec();
    env.extend(
        image
            .iter()
            .filter(|i| !own.iter().any(|o| key(o) == key(i)))
            .cloned(),
    );
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::ImageConfig;

    #[test]
    fn env_merge_keeps_the_requests_entries_first_and_as_written() {
        let s = |v: &[&str]| v.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        let image = s(&["PATH=/bin", "A=image", "B=image"]);
        assert_eq!(
            merge_env(&s(&["A=own", "BARE", "B"]), &image),
            s(&["A=own", "BARE", "B", "PATH=/bin"])
        );
        assert_eq!(merge_env(&[], &image), image);
    }

    fn image(entrypoint: &[&str], cmd: &[&str]) -> ImageInfo {
        ImageInfo {
            id: "sha256:x".into(),
            layer_dirs: Vec::new(),
            config: ImageConfig {
                cmd: cmd.iter().map(|s| s.to_string()).collect(),
                entrypoint: entrypoint.iter().map(|s| s.to_string()).collect(),
                env: vec!["PATH=/bin".into(), "A=1".into()],
                working_dir: "/w".into(),
                user: String::new(),
                labels: [("a", "image"), ("b", "image")]
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .into(),
            },
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cmd_and_entrypoint_merge_like_dockerd() {
        let img = image(&["/ep"], &["def"]);
        let o = CreateOptions::default();
        let p = merge(&o, &img);
        assert_eq!(
            (p.entrypoint.clone(), p.cmd.clone()),
            (strings(&["/ep"]), strings(&["def"]))
        );
        let o = CreateOptions {
            cmd: strings(&["x"]),
            ..Default::default()
        };
        assert_eq!(merge(&o, &img).cmd, strings(&["x"]));
        let o = CreateOptions {
            entrypoint: Some(strings(&["/other"])),
            ..Default::default()
        };
        let p = merge(&o, &img);
        assert_eq!((p.entrypoint, p.cmd), (strings(&["/other"]), Vec::new()));
        assert_eq!(p.working_dir, "/w");
    }

    #[test]
    fn request_labels_go_on_top_of_the_images() {
        let o = CreateOptions {
            labels: [("b", "mine"), ("c", "")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            ..CreateOptions::default()
        };
        let labels = merge(&o, &image(&[], &["sh"])).labels;
        let pairs: Vec<_> = labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(pairs, [("a", "image"), ("b", "mine"), ("c", "")]);
    }
}
