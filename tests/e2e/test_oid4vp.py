"""oorkonde as an OpenID4VP verifier (issue 18), end to end against the real server, with the
wallet played here (Python's cryptography, not oorkonde's code): the signed request object
checked against the wallet certificate, an SD-JWT VC presented with a key-binding JWT to the
request's nonce and client id, the answer posted as a form; the verifier's choices refused
with problem+json, malformed answers with OpenID4VP's error JSON, expired requests, results
deleted after their time, sealed at rest, audited without personal data; the pages."""
import base64
import hashlib
import json
import time
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import re

from helpers.base import INSTITUTION, Oorkonde, db_bytes, db_scalar, make_row, write_csv
from helpers.jose import b64u, es256, jwk_of, unb64u
from helpers.server import Server, problem

HOST = "verifier.example.nl"
NATIONAL_ID = "123456782"
GIVEN, FAMILY = "Wilhelmina", "Zonnebloem-Kraai"


def present(sdjwt, names, holder, nonce, aud):
    """What a wallet sends: the disclosures named (institution's members too), and a KB-JWT."""
    jws, *rest = sdjwt.strip().split("~")
    chosen = [d for d in rest[:-1] if json.loads(unb64u(d))[-2] in names]
    presented = jws + "~" + "".join(d + "~" for d in chosen)
    header = b64u(json.dumps({"alg": "ES256", "typ": "kb+jwt"}).encode())
    payload = b64u(json.dumps({
        "iat": int(time.time()), "aud": aud, "nonce": nonce,
        "sd_hash": b64u(hashlib.sha256(presented.encode()).digest())}).encode())
    return presented + f"{header}.{payload}." + b64u(es256(holder, f"{header}.{payload}".encode()))


ASKED = {"given_name", "family_name", "title", "institution", "name", "eqf_level", "birthdate"}


def key_of(stdout):
    """The key `apikey add` prints once."""
    return re.search(r"\(shown once[^)]*\): (\S+)", stdout).group(1)


def folder(binary, path, **config):
    ok = Oorkonde(binary, path / "data")
    ok.run("init", "--host", HOST, check=True)
    if config:
        cfg_path = path / "data" / "config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg.update(config)
        cfg_path.write_text(json.dumps(cfg))
    ok.add_institution()
    ok.vkey = key_of(ok.run("apikey", "add", "--institution", INSTITUTION, "--permit",
                                  "verify", check=True).stdout)
    row = make_row(record_id="R-1", national_id=NATIONAL_ID, given_names=GIVEN,
                   family_name=FAMILY, kind="degree", title="MSc Hydrology", eqf_level="7",
                   credits="120", grade="8", grading_scheme="1-10")
    assert ok.import_csv(write_csv(path / "rows.csv", [row])).returncode == 0
    ok.achievement = ok.achievements_json(NATIONAL_ID)[0]["id"]
    ok.holder = ec.generate_private_key(ec.SECP256R1())
    (path / "holder.jwk").write_text(json.dumps(jwk_of(ok.holder)))
    ok.credential = ok.run("issue", ok.achievement, "--format", "sd-jwt", "--holder-jwk",
                           path / "holder.jwk", check=True).stdout.strip()
    return ok


@pytest.fixture
def dep(binary, tmp_path, server_on):
    ok = folder(binary, tmp_path)
    ok.srv = server_on(ok, "--rate-limit", 0)
    ok.srv.vkey = ok.vkey
    return ok


def path_of(url):
    return urllib.parse.urlsplit(url).path


def ask(srv, **choices):
    """A request made by software with the verifier's API key (permission verify)."""
    body = {"kinds": ["degree"], "min_eqf_level": 6, "claims": ["birthdate"], **choices}
    r = srv.post("/v1/verifier/requests", body, key=srv.vkey)
    assert r.status == 201, r
    return r.json()


