//! Signals as `docker kill -s` accepts them: moby's `signal.ParseSignal` (a number, or a name
//! with or without `SIG`, any case, including `RTMIN+n` and `RTMAX-n`), then dockerd's check
//! that Linux has such a signal. Pure; never sends anything.

use std::str::FromStr;

use crate::error::LifecycleError;

/// A parsed signal number. Parsing rejects 0 and unknown names (`Invalid signal: X`); numbers
/// above [`SIGRTMAX`] parse but [`Signal::validate`] refuses them, as dockerd does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal(i64);

/// The two signals berth sends on its own (stop, `rm -f`, shutdown), as Linux numbers them.
pub(crate) const SIGKILL: i32 = 9;
pub(crate) const SIGTERM: i32 = 15;

const SIGRTMIN: i64 = 34;
const SIGRTMAX: i64 = 64;

/// moby's `SignalMap` for Linux (without the real-time entries, computed below).
const NAMES: [(&str, i64); 35] = [
    ("ABRT", 6),
    ("ALRM", 14),
    ("BUS", 7),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", 18),
    ("FPE", 8),
    ("HUP", 1),
    ("ILL", 4),
    ("INT", 2),
    ("IO", 29),
    ("IOT", 6),
    ("KILL", 9),
    ("PIPE", 13),
    ("POLL", 29),
    ("PROF", 27),
    ("PWR", 30),
    ("QUIT", 3),
    ("SEGV", 11),
    ("STKFLT", 16),
    ("STOP", 19),
    ("SYS", 31),
    ("TERM", 15),
    ("TRAP", 5),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("UNUSED", 31),
    ("URG", 23),
    ("USR1", 10),
    ("USR2", 12),
    ("VTALRM", 26),
    ("WINCH", 28),
    ("XCPU", 24),
    ("XFSZ", 25),
];

impl Signal {
    pub const KILL: Signal = Signal(SIGKILL as i64);
    pub const TERM: Signal = Signal(SIGTERM as i64);

    /// dockerd's platform check: `The linux daemon does not support signal 99`.
    pub fn validate(self) -> Result<i32, LifecycleError> {
        if (1..=SIGRTMAX).contains(&self.0) {
            Ok(self.0 as i32)
        } else {
            // dockerd's signal number is unsigned; a negative one wraps as it does there.
            Err(LifecycleError::UnsupportedSignal {
                number: self.0 as u64,
            })
        }
    }

    pub fn number(self) -> i64 {
        self.0
    }
}

fn by_name(name: &str) -> Option<i64> {
    if let Some((_, n)) = NAMES.iter().find(|(k, _)| *k == name) {
        return Some(*n);
    }
    match name {
        "RTMIN" => return Some(SIGRTMIN),
        "RTMAX" => return Some(SIGRTMAX),
        _ => {}
    }
    // moby lists RTMIN+1..=15 and RTMAX-14..=1 explicitly.
    let offset = |s: &str| s.parse::<i64>().ok().filter(|n| (1..=15).contains(n));
    if let Some(n) = name.strip_prefix("RTMIN+").and_then(offset) {
        return Some(SIGRTMIN + n);
    }
    name.strip_prefix("RTMAX-")
        .and_then(offset)
        .filter(|n| *n <= 14)
        .map(|n| SIGRTMAX - n)
}

impl FromStr for Signal {
    type Err = LifecycleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || LifecycleError::InvalidSignal { text: s.into() };
        if let Ok(n) = s.parse::<i64>() {
            return if n == 0 {
                Err(invalid())
            } else {
                Ok(Signal(n))
            };
        }
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        by_name(name).map(Signal).ok_or_else(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_parse_like_moby() {
        let n = |s: &str| s.parse::<Signal>().map(|s| s.number());
        assert_eq!(n("TERM").unwrap(), 15);
        assert_eq!(n("sigterm").unwrap(), 15);
        assert_eq!(n("SIGKILL").unwrap(), 9);
        assert_eq!(n("9").unwrap(), 9);
        assert_eq!(n("RTMIN+3").unwrap(), 37);
        assert_eq!(n("RTMAX-1").unwrap(), 63);
        assert_eq!(n("BOGUS").unwrap_err().to_string(), "Invalid signal: BOGUS");
        assert_eq!(n("0").unwrap_err().to_string(), "Invalid signal: 0");
        let e = "99".parse::<Signal>().unwrap().validate().unwrap_err();
        assert_eq!(e.to_string(), "The linux daemon does not support signal 99");
        let e = "-1".parse::<Signal>().unwrap().validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "The linux daemon does not support signal 18446744073709551615"
        );
    }
}
