//! The guard against archives built byte by byte: every extension header kind over the cap is
//! refused after its 512-byte header and nothing more, headers at the cap pass, and the entry
//! boundaries stay in step with the `tar` crate through PAX sizes, long names and GNU sparse
//! extension blocks (a guard that lost step would let a later bomb through, so each of those
//! archives ends with one).

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

use super::*;

/// A header block as a tar writer would make it, with any type flag and size.
fn header(name: &str, kind: u8, size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(1_600_000_000);
    h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_cksum();
    h.as_bytes().to_vec()
}

fn padded(mut data: Vec<u8>) -> Vec<u8> {
    data.resize(data.len().div_ceil(512) * 512, 0);
    data
}

/// A regular file entry.
fn file(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = header(name, b'0', data.len() as u64);
    out.extend(padded(data.to_vec()));
    out
}

/// A PAX record as `tar` writes one: `<len> <key>=<value>\n`.
fn record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

fn end() -> Vec<u8> {
    vec![0; 1024]
}

/// A stream that counts the bytes taken from it.
struct Counting<R> {
    inner: R,
    taken: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken.set(self.taken.get() + n as u64);
        Ok(n)
    }
}

/// Lists the archive through the guard: the member names, or the first error.
fn list(bytes: &[u8]) -> Result<Vec<String>, io::Error> {
    let mut names = Vec::new();
    for entry in archive(bytes).entries()? {
        let mut entry = entry?;
        names.push(String::from_utf8_lossy(&entry.path_bytes()).into_owned());
        io::copy(&mut entry, &mut io::sink())?;
    }
    Ok(names)
}

/// A bomb: an extension header of `kind` claiming 768 MiB, with 3 MiB of it present.
fn bomb(kind: u8) -> Vec<u8> {
    let mut out = header("././@LongLink", kind, 768 << 20);
    out.extend(vec![b'a'; 3 << 20]);
    out
}

#[test]
fn every_oversized_extension_header_is_refused_after_its_header_alone() {
    for kind in [b'L', b'K', b'x', b'g'] {
        let bytes = bomb(kind);
        let taken = Rc::new(Cell::new(0));
        let reader = Counting {
            inner: &bytes[..],
            taken: Rc::clone(&taken),
        };
        let err = tar::Archive::new(TarGuard::new(reader))
            .entries()
            .unwrap()
            .find_map(Result::err)
            .expect("bomb accepted");
        assert_eq!(fault_of(&err), Some(TarFault::FieldTooLong), "{err}");
        assert_eq!(err.to_string(), "archive/tar: header field too long");
        assert_eq!(
            taken.get(),
            512,
            "type {}: read past the header",
            kind as char
        );
    }
}

#[test]
fn extension_headers_up_to_the_cap_pass_and_one_byte_more_does_not() {
    let name = "n".repeat(MAX_SPECIAL as usize - 1);
    let mut at_cap = header("././@LongLink", b'L', MAX_SPECIAL);
    at_cap.extend(padded(format!("{name}\0").into_bytes()));
    at_cap.extend(file("short", b"x"));
    at_cap.extend(end());
    assert_eq!(list(&at_cap).unwrap(), [name]);

    let mut over = header("././@LongLink", b'L', MAX_SPECIAL + 1);
    over.extend(padded(vec![b'n'; MAX_SPECIAL as usize + 1]));
    over.extend(file("short", b"x"));
    over.extend(end());
    assert_eq!(
        fault_of(&list(&over).unwrap_err()),
        Some(TarFault::FieldTooLong)
    );
}

#[test]
fn a_pax_size_record_moves_the_next_boundary_as_the_tar_crate_does() {
    // The ustar header says 0 bytes; the PAX header says 1000, and the crate believes PAX. A
    // guard that believed the ustar header would take the 1000 bytes for headers and miss the
    // bomb behind them.
    let pax = record("size", "1000");
    let mut bytes = header("PaxHeaders/f", b'x', pax.len() as u64);
    bytes.extend(padded(pax));
    bytes.extend(header("f", b'0', 0));
    bytes.extend(padded(vec![0; 1000]));
    bytes.extend(bomb(b'L'));
    let err = list(&bytes).unwrap_err();
    assert_eq!(fault_of(&err), Some(TarFault::FieldTooLong), "{err}");
}

#[test]
fn a_pax_size_survives_a_long_name_between_it_and_its_entry() {
    let pax = record("size", "700");
    let mut bytes = header("PaxHeaders/f", b'x', pax.len() as u64);
    bytes.extend(padded(pax));
    let long = "d/".repeat(80) + "f";
    bytes.extend(header("././@LongLink", b'L', long.len() as u64 + 1));
    bytes.extend(padded(format!("{long}\0").into_bytes()));
    bytes.extend(header("f", b'0', 0));
    bytes.extend(padded(vec![7; 700]));
    bytes.extend(file("after", b"ok"));
    bytes.extend(end());
    assert_eq!(list(&bytes).unwrap(), [long, "after".to_string()]);
    bytes.truncate(bytes.len() - 1024 - 1024);
    bytes.extend(bomb(b'K'));
    assert_eq!(
        fault_of(&list(&bytes).unwrap_err()),
        Some(TarFault::FieldTooLong)
    );
}