def resolve(srv, made):
    """The wallet's side: the link's request_uri fetched, its signature and client id checked."""
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(made["authorization_request"]).query)
    client_id, request_uri = q["client_id"][0], q["request_uri"][0]
    r = srv.get(path_of(request_uri))
    assert r.status == 200 and r.ctype == "application/oauth-authz-req+jwt", r
    h, p, s = r.body.decode().split(".")
    header, payload = json.loads(unb64u(h)), json.loads(unb64u(p))
    assert header["typ"] == "oauth-authz-req+jwt" and header["alg"] == "ES256"
    leaf, ca = (x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"])
    ca.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes,
                           ec.ECDSA(leaf.signature_hash_algorithm))
    sig = unb64u(s)
    leaf.public_key().verify(encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                                  int.from_bytes(sig[32:], "big")),
                             f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert client_id == payload["client_id"] == f"x509_san_dns:{san.get_values_for_type(x509.DNSName)[0]}"
    assert client_id == f"x509_san_dns:{HOST}"
    return payload


def answer(srv, req, vp_token, state=None):
    body = urllib.parse.urlencode({"vp_token": json.dumps(vp_token),
                                   "state": req["state"] if state is None else state})
    return srv.post(path_of(req["response_uri"]), body,
                    ctype="application/x-www-form-urlencoded")


def outcome(srv, made):
    r = srv.get(path_of(made["status_url"]))
    assert r.status == 200, r
    return r.json()


def test_verified_answer_shows_who_and_what(dep):
    made = ask(dep.srv, label="Werkgever BV")
    req = resolve(dep.srv, made)
    assert req["response_mode"] == "direct_post" and req["response_type"] == "vp_token"
    assert outcome(dep.srv, made)["status"] == "pending"
    p = present(dep.credential, ASKED, dep.holder, req["nonce"], req["client_id"])
    r = answer(dep.srv, req, {"result": [p]})
    assert r.status == 200 and r.json() == {}, r
    o = outcome(dep.srv, made)
    assert o["status"] == "verified" and o["label"] == "Werkgever BV", o
    report = o["result"]["credentials"][0]["report"]
    assert report["holder"]["name"] == f"{GIVEN} {FAMILY}"
    assert report["achievement"]["title"] == "MSc Hydrology"
    # Answered once: a replay is refused and changes nothing.
    again = answer(dep.srv, req, {"result": [p]})
    assert again.status == 400 and again.json()["error"] == "invalid_request", again
    assert "answered" in again.json()["error_description"]
    assert outcome(dep.srv, made)["status"] == "verified"
    # The request, its answer and the reads of the result are audit events without the
    # holder's name; the result is sealed in the store.
    shown = dep.run("audit", "show", check=True).stdout
    for action in ("verifier.request", "verifier.answer", "verifier.result.read"):
        assert action in shown
    assert GIVEN not in shown and FAMILY not in shown
    for name, data in db_bytes(dep.data).items():
        assert GIVEN.encode() not in data and FAMILY.encode() not in data, name


def test_what_was_not_asked_is_not_shown(dep):
    """A wallet may disclose more than the query asks for: the verifier is shown (and the
    sealed result keeps) only what it asked for (review LDP-2, SD-JWT VC alike)."""
    made = ask(dep.srv, claims=[])
    req = resolve(dep.srv, made)
    p = present(dep.credential, ASKED | {"grade", "credits_ects", "birthdate"}, dep.holder,
                req["nonce"], req["client_id"])
    assert answer(dep.srv, req, {"result": [p]}).status == 200
    o = outcome(dep.srv, made)
    assert o["status"] == "verified", o
    report = o["result"]["credentials"][0]["report"]
    assert report["holder"]["name"] == f"{GIVEN} {FAMILY}"
    assert report["holder"]["birth_date"] is None
    assert report["achievement"]["grade"] is None and report["achievement"]["credits"] is None
    made = ask(dep.srv, claims=["birthdate", "grade", "credits_ects"])
    req = resolve(dep.srv, made)
    p = present(dep.credential, ASKED | {"grade", "credits_ects"}, dep.holder, req["nonce"],
                req["client_id"])
    assert answer(dep.srv, req, {"result": [p]}).status == 200
    report = outcome(dep.srv, made)["result"]["credentials"][0]["report"]
    assert report["holder"]["birth_date"] and report["achievement"]["grade"] == "8"
    assert report["achievement"]["credits"] == 120


