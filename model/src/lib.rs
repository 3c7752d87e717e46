//! berth-model: a pure, deterministic reference model of a Docker engine.
//!
//! It owns the state of images, tags, a remote catalog standing for a registry, and containers
//! with their lifecycle, and it answers every docker command exactly as the reference engine
//! (profile `docker-20.10`) does: typed responses at the Engine API level, error kinds with the
//! profile's message texts, and the CLI's rendered tables and lines.
//!
//! It must never do I/O, read a clock, the environment or a random source: time, container IDs
//! and name choices come in through [`env::Env`], so the same inputs always give the same outputs.
#![forbid(unsafe_code)]

// --- leaf modules (pure helpers with no dependency on the model's state) ---
// Go's time and number formats, go-units, the CLI's tables and the reference syntax are in the
// pure crate berth-format, which the berth CLI shares.
pub mod names;
// --- end of leaf modules ---

pub mod catalog;
pub mod command;
pub mod container;
pub mod env;
pub mod error;
pub mod fs;
pub mod ids;
pub mod image;
pub mod inspect;
pub mod lookup;
pub mod model;
pub mod mutation;
pub mod profile;
pub mod program;
pub mod render;
pub mod response;
mod store;
pub mod verbs;

pub use catalog::Catalog;
pub use command::{Command, CreateOpts, Verb};
pub use env::{Env, SeededEnv};
pub use error::{ErrorKind, ModelError};
pub use model::{Answer, Model};
pub use profile::Profile;
pub use response::{Outcome, Response};
