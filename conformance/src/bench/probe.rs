//! Checks that an engine answers before any run is timed, so a wrong path or a stopped daemon
//! is reported as such (which socket, and why) instead of as a failed run.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use crate::api::http::HttpError;
use crate::bench::error::BenchError;
use crate::bench::startup::ApiTarget;

/// Builds the target for the engine on the unix socket `path` and checks it answers
/// `GET /_ping`.
pub fn connect(path: &Path) -> Result<ApiTarget, BenchError> {
    check_socket(path)?;
    let target = ApiTarget::new(&format!("unix://{}", path.display()), path);
    let response = match target.client.request("GET", "/_ping", None) {
        Ok(response) => response,
        Err(HttpError::Connect { source, .. }) => {
            return Err(unusable(
                path,
                format!("cannot connect: {source} (is the engine running?)"),
            ))
        }
        Err(source) => {
            return Err(BenchError::Unreachable {
                engine: target.name,
                source,
            })
        }
    };
    if response.status != 200 {
        return Err(BenchError::Engine {
            engine: target.name.clone(),
            step: "ping",
            status: response.status,
            message: response.message(),
        });
    }
    Ok(target)
}

fn check_socket(path: &Path) -> Result<(), BenchError> {
    let metadata = std::fs::metadata(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file (is the engine running?)".to_string(),
            _ => e.to_string(),
        };
        unusable(path, why)
    })?;
    if !metadata.file_type().is_socket() {
        return Err(unusable(path, "exists but is not a unix socket".into()));
    }
    Ok(())
}

fn unusable(path: &Path, why: String) -> BenchError {
    BenchError::SocketUnusable {
        path: path.to_path_buf(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_socket_names_its_path() {
        let text = connect(Path::new("/nonexistent/berth-bench.sock"))
            .unwrap_err()
            .to_string();
        assert!(text.contains("/nonexistent/berth-bench.sock"), "{text}");
        assert!(text.contains("no such file"), "{text}");
    }

    #[test]
    fn a_plain_file_is_not_a_socket() {
        let file = std::env::temp_dir().join(format!("berth-bench-probe-{}", std::process::id()));
        std::fs::write(&file, b"").unwrap();
        let text = connect(&file).unwrap_err().to_string();
        std::fs::remove_file(&file).unwrap();
        assert!(text.contains("not a unix socket"), "{text}");
    }

    #[test]
    fn a_socket_nobody_listens_on_is_refused() {
        let path =
            std::env::temp_dir().join(format!("berth-bench-dead-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let text = connect(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert!(text.contains("cannot connect"), "{text}");
    }
}
