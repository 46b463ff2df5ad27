"""Learners sign in with an OpenID provider (issue 20), against a real one on loopback:
oidc-provider (tests/oidc) over TLS with a certificate made here, a client for oorkonde and test
users carrying a national id. The whole code flow is driven over HTTP, through the provider's own
login form; then what must be refused: a wrong state, a replayed code, a national id without
records, a provider that is down; and ID tokens the provider would never mint (another audience,
expired, from the future, a bad signature, an unknown key, no national id), served by a small
token endpoint of the test's own, signed with its own key."""
import base64
import http.client
import http.server
import json
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

import pytest

from helpers.base import Oorkonde, csv_text, make_row
from helpers.server import HOST, Response, Server

ROOT = pathlib.Path(__file__).resolve().parents[2]
OIDC_DIR = ROOT / "tests" / "oidc"
CLIENT_ID = "oorkonde-test"
SECRET = "s3cret-" + "x" * 24
ANNA = {"national_id": "111222333", "given_names": "Anna", "family_name": "Zwart"}
REDIRECT = f"http://{HOST}/signin/nl/callback"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(dir):
    cert, key = dir / "cert.pem", dir / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def folder(binary, path, issuer, cert, extra=None):
    ok = Oorkonde(binary, path)
    ok.run("init", "--host", HOST, check=True)
    cfg_path = path / "config.json"
    cfg = json.loads(cfg_path.read_text())
    provider = {"id": "nl", "name": "DigiD (test)", "issuer": issuer, "client_id": CLIENT_ID,
                "client_auth": "client_secret_basic", "scopes": [],
                "national_id_claim": "bsn", "id_scheme": "NL:BSN", "ca_file": str(cert)}
    provider.update(extra or {})
    cfg["oidc"] = {"providers": [provider], "timeout_ms": 1500}
    cfg_path.write_text(json.dumps(cfg))
    (path / "oidc-nl.secret").write_text(SECRET + "\n")
    os.chmod(path / "oidc-nl.secret", 0o600)
    ok.add_institution(code="21XX", name="Zuiderhogeschool")
    csv = path.parent / "21XX.csv"
    csv.write_text(csv_text([make_row(record_id="A-1", title="Mechanics", **ANNA)]))
    ok.run("import", csv, "--institution", "21XX", check=True)
    return ok


class Browser:
    """Just enough of a browser for the provider's pages: cookies per host, redirects by hand."""

    def __init__(self, ca):
        self.ctx = ssl.create_default_context(cafile=str(ca))
        self.jar = {}

    def request(self, url, method="GET", body=None):
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPSConnection(u.hostname, u.port, context=self.ctx, timeout=20)
        headers = {"Accept": "text/html"}
        jar = self.jar.setdefault(u.netloc, {})
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, u.path + ("?" + u.query if u.query else ""), body=body,
                     headers=headers)
        r = conn.getresponse()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                jar[name] = rest.split(";")[0]
        data = r.read().decode(errors="replace")
        conn.close()
        loc = r.getheader("Location")
        return r.status, (urllib.parse.urljoin(url, loc) if loc else None), data

    def sign_in(self, start, login):
        """From oorkonde's redirect to the provider, through its login form, to the redirect
        back: returns the callback URL."""
        url = start
        for _ in range(12):
            if url.startswith(f"http://{HOST}/"):
                return url
            status, loc, page = self.request(url)
            if status in (302, 303):
                url = loc
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', page)
            assert status == 200 and form, (status, page[:500])
            action = urllib.parse.urljoin(url, form.group(1))
            fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                                     page))
            if 'name="login"' in page:
                fields.update(login=login, password="any")
            status, loc, page = self.request(action, "POST", urllib.parse.urlencode(fields))
            assert status in (302, 303), (status, page[:500])
            url = loc
        raise AssertionError("no redirect back to oorkonde")


def flow_cookie(r):
    m = re.match(r"oorkonde_oidc=([^;]+)", r.headers.get("set-cookie", ""))
    assert m, r.headers
    return m.group(1)


def session_cookie(r):
    m = re.search(r"oorkonde_session=([A-Za-z0-9_-]{43})", " ".join(r.cookies))
    return m.group(1) if m else None


def start(srv):
    r = srv.get("/signin/nl")
    assert r.status == 303, r
    return r.headers["location"], flow_cookie(r)


def callback(srv, url, cookie):
    """The callback as the browser sends it; r.cookies holds every Set-Cookie."""
    u = urllib.parse.urlsplit(url)
    headers = {"Accept": "text/html"}
    if cookie:
        headers["Cookie"] = f"oorkonde_oidc={cookie}"
    conn = srv.connection(30)
    try:
        conn.request("GET", f"{u.path}?{u.query}", headers=headers)
        raw = conn.getresponse()
        r = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, raw.read())
        r.cookies = [v for k, v in raw.getheaders() if k.lower() == "set-cookie"]
        return r
    finally:
        conn.close()


