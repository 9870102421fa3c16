"""TLS as kubelet's Go client meets it. Every set of protocol versions a server may allow
(TLS 1.3 only, 1.2 only, both) with every kind of certificate key Go accepts that podhealth
does (ECDSA P-256 and P-384, RSA 2048, 4096 and 8192), from Python's ssl (OpenSSL) and
nginx, unverified (kubelet's InsecureSkipVerify) and with ca=, and each verification
failure under each version; every verdict beside the oracle's (Go's net/http, kubelet's TLS
stack). Then sessions: resumed where the server offers it (counted at the server), never
where it does not, and a resumption the server turns down falls back to a full handshake.
Last, what podhealth lacks and Go has (doc/checks.md: "Known differences")."""
import contextlib
import datetime
import os
import shutil
import ssl
import subprocess
import tempfile
import time

import pytest

from conftest import CHECK_SECONDS, CHECK_TIMEOUT, Upstream, free_port, get, port_is_free, run, wait_until
from peers import Certs, GoPeer, compare, kubelet, nginx, nginx_tls_conf, verdicts

# Slow (every TLS version x key type against OpenSSL and nginx): make test runs it, make check does not.
pytestmark = pytest.mark.slow

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
VERSIONS = {"tls13": "1.3", "tls12": "1.2", "both": "1.2+1.3"}
NGINX_PROTOCOLS = {"1.3": "TLSv1.3", "1.2": "TLSv1.2", "1.2+1.3": "TLSv1.2 TLSv1.3"}


@pytest.fixture(scope="module")
def certs():
    c = Certs()
    yield c
    shutil.rmtree(c.dir)


@pytest.fixture(scope="module")
def keys(certs):
    """Certificate pairs by key: all signed by the test CA for localhost."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    return {"p256": certs.ec, "p384": certs.p384, "rsa2048": certs.rsa,
            "p521": certs.server_pair("p521", ec.generate_private_key(ec.SECP521R1())),
            "rsa4096": certs.server_pair("rsa4096", rsa.generate_private_key(65537, 4096)),
            "rsa8192": certs.server_pair("rsa8192", rsa.generate_private_key(65537, 8192))}


def answering(context):
    return Upstream(script=lambda path, head: (OK, "close"), context=context)


def both_ways(name, port, ca):
    """A server's cases: unverified at its address, and verified (ca=) by name."""
    url = "https://127.0.0.1:%d/healthz" % port
    local = "https://localhost:%d/healthz" % port
    return {name: (url, {"target": url}, "pass"),
            name + "-ca": ("name=%s-ca,url=%s,ca=%s" % (name, local, ca),
                           {"target": local, "ca": ca}, "pass")}


def test_openssl_versions_and_keys(podhealth, certs, keys):
    servers = {"%s-%s" % (v, k): answering(certs.context(pair, versions))
               for v, versions in VERSIONS.items() for k, pair in keys.items()}
    try:
        cases = {}
        for name, u in servers.items():
            cases.update(both_ways(name, u.port, certs.ca))
        compare(podhealth, cases)
    finally:
        for u in servers.values():
            u.stop()


