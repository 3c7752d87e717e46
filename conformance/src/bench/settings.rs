//! Benchmark settings in two layers: the raw flags as the user typed them, and the resolved,
//! validated settings a run uses. Resolution is pure (no I/O), so every rule is unit-tested;
//! whether an engine's socket answers is checked when the run starts.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::bench::error::BenchError;

/// An engine to benchmark, parsed from the same specs `berth conform` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineSpec {
    /// A Docker Engine API endpoint on a unix socket.
    Unix(PathBuf),
    /// berth's runtime in process, driven through the library the daemon uses.
    Embedded,
}

impl FromStr for EngineSpec {
    type Err = BenchError;

    fn from_str(spec: &str) -> Result<EngineSpec, BenchError> {
        if let Some(path) = spec.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(unknown(spec, "the unix:// endpoint has no socket path"));
            }
            return Ok(EngineSpec::Unix(PathBuf::from(path)));
        }
        if spec == "embedded" {
            return Ok(EngineSpec::Embedded);
        }
        if spec.starts_with("tcp://") {
            return Err(unknown(
                spec,
                "tcp:// endpoints are not supported yet; use unix://",
            ));
        }
        Err(unknown(
            spec,
            "unknown engine: use unix:///path/to/docker.sock or embedded",
        ))
    }
}

fn unknown(spec: &str, why: &str) -> BenchError {
    BenchError::UnknownEngine {
        spec: spec.to_string(),
        why: why.to_string(),
    }
}

impl fmt::Display for EngineSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineSpec::Unix(path) => write!(f, "unix://{}", path.display()),
            EngineSpec::Embedded => f.write_str("embedded"),
        }
    }
}

/// Whether the image is already present (warm) or removed and pulled before every run (cold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Warm,
    Cold,
}

impl FromStr for Mode {
    type Err = BenchError;

    fn from_str(text: &str) -> Result<Mode, BenchError> {
        match text {
            "warm" => Ok(Mode::Warm),
            "cold" => Ok(Mode::Cold),
            other => Err(invalid("--mode", format!("{other:?}: use warm or cold"))),
        }
    }
}

fn invalid(flag: &'static str, why: String) -> BenchError {
    BenchError::InvalidArgument { flag, why }
}

/// The flags as given, before any check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSettings {
    pub engine: Option<String>,
    pub compare: Vec<String>,
    pub image: String,
    pub runs: i64,
    pub warmup: i64,
    pub concurrency: i64,
    pub mode: String,
    /// Where the embedded engine pulls from (`host:port`, as a Docker Hub mirror).
    pub registry: Option<String>,
    /// The fixture OCI layouts the embedded engine loads images from without a registry.
    pub fixtures: PathBuf,
}

/// Validated settings: one or two engines, and counts that make sense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// One engine, or two alternated pair by pair (`--compare A B`).
    pub engines: Vec<EngineSpec>,
    pub image: String,
    pub runs: usize,
    pub warmup: usize,
    pub concurrency: usize,
    pub mode: Mode,
    pub registry: Option<String>,
    pub fixtures: PathBuf,
}

impl Settings {
    pub fn resolve(raw: &RawSettings) -> Result<Settings, BenchError> {
        let settings = Settings {
            engines: engines(raw)?,
            image: image(&raw.image)?,
            runs: positive("--runs", raw.runs)?,
            warmup: non_negative("--warmup", raw.warmup)?,
            concurrency: positive("--concurrency", raw.concurrency)?,
            mode: raw.mode.parse()?,
            registry: raw.registry.clone(),
            fixtures: raw.fixtures.clone(),
        };
        // Cold runs remove the image each time; concurrent runs would remove it from under
        // each other and measure the races instead of the pull.
        if settings.mode == Mode::Cold && settings.concurrency > 1 {
            return Err(invalid(
                "--concurrency",
                "cold mode removes the image before every run, so it runs one at a time".into(),
            ));
        }
        // Without a registry the embedded engine can only load its fixture layouts, which is
        // no pull: a cold run would measure something else than it says.
        let embedded = settings.engines.contains(&EngineSpec::Embedded);
        if settings.mode == Mode::Cold && embedded && settings.registry.is_none() {
            return Err(invalid(
                "--registry",
                "cold mode pulls before every run: give the embedded engine a registry".into(),
            ));
        }
        Ok(settings)
    }

    /// Whether two engines are compared pair by pair.
    pub fn comparing(&self) -> bool {
        self.engines.len() == 2
    }
}

fn engines(raw: &RawSettings) -> Result<Vec<EngineSpec>, BenchError> {
    match (&raw.engine, raw.compare.as_slice()) {
        (Some(_), [_, ..]) => Err(invalid(
            "--compare",
            "give either --engine or --compare A B, not both".into(),
        )),
        (Some(engine), []) => Ok(vec![engine.parse()?]),
        (None, [a, b]) => Ok(vec![a.parse()?, b.parse()?]),
        (None, []) => Err(invalid(
            "--engine",
            "missing: give --engine unix:///path/to/docker.sock or --engine embedded".into(),
        )),
        (None, other) => Err(invalid(
            "--compare",
            format!("takes exactly two engines, got {}", other.len()),
        )),
    }
}

