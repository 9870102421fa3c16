"""Test peers for the differential tests: an HTTP/2 peer with scripted frames, TLS servers and
their certificates, the grpc-go health server, and kubelet's verdict computed by Go
(build/peers/kubelet_probe)."""
import contextlib
import datetime
import ipaddress
import itertools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import CHECK_TIMEOUT, SLOW_WRAP, Peer, free_port, get, wait_until

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ORACLE = os.path.join(ROOT, "build", "peers", "kubelet_probe")


def kubelet(kind, target, timeout="1s", headers=(), ca=None, servername=None, tls=False, h2c=False,
            probe_errors="keep"):
    """kubelet's verdict: ("pass" | "warn" | "fail" | "kept", detail). kept: a probe error,
    which kubelet's worker throws away, so the container's last state stands; with
    probe_errors="fail" (kubelet 1.38's ProbeErrorAsFailure gate) a failure instead."""
    args = [ORACLE, "-timeout", timeout, "-probe-errors", probe_errors]
    for h in headers:
        args += ["-H", h]
    if ca:
        args += ["-ca", ca]
    if servername:
        args += ["-servername", servername]
    if tls:
        args += ["-tls"]
    if h2c:
        args += ["-h2c"]
    args += [kind] + (target if isinstance(target, list) else [target])
    out = subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.strip()
    verdict, _, detail = out.partition(" ")
    return {"success": "pass", "warning": "warn", "failure": "fail", "error": "kept"}[verdict], detail


# What podhealth's listing adds to a check's line after a probe error.
PROBE_ERROR = "(a probe error: the last verdict stands)"


def verdicts(podhealth, checks, timeout=CHECK_TIMEOUT, at_once=None):
    """Runs podhealth serve with checks {name: URL or full --check spec} and returns
    ({name: "pass" | "warn" | "fail" | "kept" | "kept-pass"}, the ?verbose listing); kept,
    as kubelet() has it: the line notes a probe error and the check failed, the state a
    container starts in, which a fresh podhealth keeps; kept-pass: it notes one on a pass,
    which no fresh podhealth should show, so that a wrong verdict kept never reads as
    kubelet's "kept". at_once: at most this
    many checks per podhealth (one after another), so that under a slow wrapper no round
    holds more work than it can finish within the timeout."""
    import re
    names = list(checks)
    step = at_once or len(names) or 1
    got, listing = {}, ""
    for i in range(0, len(names), step):
        args = []
        for name in names[i:i + step]:
            spec = checks[name]
            args += ["--check", spec if spec.startswith("name=") else
                     "name=%s,url=%s,timeout=%s" % (name, spec, timeout)]
        p = podhealth("--timeout", timeout, *args)  # for full specs without a timeout= too
        r = get(p.port, "/all?verbose")
        for line in r.body.splitlines():
            m = re.match(r"\[([+-])\](\S+) (ok|failed)( \((.*)\))?", line)
            if m:
                failed = m.group(1) == "-"
                if PROBE_ERROR in line:
                    got[m.group(2)] = "kept" if failed else "kept-pass"
                else:
                    got[m.group(2)] = "fail" if failed else "warn" if m.group(4) else "pass"
        listing += r.body
    return got, listing


