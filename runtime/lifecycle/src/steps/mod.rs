//! The steps that several verbs share, below the verbs and above the registry: starting a
//! container's process (`launch`, which builds the sandbox `spec` and wires the run's
//! `streams`), stopping it (`halt`), watching for and waiting on exits (`exits`), freezing and
//! thawing (`freezer`), forgetting a removed container (`removal`), and opening a
//! container's root filesystem for the daemon's own use (`view`). A step takes a
//! container already found (an ID, never a reference a client typed, except the freezer's,
//! which pause, unpause and commit share whole) and never answers a client itself: checks
//! that belong to one verb stay in that verb. No step uses a verb.

pub(crate) mod exits;
pub(crate) mod freezer;
pub(crate) mod halt;
pub(crate) mod launch;
pub(crate) mod removal;
mod spec;
mod streams;
pub(crate) mod view;
