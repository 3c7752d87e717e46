//! berth-format: what Docker's programs print and read back, as pure functions shared by the
//! reference model and the berth CLI (and the runtime where it prints for humans). Go's number
//! and time formats, go-units' human sizes and durations, the docker CLI's table layout and
//! cells, and the reference syntax of docker/distribution that those cells print.
//!
//! It must stay pure: no files, sockets, clock, threads, environment or randomness (a test
//! scans `src` for them), and no dependency on any other crate of the workspace. Values that
//! need "now" take it as an argument; the caller reads the clock at its edge.

#![forbid(unsafe_code)]

pub mod cells;
pub mod civil;
pub mod duration;
pub mod exit_code;
pub mod go_float;
pub mod images;
pub mod reference;
pub mod tabwriter;
pub mod text;
pub mod time;
pub mod units;

pub use duration::Duration;
pub use time::Timestamp;
