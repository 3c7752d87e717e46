//! Real containers from a busybox layer: namespaces, overlay, pivot_root, /proc, /dev, /sys,
//! masks, capabilities, cgroup limits, exec failures and cleanup. Root only: each test skips
//! with one line without root, and fails under `BERTH_REQUIRE_ALL=1`.

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use berth_core::{ErrorKind, Kind};
use berth_sandbox::{
    exec_error, Bind, ExecSpec, HostConfig, Limits, NetnsPool, Network, OverlayApi, PreparedNetns,
    Sandbox, SandboxError, Seccomp, Stdio, User,
};
use common::{busybox_layer, host_mounts_under, root_or_skip, Harness};

fn sh(script: &str) -> Harness {
    Harness::new(&["sh", "-c", script])
}

#[test]
fn exit_codes_are_passed_through() {
    if !root_or_skip("exit_codes_are_passed_through") {
        return;
    }
    assert_eq!(Harness::new(&["true"]).run().unwrap().0.code, 0);
    let (exit, _, _) = sh("exit 3").run().unwrap();
    assert_eq!((exit.code, exit.signal, exit.oom_killed), (3, None, false));
}

#[test]
fn a_signal_exit_is_128_plus_the_signal() {
    if !root_or_skip("a_signal_exit_is_128_plus_the_signal") {
        return;
    }
    let h = Harness::new(&["sleep", "30"]);
    let mut running = h.spawn_quiet().unwrap();
    running.signal(libc::SIGKILL).unwrap();
    let exit = running.wait().unwrap();
    assert_eq!((exit.code, exit.signal), (137, Some(libc::SIGKILL)));
    running.cleanup().unwrap();

    // PID 1 with a handler gets SIGTERM; without one the kernel would drop it (as in Docker).
    // The marker is written once the trap is in place (a fixed sleep loses that race on a
    // loaded machine, and the dropped SIGTERM then hangs the test).
    let h = sh("trap 'exit 42' TERM; touch /trapped; while true; do sleep 0.05; done");
    let mut running = h.spawn_quiet().unwrap();
    let marker = h.dir.path().join("upper/trapped");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the trap was never set"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    running.signal(libc::SIGTERM).unwrap();
    assert_eq!(running.wait().unwrap().code, 42);
    assert!(matches!(
        running.signal(libc::SIGTERM),
        Err(SandboxError::NotRunning { .. })
    ));
    running.cleanup().unwrap();
}

#[test]
fn stdout_stderr_and_stdin_go_through_pipes() {
    if !root_or_skip("stdout_stderr_and_stdin_go_through_pipes") {
        return;
    }
    let (_, out, err) = sh("echo out; echo err >&2").run().unwrap();
    assert_eq!((out.as_str(), err.as_str()), ("out\n", "err\n"));
    let (_, out, _) = Harness::new(&["cat"]).run_with_stdin(b"typed\n").unwrap();
    assert_eq!(out, "typed\n");
}

#[test]
fn hostname_pid_and_env_are_the_containers() {
    if !root_or_skip("hostname_pid_and_env_are_the_containers") {
        return;
    }
    let mut h = sh("hostname; echo $$; echo $FOO; pwd; umask");
    h.spec.env.push("FOO=bar".into());
    h.spec.cwd = "/work/dir".into();
    let (exit, out, err) = h.run().unwrap();
    assert_eq!(exit.code, 0, "{err}");
    assert_eq!(out, "c0ffee123456\n1\nbar\n/work/dir\n0022\n");
}

#[test]
fn host_processes_and_files_are_invisible() {
    if !root_or_skip("host_processes_and_files_are_invisible") {
        return;
    }
    let marker = std::env::temp_dir().join(format!("berth-marker-{}", std::process::id()));
    fs::write(&marker, "host").unwrap();
    let script = format!(
        "ls /proc | grep -E '^[0-9]+$' | wc -l; test -e {} && echo visible || echo hidden",
        marker.display()
    );
    let result = sh(&script).run();
    fs::remove_file(&marker).unwrap();
    let (_, out, _) = result.unwrap();
    let lines: Vec<&str> = out.lines().collect();
    // sh, ls, grep and wc at most: none of the host's processes.
    let count: usize = lines[0].trim().parse().unwrap();
    assert!((1..=4).contains(&count), "{out}");
    assert_eq!(lines[1], "hidden");
}

