"""The learner portal's backend (issue 4) through the real binary and a real `oorkonde serve`: login
links (CLI and registrar API) that work once and expire, the session cookie, its idle timeout and
logout, CSRF (a missing or wrong X-CSRF-Token, a forged cross-site form post), the learner's JSON
endpoints, shares over HTTP and the CLI (create, list, revoke), a verifier's /s/TOKEN.json with
every achievement verified and each opening counted and shown to the learner, 410 for revoked and
expired shares, 404 for 1,000 random tokens, one learner's records out of another's reach, and
tokens and names kept out of the server's log and the database."""
import base64
import http.client
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from helpers.base import Oorkonde, csv_text, db_bytes, db_scalar, make_row
from helpers.portal import (BASE, COOKIE, FORM, RECIPIENT, SECURE_COOKIE, TOKEN_RE, Session,
                            cookie_of, path_of, redeem, token_of)
from helpers.server import HOST, Server, problem
from helpers import store

# Two institutions; Anna has results at both (a diploma among them), Bram one course at 21XX.
ANNA = {"national_id": "111222333", "given_names": "Zwaantje", "family_name": "Oosterhuisplein"}
BRAM = {"national_id": "444555663", "given_names": "Bram", "family_name": "Wezelbroek"}


def rows_21xx():
    return [make_row(record_id="A-1", title="Mechanics", awarded_on="2020-01-10", **ANNA),
            make_row(record_id="A-2", title="Optics", awarded_on="2022-06-01", credits="7.5",
                     **ANNA),
            make_row(record_id="A-3", title="Bachelor of Physics", kind="diploma",
                     awarded_on="2021-07-01", credits="180", eqf_level="6", grade="",
                     grading_scheme="", **ANNA),
            make_row(record_id="B-1", title="Chemistry", **BRAM)]


def rows_10aa():
    return [make_row(record_id="A-9", title="Dutch for beginners", awarded_on="2019-03-03",
                     **ANNA)]


class Portal:
    """A data folder (init --host localhost:8080, institutions 21XX and 10AA) and its server."""

    def __init__(self, ok, srv, keys):
        self.ok = ok
        self.srv = srv
        self.keys = keys
        self.anna = learner_of(ok, ANNA["national_id"])
        self.bram = learner_of(ok, BRAM["national_id"])

    def achievements(self, learner_id):
        with store.connect(self.ok.data, readonly=True) as c:
            return [r[0] for r in c.execute(
                "SELECT id FROM achievement WHERE learner_id = ? ORDER BY record_id",
                (learner_id,))]

    def login_url(self, learner_id):
        proc = self.ok.run("learner", "login-link", learner_id, check=True)
        url = proc.stdout.strip()
        assert re.fullmatch(rf"{BASE}/login/{TOKEN_RE}", url), proc.stdout
        assert "valid until" in proc.stderr
        return url

    def login(self, learner_id):
        """Signs in through a fresh login link; returns the session."""
        r = redeem(self.srv, path_of(self.login_url(learner_id)))
        assert r.status == 303, r
        return Session(self.srv, cookie_of(r))


def learner_of(ok, nid):
    doc = json.loads(ok.run("achievements", "--national-id", nid, "--json", check=True).stdout)
    return doc[0]["learner_id"]


def make_folder(binary, path, config=None):
    ok = Oorkonde(binary, path)
    ok.run("init", "--host", HOST, check=True)
    if config:
        cfg_path = path / "config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg.update(config)
        cfg_path.write_text(json.dumps(cfg))
    keys = {}
    for code, name, rows in (("21XX", "Zuiderhogeschool", rows_21xx()),
                             ("10AA", "Academie Noord", rows_10aa())):
        keys[code] = ok.add_institution(code=code, name=name)
        csv = path.parent / f"{code}.csv"
        csv.write_text(csv_text(rows))
        ok.run("import", csv, "--institution", code, check=True)
    return ok, keys


@pytest.fixture(scope="module")
def portal(binary, tmp_path_factory):
    ok, keys = make_folder(binary, tmp_path_factory.mktemp("portal") / "data")
    srv = Server(ok, "--rate-limit", 0, name="portal").start()
    try:
        yield Portal(ok, srv, keys)
    finally:
        srv.stop()


@pytest.fixture
def short(binary, tmp_path):
    """A folder whose login links last 1 s and whose sessions end after 2 s idle."""
    ok, keys = make_folder(binary, tmp_path / "data",
                           {"login_link_ttl_s": 1, "session_idle_s": 2})
    srv = Server(ok, "--rate-limit", 0, name="short").start()
    try:
        yield Portal(ok, srv, keys)
    finally:
        srv.stop()


def verify(srv, credential):
    return srv.post("/credentials/verify", {"verifiableCredential": credential})


# Login links and sessions


