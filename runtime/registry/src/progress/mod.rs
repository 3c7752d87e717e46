//! Docker's pull progress: the JSON message stream a daemon sends (`message`), when dockerd
//! emits byte counts (`throttle`), and the docker CLI's way of drawing it (`render`). The Go
//! number, size and time formats they print are berth-format's and berth-core's.

pub mod message;
pub mod render;
pub mod throttle;

pub use message::{layer_id, ErrorDetail, ProgressDetail, ProgressMessage};
pub use render::{render_stream, RenderError, Renderer};
pub use throttle::ProgressThrottle;
