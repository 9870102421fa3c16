"""podhealth probe: one round of checks, its exit status and its lines (the exec-probe form)."""
import time

from conftest import within, refused_url, run


def test_probe_exit_codes_and_lines(upstream):
    ok, bad = upstream(200), upstream(503)
    assert run(["probe", "a=" + ok.url(), "b=" + ok.url()]) == (0, "", "")
    rc, out, err = run(["probe", "a=" + ok.url(), "b=" + bad.url(), "c=" + refused_url()])
    assert (rc, out, err) == (1, "", "[-]b failed: HTTP 503\n[-]c failed: connection refused\n")
    rc, out, err = run(["probe", "-v", "a=" + ok.url(), "b=" + bad.url()])
    assert (rc, err) == (1, "[+]a ok\n[-]b failed: HTTP 503\n")
    rc, out, err = run(["probe", "--check", "name=t,url=tcp://127.0.0.1:%d" % ok.port])
    assert rc == 0


def test_probe_bad_usage_is_2():
    rc, out, err = run(["probe"])
    assert rc == 2
    assert err == ("podhealth: no CHECK given\nusage: podhealth probe [--timeout DUR] [--verbose] [--check SPEC]... "
                   "CHECK...\n"
                   "Try 'podhealth probe --help'.\n")
    assert run(["probe", "--port", "1", "http://a/"])[0] == 2


def test_probe_finishes_on_time(upstream):
    hangs = [upstream("hang") for _ in range(5)]
    t0 = time.monotonic()
    rc, _, err = run(["probe", "--timeout", "300ms"] + [h.url() for h in hangs])
    elapsed = within(t0, 0.3 * 5)
    assert rc == 1 and err.count("timeout after 300ms") == 5
    # The five timeouts run at once: done after one of them, not five (1.5 s) in a row.
    assert 0.3 <= elapsed
