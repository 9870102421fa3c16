"""podhealth wait and podhealth probe with real child processes."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import (within, FakeMesh, MEMLIMIT, launch, log_of, start_wait, QEMU, SANITIZED, SLACK, STATIC, WRAP, Upstream, port_is_free, refused_url,
                      free_ports, run, wait_until, why_not)

CHILD = os.path.join(os.path.dirname(__file__), "helpers", "child.py")
# Under the 4 MiB address-space limit the command inherits the limit: sh fits, Python not.
python_child = pytest.mark.skipif(MEMLIMIT, reason="wrapper: a Python child does not fit in podhealth's 4 MiB limit")
PY = sys.executable


@pytest.fixture
def tmp():
    d = tempfile.mkdtemp()
    yield d
    shutil.rmtree(d)


def calls(u, path="/quit"):
    return [r for r in u.requests if r.startswith("POST %s " % path)]


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def waiting(p):
    """True once podhealth has logged its first failing round."""
    return "podhealth: info: waiting " in log_of(p)


# --- exit codes -------------------------------------------------------------------

@pytest.mark.parametrize("supervised", [False, True], ids=["exec", "supervised"])
@pytest.mark.parametrize("code", [0, 1, 42])
def test_exit_codes_pass_through(upstream, supervised, code):
    ready, quit_ = upstream(200), upstream(200)
    extra = ["--on-exit", quit_.url("/quit")] if supervised else []
    rc, out, err = run(["wait"] + extra + [ready.url(), "--", "sh", "-c", "exit %d" % code])
    assert rc == code, err
    assert len(calls(quit_)) == (1 if supervised else 0)


@pytest.mark.parametrize("supervised", [False, True], ids=["exec", "supervised"])
@pytest.mark.parametrize("cmd,code,msg", [
    ("/nonexistent/cmd", 127, "command not found cmd=/nonexistent/cmd errno=2"),
    ("no-such-command-anywhere", 127, "command not found cmd=no-such-command-anywhere errno=2"),
    ("{tmp}/data.txt", 126, "command not executable (permission denied) cmd={tmp}/data.txt errno=13"),
    ("{tmp}/garbage", 126, "command not executable (unknown format) cmd={tmp}/garbage errno=8"),
])
def test_command_cannot_start(upstream, tmp, supervised, cmd, code, msg):
    if cmd.endswith("garbage") and not STATIC:
        pytest.skip("wrapper: glibc's execvp runs a file of unknown format with /bin/sh; musl's does not")
    for name, mode in (("data.txt", 0o644), ("garbage", 0o755)):
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(b"\x00\x01not a program\n")
        os.chmod(os.path.join(tmp, name), mode)
    cmd, msg = cmd.format(tmp=tmp), msg.format(tmp=tmp)
    ready, quit_ = upstream(200), upstream(200)
    extra = ["--on-exit", quit_.url("/quit")] if supervised else []
    rc, out, err = run(["wait"] + extra + [ready.url(), "--", cmd])
    assert rc == code
    assert "podhealth: error: " + msg in err.splitlines()
    assert len(calls(quit_)) == (1 if supervised else 0)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGSEGV])
def test_death_by_signal_is_128_plus_n(upstream, sig):
    quit_ = upstream(200)
    rc, out, err = run(["wait", "--on-exit", quit_.url("/quit"), upstream(200).url(), "--",
                        "sh", "-c", "kill -%d $$" % sig])
    assert rc == 128 + sig
    assert len(calls(quit_)) == 1


# --- signals and zombies --------------------------------------------------------

@python_child
def test_signals_are_forwarded(upstream, tmp):
    out = os.path.join(tmp, "out")
    quit_ = upstream(200)
    p = start_wait(["--on-exit", quit_.url("/quit"), upstream(200).url(), "--", PY, CHILD, out, "signals"])
    assert wait_until(lambda: lines(out) == ["ready"], timeout=10)
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGINT, signal.SIGUSR2, signal.SIGTERM):
        n = len(lines(out))
        p.send_signal(sig)
        assert wait_until(lambda: len(lines(out)) > n, timeout=5), sig
    assert p.wait(timeout=5) == 0
    assert lines(out) == ["ready", "SIGHUP", "SIGUSR1", "SIGINT", "SIGUSR2", "SIGTERM"]
    assert len(calls(quit_)) == 1


NO_PID_NS = why_not(["unshare", "--pid", "--fork", "--mount-proc", "true"])


def zombies_of(pid):
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                st = dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
        except OSError:
            continue
        if st.get("PPid", "").strip() == str(pid) and st.get("State", "").startswith("Z"):
            found.append(int(d))
    return found


@python_child
@pytest.mark.skipif(NO_PID_NS is not None, reason="chroot: unshare --pid: %s" % NO_PID_NS)
@pytest.mark.skipif(QEMU, reason="wrapper: qemu-user, not podhealth, would be PID 1")
def test_zombies_reaped_as_pid_1(upstream, tmp):
    out = os.path.join(tmp, "out")
    quit_ = upstream(200)
    p = launch(["wait", "--on-exit", quit_.url("/quit"), upstream(200).url(), "--", PY, CHILD, out,
                "orphans"], wrap=["unshare", "--pid", "--fork", "--mount-proc"], wrapped=False,
               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert wait_until(lambda: lines(out)[:1] == ["spawned"], timeout=10)
    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
        podhealth = int(f.read().split()[0])  # PID 1 inside the namespace
    # Each orphan writes a line as it exits; then it is podhealth's to reap.
    assert wait_until(lambda: lines(out).count("orphan exited") == 5, timeout=10)
    assert wait_until(lambda: zombies_of(podhealth) == [], timeout=5), zombies_of(podhealth)
    assert p.wait(timeout=5) == 0
    assert len(calls(quit_)) == 1


@python_child
@pytest.mark.skipif(QEMU, reason="wrapper: qemu-user adds descriptors and variables of its own")
def test_environment_and_descriptors_unchanged(upstream, tmp):
    out = os.path.join(tmp, "out")
    r, w = os.pipe()  # an inherited descriptor the command must still have
    try:
        for extra in ([], ["--on-exit", upstream(200).url("/quit")]):
            if os.path.exists(out):
                os.unlink(out)
            p = launch(["wait"] + extra + [upstream(200).url(), "--", PY, CHILD, out, "env"],
                       wrapped=False, pass_fds=(r,),
                       env=dict(os.environ, PODHEALTH_TEST_VAR="kept", PODHEALTH_TEST_FD=str(r)))
            assert p.wait(timeout=10) == 0
            got = lines(out)
            assert got[:2] == ["kept", "fd open"]
            pid, ppid = map(int, got[2].split())
            # Without --on-exit podhealth becomes the command; with it, its parent.
            assert (pid if not extra else ppid) == p.pid
    finally:
        os.close(r)
        os.close(w)


# --- waiting, deadline and on-exit calls ------------------------------------------

def test_waits_until_healthy_then_runs(tmp):
    answers = iter([503, 503])
    u = Upstream(lambda: next(answers, 200))  # healthy from the third request on
    marker = os.path.join(tmp, "ran")
    try:
        t0 = time.monotonic()
        rc, out, err = run(["wait", "--interval", "100ms", "--max-interval", "200ms", "app=" + u.url(),
                            "--", "sh", "-c", "touch %s" % marker])
        assert rc == 0 and os.path.exists(marker)
        assert u.hits >= 3
        within(t0, 2 + 9 * SLACK)
        log = err.splitlines()
        assert log[0] == ("podhealth: info: plan checks=app on-exit=none on-exit-when=always "
                          "on-deadline=fail command=sh")
        assert log[1].startswith('podhealth: info: waiting for="app: HTTP 503" attempt=1 elapsed=')
        assert any(l.startswith("podhealth: info: ready attempts=") for l in log)
        assert log[-1] == "podhealth: info: running cmd=sh"
    finally:
        u.stop()


def test_progress_is_rate_limited():
    rc, out, err = run(["wait", "--interval", "100ms", "--max-interval", "100ms", "--deadline", "3.5s",
                        "db=" + refused_url()], timeout=10)
    assert rc == 1
    waiting = [l for l in err.splitlines() if "info: waiting" in l]
    # Rounds every ~100 ms for 3.5 s, progress at attempt 1 and once ~3 s later.
    assert len(waiting) == 2, err
    assert waiting[0].startswith('podhealth: info: waiting for="db: connection refused" attempt=1 ')


def test_no_command_exits_0_and_calls_nothing(upstream):
    quit_ = upstream(200)
    rc, out, err = run(["wait", "--on-exit", quit_.url("/quit"), upstream(200).url()])
    assert rc == 0
    assert calls(quit_) == []


def test_on_exit_after_success_and_failure(upstream):
    for code in (0, 3):
        a, b = upstream(200), upstream(200)
        rc, _, err = run(["wait", "--on-exit", a.url("/quit"), "--on-exit", b.url("/other"),
                          upstream(200).url(), "--", "sh", "-c", "exit %d" % code])
        assert rc == code
        assert (len(calls(a)), len(calls(b, "/other"))) == (1, 1)
        assert calls(a)[0].split("\r\n")[:1] == ["POST /quit HTTP/1.1"]
        assert "Content-Length: 0" in calls(a)[0]


def test_deadline_never_starts_command(upstream, tmp):
    quit_ = upstream(200)
    marker = os.path.join(tmp, "ran")
    t0 = time.monotonic()
    rc, out, err = run(["wait", "--deadline", "500ms", "--interval", "100ms", "--on-exit", quit_.url("/quit"),
                        "x=" + refused_url(), "--", "sh", "-c", "touch %s" % marker])
    assert rc == 1
    within(t0, 0.5 + 1.0)
    assert not os.path.exists(marker)
    assert len(calls(quit_)) == 1
    assert ('podhealth: error: deadline passed, not starting the command deadline=500ms '
            'for="x: connection refused"') in err.splitlines()


def test_deadline_exit_code_and_forever(upstream):
    rc, _, _ = run(["wait", "--deadline", "200ms", "--deadline-exit-code", "7", refused_url()])
    assert rc == 7
    # --deadline 0 waits on: still waiting after 1 s.
    p = start_wait(["--deadline", "0", "--interval", "100ms", refused_url()])
    assert wait_until(lambda: waiting(p), timeout=10)
    assert not wait_until(lambda: p.poll() is not None, timeout=1)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=5) == 128 + signal.SIGTERM


def test_sigterm_while_waiting_calls_on_exit(upstream):
    quit_ = upstream(200)
    p = start_wait(["--on-exit", quit_.url("/quit"), "--interval", "100ms", refused_url()])
    assert wait_until(lambda: waiting(p), timeout=10)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=5) == 143
    assert len(calls(quit_)) == 1


def test_hanging_on_exit_does_not_hang(upstream):
    hang = upstream("hang")
    t0 = time.monotonic()
    rc, _, err = run(["wait", "--timeout", "300ms", "--on-exit", hang.url("/quit"),
                      upstream(200).url(), "--", "true"])
    assert rc == 0
    within(t0, 0.3 + 1.0)
    assert len(calls(hang)) == 1  # delivered, so not sent again
    assert 'podhealth: warn: on-exit call failed url=%s reason="timeout after 300ms"' % hang.url("/quit") in err


def test_on_exit_retried_only_when_not_delivered(tmp):
    # Nothing listens at first: refused (not delivered), so retried; the listener appears
    # between tries and gets the call exactly once.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    port = lsock.getsockname()[1]
    got = []

    def listen_soon():
        time.sleep(0.3)
        lsock.listen(4)
        c, _ = lsock.accept()
        got.append(c.recv(4096).decode())
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        c.close()

    t = threading.Thread(target=listen_soon)
    t.start()
    ready = Upstream(200)
    try:
        rc, _, err = run(["wait", "--on-exit", "http://127.0.0.1:%d/quit" % port, ready.url(), "--", "true"])
        t.join(5)
        assert rc == 0
        assert len(got) == 1 and got[0].startswith("POST /quit HTTP/1.1")
        assert 'on-exit call done url=http://127.0.0.1:%d/quit result="HTTP 200"' % port in err
    finally:
        ready.stop()
        lsock.close()


def test_on_exit_method(upstream):
    q = upstream(200)
    rc, _, _ = run(["wait", "--on-exit", q.url("/quit"), "--on-exit-method", "PUT", upstream(200).url(), "--", "true"])
    assert rc == 0
    assert [r.split(" ")[0] for r in q.requests] == ["PUT"]


def test_environment_twins_for_wait(upstream, tmp):
    q = upstream(200)
    marker = os.path.join(tmp, "ran")
    env = dict(os.environ, PODHEALTH_WAIT_FOR="a=%s" % upstream(200).url(),
               PODHEALTH_ON_EXIT=q.url("/quit"), PODHEALTH_DEADLINE="5s", PODHEALTH_INTERVAL="100ms")
    rc, _, _ = run(["wait", "--", "sh", "-c", "touch %s; exit 5" % marker], env=env)
    assert rc == 5 and os.path.exists(marker)
    assert len(calls(q)) == 1
    env = dict(os.environ, PODHEALTH_WAIT_FOR=refused_url(), PODHEALTH_DEADLINE="300ms",
               PODHEALTH_DEADLINE_EXIT_CODE="9")
    assert run(["wait"], env=env)[0] == 9


# --- --istio against fake Istio endpoints on loopback --------------------------------

@pytest.mark.usefixtures("fixed_ports")
def test_istio(tmp):
    # Asked once the fixed-ports lock is held (a skipif is read at import, before it, so a
    # suite beside this one turned the test into a silent skip): free, or a failure.
    assert port_is_free(15020, "127.0.0.1") and port_is_free(15021, "127.0.0.1"), \
        "Istio's ports 15020 and 15021 are in use by a program outside this suite"
    mesh = FakeMesh(15021, "/healthz/ready", 15020, "/quitquitquit")
    try:
        marker = os.path.join(tmp, "ran")
        rc, _, err = run(["wait", "--istio", "--interval", "100ms", "--", "sh", "-c",
                          "touch %s; exit 3" % marker])
        assert rc == 3 and os.path.exists(marker)
        assert mesh.polls == ["/healthz/ready"] * 3
        assert mesh.quits == ["/quitquitquit"]
        assert 'waiting for="istio-proxy: HTTP 503" attempt=1' in err
    finally:
        mesh.stop()


@pytest.mark.usefixtures("fixed_ports")
def test_istio_with_a_database_proxy_stops_both_the_mesh_last():
    # The trap this replaces: with --istio, an --on-exit for a Cloud SQL proxy used to
    # replace Istio's quitquitquit, and the classic proxy never exited. Now the user's calls
    # are made first, all at once, each with its own method ("GET URL"; --on-exit-method
    # for those that name none), then the mesh's POST, after them.
    order = []

    def answer(path, head):
        order.append("app " + head.split(" ", 1)[0] + " " + path)
        time.sleep(0.2)  # a slow answer: the mesh's call must still come after it
        return b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "close"

    cloudsql, vault = Upstream(script=answer), Upstream(script=answer)
    mesh = FakeMesh(15021, "/healthz/ready", 15020, "/quitquitquit", log=order)
    try:
        rc, _, err = run(["wait", "--istio", "--interval", "100ms",
                          "--on-exit", "GET " + cloudsql.url("/quitquitquit"),
                          "--on-exit", vault.url("/agent/v1/quit"), "--on-exit-method", "PUT",
                          "--", "true"])
        assert rc == 0, err
        assert sorted(order[:2]) == ["app GET /quitquitquit", "app PUT /agent/v1/quit"], order
        assert order[2:] == ["mesh POST /quitquitquit"], order
        # The same calls from the environment: a method word goes with the URL after it.
        del order[:]
        env = dict(os.environ, PODHEALTH_ISTIO="true",
                   PODHEALTH_ON_EXIT="GET %s %s" % (cloudsql.url("/quitquitquit"), vault.url("/q")))
        assert run(["wait", "--interval", "100ms", "--", "true"], env=env)[0] == 0
        assert sorted(order[:2]) == ["app GET /quitquitquit", "app POST /q"], order
        assert order[2:] == ["mesh POST /quitquitquit"], order
        # An --on-exit that is the mesh's own call is made once, as the mesh's.
        del order[:]
        assert run(["wait", "--istio", "--interval", "100ms", "--on-exit",
                    "http://localhost:15020/quitquitquit", "--", "true"])[0] == 0
        assert order == ["mesh POST /quitquitquit"], order
    finally:
        mesh.stop()
        cloudsql.stop()
        vault.stop()


@pytest.mark.usefixtures("fixed_ports")
def test_a_meshed_job_with_cloud_sql_waits_for_both_and_stops_the_mesh_last():
    # The case: a Job under Istio that talks to Cloud SQL. Both proxies are waited
    # for; once the command ends, the Cloud SQL proxy's quitquitquit, then Istio's.
    for port in (9090, 9091, 15020, 15021):
        assert port_is_free(port, "127.0.0.1"), "port %d is held outside the test suites" % port
    order = []
    cloudsql = FakeMesh(9090, "/startup", 9091, "/quitquitquit", log=order, name="cloudsql")
    istio = FakeMesh(15021, "/healthz/ready", 15020, "/quitquitquit", log=order, name="istio")
    try:
        rc, _, err = run(["wait", "--istio", "--cloudsql", "--interval", "100ms", "--", "sh", "-c",
                          "exit 4"])
        assert rc == 4, err
        assert cloudsql.polls == ["/startup"] * 3 and istio.polls == ["/healthz/ready"] * 3
        assert order == ["cloudsql POST /quitquitquit", "istio POST /quitquitquit"], order
    finally:
        cloudsql.stop()
        istio.stop()


def test_sidecars_on_ports_of_their_own():
    # Cloud SQL's proxy run with --http-port and --admin-port of its own (9090 is often
    # Prometheus's), and Dapr on another HTTP port: each is waited for and stopped where it
    # listens; neither default port is asked. The variable says the same, and a flag wins
    # over it.
    order, fakes = [], []
    ports = free_ports(4)
    try:
        cloudsql = FakeMesh(ports[0], "/startup", ports[1], "/quitquitquit", log=order,
                            name="cloudsql")
        fakes.append(cloudsql)
        dapr = FakeMesh(ports[2], "/v1.0/healthz/outbound", ports[2], "/v1.0/shutdown",
                        log=order, name="dapr")
        fakes.append(dapr)
        rc, _, err = run(["wait", "--cloudsql", "--dapr", "--sidecar-port",
                          "cloudsql=%d:%d,dapr=%d" % tuple(ports[:3]), "--", "sh", "-c",
                          "exit 5"])
        assert rc == 5, err
        assert cloudsql.polls == ["/startup"] * 3 and dapr.polls == ["/v1.0/healthz/outbound"] * 3
        assert sorted(order) == ["cloudsql POST /quitquitquit", "dapr POST /v1.0/shutdown"], order
        assert ":9090/" not in err and ":9091/" not in err and ":3500/" not in err, err
        # By the variable alone; then a flag over a variable that names a port nobody
        # listens on.
        env = dict(os.environ, PODHEALTH_SIDECAR_PORT="dapr=%d" % ports[2])
        rc, _, err = run(["wait", "--dapr", "--deadline", "30s", "--", "true"], env=env)
        assert rc == 0 and len(dapr.polls) == 4 and len(dapr.quits) == 2, err
        env = dict(os.environ, PODHEALTH_SIDECAR_PORT="dapr=%d" % ports[3])
        rc, _, err = run(["wait", "--dapr", "--sidecar-port", "dapr=%d" % ports[2], "--deadline",
                          "30s", "--", "true"], env=env)
        assert rc == 0 and len(dapr.polls) == 5 and len(dapr.quits) == 3, err
    finally:
        for f in fakes:
            f.stop()


def test_three_sidecars_by_their_flags_stop_the_mesh_last():
    # Istio, Cloud SQL's proxy and the Vault agent, each by its flag (on ports of their own
    # here): both waited for, then Cloud SQL's and Vault's stops, then Istio's.
    order, fakes = [], []
    p = free_ports(5)
    try:
        for args in ((p[0], "/healthz/ready", p[1], "/quitquitquit", "istio"),
                     (p[2], "/startup", p[3], "/quitquitquit", "cloudsql"),
                     (p[4], "/", p[4], "/agent/v1/quit", "vault")):
            fakes.append(FakeMesh(*args[:4], log=order, name=args[4]))
        istio, cloudsql, vault = fakes
        rc, _, err = run(["wait", "--istio", "--cloudsql", "--vault", "--sidecar-port",
                          "istio=%d:%d,cloudsql=%d:%d,vault=%d" % tuple(p), "--interval", "50ms",
                          "--", "sh", "-c", "exit 6"])
        assert rc == 6, err
        assert istio.polls == ["/healthz/ready"] * 3 and cloudsql.polls == ["/startup"] * 3
        assert vault.polls == []  # nothing to wait for
        assert sorted(order[:2]) == ["cloudsql POST /quitquitquit", "vault POST /agent/v1/quit"]
        assert order[2:] == ["istio POST /quitquitquit"], order
    finally:
        for f in fakes:
            f.stop()


def test_on_exit_method_words_are_checked():
    rc, _, err = run(["wait", "--on-exit", "get http://a/", "http://b/"])
    assert rc == 2 and ("invalid --on-exit 'get http://a/': invalid method 'get' (want an "
                        "upper-case HTTP method such as POST)") in err, err
    env = dict(os.environ, PODHEALTH_ON_EXIT="http://a/ DELETE")
    rc, _, err = run(["wait", "http://b/"], env=env)
    assert rc == 2 and "invalid PODHEALTH_ON_EXIT: method DELETE without a URL after it" in err, err


def test_deadline_before_any_answer_says_so(upstream):
    # The first round is still in flight at the deadline: "no answer yet", not an empty
    # reason.
    hang = upstream("hang")
    rc, _, err = run(["wait", "--deadline", "500ms", "-t", "5s", "h=" + hang.url()])
    assert rc == 1
    assert ('podhealth: error: deadline passed, not starting the command deadline=500ms '
            'for="h: no answer yet"') in err.splitlines()


# --- the schedule: cheap failures retried at once, costly ones backed off ----------------

def primary_address():
    """A non-loopback address of this host (the one its default route uses), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