#[test]
fn sys_is_read_only_and_masked_paths_are_empty() {
    if !root_or_skip("sys_is_read_only_and_masked_paths_are_empty") {
        return;
    }
    let script = "grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; \
                  touch /sys/kernel/x 2>/dev/null && echo writable || echo refused; \
                  wc -c < /proc/timer_list; ls /sys/firmware | wc -l; \
                  echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo rw || echo ro; \
                  wc -c < /proc/interrupts";
    let (exit, out, err) = sh(script).run().unwrap();
    assert_eq!(exit.code, 0, "{err}");
    assert_eq!(out, "ro\nrefused\n0\n0\nro\n0\n");
    // The masks hide something: the host's versions are not empty.
    assert!(!fs::read_to_string("/proc/timer_list").unwrap().is_empty());
    assert!(!fs::read_to_string("/proc/interrupts").unwrap().is_empty());
    assert!(fs::read_dir("/sys/firmware").unwrap().count() > 0);
}

#[test]
fn mounts_are_only_the_containers() {
    if !root_or_skip("mounts_are_only_the_containers") {
        return;
    }
    let (_, out, _) = sh("cut -d' ' -f5 /proc/self/mountinfo").run().unwrap();
    let mut points: Vec<&str> = out.lines().collect();
    points.sort_unstable();
    points.dedup();
    let expected = [
        "/",
        "/dev",
        "/dev/mqueue",
        "/dev/pts",
        "/dev/shm",
        "/proc",
        "/proc/acpi",
        "/proc/bus",
        "/proc/fs",
        "/proc/interrupts",
        "/proc/irq",
        "/proc/kcore",
        "/proc/keys",
        "/proc/scsi",
        "/proc/sys",
        "/proc/sysrq-trigger",
        "/proc/timer_list",
        "/proc/asound",
        "/proc/latency_stats",
        "/proc/sched_debug",
        "/proc/timer_stats",
        "/sys",
        "/sys/devices/virtual/powercap",
        "/sys/firmware",
    ];
    let throttles =
        |p: &str| p.starts_with("/sys/devices/system/cpu/cpu") && p.ends_with("/thermal_throttle");
    for p in points.iter().filter(|p| !throttles(p)) {
        assert!(expected.contains(p), "unexpected mount {p} in {out}");
    }
    for p in [
        "/",
        "/proc",
        "/dev",
        "/dev/pts",
        "/dev/shm",
        "/dev/mqueue",
        "/sys",
    ] {
        assert!(points.contains(&p), "missing mount {p} in {out}");
    }
}

#[test]
fn dev_has_dockers_nodes() {
    if !root_or_skip("dev_has_dockers_nodes") {
        return;
    }
    let script = "for n in null zero full random urandom tty; do \
                      test -c /dev/$n || echo no $n; \
                  done; \
                  echo hi > /dev/null && head -c 4 /dev/zero | wc -c; \
                  readlink /dev/ptmx; readlink /dev/fd";
    let (_, out, _) = sh(script).run().unwrap();
    assert_eq!(out, "4\npts/ptmx\n/proc/self/fd\n");
}

#[test]
fn loopback_is_up_in_an_isolated_network() {
    if !root_or_skip("loopback_is_up_in_an_isolated_network") {
        return;
    }
    let (_, out, _) = sh("ls /sys/class/net; cat /sys/class/net/lo/flags")
        .run()
        .unwrap();
    assert_eq!(out, "lo\n0x9\n");

    let mut h = sh("ls /sys/class/net | grep -c .");
    h.spec.network = Network::Host;
    let (_, out, _) = h.run().unwrap();
    let host_count = fs::read_dir("/sys/class/net").unwrap().count();
    assert_eq!(out.trim(), host_count.to_string());

    let mut h = sh("cat /sys/class/net/lo/flags");
    h.spec.network = Network::Prepared(std::sync::Arc::new(
        PreparedNetns::create(std::path::Path::new("/proc")).unwrap(),
    ));
    assert_eq!(h.run().unwrap().1, "0x9\n");
}

#[test]
fn a_netns_pool_hands_out_fresh_namespaces_and_refills() {
    if !root_or_skip("a_netns_pool_hands_out_fresh_namespaces_and_refills") {
        return;
    }
    let pool = NetnsPool::start(std::path::Path::new("/proc"), 2);
    let full = |pool: &NetnsPool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while pool.ready() < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "the pool never filled"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    };
    full(&pool);
    let host = fs::read_link("/proc/self/ns/net").unwrap();
    let mut seen = Vec::new();
    // Kept alive, so a freed namespace's inode number cannot be reused by a later one.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut h =
            sh("readlink /proc/self/ns/net; ls /sys/class/net; cat /sys/class/net/lo/flags");
        h.spec.network = pool.network();
        assert!(matches!(h.spec.network, Network::Prepared(_)));
        held.push(h.spec.network.clone());
        let (_, out, _) = h.run().unwrap();
        let (ns, rest) = out.split_once('\n').unwrap();
        assert_eq!(rest, "lo\n0x9\n");
        assert_ne!(std::path::Path::new(ns), host);
        assert!(
            !seen.contains(&ns.to_string()),
            "a namespace was handed out twice"
        );
        seen.push(ns.to_string());
        full(&pool);
    }
}

