"""podhealth wait's exit paths as a matrix: every way the command can end, every signal
moment, the deadline, against on-exit endpoints that answer, refuse, hang, 404 or 503.
The on-exit call is made on every path, once (sent again only when it surely did not
arrive, or was answered 503), and the exit code is always the one doc/jobs.md promises."""
import os
import signal
import tempfile
import time

import pytest

from conftest import (within, CHECK_TIMEOUT, SLACK, FakeMesh, Upstream, free_ports, log_of, mesh_rows, refused_port,
                      refused_url, run, start_wait, wait_until)

# Slow (every wait exit path): make test runs it, make check does not.
pytestmark = [pytest.mark.slow, pytest.mark.rows]

# How each on-exit endpoint behaves, and how many requests it should see (it is sent
# again only when it surely did not arrive, or was answered 503: 3 tries in all).
ENDPOINTS = {
    "ok": (200, 1),
    "404": (404, 1),
    "503": (503, 3),
    "hang": ("hang", 1),
    "refused": (None, 0),
}

# How the command ends, and the exit code podhealth passes on.
COMMANDS = {
    "exit-0": (["sh", "-c", "exit 0"], 0),
    "exit-3": (["sh", "-c", "exit 3"], 3),
    "killed": (["sh", "-c", "kill -KILL $$"], 128 + signal.SIGKILL),
    "not-found": (["/nonexistent/cmd"], 127),
    "not-executable": ([os.path.join(tempfile.mkdtemp(), "data.txt")], 126),
}
with open(COMMANDS["not-executable"][0][0], "w") as _f:
    _f.write("not a program\n")


def endpoint(kind):
    mode, want = ENDPOINTS[kind]
    if mode is None:
        return None, refused_url("/quit"), want
    u = Upstream(mode)
    return u, u.url("/quit"), want


def posts(u):
    return 0 if u is None else len([r for r in u.requests if r.startswith("POST /quit ")])


@pytest.mark.parametrize("ep", list(ENDPOINTS))
@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_command_paths(cmd, ep):
    argv, code = COMMANDS[cmd]
    ready = Upstream(200)
    u, url, calls = endpoint(ep)
    try:
        rc, _, err = run(["wait", "--timeout", "300ms", "--on-exit", url, ready.url(), "--"] + argv)
        assert rc == code, err
        assert posts(u) == calls, err
        if ep == "ok":
            assert "on-exit call done url=%s" % url in err
        else:
            assert "podhealth: warn: on-exit call failed url=%s" % url in err
    finally:
        ready.stop()
        if u:
            u.stop()


@pytest.mark.parametrize("ep", list(ENDPOINTS))
def test_deadline_path(ep):
    u, url, calls = endpoint(ep)
    try:
        rc, _, err = run(["wait", "--deadline", "300ms", "--timeout", "300ms", "--on-exit", url,
                          refused_url(), "--", "sh", "-c", "exit 0"])
        assert rc == 1, err
        assert posts(u) == calls
        assert "deadline passed, not starting the command" in err
    finally:
        if u:
            u.stop()


@pytest.mark.parametrize("ep", ["ok", "503", "hang"])
def test_signal_while_waiting(ep):
    # SIGTERM before the command starts: the on-exit calls, then 128 + 15.
    u, url, calls = endpoint(ep)
    try:
        p = start_wait(["--timeout", "300ms", "--on-exit", url, refused_url(), "--", "sh", "-c", "exit 0"])
        assert wait_until(lambda: "info: waiting " in log_of(p), timeout=10)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 128 + signal.SIGTERM
        assert posts(u) == calls
    finally:
        if u:
            u.stop()


def test_signal_while_the_command_runs(tmp_path):
    # SIGTERM while the command runs goes to the command; its exit code is podhealth's.
    u, url, calls = endpoint("ok")
    ready = Upstream(200)
    marker = tmp_path / "started"
    try:
        p = start_wait(["--on-exit", url, ready.url(), "--", "sh", "-c",
                   "trap 'exit 7' TERM; touch %s; while :; do sleep 0.05; done" % marker])
        assert wait_until(marker.exists, timeout=10)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 7
        assert posts(u) == 1
    finally:
        ready.stop()
        u.stop()


