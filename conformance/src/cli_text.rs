//! Normalising what a docker CLI printed, so the model's rendered text and a real CLI's output
//! compare like with like. IDs were already turned into symbols (`normalise::Symbols`); this
//! removes what legitimately differs between two engines that behave the same:
//!
//! - durations (`2 seconds ago`, `Up Less than a second`) become `<T>`: the model's clock is
//!   simulated;
//! - table padding collapses to two spaces, since column widths follow the longest cell, and
//!   cells hold symbols and durations of other lengths than the real ones;
//! - sizes (`1.15MB`) become `<size>`: the model's catalogue does not know the real byte
//!   counts, and the API comparison leaves sizes out for the same reason;
//! - generated container names become their symbols wherever they stand in a line;
//! - 12-hex words that are no known ID (pull progress layer IDs) become `<hex>`: the model's
//!   catalogue and a registry name layers by different digests.
//! - `<layer>: Verifying Checksum` lines are dropped: dockerd's transfer manager hands each
//!   watcher only the latest progress of a layer (moby `distribution/xfer/transfer.go`), so a
//!   fast download's `Verifying Checksum` is often overtaken by `Download complete`; whether the
//!   CLI prints it is a race, not behaviour.
//! - a pull's per-layer lines are put in phase order (announced, downloaded, extracted): layers
//!   download concurrently and extract in order, so whether one layer's `Pull complete` comes
//!   before another's `Download complete` is a race; with the layer IDs already `<hex>`, the
//!   phases are all the lines still say.
//!
//! - the rows of an `images` table are sorted: dockerd orders images by creation time with an
//!   unstable sort, and the fixture images share one fixed creation time, so their order is
//!   arbitrary (the API comparison treats the list as a set for the same reason).
//!
//! Everything else (words, order, line structure, exit codes) must match exactly.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::normalise::{inspect_projection, Symbols};

/// Docker's HumanDuration phrases (go-units), with the `About` forms.
static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:Less than a second|About a minute|About an hour|an? (?:second|minute|hour|day|week|month|year)|\d+ (?:second|minute|hour|day|week|month|year)s?)\b",
    )
    .expect("a valid pattern")
});

static HEX12: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[0-9a-f]{12}\b").expect("a valid pattern"));

static SIZE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d+(?:\.\d+)?(?:B|kB|MB|GB|TB)\b").expect("a valid pattern"));

static PADDING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r" {2,}").expect("a valid pattern"));

static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[a-z]+_[a-z]+[0-9]*\b").expect("a valid pattern"));

/// Normalises one stream of CLI output whose IDs are already symbols.
pub fn tidy(symbols: &mut Symbols, text: &str) -> String {
    let text = DURATION.replace_all(text, "<T>");
    let text = HEX12.replace_all(&text, "<hex>");
    let text = SIZE.replace_all(&text, "<size>");
    let text = WORD.replace_all(&text, |c: &regex::Captures<'_>| {
        symbols.container_name(&c[0])
    });
    let mut lines: Vec<String> = text
        .lines()
        .filter(|line| !line.ends_with(": Verifying Checksum"))
        .map(|line| PADDING.replace_all(line.trim_end(), "  ").into_owned())
        .collect();
    if lines
        .first()
        .is_some_and(|h| h.starts_with("REPOSITORY  TAG"))
    {
        lines[1..].sort();
    }
    for run in lines.chunk_by_mut(|a, b| phase(a).is_some() == phase(b).is_some()) {
        if phase(&run[0]).is_some() {
            run.sort_by_key(|line| phase(line));
        }
    }
    lines.join("\n")
}

/// The phases of a layer's pull progress, in the order one layer goes through them.
const PULL_PHASES: &[&str] = &[
    "Already exists",
    "Pulling fs layer",
    "Waiting",
    "Downloading",
    "Download complete",
    "Extracting",
    "Pull complete",
];

/// Where a pull progress line (`<hex>: STATUS`) stands among [`PULL_PHASES`].
fn phase(line: &str) -> Option<usize> {
    let status = line.strip_prefix("<hex>: ")?;
    PULL_PHASES.iter().position(|p| status.starts_with(p))
}

/// `docker inspect` prints a JSON array of whole documents: only the fields every engine
/// defines alike are compared, as for API inspect answers.
pub fn inspect_documents(stdout: &str) -> Option<Value> {
    let Ok(Value::Array(documents)) = serde_json::from_str::<Value>(stdout) else {
        return None;
    };
    Some(Value::Array(
        documents.iter().map(inspect_projection).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_compare_without_padding_and_times() {
        let mut a = Symbols::default();
        let mut b = Symbols::default();
        let real = "CONTAINER ID   IMAGE         STATUS                      NAMES\n\
                    <c1:12>   hello-world   Exited (0) 2 seconds ago    eager_hopper\n";
        let model = "CONTAINER ID   IMAGE         STATUS                                NAMES\n\
                     <c1:12>   hello-world   Exited (0) Less than a second ago   quirky_turing\n";
        assert_eq!(tidy(&mut a, real), tidy(&mut b, model));
    }

    #[test]
    fn layers_finishing_in_either_order_compare_alike() {
        let mut a = Symbols::default();
        let mut b = Symbols::default();
        let raced = "latest: Pulling from library/hello-world\n\
                     0123456789ab: Pulling fs layer\n\
                     ba9876543210: Pulling fs layer\n\
                     0123456789ab: Download complete\n\
                     0123456789ab: Pull complete\n\
                     ba9876543210: Download complete\n\
                     ba9876543210: Pull complete\n\
                     Digest: sha256:00";
        let model = "latest: Pulling from library/hello-world\n\
                     0123456789ab: Pulling fs layer\n\
                     ba9876543210: Pulling fs layer\n\
                     0123456789ab: Download complete\n\
                     ba9876543210: Download complete\n\
                     0123456789ab: Pull complete\n\
                     ba9876543210: Pull complete\n\
                     Digest: sha256:00";
        assert_eq!(tidy(&mut a, raced), tidy(&mut b, model));
        // A missing phase still differs.
        let short = model.replace("ba9876543210: Pull complete\n", "");
        assert_ne!(tidy(&mut a, raced), tidy(&mut b, &short));
    }

    #[test]
    fn words_and_exit_texts_still_differ() {
        let mut s = Symbols::default();
        assert_ne!(
            tidy(&mut s, "Exited (0) 2 seconds ago"),
            tidy(&mut s, "Exited (1) 2 seconds ago")
        );
        assert_eq!(tidy(&mut s, "Up 3 minutes"), "Up <T>");
        assert_eq!(tidy(&mut s, "latest   1.15MB"), "latest  <size>");
        assert_eq!(
            tidy(&mut s, "0123456789ab: Pull complete"),
            "<hex>: Pull complete"
        );
        assert_eq!(
            tidy(&mut s, "a\n0123456789ab: Verifying Checksum\nb"),
            "a\nb"
        );
    }

    #[test]
    fn inspect_output_is_projected() {
        let docs = inspect_documents(r#"[{"Id":"x","Driver":"overlay2"}]"#).unwrap();
        assert_eq!(docs, serde_json::json!([{"/Id": "x"}]));
        assert!(inspect_documents("Error: No such object").is_none());
    }
}
