//! The process identity of a container's `User` (`user`, `uid`, `user:group`, `uid:gid`),
//! looked up in the container's own `/etc/passwd` and `/etc/group` as dockerd 20.10 does before
//! it hands numbers to runc (runc's `GetExecUser`, with its texts): the first matching line
//! wins, a number is a uid or gid whether or not a line names it, and a missing file counts as
//! empty. The files are read through [`Rootfs`], so what is read is what the container would
//! see (its upper dir over the image's layers), bounded, and never outside its root.
//!
//! Pure apart from those two reads; it never takes a lock, so it can run while other verbs
//! proceed, and it never decides what a failed lookup does to the container.

use berth_sandbox::User;

use crate::rootfs::{Rootfs, RootfsError};

/// The most of a passwd or group file read (an image can hold a file of any size, or a link
/// to an endless one). Real ones are a few KiB; this is hundreds of thousands of users.
pub(crate) const ETC_FILE_CAP: u64 = 16 << 20;

/// Go's `bufio.Scanner` limit, which runc's parser inherits: a longer line fails the lookup.
const MAX_LINE: usize = 64 * 1024;

/// runc's bound on ids (`uids and gids must be in range 0-2147483647`).
const MAX_ID: i64 = i32::MAX as i64;

/// A process's identity: the sandbox's user and the home directory its passwd entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub user: User,
    pub home: String,
}

/// Why a user could not be resolved, in dockerd's words.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("unable to find user {user}: no matching entries in passwd file")]
    NoUser { user: String },
    #[error("unable to find group {group}: no matching entries in group file")]
    NoGroup { group: String },
    #[error("unable to find user {user}: {source}")]
    Passwd {
        user: String,
        #[source]
        source: Unreadable,
    },
    #[error("unable to find groups for spec {user}: {source}")]
    Group {
        user: String,
        #[source]
        source: Unreadable,
    },
    /// A `--group-add` the container's group file does not name (libcontainer's words,
    /// capital and all).
    #[error("Unable to find group {group}: no matching entries in group file")]
    NoAdditionalGroup { group: String },
    #[error("uids and gids must be in range 0-{MAX_ID}")]
    Range,
}

/// Why a passwd or group file that exists could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    #[error(transparent)]
    File(#[from] RootfsError),
    #[error("bufio.Scanner: token too long")]
    LongLine,
}

/// Resolves `spec` (empty: root) in `rootfs`.
pub(crate) fn resolve(spec: &str, rootfs: &Rootfs) -> Result<Identity, UserError> {
    let mut parts = spec.split(':');
    let user_arg = parts.next().unwrap_or_default();
    let group_arg = parts.next().unwrap_or_default();
    let uid_arg = atoi(user_arg);
    let passwd = read(rootfs, "/etc/passwd").map_err(|source| UserError::Passwd {
        user: if user_arg.is_empty() { "0" } else { user_arg }.to_string(),
        source,
    })?;
    let entry = passwd.as_deref().and_then(|text| {
        lines(text, true).map(passwd_entry).find(|u| match uid_arg {
            _ if user_arg.is_empty() => u.uid == 0,
            Some(uid) => u.uid == uid,
            None => u.name == user_arg,
        })
    });
    let (uid, mut gid, home, name) = match (entry, uid_arg) {
        (Some(u), _) => (u.uid, u.gid, u.home, u.name),
        (None, _) if user_arg.is_empty() => (0, 0, "", ""),
        (None, Some(uid)) => (in_range(uid)?, 0, "", ""),
        (None, None) => {
            return Err(UserError::NoUser {
                user: user_arg.to_string(),
            })
        }
    };
    let mut additional = Vec::new();
    if !group_arg.is_empty() || !name.is_empty() {
        let group = read(rootfs, "/etc/group").map_err(|source| UserError::Group {
            user: name.to_string(),
            source,
        })?;
        let gid_arg = atoi(group_arg);
        let groups: Vec<GroupEntry> = group
            .as_deref()
            .map(|text| lines(text, false).map(group_entry).collect())
            .unwrap_or_default();
        if group_arg.is_empty() {
            // Implicit: the primary group and every group listing the user by name.
            additional.extend(
                groups
                    .iter()
                    .filter(|g| g.members.contains(&name))
                    .map(|g| g.gid),
            );
        } else {
            let named = groups.iter().find(|g| match gid_arg {
                Some(gid) => g.gid == gid,
                None => g.name == group_arg,
            });
            gid = match (named, gid_arg) {
                (Some(g), _) => g.gid,
                (None, Some(gid)) => in_range(gid)?,
                (None, None) => {
                    return Err(UserError::NoGroup {
                        group: group_arg.to_string(),
                    })
                }
            };
        }
    }
    Ok(identity(uid, gid, additional, home))
}