def test_one_presentation_per_query(dep):
    """DCQL's default is one credential a query: two presentations for it are not an answer
    (invalid_request, nothing recorded); a verifier that asked for several ("multiple") takes
    them, each verified."""
    made = ask(dep.srv)
    req = resolve(dep.srv, made)
    assert "multiple" not in req["dcql_query"]["credentials"][0]
    p = present(dep.credential, ASKED, dep.holder, req["nonce"], req["client_id"])
    r = answer(dep.srv, req, {"result": [p, p]})
    assert r.status == 400 and r.json()["error"] == "invalid_request", r
    assert "more than one presentation" in r.json()["error_description"]
    assert outcome(dep.srv, made)["status"] == "pending"
    assert answer(dep.srv, req, {"result": [p]}).status == 200
    assert outcome(dep.srv, made)["status"] == "verified"
    made = ask(dep.srv, multiple=True)
    req = resolve(dep.srv, made)
    assert req["dcql_query"]["credentials"][0]["multiple"] is True
    p = present(dep.credential, ASKED, dep.holder, req["nonce"], req["client_id"])
    assert answer(dep.srv, req, {"result": [p, p]}).status == 200
    o = outcome(dep.srv, made)
    assert o["status"] == "verified" and len(o["result"]["credentials"]) == 2, o


def test_not_verified_because(dep):
    # Made by the holder's wallet for this request (its key binding verifies): recorded.
    made = ask(dep.srv)
    req = resolve(dep.srv, made)
    p = present(dep.credential, ASKED - {"birthdate"}, dep.holder, req["nonce"], req["client_id"])
    assert answer(dep.srv, req, {"result": [p]}).status == 200
    o = outcome(dep.srv, made)
    assert o["status"] == "not_verified" and "does not disclose birthdate" in \
        o["result"]["reason"], o
    # Not bound to this request by the holder's key: anyone who saw the link could post it,
    # so it is refused with why, and the request stays open (finding s16-3).
    cases = [
        ({"nonce": "other"}, "nonce"),
        ({"aud": "x509_san_dns:evil.example"}, "aud"),
        ({"key": ec.generate_private_key(ec.SECP256R1())}, "holder's key"),
    ]
    for how, why in cases:
        made = ask(dep.srv)
        req = resolve(dep.srv, made)
        p = present(dep.credential, ASKED, how.get("key", dep.holder),
                    how.get("nonce", req["nonce"]), how.get("aud", req["client_id"]))
        r = answer(dep.srv, req, {"result": [p]})
        assert r.status == 400 and why in r.json()["error_description"], (how, r)
        assert outcome(dep.srv, made)["status"] == "pending", how
    # A level below the minimum asked for.
    made = ask(dep.srv, min_eqf_level=8)
    req = resolve(dep.srv, made)
    answer(dep.srv, req, {"result": [present(dep.credential, ASKED, dep.holder, req["nonce"],
                                             req["client_id"])]})
    o = outcome(dep.srv, made)
    assert o["status"] == "not_verified" and "eqf_level" in o["result"]["reason"], o
    # Revoked.
    dep.run("revoke", dep.achievement, "--reason", "test", check=True)
    made = ask(dep.srv)
    req = resolve(dep.srv, made)
    answer(dep.srv, req, {"result": [present(dep.credential, ASKED, dep.holder, req["nonce"],
                                             req["client_id"])]})
    o = outcome(dep.srv, made)
    assert o["status"] == "not_verified" and "revoked" in o["result"]["reason"], o
    # The wallet declines.
    made = ask(dep.srv)
    req = resolve(dep.srv, made)
    r = dep.srv.post(path_of(req["response_uri"]),
                     urllib.parse.urlencode({"error": "access_denied", "state": req["state"]}),
                     ctype="application/x-www-form-urlencoded")
    assert r.status == 200, r
    o = outcome(dep.srv, made)
    assert o["status"] == "not_verified" and "access_denied" in o["result"]["reason"]


