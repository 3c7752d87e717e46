//! Pull progress as a non-terminal docker CLI prints it: one `id: status` line per message,
//! messages carrying a progress bar (Downloading, Extracting) left out. Concurrent layers
//! interleave freely in a real pull; the model prints them in a canonical order.

use crate::response::PullReport;

/// Docker downloads at most this many layers at once; the rest report `Waiting`.
const CONCURRENT_DOWNLOADS: usize = 3;

/// The lines of a pull. `final_reference` adds the full reference `docker pull` ends with.
pub fn pull_lines(report: &PullReport, final_reference: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if report.default_tag {
        lines.push("Using default tag: latest".to_string());
    }
    lines.push(format!(
        "{}: Pulling from {}",
        report.tag_or_digest, report.path
    ));
    let fresh: Vec<&str> = report
        .layers
        .iter()
        .filter(|l| !l.already_exists)
        .map(|l| l.short.as_str())
        .collect();
    for layer in &report.layers {
        let what = if layer.already_exists {
            "Already exists"
        } else {
            "Pulling fs layer"
        };
        lines.push(format!("{}: {what}", layer.short));
    }
    for id in fresh.iter().skip(CONCURRENT_DOWNLOADS) {
        lines.push(format!("{id}: Waiting"));
    }
    for id in &fresh {
        lines.push(format!("{id}: Verifying Checksum"));
        lines.push(format!("{id}: Download complete"));
    }
    for id in &fresh {
        lines.push(format!("{id}: Pull complete"));
    }
    lines.push(format!("Digest: {}", report.digest));
    let status = if report.up_to_date {
        "Image is up to date for"
    } else {
        "Downloaded newer image for"
    };
    lines.push(format!("Status: {status} {}", report.familiar));
    if final_reference {
        lines.push(report.full.clone());
    }
    lines
}