#[test]
fn capabilities_are_dockers_default_set() {
    if !root_or_skip("capabilities_are_dockers_default_set") {
        return;
    }
    let script = "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status | tr -s '\\t' ' '";
    let (_, out, _) = sh(script).run().unwrap();
    assert_eq!(
        out,
        "CapInh: 0000000000000000\nCapPrm: 00000000a80425fb\nCapEff: 00000000a80425fb\n\
         CapBnd: 00000000a80425fb\nCapAmb: 0000000000000000\n"
    );
}

#[test]
fn a_non_root_user_has_no_effective_capabilities() {
    if !root_or_skip("a_non_root_user_has_no_effective_capabilities") {
        return;
    }
    let mut h = sh("id -u; id -g; id -G; grep CapEff /proc/self/status | tr -s '\\t' ' '");
    h.spec.user = User {
        uid: 1000,
        gid: 1000,
        additional_gids: vec![1000, 27],
    };
    let (exit, out, err) = h.run().unwrap();
    assert_eq!(exit.code, 0, "{err}");
    assert_eq!(out, "1000\n1000\n1000 27\nCapEff: 0000000000000000\n");
}

#[test]
fn a_missing_absolute_command_is_127_with_dockers_text() {
    if !root_or_skip("a_missing_absolute_command_is_127_with_dockers_text") {
        return;
    }
    let h = Harness::new(&["/nope"]);
    let err = h.run().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_eq!(err.exit_code(), Some(127));
    assert_eq!(
        err.to_string(),
        "exec: \"/nope\": stat /nope: no such file or directory"
    );
    assert_eq!(
        exec_error::docker_start_error(&err.to_string()),
        "failed to create shim task: OCI runtime create failed: runc create failed: unable to \
         start container process: exec: \"/nope\": stat /nope: no such file or directory: unknown"
    );
    for dir in h.cgroup_dirs() {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}

#[test]
fn a_name_not_in_path_is_127_with_dockers_text() {
    if !root_or_skip("a_name_not_in_path_is_127_with_dockers_text") {
        return;
    }
    let err = Harness::new(&["nope"]).run().unwrap_err();
    assert_eq!(err.exit_code(), Some(127));
    assert_eq!(
        err.to_string(),
        "exec: \"nope\": executable file not found in $PATH"
    );
}

#[test]
fn a_non_executable_command_is_126_with_dockers_text() {
    if !root_or_skip("a_non_executable_command_is_126_with_dockers_text") {
        return;
    }
    let err = Harness::new(&["/data/seed.txt"]).run().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_eq!(err.exit_code(), Some(126));
    assert_eq!(
        err.to_string(),
        "exec: \"/data/seed.txt\": permission denied"
    );
}

#[test]
fn path_lookup_uses_the_containers_path() {
    if !root_or_skip("path_lookup_uses_the_containers_path") {
        return;
    }
    let mut h = Harness::new(&["true"]);
    h.spec.env = vec!["PATH=/nowhere".into()];
    let err = h.run().unwrap_err();
    assert_eq!(
        err.to_string(),
        "exec: \"true\": executable file not found in $PATH"
    );
    h.spec.env = vec!["PATH=/nowhere:/bin".into()];
    assert_eq!(h.run().unwrap().0.code, 0);
}

/// 100 layers whose paths are ~230 bytes each: 23 kB of `lowerdir=`, far past a page.
fn many_long_layers(api: OverlayApi) {
    let top = tempfile::Builder::new()
        .prefix("berth-layers-")
        .tempdir()
        .unwrap();
    let long = "l".repeat(200);
    let mut lowers: Vec<PathBuf> = (0..100)
        .map(|i| {
            let dir = top.path().join(format!("{long}-{i:03}"));
            fs::create_dir(&dir).unwrap();
            fs::write(dir.join(format!("f{i}")), format!("{i}")).unwrap();
            dir
        })
        .collect();
    lowers.reverse();
    lowers.push(busybox_layer().to_path_buf());
    let mut h = Harness::with_layers(&["sh", "-c", "ls / | grep -c '^f'; cat /f0 /f99"], lowers);
    h.sandbox = berth_sandbox::Sandbox::new(berth_sandbox::HostConfig {
        overlay_api: api,
        ..berth_sandbox::HostConfig::standard()
    });
    let (exit, out, err) = h.run().unwrap();
    assert_eq!(exit.code, 0, "{err}");
    assert_eq!(out, "100\n099");
}

#[test]
fn a_hundred_long_lower_dirs_mount_with_the_new_api() {
    if root_or_skip("a_hundred_long_lower_dirs_mount_with_the_new_api") {
        many_long_layers(OverlayApi::Auto);
    }
}

#[test]
fn a_hundred_long_lower_dirs_mount_with_legacy_mount() {
    if root_or_skip("a_hundred_long_lower_dirs_mount_with_legacy_mount") {
        many_long_layers(OverlayApi::LegacyMount);
    }
}

#[test]
fn writes_land_in_the_upper_dir() {
    if !root_or_skip("writes_land_in_the_upper_dir") {
        return;
    }
    let h = sh("echo new > /data/new.txt; rm /data/seed.txt");
    h.run().unwrap();
    let upper = h.spec.rootfs.upper_dir.join("data");
    assert_eq!(fs::read_to_string(upper.join("new.txt")).unwrap(), "new\n");
    // A deletion is a whiteout: a 0:0 character device.
    let meta = fs::metadata(upper.join("seed.txt")).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &meta.file_type()
    ));
    assert!(busybox_layer().join("data/seed.txt").exists());
}

