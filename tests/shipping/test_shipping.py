"""What make release and make image produce, checked as a user of them would: the archives
and their notices, the SBOMs against what --version says, the OCI layout with skopeo and
umoci, and the image's own /podhealth run from its unpacked root as uid 65532, on amd64
and (under qemu-user) on arm64."""
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RELEASE = os.path.join(ROOT, "build", "release")
LAYOUT = os.path.join(ROOT, "build", "image")
with open(os.path.join(ROOT, "VERSION")) as _f:
    VERSION = _f.read().strip()
ARCHES = ("amd64", "arm64")
LIBS = ("musl", "llhttp", "mbedtls")


def sh(*argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT, **kw).stdout


def runs(arch, binary, *args, user=None):
    """Runs a release binary (arm64 under qemu-user), as uid user when given."""
    argv = (["qemu-aarch64-static"] if arch == "arm64" else []) + [binary] + list(args)
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + argv
    return subprocess.run(argv, capture_output=True, text=True)


def table():
    rows = [l.split("\t") for l in sh("tools/libs.sh", "table").splitlines()]
    return {r[0]: {"source": r[1], "version": r[2], "licence": r[3], "notice": r[4]} for r in rows}


@pytest.fixture(scope="module")
def peer():
    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/healthz" % srv.server_address[1]
    srv.shutdown()


