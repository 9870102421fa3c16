"""Fixtures for end-to-end tests: the real podhealth binary against real upstream processes."""
import math
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pytest

BIN = os.environ.get("PODHEALTH_BIN", os.path.join(os.path.dirname(__file__), "../../build/podhealth"))
SANITIZED = os.environ.get("PODHEALTH_SANITIZED") == "1"
# A command every podhealth process runs under: "prlimit --as=4194304" (the memory-limit
# run) or valgrind (the memcheck run).
WRAP = os.environ.get("PODHEALTH_WRAP", "").split()
MEMLIMIT = any(w.startswith("--as") for w in WRAP)
VALGRIND = any("valgrind" in w for w in WRAP)
# The arm64 binary under qemu-user (make test-arm64): no /proc view of its own mappings,
# and qemu's own descriptors and environment beside podhealth's.
QEMU = any("qemu" in w for w in WRAP)
# The shipped binary is static musl; the ASan and valgrind runs use glibc builds, which
# differ in a few documented ways (execvp's /bin/sh fallback, heap sizes).
with open(BIN, "rb") as _f:
    STATIC = b"ld-linux" not in _f.read()


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a matrix, differential, storm or wait-matrix file: "
                            "make test runs it, make check leaves it out")
    config.addinivalue_line("markers", "rows: rows of a verdict table whose paths the rest of "
                            "the suite runs: the valgrind and memory-limit passes leave them out "
                            "(make wrapped-coverage prints what they would lose)")


# A test may skip only for a reason of this fixed list, which its reason begins with: the
# run's wrapper or build flavour (ASan, valgrind, the memory limit, qemu, glibc), a host
# without IPv6 or without an address but loopback, and a chroot or container without the
# privileges a test needs (root, unshare). Any other skip fails the test, so that nothing
# skips unseen (a port another process holds, a file missing).
SKIP_CLASSES = ("wrapper: ", "network: ", "chroot: ")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    if not reason.startswith(SKIP_CLASSES):
        report.outcome = "failed"
        report.longrepr = ("skipped for a reason outside the fixed list (%s): %s" %
                           (", ".join(c.rstrip(": ") for c in SKIP_CLASSES), reason))


def _load_factor():
    """How much slower than an idle machine this one runs podhealth right now: the median
    of five starts of `podhealth --version` under the suite's wrapper, over what it takes
    on an idle 2-core machine with that wrapper (measured once; at least 1, at most 20).
    CI machines are shared and loaded: no wall-clock bound may assume they are idle."""
    idle = 0.55 if VALGRIND else 0.06 if SANITIZED else 0.02 if QEMU else 0.005 if WRAP else 0.002
    times = []
    for _ in range(5):
        t0 = time.monotonic()
        subprocess.run(WRAP + [BIN, "--version"], capture_output=True)
        times.append(time.monotonic() - t0)
    return min(20.0, max(1.0, sorted(times)[2] / idle))


LOAD = _load_factor()
# Sanitized and valgrind runs are slower, and so is a loaded machine: every upper bound on
# wall time is written with SLACK, which grows with both. Lower bounds (a timeout is not
# cut short) and the order of events are asserted as they are.
SLACK = (1.0 if VALGRIND else 0.25 if SANITIZED else 0.1) * LOAD
# The one timeout of the checks that must pass or be compared, beside SLACK, the suite's
# other wall-clock figure: kubelet's default (1 s), longer under a slow wrapper (valgrind,
# the sanitizers and qemu-user run a TLS handshake 10-50 times slower) and on a loaded
# machine, and at most 8 s, below the 10 s that the gRPC peer's "slow" service takes. Only
# a check that hangs reaches it.
SLOW_WRAP = VALGRIND or SANITIZED or QEMU
CHECK_SECONDS = min(8, math.ceil((4 if SLOW_WRAP else 1) * LOAD))
CHECK_TIMEOUT = "%ds" % CHECK_SECONDS