def audit_actions(ok):
    out = ok.run("audit", "show", "--json", check=False).stdout
    return out


@pytest.fixture(scope="module")
def world(binary, tmp_path_factory):
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True,
                       capture_output=True, timeout=600)
    tmp = tmp_path_factory.mktemp("oidc")
    cert, key = make_cert(tmp)
    port = free_port()
    issuer = f"https://localhost:{port}"
    cfg = {"port": port, "cert": str(cert), "key": str(key), "claim": "bsn",
           "client": {"client_id": CLIENT_ID, "client_secret": SECRET,
                      "redirect_uris": [REDIRECT], "application_type": "native",
                      "token_endpoint_auth_method": "client_secret_basic",
                      "post_logout_redirect_uris": [f"http://{HOST}/"]},
           "users": {"anna": {"bsn": ANNA["national_id"]}, "nobody": {"bsn": "999999990"},
                     "noclaim": {}}}
    (tmp / "provider.json").write_text(json.dumps(cfg))
    log = open(tmp / "provider.log", "w")
    node = subprocess.Popen(["node", OIDC_DIR / "provider.mjs", tmp / "provider.json"],
                            stdout=subprocess.PIPE, stderr=log, cwd=OIDC_DIR)
    line = node.stdout.readline().decode()
    assert line.startswith("listening"), (tmp / "provider.log").read_text()
    ok = folder(binary, tmp / "data", issuer, cert)
    srv = Server(ok, "--rate-limit", 0, name="oidc").start()
    try:
        yield {"ok": ok, "srv": srv, "ca": cert, "tmp": tmp}
    finally:
        srv.stop()
        node.terminate()
        node.wait(10)
        log.close()


def test_sign_in_through_the_providers_login_page_lands_on_the_learners_records(world):
    srv = world["srv"]
    page = srv.get("/signin", headers={"Accept": "text/html"})
    assert page.status == 200 and b'href="/signin/nl"' in page.body and b"DigiD (test)" in page.body
    location, cookie = start(srv)
    # PAR is offered: the browser carries only the request's handle, no state or verifier.
    assert "request_uri=" in location and "code_challenge" not in location
    url = Browser(world["ca"]).sign_in(location, "anna")
    r = callback(srv, url, cookie)
    assert r.status == 303 and r.headers["location"] == "/learner", r
    token = session_cookie(r)
    me = srv.get("/v1/me", headers={"Cookie": f"oorkonde_session={token}"})
    assert me.status == 200 and me.json()["learner"]["family_name"] == ANNA["family_name"]
    recs = srv.get("/v1/me/achievements", headers={"Cookie": f"oorkonde_session={token}"})
    assert "Mechanics" in recs.body.decode()
    # The same callback again: the code was used, and the flow's cookie is gone anyway.
    again = callback(srv, url, cookie)
    assert again.status == 400 and session_cookie(again) is None
    log = srv.log_text()
    assert ANNA["national_id"] not in log and token not in log


def test_wrong_state_is_refused(world):
    srv = world["srv"]
    location, cookie = start(srv)
    url = Browser(world["ca"]).sign_in(location, "anna")
    forged = re.sub(r"state=[^&]+", "state=" + "A" * 43, url)
    r = callback(srv, forged, cookie)
    assert r.status == 400 and session_cookie(r) is None
    # Nor without the flow's cookie (a callback started in another browser).
    assert callback(srv, url, None).status == 400


def test_a_national_id_without_records_gets_no_session(world):
    srv = world["srv"]
    location, cookie = start(srv)
    r = callback(srv, Browser(world["ca"]).sign_in(location, "nobody"), cookie)
    assert r.status == 403 and session_cookie(r) is None
    assert b"No records are registered for you" in r.body


def test_a_token_without_the_national_id_claim_is_refused(world):
    srv = world["srv"]
    location, cookie = start(srv)
    r = callback(srv, Browser(world["ca"]).sign_in(location, "noclaim"), cookie)
    assert r.status == 400 and session_cookie(r) is None


def test_a_provider_that_is_down_gets_a_page_saying_so(binary, world, tmp_path):
    port = free_port()  # nothing listens there
    ok = folder(binary, tmp_path / "data", f"https://localhost:{port}", world["ca"])
    srv = Server(ok, "--rate-limit", 0, name="down").start()
    try:
        started = time.monotonic()
        r = srv.get("/signin/nl", headers={"Accept": "text/html"})
        assert r.status == 503 and b"cannot be reached" in r.body, r
        assert time.monotonic() - started < 5
    finally:
        srv.stop()
