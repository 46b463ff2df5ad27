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

from helpers.base import Oorkonde, allow_login_links, csv_text, make_row
from helpers.server import HOST, Response, Server

ROOT = pathlib.Path(__file__).resolve().parents[2]
OIDC_DIR = ROOT / "tests" / "oidc"
CLIENT_ID = "oorkonde-test"
PKJ_ID = "oorkonde-pkj"
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


def folder(binary, path, issuer, cert, extra=None, client_id=CLIENT_ID):
    ok = Oorkonde(binary, path)
    ok.run("init", "--host", HOST, check=True)
    cfg_path = path / "config.json"
    cfg = json.loads(cfg_path.read_text())
    provider = {"id": "nl", "name": "DigiD (test)", "issuer": issuer, "client_id": client_id,
                "client_auth": "client_secret_basic", "scopes": [],
                "national_id_claim": "bsn", "id_scheme": "NL:BSN", "ca_file": str(cert)}
    provider.update(extra or {})
    cfg["oidc"] = {"providers": [provider], "timeout_ms": 1500}
    cfg_path.write_text(json.dumps(cfg))
    if provider["client_auth"] == "client_secret_basic":
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


def callback(srv, url, cookie, more_cookies=""):
    """The callback as the browser sends it; r.cookies holds every Set-Cookie."""
    u = urllib.parse.urlsplit(url)
    headers = {"Accept": "text/html"}
    if cookie:
        headers["Cookie"] = f"oorkonde_oidc={cookie}" + more_cookies
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
    subprocess.run([str(OIDC_DIR / "install")], check=True, capture_output=True, timeout=600)
    tmp = tmp_path_factory.mktemp("oidc")
    cert, key = make_cert(tmp)
    port = free_port()
    issuer = f"https://localhost:{port}"
    # The private_key_jwt client's key, made by oorkonde and registered at the provider.
    (tmp / "pkj").mkdir()
    pkj = folder(binary, tmp / "pkj" / "data", issuer, cert, client_id=PKJ_ID,
                 extra={"client_auth": "private_key_jwt"})
    pkj_jwks = json.loads(pkj.run("oidc", "client-key", "nl", check=True).stdout)
    cfg = {"port": port, "cert": str(cert), "key": str(key), "claim": "bsn",
           "clients": [{"client_id": CLIENT_ID, "client_secret": SECRET,
                        "redirect_uris": [REDIRECT], "application_type": "native",
                        "token_endpoint_auth_method": "client_secret_basic",
                        "post_logout_redirect_uris": [f"http://{HOST}/"]},
                       {"client_id": PKJ_ID, "redirect_uris": [REDIRECT],
                        "application_type": "native", "jwks": pkj_jwks,
                        "token_endpoint_auth_method": "private_key_jwt",
                        "token_endpoint_auth_signing_alg": "ES256"}],
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
        yield {"ok": ok, "srv": srv, "ca": cert, "tmp": tmp, "pkj": pkj, "issuer": issuer}
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
    # A page that moves on to /learner (a redirect would carry the cross-site navigation on,
    # and the browser would not send the SameSite=Strict session cookie).
    assert r.status == 200 and b'http-equiv="refresh" content="0; url=/learner"' in r.body, r
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


def test_private_key_jwt_client_signs_in(world):
    """The client authenticates with an assertion signed by the key `oidc client-key` printed."""
    ok = world["pkj"]
    again = json.loads(ok.run("oidc", "client-key", "nl", check=True).stdout)
    key = again["keys"][0]
    assert key["kty"] == "EC" and "d" not in key and key["use"] == "sig"
    assert oct(os.stat(ok.data / "oidc-nl.key").st_mode & 0o777) == "0o600"
    checked = ok.run("oidc", "check", check=True).stdout
    assert "PAR" in checked and "/request" in checked
    srv = Server(ok, "--rate-limit", 0, name="pkj").start()
    try:
        location, cookie = start(srv)
        r = callback(srv, Browser(world["ca"]).sign_in(location, "anna"), cookie)
        assert r.status == 200 and session_cookie(r), r
    finally:
        srv.stop()


def test_logout_goes_on_to_the_provider(world):
    """RP-initiated logout: the provider offers end_session_endpoint, so signing out of the
    portal sends the browser on to it, back to the home page after."""
    srv = world["srv"]
    location, cookie = start(srv)
    r = callback(srv, Browser(world["ca"]).sign_in(location, "anna"), cookie)
    token = session_cookie(r)
    idp = re.search(r"oorkonde_idp=(nl);", " ".join(r.cookies))
    assert idp, r.cookies
    jar = f"oorkonde_session={token}; oorkonde_idp=nl"
    # The session records which provider signed it in (looked at in SQLite's file).
    if (world["ok"].data / "oorkonde.db").exists():
        import sqlite3
        db = sqlite3.connect(world["ok"].data / "oorkonde.db")
        assert ("nl",) in db.execute("SELECT provider FROM session").fetchall()
        db.close()
    csrf = srv.get("/v1/me", headers={"Cookie": jar}).json()["csrf"]
    out = srv.post("/logout", "", ctype="application/json",
                   headers={"Cookie": jar, "X-CSRF-Token": csrf})
    assert out.status == 200, out
    url = urllib.parse.urlsplit(out.json()["logout_url"])
    q = dict(urllib.parse.parse_qsl(url.query))
    assert f"{url.scheme}://{url.netloc}" == world["issuer"]
    assert q == {"client_id": CLIENT_ID, "post_logout_redirect_uri": f"http://{HOST}/"}
    assert srv.get("/v1/me", headers={"Cookie": jar}).status == 401
    # The logout is an event of the learner's, as the sign-in is.
    assert "learner.logout" in world["ok"].run("audit", "show", check=True).stdout
    # The provider knows the client and the return address: it shows its logout page.
    status, _, page = Browser(world["ca"]).request(out.json()["logout_url"])
    assert status == 200 and "<form" in page


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


def test_a_learner_sent_by_an_emrex_client_goes_back_to_choosing_results(binary, world,
                                                                            tmp_path):
    ok = folder(binary, tmp_path / "data", world["issuer"], world["ca"])
    cfg_path = ok.data / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["emrex_test_hosts"] = ["127.0.0.1"]
    cfg_path.write_text(json.dumps(cfg))
    srv = Server(ok, "--rate-limit", 0, name="oidc-emrex").start()
    try:
        # An EMREX client sends the learner here; the browser keeps the request's cookie.
        r = srv.request("POST", "/emrex", urllib.parse.urlencode(
            {"sessionId": "client-session-1",
             "returnUrl": "http://127.0.0.1:9/emrex/return"}),
            ctype="application/x-www-form-urlencoded", headers={"Accept": "text/html"})
        assert r.status == 303, r
        back = r.headers["location"]
        assert re.fullmatch(r"/emrex\?r=[0-9a-f]{16}", back), back
        emrex = r.headers["set-cookie"].split(";", 1)[0]
        location, cookie = start(srv)
        r = callback(srv, Browser(world["ca"]).sign_in(location, "anna"), cookie, "; " + emrex)
        assert r.status == 200 and session_cookie(r), r
        assert f'http-equiv="refresh" content="0; url={back}"'.encode() in r.body, r.body
        assert f'href="{back}" id="signin-continue"'.encode() in r.body
        # The page it continues to, in the same browser (its new session and the request's
        # cookie): the consent page with her results.
        session = f"oorkonde_session={session_cookie(r)}"
        r = srv.get(back, headers={"Accept": "text/html", "Cookie": f"{session}; {emrex}"})
        assert r.status == 200 and b'id="emrex-choose"' in r.body, r
        text = r.body.decode()
        ids = dict((t, i) for i, t in re.findall(
            r'name="a" value="([^"]+)"> <span>([^<]+)</span>', text))
        assert set(ids) == {"Mechanics"}
        csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
        tag = back.split("=", 1)[1]
        # Another browser signed in as her, without the request's cookie, gets no request.
        location, cookie = start(srv)
        other = callback(srv, Browser(world["ca"]).sign_in(location, "anna"), cookie)
        other_session = f"oorkonde_session={session_cookie(other)}"
        assert b"/emrex" not in other.body
        r = srv.get(back, headers={"Accept": "text/html", "Cookie": other_session})
        assert r.status == 404 and b'id="emrex-none"' in r.body, r
        # The answer goes back to the client once.
        answer = urllib.parse.urlencode({"csrf": csrf, "r": tag, "action": "send",
                                         "a": ids["Mechanics"]})
        r = srv.request("POST", "/emrex/answer", answer, ctype="application/x-www-form-urlencoded",
                        headers={"Accept": "text/html", "Cookie": f"{session}; {emrex}"})
        assert r.status == 200 and b'id="emrex-post"' in r.body, r
        assert b'value="client-session-1"' in r.body and b'value="NCP_OK"' in r.body
        r = srv.get(back, headers={"Accept": "text/html", "Cookie": f"{session}; {emrex}"})
        assert r.status == 410 and b'id="emrex-none"' in r.body, r  # used: gone
        r = srv.request("POST", "/emrex/answer", answer, ctype="application/x-www-form-urlencoded",
                        headers={"Accept": "text/html", "Cookie": f"{session}; {emrex}"})
        assert b'id="emrex-post"' not in r.body, r
    finally:
        srv.stop()


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


# ID tokens no provider would mint, from a token endpoint of the test's own


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeProvider:
    """Discovery, JWKS and a token endpoint over TLS, answering with self.id_token; counts the
    key-set fetches."""

    def __init__(self, cert, key):
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.id_token = None
        self.jwks_fetches = 0
        self.port = free_port()
        self.issuer = f"https://localhost:{self.port}"
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, doc):
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    self.answer({"issuer": fake.issuer,
                                 "authorization_endpoint": fake.issuer + "/auth",
                                 "token_endpoint": fake.issuer + "/token",
                                 "jwks_uri": fake.issuer + "/jwks",
                                 "response_types_supported": ["code"],
                                 "code_challenge_methods_supported": ["S256"],
                                 "id_token_signing_alg_values_supported": ["RS256"]})
                elif self.path == "/jwks":
                    fake.jwks_fetches += 1
                    self.answer({"keys": [fake.jwk(fake.key, "k1")]})
                else:
                    self.send_error(404)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.answer({"access_token": "x", "token_type": "Bearer",
                             "id_token": fake.id_token})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def jwk(key, kid):
        n = key.public_key().public_numbers()
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
                "e": b64u(n.e.to_bytes(3, "big"))}

    def sign(self, claims, kid="k1", key=None, alg="RS256"):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        head = b64u(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}).encode())
        body = b64u(json.dumps(claims).encode())
        signing_input = f"{head}.{body}".encode()
        if alg == "none":
            return f"{head}.{body}."
        sig = (key or self.key).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64u(sig)}"

    def claims(self, nonce, **over):
        now = int(time.time())
        c = {"iss": self.issuer, "sub": "anna", "aud": CLIENT_ID, "exp": now + 300, "iat": now,
             "nonce": nonce, "bsn": ANNA["national_id"]}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}