def test_cheap_failures_are_retried_quickly(tmp):
    # A loopback endpoint answering 503 at once is asked again every 50 ms, so the command
    # starts within 100 ms of it turning ready, whatever the moment.
    u = Upstream(503)
    marker = os.path.join(tmp, "started")
    try:
        threading.Thread(target=lambda: wait_until(lambda: u.hits >= 10, timeout=30) and
                         (setattr(u, "ready_at", time.time()), setattr(u, "mode", 200)),
                         daemon=True).start()
        t0 = time.monotonic()
        rc, _, err = run(["wait", u.url(), "--", "sh", "-c", "date +%%s.%%N > %s" % marker])
        assert rc == 0, err
        within(t0, 10 * 0.05 + 2 + 9 * SLACK)  # not 1 s, 2 s, 4 s apart
        with open(marker) as f:
            within(u.ready_at, 0.1 + 3 * SLACK, float(f.read()))
    finally:
        u.stop()


def test_costly_failures_back_off():
    # A loopback endpoint that never answers costs a timeout each time: 1 s, then 2 s...
    hang = Upstream("hang")
    try:
        rc, _, _ = run(["wait", "--timeout", "200ms", "--deadline", "2500ms", hang.url()])
        assert rc == 1
        assert hang.hits <= 3  # at 0, ~1.2 s, ~3.4 s: never every 50 ms
    finally:
        hang.stop()


