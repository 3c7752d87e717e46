//! Programs the model can predict: the `toolbox` fixture's command vocabulary and the
//! hello-world greeting. A toolbox argv is a list of ops run left to right; the model runs them
//! against a container's filesystem view and records exactly what the real binary would print.

use std::fmt;

use crate::container::{LogChunk, Stream};
use crate::fs::{self, Changes, Content, Node, View};

/// What the hello-world fixture prints.
pub const HELLO_TEXT: &str =
    "Hello from berth!\nThis message shows that your engine pulled the image, created a container and ran it.\n";

/// One toolbox op. See `fixtures/toolbox` for the binary that implements them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Op {
    Out(String),
    Err(String),
    Exit(u8),
    Sleep,
    OnTerm(u8),
    IgnoreTerm,
    Write(String, String),
    Rm(String),
    Cat(String),
    Ls(String),
    Hostname,
    Pid,
    Uid,
    Env(String),
}

/// What a blocked process does on SIGTERM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TermAction {
    /// No handler: as PID 1 in its namespace the process does not die of SIGTERM.
    Default,
    Ignore,
    Exit(u8),
}

/// A program as the model understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    Toolbox(Vec<Op>),
    Hello,
    /// The toolbox rejected its arguments: prints this usage text and exits 2.
    Usage(String),
    /// An executable the model cannot predict.
    Opaque,
}

impl Op {
    /// The op's argv words.
    pub fn words(&self) -> Vec<String> {
        let s = |x: &str| x.to_string();
        match self {
            Op::Out(t) => vec![s("out"), t.clone()],
            Op::Err(t) => vec![s("err"), t.clone()],
            Op::Exit(n) => vec![s("exit"), n.to_string()],
            Op::Sleep => vec![s("sleep")],
            Op::OnTerm(n) => vec![s("on-term"), n.to_string()],
            Op::IgnoreTerm => vec![s("ignore-term")],
            Op::Write(p, t) => vec![s("write"), p.clone(), t.clone()],
            Op::Rm(p) => vec![s("rm"), p.clone()],
            Op::Cat(p) => vec![s("cat"), p.clone()],
            Op::Ls(p) => vec![s("ls"), p.clone()],
            Op::Hostname => vec![s("hostname")],
            Op::Pid => vec![s("pid")],
            Op::Uid => vec![s("uid")],
            Op::Env(n) => vec![s("env"), n.clone()],
        }
    }
}

/// The toolbox argv (without argv[0]) for a list of ops.
pub fn toolbox_args(ops: &[Op]) -> Vec<String> {
    ops.iter().flat_map(Op::words).collect()
}

/// Parses toolbox arguments (without argv[0]) as the binary does, with its exact usage texts
/// (`fixtures/toolbox/src/op.rs`): the whole line is parsed before any op runs.
pub fn parse_toolbox(args: &[String]) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    let mut rest = args.iter();
    while let Some(word) = rest.next() {
        let op_name = word.as_str();
        let mut arg = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{op_name}: missing {name}"))
        };
        let op = match op_name {
            "out" => Op::Out(arg("TEXT")?),
            "err" => Op::Err(arg("TEXT")?),
            "exit" => Op::Exit(status(op_name, &arg("N")?)?),
            "sleep" => Op::Sleep,
            "on-term" => Op::OnTerm(status(op_name, &arg("N")?)?),
            "ignore-term" => Op::IgnoreTerm,
            "write" => {
                let path = arg("PATH")?;
                Op::Write(path, arg("TEXT")?)
            }
            "rm" => Op::Rm(arg("PATH")?),
            "cat" => Op::Cat(arg("PATH")?),
            "ls" => Op::Ls(arg("DIR")?),
            "hostname" => Op::Hostname,
            "pid" => Op::Pid,
            "uid" => Op::Uid,
            "env" => Op::Env(arg("NAME")?),
            other => return Err(format!("unknown op {other}")),
        };
        ops.push(op);
    }
    if ops.is_empty() {
        return Err("no op given".to_string());
    }
    Ok(ops)
}

/// A status is one to three ASCII digits worth at most 255: no sign, no spaces.
fn status(op: &str, text: &str) -> Result<u8, String> {
    let digits = !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| text.parse::<u8>().ok())
        .flatten()
        .ok_or_else(|| format!("{op}: invalid status {text} (want 0..=255)"))
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words().join(" "))
    }
}

/// How a program run ended, or that it is still blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Blocked(TermAction),
}

