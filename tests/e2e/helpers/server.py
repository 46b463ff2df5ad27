"""`oorkonde serve` on an ephemeral loopback port with its own access log, requests to it (also
as raw bytes), RFC 9457 answers checked, API keys from `oorkonde demo`, results as JSON rows, and
the shared demo depository the `demo` fixture serves."""
import http.client
import itertools
import json
import os
import pathlib
import re
import select
import signal
import socket
import ssl
import subprocess
import time

from helpers.base import SANITIZER_RE, Oorkonde, make_row

HOST = "localhost:8080"
DID = "did:web:localhost%3A8080"
PROBLEM = "application/problem+json"
PURPOSE_HEADER = "Oorkonde-Purpose"  # why a registrar reads personal data (issue 6)
LOG_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (GET|POST|PATCH|PUT|DELETE|HEAD|OPTIONS) "
                    r"(\S+) (\d{3}) (\d+) (\d+\.\d+)ms$")

_unique = itertools.count(1)


def unique(prefix):
    """A fresh identifier (record ids, national ids) so that tests sharing a server never meet."""
    return f"{prefix}{os.getpid() % 1000:03d}{next(_unique):05d}"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    @property
    def ctype(self):
        return self.headers.get("content-type", "")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.ctype} {self.body[:300]!r}>"


class Server:
    """`oorkonde serve --listen 127.0.0.1:0 ARGS` on a data folder; the access log (stderr) goes
    to a file."""

    def __init__(self, ok, *args, name="serve", tls_ca=None, env=None):
        self.ok = ok
        self.args = [str(a) for a in args]
        self.extra_env = env  # on top of the test's (the test switches, e.g. OORKONDE_TEST_*)
        self.log_path = pathlib.Path(ok.data).parent / f"{name}-{next(_unique)}.stderr"
        self.tls_ca = tls_ca
        self.proc = None
        self.port = None
        self.stopped = False

    def start(self, timeout=30):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            self.ok.argv("serve", "--listen", "127.0.0.1:0", *self.args),
            stdout=subprocess.PIPE, stderr=self.log, env=self.ok.env(self.extra_env))
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode() if ready else ""
        m = re.match(r"oorkonde listening on (https?)://127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"server did not start: {line!r}\n{self.log_text()}")
        self.scheme, self.port = m.group(1), int(m.group(2))
        return self

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def log_lines(self):
        return [l for l in self.log_text().splitlines() if LOG_RE.match(l)]

    def stop(self, timeout=20):
        """SIGTERM; the server must exit 0 without a sanitizer report. Returns the seconds it
        took."""
        if self.stopped:
            return 0
        self.stopped = True
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"server still running {timeout} s after SIGTERM")
        took = time.monotonic() - started
        self.proc.stdout.close()
        self.log.close()
        text = self.log_text()
        assert not SANITIZER_RE.search(text), f"sanitizer report from the server:\n{text}"
        assert rc == 0, f"server exited {rc}:\n{text[-4000:]}"
        assert "oorkonde serve: stopped" in text
        return took

    def connection(self, timeout=120):
        if self.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.tls_ca)
            return http.client.HTTPSConnection("localhost", self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, *, key=None, ctype=None, headers=None,
                timeout=120, purpose="registration"):
        """A registrar request (with key) states why it reads personal data: purpose goes into
        the Oorkonde-Purpose header (docs/api.md); purpose=None sends none."""
        hdrs = dict(headers or {})
        if key is not None:
            hdrs["Authorization"] = f"Bearer {key}"
            if purpose is not None:
                hdrs.setdefault(PURPOSE_HEADER, purpose)
        if isinstance(body, (list, dict)):
            body = json.dumps(body)
            ctype = ctype or "application/json"
        if isinstance(body, str):
            body = body.encode()
        if ctype:
            hdrs["Content-Type"] = ctype
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def raw(self, head, body=b"", timeout=60):
        """Sends a request as bytes, keeps sending the body even when the server has answered
        early (ignoring a reset), and returns the answer parsed."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(head)
            try:
                s.sendall(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                    if b"\r\n\r\n" in data:
                        head_part, _, rest = data.partition(b"\r\n\r\n")
                        m = re.search(rb"content-length: *(\d+)", head_part, re.I)
                        if m and len(rest) >= int(m.group(1)):
                            break
            except ConnectionResetError:
                pass
        finally:
            s.close()
        head_part, _, rest = data.partition(b"\r\n\r\n")
        lines = head_part.decode("latin-1").split("\r\n")
        assert lines and lines[0].startswith("HTTP/1.1 "), data[:500]
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
        return Response(int(lines[0].split()[1]), headers, rest)


def problem(r, status, slug=None):
    """Asserts an RFC 9457 answer with the status (and type slug) and returns its document."""
    assert r.status == status, r
    assert r.ctype == PROBLEM, r
    doc = r.json()
    for member in ("type", "title", "status", "detail"):
        assert member in doc, r
    assert doc["status"] == status
    assert doc["type"].startswith("/problems/"), doc
    assert doc["title"] and doc["detail"], doc
    if slug:
        assert doc["type"] == f"/problems/{slug}", doc
    return doc


def parse_keys(stdout):
    """Institution code -> API key from the output of `oorkonde demo`."""
    keys, code = {}, None
    for line in stdout.splitlines():
        m = re.match(r"\s+(\w+)\s+\S.*\s(added|present)$", line)
        if m:
            code = m.group(1)
        m = re.search(r"API key \(shown once\): (\S+)", line)
        if m and code:
            keys[code] = m.group(1)
    return keys


def row(record_id, national_id, **fields):
    """One result as JSON (what POST /v1/results takes)."""
    r = make_row(record_id=record_id, national_id=national_id, **fields)
    out = {k: v for k, v in r.items() if v != ""}
    if "credits" in out:
        out["credits"] = float(out["credits"]) if "." in out["credits"] else int(out["credits"])
    if "eqf_level" in out:
        out["eqf_level"] = int(out["eqf_level"])
    return out


class Demo:
    """The shared demo depository: init --host, demo --learners 30, a vc-issue key, and the
    server on it (rate limit off)."""

    def __init__(self, ok, keys, vc_key, srv):
        self.ok = ok
        self.keys = keys
        self.vc_key = vc_key
        self.srv = srv
        self.a, self.b = keys["21PB"], keys["25BE"]

    def register(self, key, rows, query=""):
        r = self.srv.post("/v1/results" + query, rows, key=key)
        assert r.status == 200, r
        return r.json()

    def learner(self, key, nid):
        r = self.srv.get(f"/v1/achievements?national_id={nid}", key=key)
        assert r.status == 200, r
        return r.json()

    def one(self, key=None, **fields):
        """Registers one fresh result for 21PB (or key's institution) and returns its
        achievement."""
        key = key or self.a
        rec, nid = unique("REC-"), unique("NID")
        report = self.register(key, [row(rec, nid, **fields)])
        assert report["added"] == 1, report
        [a] = [a for a in self.learner(key, nid)["achievements"] if a["record_id"] == rec]
        self.last_nid = nid
        return a


def fresh_folder(binary, path, *init_args, institutions=("21XX",)):
    ok = Oorkonde(binary, path)
    ok.run("init", *init_args, check=True)
    keys = {}
    for code in institutions:
        keys[code] = ok.add_institution(code=code, name=f"School {code}")
    return ok, keys
