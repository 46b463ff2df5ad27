"""An EMREX client's request to this contact point (`POST /emrex`) is anonymous: strangers must
not be able to fill the append-only audit chain with it, nor the session table (attack of
session 16). Opening a request writes no audit event; at most 2,000 are open at once, the next
is refused with 429 until some expire or are answered."""
import urllib.parse

from helpers.base import db_scalar

FORM = "application/x-www-form-urlencoded"
OPEN_MAX = 2000  # PORTAL_EMREX_OPEN_MAX


def events(ok):
    return db_scalar(ok.data, "SELECT count(*) FROM audit_event")


def test_anonymous_requests_write_no_event_and_are_bounded(ok, server_on):
    ok.init()
    srv = server_on(ok, "--rate-limit", "0")
    before = events(ok)
    conn = srv.connection()
    try:
        for i in range(OPEN_MAX):
            body = urllib.parse.urlencode({"sessionId": f"s{i}",
                                           "returnUrl": "https://client.example.fi/return"})
            conn.request("POST", "/emrex", body=body, headers={"Content-Type": FORM})
            r = conn.getresponse()
            r.read()
            assert r.status == 303, (i, r.status)
    finally:
        conn.close()
    r = srv.request("POST", "/emrex", "sessionId=one-more&returnUrl=https%3A%2F%2Fa.example%2Fr",
                    ctype=FORM)
    assert r.status == 429 and b"too many EMREX requests" in r.body, r
    assert "set-cookie" not in r.headers
    assert events(ok) == before, "an anonymous request wrote audit events"
    assert db_scalar(ok.data, "SELECT count(*) FROM emrex_session") == OPEN_MAX
