//! Reports: for the terminal, a per-verb table per engine and its findings; in a report
//! directory, the same as Markdown, JSON and one self-contained HTML page, with an engines x
//! verbs matrix on top, and each finding's shrunk script as a replayable trace (JSON) and a bash
//! script of docker commands. JUnit XML is `junit.rs`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::finding::{Finding, Status};
use crate::session::{Counterexample, Counts, Summary};

/// One engine's sessions taken together.
#[derive(Debug, Clone, Default)]
pub struct EngineTotals {
    pub engine: String,
    pub dialect: Option<String>,
    pub per_verb: BTreeMap<String, Counts>,
    pub findings: usize,
    pub flaky: usize,
}

/// Per engine, in the order they ran: verb counts and finding counts.
pub fn totals(summaries: &[Summary]) -> Vec<EngineTotals> {
    let mut out: Vec<EngineTotals> = Vec::new();
    for s in summaries {
        let at = match out.iter().position(|t| t.engine == s.engine) {
            Some(at) => at,
            None => {
                out.push(EngineTotals {
                    engine: s.engine.clone(),
                    dialect: s.dialect.clone(),
                    ..EngineTotals::default()
                });
                out.len() - 1
            }
        };
        let t = &mut out[at];
        for (verb, c) in &s.per_verb {
            t.per_verb.entry(verb.clone()).or_default().add(c);
        }
        t.findings += s.failing(false);
        t.flaky += s.findings.len() - s.failing(false);
    }
    out
}

/// A matrix cell: steps that agreed (or differed as declared) of all steps, and disagreements.
fn cell(c: Option<&Counts>) -> String {
    match c {
        None => "-".into(),
        Some(c) if c.disagree == 0 => format!("{}/{}", c.agree + c.known, c.total()),
        Some(c) => format!("{}/{} ✗{}", c.agree + c.known, c.total(), c.disagree),
    }
}

/// The engines x verbs matrix as a Markdown table.
pub fn matrix(summaries: &[Summary]) -> String {
    let totals = totals(summaries);
    let verbs: std::collections::BTreeSet<&String> =
        totals.iter().flat_map(|t| t.per_verb.keys()).collect();
    let mut out = String::from("| engine |");
    for v in &verbs {
        let _ = write!(out, " {v} |");
    }
    out.push_str(" findings |\n|---|");
    out.push_str(&"---|".repeat(verbs.len() + 1));
    out.push('\n');
    for t in &totals {
        let name = match &t.dialect {
            Some(d) => format!("{} ({d} dialect)", t.engine),
            None => t.engine.clone(),
        };
        let _ = write!(out, "| {name} |");
        for v in &verbs {
            let _ = write!(out, " {} |", cell(t.per_verb.get(*v)));
        }
        let _ = writeln!(out, " {} confirmed, {} flaky |", t.findings, t.flaky);
    }
    out
}

fn status(f: &Finding) -> String {
    let word = match f.status {
        Status::Confirmed => "confirmed",
        Status::Flaky => "FLAKY",
    };
    format!("{word}, reproduced {}/{}", f.reproduced, f.attempts)
}

fn finding_text(out: &mut String, n: usize, f: &Finding) {
    let cx = &f.counterexample;
    let _ = writeln!(
        out,
        "  finding {n} ({}; seen {} time(s), first at {}; shrunk from {} to {} steps in {} runs, {:.2} s):",
        status(f),
        f.count,
        f.origin,
        cx.original_length,
        cx.templates.len(),
        cx.shrink_runs,
        cx.shrink_seconds
    );
    let _ = writeln!(out, "    signature: {}", f.signature);
    for step in &cx.steps {
        let _ = writeln!(out, "    {}", step.command);
    }
    let _ = writeln!(out, "    first diff, as it happened:");
    for line in f.diff.lines() {
        let _ = writeln!(out, "      {line}");
    }
    if let Some(replay) = &f.cli_replay {
        let _ = writeln!(out, "    through the docker CLI: {replay}");
    }
}

