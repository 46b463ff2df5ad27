"""The access report (GDPR art. 15): `oorkonde learner report ID [--json|--html]` and the learner
portal's `GET /v1/me/report` and `GET /learner/report`. For a demo learner the report lists their
personal data, every achievement with its earlier versions, and every access (a registrar read
with its purpose, a correction, the report's own read, an opening of a share); the HTML page is
self-contained and escapes what it shows; one learner's report never holds another's data."""
import base64
import hashlib
import html.parser
import json
import os
import re
import stat
import subprocess

import pytest

from helpers.base import csv_text, db_scalar, make_row
from helpers.server import PURPOSE_HEADER, Server, parse_keys
from helpers import store

INSTITUTION = "21XX"


class Depo:
    """A data folder with the demo data and one institution of our own (21XX) holding two
    learners whose names and titles need escaping."""

    def __init__(self, ok, keys, nid):
        self.ok = ok
        self.keys = keys
        self.demo_nid = nid


def learner_id(ok, nid):
    proc = ok.run("achievements", "--national-id", nid, check=True)
    return proc.stdout.split()[1].rstrip(":")


@pytest.fixture
def depo(ok, tmp_path):
    ok.run("init", "--host", "localhost:8080", check=True)
    out = ok.run("demo", "--learners", "20", check=True).stdout
    keys = parse_keys(out)
    nid = out.split("--national-id ")[1].split()[0]
    proc = ok.run("institution", "add", "--code", INSTITUTION, "--name", "School <&> \"Test\"",
                  "--country", "NL", check=True)
    keys[INSTITUTION] = re.search(r"API key \(shown once[^)]*\): (\S+)", proc.stdout).group(1)
    names = {"given_names": "<script>alert(1)</script>", "family_name": "O'Brien & \"Sons\""}
    rows = [make_row(record_id="X-1", national_id="111222333", title="Math <b>&</b> 'Logic'",
                     **names),
            make_row(record_id="X-2", national_id="111222333", title="Physics", **names),
            make_row(record_id="Y-1", national_id="999888778", given_names="Otto",
                     family_name="Anders", title="Other's course")]
    path = tmp_path / "rows.csv"
    path.write_text(csv_text(rows))
    ok.run("import", path, "--institution", INSTITUTION, check=True)
    return Depo(ok, keys, nid)


def report(ok, lid, *args, check=True):
    proc = ok.run("learner", "report", lid, *args)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def report_json(ok, lid):
    return json.loads(report(ok, lid, "--json").stdout)


def test_json_lists_data_and_accesses_with_purpose(depo):
    ok = depo.ok
    lid = learner_id(ok, depo.demo_nid)
    srv = Server(ok).start()
    try:
        r = srv.get(f"/v1/achievements?national_id={depo.demo_nid}", key=depo.keys["21PB"],
                    headers={PURPOSE_HEADER: "admission-check"})
        assert r.status == 200, r
        first = r.json()["achievements"][0]
        r = srv.request("PATCH", f"/v1/achievements/{first['id']}",
                        {"grade": "9.5", "reason": "re-marked"}, key=depo.keys["21PB"])
        assert r.status == 200, r
    finally:
        srv.stop()
    doc = report_json(ok, lid)
    assert doc["type"] == "access-report"
    learner = doc["learner"]
    registrar = r.json()
    assert learner["id"] == lid
    assert learner["national_id"] == depo.demo_nid
    cli = ok.run("achievements", "--national-id", depo.demo_nid, check=True).stdout
    assert f"{learner['given_names']} {learner['family_name']}, born {learner['birth_date']}" \
        in cli
    # Every achievement, with its history.
    ids = {a["id"] for a in doc["achievements"]}
    assert ids == {row[0] for row in _rows(ok, "SELECT id FROM achievement WHERE learner_id = ?",
                                           lid)}
    corrected = next(a for a in doc["achievements"] if a["id"] == first["id"])
    assert corrected["version"] == 2 and corrected["grade"] == "9.5"
    assert [(h["version"], h["grade"], h["reason"]) for h in corrected["history"]] == \
        [(1, first["grade"], "re-marked")]
    assert corrected["history"][0]["replaced_by"].startswith("institution:21PB/key:")
    assert doc["institutions"]["21PB"]["name"]
    # Every access: the registrar's read with its purpose, the correction, this report's read.
    acc = doc["accesses"]
    assert [a["seq"] for a in acc] == sorted(a["seq"] for a in acc)
    read = [a for a in acc if a["action"] == "learner.read"
            and a["actor"].startswith("institution:21PB/")]
    assert read and read[0]["purpose"] == "admission-check" and read[0]["subject"] == lid
    assert any(a["action"] == "achievement.correct" and a["subject"] == first["id"]
               for a in acc)
    assert any(a["action"] == "learner.write" for a in acc)
    assert acc[-1]["action"] == "learner.read" and acc[-1]["purpose"] == "access-report" \
        and acc[-1]["actor"] == "operator"
    assert registrar["version"] == 2


