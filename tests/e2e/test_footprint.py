"""The binary's footprint as the kernel maps it: TLS code only once a TLS check runs."""
import os
import shutil

import pytest

from conftest import BIN, QEMU, STATIC, get
from peers import Certs


def code_kib(pid):
    """(size, resident) in KiB of the mapping of the binary's code."""
    path, info, inside = os.path.realpath(BIN), {}, False
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            fields = line.split()
            if not fields[0].endswith(":"):
                if inside:
                    break
                inside = len(fields) >= 6 and "x" in fields[1] and fields[5] == path
            elif inside and fields[0] in ("Size:", "Rss:"):
                info[fields[0]] = int(fields[1])
    return info["Size:"], info["Rss:"]


@pytest.mark.skipif(not STATIC or QEMU, reason="wrapper: the layout is the shipped x86-64 binary's, seen in /proc")
def test_tls_code_is_mapped_only_when_used(podhealth, upstream):
    # Mbed TLS and nghttp2 are linked last, apart from the rest (tools/layout.ld): over 64
    # KiB of code and tables, so at least 28 KiB of it fills whole 64 KiB windows, the
    # kernel's unit of mapping file pages. A daemon that has run only HTTP checks leaves
    # those unmapped, even with an HTTPS check configured; running the HTTPS check maps them.
    u = upstream(200)
    certs = Certs()
    try:
        tls = upstream(script=lambda path, head: (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                                                  "close"), context=certs.context(certs.ec))
        p = podhealth("web=" + u.url(), "tls=https://127.0.0.1:%d/" % tls.port)
        assert get(p.port, "/all/web").status == 200
        assert get(p.port, "/self").status == 200
        size, http_only = code_kib(p.proc.pid)
        assert http_only <= size - 28, (size, http_only)
        assert get(p.port, "/all").status == 200
        _, every_kind = code_kib(p.proc.pid)
        assert every_kind >= http_only + 28, (size, http_only, every_kind)
    finally:
        shutil.rmtree(certs.dir)