def test_signal_while_the_on_exit_call_is_in_flight():
    # The call is under way (the endpoint hangs): a signal does not cut it short or repeat
    # it; podhealth exits with the command's code once the call's timeout ends it.
    hang = Upstream("hang")
    ready = Upstream(200)
    try:
        p = start_wait(["--timeout", "1s", "--on-exit", hang.url("/quit"), ready.url(), "--",
                   "sh", "-c", "exit 5"])
        assert wait_until(lambda: posts(hang) == 1, timeout=10)
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 5
        assert posts(hang) == 1
        within(t0, 1 + 9 * SLACK)
    finally:
        hang.stop()
        ready.stop()


# --- every sidecar's row, on ports of its own (--sidecar-port), in each way it can answer.

def _port(url):
    return url.split(":")[2].split("/")[0] if url else None


def _path(url):
    return "/" + url.split("/", 3)[3] if url else None


def _sidecar_cases():
    """(sidecar, case) for each row and each way it can answer that applies to it: ready
    late (two 503s) and stopped; never ready (the deadline, then the stop all the same);
    a stop answered 405 (a wrong method); a stop refused (where the call has a port of its
    own)."""
    cases = []
    for name, (check, ready, quit_) in sorted(mesh_rows().items()):
        cases.append((name, "ready-late"))
        if check:
            cases.append((name, "never-ready"))
        if quit_:
            cases.append((name, "stop-405"))
        if quit_ and _port(ready) != _port(quit_):
            cases.append((name, "stop-refused"))
    return cases


@pytest.mark.parametrize("name,case", _sidecar_cases())
def test_each_sidecar_alone(name, case):
    check, ready, quit_ = mesh_rows()[name]
    ready_port, quit_port = free_ports(2)
    if case == "stop-refused":
        quit_port = refused_port()
    if ready and quit_ and _port(ready) == _port(quit_):
        quit_port, ports = ready_port, "%d" % ready_port  # one port moves both
    elif ready and quit_:
        ports = "%d:%d" % (ready_port, quit_port)
    elif quit_:  # Vault: its one port is its call's
        ports = "%d" % quit_port
    else:  # Kuma: its check only
        quit_port, ports = ready_port, "%d" % ready_port
    served = ready_port if case == "stop-refused" else quit_port
    mesh = FakeMesh(ready_port, _path(ready) or "/", served, _path(quit_) or "/",
                    ready_after=None if case == "never-ready" else 2,
                    quit_status=405 if case == "stop-405" else 200)
    # Never ready: a deadline that grows with the machine's load, as every bound here.
    deadline = "%dms" % (600 + 3000 * SLACK) if case == "never-ready" else "60s"
    try:
        env = dict(os.environ, DAPR_API_TOKEN="s3cret-token")
        rc, _, err = run(["wait", "--" + name, "--sidecar-port", "%s=%s" % (name, ports),
                          "--deadline", deadline, "--timeout", CHECK_TIMEOUT, "--interval", "50ms",
                          "--", "sh", "-c", "exit 3"], env=env)
        assert rc == (1 if case == "never-ready" else 3), err
        if check:
            assert mesh.polls and set(mesh.polls) == {_path(ready)}, (mesh.polls, err)
            assert len(mesh.polls) == 3 or case == "never-ready", (mesh.polls, err)
        if quit_ and case != "stop-refused":
            assert mesh.quits == [_path(quit_)], (mesh.quits, err)
            token = mesh.quit_headers[0].get("dapr-api-token")
            assert token == ("s3cret-token" if name == "dapr" else None), mesh.quit_headers
        if case == "stop-refused":
            assert mesh.quits == [], mesh.quits
        if case in ("stop-405", "stop-refused"):
            assert "on-exit call failed" in err, err
            assert ("405" if case == "stop-405" else "connection refused") in err, err
        assert "s3cret" not in err
    finally:
        mesh.stop()
