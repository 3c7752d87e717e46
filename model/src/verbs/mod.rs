//! One file per verb, each an `impl Model` block, as moby's `daemon/` has one file per verb.

mod commit;
mod create;
mod images;
mod inspect;
mod kill;
mod logs;
mod ps;
mod pull;
mod rename;
mod retag;
mod rm;
mod rmi;
mod start;
mod stop;
mod tag;
mod wait;

pub use commit::{parse_change, Change};
pub use kill::parse_signal;