def within(t0, seconds, t1=None):
    """The seconds from t0 to t1 (now by default), asserting they are at most `seconds` and
    SLACK, but only when podhealth runs bare (make check, the static and memory-limit
    passes). Under a slow wrapper (valgrind, the sanitizers, qemu-user) no test decides on
    a wall-clock upper bound: they run podhealth 10-50 times slower, by a factor the load
    measurement cannot pin, so there a test asserts what happened and in which order.
    Lower bounds (a timeout not cut short) hold under every wrapper: the caller asserts them
    on the result."""
    elapsed = (time.monotonic() if t1 is None else t1) - t0
    if not SLOW_WRAP:
        assert elapsed < seconds + SLACK, "%.2f s, over %.2f s and SLACK %.2f s" % (
            elapsed, seconds, SLACK)
    return elapsed


# How long a client waits for an answer before it calls the server hung: a safety net, no
# test asserts it, so it is generous (valgrind runs TLS handshakes 50 times slower).
READ_TIMEOUT = 5.0 + 20 * SLACK


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = map(int, f.read().split())
            return lo, hi
    except OSError:
        return 32768, 60999


def free_port(family=socket.AF_INET):
    """A port that is free now and outside the kernel's ephemeral range, so that no
    outgoing connection can take it before the test binds it."""
    lo, hi = _ephemeral_range()
    candidates = list(range(20000, lo)) if lo > 21000 else list(range(hi + 1, 65535))
    for _ in range(100):
        port = random.choice(candidates)
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            try:
                s.bind(("::", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def free_ports(n):
    """n distinct ports, each free_port's."""
    ports = []
    while len(ports) < n:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def cpu_ticks(pid):
    """User plus system CPU time of pid, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def vm_kib(pid, field):
    """A memory figure of /proc/PID/status (VmRSS, VmHWM...), in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])


def rss_kib(pid):
    return vm_kib(pid, "VmRSS")


def port_is_free(port, host="::"):
    """Whether port can be bound (SO_REUSEADDR, as servers use it: TIME_WAIT is no obstacle)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def why_not(argv):
    """Why argv (a privileged helper such as unshare) cannot run here, in its own words,
    or None when it runs: the skip reason of tests that need it."""
    if os.geteuid() != 0:
        return "needs root"
    try:
        p = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        return "%s: %s" % (argv[0], e.strerror)
    if p.returncode == 0:
        return None
    return (p.stderr.strip().splitlines() or ["%s exited %d" % (argv[0], p.returncode)])[-1]


def wait_until(pred, timeout=5.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return False


class Response:
    def __init__(self, status, reason, headers, body, version):
        self.status, self.reason, self.headers, self.body, self.version = status, reason, headers, body, version

    def header(self, name):
        return self.headers.get(name.lower())


def read_response(client, head=False, timeout=READ_TIMEOUT):
    """Reads exactly one response (bytes after it stay in client.rest)."""
    sock = client.sock
    sock.settimeout(timeout)
    data = client.rest
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a full response head: %r" % data)
        data += chunk
    head_bytes, rest = data.split(b"\r\n\r\n", 1)
    lines = head_bytes.decode("latin-1").split("\r\n")
    version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    length = 0 if head else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        rest += chunk
    client.rest = rest[length:]
    return Response(int(status), reason, headers, rest[:length].decode("utf-8", "replace"), version)


class Client:
    """A raw HTTP/1.x client, so tests control every byte."""

    def __init__(self, port, host="127.0.0.1", family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(READ_TIMEOUT)
        self.sock.connect((host, port))
        self.rest = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def request(self, method="GET", path="/self", version="HTTP/1.1", headers=None):
        lines = ["%s %s %s" % (method, path, version), "Host: test"]
        lines += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.send("\r\n".join(lines) + "\r\n\r\n")
        return read_response(self, head=(method == "HEAD"))

    def read(self, head=False, timeout=READ_TIMEOUT):
        return read_response(self, head=head, timeout=timeout)

    def closed(self, timeout=3.0):
        """True when the server closes the connection (EOF or reset) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def get(port, path="/self", method="GET", host="127.0.0.1", family=socket.AF_INET):
    c = Client(port, host, family)
    try:
        return c.request(method, path, headers={"Connection": "close"})
    finally:
        c.close()