/// What a running program can see and change.
#[derive(Debug)]
pub struct Process<'a> {
    pub layers: Vec<&'a Changes>,
    pub changes: &'a mut Changes,
    pub hostname: &'a str,
    pub env: &'a [String],
    pub output: &'a mut Vec<LogChunk>,
}

impl Process<'_> {
    /// Runs `program` until it exits or blocks.
    pub fn run(&mut self, program: &Program) -> Ending {
        match program {
            Program::Hello => {
                self.print(Stream::Stdout, HELLO_TEXT.to_string());
                Ending::Exited(0)
            }
            Program::Usage(why) => {
                self.print(Stream::Stderr, format!("toolbox: usage: {why}\n"));
                Ending::Exited(2)
            }
            Program::Opaque => Ending::Blocked(TermAction::Default),
            Program::Toolbox(ops) => self.run_ops(ops),
        }
    }

    fn run_ops(&mut self, ops: &[Op]) -> Ending {
        let mut on_term = TermAction::Default;
        for op in ops {
            match op {
                Op::Exit(n) => return Ending::Exited(i32::from(*n)),
                Op::Sleep => return Ending::Blocked(on_term),
                Op::OnTerm(n) => on_term = TermAction::Exit(*n),
                Op::IgnoreTerm => on_term = TermAction::Ignore,
                other => {
                    if let Err(text) = self.effect(other) {
                        self.print(Stream::Stderr, text);
                        return Ending::Exited(1);
                    }
                }
            }
        }
        Ending::Exited(0)
    }

    fn print(&mut self, stream: Stream, text: String) {
        self.output.push(LogChunk { stream, text });
    }

    fn out(&mut self, text: String) -> Result<(), String> {
        self.print(Stream::Stdout, text);
        Ok(())
    }

    /// Runs an op that neither ends nor blocks the program; `Err` is the stderr text of a
    /// failure after which the toolbox exits 1.
    fn effect(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::Out(t) => self.out(format!("{t}\n")),
            Op::Err(t) => {
                self.print(Stream::Stderr, format!("{t}\n"));
                Ok(())
            }
            Op::Write(path, text) => self.write(path, text),
            Op::Rm(path) => self.remove(path),
            Op::Cat(path) => self.cat(path),
            Op::Ls(dir) => self.ls(dir),
            Op::Hostname => self.out(format!("{}\n", self.hostname)),
            Op::Pid => self.out("1\n".to_string()),
            Op::Uid => self.out("0\n".to_string()),
            Op::Env(name) => self.out(format!("{}\n", self.env_value(name))),
            Op::Exit(_) | Op::Sleep | Op::OnTerm(_) | Op::IgnoreTerm => Ok(()),
        }
    }

    fn view(&self) -> View<'_> {
        View::new(
            self.layers
                .iter()
                .copied()
                .chain(std::iter::once(&*self.changes)),
        )
    }

    fn write(&mut self, path: &str, text: &str) -> Result<(), String> {
        let fail = |why: &str| Err(format!("toolbox: write {path}: {why}\n"));
        let view = self.view();
        let parent_ok =
            fs::parent(path) == "/" || matches!(view.get(fs::parent(path)), Some(Node::Dir));
        match view.get(path) {
            _ if !path.starts_with('/') => fail("No such file or directory"),
            _ if !parent_ok => fail("No such file or directory"),
            Some(Node::Dir) => fail("Is a directory"),
            _ => {
                self.changes
                    .insert(path.to_string(), Node::file(0o644, text));
                Ok(())
            }
        }
    }

    fn remove(&mut self, path: &str) -> Result<(), String> {
        match self.view().get(path) {
            None => Err(format!("toolbox: rm {path}: No such file or directory\n")),
            Some(Node::Dir) => Err(format!("toolbox: rm {path}: Is a directory\n")),
            Some(_) => {
                let in_image = View::new(self.layers.iter().copied()).get(path).is_some();
                if in_image {
                    self.changes.insert(path.to_string(), Node::Deleted);
                } else {
                    self.changes.remove(path);
                }
                Ok(())
            }
        }
    }

    fn cat(&mut self, path: &str) -> Result<(), String> {
        let text = match self.view().get(path) {
            None => return Err(format!("toolbox: cat {path}: No such file or directory\n")),
            Some(Node::Dir) => return Err(format!("toolbox: cat {path}: Is a directory\n")),
            Some(Node::File {
                content: Content::Bytes(text),
                ..
            }) => text.clone(),
            Some(Node::File { .. }) => "<binary>".to_string(),
            Some(Node::Deleted) => unreachable!("views never return deleted nodes"),
        };
        if !text.is_empty() {
            self.print(Stream::Stdout, text);
        }
        Ok(())
    }

    fn ls(&mut self, dir: &str) -> Result<(), String> {
        let view = self.view();
        let names = match (view.list(dir), view.get(dir)) {
            (Some(names), _) => names,
            (None, Some(_)) => return Err(format!("toolbox: ls {dir}: Not a directory\n")),
            (None, None) => return Err(format!("toolbox: ls {dir}: No such file or directory\n")),
        };
        if !names.is_empty() {
            self.out(names.iter().map(|n| format!("{n}\n")).collect())?;
        }
        Ok(())
    }

    fn env_value(&self, name: &str) -> String {
        let prefix = format!("{name}=");
        self.env
            .iter()
            .rev()
            .find_map(|kv| kv.strip_prefix(&prefix))
            .unwrap_or_default()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    fn run(ops: &str, base: &Changes) -> (Ending, Vec<LogChunk>, Changes) {
        let program = Program::Toolbox(parse_toolbox(&words(ops)).unwrap());
        let mut changes = Changes::new();
        let mut output = Vec::new();
        let env = vec!["PATH=/bin".to_string(), "HOSTNAME=abc".to_string()];
        let mut process = Process {
            layers: vec![base],
            changes: &mut changes,
            hostname: "abc",
            env: &env,
            output: &mut output,
        };
        let ending = process.run(&program);
        (ending, output, changes)
    }

    fn base() -> Changes {
        [
            ("/data".to_string(), Node::Dir),
            ("/data/seed.txt".to_string(), Node::file(0o644, "seed\n")),
        ]
        .into()
    }

    #[test]
    fn parses_and_prints_back() {
        let args = words("out hi exit 3 on-term 7 write /data/x y");
        let ops = parse_toolbox(&args).unwrap();
        assert_eq!(toolbox_args(&ops), args);
        assert_eq!(
            parse_toolbox(&words("exit 256")).unwrap_err(),
            "exit: invalid status 256 (want 0..=255)"
        );
        assert_eq!(
            parse_toolbox(&words("exit +5")).unwrap_err(),
            "exit: invalid status +5 (want 0..=255)"
        );
        assert_eq!(
            parse_toolbox(&words("write /x")).unwrap_err(),
            "write: missing TEXT"
        );
        assert_eq!(parse_toolbox(&words("fly")).unwrap_err(), "unknown op fly");
        assert_eq!(parse_toolbox(&[]).unwrap_err(), "no op given");
    }

    #[test]
    fn output_and_exit_codes() {
        let (ending, out, _) = run("out a err b exit 3 out never", &base());
        assert_eq!(ending, Ending::Exited(3));
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1],
            LogChunk {
                stream: Stream::Stderr,
                text: "b\n".into()
            }
        );
    }

    #[test]
    fn sleep_blocks_with_the_installed_term_action() {
        assert_eq!(
            run("sleep", &base()).0,
            Ending::Blocked(TermAction::Default)
        );
        assert_eq!(
            run("on-term 5 sleep", &base()).0,
            Ending::Blocked(TermAction::Exit(5))
        );
        assert_eq!(
            run("ignore-term sleep", &base()).0,
            Ending::Blocked(TermAction::Ignore)
        );
    }

    #[test]
    fn files_are_written_deleted_and_listed() {
        let (ending, out, changes) = run(
            "write /data/new x rm /data/seed.txt ls /data cat /data/new",
            &base(),
        );
        assert_eq!(ending, Ending::Exited(0));
        assert_eq!(
            out.iter().map(|c| c.text.as_str()).collect::<String>(),
            "new\nx"
        );
        assert_eq!(changes.get("/data/seed.txt"), Some(&Node::Deleted));
    }

    #[test]
    fn missing_paths_fail_with_exit_1() {
        let (ending, out, _) = run("cat /data/nope", &base());
        assert_eq!(ending, Ending::Exited(1));
        assert_eq!(
            out[0].text,
            "toolbox: cat /data/nope: No such file or directory\n"
        );
        assert_eq!(run("write /nodir/x y", &base()).0, Ending::Exited(1));
    }

    #[test]
    fn removing_a_file_created_in_the_container_leaves_no_whiteout() {
        let (_, _, changes) = run("write /data/t x rm /data/t", &base());
        assert!(changes.is_empty());
    }

    #[test]
    fn env_reads_the_last_value() {
        let (_, out, _) = run("env HOSTNAME env NOPE", &base());
        assert_eq!(out[0].text, "abc\n");
        assert_eq!(out[1].text, "\n");
    }
}
