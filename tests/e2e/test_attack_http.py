"""An attacker's second look at the HTTP server (issue 13, items 5 and 6): framing that a proxy in
front could read differently from libmicrohttpd, and rate limits that one client could turn
against everyone else. Loopback only, bounded in requests and seconds."""
import re
import socket
import subprocess
import time

import pytest

from helpers.hostile import Raw, head, make_share, refused_before_body, sign_in


# Framing: a header libmicrohttpd would not take for Content-Length or Transfer-Encoding, but a
# lenient proxy in front would, lets the proxy's body become the server's next request.


@pytest.mark.parametrize("lines", [
    ["Content-Length : 44"],
    ["Content-Length\t: 44"],
    ["Transfer-Encoding : chunked"],
], ids=["space-before-colon", "tab-before-colon", "te-space-before-colon"])
def test_whitespace_before_the_colon_is_400_and_closed(serve, lines):
    srv = serve()
    c = Raw(srv)
    try:
        # The "body" is a whole request for /metrics: it must never be answered.
        c.send(head("POST", "/credentials/verify", "Content-Type: application/json", *lines)
               + head("GET", "/metrics"))
        code, _, body, closed = c.answer()
    finally:
        c.close()
    assert code == 400 and closed, (code, body)
    assert b"oorkonde_http_requests_total" not in c.data, "the body was served as a request"


@pytest.mark.parametrize("line", [
    b"Host: x\rContent-Length: 34",
    b"X-Note: a\rTransfer-Encoding: chunked",
], ids=["cr-hides-length", "cr-hides-chunked"])
def test_a_bare_cr_inside_a_header_is_400_and_closed(serve, line):
    """libmicrohttpd keeps a bare CR inside the value; a proxy that reads it as the end of the
    line sees a Content-Length or Transfer-Encoding the server does not."""
    srv = serve()
    inner = head("GET", "/metrics")
    c = Raw(srv)
    try:
        c.send(b"POST /credentials/verify HTTP/1.1\r\nContent-Type: application/json\r\n" + line
               + b"\r\n\r\n" + (b"0\r\n\r\n" if b"chunked" in line else b"") + inner)
        code, _, body, closed = c.answer()
    finally:
        c.close()
    assert code == 400 and closed, (code, body)
    assert b"oorkonde_http_requests_total" not in c.data, "the body was served as a request"


@pytest.mark.parametrize("coding", ["gzip", "identity", "gzip, chunked", "chunked, chunked"])
def test_a_transfer_coding_other_than_chunked_is_400_and_closed(serve, coding):
    srv = serve()
    refused_before_body(srv, head("POST", "/credentials/verify", "Content-Type: application/json",
                                  f"Transfer-Encoding: {coding}"), 400, "bad-framing")


# Rate limits turned against a victim: the per-link limit counts every opening of a link, from
# wherever; whoever holds the link (a forwarded e-mail, one of several recipients) could spend it
# from one address at one request per second and lock the employer out for as long as they like.


def open_from(srv, source, path):
    """GET path from another loopback address (127.0.0.0/8 is all this machine's)."""
    s = socket.socket()
    s.settimeout(10)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", srv.port))
        s.sendall(head("GET", path, "Connection: close"))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    return int(data.split(b" ", 2)[1])


def test_one_address_cannot_lock_a_share_link_for_everyone(serve, folder):
    ok, _, learner, ids = folder
    srv = serve(share_opens_per_minute_per_link=6)
    headers, csrf = sign_in(ok, srv, learner)
    path = make_share(srv, headers, csrf, ids)
    # The holder of a leaked link opens it at machine speed from one address ...
    codes = [open_from(srv, "127.0.0.2", path) for _ in range(12)]
    assert codes.count(429) >= 5, codes
    # ... and keeps at it: still refused (the link's limit holds for that address).
    assert open_from(srv, "127.0.0.2", path) == 429
    # The employer, from an address of their own, still opens the page and its download.
    assert open_from(srv, "127.0.0.3", path) == 200
    assert open_from(srv, "127.0.0.3", path + "/credentials") == 200


# The body budget turned against the registrars: a stranger's announced Content-Length reserves
# the budget before a byte is sent, so bodies announced on public routes and never sent could
# hold all of it, and every registrar's import got 503 for as long as the stranger liked.


def connect_from(srv, source):
    s = socket.socket()
    s.settimeout(10)
    s.bind((source, 0))
    s.connect(("127.0.0.1", srv.port))
    return s


def test_strangers_bodies_cannot_take_the_whole_budget(serve, folder):
    key = folder[1]
    srv = serve(body_budget_mib=2)
    held = []
    try:
        # Two announced bodies of ~1 MB each from a stranger: nothing sent after the head.
        for source in ("127.0.0.2", "127.0.0.3"):
            s = connect_from(srv, source)
            held.append(s)
            s.sendall(head("POST", "/credentials/verify", "Content-Type: application/json",
                           "Content-Length: 1000000"))
        time.sleep(0.3)
        # A registrar's import of 600 kB is still waited for, not refused.
        c = Raw(srv)
        try:
            c.send(head("POST", "/v1/results", "Content-Type: text/csv",
                        f"Authorization: Bearer {key}", "Oorkonde-Purpose: registration",
                        "Content-Length: 600000"))
            c.sock.settimeout(1.5)
            try:
                early = c.sock.recv(300)
            except socket.timeout:
                early = b""
        finally:
            c.close()
        assert early == b"", early
    finally:
        for s in held:
            s.close()