def _rows(ok, sql, *params):
    con = store.connect(ok.data, readonly=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_reading_the_report_is_audited(depo):
    ok = depo.ok
    lid = learner_id(ok, depo.demo_nid)
    before = db_scalar(ok.data, "SELECT count(*) FROM audit_event WHERE subject = ? AND "
                       "purpose = 'access-report'", lid)
    report(ok, lid, "--html")
    report(ok, lid, "--json")
    assert db_scalar(ok.data, "SELECT count(*) FROM audit_event WHERE subject = ? AND "
                     "purpose = 'access-report'", lid) == before + 2
    assert ok.run("audit", "verify").returncode == 0


class Text(html.parser.HTMLParser):
    """The page's text, elements and attributes, for checks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags, self.attrs = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(page):
    p = Text()
    p.feed(page)
    p.close()
    return p


def test_html_lists_data_and_accesses(depo):
    ok = depo.ok
    lid = learner_id(ok, depo.demo_nid)
    doc = report_json(ok, lid)
    for lang, words in (("en", ("Access report", "Who accessed your data", "access report",
                                "the depository's operator")),
                        ("nl", ("Inzageoverzicht", "Wie uw gegevens inzag", "inzageoverzicht",
                                "de beheerder van het depot"))):
        page = report(ok, lid, "--html", "--lang", lang).stdout
        assert page.startswith("<!DOCTYPE html>")
        assert f'<html lang="{lang}">' in page
        text = " ".join(parse(page).text)
        for w in words:
            assert w in text, (lang, w)
        for field in ("given_names", "family_name", "birth_date", "national_id", "id"):
            assert doc["learner"][field] in text
        for a in doc["achievements"]:
            assert a["title"] in text
        assert "Rijksuniversiteit Groningen" in text or doc["institutions"]


def test_html_is_self_contained(depo):
    ok = depo.ok
    page = report(ok, learner_id(ok, "111222333"), "--html").stdout
    p = parse(page)
    assert "script" not in p.tags
    assert not {"img", "link", "iframe", "object", "embed", "form"} & set(p.tags)
    for name, value in p.attrs:
        assert name not in ("src", "href", "action") and not name.startswith("on"), (name, value)
    assert "http://" not in page.split("<body>")[0] and "url(" not in page


def test_html_escapes(depo):
    ok = depo.ok
    lid = learner_id(ok, "111222333")
    page = report(ok, lid, "--html").stdout
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "O&#39;Brien &amp; &quot;Sons&quot;" in page
    assert "Math &lt;b&gt;&amp;&lt;/b&gt; &#39;Logic&#39;" in page
    assert "School &lt;&amp;&gt; &quot;Test&quot;" in page
    # The text reads back exactly as stored.
    text = " ".join(parse(page).text)
    assert "<script>alert(1)</script>" in text and "Math <b>&</b> 'Logic'" in text
    doc = report_json(ok, lid)
    assert doc["learner"]["given_names"] == "<script>alert(1)</script>"


def test_report_never_holds_another_learners_data(depo):
    ok = depo.ok
    a, b = learner_id(ok, "111222333"), learner_id(ok, "999888778")
    other = report_json(ok, b)
    for fmt in ("--json", "--html"):
        out = report(ok, a, fmt).stdout
        for value in (b, "999888778", "Otto", "Anders", "Other", "Y-1"):
            assert value not in out, (fmt, value)
        for x in other["achievements"]:
            assert x["id"] not in out
        for e in other["accesses"]:
            if e["subject"] == b:
                assert f'"seq": {e["seq"]},' not in out
    doc = report_json(ok, a)
    assert {e["subject"] for e in doc["accesses"]} <= {a} | {x["id"] for x in doc["achievements"]}
    assert {x["learner_id"] for x in doc["achievements"]} == {a}


def test_output_file_is_private(depo, tmp_path):
    ok = depo.ok
    out = tmp_path / "report.html"
    proc = report(ok, learner_id(ok, "111222333"), "--html", "-o", out)
    assert proc.stdout == ""
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_unknown_and_bad_ids(depo):
    ok = depo.ok
    proc = report(ok, "0" * 24, check=False)
    assert proc.returncode == 1 and "no learner" in proc.stderr
    for bad in ("", "x" * 40, "../etc", "ABC<>"):
        proc = report(ok, bad, check=False)
        assert proc.returncode == 2, bad
    proc = ok.run("learner", "report", "a", "--json", "--html")
    assert proc.returncode == 2
    proc = ok.run("learner", "report", "a", "--lang", "fr")
    assert proc.returncode == 2
    proc = ok.run("learner", "nothing")
    assert proc.returncode == 2


# The learner portal (issue 4: sessions, shares). These run once its pieces are in the binary.

def has_portal(ok):
    proc = ok.run("learner", "login-link", "--help")
    return proc.returncode == 0


def has_shares(ok):
    proc = ok.run("share", "--help")
    return proc.returncode == 0


def sign_in(srv, ok, lid):
    """A session for learner lid: the cookie header value."""
    link = ok.run("learner", "login-link", lid, check=True).stdout.strip().split()[-1]
    token = link.rsplit("/login/", 1)[1]
    assert srv.get(f"/login/{token}").status == 200
    r = srv.post(f"/login/{token}", "", ctype="application/x-www-form-urlencoded")
    assert r.status == 303, r
    cookie = r.headers["set-cookie"].split(";")[0]
    assert cookie.startswith("oorkonde_session=")
    return cookie


def test_portal_report_is_the_signed_in_learners(depo):
    ok = depo.ok
    if not has_portal(ok):
        pytest.skip("the learner portal's sessions (issue 4) are not in this binary yet")
    a, b = learner_id(ok, "111222333"), learner_id(ok, "999888778")
    srv = Server(ok).start()
    try:
        r = srv.get("/v1/me/report")
        assert r.status == 401, r
        assert srv.get("/learner/report").status == 401
        cookie = sign_in(srv, ok, a)
        r = srv.get("/v1/me/report", headers={"Cookie": cookie})
        assert r.status == 200, r
        assert r.ctype.startswith("application/json")
        doc = r.json()
        assert doc["learner"]["id"] == a
        assert b not in r.body.decode() and "Otto" not in r.body.decode()
        # The learner's own read is in it, as theirs.
        assert doc["accesses"][-1]["actor"] == f"learner:{a}"
        assert doc["accesses"][-1]["purpose"] == "access-report"
        for lang, title in (("nl", "Inzageoverzicht"), ("en", "Access report")):
            r = srv.get(f"/learner/report?lang={lang}", headers={"Cookie": cookie})
            assert r.status == 200, r
            assert r.ctype.startswith("text/html")
            page = r.body.decode()
            assert title in page and "&lt;script&gt;" in page and "<script>" not in page
            csp = r.headers["content-security-policy"]
            style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp and "default-src 'none'" in csp
            assert r.headers.get("cache-control") == "no-store"
    finally:
        srv.stop()


def test_report_lists_access_through_a_share(depo):
    """P records every opening of a share as an audit event with actor share:<id>: the learner's
    report lists it, naming the recipient."""
    ok = depo.ok
    if not has_shares(ok):
        pytest.skip("shares (issue 4) are not in this binary yet")
    lid = learner_id(ok, depo.demo_nid)
    achievement = _rows(ok, "SELECT id FROM achievement WHERE learner_id = ? LIMIT 1", lid)[0][0]
    out = ok.run("share", "create", "--learner-id", lid, "--achievements", achievement, "--to",
                 "Employer <X>", check=True).stdout
    token = re.search(r"/s/([A-Za-z0-9_-]+)", out).group(1)
    srv = Server(ok).start()
    try:
        r = srv.get(f"/s/{token}.json")
        assert r.status == 200, r
    finally:
        srv.stop()
    doc = report_json(ok, lid)
    assert len(doc["shares"]) == 1
    share = doc["shares"][0]
    assert share["recipient"] == "Employer <X>" and share["achievements"] == [achievement]
    opened = [e for e in doc["accesses"] if e["actor"] == f"share:{share['id']}"]
    assert opened, doc["accesses"]
    page = report(ok, lid, "--html").stdout
    assert "someone who opened your share for Employer &lt;X&gt;" in page
    # Another learner's report does not hold the share.
    other = report(ok, learner_id(ok, "999888778"), "--json").stdout
    assert share["id"] not in other and "Employer" not in other
