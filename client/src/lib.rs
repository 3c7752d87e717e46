//! berth-client: a Docker Engine API client and the docker-compatible CLI verbs built on it.
//!
//! `transport` and `tls` reach a daemon (`unix://`, `tcp://`, mutual TLS), `http` speaks
//! HTTP/1.1 over them, `mux` splits Docker's multiplexed streams, `sequence` is the docker CLI's request
//! sequence for `run` (the one copy every berth tool sends), and `cli` is the `berth`
//! client verbs with docker CLI 28's flags, output and exit codes.

pub mod cli;
pub mod http;
pub mod mux;
pub mod sequence;
pub mod tls;
pub mod transport;
