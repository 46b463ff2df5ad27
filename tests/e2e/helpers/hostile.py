"""What a hostile HTTP client needs against `oorkonde serve` (the `folder` and `serve` fixtures):
config.json's "http" limits set, one raw connection sent byte by byte, a request head without its
body, and a learner signed in to make shares."""
import json
import re
import socket
import time

from helpers.portal import COOKIE, FORM

ANNA = {"national_id": "111222333", "given_names": "Anna", "family_name": "Wezel"}


def configure(ok, **http):
    """Sets config.json's "http" object (docs/operations.md)."""
    path = ok.data / "config.json"
    cfg = json.loads(path.read_text())
    cfg["http"] = http
    path.write_text(json.dumps(cfg))


class Raw:
    """One raw connection: what a hostile client sends, byte by byte if need be."""

    def __init__(self, srv, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
        self.data = b""

    def send(self, data):
        self.sock.sendall(data)

    def answer(self, timeout=5):
        """The status, headers and body of the first answer, and whether the server closed the
        connection after it (within timeout)."""
        self.sock.settimeout(timeout)
        closed = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            self.data += chunk
            head, sep, rest = self.data.partition(b"\r\n\r\n")
            m = re.search(rb"content-length: *(\d+)", head, re.I)
            if sep and m and len(rest) >= int(m.group(1)):
                # The whole answer is in; see whether the connection closes too.
                self.sock.settimeout(1)
                try:
                    closed = self.sock.recv(1) == b""
                except socket.timeout:
                    closed = False
                except ConnectionResetError:
                    closed = True
                break
        head, _, body = self.data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].startswith("HTTP/1.1 "), self.data[:300]
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (l.partition(":") for l in lines[1:])}
        return int(lines[0].split()[1]), headers, body, closed

    def closed_within(self, seconds):
        """Whether the server closes the connection within seconds (without an answer)."""
        self.sock.settimeout(0.2)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.sock.recv(65536) == b"":
                    return True
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return True
        return False

    def close(self):
        self.sock.close()


def refused_before_body(srv, head, status, slug):
    """Sends only the head of a request whose body is never sent: the server must answer from
    the head alone, with problem+json, and close the connection."""
    c = Raw(srv)
    try:
        c.send(head)
        code, headers, body, closed = c.answer()
    finally:
        c.close()
    assert code == status, (code, body)
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"] == f"/problems/{slug}", body
    assert closed, "the connection stayed open after a refused body"
    return json.loads(body)


def head(method, path, *lines):
    return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n" + "".join(l + "\r\n" for l in lines)
            + "\r\n").encode()


def sign_in(ok, srv, learner_id):
    url = ok.run("learner", "login-link", learner_id, check=True).stdout.strip()
    path = url[url.index("/login/"):]
    r = srv.post(path, "", ctype=FORM)
    assert r.status == 303, r
    cookie = re.match(rf"{COOKIE}=([^;]+);", r.headers["set-cookie"]).group(1)
    headers = {"Cookie": f"{COOKIE}={cookie}"}
    me = srv.get("/v1/me", headers=headers)
    assert me.status == 200, me
    return headers, me.json()["csrf"]


def make_share(srv, headers, csrf, achievements):
    r = srv.post("/v1/me/shares", json.dumps({"achievements": achievements,
                                              "recipient": "Werkgever BV"}),
                 ctype="application/json", headers={**headers, "X-CSRF-Token": csrf})
    assert r.status == 201, r
    return r.json()["url"].split("localhost:8080", 1)[1]
