"""The pages without a browser (issue 4): status codes, languages, the Content-Security-Policy,
escaping, the assets, and the share page's 404 and 410 answers. tests/browser/ drives the same
pages in chromium."""
import html
import json
import re

import pytest

from helpers.server import Server
from helpers import store

TOKEN_RE = re.compile(r"/s/([A-Za-z0-9_-]{43})$")
NASTY = "</script><!--<script>alert(1)</script> & \"Employer\" 'X'"


@pytest.fixture
def demo(ok):
    ok.run("init", "--host", "localhost:8080", check=True)
    out = ok.run("demo", "--learners", "5", check=True).stdout
    nid = out.split("--national-id ")[1].split()[0]
    items = json.loads(ok.run("achievements", "--national-id", nid, "--json", check=True).stdout)
    srv = Server(ok).start()
    yield ok, srv, items
    srv.stop()


def page(srv, path, **headers):
    r = srv.get(path, headers=headers)
    return r, r.body.decode()


def share(ok, items, recipient="Employer X"):
    out = ok.run("share", "create", "--learner-id", items[0]["learner_id"], "--achievements",
                 ",".join(a["id"] for a in items[:2]), "--to", recipient, "--json",
                 check=True).stdout
    doc = json.loads(out)
    return doc, "/s/" + TOKEN_RE.search(doc["url"]).group(1)


def assert_strict_page(r, text):
    assert r.status in (200, 401, 404, 410)
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    # No inline script but JSON data blocks, no inline styles or handlers.
    for tag in re.findall(r"<script[^>]*>", text):
        assert 'src="/assets/' in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\sstyle=", text)
    assert not re.search(r"\son[a-z]+=", text)
    assert text.startswith("<!doctype html>")


def test_home_and_verify_pages(demo):
    _, srv, _ = demo
    for path in ("/", "/verify"):
        r, text = page(srv, path)
        assert r.status == 200
        assert_strict_page(r, text)
        assert '<html lang="en">' in text
        assert r.headers["content-language"] == "en"
        assert "Accept-Language" in r.headers["vary"]
    _, text = page(srv, "/")
    assert 'href="/learner"' in text and 'href="/verify"' in text
    assert "did:web:localhost%3A8080" in text
    _, text = page(srv, "/verify")
    assert '<label for="credential">' in text and 'id="credential"' in text


def test_language_from_accept_language_switch_and_cookie(demo):
    _, srv, _ = demo
    r, text = page(srv, "/", **{"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert '<html lang="nl">' in text and r.headers["content-language"] == "nl"
    assert "Diploma&#39;s en resultaten" in text
    assert "set-cookie" not in r.headers
    r, text = page(srv, "/", **{"Accept-Language": "de, en;q=0.1"})
    assert '<html lang="en">' in text
    # The switch wins over the header and is remembered in a cookie.
    r, text = page(srv, "/verify?lang=nl", **{"Accept-Language": "en"})
    assert '<html lang="nl">' in text
    assert "Een digitaal bewijs controleren" in text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("oorkonde_lang=nl;") and "Path=/" in cookie
    r, text = page(srv, "/", **{"Accept-Language": "en", "Cookie": "oorkonde_lang=nl"})
    assert '<html lang="nl">' in text
    # Every page links to the other language.
    assert 'href="?lang=en"' in text
    # An unknown choice is ignored.
    r, text = page(srv, "/?lang=xx", **{"Accept-Language": "nl"})
    assert '<html lang="nl">' in text and "set-cookie" not in r.headers
    # The scripts get the texts of the page's language.
    strings = json.loads(re.search(r'<script type="application/json" id="strings">(.*?)</script>',
                                   text).group(1))
    assert strings["verify.button"] == "Controleren"


def test_learner_page_without_session_says_how_to_sign_in(demo):
    _, srv, _ = demo
    r, text = page(srv, "/learner")
    assert r.status == 401
    assert_strict_page(r, text)
    assert "login link" in text or "sign-in link" in text
    r, text = page(srv, "/learner", Cookie="oorkonde_session=" + "A" * 43)
    assert r.status == 401


def test_learner_page_with_a_session(demo):
    ok, srv, items = demo
    link = ok.run("learner", "login-link", items[0]["learner_id"], check=True).stdout.split()[0]
    path = link[link.index("/login/"):]
    assert srv.get(path).status == 200  # the page with "Sign in"; the POST signs in
    r = srv.post(path, "", ctype="application/x-www-form-urlencoded")
    assert r.status == 303
    session = r.headers["set-cookie"].split(";")[0]
    r, text = page(srv, "/learner", Cookie=session)
    assert r.status == 200
    assert_strict_page(r, text)
    assert 'src="/assets/learner.js"' in text
    assert '<label for="share-recipient">' in text


def test_assets(demo):
    _, srv, _ = demo
    for name, ctype in (("style.css", "text/css"), ("common.js", "text/javascript"),
                        ("verify.js", "text/javascript"), ("learner.js", "text/javascript"),
                        ("icon.svg", "image/svg+xml")):
        r = srv.get("/assets/" + name)
        assert r.status == 200, name
        assert r.headers["content-type"].startswith(ctype)
        assert r.body
    # Templates are not served raw; nothing outside the embedded set is.
    for name in ("layout.html", "share.html", "nope.css", "..", "strings.json"):
        assert srv.get("/assets/" + name).status == 404, name
    assert srv.get("/assets/../README.md").status == 404


def test_share_page_verified_and_escaped(demo):
    ok, srv, items = demo
    doc, path = share(ok, items, recipient=NASTY)
    r, text = page(srv, path)
    assert r.status == 200
    assert_strict_page(r, text)
    assert text.count('class="card achievement verified"') == 2
    assert "achievement unverified" not in text
    assert html.escape(NASTY, quote=True).replace("&#x27;", "&#39;") in text
    # The recipient cannot open or close a script element, inside the data block or out.
    assert text.count("<script") == text.count("</script>") == 2
    assert "<!--" not in text
    data = json.loads(re.search(r'<script type="application/json" id="share-data">(.*?)</script>',
                                text).group(1))
    assert data["recipient"] == NASTY
    assert [a["id"] for a in data["achievements"]] == [a["id"] for a in items[:2]]
    assert all(a["verification"]["verified"] for a in data["achievements"])
    assert f'href="{path}/credentials"' in text and f'href="{path}.json"' in text
    assert "not a member" in text
    # Dutch too.
    r, text = page(srv, path + "?lang=nl")
    assert "Gedeelde diploma" in text and "Gecontroleerd: echt en geldig" in text


def test_share_page_unknown_is_404(demo):
    _, srv, _ = demo
    for token in ("A" * 43, "short", "x" * 64):
        r, text = page(srv, "/s/" + token)
        assert r.status == 404, token
        assert_strict_page(r, text)
        assert "Not found" in text


def test_share_page_revoked_and_expired_are_410(demo):
    ok, srv, items = demo
    doc, path = share(ok, items)
    ok.run("share", "revoke", doc["id"], check=True)
    r, text = page(srv, path)
    assert r.status == 410
    assert_strict_page(r, text)
    assert "revoked" in text and "Employer X" not in text
    r, text = page(srv, path, **{"Accept-Language": "nl"})
    assert r.status == 410 and "ingetrokken" in text

    doc, path = share(ok, items)
    with store.connect(ok.data) as db:
        db.execute("UPDATE share SET expires_ms = 1000 WHERE id = ?", (doc["id"],))
    r, text = page(srv, path)
    assert r.status == 410
    assert "expired on 1 January 1970" in text