@pytest.mark.parametrize("choices,field", [
    ({"kinds": []}, "kinds"),
    ({"kinds": ["phd"]}, "kinds"),
    ({"min_eqf_level": 9}, "min_eqf_level"),
    ({"countries": ["nl"]}, "countries"),
    ({"claims": ["national_id"]}, "claims"),
    ({"label": "a\u202eb"}, "label"),
    ({"label": "x" * 101}, "label"),
    ({"response_mode": "fragment"}, "response_mode"),
    ({"something": 1}, "something"),
])
def test_bad_choices(dep, choices, field):
    body = {"kinds": ["degree"], **choices}
    doc = problem(dep.srv.post("/v1/verifier/requests", body, key=dep.vkey), 400)
    assert field in doc["detail"], doc


def test_malformed_answers_leave_the_request_open(dep):
    made = ask(dep.srv)
    req = resolve(dep.srv, made)
    url = path_of(req["response_uri"])
    form = "application/x-www-form-urlencoded"
    for body in ["vp_token=%7B&state=" + req["state"],                 # not JSON
                 "vp_token=%ZZ&state=" + req["state"],                 # bad escape
                 "vp_token=%00&state=" + req["state"],                 # NUL
                 "state=a&state=b&vp_token=%7B%7D",                    # a field twice
                 "vp_token=" + urllib.parse.quote('{"other":["x~"]}') + "&state=" + req["state"],
                 "vp_token=" + urllib.parse.quote('{"result":[]}') + "&state=" + req["state"],
                 "vp_token=" + urllib.parse.quote('{"result":["x~"]}') + "&state=nope",
                 "state=" + req["state"],                              # nothing to verify
                 "response=a.b.c.d.e&state=" + req["state"]]:          # not a JWE request
        r = dep.srv.post(url, body, ctype=form)
        assert r.status == 400, (body, r)
        doc = r.json()
        assert doc["error"] == "invalid_request" and doc["error_description"], doc
    assert outcome(dep.srv, made)["status"] == "pending"
    # Unknown requests.
    r = dep.srv.post("/oid4vp/requests/nosuchrequest/response", "vp_token=%7B%7D&state=x",
                     ctype=form)
    assert r.status == 400 and r.json()["error"] == "invalid_request"
    r = dep.srv.get("/oid4vp/requests/nosuchrequest")
    assert r.status == 404 and r.json()["error"] == "invalid_request_uri"
    problem(dep.srv.get("/v1/verifier/results/nosuchview"), 404)


def test_expired_request(binary, tmp_path, server_on):
    ok = folder(binary, tmp_path, verifier_request_ttl_s=1)
    srv = server_on(ok, "--rate-limit", 0)
    srv.vkey = ok.vkey
    made = ask(srv)
    req = resolve(srv, made)
    p = present(ok.credential, ASKED, ok.holder, req["nonce"], req["client_id"])
    time.sleep(1.5)
    r = answer(srv, req, {"result": [p]})
    assert r.status == 400 and "expired" in r.json()["error_description"], r
    assert outcome(srv, made)["status"] == "expired"
    assert srv.get(path_of(made["request_uri"])).status == 410


def test_result_deleted_after_its_time(binary, tmp_path, server_on):
    ok = folder(binary, tmp_path, verifier_result_ttl_s=1)
    srv = server_on(ok, "--rate-limit", 0)
    srv.vkey = ok.vkey
    made = ask(srv)
    req = resolve(srv, made)
    answer(srv, req, {"result": [present(ok.credential, ASKED, ok.holder, req["nonce"],
                                          req["client_id"])]})
    assert outcome(srv, made)["status"] == "verified"
    time.sleep(1.5)
    ask(srv)  # each new request deletes what has had its time
    problem(srv.get(path_of(made["status_url"])), 404)


