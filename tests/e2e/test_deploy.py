"""deploy/: the Kubernetes examples and the Dockerfile, checked for the fields that matter,
and their podhealth command lines run through the real binary."""
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest
import yaml  # python3-yaml (tools/deps.sh test): missing, the file fails

from conftest import FakeMesh, Podhealth, Upstream, get, port_is_free, refused_port, run

# Manifests and the docs' examples use the meshes' fixed ports: see conftest.fixed_ports.
pytestmark = pytest.mark.usefixtures("fixed_ports")

DEPLOY = os.path.join(os.path.dirname(__file__), "..", "..", "deploy")


def load(name):
    with open(os.path.join(DEPLOY, "kubernetes", name)) as f:
        return yaml.safe_load(f)


def containers(doc):
    spec = doc["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}


def pod_spec(doc):
    return doc["spec"]["template"]["spec"]


def restricted_violations(spec):
    """What keeps a pod spec out of a namespace enforcing Pod Security "restricted", control
    by control as https://kubernetes.io/docs/concepts/security/pod-security-standards/
    writes them (Baseline, then Restricted), and what doc/shipping.md promises of every
    container beside: a read-only root filesystem, requests and limits, no service account
    token. Returns a list of "field: why"."""
    out = []
    psc = spec.get("securityContext") or {}
    all_containers = [(k, c) for k in ("initContainers", "containers", "ephemeralContainers")
                      for c in spec.get(k) or []]
    safe_sysctls = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
    selinux_types = {None, "", "container_t", "container_init_t", "container_kvm_t",
                     "container_engine_t"}
    volume_types = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                    "persistentVolumeClaim", "projected", "secret"}
    # Baseline: host namespaces, HostProcess, hostPath, sysctls, pod-level SELinux, seccomp.
    for f in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(f):
            out.append("spec.%s: host namespaces are forbidden" % f)
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        out.append("spec.securityContext.windowsOptions.hostProcess: forbidden")
    for s in psc.get("sysctls") or []:
        if s["name"] not in safe_sysctls:
            out.append("spec.securityContext.sysctls: %s is not a safe sysctl" % s["name"])
    if (psc.get("seLinuxOptions") or {}).get("type") not in selinux_types:
        out.append("spec.securityContext.seLinuxOptions.type: not allowed")
    if (psc.get("seccompProfile") or {}).get("type") == "Unconfined":
        out.append("spec.securityContext.seccompProfile: Unconfined")
    # Restricted: volume types, then the pod-wide defaults containers may inherit.
    for v in spec.get("volumes") or []:
        kinds = set(v) - {"name"}
        if not kinds <= volume_types:
            out.append("spec.volumes[%s]: type %s not allowed" % (v["name"], ", ".join(sorted(kinds))))
    if psc.get("runAsUser") == 0:
        out.append("spec.securityContext.runAsUser: 0")
    pod_nonroot = psc.get("runAsNonRoot") is True
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost")
    for kind, c in all_containers:
        where = "spec.%s[%s]" % (kind, c["name"])
        sc = c.get("securityContext") or {}
        caps = sc.get("capabilities") or {}
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            out.append(where + ".securityContext.windowsOptions.hostProcess: forbidden")
        if sc.get("privileged"):
            out.append(where + ".securityContext.privileged: forbidden")
        if any(p.get("hostPort") for p in c.get("ports") or []):
            out.append(where + ".ports: hostPort forbidden")
        if (sc.get("appArmorProfile") or {}).get("type") not in (None, "RuntimeDefault", "Localhost"):
            out.append(where + ".securityContext.appArmorProfile: not allowed")
        if (sc.get("seLinuxOptions") or {}).get("type") not in selinux_types:
            out.append(where + ".securityContext.seLinuxOptions.type: not allowed")
        if sc.get("procMount") not in (None, "Default"):
            out.append(where + ".securityContext.procMount: not Default")
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(where + ".securityContext.allowPrivilegeEscalation: must be false")
        if sc.get("runAsNonRoot") is False or not (pod_nonroot or sc.get("runAsNonRoot") is True):
            out.append(where + ".securityContext.runAsNonRoot: must be true (here or pod-wide)")
        if sc.get("runAsUser") == 0:
            out.append(where + ".securityContext.runAsUser: 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp == "Unconfined" or not (pod_seccomp or seccomp in ("RuntimeDefault", "Localhost")):
            out.append(where + ".securityContext.seccompProfile: RuntimeDefault or Localhost "
                       "(here or pod-wide)")
        if "ALL" not in (caps.get("drop") or []):
            out.append(where + ".securityContext.capabilities.drop: must include ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            out.append(where + ".securityContext.capabilities.add: only NET_BIND_SERVICE")
        # doc/shipping.md's promise, beyond the profile.
        if sc.get("readOnlyRootFilesystem") is not True and kind != "ephemeralContainers":
            out.append(where + ".securityContext.readOnlyRootFilesystem: must be true")
        res = c.get("resources") or {}
        if not (res.get("requests") or {}).get("memory") or not (res.get("limits") or {}).get("memory"):
            out.append(where + ".resources: memory requests and limits")
    if spec.get("automountServiceAccountToken") is not False:
        out.append("spec.automountServiceAccountToken: must be false")
    return out


def assert_locked_down(c):
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"]


WORKLOADS = sorted(n for n in os.listdir(os.path.join(DEPLOY, "kubernetes"))
                   if n.endswith(".yaml") and load(n)["kind"] in ("Deployment", "Job"))


@pytest.mark.parametrize("name", WORKLOADS)
def test_every_manifest_is_admitted_by_pod_security_restricted(name):
    doc = load(name)
    assert restricted_violations(pod_spec(doc)) == []
    # The mesh comes by injection (a label, an annotation, or the namespace's), never as a
    # container written here: with Istio it would fight the injected one.
    assert not {"istio-proxy", "linkerd-proxy", "istio-init"} & set(containers(doc))


SCHEMA = os.path.join(DEPLOY, "..", "build", "deploy-schema")


def api_schema(docs):
    """The Kubernetes API schema's verdict on docs, (file, object) pairs: tests/deploy's
    validate.mjs (npm kubernetes-models, pinned; make installs it under build/). Returns
    (exit code, output)."""
    if not os.path.exists(os.path.join(SCHEMA, ".installed")):
        pytest.fail("build/deploy-schema is missing: make e2e-once (or check) installs it")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([{"file": name, "doc": doc} for name, doc in docs], f)
    try:
        p = subprocess.run(["node", os.path.join(SCHEMA, "validate.mjs"), f.name],
                           capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    return p.returncode, p.stdout + p.stderr


def test_every_manifest_matches_the_api_schema():
    # Every object of every file in deploy/kubernetes, the NetworkPolicy too.
    docs = []
    for name in sorted(os.listdir(os.path.join(DEPLOY, "kubernetes"))):
        if name.endswith(".yaml"):
            with open(os.path.join(DEPLOY, "kubernetes", name)) as f:
                docs += [(name, d) for d in yaml.safe_load_all(f) if d]
    rc, out = api_schema(docs)
    assert rc == 0, out
    assert out.splitlines() == ["ok %s %s" % (name, d["kind"]) for name, d in docs], out
    # And it can fail: a replica count that is not a number, a container without a name.
    broken = load("deployment.yaml")
    broken["spec"]["replicas"] = "two"
    nameless = load("job.yaml")
    del pod_spec(nameless)["containers"][0]["name"]
    rc, out = api_schema([("replicas", broken), ("nameless", nameless)])
    assert rc == 1, out
    assert "INVALID replicas Deployment: data/spec/replicas must be integer" in out, out
    assert "INVALID nameless Job: " in out and "required property name" in out, out


def test_the_restricted_check_can_fail():
    # The shape these manifests had: an app container with no securityContext, no
    # resources, the token mounted, a hostPath volume.
    spec = {"containers": [{"name": "app", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80}]}],
            "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}
    got = restricted_violations(spec)
    for want in ("spec.volumes[h]: type hostPath not allowed",
                 "spec.containers[app].ports: hostPort forbidden",
                 "spec.containers[app].securityContext.allowPrivilegeEscalation: must be false",
                 "spec.containers[app].securityContext.runAsNonRoot: must be true (here or pod-wide)",
                 "spec.containers[app].securityContext.seccompProfile: RuntimeDefault or Localhost "
                 "(here or pod-wide)",
                 "spec.containers[app].securityContext.capabilities.drop: must include ALL",
                 "spec.containers[app].resources: memory requests and limits",
                 "spec.automountServiceAccountToken: must be false"):
        assert want in got, got
    # A pod-wide default is inherited; a container that says otherwise is refused.
    spec = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "automountServiceAccountToken": False,
            "containers": [{"name": "a", "resources": {"requests": {"memory": "1Mi"}, "limits": {"memory": "1Mi"}},
                            "securityContext": {"runAsNonRoot": False, "allowPrivilegeEscalation": False,
                                                "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]}}}]}
    assert restricted_violations(spec) == [
        "spec.containers[a].securityContext.runAsNonRoot: must be true (here or pod-wide)",
        "spec.containers[a].securityContext.capabilities.add: only NET_BIND_SERVICE"]


def test_the_network_policy_leaves_podhealths_port_to_the_node():
    doc = load("networkpolicy.yaml")
    assert doc["kind"] == "NetworkPolicy" and doc["spec"]["policyTypes"] == ["Ingress"]
    app = containers(load("deployment.yaml"))
    assert doc["spec"]["podSelector"]["matchLabels"]["app"] == \
        load("deployment.yaml")["spec"]["template"]["metadata"]["labels"]["app"]
    allowed = {p["port"] for rule in doc["spec"]["ingress"] for p in rule["ports"]}
    assert allowed == {app["app"]["ports"][0]["containerPort"]}
    assert app["podhealth"]["ports"][0]["containerPort"] not in allowed


def env_of(c):
    return {e["name"]: e["value"] for e in c.get("env", [])}


def serve_as_manifest(c):
    """Starts podhealth with the container's exact args and env; returns it."""
    args = c["args"]
    port = c["ports"][0]["containerPort"]
    if not port_is_free(port):
        pytest.fail("port %d is held by a process outside the test suites (fixed_ports holds it for theirs)" % port)
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
    # The annotations reach podhealth through the Downward API.
    volume = doc["spec"]["template"]["spec"]["volumes"][0]
    assert volume["downwardAPI"]["items"] == [{"path": "annotations",
                                               "fieldRef": {"fieldPath": "metadata.annotations"}}]
    assert c["volumeMounts"][0]["mountPath"] + "/annotations" == argv[argv.index("--pod-annotations") + 1]
    argv = [a for a in argv if a not in ("--pod-annotations", "/etc/podinfo/annotations")]
    assert argv[argv.index("--") + 1:] == ["/app/migrate", "--all"]
    # The database, through the proxy, by its own protocol (doc/jobs.md, "What a wait proves"),
    # here on a loopback port that refuses.
    env = env_of(c)
    assert re.fullmatch(r"db=postgres://migrate@[a-z.-]+:5432/orders", env["PODHEALTH_WAIT_FOR"])
    env["PODHEALTH_WAIT_FOR"] = "db=postgres://migrate@127.0.0.1:%d/orders" % refused_port()
    # The same command line with a short deadline: accepted (not exit 2), waits for the
    # proxy and the database, and never starts the command.
    short = argv[1:]
    short[short.index("--deadline") + 1] = "300ms"
    rc, out, err = run(short, env=dict(os.environ, **env))
    assert rc == 1
    assert "deadline passed, not starting the command" in err
    assert "istio-proxy: " in err and "db: connection refused" in err, err


def test_job_with_istio_and_cloud_sql():
    # Two sidecars: podhealth waits for both and stops the Cloud SQL proxy, then Istio's;
    # the proxy is run with the flags that serve what podhealth asks of it.
    doc = load("job-cloudsql.yaml")
    cs = containers(doc)
    c, proxy = cs["migrate"], cs["cloud-sql-proxy"]
    assert "--health-check" in proxy["args"] and "--quitquitquit" in proxy["args"]
    argv = c["command"] + c["args"]
    assert argv[:4] == ["/podhealth", "wait", "--istio", "--cloudsql"]
    # Run against fakes of both on their real ports, annotations as a classic Istio
    # sidecar's: both waited for, the command runs, the calls in order.
    order = []
    podinfo = tempfile.NamedTemporaryFile("w", suffix=".annotations", delete=False)
    podinfo.write('sidecar.istio.io/status=%s\n' % go_quote(json.dumps(ISTIO_STATUS["classic"])))
    podinfo.close()
    argv = [podinfo.name if a == "/etc/podinfo/annotations" else a for a in argv]
    cmd = argv.index("--")
    argv = argv[1:cmd + 1] + ["sh", "-c", "exit 5"]
    istio = FakeMesh(15021, "/healthz/ready", 15020, "/quitquitquit", log=order, name="istio")
    cloudsql = FakeMesh(9090, "/startup", 9091, "/quitquitquit", log=order, name="cloudsql")
    try:
        rc, _, err = run(argv)
        assert rc == 5, err
        assert istio.polls and cloudsql.polls, err
        assert order == ["cloudsql POST /quitquitquit", "istio POST /quitquitquit"], (order, err)
    finally:
        istio.stop()
        cloudsql.stop()
        os.unlink(podinfo.name)


def test_dockerfile():
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        lines = [l.strip() for l in f.read().replace("\\\n", " ").splitlines() if l.strip() and not l.startswith("#")]
    froms = [l for l in lines if l.startswith("FROM ")]
    assert froms[0].startswith("FROM debian:") and froms[-1] == "FROM scratch"
    final = lines[lines.index("FROM scratch"):]
    assert "COPY --from=build /src/build/podhealth /podhealth" in final
    # The notices ship as make image's do, made by the same command, which runs here as written.
    assert "COPY --from=build /src/build/licenses /licenses" in final
    notices = next(l for l in lines if "tools/libs.sh notices" in l)
    with tempfile.TemporaryDirectory() as d:
        made = subprocess.run(notices.split(" ", 1)[1].replace("build/licenses", d + "/licenses"),
                              shell=True, cwd=os.path.join(DEPLOY, ".."), capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        assert sorted(os.listdir(d + "/licenses")) == ["llhttp-copyright", "mbedtls-LICENSE",
                                                       "musl-COPYRIGHT", "podhealth-LICENSE"]
    assert "USER 65532:65532" in final
    assert not any(l.startswith(("RUN", "ADD")) for l in final)  # nothing else in the image
    hc = next(l for l in final if l.startswith("HEALTHCHECK"))
    cmd = json.loads(hc.split(" CMD ", 1)[1])
    assert cmd[:2] == ["/podhealth", "probe"]
    # The health check runs as written against a podhealth on its port.
    port = int(cmd[-1].split(":")[2].split("/")[0])
    if not port_is_free(port):
        pytest.fail("port %d is held by a process outside the test suites (fixed_ports holds it for theirs)" % port)
    p = Podhealth(["serve", "--port", str(port), "http://127.0.0.1:1/"], ready_port=port)
    try:
        assert run(cmd[1:])[0] == 0
    finally:
        p.stop()
        p.cleanup()
    assert run(cmd[1:])[0] == 1  # and fails once it is gone


# --- the Job manifests under the three cluster modes ------------------------------------

def go_quote(v):
    return json.dumps(v)  # Go's strconv.Quote, for these ASCII values


# What the kubelet writes to the Downward API file, per mesh and mode.
ISTIO_STATUS = {
    "classic": {"initContainers": ["istio-init"], "containers": ["istio-proxy"],
                "volumes": ["istio-envoy"], "imagePullSecrets": None, "revision": "default"},
    "native": {"initContainers": ["istio-init", "istio-proxy"], "containers": None,
               "volumes": ["istio-envoy"], "imagePullSecrets": None, "revision": "default"},
    # No init containers at all (istio-cni): the next field's list names the proxy.
    "classic-null": {"initContainers": None, "containers": ["istio-proxy"], "revision": "default"},
    # Any field order, and fields the reader does not know.
    "native-reordered": {"revision": "default", "containers": [], "future": {"a": [1, 2.5e3, True]},
                         "initContainers": ["istio-proxy"]},
}
MESHES = {
    "job.yaml": ("migrate", (15021, "/healthz/ready", 15020, "/quitquitquit"), {
        "classic": {"sidecar.istio.io/status": json.dumps(ISTIO_STATUS["classic"])},
        "native": {"sidecar.istio.io/status": json.dumps(ISTIO_STATUS["native"])},
        "none": {"ambient.istio.io/redirection": "enabled"},
        "classic:null-init": {"sidecar.istio.io/status": json.dumps(ISTIO_STATUS["classic-null"])},
        "native:reordered": {"sidecar.istio.io/status": json.dumps(ISTIO_STATUS["native-reordered"])},
    }),
    "job-linkerd.yaml": ("report", (4191, "/ready", 4191, "/shutdown"), {
        "classic": {"linkerd.io/proxy-version": "edge-25.1.1",
                    "config.linkerd.io/proxy-admin-shutdown": "enabled"},
        "native": {"linkerd.io/proxy-version": "edge-25.1.1",
                   "config.linkerd.io/proxy-admin-shutdown": "enabled",
                   "config.beta.linkerd.io/proxy-enable-native-sidecar": "true"},
        "none": {"config.linkerd.io/proxy-admin-shutdown": "enabled"},
        # Linkerd 2.20 injects a native sidecar by default and says so by its version alone.
        "native:2.20-default": {"linkerd.io/proxy-version": "stable-2.20.0"},
        "native:edge-default": {"linkerd.io/proxy-version": "edge-26.5.2"},
        "classic:2.20-opt-out": {"linkerd.io/proxy-version": "stable-2.20.0",
                                 "config.linkerd.io/proxy-enable-native-sidecar": "false"},
        "classic:config-beats-beta": {"linkerd.io/proxy-version": "edge-25.1.1",
                                      "config.linkerd.io/proxy-enable-native-sidecar": "false",
                                      "config.beta.linkerd.io/proxy-enable-native-sidecar": "true"},
    }),
}


@pytest.mark.parametrize("manifest,mode", [(m, k) for m, v in MESHES.items() for k in v[2]])
def test_job_manifests_in_every_cluster_mode(manifest, mode, tmp_path):
    container, ports, annotations = MESHES[manifest]
    if not all(port_is_free(p, "127.0.0.1") for p in (ports[0], ports[2])):
        pytest.fail("the mesh's ports are held by a process outside the test suites (fixed_ports holds them for theirs)")
    c = containers(load(manifest))[container]
    argv = c["command"] + c["args"]
    env = env_of(c)
    # The Downward API file, as the kubelet writes it (key="value", sorted).
    podinfo = tmp_path / "annotations"
    podinfo.write_text("".join('%s=%s\n' % (k, go_quote(v)) for k, v in sorted(annotations[mode].items())))
    argv = [str(podinfo) if a == "/etc/podinfo/annotations" else a for a in argv]
    if env.get("PODHEALTH_POD_ANNOTATIONS"):
        env["PODHEALTH_POD_ANNOTATIONS"] = str(podinfo)
    env["PODHEALTH_WAIT_FOR"] = ""  # the manifest's own dependencies are not the point here
    cmd = argv.index("--")
    argv = argv[1:cmd + 1] + ["sh", "-c", "exit 3"]
    mesh = FakeMesh(*ports)
    try:
        rc, _, err = run(argv, env=dict(os.environ, **env))
        assert rc == 3, err
        kind = mode.split(":")[0]
        assert len(mesh.polls) == {"classic": 3, "native": 3, "none": 0}[kind], err
        assert mesh.quits == {"classic": [ports[3]], "native": [], "none": []}[kind], err
        assert "sidecar mesh=%s mode=%s " % ("istio" if manifest == "job.yaml" else "linkerd", kind) in err
    finally:
        mesh.stop()


def test_https_grpc_manifest():
    """Every kind in one pod: the manifest's own command line, its localhost ports moved to
    real peers: grpc-go's health service, an HTTPS server (OpenSSL, self-signed) and a fake
    Istio readiness endpoint. Under valgrind, the sanitizers or qemu the timeout grows to
    CHECK_TIMEOUT when that is longer: a full TLS handshake there can take seconds."""
    from conftest import CHECK_SECONDS, CHECK_TIMEOUT, SLOW_WRAP
    from peers import Certs, GrpcServer

    doc = load("deployment-https-grpc.yaml")
    cs = containers(doc)
    ph = cs["podhealth"]
    port = ph["ports"][0]["containerPort"]
    assert_locked_down(ph)
    assert cs["orders"]["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
    certs = Certs()
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    tls = Upstream(script=lambda path, head: (ok, "close") if path == "/ping" else None,
                      context=certs.context(certs.selfsigned))
    envoy = Upstream(script=lambda path, head: (ok, "close") if path == "/healthz/ready" else None)
    grpc = GrpcServer()
    moved = {"localhost:15021": envoy.port, "localhost:50051": grpc.port, "localhost:8443": tls.port}
    args = []
    for a in ph["args"]:
        for old, new in moved.items():
            a = a.replace(old, "localhost:%d" % new)
        args.append(a)
    assert args != ph["args"] and all(old not in " ".join(args) for old in moved)
    at = args.index("--timeout") + 1
    if SLOW_WRAP and CHECK_SECONDS > int(args[at].rstrip("s")):
        args[at] = CHECK_TIMEOUT
    if not port_is_free(port):
        pytest.fail("port %d is held by a process outside the test suites (fixed_ports holds it for theirs)" % port)
    p = Podhealth(args, ready_port=port)
    try:
        r = get(port, "/readyz?verbose")
        assert (r.status, r.body) == (200, "[+]envoy ok\n[+]orders ok\n[+]auth ok\ncheck passed\n")
        grpc.stop()
        r = get(port, "/readyz?verbose")
        assert r.status == 503 and "[-]orders failed: connection refused\n" in r.body
    finally:
        assert p.stop() == 0
        p.cleanup()
        tls.stop()
        envoy.stop()
        shutil.rmtree(certs.dir)