fn image(image: &str) -> Result<String, BenchError> {
    if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
        return Err(invalid(
            "--image",
            format!("{image:?} is not an image reference"),
        ));
    }
    Ok(image.to_string())
}

fn positive(flag: &'static str, value: i64) -> Result<usize, BenchError> {
    if value <= 0 {
        return Err(invalid(flag, format!("must be at least 1, got {value}")));
    }
    usize::try_from(value).map_err(|_| invalid(flag, format!("{value} is too large")))
}

fn non_negative(flag: &'static str, value: i64) -> Result<usize, BenchError> {
    usize::try_from(value).map_err(|_| invalid(flag, format!("must be 0 or more, got {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::error::BenchErrorKind;

    fn raw() -> RawSettings {
        RawSettings {
            engine: Some("unix:///tmp/d.sock".into()),
            compare: vec![],
            image: "hello-world".into(),
            runs: 3,
            warmup: 1,
            concurrency: 1,
            mode: "warm".into(),
            registry: None,
            fixtures: "target/fixtures".into(),
        }
    }

    fn message(raw: RawSettings) -> String {
        Settings::resolve(&raw).unwrap_err().to_string()
    }

    #[test]
    fn good_flags_resolve() {
        let settings = Settings::resolve(&raw()).unwrap();
        assert_eq!(
            settings.engines,
            vec![EngineSpec::Unix("/tmp/d.sock".into())]
        );
        assert_eq!((settings.runs, settings.warmup), (3, 1));
        assert!(!settings.comparing());
    }

    #[test]
    fn zero_and_negative_runs_are_refused() {
        assert_eq!(
            message(RawSettings { runs: 0, ..raw() }),
            "invalid --runs: must be at least 1, got 0"
        );
        assert!(message(RawSettings { runs: -2, ..raw() }).contains("got -2"));
        assert!(message(RawSettings {
            warmup: -1,
            ..raw()
        })
        .starts_with("invalid --warmup"));
        assert!(message(RawSettings {
            concurrency: 0,
            ..raw()
        })
        .starts_with("invalid --concurrency"));
    }

    #[test]
    fn unknown_engines_are_refused_with_the_spec() {
        let error = Settings::resolve(&RawSettings {
            engine: Some("podman".into()),
            ..raw()
        })
        .unwrap_err();
        assert_eq!(error.kind(), BenchErrorKind::InvalidArgument);
        assert!(error.to_string().contains("\"podman\""));
        assert!(message(RawSettings {
            engine: Some("unix://".into()),
            ..raw()
        })
        .contains("no socket path"));
    }

    #[test]
    fn embedded_resolves_and_needs_a_registry_to_run_cold() {
        let embedded = RawSettings {
            engine: Some("embedded".into()),
            ..raw()
        };
        let settings = Settings::resolve(&embedded).unwrap();
        assert_eq!(settings.engines, vec![EngineSpec::Embedded]);
        let cold = RawSettings {
            mode: "cold".into(),
            ..embedded
        };
        assert!(message(cold.clone()).starts_with("invalid --registry"));
        let pulling = RawSettings {
            registry: Some("127.0.0.1:5000".into()),
            ..cold
        };
        assert_eq!(Settings::resolve(&pulling).unwrap().mode, Mode::Cold);
    }

    #[test]
    fn compare_takes_exactly_two_engines_and_no_engine() {
        let two = vec!["unix:///a".to_string(), "unix:///b".to_string()];
        let settings = Settings::resolve(&RawSettings {
            engine: None,
            compare: two.clone(),
            ..raw()
        })
        .unwrap();
        assert!(settings.comparing());
        assert!(message(RawSettings {
            compare: two,
            ..raw()
        })
        .contains("not both"));
        assert!(message(RawSettings {
            engine: None,
            compare: vec!["unix:///a".into()],
            ..raw()
        })
        .contains("exactly two"));
    }

    #[test]
    fn cold_mode_runs_one_at_a_time() {
        let cold = RawSettings {
            mode: "cold".into(),
            ..raw()
        };
        assert_eq!(Settings::resolve(&cold).unwrap().mode, Mode::Cold);
        assert!(message(RawSettings {
            concurrency: 2,
            ..cold
        })
        .contains("one at a time"));
        assert!(message(RawSettings {
            mode: "hot".into(),
            ..raw()
        })
        .contains("use warm or cold"));
    }

    #[test]
    fn blank_images_are_refused() {
        assert!(message(RawSettings {
            image: " ".into(),
            ..raw()
        })
        .starts_with("invalid --image"));
    }
}
