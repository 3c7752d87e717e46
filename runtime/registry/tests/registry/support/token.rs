//! A token service for docker-registry's `auth: token:` mode. It signs ES256 JWTs with a
//! fresh self-signed certificate (the registry's `rootcertbundle`), putting the certificate
//! in the `x5c` header as distribution expects. `alice`/`secret` gets pull access to the
//! scope asked for; anonymous callers get a token with no access; wrong passwords get 401
//! with Docker Hub's `{"details": ...}` body. It counts the tokens it issues.

use super::server::{json, serve, Server};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub const ISSUER: &str = "berth-test-issuer";
pub const SERVICE: &str = "berth-test-registry";
pub const USER: &str = "alice";
pub const PASSWORD: &str = "secret";

pub struct TokenService {
    pub server: Server,
    pub issued: Arc<AtomicUsize>,
}

struct Signer {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
}

impl TokenService {
    /// Starts the service and writes its certificate to `cert_path`.
    pub async fn start(cert_path: &Path) -> TokenService {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["berth-test-token".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(cert_path, cert.pem()).unwrap();
        let signer = Arc::new(Signer {
            key: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.serialize_der())
                .unwrap(),
            cert_der: cert.der().to_vec(),
        });
        let issued = Arc::new(AtomicUsize::new(0));
        let counter = issued.clone();
        let server = serve(move |req| {
            let (signer, counter) = (signer.clone(), counter.clone());
            async move { answer(&signer, &counter, &req) }
        })
        .await;
        TokenService { server, issued }
    }

    /// The `auth:` block of the registry config.
    pub fn registry_config(&self, cert_path: &Path) -> String {
        format!(
            "auth:\n  token:\n    realm: {}/token\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.server.url(),
            cert_path.display()
        )
    }

    pub fn issued(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }
}

fn answer(
    signer: &Signer,
    counter: &AtomicUsize,
    req: &hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<super::server::Body> {
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| {
            reqwest::Url::parse(&format!("http://x/?{q}"))
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let user = match req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        None => None,
        Some(value) if value == basic(USER, PASSWORD) => Some(USER),
        Some(_) => return json(401, json!({"details": "incorrect username or password"})),
    };
    let scope = param("scope").unwrap_or_default();
    let access = match (user, scope.split(':').collect::<Vec<_>>().as_slice()) {
        (Some(_), ["repository", name, _actions]) => {
            json!([{"type": "repository", "name": name, "actions": ["pull"]}])
        }
        _ => json!([]),
    };
    counter.fetch_add(1, Ordering::SeqCst);
    let token = signer.sign(
        user.unwrap_or(""),
        param("service").as_deref().unwrap_or(""),
        access,
    );
    json(200, json!({"token": token, "expires_in": 300}))
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

impl Signer {
    fn sign(&self, subject: &str, audience: &str, access: serde_json::Value) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header =
            json!({"typ": "JWT", "alg": "ES256", "x5c": [STANDARD.encode(&self.cert_der)]});
        let claims = json!({
            "iss": ISSUER, "sub": subject, "aud": audience,
            "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("t{now}"),
            "access": access,
        });
        let b64 = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let signature = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}