#[test]
fn gnu_sparse_extension_blocks_are_followed() {
    // A sparse file whose map lives in one extension block: 512 bytes of data at offset 1024.
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(512);
    h.set_mode(0o644);
    h.as_gnu_mut().unwrap().name[..1].copy_from_slice(b"s");
    h.as_gnu_mut().unwrap().isextended[0] = 1;
    h.as_gnu_mut().unwrap().realsize = octal12(1536);
    h.set_cksum();
    let mut ext = tar::GnuExtSparseHeader::new();
    ext.sparse[0].offset = octal12(1024);
    ext.sparse[0].numbytes = octal12(512);
    let mut bytes = h.as_bytes().to_vec();
    bytes.extend(ext.as_bytes());
    bytes.extend(vec![9; 512]);
    bytes.extend(file("after", b"ok"));
    bytes.extend(end());
    assert_eq!(list(&bytes).unwrap(), ["s", "after"]);
    bytes.truncate(bytes.len() - 1024 - 1024);
    bytes.extend(bomb(b'x'));
    assert_eq!(
        fault_of(&list(&bytes).unwrap_err()),
        Some(TarFault::FieldTooLong)
    );
}

fn octal12(n: u64) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..11].copy_from_slice(format!("{n:011o}").as_bytes());
    out
}

#[test]
fn an_honest_archive_passes_through_byte_for_byte() {
    let mut builder = tar::Builder::new(Vec::new());
    let long = format!("{}/file", "deep".repeat(40));
    for (name, data) in [("a", &b"hello"[..]), (&long[..], &[1u8; 3000][..])] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        builder.append_data(&mut h, name, data).unwrap();
    }
    builder
        .append_pax_extensions([("SCHILY.xattr.user.k", &b"v"[..])])
        .unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(4);
    h.set_mode(0o600);
    builder
        .append_data(&mut h, "with-xattr", &b"data"[..])
        .unwrap();
    let bytes = builder.into_inner().unwrap();
    let mut through = Vec::new();
    TarGuard::new(&bytes[..]).read_to_end(&mut through).unwrap();
    assert_eq!(through, bytes);
    assert_eq!(list(&bytes).unwrap(), ["a", &long[..], "with-xattr"]);
}

#[test]
fn seeking_over_entries_keeps_step_and_still_finds_the_bomb() {
    let mut bytes = file("a", &[5; 5000]);
    bytes.extend(file("b", b"x"));
    bytes.extend(bomb(b'g'));
    let mut archive = tar::Archive::new(TarGuard::new(Cursor::new(bytes)));
    let mut names = Vec::new();
    let mut failure = None;
    for entry in archive.entries_with_seek().unwrap() {
        match entry {
            Ok(e) => names.push(String::from_utf8_lossy(&e.path_bytes()).into_owned()),
            Err(e) => failure = Some(e),
        }
    }
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        failure.and_then(|e| fault_of(&e)),
        Some(TarFault::FieldTooLong)
    );
}

#[test]
fn an_unreadable_size_is_an_invalid_header() {
    let mut bytes = header("f", b'0', 0);
    bytes[124..136].copy_from_slice(b"zzzzzzzzzzz\0");
    let mut h = tar::Header::new_old();
    h.as_mut_bytes().copy_from_slice(&bytes[..512]);
    h.set_cksum();
    bytes[..512].copy_from_slice(h.as_bytes());
    let err = list(&bytes).unwrap_err();
    assert_eq!(fault_of(&err), Some(TarFault::InvalidHeader), "{err}");
}

/// Every tar the runtime reads from outside goes through the guard: no other code opens a
/// `tar::Archive`. (Writers, `tar::Builder`, are not readers.)
#[test]
fn no_runtime_code_reads_a_tar_around_the_guard() {
    let runtime = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut offenders = Vec::new();
    for krate in [
        "store",
        "registry",
        "lifecycle",
        "daemon",
        "sandbox",
        "core",
        ".",
    ] {
        scan(&runtime.join(krate).join("src"), &mut offenders);
    }
    assert!(
        offenders.is_empty(),
        "tar read around the guard: {offenders:?}"
    );
}

fn scan(dir: &std::path::Path, offenders: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, offenders);
            continue;
        }
        let guard_itself = path.ends_with("store/src/tar_guard.rs")
            || path.ends_with("store/src/tar_guard/tests.rs");
        if path.extension().is_none_or(|e| e != "rs") || guard_itself {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // A module's own tests may read back a tar they wrote: only what runs in the daemon
        // counts, and test modules come last in a file by this workspace's habit.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for needle in ["Archive::new(", "tar::Archive<"] {
            if text.contains(needle) {
                offenders.push(format!("{}: {needle}", path.display()));
            }
        }
    }
}

#[test]
fn a_header_with_a_wrong_checksum_is_left_to_the_crate_to_refuse() {
    let mut bytes = bomb(b'L');
    bytes[0] ^= 1;
    let err = list(&bytes).unwrap_err();
    assert_eq!(fault_of(&err), None);
    assert_eq!(err.to_string(), "archive header checksum mismatch");
}