def test_pages(dep):
    r = dep.srv.get("/request?lang=nl")
    assert r.status == 200 and "Een wallet om een diploma vragen" in r.body.decode()
    r = dep.srv.get("/request?lang=en")
    assert r.status == 200 and "Ask a wallet for a diploma" in r.body.decode()
    made = ask(dep.srv)
    r = dep.srv.get(path_of(made["result_url"]))
    page = r.body.decode()
    assert r.status == 200 and "<svg" in page and "openid4vp://?client_id=" in page
    assert r.headers["cache-control"] == "no-store"
    assert dep.srv.get("/request/nosuchview").status == 404


# Review W2: who asks is told to the wallet, and only a registered verifier (an API key
# permitted "verify") may have the depository ask, unless the operator opens the route.


def signed_payload(srv, made):
    r = srv.get(path_of(made["request_uri"]))
    assert r.status == 200, r
    return json.loads(unb64u(r.body.decode().split(".")[1]))


def test_api_requests_need_a_verifier_key(dep):
    body = {"kinds": ["degree"], "requester": "Anyone"}
    r = dep.srv.post("/v1/verifier/requests", body)
    assert problem(r, 401) and r.headers["www-authenticate"].startswith("Bearer"), r
    register_key = dep.run("apikey", "add", "--institution", INSTITUTION, check=True).stdout
    problem(dep.srv.post("/v1/verifier/requests", body, key=key_of(register_key)), 403)
    problem(dep.srv.post("/v1/verifier/requests", body, key="nosuchkey"), 401)
    # With the key: the wallet is shown the stated name and the key's holder.
    made = ask(dep.srv, requester="Werkgever BV")
    name = resolve(dep.srv, made)["client_metadata"]["client_name"]
    assert name == f"Werkgever BV (API key holder {INSTITUTION} at {HOST})", name
    assert outcome(dep.srv, made)["requester"] == name
    # Without a stated name, the key's holder alone.
    name = signed_payload(dep.srv, ask(dep.srv))["client_metadata"]["client_name"]
    assert name == f"{INSTITUTION} (API key holder at {HOST})", name


def test_open_route_names_the_stated_requester_not_verified(binary, tmp_path, server_on):
    ok = folder(binary, tmp_path, verifier_open=True)
    srv = server_on(ok, "--rate-limit", 0)
    doc = problem(srv.post("/v1/verifier/requests", {"kinds": ["degree"]}), 400)
    assert "requester" in doc["detail"], doc
    r = srv.post("/v1/verifier/requests", {"kinds": ["degree"], "requester": "Universiteit X",
                                           "label": "private note"})
    assert r.status == 201, r
    payload = signed_payload(srv, r.json())
    assert payload["client_metadata"]["client_name"] == \
        f"[not verified by {HOST}] Universiteit X", payload
    assert "private note" not in json.dumps(payload)
    # A key, when sent, is still checked.
    problem(srv.post("/v1/verifier/requests", {"kinds": ["degree"], "requester": "X"},
                     key="nosuchkey"), 401)


def test_open_route_anonymous_requests_are_limited(binary, tmp_path, server_on):
    ok = folder(binary, tmp_path, verifier_open=True)
    srv = server_on(ok)  # the default limits: 5 anonymous requests a minute per address
    for i in range(5):
        r = srv.post("/v1/verifier/requests", {"kinds": ["degree"], "requester": f"X{i}"})
        assert r.status == 201, r
    problem(srv.post("/v1/verifier/requests", {"kinds": ["degree"], "requester": "X"}), 429)
    srv.vkey = ok.vkey
    ask(srv)  # with a key: not held to it


def test_bad_config_verifier_open(binary, tmp_path):
    ok = folder(binary, tmp_path)
    cfg_path = tmp_path / "data" / "config.json"
    cfg_path.write_text(json.dumps({**json.loads(cfg_path.read_text()), "verifier_open": "yes"}))
    r = ok.run("audit", "show")
    assert r.returncode != 0 and "verifier_open" in r.stderr, r


