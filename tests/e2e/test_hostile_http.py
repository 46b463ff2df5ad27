"""Clients that try to hold or exhaust `oorkonde serve` rather than use it (issue 13, items 5, 6
and 10; issue 14's --listen and TLS messages): bodies announced where none belongs or larger than
the route takes, refused before a body byte is sent; keys and sessions checked before the body;
duplicate framing headers and a NUL in the path; request heads sent slowly; many connections from
one address; bodies held open past the server's budget; learners and share links rate-limited so
that the audit log cannot be grown at machine speed; a port in use; a name to listen on; a TLS key
that is not the certificate's.

Everything runs on loopback against the real binary, bounded in connections and seconds."""
import re
import socket
import subprocess
import time

import pytest

from helpers.hostile import Raw, configure, head, make_share, refused_before_body, sign_in
from helpers.server import problem

# Item 5: decided before the body


def test_bodies_where_none_belongs_or_too_large_are_refused_before_they_are_sent(serve, folder):
    srv = serve()
    key = folder[1]
    # GET /healthz sent as a 60 MiB CSV: no body belongs to a GET.
    refused_before_body(srv, head("GET", "/healthz", "Content-Type: text/csv",
                                  "Content-Length: 62914560"), 400, "unexpected-body")
    refused_before_body(srv, head("GET", "/healthz", "Transfer-Encoding: chunked"), 400,
                        "unexpected-body")
    # The CSV cap is the import route's alone: a JSON route takes no CSV and 1 MiB at most.
    refused_before_body(srv, head("POST", "/credentials/verify", "Content-Type: text/csv",
                                  "Content-Length: 62914560"), 415, "unsupported-media-type")
    doc = refused_before_body(srv, head("POST", "/credentials/verify",
                                        "Content-Type: application/json",
                                        "Content-Length: 62914560"), 413, "too-large")
    assert "1048576" in doc["detail"]
    # The key is checked before a byte of the import is read.
    refused_before_body(srv, head("POST", "/v1/results", "Content-Type: text/csv",
                                  "Content-Length: 62914560"), 401, "unauthorized")
    refused_before_body(srv, head("POST", "/v1/results", "Content-Type: text/csv",
                                  "Authorization: Bearer ok_not_a_key",
                                  "Content-Length: 62914560"), 401, "unauthorized")
    # And a learner's session before a learner's body.
    refused_before_body(srv, head("POST", "/v1/me/shares", "Content-Type: application/json",
                                  "Content-Length: 900000"), 401, "not-signed-in")
    # With the key, a large CSV is what the import route waits for: no early answer.
    c = Raw(srv)
    try:
        c.send(head("POST", "/v1/results", "Content-Type: text/csv",
                    f"Authorization: Bearer {key}", "Oorkonde-Purpose: registration",
                    "Content-Length: 62914560"))
        c.sock.settimeout(1.5)
        with pytest.raises(socket.timeout):
            c.sock.recv(1)
    finally:
        c.close()
    assert srv.get("/healthz").status == 200


@pytest.mark.parametrize("lines", [
    ["Content-Length: 2", "Content-Length: 2"],
    ["Content-Length: 2", "Transfer-Encoding: chunked"],
    ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
], ids=["two-lengths", "length-and-chunked", "chunked-twice"])
def test_ambiguous_framing_is_400_and_closed(serve, lines):
    srv = serve()
    refused_before_body(srv, head("POST", "/credentials/verify",
                                  "Content-Type: application/json", *lines), 400,
                        "bad-framing")


def test_a_length_that_is_no_number_is_400_and_closed(serve):
    """libmicrohttpd answers these itself, before the server sees the request."""
    srv = serve()
    for length in ("-1", "12abc", "99999999999999999999999"):
        c = Raw(srv)
        try:
            c.send(head("POST", "/credentials/verify", "Content-Type: application/json",
                        f"Content-Length: {length}"))
            code, _, _, closed = c.answer()
        finally:
            c.close()
        # Past 2^64 it is "too large" rather than "not a number".
        assert code in ((400, 413) if len(length) > 20 else (400,)) and closed, (length, code)