def _der(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + content


def compare(podhealth, cases, oracle_kind="https"):
    """cases: {name: (check spec or URL, oracle args dict or None, want)}; the oracle's
    verdict, podhealth's and want must be equal (None: no kubelet counterpart)."""
    with ThreadPoolExecutor(8) as pool:
        futures = {name: pool.submit(kubelet, oracle_kind, **args)
                   for name, (_, args, _) in cases.items() if args is not None}
        oracle = {name: f.result() for name, f in futures.items()}
    got, listing = verdicts(podhealth, {name: spec for name, (spec, _, _) in cases.items()},
                            at_once=4 if SLOW_WRAP else None)
    problems = ["%s: want %s, kubelet %s, podhealth %s" % (name, want, oracle.get(name, ("-",))[0],
                                                          got.get(name))
                for name, (_, args, want) in cases.items()
                if got.get(name) != want or (args is not None and oracle[name][0] != want)]
    assert not problems, "\n".join(problems) + "\n" + listing + repr(oracle)
    return listing



@contextlib.contextmanager
def nginx(listen, server="", log=None):
    """Debian's nginx answering 200 "ok" on /healthz and 503 elsewhere, on a free loopback
    port; listen: the rest of the listen directive ("ssl", "http2"); server: more
    directives of the server block (certificates, protocols); log: a file where each
    request's line is "$ssl_protocol $ssl_session_reused" (r: resumed). Yields the port."""
    if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
        pytest.fail("nginx is missing: tools/deps.sh test installs nginx-light")
    d = tempfile.mkdtemp()
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    logging = ("log_format tls '$ssl_protocol $ssl_session_reused'; access_log %s tls;" % log
               if log else "access_log off;")
    with open(conf, "w") as f:
        f.write("""daemon off; worker_processes 1; pid %(d)s/pid; error_log stderr error;
events { worker_connections 64; }
http { %(logging)s client_body_temp_path %(d)s; proxy_temp_path %(d)s;
  fastcgi_temp_path %(d)s; uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
  server { listen 127.0.0.1:%(port)d %(listen)s; %(server)s
    location /healthz { return 200 "ok\\n"; } location / { return 503; } } }
""" % {"d": d, "port": port, "listen": listen, "server": server, "logging": logging})
    p = subprocess.Popen(["/usr/sbin/nginx", "-c", conf, "-p", d], stderr=subprocess.PIPE)
    try:
        assert wait_until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, timeout=10)
        yield port
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(d)


def nginx_tls_conf(pair, protocols="TLSv1.2 TLSv1.3", more=""):
    """nginx() over TLS with a certificate pair (cert, key) and ssl_protocols."""
    return "ssl_certificate %s; ssl_certificate_key %s; ssl_protocols %s; %s" % (
        pair[0], pair[1], protocols, more)


def crafted_tls_server_answer(modulus_len):
    """A TLS 1.2 server's first flight, cut after its Certificate message, whose one
    certificate carries an RSA modulus of modulus_len bytes (DER written by hand: no TLS
    library will send such a key). Nothing is signed: a client that decodes the
    certificate must refuse it before any signature is looked at."""
    def seq(*xs):
        return _der(0x30, b"".join(xs))
    null = b"\x05\x00"
    sha256_rsa = _der(0x06, bytes.fromhex("2a864886f70d01010b"))
    rsa_enc = _der(0x06, bytes.fromhex("2a864886f70d010101"))
    name = seq(_der(0x31, seq(_der(0x06, b"\x55\x04\x03"), _der(0x0c, b"crafted"))))
    modulus = b"\x00" + b"\xc3" * (modulus_len - 1)
    spki = seq(seq(rsa_enc, null),
               _der(0x03, b"\x00" + seq(_der(0x02, modulus), _der(0x02, b"\x01\x00\x01"))))
    tbs = seq(_der(0xa0, _der(0x02, b"\x02")), _der(0x02, b"\x01"), seq(sha256_rsa, null), name,
              seq(_der(0x17, b"200101000000Z"), _der(0x17, b"400101000000Z")), name, spki)
    cert = seq(tbs, seq(sha256_rsa, null), _der(0x03, b"\x00" + b"\x55" * 256))

    def handshake(kind, body):
        return bytes([kind]) + len(body).to_bytes(3, "big") + body
    # ServerHello: TLS 1.2, no session id, ECDHE_RSA_WITH_AES_128_GCM_SHA256, no compression.
    hello = handshake(2, b"\x03\x03" + os.urandom(32) + b"\x00\xc0\x2f\x00")
    chain = len(cert).to_bytes(3, "big") + cert
    flight = hello + handshake(11, len(chain).to_bytes(3, "big") + chain)
    return b"".join(b"\x16\x03\x03" + len(flight[i:i + 16384]).to_bytes(2, "big") +
                    flight[i:i + 16384] for i in range(0, len(flight), 16384))


def h2_frame(kind, flags, stream, payload=b""):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def h2_rst(code, stream=1):
    """An RST_STREAM frame with error code code (7: REFUSED_STREAM, 8: CANCEL...)."""
    return h2_frame(3, 0, stream, code.to_bytes(4, "big"))


def h2_goaway(code=0, last=0):
    """A GOAWAY frame: last stream id last, error code code."""
    return h2_frame(7, 0, 0, last.to_bytes(4, "big") + code.to_bytes(4, "big"))