/// `HostConfig.GroupAdd` as libcontainer's `GetAdditionalGroups` reads it: each entry is the
/// first group of the container's group file with that name or GID, else a number in range,
/// else an error.
pub(crate) fn additional_groups(wanted: &[String], rootfs: &Rootfs) -> Result<Vec<u32>, UserError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let group = read(rootfs, "/etc/group").map_err(|source| UserError::Group {
        user: String::new(),
        source,
    })?;
    let groups: Vec<GroupEntry> = group
        .as_deref()
        .map(|text| lines(text, false).map(group_entry).collect())
        .unwrap_or_default();
    let mut gids = Vec::new();
    for name in wanted {
        let gid = match groups
            .iter()
            .find(|g| g.name == name || g.gid.to_string() == *name)
        {
            Some(g) => g.gid,
            None => match atoi(name) {
                Some(gid) => in_range(gid)?,
                None => {
                    return Err(UserError::NoAdditionalGroup {
                        group: name.clone(),
                    })
                }
            },
        };
        let gid = gid as u32;
        if !gids.contains(&gid) {
            gids.push(gid);
        }
    }
    Ok(gids)
}

/// The sandbox's user: the supplementary groups are the primary group and the others (as
/// the reference dockerd's processes have them: `id` prints `groups=GID`).
fn identity(uid: i64, gid: i64, additional: Vec<i64>, home: &str) -> Identity {
    // Parsed fields are Go ints: anything outside u32 wraps the way a uint32 conversion would.
    let id = |v: i64| v as u32;
    let mut additional_gids = vec![id(gid)];
    for g in additional.into_iter().map(id) {
        if !additional_gids.contains(&g) {
            additional_gids.push(g);
        }
    }
    Identity {
        user: User {
            uid: id(uid),
            gid: id(gid),
            additional_gids,
        },
        home: match home {
            "" => "/".to_string(),
            home => home.to_string(),
        },
    }
}

/// The file's text, or `None` when the container has no such file.
fn read(rootfs: &Rootfs, path: &str) -> Result<Option<String>, Unreadable> {
    let Some(bytes) = rootfs.read(path, ETC_FILE_CAP)? else {
        return Ok(None);
    };
    if bytes.split(|&b| b == b'\n').any(|l| l.len() >= MAX_LINE) {
        return Err(Unreadable::LongLine);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The non-empty lines as Go's `bufio.ScanLines` gives them (a final `\r` dropped), trimmed
/// for passwd as runc trims them.
fn lines(text: &str, trim: bool) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .map(move |l| if trim { l.trim() } else { l })
        .filter(|l| !l.is_empty())
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: i64,
    gid: i64,
    home: &'a str,
}

/// `name:password:UID:GID:GECOS:directory:shell`; missing fields are empty, bad numbers 0.
fn passwd_entry(line: &str) -> PasswdEntry<'_> {
    let f: Vec<&str> = line.split(':').collect();
    let field = |i: usize| f.get(i).copied().unwrap_or_default();
    PasswdEntry {
        name: field(0),
        uid: atoi(field(2)).unwrap_or(0),
        gid: atoi(field(3)).unwrap_or(0),
        home: field(5),
    }
}

struct GroupEntry<'a> {
    name: &'a str,
    gid: i64,
    members: Vec<&'a str>,
}

