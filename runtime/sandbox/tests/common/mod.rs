//! Shared test scaffolding: the root check, a busybox image layer, and a container harness
//! whose cgroup parent is unique per test and removed afterwards.

#![allow(dead_code)]

pub mod probe;

use std::fs;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use berth_sandbox::{
    CgroupSpec, Exit, HostConfig, Limits, Network, RootfsSpec, Running, Sandbox, SandboxError,
    Spec, Stdio, User,
};

pub use berth_testkit::root_or_skip;

/// The test kit's busybox layer ([`berth_testkit::busybox_layer`]): Debian's static busybox
/// with its applet links and a non-executable `/data/seed.txt`, built once under Cargo's
/// target tmp dir.
pub fn busybox_layer() -> &'static Path {
    berth_testkit::busybox_layer(Path::new(env!("CARGO_TARGET_TMPDIR")))
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// One container's directories and a spec with Docker-like defaults.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub sandbox: Sandbox,
    /// What `sandbox` was made from, for tests that make another with a variation.
    pub sandbox_host: HostConfig,
    pub spec: Spec,
}

impl Harness {
    pub fn new(argv: &[&str]) -> Harness {
        Harness::with_layers(argv, vec![busybox_layer().to_path_buf()])
    }

    pub fn with_layers(argv: &[&str], lower_dirs: Vec<PathBuf>) -> Harness {
        let dir = tempfile::Builder::new()
            .prefix("berth-ctr-")
            .tempdir()
            .unwrap();
        for d in ["upper", "work", "rootfs"] {
            fs::create_dir(dir.path().join(d)).unwrap();
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let spec = Spec {
            rootfs: RootfsSpec {
                lower_dirs,
                upper_dir: dir.path().join("upper"),
                work_dir: dir.path().join("work"),
                mount_point: dir.path().join("rootfs"),
                volatile: false,
            },
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            cwd: "/".into(),
            hostname: "c0ffee123456".into(),
            user: User::default(),
            network: Network::Isolated,
            limits: Limits::default(),
            binds: Vec::new(),
            cgroup: CgroupSpec {
                parent: PathBuf::from(format!("berth-test-{}-{n}", std::process::id())),
                name: "ctr".into(),
            },
            seccomp: Default::default(),
            no_new_privileges: false,
        };
        Harness {
            dir,
            sandbox: Sandbox::new(HostConfig::standard()),
            sandbox_host: HostConfig::standard(),
            spec,
        }
    }

    /// Runs to completion with stdin from `/dev/null`; returns the exit and both streams.
    pub fn run(&self) -> Result<(Exit, String, String), SandboxError> {
        self.run_with_stdin(b"")
    }

    pub fn run_with_stdin(&self, input: &[u8]) -> Result<(Exit, String, String), SandboxError> {
        let (stdin_r, stdin_w) = pipe();
        let (out_r, out_w) = pipe();
        let (err_r, err_w) = pipe();
        let stdio = Stdio::Fds {
            stdin: stdin_r,
            stdout: out_w,
            stderr: err_w,
        };
        let mut running = self.sandbox.spawn(&self.spec, stdio)?;
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let mut w = fs::File::from(stdin_w);
            let _ = std::io::Write::write_all(&mut w, &input);
        });
        let out = reader(out_r);
        let err = reader(err_r);
        let exit = running.wait()?;
        running.cleanup()?;
        writer.join().unwrap();
        Ok((exit, out.join().unwrap(), err.join().unwrap()))
    }

    /// Spawns with stdio on `/dev/null`, for tests that drive the process themselves.
    pub fn spawn_quiet(&self) -> Result<Running, SandboxError> {
        let null = || {
            OwnedFd::from(
                fs::File::options()
                    .read(true)
                    .write(true)
                    .open("/dev/null")
                    .unwrap(),
            )
        };
        self.sandbox.spawn(
            &self.spec,
            Stdio::Fds {
                stdin: null(),
                stdout: null(),
                stderr: null(),
            },
        )
    }

    /// The container's cgroup directories that could exist on this host (v1 and unified).
    pub fn cgroup_dirs(&self) -> Vec<PathBuf> {
        let rel = self.spec.cgroup.parent.join(&self.spec.cgroup.name);
        ["memory", "pids", "cpu", "devices", "unified"]
            .iter()
            .map(|c| Path::new("/sys/fs/cgroup").join(c).join(&rel))
            .collect()
    }
}

impl Drop for Harness {
    /// Removes the per-test cgroup parent in every hierarchy (the container's own directory
    /// is removed by `Running::cleanup`).
    fn drop(&mut self) {
        for c in ["memory", "pids", "cpu", "devices", "unified"] {
            let _ = fs::remove_dir(
                Path::new("/sys/fs/cgroup")
                    .join(c)
                    .join(&self.spec.cgroup.parent),
            );
        }
    }
}

pub fn pipe() -> (OwnedFd, OwnedFd) {
    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap()
}

pub fn reader(fd: OwnedFd) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        fs::File::from(fd).read_to_string(&mut s).unwrap();
        s
    })
}

/// Lines of the host's mountinfo that mention `path`.
pub fn host_mounts_under(path: &Path) -> Vec<String> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let needle = path.to_string_lossy().to_string();
    text.lines()
        .filter(|l| l.contains(&needle))
        .map(String::from)
        .collect()
}

/// `rmdir` of an empty cgroup directory, retried briefly while the kernel still releases a
/// just-removed child.
pub fn remove_cgroup_dir(dir: &Path) {
    for _ in 0..100 {
        match fs::remove_dir(dir) {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            _ => return,
        }
    }
}