def test_nul_in_the_path_is_400_and_closed(serve):
    srv = serve()
    refused_before_body(srv, head("GET", "/healthz%00/../metrics"), 400, "bad-path")
    refused_before_body(srv, head("GET", "/s/abc%00def"), 400, "bad-path")
    # The byte itself, which would otherwise end the path as a C string.
    refused_before_body(srv, b"GET /healthz\x00/../metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                        "bad-path")
    refused_before_body(srv, b"GET /healthz?a=\x00b HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                        "bad-path")
    # Neither a query nor spaces before the version are taken for one.
    c = Raw(srv)
    try:
        c.send(b"GET /healthz?a=1&b  HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.answer()[0] == 200
    finally:
        c.close()
    assert srv.get("/healthz").status == 200


def test_slow_request_heads_are_dropped_and_others_are_served(serve):
    srv = serve(head_timeout_s=2)
    slow = [Raw(srv) for _ in range(5)]
    try:
        started = time.monotonic()
        for c in slow:
            c.send(b"GET /healthz HTTP/1.1\r\n")
        # A header line every half second: never idle, never done.
        dropped = set()
        while time.monotonic() - started < 6 and len(dropped) < len(slow):
            for i, c in enumerate(slow):
                if i in dropped:
                    continue
                try:
                    c.send(b"X-Slow: 1\r\n")
                    c.sock.settimeout(0.01)
                    if c.sock.recv(1) == b"":
                        dropped.add(i)
                except socket.timeout:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    dropped.add(i)
            t = time.monotonic()
            assert srv.get("/healthz").status == 200
            assert time.monotonic() - t < 1, "/healthz waited behind the slow heads"
            time.sleep(0.5)
        took = time.monotonic() - started
    finally:
        for c in slow:
            c.close()
    assert len(dropped) == len(slow), f"{len(slow) - len(dropped)} slow heads still open"
    assert 1.5 < took < 5, took
    metrics = srv.get("/metrics").body.decode()
    assert re.search(r"^oorkonde_slow_heads_dropped_total 5$", metrics, re.M), metrics


def test_connections_per_address_are_capped(serve):
    srv = serve(max_connections_per_address=6)
    idle = [Raw(srv) for _ in range(6)]
    try:
        time.sleep(0.3)
        extra = Raw(srv)
        try:
            # The seventh is closed at once, before it can send anything.
            assert extra.closed_within(3)
        finally:
            extra.close()
        idle[0].close()
        time.sleep(0.3)
        # A place is free again.
        c = Raw(srv)
        try:
            c.send(head("GET", "/healthz"))
            code, _, body, _ = c.answer()
            assert code == 200, body
        finally:
            c.close()
    finally:
        for c in idle:
            c.close()


def test_bodies_held_open_past_the_budget_get_503(serve):
    # Public routes may hold half the budget (1 MiB of 2): one 800 kB body, not two.
    srv = serve(body_budget_mib=2)
    held = Raw(srv)
    try:
        held.send(head("POST", "/credentials/verify", "Content-Type: application/json",
                       "Content-Length: 800000") + b'{"verifiableCredential":')
        time.sleep(0.3)
        doc = refused_before_body(srv, head("POST", "/credentials/verify",
                                            "Content-Type: application/json",
                                            "Content-Length: 800000"), 503, "busy")
        assert "try again" in doc["detail"]
        # Small bodies still fit beside the held one.
        r = srv.post("/credentials/verify", {"verifiableCredential": {}})
        assert r.status in (200, 400, 422), r
    finally:
        held.close()
    time.sleep(0.5)
    # Once the held body's connection is gone, its share of the budget is free.
    c = Raw(srv)
    try:
        c.send(head("POST", "/credentials/verify", "Content-Type: application/json",
                    "Content-Length: 800000"))
        c.sock.settimeout(1)
        with pytest.raises(socket.timeout):
            c.sock.recv(1)  # waiting for the body, not refused
    finally:
        c.close()
    metrics = srv.get("/metrics").body.decode()
    assert re.search(r"^oorkonde_body_budget_refused_total 1$", metrics, re.M), metrics


# Item 6: rate limits where a person or a share can be used to write


def audit_events(srv):
    m = re.search(r"^oorkonde_audit_events (\d+)$", srv.get("/metrics").body.decode(), re.M)
    assert m, "no oorkonde_audit_events in /metrics"
    return int(m.group(1))


def test_a_learner_session_is_rate_limited_and_the_audit_log_stops_growing(serve, folder):
    ok, _, learner, _ = folder
    srv = serve("--rate-limit", 0, learner_requests_per_minute=6)
    headers, _ = sign_in(ok, srv, learner)  # one request of the session's six
    statuses = [srv.get("/v1/me/achievements", headers=headers).status for _ in range(8)]
    assert statuses[:5] == [200] * 5, statuses
    r = srv.get("/v1/me/achievements", headers=headers)
    problem(r, 429, "rate-limited")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    # Refill is one request per 10 s: of 20 more in a moment, one gets through at most.
    before = audit_events(srv)
    codes = [srv.get("/v1/me/achievements", headers=headers).status for _ in range(20)]
    assert codes.count(429) >= 19, codes
    if codes.count(200) == 0:
        assert audit_events(srv) == before, "refused requests wrote audit events"
    # Another learner session is not held up by this one.
    other, _ = sign_in(ok, srv, learner)
    assert srv.get("/v1/me/achievements", headers=other).status == 200


def test_share_openings_are_limited_per_link(serve, folder):
    ok, _, learner, ids = folder
    srv = serve(share_opens_per_minute_per_link=6)
    headers, csrf = sign_in(ok, srv, learner)
    path = make_share(srv, headers, csrf, ids)
    before = audit_events(srv)
    codes = [srv.get(path).status for _ in range(12)]
    assert codes[:6] == [200] * 6, codes
    assert codes[6:].count(429) >= 5, codes  # a refill every 10 s may let one through
    r = srv.get(path)
    if r.status == 200:
        r = srv.get(path)
    problem(r, 429, "rate-limited")
    assert int(r.headers["retry-after"]) >= 1
    # An event per opening: the refused ones wrote nothing.
    opened = codes.count(200)
    assert audit_events(srv) - before <= opened + 1
    # Another link is not held up.
    other = make_share(srv, headers, csrf, ids[:1])
    assert srv.get(other).status == 200


def test_share_openings_are_limited_per_address(serve, folder):
    ok, _, learner, ids = folder
    srv = serve(share_opens_per_minute_per_address=6)
    headers, csrf = sign_in(ok, srv, learner)
    paths = [make_share(srv, headers, csrf, ids) for _ in range(3)]
    codes = [srv.get(paths[i % 3]).status for i in range(12)]
    assert codes[:6] == [200] * 6, codes
    assert codes[6:].count(429) >= 5, codes  # a refill every 10 s may let one through
    # Unknown tokens are not openings: 404 (the public limit bounds guessing).
    assert srv.get("/s/" + "A" * 43).status in (404, 429)


def test_metrics_show_the_audit_log_size(serve, folder):
    ok, _, learner, ids = folder
    srv = serve()
    headers, csrf = sign_in(ok, srv, learner)
    path = make_share(srv, headers, csrf, ids)
    before = audit_events(srv)
    assert srv.get(path).status == 200
    assert audit_events(srv) > before


# Item 10 and issue 14: where to listen, and TLS


def test_port_in_use_is_an_error(serve, folder):
    srv = serve()
    proc = subprocess.run(folder[0].argv("serve", "--listen", f"127.0.0.1:{srv.port}"),
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "address in use" in proc.stderr, proc.stderr
    assert str(srv.port) in proc.stderr
    # The first server still has all its clients.
    assert srv.get("/healthz").status == 200


def test_reuse_port_shares_only_when_both_ask(serve, folder):
    srv = serve("--reuse-port")
    second = subprocess.Popen(folder[0].argv("serve", "--listen", f"127.0.0.1:{srv.port}",
                                             "--reuse-port", "--quiet"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = second.stdout.readline()
        assert f"listening on http://127.0.0.1:{srv.port}" in line, second.stderr.read()
    finally:
        second.terminate()
        second.wait(20)


def test_listen_on_localhost_by_name(folder):
    ok = folder[0]
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen(ok.argv("serve", "--listen", f"localhost:{port}", "--quiet"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"oorkonde listening on http://localhost:{port}", (
            line, proc.stderr.read() if proc.poll() is not None else "")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(head("GET", "/healthz"))
            assert c.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        proc.terminate()
        assert proc.wait(20) == 0


def test_listen_on_a_name_that_does_not_resolve(folder):
    proc = subprocess.run(folder[0].argv("serve", "--listen", "no-such-host.invalid:8080"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "no-such-host.invalid:8080" in proc.stderr, proc.stderr


def test_tls_key_of_another_certificate_says_so(folder, tmp_path):
    openssl = subprocess.run(["which", "openssl"], capture_output=True)
    if openssl.returncode != 0:
        pytest.skip("openssl is not installed")
    ok = folder[0]
    for name in ("a", "b"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", tmp_path / f"{name}.key",
                        "-out", tmp_path / f"{name}.crt", "-days", "2", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
    proc = subprocess.run(ok.argv("serve", "--listen", "127.0.0.1:0",
                                  "--tls-cert", tmp_path / "a.crt", "--tls-key", tmp_path / "b.key"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "do not belong together" in proc.stderr, proc.stderr
    assert "a.crt" in proc.stderr and "b.key" in proc.stderr
    # A key file that holds a certificate instead.
    proc = subprocess.run(ok.argv("serve", "--listen", "127.0.0.1:0",
                                  "--tls-cert", tmp_path / "a.crt", "--tls-key", tmp_path / "a.crt"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "no usable PEM private key" in proc.stderr, proc.stderr


@pytest.mark.parametrize("http, message", [
    ({"head_timeout": 5}, "unknown setting http.head_timeout"),
    ({"max_connections_per_address": 0}, "http.max_connections_per_address must be"),
    ({"body_budget_mib": "lots"}, "http.body_budget_mib must be"),
], ids=["unknown", "zero-connections", "not-a-number"])
def test_a_bad_limit_in_the_config_stops_the_server_at_start(folder, http, message):
    ok = folder[0]
    configure(ok, **http)
    try:
        proc = subprocess.run(ok.argv("serve", "--listen", "127.0.0.1:0"), capture_output=True,
                              text=True, timeout=60)
    finally:
        configure(ok)
    assert proc.returncode != 0
    assert message in proc.stderr and "config.json" in proc.stderr, proc.stderr
