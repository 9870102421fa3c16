"""Every --check key, the environment twins, startup errors, and log formats."""
import json
import os
import time

import pytest

from conftest import within, Podhealth, free_port, get, refused_url, run


def spec(**kw):
    return ",".join("%s=%s" % kv for kv in kw.items())


def test_check_timeout_overrides_global(podhealth, upstream):
    h = upstream("hang")
    p = podhealth("--timeout", "5s", "--check", spec(name="h", url=h.url(), timeout="200ms"))
    t0 = time.monotonic()
    r = get(p.port, "/all")
    assert 0.2 <= within(t0, 0.2)
    assert r.body == "[-]h failed: timeout after 200ms\ncheck failed\n"


@pytest.mark.parametrize("status,expect,ok", [
    (404, "404", True), (200, "204", False), (204, "200,204,301-308", True),
    (302, "200-299", False), (500, "500-599", True), (200, "200", True),
])
def test_expect(podhealth, upstream, status, expect, ok):
    u = upstream(status)
    p = podhealth("--check", "name=x,url=%s,expect=%s" % (u.url(), expect))
    r = get(p.port, "/all")
    assert r.status == (200 if ok else 503)
    if not ok:
        assert r.body == "[-]x failed: HTTP %d\ncheck failed\n" % status


def test_headers_host_and_method(podhealth, upstream):
    u = upstream(200)
    p = podhealth("--check", 'name=x,url=%s,header=X-Probe: 1,"header=Authorization: Bearer a,b",'
                  "header=User-Agent: kube-probe/1.31,host=app.example.com,method=HEAD" % u.url("/h"))
    assert get(p.port, "/all").status == 200
    assert u.requests[0] == ("HEAD /h HTTP/1.1\r\nHost: app.example.com\r\nAccept: */*\r\n"
                             "X-Probe: 1\r\nAuthorization: Bearer a,b\r\n"
                             "User-Agent: kube-probe/1.31\r\nConnection: close\r\n\r\n")


def test_body_match(podhealth, upstream):
    u = upstream(200, body=b'{"status":"SERVING"}')
    p = podhealth("--check", "name=a,url=%s,body=SERVING" % u.url(),
                  "--check", "name=b,url=%s,body=NOT_SERVING" % u.url())
    assert get(p.port, "/all/a").status == 200
    r = get(p.port, "/all/b")
    assert (r.status, r.body) == (503, '[-]b failed: HTTP 200, body does not contain "NOT_SERVING"\ncheck failed\n')


