//! Container shapes: `GET /containers/{id}/json` with every field dockerd 20.10 shows (berth's
//! values where it has them, dockerd's defaults where berth has no such feature), and the
//! entries of `GET /containers/json` with dockerd's STATUS words.

use berth_format::units::human_duration;
use berth_format::Duration;
use berth_runtime::engine::{EtcFiles, HostOptions, Inspect, NetworkMode, State};
use serde_json::{json, Value};

use super::unix_nanos;
use crate::versions::ApiVersion;

/// `GET /containers/{id}/json` as API version `v` shows it.
pub fn inspect(c: &Inspect, v: ApiVersion) -> Value {
    let mut out = inspect_all(c);
    if !v.has_legacy_container_fields() {
        if let Some(n) = out["NetworkSettings"].as_object_mut() {
            for key in LEGACY_NETWORK_FIELDS {
                n.remove(*key);
            }
        }
        if let Some(h) = out["HostConfig"].as_object_mut() {
            h.remove("KernelMemoryTCP");
        }
    }
    out
}

/// `NetworkSettings` fields deprecated in 1.21 and gone from 1.52.
const LEGACY_NETWORK_FIELDS: &[&str] = &[
    "Bridge",
    "HairpinMode",
    "LinkLocalIPv6Address",
    "LinkLocalIPv6PrefixLen",
    "SecondaryIPAddresses",
    "SecondaryIPv6Addresses",
    "EndpointID",
    "Gateway",
    "GlobalIPv6Address",
    "GlobalIPv6PrefixLen",
    "IPAddress",
    "IPPrefixLen",
    "IPv6Gateway",
    "MacAddress",
];

fn inspect_all(c: &Inspect) -> Value {
    let (cfg, st) = (&c.config, &c.state);
    let p = &cfg.config;
    let h = &cfg.host_config;
    let mut out = json!({
        "Id": cfg.id.as_str(),
        "Created": cfg.created.to_string(),
        "Path": cfg.path,
        "Args": cfg.args,
        "State": {
            "Status": st.status.to_string(),
            "Running": st.status.is_running(),
            "Paused": st.status == State::Paused,
            "Restarting": st.status == State::Restarting,
            "OOMKilled": st.oom_killed,
            "Dead": st.status == State::Dead,
            "Pid": st.pid,
            "ExitCode": st.exit_code,
            "Error": st.error,
            "StartedAt": st.started_at.to_string(),
            "FinishedAt": st.finished_at.to_string(),
        },
        "Image": cfg.image_id,
        // Empty until the first start writes the files, as in dockerd.
        "ResolvConfPath": etc_path(c, |f| &f.resolv_conf),
        "HostnamePath": etc_path(c, |f| &f.hostname),
        "HostsPath": etc_path(c, |f| &f.hosts),
        "LogPath": c.log_path,
        "Name": format!("/{}", cfg.name.bare()),
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": null,
        "HostConfig": host_config(h),
        "GraphDriver": graph_driver(c),
        "Mounts": mounts(h),
        "Config": {
            "Hostname": p.hostname,
            "Domainname": "",
            "User": p.user,
            "AttachStdin": p.attach_stdin,
            "AttachStdout": p.attach_stdout,
            "AttachStderr": p.attach_stderr,
            "Tty": p.tty,
            "OpenStdin": p.open_stdin,
            "StdinOnce": p.stdin_once,
            "Env": p.env,
            "Cmd": nullable(&p.cmd),
            "Image": cfg.image,
            "Volumes": null,
            "WorkingDir": p.working_dir,
            "Entrypoint": nullable(&p.entrypoint),
            "OnBuild": null,
            "Labels": p.labels,
        },
        "NetworkSettings": network_settings(&cfg.host_config.network_mode),
    });
    // A pointer with `omitempty` in dockerd: shown only when the create set it.
    if let Some(timeout) = p.stop_timeout {
        out["Config"]["StopTimeout"] = json!(timeout);
    }
    out
}

/// One of the container's `/etc` files, or `""` before its first start.
fn etc_path(c: &Inspect, path: fn(&EtcFiles) -> &std::path::PathBuf) -> Value {
    c.etc_files.as_ref().map_or(json!(""), |f| json!(path(f)))
}

fn nullable(v: &[String]) -> Value {
    match v.is_empty() {
        true => Value::Null,
        false => json!(v),
    }
}

fn host_config(h: &HostOptions) -> Value {
    let mut out = json!({
        "Binds": match h.binds.is_empty() {
            true => Value::Null,
            false => json!(h.binds),
        },
        "ContainerIDFile": "",
        "LogConfig": {"Type": h.log_config.kind, "Config": h.log_config.config},
        "NetworkMode": h.network_mode,
        "PortBindings": {},
        "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
        "AutoRemove": h.auto_remove,
        "VolumeDriver": "",
        "VolumesFrom": null,
        "CapAdd": null,
        "CapDrop": null,
        "CgroupnsMode": "host",
        "Dns": [],
        "DnsOptions": [],
        "DnsSearch": [],
        "ExtraHosts": null,
        "GroupAdd": nullable(&h.group_add),
        "IpcMode": "private",
        "Cgroup": "",
        "Links": null,
        "OomScoreAdj": 0,
        "PidMode": "",
        "Privileged": false,
        "PublishAllPorts": false,
        "ReadonlyRootfs": false,
        // As the request gave it: `null`, `[]` or the list (a profile's JSON included).
        "SecurityOpt": h.security_opt,
        "UTSMode": "",
        "UsernsMode": "",
        "ShmSize": 67108864,
        "Runtime": "runc",
        "ConsoleSize": [0, 0],
        "Isolation": "",
        "CpuShares": h.cpu_shares.unwrap_or(0),
        "Memory": h.memory.unwrap_or(0),
        "NanoCpus": 0,
        "CgroupParent": "",
        "BlkioWeight": 0,
        "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [],
        "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteIOps": [],
        "CpuPeriod": 0,
        "CpuQuota": 0,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpusetCpus": "",
        "CpusetMems": "",
        "Devices": [],
        "DeviceCgroupRules": null,
        "DeviceRequests": null,
        "KernelMemory": 0,
        "KernelMemoryTCP": 0,
        "MemoryReservation": 0,
        "MemorySwap": 0,
        "MemorySwappiness": null,
        "OomKillDisable": false,
        "PidsLimit": h.pids_limit,
        "Ulimits": [],
        "CpuCount": 0,
        "CpuPercent": 0,
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
        // The sandbox applies these to every container; its lists are the only copy.
        "MaskedPaths": berth_runtime::engine::default_masked_paths(),
        "ReadonlyPaths": berth_runtime::engine::READONLY_PATH_NAMES,
    });
    // dockerd leaves the key out when there are none.
    if !h.mounts.is_empty() {
        out["Mounts"] = json!(h.mounts);
    }
    out
}

