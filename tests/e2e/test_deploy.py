"""deploy/: the Kubernetes examples and the Dockerfile, checked for the fields that matter,
and their podhealth command lines run through the real binary."""
import json
import os
import socket

import pytest

from conftest import Podhealth, get, port_is_free, run

yaml = pytest.importorskip("yaml")
DEPLOY = os.path.join(os.path.dirname(__file__), "..", "..", "deploy")


def load(name):
    with open(os.path.join(DEPLOY, "kubernetes", name)) as f:
        return yaml.safe_load(f)


def containers(doc):
    spec = doc["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}


def assert_locked_down(c):
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] != 0
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"]


def env_of(c):
    return {e["name"]: e["value"] for e in c.get("env", [])}


def serve_as_manifest(c):
    """Starts podhealth with the container's exact args and env; returns it."""
    args = c["args"]
    port = c["ports"][0]["containerPort"]
    if not port_is_free(port):
        pytest.skip("port %d is in use here" % port)
    return Podhealth(args, env=env_of(c), ready_port=port)


@pytest.mark.parametrize("name", ["deployment.yaml", "native-sidecar.yaml"])
def test_sidecar_manifests(name):
    doc = load(name)
    cs = containers(doc)
    ph, app = cs["podhealth"], cs["app"]
    port = ph["ports"][0]["containerPort"]
    assert_locked_down(ph)
    # The app's readiness is podhealth's aggregate; podhealth's own liveness is /livez.
    assert app["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
    assert ph["livenessProbe"]["httpGet"] == {"path": "/livez", "port": port}
    assert app["readinessProbe"]["timeoutSeconds"] > 2  # longer than podhealth's timeout
    if name == "native-sidecar.yaml":
        assert ph["restartPolicy"] == "Always"
        assert ph["startupProbe"]["httpGet"] == {"path": "/self", "port": port}
    p = serve_as_manifest(ph)
    try:
        assert get(port, "/livez").status == 200
        assert get(port, "/self").status == 200
        r = get(port, "/readyz?verbose")  # nothing listens on 15021 or 8080 here
        assert r.status == 503 and r.body.startswith("[-]envoy failed: ")
        assert "[-]app failed: " in r.body
    finally:
        assert p.stop() == 0
        p.cleanup()


def test_job_manifest():
    doc = load("job.yaml")
    c = containers(doc)["migrate"]
    assert doc["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert_locked_down(c)
    argv = c["command"] + c["args"]
    assert argv[:3] == ["/podhealth", "wait", "--istio"]
    assert argv[argv.index("--") + 1:] == ["/app/migrate", "--all"]
    # The same command line with a short deadline: accepted (not exit 2), waits for the
    # proxy and the database, and never starts the command.
    short = argv[1:]
    short[short.index("--deadline") + 1] = "300ms"
    rc, out, err = run(short, env=dict(os.environ, **env_of(c)))
    assert rc == 1
    assert "deadline passed, not starting the command" in err
    assert "istio-proxy: " in err and "db: " in err


def test_dockerfile():
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        lines = [l.strip() for l in f.read().replace("\\\n", " ").splitlines() if l.strip() and not l.startswith("#")]
    froms = [l for l in lines if l.startswith("FROM ")]
    assert froms[0].startswith("FROM debian:") and froms[-1] == "FROM scratch"
    final = lines[lines.index("FROM scratch"):]
    assert "COPY --from=build /src/build/podhealth /podhealth" in final
    assert "USER 65532:65532" in final
    assert not any(l.startswith(("RUN", "ADD")) for l in final)  # nothing else in the image
    hc = next(l for l in final if l.startswith("HEALTHCHECK"))
    cmd = json.loads(hc.split(" CMD ", 1)[1])
    assert cmd[:2] == ["/podhealth", "probe"]
    # The health check runs as written against a podhealth on its port.
    port = int(cmd[-1].split(":")[2].split("/")[0])
    if not port_is_free(port):
        pytest.skip("port %d is in use here" % port)
    p = Podhealth(["serve", "--port", str(port), "http://127.0.0.1:1/"], ready_port=port)
    try:
        assert run(cmd[1:])[0] == 0
    finally:
        p.stop()
        p.cleanup()
    assert run(cmd[1:])[0] == 1  # and fails once it is gone