def test_login_link_starts_a_session(portal):
    url = portal.login_url(portal.anna)
    path = path_of(url)
    r = portal.srv.get(path)
    assert r.status == 200, r
    assert r.ctype.startswith("text/html")
    assert f'<form method="post" action="{path}"'.encode() in r.body
    assert b">Sign in</button>" in r.body
    # The server's Referrer-Policy is no-referrer, under which a browser sends "Origin: null"
    # with the form post; the page lets it send its origin (refused otherwise).
    assert b'<meta name="referrer" content="origin">' in r.body
    assert "form-action 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-robots-tag"] == "noindex"
    assert "set-cookie" not in r.headers
    r = portal.srv.post(path, "", ctype=FORM, headers={"Origin": BASE})
    assert r.status == 303, r
    assert r.headers["location"] == "/learner"
    s = Session(portal.srv, cookie_of(r))
    assert s.me["learner"] == {"id": portal.anna, "given_names": ANNA["given_names"],
                               "family_name": ANNA["family_name"]}
    assert re.fullmatch(TOKEN_RE, s.csrf) and s.csrf != s.cookie
    assert s.me["idle_timeout_s"] == 1800
    # The read is audited with the learner as the actor.
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM audit_event WHERE actor = ? AND "
                     "action = 'learner.login'", f"learner:{portal.anna}") >= 1


def test_without_a_session_401(portal):
    for path in ("/v1/me", "/v1/me/achievements", "/v1/me/shares", "/v1/me/views"):
        problem(portal.srv.get(path), 401, "not-signed-in")
        r = portal.srv.get(path, headers={"Cookie": f"{COOKIE}={'A' * 43}"})
        problem(r, 401, "not-signed-in")
        assert "Max-Age=0" in r.headers["set-cookie"]
    problem(portal.srv.get("/v1/me", headers={"Cookie": f"{COOKIE}=short"}), 401)
    r = portal.srv.post("/v1/me/shares", {"achievements": [], "recipient": "x"})
    problem(r, 401, "not-signed-in")


def test_login_link_second_use_refused(portal):
    path = path_of(portal.login_url(portal.anna))
    assert redeem(portal.srv, path).status == 303
    for r in (portal.srv.get(path), portal.srv.post(path, "", ctype=FORM)):
        assert r.status == 410, r
        assert r.ctype.startswith("text/html") and b"used already or has expired" in r.body
        assert "set-cookie" not in r.headers


def test_fetching_a_login_link_does_not_use_it(portal):
    """Mail scanners, link previews and HEAD requests fetch links: only the page's own form
    post signs in."""
    path = path_of(portal.login_url(portal.anna))
    for _ in range(3):
        assert portal.srv.get(path).status == 200
        assert portal.srv.request("HEAD", path).status == 200
    # A page elsewhere cannot post it for the browser; the link stays usable.
    r = portal.srv.post(path, "", ctype=FORM, headers={"Origin": "https://evil.example"})
    problem(r, 403, "cross-origin")
    assert "set-cookie" not in r.headers
    r = portal.srv.post(path, "", ctype=FORM, headers={"Origin": "null"})
    assert r.status == 403, r
    # Any other body type stays refused.
    assert portal.srv.post(path, "x", ctype="text/plain").status == 415
    r = portal.srv.post(path, "", ctype=FORM, headers={"Origin": BASE})
    assert r.status == 303, r
    Session(portal.srv, cookie_of(r))


def test_signing_in_again_ends_the_earlier_session(portal):
    first = portal.login(portal.anna)
    path = path_of(portal.login_url(portal.anna))
    r = redeem(portal.srv, path, headers={"Cookie": f"{COOKIE}={first.cookie}"})
    assert r.status == 303, r
    second = Session(portal.srv, cookie_of(r))
    assert second.cookie != first.cookie
    problem(first.get("/v1/me"), 401)
    assert second.get("/v1/me").status == 200


def test_unknown_login_link_404(portal):
    for token in ("A" * 43, base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
                  "short", "x" * 60):
        for r in (portal.srv.get(f"/login/{token}"),
                  portal.srv.post(f"/login/{token}", "", ctype=FORM)):
            assert r.status == 404, (token, r)
            assert r.ctype.startswith("text/html") and "set-cookie" not in r.headers


def test_expired_login_link_refused(short):
    path = path_of(short.login_url(short.anna))
    time.sleep(2.2)
    for r in (short.srv.get(path), short.srv.post(path, "", ctype=FORM)):
        assert r.status == 410, r
        assert b"used already or has expired" in r.body and "set-cookie" not in r.headers


