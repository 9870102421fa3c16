#!/usr/bin/env python3
"""make demo: two endpoints on loopback, podhealth in front of them, one goes down."""
import http.client
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/podhealth"


class Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args):
        pass


def endpoint():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def show(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read().decode()
    print("  GET %-5s -> %d %s" % (path, r.status, body.rstrip().replace("\n", "\n" + " " * 22)))
    c.close()
    return r.status


def main():
    # podhealth writes its log to the same stderr/stdout: line buffering keeps the order
    # when the output goes to a file or a pipe.
    sys.stdout.reconfigure(line_buffering=True)
    app, proxy = endpoint(), endpoint()
    app_url = "http://localhost:%d/healthz" % app.server_address[1]
    proxy_url = "http://127.0.0.1:%d/healthz/ready" % proxy.server_address[1]
    port = free_port()
    cmd = [BIN, str(port), "2", proxy_url, app_url]
    # Loopback only: the original form listens on every interface unless told otherwise.
    print("$ PODHEALTH_LISTEN=127.0.0.1 " + " ".join(cmd))
    p = subprocess.Popen(cmd, env=dict(os.environ, PODHEALTH_LISTEN="127.0.0.1"))
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        print("\n1. Both endpoints up:")
        ok = show(port, "/self") == 200 and show(port, "/all") == 200
        print("\n2. The 'proxy' endpoint goes down:")
        proxy.shutdown()
        proxy.server_close()
        ok = ok and show(port, "/self") == 200 and show(port, "/all") == 503
        print("\n3. Stopping podhealth with SIGTERM:")
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=5)
        print("  podhealth exited with status %d" % rc)
        ok = ok and rc == 0
    finally:
        if p.poll() is None:
            p.kill()
        app.shutdown()
    print("\ndemo %s" % ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
