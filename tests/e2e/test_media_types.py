"""End-to-end tests of content negotiation (docs/api.md, "Media types"): status lists,
credentials and the DID document come as application/vc (application/did+json) when the client
names it, as JSON when it asks for JSON, sends no Accept or a wildcard, and as JSON too for an
Accept that names neither (never 406); every answer says `Vary: Accept`. Requests are made with
curl itself where the header it sends matters, and with the test client otherwise."""
import json
import subprocess

import pytest

VC = "application/vc"
JSON = "application/json"


def curl(srv, path, *headers):
    """(status, headers {lower name: value}, body) of curl's GET, with its own default Accept
    (*/*) unless headers set one."""
    args = ["curl", "-s", "-D", "-", f"http://127.0.0.1:{srv.port}{path}"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args, capture_output=True, check=True, timeout=60).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        hdrs[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), hdrs, body


# (Accept sent, the type answered) for a document offered as JSON and as its own type T.
CASES = [
    (None, JSON),
    ("*/*", JSON),
    ("application/*", JSON),
    ("T", "T"),
    (JSON, JSON),
    ("T;q=0.5, application/json", JSON),
    ("application/json;q=0.5, T", "T"),
    ("T, application/json", "T"),
    ("*/*;q=0.1, T", "T"),
    ("text/html", JSON),  # nothing matches: the default, not 406
    ("application/vc+ld+json", JSON),
    ("application/json;q=0, */*", "T"),
]


def expect(answer, own):
    return own if answer == "T" else answer


def accept(value, own):
    return None if value is None else value.replace("T", own)


@pytest.mark.parametrize("sent,answered", CASES)
def test_status_list(demo, sent, answered):
    a = accept(sent, VC)
    r = demo.srv.get("/status/revocation/1", headers={"Accept": a} if a else {})
    assert r.status == 200, r
    assert r.ctype == expect(answered, VC), (sent, r.ctype)
    assert r.headers["vary"] == "Accept"
    assert json.loads(r.body)["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]


def test_status_list_same_bytes_and_304_either_way(demo):
    plain = demo.srv.get("/status/suspension/1")
    vc = demo.srv.get("/status/suspension/1", headers={"Accept": VC})
    assert plain.body == vc.body and plain.headers["etag"] == vc.headers["etag"]
    r = demo.srv.get("/status/suspension/1",
                     headers={"Accept": VC, "If-None-Match": vc.headers["etag"]})
    assert r.status == 304 and r.headers["vary"] == "Accept" and r.body == b""
    # Even a list that does not exist varies with Accept.
    r = demo.srv.get("/status/revocation/999", headers={"Accept": VC})
    assert r.status == 404 and r.headers["vary"] == "Accept"


@pytest.mark.parametrize("sent,answered", CASES)
def test_did_document(demo, sent, answered):
    own = "application/did+json"
    a = accept(sent, own)
    r = demo.srv.get("/.well-known/did.json", headers={"Accept": a} if a else {})
    assert r.status == 200, r
    assert r.ctype == expect(answered, own), (sent, r.ctype)
    assert r.headers["vary"] == "Accept"
    assert json.loads(r.body)["id"].startswith("did:web:")


def test_credential_download(demo):
    a = demo.one()
    path = f"/v1/achievements/{a['id']}/credential"

    def get(p, accept_value=None):
        h = {"Accept": accept_value} if accept_value else {}
        return demo.srv.get(p, key=demo.a, purpose="issuance", headers=h)

    for sent, answered in CASES:
        r = get(path, accept(sent, VC))
        assert r.status == 200, r
        assert r.ctype == expect(answered, VC), (sent, r.ctype)
        assert r.headers["vary"] == "Accept"
        assert "proof" in json.loads(r.body)
    # The token: by format, or by Accept when no format is given.
    for p, acc in ((path + "?format=jwt", None), (path, "application/vc+jwt"),
                   (path + "?format=jwt", VC)):
        r = get(p, acc)
        assert r.status == 200 and r.ctype == "application/vc+jwt", (p, acc, r)
        assert r.body.count(b".") == 2
    # format=di wins over an Accept for the token.
    r = get(path + "?format=di", "application/vc+jwt")
    assert r.status == 200 and r.ctype == JSON, r
    r = get(path + "?format=xml", VC)
    assert r.status == 400 and r.headers["vary"] == "Accept", r


def test_with_curl(demo):
    # curl sends Accept: */* by default: JSON, which every JSON client reads.
    status, hdrs, body = curl(demo.srv, "/status/revocation/1")
    assert status == 200 and hdrs["content-type"] == JSON and hdrs["vary"] == "Accept"
    json.loads(body)
    status, hdrs, _ = curl(demo.srv, "/status/revocation/1", f"Accept: {VC}")
    assert status == 200 and hdrs["content-type"] == VC
    status, hdrs, _ = curl(demo.srv, "/.well-known/did.json",
                           "Accept: application/did+json")
    assert status == 200 and hdrs["content-type"] == "application/did+json"
    status, hdrs, _ = curl(demo.srv, "/.well-known/did.json", "Accept:")  # none at all
    assert status == 200 and hdrs["content-type"] == JSON and hdrs["vary"] == "Accept"
