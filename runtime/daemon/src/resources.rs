//! `HostConfig`'s resource values checked as dockerd 20.10 checks them on Linux at create
//! (`verifyPlatformContainerResources`, then its shm size and OOM score checks), in its order
//! and words, each a 400: a memory limit below 6 MB, a swap limit without a memory limit,
//! conflicting or out-of-range CPU values, a negative shm size, an OOM score outside [-1000,
//! 1000]. Only the checks that do not depend on the host's cgroup support are made (dockerd's
//! others first discard a value the host cannot apply, so their answer varies by host). Pure
//! but for the host's CPU count.

use crate::error::ApiError;
use crate::request::HostConfigBody;

/// dockerd's `linuxMinMemory`.
const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// The first value dockerd would refuse, in its words.
pub fn check(h: &HostConfigBody) -> Result<(), ApiError> {
    match refusal(h, online_cpus()) {
        Some(message) => Err(ApiError::bad_request(message)),
        None => Ok(()),
    }
}

fn refusal(h: &HostConfigBody, cpus: i64) -> Option<String> {
    if h.memory != 0 && h.memory < MIN_MEMORY {
        return Some("Minimum memory limit allowed is 6MB".into());
    }
    if h.memory == 0 && h.memory_swap > 0 {
        return Some(
            "You should always set the Memory limit when using Memoryswap limit, see usage".into(),
        );
    }
    if h.nano_cpus > 0 && h.cpu_period > 0 {
        return Some("Conflicting options: Nano CPUs and CPU Period cannot both be set".into());
    }
    if h.nano_cpus > 0 && h.cpu_quota > 0 {
        return Some("Conflicting options: Nano CPUs and CPU Quota cannot both be set".into());
    }
    if h.nano_cpus < 0 || h.nano_cpus > cpus.saturating_mul(1_000_000_000) {
        return Some(format!(
            "Range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available"
        ));
    }
    if h.cpu_period != 0 && !(1_000..=1_000_000).contains(&h.cpu_period) {
        return Some(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"
                .into(),
        );
    }
    if h.cpu_quota > 0 && h.cpu_quota < 1_000 {
        return Some("CPU cfs quota can not be less than 1ms (i.e. 1000)".into());
    }
    if h.shm_size < 0 {
        return Some("SHM size can not be less than 0".into());
    }
    if !(-1000..=1000).contains(&h.oom_score_adj) {
        return Some(format!(
            "Invalid value {}, range for oom score adj is [-1000, 1000]",
            h.oom_score_adj
        ));
    }
    None
}

/// The CPUs this process may run on, as Go's `runtime.NumCPU` counts them (the affinity mask,
/// not a cgroup quota).
fn online_cpus() -> i64 {
    rustix::thread::sched_getaffinity(None)
        .map(|set| i64::from(set.count()))
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checked against dockerd 20.10 on a 2-CPU host.
    #[test]
    fn values_dockerd_refuses_are_refused_in_its_words() {
        let refused = |f: &dyn Fn(&mut HostConfigBody)| {
            let mut h = HostConfigBody::default();
            f(&mut h);
            refusal(&h, 2)
        };
        assert_eq!(refused(&|_| {}), None);
        assert_eq!(
            refused(&|h| h.memory = 1).as_deref(),
            Some("Minimum memory limit allowed is 6MB")
        );
        assert_eq!(
            refused(&|h| h.memory = -1).as_deref(),
            Some("Minimum memory limit allowed is 6MB")
        );
        assert_eq!(refused(&|h| h.memory = MIN_MEMORY), None);
        assert_eq!(refused(&|h| h.memory = i64::MAX), None);
        assert_eq!(
            refused(&|h| h.nano_cpus = -1).as_deref(),
            Some("Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available")
        );
        assert_eq!(
            refused(&|h| h.nano_cpus = i64::MAX).as_deref(),
            Some("Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available")
        );
        assert_eq!(
            refused(&|h| h.cpu_period = 5).as_deref(),
            Some("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
        );
        assert_eq!(
            refused(&|h| h.shm_size = -1).as_deref(),
            Some("SHM size can not be less than 0")
        );
        assert_eq!(
            refused(&|h| h.oom_score_adj = 5000).as_deref(),
            Some("Invalid value 5000, range for oom score adj is [-1000, 1000]")
        );
        assert_eq!(
            refused(&|h| h.memory_swap = 5).as_deref(),
            Some("You should always set the Memory limit when using Memoryswap limit, see usage")
        );
        assert_eq!(refused(&|h| h.cpu_quota = -5), None);
    }
}
