//! `POST /images/load` with a hostile archive: answered as dockerd answers it (200, then an
//! `errorDetail` line with dockerd's text, which the docker CLI prints alone and exits 1),
//! with nothing spooled left behind.

use std::path::Path;

use super::{ready, skip, Daemon};

/// dockerd 20.10's answer to the archive below (checked against the reference dockerd).
const DOCKERD_TEXT: &str =
    "Error processing tar file(exit status 1): archive/tar: header field too long";

/// A tar whose first header is a GNU long name claiming 768 MiB, with 3 MiB of it present.
fn long_name_bomb() -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..13].copy_from_slice(b"././@LongLink");
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", 768u64 << 20).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'L';
    h[257..265].copy_from_slice(b"ustar  \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut bytes = h.to_vec();
    bytes.extend(vec![b'a'; 3 << 20]);
    bytes
}

#[test]
fn load_answers_a_tar_bomb_in_the_stream_with_dockerds_text() {
    if !ready("load_answers_a_tar_bomb_in_the_stream_with_dockerds_text") {
        return;
    }
    let d = Daemon::start();
    let reply = d.call(
        "POST",
        "/v1.41/images/load?quiet=1",
        Some(&long_name_bomb()),
    );
    assert_eq!(reply.status, 200);
    let line: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(line["errorDetail"]["message"], DOCKERD_TEXT);
    assert_eq!(line["error"], DOCKERD_TEXT);
    let spool = d.dir.path().join("root/tmp");
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 0, "spool left");

    let cli = Path::new("/usr/local/bin/docker");
    if skip(
        "load_answers_a_tar_bomb_in_the_stream_with_dockerds_text (CLI half)",
        (!cli.exists()).then(|| "no docker CLI at /usr/local/bin/docker".into()),
    ) {
        return;
    }
    let archive = d.dir.path().join("bomb.tar");
    std::fs::write(&archive, long_name_bomb()).unwrap();
    let out = std::process::Command::new(cli)
        .arg("-H")
        .arg(format!("unix://{}", d.socket.display()))
        .args(["load", "-i"])
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{DOCKERD_TEXT}\n")
    );
    assert!(out.stdout.is_empty());
}
