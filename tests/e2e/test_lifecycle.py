"""Startup logging, shutdown on SIGTERM/SIGINT with requests in flight."""
import os
import signal
import time

import pytest

from conftest import within, Client, launch, free_port, get, name_of, port_is_free, refused_url, run, wait_until


@pytest.mark.parametrize("sig,name", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")])
def test_signal_stops_cleanly(podhealth, upstream, sig, name):
    p = podhealth(upstream(200).url(), expect_clean_exit=False)
    assert get(p.port, "/self").status == 200
    t0 = time.monotonic()
    assert p.stop(sig) == 0
    within(t0, 0.5)
    log = p.log().splitlines()
    assert log[-2:] == ["podhealth: info: shutting down signal=%s" % name, "podhealth: info: stopped"]


def test_in_flight_request_finishes_on_sigterm(podhealth, upstream):
    p = podhealth(upstream(200, delay=0.3).url(), expect_clean_exit=False)
    c = Client(p.port)
    c.send("GET /all HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.05)
    p.proc.send_signal(signal.SIGTERM)
    r = c.read()
    assert (r.status, r.header("connection")) == (200, "close")
    assert p.proc.wait(timeout=3) == 0
    # The listener is gone.
    try:
        get(p.port, "/self")
        assert False, "still accepting after SIGTERM"
    except OSError:
        pass


def test_shutdown_is_bounded(podhealth, upstream):
    # A check that would take 10 s cannot hold shutdown beyond the ~1 s grace period.
    p = podhealth(upstream("hang").url(), "--timeout", "10s", expect_clean_exit=False)
    c = Client(p.port)
    c.send("GET /all HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.05)
    t0 = time.monotonic()
    p.proc.send_signal(signal.SIGTERM)
    assert p.proc.wait(timeout=5) == 0
    assert 0.9 < within(t0, 1.6)


def test_idle_keep_alive_clients_do_not_delay_shutdown(podhealth, upstream):
    p = podhealth(upstream(200).url(), expect_clean_exit=False)
    idle = [Client(p.port) for _ in range(5)]
    for c in idle:
        assert c.request("GET", "/self").status == 200
    t0 = time.monotonic()
    assert p.stop() == 0
    within(t0, 0.5)
    assert all(c.closed(timeout=1) for c in idle)


def test_startup_log(podhealth, upstream):
    u = upstream(200)
    p = podhealth(u.url(), "--timeout", "2.5s", "--check", "name=x,url=tcp://127.0.0.1:1,timeout=3s")
    version = run(["--version"])[1].split()[1]
    assert p.log().splitlines() == [
        "podhealth: info: listening version=%s address=* port=%d timeout=2.5s" % (version, p.port),
        "podhealth: info: check name=%s url=%s" % (name_of(u.url()), u.url()),
        "podhealth: info: check name=x url=tcp://127.0.0.1:1 timeout=3s",
    ]


def test_no_log_line_per_probe(podhealth, upstream):
    p = podhealth(upstream(200).url())
    for _ in range(20):
        get(p.port, "/all")
        get(p.port, "/self")
    # Startup (2 lines) and one state change; nothing per request.
    assert len(p.log().splitlines()) == 3


def context_switches(pid):
    # Every return from epoll_wait after sleeping is a voluntary context switch of the
    # main thread, so an idle loop with no timer armed shows none at all.
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])


def test_idle_daemon_never_wakes_up(podhealth, upstream):
    p = podhealth(upstream(200).url(), refused_url())
    # Traffic first, so that any timer it left behind would show.
    for path in ["/self", "/all", "/nope", "/all"]:
        get(p.port, path)
    c = Client(p.port)
    c.request("GET", "/all")
    c.close()
    time.sleep(0.3)
    before = context_switches(p.proc.pid)
    time.sleep(2)
    assert context_switches(p.proc.pid) == before


def test_closed_stderr_never_ends_serve(upstream):
    # The log reader goes away; the next log line (a check changing state) must not kill
    # podhealth with SIGPIPE (it used to exit 141 and drop the request in flight).
    u = upstream(200)
    port = free_port()
    r, w = os.pipe()
    p = launch(["serve", "--port", str(port), "app=" + u.url()], stderr=w)
    os.close(w)
    try:
        assert wait_until(lambda: port_is_free(port) is False, timeout=30)
        os.close(r)  # nobody reads podhealth's log any more
        u.mode = 503
        resp = get(port, "/all")  # healthy -> unhealthy: a log line, written to no one
        assert resp.status == 503
        u.mode = 200
        assert get(port, "/all").status == 200
        assert p.poll() is None
    finally:
        p.terminate()
        assert p.wait(timeout=10) == 0
