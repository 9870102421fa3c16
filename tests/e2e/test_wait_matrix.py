"""podhealth wait's exit paths as a matrix: every way the command can end, every signal
moment, the deadline, against on-exit endpoints that answer, refuse, hang, 404 or 503.
The on-exit call is made on every path, once (sent again only when it surely did not
arrive, or was answered 503), and the exit code is always the one the README promises."""
import os
import signal
import tempfile
import time

import pytest

from conftest import SLACK, Upstream, log_of, refused_url, run, start_wait, wait_until

# Slow (every wait exit path): make test runs it, make check does not.
pytestmark = pytest.mark.slow

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
        assert time.monotonic() - t0 < 1 + 10 * SLACK
    finally:
        hang.stop()
        ready.stop()