@pytest.mark.parametrize("kind", ["negative-serial", "rsa1016"])
def test_certificates_go_refuses_unverified(podhealth, certs, kind):
    # What Go's crypto/tls refuses even unverified, as kubelet's client does, and Go 1.19
    # (the oracle's old Go) did not: a negative serial number (x509negativeserial, Go 1.23)
    # and an RSA key under 1024 bits (rsa1024min, Go 1.24). Each compared with Go 1.24.
    d = tempfile.mkdtemp(dir=certs.dir)
    cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
    new_key = ["-newkey", "rsa:1016"] if kind == "rsa1016" else \
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-set_serial", "-12345"]
    subprocess.run(["openssl", "req", "-x509", *new_key, "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL's own floor would refuse the key first
    ctx.load_cert_chain(cert, key)
    u = answering(ctx)
    try:
        url = "https://127.0.0.1:%d/" % u.port
        listing = compare(podhealth, {"t": (url, {"target": url}, "fail")})
        reason = ("certificate has a negative serial number" if kind == "negative-serial"
                  else "the server's RSA key is under 1024 bits")
        assert "[-]t failed: TLS: %s\n" % reason in listing, listing
    finally:
        u.stop()


# A certificate's name values as Go's ParseCertificate reads them (crypto/tls parses every
# certificate a server sends, verified or not): the subject's O as each string type, with
# contents each type allows or not. name: (ASN.1 tag, the four bytes, the verdict).
NAME_STRINGS = {
    "printable": (0x13, b"abcd", "pass"),
    "printable-at": (0x13, b"a@cd", "fail"),
    "numeric": (0x12, b"1234", "pass"),  # Mbed TLS 3.6 refused NumericString
    "numeric-letter": (0x12, b"12a4", "fail"),
    "ia5-latin1": (0x16, b"ab\xe9d", "fail"),
    "t61-latin1": (0x14, b"ab\xe9d", "pass"),
    "bmp": (0x1e, b"\0a\0b", "pass"),
    # Restated: Go 1.25 refuses it, the oracle's Go 1.24.4 passes it; OpenSSL will not
    # load it, so the Go server serves it.
    "bmp-surrogate": (0x1e, b"\xd8\0\0a", "Go 1.25"),
    "universal": (0x1c, b"\0\0\0a", "fail"),  # Mbed TLS 3.6 took UniversalString
    "utf8": (0x0c, "aé".encode() + b"b", "pass"),
    # Invalid UTF-8, which OpenSSL will not serve: read from a ca= file below.
    "utf8-overlong": (0x0c, b"ab\xc0\x80", None),
    "utf8-surrogate": (0x0c, b"a\xed\xa0\x80", None),
}


def test_certificate_names_as_go_parses_them(podhealth, certs):
    d = tempfile.mkdtemp(dir=certs.dir)
    key = os.path.join(d, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost/O=wxyz", "-addext",
                    "subjectAltName=DNS:localhost", "-keyout", key, "-out", os.path.join(d, "c.pem")],
                   check=True, capture_output=True)
    with open(os.path.join(d, "c.pem")) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    assert der.count(b"\x0c\x04wxyz") == 2  # subject and issuer: self-signed
    servers = {}
    try:
        for name, (tag, value, want) in NAME_STRINGS.items():
            cert = os.path.join(d, name + ".pem")
            with open(cert, "w") as f:  # the signature no longer holds: unverified, unasked
                f.write(ssl.DER_cert_to_PEM_cert(der.replace(b"\x0c\x04wxyz", bytes([tag, 4]) + value)))
            if want == "Go 1.25":
                servers[name] = GoPeer("h2_only_server", cert, key)
                continue
            if want is None:
                # A CA file of that certificate alone: skipped, as Go's AppendCertsFromPEM
                # skips what ParseCertificate refuses (utf8.Valid), so none is left.
                rc, _, err = run(["probe", "--check", "url=https://localhost:1/,ca=" + cert])
                assert (rc, "skipping a certificate that cannot be decoded" in err) == (2, True), err
                continue
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            servers[name] = answering(ctx)
        # A subjectAltName DNS name outside ASCII (parseSANExtension): Go fails it.
        cert = os.path.join(d, "san-latin1.pem")
        assert der.count(b"\x82\x09localhost") == 1
        with open(cert, "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(der.replace(b"\x82\x09localhost", b"\x82\x09localhos\xe9")))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        servers["san-latin1"] = answering(ctx)
        want = dict({name: w for name, (_, _, w) in NAME_STRINGS.items()}, **{"san-latin1": "fail"})
        compare(podhealth, {name: ("https://127.0.0.1:%d/" % u.port,
                                   {"target": "https://127.0.0.1:%d/" % u.port}, want[name])
                            for name, u in servers.items() if want[name] in ("pass", "fail")})
        # Restated: Go 1.25 refuses surrogates in a BMPString; the oracle's Go 1.24.4 does not.
        url = "https://127.0.0.1:%d/" % servers["bmp-surrogate"].port
        assert kubelet("https", url)[0] == "pass"
        got, listing = verdicts(podhealth, {"t": url})
        assert got == {"t": "fail"} and "[-]t failed: TLS: bad certificate" in listing, listing
    finally:
        for u in servers.values():
            u.stop()


# URI subjectAltNames as crypto/x509's parseSANExtension takes them, verified or not:
# url.Parse, then domainToReverseLabels on the host. name: (the URI, the verdict; "Go 1.26":
# refused by kubelet 1.37's net/url, taken by the oracle's Go 1.24.4, so restated).
URI_SANS = {
    "uri-spiffe": ("spiffe://cluster.local/ns/default/sa/app", "pass"),
    "uri-opaque": ("urn:uuid:anything %zz goes", "pass"),
    "uri-space-in-host": ("spiffe://clus ter.local/", "fail"),
    "uri-bad-escape": ("spiffe://cluster.local/ns/%zz/", "fail"),
    "uri-fragment-escape": ("spiffe://cluster.local/#%zz", "fail"),
    "uri-control-byte": ("spiffe://cluster.local/\x01", "fail"),
    "uri-trailing-dot": ("spiffe://cluster.local./", "fail"),
    "uri-empty-label": ("spiffe://cluster..local/", "fail"),
    "uri-bad-userinfo": ("spiffe://u p@cluster.local/", "fail"),
    "uri-two-colons": ("spiffe://cluster.local:1:2/", "Go 1.26"),
}


def test_uri_subject_alt_names_as_go_parses_them(podhealth, certs):
    # Each URI written over a placeholder of the same length in one certificate (the
    # signature no longer holds: unverified, unasked), served by OpenSSL; podhealth's
    # verdict beside the oracle's, and the Go 1.26 row restated.
    d = tempfile.mkdtemp(dir=certs.dir)
    key = os.path.join(d, "k.pem")
    placeholder = "spiffe://placeholder/" + "p" * 39
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,URI:" + placeholder, "-keyout", key,
                    "-out", os.path.join(d, "c.pem")], check=True, capture_output=True)
    with open(os.path.join(d, "c.pem")) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    assert der.count(placeholder.encode()) == 1
    servers = {}
    try:
        for name, (uri, _) in URI_SANS.items():
            value = uri.encode() + b"a" * (len(placeholder) - len(uri))
            cert = os.path.join(d, name + ".pem")
            with open(cert, "w") as f:
                f.write(ssl.DER_cert_to_PEM_cert(der.replace(placeholder.encode(), value)))
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            servers[name] = answering(ctx)
        url = lambda name: "https://127.0.0.1:%d/" % servers[name].port
        listing = compare(podhealth, {name: ("name=%s,url=%s" % (name, url(name)), {"target": url(name)}, want)
                                      for name, (_, want) in URI_SANS.items() if want != "Go 1.26"})
        assert "[-]uri-bad-escape failed: TLS: certificate has a URI subjectAltName Go cannot parse\n" in listing
        assert kubelet("https", url("uri-two-colons"))[0] == "pass"
        got, _ = verdicts(podhealth, {"t": url("uri-two-colons")})
        assert got == {"t": "fail"}
    finally:
        for u in servers.values():
            u.stop()


