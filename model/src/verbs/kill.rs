//! `kill`: deliver a signal. SIGKILL always ends the process (137); SIGTERM runs a handler if
//! the program installed one; every other signal is ignored by a PID 1 without a handler.

use crate::env::Env;
use crate::error::ModelError;
use crate::model::Model;
use crate::profile::Profile;
use crate::program::TermAction;
use crate::response::{Outcome, Response};

const SIGKILL: u8 = 9;
const SIGTERM: u8 = 15;

/// Linux signal names and numbers, as moby's `signal.SignalMap` has them.
const SIGNALS: &[(&str, u8)] = &[
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
    ("URG", 23),
    ("USR1", 10),
    ("USR2", 12),
    ("VTALRM", 26),
    ("WINCH", 28),
    ("XCPU", 24),
    ("XFSZ", 25),
];

/// Parses a signal as moby's `signal.ParseSignal`: a number (not 0), or a name with or
/// without `SIG`, in any case.
pub fn parse_signal(profile: Profile, raw: &str) -> Result<u8, ModelError> {
    if let Ok(n) = raw.parse::<i64>() {
        return u8::try_from(n)
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or_else(|| profile.invalid_signal(raw));
    }
    let upper = raw.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    SIGNALS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, num)| *num)
        .ok_or_else(|| profile.invalid_signal(raw))
}

impl Model {
    pub(crate) fn kill_all(
        &mut self,
        targets: &[String],
        signal: Option<&str>,
        env: &mut dyn Env,
    ) -> Outcome {
        // The daemon parses the signal before it looks any container up.
        let signal = match signal {
            Some(raw) => parse_signal(self.profile, raw)?,
            None => SIGKILL,
        };
        Ok(self.each(targets, |m, t| m.kill_one(t, signal, env)))
    }

    fn kill_one(&mut self, target: &str, signal: u8, env: &mut dyn Env) -> Outcome {
        let id = self
            .find_container(target)
            .map_err(|e| self.profile.kill_failed(target, e))?;
        let container = &self.containers[&id];
        if !container.state.can_signal()
            && self.mutated(crate::mutation::Mutation::KillStoppedSucceeds)
        {
            return Ok(Response::Done);
        }
        let Some(process) = container.process.filter(|_| container.state.can_signal()) else {
            return Err(self.profile.kill_not_running(target, id.as_str()));
        };
        let exit = match (signal, process.on_term) {
            (SIGKILL, _) => Some(137),
            (SIGTERM, TermAction::Exit(code)) => Some(i32::from(code)),
            _ => None,
        };
        if let Some(code) = exit {
            self.exited(&id, code, env);
        }
        Ok(Response::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_like_moby() {
        let p = Profile::Docker2010;
        assert_eq!(parse_signal(p, "TERM").unwrap(), 15);
        assert_eq!(parse_signal(p, "sigkill").unwrap(), 9);
        assert_eq!(parse_signal(p, "10").unwrap(), 10);
        assert_eq!(
            parse_signal(p, "0").unwrap_err().message,
            "Invalid signal: 0"
        );
        assert_eq!(
            parse_signal(p, "BOGUS").unwrap_err().message,
            "Invalid signal: BOGUS"
        );
    }
}
