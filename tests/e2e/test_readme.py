"""The examples of the README and of doc/*.md, run: every transcript ("$ podhealth ..." and
what it prints), the environment-only example against local upstreams, every --check spec,
and every podhealth command line in their YAML fragments; and every link between the pages
lands on a heading."""
import glob
import os
import re
import sys

import pytest
import yaml  # python3-yaml (tools/deps.sh test): missing, the file fails

from conftest import BIN, STATIC, Podhealth, Upstream, free_port, get, port_is_free, run
from peers import ROOT, Certs

sys.path.insert(0, os.path.join(ROOT, "bench"))
import targets  # noqa: E402 (bench/targets.py: the budgets)

# Manifests and the pages' examples use the meshes' fixed ports: see conftest.fixed_ports.
pytestmark = pytest.mark.usefixtures("fixed_ports")


PAGES = [os.path.normpath(p) for p in [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "doc", "*.md")))]
TEXT = {}
for _page in PAGES:
    with open(_page) as _f:
        TEXT[_page] = _f.read()
BLOCKS = [b for t in TEXT.values() for b in re.findall(r"^( *)```(\w*)\n(.*?)^\1```$", t, re.S | re.M)]


def code(lang=None):
    """The pages' fenced blocks (of one language), their indentation removed."""
    out = []
    for indent, kind, body in BLOCKS:
        if lang is None or kind == lang:
            out.append("\n".join(l[len(indent):] for l in body.splitlines()))
    return out


def transcripts():
    """(command line, expected output) for each "$ podhealth" line of a block."""
    found = []
    for block in code():
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ podhealth "):
                end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("$ ")),
                           len(lines))
                found.append((line[2:], "\n".join(lines[i + 1:end]) + "\n"))
    return found


@pytest.mark.parametrize("line,want", transcripts(), ids=lambda v: v[:40] if isinstance(v, str) else "")
def test_transcripts(line, want):
    rc, out, err = run(line.split()[1:])
    if not STATIC:
        # The glibc test builds name glibc where the shipped binary names musl.
        want = re.sub(r"built with musl \S+,", "built with glibc (a test build),", want)
    assert out + err == want


def test_there_are_transcripts():
    assert len(transcripts()) >= 2


def test_environment_example():
    """The "Environment only" block, with its localhost ports moved to local upstreams."""
    block = next(b for b in code("yaml") if "PODHEALTH_CHECK\n" in b or "PODHEALTH_CHECK," in b)
    env = {e["name"]: e["value"] for e in yaml.safe_load(block)["env"]}
    green = b'{"cluster_name":"logs","status":"green","number_of_nodes":3}'
    ups = {"15021": Upstream(200), "8080": Upstream(200), "5432": Upstream(200),
           "9200": Upstream(200, body=green)}
    port = free_port()
    env["PODHEALTH_PORT"] = str(port)
    for k in ("PODHEALTH_CHECKS", "PODHEALTH_CHECK"):
        for old, u in ups.items():
            env[k] = env[k].replace("localhost:%s/" % old, "localhost:%d/" % u.port)
            env[k] = env[k].replace("localhost:%s," % old, "localhost:%d," % u.port)
    assert all("localhost:%s" % old not in env["PODHEALTH_CHECKS"] + env["PODHEALTH_CHECK"]
               for old in ups)
    p = Podhealth([], env=env, ready_port=port)  # no args at all: serve from the environment
    try:
        r = get(port, "/all?verbose")
        assert (r.status, r.body) == (200, "[+]envoy ok\n[+]app ok\n[+]db ok\n[+]search ok\ncheck passed\n")
        # The quotes are part of what is looked for: a cluster that is not green fails.
        ups["9200"].body = green.replace(b"green", b"yellow")
        r = get(port, "/all/search")
        assert r.status == 503 and 'body does not contain' in r.body and '"status":"green"' in r.body
    finally:
        p.stop()
        p.cleanup()
        for u in ups.values():
            u.stop()


def test_check_specs():
    """Every --check SPEC a page shows is accepted (exit 0 or 1, never 2)."""
    specs = set(re.findall(r"--check (\S*url=\S+)", "\n".join(code())))
    assert len(specs) >= 4
    certs = Certs()
    for spec in specs:
        spec = re.sub(r"ca=/etc/podhealth/ca\.pem", "ca=" + certs.ca, spec)
        # A cluster's names are not looked up here (tests resolve localhost only): a lookup
        # would leave the machine, and one slower than the probe's timeout outlives it.
        if "socket=" not in spec:
            spec = re.sub(r"://[a-z0-9.-]+\.internal\b", "://localhost", spec)
        rc, _, err = run(["probe", "--timeout", "100ms", "--check", spec])
        assert rc in (0, 1), (spec, err)


