#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/ (run from anywhere;
the files are committed, this script says where they came from). Deterministic: fixed mtimes,
owners and gzip headers, so a rerun rewrites the same bytes."""
import gzip, hashlib, io, json, os, tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")


def tar(members, fmt=tarfile.PAX_FORMAT):
    """members: (name, kind, payload) with kind file|dir|symlink|link|fifo|chr."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.mode = 0o755 if kind == "dir" else 0o644
            data = None
            if kind == "file":
                data = payload.encode() if isinstance(payload, str) else payload
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "link":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            elif kind == "chr":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, payload[0], payload[1]
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def gz(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
        g.write(data)
    return out.getvalue()


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def layers():
    plain = tar([
        ("etc", "dir", None), ("etc/passwd", "file", "root:x:0:0::/:/bin/sh\n"),
        ("bin", "dir", None), ("bin/sh", "file", b"\x7fELF"), ("bin/ash", "link", "bin/sh"),
        ("lib", "symlink", "usr/lib"), ("usr/lib/.wh..wh..opq", "file", ""),
        ("tmp/.wh.gone", "file", ""), ("dev", "dir", None), ("dev/null", "chr", (1, 3)),
        ("run/fifo", "fifo", None),
    ])
    write("unpack_layer", "tree.tar", plain)
    write("unpack_layer", "tree.tar.gz", gz(plain))
    write("unpack_layer", "long-names-pax.tar", tar([("d/" + "n" * 200, "file", "x"), ("l", "symlink", "t" * 300)]))
    write("unpack_layer", "long-names-gnu.tar", tar([("d/" + "n" * 200, "file", "x")], tarfile.GNU_FORMAT))
    write("unpack_layer", "escapes.tar", tar([
        ("../up", "file", "x"), ("/abs", "file", "x"), ("l", "symlink", "/"), ("l/etc/x", "file", "x"),
        ("h", "link", "../../etc/passwd"), ("a/../../b", "file", "x"),
    ]))
    write("unpack_layer", "empty.tar", b"\0" * 1024)
    return plain


def docker_save(layer):
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer)]},
        "history": [{"created_by": "seed"}],
    }, separators=(",", ":")).encode()
    cfg_name = sha(config) + ".json"
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": ["seed:latest"],
                            "Layers": ["l/layer.tar"]}]).encode()
    save = tar([(cfg_name, "file", config), ("l", "dir", None), ("l/layer.tar", "file", layer),
                ("manifest.json", "file", manifest)])
    write("load_archive", "docker-save.tar", save)
    write("load_archive", "docker-save.tar.gz", gz(save))
    return config


def oci_layout(layer, config):
    layer_gz = gz(layer)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + sha(layer_gz), "size": len(layer_gz)}],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "sha256:" + sha(manifest), "size": len(manifest),
                       "annotations": {"org.opencontainers.image.ref.name": "seed:1"}}],
    }).encode()
    members = [("oci-layout", "file", '{"imageLayoutVersion":"1.0.0"}'), ("index.json", "file", index),
               ("blobs", "dir", None), ("blobs/sha256", "dir", None)]
    for blob in (config, layer_gz, manifest):
        members.append(("blobs/sha256/" + sha(blob), "file", blob))
    write("load_archive", "oci-layout.tar", tar(members))


def references():
    for i, r in enumerate([
        "alpine", "alpine:3.10", "library/alpine", "docker.io/library/alpine:latest",
        "127.0.0.1:5000/x/y:tag", "localhost/app", "user/app@sha256:" + "a" * 64,
        "a" * 64, "UPPER", "x:", "host:5000", "a/b/c/d:v1.2-rc_3", "ex.com/a__b", "a..b",
    ]):
        write("reference", "ref-%02d" % i, r.encode())


layer = layers()
oci_layout(layer, docker_save(layer))
references()


def requests():
    big = "*" * 300 + "x"
    seeds = [
        "GET\n/v1.41/containers/json?all=1&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D\n",
        "GET\n/images/json?filters=" + '{"reference":["%s"],"dangling":["true"]}' % big + "\n",
        "POST\n/v1.41/containers/create?name=web\n" + json.dumps({
            "Image": "busybox", "Cmd": ["sh"], "Env": ["A=1", "B"], "Labels": {"k": "v"},
            "HostConfig": {"Binds": ["/tmp:/x:ro"], "Memory": 7000000, "NetworkMode": "none",
                           "SecurityOpt": ["no-new-privileges"]}}),
        "POST\n/containers/x/stop?t=9223372036854775807\n",
        "GET\n/containers/x/logs?stdout=1&since=12.5&until=-1&tail=abc\n",
        "POST\n/containers/x/resize?h=70000&w=-1\n",
        "POST\n/v1.24/commit?container=x&repo=a/b&tag=1&pause=0&changes=CMD+ls\n{}",
        "POST\n/containers/prune?filters=%7B%22until%22%3A%5B%2210m%22%5D%7D\n",
        "DELETE\n/images/sha256:abc?force=1&noprune=1\n",
        "POST\n/exec/abc/start\n{\"Detach\":false,\"Tty\":true}",
    ]
    for i, s in enumerate(seeds):
        write("request", "req-%02d" % i, s.encode())
    for i, s in enumerate(["alpine*\nalpine:3.10", "*/*\n127.0.0.1:5000/a:b", "[a-c]?\nb1",
                           "\\*\n*", big + "\n" + "y" * 200, "[^a]\nb", "a[\nab"]):
        write("filters", "pat-%02d" % i, s.encode())


requests()