/// The terminal table: verbs down, verdicts across, one block per session, then its findings.
pub fn table(summaries: &[Summary]) -> String {
    let mut out = String::new();
    for s in summaries {
        let dialect = s
            .dialect
            .as_ref()
            .map(|d| format!(", {d} dialect"))
            .unwrap_or_default();
        let _ =
            writeln!(
            out,
            "engine {} ({}{dialect}): {} cases, {} steps, {:.1} s ({:.1} commands/s), {} resync(s)",
            s.engine,
            if s.source.is_empty() { "scenario" } else { &s.source },
            s.cases,
            s.steps,
            s.seconds,
            s.commands_per_second(),
            s.resyncs
        );
        let _ = writeln!(
            out,
            "  {:<14} {:>7} {:>7} {:>13} {:>9}",
            "verb", "agree", "known", "inconclusive", "disagree"
        );
        for (command, millis) in &s.slowest {
            let _ = writeln!(out, "  slow: {millis:>6} ms  {command}");
        }
        for (verb, c) in &s.per_verb {
            let _ = writeln!(
                out,
                "  {verb:<14} {:>7} {:>7} {:>13} {:>9}",
                c.agree, c.known, c.inconclusive, c.disagree
            );
        }
        for (rule, n) in &s.absorbed {
            let _ = writeln!(out, "  rule {rule}: absorbed {n} step(s)");
        }
        for c in s.case_results.iter().filter(|c| c.cut_short.is_some()) {
            let why = c.cut_short.as_deref().unwrap_or_default();
            let first = why.lines().next().unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} cut short after {} steps: {first}",
                c.name, c.steps
            );
        }
        for (i, f) in s.findings.iter().enumerate() {
            finding_text(&mut out, i + 1, f);
        }
    }
    out
}

/// A counterexample as a bash script a person can run against any engine.
pub fn script(cx: &Counterexample) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    let _ = writeln!(
        out,
        "# berth conform counterexample against {} (seed {:?}, case {:?}).",
        cx.engine, cx.seed, cx.case
    );
    out.push_str("# Replay with: berth conform replay THIS_TRACE.json --engine unix:///path/to/docker.sock\n");
    out.push_str("set -u\nremote_retag() { skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \"docker://$REGISTRY/library/$1\" \"docker://$REGISTRY/library/$2\"; }\n");
    let mut created = 0;
    for step in &cx.steps {
        let mut line = step.template.replace("remote-retag", "remote_retag");
        for n in (1..=created).rev() {
            for len in [1usize, 12] {
                line = line.replace(&format!("{{c{n}:{len}}}"), &format!("${{c{n}:0:{len}}}"));
            }
            line = line.replace(&format!("{{c{n}}}"), &format!("$c{n}"));
        }
        let _ = writeln!(out, "{line}");
        let creates = step
            .engine
            .pointer("/answer/answer")
            .and_then(|v| v.as_str())
            .is_some_and(|a| a == "created" || a == "ran");
        if creates {
            created += 1;
            let _ = writeln!(out, "c{created}=$(docker ps -alq --no-trunc)");
        }
    }
    out
}

