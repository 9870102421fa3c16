"""The Grafana dashboard's PromQL, checked: promtool parses every expression (each becomes
a recording rule of a scratch rule file), and each names only metrics podhealth exposes,
read from a running podhealth's /metrics."""
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "podhealth.json")
RULES = os.path.join(ROOT, "deploy", "prometheus", "podhealth-rules.yaml")
BIN = os.environ.get("PODHEALTH_BIN", os.path.join(ROOT, "build", "podhealth"))
PROMQL_WORDS = {"sum", "by", "count", "rate", "or", "vector", "changes", "and", "without",
                "label_values", "up", "humanizePercentage"}


def expressions():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    variables = [v["query"]["query"] for v in dash["templating"]["list"] if v["type"] == "query"]
    return exprs, variables


def exposed_metrics():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1", "--port", str(port),
                          "a=http://127.0.0.1:1/"], stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/self" % port, timeout=1)
                break
            except OSError:
                time.sleep(0.01)
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/all" % port, timeout=5)
        except OSError:
            pass  # 503: the check fails, which is all /metrics needs
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    finally:
        p.terminate()
        p.wait()
    return set(re.findall(r"^# TYPE (\S+) ", text, re.M))


def names_in(expr):
    """Metric names an expression reads: identifiers not inside braces, strings or ranges."""
    expr = re.sub(r'"[^"]*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "{}", expr)
    expr = re.sub(r"\[[^\]]*\]", "[]", expr)
    expr = re.sub(r"\bby \([^)]*\)", "", expr)
    return {w for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)
            if w not in PROMQL_WORDS and not w.isdigit()}


def test_every_expression_parses():
    exprs, _ = expressions()
    assert len(exprs) >= 5
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("groups:\n  - name: dashboard\n    rules:\n")
        for i, e in enumerate(exprs):
            # Grafana's variables stand for label values: any regular expression.
            e = e.replace("$namespace", ".*").replace("$pod", ".*")
            f.write("      - record: dashboard:panel%d\n        expr: %s\n" % (i, json.dumps(e)))
    try:
        r = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "SUCCESS: %d rules found" % len(exprs) in r.stdout
    finally:
        os.unlink(f.name)


def test_only_metrics_podhealth_exposes():
    exposed = exposed_metrics()
    assert {"podhealth_check_up", "podhealth_check_duration_seconds", "podhealth_checks_total",
            "podhealth_build_info"} <= exposed
    exprs, variables = expressions()
    with open(RULES) as f:
        rules = re.findall(r"expr: (?:\|\n)?\s*(.+(?:\n\s{12}.+)*)", f.read())
    # label_values(METRIC{...}, LABEL): the metric is what it reads.
    used = {re.match(r"label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)", v).group(1) for v in variables}
    for e in exprs + rules:
        used |= names_in(e)
    used.discard("up")  # Prometheus's own, for the scrape
    assert used and used <= exposed, used - exposed