def test_sha256sums_cover_every_artefact():
    listed = {}
    with open(os.path.join(RELEASE, "SHA256SUMS")) as f:
        for line in f:
            digest, name = line.split()
            listed[name] = digest
    files = sorted(n for n in os.listdir(RELEASE) if n != "SHA256SUMS")
    assert sorted(listed) == files
    for name in files:
        with open(os.path.join(RELEASE, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == listed[name], name
    for arch in ARCHES:
        for suffix in ("", ".tar.gz", ".spdx.json"):
            assert "podhealth-%s-linux-%s%s" % (VERSION, arch, suffix) in listed


@pytest.mark.parametrize("arch", ARCHES)
def test_release_binary_and_archive(arch):
    name = "podhealth-%s-linux-%s" % (VERSION, arch)
    binary = os.path.join(RELEASE, name)
    info = sh("file", "-b", binary)
    assert "statically linked" in info and ("x86-64" if arch == "amd64" else "aarch64") in info
    with open(binary, "rb") as f:
        data = f.read()
    assert ROOT.encode() not in data  # no build path in the binary: rebuilds give these bytes
    with tarfile.open(binary + ".tar.gz") as t:
        members = {m.name: m for m in t.getmembers()}
        notices = {table()[lib]["notice"] for lib in LIBS}
        want = {"podhealth", "podhealth.1", "LICENSE", "licenses"} | \
            {"licenses/" + n for n in notices | {"podhealth-LICENSE"}}
        assert set(members) == {"%s/%s" % (name, w) for w in want} | {name}
        assert all(m.uid == 0 and m.gid == 0 for m in members.values())
        assert t.extractfile(name + "/podhealth").read() == data
        assert b"Apache License" in t.extractfile(name + "/LICENSE").read()
        # Mbed TLS's notice names the holders of its third-party code compiled in too
        mbedtls = t.extractfile("%s/licenses/%s" % (name, table()["mbedtls"]["notice"])).read()
        assert b"Copyright: 2016-2018 INRIA and Microsoft Corporation" in mbedtls
    r = runs(arch, binary, "--version")
    assert r.returncode == 0
    assert r.stdout.splitlines()[1] == "built with %s (Debian package versions)" % sh(
        "tools/libs.sh", "versions").strip()


@pytest.mark.parametrize("arch", ARCHES)
def test_sbom_is_spdx_and_matches_the_binary(arch):
    name = "podhealth-%s-linux-%s" % (VERSION, arch)
    with open(os.path.join(RELEASE, name + ".spdx.json")) as f:
        doc = json.load(f)
    # SPDX 2.3's required document fields.
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0"
    assert doc["SPDXID"] == "SPDXRef-DOCUMENT" and doc["name"] == name
    assert doc["documentNamespace"].startswith("https://") and doc["creationInfo"]["creators"]
    created = doc["creationInfo"]["created"]
    assert len(created) == 20 and created.endswith("Z")
    packages = {p["SPDXID"]: p for p in doc["packages"]}
    for p in packages.values():
        for field in ("name", "downloadLocation", "licenseConcluded", "licenseDeclared",
                      "copyrightText"):
            assert field in p, (p["SPDXID"], field)
    ids = set(packages) | {"SPDXRef-DOCUMENT"}
    assert all(r["spdxElementId"] in ids and r["relatedSpdxElement"] in ids
               for r in doc["relationships"])
    me = packages["SPDXRef-podhealth"]
    with open(os.path.join(RELEASE, name), "rb") as f:
        assert me["checksums"] == [{"algorithm": "SHA256",
                                    "checksumValue": hashlib.sha256(f.read()).hexdigest()}]
    assert me["versionInfo"] == VERSION and me["licenseDeclared"] == "Apache-2.0"
    # Every component --version names, at the version it names and the build used.
    version_line = runs(arch, os.path.join(RELEASE, name), "--version").stdout.splitlines()[1]
    libs = table()
    for lib in LIBS:
        p = packages["SPDXRef-" + lib]
        assert p["versionInfo"] == libs[lib]["version"]
        assert p["externalRefs"][0]["referenceLocator"] == "pkg:deb/debian/%s@%s?arch=source" % (
            libs[lib]["source"], libs[lib]["version"])
        shown = libs[lib]["version"].split("~")[0] if lib == "llhttp" else libs[lib]["version"]
        assert "%s %s" % (lib, shown) in version_line
        assert {"spdxElementId": "SPDXRef-podhealth", "relationshipType": "CONTAINS",
                "relatedSpdxElement": "SPDXRef-" + lib} in doc["relationships"]


def test_image_index_has_both_platforms():
    index = json.loads(sh("skopeo", "inspect", "--raw", "oci:%s:%s" % (LAYOUT, VERSION)))
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert sorted((m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]) == \
        [("linux", "amd64"), ("linux", "arm64")]
    # What a push does (skopeo copy --all), to another layout: both platforms travel.
    with tempfile.TemporaryDirectory() as d:
        sh("skopeo", "copy", "--all", "oci:%s:%s" % (LAYOUT, VERSION), "oci:%s:%s" % (d, VERSION))
        copied = json.loads(sh("skopeo", "inspect", "--raw", "oci:%s:%s" % (d, VERSION)))
        assert [m["digest"] for m in copied["manifests"]] == [m["digest"] for m in index["manifests"]]


@pytest.mark.parametrize("arch", ARCHES)
def test_image_config(arch):
    config = json.loads(sh("skopeo", "inspect", "--config", "oci:%s:%s" % (LAYOUT, arch)))
    assert (config["os"], config["architecture"]) == ("linux", arch)
    c = config["config"]
    assert c["User"] == "65532:65532"
    assert c["Entrypoint"] == ["/podhealth"] and c["Cmd"] == ["serve"]
    labels = c["Labels"]
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.revision"] == sh("git", "rev-parse", "HEAD").strip() or \
        labels["org.opencontainers.image.revision"] == "unknown"
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0 AND MIT"
    assert labels["org.opencontainers.image.created"] == config["created"]
    assert "org.opencontainers.image.source" in labels


@pytest.mark.parametrize("arch", ARCHES)
def test_image_runs_from_its_unpacked_root(arch, peer):
    d = tempfile.mkdtemp()
    try:
        sh("umoci", "unpack", "--rootless", "--image", "%s:%s" % (LAYOUT, arch), os.path.join(d, "b"))
        rootfs = os.path.join(d, "b", "rootfs")
        found = sorted(os.path.relpath(os.path.join(dp, n), rootfs)
                       for dp, dns, fns in os.walk(rootfs) for n in dns + fns)
        libs = table()
        assert found == sorted(["podhealth", "licenses"] + ["licenses/" + n for n in
                                [libs[l]["notice"] for l in LIBS] + ["podhealth-LICENSE"]])
        os.chmod(d, 0o755)
        for p in (os.path.join(d, "b"), rootfs):
            os.chmod(p, 0o755)
        if arch == "amd64" and os.geteuid() == 0:
            # The unpacked root alone, as the image's user: nothing else is there.
            r = subprocess.run(["chroot", "--userspec=65532:65532", rootfs, "/podhealth", "probe",
                                "-v", peer], capture_output=True, text=True)
        else:
            r = runs(arch, os.path.join(rootfs, "podhealth"), "probe", "-v", peer,
                     user=65532 if os.geteuid() == 0 else None)
        assert r.returncode == 0 and r.stderr == "[+]%s ok\n" % peer.split("//")[1], (r.stdout, r.stderr)
    finally:
        shutil.rmtree(d)