/// The Markdown report: the matrix, the rules that absorbed steps, then every finding.
pub fn markdown(summaries: &[Summary]) -> String {
    let mut md = String::from("# berth conform report\n\n## Compatibility matrix\n\n");
    md.push_str("Each cell: steps that agreed with the model (or differed as the engine's dialect declares) of all steps; ✗ counts disagreements.\n\n");
    md.push_str(&matrix(summaries));
    let mut n = 0;
    for s in summaries {
        if s.absorbed.is_empty() && s.findings.is_empty() {
            continue;
        }
        let _ = writeln!(md, "\n## {} ({})\n", s.engine, s.source);
        for (rule, count) in &s.absorbed {
            let (reason, link) = s.rules.get(rule).cloned().unwrap_or_default();
            let link = link.map(|l| format!(" ({l})")).unwrap_or_default();
            let _ = writeln!(
                md,
                "- rule `{rule}` absorbed {count} step(s): {reason}{link}"
            );
        }
        for f in &s.findings {
            n += 1;
            let _ = writeln!(
                md,
                "\n### Finding {n}: `{}`\n\n{}; seen {} time(s), first at {}. Script: `counterexample-{n}.sh`, trace: `counterexample-{n}.json`.\n\n```\n{}\n```\n\nFirst diff:\n\n```\n{}\n```",
                f.signature,
                status(f),
                f.count,
                f.origin,
                f.counterexample.templates.join("\n"),
                f.diff
            );
            if let Some(replay) = &f.cli_replay {
                let _ = writeln!(md, "\nThrough the docker CLI: {replay}");
            }
        }
    }
    md.push_str("\n## Terminal output\n\n```\n");
    md.push_str(&table(summaries));
    md.push_str("```\n");
    md
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One self-contained HTML page (no scripts, no external styles): the matrix and the findings.
pub fn html(summaries: &[Summary]) -> String {
    let mut page = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>berth conform report</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}td.bad{background:#fdd}td.ok{background:#dfd}pre{background:#f6f6f6;padding:.6em;overflow:auto}</style></head><body>\n<h1>berth conform report</h1>\n<h2>Compatibility matrix</h2>\n<table><tr><th>engine</th>",
    );
    let totals = totals(summaries);
    let verbs: std::collections::BTreeSet<&String> =
        totals.iter().flat_map(|t| t.per_verb.keys()).collect();
    for v in &verbs {
        let _ = write!(page, "<th>{}</th>", escape(v));
    }
    page.push_str("<th>findings</th></tr>\n");
    for t in &totals {
        let _ = write!(page, "<tr><td>{}</td>", escape(&t.engine));
        for v in &verbs {
            let c = t.per_verb.get(*v);
            let class = match c {
                Some(c) if c.disagree > 0 => "bad",
                Some(_) => "ok",
                None => "",
            };
            let _ = write!(page, "<td class=\"{class}\">{}</td>", escape(&cell(c)));
        }
        let _ = writeln!(
            page,
            "<td>{} confirmed, {} flaky</td></tr>",
            t.findings, t.flaky
        );
    }
    page.push_str("</table>\n");
    for s in summaries.iter().filter(|s| !s.findings.is_empty()) {
        let _ = writeln!(
            page,
            "<h2>{} ({})</h2>",
            escape(&s.engine),
            escape(&s.source)
        );
        for f in &s.findings {
            let _ = writeln!(
                page,
                "<h3>{}</h3><p>{}; seen {} time(s), first at {}</p><pre>{}</pre><details><summary>first diff</summary><pre>{}</pre></details>",
                escape(&f.signature),
                escape(&status(f)),
                f.count,
                escape(&f.origin),
                escape(&f.counterexample.templates.join("\n")),
                escape(&f.diff)
            );
        }
    }
    page.push_str("</body></html>\n");
    page
}

/// Writes `report.md`, `report.json`, `report.html` and every finding's script into `dir`.
pub fn write(dir: &Path, summaries: &[Summary]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(summaries).expect("summaries serialise"),
    )?;
    let mut n = 0;
    for cx in summaries.iter().flat_map(Summary::counterexamples) {
        n += 1;
        std::fs::write(
            dir.join(format!("counterexample-{n}.json")),
            serde_json::to_string_pretty(cx).expect("counterexamples serialise"),
        )?;
        std::fs::write(dir.join(format!("counterexample-{n}.sh")), script(cx))?;
    }
    std::fs::write(dir.join("report.html"), html(summaries))?;
    std::fs::write(dir.join("report.md"), markdown(summaries))
}

/// Reads the summaries back from a report directory (`berth conform merge`).
pub fn read(dir: &Path) -> Result<Vec<Summary>, String> {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
