//! Pure rendering of answers as the docker CLI 28 prints them: tables byte for byte, STATUS
//! strings, pull lines, per-verb output and error lines with exit codes. Every function takes
//! `now` as an argument; nothing here reads a clock.

mod cli;
mod pull;
mod status;
mod table;

pub use cli::{render, CliOutput};
pub use pull::pull_lines;
pub use status::{status, StatusInput};
pub use table::{images_table, ps_table, ImagesFormat, PsFormat};
