"""Revocation and suspension end to end (W3C Bitstring Status List v1.0): `oorkonde revoke |
suspend | reinstate` and the registrar API with their rules, `GET /status/{purpose}/{n}` decoded
here (base64url + GZIP, index 0 = left-most bit) with its ETag, 304 and Cache-Control, and the
status check of `oorkonde verify` against another depository's lists over HTTP: valid, revoked,
suspended, and every way a remote list can be unusable (tampered, signed by someone else, not a
list, the wrong purpose, too short, a GZIP bomb, an HTTP error, a server that is down), which
must fail the check with "could not be retrieved", never pass.

The depository under test (`dep`) has a did:key identity and `base_url` set to its server's
http://127.0.0.1:PORT, so its credentials point at lists a verifier in another data folder
(`verifier`) can fetch. Lists with chosen contents are signed by the depository's own VC-API
issue endpoint and served, tampered or not, from a Python http.server on loopback (`lists`).
"""
import base64
import gzip
import http.server
import json
import pathlib
import re
import socket
import threading

import pytest

import signing
from helpers.base import SANITIZED, Oorkonde, make_row, write_csv
from helpers.server import Server, problem
from helpers import store

NID = "123456782"
ROWS = 24
TTL = 120
LIST_BITS = 131072
VC_V2 = "https://www.w3.org/ns/credentials/v2"
NOT_RETRIEVED = "status could not be retrieved"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode_list(vc):
    """The bits of a BitstringStatusListCredential, decoded as the specification says."""
    encoded = vc["credentialSubject"]["encodedList"]
    assert encoded[0] == "u", encoded[:10]
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert raw[:2] == b"\x1f\x8b", "not GZIP"
    return gzip.decompress(raw)


def encode_list(bits):
    return "u" + b64url(gzip.compress(bytes(bits)))


