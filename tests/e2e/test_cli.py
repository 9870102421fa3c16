"""Command lines: both forms, help, version, and one clear line for every bad argument."""
import os
import re
import socket
import subprocess

import pytest

from conftest import BIN, STATIC, free_port, get, listing, mesh_rows, run
from peers import ROOT

USAGE = ("usage: podhealth serve [OPTIONS] CHECK...\n"
         "       podhealth PORT TIMEOUT ENDPOINT...\n"
         "       podhealth wait [OPTIONS] CHECK... [-- CMD [ARG...]]\n"
         "       podhealth probe [OPTIONS] CHECK...\n"
         "Try 'podhealth serve --help'.\n")

BAD = [
    ([], "missing command"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["0", "3", "http://localhost/"], "invalid PORT '0': want a port number 1-65535"),
    (["70000", "3", "http://localhost/"], "invalid PORT '70000': want a port number 1-65535"),
    (["8081"], "missing TIMEOUT after PORT"),
    (["8081", "3"], "no ENDPOINT given"),
    (["8081", "0", "http://localhost/"], "invalid TIMEOUT '0': must be greater than zero"),
    (["8081", "-1", "http://localhost/"], "invalid TIMEOUT '-1': must be positive"),
    (["8081", "abc", "http://localhost/"],
     "invalid TIMEOUT 'abc': is not a duration (e.g. 3, 2.5, 500ms, 3s, 1m)"),
    (["8081", "99999", "http://localhost/"], "invalid TIMEOUT '99999': is longer than the maximum, 1h"),
    (["8081", "3", "ftp://localhost/"],
     "invalid endpoint 'ftp://localhost/': unsupported scheme 'ftp' (want http[s]://, tcp://, grpc[s]://, unix://, postgres[ql]://, mysql:// or redis[s]://)"),
    (["8081", "3", "http://"], "invalid endpoint 'http://': missing host"),
    (["8081", "3", "http://localhost:0/"], "invalid endpoint 'http://localhost:0/': invalid port (want 1-65535)"),
    (["8081", "3", "http://localhost:65536/"],
     "invalid endpoint 'http://localhost:65536/': invalid port (want 1-65535)"),
    (["8081", "3", "http://local host/"],
     "invalid endpoint 'http://local host/': contains a space or control character"),
    (["serve"], "no CHECK given"),
    (["serve", "--port", "x", "http://a/"], "invalid --port 'x': want a port number 1-65535"),
    (["serve", "--timeout", "500us", "http://a/"],
     "invalid --timeout '500us': has an unknown unit (want ms, s, m or h)"),
    (["serve", "--timeout", "0ms", "http://a/"], "invalid --timeout '0ms': must be greater than zero"),
    (["serve", "--listen", "example.com", "http://a/"],
     "invalid --listen 'example.com': want an IP address such as 0.0.0.0, ::1 or 127.0.0.1"),
    (["serve", "--max-connections", "0", "http://a/"], "invalid --max-connections '0': want 1-65536"),
    (["serve", "--nope", "http://a/"], "unknown option '--nope'"),
    (["serve", "localhost:8080"],
     "invalid check 'localhost:8080': not a URL (want http[s]://, tcp://, grpc[s]://, unix://, postgres[ql]://, mysql:// or redis[s]://)"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) or "(none)" for a, _ in BAD])
def test_bad_arguments_exit_2_with_one_line(args, message):
    rc, out, err = run(args)
    assert rc == 2
    assert out == ""
    assert err == "podhealth: %s\n%s" % (message, USAGE)


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"], ["serve", "--help"]])
def test_help(args):
    rc, out, err = run(args)
    assert rc == 0 and err == ""
    assert out.startswith("usage: podhealth serve [OPTIONS] CHECK...\n       podhealth PORT TIMEOUT ENDPOINT...\n")
    for opt, env in [("--port", "PODHEALTH_PORT"), ("--listen", "PODHEALTH_LISTEN"),
                     ("--timeout", "PODHEALTH_TIMEOUT"), ("--check", "PODHEALTH_CHECK"),
                     ("--hide-reasons", "PODHEALTH_HIDE_REASONS"),
                     ("--max-connections", "PODHEALTH_MAX_CONNECTIONS"),
                     ("--log-format", "PODHEALTH_LOG_FORMAT"), ("--quiet", "PODHEALTH_QUIET"),
                     ("--help", None), ("--version", None)]:
        assert opt in out
        assert env is None or "[%s" % env in out
    assert "PODHEALTH_CHECKS" in out