@pytest.fixture(scope="module")
def fake(binary, world, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fake")
    fp = FakeProvider(world["tmp"] / "cert.pem", world["tmp"] / "key.pem")
    ok = folder(binary, tmp / "data", fp.issuer, world["ca"])
    srv = Server(ok, "--rate-limit", 0, name="fake").start()
    try:
        yield fp, srv, ok
    finally:
        srv.stop()
        fp.httpd.shutdown()


def fake_sign_in(fp, srv, make_token):
    location, cookie = start(srv)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert q["code_challenge_method"] == "S256" and q["redirect_uri"] == REDIRECT
    fp.id_token = make_token(q["nonce"])
    url = f"{REDIRECT}?code=abc&state={q['state']}"
    return callback(srv, url, cookie)


def test_a_token_of_the_test_endpoint_signs_in(fake):
    fp, srv, _ = fake
    r = fake_sign_in(fp, srv, lambda nonce: fp.sign(fp.claims(nonce)))
    assert r.status == 200 and session_cookie(r), r


@pytest.mark.parametrize("case", ["audience", "azp", "expired", "future", "stale", "issuer",
                                  "nonce", "signature", "alg-none", "alg-hs256", "no-claim"])
def test_bad_id_tokens_are_refused(fake, case):
    fp, srv, ok = fake
    now = int(time.time())

    def token(nonce):
        c = fp.claims
        if case == "audience":
            return fp.sign(c(nonce, aud="someone-else"))
        if case == "azp":
            return fp.sign(c(nonce, aud=[CLIENT_ID, "other"], azp="other"))
        if case == "expired":
            return fp.sign(c(nonce, exp=now - 600, iat=now - 900))
        if case == "future":
            return fp.sign(c(nonce, iat=now + 600))
        if case == "stale":
            return fp.sign(c(nonce, iat=now - 3600, exp=now + 300))
        if case == "issuer":
            return fp.sign(c(nonce, iss="https://evil.example"))
        if case == "nonce":
            return fp.sign(c("N" * 43))
        if case == "signature":
            return fp.sign(c(nonce), key=fp.other)
        if case == "alg-none":
            return fp.sign(c(nonce), alg="none")
        if case == "alg-hs256":
            head = b64u(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
            return f"{head}.{b64u(json.dumps(c(nonce)).encode())}.{b64u(b'x' * 32)}"
        if case == "no-claim":
            return fp.sign(c(nonce, bsn=None))
        raise AssertionError(case)

    r = fake_sign_in(fp, srv, token)
    assert r.status == 400 and session_cookie(r) is None, r
    assert b"could not be confirmed" in r.body


def test_an_unknown_kid_is_refused_and_the_key_set_not_fetched_more_than_once_a_minute(fake):
    fp, srv, _ = fake
    assert fake_sign_in(fp, srv, lambda n: fp.sign(fp.claims(n))).status == 200
    before = fp.jwks_fetches
    for _ in range(3):
        r = fake_sign_in(fp, srv, lambda n: fp.sign(fp.claims(n), kid="rotated", key=fp.other))
        assert r.status == 400 and session_cookie(r) is None
    # One fetch at most for the unknown key within the minute, however often it is sent.
    assert fp.jwks_fetches - before <= 1


def test_refusals_are_audited_without_personal_data(fake):
    fp, srv, ok = fake
    fake_sign_in(fp, srv, lambda n: fp.sign(fp.claims(n, aud="x")))
    shown = ok.run("audit", "show", check=True).stdout
    assert "oidc.refused" in shown and "oidc:nl" in shown
    assert ANNA["national_id"] not in shown


def test_a_provider_that_does_not_answer_gets_the_same_page_in_time(binary, world, tmp_path):
    """A provider that accepts the connection and then says nothing: timeout_ms (1.5 s here)
    bounds the wait."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    ok = folder(binary, tmp_path / "data", f"https://localhost:{silent.getsockname()[1]}",
                world["ca"])
    srv = Server(ok, "--rate-limit", 0, name="slow").start()
    try:
        started = time.monotonic()
        r = srv.get("/signin/nl", headers={"Accept": "text/html"})
        took = time.monotonic() - started
        assert r.status == 503 and b"cannot be reached" in r.body, r
        assert 1.0 < took < 5, took
        # The server goes on answering.
        assert srv.get("/healthz").status == 200
    finally:
        srv.stop()
        silent.close()


def test_a_provider_error_is_refused_and_audited(world):
    srv, ok = world["srv"], world["ok"]
    location, cookie = start(srv)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query)).get("state")
    r = callback(srv, f"{REDIRECT}?error=access_denied&state={state or 'x'}", cookie)
    assert r.status == 400 and session_cookie(r) is None
    assert "oidc.refused" in ok.run("audit", "show", check=True).stdout


# Sign-in links: an operator's and the tests' tool, off unless config.json allows them


def test_login_links_are_off_unless_allowed(binary, world, tmp_path):
    ok = folder(binary, tmp_path / "data", "https://localhost:1", world["ca"])
    learner = json.loads(ok.run("achievements", "--national-id", ANNA["national_id"], "--json",
                                check=True).stdout)[0]["learner_id"]
    link = ok.run("learner", "login-link", learner, check=True).stdout.strip()
    allow_login_links(ok.data, False)
    proc = ok.run("learner", "login-link", learner)
    assert proc.returncode == 2 and "allow_login_links" in proc.stderr and "/login/" not in proc.stdout
    srv = Server(ok, "--rate-limit", 0, name="nolinks").start()
    try:
        # A link made while they were allowed no longer works either.
        path = link[link.index("/login/"):]
        assert srv.post(path, "", ctype="application/x-www-form-urlencoded").status == 403
        page = srv.get("/signin", headers={"Accept": "text/html"}).body.decode()
        assert 'href="/signin/nl"' in page and "<p>Open the sign-in link" not in page
    finally:
        srv.stop()


def test_the_demo_with_a_login_link_allows_them(binary, tmp_path):
    ok = Oorkonde(binary, tmp_path / "data")
    ok.run("init", "--host", HOST, check=True)
    allow_login_links(ok.data, False)
    out = ok.run("demo", "--learners", "3", "--login-link", check=True).stdout
    assert re.search(r"/login/[A-Za-z0-9_-]{43}", out)
    assert "Sign-in links are now allowed" in out
    assert json.loads((ok.data / "config.json").read_text())["allow_login_links"] is True


# National id schemes: a provider finds only learners registered under its own scheme


BERT = {"national_id": "85073003328", "given_names": "Bert", "family_name": "Peeters"}
ZERO = {"national_id": "012345672", "given_names": "Nul", "family_name": "Voorop"}
# A Belgian studying in the Netherlands: her number registered with its country code in front.
CARLA = {"national_id": "BE 90.01.01-123.45", "given_names": "Carla", "family_name": "Maes"}
# An exchange student: a Dutch BSN, with records from a Dutch and (as "NL…") a Belgian
# institution, so the importer stores it bare with records of both countries.
DIRK = {"national_id": "123456782", "given_names": "Dirk", "family_name": "Uitwissel"}


@pytest.fixture(scope="module")
def schemes(binary, world, tmp_path_factory):
    """One fake provider behind three configured ones: nl (NL:BSN), be (BE:RRN) and eu (eIDAS,
    for Belgium only). Anna's BSN is registered by a Dutch institution, Bert's Belgian number by
    a Belgian one."""
    tmp = tmp_path_factory.mktemp("schemes")
    fp = FakeProvider(world["tmp"] / "cert.pem", world["tmp"] / "key.pem")
    ok = folder(binary, tmp / "data", fp.issuer, world["ca"])
    cfg_path = ok.data / "config.json"
    cfg = json.loads(cfg_path.read_text())
    base = cfg["oidc"]["providers"][0]
    cfg["oidc"]["providers"] += [
        dict(base, id="be", name="itsme (test)", id_scheme="BE:RRN",
             id_pattern="[0-9]{11}"),
        dict(base, id="eu", name="eIDAS (test)", id_scheme="eIDAS", id_countries=["BE"]),
        dict(base, id="bx", name="Belgian ids, default shape (test)", id_scheme="BE:RRN")]
    cfg_path.write_text(json.dumps(cfg))
    for p in ("be", "eu", "bx"):
        (ok.data / f"oidc-{p}.secret").write_text(SECRET + "\n")
        os.chmod(ok.data / f"oidc-{p}.secret", 0o600)
    ok.add_institution(code="BEUL", name="Université de Liège", country="BE")
    csv = tmp / "be.csv"
    csv.write_text(csv_text([make_row(record_id="B-1", title="Chimie", **BERT),
                             make_row(record_id="D-2", title="Physique",
                                      **dict(DIRK, national_id="NL" + DIRK["national_id"]))]))
    ok.run("import", csv, "--institution", "BEUL", check=True)
    csv = tmp / "zero.csv"
    csv.write_text(csv_text([make_row(record_id="Z-1", title="Optics", **ZERO),
                             make_row(record_id="C-1", title="Statics", **CARLA),
                             make_row(record_id="D-1", title="Mechanics", **DIRK)]))
    ok.run("import", csv, "--institution", "21XX", check=True)
    srv = Server(ok, "--rate-limit", 0, name="schemes").start()
    try:
        yield fp, srv, ok
    finally:
        srv.stop()
        fp.httpd.shutdown()


def scheme_sign_in(fp, srv, provider, national_id):
    r = srv.get(f"/signin/{provider}")
    assert r.status == 303, r
    cookie = re.match(r"[^=]+=([^;]+)", r.headers["set-cookie"]).group(1)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers["location"]).query))
    fp.id_token = fp.sign(fp.claims(q["nonce"], bsn=national_id))
    u = urllib.parse.urlsplit(q["redirect_uri"])
    name = r.headers["set-cookie"].split("=", 1)[0]
    conn = srv.connection(30)
    try:
        conn.request("GET", f"{u.path}?code=abc&state={q['state']}",
                     headers={"Accept": "text/html", "Cookie": f"{name}={cookie}"})
        raw = conn.getresponse()
        out = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, raw.read())
        out.cookies = [v for k, v in raw.getheaders() if k.lower() == "set-cookie"]
        return out
    finally:
        conn.close()


def signed_in_as(srv, r):
    token = session_cookie(r)
    if r.status != 200 or not token:
        return None
    return srv.get("/v1/me", headers={"Cookie": f"oorkonde_session={token}"}).json()[
        "learner"]["family_name"]


def test_each_provider_signs_in_the_learners_of_its_own_scheme(schemes):
    fp, srv, _ = schemes
    assert signed_in_as(srv, scheme_sign_in(fp, srv, "nl", ANNA["national_id"])) == "Zwart"
    assert signed_in_as(srv, scheme_sign_in(fp, srv, "be", BERT["national_id"])) == "Peeters"
    assert signed_in_as(srv, scheme_sign_in(fp, srv, "eu", "BE/NL/" + BERT["national_id"])) \
        == "Peeters"
    # A number registered with its country's code in front, by an institution elsewhere.
    assert signed_in_as(srv, scheme_sign_in(fp, srv, "be", "90010112345")) == "Maes"
    assert signed_in_as(srv, scheme_sign_in(fp, srv, "eu", "BE/NL/BE90010112345")) == "Maes"
    # A BSN sent as a JSON number lost its leading zero: it is put back.
    assert signed_in_as(srv, scheme_sign_in(fp, srv, "nl", 12345672)) == "Voorop"


@pytest.mark.parametrize("provider,national_id,status", [
    # The Belgian provider asserting a Dutch learner's BSN: bare (no records under BE), with
    # the NL prefix (not a Belgian number), or in the Belgian pattern's shape.
    ("be", ANNA["national_id"], 400),
    ("be", "NL" + ANNA["national_id"], 400),
    ("eu", "NL/NL/" + ANNA["national_id"], 400),  # eu may speak for Belgium only
    ("eu", "DE/NL/" + ANNA["national_id"], 400),
    # The Dutch provider asserting the Belgian number, or the BSN with a prefix or spaces.
    ("nl", BERT["national_id"], 400),
    ("nl", "NL" + ANNA["national_id"], 400),
    ("nl", "111 222 333", 400),
    ("nl", 123456789, 400),  # fails the eleven-test
])
def test_a_provider_cannot_sign_in_a_learner_of_another_scheme(schemes, provider, national_id,
                                                               status):
    fp, srv, ok = schemes
    r = scheme_sign_in(fp, srv, provider, national_id)
    assert r.status == status and session_cookie(r) is None, r


@pytest.mark.parametrize("provider,national_id", [
    ("bx", DIRK["national_id"]),
    ("bx", "nl " + DIRK["national_id"]),
    ("bx", "NL." + DIRK["national_id"]),
    ("bx", "N-L" + DIRK["national_id"]),
    ("bx", "nl-" + DIRK["national_id"]),
    ("bx", "123 456 782"),
    ("eu", "BE/NL/" + DIRK["national_id"]),
    ("eu", "BE/NL/nl " + DIRK["national_id"]),
])
def test_a_bsn_in_any_spelling_does_not_sign_in_through_another_countrys_provider(
        schemes, provider, national_id):
    """Review R1: Dirk has a Belgian record, so a bare-id lookup for BE finds him; the claim
    must be refused as another country's number before that, however it is spelled."""
    fp, srv, ok = schemes
    assert signed_in_as(srv, scheme_sign_in(fp, srv, "nl", DIRK["national_id"])) == "Uitwissel"
    r = scheme_sign_in(fp, srv, provider, national_id)
    assert r.status == 400 and session_cookie(r) is None, r
    shown = ok.run("audit", "show", check=True).stdout
    assert "national_id_claim" in shown and DIRK["national_id"] not in shown


def test_a_number_registered_only_under_another_scheme_finds_no_records(schemes):
    """Bert's number made Belgian-shaped for the Dutch scheme is impossible (11 digits), but a
    Belgian provider whose pattern also allowed 9 digits would reach Anna's BSN: the country of
    the registering institution keeps it out."""
    fp, srv, ok = schemes
    cfg_path = ok.data / "config.json"
    cfg = json.loads(cfg_path.read_text())
    for p in cfg["oidc"]["providers"]:
        if p["id"] == "be":
            p["id_pattern"] = "[0-9]{9}|[0-9]{11}"
    cfg_path.write_text(json.dumps(cfg))
    wide = Server(ok, "--rate-limit", 0, name="wide").start()
    try:
        r = scheme_sign_in(fp, wide, "be", ANNA["national_id"])
        assert r.status == 403 and session_cookie(r) is None
        assert b"No records are registered for you" in r.body
        shown = ok.run("audit", "show", check=True).stdout
        assert "oidc.unknown" in shown and ANNA["national_id"] not in shown
    finally:
        wide.stop()


@pytest.mark.parametrize("extra,field", [
    ({"id_scheme": "BSN"}, "id_scheme"),
    ({"id_scheme": "NL:ONDERWIJSNUMMER"}, "id_scheme"),
    ({"id_scheme": "nl:bsn"}, "id_scheme"),
    ({"id_pattern": "[0-9]+"}, "id_pattern"),  # NL:BSN has its own shape
    ({"id_scheme": "BE:RRN", "id_pattern": "([0-9]"}, "id_pattern"),
    ({"id_countries": ["BE"]}, "id_countries"),
    ({"id_scheme": "eIDAS"}, "id_countries"),  # required: no node speaks for "any"
    ({"id_scheme": "eIDAS", "id_countries": []}, "id_countries"),
])
def test_a_wrong_scheme_in_config_is_named(binary, world, tmp_path, extra, field):
    ok = folder(binary, tmp_path / "data", "https://localhost:1", world["ca"], extra=extra)
    proc = ok.run("oidc", "check")
    assert proc.returncode != 0 and field in proc.stderr, proc.stderr


# A slow or failing provider holds up nothing but its own sign-ins


class SlowProvider:
    """A discovery document over TLS that takes `delay` seconds to come; counts the requests."""

    def __init__(self, cert, key, delay):
        self.hits = 0
        self.port = free_port()
        self.issuer = f"https://localhost:{self.port}"
        slow = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                slow.hits += 1
                time.sleep(delay)
                body = json.dumps({
                    "issuer": slow.issuer, "authorization_endpoint": slow.issuer + "/auth",
                    "token_endpoint": slow.issuer + "/token", "jwks_uri": slow.issuer + "/jwks",
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["RS256"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_a_slow_provider_holds_up_only_its_own_sign_ins(binary, world, tmp_path):
    """max_in_flight 1: one sign-in waits on the slow provider, the others get the
    "unavailable" page at once, and every other route answers meanwhile."""
    slow = SlowProvider(world["tmp"] / "cert.pem", world["tmp"] / "key.pem", 3)
    ok = folder(binary, tmp_path / "data", slow.issuer, world["ca"])
    cfg = json.loads((ok.data / "config.json").read_text())
    cfg["oidc"].update(timeout_ms=6000, max_in_flight=1)
    (ok.data / "config.json").write_text(json.dumps(cfg))
    srv = Server(ok, "--rate-limit", 0, "--threads", 4, name="slowdoc").start()
    results = {}

    def sign_in(i):
        started = time.monotonic()
        r = srv.get("/signin/nl", headers={"Accept": "text/html"})
        results[i] = (r.status, time.monotonic() - started)

    try:
        first = threading.Thread(target=sign_in, args=(0,))
        first.start()
        time.sleep(0.5)  # the first is waiting on the provider now
        others = [threading.Thread(target=sign_in, args=(i,)) for i in (1, 2)]
        for t in others:
            t.start()
        for path in ("/healthz", "/signin", "/.well-known/did.json", "/verify"):
            started = time.monotonic()
            r = srv.get(path, headers={"Accept": "text/html"})
            assert r.status == 200 and time.monotonic() - started < 1, (path, r)
        for t in others:
            t.join(10)
        assert first.is_alive(), results  # still waiting on the provider
        first.join(10)
        assert results[0][0] == 303 and results[0][1] > 2.5, results
        for i in (1, 2):
            assert results[i][0] == 503 and results[i][1] < 1, results
        assert slow.hits == 1
    finally:
        srv.stop()
        slow.httpd.shutdown()


def test_a_provider_that_failed_is_not_asked_again_for_a_while(binary, world, tmp_path):
    """retry_after_s: after one timeout the provider is left alone; the next sign-ins get the
    "unavailable" page without a connection."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    ok = folder(binary, tmp_path / "data", f"https://localhost:{silent.getsockname()[1]}",
                world["ca"])
    srv = Server(ok, "--rate-limit", 0, name="remembered").start()
    try:
        r = srv.get("/signin/nl", headers={"Accept": "text/html"})
        assert r.status == 503 and len(accepted) == 1
        for _ in range(3):
            started = time.monotonic()
            r = srv.get("/signin/nl", headers={"Accept": "text/html"})
            assert r.status == 503 and b"cannot be reached" in r.body
            assert time.monotonic() - started < 0.5
        assert len(accepted) == 1
        assert "oidc:nl" in srv.log_text()
    finally:
        srv.stop()
        silent.close()
        for c in accepted:
            c.close()


def test_a_flow_is_completed_once_even_where_the_provider_takes_a_code_twice(fake):
    """The test's token endpoint answers any code any number of times: single use is
    oorkonde's own (the flow's row is taken by the first callback)."""
    fp, srv, _ = fake
    location, cookie = start(srv)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    fp.id_token = fp.sign(fp.claims(q["nonce"]))
    url = f"{REDIRECT}?code=abc&state={q['state']}"
    first = callback(srv, url, cookie)
    assert first.status == 200 and session_cookie(first)
    again = callback(srv, url, cookie)
    assert again.status == 400 and session_cookie(again) is None


def test_callbacks_without_a_flow_write_no_audit_events(fake):
    fp, srv, ok = fake

    def refusals():
        return ok.run("audit", "show", check=True).stdout.count("oidc.refused")

    before = refusals()
    for cookie in (None, "garbage", "A" * 120):
        r = callback(srv, f"{REDIRECT}?code=abc&state={'S' * 43}", cookie)
        assert r.status == 400 and session_cookie(r) is None
    # A real flow's cookie with a wrong state: not one of ours either.
    _, cookie = start(srv)
    assert callback(srv, f"{REDIRECT}?code=abc&state={'S' * 43}", cookie).status == 400
    assert refusals() == before


def test_over_tls_the_flow_cookie_cannot_be_planted(binary, world, fake, tmp_path):
    """Behind TLS (base_url https://) the flow is in "__Host-oorkonde_oidc_nl" (Path=/, Secure),
    which no other host and no plain-HTTP answer can set; a cookie of the plain name (as one
    planted over HTTP would be) is not taken, and HSTS is sent."""
    fp = fake[0]
    ok = folder(binary, tmp_path / "data", fp.issuer, world["ca"])
    cfg = json.loads((ok.data / "config.json").read_text())
    cfg["base_url"] = "https://diploma.example.nl"
    (ok.data / "config.json").write_text(json.dumps(cfg))
    srv = Server(ok, "--rate-limit", 0, name="tlsflow").start()
    try:
        r = srv.get("/signin/nl")
        assert r.status == 303, r
        set_cookie = r.headers["set-cookie"]
        assert set_cookie.startswith("__Host-oorkonde_oidc_nl=") and "Path=/;" in set_cookie
        assert "Secure" in set_cookie and "max-age" in r.headers["strict-transport-security"]
        cookie = re.match(r"[^=]+=([^;]+)", set_cookie).group(1)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers["location"]).query))
        fp.id_token = fp.sign(fp.claims(q["nonce"]))
        path = f"/signin/nl/callback?code=abc&state={q['state']}"
        planted = callback(srv, "http://x" + path, cookie)  # sent as "oorkonde_oidc"
        assert planted.status == 400 and session_cookie(planted) is None
        conn = srv.connection(30)
        conn.request("GET", path, headers={"Accept": "text/html",
                                           "Cookie": f"__Host-oorkonde_oidc_nl={cookie}"})
        raw = conn.getresponse()
        raw.read()
        cookies = " ".join(v for k, v in raw.getheaders() if k.lower() == "set-cookie")
        conn.close()
        assert raw.status == 200 and "__Host-oorkonde_session=" in cookies, cookies
        assert "__Host-oorkonde_idp=nl" in cookies
    finally:
        srv.stop()
