//! Merging the reports of a sharded campaign (`berth conform merge DIR... --report OUT`) into the
//! one the unsharded run would have written: the same cases, the same verdict counts, and each
//! finding once, as the shard that met it in the earliest case shrank it, with its sightings
//! counted over every shard.

use crate::session::Summary;

/// Sessions of one engine and source (`generated, seed 1`, `scenario`) become one.
pub fn merge(shards: Vec<Vec<Summary>>) -> Vec<Summary> {
    let mut out: Vec<Summary> = Vec::new();
    for summary in shards.into_iter().flatten() {
        match out
            .iter_mut()
            .find(|s| s.engine == summary.engine && s.source == summary.source)
        {
            Some(into) => add(into, summary),
            None => out.push(summary),
        }
    }
    for s in &mut out {
        s.case_results.sort_by_key(|c| c.index);
        s.findings.sort_by_key(|f| f.first_case);
        s.slowest.sort_by_key(|x| std::cmp::Reverse(x.1));
        s.slowest.truncate(5);
    }
    out
}

fn add(into: &mut Summary, from: Summary) {
    into.cases += from.cases;
    into.steps += from.steps;
    into.resyncs += from.resyncs;
    into.seconds += from.seconds;
    into.slowest.extend(from.slowest);
    into.case_results.extend(from.case_results);
    into.rules.extend(from.rules);
    for (verb, counts) in &from.per_verb {
        into.per_verb.entry(verb.clone()).or_default().add(counts);
    }
    for (rule, n) in from.absorbed {
        *into.absorbed.entry(rule).or_default() += n;
    }
    for finding in from.findings {
        match into
            .findings
            .iter_mut()
            .find(|f| f.signature == finding.signature)
        {
            Some(kept) => {
                let count = kept.count + finding.count;
                if finding.first_case < kept.first_case {
                    *kept = finding;
                }
                kept.count = count;
            }
            None => into.findings.push(finding),
        }
    }
}
