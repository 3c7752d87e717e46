//! berth-client: a Docker Engine API client and the docker-compatible CLI verbs built on it.
//!
//! `transport` and `tls` reach a daemon (`unix://`, `tcp://`, mutual TLS), `http` speaks
//! HTTP/1.1 over them, `mux` splits Docker's multiplexed streams, and `cli` is the `berth`
//! client verbs with docker CLI 28's flags, output and exit codes.

pub mod cli;
pub mod http;
pub mod mux;
pub mod tls;
pub mod transport;