def test_page_requests_anonymous_named_and_limited(binary, tmp_path, server_on):
    ok = folder(binary, tmp_path)
    srv = server_on(ok)  # the default limits
    problem(srv.post("/request", {"kinds": ["degree"]}), 400)
    made = None
    for i in range(4):
        r = srv.post("/request", {"kinds": ["degree"], "requester": f"Bureau {i}"})
        assert r.status == 201, r
        made = r.json()
    payload = signed_payload(srv, made)
    assert payload["client_metadata"]["client_name"] == f"[not verified by {HOST}] Bureau 3"
    page = srv.get(path_of(made["result_url"])).body.decode()
    assert f"[not verified by {HOST}] Bureau 3" in page
    # Five a minute from one address (http.verifier_requests_per_minute_per_address).
    r = srv.post("/request", {"kinds": ["degree"], "requester": "Bureau 5"})
    assert r.status == 429 and r.headers.get("retry-after"), r
    # The API with a key is not held to it.
    srv.vkey = ok.vkey
    ask(srv)


FORM = "application/x-www-form-urlencoded"


def test_same_device_view_only_for_a_verified_answer(dep):
    """Review W4: the request object (state and all) is public to whoever saw the link; the
    verifier's result page goes only to an answer whose presentations verify against this
    request, and an error posted by anyone does not close it."""
    made = ask(dep.srv, same_device=True, label="Hiring: J. Jansen, salary scale 11")
    req = resolve(dep.srv, made)
    url = path_of(req["response_uri"])
    r = dep.srv.post(url, urllib.parse.urlencode({"error": "access_denied",
                                                  "state": req["state"]}), ctype=FORM)
    assert r.status == 200 and r.json() == {}, r
    assert outcome(dep.srv, made)["status"] == "pending"
    # The holder's wallet answers after it: verified, and sent back to the result page.
    p = present(dep.credential, ASKED, dep.holder, req["nonce"], req["client_id"])
    r = answer(dep.srv, req, {"result": [p]})
    assert r.status == 200 and r.json() == {"redirect_uri": made["result_url"]}, r
    assert outcome(dep.srv, made)["status"] == "verified"
    # The holder's presentation that does not verify (it leaves out what was asked) is
    # recorded, but its poster is not given the verifier's page.
    made = ask(dep.srv, same_device=True)
    req = resolve(dep.srv, made)
    p = present(dep.credential, ASKED - {"birthdate"}, dep.holder, req["nonce"],
                req["client_id"])
    r = answer(dep.srv, req, {"result": [p]})
    assert r.status == 200 and r.json() == {}, r
    assert outcome(dep.srv, made)["status"] == "not_verified"


def test_jwt_request_takes_nothing_in_the_clear(dep):
    """Review W6: a direct_post.jwt request reads only the JWE (`response`)."""
    made = ask(dep.srv, response_mode="direct_post.jwt")
    req = resolve(dep.srv, made)
    assert req["response_mode"] == "direct_post.jwt"
    url = path_of(req["response_uri"])
    p = present(dep.credential, ASKED, dep.holder, req["nonce"], req["client_id"])
    token = json.dumps({"result": [p]})
    for fields in [{"vp_token": token, "state": req["state"], "error": "x"},
                   {"vp_token": token, "state": req["state"]},
                   {"error": "access_denied", "state": req["state"]},
                   {"response": "a.b.c.d.e", "vp_token": token, "state": req["state"]},
                   {"response": "a.b.c.d.e", "error": "access_denied"}]:
        r = dep.srv.post(url, urllib.parse.urlencode(fields), ctype=FORM)
        assert r.status == 400 and r.json()["error"] == "invalid_request", (fields, r)
    assert outcome(dep.srv, made)["status"] == "pending"


# Findings of the public attack of session 16.


