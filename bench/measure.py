#!/usr/bin/env python3
"""make measure: binary size, idle RSS, and RSS while serving 100 concurrent keep-alive
clients (bounded: 100 clients x 200 requests, 30 s at most), all on loopback."""
import http.server
import os
import selectors
import socket
import subprocess
import sys
import threading
import time

import targets

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/podhealth"
CLIENTS, REQUESTS, TIME_CAP = 100, 200, 30.0


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(port, pid):
    """Each client sends a request, waits for the response, repeats; alternate /self and /all."""
    sel = selectors.DefaultSelector()
    reqs = [b"GET /self HTTP/1.1\r\nHost: m\r\n\r\n", b"GET /all HTTP/1.1\r\nHost: m\r\n\r\n"]
    state = {}
    for i in range(CLIENTS):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        state[s] = [0, b""]
        s.send(reqs[i % 2])
        sel.register(s, selectors.EVENT_READ)
    statuses = {}
    done, peak, t0 = 0, 0, time.monotonic()
    last_sample = 0.0
    while done < CLIENTS and time.monotonic() - t0 < TIME_CAP:
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            st = state[s]
            st[1] += s.recv(65536)
            while b"\r\n\r\n" in st[1]:
                head, rest = st[1].split(b"\r\n\r\n", 1)
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(rest) < length:
                    break
                st[1] = rest[length:]
                st[0] += 1
                code = int(head.split(b" ", 2)[1])
                statuses[code] = statuses.get(code, 0) + 1
                if st[0] >= REQUESTS:
                    sel.unregister(s)
                    done += 1
                else:
                    s.send(reqs[st[0] % 2])
        if time.monotonic() - last_sample > 0.02:
            peak = max(peak, status_kib(pid, "VmRSS"))
            last_sample = time.monotonic()
    elapsed = time.monotonic() - t0
    total = sum(st[0] for st in state.values())
    for s in state:
        s.close()
    return total, elapsed, peak, statuses


def main():
    up = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    threading.Thread(target=up.serve_forever, daemon=True).start()
    port = free_port()
    p = subprocess.Popen([BIN, str(port), "1", "http://127.0.0.1:%d/healthz" % up.server_address[1]],
                         stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        time.sleep(0.5)
        idle = status_kib(p.pid, "VmRSS")
        total, elapsed, peak, statuses = load(port, p.pid)
        hwm = status_kib(p.pid, "VmHWM")
    finally:
        p.terminate()
        p.wait()
        up.shutdown()
    size = os.path.getsize(BIN)
    rows = [("binary size (%d bytes)" % size, (size + 1023) // 1024, targets.BINARY_BYTES // 1024),
            ("idle RSS", idle, targets.IDLE_RSS_KIB),
            ("peak RSS, %d keep-alive clients" % CLIENTS, max(peak, hwm), targets.PEAK_RSS_KIB)]
    print("%-44s %10s %10s" % ("figure", "measured", "target"))
    for figure, kib, target in rows:
        print("%-44s %7d KiB %6d KiB%s" % (figure, kib, target, "" if kib <= target else "  MISSED"))
    print("(%d requests, half of them /all, in %.1f s; statuses %s)" % (total, elapsed, statuses))
    missed = [r[0] for r in rows if r[1] > r[2]]
    if set(statuses) != {200} or total != CLIENTS * REQUESTS:
        missed.append("every request answered 200")
    print("measure: %s" % ("all targets met" if not missed else "missed: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