/// inspect's and ps's `Mounts`: every bind, as dockerd lists one.
fn mounts(h: &HostOptions) -> Value {
    h.mount_points
        .iter()
        .map(|p| {
            json!({
                "Type": "bind",
                "Source": p.source,
                "Destination": p.destination,
                "Mode": p.mode,
                "RW": p.rw,
                "Propagation": "rprivate",
            })
        })
        .collect()
}

/// The overlay directories of the container, as dockerd's overlay2 driver reports them.
fn graph_driver(c: &Inspect) -> Value {
    let dir = c.dir();
    let lower: Vec<String> = c
        .config
        .layer_dirs
        .iter()
        .rev()
        .map(|d| d.display().to_string())
        .collect();
    json!({
        "Data": {
            "LowerDir": lower.join(":"),
            "MergedDir": dir.join("rootfs"),
            "UpperDir": dir.join("upper"),
            "WorkDir": dir.join("work"),
        },
        "Name": "overlay2",
    })
}

/// The `bridge` entry dockerd lists for a container on the default network, empty: berth
/// gives containers no network of their own.
/// `NetworkSettings.Networks` for a container with network mode `mode`: its one network, with
/// dockerd's empty endpoint (berth gives containers no addresses), or none at all for
/// `container:` networking.
fn networks(mode: &str) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(name) = NetworkMode::network_name(mode) {
        out.insert(
            name.to_string(),
            json!({
                "IPAMConfig": null,
                "Links": null,
                "Aliases": null,
                "NetworkID": "",
                "EndpointID": "",
                "Gateway": "",
                "IPAddress": "",
                "IPPrefixLen": 0,
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "MacAddress": "",
                "DriverOpts": null,
            }),
        );
    }
    Value::Object(out)
}

/// berth gives containers no addresses: dockerd's shape with empty values.
fn network_settings(mode: &str) -> Value {
    json!({
        "Bridge": "",
        "SandboxID": "",
        "HairpinMode": false,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "Ports": {},
        "SandboxKey": "",
        "SecondaryIPAddresses": null,
        "SecondaryIPv6Addresses": null,
        "EndpointID": "",
        "Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "MacAddress": "",
        "Networks": networks(mode),
    })
}

/// One entry of `GET /containers/json`. `image` is what the IMAGE column shows (the
/// reference as typed, or the full image ID once that reference moved).
pub fn summary(c: &Inspect, image: &str, now: i128) -> Value {
    let cfg = &c.config;
    json!({
        "Id": cfg.id.as_str(),
        "Names": [format!("/{}", cfg.name.bare())],
        "Image": image,
        "ImageID": cfg.image_id,
        "Command": command_line(&cfg.path, &cfg.args),
        "Created": unix_nanos(cfg.created).map_or(0, |n| n / 1_000_000_000) as i64,
        "Ports": [],
        "Labels": cfg.config.labels,
        "State": c.state.status.to_string(),
        "Status": status(c, now),
        "HostConfig": {"NetworkMode": cfg.host_config.network_mode},
        "NetworkSettings": {"Networks": networks(&cfg.host_config.network_mode)},
        "Mounts": mounts(&cfg.host_config),
    })
}

/// dockerd's `State.String()` at `now` (Unix nanoseconds).
pub fn status(c: &Inspect, now: i128) -> String {
    let st = &c.state;
    let since = |t| {
        let nanos = now - unix_nanos(t).unwrap_or(now);
        human_duration(Duration::from_nanos(
            nanos.clamp(0, i128::from(i64::MAX)) as i64
        ))
    };
    match st.status {
        State::Paused => format!("Up {} (Paused)", since(st.started_at)),
        State::Restarting => format!(
            "Restarting ({}) {} ago",
            st.exit_code,
            since(st.finished_at)
        ),
        State::Running => format!("Up {}", since(st.started_at)),
        State::Removing => "Removal In Progress".into(),
        State::Dead => "Dead".into(),
        _ if st.started_at.is_zero() => "Created".into(),
        _ if st.finished_at.is_zero() => String::new(),
        _ => format!("Exited ({}) {} ago", st.exit_code, since(st.finished_at)),
    }
}

/// `ps`'s COMMAND as dockerd builds it (arguments with a space in single quotes).
fn command_line(path: &str, args: &[String]) -> String {
    let mut line = path.to_string();
    for arg in args {
        line.push(' ');
        match arg.contains(' ') {
            true => line.push_str(&format!("'{arg}'")),
            false => line.push_str(arg),
        }
    }
    line
}
