//! The verbs: one file each, each an `impl Containers` block with dockerd's checks, order and
//! texts for its verb. A verb is a leaf. It uses the registry, the records and the steps below
//! it ([`crate::steps`]), and never another verb's module: what two verbs share is a step, or
//! sits lower still. `layering.rs` holds the list of verb files and fails when one imports
//! another; a new verb file goes on that list.

mod archive;
mod attach;
mod changes;
mod commit;
mod create;
mod exec_create;
mod exec_inspect;
mod exec_resize;
mod exec_start;
mod inspect;
mod kill;
mod list;
mod logs;
mod open;
mod pause;
mod rename;
mod resize;
mod restart;
mod rm;
mod shutdown;
mod start;
mod stop;
mod top;
mod wait;

pub use archive::PathStat;
pub use attach::{Attachment, ContainerStdin};
pub use create::CreateOptions;
pub use exec_inspect::ExecInspect;
pub use exec_start::ExecStreams;
pub use wait::{WaitCondition, WaitOutcome};
