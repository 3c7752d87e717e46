//! The container's `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`: files in the
//! container's directory, bound over the image's at start as dockerd does, reported by inspect
//! only once a start wrote them, and never a change of the container's own layer.

use std::fs;

use berth_lifecycle::WaitCondition;

use crate::common::{root_or_skip, TestStore};
use crate::{output, wait};

/// dockerd 20.10's `/etc/hosts` for a container on network `none` (berth's isolated network).
const DOCKERD_HOSTS: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
                             fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n\
                             ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

#[test]
fn a_container_reads_its_hostname_and_hosts_from_files_in_its_directory() {
    if !root_or_skip("a_container_reads_its_hostname_and_hosts_from_files_in_its_directory") {
        return;
    }
    let t = TestStore::new();
    let id = t.create(&[
        "sh",
        "-c",
        "cat /etc/hostname /etc/hosts; grep -c . /etc/resolv.conf",
    ]);
    assert_eq!(t.c().inspect(&id).unwrap().etc_files, None);
    t.c().start(&id).unwrap();
    wait(&t, &id, WaitCondition::NotRunning);
    let short = &id[..12];
    let (out, err) = output(&t, &id);
    assert_eq!(err, "");
    let (hostname_and_hosts, lines) = out.rsplit_once(DOCKERD_HOSTS).expect(&out);
    assert_eq!(hostname_and_hosts, format!("{short}\n"));
    assert!(lines.trim().parse::<u32>().unwrap() >= 1, "{out}");

    let info = t.c().inspect(&id).unwrap();
    let files = info
        .etc_files
        .expect("a started container reports its files");
    let dir = info.log_path.parent().unwrap();
    assert_eq!(files.hostname, dir.join("hostname"));
    assert_eq!(files.hosts, dir.join("hosts"));
    assert_eq!(files.resolv_conf, dir.join("resolv.conf"));
    assert_eq!(
        fs::read_to_string(&files.hostname).unwrap(),
        format!("{short}\n")
    );
    // The binds land on the init layer's mount points: nothing was copied up or created.
    assert!(!dir.join("upper/etc").exists());
}
