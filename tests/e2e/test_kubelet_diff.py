"""Differential tests: podhealth's verdict on an upstream against kubelet's, computed by
Go's net/http with kubelet's probe rules (build/peers/kubelet_probe, tests/oracle), on the
same upstream. Every case must agree, and agree with the verdict written here, which is
also doc/checks.md's "Check semantics" table (test_readme_table_matches keeps them equal)."""
import os
import re

import pytest

from conftest import CHECK_TIMEOUT, SANITIZED, VALGRIND, Upstream, get, refused_port
from peers import ROOT, kubelet, verdicts

# Slow (the HTTP differential table against the Go oracle): make test runs it, make check does not.
pytestmark = pytest.mark.slow


def resp(status=200, body=b"", headers="", length=True, version="HTTP/1.1"):
    head = "%s %03d X\r\n%s" % (version, status, headers)
    if length:
        head += "Content-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + body


def redirect(status, location, extra=""):
    return resp(status, headers="Location: %s\r\n%s" % (location, extra))


def chunked(*parts, trailer=b""):
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(parts) + trailer


OK = resp(200, b"ok")
# One timeout for both sides: the suite's one for checks (peers.CHECK_TIMEOUT, longer under
# a slow wrapper and on a loaded machine), never a figure of this file's own. A row's
# verdict does not depend on it: only one that hangs reaches it.
TIMEOUT = CHECK_TIMEOUT
BIG = 20000  # a body larger than the 10 KiB kubelet reads