def test_session_idle_expiry(short):
    r = redeem(short.srv, path_of(short.login_url(short.anna)))
    assert r.status == 303, r
    s = Session(short.srv, cookie_of(r))
    assert s.me["idle_timeout_s"] == 2
    assert s.get("/v1/me/achievements").status == 200
    time.sleep(3.2)
    r = s.get("/v1/me")
    problem(r, 401, "not-signed-in")
    assert "session has ended" in r.json()["detail"]
    assert "Max-Age=0" in r.headers["set-cookie"]
    # Ended for good, not only this once.
    problem(s.get("/v1/me"), 401)


def test_no_registrar_makes_a_login_link(portal):
    """Sign-in links are the operator's tool (the CLI): no key makes one over HTTP."""
    srv = portal.srv
    for learner in (portal.anna, portal.bram, "nosuchlearner"):
        r = srv.post(f"/v1/learners/{learner}/login-link", {}, key=portal.keys["10AA"])
        assert r.status in (404, 405) and "url" not in r.body.decode(), r
    assert portal.ok.run("learner", "login-link", "nosuchlearner").returncode == 1


def test_logout(portal):
    s = portal.login(portal.anna)
    problem(s.post("/logout", csrf=False), 403, "csrf")
    r = s.post("/logout")
    assert r.status == 204, r
    assert "Max-Age=0" in r.headers["set-cookie"]
    problem(s.get("/v1/me"), 401)


def test_secure_cookie_over_tls(binary, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    ok, _ = make_folder(binary, tmp_path / "data")
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    srv = Server(ok, "--rate-limit", 0, "--tls-cert", cert, "--tls-key", key,
                 tls_ca=str(cert)).start()
    try:
        url = ok.run("learner", "login-link", learner_of(ok, ANNA["national_id"]),
                     check=True).stdout.strip()
        r = redeem(srv, path_of(url))
        assert r.status == 303, r
        assert r.headers["set-cookie"].endswith("; HttpOnly; SameSite=Strict; Secure")
        # The __Host- name: only from a secure origin, Path=/, no Domain.
        cookie = cookie_of(r, secure=True)
        assert srv.get("/v1/me", headers={"Cookie": f"{SECURE_COOKIE}={cookie}"}).status == 200
        assert srv.get("/v1/me", headers={"Cookie": f"{COOKIE}={cookie}"}).status == 401
    finally:
        srv.stop()


def test_secure_cookie_behind_an_https_base_url(binary, tmp_path):
    """Behind a TLS proxy (base_url https://…) the cookie is Secure too, and links use the base."""
    ok, _ = make_folder(binary, tmp_path / "data", {"base_url": "https://diploma.example.nl"})
    srv = Server(ok, "--rate-limit", 0).start()
    try:
        url = ok.run("learner", "login-link", learner_of(ok, ANNA["national_id"]),
                     check=True).stdout.strip()
        assert re.fullmatch(rf"https://diploma\.example\.nl/login/{TOKEN_RE}", url), url
        r = redeem(srv, "/login/" + token_of(url),
                   headers={"Origin": "https://diploma.example.nl"})
        assert r.status == 303, r
        assert r.headers["set-cookie"].endswith("; HttpOnly; SameSite=Strict; Secure")
        cookie = cookie_of(r, secure=True)
        assert "Domain" not in r.headers["set-cookie"]
        assert srv.get("/v1/me", headers={"Cookie": f"{SECURE_COOKIE}={cookie}"}).status == 200
        # A cookie without the prefix (set by another host, or over plain HTTP) is not taken.
        assert srv.get("/v1/me", headers={"Cookie": f"{COOKIE}={cookie}"}).status == 401
    finally:
        srv.stop()


# CSRF


def test_csrf_missing_or_wrong_token_refused(portal):
    anna, other = portal.login(portal.anna), portal.login(portal.bram)
    ids = portal.achievements(portal.anna)
    body = {"achievements": ids[:1], "recipient": RECIPIENT}
    before = db_scalar(portal.ok.data, "SELECT count(*) FROM share")
    problem(anna.post("/v1/me/shares", body, csrf=False), 403, "csrf")
    for wrong in ("", "x", "A" * 43, other.csrf, anna.cookie):
        problem(anna.post("/v1/me/shares", body, csrf=wrong), 403, "csrf")
    share = anna.share(ids[:1])
    problem(anna.post(f"/v1/me/shares/{share['id']}/revoke", csrf=False), 403, "csrf")
    problem(anna.post(f"/v1/me/shares/{share['id']}/revoke", csrf=other.csrf), 403, "csrf")
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM share") == before + 1
    assert db_scalar(portal.ok.data, "SELECT revoked_ms FROM share WHERE id = ?",
                     share["id"]) == 0


def test_forged_form_post_refused(portal):
    """What a page on another site can make a browser send: a form post with the cookie."""
    anna = portal.login(portal.anna)
    ids = portal.achievements(portal.anna)
    before = db_scalar(portal.ok.data, "SELECT count(*) FROM share")
    form = f"achievements={ids[0]}&recipient=Attacker&days=365"
    for ctype in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                  "text/plain"):
        r = portal.srv.post("/v1/me/shares", form, ctype=ctype,
                            headers={"Cookie": f"{COOKIE}={anna.cookie}",
                                     "Origin": "https://evil.example"})
        assert r.status in (403, 415), r
        assert r.ctype == "application/problem+json"
    # Even as JSON, without the header a cross-site page cannot read, it is refused.
    r = portal.srv.post("/v1/me/shares", json.dumps({"achievements": ids[:1],
                                                     "recipient": "Attacker"}),
                        ctype="application/json", headers={"Cookie": f"{COOKIE}={anna.cookie}"})
    problem(r, 403, "csrf")
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM share") == before
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM share WHERE recipient = 'Attacker'") \
        == 0