def test_short_timeouts_are_not_cheap():
    # A timeout under 100 ms is still a timeout: retried after --interval, doubling, not
    # every 50 ms like a refused port (it was 30 connections in 3 s).
    hang = Upstream("hang")
    try:
        rc, _, _ = run(["wait", "--timeout", "50ms", "--deadline", "2500ms", hang.url()])
        assert rc == 1
        assert hang.hits <= 3  # at 0, ~1 s, ~3 s
    finally:
        hang.stop()


@pytest.mark.skipif(primary_address() is None, reason="network: this host has no address but loopback")
def test_remote_answers_back_off():
    # The same quick 503 from an address that is not loopback: a remote dependency is never
    # asked more often than the backoff (1 s, 2 s, 4 s...).
    addr = primary_address()
    u = Upstream(503, host="0.0.0.0")
    try:
        rc, _, err = run(["wait", "--deadline", "2500ms", "http://%s:%d/healthz" % (addr, u.port)])
        assert rc == 1, err
        assert 1 <= u.hits <= 3
    finally:
        u.stop()


def test_passing_checks_are_not_polled_fast():
    # While another check fails cheaply, a passing one is confirmed every --max-interval.
    ok = Upstream(200)
    try:
        rc, _, _ = run(["wait", "--deadline", "2500ms", "--max-interval", "1s", ok.url(),
                        refused_url()])
        assert rc == 1
        assert 2 <= ok.hits <= 4  # at 0, 1, 2 s
    finally:
        ok.stop()