def hpack_literal(name, value):
    """One header field as an HPACK literal without indexing, no Huffman code, of any length."""
    def length(n):  # an HPACK integer, 7-bit prefix
        if n < 127:
            return bytes([n])
        out, n = [127], n - 127
        while n >= 128:
            out.append(n % 128 + 128)
            n //= 128
        return bytes(out + [n])
    return b"\x00" + length(len(name)) + name.encode("latin-1") + length(len(value)) + value.encode("latin-1")


def h2_header_block(fields, stream=1):
    """A header block of any size: HEADERS, then CONTINUATION frames past 16 KiB."""
    block = b"".join(hpack_literal(k, v) for k, v in fields)
    frames, rest = h2_frame(1, 0x4 if len(block) <= 16384 else 0, stream, block[:16384]), block[16384:]
    while rest:
        frames += h2_frame(9, 0x4 if len(rest) <= 16384 else 0, stream, rest[:16384])
        rest = rest[16384:]
    return frames


def h2_headers(fields, end_stream=False, stream=1):
    """A HEADERS frame of literal fields (HPACK "without indexing", no Huffman)."""
    block = b"".join(b"\x00" + bytes([len(k)]) + k.encode() + bytes([len(v)]) + v.encode()
                     for k, v in fields)
    return h2_frame(1, 0x4 | (0x1 if end_stream else 0), stream, block)


H2_SETTINGS = h2_frame(4, 0, 0)
GRPC_HEADERS = h2_headers([(":status", "200"), ("content-type", "application/grpc")])
GRPC_SERVING = h2_frame(0, 0, 1, b"\x00\x00\x00\x00\x02\x08\x01")


class RawH2(Peer):
    """An HTTP/2 server with scripted bytes (frames made with h2_frame and h2_headers), in
    the clear or in TLS (context):
    preface goes out as soon as the client connects, answer once the client's HEADERS
    frame has arrived, its frames of stream 1 moved to the stream the request came on (Go's
    client opens stream 3 first), and again for each request on a new stream, until the
    client closes. answer may be a list: the server's nth request, on any connection, gets
    its nth item (the last one from then on)."""

    def __init__(self, answer, preface=H2_SETTINGS, context=None):
        self.preface, self.context = preface, context
        self.answers = answer if isinstance(answer, list) else [answer]
        self.requests = itertools.count()
        Peer.__init__(self)

    def answer_on(self, stream):
        nth = min(next(self.requests), len(self.answers) - 1)
        answer, off = bytearray(self.answers[nth]), 0
        while len(answer) - off >= 9:
            if answer[off + 5:off + 9] == b"\0\0\0\1":
                answer[off + 5:off + 9] = stream
            off += 9 + int.from_bytes(answer[off:off + 3], "big")
        return bytes(answer)

    def handle(self, conn):
        try:
            conn.settimeout(10)
            if self.context:  # TLS around it: an ssl server context, ALPN h2
                conn = self.context.wrap_socket(conn, server_side=True)
                self.track(conn)
            conn.sendall(self.preface)
            data, off, answered = b"", 24, set()  # past the client preface
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
                # Each HEADERS frame of a stream not yet answered is a request.
                while len(data) - off >= 9:
                    stream = data[off + 5:off + 9]
                    if data[off + 3] == 1 and stream not in answered:
                        answered.add(stream)
                        conn.sendall(self.answer_on(stream))
                    length = int.from_bytes(data[off:off + 3], "big")
                    if len(data) - off < 9 + length:
                        break
                    off += 9 + length
        except (OSError, ssl.SSLError):
            pass

    def addr(self):
        return "127.0.0.1:%d" % self.port