# The learner's own records


def test_achievements_grouped_and_ordered(portal):
    s = portal.login(portal.anna)
    r = s.get("/v1/me/achievements")
    assert r.status == 200, r
    groups = r.json()["institutions"]
    assert [(g["code"], g["name"], g["country"]) for g in groups] == \
        [("10AA", "Academie Noord", "NL"), ("21XX", "Zuiderhogeschool", "NL")]
    titles = [a["title"] for a in groups[1]["achievements"]]
    assert titles == ["Bachelor of Physics", "Optics", "Mechanics"]
    diploma, optics, mechanics = groups[1]["achievements"]
    assert diploma["kind"] == "diploma" and diploma["credits"] == 180
    assert diploma["eqf_level"] == 6 and diploma["status"] == "active"
    assert optics["credits"] == 7.5 and optics["eqf_level"] is None
    assert optics["grade"] == "7.5" and optics["grading_scheme"] == "NL 1-10"
    assert set(optics) == {"id", "kind", "title", "awarded_on", "credits", "grade",
                           "grading_scheme", "status", "eqf_level"}
    # Bram's course is not among them.
    assert "Chemistry" not in r.body.decode()


def test_credential_download(portal):
    s = portal.login(portal.anna)
    aid = portal.achievements(portal.anna)[0]
    r = s.get(f"/v1/me/achievements/{aid}/credential")
    assert r.status == 200, r
    # Named after the result (its title and year), not after an id.
    assert r.headers["content-disposition"] == 'attachment; filename="mechanics-2020.json"'
    assert verify(portal.srv, r.json()).json()["verified"] is True
    r = s.get(f"/v1/me/achievements/{aid}/credential?format=jwt")
    assert r.status == 200 and r.headers["content-disposition"].endswith('mechanics-2020.jwt"'), r
    assert verify(portal.srv, r.body.decode()).json()["verified"] is True
    problem(s.get(f"/v1/me/achievements/{aid}/credential?format=pdf"), 400)
    problem(s.get("/v1/me/achievements/nosuch/credential"), 404)


def test_a_suspended_result_is_not_downloaded_afresh(portal):
    """What the institution has withdrawn, even while it looks into it, is not signed afresh
    for the learner (as a share or a wallet offer of it is refused)."""
    s = portal.login(portal.anna)
    aid = portal.achievements(portal.anna)[0]
    portal.ok.run("suspend", aid, "--reason", "under investigation", check=True)
    try:
        for fmt in ("di", "jwt"):
            doc = problem(s.get(f"/v1/me/achievements/{aid}/credential?format={fmt}"), 409)
            assert "suspended" in doc["detail"], doc
    finally:
        portal.ok.run("reinstate", aid, "--reason", "cleared", check=True)
    assert s.get(f"/v1/me/achievements/{aid}/credential").status == 200


def test_other_learners_achievement_cannot_be_shared_or_downloaded(portal):
    anna = portal.login(portal.anna)
    bram = portal.login(portal.bram)
    brams = portal.achievements(portal.bram)
    annas = portal.achievements(portal.anna)
    before = db_scalar(portal.ok.data, "SELECT count(*) FROM share")
    r = anna.get(f"/v1/me/achievements/{brams[0]}/credential")
    missing = anna.get("/v1/me/achievements/ffffffffffffffffffffffff/credential")
    assert problem(r, 404)["detail"] == problem(missing, 404)["detail"]
    for ids in ([brams[0]], [annas[0], brams[0]]):
        doc = problem(anna.post("/v1/me/shares", {"achievements": ids, "recipient": "X"}), 400)
        assert "achievements" in doc["detail"]
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM share") == before
    # Nor can another learner's share be revoked: it answers as a missing one.
    share = bram.share(brams)
    problem(anna.post(f"/v1/me/shares/{share['id']}/revoke"), 404)
    assert share["id"] not in anna.get("/v1/me/shares").body.decode()
    assert portal.srv.get(path_of(share["url"]) + ".json").status == 200
    # The CLI refuses it too.
    proc = portal.ok.run("share", "create", "--learner-id", portal.anna, "--achievements",
                         brams[0], "--to", "X")
    assert proc.returncode == 1 and "achievements" in proc.stderr, proc