@pytest.mark.skipif(not STATIC or SANITIZED or WRAP, reason="wrapper: measures the static binary's CPU")
def test_waiting_costs_next_to_no_cpu():
    # Retrying a refused loopback port every 50 ms: at most 1% of a core.
    p = start_wait(["--deadline", "0", refused_url()])
    try:
        assert wait_until(lambda: waiting(p), timeout=10)
        with open("/proc/%d/stat" % p.pid) as f:
            before = sum(map(int, f.read().rsplit(")", 1)[1].split()[11:13]))
        time.sleep(3)
        with open("/proc/%d/stat" % p.pid) as f:
            after = sum(map(int, f.read().rsplit(")", 1)[1].split()[11:13]))
        assert after - before <= 3, after - before  # 3 ticks of 300: 1%
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=5)


@pytest.mark.usefixtures("fixed_ports")
def test_sidecar_mode_without_a_readable_file_is_classic(upstream, tmp):
    # The manifest names an annotations file that is not there: podhealth says so and
    # does what a classic sidecar needs (the safe side for a Job); --sidecar overrides.
    q, ready = upstream(200), upstream(200)
    common = ["--istio", "--check", "name=istio-proxy,url=" + ready.url(), "--on-exit", q.url("/quit")]
    rc, _, err = run(["wait", "--pod-annotations", os.path.join(tmp, "nope")] + common + ["--", "true"])
    assert rc == 0
    assert "podhealth: warn: cannot read the pod's annotations: taking a classic sidecar file=" in err
    assert ("podhealth: info: sidecar mesh=istio mode=classic reason=\"cannot read the pod's "
            "annotations: taking a classic sidecar\" wait=yes on-exit=yes") in err.splitlines()
    assert len(calls(q)) == 1
    # An explicit --on-exit is the user's, not the mesh's: it is made in every mode.
    rc, _, err = run(["wait", "--sidecar", "none"] + common + ["--", "true"])
    assert rc == 0 and len(calls(q)) == 2
    assert "podhealth: info: sidecar mesh=istio mode=none reason=--sidecar wait=no on-exit=no" in err.splitlines()
    assert ready.hits == 1  # not asked under --sidecar none


