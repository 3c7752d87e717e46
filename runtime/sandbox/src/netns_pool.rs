//! A small pool of [`PreparedNetns`], kept full by a background thread, so a container start
//! joins a network namespace made earlier instead of having `clone` create one. Creating a
//! network namespace is the costliest namespace the kernel makes (about half a millisecond
//! here: every per-namespace network subsystem initialises itself); the pool moves that cost
//! off the start path. Each namespace is handed out once and never reused, so a container
//! sees exactly what a fresh one would: only `lo`, up.
//!
//! This module owns the pool and its filler thread; it never decides which containers get a
//! private network (the caller does, by asking for [`NetnsPool::network`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::netns::PreparedNetns;
use crate::spec::Network;

/// Prepared network namespaces, refilled in the background up to a fixed size.
#[derive(Debug)]
pub struct NetnsPool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    size: usize,
    proc_root: PathBuf,
    state: Mutex<PoolState>,
    wake: Condvar,
}

#[derive(Debug)]
enum Filler {
    /// The filler thread keeps the pool at `size`.
    Filling,
    /// Preparing a namespace failed (no privilege, say): spawns create their own from now on.
    Failed,
    /// The pool was dropped; the filler exits.
    Stopped,
}

#[derive(Debug)]
struct PoolState {
    ready: Vec<PreparedNetns>,
    filler: Filler,
}

impl NetnsPool {
    /// Starts the filler thread, which prepares `size` namespaces and replaces each one taken.
    /// `proc_root` is the host's `/proc`.
    pub fn start(proc_root: &Path, size: usize) -> NetnsPool {
        let inner = Arc::new(Inner {
            size,
            proc_root: proc_root.to_path_buf(),
            state: Mutex::new(PoolState {
                ready: Vec::with_capacity(size),
                filler: Filler::Filling,
            }),
            wake: Condvar::new(),
        });
        let filler = inner.clone();
        let spawned = std::thread::Builder::new()
            .name("berth-netns-pool".into())
            .spawn(move || filler.fill());
        if spawned.is_err() {
            inner.lock().filler = Filler::Failed;
        }
        NetnsPool { inner }
    }

    /// A prepared namespace, if one is ready; the filler starts on its replacement at once.
    pub fn take(&self) -> Option<PreparedNetns> {
        let taken = self.inner.lock().ready.pop();
        self.inner.wake.notify_all();
        taken
    }

    /// The network of a container with a private namespace: a prepared one when the pool has
    /// one, else [`Network::Isolated`] (a fresh namespace created in `clone`, same result).
    pub fn network(&self) -> Network {
        match self.take() {
            Some(ns) => Network::Prepared(Arc::new(ns)),
            None => Network::Isolated,
        }
    }

    /// How many namespaces are ready now.
    pub fn ready(&self) -> usize {
        self.inner.lock().ready.len()
    }
}

impl Drop for NetnsPool {
    fn drop(&mut self) {
        self.inner.lock().filler = Filler::Stopped;
        self.inner.wake.notify_all();
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The filler thread: sleeps while the pool is full, prepares one namespace at a time
    /// without holding the lock, and stops when the pool is dropped or preparing fails.
    fn fill(&self) {
        // Refilling competes for the CPU with the start that just took a namespace; it is
        // never urgent, so this thread yields to everything else. Best effort: a failure only
        // leaves the default priority.
        let _ = rustix::process::setpriority_process(None, 10);
        loop {
            {
                let mut state = self.lock();
                while matches!(state.filler, Filler::Filling) && state.ready.len() >= self.size {
                    state = self.wake.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                if !matches!(state.filler, Filler::Filling) {
                    return;
                }
            }
            let prepared = PreparedNetns::create(&self.proc_root);
            let mut state = self.lock();
            match (prepared, &state.filler) {
                (Ok(ns), Filler::Filling) => state.ready.push(ns),
                (Ok(_), _) => return,
                (Err(_), _) => {
                    state.filler = Filler::Failed;
                    return;
                }
            }
        }
    }
}
