"""The learner portal as a browser uses it: login links redeemed through their page, the session
cookie, and a session that sends its CSRF token with every change."""
import json
import re

from helpers.server import HOST

BASE = f"http://{HOST}"
TOKEN_RE = r"[A-Za-z0-9_-]{43}"
COOKIE = "oorkonde_session"
SECURE_COOKIE = "__Host-oorkonde_session"
FORM = "application/x-www-form-urlencoded"
RECIPIENT = "Werkgever Kwakzalverij BV"


class Session:
    """A learner's session: the cookie, and the CSRF token from GET /v1/me."""

    def __init__(self, srv, cookie):
        self.srv = srv
        self.cookie = cookie
        me = self.get("/v1/me")
        assert me.status == 200, me
        self.me = me.json()
        self.csrf = self.me["csrf"]

    def headers(self, csrf=True, extra=None):
        h = {"Cookie": f"{COOKIE}={self.cookie}"}
        if csrf:
            h["X-CSRF-Token"] = self.csrf if csrf is True else csrf
        h.update(extra or {})
        return h

    def get(self, path):
        return self.srv.get(path, headers=self.headers(csrf=False))

    def post(self, path, body=None, csrf=True, ctype="application/json"):
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        return self.srv.post(path, body if body is not None else "", ctype=ctype,
                             headers=self.headers(csrf))

    def share(self, achievements, recipient=RECIPIENT, **extra):
        r = self.post("/v1/me/shares", {"achievements": achievements, "recipient": recipient,
                                        **extra})
        assert r.status == 201, r
        return r.json()


def path_of(url):
    assert url.startswith(BASE), url
    return url[len(BASE):]


def token_of(url):
    return url.rsplit("/", 1)[1]


def cookie_of(r, secure=False):
    name, flag = (SECURE_COOKIE, "; Secure") if secure else (COOKIE, "")
    m = re.fullmatch(rf"{re.escape(name)}=({TOKEN_RE}); Path=/; HttpOnly; SameSite=Strict{flag}",
                     r.headers.get("set-cookie", ""))
    assert m, r.headers
    return m.group(1)


def redeem(srv, path, headers=None):
    """Uses a login link as a browser does: the GET shows a page whose "Sign in" button posts
    a form back (the GET uses nothing up); the POST uses the link. Returns the POST's answer
    (303 to /learner with the cookie, or the 404/410 page)."""
    page = srv.get(path, headers=headers)
    if page.status == 200:
        assert f'<form method="post" action="{path}"'.encode() in page.body, page.body
        assert "set-cookie" not in page.headers
    return srv.post(path, "", ctype=FORM, headers=headers)