# Shares


def test_share_create_open_count_and_views(portal):
    s = portal.login(portal.anna)
    ids = portal.achievements(portal.anna)
    share = s.share(ids, days=10)
    assert set(share) >= {"id", "url", "recipient", "expires", "achievements"}
    assert share["recipient"] == RECIPIENT and share["achievements"] == ids
    assert re.fullmatch(rf"{BASE}/s/{TOKEN_RE}", share["url"]), share
    assert share["qr_svg"].startswith("<svg") and share["qr_svg"].rstrip().endswith("</svg>")
    [listed] = [x for x in s.get("/v1/me/shares").json()["shares"] if x["id"] == share["id"]]
    assert listed["uses"] == 0 and listed["last_used"] is None and listed["revoked"] is False
    assert listed["expires"] == share["expires"] and listed["achievements"] == ids
    path = path_of(share["url"])
    for n in (1, 2):
        r = portal.srv.get(path + ".json")
        assert r.status == 200, r
        doc = r.json()
        assert doc["state"] == "valid" and doc["recipient"] == RECIPIENT
        assert doc["expires"] == share["expires"]
        assert doc["depository"] == {"did": "did:web:localhost%3A8080",
                                     "name": "oorkonde depository", "network_member": False}
        assert [a["id"] for a in doc["achievements"]] == ids
        for a in doc["achievements"]:
            assert a["verification"]["verified"] is True, a["verification"]
            assert a["verification"]["checks"] == ["proof", "validity", "status", "issuer"]
            assert a["institution"]["code"] in ("21XX", "10AA")
            assert a["credential"]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
            # What the verifier got verifies on its own, too.
            assert verify(portal.srv, a["credential"]).json()["verified"] is True
    r = portal.srv.get(path + "/credentials")
    assert r.status == 200, r
    # Several results: named after their holder.
    assert r.headers["content-disposition"] == \
        'attachment; filename="zwaantje-oosterhuisplein.json"'
    creds = r.json()["credentials"]
    assert len(creds) == len(ids)
    [listed] = [x for x in s.get("/v1/me/shares").json()["shares"] if x["id"] == share["id"]]
    assert listed["uses"] == 3 and listed["last_used"] is not None
    views = [v for v in s.get("/v1/me/views").json()["views"] if v["share_id"] == share["id"]]
    assert len(views) == 3
    assert all(v["recipient"] == RECIPIENT for v in views)
    assert [v["at"] for v in views] == sorted((v["at"] for v in views), reverse=True)
    # Each opening is an audit event of the share, about the learner.
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM audit_event WHERE actor = ? AND "
                     "action = 'share.open' AND subject = ?", f"share:{share['id']}",
                     portal.anna) == 3
    # Another learner sees none of it.
    bram = portal.login(portal.bram)
    assert share["id"] not in bram.get("/v1/me/views").body.decode()


def test_share_shows_a_suspended_achievement_as_not_verified(binary, tmp_path):
    """Verified at view time: an achievement suspended after it was shared fails its status
    check on the next opening, and the others still pass."""
    ok, keys = make_folder(binary, tmp_path / "data")
    srv = Server(ok, "--rate-limit", 0, name="suspended").start()
    try:
        p = Portal(ok, srv, keys)
        s = p.login(p.anna)
        ids = p.achievements(p.anna)[:2]
        share = s.share(ids)
        r = srv.post(f"/v1/achievements/{ids[0]}/suspend", {"reason": "under investigation"},
                     key=keys["21XX"])
        assert r.status == 200, r
        r = srv.get(path_of(share["url"]) + ".json")
        assert r.status == 200, r
        first, second = r.json()["achievements"]
        assert first["status"] == "suspended"
        assert first["verification"]["verified"] is False
        assert [e.get("check") for e in first["verification"]["errors"]] == ["status"]
        assert second["verification"]["verified"] is True
        statuses = {a["id"]: a["status"] for g in s.get("/v1/me/achievements").json()
                    ["institutions"] for a in g["achievements"]}
        assert statuses[ids[0]] == "suspended" and statuses[ids[1]] == "active"
    finally:
        srv.stop()


