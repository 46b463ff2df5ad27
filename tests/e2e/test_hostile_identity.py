"""Attacks on a learner's identity against the real server (issue 13, items 1 to 3): a credential,
share or download reveals no national id, nor a hash of one (a brute force over the test's own
id range recovers nothing); another institution that registers a dummy result for a learner
can mint no login link, and a key without a record of its own for a learner gets the answer of
an unknown id, byte for byte; a learner's identity changes only by an explicit correction whose
before and after values are kept sealed and shown in the learner's access report."""

import base64
import hashlib
import json
import re

import pytest

from helpers.base import Oorkonde, csv_text, db_bytes, make_row
from helpers.portal import BASE, Session, cookie_of, path_of, redeem, token_of
from helpers.server import HOST, Server, problem
from helpers import store

# National ids of the test's own range that pass the eleven-test, as a BSN does.
RANGE = range(100_000_000, 100_012_000)


def eleven_test(n):
    d = f"{n:09d}"
    return sum(int(c) * w for c, w in zip(d, (9, 8, 7, 6, 5, 4, 3, 2, -1))) % 11 == 0


VALID_IDS = [f"{n:09d}" for n in RANGE if eleven_test(n)]
ANNA_NID = VALID_IDS[len(VALID_IDS) // 2]
ANNA = {"national_id": ANNA_NID, "given_names": "Zwaantje Grietje",
        "family_name": "Oosterhuisplein", "birth_date": "1999-04-05"}
UNKNOWN_ID = "0" * 24  # the shape of a learner id, but nobody's


def key_of(stdout):
    return re.search(r"\(shown once[^)]*\): (ok_\S+)", stdout).group(1)


@pytest.fixture(scope="module")
def world(binary, tmp_path_factory):
    """Institution 21AA has Anna's results; 21BB and 21CC have none of hers."""
    base = tmp_path_factory.mktemp("identity")
    ok = Oorkonde(binary, base / "data")
    ok.run("init", "--host", HOST, check=True)
    keys = {}
    for code in ("21AA", "21BB", "21CC"):
        keys[code] = ok.add_institution(code=code, name=f"Hogeschool {code}")
    rows = [make_row(record_id="A-1", title="Mechanics", awarded_on="2021-01-10", **ANNA),
            make_row(record_id="A-2", title="Bachelor of Physics", kind="diploma",
                     eqf_level="6", credits="180", grade="", grading_scheme="",
                     awarded_on="2022-07-01", **ANNA)]
    (base / "aa.csv").write_text(csv_text(rows))
    ok.run("import", base / "aa.csv", "--institution", "21AA", check=True)
    doc = json.loads(ok.run("achievements", "--national-id", ANNA_NID, "--json",
                            check=True).stdout)
    srv = Server(ok, "--rate-limit", 0, name="identity").start()
    try:
        yield {"ok": ok, "srv": srv, "keys": keys, "base": base,
               "anna": doc[0]["learner_id"], "achievements": [a["id"] for a in doc]}
    finally:
        srv.stop()


def login(w):
    url = w["ok"].run("learner", "login-link", w["anna"], check=True).stdout.strip()
    r = redeem(w["srv"], path_of(url))
    assert r.status == 303, r
    return Session(w["srv"], cookie_of(r))


# What a holder of a document can compute

HASHES = {
    "sha256": lambda b: hashlib.sha256(b).digest(),
    "sha512": lambda b: hashlib.sha512(b).digest(),
    "blake2b": lambda b: hashlib.blake2b(b).digest(),
    "blake2b-256": lambda b: hashlib.blake2b(b, digest_size=32).digest(),
}


def digests_in(found):
    """The bytes of every string that is a digest's hex, base64 or base64url form."""
    out = set()
    for s in found:
        forms = []
        if re.fullmatch(r"[0-9A-Fa-f]{64}|[0-9A-Fa-f]{128}", s):
            forms.append(bytes.fromhex(s))
        if re.fullmatch(r"[A-Za-z0-9+/_-]{42,88}={0,2}", s):
            padded = s.rstrip("=") + "=" * (-len(s.rstrip("=")) % 4)
            for alt in (padded, padded.replace("-", "+").replace("_", "/")):
                try:
                    forms.append(base64.b64decode(alt, validate=True))
                except ValueError:
                    pass
        out.update(f for f in forms if len(f) in (32, 64))
    return out


def strings_in(value, out):
    """Every string of a JSON value (keys too)."""
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            strings_in(v, out)
    elif isinstance(value, list):
        for v in value:
            strings_in(v, out)
    elif value is not None and not isinstance(value, bool):
        out.add(str(value))
    return out


def jwt_parts(token):
    """The decoded header and payload of a compact JWS."""
    parts = token.strip().split(".")
    assert len(parts) == 3, token[:80]
    return [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2]]


