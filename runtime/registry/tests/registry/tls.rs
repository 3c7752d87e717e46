//! A registry serving HTTPS with a self-signed certificate on loopback. Loopback registries
//! are insecure in dockerd's sense: HTTPS without certificate checks is tried first, and
//! once HTTPS answered, the plain-HTTP endpoint is not tried, so its failure cannot hide the
//! registry's real answer.

use crate::support::image::{Image, Pusher, OCI_MANIFEST};
use crate::support::process::Registry;
use crate::{amd64, client, read_all, reference, require_registry};
use berth_core::{ErrorKind, Kind};
use berth_registry::ClientConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_tls_registry_is_used_without_verification_and_its_answers_are_kept() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let storage = tmp.path().join("data");
    let image = Image::new("linux/amd64", &[("tls", b"over https")], OCI_MANIFEST);
    {
        let open = Registry::start(tmp.path(), &storage, "");
        Pusher::new(&open.url()).image("secure", "v1", &image).await;
    }
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (tmp.path().join("tls.pem"), tmp.path().join("tls.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let tls = format!(
        "  tls:\n    certificate: {}\n    key: {}\n",
        cert_path.display(),
        key_path.display()
    );
    let registry = Registry::start(tmp.path(), &storage, &tls);

    let c = client(ClientConfig::default());
    let resolved = c
        .resolve(
            &reference(&format!("{}/secure:v1", registry.addr)),
            &amd64(),
        )
        .await
        .unwrap();
    assert_eq!(
        resolved.repository.base_url().as_str(),
        format!("https://{}/", registry.addr)
    );
    let layer = read_all(
        c.blob_verified(&resolved.repository, &resolved.layers[0])
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(layer, image.layers[0].bytes);

    let err = c
        .resolve(
            &reference(&format!("{}/secure:nope", registry.addr)),
            &amd64(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "manifest for {}/secure:nope not found: manifest unknown: manifest unknown",
            registry.addr
        )
    );
}