def test_share_never_shows_a_record_re_registered_to_another_learner(binary, tmp_path):
    """A share holds achievement ids; when the institution re-registers one of them under
    another national id, it is another learner's now: the old share must not show it (nor
    their name), only that it is no longer part of the share."""
    ok, keys = make_folder(binary, tmp_path / "data")
    srv = Server(ok, "--rate-limit", 0, name="moved").start()
    try:
        p = Portal(ok, srv, keys)
        s = p.login(p.anna)
        ids = p.achievements(p.anna)
        moved, kept = ids[0], ids[1]  # at 21XX
        share = s.share([moved, kept])
        assert srv.get(path_of(share["url"]) + ".json").status == 200
        other = {"national_id": "777888993", "given_names": "Xaveria",
                 "family_name": "Vreemdelingenlegioen"}
        csv = tmp_path / "moved.csv"
        csv.write_text(csv_text([make_row(record_id="A-1", title="Mechanics",
                                          awarded_on="2020-01-10", **other)]))
        ok.run("import", csv, "--institution", "21XX", check=True)
        new_owner = learner_of(ok, other["national_id"])
        assert db_scalar(ok.data, "SELECT learner_id FROM achievement WHERE id = ?",
                         moved) == new_owner
        before = db_scalar(ok.data, "SELECT max(seq) FROM audit_event")
        path = path_of(share["url"])
        r = srv.get(path + ".json")
        assert r.status == 200, r
        items = r.json()["achievements"]
        assert items[0] == {"id": moved, "state": "withdrawn"}
        assert items[1]["id"] == kept and items[1]["verification"]["verified"] is True
        creds = srv.get(path + "/credentials")
        page = srv.get(path)
        assert creds.status == 200 and page.status == 200
        assert len(creds.json()["credentials"]) == 1
        assert "no longer part of this share" in page.body.decode()
        for body in (r.body, creds.body, page.body):
            for name in (other["given_names"], other["family_name"]):
                assert name.encode() not in body
        # Nothing was issued for the moved record, and nothing of its new learner was read.
        assert db_scalar(ok.data, "SELECT count(*) FROM audit_event WHERE seq > ? AND "
                         "(subject = ? OR subject = ?)", before, moved, new_owner) == 0
        assert db_scalar(ok.data, "SELECT count(*) FROM audit_event WHERE seq > ? AND "
                         "action = 'share.open' AND subject = ? AND detail LIKE "
                         "'%issued=1 withdrawn=1 %'", before, p.anna) == 3
    finally:
        srv.stop()


def test_share_head_counts_no_opening_and_page_is_noindex(portal):
    s = portal.login(portal.anna)
    share = s.share(portal.achievements(portal.anna)[:1])
    path = path_of(share["url"])
    for p in (path, path + ".json", path + "/credentials"):
        r = portal.srv.request("HEAD", p)
        assert r.status == 200, (p, r)
        assert r.headers["x-robots-tag"] == "noindex"
    assert db_scalar(portal.ok.data, "SELECT uses FROM share WHERE id = ?", share["id"]) == 0
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM audit_event WHERE actor = ?",
                     f"share:{share['id']}") == 0
    r = portal.srv.get(path)
    assert r.status == 200 and r.headers["x-robots-tag"] == "noindex"
    assert db_scalar(portal.ok.data, "SELECT uses FROM share WHERE id = ?", share["id"]) == 1
    assert portal.srv.request("HEAD", "/s/" + "C" * 43).status == 404
    s.post(f"/v1/me/shares/{share['id']}/revoke")
    for p in (path, path + ".json"):
        r = portal.srv.request("HEAD", p)
        assert r.status == 410 and r.headers["x-robots-tag"] == "noindex", (p, r)


def test_share_revoked_410(portal):
    s = portal.login(portal.anna)
    share = s.share(portal.achievements(portal.anna)[:2])
    path = path_of(share["url"])
    assert portal.srv.get(path + ".json").status == 200
    r = s.post(f"/v1/me/shares/{share['id']}/revoke")
    assert r.status == 200, r
    assert r.json()["revoked"] is True and r.json()["id"] == share["id"]
    for p in (path + ".json", path + "/credentials"):
        doc = problem(portal.srv.get(p), 410, "gone")
        assert doc["state"] == "revoked" and doc["expires"] == share["expires"]
        assert "revoked" in doc["detail"]
    problem(s.post(f"/v1/me/shares/{share['id']}/revoke"), 409)
    problem(s.post("/v1/me/shares/nosuchshare/revoke"), 404)
    [listed] = [x for x in s.get("/v1/me/shares").json()["shares"] if x["id"] == share["id"]]
    assert listed["revoked"] is True and listed["uses"] == 1


def test_share_expired_410(portal):
    s = portal.login(portal.anna)
    share = s.share(portal.achievements(portal.anna)[:1], days=1)
    path = path_of(share["url"])
    assert portal.srv.get(path + ".json").status == 200
    # A day later, as far as the share knows.
    with store.connect(portal.ok.data) as c:
        c.execute("UPDATE share SET expires_ms = expires_ms - 86400001 WHERE id = ?",
                  (share["id"],))
    doc = problem(portal.srv.get(path + ".json"), 410, "gone")
    assert doc["state"] == "expired" and "expired" in doc["detail"]
    problem(portal.srv.get(path + "/credentials"), 410, "gone")
    [listed] = [x for x in s.get("/v1/me/shares").json()["shares"] if x["id"] == share["id"]]
    assert listed["uses"] == 1