#[test]
fn an_oom_kill_is_137_and_reported() {
    if !root_or_skip("an_oom_kill_is_137_and_reported") {
        return;
    }
    let mut h = sh("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}");
    h.spec.limits = Limits {
        memory: Some(32 << 20),
        ..Limits::default()
    };
    let (exit, out, _) = h.run().unwrap();
    assert_eq!((exit.code, exit.oom_killed), (137, true), "{out}");
}

#[test]
fn the_pids_limit_stops_forks() {
    if !root_or_skip("the_pids_limit_stops_forks") {
        return;
    }
    let mut h = sh("for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done; echo started");
    h.spec.limits = Limits {
        pids: Some(4),
        ..Limits::default()
    };
    let (_, _, err) = h.run().unwrap();
    assert!(err.contains("can't fork"), "{err}");
}

#[test]
fn binds_show_host_files_read_only() {
    if !root_or_skip("binds_show_host_files_read_only") {
        return;
    }
    let mut h = sh("cat /etc/hostname; echo x > /etc/hostname 2>/dev/null && echo rw || echo ro");
    let source = h.dir.path().join("hostname");
    fs::write(&source, "c0ffee123456\n").unwrap();
    h.spec.binds.push(Bind {
        source,
        destination: "/etc/hostname".into(),
        readonly: true,
    });
    assert_eq!(h.run().unwrap().1, "c0ffee123456\nro\n");
}

