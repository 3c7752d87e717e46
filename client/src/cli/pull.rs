//! `pull`: `POST /images/create` with the reference normalised as the docker CLI does, its JSON
//! progress rendered (bars on a terminal, plain lines otherwise), then the full reference.

use std::io::{BufReader, Write};

use berth_format::reference::{AnyReference, Reference, ReferenceError};
use clap::Args;

use crate::cli::progress::{render, terminal_width, Display};
use crate::cli::session::encode;
use crate::cli::{CliError, Io, Session};
use crate::http::Payload;

/// `pull [-q] NAME[:TAG|@DIGEST]`.
#[derive(Debug, Clone, Args)]
pub struct PullArgs {
    /// Suppress verbose output.
    #[arg(short, long)]
    pub quiet: bool,
    /// The image to pull.
    pub name: String,
}

/// Parses a reference as `ParseNormalizedNamed` does, worded as the CLI 28 words a bad one
/// (its newer library names the repository in the lowercase error).
pub fn parse_reference(name: &str) -> Result<Reference, CliError> {
    Reference::parse_normalized(name).map_err(|e| match e {
        ReferenceError::NotLowercase => CliError::Message(format!(
            "invalid reference format: repository name ({}) must be lowercase",
            remote_name(name)
        )),
        other => CliError::Message(other.to_string()),
    })
}

/// `ParseAnyReference` (an image ID or a name), worded as [`parse_reference`] words errors;
/// `None` for an ID, which is never pulled.
pub fn parse_image(name: &str) -> Result<Option<Reference>, CliError> {
    match berth_format::reference::parse_any(name) {
        Ok(AnyReference::Named(named)) => Ok(Some(named)),
        Ok(AnyReference::Digest(_)) => Ok(None),
        Err(_) => parse_reference(name).map(Some),
    }
}

/// The repository path of `name` as `splitDockerDomain` has it (`library/` added on Docker
/// Hub), without tag or digest.
fn remote_name(name: &str) -> String {
    let (domain, rest) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first, rest)
        }
        _ => ("docker.io", name),
    };
    let rest = rest.split(['@', ':']).next().unwrap_or(rest);
    if domain == "docker.io" && !rest.contains('/') {
        format!("library/{rest}")
    } else {
        rest.to_string()
    }
}

pub fn pull(session: &Session, args: &PullArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let reference = parse_reference(&args.name)?;
    if reference.is_name_only() && !args.quiet {
        writeln!(io.out, "Using default tag: latest")?;
    }
    let reference = reference.with_default_tag();
    let display = if io.out_terminal {
        Display::Terminal {
            width: terminal_width(false),
        }
    } else {
        Display::Plain
    };
    if args.quiet {
        pull_image(session, &reference, &mut std::io::sink(), Display::Plain)?;
    } else {
        pull_image(session, &reference, io.out, display)?;
    }
    writeln!(io.out, "{reference}")?;
    Ok(0)
}

/// Pulls `reference` (already tagged) and renders the progress to `out`.
pub fn pull_image(
    session: &Session,
    reference: &Reference,
    out: &mut dyn Write,
    display: Display,
) -> Result<(), CliError> {
    let tag = reference.digest().or(reference.tag()).unwrap_or("latest");
    let path = format!(
        "/images/create?fromImage={}&tag={}",
        encode(&reference.name()),
        encode(tag)
    );
    let streaming = session.stream("POST", &path, Payload::None)?;
    render(BufReader::new(streaming.body), out, display)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_reference_is_worded_as_docker_28_words_it() {
        let e = parse_reference("BAD").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid reference format: repository name (library/BAD) must be lowercase"
        );
        assert_eq!(remote_name("127.0.0.1:5000/Me/X:1"), "Me/X");
        assert_eq!(
            parse_reference("busybox").unwrap().to_string(),
            "docker.io/library/busybox"
        );
    }
}