def test_share_input_errors(portal):
    s = portal.login(portal.anna)
    ids = portal.achievements(portal.anna)
    before = db_scalar(portal.ok.data, "SELECT count(*) FROM share")
    cases = [
        ({"achievements": [], "recipient": "X"}, "achievements"),
        ({"achievements": ids[0], "recipient": "X"}, "achievements"),
        ({"achievements": [ids[0], ids[0]], "recipient": "X"}, "achievements"),
        ({"achievements": ["x"] * 101, "recipient": "X"}, "achievements"),
        ({"achievements": [1], "recipient": "X"}, "achievements"),
        ({"achievements": ids[:1]}, "recipient"),
        ({"achievements": ids[:1], "recipient": ""}, "recipient"),
        ({"achievements": ids[:1], "recipient": "   "}, "recipient"),
        ({"achievements": ids[:1], "recipient": "x" * 201}, "recipient"),
        ({"achievements": ids[:1], "recipient": "a\nb"}, "recipient"),
        # C1 controls, bidi controls and zero-width characters: a label that reads one way
        # to the learner and another to the verifier.
        *(({"achievements": ids[:1], "recipient": f"Employer{ch}X"}, "recipient")
          for ch in ("\x85", "\x9b", "\u202e", "\u202a", "\u2066", "\u2069", "\u200e",
                     "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060",
                     "\ufeff")),
        ({"achievements": ids[:1], "recipient": "X", "days": 0}, "days"),
        ({"achievements": ids[:1], "recipient": "X", "days": 366}, "days"),
        ({"achievements": ids[:1], "recipient": "X", "days": 1.5}, "days"),
        ({"achievements": ids[:1], "recipient": "X", "days": "30"}, "days"),
        ({"achievements": ids[:1], "recipient": "X", "until": "2030-01-01"}, "unknown"),
        ([ids[0]], "body"),
    ]
    for body, word in cases:
        doc = problem(s.post("/v1/me/shares", body), 400)
        assert word in doc["detail"], (body, doc)
    problem(s.post("/v1/me/shares", "{not json"), 400, "invalid-json")
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM share") == before
    doc = problem(s.post("/v1/me/shares", {"achievements": ids[:1], "recipient": "A\u202eB"}),
                  400)
    assert "bidirectional" in doc["detail"] and "recipient" in doc["detail"], doc
    # The limits themselves are fine: 200 characters (not bytes), 365 days, default 30.
    ok = s.share(ids[:1], recipient="é" * 200, days=365)
    assert ok["recipient"] == "é" * 200
    default = s.share(ids[:1])
    created = [x for x in s.get("/v1/me/shares").json()["shares"] if x["id"] == default["id"]][0]
    days = (parse_time(created["expires"]) - parse_time(created["created"])) / 86400
    assert days == 30


def parse_time(s):
    import calendar
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def test_share_cli_create_list_revoke(portal):
    ok, srv = portal.ok, portal.srv
    ids = portal.achievements(portal.anna)
    proc = ok.run("share", "create", "--learner-id", portal.anna, "--achievements",
                  ",".join(ids[:2]), "--to", "Admissions office", "--days", "7", check=True)
    url = proc.stdout.strip()
    assert re.fullmatch(rf"{BASE}/s/{TOKEN_RE}", url), proc.stdout
    share_id = re.search(r"Share ([0-9a-f]{24})", proc.stderr).group(1)
    doc = json.loads(ok.run("share", "create", "--learner-id", portal.anna, "--achievements",
                            ids[2], "--to", "Other", "--json", check=True).stdout)
    assert doc["achievements"] == [ids[2]] and doc["url"].startswith(f"{BASE}/s/")
    r = srv.get(path_of(url) + ".json")
    assert r.status == 200 and len(r.json()["achievements"]) == 2, r
    listing = json.loads(ok.run("share", "list", "--learner-id", portal.anna, "--json",
                                check=True).stdout)
    [mine] = [x for x in listing if x["id"] == share_id]
    assert mine["recipient"] == "Admissions office" and mine["uses"] == 1
    assert mine["revoked"] is False and mine["achievements"] == ids[:2]
    assert listing[0]["id"] == doc["id"]  # newest first
    text = ok.run("share", "list", "--learner-id", portal.anna, check=True).stdout
    assert re.search(rf"^{share_id} .* 1  Admissions office$", text, re.M), text
    # The learner sees the operator's share in the portal as well.
    s = portal.login(portal.anna)
    assert share_id in [x["id"] for x in s.get("/v1/me/shares").json()["shares"]]
    proc = ok.run("share", "revoke", share_id, check=True)
    assert "revoked" in proc.stdout
    problem(srv.get(path_of(url) + ".json"), 410, "gone")
    assert ok.run("share", "revoke", share_id).returncode == 1
    assert ok.run("share", "revoke", "nosuchshare").returncode == 1
    # Bad input: a clear message and a non-zero exit, nothing stored.
    before = db_scalar(ok.data, "SELECT count(*) FROM share")
    for args, word in ((["--achievements", ids[0], "--to", "X", "--days", "0"], "--days"),
                       (["--achievements", ids[0], "--to", ""], "recipient"),
                       (["--achievements", ",".join(["x"] * 101), "--to", "X"], "at most"),
                       (["--to", "X"], "--achievements")):
        proc = ok.run("share", "create", "--learner-id", portal.anna, *args)
        assert proc.returncode in (1, 2) and word in proc.stderr, (args, proc.stderr)
    assert db_scalar(ok.data, "SELECT count(*) FROM share") == before


