//! JUnit XML (`--junit FILE`), as CI systems read it: one `testsuite` per engine, one
//! `testcase` per case and scenario, and per finding in the case where it was first seen: that
//! one fails, with the finding's shrunk script and first diff, so a CI system shows one failing
//! testcase per finding; later cases that showed it again pass and say so. A flaky finding
//! fails its testcase only under `--strict`.

use std::fmt::Write as _;

use crate::finding::{Finding, Status};
use crate::session::{CaseResult, Summary};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows no other control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The findings a case is the first sighting of.
fn first_seen<'a>(s: &'a Summary, case: &'a CaseResult) -> impl Iterator<Item = &'a Finding> {
    s.findings
        .iter()
        .filter(move |f| f.first_case == case.index && case.findings.contains(&f.signature))
}

fn open(out: &mut String, s: &Summary, name: &str) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">",
        escape(name),
        escape(&format!("{}.{}", s.engine, s.source))
    );
}

/// One testcase per finding first seen in this case (failing, unless flaky and not strict),
/// or one passing testcase for the case, with what it showed again.
fn testcases(out: &mut String, s: &Summary, case: &CaseResult, strict: bool) -> (usize, usize) {
    let mut counts = (0, 0);
    for f in first_seen(s, case) {
        counts.0 += 1;
        open(out, s, &format!("{}: {}", case.name, f.signature));
        let text = format!(
            "shrunk script:\n{}\n\nfirst diff:\n{}",
            f.counterexample.templates.join("\n"),
            f.diff
        );
        if strict || f.status == Status::Confirmed {
            counts.1 += 1;
            let kind = match f.status {
                Status::Flaky => "flaky",
                Status::Confirmed => "disagreement",
            };
            let _ = write!(
                out,
                "\n      <failure message=\"{}\" type=\"{kind}\">{}</failure>\n    ",
                escape(&f.signature),
                escape(&text)
            );
        } else {
            let _ = write!(
                out,
                "\n      <system-out>flaky (reproduced {}/{}): {}</system-out>\n    ",
                f.reproduced,
                f.attempts,
                escape(&text)
            );
        }
        out.push_str("</testcase>\n");
    }
    if counts.0 > 0 {
        return counts;
    }
    open(out, s, &case.name);
    if !case.findings.is_empty() || case.cut_short.is_some() {
        let mut note = case
            .findings
            .iter()
            .map(|f| format!("shows again: {f}"))
            .collect::<Vec<_>>()
            .join("\n");
        if let Some(why) = &case.cut_short {
            let _ = write!(note, "\ncut short: {why}");
        }
        let _ = write!(
            out,
            "\n      <system-out>{}</system-out>\n    ",
            escape(&note)
        );
    }
    out.push_str("</testcase>\n");
    (1, 0)
}

/// The JUnit document for a run.
pub fn junit(summaries: &[Summary], strict: bool) -> String {
    let mut engines: Vec<&str> = Vec::new();
    for s in summaries {
        if !engines.contains(&s.engine.as_str()) {
            engines.push(&s.engine);
        }
    }
    let mut suites = String::new();
    let (mut all_tests, mut all_failures) = (0, 0);
    for engine in engines {
        let mut cases = String::new();
        let (mut tests, mut failures, mut seconds) = (0, 0, 0.0);
        for s in summaries.iter().filter(|s| s.engine == engine) {
            seconds += s.seconds;
            for case in &s.case_results {
                let (t, f) = testcases(&mut cases, s, case, strict);
                tests += t;
                failures += f;
            }
        }
        all_tests += tests;
        all_failures += failures;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{seconds:.3}\">\n{cases}  </testsuite>\n",
            escape(engine)
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"berth conform\" tests=\"{all_tests}\" failures=\"{all_failures}\">\n{suites}</testsuites>\n"
    )
}
