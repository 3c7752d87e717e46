//! The body of `POST /containers/create` exactly as docker CLI 28.2.2 sends it: every field of
//! its `Config` and `HostConfig`, with the CLI's defaults (`[]` and `{}` where Go's zero value
//! is an empty list or map, `RestartPolicy` `no`, `MemorySwappiness` -1), so that what a daemon
//! records and shows in `inspect` does not depend on which of the two CLIs created the
//! container. Captured from the docker CLI's own request (`strace -e write docker create`).

use serde_json::{json, Value};

/// What the flags of `run`/`create` decide; everything else keeps the CLI's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateFlags {
    pub image: String,
    /// `None` keeps the image's CMD (`null`).
    pub cmd: Option<Vec<String>>,
    /// `None` keeps the image's ENTRYPOINT (`null`).
    pub entrypoint: Option<Vec<String>>,
    /// `None` when no `-e` was given (`null`).
    pub env: Option<Vec<String>>,
    pub working_dir: String,
    pub user: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    pub auto_remove: bool,
    pub memory: i64,
    pub pids_limit: i64,
    pub cpu_shares: i64,
    /// `--label`s (`{}` without any).
    pub labels: std::collections::BTreeMap<String, String>,
    /// The terminal's `[height, width]` with `-t` on a terminal, else `[0, 0]`.
    pub console_size: [u16; 2],
    /// `-h` (`""` without).
    pub hostname: String,
    /// `--network`; `None` is `default`, which alone gets an endpoint config.
    pub network: Option<String>,
    /// `-v` specs (`null` without any).
    pub binds: Option<Vec<String>>,
    /// `--mount`s (the key is left out without any).
    pub mounts: Vec<Value>,
    /// `--security-opt`s as the CLI sends them (`null` without any).
    pub security_opt: Option<Vec<String>>,
}

/// The request body for `flags`.
pub fn create_body(flags: &CreateFlags) -> Value {
    json!({
        "Hostname": flags.hostname,
        "Domainname": "",
        "User": flags.user,
        "AttachStdin": flags.attach_stdin,
        "AttachStdout": flags.attach_stdout,
        "AttachStderr": flags.attach_stderr,
        "Tty": flags.tty,
        "OpenStdin": flags.open_stdin,
        "StdinOnce": flags.stdin_once,
        "Env": flags.env,
        "Cmd": flags.cmd,
        "Image": flags.image,
        "Volumes": {},
        "WorkingDir": flags.working_dir,
        "Entrypoint": flags.entrypoint,
        "OnBuild": null,
        "Labels": flags.labels,
        "HostConfig": host_config(flags),
        "NetworkingConfig": {"EndpointsConfig": endpoints(flags)},
    })
}

/// The CLI sends an endpoint only for the `default` network it picks itself; with `--network`
/// the map is empty.
fn endpoints(flags: &CreateFlags) -> Value {
    match flags.network {
        Some(_) => json!({}),
        None => json!({
            "default": {
                "IPAMConfig": null, "Links": null, "Aliases": null, "MacAddress": "",
                "DriverOpts": null, "GwPriority": 0, "NetworkID": "", "EndpointID": "",
                "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
                "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": null
            }
        }),
    }
}

fn host_config(flags: &CreateFlags) -> Value {
    // Two halves: one `json!` of every field would exceed the macro's recursion limit.
    let mut config = json!({
        "Binds": flags.binds, "ContainerIDFile": "",
        "LogConfig": {"Type": "", "Config": {}},
        "NetworkMode": flags.network.as_deref().unwrap_or("default"), "PortBindings": {},
        "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
        "AutoRemove": flags.auto_remove,
        "VolumeDriver": "", "VolumesFrom": null,
        "ConsoleSize": flags.console_size,
        "CapAdd": null, "CapDrop": null, "CgroupnsMode": "",
        "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null, "GroupAdd": null,
        "IpcMode": "", "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "",
        "Privileged": false, "PublishAllPorts": false, "ReadonlyRootfs": false,
        "SecurityOpt": flags.security_opt, "UTSMode": "", "UsernsMode": "", "ShmSize": 0, "Isolation": "",
        "CpuShares": flags.cpu_shares,
        "Memory": flags.memory,
    });
    let resources = json!({
        "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteIOps": [], "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "", "Devices": [],
        "DeviceCgroupRules": null, "DeviceRequests": null, "MemoryReservation": 0,
        "MemorySwap": 0, "MemorySwappiness": -1, "OomKillDisable": false,
        "PidsLimit": flags.pids_limit,
        "Ulimits": [], "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0, "MaskedPaths": null, "ReadonlyPaths": null
    });
    if let (Some(config), Value::Object(resources)) = (config.as_object_mut(), resources) {
        config.extend(resources);
        if !flags.mounts.is_empty() {
            config.insert("Mounts".into(), json!(flags.mounts));
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docker CLI 28.2.2's body for `docker create hello-world`, byte for byte as captured.
    const DOCKER_CREATE_HELLO: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"hello-world","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

    #[test]
    fn the_default_body_is_the_docker_clis() {
        let flags = CreateFlags {
            image: "hello-world".into(),
            attach_stdout: true,
            attach_stderr: true,
            ..CreateFlags::default()
        };
        let docker: Value = serde_json::from_str(DOCKER_CREATE_HELLO).unwrap();
        assert_eq!(create_body(&flags), docker);
    }
}
