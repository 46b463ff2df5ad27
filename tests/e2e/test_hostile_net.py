"""Attacks on what the public verifier fetches (issue 13, items 4, 7 and 12), each against a real
`oorkonde serve` on loopback, bounded in count and time.

A verifier depository (did:key, two worker threads) faces: issuers it does not trust (never
resolved, nothing fetched), credentials nobody signed that name status lists (nothing fetched,
even when only the status check is asked for), an untrusted issuer with a huge signed status list
(nothing fetched) and the same issuer once trusted (the list refused by size, the failure
remembered), a trusted did:web issuer whose host accepts connections and never answers (one
fetch at a time, "could not be resolved" fast for everyone else, /healthz fast throughout), and
a host that refuses connections (no network error text in any answer, the detail in the
operator's log). Then the VC-API issue endpoint's refusals and the proof's times."""
import base64
import concurrent.futures
import gzip
import http.server
import json
import re
import threading
import time

import signing
from helpers.base import Oorkonde, db_scalar
from helpers.net import VC_V2, credential, details, status_entry, verify
from helpers.server import Server, problem

NOT_RESOLVED = "issuer could not be resolved"
NOT_RETRIEVED = "status could not be retrieved"
# What curl and the resolver say; none of it may reach a client.
NETWORK_TEXT = ("timed out", "Timeout", "onnection refused", "Couldn't connect",
                "Failed to connect", "SSL", "resolve host", "curl", "Operation")
FETCH_TIMEOUT_S = 3  # fetch_guard.h: 3 s in all per fetch


def did_web(host):
    return "did:web:" + host.replace(":", "%3A")


def unsigned_web_credential(issuer):
    """A credential naming a did:web issuer, with a proof that would need its key."""
    vc = credential(issuer)
    vc["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                   "verificationMethod": issuer + "#key-1", "proofPurpose": "assertionMethod",
                   "proofValue": "z" + signing.base58btc(bytes(range(1, 65)))}
    return vc


def assert_no_network_text(r):
    text = r.body.decode()
    for words in NETWORK_TEXT:
        assert words not in text, (words, text)


# Item 4: nothing is fetched for a stranger.


def test_untrusted_did_web_issuer_is_never_resolved(verifier):
    issuer = did_web(verifier["listener"].host)
    for checks in (None, ["proof"], ["proof", "status"]):
        r, took = verify(verifier, unsigned_web_credential(issuer), checks)
        assert took < 1.0, took
        assert r.json()["verified"] is False
        d = details(r)
        assert not d["proof"]["passed"]
        assert "issuer is not trusted" in d["proof"]["message"], d
        if checks is None:
            assert not d["issuer"]["passed"]
            assert "not on the trust list" in d["issuer"]["message"]
    assert verifier["listener"].hits == []


def test_unsigned_credentials_with_status_urls_fetch_nothing(verifier):
    """Status URLs in credentials nobody signed, from an untrusted and from a trusted issuer,
    whichever checks are asked for: no request reaches the listener."""
    ok = verifier["ok"]
    url = f"http://{verifier['listener'].host}/status/revocation/1"
    stranger = verifier["stranger_did"]
    for trusted in (False, True):
        if trusted:
            ok.run("trust", "add", stranger, "--name", "Stranger", "--country", "SE",
                   check=True)
        for checks in (["status"], ["proof", "status"], None):
            vc = credential(stranger, credentialStatus=status_entry(url))
            r, _ = verify(verifier, vc, checks)
            d = details(r)
            assert not d["status"]["passed"], d
            assert "not fetched" in d["status"]["message"], d
        # The same credential with a signature that does not hold (altered after signing).
        signed = signing.sign(verifier["stranger"], credential(stranger,
                                                          credentialStatus=status_entry(url)))
        signed["credentialSubject"]["name"] = "Something else"
        r, _ = verify(verifier, signed, ["status"])
        assert "not fetched" in details(r)["status"]["message"]
    ok.run("trust", "remove", stranger, check=True)
    assert verifier["listener"].hits == []


def huge_list(w, url):
    """A status list of 128 Mi entries (16 MiB of bits, a few KiB compressed), signed by the
    stranger."""
    encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(16 << 20))).decode().rstrip("=")
    return signing.sign(w["stranger"], {
        "@context": [VC_V2], "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": w["stranger_did"],
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encoded}})


