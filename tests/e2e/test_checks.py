"""/all semantics against real fault upstreams: what kubelet's HTTP prober would decide; the
TCP and unix-socket kinds."""
import os
import select
import shutil
import socket
import tempfile
import time

import pytest

from conftest import within, CHECK_TIMEOUT, Client, Peer, get, listing, name_of, refused_url, run
from peers import GrpcServer, verdicts


def test_self_is_ok(podhealth, upstream):
    p = podhealth(upstream("hang").url(), "--timeout", "5s")
    r = get(p.port, "/self")
    assert (r.status, r.body, r.header("content-type")) == (200, "ok\n", "text/plain; charset=utf-8")


@pytest.mark.parametrize("status", [200, 204, 301, 302, 304, 399])
def test_success_statuses(podhealth, upstream, status):
    # kubelet: 200 <= status < 400 is success; redirects are not followed.
    p = podhealth(upstream(status).url(), upstream(200).url())
    r = get(p.port, "/all")
    assert (r.status, r.body) == (200, "ok\n")


@pytest.mark.parametrize("status", [101, 400, 404, 429, 500, 503])
def test_failure_statuses(podhealth, upstream, status):
    bad, good = upstream(status), upstream(200)
    p = podhealth(good.url(), bad.url("/ready"))
    r = get(p.port, "/all")
    assert r.status == 503
    assert r.body == listing(name_of(good.url()), (name_of(bad.url("/ready")), "HTTP %d" % status))


FAULTS = [
    ("refuses", None, "connection refused"),
    ("hang", "hang", "timeout after 1s"),
    ("reset", "reset", "connection reset"),
    ("garbage", "garbage", "invalid HTTP response: malformed status code"),
    ("close", "close", "connection closed without a response"),
    ("truncated", "slowclose", "invalid HTTP response (truncated)"),
]


