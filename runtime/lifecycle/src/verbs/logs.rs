//! `logs`: a container's json-file log read back as it is consumed, and with `follow` the live
//! entries after it, with no gap and no duplicate between the two (the container's hub takes
//! the snapshot and the subscription under the lock the log is written under). This verb only
//! reads; it never writes to a log or holds the registry while a log is read.

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::log_span::LogSpan;
use crate::output::LogFollow;

impl<I: Images> Containers<I> {
    /// Everything the container wrote to stdout and stderr so far, in the order it was
    /// logged, read as it is consumed.
    pub fn logs(&self, reference: &str) -> Result<LogSpan, LifecycleError> {
        let path = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            reg.entries[&id].dir.log(&id)
        };
        LogSpan::open(&path)
    }

    /// The log so far and, if the container is running, the live entries after it, with no
    /// gap and no duplicate between the two (the snapshot and the subscription are taken under
    /// the lock the log is written under).
    pub fn follow_logs(&self, reference: &str) -> Result<LogFollow, LifecycleError> {
        let (path, hub) = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let entry = &reg.entries[&id];
            (entry.dir.log(&id), entry.hub.clone())
        };
        hub.follow(&path)
    }
}
