//! `docker top`'s question to the runtime: which host processes are the container's. They are
//! the processes in the PID namespace of the container's PID 1, found by comparing namespace
//! inodes under the host's `/proc` (independent of the cgroup layout). This verb only reads
//! `/proc`, with the registry released; it never enters the container.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;

impl<I: Images> Containers<I> {
    /// Host PIDs of the running container's processes, ascending. A container that is not
    /// running is dockerd's 409 `Container ID is not running`.
    pub fn pids(&self, reference: &str) -> Result<Vec<i32>, LifecycleError> {
        let pid = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let entry = &reg.entries[&id];
            if entry.process.is_none() || !entry.state.status.is_running() {
                return Err(LifecycleError::NotRunning { id: id.to_string() });
            }
            entry.state.pid
        };
        let proc_root = &self.shared.proc_root;
        let namespace = |pid: &str| {
            fs::metadata(proc_root.join(pid).join("ns/pid"))
                .ok()
                .map(|m| (m.dev(), m.ino()))
        };
        let path = proc_root.join(pid.to_string()).join("ns/pid");
        let ns = namespace(&pid.to_string()).ok_or_else(|| {
            LifecycleError::io("stat", &path, std::io::ErrorKind::NotFound.into())
        })?;
        let entries =
            fs::read_dir(proc_root).map_err(|e| LifecycleError::io("read", proc_root, e))?;
        let mut pids: Vec<i32> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|p| namespace(&p.to_string()) == Some(ns))
            .collect();
        pids.sort_unstable();
        Ok(pids)
    }
}
