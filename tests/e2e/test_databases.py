"""The database kinds against the real servers, each verdict beside the one the server's own
client gives in the same run: postgres:// as pg_isready (libpq's PQping), mysql:// as
mysqladmin ping, redis:// as `redis-cli ping | grep PONG`. Every row also states the verdict
it must be, so that two clients wrong together fail it. The mesh case is a row of each: a
proxy that accepts and closes, as a sidecar does when the server behind it is down, which
tcp:// passes."""
import contextlib
import os
import re
import socket

import pytest

from conftest import Peer, refused_port
from peers import (ROOT, Certs, hold_pg_connection, mariadb, mysqladmin_ping, pg_isready,
                   postgres, redis, redis_cli_ping, verdicts)

pytestmark = pytest.mark.slow


def _serve(stack, answer, first=False):
    """A fake server until the test's end (stack): answer (bytes) said first (first) or to
    whatever arrives, then the end."""
    def handle(conn):
        with conn:
            if not first:
                conn.recv(4096)
            conn.sendall(answer)
    return _peer(stack, Peer(handle))


def _peer(stack, peer):
    stack.callback(peer.stop)
    return peer


def proxy_with_nothing_behind(stack):
    """A sidecar whose upstream is down: it accepts, then closes."""
    return _peer(stack, Peer(lambda conn: conn.close()))


def _compare(podhealth, rows):
    """rows: {name: (URL, the client's verdict: True up, expected: "pass", "warn" or "fail",
    differs: why podhealth's verdict is not the client's, or None)}."""
    got, listing = verdicts(podhealth, {name: row[0] for name, row in rows.items()})
    for name, (url, client_up, want, differs) in rows.items():
        assert got.get(name) == want, (name, url, listing)
        if differs is None:
            assert client_up == (want != "fail"), (name, url, "the client says", client_up)
        else:
            assert client_up != (want != "fail"), (name, differs)


def test_postgres_as_pg_isready_judges(podhealth):
    with contextlib.ExitStack() as stack:
        garbage = _serve(stack, b"HTTP/1.1 400 Bad Request\r\n\r\n")
        proxy = proxy_with_nothing_behind(stack)
        stopped = refused_port()
        up = stack.enter_context(postgres())
        scram = stack.enter_context(postgres(hba="host all all 127.0.0.1/32 scram-sha-256"))
        refusing = stack.enter_context(postgres(hba="host all all 127.0.0.1/32 reject"))
        standby = stack.enter_context(postgres(standby=True))
        full = stack.enter_context(postgres(settings=("max_connections=2",
                                                      "superuser_reserved_connections=0")))
        for _ in range(2):
            stack.enter_context(hold_pg_connection(full))
        # pg_isready's own codes: 1 rejecting, 2 no response.
        assert pg_isready(standby) == 1 and pg_isready(proxy.port) == 2

        def row(port, want, user="postgres", database=None, url=None):
            url = url or "postgres://%s@127.0.0.1:%d%s" % (user, port,
                                                          "/" + database if database else "")
            return url, pg_isready(port, user, database) == 0, want, None

        _compare(podhealth, {
            "up": row(up, "pass", url="postgres://127.0.0.1:%d" % up),
            "database": row(up, "pass", database="postgres"),
            "no-such-database": row(up, "pass", database="nosuch"),
            "no-such-user": row(up, "pass", user="nobody_here"),
            "password": row(scram, "pass"),
            "pg_hba-reject": row(refusing, "pass"),
            "standby-rejecting": row(standby, "fail"),
            "too-many-clients": row(full, "pass"),
            "stopped": row(stopped, "fail"),
            "proxy-down": row(proxy.port, "fail"),
            "garbage": row(garbage.port, "fail"),
            # What tcp:// says of the same proxy: why it is not enough.
            "proxy-down-tcp": ("tcp://127.0.0.1:%d" % proxy.port, False, "pass",
                               "a TCP check passes a proxy with nothing behind it"),
        })


