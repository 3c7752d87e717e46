//! Authenticated registries: docker-registry with htpasswd (Basic) and with token auth
//! (Bearer, tokens from an in-test token service). Images are pushed into an open registry
//! first; the authenticated one serves the same storage directory.

use crate::support::image::{Image, Pusher, OCI_MANIFEST};
use crate::support::process::Registry;
use crate::support::token::{TokenService, PASSWORD, USER};
use crate::{amd64, client, read_all, reference, require_registry};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use berth_core::{ErrorKind, Kind};
use berth_registry::{BasicCredentials, ClientConfig, Credentials};
use std::path::Path;

/// Pushes one image into a fresh storage directory and returns it.
async fn seed(dir: &Path, storage: &Path) -> Image {
    let open = Registry::start(dir, storage, "");
    let image = Image::new(
        "linux/amd64",
        &[("secret", b"only for alice\n")],
        OCI_MANIFEST,
    );
    Pusher::new(&open.url())
        .image("private", "v1", &image)
        .await;
    image
}

fn with_credentials(host: &str, user: &str, password: &str) -> ClientConfig {
    let mut credentials = Credentials::none();
    credentials.insert(host, BasicCredentials::new(user, password));
    ClientConfig {
        credentials,
        ..ClientConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_registry_takes_credentials_from_config_json_and_refuses_others() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let storage = tmp.path().join("data");
    let image = seed(tmp.path(), &storage).await;
    let hash = bcrypt::hash_with_result(PASSWORD, 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    let htpasswd = tmp.path().join("htpasswd");
    std::fs::write(&htpasswd, format!("{USER}:{hash}\n")).unwrap();
    let auth = format!(
        "auth:\n  htpasswd:\n    realm: berth-test\n    path: {}\n",
        htpasswd.display()
    );
    let registry = Registry::start(tmp.path(), &storage, &auth);
    let r = reference(&format!("{}/private:v1", registry.addr));

    let config_json = tmp.path().join("config.json");
    let auth_field = STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(
        &config_json,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{auth_field}"}}}}}}"#,
            registry.addr
        ),
    )
    .unwrap();
    let credentials = Credentials::from_config_file(&config_json).unwrap();
    let alice = client(ClientConfig {
        credentials,
        ..ClientConfig::default()
    });
    let resolved = alice.resolve(&r, &amd64()).await.unwrap();
    assert_eq!(resolved.digest().to_string(), image.manifest.digest);
    let layer = read_all(
        alice
            .blob_verified(&resolved.repository, &resolved.layers[0])
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(layer, image.layers[0].bytes);

    let manifest_url = format!("http://{}/v2/private/manifests/v1", registry.addr);
    for config in [
        with_credentials(&registry.addr, USER, "wrong"),
        ClientConfig::default(),
    ] {
        let err = client(config).resolve(&r, &amd64()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
        assert_eq!(
            err.to_string(),
            format!("Get \"{manifest_url}\": unauthorized: authentication required")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_auth_registry_gets_one_token_per_scope_and_refuses_bad_logins() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let storage = tmp.path().join("data");
    let image = seed(tmp.path(), &storage).await;
    let cert = tmp.path().join("token.pem");
    let tokens = TokenService::start(&cert).await;
    let registry = Registry::start(tmp.path(), &storage, &tokens.registry_config(&cert));
    let r = reference(&format!("{}/private:v1", registry.addr));

    let alice = client(with_credentials(&registry.addr, USER, PASSWORD));
    let resolved = alice.resolve(&r, &amd64()).await.unwrap();
    assert_eq!(
        resolved.config_bytes.as_ref(),
        image.config.bytes.as_slice()
    );
    let layer = read_all(
        alice
            .blob_verified(&resolved.repository, &resolved.layers[0])
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(layer, image.layers[0].bytes);
    alice.resolve(&r, &amd64()).await.unwrap();
    assert_eq!(
        tokens.issued(),
        1,
        "manifest, config, layer and a second resolve share one cached token"
    );

    let manifest_url = format!("http://{}/v2/private/manifests/v1", registry.addr);
    let err = client(with_credentials(&registry.addr, USER, "wrong"))
        .resolve(&r, &amd64())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(
        err.to_string(),
        format!("Get \"{manifest_url}\": unauthorized: incorrect username or password")
    );

    // Anonymous: the token service grants nothing, the registry refuses the token.
    let err = client(ClientConfig::default())
        .resolve(&r, &amd64())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(
        err.to_string(),
        format!("Get \"{manifest_url}\": unauthorized: authentication required")
    );
}