@pytest.mark.parametrize("args", [["--version"], ["-V"], ["serve", "--version"]])
def test_version(args):
    with open("VERSION" if __import__("os").path.exists("VERSION") else "../../VERSION") as f:
        version = f.read().strip()
    rc, out, err = run(args)
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "podhealth %s" % version and len(lines) == 2
    # What is compiled in, by Debian package version (what a CVE triage needs).
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    libs = subprocess.run(["tools/libs.sh", "versions"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()
    if STATIC:
        assert lines[1] == "built with %s (Debian package versions)" % libs
    else:
        assert lines[1] == "built with glibc (a test build), %s (Debian package versions)" % \
            libs.split(", ", 1)[1]


def test_port_in_use_exits_1():
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.bind(("::", 0))
        s.listen(1)
        port = s.getsockname()[1]
        rc, out, err = run([str(port), "3", "http://localhost/"])
    assert rc == 1
    assert err == "podhealth: error: cannot listen on * port %d: address in use\n" % port


def test_listen_address_not_on_this_host_exits_1():
    port = free_port()
    rc, out, err = run(["serve", "--listen", "192.0.2.1", "--port", str(port), "http://localhost/"])
    assert rc == 1
    assert err.startswith("podhealth: error: cannot listen on 192.0.2.1 port %d: " % port)
    assert err.count("\n") == 1


def test_original_form_works(podhealth, upstream):
    a, b = upstream(200), upstream(200)
    p = podhealth("3", a.url("/healthz/ready"), b.url("/healthz"), legacy=True)
    assert get(p.port, "/self").status == 200
    assert get(p.port, "/all").status == 200
    assert "address=* port=%d timeout=3s" % p.port in p.log()


def test_original_form_takes_every_list_the_original_took(podhealth, upstream):
    # The same URL twice, URLs that differ only in their query, user:password@ (sent as
    # Basic authorization, as Go's http.Get sends it, and never logged): all accepted, each
    # checked, the made names told apart with ~2.
    a = upstream(200)
    cred = a.url("/h").replace("http://", "http://ops:s3cret@")
    p = podhealth("2", a.url("/h"), a.url("/h"), a.url("/h?x=1"), a.url("/h?x=2"), cred,
                  legacy=True)
    r = get(p.port, "/all?verbose")
    name = "127.0.0.1:%d/h" % a.port
    assert (r.status, r.body) == (200, listing(name, name + "~2", name + "~3", name + "~4",
                                               name + "~5", ok=True))
    heads = a.requests[-5:]
    assert sum("\r\nAuthorization: Basic b3BzOnMzY3JldA==\r\n" in h for h in heads) == 1
    assert sum(h.startswith("GET /h?x=2 HTTP/1.1\r\n") for h in heads) == 1
    log = p.log()
    assert "s3cret" not in log and "http://ops:xxxxx@127.0.0.1:%d/h" % a.port in log


def test_original_form_decimal_timeout(podhealth, upstream):
    p = podhealth("0.5", upstream("hang").url(), legacy=True)
    r = get(p.port, "/all")
    assert (r.status, r.body.splitlines()[0].split(": ")[1]) == (503, "timeout after 500ms")


MAN = os.path.join(os.path.dirname(__file__), "..", "..", "doc", "podhealth.1")


@pytest.mark.parametrize("cmd", ["serve", "wait", "probe"])
def test_help_is_complete_and_matches_the_man_page(cmd):
    rc, out, err = run([cmd, "--help"])
    assert rc == 0 and err == ""
    assert out.startswith("usage: podhealth %s " % cmd)
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", out))
    variables = set(re.findall(r"PODHEALTH_[A-Z_]+", out))
    expected = {"serve": {"--port", "--listen", "--timeout", "--check", "--hide-reasons", "--cache",
                          "--interval", "--max-connections", "--log-format", "--quiet",
                          "--probe-errors"},
                "wait": {"--timeout", "--check", "--interval", "--max-interval", "--deadline",
                         "--deadline-exit-code", "--on-exit", "--on-exit-method", "--istio",
                         "--linkerd", "--fast-interval", "--pod-annotations", "--sidecar",
                         "--on-exit-when", "--on-deadline", "--log-format", "--quiet",
                         "--probe-errors", "--cloudsql", "--alloydb", "--consul", "--dapr",
                         "--vault", "--kuma"},
                "probe": {"--timeout", "--check", "--verbose"}}[cmd]
    assert expected | {"--help", "--version"} <= options
    # It fits a terminal of 80 columns, and the usage line names every option form.
    assert all(len(line) <= 80 for line in out.splitlines()), [l for l in out.splitlines() if len(l) > 80]
    usage = run([cmd, "--nope"])[2].splitlines()[1]
    assert "[OPTIONS]" in usage or all(o in usage for o in expected), usage
    with open(MAN) as f:
        man = f.read().replace("\\-", "-")
    # mdoc: ".It Fl p , \-port" is "-p, --port" (Fl supplies one dash).
    documented = set(re.findall(r"Fl (?:[a-zA-Z] , )?-([a-z][a-z-]+)", man))
    for opt in options:
        assert opt[2:] in documented, opt
    for var in variables:
        assert var in man, var


def test_every_sidecar_row_is_documented():
    # One row per sidecar in src/mesh.h; the man page names each one's check and URLs, the
    # pages on Jobs (the README's and doc/jobs.md's table) its flag and URLs, and wait --help
    # its flag and variable.
    rows = mesh_rows()
    assert {"istio", "linkerd", "cloudsql", "alloydb", "consul", "dapr", "vault", "kuma"} <= set(rows)
    with open(MAN) as f:
        man = f.read().replace("\\-", "-")
    readme = ""
    for page in ("README.md", "doc/jobs.md"):
        with open(os.path.join(ROOT, page)) as f:
            readme += f.read()
    out = run(["wait", "--help"])[1]
    for name, (check, ready, quit_) in rows.items():
        assert "--" + name in out and "PODHEALTH_" + name.upper() in out, name
        assert re.search(r"`wait [^`]*--%s\b" % name, readme), name
        for fact in (check and "%s=%s" % (check, ready), quit_):
            assert fact is None or fact in man, (name, fact)
            port_path = fact and ":" + fact.split(":")[-1].split("/", 1)[0] + "/" + fact.split("/", 3)[-1]
            assert fact is None or port_path in readme, (name, port_path)


@pytest.mark.usefixtures("fixed_ports")  # it asks the sidecars' real ports
def test_sidecar_flags_add_their_checks_and_calls():
    # The plan each flag makes: its check (none for Vault), its call (none for Kuma), the
    # meshes' calls after the others; Dapr's token is sent, never logged.
    env = dict(os.environ, DAPR_API_TOKEN="s3cret-token")
    rc, _, err = run(["wait", "--vault", "--kuma", "--dapr", "--consul", "--cloudsql", "--deadline",
                      "200ms", "--", "true"], env=env)
    assert rc == 1, err
    plan = next(l for l in err.splitlines() if "info: plan " in l)
    assert 'checks="cloudsql-proxy consul-dataplane daprd kuma-dp"' in plan, plan
    assert ("POST http://localhost:9091/quitquitquit POST http://localhost:20600/graceful_shutdown "
            "POST http://localhost:3500/v1.0/shutdown POST http://localhost:8200/agent/v1/quit") in plan, plan
    assert "s3cret" not in err
    assert "sidecar mesh=vault mode=classic" in err and "wait=no on-exit=yes" in err
    assert "sidecar mesh=kuma mode=classic" in err and "wait=yes on-exit=no" in err
    # (The header itself: test_config.c, test_config_sidecar_rows.) One sidecar's mode.
    rc, _, err = run(["wait", "--istio", "--cloudsql", "--sidecar", "native,cloudsql=classic",
                      "--deadline", "200ms", "--", "true"])
    assert rc == 1, err
    assert "sidecar mesh=istio mode=native reason=--sidecar wait=yes on-exit=no" in err, err
    assert "sidecar mesh=cloudsql mode=classic reason=--sidecar wait=yes on-exit=yes" in err, err


def test_flags_win_over_a_bad_environment(upstream):
    # An invalid variable that a flag overrides is never read (it used to be fatal).
    env = dict(os.environ, PODHEALTH_TIMEOUT="soon", PODHEALTH_QUIET="maybe")
    rc, _, err = run(["probe", "--timeout", "2s", upstream(200).url()], env=env)
    assert (rc, err) == (0, "")
    env = dict(os.environ, PODHEALTH_LOG_FORMAT="xml", PODHEALTH_QUIET="TRUE")
    rc, _, err = run(["wait", "--log-format", "json", "--deadline", "1s", upstream(200).url()], env=env)
    assert (rc, err) == (0, "")  # TRUE is true, as Go's strconv.ParseBool reads it


@pytest.mark.skipif(not STATIC or bool(__import__("conftest").WRAP),
                    reason="wrapper: the static binary's own memory, without a wrapper's")
def test_out_of_memory_at_startup_is_exit_1():
    # The system failing us is not a usage error: exit 1 with one line, not 2 and usage.
    checks = ["http://h%d.example/%s" % (i, "p" * 200) for i in range(3000)]
    p = subprocess.run(["prlimit", "--as=2000000", BIN, "probe", "-t", "1ms"] + checks,
                       capture_output=True, text=True)
    assert (p.returncode, p.stderr) == (1, "podhealth: error: out of memory\n")