def _greeting(protocol):
    payload = bytes([protocol]) + b"5.0.0-fake\0" + b"\0" * 8
    return len(payload).to_bytes(3, "little") + b"\0" + payload


def _hold_mysql_connections(stack, port):
    """Opens connections that never log in until the server answers one with an error in
    place of its greeting (1040, too many connections); returns how many it took."""
    for held in range(1, 20):
        s = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
        first = s.recv(7)
        if first[4:5] == b"\xff":
            assert first[5:7] == (1040).to_bytes(2, "little"), first
            s.close()
            return held
    raise AssertionError("MariaDB never said too many connections")


def test_mysql_as_mysqladmin_ping_judges(podhealth):
    with contextlib.ExitStack() as stack:
        garbage = _serve(stack, b"HTTP/1.1 400 Bad Request\r\n\r\n", first=True)
        old = _serve(stack, _greeting(9), first=True)
        proxy = proxy_with_nothing_behind(stack)
        stopped = refused_port()
        account = "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 's3cret';\n"
        up = stack.enter_context(mariadb(init=account))
        no_account = stack.enter_context(mariadb())
        open_door = stack.enter_context(mariadb("--skip-grant-tables"))
        full = stack.enter_context(mariadb("--max-connections=10", "--connect-timeout=60",
                                           init=account))
        assert _hold_mysql_connections(stack, full) > 1

        def row(port, want, user="podhealth"):
            return ("mysql://%s@127.0.0.1:%d" % (user, port),
                    mysqladmin_ping(port, user) == 0, want, None)

        _compare(podhealth, {
            "access-denied": row(up, "pass"),
            "root-by-socket-only": row(up, "pass", user="root"),
            "let-in": row(open_door, "pass"),
            "host-not-allowed": row(no_account, "fail"),
            "too-many-connections": row(full, "fail"),
            "stopped": row(stopped, "fail"),
            "proxy-down": row(proxy.port, "fail"),
            "garbage": row(garbage.port, "fail"),
            "protocol-9": row(old.port, "fail"),
        })


def test_redis_as_redis_cli_ping_judges(podhealth):
    with contextlib.ExitStack() as stack:
        loading = _serve(stack, b"-LOADING Redis is loading the dataset in memory\r\n")
        garbage = _serve(stack, b"HTTP/1.1 400 Bad Request\r\n\r\n")
        proxy = proxy_with_nothing_behind(stack)
        stopped = refused_port()
        certs = Certs()
        up = stack.enter_context(redis())
        locked = stack.enter_context(redis("--requirepass", "s3cret"))
        cut_off = stack.enter_context(redis("--replicaof", "127.0.0.1", str(stopped),
                                            "--replica-serve-stale-data", "no"))
        tls = stack.enter_context(redis(tls=certs.ec))

        def row(port, want, scheme="redis", differs=None):
            ca = certs.ca if scheme == "rediss" else None
            url = "%s://127.0.0.1:%d" % (scheme, port)
            return url, redis_cli_ping(port, ca) == "PONG", want, differs

        _compare(podhealth, {
            "up": row(up, "pass"),
            "tls": row(tls, "pass", scheme="rediss"),
            "noauth": row(locked, "warn", differs="NOAUTH passes, with a warning: the server "
                          "is up, and podhealth never holds a password"),
            "masterdown": row(cut_off, "fail"),
            "loading": row(loading.port, "fail"),
            "stopped": row(stopped, "fail"),
            "proxy-down": row(proxy.port, "fail"),
            "garbage": row(garbage.port, "fail"),
        })


def test_readme_says_what_a_check_keeps():
    """doc/checks.md's bound on a database check's memory is the engine's (one home)."""
    with open(os.path.join(ROOT, "src", "check_impl.h")) as f:
        bound = re.search(r"#define CHECK_ANSWER_MAX (\d+)", f.read()).group(1)
    with open(os.path.join(ROOT, "doc", "checks.md")) as f:
        assert "its first %s bytes of answer" % bound in " ".join(f.read().split())