def bit(bits, index):
    return (bits[index // 8] >> (7 - index % 8)) & 1


def set_bits(bits):
    return [i for i in range(len(bits) * 8) if bits[i // 8] and bit(bits, i)]


def entries(vc):
    """{purpose: (index, url)} of a credential's BitstringStatusListEntry items."""
    out = {}
    for e in vc["credentialStatus"]:
        assert e["type"] == "BitstringStatusListEntry"
        out[e["statusPurpose"]] = (int(e["statusListIndex"]), e["statusListCredential"])
    return out


def verify(ok, vc, *options):
    """oorkonde verify --json on a credential (dict); returns (exit status, result, status
    detail message)."""
    path = pathlib.Path(ok.data).parent / f"vc-{next(_count)}.json"
    path.write_text(json.dumps(vc), encoding="utf-8")
    proc = ok.run("verify", path, "--json", *options)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    [status] = [d for d in result["details"] if d["check"] == "status"]
    assert result["verified"] == (proc.returncode == 0), result
    return proc.returncode, result, status["message"]


_count = iter(range(1, 1 << 30))


class Depository:
    """A data folder (did:key) with one institution, ROWS achievements of one learner, base_url
    set to http://127.0.0.1:PORT, a vc-issue key, and (once started) its server on PORT."""

    def __init__(self, binary, path, ttl=TTL, rows=ROWS, code="21XX"):
        self.ok = Oorkonde(binary, path / "data")
        self.ok.init()
        self.key = self.ok.add_institution(code=code)
        out = self.ok.run("apikey", "add", "--permit", "vc-issue", check=True).stdout
        self.vc_key = re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = pathlib.Path(self.ok.data) / "config.json"
        cfg = json.loads(config.read_text())
        cfg["base_url"] = self.base
        cfg["status_ttl_s"] = ttl
        config.write_text(json.dumps(cfg))
        csv = write_csv(path / "rows.csv", [make_row(record_id=f"R-{i}", title=f"Course {i}")
                                            for i in range(rows)])
        proc = self.ok.import_csv(csv, "--strict", institution=code)
        assert proc.returncode == 0, proc.stderr
        self.records = [a["id"] for a in self.ok.achievements_json(NID)]
        assert len(self.records) == rows
        self.did = self.ok.run("identity", check=True).stdout.splitlines()[0].strip()
        self.srv = None

    def start(self):
        self.srv = Server(self.ok, "--listen", f"127.0.0.1:{self.port}", "--rate-limit", 0,
                          name="status").start()
        assert self.srv.port == self.port
        return self

    def take(self):
        """An achievement no other test has touched."""
        return self.records.pop()

    def issue(self, achievement_id):
        return json.loads(self.ok.run("issue", achievement_id, check=True).stdout)

    def sign(self, credential):
        """Signs any credential in this depository's name with its issuer key (the VC-API
        endpoint refuses status lists and status entries)."""
        return signing.sign(self.ok, credential)

    def signed_list(self, url, purpose, encoded):
        return self.sign({
            "@context": [VC_V2], "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.did,
            "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                                  "statusPurpose": purpose, "encodedList": encoded}})

    def status_list(self, purpose="revocation", n=1, **kw):
        r = self.srv.get(f"/status/{purpose}/{n}", **kw)
        assert r.status in (200, 304), r
        return r


@pytest.fixture(scope="module")
def dep(binary, tmp_path_factory):
    d = Depository(binary, tmp_path_factory.mktemp("status-dep")).start()
    try:
        yield d
    finally:
        d.srv.stop()


@pytest.fixture(scope="module")
def other(binary, tmp_path_factory):
    """Another depository with a server: its signature is the wrong one on dep's lists."""
    d = Depository(binary, tmp_path_factory.mktemp("status-other"), rows=1).start()
    try:
        yield d
    finally:
        d.srv.stop()


@pytest.fixture(scope="module")
def verifier(binary, tmp_path_factory):
    """A third data folder that only verifies (the issuers are not on its trust list:
    --any-issuer)."""
    ok = Oorkonde(binary, tmp_path_factory.mktemp("status-verifier") / "data")
    ok.init()
    return ok


class ListServer:
    """Serves chosen answers on loopback: routes[path] = (status, headers, body bytes)."""

    def __init__(self):
        routes = self.routes = {}
        self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(h):
                self.hits.append(h.path)
                status, headers, body = routes.get(h.path, (404, {}, b"not here"))
                h.send_response(status)
                for k, v in headers.items():
                    h.send_header(k, v)
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body)

            def log_message(h, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path, body, status=200, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.routes[path] = (status, headers if headers is not None else
                             {"Content-Type": "application/vc",
                              "Cache-Control": "max-age=60"}, body)
        return self.base + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def lists():
    s = ListServer()
    try:
        yield s
    finally:
        s.close()


# The CLI


def test_revoke_makes_verify_say_revoked(dep):
    a = dep.take()
    vc = dep.issue(a)
    assert set(entries(vc)) == {"revocation", "suspension"}
    status, _, msg = verify(dep.ok, vc)
    assert status == 0, msg
    proc = dep.ok.run("revoke", a, "--reason", "obtained by fraud")
    assert proc.returncode == 0, proc.stderr
    assert "revoked" in proc.stdout
    status, result, msg = verify(dep.ok, vc)
    assert status == 1
    assert "revoked" in msg
    assert any(e.get("check") == "status" for e in result["errors"]), result
    # The plain-text report says so too.
    path = pathlib.Path(dep.ok.data).parent / "revoked.json"
    path.write_text(json.dumps(vc))
    proc = dep.ok.run("verify", path)
    assert proc.returncode == 1
    assert re.search(r"FAIL\s+status\s+.*revoked", proc.stdout), proc.stdout
    assert "NOT VALID" in proc.stdout
    # Other checks still pass: only the status fails.
    assert set(result["checks"]) == {"proof", "validity", "issuer"}


def test_suspend_then_reinstate_is_valid_again(dep):
    a = dep.take()
    vc = dep.issue(a)
    dep.ok.run("suspend", a, "--reason", "under investigation", check=True)
    status, _, msg = verify(dep.ok, vc)
    assert status == 1 and "suspended" in msg, msg
    proc = dep.ok.run("suspend", a, "--reason", "twice")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "already suspended" in proc.stderr
    dep.ok.run("reinstate", a, "--reason", "cleared", check=True)
    status, _, msg = verify(dep.ok, vc)
    assert status == 0, msg
    [rec] = [r for r in dep.ok.achievements_json(NID) if r["id"] == a]
    assert rec["status"] == "active"


def test_reinstating_a_revoked_one_is_refused(dep):
    a = dep.take()
    vc = dep.issue(a)
    dep.ok.run("revoke", a, "--reason", "registered in error", check=True)
    for action in ("reinstate", "suspend", "revoke"):
        proc = dep.ok.run(action, a, "--reason", "try")
        assert proc.returncode == 1, (action, proc.stdout, proc.stderr)
        assert "final" in proc.stderr, proc.stderr
    assert verify(dep.ok, vc)[0] == 1
    [rec] = [r for r in dep.ok.achievements_json(NID) if r["id"] == a]
    assert rec["status"] == "revoked"


def test_history_keeps_who_when_why(dep):
    a = dep.take()
    dep.ok.run("suspend", a, "--reason", "why one", check=True)
    dep.ok.run("reinstate", a, "--reason", "why two", check=True)
    dep.ok.run("revoke", a, "--reason", "why three", check=True)
    with store.connect(dep.ok.data, readonly=True) as conn:
        rows = conn.execute("SELECT version, status, reason, actor, changed_ms FROM "
                            "achievement_history WHERE achievement_id = ? ORDER BY version",
                            (a,)).fetchall()
        audit = conn.execute("SELECT action FROM audit_event WHERE subject = ? ORDER BY seq",
                             (a,)).fetchall()
    assert [(v, s, why, who) for v, s, why, who, _ in rows] == [
        (1, "active", "why one", "operator"), (2, "suspended", "why two", "operator"),
        (3, "active", "why three", "operator")]
    assert all(ms > 1_600_000_000_000 for *_, ms in rows)
    assert [x for (x,) in audit][-3:] == ["achievement.suspend", "achievement.reinstate",
                                          "achievement.revoke"]


def test_cli_usage_errors(dep):
    a = dep.records[0]
    proc = dep.ok.run("revoke", a)
    assert proc.returncode == 2 and "--reason" in proc.stderr
    proc = dep.ok.run("revoke", "0" * len(a), "--reason", "x")
    assert proc.returncode == 1, proc.stderr
    proc = dep.ok.run("revoke", a, "--reason", "")
    assert proc.returncode == 2, proc.stderr
    proc = dep.ok.run("revoke", a, "--reason", "x" * 201)
    assert proc.returncode == 2, proc.stderr
    [rec] = [r for r in dep.ok.achievements_json(NID) if r["id"] == a]
    assert rec["status"] == "active"


# The registrar API


def test_http_revoke_suspend_reinstate(dep):
    a, b = dep.take(), dep.take()
    path = f"/v1/achievements/{a}"
    r = dep.srv.post(path + "/suspend", {"reason": "check"}, key=dep.key)
    assert r.status == 200, r
    assert r.json()["status"] == "suspended" and r.json()["id"] == a
    problem(dep.srv.post(path + "/suspend", {"reason": "again"}, key=dep.key), 409)
    r = dep.srv.post(path + "/reinstate", {"reason": "cleared"}, key=dep.key)
    assert r.status == 200 and r.json()["status"] == "active", r
    problem(dep.srv.post(path + "/reinstate", {"reason": "again"}, key=dep.key), 409)
    r = dep.srv.post(path + "/revoke", {"reason": "fraud"}, key=dep.key)
    assert r.status == 200 and r.json()["status"] == "revoked", r
    doc = problem(dep.srv.post(path + "/reinstate", {"reason": "undo"}, key=dep.key), 409)
    assert "final" in doc["detail"]
    problem(dep.srv.post(path + "/suspend", {"reason": "x"}, key=dep.key), 409)
    assert dep.srv.get(path, key=dep.key).json()["status"] == "revoked"
    # The actor is the key's institution and key.
    with store.connect(dep.ok.data, readonly=True) as conn:
        actors = conn.execute("SELECT actor, reason FROM achievement_history WHERE "
                              "achievement_id = ? ORDER BY version", (a,)).fetchall()
    assert [why for _, why in actors] == ["check", "cleared", "fraud"]
    assert all(who.startswith("institution:21XX/key:") for who, _ in actors), actors
    # Bad requests change nothing.
    bpath = f"/v1/achievements/{b}"
    problem(dep.srv.post(bpath + "/revoke", {}, key=dep.key), 400)
    problem(dep.srv.post(bpath + "/revoke", {"reason": ""}, key=dep.key), 400)
    problem(dep.srv.post(bpath + "/revoke", {"reason": 5}, key=dep.key), 400)
    problem(dep.srv.post(bpath + "/revoke", "not json", key=dep.key,
                         ctype="application/json"), 400)
    assert dep.srv.post(bpath + "/delete", {"reason": "x"}, key=dep.key).status in (404, 405)
    assert dep.srv.post(bpath + "/revoke", {"reason": "x"}).status == 401
    assert dep.srv.post(bpath + "/revoke", {"reason": "x"}, key=dep.vc_key).status == 403
    out = dep.ok.run("apikey", "add", "--institution", "21XX", "--permit", "read", check=True).stdout
    reader = re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)
    problem(dep.srv.post(bpath + "/revoke", {"reason": "x"}, key=reader), 403)
    problem(dep.srv.post("/v1/achievements/" + "0" * len(b) + "/revoke", {"reason": "x"},
                         key=dep.key), 404)
    assert dep.srv.get(bpath, key=dep.key).json()["status"] == "active"


def test_http_other_institution_cannot_revoke(dep):
    a = dep.records[0]
    key = dep.ok.add_institution(code="22YY", name="Other school")
    seen = dep.srv.post(f"/v1/achievements/{a}/revoke", {"reason": "x"}, key=key)
    absent = dep.srv.post("/v1/achievements/" + "0" * len(a) + "/revoke", {"reason": "x"},
                          key=key)
    problem(seen, 404)
    assert (seen.status, seen.body) == (absent.status, absent.body)
    assert dep.srv.get(f"/v1/achievements/{a}", key=dep.key).json()["status"] == "active"


# The status lists over HTTP


def test_status_list_decodes_with_the_right_bits(dep):
    a, s = dep.take(), dep.take()
    va, vs = dep.issue(a), dep.issue(s)
    ia, url = entries(va)["revocation"]
    i_s, surl = entries(vs)["suspension"]
    assert url == f"{dep.base}/status/revocation/1"
    assert surl == f"{dep.base}/status/suspension/1"
    assert entries(va)["suspension"][0] == ia  # one slot, used in both lists
    assert 0 <= ia < LIST_BITS
    before = dep.status_list()
    assert not bit(decode_list(before.json()), ia)
    dep.ok.run("revoke", a, "--reason", "fraud", check=True)
    dep.ok.run("suspend", s, "--reason", "check", check=True)
    r = dep.status_list()
    assert r.status == 200
    assert r.ctype == "application/json", r.ctype  # without Accept (test_media_types.py)
    vc = r.json()
    assert vc["id"] == url
    assert "BitstringStatusListCredential" in vc["type"]
    assert vc["issuer"] == dep.did
    assert vc["credentialSubject"]["type"] == "BitstringStatusList"
    assert vc["credentialSubject"]["statusPurpose"] == "revocation"
    assert vc["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    bits = decode_list(vc)
    assert len(bits) * 8 == LIST_BITS
    # Index i is the bit 0x80 >> (i % 8) of byte i // 8.
    assert bits[ia // 8] & (0x80 >> (ia % 8))
    assert not bit(bits, i_s)
    sbits = decode_list(dep.status_list("suspension").json())
    assert len(sbits) * 8 == LIST_BITS
    assert bit(sbits, i_s) and not bit(sbits, ia)
    # Every set bit is a revoked achievement of this depository.
    with store.connect(dep.ok.data, readonly=True) as conn:
        revoked = {i for (i,) in conn.execute(
            "SELECT status_index FROM achievement WHERE status = 'revoked' AND status_list = 1")}
        suspended = {i for (i,) in conn.execute(
            "SELECT status_index FROM achievement WHERE status = 'suspended' AND "
            "status_list = 1")}
    assert set(set_bits(bits)) == revoked
    assert set(set_bits(sbits)) == suspended


def test_etag_304_and_cache_control(dep):
    r1 = dep.status_list()
    etag = r1.headers["etag"]
    assert re.fullmatch(r'(W/)?"[^"]+"', etag), etag
    cc = r1.headers.get("cache-control", "")
    assert re.search(rf"\bmax-age={TTL}\b", cc), cc
    # Unchanged: the same ETag and the same bytes (not signed again).
    r2 = dep.status_list()
    assert r2.headers["etag"] == etag and r2.body == r1.body
    r = dep.status_list(headers={"If-None-Match": etag})
    assert r.status == 304, r
    assert r.body == b""
    assert r.headers["etag"] == etag
    r = dep.status_list(headers={"If-None-Match": '"something-else"'})
    assert r.status == 200 and r.body == r1.body
    # A list of ETags, and a weak comparison (RFC 9110: If-None-Match compares weakly).
    assert dep.status_list(headers={"If-None-Match": f'"x", {etag}'}).status == 304
    assert dep.status_list(headers={"If-None-Match": f"W/{etag}"}).status == 304
    # HEAD: the headers of GET, no body.
    r = dep.srv.request("HEAD", "/status/revocation/1")
    assert r.status == 200 and r.headers["etag"] == etag and r.body == b"", r
    # A revocation: another ETag, and the old one gets the full list.
    a = dep.take()
    i = entries(dep.issue(a))["revocation"][0]
    dep.ok.run("revoke", a, "--reason", "fraud", check=True)
    r = dep.status_list(headers={"If-None-Match": etag})
    assert r.status == 200, r
    assert r.headers["etag"] != etag
    assert bit(decode_list(r.json()), i)
    assert dep.status_list(headers={"If-None-Match": r.headers["etag"]}).status == 304
    # A refused change changes nothing.
    assert dep.ok.run("reinstate", a, "--reason", "x").returncode == 1
    assert dep.status_list().headers["etag"] == r.headers["etag"]


def test_unknown_status_lists_are_404(dep):
    for path in ("/status/revocation/2", "/status/revocation/0", "/status/revocation/-1",
                 "/status/revocation/x", "/status/message/1", "/status/revocation/1x",
                 "/status/revocation/99999999999999999999"):
        r = dep.srv.get(path)
        problem(r, 404)


def test_verify_endpoint_runs_the_status_check(dep):
    a = dep.take()
    vc = dep.issue(a)
    r = dep.srv.post("/credentials/verify", {"verifiableCredential": vc})
    assert r.status == 200 and r.json()["verified"] is True, r
    dep.srv.post(f"/v1/achievements/{a}/revoke", {"reason": "fraud"}, key=dep.key)
    r = dep.srv.post("/credentials/verify", {"verifiableCredential": vc})
    result = r.json()
    assert result["verified"] is False, result
    assert [e["check"] for e in result["errors"]] == ["status"], result
    assert "revoked" in result["errors"][0]["detail"]


# Another depository's lists, fetched over HTTP by a verifier in a third data folder


def test_remote_valid_then_revoked(dep, verifier):
    a, s = dep.take(), dep.take()
    va, vs = dep.issue(a), dep.issue(s)
    status, _, msg = verify(verifier, va, "--any-issuer")
    assert status == 0, msg
    assert "checked against" in msg
    proc = verifier.run("verify", "-", "--any-issuer", input=json.dumps(va))
    assert proc.returncode == 0, proc.stdout
    r = dep.srv.post(f"/v1/achievements/{a}/revoke", {"reason": "fraud"}, key=dep.key)
    assert r.status == 200, r
    status, _, msg = verify(verifier, va, "--any-issuer")
    assert status == 1 and "revoked" in msg, msg
    # Suspended, then reinstated: valid again.
    dep.srv.post(f"/v1/achievements/{s}/suspend", {"reason": "check"}, key=dep.key)
    status, _, msg = verify(verifier, vs, "--any-issuer")
    assert status == 1 and "suspended" in msg, msg
    dep.srv.post(f"/v1/achievements/{s}/reinstate", {"reason": "ok"}, key=dep.key)
    status, _, msg = verify(verifier, vs, "--any-issuer")
    assert status == 0, msg
    # On the verifier's trust list, without --any-issuer.
    verifier.run("trust", "add", dep.did, "--name", "Dep", "--country", "NL", check=True)
    status, _, msg = verify(verifier, vs)
    assert status == 0, msg
    assert verify(verifier, va)[0] == 1


def test_remote_list_altered_in_transit(dep, verifier, lists):
    """A proxy that passes the real list, or flips the credential's bit in it."""
    a = dep.take()
    index = entries(dep.issue(a))["revocation"][0]
    real = dep.status_list().json()
    url = lists.serve("/proxy/revocation/1", real)
    cred = dep.sign({
        "@context": [VC_V2], "type": ["VerifiableCredential"], "issuer": dep.did,
        "credentialSubject": {"id": "did:example:learner"},
        "credentialStatus": [{"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
                              "statusPurpose": "revocation", "statusListIndex": str(index),
                              "statusListCredential": url}]})
    status, _, msg = verify(verifier, cred, "--any-issuer")
    assert status == 0, msg
    # The credential's bit set by someone without the key: the proof breaks.
    bits = bytearray(decode_list(real))
    bits[index // 8] |= 0x80 >> (index % 8)
    tampered = json.loads(json.dumps(real))
    tampered["credentialSubject"]["encodedList"] = encode_list(bits)
    lists.serve("/proxy/revocation/1", tampered)
    status, _, msg = verify(verifier, cred, "--any-issuer")
    assert status == 1 and NOT_RETRIEVED in msg, msg
    # The same bit cleared on a revoked one: no way to un-revoke.
    dep.ok.run("revoke", a, "--reason", "fraud", check=True)
    real = dep.status_list().json()
    lists.serve("/proxy/revocation/1", real)
    status, _, msg = verify(verifier, cred, "--any-issuer")
    assert status == 1 and "revoked" in msg, msg
    bits = bytearray(decode_list(real))
    bits[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF
    tampered = json.loads(json.dumps(real))
    tampered["credentialSubject"]["encodedList"] = encode_list(bits)
    lists.serve("/proxy/revocation/1", tampered)
    status, _, msg = verify(verifier, cred, "--any-issuer")
    assert status == 1 and NOT_RETRIEVED in msg, msg
    # The proof removed.
    del tampered["proof"]
    lists.serve("/proxy/revocation/1", tampered)
    status, _, msg = verify(verifier, cred, "--any-issuer")
    assert status == 1 and NOT_RETRIEVED in msg, msg


def make_credential(dep, url, index, purpose="revocation"):
    return dep.sign({
        "@context": [VC_V2], "type": ["VerifiableCredential"], "issuer": dep.did,
        "credentialSubject": {"id": "did:example:learner"},
        "credentialStatus": [{"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
                              "statusPurpose": purpose, "statusListIndex": str(index),
                              "statusListCredential": url}]})


EMPTY = bytes(LIST_BITS // 8)


def with_bit(index):
    bits = bytearray(EMPTY)
    bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def test_remote_lists_signed_by_the_issuer(dep, verifier, lists):
    """Lists the issuer signed itself (through its VC-API issue endpoint): the bit decides;
    a list that is not a usable list fails the check."""
    index = 77777
    url = lists.base + "/signed/revocation/1"
    cred = make_credential(dep, url, index)

    def check(vc_list, **kw):
        lists.serve("/signed/revocation/1", vc_list, **kw)
        return verify(verifier, cred, "--any-issuer")

    status, _, msg = check(dep.signed_list(url, "revocation", encode_list(EMPTY)))
    assert status == 0, msg
    status, _, msg = check(dep.signed_list(url, "revocation", encode_list(with_bit(index))))
    assert status == 1 and "revoked" in msg, msg
    # Neighbouring bits say nothing about this one (bit order: index 0 = left-most bit).
    status, _, msg = check(dep.signed_list(url, "revocation",
                                           encode_list(with_bit(index ^ 7))))
    assert status == 0, msg
    bad = {
        "not GZIP": "u" + b64url(EMPTY[:64]),
        "zlib, not GZIP": "u" + b64url(__import__("zlib").compress(EMPTY)),
        "base58btc": "z" + "1" * 40,
        "not base64url": "uH4sI+/+/",
        "empty": "",
        "truncated GZIP": encode_list(EMPTY)[:30],
        "too short for the index": encode_list(bytes(16)),
        # The specification: the uncompressed bitstring MUST be at least 16 KiB.
        "shorter than 131,072 entries": encode_list(bytes(LIST_BITS // 8 - 1)),
        "a GZIP bomb": "u" + b64url(gzip.compress(bytes(32 << 20))),
    }
    for what, encoded in bad.items():
        status, _, msg = check(dep.signed_list(url, "revocation", encoded))
        assert status == 1, (what, msg)
        assert NOT_RETRIEVED in msg, (what, msg)
    # A suspension list where a revocation list is expected.
    status, _, msg = check(dep.signed_list(url, "suspension", encode_list(EMPTY)))
    assert status == 1 and NOT_RETRIEVED in msg, msg


def test_remote_list_no_cache_still_counts(dep, verifier, lists):
    """A list server may forbid caching (Cache-Control: no-cache, max-age=0; status_ttl_s 0 is
    a valid configuration): the list that was fetched and verified still decides."""
    index = 4242
    url = lists.base + "/nocache/revocation/1"
    cred = make_credential(dep, url, index)
    for cc in ("no-cache", "max-age=0", "no-store"):
        lists.serve("/nocache/revocation/1",
                    dep.signed_list(url, "revocation", encode_list(EMPTY)),
                    headers={"Content-Type": "application/vc", "Cache-Control": cc})
        status, _, msg = verify(verifier, cred, "--any-issuer")
        assert status == 0, (cc, msg)
        lists.serve("/nocache/revocation/1",
                    dep.signed_list(url, "revocation", encode_list(with_bit(index))),
                    headers={"Content-Type": "application/vc", "Cache-Control": cc})
        status, _, msg = verify(verifier, cred, "--any-issuer")
        assert status == 1 and "revoked" in msg, (cc, msg)


def test_remote_list_signed_by_someone_else(dep, other, verifier, lists):
    index = 1234
    url = lists.base + "/wrong/revocation/1"
    cred = make_credential(dep, url, index)
    # The other depository's own list (its issuer, its key).
    lists.serve("/wrong/revocation/1", other.signed_list(url, "revocation", encode_list(EMPTY)))
    status, _, msg = verify(verifier, cred, "--any-issuer")
    assert status == 1 and NOT_RETRIEVED in msg, msg
    # Claims dep as its issuer, signed with the other key.
    forged = other.sign({
        "@context": [VC_V2], "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": other.did,
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encode_list(EMPTY)}})
    forged["issuer"] = dep.did
    lists.serve("/wrong/revocation/1", forged)
    status, _, msg = verify(verifier, cred, "--any-issuer")
    assert status == 1 and NOT_RETRIEVED in msg, msg
    # The verification method of dep, the signature of the other.
    real = dep.signed_list(url, "revocation", encode_list(EMPTY))
    mixed = json.loads(json.dumps(real))
    mixed["proof"]["proofValue"] = forged["proof"]["proofValue"]
    lists.serve("/wrong/revocation/1", mixed)
    status, _, msg = verify(verifier, cred, "--any-issuer")
    assert status == 1 and NOT_RETRIEVED in msg, msg
    # And the real one passes (the setup is right).
    lists.serve("/wrong/revocation/1", real)
    assert verify(verifier, cred, "--any-issuer")[0] == 0


def test_remote_list_not_a_list(dep, verifier, lists):
    index = 99
    url = lists.base + "/junk/revocation/1"
    cred = make_credential(dep, url, index)
    plain = dep.sign({"@context": [VC_V2], "type": ["VerifiableCredential"], "issuer": dep.did,
                      "credentialSubject": {"id": "did:example:x"}})
    answers = [
        (500, None, b"oops"), (404, None, b"gone"), (200, None, b"not json"),
        (200, None, b""), (200, None, b"[]"), (200, None, json.dumps(plain).encode()),
        (302, {"Location": lists.base + "/signed/revocation/1"}, b""),
    ]
    for status_code, headers, body in answers:
        lists.serve("/junk/revocation/1", body, status=status_code, headers=headers)
        status, _, msg = verify(verifier, cred, "--any-issuer")
        assert status == 1, (status_code, body[:40], msg)
        assert NOT_RETRIEVED in msg, (status_code, body[:40], msg)


def test_remote_server_down(binary, tmp_path, verifier):
    """A depository whose server is not running: its credentials cannot be checked, so they
    are not valid."""
    down = Depository(binary, tmp_path, rows=1)
    vc = down.issue(down.take())
    assert entries(vc)["revocation"][1].startswith(down.base)
    status, result, msg = verify(verifier, vc, "--any-issuer")
    assert status == 1, msg
    assert NOT_RETRIEVED in msg
    assert result["verified"] is False
    # --checks without status skips it (the user's explicit choice).
    path = tmp_path / "down.json"
    path.write_text(json.dumps(vc))
    proc = verifier.run("verify", path, "--any-issuer", "--checks", "proof,validity,issuer")
    assert proc.returncode == 0, proc.stdout


def test_own_list_does_not_speak_for_another_issuer(dep, other):
    """A credential of another issuer whose status entry points at this depository's list: the
    list is not the issuer's (the specification requires the same issuer), so this depository's
    bits say nothing about it, revoked or not."""
    a = dep.take()
    index, url = entries(dep.issue(a))["revocation"]
    dep.ok.run("revoke", a, "--reason", "fraud", check=True)
    free = next(i for i in range(LIST_BITS)
                if not bit(decode_list(dep.status_list().json()), i) and i != index)
    for i in (index, free):
        foreign = make_credential(other, url, i)
        status, _, msg = verify(dep.ok, foreign, "--any-issuer")
        assert status == 1, msg
        assert "revoked by its issuer" not in msg and "checked against" not in msg, msg
        assert NOT_RETRIEVED in msg, msg