class Certs:
    """A CA, certificates it signs, and a self-signed one, made with Python's cryptography
    (OpenSSL); files in a temporary directory."""

    def __init__(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import NameOID

        self.dir = tempfile.mkdtemp()
        now = self.created = datetime.datetime.utcnow()

        def name(cn):
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        def save(fname, data):
            path = os.path.join(self.dir, fname)
            with open(path, "wb") as f:
                f.write(data)
            return path

        def keypem(k):
            return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())

        def make(cn, key, issuer, issuer_key, ca=False, sans=("localhost",), days=(-1, 30)):
            b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(issuer))
                 .public_key(key.public_key()).serial_number(x509.random_serial_number())
                 .not_valid_before(now + datetime.timedelta(days=days[0]))
                 .not_valid_after(now + datetime.timedelta(days=days[1])))
            if ca:
                b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            elif sans:
                alt = [x509.DNSName(s) for s in sans if not s[0].isdigit()]
                alt += [x509.IPAddress(ipaddress.ip_address(s)) for s in sans if s[0].isdigit()]
                b = b.add_extension(x509.SubjectAlternativeName(alt), False)
            return b.sign(issuer_key, hashes.SHA256())

        pem = serialization.Encoding.PEM
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = make("podhealth test CA", ca_key, "podhealth test CA", ca_key, ca=True)
        self.ca = save("ca.pem", ca.public_bytes(pem))
        other_key = ec.generate_private_key(ec.SECP256R1())
        other = make("another CA", other_key, "another CA", other_key, ca=True)
        self.other_ca = save("other-ca.pem", other.public_bytes(pem))

        def server(fname, key, **kw):
            cert = make(kw.pop("cn", "localhost"), key, "podhealth test CA", ca_key, **kw)
            return save(fname + ".pem", cert.public_bytes(pem)), save(fname + ".key", keypem(key))
        self.server_pair = server

        self.ec = server("ec", ec.generate_private_key(ec.SECP256R1()),
                         sans=("localhost", "127.0.0.1"))
        self.rsa = server("rsa", rsa.generate_private_key(65537, 2048))
        self.p384 = server("p384", ec.generate_private_key(ec.SECP384R1()))
        self.expired = server("expired", ec.generate_private_key(ec.SECP256R1()), days=(-30, -1))
        # The name in the Common Name only, no subjectAltName (Go refuses these since 1.15).
        self.cn_only = server("cn-only", ec.generate_private_key(ec.SECP256R1()), sans=())
        # A CA whose own dates have passed, and a server it signed that is valid now.
        old_key = ec.generate_private_key(ec.SECP256R1())
        old_ca = make("expired CA", old_key, "expired CA", old_key, ca=True, days=(-60, -1))
        self.expired_ca = save("expired-ca.pem", old_ca.public_bytes(pem))
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = make("localhost", leaf_key, "expired CA", old_key)
        self.by_expired_ca = (save("by-expired-ca.pem", leaf.public_bytes(pem)),
                              save("by-expired-ca.key", keypem(leaf_key)))
        # The test CA as Windows tools write PEM: CRLF line ends, a blank line after BEGIN,
        # trailing blanks; and a bundle whose first object is no certificate Go can read.
        with open(self.ca, "rb") as f:
            lines = f.read().decode().splitlines()
        self.ca_crlf = save("ca-crlf.pem", ("\r\n".join([lines[0], ""] + [l + " " for l in lines[1:]])
                                            + "\r\n").encode())
        self.ca_with_junk = save("ca-junk.pem", b"-----BEGIN CERTIFICATE-----\nMIIBAAAA\n"
                                 b"-----END CERTIFICATE-----\n" + "\n".join(lines).encode() + b"\n")
        # An object with no END line, last (a truncated bundle) and first (its text runs
        # into the next object's END line): Go's pem.Decode skips it and keeps the rest.
        self.ca_truncated = save("ca-truncated.pem", "\n".join(lines).encode()
                                 + b"\n-----BEGIN CERTIFICATE-----\nMIIBAAAA\n")
        self.ca_unterminated_first = save("ca-unterminated.pem", b"-----BEGIN CERTIFICATE-----\n"
                                          b"MIIBAAAA\n" + "\n".join(lines).encode() + b"\n")
        def chain(fname, root_nc=None, inter_nc=None, critical=True, sans=("localhost", "127.0.0.1")):
            """A root, an intermediate it signs and a leaf (sans) the intermediate signs,
            with name constraints on the root (root_nc) or the intermediate (inter_nc):
            (permitted, excluded) lists of x509.GeneralName, critical as RFC 5280 wants.
            Returns the root's file (ca=) and the server's (leaf and intermediate, key)."""
            def ca_cert(cn, key, issuer, issuer_key, nc):
                b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(issuer))
                     .public_key(key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True))
                if nc:
                    b = b.add_extension(x509.NameConstraints(nc[0] or None, nc[1] or None), critical)
                return b.sign(issuer_key, hashes.SHA256())
            root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
            root = ca_cert(fname + " root", root_key, fname + " root", root_key, root_nc)
            inter = ca_cert(fname + " intermediate", inter_key, fname + " root", root_key, inter_nc)
            leaf = make("localhost", leaf_key, fname + " intermediate", inter_key, sans=sans)
            return (save(fname + "-root.pem", root.public_bytes(pem)),
                    (save(fname + ".pem", leaf.public_bytes(pem) + inter.public_bytes(pem)),
                     save(fname + ".key", keypem(leaf_key))))
        self.chain = chain

        selfkey = ec.generate_private_key(ec.SECP256R1())
        selfcert = make("self", selfkey, "self", selfkey)
        self.selfsigned = (save("self.pem", selfcert.public_bytes(pem)),
                           save("self.key", keypem(selfkey)))

    def context(self, pair, versions="1.2+1.3", alpn=None, tickets=True):
        """An OpenSSL server context: versions "1.2", "1.3" or "1.2+1.3"; tickets False: no
        session tickets (TLS 1.2 nor 1.3; TLS 1.2 sessions still resume by ID)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*pair)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3 if versions == "1.3" else ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2 if versions == "1.2" else ssl.TLSVersion.TLSv1_3
        if not tickets:
            ctx.options |= ssl.OP_NO_TICKET
            ctx.num_tickets = 0
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx


class Tls13Records(Peer):
    """A TLS 1.3 server (OpenSSL, through Python's ssl over memory BIOs) whose answer is
    written record by record by the test: after the handshake and the request, each item of
    script is sent as its own encrypted record under the server's application traffic
    keys, which it derives from the secret OpenSSL logs (RFC 8446 7.1-7.3):
    ("data", bytes), ("empty",) an application-data record with nothing in it, ("alert",
    level, description), ("handshake", bytes) handshake messages, ("key_update", request)
    a KeyUpdate, after which the keys move on (7.2). Then the connection closes. What no TLS library lets a server send on demand,
    on the wire as a peer would send it. flight rewrites the server's first flight, its
    handshake messages unchanged (so the handshake still completes) but packed otherwise:
    "repacked" the encrypted ones in one record; "hello-and-more" EncryptedExtensions in
    the ServerHello's plaintext record, across the key change; "finished-and-more" a
    NewSessionTicket after the Finished in its record, across the next."""

    SUITES = {"TLS_AES_128_GCM_SHA256": ("gcm", 16, "sha256"),
              "TLS_AES_256_GCM_SHA384": ("gcm", 32, "sha384"),
              "TLS_CHACHA20_POLY1305_SHA256": ("chacha", 32, "sha256")}

    def __init__(self, certs, pair, script, before_hello=b"", flight=None):
        self.certs, self.pair, self.script = certs, pair, script
        self.before_hello = before_hello  # plaintext records sent before the ServerHello
        self.flight = flight
        Peer.__init__(self)

    def aead(self, suite, secret):
        """Protection for records under a traffic secret (RFC 8446 7.3): seal(type, payload)
        and open(record) -> (type, payload), each record's sequence number counted."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
        kind, key_len, hash_name = suite
        aead = (AESGCM if kind == "gcm" else ChaCha20Poly1305)(self.expand_label(hash_name, secret, b"key", key_len))
        iv, seq = self.expand_label(hash_name, secret, b"iv", 12), [0]

        def nonce():
            seq[0] += 1
            return bytes(a ^ b for a, b in zip(iv, (seq[0] - 1).to_bytes(12, "big")))

        def seal(content_type, payload):
            inner = payload + bytes([content_type])
            header = b"\x17\x03\x03" + (len(inner) + 16).to_bytes(2, "big")
            return header + aead.encrypt(nonce(), inner, header)

        def open_(record):
            inner = aead.decrypt(nonce(), record[5:], record[:5]).rstrip(b"\0")
            return inner[-1], inner[:-1]
        return seal, open_

    def rewrite(self, flight, keylog):
        records, off = [], 0
        while off + 5 <= len(flight):
            n = int.from_bytes(flight[off + 3:off + 5], "big")
            records.append(flight[off:off + 5 + n])
            off += 5 + n
        hello = records[0][5:]
        sid = hello[4 + 34]
        suite_id = int.from_bytes(hello[4 + 35 + sid:4 + 37 + sid], "big")
        suite = self.SUITES[{0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
                             0x1303: "TLS_CHACHA20_POLY1305_SHA256"}[suite_id]]
        with open(keylog) as f:
            secret = bytes.fromhex([l.split()[2] for l in f
                                    if l.startswith("SERVER_HANDSHAKE_TRAFFIC_SECRET ")][-1])
        _, open_ = self.aead(suite, secret)
        seal, _ = self.aead(suite, secret)
        plain = [r for r in records[1:] if r[0] != 0x17]  # the ChangeCipherSpec
        messages = b"".join(open_(r)[1] for r in records[1:] if r[0] == 0x17)
        if self.flight == "hello-and-more":
            ee_len = 4 + int.from_bytes(messages[1:4], "big")
            hello, messages = hello + messages[:ee_len], messages[ee_len:]
        elif self.flight == "finished-and-more":  # lifetime 0: a ticket Go ignores
            messages += b"\x04\x00\x00\x0e" + bytes(8) + b"\x00\x00\x01x\x00\x00"
        return (b"\x16\x03\x03" + len(hello).to_bytes(2, "big") + hello + b"".join(plain) +
                seal(22, messages))

    @staticmethod
    def expand_label(hash_name, secret, label, length):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
        full = b"tls13 " + label
        info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\0"
        algorithm = hashes.SHA256() if hash_name == "sha256" else hashes.SHA384()
        return HKDFExpand(algorithm, length, info).derive(secret)

    def handle(self, conn):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
        keylog = tempfile.NamedTemporaryFile(suffix=".keys", delete=False).name
        try:
            ctx = self.certs.context(self.pair, versions="1.3", tickets=False)
            ctx.keylog_filename = keylog
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
            conn.settimeout(10)
            # Each connection's first flight, the oracle's and podhealth's alike.
            pending = {"flight": self.flight, "hello": self.before_hello}

            def pump(step):
                while True:
                    try:
                        return step()
                    except ssl.SSLWantReadError:
                        flight = outgoing.read()
                        if flight and pending["flight"]:
                            flight, pending["flight"] = self.rewrite(flight, keylog), None
                        if flight and pending["hello"]:
                            flight, pending["hello"] = pending["hello"] + flight, b""
                        conn.sendall(flight)
                        data = conn.recv(65536)
                        if not data:
                            raise ConnectionError("the client went away")
                        incoming.write(data)
            pump(tls.do_handshake)
            conn.sendall(outgoing.read())
            request = b""
            while b"\r\n\r\n" not in request:
                request += pump(lambda: tls.read(65536))
            kind, key_len, hash_name = self.SUITES[tls.cipher()[0]]
            with open(keylog) as f:
                secret = bytes.fromhex([l.split()[2] for l in f if l.startswith("SERVER_TRAFFIC_SECRET_0 ")][-1])
            state = {}

            def keys(secret):
                key = self.expand_label(hash_name, secret, b"key", key_len)
                state.update(aead=AESGCM(key) if kind == "gcm" else ChaCha20Poly1305(key),
                             iv=self.expand_label(hash_name, secret, b"iv", 12), seq=0, secret=secret)
            keys(secret)

            def record(content_type, payload):
                inner = payload + bytes([content_type])
                header = b"\x17\x03\x03" + (len(inner) + 16).to_bytes(2, "big")
                nonce = bytes(a ^ b for a, b in zip(state["iv"], state["seq"].to_bytes(12, "big")))
                state["seq"] += 1
                return header + state["aead"].encrypt(nonce, inner, header)
            for item in self.script:
                if item[0] == "data":
                    conn.sendall(record(23, item[1]))
                elif item[0] == "empty":
                    conn.sendall(record(23, b""))
                elif item[0] == "alert":
                    conn.sendall(record(21, bytes([item[1], item[2]])))
                elif item[0] == "handshake":
                    conn.sendall(record(22, item[1]))
                elif item[0] == "key_update":
                    conn.sendall(record(22, b"\x18\x00\x00\x01" + bytes([item[1]])))
                    keys(self.expand_label(hash_name, state["secret"], b"traffic upd",
                                           32 if hash_name == "sha256" else 48))
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(65536):  # until the client closes: it reads all first
                pass
        except (OSError, ConnectionError, ssl.SSLError):
            pass
        finally:
            os.unlink(keylog)
            conn.close()


class GoPeer:
    """A Go test peer (build/peers/NAME): prints its port, stops when its stdin closes."""

    def __init__(self, name, *args):
        self.proc = subprocess.Popen([os.path.join(ROOT, "build", "peers", name)] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class GrpcServer(GoPeer):
    """grpc-go's standard health service (build/peers/grpc_health_server)."""

    def __init__(self, *args):
        GoPeer.__init__(self, "grpc_health_server", *args)


# --- Databases: Debian's servers and their own clients, the oracles of the database kinds.

def _database_binary(pattern, package):
    import glob
    found = sorted(glob.glob(pattern))
    if not found:
        pytest.fail("%s is missing: tools/deps.sh test installs %s" % (pattern, package))
    return found[-1]


def _as_nobody():
    """PostgreSQL and MariaDB refuse to run as root: a root suite runs them as nobody."""
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)


@contextlib.contextmanager
def _private_dir():
    """A directory of the server's own (nobody's when root), removed afterwards."""
    d = tempfile.mkdtemp(prefix="podhealth-db-")
    try:
        if os.geteuid() == 0:
            os.chown(d, 65534, 65534)
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _run_as_nobody(argv):
    r = subprocess.run(argv, preexec_fn=_as_nobody, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode:
        pytest.fail("%s failed: %s" % (argv, r.stderr[-2000:]))


@contextlib.contextmanager
def _server(argv, port, ready, d, as_nobody=True, stop=signal.SIGTERM):
    """Runs argv (as nobody when root and as_nobody) until the test is done; yields port
    once ready(); stops it with the signal stop, then kills it if it lingers."""
    log = os.path.join(d, "server.log")
    with open(log, "w") as f:
        p = subprocess.Popen(argv, preexec_fn=_as_nobody if as_nobody else None, stdout=f,
                             stderr=subprocess.STDOUT)
    try:
        if not wait_until(lambda: p.poll() is None and ready(), timeout=30):
            with open(log) as f:
                pytest.fail("%s did not start: %s" % (argv, f.read()[-3000:]))
        yield port
    finally:
        p.send_signal(stop)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


PG_BIN = "/usr/lib/postgresql/*/bin/"


def pg_isready(port, user="postgres", database=None):
    """pg_isready's verdict: 0 accepting, 1 rejecting, 2 no response, 3 no attempt."""
    argv = [_database_binary(PG_BIN + "pg_isready", "postgresql-client"), "-h", "127.0.0.1",
            "-p", str(port), "-U", user, "-t", "10"] + (["-d", database] if database else [])
    return subprocess.run(argv, stdout=subprocess.DEVNULL).returncode


@contextlib.contextmanager
def postgres(settings=(), hba="host all all 127.0.0.1/32 trust", standby=False):
    """Debian's PostgreSQL on a free loopback port in a private directory; settings: more
    NAME=VALUE; hba: pg_hba.conf; standby: a standby with hot_standby off, which rejects
    every connection (57P03). Yields the port once pg_isready says what it should."""
    with _private_dir() as d:
        yield from _postgres_in(d, settings, hba, standby)


def _postgres_in(d, settings, hba, standby):
    data, port = os.path.join(d, "data"), free_port()
    _run_as_nobody([_database_binary(PG_BIN + "initdb", "postgresql"), "-D", data, "-U",
                    "postgres", "--auth=trust", "--no-sync"])
    with open(os.path.join(data, "pg_hba.conf"), "w") as f:
        f.write(hba + "\n")
    if standby:
        open(os.path.join(data, "standby.signal"), "w").close()
        settings = tuple(settings) + ("hot_standby=off",)
    argv = [_database_binary(PG_BIN + "postgres", "postgresql"), "-D", data, "-p", str(port),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + d,
            "-c", "shared_buffers=1MB", "-c", "fsync=off"]
    for s in settings:
        argv += ["-c", s]
    # SIGINT: PostgreSQL's fast shutdown (SIGTERM's smart one waits for every session).
    with _server(argv, port, lambda: pg_isready(port) == (1 if standby else 0), d,
                 stop=signal.SIGINT):
        yield port


def hold_pg_connection(port):
    """A connection let in (trust) and held: one of max_connections taken. A slot may still
    be held a moment by the backend of pg_isready's connection, which postgres() waited
    on, on a loaded machine: "too many clients" (53300) is asked again, for at most 10 s."""
    deadline = time.monotonic() + 10
    while True:
        s = socket.create_connection(("127.0.0.1", port))
        body = b"\0\3\0\0user\0postgres\0\0"
        s.sendall((len(body) + 4).to_bytes(4, "big") + body)
        got = b""
        while b"Z\0\0\0\x05" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        else:
            return s
        s.close()
        if b"C53300\0" not in got or time.monotonic() > deadline:
            pytest.fail("PostgreSQL closed a connection it should let in: %r" % got[:200])
        time.sleep(0.05)


def mysqladmin_ping(port, user="podhealth"):
    """mysqladmin ping's verdict: 0 alive (a server's error included), 1 not."""
    return subprocess.run([_database_binary("/usr/bin/mysqladmin", "mariadb-client"), "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1",
                           "-P", str(port), "-u", user, "--connect-timeout=10", "ping"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def _greets(port):
    """A MySQL server has said its first packet (a greeting, or an error in its place)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            return len(s.recv(5)) == 5
    except OSError:
        return False


@contextlib.contextmanager
def mariadb(*options, init=None):
    """Debian's MariaDB on a free loopback port in a private directory, names unresolved
    (accounts match 127.0.0.1 only as written), with the users of a fresh install (root,
    by its unix socket only); init: SQL run at start (accounts). Yields the port once the
    server speaks."""
    with _private_dir() as d:
        yield from _mariadb_in(d, options, init)


def _mariadb_in(d, options, init):
    data, port = os.path.join(d, "data"), free_port()
    # Temporary tables in the private directory too, not /tmp: a suite beside this one
    # runs its own MariaDB, and one's install removed the other's temporary table there.
    _run_as_nobody([_database_binary("/usr/bin/mariadb-install-db", "mariadb-server-core"),
                    "--no-defaults", "--datadir=" + data, "--tmpdir=" + d, "--skip-test-db",
                    "--auth-root-authentication-method=socket"])
    argv = [_database_binary("/usr/sbin/mariadbd", "mariadb-server-core"), "--no-defaults",
            "--datadir=" + data, "--tmpdir=" + d, "--socket=" + os.path.join(d, "sock"),
            "--port=%d" % port,
            "--bind-address=127.0.0.1", "--skip-name-resolve", "--skip-log-bin",
            "--innodb-buffer-pool-size=8M", "--pid-file=" + os.path.join(d, "pid")] + list(options)
    if init:
        with open(os.path.join(d, "init.sql"), "w") as f:
            f.write(init)
        argv.append("--init-file=" + os.path.join(d, "init.sql"))
    with _server(argv, port, lambda: _greets(port), d):
        yield port


def redis_cli_ping(port, tls=None):
    """What redis-cli ping prints (it exits 0 on any answer: the usual probe greps PONG)."""
    argv = [_database_binary("/usr/bin/redis-cli", "redis-tools"), "-h", "127.0.0.1", "-p",
            str(port)] + (["--tls", "--cacert", tls] if tls else []) + ["ping"]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True).stdout.strip()


@contextlib.contextmanager
def redis(*options, tls=None):
    """Debian's Redis on a free loopback port in a private directory, nothing saved; tls: a
    (certificate, key) pair, and then the port speaks TLS only. Yields the port once it
    accepts connections."""
    with _private_dir() as d:
        yield from _redis_in(d, options, tls)


def _accepts(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _redis_in(d, options, tls):
    port = free_port()
    listen = (["--port", "0", "--tls-port", str(port), "--tls-cert-file", tls[0],
               "--tls-key-file", tls[1], "--tls-auth-clients", "no"] if tls else
              ["--port", str(port)])
    argv = [_database_binary("/usr/bin/redis-server", "redis-server"), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", d] + listen + list(options)
    # As the suite's user: the certificates' directory is its own.
    with _server(argv, port, lambda: _accepts(port), d, as_nobody=False):
        yield port