# Slow bodies: the head has a deadline, but a stranger's body sent a byte at a time (each byte
# resets the 30 s idle timeout) held its connection for hours; 32 addresses could hold all 1000.


def test_a_strangers_body_sent_a_byte_at_a_time_is_cut_off(serve):
    srv = serve(head_timeout_s=2)
    c = Raw(srv)
    try:
        c.send(head("POST", "/credentials/verify", "Content-Type: application/json",
                    "Content-Length: 1000"))
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 8 and not closed:
            try:
                c.send(b" ")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            closed = c.closed_within(0.5)
        took = time.monotonic() - started
    finally:
        c.close()
    assert closed, "a body trickled in for 8 s and the connection is still open"
    assert took < 6, took
    assert srv.get("/healthz").status == 200
    metrics = srv.get("/metrics").body.decode()
    assert re.search(r"^oorkonde_slow_bodies_dropped_total 1$", metrics, re.M), metrics


def test_a_body_sent_at_a_normal_pace_is_not_cut_off(serve):
    srv = serve(head_timeout_s=2)
    c = Raw(srv)
    try:
        body = b'{"verifiableCredential": {}}'
        c.send(head("POST", "/credentials/verify", "Content-Type: application/json",
                    f"Content-Length: {len(body)}") + body[:10])
        time.sleep(1)
        c.send(body[10:])
        code, _, _, _ = c.answer()
    finally:
        c.close()
    assert code in (200, 400, 422), code


# Port in use, through a name: "localhost" is 127.0.0.1 and ::1 on most machines. When 127.0.0.1
# was taken, serve went on to ::1 and started, a second server taking the clients that try IPv6
# first, which is what "port in use is an error" is there to prevent.

DUAL_NAME_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
	        (int (*)(const char *, const char *, const struct addrinfo *,
	                 struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	if (node && strcmp(node, "dual.test") == 0) {
		struct addrinfo h = *hints, *a = NULL, *b = NULL, *t;
		int rc;
		h.ai_flags |= AI_NUMERICHOST;
		h.ai_family = AF_UNSPEC;
		if ((rc = real("127.0.0.1", service, &h, &a)) != 0)
			return rc;
		if ((rc = real("::1", service, &h, &b)) != 0) {
			freeaddrinfo(a);
			return rc;
		}
		for (t = a; t->ai_next; t = t->ai_next)
			;
		t->ai_next = b;
		*res = a;
		return 0;
	}
	return real(node, service, hints, res);
}
"""


def test_a_name_whose_ipv4_address_is_in_use_does_not_fall_back_to_ipv6(serve, folder, tmp_path):
    from helpers.base import SANITIZED
    if SANITIZED:
        pytest.skip("a preloaded library cannot come before the sanitizer runtime")
    src = tmp_path / "dual.c"
    src.write_text(DUAL_NAME_SHIM)
    lib = tmp_path / "dual.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", lib, src, "-ldl"], check=True)
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 on this machine")
    ok = folder[0]
    srv = serve()
    proc = subprocess.Popen(ok.argv("serve", "--listen", f"dual.test:{srv.port}", "--quiet"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ok.env({"LD_PRELOAD": str(lib)}))
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
        pytest.fail(f"a second server started beside the first: {out!r}")
    assert proc.returncode != 0, out
    assert "address in use" in err, err
    assert srv.get("/healthz").status == 200


def test_the_json_form_of_a_share_is_the_same_link_for_its_limit(serve, folder):
    """/s/TOKEN.json was counted as another link than /s/TOKEN: alternating the two opened a
    link twice as often as its limit allows, each opening an audit event."""
    ok, _, learner, ids = folder
    srv = serve(share_opens_per_minute_per_link=6)
    headers, csrf = sign_in(ok, srv, learner)
    path = make_share(srv, headers, csrf, ids)
    codes = [srv.get(path + (".json" if i % 2 else "")).status for i in range(12)]
    assert codes[:6] == [200] * 6, codes
    assert codes[6:].count(429) >= 5, codes


# The budget turned by one institution against the others: a registrar key announcing CSV
# bodies it never sends held the whole budget (keyed bodies have no deadline), and every other
# institution's import got 503 for as long as the connections stayed open.


def test_one_institution_cannot_take_the_whole_budget(serve, folder):
    ok, key_a = folder[0], folder[1]
    key_b = ok.add_institution(code="21YY", name="Hogeschool Elders")
    srv = serve(body_budget_mib=2)

    def announce(key, n):
        c = Raw(srv)
        c.send(head("POST", "/v1/results", "Content-Type: text/csv",
                    f"Authorization: Bearer {key}", "Oorkonde-Purpose: registration",
                    f"Content-Length: {n}"))
        c.sock.settimeout(1.5)
        try:
            early = c.sock.recv(300)
        except socket.timeout:
            early = b""
        return c, early

    held = []
    try:
        for _ in range(2):
            c, _ = announce(key_a, 900000)
            held.append(c)
        c, early = announce(key_b, 900000)
        held.append(c)
        assert early == b"", early
    finally:
        for c in held:
            c.close()
