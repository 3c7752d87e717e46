//! Regression: a case against podman 4.3 was cut short after `docker run --name a ...`, which
//! podman accepts and Docker refuses (one character), because the model could not take on a
//! container named `a`. A scripted engine that is the model except that it accepts such names
//! (as podman does) reproduces it without podman: with the podman dialect the case now runs to
//! its end, the model holding the container as `a.one-char`, and later steps agree.

use std::time::{Duration, Instant};

use berth_model::command::Command;
use berth_model::{Catalog, Profile};
use serde_json::json;

use crate::dialect::Rules;
use crate::engine::{Engine, EngineError};
use crate::model_engine::ModelEngine;
use crate::observe::{Observation, Probe};
use crate::runner::{run_case, CaseRecord, Script, Verdict};

/// How the scripted engine holds a one-character name in the model inside it.
const INNER: &str = "-inside";

/// The model, accepting one-character container names as podman does. It keeps such a
/// container under a longer name inside and shows it under the name it was given. It does
/// not settle at once, so the harness waits for it as for a real engine.
#[derive(Debug)]
struct OneCharacterNames(ModelEngine);

impl Engine for OneCharacterNames {
    fn name(&self) -> String {
        "podman-like".into()
    }

    fn apply(&mut self, command: &Command) -> Result<Observation, EngineError> {
        let mut command = command.clone();
        if let Command::Create(opts) | Command::Run { opts, .. } = &mut command {
            if let Some(name) = opts.name.as_mut().filter(|n| n.len() == 1) {
                name.push_str(INNER);
            }
        }
        let mut observation = self.0.apply(&command)?;
        if let Observation::Inspected { document } = &mut observation {
            if let Some(name) = document["Name"].as_str() {
                document["Name"] = json!(name.trim_end_matches(INNER));
            }
        }
        Ok(observation)
    }

    fn probe(&mut self) -> Result<Probe, EngineError> {
        let mut probe = self.0.probe();
        for c in &mut probe.containers {
            c.name = c.name.trim_end_matches(INNER).to_string();
        }
        Ok(probe.canonical())
    }

    fn reset(&mut self) -> Result<(), EngineError> {
        Engine::reset(&mut self.0)
    }
}

fn podman_rules() -> Rules {
    let version = json!({"Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]});
    Rules::resolve(&crate::known::shipped(), Some(&version))
}

fn run(rules: &Rules) -> (CaseRecord, Duration) {
    let mut model = ModelEngine::new(Profile::Docker2010, Catalog::fixtures(), 7);
    let mut engine = OneCharacterNames(ModelEngine::new(
        Profile::Docker2010,
        Catalog::fixtures(),
        8,
    ));
    let script: Vec<String> = [
        "docker run -d --name a toolbox /toolbox on-term 7 out up sleep",
        "docker ps -a",
        "docker inspect {c1}",
        "docker run --name b toolbox /toolbox out hello",
        "docker logs {c2}",
        "docker stop -t 1 {c1}",
        "docker inspect {c1}",
        "docker rename {c2} -- web",
        "docker rm {c1}",
        "docker ps -a",
    ]
    .map(String::from)
    .to_vec();
    let started = Instant::now();
    let record = run_case(&mut model, &mut engine, Script::Templates(&script), rules).unwrap();
    (record, started.elapsed())
}

#[test]
fn a_container_with_a_one_character_name_is_adopted_and_the_case_runs_to_its_end() {
    let (record, took) = run(&podman_rules());
    assert_eq!(record.cut_short, None);
    assert_eq!(record.steps.len(), 10);
    assert_eq!(record.resyncs, 2);
    for (i, step) in record.steps.iter().enumerate() {
        let expected = match i {
            0 | 3 => Verdict::Known {
                id: "podman-accepts-one-character-name".into(),
            },
            _ => Verdict::Agree,
        };
        assert_eq!(step.verdict, expected, "step {i}: {}", step.template);
    }
    let listed = &record.steps[1].engine["containers"][0];
    assert_eq!(listed["name"], "a.one-char");
    assert_eq!(listed["state"], "running");
    assert_eq!(
        record.steps[2].engine["answer"]["document"]["/Name"],
        "/a.one-char"
    );
    assert!(record.steps[1]
        .normalised_by
        .contains(&"one-character-container-name".into()));
    // The step that made the container the model could not foresee does not wait out the
    // harness's 15 s limit for the model's shape.
    assert!(took < Duration::from_secs(5), "the case took {took:?}");
}

#[test]
fn without_the_dialects_spelling_the_case_is_cut_short() {
    let mut rules = podman_rules();
    rules
        .normalisers
        .retain(|n| n.id != "one-character-container-name");
    let (record, _) = run(&rules);
    let reason = record
        .cut_short
        .expect("the model adopted a container named a");
    assert!(reason.contains("cannot adopt"), "{reason}");
    assert_eq!(record.steps.len(), 1);
}
