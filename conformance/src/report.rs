//! Reports: a per-verb table for the terminal, and a report directory with Markdown, JSON, and
//! each counterexample as a replayable trace (JSON) and a bash script of docker commands.

use std::fmt::Write as _;
use std::path::Path;

use crate::session::{Counterexample, Summary};

/// The terminal table: verbs down, verdicts across, one block per engine.
pub fn table(summaries: &[Summary]) -> String {
    let mut out = String::new();
    for s in summaries {
        let _ = writeln!(
            out,
            "engine {}: {} cases, {} steps, {:.1} s ({:.1} commands/s)",
            s.engine,
            s.cases,
            s.steps,
            s.seconds,
            s.commands_per_second()
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
        for (i, cx) in s.counterexamples.iter().enumerate() {
            let origin = match (cx.seed, cx.case) {
                (Some(seed), Some(case)) => format!(
                    "seed {seed} case {case}, shrunk from {} to {} steps in {} runs, {:.2} s",
                    cx.original_length,
                    cx.templates.len(),
                    cx.shrink_runs,
                    cx.shrink_seconds
                ),
                _ => format!("{} steps", cx.templates.len()),
            };
            let _ = writeln!(out, "  counterexample {} ({origin}):", i + 1);
            for step in &cx.steps {
                let _ = writeln!(out, "    {}", step.command);
                if let crate::runner::Verdict::Disagree { diff } = &step.verdict {
                    for line in diff.lines() {
                        let _ = writeln!(out, "      {line}");
                    }
                }
            }
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

/// Writes `report.md`, `report.json` and every counterexample into `dir`.
pub fn write(dir: &Path, summaries: &[Summary]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(summaries).expect("summaries serialise"),
    )?;
    let mut md = String::from("# berth conform report\n\n```\n");
    md.push_str(&table(summaries));
    md.push_str("```\n");
    let mut n = 0;
    for s in summaries {
        for cx in &s.counterexamples {
            n += 1;
            let trace = dir.join(format!("counterexample-{n}.json"));
            std::fs::write(
                &trace,
                serde_json::to_string_pretty(cx).expect("counterexamples serialise"),
            )?;
            std::fs::write(dir.join(format!("counterexample-{n}.sh")), script(cx))?;
            let _ = writeln!(md, "\n## Counterexample {n} ({})\n\n`counterexample-{n}.json`, `counterexample-{n}.sh`", s.engine);
        }
    }
    std::fs::write(dir.join("report.md"), md)
}
