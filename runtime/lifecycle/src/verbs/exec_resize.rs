//! `exec resize`: the terminal size of a TTY exec (TIOCSWINSZ on its pty master); an exec
//! without a terminal has nothing to resize. This verb never touches the exec's streams beyond
//! that one ioctl.

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::execs;
use crate::images::Images;

impl<I: Images> Containers<I> {
    /// Resizes a TTY exec's terminal; without one there is nothing to resize.
    pub fn exec_resize(
        &self,
        exec_id: &str,
        height: u16,
        width: u16,
    ) -> Result<(), LifecycleError> {
        let pty = {
            let mut reg = self.shared.lock();
            execs::entry(&mut reg.execs, exec_id)?.pty.clone()
        };
        if let Some(master) = pty {
            let size = rustix::termios::Winsize {
                ws_row: height,
                ws_col: width,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            rustix::termios::tcsetwinsize(&*master, size)
                .map_err(|e| LifecycleError::io("resize", "exec pty", e.into()))?;
        }
        Ok(())
    }
}