def test_huge_signed_status_list(verifier):
    ok, listener = verifier["ok"], verifier["listener"]
    path = "/huge/revocation/1"
    url = f"http://{listener.host}{path}"
    listener.routes[path] = json.dumps(huge_list(verifier, url)).encode()
    vc = signing.sign(verifier["stranger"], credential(verifier["stranger_did"],
                                                    credentialStatus=status_entry(url)))
    # Untrusted: the proof holds (did:key), the list is not fetched at all.
    for _ in range(3):
        r, took = verify(verifier, vc)
        d = details(r)
        assert d["proof"]["passed"] and not d["status"]["passed"], d
        assert "not trusted" in d["status"]["message"]
        assert took < 1.0
    assert listener.hits == []
    # Trusted: fetched once, refused for its size, and the failure remembered.
    ok.run("trust", "add", verifier["stranger_did"], "--name", "Stranger", "--country", "SE",
           check=True)
    try:
        for _ in range(3):
            r, _ = verify(verifier, vc)
            d = details(r)
            assert d["proof"]["passed"] and not d["status"]["passed"], d
            assert NOT_RETRIEVED in d["status"]["message"]
            assert_no_network_text(r)
        assert listener.hits == [path]
        assert verifier["srv"].get("/healthz").status == 200
    finally:
        ok.run("trust", "remove", verifier["stranger_did"], check=True)


# A trusted issuer that does not answer.


def test_silent_issuer_holds_up_nobody(verifier):
    ok, silent = verifier["ok"], verifier["silent"]
    issuer = did_web(silent.host)
    ok.run("trust", "add", issuer, "--name", "Silent", "--country", "BE", check=True)
    vc = unsigned_web_credential(issuer)
    results = []
    health = []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(verify, verifier, vc) for _ in range(6)]
        deadline = time.monotonic() + FETCH_TIMEOUT_S + 1
        while time.monotonic() < deadline:
            started = time.monotonic()
            r = verifier["srv"].get("/healthz", timeout=10)
            health.append(time.monotonic() - started)
            assert r.status == 200, r
            time.sleep(0.05)
        results = [f.result() for f in futures]
    # /healthz was never held up by the fetch in flight.
    assert max(health) < 1.0, sorted(health)[-5:]
    for r, took in results:
        d = details(r)
        assert not d["proof"]["passed"]
        assert NOT_RESOLVED in d["proof"]["message"], d
        assert_no_network_text(r)
        assert took < FETCH_TIMEOUT_S + 2, took
    # One connection at a time to the silent host, and its failure is remembered: the next
    # requests are answered at once without another connection.
    assert len(silent.accepted) == 1, len(silent.accepted)
    for _ in range(5):
        r, took = verify(verifier, vc)
        assert took < 1.0 and NOT_RESOLVED in details(r)["proof"]["message"]
    assert len(silent.accepted) == 1
    # The operator's log says what happened.
    assert f"fetch http://{silent.host}/.well-known/did.json" in verifier["srv"].log_text()
    ok.run("trust", "remove", issuer, check=True)


def test_refused_connection_text_stays_in_the_log(verifier):
    ok = verifier["ok"]
    issuer = did_web(verifier["refused"])
    ok.run("trust", "add", issuer, "--name", "Gone", "--country", "BE", check=True)
    try:
        r, took = verify(verifier, unsigned_web_credential(issuer))
        d = details(r)
        assert d["proof"]["message"].endswith(NOT_RESOLVED), d
        assert_no_network_text(r)
        assert took < FETCH_TIMEOUT_S + 1
        log = verifier["srv"].log_text()
        line = next(l for l in log.splitlines()
                    if f"fetch http://{verifier['refused']}/.well-known/did.json" in l)
        assert "onnect" in line, line
    finally:
        ok.run("trust", "remove", issuer, check=True)


# Item 7: a VC-API key signs credentials, nothing of the depository's own.


def test_vc_api_key_cannot_sign_status_lists_or_status_entries(verifier):
    ok, srv = verifier["ok"], verifier["srv"]
    out = ok.run("apikey", "add", "--permit", "vc-issue", check=True).stdout
    key = re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)
    did = ok.run("identity", check=True).stdout.splitlines()[0]
    url = f"http://127.0.0.1:{srv.port}/status/revocation/1"

    def issued():
        return db_scalar(ok.data, "SELECT count(*) FROM audit_event WHERE action = "
                         "'credential.issue'")

    before = issued()
    refused = {
        "status list": credential(did, type=["VerifiableCredential",
                                               "BitstringStatusListCredential"],
                                  credentialSubject={"type": "BitstringStatusList",
                                                     "statusPurpose": "revocation",
                                                     "encodedList": "uH4sIAAAAAAAAA"}),
        "status list type alone": credential(did, type="BitstringStatusListCredential"),
        "list subject": credential(did, credentialSubject={"type": ["BitstringStatusList"]}),
        "trust list": credential(did, type=["VerifiableCredential", "TrustListCredential"]),
        "status entry": credential(did, credentialStatus=status_entry(url)),
        "empty status": credential(did, credentialStatus=[]),
    }
    for what, vc in refused.items():
        r = srv.post("/credentials/issue", {"credential": vc}, key=key)
        doc = problem(r, 400, "invalid-input")
        # Without VerifiableCredential among its types it is no credential at all (rule type.vc).
        assert ("reserved" in doc["detail"] or "credentialStatus" in doc["detail"]
                or doc.get("rule") == "type.vc"), (what, doc)
    assert issued() == before
    r = srv.post("/credentials/issue", {"credential": credential(did)}, key=key)
    assert r.status == 201, r
    assert issued() == before + 1


