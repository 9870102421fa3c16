"""Faults podhealth must survive: descriptor exhaustion, abusive upstreams, an empty root
filesystem with no /etc at all."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import (within, BIN, QEMU, Peer, STATIC, VALGRIND, WRAP, Client, cpu_ticks, free_port, get, listing, rss_kib,
                      wait_until)


@pytest.mark.skipif(VALGRIND, reason="wrapper: valgrind needs descriptors of its own")
def test_descriptor_exhaustion(podhealth, upstream):
    u = upstream(200)
    # 40 descriptors: after stdio, epoll, signalfd and the listener, room for ~34 clients.
    p = podhealth("a=" + u.url(), wrap=["prlimit", "--nofile=40:40"])
    flood = []
    for _ in range(60):
        c = Client(p.port)
        c.send("GET /self HTTP/1.1\r\nHost: t\r\n\r\n")
        flood.append(c)
    answered = []
    for c in flood:
        try:
            c.read(timeout=0.2)
            answered.append(c)
        except OSError:
            pass
    assert 20 <= len(answered) < 60  # the rest wait in the listen backlog
    # Out of descriptors: a check cannot open its socket, and says so.
    r = answered[0].request("GET", "/all")
    assert (r.status, r.body) == (503, listing(("a", "too many open files")))
    # Waiting for descriptors, podhealth does not spin.
    before = cpu_ticks(p.proc.pid)
    time.sleep(1)
    assert cpu_ticks(p.proc.pid) - before <= 5
    assert p.proc.poll() is None
    for c in flood:
        c.close()
    # Once the flood is gone, everything answers again.
    assert wait_until(lambda: get(p.port, "/self").status == 200, timeout=10)
    assert get(p.port, "/all").status == 200


def abusive(handler):
    peer = Peer(handler)
    return peer, "http://127.0.0.1:%d/" % peer.port


def endless_body(c):
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        while True:
            c.sendall(b"x" * 65536)
    except OSError:
        pass


def huge_status_line(c):
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 " + b"A" * (1 << 20) + b"\r\n\r\n")
    except OSError:
        pass


def byte_per_100ms(c):
    try:
        c.recv(4096)
        for b in b"HTTP/1.1 200 OK\r\n\r\n":
            c.sendall(bytes([b]))
            time.sleep(0.1)
    except OSError:
        pass


def test_abusive_upstreams_are_bounded(podhealth):
    servers = [abusive(h) for h in (endless_body, endless_body, huge_status_line, byte_per_100ms)]
    (_, endless), (_, endless2), (_, huge), (_, slow) = servers
    p = podhealth("--timeout", "500ms", "endless=" + endless, "huge=" + huge, "slow=" + slow,
                  "--check", "name=endless-body,url=%s,body=needle" % endless2)
    t0 = time.monotonic()
    r = get(p.port, "/all")
    within(t0, 1.5)
    # A 1 MiB status line is within Go's 10 MiB head limit: kubelet, like podhealth, reads
    # it as it streams in (keeping none of it) and times out waiting for the body's end: a
    # probe error, which kubelet throws away (there is no verdict before it here).
    assert r.body == listing("endless", ("huge", "timeout after 500ms (a probe error: the last verdict stands)"),
                             ("slow", "timeout after 500ms"),
                             ("endless-body", 'HTTP 200, body does not contain "needle"'))
    if STATIC and not VALGRIND and not QEMU:  # under qemu, RSS is the emulator's
        assert rss_kib(p.proc.pid) < 1024  # nothing buffered the endless or huge responses
    for s, _ in servers:
        s.stop()


def can_chroot():
    return os.geteuid() == 0 and shutil.which("chroot") is not None and not WRAP and STATIC


@pytest.mark.skipif(not can_chroot(), reason="chroot: needs root and chroot, and the binary alone")
def test_runs_alone_in_an_empty_root(upstream):
    # The binary and nothing else: no /etc (no hosts, no resolv.conf, no passwd), no /tmp,
    # run as an unprivileged user, as in a FROM scratch image with USER 65532.
    u = upstream(200)
    root = tempfile.mkdtemp()
    try:
        os.chmod(root, 0o755)
        shutil.copy(BIN, os.path.join(root, "podhealth"))
        port = free_port()  # checked free, outside the ephemeral range
        p = subprocess.Popen(["chroot", "--userspec=65532:65532", root, "/podhealth", "serve",
                              "--port", str(port), "ip=http://127.0.0.1:%d/" % u.port,
                              "name=http://localhost:%d/" % u.port],
                             stderr=subprocess.PIPE, text=True)
        try:
            # Up, and ours: a process that failed to start must not pass for one that did.
            assert wait_until(lambda: p.poll() is not None or _up(port), timeout=10)
            assert p.poll() is None, p.stderr.read()
            r = get(port, "/all?verbose")
            assert p.poll() is None
            assert (r.status, r.body) == (200, listing("ip", "name", ok=True)), (u.port, u.requests)
            rc = subprocess.run(["chroot", "--userspec=65532:65532", root, "/podhealth", "probe",
                                 "http://127.0.0.1:%d/self" % port, "http://localhost:%d/self" % port],
                                capture_output=True).returncode
            assert rc == 0
        finally:
            p.terminate()
            assert p.wait(timeout=5) == 0, p.stderr.read()
    finally:
        shutil.rmtree(root)


def _up(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def test_clients_cannot_choose_what_is_contacted(podhealth, upstream):
    # No SSRF: paths, queries and headers name configured checks at most, never a target.
    mine, other = upstream(200), upstream(200)
    p = podhealth("mine=" + mine.url())
    evil = other.url("/x")
    probes = ["/all/" + evil, "/all?url=" + evil, "/readyz?exclude=mine&check=" + evil,
              "/all/%s" % evil.replace(":", "%3A").replace("/", "%2F"), evil, "/metrics?target=" + evil,
              "/all?format=json&host=127.0.0.1:%d" % other.port]
    for path in probes:
        get(p.port, path)
    c = Client(p.port)
    c.request("GET", "/all", headers={"Host": "127.0.0.1:%d" % other.port, "X-Forwarded-Host": evil})
    c.close()
    assert other.hits == 0
    assert mine.hits >= 1