@pytest.mark.parametrize("argv,code,called", [
    (["sh", "-c", "exit 0"], 0, 1),
    (["sh", "-c", "exit 3"], 3, 0),
    (["sh", "-c", "kill -KILL $$"], 128 + signal.SIGKILL, 0),
    (["/nonexistent/cmd"], 127, 0),
], ids=["exit-0", "exit-3", "signal", "not-found"])
def test_on_exit_when_success(upstream, argv, code, called):
    # The calls are made only after exit code 0: a container restarted after a failure
    # (restartPolicy OnFailure) still has its proxy. The exit code is the command's.
    quit_, ready = upstream(200), upstream(200)
    rc, _, err = run(["wait", "--on-exit-when", "success", "--on-exit", quit_.url("/quit"),
                      ready.url(), "--"] + argv)
    assert rc == code, err
    assert len(calls(quit_)) == called, err
    if not called:
        assert ("podhealth: info: on-exit calls skipped: exit code not 0 (--on-exit-when "
                "success) status=%d" % code) in err.splitlines()
    # The same from the environment; always is the default.
    rc, _, err = run(["wait", "--on-exit", quit_.url("/quit"), ready.url(), "--"] + argv,
                     env=dict(os.environ, PODHEALTH_ON_EXIT_WHEN="always"))
    assert rc == code and len(calls(quit_)) == called + 1, err