def podhealth_argvs():
    """Each podhealth command line in the pages' YAML: (argv after the binary, env)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            argv = (node.get("command") or []) + (node.get("args") or [])
            image = str(node.get("image", ""))
            if argv and (argv[0] == "/podhealth" or "podhealth" in image):
                env = {e["name"]: e["value"] for e in node.get("env", []) if "value" in e}
                found.append((argv[1:] if argv[0] == "/podhealth" else argv, env))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for block in code("yaml"):
        walk(yaml.safe_load(block))
    return found


def test_yaml_command_lines():
    """Every podhealth command line in the YAML examples runs as written: serve starts
    and answers, wait waits (its proxy is absent here) until a short deadline, probe
    finishes with a verdict."""
    argvs = podhealth_argvs()
    modes = {a[0] if a[0] in ("serve", "wait", "probe") else "legacy" for a, _ in argvs}
    assert {"serve", "wait", "probe"} <= modes
    for argv, env in argvs:
        if argv[0] == "wait":
            cut = argv.index("--") if "--" in argv else len(argv)
            argv = argv[:cut] + ["--deadline", "300ms"] + argv[cut:]
            env = dict(env, PODHEALTH_DEADLINE="300ms")
            rc, _, err = run(argv, env=dict(os.environ, **env))
            assert rc == 1 and "deadline passed" in err, (argv, err)
        elif argv[0] == "probe":
            rc, _, err = run(argv)
            assert rc in (0, 1), (argv, err)
        else:
            port = int(env.get("PODHEALTH_PORT", argv[argv.index("--port") + 1]
                               if "--port" in argv else 8081))
            if not port_is_free(port):
                pytest.fail("port %d is held by a process outside the test suites (fixed_ports holds it for theirs)" % port)
            p = Podhealth(argv, env=env, ready_port=port)
            try:
                assert get(port, "/livez").status == 200
                assert get(port, "/readyz").status == 503  # nothing it checks runs here
            finally:
                assert p.stop() == 0
                p.cleanup()


def shell_lines():
    """Complete podhealth command lines in the pages' plain blocks (continuations joined;
    synopses with placeholders such as CHECK... left out)."""
    found = []
    for block in code(""):
        for line in block.replace("\\\n", " ").splitlines():
            line = " ".join(line.split("#")[0].split())
            if re.match(r"podhealth (serve|probe|wait|\d+) ", line) and not re.search(r"[A-Z]{3,}|\[", line):
                found.append(line.split()[1:])
    return found


def test_shell_command_lines():
    """Every complete podhealth command line in the pages' plain blocks is accepted and
    runs: serve (and the original form) on a free port answers /livez."""
    lines = shell_lines()
    assert len(lines) >= 3
    certs = Certs()
    for argv in lines:
        argv = [re.sub(r"ca=/etc/podhealth/ca\.pem", "ca=" + certs.ca, a) for a in argv]
        port = free_port()
        if argv[0].isdigit():
            argv = [str(port)] + argv[1:]
        elif argv[0] == "serve":
            argv = ["serve", "--port", str(port)] + argv[1:]
        else:
            rc, _, err = run(argv)
            assert rc in (0, 1), (argv, err)
            continue
        p = Podhealth(argv, ready_port=port)
        try:
            assert get(port, "/livez").status == 200
        finally:
            assert p.stop() == 0
            p.cleanup()


def _anchor(heading):
    """A heading's anchor, as GitHub makes it."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _prose(text, spans=True):
    """A page without its code: fenced blocks and (spans) inline code spans."""
    text = re.sub(r"^( *)```.*?^\1```$", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text) if spans else text


def test_links_land():
    """Every link from a page to a page, or to a heading, finds it (code left aside)."""
    anchors = {p: {_anchor(h) for h in re.findall(r"^#{1,6} (.*)$", _prose(t, spans=False), re.M)}
               for p, t in TEXT.items()}
    bad = []
    for page, text in TEXT.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", _prose(text)):
            if re.match(r"[a-z]+://", target):
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(dest) or (anchor and anchor not in anchors.get(dest, ())):
                bad.append((os.path.relpath(page, ROOT), target))
    assert not bad
    assert len(TEXT) >= 7


def test_readme_is_short():
    """The README is for the first ten minutes; the reference is in doc/."""
    assert TEXT[PAGES[0]].count("\n") <= 320


def test_binary_figures_are_the_binary():
    """The binary's size has one home, doc/footprint.md's table (make bench prints it, to
    paste); the page's prose is held to it, the table to the budget, and, for the shipped
    static binary, to the binary itself within 1%: a change that moves the size more
    says so (make bench's table, and the prose)."""
    text = TEXT[os.path.normpath(os.path.join(ROOT, "doc", "footprint.md"))]
    table = re.search(r"^\| binary size +\| (\d+) bytes .*\| <= (\d+) bytes", text, re.M)
    arm64 = re.search(r"^\| arm64 binary size +\| (\d+) bytes", text, re.M)
    prose = re.search(r"\*\*Binary\*\*: ([\d,]+) bytes[^\n]*\n[^\n]*?arm64 ([\d,]+)", text)
    assert table and arm64 and prose
    assert int(prose.group(1).replace(",", "")) == int(table.group(1))
    assert int(prose.group(2).replace(",", "")) == int(arm64.group(1))
    assert int(table.group(2)) == targets.BINARY_BYTES
    if STATIC and "arm64" not in BIN:
        assert abs(os.path.getsize(BIN) - int(table.group(1))) <= int(table.group(1)) // 100, \
            "doc/footprint.md is stale: run make bench"
