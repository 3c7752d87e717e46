//! Re-synchronising the model with an engine after a disagreement, so that one early difference
//! does not hide the rest of a case. The engine's observed state is adopted where that is
//! well-defined: a container or tag the engine lacks is removed from the model, a tag or a
//! container only the engine has is added to the model, each by a command applied to the model
//! alone (the model stays a pure state machine; the harness never edits its state behind its
//! back). Both states are read as the engine's dialect spells them, so a container the model
//! could not hold under the engine's name (podman's one-character `a`, which Docker refuses)
//! is adopted under the dialect's spelling of it (`a.one-char`). Whatever cannot be adopted
//! that way (a different exit code, a running container the model says exited) ends the case,
//! with the reason.

use berth_model::command::parse_line;
use serde_json::Value;

use crate::dialect::Rules;
use crate::engine::{Engine, EngineError};
use crate::model_engine::ModelEngine;
use crate::normalise::Symbols;
use crate::observe::Probe;
use crate::settle::settle;

/// Why the states could not be brought together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved(pub String);

/// A probe with the dialect's normalisers applied (the engine's, or with `model_side` the
/// model's), so names compare like Docker's: podman's one-character container `a` is
/// `a.one-char` here, a name the model can hold. Normalised names may sort differently, so the
/// result is put in canonical order again.
pub(crate) fn dialect_probe(rules: &Rules, probe: &Probe, model_side: bool) -> Probe {
    let mut value = serde_json::json!({
        "containers": probe.containers,
        "images": probe.images,
    });
    match model_side {
        true => rules.normalise_model(&mut value),
        false => {
            rules.normalise(&mut value);
        }
    }
    serde_json::from_value::<Probe>(value)
        .map(Probe::canonical)
        .unwrap_or_else(|_| probe.clone())
}

/// Both states, normalised with fresh symbol tables (objects are in canonical order, so equal
/// states get equal symbols); the tables are what later steps continue with.
fn compare(
    rules: &Rules,
    model: &Probe,
    engine: &Probe,
) -> (bool, (Symbols, Symbols), Value, Value) {
    let mut symbols = (Symbols::default(), Symbols::default());
    let mut m = crate::compare::normalise_state(&mut symbols.0, model);
    let mut e = crate::compare::normalise_state(&mut symbols.1, engine);
    rules.normalise_model(&mut m);
    rules.normalise(&mut e);
    rules.mask_state(&mut m, &mut e);
    (m == e, symbols, m, e)
}

/// The containers' names, in canonical order.
fn names(probe: &Probe) -> Vec<&str> {
    probe.containers.iter().map(|c| c.name.as_str()).collect()
}

/// The model-only commands that move the model's state towards the engine's.
fn repairs(model: &Probe, engine: &Probe) -> Vec<String> {
    let mut out = Vec::new();
    let named = |p: &Probe, name: &str| p.containers.iter().any(|c| c.name == name);
    for c in &model.containers {
        if !named(engine, &c.name) {
            out.push(format!("docker rm -f {}", c.name));
        }
    }
    let tags = |p: &Probe| -> Vec<String> {
        p.images
            .iter()
            .flat_map(|i| i.repo_tags.iter().cloned())
            .collect()
    };
    let (model_tags, engine_tags) = (tags(model), tags(engine));
    for tag in model_tags.iter().filter(|t| !engine_tags.contains(t)) {
        out.push(format!("docker rmi -f {tag}"));
    }
    for image in &engine.images {
        let shared = image.repo_tags.iter().find(|t| model_tags.contains(t));
        for tag in image.repo_tags.iter().filter(|t| !model_tags.contains(t)) {
            out.push(match shared {
                Some(source) => format!("docker tag {source} {tag}"),
                None => format!("docker pull {tag}"),
            });
        }
    }
    for c in &engine.containers {
        if named(model, &c.name) {
            continue;
        }
        let how = match c.state.as_str() {
            "created" => "create",
            "running" => "run -d",
            _ => "run",
        };
        out.push(format!(
            "docker {how} --name {} {} {}",
            c.name, c.image, c.command
        ));
    }
    out
}

/// Brings the model to the engine's state where that is well-defined. On success the symbol
/// tables are replaced by ones aligned on the common state.
pub fn resync(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    rules: &Rules,
    symbols: &mut (Symbols, Symbols),
) -> Result<Result<(), Unresolved>, EngineError> {
    let observed = dialect_probe(rules, &engine.probe()?, false);
    let (equal, fresh, ..) = compare(
        rules,
        &dialect_probe(rules, &ModelEngine::probe(model), true),
        &observed,
    );
    if equal {
        *symbols = fresh;
        return Ok(Ok(()));
    }
    for line in repairs(
        &dialect_probe(rules, &ModelEngine::probe(model), true),
        &observed,
    ) {
        if let Ok(Some(command)) = parse_line(&line) {
            let mut branches = model.expect(&command);
            model.settle(branches.swap_remove(0).1);
        }
    }
    let repaired = dialect_probe(rules, &ModelEngine::probe(model), true);
    let (mut equal, mut fresh, mut m, mut e) = compare(rules, &repaired, &observed);
    if !equal && names(&repaired) == names(&observed) {
        // The model now says what an adopted container looks like once settled (a sleeper
        // has printed its `up`); the engine may not have been there yet when it was probed
        // (its step could not wait for a container the model did not foresee), so it gets
        // the usual time to reach the model's shape. Where the containers themselves differ
        // there is nothing to wait for.
        let observed = dialect_probe(rules, &settle(engine, model.model(), false)?, false);
        (equal, fresh, m, e) = compare(
            rules,
            &dialect_probe(rules, &ModelEngine::probe(model), true),
            &observed,
        );
    }
    if equal {
        *symbols = fresh;
        return Ok(Ok(()));
    }
    Ok(Err(Unresolved(format!(
        "the states differ in a way the model cannot adopt:\n{}",
        crate::compare::diff(&m, &e)
    ))))
}

#[cfg(test)]
mod one_character_names;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::{ContainerView, ImageView};

    fn image(tags: &[&str]) -> ImageView {
        ImageView {
            id: format!("sha256:{}", "a".repeat(64)),
            parent: String::new(),
            repo_tags: tags.iter().map(|t| t.to_string()).collect(),
            digest_repos: vec![],
            layers: 1,
        }
    }

    #[test]
    fn a_missing_tag_is_removed_and_an_extra_one_added_from_a_shared_tag() {
        let model = Probe {
            containers: vec![],
            images: vec![image(&["toolbox:latest", "mine:v1"])],
        };
        let engine = Probe {
            containers: vec![],
            images: vec![image(&["toolbox:latest", "mine:v2"])],
        };
        assert_eq!(
            repairs(&model, &engine),
            vec!["docker rmi -f mine:v1", "docker tag toolbox:latest mine:v2"]
        );
    }

    #[test]
    fn a_container_only_the_model_has_is_removed() {
        let view = ContainerView {
            name: "web".into(),
            id: "c".repeat(64),
            image: "toolbox".into(),
            image_id: String::new(),
            command: "/toolbox sleep".into(),
            state: "running".into(),
            exit_code: 0,
            stdout: String::new(),
            stderr: String::new(),
        };
        let model = Probe {
            containers: vec![view.clone()],
            images: vec![],
        };
        assert_eq!(repairs(&model, &Probe::default()), vec!["docker rm -f web"]);
        assert_eq!(
            repairs(&Probe::default(), &model),
            vec!["docker run -d --name web toolbox /toolbox sleep"]
        );
    }
}