# Tokens


def test_random_tokens_all_404(portal):
    """1,000 random tokens of the right form, and some of the wrong one: all 404, none
    counted, over one kept-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", portal.srv.port, timeout=60)
    before = db_scalar(portal.ok.data, "SELECT count(*) FROM share_view")
    try:
        tokens = [base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
                  for _ in range(1000)]
        tokens += ["", "A", "A" * 42, "A" * 44, "!" * 43, "%2e%2e", "A" * 43 + ".JSON"]
        for t in tokens:
            for path in (f"/s/{t}", f"/s/{t}.json", f"/s/{t}/credentials"):
                conn.request("GET", path)
                r = conn.getresponse()
                body = r.read()
                assert r.status == 404, (path, r.status, body)
    finally:
        conn.close()
    assert db_scalar(portal.ok.data, "SELECT count(*) FROM share_view") == before


def test_tokens_and_names_not_in_log_or_database(binary, tmp_path):
    ok, keys = make_folder(binary, tmp_path / "data")
    srv = Server(ok, "--rate-limit", 0, name="secrets").start()
    p = Portal(ok, srv, keys)
    secrets = []
    try:
        url = p.login_url(p.anna)
        secrets.append(token_of(url))
        r = redeem(srv, path_of(url))
        s = Session(srv, cookie_of(r))
        secrets += [s.cookie, s.csrf]
        share = s.share(p.achievements(p.anna))
        secrets.append(token_of(share["url"]))
        secrets.append(token_of(p.login_url(p.anna)))
        assert srv.get(path_of(share["url"]) + ".json").status == 200
        assert srv.get(path_of(share["url"]) + "/credentials").status == 200
        assert s.get("/v1/me/views").status == 200
        assert srv.get(path_of(url)).status == 410
        assert srv.get("/s/" + "B" * 43 + ".json").status == 404
    finally:
        srv.stop()
    log = srv.log_text()
    assert "GET /s/{token} 200" in log and "GET /login/{token} 410" in log
    assert "POST /login/{token} 303" in log
    for secret in secrets + [ANNA["given_names"], ANNA["family_name"], RECIPIENT]:
        assert secret not in log, secret
    # The database holds no token either: only their hashes.
    stored = b"".join(db_bytes(ok.data).values())
    for secret in secrets:
        assert secret.encode() not in stored, secret
    audit = "\n".join(r for (r,) in store.connect(ok.data).execute(
        "SELECT actor || ' ' || action || ' ' || subject || ' ' || detail FROM audit_event"))
    for secret in secrets + [RECIPIENT]:
        assert secret not in audit


def test_demo_prints_a_link_that_signs_the_example_learner_in(binary, tmp_path):
    """`demo --login-link` (what `make run` uses) prints a one-time link for the learner it
    suggests; opening it signs that learner in."""
    ok = Oorkonde(binary, tmp_path / "data")
    ok.run("init", "--host", HOST, check=True)
    out = ok.run("demo", "--learners", "5", "--login-link", check=True).stdout
    nid = re.search(r"achievements --national-id (\S+)", out).group(1)
    url = re.search(rf"Sign in as this learner \(one use, until [0-9T:Z-]+\): ({BASE}/login/"
                    rf"{TOKEN_RE})$", out, re.M).group(1)
    srv = Server(ok, "--rate-limit", 0, name="demo").start()
    try:
        r = redeem(srv, path_of(url))
        assert r.status == 303, r
        me = srv.get("/v1/me", headers={"Cookie": f"{COOKIE}={cookie_of(r)}"})
        assert me.status == 200, me
        assert me.json()["learner"]["id"] == learner_of(ok, nid)
        assert srv.get(path_of(url)).status == 410  # one use
    finally:
        srv.stop()