# Item 12: proof times, one URL per status list.


def test_proof_times(verifier):
    ok = verifier["ok"]
    did = ok.run("identity", check=True).stdout.splitlines()[0]
    now = time.time()

    def stamp(offset):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + offset))

    cases = [
        ({"expires": stamp(-60)}, "expired"),
        ({"expires": "2020-01-01T00:00:00Z"}, "expired"),
        ({"expires": "soon"}, "not a date"),
        ({"created": stamp(3600)}, "future"),
        ({"created": stamp(10 * 60)}, "future"),
    ]
    for proof, words in cases:
        vc = signing.sign(ok, credential(did), **proof)
        r, _ = verify(verifier, vc)
        d = details(r)
        assert not d["proof"]["passed"] and words in d["proof"]["message"], (proof, d)
    for proof in ({"expires": stamp(3600)}, {"created": stamp(60)}, {}):
        vc = signing.sign(ok, credential(did), **proof)
        r, _ = verify(verifier, vc)
        assert r.json()["verified"] is True, (proof, r.json())
    # The same rules for a VC-JOSE token's exp, iat and nbf.
    for claims, words in (({"exp": int(now) - 60}, "expired"),
                          ({"iat": int(now) + 3600}, "future"),
                          ({"nbf": int(now) + 3600}, "future"),
                          ({"exp": "tomorrow"}, "not a number")):
        r, _ = verify(verifier, signing.sign_jwt(ok, {**credential(did), **claims}))
        d = details(r)
        assert not d["proof"]["passed"] and words in d["proof"]["message"], (claims, d)
    for claims in ({"exp": int(now) + 3600, "iat": int(now) + 60}, {}):
        r, _ = verify(verifier, signing.sign_jwt(ok, {**credential(did), **claims}))
        assert r.json()["verified"] is True, (claims, r.json())


def test_status_list_has_one_url(verifier):
    srv = verifier["srv"]
    assert srv.get("/status/revocation/1").status == 200
    for path in ("/status/revocation/01", "/status/revocation/001", "/status/revocation/+1",
                 "/status/suspension/01", "/status/revocation/1%20",
                 "/status/revocation/%201"):
        problem(srv.get(path), 404)


class BombHost:
    """Answers /.well-known/did.json with a chosen head and body, on loopback."""

    def __init__(self, headers, body):
        self.hits = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(h):
                hits.append(h.path)
                h.send_response(200)
                for k, v in headers.items():
                    h.send_header(k, v)
                h.end_headers()
                try:
                    h.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(h, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_oversized_answers_are_cut_before_and_after_decompression(binary, tmp_path):
    """A trusted issuer's host that announces 100 MiB, and one that sends a small GZIP body that
    inflates to 64 MiB: both refused by size (256 KiB for a DID document), the detail in the
    log, the client told only that the issuer could not be resolved."""
    bomb = gzip.compress(b" " * (64 << 20))
    hosts = {
        "announced": BombHost({"Content-Type": "application/did+json",
                               "Content-Length": str(100 << 20)}, b"{" + b" " * 1000),
        "inflated": BombHost({"Content-Type": "application/did+json",
                              "Content-Encoding": "gzip",
                              "Content-Length": str(len(bomb))}, bomb),
    }
    ok = Oorkonde(binary, tmp_path / "verifier")
    ok.init()
    config = ok.data / "config.json"
    cfg = json.loads(config.read_text())
    cfg["did_web_http_hosts"] = [h.host for h in hosts.values()]
    config.write_text(json.dumps(cfg))
    for name, h in hosts.items():
        ok.run("trust", "add", did_web(h.host), "--name", name, "--country", "BE", check=True)
    srv = Server(ok, "--threads", "2", "--rate-limit", "0", name="bombs").start()
    try:
        for name, h in hosts.items():
            r = srv.post("/credentials/verify",
                         {"verifiableCredential": unsigned_web_credential(did_web(h.host))})
            d = details(r)
            assert d["proof"]["message"].endswith(NOT_RESOLVED), (name, d)
            assert_no_network_text(r)
            assert "larger than" not in r.body.decode()
            assert h.hits == ["/.well-known/did.json"], (name, h.hits)
            line = next(l for l in srv.log_text().splitlines()
                        if f"fetch http://{h.host}/.well-known/did.json" in l)
            assert "larger than" in line, (name, line)
        assert srv.get("/healthz").status == 200
    finally:
        srv.stop()
        for h in hosts.values():
            h.close()