def test_a_bystander_cannot_close_a_request(dep):
    """Finding s16-3: whoever sees the link (the QR code) has the state; a junk vp_token, or a
    presentation bound to another key, is refused and audited, and the holder's wallet still
    answers after it."""
    for same_device in (False, True):
        made = ask(dep.srv, same_device=same_device)
        req = resolve(dep.srv, made)
        for junk in (["x~"], ["eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"],
                     [present(dep.credential, ASKED, ec.generate_private_key(ec.SECP256R1()),
                              req["nonce"], req["client_id"])]):
            r = answer(dep.srv, req, {"result": junk})
            assert r.status == 400 and r.json()["error"] == "invalid_request", r
            assert "stays open" in r.json()["error_description"], r
            assert outcome(dep.srv, made)["status"] == "pending"
        p = present(dep.credential, ASKED, dep.holder, req["nonce"], req["client_id"])
        r = answer(dep.srv, req, {"result": [p]})
        assert r.status == 200, r
        assert outcome(dep.srv, made)["status"] == "verified"
    shown = dep.run("audit", "show", check=True).stdout
    assert "verifier.answer.refused" in shown and "not the holder's" in shown
    # Each refused answer could be posted at the rate limit's speed: only the first 3 of a
    # request are audit events (finding s16-4 of the same attack).
    made = ask(dep.srv)
    req = resolve(dep.srv, made)
    for _ in range(6):
        assert answer(dep.srv, req, {"result": ["x~"]}).status == 400
    assert outcome(dep.srv, made)["status"] == "pending"
    shown = dep.run("audit", "show", check=True).stdout
    refused = [line for line in shown.splitlines()
               if "verifier.answer.refused" in line and made["id"] in line]
    assert len(refused) == 3, refused


@pytest.mark.parametrize("stated,why", [
    ("DUO (API key holder 21PB)", "own words"),
    ("DUO (api KEY holder 21PB)", "own words"),
    ("Acme (Not verified by x)", "own words"),
    ("DUO\u2028", "separator"),
    ("DUO\u2029x", "separator"),
    ("Rijksuniversiteit\u3000\u3000Groningen", "two in a row"),
    ("A  B", "two in a row"),
    ("A\u2003\u2003", "two in a row"),
    (" A", "start with a space"),
    ("A\u00a0", "end with a space"),
])
def test_requester_cannot_pose_or_hide_the_marker(dep, stated, why):
    """Finding s16-5: a stated name may not borrow the depository's words nor push its marker
    out of sight; the marker comes first, so no cut of a long name hides it."""
    doc = problem(dep.srv.post("/request", {"kinds": ["degree"], "requester": stated}), 400)
    assert "requester" in doc["detail"] and why in doc["detail"], doc
    if why != "own words":  # the label is shown to the verifier only
        doc = problem(dep.srv.post("/v1/verifier/requests",
                                   {"kinds": ["degree"], "label": stated}, key=dep.vkey), 400)
        assert "label" in doc["detail"] and why in doc["detail"], doc


def test_anonymous_requests_leave_keyed_ones_room(binary, tmp_path, server_on):
    """Finding s16-2: anonymous requests count per network (here 127.0.0.1's /24) even with
    --rate-limit 0 (as behind a proxy), and a request made with an API key is not held to it."""
    ok = folder(binary, tmp_path, verifier_request_ttl_s=3)
    srv = server_on(ok, "--rate-limit", 0)
    srv.vkey = ok.vkey
    made = []
    events = db_scalar(ok.data, "SELECT count(*) FROM audit_event")
    for i in range(250):
        r = srv.post("/request", {"kinds": ["degree"], "requester": f"Bureau {i}"})
        assert r.status == 201, (i, r)
        made.append(r.json())
    doc = problem(srv.post("/request", {"kinds": ["degree"], "requester": "One more"}), 429)
    assert "from this network" in doc["detail"], doc
    # Strangers' requests touch nobody's data: not for them to fill the audit chain with.
    assert db_scalar(ok.data, "SELECT count(*) FROM audit_event") == events
    assert outcome(srv, ask(srv))["status"] == "pending"
    # An anonymous request left unanswered goes when it expires (not an hour later), and its
    # place with it; one made with a key is kept to show "expired".
    keyed = ask(srv)
    time.sleep(3.5)
    r = srv.post("/request", {"kinds": ["degree"], "requester": "Bureau new"})
    assert r.status == 201, r
    problem(srv.get(path_of(made[0]["status_url"])), 404)
    assert outcome(srv, keyed)["status"] == "expired"