/// Regression: a read-only bind left the mounts below its source writable, and its remount
/// cleared the source's nosuid/nodev/noexec. Now every submount is read-only too, and each
/// keeps its own flags.
#[test]
fn read_only_binds_are_read_only_all_the_way_down_and_keep_their_flags() {
    if !root_or_skip("read_only_binds_are_read_only_all_the_way_down_and_keep_their_flags") {
        return;
    }
    use rustix::mount::{mount, unmount, MountFlags, UnmountFlags};
    let script = "for m in /a /a/sub; do grep \" $m \" /proc/mounts | cut -d' ' -f4; done; \
                  touch /a/top 2>/dev/null && echo top-rw || echo top-ro; \
                  touch /a/sub/x 2>/dev/null && echo sub-rw || echo sub-ro";
    let mut h = sh(script);
    let source = h.dir.path().join("src");
    fs::create_dir_all(source.join("sub")).unwrap();
    // The source itself nosuid,nodev,noexec (a bind of itself), with a tmpfs below it.
    let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    rustix::mount::mount_bind(&source, &source).unwrap();
    rustix::mount::mount_remount(&source, MountFlags::BIND | flags, "").unwrap();
    mount("tmpfs", source.join("sub"), "tmpfs", flags, None).unwrap();
    h.spec.binds.push(Bind {
        source: source.clone(),
        destination: "/a".into(),
        readonly: true,
    });
    let result = h.run();
    // Unmounted before any assertion, so a failure leaves nothing on the host.
    unmount(source.join("sub"), UnmountFlags::DETACH).unwrap();
    unmount(&source, UnmountFlags::DETACH).unwrap();
    let (exit, out, err) = result.unwrap();
    assert_eq!(exit.code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    for (i, mount) in ["/a", "/a/sub"].iter().enumerate() {
        let opts: Vec<&str> = lines[i].split(',').collect();
        for want in ["ro", "nosuid", "nodev", "noexec"] {
            assert!(opts.contains(&want), "{mount}: {} lacks {want}", lines[i]);
        }
    }
    assert_eq!(&lines[2..], ["top-ro", "sub-ro"]);
    assert!(!source.join("top").exists() && !source.join("sub/x").exists());
}

#[test]
fn a_pty_is_the_containers_own() {
    if !root_or_skip("a_pty_is_the_containers_own") {
        return;
    }
    let h = sh("tty; stty size");
    let mut running = h
        .sandbox
        .spawn(
            &h.spec,
            Stdio::Pty {
                rows: 24,
                cols: 100,
            },
        )
        .unwrap();
    let master = running.take_pty_master().unwrap();
    let exit = running.wait().unwrap();
    let mut out = Vec::new();
    // Reading the master after the slave closed ends with EIO; what came before is the output.
    let _ = fs::File::from(master).read_to_end(&mut out);
    assert_eq!(exit.code, 0);
    assert_eq!(String::from_utf8_lossy(&out), "/dev/pts/0\r\n24 100\r\n");
    running.cleanup().unwrap();
}

#[test]
fn cleanup_leaves_no_mounts_cgroups_or_processes() {
    if !root_or_skip("cleanup_leaves_no_mounts_cgroups_or_processes") {
        return;
    }
    let mut h = Harness::new(&["sleep", "30"]);
    h.spec.limits.memory = Some(64 << 20);
    h.spec.limits.pids = Some(100);
    h.spec.limits.cpu_shares = Some(512);
    let running = h.spawn_quiet().unwrap();
    let pid = running.pid();
    let dirs = h.cgroup_dirs();
    // Every limit's controller and the unified hierarchy; devices only on a kernel that
    // refuses the v2 device program.
    for dir in dirs
        .iter()
        .filter(|d| !d.starts_with("/sys/fs/cgroup/devices"))
    {
        let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap();
        assert_eq!(procs.trim(), pid.to_string(), "{}", dir.display());
    }
    assert_eq!(
        fs::read_to_string(dirs[2].join("cpu.shares"))
            .unwrap()
            .trim(),
        "512"
    );
    // The overlay is mounted in the container's namespace only, never in the host's.
    assert!(host_mounts_under(h.dir.path()).is_empty());
    running.cleanup().unwrap();
    assert!(!PathBuf::from(format!("/proc/{pid}")).exists());
    for dir in &dirs {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
    assert!(host_mounts_under(h.dir.path()).is_empty());
}

/// Regression: a lone start spent ~10 ms joining v1 cgroups (the first `cgroup.procs` write
/// after a quiet spell waits for an RCU grace period). Without limits the child is born in its
/// v2 directory and joins no v1 hierarchy.
#[test]
fn a_container_without_limits_joins_no_v1_cgroup() {
    if !root_or_skip("a_container_without_limits_joins_no_v1_cgroup") {
        return;
    }
    let h = Harness::new(&["sleep", "30"]);
    let running = h.spawn_quiet().unwrap();
    let pid = running.pid();
    let rel = h.spec.cgroup.parent.join(&h.spec.cgroup.name);
    let membership = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let mine: Vec<&str> = membership
        .lines()
        .filter(|l| l.ends_with(&*rel.to_string_lossy()))
        .collect();
    assert_eq!(mine, vec![format!("0::/{}", rel.display())], "{membership}");
    for c in ["memory", "pids", "cpu", "devices"] {
        assert!(
            !Path::new("/sys/fs/cgroup").join(c).join(&rel).exists(),
            "{c}"
        );
    }
    running.cleanup().unwrap();
    for dir in h.cgroup_dirs() {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}

#[test]
fn dropping_a_running_container_kills_it() {
    if !root_or_skip("dropping_a_running_container_kills_it") {
        return;
    }
    let h = Harness::new(&["sleep", "30"]);
    let running = h.spawn_quiet().unwrap();
    let pid = running.pid();
    drop(running);
    assert!(!PathBuf::from(format!("/proc/{pid}")).exists());
    for dir in h.cgroup_dirs() {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}

#[test]
fn a_volatile_root_can_be_started_again() {
    if !root_or_skip("a_volatile_root_can_be_started_again") {
        return;
    }
    let mut h = sh("cat /data/count 2>/dev/null; echo x >> /data/count");
    h.spec.rootfs.volatile = true;
    assert_eq!(h.run().unwrap().1, "");
    assert_eq!(h.run().unwrap().1, "x\n");
    assert!(h
        .spec
        .rootfs
        .work_dir
        .join("work/incompat/volatile")
        .exists());
}

#[test]
fn only_dockers_devices_can_be_opened() {
    if !root_or_skip("only_dockers_devices_can_be_opened") {
        return;
    }
    // MKNOD is in Docker's capability set; the devices cgroup is what stops the node from
    // being used. 1:1 is /dev/mem, not on the allow-list.
    let script = "mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem > /dev/null 2>&1 \
                      && echo opened || echo denied; \
                  head -c 1 /dev/urandom | wc -c";
    let (_, out, _) = sh(script).run().unwrap();
    assert_eq!(out, "denied\n1\n");
}

/// Opening a block device needs no capability beyond file permissions, so only the device
/// rules (a v1 devices cgroup, or the v2 device program) stop a container from reading a
/// host disk it made a node for.
#[test]
fn a_host_block_device_cannot_be_opened() {
    if !root_or_skip("a_host_block_device_cannot_be_opened") {
        return;
    }
    let device = fs::read_dir("/sys/dev/block")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().replace(':', " "))
        .next()
        .expect("a block device on the host");
    let script = format!(
        "mknod /tmp/disk b {device} && (: < /tmp/disk) 2>/dev/null && echo opened || echo denied"
    );
    let (_, out, _) = sh(&script).run().unwrap();
    assert_eq!(out, "denied\n", "block device {device}");
}

#[test]
fn exec_joins_the_running_containers_namespaces_and_cgroup() {
    if !root_or_skip("exec_joins_the_running_containers_namespaces_and_cgroup") {
        return;
    }
    let h = Harness::new(&["sleep", "30"]);
    let mut init = h.spawn_quiet().unwrap();
    let exec = |argv: &[&str], cwd: &str, uid: u32| {
        let (out_r, out_w) = common::pipe();
        let (err_r, err_w) = common::pipe();
        let (in_r, _in_w) = common::pipe();
        let spec = ExecSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec!["PATH=/bin".into(), "A=1".into()],
            cwd: cwd.into(),
            user: User {
                uid,
                gid: uid,
                additional_gids: Vec::new(),
            },
        };
        let stdio = Stdio::Fds {
            stdin: in_r,
            stdout: out_w,
            stderr: err_w,
        };
        let mut running = h.sandbox.exec(&init, &spec, stdio)?;
        let (out, err) = (common::reader(out_r), common::reader(err_r));
        let exit = running.wait()?;
        running.cleanup()?;
        Ok::<_, SandboxError>((exit.code, out.join().unwrap(), err.join().unwrap()))
    };
    let script = "hostname; echo $$ $A; pwd; id -u; ls /proc | grep -c '^[0-9]'; \
                  cat /proc/self/cgroup | grep -c ctr; echo oops >&2; exit 3";
    let (code, out, err) = exec(&["sh", "-c", script], "/data", 1000).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(code, 3);
    assert_eq!(err, "oops\n");
    assert_eq!(lines[0], "c0ffee123456", "the container's UTS namespace");
    let (pid, a) = lines[1].split_once(' ').unwrap();
    assert!(
        pid.parse::<i32>().unwrap() > 1,
        "a process of the container's PID namespace"
    );
    assert_eq!(a, "1");
    assert_eq!(
        lines[2], "/data",
        "the container's root and the working directory"
    );
    assert_eq!(lines[3], "1000");
    // Only the container's processes: sleep (PID 1), sh, ls, grep.
    assert!(lines[4].parse::<u32>().unwrap() <= 6, "{out}");
    assert_eq!(lines[5], "1", "born in the container's cgroup: {out}");
    // A missing command is runc's text, and nothing runs.
    let e = exec(&["nosuch"], "/", 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"exec: "nosuch": executable file not found in $PATH"#
    );
    init.signal(libc::SIGKILL).unwrap();
    init.wait().unwrap();
    init.cleanup().unwrap();
}

/// The lines of `/proc/self/status` a seccomp check reads, as `Key: value` without tabs.
fn confinement_lines(status: &str) -> Vec<String> {
    status
        .lines()
        .filter(|l| l.starts_with("Seccomp") || l.starts_with("NoNewPrivs"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A harness whose container has the seccomp probe at `/probe` (read-only).
fn with_probe(argv: &[&str]) -> Harness {
    let mut h = Harness::new(argv);
    h.spec.binds.push(probe_bind());
    h
}

fn probe_bind() -> Bind {
    Bind {
        source: common::probe::probe().to_path_buf(),
        destination: "/probe".into(),
        readonly: true,
    }
}

const PROBES: [&str; 9] = [
    "keyctl",
    "bpf",
    "userfaultfd",
    "perf_event_open",
    "unshare-user",
    "personality-query",
    "personality-exec",
    "clone3",
    "mseal",
];

/// What the same probe printed in a container of the reference dockerd 20.10.24 (runc 1.1.5,
/// Docker's default profile): refused calls are EPERM, `clone3` is ENOSYS by the profile's own
/// rule, and a call newer than any the profile names (`mseal`, 462) ENOSYS by runc's stub.
const DOCKER_DEFAULT_PROBES: &str = "keyctl: EPERM\nbpf: EPERM\nuserfaultfd: EPERM\n\
    perf_event_open: EPERM\nunshare-user: EPERM\npersonality-query: ok\n\
    personality-exec: EPERM\nclone3: ENOSYS\nmseal: ENOSYS\n";

#[test]
fn containers_run_under_dockers_default_seccomp_profile() {
    if !root_or_skip("containers_run_under_dockers_default_seccomp_profile") {
        return;
    }
    let (exit, out, err) = sh("cat /proc/self/status").run().unwrap();
    assert_eq!(exit.code, 0, "{err}");
    assert_eq!(
        confinement_lines(&out),
        ["NoNewPrivs: 0", "Seccomp: 2", "Seccomp_filters: 1"]
    );
    let (exit, _, err) = sh("unshare -U true").run().unwrap();
    assert_eq!(exit.code, 1);
    assert_eq!(
        err,
        "unshare: unshare(0x10000000): Operation not permitted\n"
    );
    let mut argv = vec!["/probe"];
    argv.extend(PROBES);
    let (_, out, err) = with_probe(&argv).run().unwrap();
    assert_eq!(out, DOCKER_DEFAULT_PROBES, "{err}");
}

#[test]
fn no_new_privileges_is_set_before_the_command() {
    if !root_or_skip("no_new_privileges_is_set_before_the_command") {
        return;
    }
    let mut h = sh("cat /proc/self/status; /probe keyctl");
    h.spec.no_new_privileges = true;
    h.spec.binds.push(probe_bind());
    // A user without capabilities: the filter still loads (no_new_privs allows it).
    h.spec.user = User {
        uid: 1000,
        gid: 1000,
        additional_gids: Vec::new(),
    };
    let (exit, out, err) = h.run().unwrap();
    assert_eq!(exit.code, 0, "{err}");
    assert_eq!(
        confinement_lines(&out),
        ["NoNewPrivs: 1", "Seccomp: 2", "Seccomp_filters: 1"]
    );
    assert!(out.ends_with("keyctl: EPERM\n"), "{out}");
}

#[test]
fn unconfined_containers_have_no_filter() {
    if !root_or_skip("unconfined_containers_have_no_filter") {
        return;
    }
    let mut h = with_probe(&[
        "sh",
        "-c",
        "cat /proc/self/status; /probe keyctl unshare-user",
    ]);
    h.spec.seccomp = Seccomp::Unconfined;
    let (exit, out, err) = h.run().unwrap();
    assert_eq!(exit.code, 0, "{err}");
    assert_eq!(
        confinement_lines(&out),
        ["NoNewPrivs: 0", "Seccomp: 0", "Seccomp_filters: 0"]
    );
    assert!(out.ends_with("keyctl: ok\nunshare-user: ok\n"), "{out}");
}

#[test]
fn a_custom_profile_is_applied_and_a_bad_one_fails_the_start() {
    if !root_or_skip("a_custom_profile_is_applied_and_a_bad_one_fails_the_start") {
        return;
    }
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir",
        "mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#;
    let mut h = sh("mkdir /x; grep Seccomp: /proc/self/status");
    h.spec.seccomp = Seccomp::Profile(profile.into());
    let (_, out, err) = h.run().unwrap();
    assert_eq!(out, "Seccomp:\t2\n");
    assert_eq!(
        err,
        "mkdir: can't create directory '/x': Permission denied\n"
    );

    h.spec.seccomp = Seccomp::Profile("{bad".into());
    let e = h.run().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::System);
    assert_eq!(
        e.to_string(),
        "Decoding seccomp profile failed: invalid character 'b' looking for beginning of \
         object key string"
    );
    for dir in h.cgroup_dirs() {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}

#[test]
fn an_exec_runs_under_its_containers_filter_and_no_new_privs() {
    if !root_or_skip("an_exec_runs_under_its_containers_filter_and_no_new_privs") {
        return;
    }
    for (seccomp, nnp, want) in [
        (
            Seccomp::Default,
            false,
            ["NoNewPrivs: 0", "Seccomp: 2", "Seccomp_filters: 1"],
        ),
        (
            Seccomp::Default,
            true,
            ["NoNewPrivs: 1", "Seccomp: 2", "Seccomp_filters: 1"],
        ),
        (
            Seccomp::Unconfined,
            false,
            ["NoNewPrivs: 0", "Seccomp: 0", "Seccomp_filters: 0"],
        ),
    ] {
        let mut h = Harness::new(&["sleep", "30"]);
        h.spec.seccomp = seccomp;
        h.spec.no_new_privileges = nnp;
        let mut init = h.spawn_quiet().unwrap();
        let (out_r, out_w) = common::pipe();
        let (err_r, err_w) = common::pipe();
        let (in_r, _in_w) = common::pipe();
        let spec = ExecSpec {
            argv: vec!["cat".into(), "/proc/self/status".into()],
            env: vec!["PATH=/bin".into()],
            cwd: "/".into(),
            user: User::default(),
        };
        let stdio = Stdio::Fds {
            stdin: in_r,
            stdout: out_w,
            stderr: err_w,
        };
        let mut running = h.sandbox.exec(&init, &spec, stdio).unwrap();
        let (out, err) = (common::reader(out_r), common::reader(err_r));
        assert_eq!(running.wait().unwrap().code, 0);
        running.cleanup().unwrap();
        let (out, err) = (out.join().unwrap(), err.join().unwrap());
        assert_eq!(confinement_lines(&out), want, "{err}");
        init.signal(libc::SIGKILL).unwrap();
        init.wait().unwrap();
        init.cleanup().unwrap();
    }
}

/// Opens `/dev/mem` (made with mknod, which Docker allows) and a host disk: both must fail.
fn device_rules_hold(h: &Harness) {
    let disk = fs::read_dir("/sys/dev/block")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().replace(':', " "))
        .next()
        .expect("a block device on the host");
    let script = format!(
        "mknod /tmp/mem c 1 1 && (: < /tmp/mem) 2>/dev/null && echo mem-opened || echo mem-denied; \
         mknod /tmp/disk b {disk} && (: < /tmp/disk) 2>/dev/null && echo disk-opened || echo disk-denied; \
         head -c 1 /dev/urandom | wc -c"
    );
    let mut h2 = Harness::with_layers(&["sh", "-c", &script], h.spec.rootfs.lower_dirs.clone());
    h2.sandbox = Sandbox::new(h.sandbox_host.clone());
    let (exit, out, err) = h2.run().unwrap();
    assert_eq!(exit.code, 0, "{err}");
    assert_eq!(out, "mem-denied\ndisk-denied\n1\n");
}

/// Regression: only a child born in its v2 directory got the v2 device program; one that
/// joins its cgroups itself (other architectures, kernels before 5.7) on a host without a v1
/// devices controller got no device rules at all. Here: the v1 devices path of this host, and
/// a v2-only host (an empty v1 root beside the real unified hierarchy), both joined by
/// writing `cgroup.procs`.
#[test]
fn device_rules_hold_on_every_cgroup_path() {
    if !root_or_skip("device_rules_hold_on_every_cgroup_path") {
        return;
    }
    let standard = HostConfig::standard();
    let no_v1 = tempfile::tempdir().unwrap();
    for host in [
        standard.clone(),
        HostConfig {
            clone_into_cgroup: false,
            ..standard.clone()
        },
        HostConfig {
            clone_into_cgroup: false,
            cgroup_v1_root: no_v1.path().to_path_buf(),
            ..standard.clone()
        },
    ] {
        let mut h = Harness::new(&["true"]);
        h.sandbox_host = host;
        device_rules_hold(&h);
    }
}

/// Regression: an exec joined only the container's v2 directory, and only on x86-64 with
/// `clone3`: a container with a v1 memory limit ran its execs outside the limit.
#[test]
fn an_exec_joins_every_cgroup_of_its_container() {
    if !root_or_skip("an_exec_joins_every_cgroup_of_its_container") {
        return;
    }
    for clone_into_cgroup in [true, false] {
        let mut h = Harness::new(&["sleep", "30"]);
        h.spec.limits = Limits {
            memory: Some(64 << 20),
            pids: Some(50),
            ..Limits::default()
        };
        h.sandbox_host.clone_into_cgroup = clone_into_cgroup;
        h.sandbox = Sandbox::new(h.sandbox_host.clone());
        let mut init = h.spawn_quiet().unwrap();
        let (out_r, out_w) = common::pipe();
        let (err_r, err_w) = common::pipe();
        let (in_r, _in_w) = common::pipe();
        let spec = ExecSpec {
            argv: vec!["cat".into(), "/proc/self/cgroup".into()],
            env: vec!["PATH=/bin".into()],
            cwd: "/".into(),
            user: User::default(),
        };
        let stdio = Stdio::Fds {
            stdin: in_r,
            stdout: out_w,
            stderr: err_w,
        };
        let mut running = h.sandbox.exec(&init, &spec, stdio).unwrap();
        let (out, err) = (common::reader(out_r), common::reader(err_r));
        assert_eq!(running.wait().unwrap().code, 0);
        running.cleanup().unwrap();
        let (out, err) = (out.join().unwrap(), err.join().unwrap());
        let init_cgroups = fs::read_to_string(format!("/proc/{}/cgroup", init.pid())).unwrap();
        // Every hierarchy in which the container's first process sits in its own directory,
        // the exec sits there too.
        let rel = h.spec.cgroup.parent.join(&h.spec.cgroup.name);
        let rel = rel.to_string_lossy();
        let theirs: Vec<&str> = init_cgroups.lines().filter(|l| l.contains(&*rel)).collect();
        assert!(theirs.len() >= 3, "memory, pids and v2: {init_cgroups}");
        for line in &theirs {
            assert!(
                out.lines().any(|l| l == *line),
                "exec lacks {line}: {out} {err}"
            );
        }
        init.signal(libc::SIGKILL).unwrap();
        init.wait().unwrap();
        init.cleanup().unwrap();
    }
}