def test_on_deadline_run(upstream, tmp):
    # The deadline passes with a check still failing: the command starts anyway, with a
    # warning naming what still fails, and its exit code is podhealth's.
    quit_ = upstream(200)
    marker = os.path.join(tmp, "ran")
    rc, _, err = run(["wait", "--deadline", "300ms", "--on-deadline", "run", "--on-exit",
                      quit_.url("/quit"), "x=" + refused_url(), "--", "sh", "-c",
                      "touch %s; exit 5" % marker])
    assert rc == 5, err
    assert os.path.exists(marker)
    assert any(l.startswith("podhealth: warn: deadline passed, starting the command anyway "
                            "(--on-deadline run) deadline=300ms for=\"x: connection refused\"")
               for l in err.splitlines()), err
    assert len(calls(quit_)) == 1
    rc, _, err = run(["wait", "--on-deadline", "later", "http://a/"])
    assert rc == 2 and "invalid --on-deadline 'later': want fail or run" in err
    rc, _, err = run(["wait", "--on-exit-when", "never", "http://a/"])
    assert rc == 2 and "invalid --on-exit-when 'never': want always or success" in err


@pytest.mark.usefixtures("fixed_ports")
def test_logs_say_the_plan_once_and_name_signals(upstream):
    # The plan: what is waited for, what is called after, the command. Signals are named
    # one way everywhere (signal=SIGTERM), a command killed by one too.
    quit_, ready = upstream(200), upstream(200)
    rc, _, err = run(["wait", "--on-exit", quit_.url("/quit"), "app=" + ready.url(), "--",
                      "sh", "-c", "kill -KILL $$"])
    assert rc == 128 + signal.SIGKILL
    lines = err.splitlines()
    plan = [l for l in lines if l.startswith("podhealth: info: plan ")]
    assert plan == ['podhealth: info: plan checks=app on-exit="POST %s" on-exit-when=always '
                    'on-deadline=fail command=sh' % quit_.url("/quit")], err
    assert "podhealth: info: command killed signal=SIGKILL status=137" in lines, err
    p = start_wait(["--interval", "100ms", refused_url()])
    assert wait_until(lambda: waiting(p), timeout=10)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=5) == 143
    assert "podhealth: warn: stopped while waiting signal=SIGTERM" in log_of(p).splitlines()
    # Without a command, on-exit calls happen only after a failure, and the log says so.
    rc, _, err = run(["wait", "--linkerd", "--sidecar", "classic", "--deadline", "200ms"])
    assert rc == 1
    assert ('podhealth: info: sidecar mesh=linkerd mode=classic reason=--sidecar wait=yes '
            'on-exit="after a failure only"') in err.splitlines(), err
