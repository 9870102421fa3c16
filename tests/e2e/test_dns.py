"""Name resolution: off the event loop, /etc/hosts honoured, localhost without /etc/hosts.
Each test runs podhealth in a private mount namespace with its own /etc/hosts and
/etc/resolv.conf pointing at a fake DNS server on loopback."""
import os
import random
import shutil
import socket
import struct
import tempfile
import threading
import time

import pytest

from conftest import within, get, listing, name_of, run, why_not

# A loopback address of this run's own: two suites running side by side on one machine
# must not share the fake DNS server's port 53.
DNS_ADDR = "127.%d.%d.%d" % (random.randrange(1, 255), random.randrange(0, 256), random.randrange(2, 255))


NO_UNSHARE = why_not(["unshare", "-m", "--propagation", "private", "true"])
pytestmark = pytest.mark.skipif(NO_UNSHARE is not None, reason="chroot: unshare -m: %s" % NO_UNSHARE)


class FakeDNS:
    """Answers NXDOMAIN for names starting with 'missing', 127.0.0.1 (after 100 ms) for
    names starting with 'shared', and never answers the rest."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((DNS_ADDR, 53))
        self.queries = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(512)
            except OSError:
                return
            qname, i = [], 12
            while i < len(data) and data[i]:
                qname.append(data[i + 1:i + 1 + data[i]].decode())
                i += 1 + data[i]
            name = ".".join(qname)
            qtype = struct.unpack(">H", data[i + 1:i + 3])[0]
            self.queries.append((name, qtype))
            qid, question = data[:2], data[12:i + 5]
            if name.startswith("missing"):
                header = qid + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0)
                self.sock.sendto(header + question, addr)
            elif name.startswith("shared"):
                answer = b""
                if qtype == 1:  # A: 127.0.0.1; anything else: no data
                    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 1])
                header = qid + struct.pack(">HHHHH", 0x8180, 1, 1 if answer else 0, 0, 0)
                threading.Timer(0.1, self._send, (header + question + answer, addr)).start()

    def _send(self, data, addr):
        try:
            self.sock.sendto(data, addr)
        except OSError:
            pass  # closed meanwhile: the module's tests ended

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def dns_server():
    d = FakeDNS()
    yield d
    d.close()


@pytest.fixture
def dns(dns_server):
    dns_server.queries.clear()
    return dns_server


@pytest.fixture
def netfiles():
    """Writes hosts and resolv.conf files and returns the wrapper that mounts them."""
    tmp = tempfile.mkdtemp()

    def wrap(hosts):
        with open(os.path.join(tmp, "hosts"), "w") as f:
            f.write(hosts)
        with open(os.path.join(tmp, "resolv.conf"), "w") as f:
            f.write("nameserver %s\noptions timeout:2 attempts:1\n" % DNS_ADDR)
        script = ("mount --bind {0}/hosts /etc/hosts && "
                  "mount --bind {0}/resolv.conf /etc/resolv.conf && exec \"$@\"").format(tmp)
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"]

    yield wrap
    shutil.rmtree(tmp)


def test_name_from_etc_hosts(podhealth, upstream, netfiles, dns):
    u = upstream(200)
    p = podhealth("http://upstream.test:%d/healthz" % u.port, wrap=netfiles("127.0.0.1 upstream.test\n"))
    r = get(p.port, "/all")
    assert (r.status, r.body) == (200, "ok\n")
    assert u.requests[0].split("\r\n")[1] == "Host: upstream.test:%d" % u.port


def test_localhost_without_etc_hosts(podhealth, upstream, netfiles, dns):
    # An empty /etc/hosts, as in a scratch image: localhost still means loopback, and no
    # DNS query is sent for it.
    u = upstream(200)
    p = podhealth("http://localhost:%d/" % u.port, wrap=netfiles(""))
    assert get(p.port, "/all").status == 200
    assert dns.queries == []


def test_unknown_host(podhealth, netfiles, dns):
    p = podhealth("http://missing.test:80/", "--timeout", "3s", wrap=netfiles(""))
    r = get(p.port, "/all")
    assert (r.status, r.body) == (503, listing(("missing.test:80", "no such host")))


def test_slow_dns_never_delays_self(podhealth, upstream, netfiles, dns):
    # The resolver never answers: the check times out on schedule, /self stays instant,
    # and a check against an IP literal in the same round is unaffected.
    u = upstream(200)
    p = podhealth("--timeout", "500ms", "http://blackhole.test:%d/" % u.port, u.url(),
                  wrap=netfiles(""))
    done = {}

    def probe_all():
        done["t0"] = time.monotonic()
        done["r"] = get(p.port, "/all")
        done["t1"] = time.monotonic()

    t = threading.Thread(target=probe_all)
    t.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    assert get(p.port, "/self").status == 200
    within(t0, 0)
    t.join()
    assert done["r"].status == 503
    assert done["r"].body == listing(("blackhole.test:%d" % u.port, "timeout after 500ms"), name_of(u.url()))
    assert 0.5 <= within(done["t0"], 0.5, done["t1"])
    assert "blackhole.test" in [name for name, _ in dns.queries]


def test_more_checks_than_lookup_threads(podhealth, upstream, netfiles, dns):
    # 40 host names, more than the 32 lookups that run at once: the rest wait in line
    # (they used to fail at once with "too many DNS lookups in flight").
    u = upstream(200)
    hosts = "".join("127.0.0.1 h%d.test\n" % i for i in range(40))
    checks = ["tcp://h%d.test:%d" % (i, u.port) for i in range(40)]
    p = podhealth("--timeout", "5s", *checks, wrap=netfiles(hosts))
    for _ in range(3):
        r = get(p.port, "/all")
        assert (r.status, r.body) == (200, "ok\n")


def test_checks_of_one_host_share_a_lookup(podhealth, upstream, netfiles, dns):
    # Ten checks of one name in one round: one lookup (an A and an AAAA query), not ten.
    u = upstream(200)
    checks = ["c%d=http://shared.test:%d/%d" % (i, u.port, i) for i in range(10)]
    p = podhealth("--timeout", "3s", *checks, wrap=netfiles(""))
    r = get(p.port, "/all")
    assert (r.status, r.body) == (200, "ok\n")
    asked = [q for q in dns.queries if q[0] == "shared.test"]
    assert 1 <= len(asked) <= 2 and len(set(asked)) == len(asked), dns.queries


@pytest.mark.parametrize("timeout_ms", [80, 100, 120])
def test_probe_exits_with_lookups_in_flight(netfiles, dns, timeout_ms):
    # probe decides at its timeout while one lookup never ends and another ends around
    # then (the fake DNS answers shared.test after 100 ms): it exits on schedule, and frees
    # every lookup, finished or not (the valgrind pass fails on a leak).
    t0 = time.monotonic()
    rc, _, err = run(["probe", "--timeout", "%dms" % timeout_ms,
                      "--check", "name=never,url=http://blackhole.test:1/",
                      "--check", "name=late,url=tcp://shared.test:1"], wrap=netfiles(""))
    within(t0, timeout_ms / 1000)
    assert rc == 1, err
    assert "[-]never failed: timeout after %dms" % timeout_ms in err
    assert "[-]late failed: " in err
