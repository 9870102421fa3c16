"""Named checks and the Kubernetes API server conventions: /livez /readyz, per-check paths,
?verbose, ?exclude=, application/health+json, Prometheus metrics, --hide-reasons."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import within, Client, get, listing, name_of, refused_url


def get_json(port, path, accept=None):
    c = Client(port)
    headers = {"Connection": "close"}
    if accept:
        headers["Accept"] = accept
    r = c.request("GET", path, headers=headers)
    c.close()
    return r, json.loads(r.body)


def test_aliases(podhealth, upstream):
    p = podhealth("app=" + upstream(200).url(), "db=" + refused_url())
    for path in ["/self", "/livez"]:
        assert (get(p.port, path).status, get(p.port, path).body) == (200, "ok\n")
    assert get(p.port, "/all").body == get(p.port, "/readyz").body == listing("app", ("db", "connection refused"))


def test_names_positional_and_derived(podhealth, upstream):
    a, b = upstream(200), upstream(200)
    p = podhealth("envoy=" + a.url("/healthz/ready"), b.url("/healthz?full=1"))
    r = get(p.port, "/all?verbose")
    assert (r.status, r.body) == (200, listing("envoy", "127.0.0.1:%d/healthz" % b.port, ok=True))


def test_verbose_success_and_failure(podhealth, upstream):
    u = upstream(200)
    p = podhealth("app=" + u.url())
    assert get(p.port, "/all").body == "ok\n"
    assert get(p.port, "/all?verbose").body == "[+]app ok\ncheck passed\n"
    assert get(p.port, "/readyz?verbose=1").body == "[+]app ok\ncheck passed\n"
    u.mode = 500
    r = get(p.port, "/all")
    assert (r.status, r.body) == (503, "[-]app failed: HTTP 500\ncheck failed\n")


def test_per_check_paths_run_only_that_check(podhealth, upstream):
    a, b = upstream(200), upstream(503)
    p = podhealth("a=" + a.url(), "b=" + b.url())
    assert (get(p.port, "/all/a").status, get(p.port, "/readyz/a").body) == (200, "ok\n")
    r = get(p.port, "/readyz/b")
    assert (r.status, r.body) == (503, "[-]b failed: HTTP 503\ncheck failed\n")
    assert get(p.port, "/all/a?verbose").body == "[+]a ok\ncheck passed\n"
    assert (a.hits, b.hits) == (3, 1)
    for path in ["/all/c", "/readyz/A", "/all/a/b", "/all/a%2F"]:
        r = get(p.port, path)
        assert (r.status, r.body) == (404, "no such check\n")


def test_per_check_path_with_derived_name(podhealth, upstream):
    u = upstream(200)
    p = podhealth(u.url("/healthz/ready"))
    assert get(p.port, "/all/%s" % name_of(u.url("/healthz/ready"))).status == 200
    assert get(p.port, "/all/127.0.0.1%%3A%d%%2Fhealthz%%2Fready" % u.port).status == 200


def test_exclude(podhealth, upstream):
    hang, ok = upstream("hang"), upstream(200)
    p = podhealth("--timeout", "2s", "slow=" + hang.url(), "ok=" + ok.url())
    t0 = time.monotonic()
    r = get(p.port, "/readyz?exclude=slow&verbose")
    # The excluded check is not waited on (not even started).
    within(t0, 0)
    assert (r.status, r.body) == (200, "[+]slow excluded: ok\n[+]ok ok\ncheck passed\n")
    assert hang.hits == 0
    assert get(p.port, "/all?exclude=slow").body == "ok\n"
    # Several, repeated and unknown names: the API server's warning line.
    r = get(p.port, "/all?exclude=slow&exclude=nope&exclude=ok&exclude=slow&exclude=zz&verbose")
    assert (r.status, r.body) == (200, "[+]slow excluded: ok\n[+]ok excluded: ok\n"
                                       'warn: some health checks cannot be excluded: no matches for "nope","zz"\n'
                                       "check passed\n")


def test_exclude_on_failure_lists_warning(podhealth, upstream):
    p = podhealth("a=" + refused_url(), "b=" + upstream(200).url())
    r = get(p.port, "/all?exclude=b&exclude=x")
    assert (r.status, r.body) == (503, "[-]a failed: connection refused\n[+]b excluded: ok\n"
                                       'warn: some health checks cannot be excluded: no matches for "x"\n'
                                       "check failed\n")


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize("how", ["accept-health", "accept-json", "query"])
def test_json(podhealth, upstream, how):
    ok, bad = upstream(200), upstream(503)
    p = podhealth("ok=" + ok.url(), "bad=" + bad.url())
    path, accept = {"accept-health": ("/readyz", "application/health+json"),
                    "accept-json": ("/all", "text/html, application/json;q=0.9"),
                    "query": ("/all?format=json", None)}[how]
    r, doc = get_json(p.port, path, accept)
    assert r.status == 503
    assert r.header("content-type") == "application/health+json"
    assert doc["status"] == "fail"
    assert list(doc["checks"]) == ["ok", "bad"]
    good, failed = doc["checks"]["ok"][0], doc["checks"]["bad"][0]
    assert good["status"] == "pass" and "output" not in good
    assert (failed["status"], failed["output"]) == ("fail", "HTTP 503")
    for entry in (good, failed):
        assert entry["observedUnit"] == "ms"
        assert isinstance(entry["observedValue"], int) and 0 <= entry["observedValue"] < 1000
        assert RFC3339.match(entry["time"]), entry["time"]


def test_json_pass_single_and_excluded(podhealth, upstream):
    p = podhealth("a=" + upstream(200).url(), "b=" + refused_url())
    r, doc = get_json(p.port, "/all?format=json&exclude=b&exclude=zz")
    assert r.status == 200
    assert doc["status"] == "pass"
    assert doc["checks"]["b"] == [{"status": "pass", "output": "excluded"}]
    assert doc["notes"] == ['some health checks cannot be excluded: no matches for "zz"']
    r, doc = get_json(p.port, "/all/b", accept="application/health+json")
    assert (r.status, doc["status"], list(doc["checks"])) == (503, "fail", ["b"])
    assert doc["checks"]["b"][0]["output"] == "connection refused"


def test_json_escapes_any_bytes(podhealth, upstream):
    # The reason quotes the body= text: quotes, backslashes, control and non-UTF-8 bytes.
    u = upstream(200, body=b"nothing to see")
    spec = 'name=weird,url=%s,"body=a""b\\c\td\xff"' % u.url()
    p = podhealth("--check", spec.encode("latin-1").decode("utf-8", "surrogateescape"))
    r, doc = get_json(p.port, "/all?format=json")
    assert doc["checks"]["weird"][0]["output"] == 'HTTP 200, body does not contain "a"b\\c\td\ufffd"'


def parse_metrics(text):
    """Parses Prometheus text format 0.0.4 strictly: HELP/TYPE lines and samples."""
    samples, types = {}, {}
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+]+|NaN|\+Inf|-Inf)$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        m = sample.match(line)
        assert m, "bad sample line: %r" % line
        labels = tuple(label.findall(m.group(3) or ""))
        samples[(m.group(1), tuple((k, v) for k, v, _ in labels))] = float(m.group(4))
    return samples, types


def test_metrics(podhealth, upstream):
    ok, bad = upstream(200), upstream(500)
    p = podhealth("ok=" + ok.url(), "bad=" + bad.url(), "never=" + refused_url())
    get(p.port, "/all")
    get(p.port, "/all")
    get(p.port, "/all/ok")
    c = Client(p.port)
    r = c.request("GET", "/metrics")
    assert r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8"
    samples, types = parse_metrics(r.body)
    assert types == {"podhealth_check_up": "gauge", "podhealth_check_duration_seconds": "gauge",
                     "podhealth_checks_total": "counter", "podhealth_build_info": "gauge"}
    assert samples[("podhealth_check_up", (("check", "ok"),))] == 1
    assert samples[("podhealth_check_up", (("check", "bad"),))] == 0
    assert samples[("podhealth_check_up", (("check", "never"),))] == 0
    assert samples[("podhealth_checks_total", (("check", "ok"), ("result", "success")))] == 3
    assert samples[("podhealth_checks_total", (("check", "bad"), ("result", "failure")))] == 2
    assert samples[("podhealth_checks_total", (("check", "bad"), ("result", "success")))] == 0
    assert 0 <= samples[("podhealth_check_duration_seconds", (("check", "ok"),))] < 1
    version = [k for k in samples if k[0] == "podhealth_build_info"][0][1][0]
    assert version[0] == "version" and samples[("podhealth_build_info", (version,))] == 1
    # A scrape never triggers checks.
    hits = (ok.hits, bad.hits)
    for _ in range(3):
        c.request("GET", "/metrics")
    assert (ok.hits, bad.hits) == hits
    assert c.request("HEAD", "/metrics").status == 200
    c.close()


def test_metrics_before_any_check(podhealth, upstream):
    p = podhealth("a=" + upstream(200).url())
    samples, _ = parse_metrics(get(p.port, "/metrics").body)
    assert ("podhealth_check_up", (("check", "a"),)) not in samples
    assert samples[("podhealth_checks_total", (("check", "a"), ("result", "success")))] == 0


def test_hide_reasons(podhealth, upstream):
    p = podhealth("--hide-reasons", "a=" + refused_url())
    assert get(p.port, "/all").body == "[-]a failed: reason withheld\ncheck failed\n"
    _, doc = get_json(p.port, "/all?format=json")
    assert doc["checks"]["a"][0]["output"] == "reason withheld"
    # The log keeps the reason.
    assert 'check unhealthy check=a reason="connection refused"' in p.log()


def test_plus_is_a_plus_everywhere(podhealth, upstream):
    # A name may hold '+'; in /all/NAME and ?exclude=NAME it is a '+' (names hold no
    # space, so it never stands for one). It used to be decoded as a space.
    p = podhealth("a+b=" + upstream(200).url(), "c=" + refused_url())
    assert get(p.port, "/all/a+b").status == 200
    assert get(p.port, "/all/a%2Bb").status == 200
    r = get(p.port, "/all?exclude=c&exclude=a+b&verbose")
    assert (r.status, r.body) == (200, "[+]a+b excluded: ok\n[+]c excluded: ok\ncheck passed\n")


def test_made_names_obey_the_name_rules(podhealth, upstream, tmp_path):
    # Names podhealth makes from URLs follow the rules given names follow: cut at 128
    # characters, and '%', bytes outside ASCII and the other forbidden characters made '_'.
    # Each is reachable at /all/NAME as it is written, and /metrics stays valid.
    u = upstream(200)
    long_path = "/" + "p" * 200
    raw = os.fsdecode(b"/caf\xc3\xa9/\xff")
    p = podhealth(u.url(long_path), u.url("/a%41"), u.url(raw), u.url("/x,y=z"))
    base = "127.0.0.1:%d" % u.port
    names = [(base + long_path)[:128], base + "/a_41", base + "/caf__/_", base + "/x_y_z"]
    r = get(p.port, "/all?verbose")
    assert r.body == "".join("[+]%s ok\n" % n for n in names) + "check passed\n"
    for n in names:
        assert get(p.port, "/all/" + n).status == 200, n
    metrics = tmp_path / "metrics.txt"
    metrics.write_text(get(p.port, "/metrics").body)
    check = subprocess.run(["promtool", "check", "metrics"], stdin=open(metrics), capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_accept_media_ranges(podhealth, upstream):
    # Accept is parsed as media ranges with q-values (RFC 9110 section 12.5.1), not searched.
    p = podhealth("a=" + upstream(200).url())
    for accept, json_wanted in (("application/jsonl", False), ("application/json;q=0", False),
                                ("text/plain, application/json;q=0.5", False),
                                ("text/html, application/json;q=0.9", True)):
        c = Client(p.port)
        r = c.request("GET", "/all", headers={"Accept": accept, "Connection": "close"})
        c.close()
        assert (r.header("content-type") == "application/health+json") == json_wanted, accept
