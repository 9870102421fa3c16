"""The HTTP server side: routing, methods, keep-alive, pipelining, limits, hostile clients."""
import socket
import time

import pytest

from conftest import within, Client, cpu_ticks, get, wait_until


@pytest.fixture
def daemon(podhealth, upstream):
    return podhealth(upstream(200).url())


@pytest.mark.parametrize("path", ["/", "/selff", "/self/", "/all/", "/healthz", "/SELF", "/%73elf", "/metricsx"])
def test_unknown_paths_are_404(daemon, path):
    r = get(daemon.port, path)
    assert (r.status, r.body) == (404, "not found\n")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
@pytest.mark.parametrize("path", ["/self", "/all"])
def test_other_methods_are_405_with_allow(daemon, method, path):
    r = get(daemon.port, path, method=method)
    assert r.status == 405
    assert r.header("allow") == "GET, HEAD"


def test_query_string_is_ignored_for_routing(daemon):
    assert get(daemon.port, "/self?x=1").status == 200
    assert get(daemon.port, "/all?verbose").status == 200


def test_absolute_form_target(daemon):
    assert get(daemon.port, "http://podhealth:8081/self").status == 200


def test_head_has_headers_but_no_body(daemon):
    c = Client(daemon.port)
    r = c.request("HEAD", "/self")
    assert (r.status, r.header("content-length"), r.body) == (200, "3", "")
    r = c.request("GET", "/self")
    assert (r.status, r.body) == (200, "ok\n")
    c.close()


def test_keep_alive_http11(daemon):
    c = Client(daemon.port)
    for path in ["/self", "/all", "/nope", "/self"] * 5:
        r = c.request("GET", path)
        assert r.header("connection") is None
    assert r.status == 200
    c.close()


def test_http10_closes_by_default(daemon):
    c = Client(daemon.port)
    r = c.request("GET", "/self", version="HTTP/1.0")
    assert (r.status, r.header("connection")) == (200, "close")
    assert c.closed()


def test_http10_keep_alive_when_asked(daemon):
    c = Client(daemon.port)
    for _ in range(3):
        r = c.request("GET", "/self", version="HTTP/1.0", headers={"Connection": "keep-alive"})
        assert (r.status, r.header("connection")) == (200, "keep-alive")
    c.close()


def test_connection_close_is_honoured(daemon):
    c = Client(daemon.port)
    r = c.request("GET", "/self", headers={"Connection": "close"})
    assert (r.status, r.header("connection")) == (200, "close")
    assert c.closed()


def test_pipelining_answers_in_order(podhealth, upstream):
    # A slow /all in the middle must not let the /self behind it overtake it.
    p = podhealth(upstream(200, delay=0.2).url())
    c = Client(p.port)
    c.send("GET /self HTTP/1.1\r\nHost: t\r\n\r\n"
           "GET /all HTTP/1.1\r\nHost: t\r\n\r\n"
           "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
           "HEAD /self HTTP/1.1\r\nHost: t\r\n\r\n"
           "GET /all HTTP/1.1\r\nHost: t\r\n\r\n")
    got = [c.read().status, c.read().status, c.read().status, c.read(head=True).status, c.read().status]
    assert got == [200, 200, 404, 200, 200]
    c.close()


def test_pipelined_requests_split_across_writes(daemon):
    c = Client(daemon.port)
    data = b"GET /self HTTP/1.1\r\nHost: t\r\n\r\nGET /all HTTP/1.1\r\nHost: t\r\n\r\n"
    for i in range(0, len(data), 7):
        c.send(data[i:i + 7])
        time.sleep(0.002)
    assert [c.read().status, c.read().status] == [200, 200]
    c.close()


def test_client_half_close_still_gets_answer(podhealth, upstream):
    p = podhealth(upstream(200, delay=0.1).url())
    c = Client(p.port)
    c.send("GET /all HTTP/1.1\r\nHost: t\r\n\r\n")
    c.sock.shutdown(socket.SHUT_WR)
    assert c.read().status == 200
    assert c.closed()


MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET /self HTTP/9.9\r\nHost: t\r\n\r\n",
    b"GET /self HTTP/1.1\r\nBad Header Line\r\n\r\n",
    b"GET /self\x00 HTTP/1.1\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # a TLS ClientHello
    b"POST /self HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /self HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
    b"POST /self HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
]


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_requests_get_400_and_close(daemon, data):
    c = Client(daemon.port)
    c.send(data)
    r = c.read()
    assert (r.status, r.header("connection"), r.body) == (400, "close", "bad request\n")
    assert c.closed()
    assert get(daemon.port, "/self").status == 200


def test_oversized_head_is_431(daemon):
    c = Client(daemon.port)
    c.send("GET /self HTTP/1.1\r\nHost: t\r\n" + "X-Filler: %s\r\n" % ("a" * 1000) * 9 + "\r\n")
    r = c.read()
    assert (r.status, r.header("connection")) == (431, "close")
    assert c.closed()
    assert get(daemon.port, "/self").status == 200


def test_head_just_under_the_limit_is_fine(daemon):
    c = Client(daemon.port)
    r = c.request("GET", "/self", headers={"X-Filler": "a" * 7000})
    assert r.status == 200
    c.close()


def test_long_request_line_is_414(daemon):
    c = Client(daemon.port)
    c.send("GET /self?%s HTTP/1.1\r\nHost: t\r\n\r\n" % ("a" * 2000))
    r = c.read()
    assert (r.status, r.header("connection")) == (414, "close")
    assert c.closed()


def test_long_but_allowed_target_works(daemon):
    # Longer than the inline buffer, within the limit.
    assert get(daemon.port, "/self?" + "b" * 900).status == 200


