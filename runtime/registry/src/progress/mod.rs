//! Docker's pull progress: the JSON message stream a daemon sends (`message`), Go's number
//! formatting it depends on (`units`), when dockerd emits byte counts (`throttle`), and the
//! docker CLI's way of drawing it (`render`).

pub mod message;
pub mod render;
pub mod throttle;
pub mod units;

pub use message::{layer_id, ErrorDetail, ProgressDetail, ProgressMessage};
pub use render::{render_stream, RenderError, Renderer};
pub use throttle::ProgressThrottle;
