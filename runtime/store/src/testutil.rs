//! Test helpers: layer tars built member by member, including the hostile ones no honest tar
//! writer produces (the `tar` crate's builder refuses `..` and absolute names, so names are
//! written into the header bytes directly). The root check of root-only tests is the test
//! kit's (`berth_testkit::root_or_skip`).

use std::io::Write;

use tar::{EntryType, Header};

/// A layer tar under construction.
pub struct Layer {
    builder: tar::Builder<Vec<u8>>,
}

pub const MTIME: u64 = 1_600_000_000;

impl Layer {
    pub fn new() -> Layer {
        Layer {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    /// Any member, with the name and link name written verbatim.
    pub fn raw(mut self, kind: EntryType, name: &str, link: &str, data: &[u8], mode: u32) -> Layer {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        let gnu = h.as_gnu_mut().expect("gnu header");
        assert!(name.len() < 100 && link.len() < 100, "short names only");
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_cksum();
        self.builder.append(&h, data).expect("append");
        self
    }

    pub fn dir(self, name: &str) -> Layer {
        self.raw(EntryType::Directory, name, "", b"", 0o755)
    }

    pub fn file(self, name: &str, data: &[u8]) -> Layer {
        self.raw(EntryType::Regular, name, "", data, 0o644)
    }

    pub fn symlink(self, name: &str, target: &str) -> Layer {
        self.raw(EntryType::Symlink, name, target, b"", 0o777)
    }

    pub fn hard_link(self, name: &str, target: &str) -> Layer {
        self.raw(EntryType::Link, name, target, b"", 0o644)
    }

    /// A member with owner and PAX xattrs.
    pub fn file_with(
        mut self,
        name: &str,
        data: &[u8],
        uid: u64,
        mode: u32,
        xattrs: &[(&str, &[u8])],
    ) -> Layer {
        if !xattrs.is_empty() {
            let records: Vec<(String, &[u8])> = xattrs
                .iter()
                .map(|(k, v)| (format!("SCHILY.xattr.{k}"), *v))
                .collect();
            self.builder
                .append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), *v)))
                .expect("pax");
        }
        let mut h = Header::new_gnu();
        h.set_entry_type(EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(MTIME);
        h.set_uid(uid);
        h.set_gid(uid);
        self.builder
            .append_data(&mut h, name, data)
            .expect("append");
        self
    }

    /// A character device node.
    pub fn char_device(mut self, name: &str, major: u32, minor: u32) -> Layer {
        let mut h = Header::new_gnu();
        h.set_entry_type(EntryType::Char);
        h.set_size(0);
        h.set_mode(0o666);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_device_major(major).expect("major");
        h.set_device_minor(minor).expect("minor");
        self.builder
            .append_data(&mut h, name, &b""[..])
            .expect("append");
        self
    }

    pub fn tar(self) -> Vec<u8> {
        self.builder.into_inner().expect("finish")
    }

    pub fn gzip(self) -> Vec<u8> {
        gzip(&self.tar())
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}
