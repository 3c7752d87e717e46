//! The image verbs: `images` (berth-format's table renderer over the API's list), `tag`,
//! `rmi`, `commit` and `load`.

use std::io::{BufReader, Read};
use std::path::PathBuf;

use berth_format::images::{images_table, ImageListing, ImagesFormat};
use berth_format::Timestamp;
use clap::Args;
use serde_json::Value;

use crate::cli::progress::{render, Display};
use crate::cli::pull::parse_reference;
use crate::cli::session::encode;
use crate::cli::table::{now, strings, text};
use crate::cli::{CliError, Io, Session};
use crate::http::Payload;

/// `images [-a] [-q] [--no-trunc]`.
#[derive(Debug, Clone, Args)]
pub struct ImagesArgs {
    /// Show all images (default hides intermediate images).
    #[arg(short, long)]
    pub all: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Only images of this repository (and tag), as the daemon's `reference` filter reads it.
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

/// `GET /images/json` with the query docker CLI 28 sends (`all=1`, a `reference` filter).
fn list_path(args: &ImagesArgs) -> String {
    berth_api::query::images_path(args.all, args.reference.as_deref())
}

pub fn images(session: &Session, args: &ImagesArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let list = session.get_json(&list_path(args))?;
    let listings: Vec<ImageListing> = list
        .as_array()
        .map(|l| l.iter().map(listing).collect())
        .unwrap_or_default();
    let format = ImagesFormat {
        quiet: args.quiet,
        no_trunc: args.no_trunc,
    };
    io.out
        .write_all(images_table(&listings, format, now()).as_bytes())?;
    Ok(0)
}

/// The table's image from the API's row; `<none>` placeholders count as no reference, as the
/// CLI's `isDangling` has it.
fn listing(image: &Value) -> ImageListing {
    let keep = |list: Vec<String>, none: &str| -> Vec<String> {
        list.into_iter().filter(|r| r != none).collect()
    };
    ImageListing {
        id: text(image, "Id").to_string(),
        repo_tags: keep(strings(image, "RepoTags"), "<none>:<none>"),
        repo_digests: keep(strings(image, "RepoDigests"), "<none>@<none>"),
        created: Timestamp::from_unix_seconds(image["Created"].as_i64().unwrap_or(0)),
        size: image["Size"].as_u64().unwrap_or(0),
    }
}

/// `tag SOURCE TARGET`.
#[derive(Debug, Clone, Args)]
pub struct TagArgs {
    pub source: String,
    pub target: String,
}

pub fn tag(session: &Session, args: &TagArgs, _io: &mut Io<'_>) -> Result<i32, CliError> {
    let target = parse_reference(&args.target).map_err(|e| {
        CliError::Message(format!(
            "Error parsing reference: {:?} is not a valid repository/tag: {e}",
            args.target
        ))
    })?;
    if target.is_canonical() {
        return Err(CliError::Message(
            "refusing to create a tag with a digest reference".to_string(),
        ));
    }
    let target = target.with_default_tag();
    let path = format!(
        "/images/{}/tag?repo={}&tag={}",
        encode(&args.source),
        encode(&target.name()),
        encode(target.tag().unwrap_or("latest"))
    );
    session.expect("POST", &path, None)?;
    Ok(0)
}

/// `rmi [-f] IMAGE...`.
#[derive(Debug, Clone, Args)]
pub struct RmiArgs {
    /// Force removal of the image.
    #[arg(short, long)]
    pub force: bool,
    /// Do not delete untagged parents.
    #[arg(long)]
    pub no_prune: bool,
    #[arg(required = true)]
    pub images: Vec<String>,
}

pub fn rmi(session: &Session, args: &RmiArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let mut failed = false;
    for image in &args.images {
        let path = format!(
            "/images/{}?force={}&noprune={}",
            encode(image),
            u8::from(args.force),
            u8::from(args.no_prune)
        );
        match session.expect("DELETE", &path, None) {
            Ok(response) => {
                for item in response
                    .json()
                    .as_ref()
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(untagged) = item["Untagged"].as_str() {
                        writeln!(io.out, "Untagged: {untagged}")?;
                    }
                    if let Some(deleted) = item["Deleted"].as_str() {
                        writeln!(io.out, "Deleted: {deleted}")?;
                    }
                }
            }
            // With -f a missing image is reported but is no failure, as with docker.
            Err(e @ CliError::Daemon { status, .. }) => {
                failed |= !(args.force && status == 404);
                e.report(io, "", 1);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(i32::from(failed))
}

/// `commit [-a] [-m] [-c]... CONTAINER [REPOSITORY[:TAG]]`.
#[derive(Debug, Clone, Args)]
pub struct CommitArgs {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>").
    #[arg(short, long)]
    pub author: Option<String>,
    /// Commit message.
    #[arg(short, long)]
    pub message: Option<String>,
    /// Apply Dockerfile instruction to the created image.
    #[arg(short, long = "change")]
    pub change: Vec<String>,
    /// Pause container during commit.
    #[arg(short, long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub pause: bool,
    pub container: String,
    pub repository: Option<String>,
}

pub fn commit(session: &Session, args: &CommitArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let mut path = format!("/commit?container={}", encode(&args.container));
    if let Some(target) = &args.repository {
        let reference = parse_reference(target)?;
        if reference.is_canonical() {
            return Err(CliError::Message(
                "refusing to create a tag with a digest reference".to_string(),
            ));
        }
        let reference = reference.with_default_tag();
        path.push_str(&format!(
            "&repo={}&tag={}",
            encode(&reference.name()),
            encode(reference.tag().unwrap_or("latest"))
        ));
    }
    for (key, value) in [("author", &args.author), ("comment", &args.message)] {
        if let Some(value) = value {
            path.push_str(&format!("&{key}={}", encode(value)));
        }
    }
    for change in &args.change {
        path.push_str(&format!("&changes={}", encode(change)));
    }
    path.push_str(if args.pause { "&pause=1" } else { "&pause=0" });
    let response = session.expect("POST", &path, Some(&Value::Null))?;
    let id = response
        .json()
        .and_then(|v| v["Id"].as_str().map(str::to_string))
        .unwrap_or_default();
    writeln!(io.out, "{id}")?;
    Ok(0)
}

/// `load [-i FILE] [-q]`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Read from tar archive file, instead of STDIN.
    #[arg(short, long)]
    pub input: Option<PathBuf>,
    /// Suppress the load output.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn load(session: &Session, args: &LoadArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let mut archive = Vec::new();
    match &args.input {
        Some(path) => {
            archive = std::fs::read(path).map_err(|e| {
                CliError::Message(format!("open {}: {}", path.display(), io_text(&e)))
            })?;
        }
        None => {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                return Err(CliError::Message(
                    "requested load from stdin, but stdin is empty".to_string(),
                ));
            }
            std::io::stdin().read_to_end(&mut archive)?;
        }
    }
    // The CLI asks for the quiet form (one `Loaded image` line) unless output is a terminal.
    let quiet = args.quiet || !io.out_terminal;
    let path = format!("/images/load?quiet={}", u8::from(quiet));
    let streaming = session.stream("POST", &path, Payload::Bytes(&archive, "application/x-tar"))?;
    let json = streaming
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"));
    if json {
        let display = if io.out_terminal {
            Display::Terminal {
                width: crate::cli::progress::terminal_width(false),
            }
        } else {
            Display::Plain
        };
        render(BufReader::new(streaming.body), io.out, display)?;
    } else {
        std::io::copy(&mut BufReader::new(streaming.body), io.out)?;
    }
    Ok(0)
}

/// Go's wording of a failed open (`no such file or directory`).
pub(crate) fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_argument_is_the_reference_filter_docker_sends() {
        let args = |all, reference: Option<&str>| ImagesArgs {
            all,
            quiet: false,
            no_trunc: false,
            reference: reference.map(str::to_string),
        };
        assert_eq!(list_path(&args(false, None)), "/images/json");
        assert_eq!(
            list_path(&args(true, Some("hello-world"))),
            "/images/json?all=1&filters=%7B%22reference%22%3A%7B%22hello-world%22%3Atrue%7D%7D"
        );
    }
}