@pytest.mark.parametrize("parts,ok", [
    # Chunked, the needle split across chunks and reads.
    ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nREAD\r\n", b"1\r\nY\r\n0\r\n\r\n"], True),
    # Delimited by the close of the connection.
    ([b"HTTP/1.0 200 OK\r\n\r\nall ", b"READY"], True),
    # Beyond the first 10 KiB: not read, so not found (kubelet reads 10 KiB too).
    ([b"HTTP/1.1 200 OK\r\nContent-Length: 10245\r\n\r\n" + b"x" * 10240 + b"READY"], False),
    # Cut short: fewer bytes than Content-Length.
    ([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nREA"], False),
])
def test_body_framings(podhealth, upstream, parts, ok):
    u = upstream(script=lambda path, head: (parts, "close"))
    p = podhealth("--check", "name=b,url=%s,body=READY" % u.url())
    assert get(p.port, "/all").status == (200 if ok else 503)


def test_body_with_wrong_status_reports_status(podhealth, upstream):
    u = upstream(503, body=b"READY")
    p = podhealth("--check", "name=b,url=%s,body=READY" % u.url())
    assert get(p.port, "/all").body == "[-]b failed: HTTP 503\ncheck failed\n"


def start_env(env, args=("serve",)):
    port = int(env.get("PODHEALTH_PORT", 0)) or None
    return Podhealth(list(args), env=env, ready_port=port)


def test_environment_twins(upstream):
    u, t = upstream(200), upstream(200)
    port = free_port()
    p = start_env({"PODHEALTH_PORT": str(port), "PODHEALTH_TIMEOUT": "2s",
                   "PODHEALTH_CHECKS": "a=%s\n  b=%s" % (u.url(), refused_url()),
                   "PODHEALTH_CHECK": "name=t,url=tcp://127.0.0.1:%d\nname=h,url=%s,expect=200" % (t.port, u.url()),
                   "PODHEALTH_HIDE_REASONS": "true", "PODHEALTH_LOG_FORMAT": "json"})
    try:
        r = get(port, "/all?verbose")
        assert r.body == "[+]a ok\n[-]b failed: reason withheld\n[+]t ok\n[+]h ok\ncheck failed\n"
        assert json.loads(p.log().splitlines()[0])["timeout"] == "2s"
    finally:
        p.stop()
        p.cleanup()


def test_flags_win_over_environment(upstream):
    u = upstream(200)
    port = free_port()
    p = Podhealth(["serve", "--port", str(port), "--timeout", "3s", "only=" + u.url()],
                  env={"PODHEALTH_PORT": "1", "PODHEALTH_TIMEOUT": "1s",
                       "PODHEALTH_CHECKS": "other=" + refused_url()}, ready_port=port)
    try:
        assert get(port, "/all?verbose").body == "[+]only ok\ncheck passed\n"
        assert "port=%d timeout=3s" % port in p.log()
    finally:
        p.stop()
        p.cleanup()


USAGE_TAIL = "usage: podhealth serve [OPTIONS] CHECK...\n"


# One row per form a bad input comes in: a check argument, --check, an option, a variable.
# Each message is also in the unit tables (test_target.c, test_config.c, test_duration.c),
# which hold every rule; here the exit status, the one line and the usage.
@pytest.mark.parametrize("args,env,message", [
    (["serve", "a=http://h/", "a=tcp://h:1"], {},
     "duplicate check name 'a' (check 1 and 2); give each its own with NAME=URL or name="),
    (["serve", "tcp://h"], {}, "invalid check 'tcp://h': tcp:// needs a port"),
    (["serve", "--check", "url=http://h/,protocol=h2c"], {},
     "invalid --check #1: protocol 'h2c': want http1 or http2"),
    (["serve", "--log-format", "xml", "http://h/"], {}, "invalid --log-format 'xml': want text or json"),
    (["serve"], {"PODHEALTH_TIMEOUT": "forever", "PODHEALTH_CHECKS": "http://h/"},
     "invalid PODHEALTH_TIMEOUT 'forever': is not a duration (e.g. 3, 2.5, 500ms, 3s, 1m)"),
    (["serve"], {"PODHEALTH_CHECKS": "http://h/ ftp://x/"},
     "invalid PODHEALTH_CHECKS 'ftp://x/': unsupported scheme 'ftp' (want http[s]://, tcp://, grpc[s]://, unix://, postgres[ql]://, mysql:// or redis[s]://)"),
])
def test_startup_errors(args, env, message):
    rc, out, err = run(args, env=dict(os.environ, **env))
    assert rc == 2
    assert err.splitlines()[0] == "podhealth: " + message
    assert err.splitlines()[1] + "\n" == USAGE_TAIL


def test_json_logs(podhealth, upstream):
    u = upstream(200)
    p = podhealth("--log-format", "json", "app=" + u.url())
    get(p.port, "/all")
    u.mode = 503
    get(p.port, "/all")
    p.stop()
    lines = [json.loads(l) for l in p.log().splitlines()]
    for l in lines:
        assert set(l) >= {"time", "level", "msg"}
        assert l["time"].endswith("Z")
    assert [(l["level"], l["msg"]) for l in lines] == [
        ("info", "listening"), ("info", "check"), ("info", "check healthy"),
        ("warn", "check unhealthy"), ("info", "shutting down"), ("info", "stopped")]
    assert lines[1]["name"] == "app" and lines[1]["url"] == u.url()
    assert lines[3]["check"] == "app" and lines[3]["reason"] == "HTTP 503"


def test_quiet_logs_only_warnings(podhealth, upstream):
    u = upstream(200)
    p = podhealth("--quiet", "app=" + u.url())
    get(p.port, "/all")
    u.mode = 500
    get(p.port, "/all")
    assert p.log() == 'podhealth: warn: check unhealthy check=app reason="HTTP 500"\n'


def test_errors_name_the_key_without_echoing_secrets():
    # A ~950-byte bearer token and a bad expect= in one spec: the message names the bad
    # key, is not cut, and the token appears nowhere (it used to be echoed and truncated
    # at 512 bytes).
    token = "eyJ" + "a" * 950
    spec = "name=api,url=http://h/,header=Authorization: Bearer %s,expect=2xx" % token
    rc, out, err = run(["probe", "--check", spec])
    assert rc == 2
    assert token[:20] not in err
    assert err.splitlines()[0] == ("podhealth: invalid --check #1: expect: invalid status '2xx' "
                                   "(want 100-599 or a range like 200-299)")
    assert err.endswith("Try 'podhealth probe --help'.\n")


@pytest.mark.parametrize("header", ["Content-Length: 10", "Transfer-Encoding: chunked",
                                    "Connection: keep-alive", "Upgrade: h2c"])
def test_framing_headers_are_refused(header):
    # header=Content-Length: 10 used to make every GET hang until the timeout.
    rc, out, err = run(["probe", "--check", "url=http://h/,header=" + header])
    name = header.split(":")[0]
    assert (rc, err.splitlines()[0]) == (2, "podhealth: invalid --check #1: header %s is "
                                            "podhealth's to set (it frames the request)" % name)