@pytest.mark.parametrize("name,mode,reason", FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_reasons(podhealth, upstream, name, mode, reason):
    url = refused_url() if mode is None else upstream(mode).url()
    good = upstream(200).url()
    p = podhealth("--timeout", "1s", good, url)
    r = get(p.port, "/all")
    assert (r.status, r.body) == (503, listing(name_of(good), (name_of(url), reason)))


def test_one_byte_at_a_time_succeeds(podhealth, upstream):
    p = podhealth(upstream("slow").url())
    r = get(p.port, "/all")
    assert (r.status, r.body) == (200, "ok\n")


def test_every_failure_is_listed(podhealth, upstream):
    a, b, ok = upstream(500), upstream("garbage"), upstream(200)
    dead = refused_url("/x")
    p = podhealth(a.url(), ok.url(), dead, b.url())
    r = get(p.port, "/all")
    assert r.status == 503
    assert r.body == listing((name_of(a.url()), "HTTP 500"), name_of(ok.url()),
                             (name_of(dead), "connection refused"),
                             (name_of(b.url()), "invalid HTTP response: malformed status code"))


def test_checks_run_concurrently_and_finish_on_time(podhealth, upstream):
    # Ten endpoints that never answer plus two that do: one timeout, not ten.
    hangs = [upstream("hang") for _ in range(10)]
    p = podhealth("--timeout", "500ms", upstream(200).url(), *[h.url() for h in hangs], upstream(204).url())
    t0 = time.monotonic()
    r = get(p.port, "/all")
    elapsed = within(t0, 0.5 * 2)
    assert r.status == 503
    assert r.body.count("timeout after 500ms") == 10
    # One timeout, however loaded the machine: ten in a row would take 5 s.
    assert 0.5 <= elapsed, elapsed


def test_slow_upstreams_overlap(podhealth, upstream):
    # Ten endpoints answering after 200 ms each: the round takes ~200 ms, not 2 s.
    slow = [upstream(200, delay=0.2) for _ in range(10)]
    p = podhealth("--timeout", "2s", *[s.url() for s in slow])
    t0 = time.monotonic()
    r = get(p.port, "/all")
    elapsed = within(t0, 0.2 * 5)
    assert (r.status, r.body) == (200, "ok\n")
    # Overlapping: in a row they would take 2 s.
    assert 0.2 <= elapsed, elapsed


def test_self_never_waits_on_checks(podhealth, upstream):
    p = podhealth("--timeout", "3s", upstream("hang").url())
    pending = Client(p.port)
    pending.send("GET /all HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.1)
    t0 = time.monotonic()
    r = get(p.port, "/self")
    assert r.status == 200
    # /self answered first, while /all still waits on its check (order, not speed).
    readable, _, _ = select.select([pending.sock], [], [], 0)
    assert not readable, "/all answered (or closed) before /self"
    within(t0, 3.0)
    assert pending.read(timeout=5).status == 503
    pending.close()


def test_request_is_what_kubelet_sends(podhealth, upstream):
    u = upstream(200)
    p = podhealth(u.url("/healthz/ready?full=1"))
    assert get(p.port, "/all").status == 200
    head = u.requests[0]
    version = run(["--version"])[1].split()[1]
    assert head == (
        "GET /healthz/ready?full=1 HTTP/1.1\r\n"
        "Host: 127.0.0.1:%d\r\n"
        "User-Agent: podhealth/%s\r\n"
        "Accept: */*\r\n"
        "Connection: close\r\n\r\n" % (u.port, version)
    )


def test_ipv6_upstream(podhealth, upstream):
    u = upstream(200, host="::1", family=socket.AF_INET6)
    p = podhealth(u.url())
    assert get(p.port, "/all").status == 200
    assert u.requests[0].split("\r\n")[1] == "Host: [::1]:%d" % u.port


def test_localhost_tries_ipv6_after_ipv4(podhealth, upstream):
    # Only ::1 listens on this port: localhost must still reach it, as kubelet's dialer would.
    u = upstream(200, host="::1", family=socket.AF_INET6)
    p = podhealth("http://localhost:%d/" % u.port)
    assert get(p.port, "/all").status == 200


def test_each_probe_checks_afresh(podhealth, upstream):
    u = upstream(200)
    p = podhealth(u.url())
    for _ in range(3):
        assert get(p.port, "/all").status == 200
    assert u.hits == 3


def test_upstream_going_down_and_up(podhealth, upstream):
    u = upstream(200)
    p = podhealth(u.url())
    assert get(p.port, "/all").status == 200
    u.mode = 503
    assert get(p.port, "/all").status == 503
    u.mode = 200
    assert get(p.port, "/all").status == 200
    assert p.log().splitlines()[2:] == [
        "podhealth: info: check healthy check=%s" % name_of(u.url()),
        'podhealth: warn: check unhealthy check=%s reason="HTTP 503"' % name_of(u.url()),
        "podhealth: info: check healthy check=%s" % name_of(u.url()),
    ]


def test_head_all(podhealth, upstream):
    p = podhealth(refused_url())
    c = Client(p.port)
    r = c.request("HEAD", "/all")
    assert r.status == 503 and int(r.header("content-length")) > 0
    # No body was sent: the next response on the same connection parses cleanly.
    assert c.request("GET", "/self").status == 200
    c.close()


def test_tcp_checks(podhealth):
    # A listening socket nobody accepts on: the kernel completes the handshake.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    port = lsock.getsockname()[1]
    p = podhealth("--timeout", CHECK_TIMEOUT, "db=tcp://127.0.0.1:%d" % port)
    r = get(p.port, "/all/db?verbose")
    assert (r.status, r.body) == (200, "[+]db ok\ncheck passed\n")
    # Listening no more, but still bound (Linux: shutdown of a listening socket), so no
    # other process can take the port meanwhile: refused.
    lsock.shutdown(socket.SHUT_RD)
    r = get(p.port, "/all/db")
    assert (r.status, r.body) == (503, "[-]db failed: connection refused\ncheck failed\n")
    lsock.close()


def test_tcp_check_ipv6_and_timeout(podhealth, upstream):
    u = upstream(200, host="::1", family=socket.AF_INET6)
    # 192.0.2.1 (TEST-NET-1) is never routed here: connect never completes... or fails at
    # once on a host with no route. Either way the check fails within its timeout.
    p = podhealth("--check", "name=v6,url=tcp://[::1]:%d" % u.port,
                  "--check", "name=blackhole,url=tcp://192.0.2.1:9,timeout=300ms")
    assert get(p.port, "/all/v6").status == 200
    t0 = time.monotonic()
    r = get(p.port, "/all/blackhole")
    assert r.status == 503
    within(t0, 0.3)


def test_unix_sockets(podhealth):
    d = tempfile.mkdtemp()
    sock_path = os.path.join(d, "app.sock")
    grpc_path = os.path.join(d, "grpc.sock")
    def answer(c):
        try:
            if c.recv(4096):  # the unix:// check only connects
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except OSError:
            pass
        c.close()

    srv = Peer(answer, path=sock_path)
    g = GrpcServer("-unix", grpc_path)
    try:
        got, listing = verdicts(podhealth, {
            "up": "unix://" + sock_path,
            "missing": "unix://" + os.path.join(d, "nope.sock"),
            "http": "name=http,url=http://app.internal/healthz,socket=" + sock_path,
            "grpc": "name=grpc,url=grpc://app.internal:50051,socket=" + grpc_path,
        })
        assert listing == ("[+]up ok\n[-]missing failed: no such socket\n[+]http ok\n[+]grpc ok\n"
                           "check failed\n")
    finally:
        g.stop()
        srv.stop()
        shutil.rmtree(d)