# id: (behaviour, {path: (bytes or callable(port), after)}, verdict)
# The check's URL is http://127.0.0.1:PORT/ID. Verdicts: pass, warn (passes; kubelet
# records a warning), fail, kept (a probe error: kubelet's prober returns an error, which
# its worker throws away, so the last verdict stands; podhealth's listing says so, and
# fails when there is none before, as here).
CASES = {
    # Status classes
    "s200": ("200 OK", {}, "pass"),
    "s204": ("204 No Content", {"/s204": (resp(204), "close")}, "pass"),
    "s399": ("399, an unassigned 3xx", {"/s399": (resp(399), "close")}, "warn"),
    "s304": ("304 Not Modified", {"/s304": (resp(304, headers="Location: /x\r\n", length=False), "close")}, "warn"),
    "s400": ("400", {"/s400": (resp(400), "close")}, "fail"),
    "s404": ("404", {"/s404": (resp(404), "close")}, "fail"),
    "s500": ("500", {"/s500": (resp(500), "close")}, "fail"),
    "s503": ("503", {"/s503": (resp(503), "close")}, "fail"),
    "s101": ("101 Switching Protocols", {"/s101": (b"HTTP/1.1 101 S\r\nUpgrade: x\r\n\r\n", "close")}, "fail"),
    "s099": ("status 099", {"/s099": (resp(99), "close")}, "fail"),
    "s700": ("status 700", {"/s700": (resp(700), "close")}, "fail"),
    "interim": ("100 Continue, then 200", {"/interim": (b"HTTP/1.1 100 C\r\n\r\n" + OK, "close")}, "pass"),
    "interim5": ("five 1xx, then 200", {"/interim5": (b"HTTP/1.1 103 E\r\n\r\n" * 5 + OK, "close")}, "pass"),
    "interim6": ("six 1xx, then 200", {"/interim6": (b"HTTP/1.1 103 E\r\n\r\n" * 6 + OK, "close")}, "pass"),
    "interimcl": ("a 1xx with a bad Content-Length, then 200", {"/interimcl": (b"HTTP/1.1 100 C\r\nContent-Length: x\r\n\r\n" + OK, "close")}, "fail"),
    "interim100": ("a hundred 1xx, then 200", {"/interim100": (b"HTTP/1.1 103 E\r\n\r\n" * 100 + OK, "close")}, "pass"),
    # Faults
    "refused": ("connection refused", {}, "fail"),
    "hang": ("accepts, never answers", {"/hang": (b"", "hang")}, "fail"),
    "reset": ("resets after the request", {"/reset": (b"", "reset")}, "fail"),
    "closed": ("closes without answering", {"/closed": (b"", "close")}, "fail"),
    "garbage": ("answers garbage", {"/garbage": (b"this is not HTTP\r\n\r\n", "close")}, "fail"),
    "tls": ("a TLS alert (TLS server on http://)", {"/tls": (b"\x15\x03\x01\x00\x02\x02\x46", "close")}, "fail"),
    "h2": ("an HTTP/2 SETTINGS frame", {"/h2": (b"\x00\x00\x00\x04\x00\x00\x00\x00\x00", "close")}, "fail"),
    "dribble": ("answers one byte at a time", {"/dribble": (OK, "dribble")}, "pass"),
    "truncated": ("half a status line, then close", {"/truncated": (b"HTTP/1.1 20", "close")}, "fail"),
    "headhang": ("a head, then silence", {"/headhang": (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", "hang")}, "fail"),
    # What Go's client parses
    "lf": ("bare LF line endings", {"/lf": (b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "close")}, "pass"),
    "fold": ("obsolete line folding", {"/fold": (b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok", "close")}, "pass"),
    "head20k": ("a 20 KiB head", {"/head20k": (resp(200, b"ok", "X: %s\r\n" % ("a" * 20000)), "close")}, "pass"),
    "head64k": ("a 64 KiB head in 64 headers", {"/head64k": (resp(200, b"ok", "".join("X-%d: %s\r\n" % (i, "a" * 1000) for i in range(64))), "close")}, "pass"),
    "line1m": ("a 1 MiB header line", {"/line1m": (resp(200, b"ok", "X: %s\r\n" % ("a" * (1 << 20))), "close")}, "pass"),
    "head11m": ("an 11 MiB head", {"/head11m": (resp(200, b"ok", "X: %s\r\n" % ("a" * (11 << 20))), "close")}, "fail"),
    "ctlname": ("control bytes in a header name", {"/ctlname": (b"HTTP/1.1 200 OK\r\nX\x01: y\r\nContent-Length: 2\r\n\r\nok", "close")}, "fail"),
    "emptyname": ("an empty header name", {"/emptyname": (b"HTTP/1.1 200 OK\r\n: y\r\nContent-Length: 2\r\n\r\nok", "close")}, "fail"),
    "spacename": ("a space before the colon", {"/spacename": (b"HTTP/1.1 200 OK\r\nX : y\r\nContent-Length: 2\r\n\r\nok", "close")}, "pass"),
    "ctlvalue": ("a control byte in a header value", {"/ctlvalue": (b"HTTP/1.1 200 OK\r\nX: a\x01b\r\nContent-Length: 2\r\n\r\nok", "close")}, "fail"),
    "spacecolon": ("a space before a colon", {"/spacecolon": (b"HTTP/1.1 200 OK\r\nX : y\r\nContent-Length: 2\r\n\r\nok", "close")}, "pass"),
    "nocolon": ("a header line without a colon", {"/nocolon": (b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", "close")}, "fail"),
    "leadfold": ("the first header starts with a blank", {"/leadfold": (b"HTTP/1.1 200 OK\r\n\tX: y\r\n\r\n", "close")}, "fail"),
    "http10": ("HTTP/1.0, body until the close", {"/http10": (resp(200, b"ok", length=False, version="HTTP/1.0"), "close")}, "pass"),
    "http20": ("status line HTTP/2.0", {"/http20": (resp(200, b"ok", version="HTTP/2.0"), "close")}, "pass"),
    "http2": ("status line HTTP/2", {"/http2": (resp(200, b"ok", version="HTTP/2"), "close")}, "fail"),
    "lower": ("status line http/1.1", {"/lower": (resp(200, b"ok", version="http/1.1"), "close")}, "fail"),
    "noreason": ("no reason phrase", {"/noreason": (b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", "close")}, "pass"),
    "twospaces": ("two spaces before the status", {"/twospaces": (b"HTTP/1.1  200 OK\r\nContent-Length: 2\r\n\r\nok", "close")}, "pass"),
    "code4": ("a four-digit status", {"/code4": (b"HTTP/1.1 2000 OK\r\n\r\n", "close")}, "fail"),
    # Body framing: kubelet reads at most 10 KiB, and an error in them is a probe error
    "short": ("body shorter than Content-Length", {"/short": (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", "close")}, "kept"),
    "bigok": ("Content-Length 20000, 10 KiB sent, then silence", {"/bigok": (b"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + b"x" * 10240, "hang")}, "pass"),
    "bigshort": ("Content-Length 20000, 5000 bytes, then close", {"/bigshort": (b"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + b"x" * 5000, "close")}, "kept"),
    "eofhang": ("no Content-Length, body, then silence", {"/eofhang": (resp(200, b"ok", length=False), "hang")}, "kept"),
    "eofreset": ("no Content-Length, body, then a reset", {"/eofreset": (resp(200, b"ok", length=False), "reset")}, "kept"),
    "bodyhang": ("Content-Length 10, 2 bytes, then silence", {"/bodyhang": (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", "hang")}, "kept"),
    "dupcl": ("Content-Length twice, the same", {"/dupcl": (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", "close")}, "pass"),
    "conflictcl": ("Content-Length twice, different", {"/conflictcl": (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", "close")}, "fail"),
    "badcl": ("Content-Length: +2", {"/badcl": (b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", "close")}, "fail"),
    "tecl": ("chunked and Content-Length", {"/tecl": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n", "close")}, "pass"),
    "tegzip": ("Transfer-Encoding: gzip", {"/tegzip": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok", "close")}, "fail"),
    "tetwice": ("Transfer-Encoding twice", {"/tetwice": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "close")}, "fail"),
    "te10": ("Transfer-Encoding on HTTP/1.0", {"/te10": (b"HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok", "close")}, "pass"),
    "chunked": ("chunked", {"/chunked": (chunked(b"2\r\nok\r\n", b"0\r\n\r\n"), "close")}, "pass"),
    "chunklf": ("chunked, bare LF after a size", {"/chunklf": (chunked(b"2\nok\r\n", b"0\r\n\r\n"), "close")}, "kept"),
    "chunkcr": ("chunked, a CR inside a size line", {"/chunkcr": (chunked(b"2\r;x\r\nok\r\n", b"0\r\n\r\n"), "close")}, "kept"),
    "chunkext": ("chunked, extensions and trailer", {"/chunkext": (chunked(b"2;a=b\r\nok\r\n", b"0\r\n", trailer=b"T: x\r\n\r\n"), "close")}, "pass"),
    "chunkbad": ("chunked, a bad size", {"/chunkbad": (chunked(b"zz\r\nok\r\n", b"0\r\n\r\n"), "close")}, "kept"),
    "chunkcrlf": ("chunked, data without CR LF", {"/chunkcrlf": (chunked(b"2\r\nokXX", b"0\r\n\r\n"), "close")}, "kept"),
    "chunknoend": ("chunked, no last chunk", {"/chunknoend": (chunked(b"2\r\nok\r\n"), "close")}, "kept"),
    "chunktrailer": ("chunked, a bad trailer", {"/chunktrailer": (chunked(b"2\r\nok\r\n", b"0\r\n", trailer=b"bad\r\n\r\n"), "close")}, "kept"),
    "chunkbig": ("chunked, 20000 bytes, then garbage", {"/chunkbig": (chunked(b"%x\r\n" % BIG, b"y" * BIG, b"\r\nZZZ\r\n"), "close")}, "pass"),
    "s204cl": ("204 with a bad Content-Length", {"/s204cl": (b"HTTP/1.1 204 N\r\nContent-Length: x\r\n\r\n", "close")}, "fail"),
    "emptycl": ("an empty Content-Length", {"/emptycl": (b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nok", "close")}, "fail"),
    "chunkbadcl": ("chunked with a bad Content-Length", {"/chunkbadcl": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n2\r\nok\r\n0\r\n\r\n", "close")}, "fail"),
    # Redirects: followed to the same host name, 10 requests at most
    "rel": ("302 relative, then 200", {"/rel": (redirect(302, "/s200"), "close")}, "pass"),
    "rel503": ("302 relative, then 503", {"/rel503": (redirect(302, "/s503"), "close")}, "fail"),
    "dots": ("307 to a/../../s200", {"/dots": (redirect(307, "a/../../s200"), "close")}, "pass"),
    "abs": ("301 absolute, same host", {"/abs": (lambda port: redirect(301, "http://127.0.0.1:%d/s200" % port), "close")}, "pass"),
    "absport": ("303 to the same host, another port (refused)", {"/absport": (lambda port: redirect(303, "http://127.0.0.1:%d/" % refused_port()), "close")}, "fail"),
    "other": ("302 to another host name", {"/other": (lambda port: redirect(302, "http://localhost:%d/s503" % port), "close")}, "warn"),
    "other503": ("503 with a Location elsewhere", {"/other503": (lambda port: redirect(503, "http://localhost:%d/s200" % port), "close")}, "fail"),
    "nolocation": ("302 without Location", {"/nolocation": (resp(302), "close")}, "warn"),
    "emptylocation": ("302 with an empty Location", {"/emptylocation": (resp(302, headers="Location:\r\n"), "close")}, "warn"),
    "s300": ("300 with a Location", {"/s300": (redirect(300, "/s503"), "close")}, "warn"),
    "s308": ("308, then 200", {"/s308": (redirect(308, "/s200"), "close")}, "pass"),
    "badlocation": ("Location /%zz", {"/badlocation": (redirect(302, "/%zz"), "close")}, "fail"),
    # User information net/url refuses (validUserinfo; its escapes): the Location fails.
    "baduser": ("Location with a space in its userinfo", {"/baduser": (lambda port: redirect(302, "http://u p@127.0.0.1:%d/s200" % port), "close")}, "fail"),
    "baduserescape": ("Location with %zz in its userinfo", {"/baduserescape": (lambda port: redirect(302, "http://u:%%zz@127.0.0.1:%d/s200" % port), "close")}, "fail"),
    "user": ("Location with every userinfo byte Go takes", {"/user": (lambda port: redirect(302, "http://u-._~!$&'()*+,;=:p%%40@127.0.0.1:%d/s200" % port), "close")}, "pass"),
    "ftp": ("302 to ftp:// on the same host", {"/ftp": (redirect(302, "ftp://127.0.0.1/x"), "close")}, "fail"),
    "space": ("302 to '/s 200' (escaped as %20)", {"/space": (redirect(302, "/s 200"), "close"), "/s%20200": (OK, "close")}, "pass"),
    "loop": ("a redirect loop", {"/loop": (redirect(301, "/loop"), "close")}, "fail"),
    "hops9": ("9 redirects, then 200", {}, "pass"),
    "hops10": ("10 redirects, then 200", {}, "fail"),
    "hops11": ("11 redirects, then 200", {}, "fail"),
    "rhang": ("302 whose body never ends", {"/rhang": (redirect(302, "/s200").replace(b"Content-Length: 0\r\n", b""), "hang")}, "fail"),
    "rbig": ("302 with Content-Length 5000, then silence", {"/rbig": (redirect(302, "/s200").replace(b"Content-Length: 0", b"Content-Length: 5000"), "hang")}, "pass"),
    "rsmall": ("302 with Content-Length 50, then silence", {"/rsmall": (redirect(302, "/s200").replace(b"Content-Length: 0", b"Content-Length: 50"), "hang")}, "fail"),
    "rotherhang": ("302 elsewhere whose body never ends", {"/rotherhang": (lambda port: redirect(302, "http://localhost:%d/" % port).replace(b"Content-Length: 0\r\n", b""), "hang")}, "kept"),
}
for _n in range(1, 12):
    CASES["hops9"][1]["/chain%d" % _n] = (redirect(302, "/chain%d" % (_n - 1)), "close")
CASES["hops9"][1]["/chain0"] = (OK, "close")


def script_for(port):
    def script(path, head):
        # Each case is served at /ID; hop chains at /chainN; "hopsN" starts at /chainN.
        m = re.match(r"/hops(\d+)$", path)
        if m:
            path = "/chain%s" % m.group(1)
        for _, paths, _ in CASES.values():
            if path in paths:
                payload, after = paths[path]
                return (payload(port) if callable(payload) else payload), after
        if path == "/s200":
            return OK, "close"
        if path == "/s503":
            return resp(503), "close"
        return None
    return script


@pytest.fixture(scope="module")
def upstream_all():
    u = Upstream(script=lambda path, head: None)
    u.script = script_for(u.port)
    yield u
    u.stop()


def url_of(u, case):
    if case == "refused":
        return "http://127.0.0.1:%d/" % refused_port()
    return u.url("/" + case)


def test_http_verdicts_match_kubelet(podhealth, upstream_all):
    from concurrent.futures import ThreadPoolExecutor
    urls = {case: url_of(upstream_all, case) for case in CASES}
    with ThreadPoolExecutor(16) as pool:
        oracle = dict(zip(urls, pool.map(lambda u: kubelet("http", u, TIMEOUT), urls.values())))
    got, listing = verdicts(podhealth, urls, TIMEOUT, at_once=16 if VALGRIND or SANITIZED else None)
    problems = []
    for case, (desc, _, want) in CASES.items():
        k = oracle[case][0]
        if not (k == got.get(case) == want):
            problems.append("%s (%s): want %s, kubelet %s (%s), podhealth %s" %
                            (case, desc, want, k, oracle[case][1], got.get(case)))
    assert not problems, "\n".join(problems) + "\n" + listing


def test_http_reasons(podhealth, upstream_all):
    # The reasons that name an outcome of the chain.
    checks = {c: url_of(upstream_all, c) for c in ("rel503", "hops10", "loop", "other", "badlocation", "short")}
    _, listing = verdicts(podhealth, checks)
    assert "[-]rel503 failed: HTTP 503 after 1 redirect\n" in listing
    assert "[-]hops10 failed: stopped after 10 redirects\n" in listing
    assert "[-]loop failed: stopped after 10 redirects\n" in listing
    assert "[+]other ok (HTTP 302 to another host not followed: http://localhost:%d/s503)\n" % upstream_all.port in listing
    assert "[-]badlocation failed: HTTP 302: bad Location: invalid URL escape\n" in listing
    assert ("[-]short failed: HTTP 200: body shorter than its Content-Length (a probe error: "
            "the last verdict stands)\n") in listing


def test_redirects_off(podhealth, upstream_all):
    # redirects=off: the 3xx is the answer (Consul's disable_redirects); it passes, warned.
    _, listing = verdicts(podhealth, {"r": "name=r,url=%s,redirects=off" % url_of(upstream_all, "rel503")})
    assert listing == "[+]r ok (HTTP 302 not followed (redirects=off))\ncheck passed\n"


# Location hosts Go 1.26's net/url refuses, so kubelet 1.37's client fails the probe
# ("failed to parse Location header"), where the oracle's Go 1.24.4 follows or keeps the
# redirect: restated, each row asserting what the oracle says and what podhealth says.
# name: (Location, the oracle's verdict, podhealth's reason; None: both agree, a warning)
LOCATION_HOSTS = {
    "colons": ("http://127.0.0.1:{port}:80/ok", "warn", "invalid port after host"),  # urlstrictcolons, 1.26
    "bare-ipv6": ("http://::1/", "warn", "invalid port after host"),  # urlstrictcolons, 1.26
    "bracketed-name": ("http://[localhost]:{port}/ok", "warn", "invalid IP-literal"),  # 1.24.8
    "bracketed-ipv4": ("http://[127.0.0.1]:{port}/ok", "pass", "invalid IP-literal"),  # 1.24.8
    "ipv6-not-first": ("http://app[::1]:{port}/ok", "warn", "invalid IP-literal"),  # 1.26.1
    "ipv6": ("http://[::1]:{port}/ok", "warn", None),
}


def test_location_hosts_as_go_1_26_parses_them(podhealth):
    def script(path, head):
        if path == "/ok":
            return OK, "close"
        location = LOCATION_HOSTS[path[1:]][0].format(port=u.port)
        return redirect(302, location), "close"
    u = Upstream(script=script)
    try:
        got, listing = verdicts(podhealth, {name: u.url("/" + name) for name in LOCATION_HOSTS})
        for name, (_, oracle, reason) in LOCATION_HOSTS.items():
            assert kubelet("http", u.url("/" + name))[0] == oracle, name
            if reason:
                assert got[name] == "fail", listing
                assert "[-]%s failed: HTTP 302: bad Location: %s" % (name, reason) in listing, listing
            else:
                assert got[name] == oracle, listing
    finally:
        u.stop()


@pytest.mark.rows
def test_redirect_hops_send_kubelets_request(podhealth, upstream_all):
    # Every hop repeats the headers, with the Host of its own URL and a Referer; a host=
    # survives only relative redirects, as in Go's client.
    before = len(upstream_all.heads)
    spec = "name=h,url=%s,host=custom.example,header=X-Token: t1" % url_of(upstream_all, "hops9")
    got, _ = verdicts(podhealth, {"h": spec})
    assert got == {"h": "pass"}
    heads = upstream_all.heads[before:]
    assert len(heads) == 10
    assert all("\r\nHost: custom.example\r\n" in h and "\r\nX-Token: t1\r\n" in h for h in heads)
    assert heads[1].startswith("GET /chain8 HTTP/1.1\r\n")
    assert "\r\nReferer: http://127.0.0.1:%d/chain8\r\n" % upstream_all.port in heads[2]


def test_readme_table_matches():
    """doc/checks.md's Check semantics table lists every case with the verdicts above."""
    with open(os.path.join(ROOT, "doc", "checks.md")) as f:
        readme = f.read()
    rows = {}
    for line in readme.splitlines():
        m = re.match(r"\| (.+?) \| (pass|warn|fail|kept) \| (pass|warn|fail|kept) \|$", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    missing = [(desc, want) for desc, _, want in CASES.values() if rows.get(desc) != (want, want)]
    assert not missing, "doc/checks.md rows missing or different: %r" % missing


def test_redirect_credentials_follow_go(upstream_all):
    # Each hop sends the user information of its own URL, as Go's client does: a relative
    # Location keeps the start's, an absolute one carries its own or none. Compared header
    # by header with what kubelet's client (Go) sends to the same upstream.
    from conftest import run
    port = upstream_all.port
    upstream_all.extra = {
        "/cred-abs": redirect(302, "http://127.0.0.1:%d/cred-end" % port),
        "/cred-own": redirect(302, "http://u2:p%%402@127.0.0.1:%d/cred-end" % port),
        "/cred-rel": redirect(302, "/cred-end"),
        "/cred-end": OK,
    }
    old = upstream_all.script
    upstream_all.script = lambda path, head: ((upstream_all.extra[path], "close")
                                              if path in upstream_all.extra else old(path, head))

    def auths(agent):
        found = []
        for h in upstream_all.heads:
            if "/cred-" in h.split("\r\n")[0] and agent in h.lower():
                a = [l for l in h.split("\r\n") if l.lower().startswith("authorization:")]
                found.append((h.split(" ")[1], a[0] if a else None))
        return found

    try:
        for start in ("http://user:pw@127.0.0.1:%d/cred-abs", "http://127.0.0.1:%d/cred-own",
                      "http://user:pw@127.0.0.1:%d/cred-rel"):
            url = start % port
            del upstream_all.heads[:]
            assert kubelet("http", url)[0] == "pass"
            go = auths("kube-probe")
            rc, _, err = run(["probe", url])
            assert rc == 0, err
            ours = auths("podhealth")
            assert len(go) == 2 and ours == go, (url, go, ours)
    finally:
        upstream_all.script = old


@pytest.mark.rows
def test_a_probe_error_keeps_the_last_verdict(podhealth):
    """kubelet's prober returns an error, not a verdict, when reading the final answer's
    body fails; it tries twice more at once, then its worker throws the result away
    (pkg/kubelet/prober: runProbeWithRetries, worker.go), so the state it had stands.
    podhealth keeps the check's last verdict: a pass stays a pass, with the error as its
    warning, and a failure a failure."""
    short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok"
    answer = {"now": OK}
    u = Upstream(script=lambda path, head: (answer["now"], "close"))
    try:
        p = podhealth("--check", "name=t,url=" + u.url("/"))
        assert get(p.port, "/all").status == 200
        answer["now"] = short
        assert kubelet("http", u.url("/"))[0] == "kept"
        r = get(p.port, "/all?verbose")
        assert r.status == 200, r.body
        assert ("[+]t ok (HTTP 200: body shorter than its Content-Length (a probe error: the "
                "last verdict stands))\n") in r.body
        answer["now"] = resp(503)
        assert get(p.port, "/all").status == 503
        answer["now"] = short
        r = get(p.port, "/all?verbose")
        assert r.status == 503, r.body
        assert ("[-]t failed: HTTP 200: body shorter than its Content-Length (a probe error: "
                "the last verdict stands)\n") in r.body
    finally:
        u.stop()


@pytest.mark.parametrize("cmd", ["serve", "wait"])
@pytest.mark.rows
def test_probe_errors_fail_as_kubelet_1_38_gate_counts_them(podhealth, cmd):
    """--probe-errors fail: kubelet 1.38's alpha gate ProbeErrorAsFailure (kubernetes PR
    139872) has the worker count an errored probe as a failure instead of throwing it
    away; the oracle restates that rule (-probe-errors fail) beside the default."""
    short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok"
    answer = {"now": OK}
    u = Upstream(script=lambda path, head: (answer["now"], "close"))
    try:
        url = u.url("/")
        if cmd == "wait":  # the rule reaches wait's checks: its reason names it
            from conftest import run
            answer["now"] = short
            rc, _, err = run(["wait", "--probe-errors", "fail", "--timeout", TIMEOUT,
                              "--deadline", TIMEOUT, url], timeout=60)
            assert rc == 1, err
            assert "Content-Length (a probe error: a failure (--probe-errors fail))" in err, err
            return
        p = podhealth("--probe-errors", "fail", "--check", "name=t,url=" + url)
        assert get(p.port, "/all").status == 200
        answer["now"] = short
        assert kubelet("http", url)[0] == "kept"
        assert kubelet("http", url, probe_errors="fail")[0] == "fail"
        r = get(p.port, "/all?verbose")
        assert r.status == 503, r.body
        assert ("[-]t failed: HTTP 200: body shorter than its Content-Length (a probe error: a "
                "failure (--probe-errors fail))\n") in r.body
        answer["now"] = OK
        assert get(p.port, "/all").status == 200
    finally:
        u.stop()


@pytest.mark.rows
def test_a_probe_error_over_http2(podhealth):
    """protocol=http2: the answer's head, part of its body, then RST_STREAM (Go's h2c
    server aborting its handler): Go's HTTP/2 client returns the head and fails reading the
    body, a probe error as over HTTP/1.1."""
    from peers import GoPeer
    g = GoPeer("h2_only_server", "-h2c")
    try:
        url = "http://127.0.0.1:%d/cut" % g.port
        assert kubelet("http", url, h2c=True)[0] == "kept"
        got, listing = verdicts(podhealth, {"h": "name=h,url=%s,protocol=http2" % url})
        assert got == {"h": "kept"}
        assert re.search(r"^\[-\]h failed: body: .* \(a probe error: the last verdict stands\)$",
                         listing, re.M), listing
    finally:
        g.stop()


def h2c_answers():
    """protocol=http2: answers in raw frames where HTTP/2 can differ from HTTP/1.1, each
    with its verdict: {name: (frames of stream 1, verdict, restated)}. restated: the
    oracle's x/net (0.27) reads it otherwise than kubelet 1.37's, so the row states the newer
    rule and is not compared."""
    from peers import h2_frame, h2_goaway, h2_headers, h2_rst
    d = lambda body, end=True: h2_frame(0, 1 if end else 0, 1, body)
    head = lambda status, *fields, end=False: h2_headers([(":status", str(status))] + list(fields),
                                                         end_stream=end)
    early = h2_headers([(":status", "103"), ("link", "</a.css>; rel=preload")])
    rst = h2_rst(2)  # INTERNAL_ERROR
    setting = lambda ident, value: h2_frame(4, 0, 0, ident.to_bytes(2, "big") + value.to_bytes(4, "big"))
    ok = head(200) + d(b"ok")
    ten_k = 10 * 1024
    return {
        "200-no-body": (head(200, end=True), "pass", False),
        "204": (head(204, end=True), "pass", False),
        "0-1xx": (head(200, ("content-length", "2")) + d(b"ok"), "pass", False),
        "1-1xx": (early + head(200) + d(b"ok"), "pass", False),
        "5-1xx": (early * 5 + head(200) + d(b"ok"), "pass", False),
        # x/net since v0.31 (kubelet 1.37's) skips any number; the oracle's 0.27 stops at 5.
        "6-1xx": (early * 6 + head(200) + d(b"ok"), "pass", True),
        "many-1xx": (early * 40 + head(200) + d(b"ok"), "pass", True),
        "302-no-location": (head(302, end=True), "warn", False),
        "302-elsewhere": (head(302, ("location", "http://192.0.2.1/x"), end=True), "warn", False),
        "399": (head(399, end=True), "warn", False),
        "400": (head(400, end=True), "fail", False),
        "503-with-body": (head(503) + d(b"down"), "fail", False),
        "body-10k": (head(200, ("content-length", str(ten_k))) + d(b"x" * 8192, False) +
                     d(b"x" * (ten_k - 8192)), "pass", False),
        "body-10k-and-1": (head(200) + d(b"x" * 8192, False) + d(b"x" * (ten_k + 1 - 8192)), "pass", False),
        "body-past-10k-never-ends": (head(200) + d(b"x" * 8192, False) + d(b"x" * 4096, False),
                                     "pass", False),
        "body-never-ends": (head(200) + d(b"ok", False), "kept", False),
        "rst-mid-body": (head(200) + d(b"ok", False) + rst, "kept", False),
        "rst-before-head": (rst, "fail", False),
        "goaway-before-head": (h2_goaway(last=0), "fail", False),
        "goaway-after-answer": (head(200) + d(b"ok") + h2_goaway(last=1), "pass", False),
        "goaway-error-mid-body": (head(200) + d(b"ok", False) + h2_goaway(2, last=1), "kept", False),
        "trailers": (head(200) + d(b"ok", False) + h2_headers([("x-t", "1")], end_stream=True),
                     "pass", False),
        "data-then-empty-end": (head(200) + d(b"ok", False) + d(b""), "pass", False),
        # content-length, as x/net's response body reads it: one valid value is held to,
        # within the 10 KiB kubelet reads (an error of the body's: a probe error).
        "length-short": (head(200, ("content-length", "10")) + d(b"ok"), "kept", False),
        "length-long": (head(200, ("content-length", "1")) + d(b"okokok"), "kept", False),
        "length-long-then-silence": (head(200, ("content-length", "1")) + d(b"okokok", False),
                                     "kept", False),
        "length-and-end-stream": (head(200, ("content-length", "5"), end=True), "kept", False),
        "204-length-and-end-stream": (head(204, ("content-length", "5"), end=True), "kept", False),
        "length-zero-and-end-stream": (head(200, ("content-length", "0"), end=True), "pass", False),
        "length-twice": (head(200, ("content-length", "10"), ("content-length", "10")) + d(b"ok"),
                         "pass", False),
        "length-not-a-number": (head(200, ("content-length", "+2")) + d(b"okok"), "pass", False),
        "length-10k-body-more": (head(200, ("content-length", str(ten_k))) + d(b"x" * 8192, False) +
                                 d(b"x" * 4096), "pass", False),
        "length-10k-less-1-body-more": (head(200, ("content-length", str(ten_k - 1))) +
                                        d(b"x" * 8192, False) + d(b"x" * 4096), "kept", False),
        "length-past-10k-body-10k": (head(200, ("content-length", str(3 * ten_k))) +
                                     d(b"x" * 8192, False) + d(b"x" * (ten_k - 8192)), "pass", False),
        # SETTINGS values x/net's Transport refuses since v0.53 (Setting.Valid; the oracle's
        # 0.27 took them), and those it always took or refused.
        "settings-enable-push-2": (setting(2, 2) + ok, "fail", True),
        "settings-frame-size-under": (setting(5, 16383) + ok, "fail", True),
        "settings-frame-size-over": (setting(5, 1 << 24) + ok, "fail", True),
        "settings-connect-protocol-2": (setting(8, 2) + ok, "fail", True),
        "settings-window-over": (setting(4, 1 << 31) + ok, "fail", False),
        "settings-in-range": (setting(2, 0) + setting(5, (1 << 24) - 1) + setting(4, (1 << 31) - 1) +
                              setting(8, 1) + setting(0x99, 7) + ok, "pass", False),
        "settings-acked": (h2_frame(4, 1, 0) + ok, "pass", False),
        "settings-acked-twice": (h2_frame(4, 1, 0) * 2 + ok, "fail", False),
        # PRIORITY and PRIORITY_UPDATE as x/net's framer parses them (PRIORITY_UPDATE since
        # v0.50; the oracle's 0.27 ignored the frame type).
        "priority-bad-length": (h2_frame(2, 0, 1, b"\0" * 4) + ok, "fail", False),
        "priority": (h2_frame(2, 0, 1, b"\0\0\0\0\x0f") + ok, "pass", False),
        "priority-update-on-a-stream": (h2_frame(0x10, 0, 1, b"\0\0\0\1") + ok, "fail", True),
        "priority-update-short": (h2_frame(0x10, 0, 0, b"\0\0\1") + ok, "fail", True),
        "priority-update-of-stream-0": (h2_frame(0x10, 0, 0, b"\0\0\0\0u=1") + ok, "fail", True),
        "priority-update": (h2_frame(0x10, 0, 0, b"\0\0\0\1u=1") + ok, "pass", False),
    }


def test_http2_cleartext_answers_as_go_reads_them(podhealth):
    """The h2c table (issue 28, item 7): each raw answer's verdict against the oracle's
    x/net/http2 transport (the KEP-5999 prober's), at the breadth of the HTTP/1.1 table
    where HTTP/2 can differ: 1xx counts, 3xx not followed (302, 399: a pass with a warning,
    as kubelet's shared DoHTTPProbe has it), bodies at the 10 KiB kubelet reads, resets and
    GOAWAY before and within the body, trailers. Redirects followed are
    test_http2_cleartext_verdicts_match_kubelet's (Go's own h2c server)."""
    from peers import RawH2, compare
    rows = h2c_answers()
    peers = {name: RawH2(frames) for name, (frames, _, _) in rows.items()}
    try:
        cases = {}
        for name, (_, want, restated) in rows.items():
            url = "http://%s/" % peers[name].addr()
            cases[name] = ("name=%s,url=%s,protocol=http2,timeout=%s" % (name, url, TIMEOUT),
                           None if restated else {"target": url, "h2c": True, "timeout": TIMEOUT},
                           want)
        compare(podhealth, cases, "http")
    finally:
        for p in peers.values():
            p.stop()


@pytest.mark.rows
def test_tcp_verdicts_match_kubelet(podhealth):
    """tcpSocket: kubelet's DoTCPProbe (pkg/probe/tcp) passes when a connection opens within
    the timeout, whatever the server then does, and fails on any error. Each case against
    the oracle's net.Dialer, on the same sockets."""
    import socket

    def listener(family, addr, backlog=16):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind(addr)
        s.listen(backlog)
        return s

    held = []
    try:
        v4 = listener(socket.AF_INET, ("127.0.0.1", 0))  # listens, never accepts
        v6 = listener(socket.AF_INET6, ("::1", 0))
        # A full accept queue: Linux drops further SYNs, so the connection never opens.
        full = listener(socket.AF_INET, ("127.0.0.1", 0), backlog=0)
        held += [v4, v6, full]
        for _ in range(8):  # fill it (backlog 0 holds one connection, or a few)
            try:
                held.append(socket.create_connection(full.getsockname()[:2], timeout=1))
            except socket.timeout:
                break
        else:
            pytest.fail("the accept queue never filled")
        cases = {
            "open": ("127.0.0.1:%d" % v4.getsockname()[1], "pass"),
            "ipv6": ("[::1]:%d" % v6.getsockname()[1], "pass"),
            "localhost-v6": ("localhost:%d" % v6.getsockname()[1], "pass"),
            "refused": ("127.0.0.1:%d" % refused_port(), "fail"),
            "queue-full": ("127.0.0.1:%d" % full.getsockname()[1], "fail"),
        }
        oracle = {name: kubelet("tcp", addr)[0] for name, (addr, _) in cases.items()}
        got, listing = verdicts(podhealth, {name: "tcp://" + addr
                                            for name, (addr, _) in cases.items()})
        want = {name: w for name, (_, w) in cases.items()}
        assert oracle == want, oracle
        assert got == want, listing
    finally:
        for s in held:
            s.close()


def test_probe_headers_replace_kubelets_defaults(podhealth, upstream_all):
    """newProbeRequest (pkg/probe/http/request.go): a probe's User-Agent or Accept replaces
    kubelet's default, and an Accept set empty removes it. The request heads of podhealth
    and of Go's client with kubelet's rules, header by header (the default User-Agent
    names each client)."""
    def fields(head):
        out = []
        for line in head.split("\r\n")[1:]:
            if line:
                name, _, value = line.partition(":")
                out.append((name.lower(), value.strip()))
        return sorted(f for f in out if f[0] != "user-agent" or
                      not (f[1] == "kube-probe/oracle" or f[1].startswith("podhealth/")))

    url = url_of(upstream_all, "s200")
    for given in ([], ["User-Agent: mine/1"], ["Accept:"], ["Accept: text/plain"],
                  ["Accept: a", "Accept: b"]):
        before = len(upstream_all.heads)
        assert kubelet("http", url, headers=given)[0] == "pass"
        spec = "name=h,url=" + url + "".join(",header=" + h for h in given)
        got, _ = verdicts(podhealth, {"h": spec})
        assert got == {"h": "pass"}
        go, ours = upstream_all.heads[before:]
        assert fields(ours) == fields(go), (given, go, ours)
        assert go.lower().count("\r\nuser-agent:") == ours.lower().count("\r\nuser-agent:") == 1
        assert ("\r\nUser-Agent: mine/1\r\n" in ours) == ("User-Agent: mine/1" in given)
