//! Hostile archives, built byte by byte in the test: `docker save` archives around layers with
//! FIFO or symlinked `/etc/passwd`, entries that climb out of the layer, and tar headers that
//! claim hundreds of megabytes for a name.

use sha2::Digest;
use tar::{EntryType, Header};

/// One entry of a layer.
#[derive(Debug, Clone)]
pub enum Entry {
    Dir(&'static str),
    File(String, Vec<u8>),
    Fifo(&'static str),
    Symlink(String, String),
    Hardlink(String, String),
}

/// A layer tar of `entries`, in order. Names and link targets are written into the header as
/// they are (the tar crate's own setters refuse `..`, which is the point of some entries).
pub fn layer(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut h = Header::new_gnu();
        h.set_mode(0o755);
        h.set_mtime(0);
        h.set_size(0);
        let (name, data): (&str, &[u8]) = match entry {
            Entry::Dir(name) => {
                h.set_entry_type(EntryType::Directory);
                (name, &[])
            }
            Entry::File(name, data) => {
                h.set_size(data.len() as u64);
                (name, data)
            }
            Entry::Fifo(name) => {
                h.set_entry_type(EntryType::Fifo);
                (name, &[])
            }
            Entry::Symlink(name, target) | Entry::Hardlink(name, target) => {
                let kind = match entry {
                    Entry::Symlink(..) => EntryType::Symlink,
                    _ => EntryType::Link,
                };
                h.set_entry_type(kind);
                raw(&mut h.as_old_mut().linkname, target);
                (name, &[])
            }
        };
        raw(&mut h.as_old_mut().name, name);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// Writes `text` into a fixed header field (at most its 100 bytes).
fn raw(field: &mut [u8; 100], text: &str) {
    assert!(
        text.len() <= field.len(),
        "{text} is too long for a plain header"
    );
    field.fill(0);
    field[..text.len()].copy_from_slice(text.as_bytes());
}

fn hex(data: &[u8]) -> String {
    format!("{:x}", sha2::Sha256::digest(data))
}

/// A `docker save` archive of one image, `tag`, made of `layers` (each a plain tar; a layer
/// may be hostile bytes that are not a valid tar at all), running `cmd`.
pub fn docker_save(tag: &str, layers: &[Vec<u8>], cmd: &[&str]) -> Vec<u8> {
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": cmd},
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| format!("sha256:{}", hex(l))).collect::<Vec<_>>(),
        },
    });
    let config = serde_json::to_vec(&config).unwrap();
    let layer_names: Vec<String> = layers
        .iter()
        .map(|l| format!("{}/layer.tar", hex(l)))
        .collect();
    let manifest = serde_json::json!([{
        "Config": format!("{}.json", hex(&config)),
        "RepoTags": [tag],
        "Layers": layer_names,
    }]);
    let mut files = vec![(format!("{}.json", hex(&config)), config.clone())];
    for (name, data) in layer_names.iter().zip(layers) {
        files.push((name.clone(), data.clone()));
    }
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = Header::new_ustar();
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// A tar whose first header is of `kind` (`L`: a GNU long name, `x`: a PAX header) and claims
/// `claimed` bytes, followed by `sent` bytes of it: a reader that believes the header buffers
/// the claim (the archive: 768 MiB claimed, 3 MiB sent, 885 MB of daemon memory).
pub fn header_bomb(kind: EntryType, claimed: u64, sent: usize) -> Vec<u8> {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(claimed);
    h.set_mode(0o644);
    h.set_mtime(0);
    let name: &[u8] = if kind == EntryType::GNULongName {
        b"././@LongLink"
    } else {
        b"PaxHeaders/x"
    };
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend(std::iter::repeat_n(b'a', sent));
    out
}

/// `/etc/passwd` as some hostile thing, plus a real `/etc/group`.
pub fn passwd_image(tag: &str, passwd: Entry) -> Vec<u8> {
    let layer = layer(&[
        Entry::Dir("etc"),
        passwd,
        Entry::File("etc/group".into(), b"root:x:0:\n".to_vec()),
    ]);
    docker_save(tag, &[layer], &["/true"])
}
