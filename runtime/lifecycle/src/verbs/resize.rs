//! `resize`: the terminal size of a running container (TIOCSWINSZ on its pty master), as
//! `POST /containers/{id}/resize` sets it; a no-op for a running container without a terminal,
//! as in dockerd. This verb never touches a container's streams beyond that one ioctl.

use rustix::termios::Winsize;

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;

impl<I: Images> Containers<I> {
    /// Sets the terminal size of a running container (TIOCSWINSZ on its pty master); a
    /// no-op for a running container without a terminal, as in dockerd.
    pub fn resize(&self, reference: &str, height: u16, width: u16) -> Result<(), LifecycleError> {
        let hub = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let entry = &reg.entries[&id];
            if !entry.state.status.is_running() {
                return Err(LifecycleError::NotRunning { id: id.to_string() });
            }
            entry.hub.clone()
        };
        let Some(master) = hub.master() else {
            return Ok(());
        };
        let size = Winsize {
            ws_row: height,
            ws_col: width,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&*master, size)
            .map_err(|e| LifecycleError::io("resize", "pty", e.into()))
    }
}