def test_request_body_is_read_and_ignored(daemon):
    c = Client(daemon.port)
    c.send("POST /self HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
    assert c.read().status == 405
    assert c.request("GET", "/self").status == 200
    c.close()


def test_slow_client_is_dropped(daemon):
    # Sends half a request head, then nothing: dropped with 408 after the request timeout.
    c = Client(daemon.port)
    c.send("GET /self HTTP/1.1\r\nHost")
    t0 = time.monotonic()
    r = c.read(timeout=10)
    assert (r.status, r.header("connection")) == (408, "close")
    assert 4.5 < within(t0, 6.5)
    assert c.closed()


def test_silent_client_is_closed(daemon):
    c = Client(daemon.port)
    t0 = time.monotonic()
    assert c.closed(timeout=10)
    assert 4.5 < within(t0, 6.5)


def test_slow_clients_do_not_block_others(daemon):
    slow = [Client(daemon.port) for _ in range(20)]
    for s in slow:
        s.send("GET /self HTTP/1.1\r\n")
    t0 = time.monotonic()
    assert get(daemon.port, "/self").status == 200
    within(t0, 0.5)
    for s in slow:
        s.close()


def test_connection_cap_evicts_idle_keep_alive(podhealth, upstream):
    p = podhealth(upstream(200).url(), "--max-connections", "8")
    idle = [Client(p.port) for _ in range(8)]
    for c in idle:
        assert c.request("GET", "/self").status == 200
    # At the cap: a new probe still gets through; the oldest idle client gave way.
    assert get(p.port, "/self").status == 200
    assert idle[0].closed(timeout=2)
    for c in idle:
        c.close()


def test_connection_flood_then_recovery(podhealth, upstream):
    # More busy clients than the cap: the excess waits in the backlog, nothing crashes,
    # and once the flood ends probes are answered again.
    p = podhealth(upstream("hang").url(), "--max-connections", "16", "--timeout", "2s")
    flood = []
    for _ in range(40):
        c = Client(p.port)
        c.send("GET /all HTTP/1.1\r\nHost: t\r\n\r\n")
        flood.append(c)
    time.sleep(0.2)
    for c in flood:
        c.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if get(p.port, "/self").status == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        pytest.fail("/self never answered after the flood")
    assert p.proc.poll() is None


def test_dual_stack_listener(daemon):
    assert get(daemon.port, "/self", host="127.0.0.1").status == 200
    assert get(daemon.port, "/self", host="::1", family=socket.AF_INET6).status == 200


def test_listen_address(podhealth, upstream):
    p = podhealth(upstream(200).url(), "--listen", "127.0.0.1")
    assert get(p.port, "/self").status == 200
    with pytest.raises(OSError):
        get(p.port, "/self", host="::1", family=socket.AF_INET6)


def test_many_clients_at_once(daemon):
    clients = [Client(daemon.port) for _ in range(100)]
    for c in clients:
        c.send("GET /self HTTP/1.1\r\nHost: t\r\n\r\n")
    assert all(c.read().status == 200 for c in clients)
    for c in clients:
        c.close()


def test_client_reset_mid_wait_is_harmless(podhealth, upstream):
    p = podhealth(upstream(200, delay=0.3).url())
    for _ in range(10):
        c = Client(p.port)
        c.send("GET /all HTTP/1.1\r\nHost: t\r\n\r\n")
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()
    time.sleep(0.5)
    assert get(p.port, "/all").status == 200


def test_requests_after_connection_close_are_dropped(podhealth, upstream):
    # Found by fuzzing: bytes pipelined behind a "Connection: close" request, then the
    # client's half-close, once left the connection spinning until the linger timeout.
    p = podhealth(upstream(200, delay=0.2).url())
    c = Client(p.port)
    c.send("GET /all HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
           "GET /self HTTP/1.1\r\nHost: t\r\n\r\n")
    c.sock.shutdown(socket.SHUT_WR)
    before = cpu_ticks(p.proc.pid)
    r = c.read()
    assert (r.status, r.header("connection")) == (200, "close")
    assert c.closed(timeout=2)
    assert c.rest == b""  # the pipelined /self was not answered
    # The client sees EOF at once (our half-close); a spinning server shows in CPU time.
    time.sleep(0.6)
    assert cpu_ticks(p.proc.pid) - before <= 10


def test_many_long_accept_headers(daemon):
    # Found by fuzzing: repeated Accept headers filling the kept copy once overflowed it.
    c = Client(daemon.port)
    headers = "".join("Accept: %s\r\n" % ("text/x-%d-" % i + "a" * 120) for i in range(8))
    c.send("GET /all HTTP/1.1\r\nHost: t\r\n" + headers + "Accept: application/json\r\n\r\n")
    r = c.read()
    assert r.status == 200 and r.body == "ok\n"  # the JSON wish fell beyond the kept 127 bytes
    assert c.request("GET", "/self").status == 200
    c.close()


def test_cap_makes_room_when_a_busy_client_goes_idle(podhealth, upstream):
    # Two clients at the cap wait on a hanging check; once answered they sit idle, and a
    # third client is served at once by evicting one (it used to wait out the 60 s idle
    # timeout: the listener was re-armed only when a connection closed).
    hang = upstream("hang")
    p = podhealth("--max-connections", "2", "-t", "1s", "hang=" + hang.url())
    a, b = Client(p.port), Client(p.port)
    for c in (a, b):
        c.send("GET /all HTTP/1.1\r\nHost: t\r\n\r\n")
    assert wait_until(lambda: len(hang.requests) == 1)
    t0 = time.monotonic()
    third = Client(p.port)  # waits in the backlog: both slots are busy
    third.send("GET /self HTTP/1.1\r\nHost: t\r\n\r\n")
    assert a.read().status == 503 and b.read().status == 503
    assert third.read(timeout=10).status == 200
    within(t0, 1.5)
    for c in (a, b, third):
        c.close()


def test_upgrade_is_ignored_and_connect_closes(daemon):
    # curl --http2 asks for h2c: RFC 9110 section 7.8 lets a server ignore it, and the
    # connection stays HTTP/1.1 and usable (it used to answer, then refuse the next one).
    c = Client(daemon.port)
    c.send("GET /self HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\n"
           "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
    r = c.read()
    assert (r.status, r.header("connection")) == (200, None)
    assert c.request("GET", "/self").status == 200
    c.close()
    # After CONNECT the bytes would be a tunnel's: answered, then closed cleanly.
    c = Client(daemon.port)
    c.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nGET /self HTTP/1.1\r\n\r\n")
    r = c.read()
    assert (r.status, r.header("connection")) == (404, "close")
    assert c.closed()
    c.close()