/// `group_name:password:GID:user_list`.
fn group_entry(line: &str) -> GroupEntry<'_> {
    let f: Vec<&str> = line.split(':').collect();
    GroupEntry {
        name: f.first().copied().unwrap_or_default(),
        gid: f.get(2).and_then(|v| atoi(v)).unwrap_or(0),
        members: f.get(3).map(|l| l.split(',').collect()).unwrap_or_default(),
    }
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits, nothing else.
fn atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn in_range(id: i64) -> Result<i64, UserError> {
    match (0..=MAX_ID).contains(&id) {
        true => Ok(id),
        false => Err(UserError::Range),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    fn rootfs(passwd: &str, group: &str) -> (tempfile::TempDir, Rootfs) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("etc")).unwrap();
        fs::write(dir.path().join("etc/passwd"), passwd).unwrap();
        fs::write(dir.path().join("etc/group"), group).unwrap();
        let layers: Vec<PathBuf> = vec![dir.path().to_path_buf()];
        let view = Rootfs::open(None, &layers).unwrap();
        (dir, view)
    }

    fn ids(spec: &str, view: &Rootfs) -> Result<(u32, u32, Vec<u32>, String), String> {
        resolve(spec, view)
            .map(|i| (i.user.uid, i.user.gid, i.user.additional_gids, i.home))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn users_and_groups_resolve_as_runc_resolves_them() {
        let (_d, view) = rootfs(
            "root:x:0:0::/root:/bin/sh\n  bob:x:1000:100::/home/bob:/bin/sh  \nnohome:x:7:7\n",
            "staff:x:50:bob\nusers:x:100:\nwheel:x:10:alice,bob\n",
        );
        let ok = |s: &str| ids(s, &view).unwrap();
        assert_eq!(ok(""), (0, 0, vec![0], "/root".into()));
        assert_eq!(
            ok("bob"),
            (1000, 100, vec![100, 50, 10], "/home/bob".into())
        );
        assert_eq!(
            ok("1000"),
            (1000, 100, vec![100, 50, 10], "/home/bob".into())
        );
        // An explicit group replaces the memberships, as `id` shows on dockerd.
        assert_eq!(ok("bob:staff"), (1000, 50, vec![50], "/home/bob".into()));
        assert_eq!(ok("bob:7"), (1000, 7, vec![7], "/home/bob".into()));
        assert_eq!(ok("7:8"), (7, 8, vec![8], "/".into()));
        assert_eq!(ok("4242"), (4242, 0, vec![0], "/".into()));
        let err = |s: &str| ids(s, &view).unwrap_err();
        assert_eq!(
            err("nobody"),
            "unable to find user nobody: no matching entries in passwd file"
        );
        assert_eq!(
            err("bob:nogroup"),
            "unable to find group nogroup: no matching entries in group file"
        );
        assert_eq!(
            err("3000000000"),
            "uids and gids must be in range 0-2147483647"
        );
        assert_eq!(err("-1"), "uids and gids must be in range 0-2147483647");
        assert_eq!(err("0:-5"), "uids and gids must be in range 0-2147483647");
    }

    #[test]
    fn missing_files_count_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let view = Rootfs::open(None, &[dir.path().to_path_buf()]).unwrap();
        assert_eq!(ids("", &view).unwrap(), (0, 0, vec![0], "/".into()));
        assert_eq!(ids("5:6", &view).unwrap(), (5, 6, vec![6], "/".into()));
        assert!(ids("nobody", &view).is_err());
    }

    #[test]
    fn unreadable_files_fail_every_lookup_with_a_clear_text() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc/passwd")).unwrap();
        let view = Rootfs::open(None, &[dir.path().to_path_buf()]).unwrap();
        assert_eq!(
            ids("", &view).unwrap_err(),
            "unable to find user 0: read /etc/passwd: is a directory"
        );
        fs::remove_dir(dir.path().join("etc/passwd")).unwrap();
        fs::write(dir.path().join("etc/passwd"), "x".repeat(MAX_LINE)).unwrap();
        assert_eq!(
            ids("nobody", &view).unwrap_err(),
            "unable to find user nobody: bufio.Scanner: token too long"
        );
        fs::write(dir.path().join("etc/passwd"), "bob:x:1:1::/:/bin/sh\n").unwrap();
        fs::create_dir_all(dir.path().join("etc/group")).unwrap();
        assert_eq!(
            ids("bob", &view).unwrap_err(),
            "unable to find groups for spec bob: read /etc/group: is a directory"
        );
        // A uid no line names, without a group, needs no group file.
        assert_eq!(ids("2", &view).unwrap().0, 2);
    }
}