def launch(args, wrap=None, wrapped=True, **popen):
    """The one way the suite starts podhealth: BIN with args, after wrap (unshare...), under
    PODHEALTH_WRAP (valgrind, the memory limit) unless wrapped=False (a test of the process
    itself: its PID, its descriptors, its environment). Returns the Popen."""
    return subprocess.Popen((wrap or []) + (WRAP if wrapped else []) + [BIN] + args, **popen)


def start_wait(args, **popen):
    """Starts podhealth wait with args; its stderr goes to a file, read with log_of()."""
    err = tempfile.TemporaryFile(mode="w+")
    p = launch(["wait"] + args, stdout=subprocess.DEVNULL, stderr=err, text=True, **popen)
    p.err_file = err
    return p


def log_of(p):
    """What a process from start_wait() has logged so far."""
    p.err_file.seek(0)
    return p.err_file.read()


class Podhealth:
    def __init__(self, args, env=None, wrap=None, ready_port=None):
        self.stderr_path = "/tmp/podhealth-e2e-%d-%d.log" % (os.getpid(), id(self))
        self.stderr = open(self.stderr_path, "w+")
        full_env = dict(os.environ)
        full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        full_env.update(env or {})
        self.proc = launch(args, wrap=wrap, stdout=subprocess.PIPE, stderr=self.stderr,
                           env=full_env)
        self.port = ready_port
        if ready_port is not None:
            ok = wait_until(lambda: self.proc.poll() is not None or self._up(), timeout=30)
            assert ok and self.proc.poll() is None, "podhealth did not start: " + self.log()

    def _up(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def log(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=5):
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()
        os.unlink(self.stderr_path)


class FakeMesh:
    """The one fake mesh: a sidecar's admin endpoints on their real ports (hold fixed_ports)
    or on ports of their own, readiness (503 ready_after times, then 200; None: never) and
    shutdown (answered quit_status); records what was asked (polls, quits, and the headers
    of each shutdown call), and appends "NAME POST path" of each shutdown call to log when
    given (a list shared with other fakes, for the order of calls)."""

    def __init__(self, ready_port, ready_path, quit_port, quit_path, log=None, name="mesh",
                 ready_after=2, quit_status=200):
        import http.server
        self.polls, self.quits, self.quit_headers = [], [], []
        mesh = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                mesh.polls.append(self.path)
                ready = ready_after is not None and len(mesh.polls) > ready_after
                self.send_response(200 if ready else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                mesh.quits.append(self.path)
                mesh.quit_headers.append({k.lower(): v for k, v in self.headers.items()})
                if log is not None:
                    log.append("%s POST %s" % (name, self.path))
                self.send_response(quit_status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        ports = sorted({ready_port, quit_port})
        self.servers = [http.server.ThreadingHTTPServer(("127.0.0.1", p), Handler) for p in ports]
        for s in self.servers:
            threading.Thread(target=s.serve_forever, daemon=True).start()

    def stop(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()


@pytest.fixture
def fixed_ports():
    """Held by tests that use ports the meshes and manifests fix (Istio's 15020 and 15021,
    Linkerd's 4191, 8081): one such test at a time among every suite running in this
    network namespace, so that two make test runs side by side (a chroot's too) never answer
    each other's probes. The lock is an abstract unix socket: it belongs to the network
    namespace, like the ports, and goes with the process that holds it."""
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 900
    while True:
        try:
            lock.bind("\0podhealth-e2e-fixed-ports")
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield
    finally:
        lock.close()


@pytest.fixture
def podhealth():
    """Starts podhealth; on teardown checks it shut down cleanly (exit 0, no sanitizer report)."""
    started = []

    def start(*args, legacy=False, expect_clean_exit=True, **kw):
        port = free_port()
        argv = [str(port)] + [str(a) for a in args] if legacy else ["serve", "--port", str(port)] + [str(a) for a in args]
        p = Podhealth(argv, ready_port=port, **kw)
        p.expect_clean_exit = expect_clean_exit
        started.append(p)
        return p

    yield start
    for p in started:
        try:
            # A podhealth that died during the test fails it, with its status and log: the
            # tests that watch a process's counters would otherwise pass against a corpse.
            if getattr(p, "stopped", False):
                continue  # the test stopped it, and judged how it ended
            died = p.proc.poll()
            rc = p.stop() if died is None else died
            if p.expect_clean_exit:
                log = p.log()
                assert died is None, "podhealth exited during the test (status %d): %s" % (died, log)
                assert rc == 0, "exit %d: %s" % (rc, log)
                assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log, log
                # valgrind --quiet prints only errors and leaks, as "==PID==" lines.
                assert not re.search(r"^==\d+==", log, re.M), log
        finally:
            p.cleanup()


class Peer:
    """A listener on loopback (TCP, or a unix socket at path) that hands every connection to
    handle(conn) in a thread of its own. Counts connections (hits); stop() closes the
    listener and every connection. Subclasses define handle() and set their own state
    before calling Peer.__init__, whose thread starts accepting at once."""

    def __init__(self, handle=None, host="127.0.0.1", family=socket.AF_INET, path=None):
        if handle:
            self.handle = handle
        self.lock, self.stopping = threading.Lock(), threading.Event()
        self.hits, self.conns = 0, []
        self.host = host
        self.sock = socket.socket(socket.AF_UNIX if path else family, socket.SOCK_STREAM)
        if not path:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(path or (host, 0))
        self.sock.listen(256)
        self.port = None if path else self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.track(conn, hit=True)
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def track(self, conn, hit=False):
        """Closes conn (a socket, or one wrapped in TLS) on stop()."""
        with self.lock:
            self.hits += hit
            self.conns.append(conn)

    def stop(self):
        self.stopping.set()
        # shutdown() wakes the thread blocked in accept(); close() alone would leave the
        # listening socket open, answering one more connection after the test ended.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass


class Upstream(Peer):
    """The suite's fake upstream, on loopback; it records each request (requests: as read,
    heads: without the blank line) and counts connections.

    mode: status (int), 'hang', 'reset', 'garbage', 'slow' (response one byte at a time),
    'close' (read the request, close without answering), 'slowclose' (half a status line,
    then close), or a function returning one of those, called once per connection in the
    order they arrive.

    Or script(path, head), which returns the answer's bytes (or a list of parts, sent a
    moment apart) and what follows them, (bytes, after), or None for a 404; after is "close", "hang" (keep the connection open until
    stop), "reset" (RST) or "dribble" (one byte at a time). context: TLS (an ssl server
    context) around it; whole_head=False answers the first bytes, whatever they are."""

    def __init__(self, mode=200, host="127.0.0.1", family=socket.AF_INET, delay=0.0, body=b"",
                 script=None, context=None, whole_head=True):
        self.mode, self.delay, self.body = mode, delay, body
        self.script, self.context, self.whole_head = script, context, whole_head
        self.requests, self.heads = [], []
        Peer.__init__(self, host=host, family=family)

    def url(self, path=None, host=None, scheme="http"):
        h = host or self.host
        h = "[%s]" % h if ":" in h else h
        return "%s://%s:%d%s" % (scheme, h, self.port,
                                 path if path is not None else "/" if self.script else "/healthz")

    def _read_head(self, conn):
        data = b""
        conn.settimeout(10)
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            if not self.whole_head:
                break  # answer the first bytes, whatever they are (a plain server vs TLS)
        with self.lock:
            self.requests.append(data.decode("latin-1"))
            self.heads.append(data.split(b"\r\n\r\n", 1)[0].decode("latin-1"))
        return data

    def _scripted(self, conn):
        if not self._read_head(conn):
            return
        head = self.heads[-1]
        path = head.split(" ")[1] if " " in head else ""
        answer = self.script(path, head)
        if answer is None:
            answer = (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "close")
        payload, after = answer
        if after == "dribble":
            for b in payload:
                conn.sendall(bytes([b]))
                time.sleep(0.002)
        else:
            for i, part in enumerate(payload if isinstance(payload, list) else [payload]):
                if i:
                    time.sleep(0.01)  # each part in reads of its own
                conn.sendall(part)
        if after == "hang":
            self.stopping.wait()
        elif after == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        conn.close()

    def handle(self, conn):
        try:
            if self.context:
                conn.settimeout(5)
                conn = self.context.wrap_socket(conn, server_side=True)
                self.track(conn)
            if self.script:
                self._scripted(conn)
                return
        except (OSError, ssl.SSLError):
            return
        with self.lock:
            mode = self.mode() if callable(self.mode) else self.mode
        try:
            self._read_head(conn)
            if mode == "close":
                conn.close()
                return
            if self.delay:
                time.sleep(self.delay)
            if mode == "hang":
                self.stopping.wait()
            elif mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
                return
            elif mode == "garbage":
                conn.sendall(b"this is not HTTP at all\r\n\r\n")
            elif mode == "slow":
                for b in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                    conn.sendall(bytes([b]))
                    time.sleep(0.005)
            elif mode == "slowclose":
                conn.sendall(b"HTTP/1.1 20")
            else:
                reason = {200: "OK", 503: "Service Unavailable"}.get(mode, "Status")
                conn.sendall(b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\n\r\n%s"
                             % (mode, reason.encode(), len(self.body), self.body))
            time.sleep(0.05)
            conn.close()
        except OSError:
            pass


@pytest.fixture
def upstream():
    made = []

    def make(*args, **kw):
        u = Upstream(*args, **kw)
        made.append(u)
        return u

    yield make
    for u in made:
        u.stop()


_HELD = []


def refused_port():
    """A loopback port that refuses connections for the whole session: bound, never
    listening, and held, so that no other test or suite running beside this one can take
    it (a port that was merely free a moment ago can be)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


def refused_url(path="/healthz"):
    return "http://127.0.0.1:%d%s" % (refused_port(), path)


def run(args, timeout=10, wrap=None, **kw):
    """Runs podhealth to completion; returns (exit code, stdout, stderr)."""
    p = launch(args, wrap=wrap, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    try:
        out, err = p.communicate(timeout=timeout * (10 if VALGRIND else 1))
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise
    return p.returncode, out, err


def name_of(url):
    """The name podhealth derives for an unnamed check: authority and path, no query."""
    rest = url.split("://", 1)[1].split("#")[0]
    authority, _, path = rest.partition("/")
    authority = authority.split("?")[0]
    path = "/" + path.split("?")[0] if path else ""
    if ":" not in authority.rsplit("]", 1)[-1]:
        authority += ":80"
    return authority + (path if path != "/" else "")


def listing(*checks, ok=False):
    """The verbose listing: checks in configuration order, each a name (passed) or a
    (name, reason) pair (failed)."""
    lines = ["[+]%s ok" % c if isinstance(c, str) else "[-]%s failed: %s" % c for c in checks]
    return "\n".join(lines + ["check %s" % ("passed" if ok else "failed")]) + "\n"


def mesh_rows():
    """src/mesh.h's MESH_LIST, the one home of each sidecar's facts: {flag: (check, ready
    URL, stop URL)}, None where a row has none."""
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "src", "mesh.h")) as f:
        text = f.read()
    body = text[text.index("#define MESH_LIST(X)"):].split("\n\n", 1)[0].replace("\\\n", " ")
    field = r'\s*("[^"]*"|NULL)\s*'
    rows = re.findall(r'X\(\w+,\s*(\w+),' + field + ',' + field + ',' + field + ',', body)
    val = lambda v: None if v == "NULL" else v.strip('"')
    return {name: (val(c), val(r), val(q)) for name, c, r, q in rows}
