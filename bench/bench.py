#!/usr/bin/env python3
"""make bench: podhealth against a reference measured in the same run, on loopback only.
Bounded: every wrk run lasts BENCH_SECONDS (default 5), the idle test BENCH_IDLE_SECONDS
(default 30); the whole run takes about a minute and a half. Prints one table."""
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/podhealth")
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
IDLE_SECONDS = int(os.environ.get("BENCH_IDLE_SECONDS", "30"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nothing listening on %d" % port)


def status(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wrk(url, connections=50):
    out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % SECONDS, url],
                         capture_output=True, text=True, timeout=SECONDS + 30).stdout
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not m or non2xx:
        raise RuntimeError("wrk failed or saw errors:\n" + out)
    return float(m.group(1))


class Nginx:
    """nginx with one worker: `return 200` on /, the reference and a fast upstream."""

    def __init__(self):
        self.dir = tempfile.mkdtemp()
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""
worker_processes 1;
daemon off;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %(d)s;
    proxy_temp_path %(d)s;
    fastcgi_temp_path %(d)s;
    uwsgi_temp_path %(d)s;
    scgi_temp_path %(d)s;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:%(p)d;
        location / { return 200 "ok\\n"; }
    }
}
""" % {"d": self.dir, "p": self.port})
        self.proc = subprocess.Popen([NGINX, "-c", conf, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class SlowServer:
    """bench/slowserver.c: answers every request after `delay` ms, in C on one epoll loop,
    so that 1000 requests at once measure podhealth and not the upstream."""

    def __init__(self, delay_ms=100):
        self.dir = tempfile.mkdtemp()
        exe = os.path.join(self.dir, "slowserver")
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slowserver.c")
        subprocess.run(["cc", "-O2", "-o", exe, src], check=True)
        self.port = free_port()
        self.proc = subprocess.Popen([exe, str(self.port), str(delay_ms)])
        wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Podhealth:
    def __init__(self, *checks, extra=()):
        self.port = free_port()
        self.proc = subprocess.Popen([BIN, "serve", "--port", str(self.port), "--timeout", "5s",
                                      "--quiet", *extra, *checks], stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def fetch(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30) as r:
        return r.status


def latency(port, path, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        assert fetch(port, path) == 200
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def idle_connections(port, n):
    """n keep-alive clients, each after one request: returns them (still open)."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /self HTTP/1.1\r\nHost: b\r\n\r\n")
        socks.append(s)
    for s in socks:
        data = b""
        while b"ok\n" not in data:
            data += s.recv(4096)
    return socks


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rows = []

    def row(figure, measured, reference, ratio, target, met):
        rows.append((figure, measured, reference, ratio, target, "yes" if met else "NO"))

    nginx = Nginx()
    slow = SlowServer(100)
    up = "http://127.0.0.1:%d/" % nginx.port
    try:
        # 1. /self throughput against nginx `return 200`, same wrk settings.
        ref = wrk("http://127.0.0.1:%d/" % nginx.port)
        p = Podhealth(up)
        idle_rss = status(p.proc.pid, "VmRSS")
        own = wrk("http://127.0.0.1:%d/self" % p.port)
        peak_rss_load = status(p.proc.pid, "VmHWM")
        row("/self req/s, 50 keep-alive conns", "%.0f" % own, "nginx %.0f" % ref, "%.2f" % (own / ref),
            ">= 1.0", own / ref >= 1.0)
        p.stop()

        # 2. /all throughput with 2 upstreams served by nginx, against nginx's own.
        p = Podhealth(up + "a", up + "b")
        own = wrk("http://127.0.0.1:%d/all" % p.port)
        row("/all req/s, 2 nginx upstreams", "%.0f" % own, "nginx %.0f" % ref, "%.2f" % (own / ref),
            ">= 0.5", own / ref >= 0.5)
        p.stop()

        # 3. /all latency with 10 upstreams that answer after 100 ms.
        slow_url = "http://127.0.0.1:%d/" % slow.port
        p = Podhealth(*["%s%d" % (slow_url, i) for i in range(10)])
        med, mx = latency(p.port, "/all", 20)
        row("/all latency, 10 x 100 ms upstreams", "median %.1f ms, max %.1f ms" % (med, mx),
            "one upstream: 100 ms", "%.2f" % (mx / 100), "<= 110 ms", mx <= 110)
        p.stop()

        # 4. Scaling: latency beyond the slowest endpoint (100 ms).
        for n in (1, 10, 100, 1000):
            p = Podhealth(*["%s%d" % (slow_url, i) for i in range(n)])
            med, mx = latency(p.port, "/all", 5)
            over = med - 100
            row("/all overhead, %d endpoints" % n, "%.1f ms (median %.1f)" % (over, med),
                "100 ms upstream", "%.2f" % (med / 100), "< 50 ms" if n == 1000 else "-",
                over < 50 if n == 1000 else True)
            p.stop()

        # 5. Memory: idle, peak under test 1, 1000 idle keep-alive connections.
        row("idle RSS", "%d KiB" % idle_rss, "-", "-", "<= 512 KiB", idle_rss <= 512)
        row("peak RSS during /self load", "%d KiB" % peak_rss_load, "-", "-", "-", True)
        p = Podhealth(up)
        socks = idle_connections(p.port, 1000)
        rss = status(p.proc.pid, "VmRSS")
        for s in socks:
            s.close()
        row("RSS, 1000 idle keep-alive conns", "%d KiB" % rss, "-", "-", "<= 2 MiB", rss <= 2048)
        p.stop()

        # 6. Idle CPU: no requests for IDLE_SECONDS.
        p = Podhealth(up)
        before = cpu_ticks(p.proc.pid)
        time.sleep(IDLE_SECONDS)
        ticks = cpu_ticks(p.proc.pid) - before
        row("CPU ticks idle for %d s" % IDLE_SECONDS, str(ticks), "-", "-", "0", ticks == 0)
        p.stop()
    finally:
        nginx.stop()
        slow.stop()

    size = os.path.getsize(BIN)
    row("binary size", "%d bytes (%.1f KiB)" % (size, size / 1024), "-", "-", "<= 128 KiB",
        size <= 128 * 1024)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print("podhealth benchmark, %s, %d cores (%s), Linux %s, wrk -t2 -c50 -d%ds" % (
        time.strftime("%Y-%m-%d"), os.cpu_count(), cpu, platform.release(), SECONDS))
    widths = [max(len(str(r[i])) for r in rows + [("figure", "measured", "reference", "ratio", "target", "met")]) for i in range(6)]
    for r in [("figure", "measured", "reference", "ratio", "target", "met")] + rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    missed = [r[0] for r in rows if r[5] == "NO"]
    print("bench: %s" % ("all targets met" if not missed else "missed: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