def document_strings(text):
    """The strings a document holds: each JSON string (of the JSON itself, of JWTs in it or as
    it), and each word of it (for pages): the candidates for a salt and for a hash."""
    found = set(re.findall(r"[A-Za-z0-9+/=_$.:-]+", text))
    found |= set(re.findall(r"[A-Za-z0-9+/=_-]+", text))
    for token in re.findall(r"ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        for part in jwt_parts(token):
            strings_in(part, found)
    try:
        strings_in(json.loads(text), found)
    except ValueError:
        pass
    for s in list(found):
        if "$" in s:  # "sha256$HEX": the hash after the algorithm
            found.add(s.split("$", 1)[1])
    return found


def recovered(text, candidates):
    """The national ids of candidates that a holder of text can confirm: the id itself, or a
    hash of it with any string of the document as a salt (before or after it), appears."""
    found = document_strings(text)
    digests = digests_in(found)
    salts = sorted(found | {""})
    hits = []
    for nid in candidates:
        if nid in text or any(h((nid + salt).encode()) in digests or
                              h((salt + nid).encode()) in digests
                              for salt in salts for h in HASHES.values()):
            hits.append(nid)
    return hits


def assert_reveals_nothing(text, what):
    assert ANNA_NID not in text, what
    assert recovered(text, [ANNA_NID]) == [], what


def test_the_scan_finds_a_salted_hash_as_credentials_once_carried_it():
    """The scan can fail: a document with the old salted national id hash is caught, and the
    brute force over the range finds the id in it."""
    salt = "ba8a5ce4c67f559c918b0345cf753a38"
    digest = hashlib.sha256((ANNA_NID + salt).encode()).hexdigest()
    old = json.dumps({"credentialSubject": {"identifier": [
        {"type": "IdentityObject", "identityType": "nationalIdentityNumber", "hashed": True,
         "identityHash": f"sha256${digest}", "salt": salt}]}})
    assert recovered(old, [ANNA_NID]) == [ANNA_NID]
    assert recovered(old, VALID_IDS) == [ANNA_NID]
    b64 = base64.b64encode(hashlib.blake2b((salt + ANNA_NID).encode()).digest()).decode()
    assert recovered(json.dumps({"x": salt, "y": b64}), [ANNA_NID]) == [ANNA_NID]


def test_every_credential_format_names_the_holder_not_the_national_id(world):
    ok = world["ok"]
    for aid in world["achievements"]:
        for fmt in ("di", "jwt"):
            text = ok.run("issue", aid, "--format", fmt, check=True).stdout
            assert_reveals_nothing(text, f"issue {fmt}")
            vc = jwt_parts(text)[1] if fmt == "jwt" else json.loads(text)
            ids = vc["credentialSubject"]["identifier"]
            assert ids == [
                {"type": "IdentityObject", "identityType": "name", "hashed": False,
                 "identityHash": f"{ANNA['given_names']} {ANNA['family_name']}"},
                {"type": "IdentityObject", "identityType": "ext:birthDate", "hashed": False,
                 "identityHash": ANNA["birth_date"]}], ids
    # Over HTTP, the registrar's credential and the status list credentials.
    srv, key = world["srv"], world["keys"]["21AA"]
    for fmt in ("di", "jwt"):
        r = srv.get(f"/v1/achievements/{world['achievements'][0]}/credential?format={fmt}",
                    key=key, purpose="issuance")
        assert r.status == 200, r
        assert_reveals_nothing(r.body.decode(), f"GET credential {fmt}")
    for purpose in ("revocation", "suspension"):
        r = srv.get(f"/status/{purpose}/1")
        assert r.status == 200, r
        assert_reveals_nothing(r.body.decode(), f"status list {purpose}")


def test_shares_portal_downloads_and_pages_reveal_no_national_id(world):
    s = login(world)
    for aid in world["achievements"]:
        for fmt in ("di", "jwt"):
            r = s.get(f"/v1/me/achievements/{aid}/credential?format={fmt}")
            assert r.status == 200, r
            assert_reveals_nothing(r.body.decode(), f"portal download {fmt}")
    r = s.post("/v1/me/shares", {"achievements": world["achievements"],
                                 "recipient": "Werkgever BV"})
    assert r.status == 201, r
    share = path_of(r.json()["url"])
    for path, headers in ((share + ".json", None), (share + "/credentials", None),
                          (share, {"Accept": "text/html"}), (share, None)):
        r = world["srv"].get(path, headers=headers)
        assert r.status == 200, (path, r)
        assert_reveals_nothing(r.body.decode(), path)
    # The same share through the CLI.
    out = world["ok"].run("share", "create", "--learner-id", world["anna"], "--achievements",
                          ",".join(world["achievements"]), "--to", "Universiteit X",
                          check=True).stdout
    url = re.search(rf"{re.escape(BASE)}/s/[A-Za-z0-9_-]{{43}}", out).group(0)
    r = world["srv"].get(path_of(url) + ".json")
    assert r.status == 200 and token_of(url) not in r.body.decode(), r
    assert_reveals_nothing(r.body.decode(), "CLI share")


def test_brute_force_over_the_id_range_recovers_nothing(world):
    """Every valid id of the range, with every string of the credential as a salt: nothing in
    the credential confirms any of them, Anna's included."""
    text = world["ok"].run("issue", world["achievements"][1], check=True).stdout
    assert len(VALID_IDS) > 1000 and ANNA_NID in VALID_IDS
    assert recovered(text, VALID_IDS) == []


# Item 3: registering one result opens nothing else


def test_takeover_attempt_opens_nothing(world):
    ok, srv, keys, anna = world["ok"], world["srv"], world["keys"], world["anna"]
    credential = ok.run("issue", world["achievements"][0], check=True).stdout
    # No key can be given the power to make login links, and the route is gone.
    proc = ok.run("apikey", "add", "--institution", "21BB", "--permit", "register,login-link")
    assert proc.returncode != 0 and "unknown permission 'login-link'" in proc.stderr
    # Without a record of its own, 21BB's answers for Anna are those for nobody, byte for byte.
    for body in (credential, "", {"given_names": "Mallory"}):
        for method, suffix, purpose in (("POST", "/imports", "registration"),
                                        ("PATCH", "", "correction")):
            if method == "PATCH" and not isinstance(body, dict):
                continue
            theirs = srv.request(method, f"/v1/learners/{anna}{suffix}", body,
                                 key=keys["21BB"], purpose=purpose, ctype="application/json")
            nobody = srv.request(method, f"/v1/learners/{UNKNOWN_ID}{suffix}", body,
                                 key=keys["21BB"], purpose=purpose, ctype="application/json")
            problem(theirs, 404, "not-found")
            assert (theirs.status, theirs.ctype, theirs.body) == \
                   (nobody.status, nobody.ctype, nobody.body), (method, suffix)
    # 21BB registers a dummy result for Anna's national id (with her names, the worst case).
    dummy = [make_row(record_id="DUMMY-1", title="Dummy", awarded_on="2023-01-01", **ANNA)]
    (world["base"] / "bb.csv").write_text(csv_text(dummy))
    r = srv.post("/v1/results", (world["base"] / "bb.csv").read_text(), key=keys["21BB"],
                 ctype="text/csv")
    assert r.status == 200, r
    # It still mints no login link ...
    for key in (keys["21BB"], keys["21AA"]):
        r = srv.post(f"/v1/learners/{anna}/login-link", {}, key=key, purpose="support")
        assert r.status in (404, 405) and b"/login/" not in r.body, r
    # ... and reads only its own record, never 21AA's.
    r = srv.get(f"/v1/achievements?national_id={ANNA_NID}", key=keys["21BB"])
    assert r.status == 200, r
    assert [a["title"] for a in r.json()["achievements"]] == ["Dummy"]
    for aid in world["achievements"]:
        problem(srv.get(f"/v1/achievements/{aid}", key=keys["21BB"]), 404)
    # 21CC, with no record, still gets the answer of an unknown id.
    theirs = srv.post(f"/v1/learners/{anna}/imports", credential, key=keys["21CC"],
                      ctype="application/json")
    nobody = srv.post(f"/v1/learners/{UNKNOWN_ID}/imports", credential, key=keys["21CC"],
                      ctype="application/json")
    assert (theirs.status, theirs.body) == (nobody.status, nobody.body) and theirs.status == 404
    # Nothing of the attempts reached Anna's identity.
    doc = json.loads(ok.run("learner", "report", anna, check=True).stdout)
    assert doc["learner"]["given_names"] == ANNA["given_names"]
    assert doc["identity_corrections"] == []


# Item 2: identity is corrected only explicitly


def test_registrar_corrects_identity_with_history(world, tmp_path):
    ok, srv, keys, anna = world["ok"], world["srv"], world["keys"], world["anna"]
    path = f"/v1/learners/{anna}"

    def patch(body, key=keys["21AA"], purpose="correction"):
        return srv.request("PATCH", path, body, key=key, purpose=purpose)

    # A correction states the purpose "correction"; bad values are refused, naming the field,
    # and change nothing.
    problem(patch({"given_names": "Zwaan"}, purpose=None), 400, "purpose-required")
    problem(patch({"given_names": "Zwaan"}, purpose="registration"), 400, "purpose-required")
    for body, field in (({"birth_date": "1999-02-30"}, "birth_date"),
                        ({"birth_date": "2030-01-01"}, "birth_date"),
                        ({"birth_date": "2021-06-01"}, "birth_date"),
                        ({"family_name": ""}, "family_name"),
                        ({"given_names": 7}, "given_names"),
                        ({"national_id": "123456782"}, "national_id"),
                        ({}, "given_names")):
        doc = problem(patch(body), 422, "invalid-correction")
        assert field in doc["detail"], (body, doc)
    problem(srv.request("PATCH", path, "[1]", key=keys["21AA"], ctype="application/json",
                        purpose="correction"), 422)
    # The correction answers which fields changed, never the old values.
    r = patch({"given_names": "  Zwaantje Grietje Maria ", "birth_date": "1999-04-06"})
    assert r.status == 200, r
    doc = r.json()
    assert doc["changed"] is True and doc["fields"] == "given_names,birth_date", doc
    assert ANNA["given_names"].encode() not in r.body and b"1999-04-05" not in r.body
    again = patch({"given_names": "Zwaantje Grietje Maria"}).json()
    assert again["changed"] is False and again["change_id"] is None
    # The operator corrects too.
    proc = ok.run("learner", "correct", anna, "--family-name", "Oosterhuis-Plein")
    assert proc.returncode == 0 and "Corrected family_name" in proc.stdout, proc.stderr
    proc = ok.run("learner", "correct", anna, "--birth-date", "tomorrow")
    assert proc.returncode == 1 and "birth_date" in proc.stderr
    assert ok.run("learner", "correct", UNKNOWN_ID, "--family-name", "X").returncode == 1
    assert ok.run("learner", "correct", anna).returncode == 2
    # Credentials issued now carry the corrected identity.
    vc = json.loads(ok.run("issue", world["achievements"][0], check=True).stdout)
    assert vc["credentialSubject"]["identifier"][0]["identityHash"] == \
           "Zwaantje Grietje Maria Oosterhuis-Plein"
    assert vc["credentialSubject"]["identifier"][1]["identityHash"] == "1999-04-06"

    # The history, in order, in the learner's report (CLI JSON, portal JSON, page).
    report = json.loads(ok.run("learner", "report", anna, check=True).stdout)
    history = report["identity_corrections"]
    assert [(h["actor"].split("/")[0], h["purpose"], h["fields"]) for h in history] == [
        ("institution:21AA", "correction", ["given_names", "birth_date"]),
        ("operator", "correction", ["family_name"])]
    assert history[0]["before"] == {k: ANNA[k] for k in ("given_names", "family_name",
                                                         "birth_date")}
    assert history[0]["after"]["given_names"] == "Zwaantje Grietje Maria"
    assert history[1]["before"]["family_name"] == ANNA["family_name"]
    assert history[1]["after"]["family_name"] == "Oosterhuis-Plein"
    events = [e for e in report["accesses"] if e["action"] == "learner.correct"]
    assert len(events) == 2 and all(e["purpose"] == "correction" for e in events)
    for e in events:  # the audit names fields, never values
        assert "Zwaantje" not in e["detail"] and "1999" not in e["detail"], e
        assert re.fullmatch(r"fields=[a-z_,]+ change=[0-9a-f]{24}", e["detail"]), e
    s = login(world)
    mine = s.get("/v1/me/report")
    assert mine.status == 200 and mine.json()["identity_corrections"] == history
    for lang, heading in (("en", "Corrections of your personal data"),
                          ("nl", "Correcties van uw persoonsgegevens")):
        page = s.srv.get(f"/learner/report?lang={lang}",
                         headers={**s.headers(csrf=False), "Accept-Language": lang})
        text = page.body.decode()
        assert page.status == 200 and heading in text, page
        assert "Oosterhuisplein" in text and "Oosterhuis-Plein" in text
    html = tmp_path / "report.html"
    ok.run("learner", "report", anna, "--html", "--lang", "nl", "-o", html, check=True)
    assert "Correcties van uw persoonsgegevens" in html.read_text()

    # Sealed at rest: neither the old nor the new values are in the database in clear.
    raw = db_bytes(ok.data)
    for value in ("Zwaantje", "Oosterhuis", "1999-04-05", "1999-04-06"):
        assert value.encode() not in raw, value
    with store.connect(ok.data, readonly=True) as c:
        assert c.execute("SELECT count(*) FROM identity_change WHERE learner_id = ?",
                         (anna,)).fetchone()[0] == 2
    # A data-key rotation re-seals the history with everything else; it still opens.
    out = ok.run("keys", "rotate-data-key", check=True).stdout
    assert "re-sealed" in out, out
    again = json.loads(ok.run("learner", "report", anna, check=True).stdout)
    assert again["identity_corrections"] == history