def test_negative_path_length_refused_as_go_1_25(podhealth, certs):
    # A certificate whose BasicConstraints has a negative pathLenConstraint: Go 1.25's
    # ParseCertificate refuses it, and crypto/tls parses the server's certificates even
    # unverified, so kubelet 1.37 fails the probe; Go 1.24 (the oracle, and the Go server
    # here) takes it. Restated: the oracle passes, podhealth fails, as Mbed TLS refuses a
    # negative INTEGER there. OpenSSL will not load such a certificate, so Go serves it.
    d = tempfile.mkdtemp(dir=certs.dir)
    cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    with open(cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    zero = bytes.fromhex("0101ff020100")  # cA TRUE, pathLenConstraint 0
    assert der.count(zero) == 1
    with open(cert, "w") as f:  # -1; the signature no longer holds, which unverified is not asked
        f.write(ssl.DER_cert_to_PEM_cert(der.replace(zero, bytes.fromhex("0101ff0201ff"))))
    server = GoPeer("h2_only_server", cert, key)
    try:
        url = "https://127.0.0.1:%d/" % server.port
        assert kubelet("https", url)[0] == "pass"
        got, listing = verdicts(podhealth, {"t": url})
        assert got == {"t": "fail"} and "[-]t failed: TLS: bad certificate" in listing, listing
    finally:
        server.stop()


@pytest.mark.rows
def test_tls12_sha1_signature_refused_as_go_1_25(podhealth):
    # A TLS 1.2 server that can sign its key exchange with SHA-1 only: Go 1.25 refuses SHA-1
    # signatures in TLS 1.2 handshakes (GODEBUG tlssha1), kubelet 1.37's Go with it, and
    # podhealth never offers them; the oracle's Go 1.24 still takes them, so this restates
    # the newer rule: the oracle passes, podhealth fails.
    port = free_port()
    d = tempfile.mkdtemp()
    cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-keyout", key, "-out", cert], check=True, capture_output=True)
    server = subprocess.Popen(["openssl", "s_server", "-tls1_2", "-cipher", "DEFAULT:@SECLEVEL=0",
                               "-sigalgs", "RSA+SHA1", "-cert", cert, "-key", key, "-accept",
                               "127.0.0.1:%d" % port, "-www", "-quiet"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: port_is_free(port, "127.0.0.1") is False, timeout=10)
        url = "https://127.0.0.1:%d/" % port
        assert kubelet("https", url)[0] == "pass"
        got, listing = verdicts(podhealth, {"t": url})
        assert got == {"t": "fail"}, listing
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(d)


@pytest.mark.parametrize("cipher,want", [("ECDHE-RSA-AES128-SHA", "pass"), ("ECDHE-RSA-AES256-SHA", "pass"),
                                         ("ECDHE-ECDSA-AES128-SHA", "pass"), ("ECDHE-ECDSA-AES256-SHA", "pass"),
                                         ("ECDHE-RSA-AES128-SHA256", "fail"), ("AES128-GCM-SHA256", "fail")])
def test_tls12_suites_as_go_offers_them(podhealth, certs, cipher, want):
    # A TLS 1.2 server with one cipher suite (older Java and appliance servers answer
    # this way): the ECDHE AES-CBC-SHA suites pass as with Go, whose client still offers
    # them; the CBC-SHA256 ones and RSA key exchange (out of Go's defaults since 1.22,
    # GODEBUG tlsrsakex) fail as with Go, which offers neither.
    ctx = certs.context(certs.ec if "ECDSA" in cipher else certs.rsa, "1.2")
    ctx.set_ciphers(cipher)
    u = answering(ctx)
    try:
        url = "https://127.0.0.1:%d/" % u.port
        compare(podhealth, {"t": (url, {"target": url}, want)})
    finally:
        u.stop()


def test_nginx_versions_and_keys(podhealth, certs, keys):
    cases = {}
    with contextlib.ExitStack() as stack:
        for v, versions in VERSIONS.items():
            for k in ("p256", "rsa2048"):
                port = stack.enter_context(
                    nginx("ssl", nginx_tls_conf(keys[k], NGINX_PROTOCOLS[versions])))
                cases.update(both_ways("nginx-%s-%s" % (v, k), port, certs.ca))
        compare(podhealth, cases)


@pytest.mark.rows
def test_verification_failures_under_each_version(podhealth, certs):
    """ca=: unknown CA, wrong name, expired leaf, expired CA, Common Name only, under TLS 1.3
    (the certificate comes encrypted) and 1.2 alike, each with Go's reason."""
    pairs = {"ec": certs.ec, "expired": certs.expired, "by-expired-ca": certs.by_expired_ca,
             "cn-only": certs.cn_only}
    servers = {(v, p): answering(certs.context(pair, versions))
               for v, versions in VERSIONS.items() for p, pair in pairs.items()}
    reasons = {"unknown-ca": "TLS: certificate signed by an unknown authority",
               "wrong-name": "TLS: certificate is not valid for the server name",
               "expired": "TLS: certificate has expired or is not yet valid",
               "expired-ca": "TLS: certificate has expired or is not yet valid",
               "cn-only": "TLS: certificate relies on the legacy Common Name field, use SANs"}
    try:
        cases = {}
        for v in VERSIONS:
            local = lambda p: "https://localhost:%d/" % servers[(v, p)].port
            rows = {"unknown-ca": (local("ec"), certs.other_ca, None),
                    "wrong-name": (local("ec"), certs.ca, "wrong.example"),
                    "expired": (local("expired"), certs.ca, None),
                    "expired-ca": (local("by-expired-ca"), certs.expired_ca, None),
                    "cn-only": (local("cn-only"), certs.ca, None)}
            for what, (url, ca, servername) in rows.items():
                spec = "name=%s-%s,url=%s,ca=%s" % (v, what, url, ca)
                oracle = {"target": url, "ca": ca}
                if servername:
                    spec += ",servername=" + servername
                    oracle["servername"] = servername
                cases["%s-%s" % (v, what)] = (spec, oracle, "fail")
        listing = compare(podhealth, cases)
        for name in cases:
            what = name.split("-", 1)[1]
            assert "[-]%s failed: %s\n" % (name, reasons[what]) in listing, listing
    finally:
        for u in servers.values():
            u.stop()


def checking(podhealth, spec):
    """podhealth with the one check spec, whose timeout is CHECK_TIMEOUT: these tests are
    about sessions, not time, and valgrind on a loaded machine makes a full handshake with
    verification take seconds."""
    return podhealth("--timeout", CHECK_TIMEOUT, "--check", spec)


def probe_times(p, n):
    for _ in range(n):
        r = get(p.port, "/all?verbose")
        assert r.status == 200, r.body


@pytest.mark.parametrize("versions", ["1.3", "1.2"])
@pytest.mark.rows
def test_sessions_resume_at_an_openssl_server(podhealth, certs, versions):
    """Four checks, one full handshake: OpenSSL counts the other three as resumed (a TLS 1.3
    ticket, or a TLS 1.2 ticket). With ca=, the verified check resumes its own sessions."""
    for ca in (None, certs.ca):
        ctx = certs.context(certs.ec, versions)
        u = answering(ctx)
        try:
            spec = "name=t,url=https://localhost:%d/" % u.port + (",ca=" + ca if ca else "")
            probe_times(checking(podhealth, spec), 4)
            stats = ctx.session_stats()
            assert (stats["accept_good"], stats["hits"]) == (4, 3), stats
        finally:
            u.stop()


def test_a_refused_resumption_falls_back_to_a_full_handshake(podhealth, certs):
    """A TLS 1.2 session, then the server allows TLS 1.3 only: the offered 1.2 session
    fails that handshake, and the check makes a full one at once (kubelet, which resumes
    nothing, passes too)."""
    ctx = certs.context(certs.ec, "1.2")
    u = answering(ctx)
    try:
        url = "https://127.0.0.1:%d/" % u.port
        p = checking(podhealth, "name=t,url=" + url)
        probe_times(p, 2)
        assert ctx.session_stats()["hits"] == 1
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        probe_times(p, 2)
        stats = ctx.session_stats()
        # The refused resumption, the full handshake after it, then a TLS 1.3 resumption.
        assert (stats["accept"], stats["accept_good"], stats["hits"]) == (5, 4, 2), stats
        assert kubelet("https", url)[0] == "pass"
    finally:
        u.stop()


@pytest.mark.parametrize("versions", ["1.3", "1.2"])
@pytest.mark.rows
def test_no_session_outlives_its_certificate_with_ca(podhealth, certs, versions):
    """With ca=, a session is resumed only while the certificate it was verified with is
    valid: a resumed handshake shows no certificate, and kubelet's full one would fail on
    the expired certificate. The server keeps accepting the session; podhealth no longer
    offers it, makes a full handshake and fails as Go does."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    # Seconds the certificate lives after it is made: two checks, each within its timeout.
    life = 2 + 3 * CHECK_SECONDS
    since = (datetime.datetime.utcnow() - certs.created).total_seconds()
    pair = certs.server_pair("short-" + versions, ec.generate_private_key(ec.SECP256R1()),
                             days=(-1, (since + life) / 86400))
    with open(pair[0], "rb") as f:
        end = x509.load_pem_x509_certificate(f.read()).not_valid_after
    ctx = certs.context(pair, versions)
    u = answering(ctx)
    try:
        url = "https://localhost:%d/" % u.port
        p = checking(podhealth, "name=t,url=%s,ca=%s" % (url, certs.ca))
        probe_times(p, 2)
        assert ctx.session_stats()["hits"] == 1
        time.sleep(max(0, (end - datetime.datetime.utcnow()).total_seconds()) + 1.5)
        r = get(p.port, "/all?verbose")
        assert r.status == 503 and "certificate has expired" in r.body, r.body
        assert ctx.session_stats()["hits"] == 1  # offered no session
        assert kubelet("https", url, ca=certs.ca)[0] == "fail"
    finally:
        u.stop()


@pytest.mark.parametrize("versions", ["1.3", "1.2"])
@pytest.mark.rows
def test_sessions_at_nginx_resumed_or_not(podhealth, certs, versions):
    """nginx logs each request's $ssl_session_reused: "r" after the first check, with its
    default tickets; never, with tickets off and no session cache (the server refuses
    resumption), and every check passes."""
    d = tempfile.mkdtemp()
    try:
        for tickets, want in (("on", ".rrr"), ("off", "....")):
            log = os.path.join(d, "access-%s.log" % tickets)
            conf = nginx_tls_conf(certs.ec, NGINX_PROTOCOLS[versions],
                                  "ssl_session_tickets %s; ssl_session_cache off;" % tickets)
            with nginx("ssl", conf, log=log) as port:
                probe_times(checking(podhealth, "name=t,url=https://127.0.0.1:%d/healthz" % port), 4)
            with open(log) as f:
                lines = f.read().split()
            protocol = {"1.3": "TLSv1.3", "1.2": "TLSv1.2"}[versions]
            assert lines[0::2] == [protocol] * 4, lines
            assert "".join(lines[1::2]) == want, (tickets, lines)
    finally:
        shutil.rmtree(d)


@pytest.mark.parametrize("kind", ["ed25519", "x25519mlkem768-only"])
def test_what_podhealth_lacks_is_a_known_difference(podhealth, certs, kind):
    """Where Go passes and the server refuses podhealth's handshake, finding nothing in
    common: an Ed25519 certificate (Mbed TLS has no Ed25519), and a TLS 1.3 server that
    takes only the hybrid X25519MLKEM768 group (Go offers it since 1.24, and kubelet 1.37's
    Go 1.26 SecP256r1MLKEM768 and SecP384r1MLKEM1024 too; Mbed TLS 3.6 has no ML-KEM). Named
    in doc/checks.md's "Known differences". (P-521, once here, is in the matrix above.)"""
    if kind == "ed25519":
        from cryptography.hazmat.primitives.asymmetric import ed25519
        server = answering(certs.context(certs.server_pair(kind, ed25519.Ed25519PrivateKey.generate())))
    else:
        server = GoPeer("h2_only_server", *certs.ec, "mlkem")
    try:
        url = "https://127.0.0.1:%d/" % server.port
        assert kubelet("https", url)[0] == "pass"
        got, listing = verdicts(podhealth, {"t": url})
        assert listing == ("[-]t failed: TLS handshake failed: the server refused (handshake_failure: "
                           "no cipher suite, group or key type in common)\n"
                           "check failed\n"), listing
    finally:
        server.stop()
