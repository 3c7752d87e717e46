//! `pull REGISTRY IMAGE [STORE_DIR]`: pulls `REGISTRY/IMAGE` into a store (a fresh temporary
//! one unless `STORE_DIR` is given), printing dockerd's progress lines without a terminal and
//! the elapsed time on stderr. `scripts/pull-ratio` times it against the reference dockerd.
//! `BERTH_SYNC_LAYERS=0` skips the `syncfs` after each layer (dockerd's overlay2 does not
//! sync layers either), to measure what the flush costs.

use std::time::Instant;

use berth_registry::{Client, ClientConfig, Platform};
use berth_runtime::pull::pull;
use berth_store::{Store, StoreOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [registry, image, rest @ ..] = args.as_slice() else {
        return Err("usage: pull REGISTRY IMAGE [STORE_DIR]".into());
    };
    let temp = tempfile::tempdir()?;
    let root = rest.first().map_or(temp.path(), std::path::Path::new);
    let options = StoreOptions {
        sync_layers: std::env::var("BERTH_SYNC_LAYERS").as_deref() != Ok("0"),
        ..StoreOptions::default()
    };
    let store = Store::open_with(root, options)?;
    let client = Client::new(ClientConfig::default())?;
    let started = Instant::now();
    let mut print = |m: berth_registry::progress::ProgressMessage| match m.id.as_str() {
        "" => println!("{}", m.status),
        id => println!("{id}: {}", m.status),
    };
    let outcome = pull(
        &client,
        &store,
        &format!("{registry}/{image}"),
        &Platform::host(),
        &mut print,
    )
    .await?;
    eprintln!(
        "pulled {} in {:.3}s",
        outcome.id,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
